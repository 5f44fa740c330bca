"""The fast maximum-likelihood path of the CLV models (issue 19): closed-form gradients and
Hessians checked against finite differences, the Newton path against BFGS, the standard
errors against the differenced Hessian the fits used before, and the row-merge decision."""

from __future__ import annotations

import numpy as np
import pytest

from cxmodels import clv
from cxmodels._numerics import hessian, hessian_from_gradient, jacobian
from cxmodels.clv._model import distinct_share, sort_by_frequency


def _rows(model, n, seed):
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 78, n)
    sim = clv.simulate_bgnbd if model == "bgnbd" else clv.simulate_pareto_nbd
    return sim(T, seed=seed)


def _check_derivatives(m, data, theta, seed):
    rng = np.random.default_rng(seed)
    d, w = m._prepare_weighted(m._arrays(data), rng.uniform(0.5, 2.0, len(data)))
    theta = np.asarray(theta, float)
    ll, g, H = m._loglik_grad_hess(theta, d, w)

    def total(t):
        return float((w * m._loglik(t, d)).sum())

    # the value against the per-row likelihood; the gradient against central differences of it;
    # the Hessian against central differences of the gradient and second differences of the value
    assert ll == pytest.approx(total(theta), rel=1e-12)
    np.testing.assert_allclose(g, jacobian(total, theta, 1e-6)[0], rtol=2e-6, atol=1e-6 * np.abs(g).max())
    Hg = hessian_from_gradient(lambda t: m._loglik_grad_hess(t, d, w)[1], theta, 1e-5)
    np.testing.assert_allclose(H, Hg, rtol=1e-6, atol=1e-7 * np.abs(H).max())
    Hf = hessian(total, theta, 1e-4)
    np.testing.assert_allclose(H, Hf, rtol=1e-3, atol=1e-4 * np.abs(H).max())
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("cls", [clv.BGNBDResult, clv.MBGNBDResult])
@pytest.mark.parametrize("theta", [[0.243, 4.414, 0.793, 2.426], [1.2, 8.0, 2.5, 6.0], [0.3, 0.5, 0.4, 0.9]])
def test_bgnbd_gradient_and_hessian_are_exact(cls, theta):
    _check_derivatives(cls(), _rows("bgnbd", 3000, 1), theta, 2)


@pytest.mark.parametrize("theta", [[0.553, 10.578, 0.606, 11.669],   # alpha < beta
                                   [0.55, 14.0, 0.6, 6.0],            # alpha > beta
                                   [1.3, 3.0, 2.0, 1.0],              # z up to 2/3: a long series
                                   [0.4, 5.0, 0.7, 5.0]])             # alpha = beta: z = 0
def test_paretonbd_gradient_and_hessian_are_exact(theta):
    _check_derivatives(clv.ParetoNBDResult(), _rows("pareto", 3000, 3), theta, 4)


def test_paretonbd_series_equals_scipy_hypergeometric_form():
    m = clv.ParetoNBDResult()
    data = _rows("pareto", 2000, 5)
    d, w = m._prepare_weighted(m._arrays(data), np.ones(len(data)))
    for theta in ([0.553, 10.578, 0.606, 11.669], [0.55, 14.0, 0.6, 6.0], [1.3, 3.0, 2.0, 1.0]):
        ll = m._loglik_grad_hess(np.array(theta), d, w)[0]
        assert ll == pytest.approx(float(m._loglik(np.array(theta), d).sum()), rel=1e-13)
    # beyond the series' reach (z > 0.8) the pass declines and the fit differences the likelihood
    assert m._loglik_grad_hess(np.array([0.5, 50.0, 0.6, 1.0]), d, w) is None


@pytest.fixture(scope="module")
def distinct_bgnbd():
    # every (frequency, recency, T) distinct: continuous recency and T
    return _rows("bgnbd", 120_000, 7)


def test_newton_path_equals_bfgs_path_and_skips_the_merge(distinct_bgnbd):
    d = distinct_bgnbd
    fast = clv.fit_bgnbd(d)
    opts = fast.provenance.options
    assert opts["optimizer"].startswith("Newton") and opts["rows_merged"] is False
    assert fast.n_distinct == len(d) and fast.converged and fast.admissible
    cold_cls = type("ColdBGNBD", (clv.BGNBDResult,), {"_WARM_ROWS": 10 ** 9})
    cold = cold_cls._fit(d)
    assert cold.provenance.options["optimizer"].startswith("BFGS") and cold.provenance.options["rows_merged"]
    np.testing.assert_allclose(fast.params, cold.params, rtol=1e-6)
    np.testing.assert_allclose(fast.summary()["se"], cold.summary()["se"], rtol=1e-5)
    assert fast.loglik == pytest.approx(cold.loglik, rel=1e-12)


def test_standard_errors_equal_the_differenced_hessian(distinct_bgnbd):
    # the analytic observed information against the central differences of the analytic gradient
    # (step 1e-4 in log-parameters) that the fits used before: SEs equal to 1e-4
    for fit, data in ((clv.fit_bgnbd, distinct_bgnbd.iloc[:20_000]),
                      (clv.fit_pareto_nbd, _rows("pareto", 8_000, 8))):
        m = fit(data)
        d, w = m._prepare_weighted(m._arrays(data), np.ones(len(data)))
        phi = np.log(m._theta)

        def grad(p):
            return -m._loglik_grad(np.exp(p), d, w)[1] * np.exp(p)

        H = hessian_from_gradient(grad, phi, 1e-4, relative=False)
        se_fd = m._theta * np.sqrt(np.diag(np.linalg.inv(H)))
        np.testing.assert_allclose(m.summary()["se"], se_fd, rtol=1e-4)


def test_paretonbd_newton_path_equals_bfgs_path():
    # the Newton path from 4 x _WARM_ROWS rows on: a smaller threshold keeps the BFGS fit short
    d = _rows("pareto", 12_000, 9)
    fast = type("SmallWarmPareto", (clv.ParetoNBDResult,), {"_WARM_ROWS": 2_000})._fit(d)
    assert fast.provenance.options["optimizer"].startswith("Newton") and fast.converged
    cold = type("ColdPareto", (clv.ParetoNBDResult,), {"_WARM_ROWS": 10 ** 9})._fit(d)
    np.testing.assert_allclose(fast.params, cold.params, rtol=1e-5)
    np.testing.assert_allclose(fast.summary()["se"], cold.summary()["se"], rtol=1e-4)


def test_distinct_share_estimate():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, 100_000)
    assert distinct_share({"v": base}) == pytest.approx(1.0)
    # each value twice: half the rows are distinct
    twice = rng.permutation(np.r_[base, base])
    assert distinct_share({"v": twice}) == pytest.approx(0.5, abs=0.05)
    # few distinct values: merging pays
    assert distinct_share({"v": rng.integers(0, 50, 100_000).astype(float)}) == pytest.approx(5e-4, rel=0.1)
    # small data: exact
    assert distinct_share({"v": np.array([1.0, 1.0, 2.0, 3.0])}) == 0.75


def test_sort_by_frequency_blocks():
    d = {"frequency": np.array([2.0, 0.0, 1.0, 0.0, 2.0]), "recency": np.arange(5.0), "T": np.arange(5.0) + 10}
    out, w = sort_by_frequency(d, np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(out["frequency"], [0, 0, 1, 2, 2])
    np.testing.assert_array_equal(out["recency"], [1, 3, 2, 0, 4])        # stable
    np.testing.assert_array_equal(w, [2, 4, 3, 1, 5])
    np.testing.assert_array_equal(out["_starts"], [0, 2, 3])
    np.testing.assert_array_equal(out["_ux"], [0, 1, 2])
    assert out["_n0"] == 2
    assert d["frequency"][0] == 2.0                                          # input untouched
