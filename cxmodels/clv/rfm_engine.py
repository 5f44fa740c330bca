r"""The RFM / calibration-holdout summary written once, for every engine (DuckDB, Spark, Ibis).

:func:`cxmodels.clv.rfm_summary` sends a file path (CSV or Parquet), a DuckDB relation, a
Spark DataFrame or an Ibis table here (and a pandas frame when ``engine="duckdb"``).  The
log is reduced to one row per customer and purchase day, and then to one row per customer,
by one Ibis expression (:func:`summary_expr`) that DuckDB, Spark and the other Ibis backends
compile to their own SQL; only the per-customer summary comes back to pandas.  Definitions,
date rules (:func:`cxmodels.clv.dates.engine_day`) and checks are those of the pandas path,
and the output is the same frame.

With purchase days :math:`d_0 < \dots < d_x` of a customer up to the calibration end
:math:`e`: frequency :math:`x`, recency :math:`(d_x - d_0)/u`, T :math:`(e - d_0)/u`,
monetary value the mean over :math:`d_1..d_x` of the day's summed value (Fader, Hardie & Lee
2005); holdout frequency and value count the purchase days after :math:`e`.

An engine column has one type, so ids such as ``1`` and ``"1"`` cannot be two customers here.
"""

from __future__ import annotations

import pandas as pd

from .. import _engine
from ..errors import InputError
from .dates import as_timestamp, engine_day


def _who(tbl, rows, customer="customer") -> str:
    """``customers a, b, ... (n customers in all)`` for the customers in the filtered ``rows``."""
    ids = rows.select(customer).distinct()
    n = int(tbl.scalar(ids.count()))
    shown = list(tbl.execute(ids.order_by(customer).limit(5))[customer])
    more = f", ... ({n} customers in all)" if n > len(shown) else ""
    return "customers " + ", ".join(map(str, shown)) + more


def _check(tbl, customer, date, value):
    """Missing ids and dates, non-numeric, missing, infinite or negative values (one pass)."""
    e = tbl.expr
    cols = [customer, date] + ([value] if value is not None else [])
    missing = [c for c in cols if c not in tbl.columns]
    if missing:
        raise InputError(f"data lacks column(s) {missing}; it has {tbl.columns}")
    aggs = dict(rows=e.count(), c=e[customer].isnull().sum(), d=e[date].isnull().sum())
    conds = {}
    if value is not None:
        typ = e[value].type()
        if typ.is_boolean() or not typ.is_numeric():
            raise InputError(f"column {value!r} of data must be numeric, has type {typ}")
        v = e[value].cast("float64")
        conds = {"missing or infinite values": v.isnull() | v.isnan() | v.isinf(), "negative values": v < 0}
        aggs.update({f"v{i}": cond.sum() for i, cond in enumerate(conds.values())})
    counts = tbl.execute(e.aggregate(**aggs)).iloc[0]
    if int(counts["rows"]) == 0:
        raise InputError("data has no rows")
    for col, key in ((customer, "c"), (date, "d")):
        if int(counts[key]):
            raise InputError(f"column {col!r} of data has {int(counts[key])} missing values")
    for i, (what, cond) in enumerate(conds.items()):
        n = int(counts[f"v{i}"])
        if n:
            rows = e.filter(cond).select(customer=e[customer])
            raise InputError(f"column {value!r} of data has {n} {what}: {_who(tbl, rows)}")


def daily_expr(tbl, customer, date, value, date_format=None, time_zone=None):
    """One row per customer and purchase day (``customer``, ``day``, ``value`` summed)."""
    e = tbl.expr
    day = engine_day(tbl, date, date_format, time_zone)
    v = e[value].cast("float64") if value is not None else e[customer].isnull().cast("float64")
    base = e.select(customer=e[customer], day=day, value=v)
    return base.group_by(["customer", "day"]).aggregate(value=base.value.sum())


def summary_expr(daily, cal_end, end, days: float, with_value: bool, holdout: bool):
    """The per-customer summary of a daily table as one Ibis expression (the module docstring)."""
    import ibis

    cal_day = ibis.date(str(cal_end.date()))
    cal = daily.filter(daily.day <= cal_day)
    f = cal.group_by("customer").aggregate(first=cal.day.min(), last=cal.day.max(), n=cal.count())
    out = f.select(
        "customer",
        frequency=(f.n - 1).cast("float64"),
        recency=f.last.delta(f.first, unit="day").cast("float64") / days,
        T=cal_day.delta(f.first, unit="day").cast("float64") / days,
    )
    if with_value:
        j = cal.join(f.select("customer", "first"), "customer")
        money = j.filter(j.day > j.first).group_by("customer").aggregate(monetary_value=j.value.mean())
        out = out.left_join(money, "customer").select(*out.columns, monetary_value=money.monetary_value.fill_null(0.0))
    if holdout:
        hold = daily.filter(daily.day > cal_day)
        h = hold.group_by("customer").aggregate(holdout_frequency=hold.count().cast("float64"),
                                                 holdout_value=hold.value.mean())
        cols = list(out.columns)
        extra = {"holdout_frequency": h.holdout_frequency.fill_null(0.0)}
        if with_value:
            extra["holdout_value"] = h.holdout_value.fill_null(0.0)
        out = out.left_join(h, "customer").select(*cols, **extra)
        out = out.mutate(holdout_duration=ibis.literal(float((end - cal_end).days / days)))
    return out.order_by("customer")


def _prepared(source, customer, date, value, observation_end, days, calibration_end, date_format, time_zone):
    """Checked engine table, the summary expression and the dates it used."""
    import ibis

    tbl = source if isinstance(source, _engine.EngineTable) else _engine.table(source, text_columns=[date])
    _check(tbl, customer, date, value)
    daily = daily_expr(tbl, customer, date, value, date_format, time_zone)
    if observation_end is None:
        end, n_late = pd.Timestamp(tbl.scalar(daily.day.max())), 0
    else:
        end = as_timestamp(observation_end, "observation_end", date_format)
        n_late = int(tbl.scalar((daily.day > ibis.date(str(end.date()))).sum()))
    late = daily.filter(daily.day > ibis.date(str(end.date())))
    if n_late:
        raise InputError(f"column {date!r} of data has {n_late} purchase days after observation_end "
                         f"{end.date()}: {_who(tbl, late)}")
    cal_end = end if calibration_end is None else as_timestamp(calibration_end, "calibration_end", date_format)
    if calibration_end is not None and cal_end >= end:
        raise InputError(f"calibration_end {cal_end.date()} must come before observation_end {end.date()}")
    expr = summary_expr(daily, cal_end, end, days, value is not None, calibration_end is not None)
    return tbl, expr, end, cal_end


def rfm_summary_engine(source, customer: str, date: str, value: str | None, *, observation_end, days: float,
                       time_unit, calibration_end, date_format=None, time_zone=None) -> pd.DataFrame:
    """Summary of a log on an engine (see :func:`cxmodels.clv.rfm_summary`)."""
    tbl, expr, end, cal_end = _prepared(source, customer, date, value, observation_end, days, calibration_end,
                                        date_format, time_zone)
    out = tbl.execute(expr)
    if out.empty:
        raise InputError(f"no purchase falls on or before calibration_end {cal_end.date()}")
    out = out.set_index("customer")
    for c in out.columns:
        out[c] = out[c].astype(float)
    out.index.name = "customer"
    out.columns.name = None
    if calibration_end is not None:
        out.attrs["calibration_end"] = str(cal_end.date())
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(end.date())
    out.attrs["engine"] = tbl.backend
    return out


def rfm_counts_engine(source, customer: str, date: str, *, observation_end, days: float, time_unit,
                      calibration_end, date_format=None, time_zone=None) -> pd.DataFrame:
    """Distinct (frequency, recency, T) rows and their counts, computed on the engine."""
    tbl, expr, end, cal_end = _prepared(source, customer, date, None, observation_end, days, calibration_end,
                                        date_format, time_zone)
    keys = ["frequency", "recency", "T"]
    out = tbl.execute(expr.group_by(keys).aggregate(n=expr.count()))
    if out.empty:
        raise InputError(f"no purchase falls on or before calibration_end {cal_end.date()}")
    out = out.astype(float).sort_values(keys, kind="stable").reset_index(drop=True)
    out.attrs.update(time_unit=time_unit, observation_end=str(end.date()), engine=tbl.backend)
    if calibration_end is not None:
        out.attrs["calibration_end"] = str(cal_end.date())
    return out
