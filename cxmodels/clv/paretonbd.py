r"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in log space.

While alive a customer buys at Poisson rate :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`;
her lifetime is exponential with rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`.  The
likelihood of :math:`(x, t_x, T)` is (Fader & Hardie 2005, eq. 22)

.. math::

    L = \frac{\Gamma(r+x)\,\alpha^r\beta^s}{\Gamma(r)}
        \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right],

with, for :math:`\alpha \ge \beta`,

.. math::

    A_0 = \frac{{}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+t_x})}{(\alpha+t_x)^{r+s+x}}
        - \frac{{}_2F_1(r+s+x, s+1; r+s+x+1; \frac{\alpha-\beta}{\alpha+T})}{(\alpha+T)^{r+s+x}}

and, for :math:`\alpha < \beta`, the same with :math:`\alpha` and :math:`\beta`
exchanged and :math:`r+x` in place of :math:`s+1`.  Every term is computed as a
logarithm: the hypergeometric functions through Euler's transformation
(:func:`cxmodels.clv._special.log_hyp2f1_a1`), the difference in :math:`A_0` as
``log(exp(u1) - exp(u2))``.  Nothing overflows however large :math:`x` is.

References
----------
Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your customers: Who
are they and what will they do next? *Management Science*, 33(1), 1-24.

Fader, P. S., & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and
related expressions. http://brucehardie.com/notes/009/
"""

from __future__ import annotations

import numpy as np
from scipy import special

import pandas as pd

from ._model import CLVResult
from .checks import positive_horizon, summary_arrays
from .references import FH_2005_NOTE, SMC_1987
from ._special import log_diff_exp, log_hyp2f1_a1


def _log_A0(r, alpha, s, beta, x, tx, T):
    """log A0 through the hypergeometric functions (Euler-transformed); NaN where scipy fails."""
    rsx = r + s + x
    if alpha >= beta:
        big, bh = alpha, s + 1.0
    else:
        big, bh = beta, r + x
    diff = abs(alpha - beta)
    u1 = log_hyp2f1_a1(rsx, bh, diff / (big + tx)) - rsx * np.log(big + tx)
    u2 = log_hyp2f1_a1(rsx, bh, diff / (big + T)) - rsx * np.log(big + T)
    return log_diff_exp(u1, u2)


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _log_dead_quadrature(r, alpha, s, beta, x, tx, T):
    r"""log of :math:`s\int_{t_x}^{T} (\alpha+\tau)^{-(r+x)}(\beta+\tau)^{-(s+1)} d\tau` by quadrature.

    This integral equals :math:`\frac{s}{r+s+x} A_0` (death at :math:`\tau` between the last
    purchase and :math:`T`).  With :math:`c = r+s+x` and
    :math:`y = -c \log((\alpha+\tau)/(\alpha+t_x))` it becomes
    :math:`\frac{s}{c}(\alpha+t_x)^{-c}\int_{y_T}^{0} e^{y} ((\alpha+\tau)/(\beta+\tau))^{s+1} dy`,
    where the second factor varies by at most :math:`R = \max(\alpha/\beta, \beta/\alpha)^{s+1}`
    whatever :math:`x`, so the range can be cut at :math:`y = -(40 + \log R)`.
    96-point Gauss-Legendre in :math:`y`, summed in log space.
    """
    c = r + s + x
    la_tx = np.log(alpha + tx)
    y_T = -c * (np.log(alpha + T) - la_tx)
    y_min = np.maximum(y_T, -(40.0 + (s + 1.0) * abs(np.log(alpha) - np.log(beta))))
    half = (-y_min / 2.0)[:, None]
    y = y_min[:, None] + half * (_NODES[None, :] + 1.0)
    log_a_tau = la_tx[:, None] - y / c[:, None]          # log(alpha + tau)
    tau = np.exp(log_a_tau) - alpha
    log_f = y + (s + 1.0) * (log_a_tau - np.log(beta + tau))
    log_int = special.logsumexp(log_f, b=_WEIGHTS[None, :], axis=1) + np.log(half[:, 0])
    return np.log(s) - np.log(c) - c * la_tx + log_int


def _log_dead(r, alpha, s, beta, x, tx, T):
    r"""log(s/(r+s+x) A0): hypergeometric form, quadrature where scipy's 2F1 fails or leaves its bounds."""
    with np.errstate(all="ignore"):
        out = np.log(s) - np.log(r + s + x) + _log_A0(r, alpha, s, beta, x, tx, T)
    bad = ~np.isfinite(out) & (tx < T)
    if bad.any():
        out = np.array(out, dtype=float, copy=True)
        with np.errstate(all="ignore"):
            out[bad] = _log_dead_quadrature(r, alpha, s, beta, x[bad], tx[bad], T[bad])
    return out


class ParetoNBDResult(CLVResult):
    """A Pareto/NBD fit (from :func:`fit_pareto_nbd`, or :meth:`from_params`); parameters
    ``r, alpha, s, beta``.  See the module docstring for the likelihood.
    """

    param_names = ("r", "alpha", "s", "beta")
    method_name = "Pareto/NBD"
    _references = (SMC_1987, FH_2005_NOTE)

    def _arrays(self, data):
        return summary_arrays(data)

    def _log_terms(self, theta, x, tx, T):
        r, alpha, s, beta = theta
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        x, tx, T = np.broadcast_arrays(np.asarray(x, float), np.asarray(tx, float), np.asarray(T, float))
        dead = _log_dead(r, alpha, s, beta, x, tx, T)
        return alive, dead

    def _loglik(self, theta, d):
        r, alpha, s, beta = theta
        x = d["frequency"]
        alive, dead = self._log_terms(theta, x, d["recency"], d["T"])
        return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                + np.logaddexp(alive, dead))

    # no coded gradient: the gradient and the Hessian are differenced from the likelihood
    _analytic_gradient = False

    def _p_alive(self, theta, x, tx, T):
        with np.errstate(divide="ignore", invalid="ignore"):
            alive, dead = self._log_terms(theta, x, tx, T)
        return special.expit(alive - dead)

    def p_alive(self, data):
        r"""Probability each customer is still alive at ``T`` (Fader & Hardie 2005, eq. 19):
        :math:`1 / (1 + \frac{s}{r+s+x}(\alpha+T)^{r+x}(\beta+T)^s A_0)`."""
        d = summary_arrays(data)
        return self._series(self._p_alive(self._theta, d["frequency"], d["recency"], d["T"]), data, "p_alive")

    def _cond_purchases(self, theta, x, tx, T, t):
        r, alpha, s, beta = theta
        lg = np.log(beta + T) - np.log(beta + T + t)
        frac = -np.expm1((s - 1.0) * lg) / (s - 1.0) if abs(s - 1.0) > 1e-10 else -lg
        return (r + x) * (beta + T) / (alpha + T) * frac * self._p_alive(theta, x, tx, T)

    def expected_purchases(self, t, data=None):
        r"""Expected purchases in the next ``t`` time units.

        With ``data`` (Fader & Hardie 2005, eq. 21):

        .. math:: E[Y(t)\mid x, t_x, T] = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
            \left[1 - \left(\frac{\beta+T}{\beta+T+t}\right)^{s-1}\right] P(\text{alive}),

        a Series indexed like ``data``.  Without it: a new customer's
        :math:`\frac{r\beta}{\alpha(s-1)}[1 - (\frac{\beta}{\beta+t})^{s-1}]` (eq. 17).
        """
        t = positive_horizon(t)
        if data is None:
            r, alpha, s, beta = self._theta
            lg = np.log(beta) - np.log(beta + t)
            return r * beta / alpha * (-np.expm1((s - 1.0) * lg) / (s - 1.0))
        d = summary_arrays(data)
        vals = self._cond_purchases(self._theta, d["frequency"], d["recency"], d["T"], t)
        return self._series(vals, data, "expected_purchases")


def fit_pareto_nbd(data: pd.DataFrame, *, weights=None, penalizer: float = 0.0, initial=None, tol: float = 1e-9,
                   maxiter: int = 2000, level: float = 0.95) -> ParetoNBDResult:
    """Fit the Pareto/NBD (Schmittlein, Morrison & Colombo 1987) by maximum likelihood; returns a
    :class:`ParetoNBDResult`.  Arguments as in :func:`cxmodels.clv.fit_bgnbd`; without a coded
    gradient the optimiser differences the likelihood (step 1e-6) and the standard errors come
    from its second differences (step 1e-3 in log-parameters).
    """
    return ParetoNBDResult._fit(data, weights=weights, penalizer=penalizer, initial=initial, tol=tol,
                                maxiter=maxiter, level=level)
