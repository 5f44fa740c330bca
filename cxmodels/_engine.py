r"""One engine layer for aggregations that outgrow pandas: DuckDB by default, Spark when asked.

Aggregations that reduce a large log to a small table of sufficient statistics (the RFM
summary of :mod:`cxmodels.clv`, spend summaries, A/B counts per variant and segment,
weighted means and covariances per group for SEM, person-period tables for discrete-time
hazards) are written **once** as `Ibis <https://ibis-project.org>`_ expressions.  Ibis
compiles one expression to the SQL of many engines: its DuckDB backend is embedded (the
default, out of core: it spills to disk under a memory limit) and its PySpark, BigQuery,
Snowflake, Trino ... backends run the same expression where the data already live.  Only
the aggregated table comes back to pandas.

:func:`table` accepts

* a pandas ``DataFrame`` (scanned in place by an embedded DuckDB),
* a path to a Parquet or CSV file (or a glob such as ``"log/*.parquet"``), read by DuckDB
  without loading it into memory,
* a ``duckdb.DuckDBPyRelation``,
* a ``pyspark.sql.DataFrame`` (run on its own Spark session: local or a cluster),
* an ``ibis.Table`` of any Ibis backend,

and returns an :class:`EngineTable`: the Ibis expression, its backend and the engine's own
type of each column (Ibis maps Spark's ``TIMESTAMP`` and ``TIMESTAMP_NTZ`` to one type,
but one is an instant and the other a wall-clock reading, which matters for dates).

Ibis, DuckDB and PySpark are optional (extras ``duckdb`` and ``spark``), imported through
:func:`cxmodels._lazy.optional_import`.  Why Ibis rather than SQL strings per engine: one
expression, type-checked when it is built, with the dialect differences (date arithmetic,
regular expressions, ``strptime`` formats) handled by a maintained compiler.
"""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._lazy import optional_import
from .errors import InputError

_names = itertools.count()


def ibis_module(extra: str = "duckdb"):
    """The ``ibis`` module, or a DependencyError naming the extra that installs it."""
    return optional_import("ibis", extra, "aggregations on DuckDB or Spark")


@dataclass
class EngineTable:
    """A table on an engine: ``expr`` (an ``ibis.Table``), ``backend`` (``"duckdb"``,
    ``"pyspark"``, ...), and ``native`` (column -> the engine's own type name, upper case)."""

    expr: object
    backend: str
    native: dict = field(default_factory=dict)
    con: object = None
    session: object = None  # the SparkSession of a Spark source

    @property
    def columns(self) -> list[str]:
        return list(self.expr.columns)

    def execute(self, expr=None) -> pd.DataFrame:
        """Run ``expr`` (default: the table) and return pandas; engine errors become InputError."""
        return execute(self.expr if expr is None else expr, self.backend)

    def scalar(self, expr):
        """A scalar expression's value (a count, a maximum) as a Python object."""
        return execute(expr, self.backend)


def execute(expr, backend: str = ""):
    try:
        with warnings.catch_warnings():
            # Ibis' DuckDB backend calls a method DuckDB 2 deprecates; not the caller's concern
            warnings.simplefilter("ignore", DeprecationWarning)
            return expr.execute()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - every engine raises its own error types
        raise InputError(f"the {backend or 'engine'} backend could not compute the aggregation: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def duckdb_connection(memory_limit: str | None = None, threads: int | None = None, temp_directory=None):
    """An embedded DuckDB connection through Ibis (``memory_limit`` such as ``"4GB"`` spills to
    ``temp_directory`` beyond it)."""
    optional_import("duckdb", "duckdb", "aggregations on DuckDB")
    ibis = ibis_module()
    config = {}
    if memory_limit is not None:
        config["memory_limit"] = str(memory_limit)
    if threads is not None:
        config["threads"] = int(threads)
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return ibis.duckdb.connect(**config)


def _is_spark(obj) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("pyspark.sql") and hasattr(obj, "sparkSession")


def _is_duckdb_relation(obj) -> bool:
    return (type(obj).__module__ or "").startswith(("duckdb", "_duckdb"))


def _is_ibis(obj) -> bool:
    return (type(obj).__module__ or "").startswith("ibis.")


def is_engine_source(obj) -> bool:
    """Whether ``obj`` is something :func:`table` reads other than a pandas frame."""
    return (isinstance(obj, (str, os.PathLike)) or _is_spark(obj) or _is_duckdb_relation(obj)
            or _is_ibis(obj))


def table(data, *, text_columns=(), con=None, what: str = "data") -> EngineTable:
    """``data`` (see the module docstring) as an :class:`EngineTable`.

    ``text_columns`` are read as text from a CSV file (dates, so that the same strings meet the
    same rules as in a pandas frame).  ``con`` is an Ibis DuckDB connection to use for paths,
    relations and frames (default: a new in-memory one, see :func:`duckdb_connection`).
    """
    if _is_spark(data):
        return _spark_table(data)
    if _is_ibis(data):
        if not hasattr(data, "schema") or not callable(getattr(data, "schema")):
            raise InputError(f"{what} must be an ibis Table, got {type(data).__name__}")
        con = data._find_backend(use_default=True)
        return EngineTable(data, con.name, {k: str(v).upper() for k, v in data.schema().items()}, con,
                           getattr(con, "_session", None))
    con = con if con is not None else duckdb_connection()
    duckdb = optional_import("duckdb", "duckdb", "aggregations on DuckDB")
    try:
        return _duckdb_table(con, data, text_columns, what)
    except duckdb.Error as exc:
        raise InputError(f"DuckDB could not read {what}: {str(exc).splitlines()[0]}") from None


def _duckdb_table(con, data, text_columns, what) -> EngineTable:
    raw = con.con
    if isinstance(data, pd.DataFrame):
        if data.columns.has_duplicates:
            dup = data.columns[data.columns.duplicated()].unique().tolist()
            raise InputError(f"{what} has duplicate column names {dup}")
        name = f"cx_frame_{next(_names)}"
        raw.register(name, data)           # a view on the frame: nothing is copied or modified
        rel = raw.table(name)
    elif isinstance(data, (str, os.PathLike)):
        rel = _file_relation(raw, data, text_columns)
    elif _is_duckdb_relation(data):
        rel = _relation_on(raw, data)
    else:
        raise InputError(f"{what} must be a pandas DataFrame, a Parquet or CSV path, a DuckDB relation, "
                         f"a Spark DataFrame or an ibis Table; got {type(data).__name__}")
    rel = _plain_timestamps(rel)
    name = f"cx_src_{next(_names)}"
    rel.create_view(name)
    native = dict(zip(rel.columns, (str(t).upper() for t in rel.types)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expr = con.table(name)
    return EngineTable(expr, "duckdb", native, con)


def _plain_timestamps(rel):
    """Nanosecond/second timestamps (pandas' Parquet, some CSV readers) as DuckDB's microsecond
    ones, which Ibis types; a zoned one stays an instant (TIMESTAMPTZ)."""
    cols, changed = [], False
    for c, t in zip(rel.columns, (str(t).upper() for t in rel.types)):
        q = '"' + c.replace('"', '""') + '"'
        if t.startswith("TIMESTAMP") and t not in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
            zoned = "TZ" in t or "TIME ZONE" in t
            cols.append(f"CAST({q} AS {'TIMESTAMPTZ' if zoned else 'TIMESTAMP'}) AS {q}")
            changed = True
        else:
            cols.append(q)
    return rel.project(", ".join(cols)) if changed else rel


def _file_relation(raw, path, text_columns):
    text = str(path)
    p = Path(text)
    if not any(ch in text for ch in "*?[") and not p.exists():
        raise InputError(f"transaction file {text!r} does not exist")
    duckdb = optional_import("duckdb", "duckdb", "reading Parquet and CSV files")
    try:
        if p.suffix.lower() in (".parquet", ".pq") or text.lower().endswith(".parquet"):
            return raw.read_parquet(text)
        return raw.read_csv(text, dtype={c: "VARCHAR" for c in text_columns} or None)
    except duckdb.Error as exc:
        raise InputError(f"file {text!r} could not be read as Parquet or CSV: {exc}") from None


def _relation_on(raw, rel):
    """A DuckDB relation made on any connection, on ours: by its SQL when that is self-contained
    (files, tables of a shared database), else streamed through Arrow (materialised)."""
    duckdb = optional_import("duckdb", "duckdb", "DuckDB relations")
    try:
        return raw.sql(rel.sql_query())
    except (duckdb.Error, AttributeError):
        name = f"cx_arrow_{next(_names)}"
        raw.register(name, rel.to_arrow_table())
        return raw.table(name)


def _spark_table(sdf) -> EngineTable:
    optional_import("pyspark", "spark", "aggregations on Spark")
    ibis = ibis_module("spark")
    con = ibis.pyspark.connect(sdf.sparkSession)
    name = f"cx_src_{next(_names)}"
    sdf.createOrReplaceTempView(name)
    native = {c: t.upper() for c, t in sdf.dtypes}
    return EngineTable(con.table(name), "pyspark", native, con, sdf.sparkSession)


# --- portable aggregations -----------------------------------------------------------

def _cols(t: EngineTable, names, what="data"):
    missing = [c for c in names if c not in t.columns]
    if missing:
        raise InputError(f"{what} lacks column(s) {missing}; it has {t.columns}")


def _numeric(t: EngineTable, names, what="data"):
    for c in names:
        typ = t.expr[c].type()
        if not (typ.is_numeric() and not typ.is_boolean()):
            raise InputError(f"column {c!r} of {what} must be numeric, has type {typ}")


def _no_missing(t: EngineTable, names, what="data"):
    e = t.expr
    counts = e.aggregate(_rows=e.count(), **{f"n{i}": (e[c].isnull() | ((e[c].isnan() | e[c].isinf())
                                                     if e[c].type().is_floating() else False)).sum()
                            for i, c in enumerate(names)})
    row = t.execute(counts).iloc[0]
    if int(row["_rows"]) == 0:
        raise InputError(f"{what} has no rows")
    for i, c in enumerate(names):
        if row[f"n{i}"]:
            raise InputError(f"column {c!r} of {what} has {int(row[f'n{i}'])} missing or infinite values")


def _as_list(x):
    return [] if x is None else [x] if isinstance(x, str) else list(x)


def _ordered(frame: pd.DataFrame, keys) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


def distinct_counts(data, columns, *, count: str = "n") -> pd.DataFrame:
    """Distinct rows of ``columns`` with their counts (column ``count``), sorted by ``columns``.

    The compression a likelihood on a million customers needs (the BG/NBD's distinct
    ``(frequency, recency, T)``): only this table leaves the engine.
    """
    t = data if isinstance(data, EngineTable) else table(data)
    columns = _as_list(columns)
    _cols(t, columns)
    e = t.expr
    out = t.execute(e.group_by(columns).aggregate(**{count: e.count()}))
    out[count] = out[count].astype(float)
    return _ordered(out, columns)


def group_moments(data, columns, *, group=None, weight=None) -> dict:
    r"""Weighted sufficient statistics per group: counts, means and covariance matrices.

    With weights :math:`w_i` (1 by default), per group :math:`W = \sum w_i`,
    :math:`\bar x = \sum w_i x_i / W` and the (ML, divisor :math:`W`) covariance
    :math:`S = \sum w_i x_i x_i^\top / W - \bar x \bar x^\top`, computed from the engine's
    sums of :math:`w x_j` and :math:`w x_j x_k` (one pass, :math:`p(p+3)/2` sums); multiply by
    :math:`W/(W-1)` for the unbiased form.  Rows with a missing value in ``columns`` are refused.

    Returns ``{group label: {"n": rows, "weight": W, "mean": Series, "cov": DataFrame}}``
    (label ``None`` without ``group``).
    """
    t = data if isinstance(data, EngineTable) else table(data)
    columns, groups = _as_list(columns), _as_list(group)
    _cols(t, columns + groups + _as_list(weight))
    _numeric(t, columns + _as_list(weight))
    _no_missing(t, columns + _as_list(weight))
    e = t.expr
    if weight is not None:
        nneg = int(t.scalar((e[weight].cast("float64") < 0).sum()))
        if nneg:
            raise InputError(f"column {weight!r} of data must hold non-negative weights; {nneg} rows do not")
    w = e[weight].cast("float64") if weight is not None else 1.0
    x = {c: e[c].cast("float64") for c in columns}
    aggs = {"_n": e.count(), "_w": e[weight].cast("float64").sum() if weight is not None else e.count()}
    for i, a in enumerate(columns):
        aggs[f"_s{i}"] = (x[a] * w).sum()
        for j in range(i, len(columns)):
            aggs[f"_q{i}_{j}"] = (x[a] * x[columns[j]] * w).sum()
    grouped = e.group_by(groups).aggregate(**aggs) if groups else e.aggregate(**aggs)
    raw = _ordered(t.execute(grouped), groups)
    out = {}
    p = len(columns)
    for _, row in raw.iterrows():
        W = float(row["_w"])
        if not W > 0:
            label = "" if not groups else f" in group {tuple(row[g] for g in groups)}"
            raise InputError(f"the weights in column {weight!r} sum to 0{label}: no moments to compute")
        mean = np.array([row[f"_s{i}"] for i in range(p)], float) / W
        q = np.empty((p, p))
        for i in range(p):
            for j in range(i, p):
                q[i, j] = q[j, i] = row[f"_q{i}_{j}"] / W
        cov = q - np.outer(mean, mean)
        key = None if not groups else (row[groups[0]] if len(groups) == 1 else tuple(row[g] for g in groups))
        out[key] = {"n": int(row["_n"]), "weight": W, "mean": pd.Series(mean, index=columns),
                    "cov": pd.DataFrame(cov, index=columns, columns=columns)}
    return out


def arm_statistics(data, group: str, value: str, *, segment=None) -> pd.DataFrame:
    r"""A/B sufficient statistics per variant (``group``) and ``segment``.

    Columns ``n`` (rows), ``sum`` (:math:`\sum y`, the conversions of a 0/1 outcome),
    ``sum_sq`` (:math:`\sum y^2`), ``mean`` and ``var`` (unbiased,
    :math:`(\sum y^2 - n\bar y^2)/(n-1)`): everything a Beta-Binomial or a normal-model
    comparison of arms needs, so only this table leaves the engine.
    """
    t = data if isinstance(data, EngineTable) else table(data)
    keys = [group] + _as_list(segment)
    _cols(t, keys + [value])
    e = t.expr
    typ = e[value].type()
    if not (typ.is_numeric() or typ.is_boolean()):
        raise InputError(f"column {value!r} of data must be numeric or boolean, has type {typ}")
    _no_missing(t, [value] + keys)
    y = e[value].cast("float64") if not typ.is_boolean() else e[value].cast("int64").cast("float64")
    out = t.execute(e.group_by(keys).aggregate(n=e.count(), sum=y.sum(), sum_sq=(y * y).sum()))
    out["n"] = out["n"].astype(np.int64)
    out["mean"] = out["sum"] / out["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["var"] = np.where(out["n"] > 1, (out["sum_sq"] - out["n"] * out["mean"] ** 2) / (out["n"] - 1),
                              np.nan)
    out["var"] = out["var"].clip(lower=0)
    return _ordered(out, keys)


def person_period(data, duration: str, event: str, *, customer: str, keep=None) -> pd.DataFrame:
    """One row per customer and period at risk (discrete-time hazards), built on the engine.

    ``duration`` holds whole periods at risk (>= 1), ``event`` 1 when the customer churned at
    the end of the last one.  Returns ``customer``, ``period`` (1..duration), ``churn`` (1 in
    the last period of a churner) and the ``keep`` columns, sorted by customer and period (the
    layout of ``cxmodels.churn.to_person_period``).  The expansion is a join with the periods
    ``1..max(duration)``, so it runs where the data are; use it when the expanded table, not
    the raw one, is what fits in memory.
    """
    ibis = ibis_module()
    t = data if isinstance(data, EngineTable) else table(data)
    keep = _as_list(keep)
    _cols(t, [duration, event, customer] + keep)
    _numeric(t, [duration])
    _no_missing(t, [duration, event, customer])
    e = t.expr
    d = e[duration].cast("float64")
    bad = t.scalar(((d < 1) | (d != d.floor())).sum())
    if bad:
        raise InputError(f"column {duration!r} of data must hold whole numbers of periods >= 1 "
                         f"({int(bad)} rows do not)")
    ev = e[event].cast("int64") if e[event].type().is_boolean() else e[event]
    nbad = t.scalar((~ev.isin([0, 1])).sum())
    if nbad:
        raise InputError(f"column {event!r} of data must hold 0/1 (or booleans); {int(nbad)} rows do not")
    top = int(t.scalar(d.max()))
    periods = ibis.memtable({"period": np.arange(1, top + 1, dtype=np.int64)})
    base = e.select(customer=e[customer], _d=d.cast("int64"), _e=ev.cast("int64"), **{k: e[k] for k in keep})
    j = base.join(periods, base._d >= periods.period)
    out = j.mutate(churn=((j.period == j._d) & (j._e == 1)).cast("int64"))
    out = out.select("customer", "period", "churn", *keep)
    frame = t.execute(out.order_by(["customer", "period"]))
    frame["period"] = frame["period"].astype(np.int64)
    return frame.reset_index(drop=True)


def chunks(data, columns, *, size: int = 1_000_000, order=None):
    """Yield pandas frames of at most ``size`` rows of ``columns`` (bounded memory).

    Streams a DuckDB source through Arrow record batches (in the source's order) and a Spark
    one partition by partition (``toLocalIterator``, sorted by ``order``); other Ibis engines are
    paged with ``order_by(order).limit(size, offset)`` (give ``order`` a unique key there).
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise InputError(f"size must be a positive whole number of rows, got {size!r}")
    t = data if isinstance(data, EngineTable) else table(data)
    columns = _as_list(columns)
    _cols(t, columns)
    e = t.expr.select(columns)
    if t.backend == "duckdb":
        # the engine's own Arrow stream (Ibis 12's batch reader calls an API DuckDB 2 removed)
        ibis = ibis_module()
        reader = t.con.con.sql(ibis.to_sql(e, dialect="duckdb")).to_arrow_reader(int(size))
        for batch in reader:
            if batch.num_rows:
                yield batch.to_pandas()
        return
    if order is not None:
        e = e.order_by(_as_list(order))
    if t.backend == "pyspark" and t.session is not None:
        # Spark streams one partition at a time to the driver
        ibis = ibis_module()
        rows = t.session.sql(ibis.to_sql(e, dialect="pyspark")).toLocalIterator()
        while True:
            block = list(itertools.islice(rows, int(size)))
            if not block:
                return
            yield pd.DataFrame([r.asDict() for r in block], columns=columns)
    n = int(t.scalar(e.count()))
    for start in range(0, n, int(size)):
        yield t.execute(e.limit(int(size), offset=start))
