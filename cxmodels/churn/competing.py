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

from .._validation import _rows_text
from ..errors import InputError
from ..provenance import make_provenance
from ._checks import survival_frame


def cumulative_incidence(df: pd.DataFrame, duration: str, event_type: str, *, by: str | None = None,
                         censored=0) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each churn type.

    Parameters
    ----------
    df : DataFrame
        One row per customer; not modified.
    duration : str
        Tenure (> 0).
    event_type : str
        Churn type per row; ``censored`` (default 0) marks customers still active.
    by : str, optional
        Group column: one set of curves per level.

    Returns
    -------
    DataFrame
        Long table: group, time, n_risk, survival (all-cause) and one ``cif_<type>`` column
        per churn type, at every distinct time.  ``attrs["provenance"]`` holds the provenance.
    """
    d = survival_frame(df, duration, None, by=by)
    d[event_type] = df[event_type]
    na = d.index[d[event_type].isna()]
    if len(na):
        raise InputError(f"column {event_type!r} has {len(na)} missing values ({_rows_text(na)})")
    types = sorted(v for v in pd.unique(d[event_type]) if v != censored)
    if not types:
        raise InputError(f"column {event_type!r} has no churns (every one of {len(d)} rows is {censored!r})")
    groups = [("all", np.ones(len(d), bool))] if by is None else \
        [(g, (d[by] == g).to_numpy()) for g in sorted(pd.unique(d[by]))]
    parts = []
    for g, m in groups:
        t = d[duration].to_numpy(float)[m]
        k = d[event_type].to_numpy()[m]
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
    res.attrs["provenance"] = make_provenance("churn.cumulative_incidence", d,
                                              {"duration": duration, "event_type": event_type, "by": by}).to_dict()
    return res


def cumulative_incidence_at(cif: pd.DataFrame, times) -> pd.DataFrame:
    """Read a :func:`cumulative_incidence` table at ``times`` (step function, per group)."""
    rows = []
    cols = [c for c in cif.columns if c.startswith("cif_")] + ["survival"]
    for g, c in cif.groupby("group", sort=False):
        tt = c["time"].to_numpy()
        for u in np.atleast_1d(times):
            i = np.searchsorted(tt, u, side="right") - 1
            vals = {k: (0.0 if k != "survival" else 1.0) if i < 0 else float(c[k].iloc[i]) for k in cols}
            rows.append({"group": g, "time": float(u), **vals})
    return pd.DataFrame(rows)
