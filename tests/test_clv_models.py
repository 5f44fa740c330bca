"""Model behaviour: numerical stability at high frequency, formulas, fitted surface."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from cxmodels import clv
from cxmodels.clv.paretonbd import _log_dead, _log_dead_quadrature
from cxmodels.clv._special import log_hyp2f1_a1

HEAVY = pd.DataFrame({"frequency": [0.0, 50.0, 5_000.0, 5_000.0, 100_000.0, 100_000.0],
                      "recency": [0.0, 30.0, 52.0, 5.0, 52.0, 26.0],
                      "T": [52.0, 52.0, 52.0, 52.0, 52.0, 52.0]}, index=list("abcdef"))


@pytest.mark.parametrize("params", [dict(r=0.553, alpha=10.578, s=0.606, beta=11.669),
                                    dict(r=0.553, alpha=100.0, s=0.606, beta=0.01),
                                    dict(r=2.0, alpha=0.05, s=3.0, beta=80.0)])
def test_paretonbd_no_overflow_at_high_frequency(params):
    m = clv.ParetoNBDResult.from_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = m._loglik(np.array(list(params.values())), {k: HEAVY[k].to_numpy() for k in HEAVY})
        pa = m.p_alive(HEAVY)
        ep = m.expected_purchases(10.0, HEAVY)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(ep))
    assert pa.between(0, 1).all()
    assert pa["c"] == pytest.approx(1.0) and pa["e"] == pytest.approx(1.0)  # last purchase at T: alive
    assert pa["d"] < 1e-6 and pa["f"] < 1e-6          # 5,000 purchases then silence: gone


def test_log_hyp2f1_matches_closed_forms():
    # 2F1(a, 1; a+1; z) has no simple form, but 2F1(1, b; 2; z) = ((1-z)^(1-b) - 1) / ((b-1) z)
    z = np.array([0.1, 0.5, 0.9, 0.999])
    b = 1.7
    np.testing.assert_allclose(log_hyp2f1_a1(1.0, b, z), np.log(((1 - z) ** (1 - b) - 1) / ((b - 1) * z)), rtol=1e-12)
    # scipy fails here; the helper reports NaN rather than a wrong number (the caller falls back)
    assert np.isnan(log_hyp2f1_a1(5001.159, 1.606, 0.999)) or np.isfinite(log_hyp2f1_a1(5001.159, 1.606, 0.999))


def test_quadrature_fallback_agrees_with_hypergeometric_form():
    rng = np.random.default_rng(0)
    n = 400
    r, s = 0.553, 0.606
    x = rng.choice([0.0, 1.0, 5.0, 40.0, 300.0], n)
    T = rng.uniform(5, 80, n)
    tx = np.where(x > 0, T * rng.uniform(0, 0.999, n), 0.0)
    for alpha, beta in ((10.578, 11.669), (30.0, 2.0), (0.5, 40.0)):
        h = _log_dead(r, alpha, s, beta, x, tx, T)
        q = _log_dead_quadrature(r, alpha, s, beta, x, tx, T)
        np.testing.assert_allclose(q, h, rtol=1e-9)


def test_mpmath_reference_for_the_dead_term():
    import mpmath
    mpmath.mp.dps = 40
    for (r, al, s, be, x, tx, T) in [(0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86),
                                     (0.3, 80.0, 1.5, 0.2, 2000, 10.0, 40.0),
                                     (1.5, 0.1, 0.3, 50.0, 300, 1.0, 70.0)]:
        f = lambda t: mpmath.mpf(al + t) ** (-(r + x)) * mpmath.mpf(be + t) ** (-(s + 1))
        ref = float(mpmath.log(s * mpmath.quad(f, mpmath.linspace(tx, T, 200))))
        got = _log_dead(r, al, s, be, np.array([float(x)]), np.array([tx]), np.array([T]))[0]
        assert got == pytest.approx(ref, rel=1e-10, abs=1e-10)


def test_bgnbd_formulas_hold():
    bg = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    new = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]})
    # a customer observed for no time is a new customer
    assert bg.expected_purchases(20.0, new).iloc[0] == pytest.approx(bg.expected_purchases(20.0), rel=1e-10)
    # E[X(t)] equals the mean of P(X(t) = n)
    n = np.arange(3000)
    assert (n * bg.probability_of_n_purchases(20.0, n)).sum() == pytest.approx(bg.expected_purchases(20.0), rel=1e-6)
    assert bg.p_alive(new).iloc[0] == 1.0
    assert bg.expected_purchases(0.0, HEAVY).abs().max() < 1e-12


def test_fitted_surface_and_provenance():
    d = clv.simulate_bgnbd(np.full(3000, 40.0), seed=5)
    before = d.copy()
    m = clv.fit_bgnbd(d)
    pd.testing.assert_frame_equal(d, before)
    s = m.summary()
    assert list(s.columns) == ["est", "se", "ci_lower", "ci_upper"] and list(s.index) == ["r", "alpha", "a", "b"]
    assert (s["ci_lower"] < s["est"]).all() and (s["est"] < s["ci_upper"]).all()
    assert m.provenance.data["n_rows"] == 3000 and m.provenance.options["converged"]
    assert m.converged and m.admissible and m.warnings == []
    cov = m.covariance
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), s["se"], rtol=1e-10)
    draws = m.sample_params(50, seed=1)
    assert draws.shape == (50, 4) and np.all(draws > 0)
    assert "BGNBDResult" in repr(m) and m.provenance.method == "BG/NBD"
    text = m.methods_text()
    assert all(r.cite in text for r in m.references) and "2005" in text
    assert m.plot().get_ylabel() == "expected repeat purchases"


def test_large_prediction_path_equals_direct_path():
    T = np.random.default_rng(1).integers(7, 300, 30_000) / 7.0
    d = clv.simulate_bgnbd(T, seed=2)
    d["recency"] = np.minimum(np.floor(d["recency"] * 7) / 7, d["T"])
    bg = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    fast = bg.expected_purchases(26.0, d)
    slow = bg._purchases_if_alive(bg._theta, d["frequency"].to_numpy(), d["T"].to_numpy(), 26.0) * bg.p_alive(d)
    np.testing.assert_allclose(fast, slow, rtol=1e-13)


def test_warm_started_fit_equals_cold_fit():
    T = np.random.default_rng(3).integers(7, 546, 400_000) / 7.0
    d = clv.simulate_bgnbd(T, seed=4)
    d["recency"] = np.minimum(np.floor(d["recency"] * 7) / 7, d["T"])
    warm = clv.fit_bgnbd(d)
    cold_cls = type("ColdBGNBD", (clv.BGNBDResult,), {"_WARM_ROWS": 10 ** 9})
    cold = cold_cls._fit(d)
    assert warm.n_distinct > 4 * 20_000
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-5)
    np.testing.assert_allclose(warm.summary()["se"], cold.summary()["se"], rtol=1e-3)


def test_simple_clv_and_customer_equity():
    rfm = pd.DataFrame({"frequency": [3.0, 0.0], "recency": [20.0, 0.0], "T": [52.0, 26.0],
                        "monetary_value": [30.0, 0.0]}, index=["u", "v"])
    out = clv.simple_clv(rfm, retention_rate=0.6, margin=0.5)
    # u: 4 purchases a year x $30 x 0.5 margin x 1/(1-0.6) years
    assert out.loc["u", "clv"] == pytest.approx(4 * 30 * 0.5 / 0.4)
    assert out.loc["v", "annual_purchases"] == pytest.approx(2.0) and out.loc["v", "order_value"] == 30.0
    one = clv.simple_clv(rfm, retention_rate=0.6, horizon_years=1, discount_rate=0.1, acquisition_cost=5)
    assert one.loc["u", "clv"] == pytest.approx(4 * 30 / 1.1 - 5)
    long = clv.simple_clv(rfm, retention_rate=0.6, horizon_years=400, discount_rate=0.1)
    inf = clv.simple_clv(rfm, retention_rate=0.6, discount_rate=0.1)
    np.testing.assert_allclose(long["clv"], inf["clv"], rtol=1e-10)
    assert clv.customer_equity(out, acquisition_cost=10.0) == pytest.approx(out["clv"].sum() - 20.0)
    with pytest.raises(ValueError, match="retention_rate"):
        clv.simple_clv(rfm, retention_rate=1.0)


def test_bgnbd_predictions_finite_at_high_frequency():
    for cls in (clv.BGNBDResult, clv.MBGNBDResult):
        m = cls.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ep = m.expected_purchases(52.0, HEAVY)
            pa = m.p_alive(HEAVY)
        assert np.all(np.isfinite(ep)) and pa.between(0, 1).all()
        # a customer buying ~100 a week until T keeps buying at about her posterior rate while alive
        rate = (0.243 + 5000) / (4.414 + 52)
        assert 0.5 * rate * 52 < ep["c"] < rate * 52
        assert pa["d"] < 1e-12 and ep["d"] < 1e-9
