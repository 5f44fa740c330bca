"""Seeded recovery: data simulated from each model recovers its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from cxmodels import clv

N = 20_000


@pytest.fixture(scope="module")
def T():
    return np.random.default_rng(2026).uniform(26, 52, N).round(1)


def _check(model, truth, z_max=3.5, rel=0.15):
    tab = model.summary()
    est, se = tab["est"].to_numpy(), tab["se"].to_numpy()
    true = np.array([truth[k] for k in tab.index])
    z = (est - true) / se
    assert np.all(np.abs(z) < z_max), tab.assign(truth=true, z=z)
    assert np.all(np.abs(est / true - 1) < rel), tab.assign(truth=true)
    lo, hi = tab["ci_lower"].to_numpy(), tab["ci_upper"].to_numpy()
    return np.mean((lo <= true) & (true <= hi))


def test_bgnbd_recovers_its_parameters(T):
    d = clv.simulate_bgnbd(T, seed=11)
    _check(clv.fit_bgnbd(d), d.attrs["truth"])


def test_bgnbd_recovers_other_parameters(T):
    truth = {"r": 1.2, "alpha": 8.0, "a": 2.5, "b": 6.0}
    d = clv.simulate_bgnbd(T, params=truth, seed=12)
    _check(clv.fit_bgnbd(d), truth)


def test_paretonbd_recovers_its_parameters(T):
    d = clv.simulate_pareto_nbd(T, seed=13)
    _check(clv.fit_pareto_nbd(d), d.attrs["truth"], rel=0.3)  # beta is weakly identified (SE ~ 18%)


def test_gammagamma_recovers_its_parameters(T):
    d = clv.simulate_bgnbd(T, seed=14)
    d["monetary_value"] = clv.simulate_spend(d["frequency"], seed=15)
    _check(clv.fit_gamma_gamma(d), clv.CDNOW_SPEND)


def test_same_seed_same_data_and_fit(T):
    a = clv.simulate_bgnbd(T[:2000], seed=3)
    b = clv.simulate_bgnbd(T[:2000], seed=3)
    assert a.equals(b)
    assert clv.fit_bgnbd(a).params.equals(clv.fit_bgnbd(b).params)


def test_fit_on_weighted_distinct_rows_equals_fit_on_customers(T):
    d = clv.simulate_bgnbd(T[:5000], seed=4)
    d["recency"] = d["recency"].round(0).clip(upper=d["T"])
    full = clv.fit_bgnbd(d)
    grouped = d.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    weighted = clv.fit_bgnbd(grouped, weights=grouped["n"])
    np.testing.assert_allclose(weighted.params, full.params, rtol=1e-6)
    np.testing.assert_allclose(weighted.summary()["se"], full.summary()["se"], rtol=1e-4)
    assert weighted.n_customers == 5000


def test_holdout_predictions_track_simulated_holdout():
    # a customer's transactions from a BG/NBD, split at T: the conditional expectation is unbiased
    from cxmodels.datasets.transactions import make_transactions
    # rates low enough that two purchases rarely fall on one day (rfm_summary merges them)
    log = make_transactions(20000, model="bgnbd", params={"r": 1.2, "alpha": 8.0, "a": 2.5, "b": 6.0},
                            days=364, seed=21)
    s = clv.rfm_summary(log, "customer_id", "date", "value", calibration_end="2024-07-01",
                        observation_end="2024-12-29")
    bg = clv.fit_bgnbd(s)
    pred = bg.expected_purchases(s["holdout_duration"].iloc[0], s).sum()
    actual = s["holdout_frequency"].sum()
    assert abs(pred / actual - 1) < 0.05, (pred, actual)
