"""Competing risks of churn: cumulative incidence of each churn type (e.g. voluntary
cancellation vs involuntary churn from failed payment).

With cause-specific churn types k = 1..K, 1 - Kaplan-Meier of one type (treating the
others as censored) overstates that type's probability.  The Aalen-Johansen estimator
(Aalen & Johansen 1978) gives the cumulative incidence

    F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j,

S the all-cause Kaplan-Meier curve, d_kj the type-k churns at t_j and n_j the number at
risk; sum_k F_k(t) = 1 - S(t).  Point estimates equal R's ``survfit(Surv(t, factor(type)))``
(tests/test_churn_competing.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from .._validation import rows_text
from ..errors import InputError
from ..provenance import make_provenance
from .checks import survival_frame
from .references import AALEN_JOHANSEN, THERNEAU_SURVIVAL


class CumulativeIncidenceResult(Result):
    """Aalen-Johansen cumulative incidence of each churn type, per group.

    ``summary()`` is the long table: group, time, n_risk, survival (all-cause) and one
    ``cif_<type>`` column per churn type at every distinct time; ``params`` the cumulative
    incidence of each type (and group) at the last time; ``at(times)`` reads the curves.
    """

    _references = (AALEN_JOHANSEN, THERNEAU_SURVIVAL)

    def __init__(self, table, types, duration, event, group, censored, nobs, provenance):
        self._table = table
        self.types, self.duration, self.event, self.group = types, duration, event, group
        self.censored, self.nobs = censored, nobs
        self._provenance = provenance
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        """Cumulative incidence of each churn type by the last observed time, indexed
        ``cif_<type>`` (``<group>:cif_<type>`` when grouped)."""
        last = self._table.groupby("group", sort=False).tail(1).set_index("group")
        cols = [f"cif_{t}" for t in self.types]
        if self.group is None:
            return last[cols].iloc[0].astype(float).rename(None)
        out = last[cols].stack()
        out.index = [f"{g}:{c}" for g, c in out.index]
        return out.astype(float)

    def at(self, times) -> pd.DataFrame:
        """The curves at ``times`` (a step function, per group): group, time, ``cif_<type>``, survival."""
        try:
            times = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"times must be numbers, got {times!r}") from None
        rows = []
        cols = [c for c in self._table.columns if str(c).startswith("cif_")] + ["survival"]
        for g, c in self._table.groupby("group", sort=False):
            tt = c["time"].to_numpy()
            for u in times:
                i = np.searchsorted(tt, u, side="right") - 1
                vals = {k: (0.0 if k != "survival" else 1.0) if i < 0 else float(c[k].iloc[i]) for k in cols}
                rows.append({"group": g, "time": float(u), **vals})
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        """Stacked step curves of each type's cumulative incidence (first group when grouped,
        one line style per group otherwise); returns the Axes."""
        ax = plotting.axes(ax)
        styles = ["-", "--", ":", "-."]
        for gi, (g, c) in enumerate(self._table.groupby("group", sort=False)):
            for ti, ty in enumerate(self.types):
                label = f"{ty}" if self.group is None else f"{ty} ({g})"
                ax.step(c["time"], c[f"cif_{ty}"], where="post", color=plotting.color(ti),
                        ls=styles[gi % len(styles)], label=label)
        ax.set_xlabel(f"tenure ({self.duration})")
        ax.set_ylabel("cumulative incidence of churn")
        ax.set_ylim(0, 1)
        ax.legend(title="churn type")
        return ax

    def methods_text(self) -> str:
        by = f" separately for each level of {self.group}" if self.group is not None else ""
        return (f"The cumulative incidence of each churn type ({', '.join(map(str, self.types))}) was estimated "
                f"with the Aalen-Johansen estimator ({AALEN_JOHANSEN.cite}){by} on {self.nobs} customers, "
                "treating the other types as competing events rather than censoring; point estimates equal "
                f"R's survfit ({THERNEAU_SURVIVAL.cite}).")


def cumulative_incidence(data: pd.DataFrame, duration: str, event: str, *, group: str | None = None,
                         censored=0) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence of each churn type.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration : str
        Tenure (> 0).
    event : str
        Churn type per row (e.g. ``"voluntary"``, ``"payment"``); the value ``censored``
        (default 0) marks customers still active.
    group : str, optional
        Group column: one set of curves per level.
    censored : scalar
        The value of ``event`` that means "still a customer".

    Returns
    -------
    CumulativeIncidenceResult
        ``summary()`` (the long table), ``at(times)``, ``params``, ``plot()``, ``provenance``.
    """
    d = survival_frame(data, duration, False, group=group, fn="cumulative_incidence")
    if not isinstance(event, str):
        raise InputError(f"event= takes a column name (a string), got {type(event).__name__}")
    if event not in data.columns:
        raise InputError(f"data lacks column {event!r}; it has {list(map(str, data.columns))}")
    if event == duration or event == group:
        raise InputError(f"column {event!r} is named in more than one role (duration, event, group)")
    if int((data.columns == event).sum()) > 1:
        raise InputError(f"data has more than one column named {event!r}; rename them so each name is unique")
    d[event] = data[event]
    na = d.index[d[event].isna()]
    if len(na):
        raise InputError(f"column {event!r} has {len(na)} missing values ({rows_text(na)})")
    try:
        types = sorted(v for v in pd.unique(d[event]) if v != censored)
    except TypeError:
        raise InputError(f"column {event!r} mixes types of churn code that cannot be ordered "
                         f"({sorted({type(v).__name__ for v in d[event]})}); use one type") from None
    if not types:
        raise InputError(f"column {event!r} has no churns (every one of {len(d)} rows is {censored!r})")
    try:
        glevels = [] if group is None else sorted(pd.unique(d[group]))
    except TypeError:
        glevels = sorted(pd.unique(d[group]), key=lambda x: (str(type(x)), str(x)))
    groups = [("all", np.ones(len(d), bool))] if group is None else \
        [(g, (d[group] == g).to_numpy()) for g in glevels]
    parts = []
    for g, m in groups:
        t = d[duration].to_numpy(float)[m]
        k = d[event].to_numpy()[m]
        times, inv = np.unique(t, return_inverse=True)
        tot = np.bincount(inv, minlength=len(times)).astype(float)
        n = np.cumsum(tot[::-1])[::-1]
        d_any = np.bincount(inv, weights=(k != censored).astype(float), minlength=len(times))
        surv = np.cumprod(1 - d_any / n)
        s_before = np.concatenate([[1.0], surv[:-1]])
        out = pd.DataFrame({"group": g, "time": times, "n_risk": n, "survival": surv})
        for ty in types:
            d_k = np.bincount(inv, weights=(k == ty).astype(float), minlength=len(times))
            out[f"cif_{ty}"] = np.cumsum(s_before * d_k / n)
        parts.append(out)
    res = pd.concat(parts, ignore_index=True)
    prov = make_provenance("churn.cumulative_incidence", d, {"duration": duration, "event": event,
                                                             "group": group, "censored": censored})
    return CumulativeIncidenceResult(res, types, duration, event, group, censored, len(d), prov)


def cumulative_incidence_at(result: CumulativeIncidenceResult, times) -> pd.DataFrame:
    """Read a :func:`cumulative_incidence` result at ``times`` (step function, per group);
    the same as ``result.at(times)``."""
    if not isinstance(result, CumulativeIncidenceResult):
        raise InputError("cumulative_incidence_at takes the result of cumulative_incidence(), got "
                         f"{type(result).__name__}")
    return result.at(times)
