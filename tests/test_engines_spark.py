"""The engine expressions on a local Spark (PySpark, local[1]): the same frames as pandas.

One Spark session for the module; its own time zone is deliberately Asia/Tokyo, so a day that
depended on the session's zone would show.  Skipped, with the reason, only when PySpark or Java
is absent (.ci/run installs Debian's openjdk-17-jre-headless when missing and then sets
CXMODELS_REQUIRE_SPARK=1, which makes a missing Spark a failure).
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from cxmodels import _engine, clv
from cxmodels.churn import to_person_period
from cxmodels.clv.rfm import rfm_counts
from cxmodels.clv.scoring import iter_scores
from cxmodels.errors import InputError

# CXMODELS_REQUIRE_SPARK=1 (set by .ci/run when Java is present) turns a skip into a failure
if os.environ.get("CXMODELS_REQUIRE_SPARK") == "1":
    import ibis  # noqa: F401
    import pyspark  # noqa: F401
    assert shutil.which("java"), "CXMODELS_REQUIRE_SPARK=1 but no java on PATH"
pytest.importorskip("ibis", reason="the duckdb extra (ibis-framework[duckdb]) is not installed")
pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (Debian: openjdk-17-jre-headless, installed by .ci/run)", allow_module_level=True)

from engine_data import KW, bgnbd_log, survey, transaction_log  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[1]").appName("cxmodels-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.sql.session.timeZone", "Asia/Tokyo").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False, rtol=1e-12)


def test_rfm_on_spark_equals_pandas_with_zones(spark):
    log = transaction_log()
    sdf = spark.createDataFrame(log[["customer", "ts", "iso", "value"]])
    assert dict(sdf.dtypes)["ts"] == "timestamp"          # an instant: the zone must be named
    ref = clv.rfm_summary(log, "customer", "ts", "value", **KW)
    with pytest.raises(InputError, match="time_zone="):
        clv.rfm_summary(sdf, "customer", "ts", "value", **KW)
    got = clv.rfm_summary(sdf, "customer", "ts", "value", time_zone="Europe/Berlin", **KW)
    assert got.attrs["engine"] == "pyspark"
    _same(ref, got)
    _same(ref, clv.rfm_summary(sdf, "customer", "iso", "value", **KW))
    _same(clv.rfm_summary(log, "customer", "ts", "value", time_zone="America/New_York", **KW),
          clv.rfm_summary(sdf, "customer", "iso", "value", time_zone="America/New_York", **KW))


def test_counts_and_scores_on_spark(spark):
    log = bgnbd_log(customers=300)
    # day-first text dates, read with the strftime format (Ibis gives Spark its own pattern)
    sdf = spark.createDataFrame(log.assign(date=log["date"].dt.strftime("%d/%m/%Y")))
    counts = rfm_counts(sdf, "customer", "date", observation_end="2024-10-31", date_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(counts, rfm_counts(log, "customer", "date", observation_end="2024-10-31"),
                                  check_dtype=False)
    summary = clv.rfm_summary(log, "customer", "date", observation_end="2024-10-31")
    model = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    ssum = spark.createDataFrame(summary.reset_index())
    scored = pd.concat(iter_scores(ssum, model, size=120))
    assert scored["p_alive"].to_numpy() == pytest.approx(model.p_alive(summary).to_numpy(), rel=1e-12)


def test_statistics_on_spark(spark):
    data = survey(n=200)
    sdf = spark.createDataFrame(data)
    pd.testing.assert_frame_equal(_engine.arm_statistics(sdf, "variant", "converted", segment="segment"),
                                  _engine.arm_statistics(data, "variant", "converted", segment="segment"),
                                  check_dtype=False)
    got = _engine.group_moments(sdf, ["q1", "q2"], group="region", weight="w")
    ref = _engine.group_moments(data, ["q1", "q2"], group="region", weight="w")
    for g in ref:
        assert got[g]["cov"].to_numpy() == pytest.approx(ref[g]["cov"].to_numpy(), rel=1e-9)
    pp = _engine.person_period(sdf, "periods", "churned", customer="id")
    ref = to_person_period(data, "periods", "churned", customer="id").rename(columns={"id": "customer"})
    pd.testing.assert_frame_equal(pp, ref.sort_values(["customer", "period"]).reset_index(drop=True),
                                  check_dtype=False)


def test_unparseable_date_names_the_format_on_spark(spark):
    log = bgnbd_log(customers=50)
    text = log["date"].dt.strftime("%d/%m/%Y").astype(object)
    text.iloc[7] = "31-02-2024"
    sdf = spark.createDataFrame(log.assign(date=text))
    with pytest.raises(InputError, match="do not match date_format '%d/%m/%Y'"):
        rfm_counts(sdf, "customer", "date", observation_end="2024-10-31", date_format="%d/%m/%Y")
