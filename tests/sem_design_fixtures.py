"""Shared reader of the lavaan fixtures in tests/fixtures/lavaan_weights/ (made by its
make_fixtures.R with lavaan 0.6-14): each folder holds the data lavaan fitted, its
parameter estimates and its fit measures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import FIXTURES

FOLDER = FIXTURES / "lavaan_weights"

STORE_MODEL = """
SAT =~ sat1 + sat2 + sat3
LOY =~ loy1 + loy2 + loy3
LOY ~ SAT + wait
"""
PD_REG_MODEL = """
dem60 =~ y1 + y2 + y3 + y4
dem60 ~ x1 + x2
"""
#: Fit measures compared with lavaan (names with "_" for ".").
FIT_KEYS = ["chisq", "df", "pvalue", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi", "tli",
            "cfi_scaled", "tli_scaled", "cfi_robust", "tli_robust", "rmsea", "rmsea_scaled", "rmsea_robust",
            "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "logl", "aic", "bic", "baseline_chisq",
            "baseline_chisq_scaled"]


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / name / "data.csv")


def estimates(name: str) -> pd.DataFrame:
    out = pd.read_csv(FOLDER / name / "estimates.csv", keep_default_na=False, na_values=["NA"])
    return out[out["op"] != "=="].reset_index(drop=True)


def fit_measures(name: str) -> pd.Series:
    fm = pd.read_csv(FOLDER / name / "fit_measures.csv")
    return pd.Series(fm["value"].to_numpy(), index=fm["name"].str.replace(".", "_", regex=False))


def merged(result, name: str) -> pd.DataFrame:
    """Our parameter table joined with lavaan's (``_r`` columns), row for row; lavaan's
    group numbers become our labels (both order groups by first appearance)."""
    ref = estimates(name)
    ours = result.estimates()
    keys = ["lhs", "op", "rhs"]
    if "group" in ours:
        ref = ref.assign(group=[result.group_labels[int(g) - 1] if g else None for g in ref["group"].fillna(0)])
        ours = ours.assign(group=ours["group"].where(ours["op"] != ":=", None))
        keys.append("group")
    # ':=' rows are matched by name (lavaan writes "a*b", cxmodels "a * b").
    ours = ours.assign(rhs=np.where(ours["op"] == ":=", "", ours["rhs"]))
    ref = ref.assign(rhs=np.where(ref["op"] == ":=", "", ref["rhs"]))
    m = ours.merge(ref, on=keys, suffixes=("", "_r"), how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", keys + ["_merge"]]
    return m


def assert_parity(result, name: str, est=1e-5, se=1e-5, fit_rel=1e-5, skip=()):
    m = merged(result, name)
    np.testing.assert_allclose(m["est"], m["est_r"], atol=est, rtol=0, err_msg=f"{name}: est")
    np.testing.assert_allclose(m["se"], m["se_r"], atol=se, rtol=0, err_msg=f"{name}: se")
    ref, ours = fit_measures(name), result.fit_indices()
    for k in FIT_KEYS:
        if k in skip:
            continue
        assert k in ours.index and k in ref.index, f"{name}: {k} missing ({k in ours.index}, {k in ref.index})"
        assert ours[k] == __import__("pytest").approx(ref[k], rel=fit_rel, abs=1e-6), \
            f"{name}: {k} = {ours[k]} vs lavaan {ref[k]}"
