"""From subscription records to survival data: durations, events, left truncation and
time-varying covariates in long (start-stop) format.

A customer's *duration* (tenure) runs from their start date to their end date, or to the
observation end if they are still active then (right-censored, ``event = 0``).  Customers
who joined before the observation window opened are *left truncated*: they are in the
data only because they survived until the window opened, so their risk set entry is their
tenure on that date (``entry``), which Cox and Kaplan-Meier fits then honour (Klein &
Moeschberger 2003, section 4.6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import _rows_text, require_columns, require_frame
from ..errors import InputError

_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def durations_from_dates(df: pd.DataFrame, start: str, end: str, *, observation_end,
                         observation_start=None, unit: str = "D", min_duration: float | None = None,
                         duration_col: str = "duration", event_col: str = "event",
                         entry_col: str = "entry") -> pd.DataFrame:
    """Tenure and churn indicator from start and (possibly missing) end dates.

    Parameters
    ----------
    df : DataFrame
        One row per subscription; not modified.
    start, end : str
        Date columns.  ``end`` is missing (NaT) for customers still active.
    observation_end : date-like
        The end of the observation window.  An end date after it counts as censored at
        ``observation_end`` (the churn had not happened yet when the data were cut).
    observation_start : date-like, optional
        The start of the window.  Customers who started before it get ``entry`` = their
        tenure at ``observation_start`` (left truncation); customers who churned before it
        are not observable and raise an error (drop them first).
    unit : {"D", "W", "M", "Y"}
        Time unit of the durations (days, weeks, average months, average years).
    min_duration : float, optional
        Durations are ``(end - start) / unit``; a same-day churn gives zero, which survival
        fits reject.  Set ``min_duration`` (e.g. 1 day in ``unit``) to floor them instead.

    Returns
    -------
    DataFrame
        A copy of ``df`` with ``duration_col``, ``event_col`` (1 churned, 0 censored) and,
        when ``observation_start`` is given, ``entry_col``.

    Examples
    --------
    >>> subs = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...                      "end": pd.to_datetime(["2024-02-01", None])})
    >>> durations_from_dates(subs, "start", "end", observation_end="2024-12-31")[["duration", "event"]]
       duration  event
    0      31.0      1
    1     305.0      0
    """
    df = require_frame(df)
    require_columns(df, [start, end])
    if unit not in _UNITS:
        raise InputError(f"unit must be one of {sorted(_UNITS)}, got {unit!r}")
    s = pd.to_datetime(df[start], errors="coerce")
    e = pd.to_datetime(df[end], errors="coerce")
    bad = df.index[s.isna()]
    if len(bad):
        raise InputError(f"column {start!r} has {len(bad)} missing or unreadable dates ({_rows_text(bad)})")
    bad = df.index[df[end].notna() & e.isna()]
    if len(bad):
        raise InputError(f"column {end!r} has {len(bad)} unreadable dates ({_rows_text(bad)})")
    obs_end = pd.Timestamp(observation_end)
    bad = df.index[s > obs_end]
    if len(bad):
        raise InputError(f"column {start!r} has {len(bad)} start dates after observation_end {obs_end.date()} "
                         f"({_rows_text(bad)})")
    bad = df.index[e.notna() & (e < s)]
    if len(bad):
        raise InputError(f"columns {start!r}/{end!r}: {len(bad)} rows end before they start ({_rows_text(bad)})")
    churned = e.notna() & (e <= obs_end)
    stop = e.where(churned, obs_end)
    days = (stop - s).dt.total_seconds().to_numpy() / 86400.0
    dur = days / _UNITS[unit]
    if min_duration is not None:
        dur = np.maximum(dur, float(min_duration))
    out = df.copy()
    out[duration_col] = dur
    out[event_col] = churned.astype(int).to_numpy()
    if observation_start is not None:
        obs_start = pd.Timestamp(observation_start)
        bad = df.index[churned & (e < obs_start)]
        if len(bad):
            raise InputError(f"{len(bad)} rows churned before observation_start {obs_start.date()} "
                             f"({_rows_text(bad)}); they cannot be observed under left truncation, drop them")
        entry = ((obs_start - s).dt.total_seconds().to_numpy() / 86400.0) / _UNITS[unit]
        out[entry_col] = np.clip(entry, 0.0, None)
    zero = out.index[out[duration_col] <= 0]
    if len(zero):
        raise InputError(f"{len(zero)} rows have a zero duration (churned the day they started: {_rows_text(zero)}); "
                         "pass min_duration to floor them")
    return out


def to_long_format(subjects: pd.DataFrame, measurements: pd.DataFrame, *, id_col: str, duration: str,
                   event: str, time_col: str, covariates) -> pd.DataFrame:
    """Start-stop (counting-process) rows for time-varying covariates.

    Each customer's tenure ``(0, duration]`` is cut at the times their covariates were
    measured (e.g. satisfaction surveys answered during tenure); a measurement holds until the
    next one (last observation carried forward).  The event flag sits on the last interval
    only.  Intervals before a customer's first measurement are dropped.

    Parameters
    ----------
    subjects : DataFrame
        One row per customer with ``id_col``, ``duration`` and ``event``.
    measurements : DataFrame
        Rows of ``id_col``, ``time_col`` (tenure at measurement) and the ``covariates``.

    Returns
    -------
    DataFrame with columns ``id_col, start, stop, event`` and the covariates, as
    :func:`cxmodels.churn.cox_time_varying` (and lifelines' ``CoxTimeVaryingFitter``) expect.
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(subjects, [id_col, duration, event], "subjects")
    require_columns(measurements, [id_col, time_col] + covariates, "measurements")
    rows = []
    meas = measurements.sort_values([id_col, time_col])
    groups = dict(tuple(meas.groupby(id_col, sort=False)))
    for _, subj in subjects.iterrows():
        m = groups.get(subj[id_col])
        if m is None:
            continue
        m = m[m[time_col] < subj[duration]]
        times = m[time_col].to_numpy(float)
        for i, (_, r) in enumerate(m.iterrows()):
            stop = times[i + 1] if i + 1 < len(times) else float(subj[duration])
            if stop <= times[i]:
                continue
            last = i + 1 == len(times)
            rows.append({id_col: subj[id_col], "start": times[i], "stop": stop,
                         event: int(subj[event]) if last else 0, **{c: r[c] for c in covariates}})
    return pd.DataFrame(rows, columns=[id_col, "start", "stop", event] + covariates)
