"""Input checks for survival data: durations, events, covariates, collinearity and separation.

Public to the package (and to combiners such as ``cxmodels.chain``, which check tenure and
churn columns with :func:`check_duration` and :func:`check_event`).  Every failure raises
:class:`cxmodels.errors.InputError` naming the column, the number of rows affected and what
was expected.  Nothing here modifies the frame it is given; :func:`survival_frame` returns a
*new* frame holding only the columns a fit needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import (require_columns, require_finite, require_frame, require_no_missing,
                           require_not_constant, require_numeric, rows_text)
from ..errors import InputError

__all__ = ["as_list", "require_single_columns", "check_duration", "check_event", "check_covariates", "check_event_count",
           "survival_frame", "collinear_columns", "separating_columns"]


def as_list(x) -> list:
    """``None`` -> ``[]``, a name -> ``[name]``, an iterable of names -> a list."""
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def check_duration(data: pd.DataFrame, duration: str, what: str = "data") -> None:
    """Durations must be numeric, present, finite and strictly positive."""
    require_numeric(data, [duration], what)
    require_no_missing(data, [duration], what)
    require_finite(data, [duration], what)
    bad = data.index[data[duration].to_numpy(dtype=float) <= 0]
    if len(bad):
        raise InputError(
            f"column {duration!r} of {what} has {len(bad)} rows with a zero or negative duration "
            f"({rows_text(bad)}); durations must be > 0 (a customer who churns on the day they "
            "joined has a duration of one time unit, not zero)")


def check_event(data: pd.DataFrame, event: str, what: str = "data") -> None:
    """Events must be 0 (censored: still a customer) or 1 (churned), booleans allowed."""
    s = data[event]
    require_no_missing(data, [event], what)
    if pd.api.types.is_bool_dtype(s):
        return
    require_numeric(data, [event], what)
    bad = data.index[~s.isin([0, 1])]
    if len(bad):
        vals = sorted(pd.unique(s[~s.isin([0, 1])]).tolist())[:5]
        raise InputError(
            f"column {event!r} of {what} has {len(bad)} rows with values other than 0 or 1 "
            f"({rows_text(bad)}; values {vals}); code churn as 1 and still-active (censored) as 0")


def check_covariates(data: pd.DataFrame, covariates: Sequence[str], what: str = "data") -> None:
    """Covariates must be numeric, complete, finite and not constant."""
    require_numeric(data, covariates, what)
    require_no_missing(data, covariates, what,
                       hint="; drop or impute those rows before fitting (no silent listwise deletion)")
    require_finite(data, covariates, what)
    require_not_constant(data, covariates, what)


def require_single_columns(data: pd.DataFrame, columns, what: str = "data") -> None:
    """Refuse a frame holding two columns of a name the call uses: which one is meant is ambiguous."""
    repeated = sorted({c for c in columns if int((data.columns == c).sum()) > 1}, key=str)
    if repeated:
        raise InputError(f"{what} has more than one column named {repeated}; which one is meant is "
                         "ambiguous: rename them so each name is unique")


def _require_event_named(event, fn: str) -> None:
    if event is None:
        raise InputError(
            f"{fn}() needs event=, the column coding churn as 1 and still-active (censored) as 0; "
            "if every customer in the data churned, pass a column of ones (e.g. "
            "data.assign(churned=1) and event='churned') so that choice is explicit")


def survival_frame(data, duration: str, event: str | None, *, covariates=None, group=None, strata=None,
                   entry: str | None = None, what: str = "data", fn: str = "the fit") -> pd.DataFrame:
    """Validate ``data`` and return a new frame with just the columns a survival fit needs.

    ``event`` is required (None raises an InputError saying to pass a column of ones when
    every customer churned), except where a caller passes ``event=False`` to mean "no event
    column here" (competing risks read their own type column).  ``group`` and ``strata``
    may hold any hashable labels but no missing values.  ``entry`` (left truncation: the
    tenure at which a customer entered observation) must be >= 0 and < duration.
    """
    data = require_frame(data, what)
    if event is None:
        _require_event_named(event, fn)
    event = None if event is False else event
    covariates, groups, strata = as_list(covariates), as_list(group), as_list(strata)
    for name, value in (("duration", duration), ("event", event), ("entry", entry)):
        if value is not None and not isinstance(value, str):
            raise InputError(f"{name}= takes a column name (a string), got {type(value).__name__}")
    cols = [duration] + ([event] if event is not None else []) + covariates + groups + strata \
        + ([entry] if entry is not None else [])
    require_columns(data, cols, what)
    dup = sorted({c for c in cols if cols.count(c) > 1}, key=str)
    if dup:
        raise InputError(f"column(s) {dup} are named in more than one role (duration, event, covariates, "
                         "group, strata, entry) or twice in one list")
    require_single_columns(data, cols, what)
    check_duration(data, duration, what)
    if event is not None:
        check_event(data, event, what)
    check_covariates(data, covariates, what)
    require_no_missing(data, groups + strata, what)
    out = data[cols].copy()
    out[duration] = out[duration].astype(float)
    if event is not None:
        out[event] = out[event].astype(int)
    for c in covariates:
        out[c] = out[c].astype(float)
    if entry is not None:
        require_numeric(data, [entry], what)
        require_no_missing(data, [entry], what)
        e = data[entry].to_numpy(float)
        bad = data.index[~np.isfinite(e) | (e < 0) | (e >= data[duration].to_numpy(float))]
        if len(bad):
            raise InputError(f"column {entry!r} of {what} has {len(bad)} rows where entry is negative, "
                             f"infinite or not before the duration ({rows_text(bad)})")
    return out


def check_event_count(data: pd.DataFrame, event: str, minimum: int = 1, what: str = "data") -> None:
    """Refuse a fit with fewer than ``minimum`` churns: no hazard can be estimated."""
    n = int(np.asarray(data[event]).sum())
    if n < minimum:
        raise InputError(f"column {event!r} of {what} has {n} events (churns) over {len(data)} rows; "
                         f"at least {minimum} needed")


def collinear_columns(X: np.ndarray, names: Sequence[str], groups=None, tol: float = 1e-9) -> list[list[str]]:
    r"""Sets of columns of ``X`` that are linearly dependent once each column is centred.

    Centring (within ``groups``, the strata, when given) removes the intercept a Cox model
    does not estimate, so dummies that sum to one are found too.  The columns are scaled
    to unit length and decomposed as :math:`X = U S V^\top`; every singular value below
    ``tol`` times the largest is a null direction, and the columns with non-negligible
    weight in it are the ones that are collinear (Belsley, Kuh & Welsch 1980, ch. 3).

    Returns
    -------
    list of lists of names, one list per null direction (empty when X has full column rank).
    """
    X = np.asarray(X, float)
    if X.size == 0:
        return []
    if groups is None:
        Xc = X - X.mean(axis=0)
    else:
        Xc = X - pd.DataFrame(X).groupby(np.asarray(groups)).transform("mean").to_numpy()
    norm = np.linalg.norm(Xc, axis=0)
    out = [[names[j]] for j in np.nonzero(norm <= tol * max(1.0, np.abs(X).max()))[0]]
    keep = np.nonzero(norm > tol * max(1.0, np.abs(X).max()))[0]
    if len(keep) < 2:
        return out
    Z = Xc[:, keep] / norm[keep]
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    small = s <= np.sqrt(tol) * s[0] if len(s) else []
    for k in np.nonzero(small)[0]:
        members = [names[keep[j]] for j in np.nonzero(np.abs(vt[k]) > 1e-3)[0]]
        if members and members not in out:
            out.append(members)
    if len(Z) < Z.shape[1]:  # fewer rows than covariates: rank-deficient whatever the values
        out.append([names[j] for j in keep])
    return out


def separating_columns(time, event, X, names, *, strata=None, entry=None) -> list[tuple[str, str]]:
    r"""Covariates along which the (partial) likelihood increases without bound.

    Covariate :math:`j` separates when, at every churn time, the customer who churned has
    the largest (or at every one the smallest) value of :math:`x_j` among those still at
    risk, and the values are not all equal: then each partial-likelihood term
    :math:`\exp(x_i\beta)/\sum_{k\in R_i}\exp(x_k\beta)` grows with :math:`\beta_j`, so its
    estimate runs off to :math:`\pm\infty` (monotone likelihood; Bryson & Johnson 1981,
    Heinze & Schemper 2001).  A dummy whose one level holds no churn at all is the common
    case.  The same data make an AFT model's time ratio diverge.

    Returns
    -------
    list of (name, direction) with direction "highest" or "lowest".
    """
    t, e, X = np.asarray(time, float), np.asarray(event, int), np.asarray(X, float)
    # strata: one code per row (e.g. ``data.groupby(strata).ngroup()``); risk sets stay within one
    st = np.zeros(len(t), int) if strata is None else pd.factorize(np.asarray(strata))[0]
    ent = None if entry is None else np.asarray(entry, float)
    out = []
    if not (e == 1).any():
        return out
    for j, name in enumerate(names):
        x = X[:, j]
        is_max = is_min = True
        strict_max = strict_min = False
        for s in np.unique(st):
            m = st == s
            ts, es, xs = t[m], e[m], x[m]
            if ent is None:
                # risk set of a churn at t_i: everyone with t >= t_i; suffix max/min over time order
                o = np.argsort(ts, kind="stable")
                ts, es, xs = ts[o], es[o], xs[o]
                hi = np.maximum.accumulate(xs[::-1])[::-1]
                lo = np.minimum.accumulate(xs[::-1])[::-1]
                first = np.searchsorted(ts, ts, side="left")
                k = es == 1
                hi_i, lo_i, x_i = hi[first][k], lo[first][k], xs[k]
            else:
                es_ent = ent[m]
                idx = np.nonzero(es == 1)[0]
                hi_i = np.array([xs[(ts >= ts[i]) & (es_ent < ts[i])].max() for i in idx])
                lo_i = np.array([xs[(ts >= ts[i]) & (es_ent < ts[i])].min() for i in idx])
                x_i = xs[idx]
            if len(x_i) == 0:
                continue
            is_max &= bool(np.all(x_i >= hi_i))
            is_min &= bool(np.all(x_i <= lo_i))
            strict_max |= bool(np.any(x_i > lo_i))
            strict_min |= bool(np.any(x_i < hi_i))
        if is_max and strict_max:
            out.append((name, "highest"))
        elif is_min and strict_min:
            out.append((name, "lowest"))
    return out
