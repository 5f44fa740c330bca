"""The behaviour of every customer given her latent satisfaction, integrated over it.

Given satisfaction ``s`` a lifetime (time units) follows one of the churn domain's parametric
families (:mod:`cxmodels.churn.parametric`: Weibull, log-normal, log-logistic, the models of
:func:`cxmodels.churn.aft`) with satisfaction as a covariate, and, while active, purchases
arrive as a Poisson process:

    z = k (log t - log lambda) + gamma s,    S(t | s) = S_eps(z),    rate(s) = r0 exp(delta s),

``k = 1 / sigma`` the shape. For the Weibull this is proportional hazards,
``S(t | s) = exp(-(t / lambda)^k exp(gamma s))`` (``gamma`` the log hazard ratio); for every
family satisfaction multiplies lifetimes by the time ratio ``exp(-gamma / k)`` per unit (in
:func:`cxmodels.churn.aft`'s parametrisation ``log T = mu + b s + sigma eps``: ``mu = log
lambda``, ``b = -gamma / k``).

A customer's satisfaction is known only through a distribution: a respondent's posterior
given her answers, a non-respondent's population distribution ``N(mu_nr, phi)``. Each row's
likelihood is integrated over its distribution by quadrature, given as node values ``S``
(n, q) and log weights ``logw`` (n, q) (a single node of weight 1 is the plug-in likelihood):

    log L_i = log sum_k exp(logw_ik) p(t_i, d_i | S_ik) p(N_i | S_ik).

``mu_nr`` (the mean satisfaction of non-respondents, respondents' mean being 0) is a free
parameter when survey response may depend on satisfaction: it is identified through the
behaviour of non-respondents, which satisfaction moves (pattern-mixture selection model;
Little 1993). Row weights ``w`` carry bootstrap resamples without copying the data.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from .._numerics import hessian_from_gradient
from ..churn import parametric

OUTCOME_PARAMS = ["log_shape", "log_scale", "gamma", "log_rate", "delta"]


def loglik(theta, t, d, N, S, logw, *, nr=None, w=None, dist="weibull"):
    """Log-likelihood and gradient.

    ``theta``: the five outcome parameters (``log k``, ``log lambda``, ``gamma``, ``log r0``,
    ``delta``), then ``mu_nr`` when ``nr`` (a boolean mask of the rows whose nodes are the
    population's, shifted by ``mu_nr``) is given. The lifetime term is
    :func:`cxmodels.churn.parametric.row_loglik` of family ``dist``. The gradient has the
    length of ``theta``.
    """
    a, b, g, c, dp = theta[:5]
    k = np.exp(a)
    if nr is not None:
        S = S + theta[5] * nr[:, None]
    logt = np.log(t)
    z0 = k * (logt - b)                                   # the standardized log lifetime at s = 0
    Z = z0[:, None] + g * S
    # parametric.row_loglik with its per-row Jacobian term d (log k - log t) added once per row
    L, D = parametric.standardized_loglik(dist, Z, d[:, None])
    L += logw
    L += (d * (a - logt))[:, None]
    if N is not None:
        mu = np.exp(np.minimum(c + dp * S, 700.0)) * t[:, None]
        L += (N * (c + logt))[:, None] + (dp * N)[:, None] * S - mu
    top = L.max(axis=1, keepdims=True)
    E = np.exp(L - top)
    tot = E.sum(axis=1)
    ll = np.log(tot) + top[:, 0]
    P = E * ((1.0 / tot) if w is None else (w / tot))[:, None]
    PD = P * D
    sP = P.sum(axis=1)                                   # 1, or the row weight
    # dz/dlog k = z0, dz/dlog lambda = -k, dz/dgamma = s; log sigma = -log k adds the event term
    grad = [PD.sum(axis=1) @ z0 + d @ sP, -k * PD.sum(), np.sum(PD * S)]
    if N is None:
        grad += [0.0, 0.0]
    else:
        Pmu = P * mu
        grad += [np.sum(N * sP) - Pmu.sum(), np.sum((N[:, None] * P - Pmu) * S)]
    if nr is not None:
        dS = g * PD
        if N is not None:
            dS += dp * (N[:, None] * P - Pmu)
        grad.append(np.sum(dS[nr]))
    const = 0.0 if N is None else -(special.gammaln(N + 1) @ (np.ones_like(N) if w is None else w))
    total = (ll @ (np.ones_like(ll) if w is None else w)) + const
    return total, np.array(grad)


def start(t, d, N):
    """Exponential and Poisson rates: a starting point."""
    rate = max(d.sum(), 1.0) / t.sum()
    return np.array([0.0, -np.log(rate), 0.0, np.log(max(N.sum(), 1.0) / t.sum()) if N is not None else 0.0, 0.0])


def fit(t, d, N, S, logw, *, nr=None, w=None, theta0=None, hess_inv0=None, fixed_mu=None, dist="weibull"):
    """Maximize the integrated likelihood.

    Returns ``(theta, loglik, converged, free, f, hess_inv)``: ``theta`` has five entries plus
    ``mu_nr`` when non-respondents enter; ``free`` indexes the parameters estimated (no
    purchase model: the rate parameters are fixed; ``fixed_mu``: ``mu_nr`` held at that value,
    the sensitivity analysis); ``f`` the negative log-likelihood and gradient in the free
    parameters. ``hess_inv0`` (a previous fit's inverse Hessian) warm-starts BFGS, so a
    bootstrap refit takes a few Newton-like steps.
    """
    p = 5 + (nr is not None)
    free = np.ones(p, bool)
    if N is None:
        free[3:5] = False
    if fixed_mu is not None:
        free[5] = False
    n = float(len(t) if w is None else np.sum(w))
    base = np.zeros(p)
    if fixed_mu is not None:
        base[5] = fixed_mu

    def f(x):
        th = base.copy()
        th[free] = x
        ll, gr = loglik(th, t, d, N, S, logw, nr=nr, w=w, dist=dist)
        return -ll / n, -gr[free] / n

    x0 = np.zeros(p)
    x0[:5] = start(t, d, N)
    if theta0 is not None:
        x0[:len(theta0)] = theta0
    if hess_inv0 is not None:
        # a warm start (bootstrap, sensitivity): Newton steps with the previous fit's Hessian
        x, val, ok = chord_newton(f, x0[free], hess_inv0, tol=1e-3)
        if ok:
            th = base.copy()
            th[free] = x
            return th, -val * n, True, free, (lambda z: tuple(v * n for v in f(z))), hess_inv0
    opts = {"gtol": 1e-7, "maxiter": 500}
    if hess_inv0 is not None:
        opts["hess_inv0"] = hess_inv0
    res = optimize.minimize(f, x0[free], jac=True, method="BFGS", options=opts)
    th = base.copy()
    th[free] = res.x
    gnorm = float(np.max(np.abs(res.jac))) if res.jac.size else 0.0
    fn = lambda x: tuple(v * n for v in f(x))
    return th, -res.fun * n, bool(res.success or gnorm < 1e-5), free, fn, (
        hess_inv0 if hess_inv0 is not None else warm_inverse(lambda x: f(x)[1], res.x))


def chord_newton(fg, x0, hess_inv, *, tol=1e-6, max_steps=8):
    """Newton steps with a fixed inverse Hessian (the chord method), from a previous fit.

    A bootstrap resample's optimum lies O(n^-1/2) from the full sample's, where the Hessian
    hardly changes: each step shrinks the error by a factor of that order, so a few gradient
    evaluations replace a quasi-Newton run that relearns the curvature. ``tol`` bounds the last
    step in every parameter: bootstrap refits use 1e-3, far inside the bootstrap's own
    spread of the estimates. Returns ``(x, value,
    converged)``; not converged (the caller falls back to BFGS) when a step does not decrease
    the objective or the steps do not become small.
    """
    x = np.asarray(x0, float).copy()
    val, g = fg(x)
    for _ in range(max_steps):
        step = hess_inv @ g
        x_new = x - step
        v_new, g_new = fg(x_new)
        if not np.isfinite(v_new) or v_new > val + 1e-12 * max(1.0, abs(val)):
            return x, val, False
        x, val, g = x_new, v_new, g_new
        if np.max(np.abs(step)) < tol:
            return x, val, True
    return x, val, False


def warm_inverse(grad, x):
    """A positive-definite inverse Hessian at an optimum (eigenvalues floored), to warm-start
    BFGS in bootstrap refits: with the right curvature from the first step they converge in a
    few iterations instead of relearning it."""
    H = hessian_from_gradient(grad, x, 1e-5, relative=False)
    if not np.all(np.isfinite(H)):
        return None
    vals, vecs = np.linalg.eigh(H)
    vals = np.maximum(vals, 1e-6 * max(vals.max(), 1e-12))
    inv = (vecs / vals) @ vecs.T
    return 0.5 * (inv + inv.T)
