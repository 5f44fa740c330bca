"""CX metrics: closed forms, simulation checks of the standard errors, bad input."""

import numpy as np
import pandas as pd
import pytest

from cxmodels import metrics
from cxmodels.errors import InputError


def test_nps_from_counts_and_scores_agree():
    res = metrics.nps(counts=[200, 300, 500])
    nps_c = res.summary()
    assert nps_c.loc["nps", "est"] == pytest.approx(30.0)
    # SE = 100 sqrt((pP + pD - (pP - pD)^2) / n)
    assert nps_c.loc["nps", "se"] == pytest.approx(100 * np.sqrt((0.5 + 0.2 - 0.3 ** 2) / 1000))
    assert res.n == 1000 and res.n_eff == 1000
    scores = np.r_[np.full(200, 3), np.full(300, 8), np.full(500, 10)]
    pd.testing.assert_frame_equal(metrics.nps(scores=scores).summary(), nps_c)
    # an 11-bin histogram of the scores 0..10 is counts, never 11 answers
    hist = np.zeros(11)
    hist[3], hist[8], hist[10] = 200, 300, 500
    pd.testing.assert_frame_equal(metrics.nps(counts=hist).summary(), nps_c)


def test_metric_results_honour_the_contract():
    import matplotlib.pyplot as plt
    from cxmodels._results import Result
    from cxmodels.provenance import Provenance

    for r in (metrics.nps(counts=[20, 30, 50]), metrics.csat(scores=[1, 5, 4, 4]), metrics.ces(counts=[1] * 7)):
        assert isinstance(r, Result) and isinstance(r.provenance, Provenance)
        assert r.references and all(ref.cite in r.methods_text() for ref in r.references)
        assert list(r.summary().columns) == ["est", "se", "lower", "upper"]
        pd.testing.assert_series_equal(r.params, r.summary()["est"])
        assert r.plot().get_title() == r.metric
        assert r.converged and r.admissible and r.warnings == []
    plt.close("all")


def test_nps_standard_error_matches_simulation():
    rng = np.random.default_rng(1)
    p = [0.25, 0.35, 0.40]
    sims = [metrics.nps(counts=rng.multinomial(400, p)).params["nps"] for _ in range(4000)]
    analytic = metrics.nps(counts=np.array(p) * 400).summary().loc["nps", "se"]
    assert np.std(sims) == pytest.approx(analytic, rel=0.05)


def test_nps_difference_test():
    rng = np.random.default_rng(2)
    a = rng.choice(11, size=800, p=np.r_[np.full(7, 0.3 / 7), [0.15, 0.15], [0.2, 0.2]])
    b = rng.choice(11, size=800, p=np.r_[np.full(7, 0.2 / 7), [0.15, 0.15], [0.25, 0.25]])
    d = metrics.nps_difference(scores_a=a, scores_b=b).summary().loc["difference"]
    na, nb = metrics.nps(scores=a).summary().loc["nps"], metrics.nps(scores=b).summary().loc["nps"]
    assert d["est"] == pytest.approx(nb["est"] - na["est"])
    assert d["se"] == pytest.approx(np.hypot(na["se"], nb["se"]))
    assert d["pvalue"] < 0.01 and d["lower"] > 0


def test_weights_use_kish_effective_size():
    x = np.array([10, 10, 9, 3, 5, 8, 7, 10, 2, 9])
    w = np.array([1, 2, 1, 1, 3, 1, 1, 2, 1, 1.0])
    r = metrics.nps(scores=x, weights=w)
    assert r.n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert r.params["promoters"] == pytest.approx(w[x >= 9].sum() / w.sum())
    se = metrics.nps(scores=x, weights=np.ones(10)).summary().loc["nps", "se"]
    assert se == pytest.approx(metrics.nps(scores=x).summary().loc["nps", "se"])


def test_csat_wilson_interval_and_mean():
    x = np.r_[np.full(30, 5), np.full(40, 4), np.full(30, 2)]
    res = metrics.csat(scores=x, scale=(1, 5))
    r = res.summary()
    assert r.loc["top_box", "est"] == pytest.approx(0.7)
    # Wilson interval for 70/100 at 95%: (0.6041, 0.7810)
    assert r.loc["top_box", "lower"] == pytest.approx(0.6041, abs=1e-4)
    assert r.loc["top_box", "upper"] == pytest.approx(0.7810, abs=1e-4)
    assert r.loc["mean", "est"] == pytest.approx(3.7)
    assert r.loc["mean", "se"] == pytest.approx(x.std(ddof=1) / 10)
    # the same answers as counts per scale point (frequency weights, n = their sum)
    pd.testing.assert_frame_equal(metrics.csat(counts=[0, 30, 0, 40, 30], scale=(1, 5)).summary(), r)


def test_ces_and_sample_sizes():
    r = metrics.ces(scores=[7, 6, 5, 2, 1, 7, 7], scale=(1, 7))
    assert r.params["agree"] == pytest.approx(5 / 7)
    pd.testing.assert_frame_equal(metrics.ces(counts=[1, 1, 0, 0, 1, 1, 3], scale=(1, 7)).summary(), r.summary())
    assert metrics.survey_sample_size("nps", 3) == int(np.ceil(1.959963984540054 ** 2 / 0.03 ** 2))
    assert metrics.survey_sample_size("proportion", 0.03) == 1068
    assert metrics.survey_sample_size("mean", 0.1, sd=1.2) == 554
    assert metrics.survey_sample_size("nps", 5, promoters=0.4, detractors=0.2) == int(np.ceil(1.959963984540054 ** 2 * (0.6 - 0.04) / 0.05 ** 2))
    assert not hasattr(metrics, "sample_size")  # one name per thing sized: ab.sample_size sizes experiments


def test_composite_weights_estimated_from_loyalty_with_uncertainty():
    rng = np.random.default_rng(3)
    n = 3000
    df = pd.DataFrame({"csat": rng.normal(size=n), "nps": rng.normal(size=n), "ces": rng.normal(size=n)})
    df["loyalty"] = 0.6 * df.csat + 0.3 * df.nps + 0.1 * df.ces + rng.normal(scale=0.5, size=n)
    res = metrics.composite_cx(df, ["csat", "nps", "ces"], outcome="loyalty", n_boot=200, seed=1)
    t = res.summary()
    np.testing.assert_allclose(t["est"], [0.6, 0.3, 0.1], atol=0.03)
    assert (t["se"] > 0).all() and (t["lower"] < t["est"]).all()
    assert res.provenance.steps[0]["step"] == "bootstrap" and res.provenance.steps[0]["seed"] == 1
    given = metrics.composite_cx(df, ["csat", "nps", "ces"], weights={"nps": 2, "csat": 1, "ces": 1})
    assert given.params["nps"] == pytest.approx(0.5)
    assert given.score.between(0, 100).all()


def test_wave_tracking_flags_real_changes_only():
    rng = np.random.default_rng(4)
    waves = []
    for w, p in enumerate([[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [0.35, 0.3, 0.35]]):
        cat = rng.choice(3, size=1500, p=p)
        waves.append(pd.DataFrame({"wave": w, "score": np.array([3, 8, 10])[cat]}))
    res = metrics.track(pd.concat(waves), group="wave", value="score")
    t = res.summary()
    assert list(t["significant_change"]) == [False, False, True]
    assert res.trend["slope_per_wave"] < 0
    assert list(t.index) == [0, 1, 2]


def test_bad_input():
    with pytest.raises(InputError, match="0 to 10"):
        metrics.nps(scores=[1, 2, 11])
    with pytest.raises(InputError, match="exactly one"):
        metrics.nps()
    with pytest.raises(InputError, match="outside the scale"):
        metrics.csat(scores=[1, 6], scale=(1, 5))
    with pytest.raises(InputError, match="weights"):
        metrics.nps(scores=[1, 2], weights=[1])
    with pytest.raises(InputError, match="sd"):
        metrics.survey_sample_size("mean", 0.1)
    with pytest.raises(InputError, match="no responses"):
        metrics.nps(counts=[0, 0, 0])
    with pytest.raises(InputError, match="5 entries.*scores="):
        metrics.nps(counts=[1, 2, 3, 4, 5])
    with pytest.raises(TypeError):  # scores and counts are keyword-only: a bare list is never guessed
        metrics.nps([0, 0, 0, 3, 0, 0, 0, 2, 0, 1, 4])
