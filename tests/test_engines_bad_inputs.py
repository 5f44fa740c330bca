"""Bad input through the engine layer: only cxmodels errors come out, nothing is modified.

The corpus of tests/badinput.py is swept over every engine-portable aggregation (on DuckDB,
from the pandas frame) and over the engine RFM path (``engine="duckdb"`` and a Parquet file)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import _engine, clv
from cxmodels.clv.rfm import rfm_counts
from cxmodels.clv.scoring import iter_scores
from cxmodels.errors import InputError

pytest.importorskip("ibis", reason="the duckdb extra (ibis-framework[duckdb]) is not installed")

from engine_data import survey, transaction_log  # noqa: E402


def test_statistics_sweep():
    data = survey(n=60)
    for name, bad in variants(data, ["q1", "w", "variant", "converted", "periods", "churned"]):
        assert_clean(_engine.arm_statistics, bad, "variant", "converted", segment="segment")
        assert_clean(_engine.group_moments, bad, ["q1", "q2"], group="region", weight="w")
        assert_clean(_engine.person_period, bad, "periods", "churned", customer="id")
        assert_clean(_engine.distinct_counts, bad, ["variant", "periods"])


def test_rfm_engine_sweep(tmp_path):
    log = transaction_log(n=120, customers=20)
    for name, bad in variants(log[["customer", "local", "value"]], ["customer", "local", "value"]):
        assert_clean(clv.rfm_summary, bad, "customer", "local", "value", engine="duckdb")
    log = log[["customer", "text", "value"]]
    for name, bad in variants(log, ["customer", "text", "value"]):
        assert_clean(clv.rfm_summary, bad, "customer", "text", "value", engine="duckdb")
        assert_clean(rfm_counts, bad, "customer", "text", engine="duckdb")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bad.to_parquet(tmp_path / "bad.parquet")
        except Exception:  # noqa: BLE001 - pyarrow cannot store some mixed columns: nothing to read
            continue
        assert_clean(clv.rfm_summary, str(tmp_path / "bad.parquet"), "customer", "text", "value")


def test_named_engine_failures(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        clv.rfm_summary(str(tmp_path / "nope.parquet"), "c", "d")
    with pytest.raises(InputError, match="must be a pandas DataFrame, a Parquet or CSV path"):
        _engine.table(42)
    model = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(InputError, match="fitted purchase model"):
        next(iter_scores(pd.DataFrame({"frequency": [1.0]}), "model"))
    with pytest.raises(InputError, match=r"lacks column\(s\) \['recency', 'T'\]"):
        next(iter_scores(pd.DataFrame({"frequency": [1.0]}), model))
    with pytest.raises(InputError, match="'q1'.*1 missing or infinite"):
        _engine.group_moments(survey(n=20).assign(q1=lambda d: d["q1"].where(d.index != 3)), ["q1", "q2"])
    with pytest.raises(InputError, match="'w'.*non-negative"):
        _engine.group_moments(survey(n=20).assign(w=-1.0), ["q1", "q2"], weight="w")
