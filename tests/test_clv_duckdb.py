"""rfm_summary through DuckDB (file path or relation) gives the pandas summary."""

from __future__ import annotations

import pandas as pd
import pytest

from cxmodels import clv
from cxmodels.datasets import data_path
from cxmodels.datasets.transactions import load_cdnow

import duckdb  # noqa: E402  (the test extra installs it)

KW = dict(calibration_end="1997-09-30", observation_end="1998-06-30")


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False, rtol=1e-12)


def test_file_path_and_relation_match_pandas(tmp_path):
    tx = load_cdnow()
    ref = clv.rfm_summary(tx, "sample_id", "date", "dollar_value", **KW)
    _same(ref, clv.rfm_summary(str(data_path("cdnow_sample.csv")), "sample_id", "date", "dollar_value", **KW))
    pq = tmp_path / "log.parquet"
    tx.to_parquet(pq) if _has_parquet() else None
    if pq.exists():
        _same(ref, clv.rfm_summary(pq, "sample_id", "date", "dollar_value", **KW))
    con = duckdb.connect()
    rel = con.read_csv(str(data_path("cdnow_sample.csv")))
    _same(ref, clv.rfm_summary(rel, "sample_id", "date", "dollar_value", **KW))
    # integer YYYYMMDD dates, no value column, no split
    raw = tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype(int))
    csv = tmp_path / "raw.csv"
    raw.to_csv(csv, index=False)
    _same(clv.rfm_summary(raw, "customer_id", "date", observation_end="1998-06-30"),
          clv.rfm_summary(str(csv), "customer_id", "date", observation_end="1998-06-30"))


def _has_parquet():
    try:
        import pyarrow  # noqa: F401
        return True
    except ImportError:
        return False


def test_duckdb_path_checks_name_customers(tmp_path):
    tx = load_cdnow()
    bad = tx.assign(dollar_value=tx["dollar_value"].where(tx["sample_id"] != 7, -1.0))
    f = tmp_path / "bad.csv"
    bad.to_csv(f, index=False)
    with pytest.raises(ValueError, match=r"'dollar_value'.*negative.*customers 7"):
        clv.rfm_summary(str(f), "sample_id", "date", "dollar_value")
    with pytest.raises(ValueError, match=r"after observation_end 1997-06-30: customers 1, 6, 8, 9, 11, ... \(\d+ customers in all\)"):
        clv.rfm_summary(str(data_path("cdnow_sample.csv")), "sample_id", "date", observation_end="1997-06-30")
    with pytest.raises(ValueError, match="does not exist"):
        clv.rfm_summary(str(tmp_path / "nope.csv"), "sample_id", "date")
