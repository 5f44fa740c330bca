"""From a raw transaction log to the (frequency, recency, T, monetary_value) summary.

The summary follows Fader, Hardie & Lee (2005) and lifetimes' column names:

* ``frequency``: the number of *repeat* purchase days (purchases on the same calendar
  day count once; the first purchase day is not counted);
* ``recency``: time from the first to the last purchase day;
* ``T``: time from the first purchase day to the end of observation;
* ``monetary_value``: mean value of the repeat purchase days (same-day values summed),
  0 for customers without repeat purchases.

Times are measured in whole days and expressed in ``time_unit`` (``"W"``: days / 7, as
Fader and Hardie did for CDNOW).  Purchase days follow one rule on every engine
(:mod:`cxmodels.clv.dates`): pandas here, and DuckDB, Spark or any Ibis backend through the one
expression of :mod:`cxmodels.clv.rfm_engine`.  :func:`rfm_counts` reduces a log to the distinct
``(frequency, recency, T)`` rows with their counts, the sufficient statistics of the purchase
models.  With ``calibration_end`` the same four columns describe the
calibration period, and ``holdout_frequency``, ``holdout_value``, ``holdout_duration``
the holdout period: every model reads the frame as it is, without renaming.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy
way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.

Hughes, A. M. (1994). *Strategic Database Marketing*. Probus (RFM scoring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _engine
from .._validation import require_consistent_ids, require_unique_columns, rows_text
from ..errors import InputError
from . import rfm_engine
from .checks import customers_text, summary_arrays
from .dates import as_day, as_timestamp, check_time_zone, unit_days

#: Columns of a summary with a calibration/holdout split, besides the calibration summary.
HOLDOUT_COLUMNS = ("holdout_frequency", "holdout_value", "holdout_duration")


def _daily(data, customer, date, value, date_format, time_zone) -> pd.DataFrame:
    """One row per customer and purchase day: columns customer, day, (value summed)."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, a file path or a DuckDB relation, got {type(data).__name__}")
    require_unique_columns(data, "data")
    cols = [customer, date] + ([value] if value is not None else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise InputError(f"data lacks column(s) {missing}; it has {list(map(str, data.columns))}")
    if len(data) == 0:
        raise InputError("data has no rows")
    for c in (customer, date):
        na = data[c].isna()
        if na.any():
            raise InputError(f"column {c!r} of data has {int(na.sum())} missing values "
                             f"({rows_text(data.index[na.to_numpy()])})")
    require_consistent_ids(data, customer, "data")
    ids = data[customer]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.cat.categories.dtype)
    df = pd.DataFrame({"customer": ids.to_numpy(),
                       "day": as_day(data[date], date, date_format, time_zone).to_numpy()})
    if value is not None:
        v = data[value]
        if pd.api.types.is_bool_dtype(v) or not pd.api.types.is_numeric_dtype(v):
            raise InputError(f"column {value!r} of data must be numeric, has dtype {v.dtype}")
        v = v.to_numpy(dtype=float, na_value=np.nan)
        for mask, what in ((~np.isfinite(v), "missing or infinite values"), (v < 0, "negative values")):
            if mask.any():
                who = pd.unique(df["customer"].to_numpy()[mask])
                raise InputError(f"column {value!r} of data has {int(mask.sum())} {what}: {customers_text(who)}")
        df["value"] = v
    agg = {"value": ("value", "sum")} if value is not None else {}
    try:
        return df.groupby(["customer", "day"], sort=True).agg(n=("day", "size"), **agg).reset_index()
    except TypeError as exc:  # ids that cannot be ordered (e.g. 1 and "a")
        raise InputError(f"column {customer!r} of data mixes id types that cannot be sorted ({exc}); "
                         "convert it to one type first") from None


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


def _engine_ready(data: pd.DataFrame, customer, date, value) -> bool:
    """Whether the engine reads ``data`` exactly as pandas would: unique names, numeric or text ids
    of one type, a wall-clock datetime column (no zone: pandas counts a zoned one on its own
    zone, which an engine does not keep), a numeric value.  Otherwise pandas checks first."""
    cols = [customer, date] + ([value] if value is not None else [])
    if data.columns.has_duplicates or any(c not in data.columns for c in cols):
        return False
    ids, dates = data[customer], data[date]
    ok_ids = pd.api.types.is_integer_dtype(ids) or pd.api.types.is_string_dtype(ids) and \
        ids.map(type).eq(str).all()
    ok_dates = pd.api.types.is_datetime64_dtype(dates) and getattr(dates.dt, "tz", None) is None
    ok_value = value is None or (pd.api.types.is_numeric_dtype(data[value])
                                 and not pd.api.types.is_bool_dtype(data[value]))
    return bool(ok_ids and ok_dates and ok_value)


def rfm_summary(data, customer: str, date: str, value: str | None = None, *, observation_end=None,
                time_unit="W", calibration_end=None, date_format: str | None = None,
                time_zone: str | None = None, engine: str | None = None) -> pd.DataFrame:
    r"""Summarise a transaction log per customer: frequency, recency, T, monetary_value.

    Parameters
    ----------
    data : DataFrame, path, DuckDB relation, Spark DataFrame or Ibis table
        One row per purchase; not modified.  A CSV or Parquet file path (or glob), a
        ``duckdb.DuckDBPyRelation``, a ``pyspark.sql.DataFrame`` or an ``ibis.Table`` is
        summarised where it lives, by one engine-portable expression
        (:mod:`cxmodels.clv.rfm_engine`: an embedded DuckDB for files and relations, the
        DataFrame's own Spark session, the table's Ibis backend) with the same definitions,
        date rules and checks; only the per-customer summary comes back, and it is the same
        frame (extras ``duckdb``, ``spark``).
    customer, date : str
        Columns holding the customer identifier and the purchase date.  Ids that print
        alike but differ in type (``1`` and ``"1"``) are refused.  Dates follow
        :mod:`cxmodels.clv.dates`: datetimes or ISO 8601 strings; anything else needs
        ``date_format``.  Purchases on the same calendar day count once.
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
        kept; ``frequency, recency, T, [monetary_value]`` then describe the calibration
        period, and ``holdout_frequency`` (purchase days after ``calibration_end``),
        ``[holdout_value]`` (their mean value, 0 without any) and ``holdout_duration``
        (length of the holdout period in ``time_unit``) are added.
    date_format : str, optional
        ``strftime`` format of the dates (and of ``observation_end``/``calibration_end``
        when they are strings or numbers), e.g. ``"%d/%m/%Y"`` or ``"%Y%m%d"``.
    time_zone : str, optional
        IANA zone whose calendar time-zone-aware timestamps are counted on (default: each
        value's own zone; required on an engine for time-zone-aware columns: DuckDB
        ``TIMESTAMP WITH TIME ZONE``, Spark ``TIMESTAMP``, zoned Parquet timestamps).
    engine : {None, "pandas", "duckdb"}
        For a pandas frame: ``None``/``"pandas"`` summarises it with pandas (no optional
        dependency); ``"duckdb"`` runs the engine expression on an embedded DuckDB that scans the
        frame in place (wall-clock datetime column, integer or text ids; other frames are checked
        and their dates read by pandas first, then summarised on DuckDB).  Other sources always
        run on their own engine.

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
    time_zone = check_time_zone(time_zone)
    if engine not in (None, "pandas", "duckdb"):
        raise InputError(f"engine must be None, 'pandas' or 'duckdb', got {engine!r}")
    kw = dict(observation_end=observation_end, days=days, time_unit=time_unit, calibration_end=calibration_end)
    if not isinstance(data, pd.DataFrame) and _engine.is_engine_source(data):
        return rfm_engine.rfm_summary_engine(data, customer, date, value, date_format=date_format,
                                             time_zone=time_zone, **kw)
    if engine == "duckdb" and _engine_ready(data, customer, date, value):
        # plain columns: the engine applies the same checks and date rule, scanning the frame in place
        return rfm_engine.rfm_summary_engine(data, customer, date, value, date_format=date_format,
                                             time_zone=time_zone, **kw)
    daily = _daily(data, customer, date, value, date_format, time_zone)
    if engine == "duckdb":
        # rows checked and days read by the pandas rules (messages name rows); the days are
        # plain dates, so the engine needs neither the format nor the zone again
        cols = ["customer", "day"] + (["value"] if value is not None else [])
        return rfm_engine.rfm_summary_engine(daily[cols], "customer", "day",
                                             "value" if value is not None else None, **kw)
    end = (daily["day"].max() if observation_end is None
           else as_timestamp(observation_end, "observation_end", date_format))
    late = daily["day"] > end
    if late.any():
        who = pd.unique(daily.loc[late, "customer"])
        raise InputError(f"column {date!r} of data has {int(late.sum())} purchase days after "
                         f"observation_end {end.date()}: {customers_text(who)}")
    with_value = value is not None
    if calibration_end is None:
        out = _summarise(daily, end, days, with_value)
    else:
        cal_end = as_timestamp(calibration_end, "calibration_end", date_format)
        if cal_end >= end:
            raise InputError(f"calibration_end {cal_end.date()} must come before observation_end {end.date()}")
        cal = daily[daily["day"] <= cal_end]
        if len(cal) == 0:
            raise InputError(f"no purchase falls on or before calibration_end {cal_end.date()}")
        out = _summarise(cal, cal_end, days, with_value)
        hold = daily[(daily["day"] > cal_end) & daily["customer"].isin(out.index)]
        gh = hold.groupby("customer")
        out["holdout_frequency"] = gh.size().reindex(out.index).fillna(0).astype(float)
        if with_value:
            out["holdout_value"] = gh["value"].mean().reindex(out.index).fillna(0.0)
        out["holdout_duration"] = (end - cal_end).days / days
        out.attrs["calibration_end"] = str(cal_end.date())
    out.index.name = "customer"
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(end.date())
    return out


def rfm_counts(data, customer: str, date: str, *, observation_end=None, time_unit="W", calibration_end=None,
               date_format: str | None = None, time_zone: str | None = None, engine: str | None = None) -> pd.DataFrame:
    r"""Distinct ``(frequency, recency, T)`` rows of a log's summary with their counts ``n``.

    The sufficient statistics of the BG/NBD, MBG/NBD and Pareto/NBD likelihoods: customers with
    the same :math:`(x, t_x, T)` contribute identical terms, so
    :math:`\ell(\theta) = \sum_k n_k\, \ell(\theta; x_k, t_{x,k}, T_k)` over the distinct rows
    :math:`k`.  On an engine (a path, DuckDB relation, Spark DataFrame or Ibis table; see
    :func:`rfm_summary`, whose arguments these are) the grouping runs there too, so only this
    small table leaves it.  Fit with ``fit_bgnbd(counts, weights=counts["n"])``: the same
    estimates as on the full summary.  With ``calibration_end`` the rows describe the
    calibration period.

    Returns a DataFrame with columns ``frequency``, ``recency``, ``T``, ``n`` sorted by the first
    three; ``attrs`` as in :func:`rfm_summary`.
    """
    days = unit_days(time_unit)
    time_zone = check_time_zone(time_zone)
    if not isinstance(data, pd.DataFrame) and _engine.is_engine_source(data):
        return rfm_engine.rfm_counts_engine(data, customer, date, observation_end=observation_end, days=days,
                                            time_unit=time_unit, calibration_end=calibration_end,
                                            date_format=date_format, time_zone=time_zone)
    s = rfm_summary(data, customer, date, observation_end=observation_end, time_unit=time_unit,
                    calibration_end=calibration_end, date_format=date_format, time_zone=time_zone, engine=engine)
    keys = ["frequency", "recency", "T"]
    out = s.groupby(keys, sort=True).size().rename("n").astype(float).reset_index()
    out.attrs.update(s.attrs)
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


def rfm_segments(data: pd.DataFrame) -> pd.DataFrame:
    """RFM quintile scores and named segments for a summary from :func:`rfm_summary`.

    Returns a new frame (the input is not modified) with the summary's columns plus
    ``days_since_last`` (``T - recency``, in the summary's time unit; smaller is more
    recent), ``r_score``, ``f_score``, ``m_score`` (quintiles of recency of the last
    purchase, frequency and monetary value, 5 = best; tied values share a score),
    ``rfm_score`` (e.g. ``"545"``) and ``segment``: the R x F grid in :data:`SEGMENTS`
    that CRM teams report (Champions, Loyal Customers, ..., Hibernating).

    Frequency counts all purchase days (``frequency + 1``), and monetary value is the
    summary's ``monetary_value``; a summary with a holdout split is scored on its
    calibration period.
    """
    arr = summary_arrays(data, what="data")
    if "monetary_value" in data.columns:
        m = data["monetary_value"]
        if pd.api.types.is_bool_dtype(m) or not pd.api.types.is_numeric_dtype(m) \
                or not np.all(np.isfinite(m.to_numpy(float, na_value=np.nan))) or (m < 0).any():
            raise InputError("column 'monetary_value' of data must hold finite non-negative numbers")
    out = data.copy()
    out["days_since_last"] = arr["T"] - arr["recency"]
    out["r_score"] = _quintile(-out["days_since_last"])
    out["f_score"] = _quintile(out["frequency"])
    out["m_score"] = _quintile(out["monetary_value"]) if "monetary_value" in out.columns else 0
    out["rfm_score"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                        + out["m_score"].astype(str))
    out["segment"] = _segment(out["r_score"].to_numpy(), out["f_score"].to_numpy())
    return out
