"""discrete_time_hazard takes the person-period rows built on the engine
(cxmodels._engine.person_period) as they come, with the same estimates as the pandas path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels._engine import person_period
from cxmodels.churn import discrete_time_hazard, to_person_period


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(16)
    n = 800
    x = rng.normal(size=n)
    g = rng.integers(0, 2, n)
    # geometric churn at a cloglog hazard with known effects, censored after 8 periods
    h = 1 - np.exp(-np.exp(-1.8 + 0.5 * x - 0.4 * g))
    k = rng.geometric(h)
    return pd.DataFrame({"id": [f"c{i:04d}" for i in range(n)], "periods": np.minimum(k, 8),
                         "churned": (k <= 8).astype(int), "x": x, "g": g})


def test_engine_person_period_fits_directly(customers):
    before = customers.copy()
    pp_engine = person_period(customers, "periods", "churned", customer="id", keep=["x", "g"])
    pp_pandas = to_person_period(customers, "periods", "churned", customer="id", keep=["x", "g"])
    assert list(pp_engine.columns) == ["customer", "period", "churn", "x", "g"]
    assert len(pp_engine) == len(pp_pandas) == customers["periods"].sum()
    # the defaults period="period", event="churn" are the builders' column names
    a = discrete_time_hazard(pp_engine, covariates=["x", "g"])
    b = discrete_time_hazard(pp_pandas, "period", "churn", ["x", "g"])
    pd.testing.assert_frame_equal(a.summary(), b.summary(), rtol=1e-10, atol=1e-12)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-12)
    # and the known effects are recovered
    s = a.summary()
    assert abs(s.loc["x", "est"] - 0.5) < 3 * s.loc["x", "se"]
    assert abs(s.loc["g", "est"] + 0.4) < 3 * s.loc["g", "se"]
    pd.testing.assert_frame_equal(customers, before)


def test_engine_rows_in_another_order_give_the_same_fit(customers):
    pp = person_period(customers, "periods", "churned", customer="id", keep=["x"])
    shuffled = pp.sample(frac=1.0, random_state=3)
    a = discrete_time_hazard(pp, covariates="x")
    b = discrete_time_hazard(shuffled, covariates="x")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)


def test_baseline_only_is_the_life_table(customers):
    pp = person_period(customers, "periods", "churned", customer="id")
    res = discrete_time_hazard(pp)
    life = pp.groupby("period")["churn"].mean()
    np.testing.assert_allclose(res.baseline_hazard().to_numpy(), life.to_numpy(), rtol=1e-8)
    assert res.covariates == []
