r"""Purchase days from a date column: the one rule both RFM engines (pandas, DuckDB) follow.

A purchase counts on the **calendar day of the clock that recorded it**:

* ``datetime64`` values without a time zone, and ISO 8601 strings (``YYYY-MM-DD``, with an
  optional time), are read as they are; the time of day is dropped.
* A time-zone-aware pandas column counts on the calendar of its own zone
  (``2024-01-01 23:30+01:00`` is 1 January); ISO strings with a UTC offset count on the
  date as written (each value's own offset, so a shop's summer and winter offsets are one
  zone, not two).
* ``time_zone="Europe/Berlin"`` (any IANA name) converts every time-zone-aware value to that
  zone first, so logs mixing zones count on one calendar.  DuckDB's ``TIMESTAMP WITH TIME
  ZONE`` stores instants without their zone, so there it is required: the summary is refused
  without it rather than counted on the zone of the machine that runs it.
* Other strings (``"05/01/2024"``: 5 January or 1 May?) are ambiguous and refused unless
  ``date_format`` (a ``strftime`` format such as ``"%d/%m/%Y"``) says how to read them;
  nothing is guessed value by value.
* Numbers are refused as dates unless ``date_format`` says what they are
  (``date_format="%Y%m%d"`` for CDNOW's ``19970101``); they are never read as nanoseconds.

The same rules, with the same messages, are applied on every engine (DuckDB, Spark, any Ibis
backend) by :func:`engine_day`, which :mod:`cxmodels.clv.rfm_engine` uses.  On an engine the zone
of a time-zone-aware column (DuckDB ``TIMESTAMP WITH TIME ZONE``, Spark ``TIMESTAMP``, a Parquet
timestamp with a zone) is not part of the value, so ``time_zone`` is required there.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from .._validation import rows_text
from ..errors import InputError

_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0, "Y": 365.25}

#: ISO 8601 date at the start of a string; what follows (time, offset) does not change the day.
ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
_ISO = re.compile(ISO_DATE)
#: a number written as text (``19970101``, ``19970101.0``): refused without a format, as numbers are
NUMBER_TEXT = r"^[0-9]+(\.0+)?$"


def unit_days(time_unit) -> float:
    """Length of ``time_unit`` in days: ``"D"``, ``"W"``, ``"M"`` (365.25/12), ``"Y"`` or a number."""
    if isinstance(time_unit, str) and time_unit.upper() in _DAYS:
        return _DAYS[time_unit.upper()]
    if isinstance(time_unit, (int, float)) and not isinstance(time_unit, bool) and time_unit > 0:
        return float(time_unit)
    raise InputError(f"time_unit must be one of {sorted(_DAYS)} or a positive number of days, got {time_unit!r}")


def ambiguous_message(column: str, n: int, rows: str, example) -> str:
    """The error for strings that are not ISO dates (shared with the DuckDB engine)."""
    return (f"column {column!r} has {n} values that are not dates in ISO 8601 form YYYY-MM-DD "
            f"({rows}; e.g. {example!r}); a date such as '05/01/2024' could be 5 January or 1 May, "
            "so nothing is guessed: pass date_format= (e.g. '%d/%m/%Y' or '%m/%d/%Y')")


def numbers_message(column: str) -> str:
    return (f"column {column!r} holds numbers, which are not read as dates without a format "
            "(19970101 would otherwise be 19,970,101 nanoseconds after 1970): pass date_format= "
            "(e.g. '%Y%m%d')")


def check_time_zone(time_zone) -> str | None:
    """``time_zone`` as a valid IANA name (or None)."""
    if time_zone is None:
        return None
    try:
        pd.Timestamp("2000-01-01", tz=time_zone)
    except Exception as exc:  # noqa: BLE001 - pytz/zoneinfo raise several types
        raise InputError(f"time_zone must be an IANA time-zone name such as 'Europe/Berlin' or 'UTC', "
                         f"got {time_zone!r}") from exc
    return str(time_zone)


def _from_format(values: pd.Series, column: str, date_format: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        text = values.map(_number_text)
    else:
        text = values.astype(str).str.strip().str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)
    out = pd.to_datetime(text, format=date_format, errors="coerce")
    bad = out.isna()
    if bad.any():
        raise InputError(f"column {column!r} has {int(bad.sum())} values that do not match date_format "
                         f"{date_format!r} ({rows_text(values.index[bad])}; e.g. {values[bad].iloc[0]!r})")
    return out


def _number_text(v) -> str:
    # 19970101.0 (a float column after a NaN) -> "19970101"
    return str(int(v)) if float(v).is_integer() else str(v)


def _wall_time(v):
    """A datetime's reading on its own clock (tz dropped), anything else unchanged."""
    if isinstance(v, _dt.datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)
    return v


def as_day(values: pd.Series, column: str, date_format: str | None = None,
           time_zone: str | None = None) -> pd.Series:
    """Calendar days (``datetime64[ns]`` at midnight) by the rules of the module docstring.

    ``values`` has no missing values (checked by the caller).  Raises InputError naming the
    column and rows for anything that is not a date or is ambiguous.
    """
    if pd.api.types.is_bool_dtype(values):
        raise InputError(f"column {column!r} holds booleans, not dates")
    if date_format is not None:
        if not isinstance(date_format, str):
            raise InputError(f"date_format must be a strftime format string such as '%Y-%m-%d', got {date_format!r}")
        out = _from_format(values, column, date_format)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert(time_zone) if time_zone else out
            out = out.dt.tz_localize(None)
        return out.dt.normalize()
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            if time_zone:
                out = out.dt.tz_convert(time_zone)
            out = out.dt.tz_localize(None)          # its own (or the chosen) zone's wall clock
        return out.dt.normalize()
    if pd.api.types.is_numeric_dtype(values):
        raise InputError(numbers_message(column))
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if values.map(lambda v: isinstance(v, (_dt.datetime, _dt.date, np.datetime64))).all():
        if time_zone:
            stamps = values.map(lambda v: pd.Timestamp(v).tz_convert(time_zone)
                                if pd.Timestamp(v).tzinfo is not None else pd.Timestamp(v))
        else:
            stamps = values
        return pd.to_datetime(stamps.map(_wall_time)).dt.normalize()
    if values.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)).any():
        raise InputError(numbers_message(column))
    text = values.astype(str).str.strip()
    iso = text.str.match(ISO_DATE)
    if not iso.all():
        if text[~iso].str.match(NUMBER_TEXT).all():
            raise InputError(numbers_message(column))
        bad = values.index[~iso.to_numpy()]
        raise InputError(ambiguous_message(column, len(bad), rows_text(bad), values[~iso.to_numpy()].iloc[0]))
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", regex=True) & (text.str.len() > 10)
    if time_zone and has_offset.any():
        out = pd.to_datetime(text, format="ISO8601", utc=True).dt.tz_convert(time_zone).dt.tz_localize(None)
        return out.dt.normalize()
    days = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad = days.isna()
    if bad.any():  # 2024-02-30
        raise InputError(f"column {column!r} has {int(bad.sum())} values that are not dates "
                         f"({rows_text(values.index[bad])}; e.g. {values[bad].iloc[0]!r})")
    return days


def as_timestamp(value, name: str, date_format: str | None = None) -> pd.Timestamp:
    """A single date argument (``observation_end``, ``calibration_end``) as a calendar day.

    ISO 8601 strings are always accepted; other strings and numbers need ``date_format``.
    """
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        ts = pd.Timestamp(value)
        return (ts.tz_localize(None) if ts.tzinfo is not None else ts).normalize()
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise InputError(f"{name} must be a date, got {value!r}")
    s = pd.Series([value], dtype=object if isinstance(value, str) else None)
    if isinstance(value, str) and _ISO.match(value.strip()):
        date_format = None  # ISO 8601 is unambiguous whatever the column's format
    try:
        day = as_day(s, name, date_format)
    except InputError as exc:
        raise InputError(str(exc).replace(f"column {name!r}", name)) from None
    return day.iloc[0]


# --- the same rule on an engine (DuckDB, Spark, any Ibis backend) ------------------------

def _builtin(name: str, args: dict, out):
    """The engine's own scalar function ``name`` as an Ibis builtin UDF (argument types ``args``)."""
    import inspect

    import ibis
    import ibis.expr.datatypes as dt

    def fn(*a):  # pragma: no cover - never run: the engine evaluates its own function
        ...
    fn.__name__ = name
    fn.__annotations__ = {k: dt.dtype(v) for k, v in args.items()} | {"return": dt.dtype(out)}
    fn.__signature__ = inspect.Signature([inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                          for k in args])
    return ibis.udf.scalar.builtin(fn)


def _zone_day(tbl, instant, time_zone: str):
    """Calendar day in ``time_zone`` of an instant (a time-zone-aware timestamp) on the engine."""
    if tbl.backend == "duckdb":
        wall = _builtin("timezone", {"zone": "string", "ts": "timestamp('UTC')"}, "timestamp")
        return wall(time_zone, instant).date()
    if tbl.backend == "pyspark":
        # from_utc_timestamp shifts the stored microseconds by the zone's offset at that instant;
        # unix_micros reads them back whatever the session's time zone, so the day does not
        # depend on spark.sql.session.timeZone
        shift = _builtin("from_utc_timestamp", {"ts": "timestamp", "zone": "string"}, "timestamp")
        micros = _builtin("unix_micros", {"ts": "timestamp"}, "int64")
        as_date = _builtin("date_from_unix_date", {"days": "int64"}, "date")
        return as_date((micros(shift(instant, time_zone)) / 86_400_000_000).floor().cast("int64"))
    raise InputError(f"time-zone-aware timestamps are converted to a calendar on DuckDB and Spark only, "
                     f"not on the {tbl.backend} backend: give the column as a DATE or a local timestamp")


def engine_day(tbl, column: str, date_format: str | None = None, time_zone: str | None = None):
    """The purchase day of each row of an engine table (an Ibis date expression), by the rules of
    the module docstring, after the same checks and with the same messages as :func:`as_day`.

    ``tbl`` is a :class:`cxmodels._engine.EngineTable`; its engine-native column types tell an
    instant (DuckDB ``TIMESTAMP WITH TIME ZONE``, Spark ``TIMESTAMP``) from a wall-clock reading.
    """
    e = tbl.expr
    col = e[column]
    typ = col.type()
    native = tbl.native.get(column, "").upper()
    if typ.is_boolean():
        raise InputError(f"column {column!r} holds booleans, not dates")
    numeric = typ.is_numeric()
    if date_format is not None:
        if not isinstance(date_format, str):
            raise InputError(f"date_format must be a strftime format string such as '%Y-%m-%d', got {date_format!r}")
        text = (col.cast("int64").cast("string") if numeric
                else col.cast("string").strip().re_replace(r"^([0-9]+)\.0+$", r"\1"))
        parsed = text.as_timestamp(date_format)
        try:
            bad = tbl.execute(e.aggregate(n=parsed.isnull().sum(), ex=col.cast("string").arbitrary(where=parsed.isnull())))
        except InputError as exc:
            # engines in ANSI mode (Spark 4) stop at the first unparseable value instead of
            # returning null; say what the user must fix, with the engine's own words after it
            raise InputError(f"column {column!r} has values that do not match date_format {date_format!r} "
                             f"({exc})") from None
        n = int(bad["n"].iloc[0])
        if n:
            raise InputError(f"column {column!r} has {n} values that do not match date_format {date_format!r} "
                             f"(e.g. {bad['ex'].iloc[0]!r})")
        return parsed.date()
    if numeric:
        raise InputError(numbers_message(column))
    if typ.is_date():
        return col
    if typ.is_timestamp():
        aware = (typ.timezone is not None or "WITH TIME ZONE" in native
                 or (tbl.backend == "pyspark" and native == "TIMESTAMP"))
        if not aware:
            return col.date()
        if time_zone is None:
            raise InputError(f"column {column!r} holds time-zone-aware timestamps ({native or typ}), which on "
                             "an engine are instants without their zone: pass time_zone= (e.g. 'UTC' or "
                             "'Europe/Berlin') to say on which calendar purchases count")
        return _zone_day(tbl, col, time_zone)
    if not typ.is_string():
        raise InputError(f"column {column!r} has type {typ}, which is not a date")
    # text: ISO 8601 only; the day as written (its own offset), or converted to time_zone
    text = col.strip()
    iso = text.re_search(ISO_DATE)
    day = text.substr(0, 10).try_cast("date")
    bad = tbl.execute(e.aggregate(n=(~iso).sum(), num=text.re_search(NUMBER_TEXT).min(where=~iso),
                                  ex=col.arbitrary(where=~iso), nday=day.isnull().sum()))
    n = int(bad["n"].iloc[0])
    if n:
        if bool(bad["num"].iloc[0]):
            raise InputError(numbers_message(column))
        raise InputError(ambiguous_message(column, n, f"{n} rows", bad["ex"].iloc[0]))
    n = int(bad["nday"].iloc[0])
    if n:
        raise InputError(f"column {column!r} has {n} values that are not dates")
    if time_zone is None:
        return day
    has_offset = text.re_search(r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$") & (text.length() > 10)
    if tbl.backend == "pyspark":
        # Spark's own parser reads the offset (Ibis' cast would not)
        instant = _builtin("to_timestamp", {"s": "string"}, "timestamp")(text)
    else:
        instant = text.replace("T", " ").cast("timestamp('UTC')")
    return has_offset.ifelse(_zone_day(tbl, instant, time_zone), day)
