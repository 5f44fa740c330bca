"""Engine-portable sufficient statistics against pandas/numpy, on DuckDB (frame and Parquet):
A/B counts per variant and segment, weighted means and covariances per group (SEM),
person-period tables (discrete-time hazards), distinct (x, t_x, T) counts with the fits on
them, and chunked scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import _engine, clv
from cxmodels.churn import to_person_period
from cxmodels.clv.rfm import rfm_counts
from cxmodels.clv.scoring import iter_scores, write_scores
from cxmodels.errors import InputError

pytest.importorskip("ibis", reason="the duckdb extra (ibis-framework[duckdb]) is not installed")

from engine_data import bgnbd_log, survey  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return survey()


@pytest.fixture(scope="module", params=["frame", "parquet"])
def source(request, data, tmp_path_factory):
    if request.param == "frame":
        return data
    path = tmp_path_factory.mktemp("eng") / "survey.parquet"
    data.to_parquet(path)
    return str(path)


def test_arm_statistics(data, source):
    got = _engine.arm_statistics(source, "variant", "converted", segment="segment")
    g = data.groupby(["variant", "segment"])["converted"]
    ref = pd.DataFrame({"n": g.size(), "sum": g.sum().astype(float), "mean": g.mean(), "var": g.var()}).reset_index()
    pd.testing.assert_frame_equal(got[["variant", "segment", "n", "sum", "mean", "var"]], ref, check_dtype=False)
    rev = _engine.arm_statistics(source, "variant", "revenue")
    assert rev["var"].to_numpy() == pytest.approx(data.groupby("variant")["revenue"].var().to_numpy(), rel=1e-10)
    with pytest.raises(InputError, match="lacks column"):
        _engine.arm_statistics(source, "arm", "converted")


def test_group_moments_weighted(data, source):
    cols = ["q1", "q2", "q3"]
    got = _engine.group_moments(source, cols, group="region", weight="w")
    assert sorted(got) == ["north", "south", "west"]
    for region, part in data.groupby("region"):
        x, w = part[cols].to_numpy(), part["w"].to_numpy()
        mean = w @ x / w.sum()
        cov = ((x - mean) * w[:, None]).T @ (x - mean) / w.sum()
        assert got[region]["n"] == len(part) and got[region]["weight"] == pytest.approx(w.sum())
        assert got[region]["mean"].to_numpy() == pytest.approx(mean, rel=1e-10)
        assert got[region]["cov"].to_numpy() == pytest.approx(cov, rel=1e-8, abs=1e-12)
    pooled = _engine.group_moments(source, cols)[None]
    assert pooled["cov"].to_numpy() * len(data) / (len(data) - 1) == pytest.approx(np.cov(data[cols].T), rel=1e-8)
    with pytest.raises(InputError, match="'region'.*numeric"):
        _engine.group_moments(source, ["q1", "region"])


def test_person_period_matches_churn(data, source):
    got = _engine.person_period(source, "periods", "churned", customer="id", keep=["variant"])
    ref = to_person_period(data, "periods", "churned", customer="id", keep=["variant"])
    ref = ref.rename(columns={"id": "customer"}).sort_values(["customer", "period"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    with pytest.raises(InputError, match="'periods'.*whole numbers"):
        _engine.person_period(data.assign(periods=data["periods"] - 1), "periods", "churned", customer="id")


def test_counts_fit_like_the_full_summary(tmp_path):
    log = bgnbd_log()
    summary = clv.rfm_summary(log, "customer", "date", observation_end="2024-10-31")
    counts = rfm_counts(log, "customer", "date", observation_end="2024-10-31")
    pq = tmp_path / "log.parquet"
    log.to_parquet(pq)
    on_engine = rfm_counts(pq, "customer", "date", observation_end="2024-10-31")
    pd.testing.assert_frame_equal(counts, on_engine, check_dtype=False)
    assert counts["n"].sum() == len(summary) and len(counts) < len(summary)
    full = clv.fit_bgnbd(summary)
    small = clv.fit_bgnbd(counts, weights=counts["n"])
    assert full.converged and full.admissible and small.converged and small.admissible
    assert small.n_customers == len(summary)
    assert small.params.to_numpy() == pytest.approx(full.params.to_numpy(), rel=1e-5)
    assert small.loglik == pytest.approx(full.loglik, rel=1e-9)
    assert _engine.distinct_counts(summary, ["frequency"])["n"].sum() == len(summary)


def test_chunked_scoring_bounded(tmp_path):
    summary = clv.rfm_summary(bgnbd_log(customers=400), "customer", "date", observation_end="2024-10-31")
    model = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    parts = list(iter_scores(summary, model, t=10, size=150))
    assert [len(p) for p in parts] == [150, 150, len(summary) - 300]
    whole = pd.concat(parts)
    pd.testing.assert_series_equal(whole["p_alive"], model.p_alive(summary), check_names=False)
    pd.testing.assert_series_equal(whole["expected_purchases"], model.expected_purchases(10, summary),
                                   check_names=False)
    pq = tmp_path / "summary.parquet"
    summary.reset_index().to_parquet(pq)
    out = tmp_path / "scores.parquet"
    assert write_scores(str(pq), model, out, t=10, size=100) == len(summary)
    back = pd.read_parquet(out).set_index("customer").sort_index()
    assert back["p_alive"].to_numpy() == pytest.approx(model.p_alive(summary).to_numpy(), rel=1e-12)
    # a table of the caller's own Ibis DuckDB connection (memory limit and all)
    import warnings

    import ibis
    with warnings.catch_warnings():  # Ibis 12 on DuckDB 2 (not cxmodels): fetch_arrow_table deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        own = ibis.duckdb.connect(memory_limit="256MB").read_parquet(str(pq))
    again = pd.concat(iter_scores(own, model, size=64)).sort_index()
    assert again["p_alive"].to_numpy() == pytest.approx(back["p_alive"].to_numpy(), rel=1e-12)
    with pytest.raises(InputError, match="size"):
        next(iter_scores(summary, model, size=0))
