"""Parity with R's survival package (3.5) on the lung data: Kaplan-Meier medians, survival
at set times and RMST; log-rank chi-square; Cox coefficients, SEs and concordance (Efron
ties, with and without strata); Weibull, log-normal and log-logistic AFT (survreg).

Reference numbers: tests/fixtures/survival/make_fixtures.R (see README.md there), which
also writes the lung.csv every fit here reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import aft, cox, kaplan_meier, logrank, rmst

SURV = FIXTURES / "survival"
COVS = ["age", "sex", "ph.ecog"]


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(SURV / "lung.csv")


@pytest.fixture(scope="module")
def lung_cc(lung):
    return lung.dropna(subset=COVS).reset_index(drop=True)


def test_lifelines_lung_is_rs_lung(lung):
    """lifelines ships the same 228 rows as R's survival::lung, with status coded 0/1 (R: 1/2)."""
    from lifelines.datasets import load_lung

    ll = load_lung()
    assert ll.shape == lung.shape == (228, 10)
    assert list(ll.columns) == list(lung.columns)
    pd.testing.assert_frame_equal(ll.astype(float), lung.astype(float), check_dtype=False)


def test_km_medians(lung):
    ref = pd.read_csv(SURV / "km_medians.csv", dtype={"group": str}).set_index("group")
    med = pd.concat([kaplan_meier(lung, "time", "status").median_survival(intervals=True),
                     kaplan_meier(lung, "time", "status", group="sex").median_survival(intervals=True)])
    med.index = med.index.map(str)
    for g in ref.index:
        assert med.loc[g, "median"] == ref.loc[g, "median"]
        assert med.loc[g, "ci_lower"] == ref.loc[g, "median_lower"]
        assert med.loc[g, "ci_upper"] == ref.loc[g, "median_upper"]
        assert med.loc[g, "n"] == ref.loc[g, "n"]
        assert med.loc[g, "events"] == ref.loc[g, "events"]


def test_km_survival_at_times(lung):
    ref = pd.read_csv(SURV / "km_survival_at.csv", dtype={"group": str})
    times = sorted(ref["time"].unique())
    ours = pd.concat([kaplan_meier(lung, "time", "status").survival_at(times),
                      kaplan_meier(lung, "time", "status", group="sex").survival_at(times)])
    ours["group"] = ours["group"].astype(str)
    m = ref.merge(ours, on=["group", "time"])
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["survival"], m["surv"], atol=1e-10)
    np.testing.assert_allclose(m["ci_lower"], m["lower"], atol=1e-10)
    np.testing.assert_allclose(m["ci_upper"], m["upper"], atol=1e-10)
    np.testing.assert_array_equal(m["n_risk_x"], m["n_risk_y"])  # R: n_risk, ours: n_risk


def test_km_matches_lifelines_with_loglog_bands(lung):
    from lifelines import KaplanMeierFitter

    km = kaplan_meier(lung, "time", "status", conf_type="log-log")
    kmf = KaplanMeierFitter().fit(lung["time"], lung["status"])
    t = [100, 300, 500]
    ours = km.survival_at(t)
    np.testing.assert_allclose(ours["survival"], kmf.survival_function_at_times(t).to_numpy(), atol=1e-12)
    ci = kmf.confidence_interval_survival_function_
    idx = [ci.index[ci.index <= u].max() for u in t]
    np.testing.assert_allclose(ours["ci_lower"], ci.loc[idx].iloc[:, 0].to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours["ci_upper"], ci.loc[idx].iloc[:, 1].to_numpy(), atol=1e-8)


def test_rmst(lung):
    ref = pd.read_csv(SURV / "km_medians.csv", dtype={"group": str}).set_index("group")
    r_all = rmst(lung, "time", "status", tau=1000)
    r_sex = rmst(lung, "time", "status", tau=1000, group="sex")
    r_sex.index = r_sex.index.map(str)
    assert r_all.loc["all", "rmst"] == pytest.approx(ref.loc["all", "rmst_1000"], abs=1e-8)
    assert r_all.loc["all", "se"] == pytest.approx(ref.loc["all", "rmst_1000_se"], abs=1e-8)
    for g in ("1", "2"):
        assert r_sex.loc[g, "rmst"] == pytest.approx(ref.loc[g, "rmst_1000"], abs=1e-8)
        assert r_sex.loc[g, "se"] == pytest.approx(ref.loc[g, "rmst_1000_se"], abs=1e-8)
    assert r_sex.loc["difference", "rmst"] == pytest.approx(ref.loc["2", "rmst_1000"] - ref.loc["1", "rmst_1000"])


@pytest.mark.parametrize("by", ["sex", "ph.ecog"])
def test_logrank(lung, by):
    ref = pd.read_csv(SURV / "logrank.csv").set_index("by").loc[by]
    res = logrank(lung.dropna(subset=[by]), "time", "status", by)
    assert res.statistic == pytest.approx(ref["chisq"], abs=1e-8)
    assert res.params["statistic"] == res.statistic and res.provenance.method == "churn.logrank"
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["pvalue"], rel=1e-6)
    assert res.table["observed"].sum() == lung.dropna(subset=[by])["status"].sum()
    assert res.table["expected"].sum() == pytest.approx(res.table["observed"].sum())


@pytest.mark.parametrize("model,strata", [("age_sex_ecog", None), ("strata_sex", "sex")])
def test_cox(lung_cc, model, strata):
    ref = pd.read_csv(SURV / "cox.csv")
    ref = ref[ref["model"] == model].set_index("covariate")
    covs = list(ref.index)
    res = cox(lung_cc, "time", "status", covs, strata=strata)
    assert list(res.params.index) == covs
    np.testing.assert_allclose(res.params[covs], ref["coef"], atol=1e-5)
    np.testing.assert_allclose(res.standard_errors[covs], ref["se"], atol=1e-5)
    np.testing.assert_allclose(res.summary()["pvalue"][covs], ref["pvalue"], atol=1e-5)
    assert res.concordance == pytest.approx(ref["concordance"].iloc[0], abs=1e-6)
    assert res.log_likelihood == pytest.approx(ref["loglik"].iloc[0], abs=1e-4)
    assert res.nobs == ref["n"].iloc[0] and res.nevents == ref["nevent"].iloc[0]


def test_cox_ph_check_agrees_with_cox_zph_verdict(lung_cc):
    """R >= 3.0's cox.zph uses the exact score test, lifelines the Grambsch-Therneau
    approximation: p-values differ, the verdicts (no violation at 0.05) agree."""
    ref = pd.read_csv(SURV / "cox_zph_km.csv").set_index("term")
    ph = cox(lung_cc, "time", "status", COVS).check_proportional_hazards()
    for c in COVS:
        assert (ph.loc[c, "pvalue"] < 0.05) == (ref.loc[c, "pvalue"] < 0.05)
        assert abs(ph.loc[c, "pvalue"] - ref.loc[c, "pvalue"]) < 0.25
        assert "proportional hazards is tenable" in ph.loc[c, "verdict"]


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic"])
def test_aft_survreg(lung_cc, dist):
    ref = pd.read_csv(SURV / "aft.csv")
    ref = ref[ref["dist"] == dist].set_index("term")
    res = aft(lung_cc, "time", "status", COVS, dist=dist)
    s = res.summary().loc[ref.index]
    np.testing.assert_allclose(s["est"], ref["est"], atol=1e-4)
    np.testing.assert_allclose(s["se"], ref["se"], atol=1e-4)
    assert res.log_likelihood == pytest.approx(ref["loglik"].iloc[0], abs=1e-4)
    assert res.scale == pytest.approx(ref["scale"].iloc[0], rel=1e-4)


def test_median_survival_contract(lung):
    """docs/churn.md: kaplan_meier(...).median_survival() is a Series by group."""
    med = kaplan_meier(lung, "time", "status", group="sex").median_survival()
    assert isinstance(med, pd.Series)
    assert med.to_dict() == {1: 270.0, 2: 426.0}
    pd.testing.assert_series_equal(kaplan_meier(lung, "time", "status", group="sex").params, med)
