"""One RFM expression, every engine: pandas and DuckDB (frame, Parquet, CSV, relation, Ibis table).

A seeded log whose purchases cluster around midnight in Europe/Berlin (both sides of the DST
changes), so a summary counted on the wrong calendar differs.  Every engine must return the
frame of the pandas reference, time zones included (the rule of :mod:`cxmodels.clv.dates`).
Spark: tests/test_engines_spark.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxmodels import clv
from cxmodels.errors import InputError

ibis = pytest.importorskip("ibis", reason="the duckdb extra (ibis-framework[duckdb]) is not installed")
duckdb = pytest.importorskip("duckdb", reason="the duckdb extra (duckdb) is not installed")

from engine_data import KW, transaction_log  # noqa: E402


@pytest.fixture(scope="module")
def log():
    return transaction_log()


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False, rtol=1e-12)


def _ref(log, zone=None, **kw):
    return clv.rfm_summary(log, "customer", "ts", "value", time_zone=zone, **(kw or KW))


def test_duckdb_sources_equal_pandas_with_zones(log, tmp_path):
    ref = _ref(log)
    assert list(ref.columns) == ["frequency", "recency", "T", "monetary_value", *clv.HOLDOUT_COLUMNS]
    before = log.copy()
    # the pandas frame through the engine expression
    _same(ref, clv.rfm_summary(log, "customer", "ts", "value", engine="duckdb", **KW))
    # a wall-clock column is scanned in place by DuckDB (no pandas pass)
    _same(ref, clv.rfm_summary(log, "customer", "local", "value", engine="duckdb", **KW))
    pd.testing.assert_frame_equal(log, before)
    pq = tmp_path / "log.parquet"
    log.to_parquet(pq)                                   # a zoned timestamp: an instant on the engine
    with pytest.raises(InputError, match=r"'ts'.*time-zone-aware.*time_zone="):
        clv.rfm_summary(pq, "customer", "ts", "value", **KW)
    _same(ref, clv.rfm_summary(pq, "customer", "ts", "value", time_zone="Europe/Berlin", **KW))
    ny = _ref(log, "America/New_York")
    assert not ny.equals(ref)                            # the zone matters for this log
    _same(ny, clv.rfm_summary(pq, "customer", "ts", "value", time_zone="America/New_York", **KW))
    # ISO strings with offsets: each on its own offset, or converted to the zone asked for
    _same(ref, clv.rfm_summary(pq, "customer", "iso", "value", **KW))
    _same(ny, clv.rfm_summary(pq, "customer", "iso", "value", time_zone="America/New_York", **KW))
    # wall-clock timestamps and their text, from Parquet, CSV and a relation
    _same(ref, clv.rfm_summary(pq, "customer", "local", "value", **KW))
    csv = tmp_path / "log.csv"
    log.to_csv(csv, index=False)
    _same(ref, clv.rfm_summary(str(csv), "customer", "text", "value", **KW))
    rel = duckdb.connect().read_parquet(str(pq))
    _same(ny, clv.rfm_summary(rel, "customer", "ts", "value", time_zone="America/New_York", **KW))
    # an Ibis table of any backend
    _same(ref, clv.rfm_summary(ibis.memtable(log[["customer", "text", "value"]]), "customer", "text", "value", **KW))
    # no split, no value, in days
    plain = clv.rfm_summary(log, "customer", "local", observation_end="2024-10-31", time_unit="D")
    _same(plain, clv.rfm_summary(pq, "customer", "local", observation_end="2024-10-31", time_unit="D"))


def test_engine_checks_name_customers(log, tmp_path):
    bad = log.assign(value=log["value"].where(log["customer"] != "c007", -1.0))
    pq = tmp_path / "bad.parquet"
    bad.to_parquet(pq)
    with pytest.raises(InputError, match=r"'value'.*negative.*customers c007"):
        clv.rfm_summary(pq, "customer", "local", "value")
    with pytest.raises(InputError, match=r"after observation_end 2024-02-01: customers c000, c001"):
        clv.rfm_summary(pq, "customer", "local", observation_end="2024-02-01")
    amb = log.assign(text=log["local"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(InputError, match=r"'text'.*not dates in ISO 8601.*date_format"):
        clv.rfm_summary(ibis.memtable(amb[["customer", "text"]]), "customer", "text")
    _same(clv.rfm_summary(amb, "customer", "text", date_format="%d/%m/%Y"),
          clv.rfm_summary(ibis.memtable(amb[["customer", "text"]]), "customer", "text", date_format="%d/%m/%Y"))
    with pytest.raises(InputError, match="engine must be"):
        clv.rfm_summary(log, "customer", "ts", engine="polars")
