"""Log-rank test of equal retention across two or more customer groups.

The k-group log-rank statistic (Mantel 1966; Peto & Peto 1972) compares observed churns
O_g with those expected under equal hazards E_g at every distinct churn time:

    chi2 = (O - E)' V^- (O - E)   on k - 1 degrees of freedom,

with V the hypergeometric covariance; identical to R's ``survdiff``.  lifelines'
``multivariate_logrank_test`` is the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..provenance import Provenance, make_provenance
from ._checks import survival_frame


@dataclass(frozen=True)
class LogRankResult:
    """``statistic`` (chi-square), ``df``, ``p_value`` and the per-group observed/expected table."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    by: str
    provenance: Provenance

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def params(self) -> pd.Series:
        return pd.Series({"statistic": self.statistic, "df": self.df, "p_value": self.p_value})

    @property
    def warnings(self) -> list[str]:
        return []

    def methods_text(self) -> str:
        k = len(self.table)
        return (f"Retention was compared across the {k} levels of {self.by} with the log-rank test "
                f"(Mantel, 1966; Peto & Peto, 1972): chi-square({self.df}) = {self.statistic:.2f}, "
                f"p = {self.p_value:.3g}.")

    def __str__(self) -> str:
        return (f"log-rank test by {self.by}: chi-square({self.df}) = {self.statistic:.3f}, p = {self.p_value:.4g}")


def logrank(df: pd.DataFrame, duration: str, event: str | None, by: str) -> LogRankResult:
    """Log-rank test that retention is the same in every level of ``by`` (two or more groups).

    Returns
    -------
    LogRankResult
        ``.statistic``, ``.df``, ``.p_value``, ``.table`` (n, observed, expected per group).
    """
    from lifelines.statistics import multivariate_logrank_test

    d = survival_frame(df, duration, event, by=by)
    groups = d[by]
    if groups.nunique() < 2:
        raise InputError(f"column {by!r} has {groups.nunique()} level over {len(d)} rows; the log-rank test needs two or more")
    e = d[event] if event is not None else pd.Series(1, index=d.index)
    res = multivariate_logrank_test(d[duration], groups, e)
    t = d[duration].to_numpy()
    ev = e.to_numpy()
    g = groups.to_numpy()
    levels = sorted(pd.unique(g), key=lambda x: (str(type(x)), x))
    # observed and expected churns per group (the O and E of survdiff)
    times, inv = np.unique(t, return_inverse=True)
    d_all = np.bincount(inv, weights=ev, minlength=len(times))
    n_all = np.cumsum(np.bincount(inv, minlength=len(times))[::-1])[::-1]
    exp = {}
    for lv in levels:
        m = g == lv
        n_g = np.cumsum(np.bincount(inv[m], minlength=len(times))[::-1])[::-1]
        exp[lv] = float(np.sum(d_all * n_g / n_all))
    table = pd.DataFrame({"n": [int((g == lv).sum()) for lv in levels],
                          "observed": [int(ev[g == lv].sum()) for lv in levels],
                          "expected": [exp[lv] for lv in levels]}, index=pd.Index(levels, name=by))
    prov = make_provenance("churn.logrank", d, {"duration": duration, "event": event, "by": by})
    return LogRankResult(float(res.test_statistic), int(res.degrees_of_freedom), float(res.p_value), table, by, prov)
