r"""The parametric lifetime families of :func:`cxmodels.churn.aft` as row likelihoods.

A log-location-scale lifetime (Kalbfleisch & Prentice 2002, ch. 2) is

    log T = mu + sigma * eps,        z = (log t - mu) / sigma,

with ``eps`` standard extreme-value (Weibull), normal (log-normal) or logistic (log-logistic).
A customer observed to churn at ``t`` (``event`` 1) contributes the density and one still
active at ``t`` (``event`` 0, censored) the survival:

    log L = event * (log f(z) - log sigma - log t) + (1 - event) * log S(z),

    Weibull:       log f = z - e^z,                  log S = -e^z
    log-normal:    log f = log phi(z),               log S = log Phi(-z)
    log-logistic:  log f = z - 2 log(1 + e^z),       log S = -log(1 + e^z)

the likelihood :func:`cxmodels.churn.aft` maximizes (lifelines' AFT fitters, R's ``survreg``;
the tests check the sums below against both). The functions take ``z`` of any shape, so a model
that integrates a latent covariate over quadrature nodes (the value chain, where ``z`` is (rows,
nodes)) evaluates the same likelihood and its derivative in ``z`` node by node.

For the Weibull, ``1 / sigma`` is the shape ``k`` and a covariate's effect ``b`` on ``mu`` is
the log hazard ratio ``-b / sigma`` (proportional hazards); for the other two families ``e^b``
is a time ratio only.
"""

from __future__ import annotations

import numpy as np
from scipy import special

DISTS = ("weibull", "lognormal", "loglogistic")


def check_dist(dist: str) -> str:
    """``dist`` if it is one of :data:`DISTS`, else ValueError (callers turn it into InputError)."""
    if dist not in DISTS:
        raise ValueError(f"dist must be one of {list(DISTS)}, got {dist!r}")
    return dist


def log_survival(dist: str, z):
    """log S(z) of the standardized error: the log probability of outliving ``t``."""
    z = np.asarray(z, float)
    if dist == "weibull":
        return -np.exp(np.minimum(z, 700.0))
    if dist == "lognormal":
        return special.log_ndtr(-z)
    return -np.logaddexp(0.0, z)


def survival(dist: str, z):
    """S(z) = P(eps > z) of the standardized error."""
    return np.exp(log_survival(dist, z))


def standardized_loglik(dist: str, z, event):
    """``event log f(z) + (1 - event) log S(z)`` and its derivative in ``z``: the part of the
    row log-likelihood that depends on the covariates (``event`` broadcast against ``z``)."""
    z = np.asarray(z, float)
    if dist == "weibull":
        ez = np.exp(np.minimum(z, 700.0))
        return event * z - ez, event - ez
    if dist == "lognormal":
        lS = special.log_ndtr(-z)
        half = -0.5 * z * z - 0.5 * np.log(2 * np.pi)
        # the inverse Mills ratio phi(z) / Phi(-z), from logs: stable far in the upper tail
        mills = np.exp(half - lS)
        return event * half + (1 - event) * lS, -event * z - (1 - event) * mills
    sp = np.logaddexp(0.0, z)
    p = special.expit(z)
    return event * (z - 2 * sp) - (1 - event) * sp, event * (1 - 2 * p) - (1 - event) * p


def row_loglik(dist: str, z, event, log_sigma, log_t):
    r"""Per-row (or per row and node) log-likelihood and its derivative in ``z``.

    Parameters
    ----------
    dist : {"weibull", "lognormal", "loglogistic"}
    z : array
        Standardized log lifetimes ``(log t - mu) / sigma``, shape (n,) or (n, q).
    event : array (n,)
        1 churned at ``t``, 0 still active (right-censored).
    log_sigma : float
        log of the scale ``sigma``.
    log_t : array (n,)
        log of the observed tenure.

    Returns
    -------
    ll, dll_dz : arrays of the shape of ``z``
        ``ll = event (log f(z) - log sigma - log t) + (1 - event) log S(z)``; the derivative
        in ``log sigma`` follows as ``-event - z * dll_dz`` and in ``mu`` as ``-dll_dz / sigma``.
    """
    z = np.asarray(z, float)
    d = np.asarray(event, float)
    const = -d * (log_sigma + np.asarray(log_t, float))       # the Jacobian of t -> z, per row
    if z.ndim == 2:
        d, const = d[:, None], const[:, None]
    ll, dz = standardized_loglik(dist, z, d)
    return ll + const, dz


def loglik(dist: str, duration, event, mu, log_sigma) -> float:
    """Total log-likelihood of lifetimes with location ``mu`` (scalar or per row) and scale
    ``exp(log_sigma)``: the quantity :func:`cxmodels.churn.aft` maximizes."""
    check_dist(dist)
    log_t = np.log(np.asarray(duration, float))
    z = (log_t - mu) / np.exp(log_sigma)
    return float(np.sum(row_loglik(dist, z, event, log_sigma, log_t)[0]))
