"""Log-rank test of equal retention across two or more customer groups.

The k-group log-rank statistic (Mantel 1966; Peto & Peto 1972) compares observed churns
O_g with those expected under equal hazards E_g at every distinct churn time:

    chi2 = (O - E)' V^- (O - E)   on k - 1 degrees of freedom,

with V the hypergeometric covariance; identical to R's ``survdiff``.  lifelines'
``multivariate_logrank_test`` is the engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from ..errors import InputError
from ..provenance import make_provenance
from .checks import survival_frame
from .references import MANTEL, PETO_PETO, THERNEAU_SURVIVAL


class LogRankResult(Result):
    """The log-rank test: ``statistic`` (chi-square), ``df``, ``p_value``; ``summary()`` is the
    per-group table (n, observed, expected churns) and ``params`` the test's three numbers."""

    _references = (MANTEL, PETO_PETO, THERNEAU_SURVIVAL)

    def __init__(self, statistic, df, p_value, table, group, provenance):
        self.statistic, self.df, self.p_value = float(statistic), int(df), float(p_value)
        self.table = table
        self._table = table
        self.group = group
        self._provenance = provenance
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        return pd.Series({"statistic": self.statistic, "df": float(self.df), "p_value": self.p_value})

    def plot(self, ax=None):
        """Observed and expected churns per group (bars); returns the Axes."""
        ax = plotting.axes(ax)
        x = np.arange(len(self.table))
        ax.bar(x - 0.2, self.table["observed"], width=0.4, label="observed", color=plotting.color(0))
        ax.bar(x + 0.2, self.table["expected"], width=0.4, label="expected under equal hazards",
               color=plotting.color(1))
        ax.set_xticks(x, [str(v) for v in self.table.index])
        ax.set_xlabel(str(self.group))
        ax.set_ylabel("churns")
        ax.set_title(f"log-rank chi-square({self.df}) = {self.statistic:.2f}, p = {self.p_value:.3g}")
        ax.legend()
        return ax

    def methods_text(self) -> str:
        k = len(self.table)
        return (f"Retention was compared across the {k} levels of {self.group} with the log-rank test "
                f"({MANTEL.cite}; {PETO_PETO.cite}): chi-square({self.df}) = {self.statistic:.2f}, "
                f"p = {self.p_value:.3g}; the statistic is the one R's survival package computes "
                f"(survdiff; {THERNEAU_SURVIVAL.cite}).")

    def __str__(self) -> str:
        return (f"log-rank test by {self.group}: chi-square({self.df}) = {self.statistic:.3f}, "
                f"p = {self.p_value:.4g}")


def logrank(data: pd.DataFrame, duration: str, event: str, group: str) -> LogRankResult:
    """Log-rank test that retention is the same in every level of ``group`` (two or more groups).

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn (1 churned, 0 still active) columns.  ``event`` is required:
        if every customer churned, pass a column of ones.
    group : str
        Column whose levels are compared.

    Returns
    -------
    LogRankResult
        ``.statistic``, ``.df``, ``.p_value``, ``.table`` (n, observed, expected per group).
    """
    from lifelines.statistics import multivariate_logrank_test

    if group is None:
        raise InputError("logrank() needs group=, the column whose levels are compared")
    d = survival_frame(data, duration, event, group=group, fn="logrank")
    groups = d[group]
    if groups.nunique() < 2:
        raise InputError(f"column {group!r} has {groups.nunique()} level over {len(d)} rows; "
                         "the log-rank test needs two or more")
    e = d[event]
    if int(e.sum()) == 0:
        raise InputError(f"column {event!r} has no churns over {len(d)} rows; the log-rank test compares "
                         "churns and has nothing to compare")
    # lifelines sorts group labels; labels of mixed types cannot be sorted, so test on codes
    codes = pd.Series(pd.factorize(groups)[0], index=d.index)
    try:
        res = multivariate_logrank_test(d[duration], codes, e)
    except Exception as exc:  # noqa: BLE001 - lifelines/scipy internals: report, do not leak
        raise InputError(f"the log-rank test could not be computed on these data: {exc}") from None
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
                          "expected": [exp[lv] for lv in levels]}, index=pd.Index(levels, name=group))
    prov = make_provenance("churn.logrank", d, {"duration": duration, "event": event, "group": group})
    return LogRankResult(res.test_statistic, res.degrees_of_freedom, res.p_value, table, group, prov)
