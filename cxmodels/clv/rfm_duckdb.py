"""The RFM summary computed inside DuckDB, for transaction logs too large for pandas.

:func:`cxmodels.clv.rfm_summary` sends a file path (CSV or Parquet) or a DuckDB relation
here.  The log is reduced to one row per customer and purchase day, and then to one row per
customer, by SQL in an embedded DuckDB database; only the per-customer summary comes back
to pandas.  Definitions, date rules (:mod:`cxmodels.clv.dates`) and checks are those of the
pandas path, and the output is the same frame.  DuckDB is an optional dependency, imported
through :func:`cxmodels._lazy.optional_import`.

A DuckDB column has one type, so ids such as ``1`` and ``"1"`` cannot be two customers here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._lazy import optional_import
from ..errors import InputError
from .dates import ISO_DATE, NUMBER_TEXT, ambiguous_message, as_timestamp, numbers_message


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _relation(duckdb, con, source, date: str):
    if isinstance(source, duckdb.DuckDBPyRelation):
        return source
    path = Path(source)
    if not path.exists():
        raise InputError(f"transaction file {str(path)!r} does not exist")
    if path.suffix.lower() == ".parquet":
        return con.read_parquet(str(path))
    # dates are read as text, as pandas reads a CSV: the same strings meet the same rules
    try:
        return con.read_csv(str(path), dtype={date: "VARCHAR"})
    except duckdb.Error as exc:
        raise InputError(f"transaction file {str(path)!r} could not be read as CSV: {exc}") from None


def _day_expr(run, rel, date: str, date_format, time_zone) -> str:
    """SQL for the purchase day of each row, after checking the column as the pandas path does."""
    types = dict(zip(rel.columns, map(str, rel.types)))
    t = types[date].upper()
    col = _q(date)
    numeric = t in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER", "SMALLINT", "DOUBLE", "FLOAT",
                    "REAL") or t.startswith("DECIMAL")
    if date_format is not None:
        text = (f"CAST(CAST({col} AS BIGINT) AS VARCHAR)" if numeric
                else f"regexp_replace(trim(CAST({col} AS VARCHAR)), '^([0-9]+)\\.0+$', '\\1')")
        parsed = f"try_strptime({text}, {_lit(date_format)})"
        n, example = run(f"SELECT count(*), any_value({col}) FILTER (WHERE {parsed} IS NULL) "
                         f"FROM src_rel WHERE {parsed} IS NULL")[0]
        if n:
            raise InputError(f"column {date!r} has {n} values that do not match date_format {date_format!r} "
                             f"(e.g. {example!r})")
        return f"CAST({parsed} AS DATE)"
    if numeric:
        raise InputError(numbers_message(date))
    if t == "BOOLEAN":
        raise InputError(f"column {date!r} holds booleans, not dates")
    if "WITH TIME ZONE" in t:
        if time_zone is None:
            raise InputError(f"column {date!r} is a DuckDB TIMESTAMP WITH TIME ZONE, which stores instants "
                             "without their zone: pass time_zone= (e.g. 'UTC' or 'Europe/Berlin') to say on "
                             "which calendar purchases count")
        return f"CAST(timezone({_lit(time_zone)}, {col}) AS DATE)"
    if t.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({col} AS DATE)"
    # text: ISO 8601 only; the day as written (its own offset), or converted to time_zone
    text = f"trim(CAST({col} AS VARCHAR))"
    n, example = run(f"SELECT count(*), any_value({col}) FROM src_rel "
                     f"WHERE NOT regexp_full_match({text}, {_lit(ISO_DATE[1:-1])})")[0]
    if n:
        n_num = run(f"SELECT count(*) FROM src_rel WHERE NOT regexp_full_match({text}, {_lit(ISO_DATE[1:-1])}) "
                    f"AND NOT regexp_full_match({text}, {_lit(NUMBER_TEXT[1:-1])})")[0][0]
        if n_num == 0:
            raise InputError(numbers_message(date))
        raise InputError(ambiguous_message(date, n, f"{n} rows", example))
    day = f"try_cast(substr({text}, 1, 10) AS DATE)"
    n = run(f"SELECT count(*) FROM src_rel WHERE {day} IS NULL")[0][0]
    if n:
        raise InputError(f"column {date!r} has {n} values that are not dates")
    if time_zone is not None:
        offset = f"regexp_matches({text}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') AND length({text}) > 10"
        instant = f"CAST(replace({text}, 'T', ' ') AS TIMESTAMPTZ)"
        return f"CASE WHEN {offset} THEN CAST(timezone({_lit(time_zone)}, {instant}) AS DATE) ELSE {day} END"
    return day


def _who(run, where: str, column: str = "customer", table: str = "src_rel") -> str:
    n = run(f"SELECT count(DISTINCT {column}) FROM {table} WHERE {where}")[0][0]
    shown = [r[0] for r in run(f"SELECT DISTINCT {column} FROM {table} WHERE {where} ORDER BY 1 LIMIT 5")]
    more = f", ... ({n} customers in all)" if n > len(shown) else ""
    return "customers " + ", ".join(map(str, shown)) + more


def rfm_summary_duckdb(source, customer: str, date: str, value: str | None, *, observation_end, days: float,
                       time_unit, calibration_end, date_format=None, time_zone=None) -> pd.DataFrame:
    """Summary of a log given as a file path or a DuckDB relation (see :func:`rfm_summary`)."""
    duckdb = optional_import("duckdb", "duckdb", "rfm_summary on a file path or a DuckDB relation")
    con = duckdb.connect()
    try:
        return _summary(duckdb, con, source, customer, date, value, observation_end, days, time_unit,
                        calibration_end, date_format, time_zone)
    finally:
        con.close()


def _summary(duckdb, con, source, customer, date, value, observation_end, days, time_unit, calibration_end,
             date_format, time_zone):
    rel = _relation(duckdb, con, source, date)
    cols = [customer, date] + ([value] if value is not None else [])
    missing = [col for col in cols if col not in rel.columns]
    if missing:
        raise InputError(f"data lacks column(s) {missing}; it has {list(rel.columns)}")

    def run(sql):
        # SQL over the relation on its own connection ("src_rel" names the relation)
        try:
            return rel.query("src_rel", sql).fetchall()
        except duckdb.Error as exc:
            raise InputError(f"DuckDB could not summarise the log: {exc}") from None

    def run_df(sql):
        try:
            return rel.query("src_rel", sql).df()
        except duckdb.Error as exc:
            raise InputError(f"DuckDB could not summarise the log: {exc}") from None

    c, v = _q(customer), (_q(value) if value is not None else "NULL")
    if run("SELECT count(*) FROM src_rel")[0][0] == 0:
        raise InputError("data has no rows")
    for col in (customer, date):
        n = run(f"SELECT count(*) FROM src_rel WHERE {_q(col)} IS NULL")[0][0]
        if n:
            raise InputError(f"column {col!r} of data has {n} missing values")
    if value is not None:
        vt = dict(zip(rel.columns, map(str, rel.types)))[value].upper()
        if vt in ("VARCHAR", "BOOLEAN", "DATE") or vt.startswith("TIMESTAMP"):
            raise InputError(f"column {value!r} of data must be numeric, has type {vt}")
        for cond, what in ((f"{v} IS NULL OR NOT isfinite(CAST({v} AS DOUBLE))", "missing or infinite values"),
                           (f"{v} < 0", "negative values")):
            n = run(f"SELECT count(*) FROM src_rel WHERE {cond}")[0][0]
            if n:
                raise InputError(f"column {value!r} of data has {n} {what}: {_who(run, cond, c)}")
    day = _day_expr(run, rel, date, date_format, time_zone)
    daily = (f"daily AS (SELECT {c} AS customer, {day} AS day, "
             f"sum(CAST({v} AS DOUBLE)) AS value FROM src_rel GROUP BY 1, 2)")
    last = run(f"WITH {daily} SELECT max(day) FROM daily")[0][0]
    end = (pd.Timestamp(last) if observation_end is None
           else as_timestamp(observation_end, "observation_end", date_format))
    late = f"day > DATE '{end.date()}'"
    n_late = run(f"WITH {daily} SELECT count(*) FROM daily WHERE {late}")[0][0]
    if n_late:
        who = _who(lambda sql: run(f"WITH {daily} " + sql), late, table="daily")
        raise InputError(f"column {date!r} of data has {n_late} purchase days after observation_end "
                         f"{end.date()}: {who}")
    cal_end = end if calibration_end is None else as_timestamp(calibration_end, "calibration_end", date_format)
    if calibration_end is not None and cal_end >= end:
        raise InputError(f"calibration_end {cal_end.date()} must come before observation_end {end.date()}")
    money = (", coalesce(avg(d.value) FILTER (WHERE d.day > f.first), 0) AS monetary_value"
             if value is not None else "")
    sql = f"""
        WITH {daily},
             cal AS (SELECT * FROM daily WHERE day <= DATE '{cal_end.date()}'),
             f AS (SELECT customer, min(day) AS first, max(day) AS last, count(*) AS n FROM cal GROUP BY 1)
        SELECT f.customer,
               CAST(f.n - 1 AS DOUBLE) AS frequency,
               date_diff('day', f.first, f.last) / {days!r} AS recency,
               date_diff('day', f.first, DATE '{cal_end.date()}') / {days!r} AS T
               {money}
        FROM f JOIN cal d ON d.customer = f.customer
        GROUP BY f.customer, f.n, f.first, f.last
        ORDER BY f.customer"""
    out = run_df(sql).set_index("customer")
    if out.empty:
        raise InputError(f"no purchase falls on or before calibration_end {cal_end.date()}")
    if calibration_end is not None:
        hold = run_df(f"""WITH {daily} SELECT customer, CAST(count(*) AS DOUBLE) AS n, avg(value) AS m FROM daily
                          WHERE day > DATE '{cal_end.date()}' GROUP BY 1""").set_index("customer")
        out["holdout_frequency"] = hold["n"].reindex(out.index).fillna(0.0)
        if value is not None:
            out["holdout_value"] = hold["m"].reindex(out.index).fillna(0.0)
        out["holdout_duration"] = (end - cal_end).days / days
        out.attrs["calibration_end"] = str(cal_end.date())
    out.index.name = "customer"
    out.columns.name = None
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(end.date())
    out.attrs["engine"] = "duckdb"
    return out
