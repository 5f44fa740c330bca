"""Penalty-reward contrast analysis: parity with R's lm, Kano recovery, reproducibility, inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.drivers.prca import default_cuts, penalty_reward
from cxmodels.errors import InputError

from conftest import FIXTURES

HERE = FIXTURES / "prca"


def make_kano(n=1500, seed=0):
    """A basic (only low ratings hurt), B excitement (only high help), C performance (linear)."""
    rng = np.random.default_rng(seed)
    probs = [0.15, 0.2, 0.3, 0.2, 0.15]  # symmetric, so a linear driver gives penalty = reward
    A, B, C = (rng.choice(np.arange(1, 6), size=n, p=probs) for _ in range(3))
    overall = 6.0 - 1.2 * (A <= 2) + 1.2 * (B >= 4) + 0.6 * (C - 3) + rng.normal(0, 1.0, n)
    return pd.DataFrame({"A": A, "B": B, "C": C, "overall": overall})


def test_ols_matches_r_lm():
    d = pd.read_csv(HERE / "data.csv")
    ref = pd.read_csv(HERE / "lm_coefficients.csv").set_index("term")
    res = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=200, seed=1)
    assert (res.low, res.high) == (2.0, 4.0)  # the inferred 1-5 default
    got = res.coefficients()
    assert got.index.tolist() == ref.index.tolist()
    for col in ("est", "se", "t", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-8, err_msg=col)
    np.testing.assert_allclose(got["pvalue"], ref["pvalue"], rtol=1e-6)
    s = res.summary()
    # penalty is the low dummy's coefficient with its sign flipped, reward the high dummy's
    assert s.loc[("A", "penalty"), "est"] == pytest.approx(-ref.loc["A_low", "est"], rel=1e-12)
    assert s.loc[("A", "penalty"), "ci_lower"] == pytest.approx(-ref.loc["A_low", "ci_upper"], rel=1e-10)
    assert s.loc[("B", "reward"), "est"] == pytest.approx(ref.loc["B_high", "est"], rel=1e-12)
    assert s.loc[("C", "asymmetry"), "est"] == pytest.approx(ref.loc["C_high", "est"] + ref.loc["C_low", "est"])


def test_kano_classes_recovered():
    res = penalty_reward(make_kano(seed=3), ["A", "B", "C"], "overall", n_boot=1000, seed=4)
    assert res.kano.to_dict() == {"A": "basic", "B": "excitement", "C": "performance"}
    w = res.classification()
    assert w.loc["A", "penalty"] == pytest.approx(1.2, abs=0.2) and abs(w.loc["A", "reward"]) < 0.2
    assert w.loc["B", "reward"] == pytest.approx(1.2, abs=0.2) and abs(w.loc["B", "penalty"]) < 0.2
    assert w.loc["A", "ia_upper"] < 0 < w.loc["B", "ia_lower"]
    assert w.loc["C", "ia_lower"] < 0 < w.loc["C", "ia_upper"]
    assert set(res.summary().index.get_level_values("term")) == {"penalty", "reward", "asymmetry", "ia"}


def test_irrelevant_driver_is_unclassified():
    d = make_kano(seed=5).assign(D=np.random.default_rng(6).choice(np.arange(1, 6), 1500))
    res = penalty_reward(d, ["A", "B", "C", "D"], "overall", n_boot=300, seed=1)
    assert res.kano["D"] == "unclassified"


def test_same_seed_same_intervals():
    d = make_kano(400, seed=7)
    a = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=500, seed=11)
    b = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=500, seed=11)
    c = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=500, seed=12)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    assert not a.summary()["ci_lower"].equals(c.summary()["ci_lower"])


def test_bootstrap_matches_naive_resampling():
    """The count-matrix bootstrap equals refitting OLS on explicitly resampled rows."""
    d = make_kano(300, seed=8)
    res = penalty_reward(d, ["A"], "overall", n_boot=100, seed=2, level=0.9)
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(300), d["A"] <= 2, d["A"] >= 4]).astype(float)
    y = d["overall"].to_numpy()
    idx = rng.integers(0, 300, size=(100, 300))
    asym = [np.linalg.lstsq(X[i], y[i], rcond=None)[0][1:].sum() for i in idx]
    lo, hi = np.quantile(asym, [0.05, 0.95])
    row = res.summary().loc[("A", "asymmetry")]
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi), rel=1e-9)


def test_reporting_surface():
    import matplotlib.axes

    d = make_kano(500, seed=9)
    before = d.copy()
    res = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=200, seed=3)
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(res.plot(), matplotlib.axes.Axes)
    text = res.methods_text()
    # every work the text cites is listed in references, and every listed work is cited
    assert {r.text.split(",")[0] for r in res.references} == {"Brandt", "Conklin", "Mikulić", "Kano", "Efron"}
    for ref in res.references:
        assert ref.cite in text
    assert res.params.loc[("A", "penalty")] == res.summary().loc[("A", "penalty"), "est"]
    assert res.provenance.options["low"] == 2.0 and res.provenance.seed == 3
    assert res.provenance.method == "cxmodels.drivers.penalty_reward"
    assert res.converged and res.admissible and res.warnings == []


def test_no_bootstrap_gives_t_interval_for_the_asymmetry():
    d = make_kano(500, seed=9)
    res = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=0)
    boot = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=1000, seed=1)
    s, b = res.summary(), boot.summary()
    # same point estimates; the asymmetry's t interval is close to the percentile one; no IA interval
    np.testing.assert_allclose(s["est"], b["est"])
    asym = s.xs("asymmetry", level="term")
    assert np.all(asym["ci_lower"] < asym["est"]) and np.all(asym["est"] < asym["ci_upper"])
    np.testing.assert_allclose(asym["ci_lower"], b.xs("asymmetry", level="term")["ci_lower"], atol=1.0)
    assert s.xs("ia", level="term")["ci_lower"].isna().all()
    assert res.kano.to_dict() == boot.kano.to_dict()
    assert "no bootstrap" in res.methods_text() and "Efron" not in res.methods_text()
    with pytest.raises(InputError, match="n_boot must be 0"):
        penalty_reward(d, ["A"], "overall", n_boot=50)


def test_default_cuts_by_scale():
    assert default_cuts(1, 5) == (2, 4)
    assert default_cuts(1, 7) == (3, 5)
    assert default_cuts(1, 10) == (4, 7)
    assert default_cuts(0, 10) == (4, 6)
    d = make_kano(600, seed=1)
    d[["A", "B", "C"]] = d[["A", "B", "C"]] * 2  # 2..10 -> inferred 1-10 scale
    res = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=100, seed=1)
    assert (res.low, res.high) == (4.0, 7.0)
    res = penalty_reward(make_kano(600, seed=1), ["A", "B", "C"], "overall", low=1, high=5, n_boot=100, seed=1)
    assert (res.low, res.high) == (1.0, 5.0)


def test_small_group_warns_naming_driver():
    d = make_kano(400, seed=2)
    d.loc[d["B"] == 5, "B"] = 4
    d.loc[d.index[d["B"] == 4][20:], "B"] = 3  # 20 respondents left in B's high group
    with pytest.warns(UserWarning, match="'B' has only 20 respondents in its high group"):
        res = penalty_reward(d, ["A", "B", "C"], "overall", n_boot=200, seed=1)
    assert any("'B'" in w for w in res.warnings)


def test_bad_inputs_name_the_column():
    d = make_kano(300, seed=4)
    with pytest.raises(InputError, match="'Z'"):
        penalty_reward(d, ["A", "Z"], "overall")
    bad = d.astype({"B": object})
    bad.loc[4, "B"] = "good"
    with pytest.raises(InputError, match=r"'B'.*numeric.*rows 4"):
        penalty_reward(bad, ["A", "B"], "overall")
    bad = d.copy()
    bad.loc[[2, 9], "A"] = np.nan
    with pytest.raises(InputError, match=r"'A'.*2 missing.*rows 2, 9"):
        penalty_reward(bad, ["A", "B"], "overall")
    with pytest.raises(InputError, match=r"'C'.*constant"):
        penalty_reward(d.assign(C=3), ["A", "C"], "overall")
    with pytest.raises(InputError, match=r"'C'.*no respondent has a low rating"):
        penalty_reward(d.assign(C=np.where(d["C"] <= 2, 3, d["C"])), ["A", "C"], "overall")
    with pytest.raises(InputError, match=r"'C'.*no respondent rates between the cuts"):
        penalty_reward(d.assign(C=np.where(d["C"] == 3, 4, d["C"])), ["A", "C"], "overall")
    with pytest.raises(InputError, match=r"'A'.*outside the scale"):
        penalty_reward(d, ["A", "B"], "overall", scale=(1, 4))
    with pytest.raises(InputError, match="cannot infer the rating scale"):
        penalty_reward(d.assign(A=d["A"] * 20), ["A", "B"], "overall")
    with pytest.raises(InputError, match="below high cut"):
        penalty_reward(d, ["A", "B"], "overall", low=4, high=3)


def test_unseeded_bootstrap_records_the_seed_it_drew():
    d = make_kano(300, seed=8)
    a = penalty_reward(d, ["A", "B"], "overall", n_boot=100)
    assert isinstance(a.provenance.seed, int) and a.seed == a.provenance.seed
    b = penalty_reward(d, ["A", "B"], "overall", n_boot=100, seed=a.seed)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
