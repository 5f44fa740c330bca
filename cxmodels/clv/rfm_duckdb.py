"""The RFM summary computed inside DuckDB, for transaction logs too large for pandas.

:func:`cxmodels.clv.rfm_summary` sends a file path (CSV or Parquet) or a DuckDB relation
here.  The log is reduced to one row per customer and purchase day, and then to one row per
customer, by SQL in an embedded DuckDB database; only the per-customer summary comes back
to pandas.  Definitions and checks are those of the pandas path (see :mod:`.rfm`), and the
output is the same frame.  DuckDB is imported here only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _relation(con, source):
    import duckdb

    if isinstance(source, duckdb.DuckDBPyRelation):
        return source
    path = Path(source)
    if not path.exists():
        raise InputError(f"transaction file {str(path)!r} does not exist")
    if path.suffix.lower() == ".parquet":
        return con.read_parquet(str(path))
    return con.read_csv(str(path))


def _day_expr(rel, date: str) -> str:
    types = dict(zip(rel.columns, map(str, rel.types)))
    t = types[date].upper()
    col = _q(date)
    if t in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER"):
        return f"CAST(strptime(CAST({col} AS VARCHAR), '%Y%m%d') AS DATE)"
    if t.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({col} AS DATE)"
    return f"CAST(CAST({col} AS TIMESTAMP) AS DATE)"


def _who(run, where: str, column: str = "customer", table: str = "src_rel") -> str:
    n = run(f"SELECT count(DISTINCT {column}) FROM {table} WHERE {where}")[0][0]
    shown = [r[0] for r in run(f"SELECT DISTINCT {column} FROM {table} WHERE {where} ORDER BY 1 LIMIT 5")]
    more = f", ... ({n} customers in all)" if n > len(shown) else ""
    return "customers " + ", ".join(map(str, shown)) + more


def rfm_summary_duckdb(source, customer: str, date: str, value: str | None, *, observation_end, days: float,
                       time_unit, calibration_end) -> pd.DataFrame:
    """Summary of a log given as a file path or a DuckDB relation (see :func:`rfm_summary`)."""
    import duckdb

    from .rfm import _as_timestamp

    con = duckdb.connect()
    rel = _relation(con, source)
    cols = [customer, date] + ([value] if value is not None else [])
    missing = [col for col in cols if col not in rel.columns]
    if missing:
        raise InputError(f"transactions lack column(s) {missing}; they have {list(rel.columns)}")

    def run(sql):
        # SQL over the relation on its own connection ("src_rel" names the relation)
        return rel.query("src_rel", sql).fetchall()

    def run_df(sql):
        return rel.query("src_rel", sql).df()

    c, v = _q(customer), (_q(value) if value is not None else "NULL")
    for col in (customer, date):
        n = run(f"SELECT count(*) FROM src_rel WHERE {_q(col)} IS NULL")[0][0]
        if n:
            raise InputError(f"column {col!r} of transactions has {n} missing values")
    if value is not None:
        for cond, what in ((f"{v} IS NULL OR NOT isfinite(CAST({v} AS DOUBLE))", "missing or infinite values"),
                           (f"{v} < 0", "negative values")):
            n = run(f"SELECT count(*) FROM src_rel WHERE {cond}")[0][0]
            if n:
                raise InputError(f"column {value!r} of transactions has {n} {what}: {_who(run, cond, c)}")
    daily = (f"daily AS (SELECT {c} AS customer, {_day_expr(rel, date)} AS day, "
             f"sum(CAST({v} AS DOUBLE)) AS value FROM src_rel GROUP BY 1, 2)")
    try:
        last = run(f"WITH {daily} SELECT max(day) FROM daily")[0][0]
    except duckdb.Error as exc:
        raise InputError(f"column {date!r} of transactions could not be read as dates: {exc}") from exc
    end = pd.Timestamp(last) if observation_end is None else _as_timestamp(observation_end, "observation_end")
    late = f"day > DATE '{end.date()}'"
    n_late = run(f"WITH {daily} SELECT count(*) FROM daily WHERE {late}")[0][0]
    if n_late:
        who = _who(lambda sql: run(f"WITH {daily} " + sql), late, table="daily")
        raise InputError(f"column {date!r} of transactions has {n_late} purchase days after observation_end "
                         f"{end.date()}: {who}")
    cal_end = end if calibration_end is None else _as_timestamp(calibration_end, "calibration_end")
    if calibration_end is not None and cal_end >= end:
        raise InputError(f"calibration_end {cal_end.date()} must come before observation_end {end.date()}")
    sfx = "" if calibration_end is None else "_cal"
    money = (f", coalesce(avg(d.value) FILTER (WHERE d.day > f.first), 0) AS monetary_value{sfx}"
             if value is not None else "")
    sql = f"""
        WITH {daily},
             cal AS (SELECT * FROM daily WHERE day <= DATE '{cal_end.date()}'),
             f AS (SELECT customer, min(day) AS first, max(day) AS last, count(*) AS n FROM cal GROUP BY 1)
        SELECT f.customer,
               CAST(f.n - 1 AS DOUBLE) AS frequency{sfx},
               date_diff('day', f.first, f.last) / {days!r} AS recency{sfx},
               date_diff('day', f.first, DATE '{cal_end.date()}') / {days!r} AS T{sfx}
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
        out["frequency_holdout"] = hold["n"].reindex(out.index).fillna(0.0)
        if value is not None:
            out["monetary_value_holdout"] = hold["m"].reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (end - cal_end).days / days
    con.close()
    out.index.name = "customer"
    out.columns.name = None
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(end.date())
    if calibration_end is not None:
        out.attrs["calibration_end"] = str(cal_end.date())
    out.attrs["engine"] = "duckdb"
    return out
