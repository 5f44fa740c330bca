"""Measurement invariance across groups: configural, metric and scalar models and the
chi-square difference tests between them (lavaan's ``lavTestLRT``).

Metric invariance constrains loadings equal across groups, scalar invariance loadings
and intercepts (Meredith 1993, Psychometrika 58, 525-543; Vandenberg & Lance 2000,
Organizational Research Methods 3, 4-70).  With ``estimator="MLR"`` the difference test
is the Satorra-Bentler (2001) scaled difference,
``T_d = (T_0 - T_1) / c_d`` with ``c_d = (df_0 c_0 - df_1 c_1) / (df_0 - df_1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import InputError
from .fit import fit_sem

LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}


@dataclass
class InvarianceResult:
    """Fitted models by level and the table comparing each with the one before it."""

    fits: dict
    table: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def methods_text(self) -> str:
        levels = ", ".join(self.fits)
        return ("Measurement invariance across groups was tested by a sequence of nested multigroup "
                f"models ({levels}; Meredith, 1993; Vandenberg & Lance, 2000), compared by chi-square "
                "difference tests, with changes in CFI (Cheung & Rensvold, 2002) reported beside them.")


def measurement_invariance(model: str, data: pd.DataFrame, group: str,
                           levels=("configural", "metric", "scalar"), **kwargs) -> InvarianceResult:
    """Fit the nested invariance models and test each against the previous one.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement (or full) model.
    data : DataFrame
    group : str
        The column naming the groups.
    levels : sequence of {"configural", "metric", "scalar", "strict"}
    **kwargs
        Passed to :func:`fit_sem` (``estimator``, ``missing``, ...).

    Returns
    -------
    InvarianceResult
        ``.table``: one row per model with chisq, df, aic, bic, cfi, rmsea and the
        difference test against the previous model (chisq_diff, df_diff, pvalue_diff).
    """
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise InputError(f"unknown invariance level(s) {unknown}; use {list(LEVELS)}")
    fits = {lv: fit_sem(model, data, group=group, group_equal=LEVELS[lv], **kwargs) for lv in levels}
    rows, prev = [], None
    for lv, res in fits.items():
        f = res.fit_indices()
        row = {"model": lv, "df": f["df"], "chisq": f["chisq"], "aic": f["aic"], "bic": f["bic"],
               "cfi": f["cfi"], "rmsea": f["rmsea"], "chisq_diff": np.nan, "df_diff": np.nan,
               "pvalue_diff": np.nan, "cfi_diff": np.nan}
        if "chisq_scaling_factor" in f:
            row["chisq_scaled"] = f["chisq_scaled"]
        if prev is not None:
            ddf = f["df"] - prev["df"]
            dT = f["chisq"] - prev["chisq"]
            if "chisq_scaling_factor" in f:
                cd = (f["df"] * f["chisq_scaling_factor"] - prev["df"] * prev["chisq_scaling_factor"]) / ddf
                dT = dT / cd
            row.update(chisq_diff=dT, df_diff=ddf, pvalue_diff=float(stats.chi2.sf(dT, ddf)),
                       cfi_diff=f["cfi"] - prev["cfi"])
        rows.append(row)
        prev = f
    return InvarianceResult(fits, pd.DataFrame(rows).set_index("model"))
