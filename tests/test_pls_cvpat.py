"""CVPAT (cxmodels.sem.pls.cvpat, with and without a competitor): the seminr port has no CVPAT, so
the test statistics are checked against an independent calculation in the fixture script
(tests/fixtures/pls_seminr_predict/make_fixtures.py: scipy's paired t-test on losses from
seminr's own predictions), the bootstrap variant against its large-sample limit, and the
model comparison on nested ECSI models."""

from __future__ import annotations

import json
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from badinput import assert_clean, variants
from conftest import FIXTURES
from cxmodels._results import Decision
from cxmodels.errors import CXModelsWarning, ImproperSolutionWarning, InputError
from cxmodels.references import Reference
from cxmodels.sem import templates
from cxmodels.sem.pls.cvpat import CVPATResult, cvpat, loss_test

FX = FIXTURES / "pls_seminr_predict"
SMALL = """Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value"""
# ECSI without the two paths into satisfaction from quality and value
WEAKER = templates.ECSI.replace("CUSA ~ IMAG + CUEX + PERQ + PERV", "CUSA ~ IMAG + CUEX")


@pytest.fixture(scope="module")
def folds():
    return pd.read_csv(FX / "folds_k10.csv")["fold"].to_numpy()


@pytest.fixture(scope="module")
def ecsi(mobi, folds):
    return cvpat(templates.ECSI, mobi, folds=folds, repeats=1, n_boot=2000, seed=3, tol=1e-14)


def test_matches_independent_calculation_on_seminr_predictions(ecsi):
    ref = json.loads((FX / "cvpat_reference.json").read_text())
    s = ecsi.summary().set_index(["comparison", "construct"])
    assert len(ref["constructs"]) == 7
    for construct, row in ref["constructs"].items():
        for bench in ("ia", "lm"):
            got = s.loc[(f"PLS vs {bench.upper()}", construct)]
            assert got["loss_model"] == pytest.approx(row["loss_pls"], abs=1e-7)
            assert got["loss_other"] == pytest.approx(row[f"loss_{bench}"], abs=1e-7)
            assert got["dbar"] == pytest.approx(row[f"dbar_{bench}"], abs=1e-7)
            assert got["diff"] == pytest.approx(-row[f"dbar_{bench}"], abs=1e-7)
            assert got["t"] == pytest.approx(row[f"t_{bench}"], abs=1e-5)
            assert got["p"] == pytest.approx(row[f"p_{bench}"], abs=1e-6)


def test_bootstrap_t_approaches_its_large_sample_value(ecsi):
    # sd of bootstrap means of the centred differences -> s sqrt((n - 1) / n) / sqrt(n)
    s = ecsi.summary()
    n = ecsi.nobs
    np.testing.assert_allclose(s["t_boot"], s["t"] * np.sqrt(n / (n - 1)), rtol=0.05)
    assert ((s["p_boot"] >= 0) & (s["p_boot"] <= 1)).all()


def test_loss_test_against_scipy():
    rng = np.random.default_rng(0)
    a = rng.gamma(2.0, 1.0, 80)
    b = a + rng.normal(0.15, 0.5, 80)
    two = loss_test(a, b, n_boot=0)
    ref = stats.ttest_rel(b, a)
    assert two["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert two["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert np.isnan(two["t_boot"]) and np.isnan(two["p_boot"])
    one = loss_test(a, b, n_boot=0, alternative="greater")
    assert one["p"] == pytest.approx(stats.ttest_rel(b, a, alternative="greater").pvalue, rel=1e-10)
    ci = stats.ttest_rel(b, a).confidence_interval(0.9)
    got = loss_test(a, b, n_boot=0, level=0.9)
    assert (got["ci_lower"], got["ci_upper"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    boot = loss_test(a, b, n_boot=20000, rng=np.random.default_rng(1))
    assert boot["t_boot"] == pytest.approx(two["t"] * np.sqrt(80 / 79), rel=0.03)


def test_single_model_decision(ecsi):
    d = ecsi.decide()
    assert isinstance(d, Decision)
    s = ecsi.summary().set_index(["comparison", "construct"])
    ia, lm = s.loc[("PLS vs IA", "overall")], s.loc[("PLS vs LM", "overall")]
    assert ia["dbar"] > 0 and ia["p_boot"] < 0.05  # ECSI beats the indicator averages
    assert lm["p_boot"] > 0.05  # ... and is not distinguishable from the LM benchmark
    assert d.action == "predictive" and d.criteria["p_ia"] == ia["p_boot"]


def test_compare_prefers_the_full_model(mobi):
    res = cvpat(templates.ECSI, mobi, competitor=WEAKER, folds=10, repeats=2, n_boot=1000, seed=5)
    s = res.summary().set_index("construct")
    assert list(s.index) == ["CUEX", "PERQ", "PERV", "CUSA", "CUSCO", "CUSL", "overall"]
    assert s.loc["CUSA", "dbar"] > 0 and s.loc["CUSA", "p"] < 1e-3
    d = res.decide()
    assert d.action == "adopt" and d.variant == "model"
    swapped = cvpat(WEAKER, mobi, competitor=templates.ECSI, folds=10, repeats=2, n_boot=0, seed=5)
    np.testing.assert_allclose(swapped.summary()["dbar"], -s["dbar"].to_numpy(), atol=1e-12)
    assert swapped.decide().variant == "competitor"


def test_compare_uses_the_same_folds_for_both_models(mobi):
    from cxmodels.sem.pls.predict import predict_pls

    res = cvpat(templates.ECSI, mobi, competitor=WEAKER, folds=5, repeats=1, n_boot=0, seed=9)
    F = res.folds[:, 0]
    a = predict_pls(templates.ECSI, mobi, folds=F, repeats=1).errors()
    b = predict_pls(WEAKER, mobi, folds=F, repeats=1).errors()
    overall = res.summary().set_index("construct").loc["overall"]
    assert overall["loss_model"] == pytest.approx((a.to_numpy() ** 2).mean(), rel=1e-10)
    assert overall["loss_other"] == pytest.approx((b.to_numpy() ** 2).mean(), rel=1e-10)


def test_identical_models_are_flagged(mobi):
    with pytest.warns(ImproperSolutionWarning, match="same predictions"):
        res = cvpat(SMALL, mobi, competitor=SMALL, folds=5, repeats=1, n_boot=50, seed=1)
    assert not res.admissible and res.decide().action == "inconclusive"


def test_result_contract(ecsi):
    assert isinstance(ecsi, CVPATResult)
    s = ecsi.summary()
    assert list(s.columns) == ["comparison", "construct", "loss_model", "loss_other", "diff", "dbar", "t", "p",
                               "ci_lower", "ci_upper", "t_boot", "p_boot"]
    assert ecsi.params["PLS vs LM: overall"] == pytest.approx(s["dbar"].iloc[-1])
    assert ecsi.provenance.seed == 3 and ecsi.provenance.options["n_boot"] == 2000
    assert ecsi.converged and ecsi.admissible
    assert ecsi.references and all(isinstance(r, Reference) for r in ecsi.references)
    text = ecsi.methods_text()
    for r in ecsi.references:
        assert r.cite in text
    ax = ecsi.plot()
    assert "loss difference" in ax.get_xlabel()
    plt.close(ax.figure)


def test_seed_reproducible(mobi):
    a = cvpat(SMALL, mobi, folds=5, repeats=1, n_boot=200, seed=4)
    b = cvpat(SMALL, mobi, folds=5, repeats=1, n_boot=200, seed=4)
    pd.testing.assert_frame_equal(a.summary(), b.summary())


# ---------------------------------------------------------------- bad input
def test_compare_needs_the_same_targets_and_indicators(mobi):
    other = SMALL.replace("Satisfaction =~ CUSA1 + CUSA2 + CUSA3", "Satisfaction =~ CUSA1 + CUSA2")
    with pytest.raises(InputError, match=r"'Satisfaction' has indicators .* in model but .* in competitor"):
        cvpat(SMALL, mobi, competitor=other)
    unrelated = "Quality =~ PERQ1 + PERQ2\nValue =~ PERV1 + PERV2\nValue ~ Quality"
    with pytest.raises(InputError, match="share no endogenous construct"):
        cvpat(SMALL, mobi, competitor=unrelated)
    with pytest.raises(InputError, match="competitor must be a model string"):
        cvpat(SMALL, mobi, competitor=3)


def test_option_errors(mobi):
    with pytest.raises(InputError, match="alternative"):
        cvpat(SMALL, mobi, alternative="less")
    with pytest.raises(InputError, match="n_boot"):
        cvpat(SMALL, mobi, n_boot=-1)
    with pytest.raises(InputError, match="level"):
        cvpat(SMALL, mobi, level=95)
    with pytest.raises(InputError, match="folds=251 is more than the 250 rows"):
        cvpat(SMALL, mobi, folds=251)
    bad = mobi.copy()
    bad.loc[5, "IMAG3"] = np.nan
    with pytest.raises(InputError, match=r"missing values in \['IMAG3'\] \(rows 5\)"):
        cvpat(SMALL, bad)
    with pytest.raises(InputError, match="no indicators"):
        cvpat(SMALL + "\nLoyalty ~ Satisfaction", mobi)


def test_bad_input_corpus(mobi):
    frame = mobi[["IMAG1", "IMAG2", "CUSA1", "CUSA2", "CUSA3"]].iloc[:60].copy()
    model = "Image =~ IMAG1 + IMAG2\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image"
    other = "Image =~ IMAG1\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CXModelsWarning)
        for name, bad in variants(frame, ["IMAG1", "CUSA2"]):
            assert_clean(cvpat, model, bad, folds=3, repeats=1, n_boot=20, seed=1)
            assert_clean(cvpat, model, bad, competitor=other, folds=3, repeats=1, n_boot=20, seed=1)
