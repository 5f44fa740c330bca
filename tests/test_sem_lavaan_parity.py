"""Parity with lavaan 0.6 (R): estimates, standard errors, standardized solutions, fit
indices, modification indices and residual correlations, to three decimals.

The reference numbers were produced by tests/fixtures/lavaan/make_fixtures.R (lavaan
from Debian's r-cran-lavaan) on the same CSV files; see tests/fixtures/lavaan/README.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES, HS_MODEL, PD_MODEL, lavaan_fixture
from cxmodels import datasets
from cxmodels.sem import fit_sem, measurement_invariance, templates

ACSI_CFA = """
CUEX =~ CUEX1 + CUEX2 + CUEX3
PERQ =~ PERQ1 + PERQ2 + PERQ3
PERV =~ PERV1 + PERV2
CUSA =~ CUSA1 + CUSA2 + CUSA3
CUSL =~ CUSL1 + CUSL2
"""

CASES = {
    "pd_sem": (PD_MODEL, "pd", {}),
    "hs_cfa": (HS_MODEL, "hs", {}),
    "hs_std_lv": (HS_MODEL, "hs", {"std_lv": True}),
    "hs_mlr": (HS_MODEL, "hs", {"estimator": "MLR"}),
    "hs_fiml": (HS_MODEL, "hs_fiml", {"missing": "fiml"}),
    "hs_configural": (HS_MODEL, "hs", {"group": "school"}),
    "hs_metric": (HS_MODEL, "hs", {"group": "school", "group_equal": ["loadings"]}),
    "hs_scalar": (HS_MODEL, "hs", {"group": "school", "group_equal": ["loadings", "intercepts"]}),
    "hs_fiml_mlr": (HS_MODEL, "hs_fiml", {"missing": "fiml", "estimator": "MLR"}),
    "pd_mlr_regression": ("dem60 =~ y1 + y2 + y3 + y4\n dem60 ~ x1 + x2", "pd", {}),
    "acsi_cfa": (ACSI_CFA, "acsi", {}),
    "acsi_sem_mlr": (templates.ACSI, "acsi", {"estimator": "MLR"}),
}

FIT_KEYS = ["npar", "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "cfi", "tli", "logl",
            "unrestricted_logl", "aic", "bic", "bic2", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
            "rmsea_pvalue", "srmr"]
SCALED_KEYS = ["chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "baseline_chisq_scaled",
               "cfi_scaled", "tli_scaled", "rmsea_scaled"]

_fits: dict = {}


def _data(kind):
    if kind == "pd":
        return datasets.load_political_democracy()
    if kind == "hs":
        return datasets.load_holzinger_swineford()
    if kind == "acsi":
        return datasets.load_acsi_survey()
    return pd.read_csv(FIXTURES / "lavaan" / "hs_fiml" / "data.csv")


def fitted(name):
    if name not in _fits:
        model, kind, kw = CASES[name]
        _fits[name] = fit_sem(model, _data(kind), **kw)
    return _fits[name]


def _key(df: pd.DataFrame, group_col="group") -> pd.Series:
    lhs, rhs = df["lhs"].astype(str), df["rhs"].fillna("").astype(str)
    a = np.where(df["op"] == "~~", np.minimum(lhs, rhs), lhs)
    b = np.where(df["op"] == "~~", np.maximum(lhs, rhs), rhs)
    b = np.where(df["op"].isin([":=", "~1"]), "", b)
    g = df[group_col].astype(int).astype(str) if group_col in df else "1"
    return pd.Series(a, index=df.index) + " " + df["op"] + " " + b + " @" + g


def _numbered(name, ours: pd.DataFrame) -> pd.DataFrame:
    """Our tables carry group labels; lavaan numbers groups by first appearance, as we order them."""
    if "group" in ours:
        number = {lab: k + 1 for k, lab in enumerate(fitted(name).group_labels)}
        ours = ours.assign(group=[number.get(g, 0) for g in ours["group"]])
    return ours


def _merged(name):
    ref = lavaan_fixture(name)["estimates"]
    ref = ref[ref["op"].isin(["=~", "~", "~~", "~1", ":="])].copy()
    if "group" in ref:
        ref.loc[ref["op"] == ":=", "group"] = 0
    ours = _numbered(name, fitted(name).estimates())
    if "group" not in ours:
        ours["group"] = 1
        ref["group"] = 1
    ref = ref.set_index(_key(ref))
    ours = ours.set_index(_key(ours))
    assert set(ref.index) == set(ours.index), (
        f"parameter tables differ: only lavaan {sorted(set(ref.index) - set(ours.index))}, "
        f"only cxmodels {sorted(set(ours.index) - set(ref.index))}")
    return ref, ours.loc[ref.index]


@pytest.mark.parametrize("name", list(CASES))
def test_estimates_and_standard_errors(name):
    ref, ours = _merged(name)
    np.testing.assert_allclose(ours["est"], ref["est"], atol=1e-3, rtol=0, err_msg=f"{name}: est")
    np.testing.assert_allclose(ours["se"], ref["se"], atol=1e-3, rtol=0, err_msg=f"{name}: se")
    np.testing.assert_allclose(ours["pvalue"].fillna(-1), ref["pvalue"].fillna(-1), atol=1e-3, err_msg=f"{name}: pvalue")


@pytest.mark.parametrize("name", list(CASES))
def test_standardized_estimates(name):
    ref, ours = _merged(name)
    np.testing.assert_allclose(ours["std_all"], ref["std.all"], atol=1e-3, rtol=0, err_msg=f"{name}: std_all")
    np.testing.assert_allclose(ours["std_lv"], ref["std.lv"], atol=1e-3, rtol=0, err_msg=f"{name}: std_lv")


@pytest.mark.parametrize("name", list(CASES))
def test_fit_indices(name):
    ref = lavaan_fixture(name)["fit"]
    ours = fitted(name).fit_indices()
    keys = FIT_KEYS + (SCALED_KEYS if CASES[name][2].get("estimator") == "MLR" else [])
    if CASES[name][2].get("estimator") == "MLR" and "missing" not in CASES[name][2]:
        keys = keys + ["cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust"]
    for k in keys:
        assert k in ours.index, f"{k} missing from fit_indices()"
        tol = 1e-3 * max(1.0, abs(ref[k]) / 1000)
        assert ours[k] == pytest.approx(ref[k], abs=tol), f"{name}: {k} = {ours[k]} vs lavaan {ref[k]}"


@pytest.mark.parametrize("name", ["pd_sem", "hs_cfa", "hs_mlr", "hs_metric"])
def test_standardized_solution_standard_errors(name):
    ref = lavaan_fixture(name)["standardized"]
    ref = ref[ref["op"].isin(["=~", "~", "~~", ":="])].copy()
    ours = _numbered(name, fitted(name).standardized_solution())
    if "group" not in ours:
        ours["group"], ref["group"] = 1, 1
    ref.loc[ref["op"] == ":=", "group"] = 0
    ours.loc[ours["op"] == ":=", "group"] = 0
    ref, ours = ref.set_index(_key(ref)), ours.set_index(_key(ours))
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["est_std"], ref["est.std"], atol=1e-3)
    np.testing.assert_allclose(ours["se"], ref["se"], atol=1e-3)


@pytest.mark.parametrize("name", ["hs_cfa", "pd_sem"])
def test_modification_indices(name):
    ref = lavaan_fixture(name)["modindices"]
    ours = _numbered(name, fitted(name).modification_indices())
    ref = ref[ref["op"].isin(["=~", "~~"])]
    ref, ours = ref.set_index(_key(ref)), ours.set_index(_key(ours))
    common = ref.index.intersection(ours.index)
    assert len(common) >= 0.9 * len(ref), "most of lavaan's =~ and ~~ candidates should be tested"
    np.testing.assert_allclose(ours.loc[common, "mi"], ref.loc[common, "mi"], atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(ours.loc[common, "epc"], ref.loc[common, "epc"], atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(ours.loc[common, "sepc_all"], ref.loc[common, "sepc.all"], atol=1e-3)


@pytest.mark.parametrize("name", ["pd_sem", "hs_cfa", "hs_fiml"])
def test_residual_correlations(name):
    ref = lavaan_fixture(name)["residuals_cor"]
    ours = fitted(name).residual_correlations()
    np.testing.assert_allclose(ours.loc[ref.index, ref.columns], ref, atol=1e-3)


def test_invariance_lrt_matches_lavtestlrt(holzinger):
    ref = pd.read_csv(FIXTURES / "lavaan" / "invariance_lrt.csv")
    res = measurement_invariance(HS_MODEL, holzinger, group="school")
    t = res.summary()
    np.testing.assert_allclose(t["chisq"], ref["Chisq"], atol=1e-3)
    np.testing.assert_allclose(t["df"], ref["Df"])
    np.testing.assert_allclose(t["chisq_diff"].iloc[1:], ref["Chisq diff"].iloc[1:], atol=1e-3)
    np.testing.assert_allclose(t["pvalue_diff"].iloc[1:], ref["Pr(>Chisq)"].iloc[1:], atol=1e-3)


@pytest.mark.parametrize("name", ["hs_cfa", "hs_mlr", "hs_fiml", "hs_fiml_mlr", "acsi_sem_mlr"])
def test_parameter_covariance_matrix(name):
    ref = pd.read_csv(FIXTURES / "lavaan" / name / "vcov.csv", index_col=0)
    ours = fitted(name).vcov()
    ours = ours.loc[ref.index, ref.columns]
    np.testing.assert_allclose(ours, ref, atol=1e-6, rtol=1e-3)
