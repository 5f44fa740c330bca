"""From a raw transaction log to the (frequency, recency, T, monetary_value) summary.

The summary follows Fader, Hardie & Lee (2005) and lifetimes' column names:

* ``frequency``: the number of *repeat* purchase days (purchases on the same calendar
  day count once; the first purchase day is not counted);
* ``recency``: time from the first to the last purchase day;
* ``T``: time from the first purchase day to the end of observation;
* ``monetary_value``: mean value of the repeat purchase days (same-day values summed),
  0 for customers without repeat purchases.

Times are measured in whole days and expressed in ``time_unit`` (``"W"``: days / 7, as
Fader and Hardie did for CDNOW).  With ``calibration_end`` the summary is split into a
calibration period and a holdout period (lifetimes' ``_cal`` / ``_holdout`` columns).

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy
way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.

Hughes, A. M. (1994). *Strategic Database Marketing*. Probus (RFM scoring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ._checks import customers_text

_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0, "Y": 365.25}


def unit_days(time_unit) -> float:
    """Length of ``time_unit`` in days: ``"D"``, ``"W"``, ``"M"`` (365.25/12), ``"Y"`` or a number."""
    if isinstance(time_unit, str) and time_unit.upper() in _DAYS:
        return _DAYS[time_unit.upper()]
    if isinstance(time_unit, (int, float)) and not isinstance(time_unit, bool) and time_unit > 0:
        return float(time_unit)
    raise InputError(f"time_unit must be one of {sorted(_DAYS)} or a positive number of days, got {time_unit!r}")


def _as_day(values: pd.Series, column: str) -> pd.Series:
    """Calendar days (datetime64, time of day dropped) from datetimes, strings or YYYYMMDD integers."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
    elif pd.api.types.is_integer_dtype(values):
        out = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
    else:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = out.isna() & values.notna()
    if bad.any():
        raise InputError(f"column {column!r} has {int(bad.sum())} values that are not dates "
                         f"(rows {', '.join(map(str, values.index[bad][:5]))})")
    return out.dt.normalize()


def _as_timestamp(value, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(value) if isinstance(value, (int, np.integer)) else value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} must be a date, got {value!r}") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _daily(transactions, customer, date, value) -> pd.DataFrame:
    """One row per customer and purchase day: columns customer, day, (value summed)."""
    if not isinstance(transactions, pd.DataFrame):
        raise InputError(f"transactions must be a pandas DataFrame, got {type(transactions).__name__}")
    cols = [customer, date] + ([value] if value is not None else [])
    missing = [c for c in cols if c not in transactions.columns]
    if missing:
        raise InputError(f"transactions lack column(s) {missing}; they have {list(map(str, transactions.columns))}")
    if len(transactions) == 0:
        raise InputError("transactions have no rows")
    for c in (customer, date):
        na = transactions[c].isna()
        if na.any():
            raise InputError(f"column {c!r} of transactions has {int(na.sum())} missing values "
                             f"(rows {', '.join(map(str, transactions.index[na][:5]))})")
    df = pd.DataFrame({"customer": transactions[customer].to_numpy(),
                       "day": _as_day(transactions[date], date).to_numpy()})
    if value is not None:
        v = transactions[value]
        if pd.api.types.is_bool_dtype(v) or not pd.api.types.is_numeric_dtype(v):
            raise InputError(f"column {value!r} of transactions must be numeric, has dtype {v.dtype}")
        v = v.to_numpy(dtype=float, na_value=np.nan)
        for mask, what in ((~np.isfinite(v), "missing or infinite values"), (v < 0, "negative values")):
            if mask.any():
                who = pd.unique(df["customer"].to_numpy()[mask])
                raise InputError(f"column {value!r} of transactions has {int(mask.sum())} {what}: {customers_text(who)}")
        df["value"] = v
    agg = {"value": ("value", "sum")} if value is not None else {}
    return df.groupby(["customer", "day"], sort=True).agg(n=("day", "size"), **agg).reset_index()


def _summarise(daily: pd.DataFrame, end: pd.Timestamp, days: float, with_value: bool) -> pd.DataFrame:
    g = daily.groupby("customer", sort=True)
    first, last, n = g["day"].min(), g["day"].max(), g["day"].size()
    out = pd.DataFrame({
        "frequency": (n - 1).astype(float),
        "recency": (last - first).dt.days / days,
        "T": (end - first).dt.days / days,
    })
    if with_value:
        is_first = daily["day"].to_numpy() == daily["customer"].map(first).to_numpy()
        repeat = daily.loc[~is_first].groupby("customer")["value"].mean()
        out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    return out


def _is_duckdb_source(obj) -> bool:
    import os

    if isinstance(obj, (str, os.PathLike)):
        return True
    mod = type(obj).__module__ or ""
    return mod.startswith(("duckdb", "_duckdb"))


def rfm_summary(transactions: pd.DataFrame, customer: str, date: str, value: str | None = None, *,
                observation_end=None, time_unit="W", calibration_end=None) -> pd.DataFrame:
    r"""Summarise a transaction log per customer: frequency, recency, T, monetary_value.

    Parameters
    ----------
    transactions : DataFrame, path or DuckDB relation
        One row per purchase; not modified.  A CSV or Parquet file path, or a
        ``duckdb.DuckDBPyRelation``, is summarised inside an embedded DuckDB database
        (for logs too large for pandas; needs the ``duckdb`` package) with the same
        definitions and checks, and gives the same frame.
    customer, date : str
        Columns holding the customer identifier and the purchase date (datetimes, ISO
        strings or ``YYYYMMDD`` integers).  Purchases on the same calendar day count once.
    value : str, optional
        Column holding the purchase value; same-day values are summed and
        ``monetary_value`` is the mean over repeat purchase days (Fader, Hardie & Lee 2005b).
    observation_end : date, optional
        End of observation (inclusive); defaults to the last date in the log.  A purchase
        after it raises :class:`~cxmodels.errors.InputError` naming the customers.
    time_unit : {"W", "D", "M", "Y"} or float
        Unit of ``recency`` and ``T`` (a float is a number of days).  ``"W"``: weeks of 7 days.
    calibration_end : date, optional
        Split into a calibration period (up to and including this date) and a holdout
        period.  Only customers whose first purchase falls in the calibration period are
        kept; the columns are then ``frequency_cal, recency_cal, T_cal,
        [monetary_value_cal,] frequency_holdout, [monetary_value_holdout,] duration_holdout``
        (lifetimes' names), where ``frequency_holdout`` counts purchase days after
        ``calibration_end``.

    Returns
    -------
    DataFrame indexed by customer (index named ``customer``), sorted by customer;
    ``attrs["time_unit"]`` records the unit and ``attrs["observation_end"]`` the end date.

    Notes
    -----
    With purchase days :math:`d_0 < d_1 < \dots < d_x` of a customer and end date
    :math:`e`: ``frequency`` :math:`= x`, ``recency`` :math:`= (d_x - d_0)/u`,
    ``T`` :math:`= (e - d_0)/u` with :math:`u` the length of ``time_unit`` in days.
    """
    days = unit_days(time_unit)
    if not isinstance(transactions, pd.DataFrame) and _is_duckdb_source(transactions):
        from .rfm_duckdb import rfm_summary_duckdb

        return rfm_summary_duckdb(transactions, customer, date, value, observation_end=observation_end,
                                  days=days, time_unit=time_unit, calibration_end=calibration_end)
    daily = _daily(transactions, customer, date, value)
    end = daily["day"].max() if observation_end is None else _as_timestamp(observation_end, "observation_end")
    late = daily["day"] > end
    if late.any():
        who = pd.unique(daily.loc[late, "customer"])
        raise InputError(f"column {date!r} of transactions has {int(late.sum())} purchase days after "
                         f"observation_end {end.date()}: {customers_text(who)}")
    with_value = value is not None
    if calibration_end is None:
        out = _summarise(daily, end, days, with_value)
    else:
        cal_end = _as_timestamp(calibration_end, "calibration_end")
        if cal_end >= end:
            raise InputError(f"calibration_end {cal_end.date()} must come before observation_end {end.date()}")
        cal = daily[daily["day"] <= cal_end]
        if len(cal) == 0:
            raise InputError(f"no purchase falls on or before calibration_end {cal_end.date()}")
        out = _summarise(cal, cal_end, days, with_value).add_suffix("_cal")
        hold = daily[(daily["day"] > cal_end) & daily["customer"].isin(out.index)]
        gh = hold.groupby("customer")
        out["frequency_holdout"] = gh.size().reindex(out.index).fillna(0).astype(float)
        if with_value:
            out["monetary_value_holdout"] = gh["value"].mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (end - cal_end).days / days
    out.index.name = "customer"
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(end.date())
    if calibration_end is not None:
        out.attrs["calibration_end"] = str(_as_timestamp(calibration_end, "calibration_end").date())
    return out


# --- RFM scores and named segments -------------------------------------------------

#: The R x F grid most CX and CRM teams report (R and F quintile scores, 5 = best).
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("Champions", "R 5, F 4-5"),
    ("Loyal Customers", "R 3-4, F 4-5"),
    ("Potential Loyalists", "R 4-5, F 2-3"),
    ("New Customers", "R 5, F 1"),
    ("Promising", "R 4, F 1"),
    ("Need Attention", "R 3, F 3"),
    ("About to Sleep", "R 3, F 1-2"),
    ("At Risk", "R 1-2, F 3-4"),
    ("Can't Lose Them", "R 1-2, F 5"),
    ("Hibernating", "R 1-2, F 1-2"),
)


def _segment(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    conds = [
        (r == 5) & (f >= 4),
        (r >= 3) & (r <= 4) & (f >= 4),
        (r >= 4) & (f >= 2) & (f <= 3),
        (r == 5) & (f == 1),
        (r == 4) & (f == 1),
        (r == 3) & (f == 3),
        (r == 3) & (f <= 2),
        (r <= 2) & (f >= 3) & (f <= 4),
        (r <= 2) & (f == 5),
        (r <= 2) & (f <= 2),
    ]
    return np.select(conds, [name for name, _ in SEGMENTS], default="Other")


def _quintile(values: pd.Series) -> pd.Series:
    """Quintile score 1-5 from the percentile rank; tied values share one score."""
    pct = values.rank(method="average", pct=True)
    return np.clip(np.ceil(5 * pct), 1, 5).astype(int)


def rfm_segments(rfm: pd.DataFrame) -> pd.DataFrame:
    """RFM quintile scores and named segments for a summary from :func:`rfm_summary`.

    Returns a new frame (the input is not modified) with the summary's columns plus
    ``days_since_last`` (``T - recency``, in the summary's time unit; smaller is more
    recent), ``r_score``, ``f_score``, ``m_score`` (quintiles of recency of the last
    purchase, frequency and monetary value, 5 = best; tied values share a score),
    ``rfm_score`` (e.g. ``"545"``) and ``segment``: the R x F grid in :data:`SEGMENTS`
    that CRM teams report (Champions, Loyal Customers, ..., Hibernating).

    Frequency counts all purchase days (``frequency + 1``), and monetary value is the
    summary's ``monetary_value``; a summary with ``_cal`` columns is scored on them.
    """
    sfx = "_cal" if "frequency_cal" in rfm.columns else ""
    from ._checks import summary_arrays
    view = rfm.rename(columns=lambda c: c[:-4] if sfx and c.endswith("_cal") else c)
    arr = summary_arrays(view[[c for c in ("frequency", "recency", "T") if c in view.columns]], what="rfm")
    out = rfm.copy()
    out["days_since_last"] = arr["T"] - arr["recency"]
    out["r_score"] = _quintile(-out["days_since_last"])
    out["f_score"] = _quintile(out[f"frequency{sfx}"])
    mcol = f"monetary_value{sfx}"
    out["m_score"] = _quintile(out[mcol]) if mcol in out.columns else 0
    out["rfm_score"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                        + out["m_score"].astype(str))
    out["segment"] = _segment(out["r_score"].to_numpy(), out["f_score"].to_numpy())
    return out
