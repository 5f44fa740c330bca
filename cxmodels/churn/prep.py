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

from .._validation import require_columns, require_frame, rows_text
from ..errors import InputError
from .checks import check_duration, check_event, require_single_columns

_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def _dates(data: pd.DataFrame, column: str, date_format: str | None, *, required: bool) -> pd.Series:
    """Read a date column by one rule: datetime columns as they are; text as ISO 8601
    (``2024-05-01``) unless ``date_format`` says otherwise; numbers only with a ``date_format``
    (``"%Y%m%d"``).  Anything else is refused rather than guessed (``05/01/2024`` could be
    May 1 or January 5).  Time zones: aware timestamps are converted to UTC and compared
    as UTC wall time; naive ones are taken as they are."""
    s = data[column]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    if pd.api.types.is_bool_dtype(s):
        raise InputError(f"column {column!r} holds booleans, not dates")
    text = s
    if pd.api.types.is_numeric_dtype(s):
        if date_format is None:
            raise InputError(f"column {column!r} holds numbers, not dates; numbers are read as dates only with "
                             "date_format= saying what they are (e.g. date_format='%Y%m%d')")
        text = s.map(lambda v: f"{v:.0f}" if pd.notna(v) and float(v).is_integer() else (None if pd.isna(v) else str(v)))
    text = text.where(text.notna(), None)
    try:
        if date_format is None:
            out = pd.to_datetime(text, format="ISO8601", errors="coerce")
        else:
            out = pd.to_datetime(text, format=date_format, errors="coerce")
    except (TypeError, ValueError) as exc:
        raise InputError(f"column {column!r} could not be read as dates ({exc})") from None
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = data.index[s.notna() & out.isna()]
    if len(bad):
        how = f"with date_format={date_format!r}" if date_format else \
            "as ISO 8601 dates (YYYY-MM-DD); pass date_format= (e.g. '%d/%m/%Y') to say how they are written"
        raise InputError(f"column {column!r} has {len(bad)} values that cannot be read {how} ({rows_text(bad)}; "
                         f"e.g. {s.loc[bad[0]]!r})")
    if required:
        na = data.index[out.isna()]
        if len(na):
            raise InputError(f"column {column!r} has {len(na)} missing dates ({rows_text(na)})")
    return out


def _timestamp(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a date (e.g. '2024-12-31'), got {value!r}") from None
    if ts is pd.NaT:
        raise InputError(f"{what} must be a date, got {value!r}")
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def durations_from_dates(data: pd.DataFrame, start: str, end: str, *, observation_end,
                         observation_start=None, time_unit: str = "D", date_format: str | None = None,
                         min_duration: float | None = None, duration: str = "duration", event: str = "event",
                         entry: str = "entry") -> pd.DataFrame:
    """Tenure and churn indicator from start and (possibly missing) end dates.

    Parameters
    ----------
    data : DataFrame
        One row per subscription; not modified.
    start, end : str
        Date columns.  ``end`` is missing (NaT) for customers still active.  Text is read as
        ISO 8601 unless ``date_format`` is given; numbers only with ``date_format``.
    observation_end : date-like
        The end of the observation window.  An end date after it counts as censored at
        ``observation_end`` (the churn had not happened yet when the data were cut).
    observation_start : date-like, optional
        The start of the window.  Customers who started before it get ``entry`` = their
        tenure at ``observation_start`` (left truncation); customers who churned before it
        are not observable and raise an error (drop them first).
    time_unit : {"D", "W", "M", "Y"}
        Time unit of the durations (days, weeks, average months, average years).
    date_format : str, optional
        A ``strftime`` format for text (or number) dates, e.g. ``"%d/%m/%Y"``.
    min_duration : float, optional
        Durations are ``(end - start) / time_unit``; a same-day churn gives zero, which
        survival fits reject.  Set ``min_duration`` (e.g. 1 day in ``time_unit``) to floor them.
    duration, event, entry : str
        Names of the new columns.

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``duration``, ``event`` (1 churned, 0 censored) and, when
        ``observation_start`` is given, ``entry``.

    Examples
    --------
    >>> subs = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...                      "end": pd.to_datetime(["2024-02-01", None])})
    >>> durations_from_dates(subs, "start", "end", observation_end="2024-12-31")[["duration", "event"]]
       duration  event
    0      31.0      1
    1     305.0      0
    """
    data = require_frame(data)
    require_columns(data, [start, end])
    if time_unit not in _UNITS:
        raise InputError(f"time_unit must be one of {sorted(_UNITS)}, got {time_unit!r}")
    for c in {start, end}:
        if int((data.columns == c).sum()) > 1:
            raise InputError(f"data has more than one column named {c!r}; rename them so each name is unique")
    s = _dates(data, start, date_format, required=True)
    e = _dates(data, end, date_format, required=False)
    obs_end = _timestamp(observation_end, "observation_end")
    bad = data.index[s > obs_end]
    if len(bad):
        raise InputError(f"column {start!r} has {len(bad)} start dates after observation_end {obs_end.date()} "
                         f"({rows_text(bad)})")
    bad = data.index[e.notna() & (e < s)]
    if len(bad):
        raise InputError(f"columns {start!r}/{end!r}: {len(bad)} rows end before they start ({rows_text(bad)})")
    churned = e.notna() & (e <= obs_end)
    stop = e.where(churned, obs_end)
    days = (stop - s).dt.total_seconds().to_numpy() / 86400.0
    dur = days / _UNITS[time_unit]
    if min_duration is not None:
        if isinstance(min_duration, bool) or not isinstance(min_duration, (int, float)) or not min_duration > 0:
            raise InputError(f"min_duration must be a number > 0, got {min_duration!r}")
        dur = np.maximum(dur, float(min_duration))
    out = data.copy()
    out[duration] = dur
    out[event] = churned.astype(int).to_numpy()
    if observation_start is not None:
        obs_start = _timestamp(observation_start, "observation_start")
        bad = data.index[churned & (e < obs_start)]
        if len(bad):
            raise InputError(f"{len(bad)} rows churned before observation_start {obs_start.date()} "
                             f"({rows_text(bad)}); they cannot be observed under left truncation, drop them")
        ent = ((obs_start - s).dt.total_seconds().to_numpy() / 86400.0) / _UNITS[time_unit]
        out[entry] = np.clip(ent, 0.0, None)
    zero = out.index[out[duration] <= 0]
    if len(zero):
        raise InputError(f"{len(zero)} rows have a zero duration (churned the day they started: {rows_text(zero)}); "
                         "pass min_duration to floor them")
    return out


def to_long_format(data: pd.DataFrame, measurements: pd.DataFrame, *, customer: str, duration: str,
                   event: str, time: str, covariates) -> pd.DataFrame:
    """Start-stop (counting-process) rows for time-varying covariates.

    Each customer's tenure ``(0, duration]`` is cut at the times their covariates were
    measured (e.g. satisfaction surveys answered during tenure); a measurement holds until the
    next one (last observation carried forward).  The event flag sits on the last interval
    only.  Intervals before a customer's first measurement are dropped.

    Parameters
    ----------
    data : DataFrame
        One row per customer with ``customer``, ``duration`` and ``event``; not modified.
    measurements : DataFrame
        Rows of ``customer``, ``time`` (tenure at measurement) and the ``covariates``.

    Returns
    -------
    DataFrame with columns ``customer, start, stop, event`` and the covariates, as
    :func:`cxmodels.churn.cox_time_varying` (and lifelines' ``CoxTimeVaryingFitter``) expect.
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_frame(data, "data")
    require_frame(measurements, "measurements")
    require_columns(data, [customer, duration, event], "data")
    require_columns(measurements, [customer, time] + covariates, "measurements")
    require_single_columns(data, [customer, duration, event], "data")
    require_single_columns(measurements, [customer, time] + covariates, "measurements")
    check_duration(data, duration)
    check_event(data, event)
    from .._validation import require_consistent_ids, require_numeric

    require_numeric(measurements, [time], "measurements")
    require_consistent_ids(data, customer, "data")
    require_consistent_ids(measurements, customer, "measurements")
    dup = data.index[data[customer].duplicated(keep=False)]
    if len(dup):
        raise InputError(f"column {customer!r} of data repeats customers ({rows_text(dup)}); one row per customer")
    rows = []
    meas = measurements.sort_values([customer, time])
    groups = dict(tuple(meas.groupby(customer, sort=False, observed=True)))
    for _, subj in data.iterrows():
        m = groups.get(subj[customer])
        if m is None:
            continue
        m = m[m[time] < subj[duration]]
        times = m[time].to_numpy(float)
        for i, (_, r) in enumerate(m.iterrows()):
            stop = times[i + 1] if i + 1 < len(times) else float(subj[duration])
            if stop <= times[i]:
                continue
            last = i + 1 == len(times)
            rows.append({customer: subj[customer], "start": times[i], "stop": stop,
                         event: int(subj[event]) if last else 0, **{c: r[c] for c in covariates}})
    return pd.DataFrame(rows, columns=[customer, "start", "stop", event] + covariates)
