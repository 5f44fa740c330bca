"""Input checks for survival data: durations, events and covariates.

Every failure raises :class:`cxmodels.errors.InputError` naming the column, the number of
rows affected and what was expected.  Nothing here modifies the frame it is given; the
functions return a *new* frame holding only the columns a fit needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import (_rows_text, require_columns, require_finite, require_frame,
                           require_no_missing, require_not_constant, require_numeric)
from ..errors import InputError


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def check_duration(df: pd.DataFrame, duration: str, what: str = "data") -> None:
    """Durations must be numeric, present, finite and strictly positive."""
    require_numeric(df, [duration], what)
    require_no_missing(df, [duration], what)
    require_finite(df, [duration], what)
    bad = df.index[df[duration].to_numpy(dtype=float) <= 0]
    if len(bad):
        raise InputError(
            f"column {duration!r} of {what} has {len(bad)} rows with a zero or negative duration "
            f"({_rows_text(bad)}); durations must be > 0 (a customer who churns on the day they "
            "joined has a duration of one time unit, not zero)")


def check_event(df: pd.DataFrame, event: str, what: str = "data") -> None:
    """Events must be 0 (censored: still a customer) or 1 (churned), booleans allowed."""
    s = df[event]
    require_no_missing(df, [event], what)
    if pd.api.types.is_bool_dtype(s):
        return
    require_numeric(df, [event], what)
    bad = df.index[~s.isin([0, 1])]
    if len(bad):
        vals = sorted(pd.unique(s[~s.isin([0, 1])]).tolist())[:5]
        raise InputError(
            f"column {event!r} of {what} has {len(bad)} rows with values other than 0 or 1 "
            f"({_rows_text(bad)}; values {vals}); code churn as 1 and still-active (censored) as 0")


def check_covariates(df: pd.DataFrame, covariates: Sequence[str], what: str = "data") -> None:
    """Covariates must be numeric, complete, finite and not constant."""
    require_numeric(df, covariates, what)
    require_no_missing(df, covariates, what,
                       hint="; drop or impute those rows before fitting (no silent listwise deletion)")
    require_finite(df, covariates, what)
    require_not_constant(df, covariates, what)


def survival_frame(df, duration: str, event: str | None, *, covariates=None, by=None, strata=None,
                   entry: str | None = None, what: str = "data") -> pd.DataFrame:
    """Validate ``df`` and return a new frame with just the columns a survival fit needs.

    ``event=None`` means every row is an observed event.  ``by`` and ``strata`` may hold any
    hashable labels but no missing values.  ``entry`` (left truncation: the tenure at which a
    customer entered observation) must be >= 0 and < duration.
    """
    df = require_frame(df, what)
    covariates, by_cols, strata = _as_list(covariates), _as_list(by), _as_list(strata)
    cols = [duration] + ([event] if event is not None else []) + covariates + by_cols + strata \
        + ([entry] if entry is not None else [])
    require_columns(df, cols, what)
    dup = [c for c in set(cols) if cols.count(c) > 1]
    if dup:
        raise InputError(f"column(s) {dup} are named in more than one role (duration, event, covariates, by, strata)")
    check_duration(df, duration, what)
    if event is not None:
        check_event(df, event, what)
    check_covariates(df, covariates, what)
    require_no_missing(df, by_cols + strata, what)
    out = df[cols].copy()
    out[duration] = out[duration].astype(float)
    if event is not None:
        out[event] = out[event].astype(int)
    if entry is not None:
        require_numeric(df, [entry], what)
        require_no_missing(df, [entry], what)
        e = df[entry].to_numpy(float)
        bad = df.index[(e < 0) | (e >= df[duration].to_numpy(float))]
        if len(bad):
            raise InputError(f"column {entry!r} of {what} has {len(bad)} rows where entry is negative or not "
                             f"before the duration ({_rows_text(bad)})")
    return out


def check_event_count(df: pd.DataFrame, event: str, minimum: int = 1, what: str = "data") -> None:
    n = int(np.asarray(df[event]).sum())
    if n < minimum:
        raise InputError(f"column {event!r} of {what} has {n} events (churns) over {len(df)} rows; "
                         f"at least {minimum} needed")
