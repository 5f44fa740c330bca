"""PLS model fit (Dijkstra & Henseler 2015): SRMR, d_ULS and d_G of the saturated and the
estimated model against openpls-engine and cSEM's formulas computed by hand
(tests/fixtures/pls_fit/make_fixtures.py), and the Bollen-Stine bootstrap test of exact fit
(seeded, calibrated on a model that holds, rejecting one that does not)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels import datasets
from cxmodels._results import Decision
from cxmodels.sem import fit_pls, templates
from cxmodels.sem.pls.fitstats import PLSFitResult

matplotlib.use("Agg")
REF = json.loads((FIXTURES / "pls_fit" / "ecsi_fit.json").read_text())["cases"]


def _fit(mobi, case):
    model = templates.ECSI
    for c in case["mode_b"]:
        model = model.replace(f"{c} =~", f"{c} <~")
    return fit_pls(model, mobi, scheme=case["scheme"], tol=1e-12, max_iter=1000)


def _est(fit_result):
    return fit_result.summary().set_index(["model", "index"])["est"]


@pytest.mark.parametrize("name", sorted(REF))
def test_fit_measures_match_openpls_and_csem_formulas(mobi, name):
    case = REF[name]
    res = _fit(mobi, case)
    for key, val in case["paths"].items():  # the same model was estimated
        assert res.params[key.replace("~", " ~ ")] == pytest.approx(val, abs=1e-8), key
    for composite, label in ((False, "declared"), (True, "composite")):
        got = _est(res.fit_indices(composite=composite))
        for model in ("saturated", "estimated"):
            ref = case[f"{label}_{model}"]
            for index in ("srmr", "d_uls", "d_g"):
                assert got[(model, index)] == pytest.approx(ref[index], abs=1e-7), (label, model, index)
            # cSEM's calculateDG uses log10: ours is it times ln(10)^2
            assert got[(model, "d_g")] == pytest.approx(ref["d_g_csem_log10"] * np.log(10) ** 2, abs=1e-7)
    # openpls reports the saturated model: the same d_ULS; its SRMR averages the K(K-1)/2 pairs
    # less those inside a Mode B block, ours (as cSEM) the K(K+1)/2 including the diagonal
    got = _est(res.fit_indices())
    K = case["K"]
    pairs = K * (K - 1) / 2 - sum(len(res.spec.blocks[c]) * (len(res.spec.blocks[c]) - 1) / 2 for c in case["mode_b"])
    assert got[("saturated", "d_uls")] == pytest.approx(case["openpls_saturated"]["d_uls"], abs=1e-8)
    assert got[("saturated", "srmr")] == pytest.approx(
        case["openpls_saturated"]["srmr"] * np.sqrt(pairs / (K * (K + 1) / 2)), abs=1e-8)


def test_fit_indices_without_bootstrap_is_a_result(mobi):
    res = fit_pls(templates.ECSI, mobi)
    f = res.fit_indices()
    assert isinstance(f, PLSFitResult)
    assert list(f.summary().columns) == ["model", "index", "est"]
    assert list(f.params.index) == [f"{m} {i}" for m in ("saturated", "estimated") for i in ("srmr", "d_uls", "d_g")]
    d = f.decide()
    assert isinstance(d, Decision) and d.action == "inconclusive"
    assert f.converged and f.admissible and not f.warnings
    assert all(r.cite in f.methods_text() for r in f.references)
    assert f.plot().get_ylabel() == "d_uls"
    # the saturated model never fits worse than the estimated one
    e = _est(f)
    assert e[("saturated", "d_uls")] < e[("estimated", "d_uls")]


@pytest.fixture(scope="module")
def ecsi_boot(mobi):
    res = fit_pls(templates.ECSI, mobi)
    return res, res.fit_indices(n_boot=100, seed=3, progress=False)


def test_bootstrap_is_seeded_and_recorded(mobi, ecsi_boot):
    res, f = ecsi_boot
    again = fit_pls(templates.ECSI, mobi).fit_indices(n_boot=100, seed=3, progress=False)
    pd.testing.assert_frame_equal(f.summary(), again.summary())
    t = f.summary()
    assert list(t.columns) == ["model", "index", "est", "hi95", "hi99", "hi_level", "fits"]
    assert (t["hi99"] >= t["hi95"]).all() and (t["hi95"] > 0).all()
    np.testing.assert_array_equal(t["hi_level"], t["hi95"])
    step = res.provenance.steps[-1]
    assert step["step"] == "fit_indices" and step["seed"] == 3 and step["n_boot"] == 100
    assert f.provenance.seed == 3 and f.draws.shape == (100, 6) and f.n_failed == 0
    assert all(r.cite in f.methods_text() for r in f.references)
    ax = f.plot(index="srmr", model="saturated")
    assert ax.get_xlabel() == "srmr (saturated model)"


def test_plain_pls_ecsi_is_rejected(ecsi_boot):
    """Plain PLS of a reflective model: inconsistent loadings, and the ECSI inner model leaves
    out paths; its estimated-model distances lie far beyond the critical values."""
    _, f = ecsi_boot
    d = f.decide()
    assert d.action == "reject"
    est = f.summary().set_index(["model", "index"]).loc["estimated"]
    assert (est["est"] > est["hi99"]).all()
    assert d.criteria["d_uls"]["est"] > d.criteria["d_uls"]["critical"]


@pytest.fixture(scope="module")
def population_fit():
    """Seeded common-factor ECSI survey: PLSc estimates the true model consistently."""
    data = datasets.make_survey_continuous(500, model="ECSI", seed=11)
    return data, fit_pls(templates.ECSI, data, consistent=True)


def test_true_model_is_retained_and_a_wrong_one_rejected(population_fit):
    data, plsc = population_fit
    f = plsc.fit_indices(n_boot=200, seed=5, progress=False)
    assert f.decide().action == "retain", f.summary()
    assert _est(f)[("saturated", "srmr")] < 0.05
    # drop the strongest structural path (CUSA ~ PERQ): the estimated model no longer fits
    wrong = templates.ECSI.replace("CUSA ~ IMAG + CUEX + PERQ + PERV", "CUSA ~ IMAG + CUEX + PERV")
    assert wrong != templates.ECSI
    g = fit_pls(wrong, data, consistent=True).fit_indices(n_boot=200, seed=5, progress=False)
    assert g.decide().action == "reject"


def test_level_sets_the_critical_value(population_fit):
    _, plsc = population_fit
    f = plsc.fit_indices(n_boot=50, seed=1, level=0.99, progress=False)
    t = f.summary()
    np.testing.assert_allclose(t["hi_level"], t["hi99"])
    assert f.decide().criteria["level"] == 0.99


def test_weighted_fit_indices_equal_replicated_rows(mobi):
    w = np.random.default_rng(4).integers(1, 4, len(mobi))
    a = fit_pls(templates.ECSI, mobi.assign(w=w), sampling_weights="w").fit_indices()
    b = fit_pls(templates.ECSI, mobi.loc[mobi.index.repeat(w)].reset_index(drop=True)).fit_indices()
    np.testing.assert_allclose(a.params, b.params, atol=1e-10)
    assert "weighted correlations" in a.methods_text()


def test_weighted_bootstrap_carries_weights(mobi):
    """Constant weights resample exactly as the unweighted bootstrap."""
    a = fit_pls(templates.ECSI, mobi.assign(w=3.0), sampling_weights="w").fit_indices(n_boot=20, seed=2,
                                                                                      progress=False)
    b = fit_pls(templates.ECSI, mobi).fit_indices(n_boot=20, seed=2, progress=False)
    np.testing.assert_allclose(a.draws, b.draws, atol=1e-10)


def test_inadmissible_fit_is_flagged(mobi):
    """PLSc of the ECSI survey: the disattenuated construct correlations are not positive
    definite, so (as cSEM's testOMF, which refuses it) the test of exact fit is flagged."""
    with pytest.warns(Warning, match="inadmissible"):
        f = fit_pls(templates.ECSI, mobi, consistent=True).fit_indices()
    assert not f.admissible
    assert any("construct correlation matrix that is not positive definite" in w for w in f.warnings)


def test_admissible_replicates_are_kept(population_fit):
    _, plsc = population_fit
    f = plsc.fit_indices(n_boot=30, seed=2, progress=False)
    assert f.admissible and f.converged and f.n_failed == 0 and not f.warnings


@pytest.mark.parametrize("weighted", [False, True])
def test_bollen_stine_transform_fits_exactly(weighted):
    """The transformed data have the model-implied correlations exactly (weighted ones with
    sampling weights), so the null hypothesis of exact fit holds in them."""
    from cxmodels.sem.pls import sampling
    from cxmodels.sem.pls.engine import standardize_columns
    from cxmodels.sem.pls.fitstats import bollen_stine, implied_correlations
    data = datasets.load_acsi_survey()
    w = np.random.default_rng(1).uniform(0.2, 3, len(data)) if weighted else None
    res = fit_pls(templates.ACSI, data.assign(w=w if weighted else 1.0), sampling_weights="w" if weighted else None)
    d = res.case_weights
    S, Sigma = implied_correlations(res._engine, res._Z, res.weights_, res._Y, saturated=False)
    Xt = bollen_stine(standardize_columns(res._X, d), S, Sigma)
    got = sampling.corr(Xt, d) if weighted else np.corrcoef(Xt, rowvar=False)
    np.testing.assert_allclose(got, Sigma, atol=1e-10)
