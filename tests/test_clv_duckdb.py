"""rfm_summary through the engine layer on DuckDB (file path or relation) gives the pandas summary
on CDNOW (the engine-equality tests across engines and time zones: tests/test_engines_*.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxmodels import clv
from cxmodels.datasets import data_path
from cxmodels.datasets.transactions import load_cdnow

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra (installed by the test extra) is not installed")
pytest.importorskip("ibis", reason="the duckdb extra (ibis-framework[duckdb]) is not installed")

KW = dict(calibration_end="1997-09-30", observation_end="1998-06-30")


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False, rtol=1e-12)


def test_file_path_and_relation_match_pandas(tmp_path):
    tx = load_cdnow()
    ref = clv.rfm_summary(tx, "sample_id", "date", "dollar_value", **KW)
    assert list(ref.columns) == ["frequency", "recency", "T", "monetary_value", *clv.HOLDOUT_COLUMNS]
    on_file = clv.rfm_summary(str(data_path("cdnow_sample.csv")), "sample_id", "date", "dollar_value", **KW)
    assert on_file.attrs["engine"] == "duckdb"
    _same(ref, on_file)
    con = duckdb.connect()
    pq = tmp_path / "log.parquet"
    con.from_df(tx).write_parquet(str(pq))          # DuckDB's own Parquet writer
    assert pq.stat().st_size > 0
    _same(ref, clv.rfm_summary(pq, "sample_id", "date", "dollar_value", **KW))
    rel = con.read_csv(str(data_path("cdnow_sample.csv")))
    _same(ref, clv.rfm_summary(rel, "sample_id", "date", "dollar_value", **KW))
    # integer YYYYMMDD dates (with the format that says so), no value column, no split
    raw = tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype(int))
    csv = tmp_path / "raw.csv"
    raw.to_csv(csv, index=False)
    got = clv.rfm_summary(str(csv), "customer_id", "date", observation_end="1998-06-30", date_format="%Y%m%d")
    _same(clv.rfm_summary(raw, "customer_id", "date", observation_end="1998-06-30", date_format="%Y%m%d"), got)
    assert got["T"].max() == pytest.approx(545 / 7)  # 1997-01-01 to 1998-06-30
    _same(got, clv.rfm_summary(con.from_df(raw), "customer_id", "date", observation_end="1998-06-30",
                               date_format="%Y%m%d"))


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
