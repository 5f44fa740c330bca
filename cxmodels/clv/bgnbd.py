r"""The beta-geometric/NBD model (Fader, Hardie & Lee 2005) and its modified form.

While alive, a customer buys at Poisson rate :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`
(shape, rate); after each repeat purchase she drops out with probability
:math:`p \sim \mathrm{Beta}(a, b)`.  For a customer with :math:`x` repeat purchases, the
last at :math:`t_x`, observed for :math:`T`, the likelihood is (FHL 2005, eq. 6)

.. math::

    L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
        + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
          \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}},

evaluated here as ``A1 + A2 + logaddexp(A3, A4)`` so that large :math:`x` never overflows.
The modified BG/NBD (Batislam, Denizel & Filiztekin 2007) lets a customer drop out at
time 0 as well: :math:`x` replaces :math:`x-1` in the second term and the indicator goes.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy
way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.

Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical validation and
comparison of models for customer base analysis. *International Journal of Research in
Marketing*, 24(3), 201-209.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError
from .checks import positive_horizon, summary_arrays
from ._model import CLVResult, sort_by_frequency
from ._special import dot
from .references import BATISLAM_2007, FHL_2005


class BGNBDResult(CLVResult):
    """A BG/NBD fit (from :func:`fit_bgnbd`, or :meth:`from_params`); parameters ``r, alpha, a, b``.

    See the module docstring for the likelihood; fitting options in :func:`fit_bgnbd`.
    Predictions take a ``data`` frame with ``frequency, recency, T`` (same time unit as
    the fit) and return Series indexed like it.
    """

    param_names = ("r", "alpha", "a", "b")
    method_name = "BG/NBD"
    _modified = False
    _references = (FHL_2005,)

    def _arrays(self, data):
        return summary_arrays(data)

    def _parts(self, theta, d):
        r, alpha, a, b = theta
        x, tx, T = d["frequency"], d["recency"], d["T"]
        m = 1.0 if self._modified else 0.0
        A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        A2 = (special.gammaln(a + b) + special.gammaln(b + x + m) - special.gammaln(b)
              - special.gammaln(a + b + x + m))
        A3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            A4 = np.log(a) - np.log(b + x - 1 + m) - (r + x) * np.log(alpha + tx)
        if not self._modified:
            A4 = np.where(x > 0, A4, -np.inf)
        return A1, A2, A3, A4

    def _prepare_weighted(self, d, w):
        # rows sorted by frequency: every term that depends on x only is summed per block, and the
        # BG/NBD's x = 0 rows, whose second term vanishes, form one block that skips half the pass
        return sort_by_frequency(d, w)

    def _per_x(self, theta, ux, hess):
        """Terms that depend on x only (A1 + A2 of the module docstring) and their derivatives."""
        r, alpha, a, b = theta
        m = 1.0 if self._modified else 0.0
        gl, ps = special.gammaln, special.digamma
        A12 = (gl(r + ux) - gl(r) + r * np.log(alpha) + gl(a + b) + gl(b + ux + m) - gl(b) - gl(a + b + ux + m))
        g = np.empty((4, len(ux)))
        g[0] = ps(r + ux) - ps(r) + np.log(alpha)
        g[1] = r / alpha
        g[2] = ps(a + b) - ps(a + b + ux + m)
        g[3] = ps(a + b) + ps(b + ux + m) - ps(b) - ps(a + b + ux + m)
        if not hess:
            return A12, g, None
        t1 = lambda z: special.polygamma(1, z)  # noqa: E731 - trigamma
        h = np.zeros((4, 4, len(ux)))
        h[0, 0] = t1(r + ux) - t1(r)
        h[0, 1] = h[1, 0] = 1.0 / alpha
        h[1, 1] = -r / alpha ** 2
        h[2, 2] = h[2, 3] = h[3, 2] = t1(a + b) - t1(a + b + ux + m)
        h[3, 3] = t1(a + b) + t1(b + ux + m) - t1(b) - t1(a + b + ux + m)
        return A12, g, h

    def _fused(self, theta, d, w, hess):
        r"""One pass over rows sorted by frequency: weighted sums of the log-likelihood, its
        gradient and (``hess``) its Hessian in natural parameters.

        With :math:`A_3 = -(r+x)\log(lpha+T)`, :math:`A_4 = \log a - \log(b+x-1) - (r+x)\log(lpha+t_x)`,
        :math:`\ell = A_1 + A_2 + \log(e^{A_3} + e^{A_4})` and :math:`w_4 = e^{A_4}/(e^{A_3}+e^{A_4})`:

        .. math:: \partial_i \ell = \partial_i A_{12} + \partial_i A_3 + w_4 \Delta_i,\quad
            \partial_{ij} \ell = \partial_{ij} A_{12} + \partial_{ij} A_3 + w_4 \partial_{ij}\Delta
            + w_4 (1 - w_4) \Delta_i \Delta_j,

        :math:`\Delta = A_4 - A_3`, whose derivatives are :math:`\Delta_r = \log(lpha+T) - \log(lpha+t_x)`,
        :math:`\Delta_lpha = (r+x)(rac{1}{lpha+T} - rac{1}{lpha+t_x})`,
        :math:`\Delta_a = 1/a`, :math:`\Delta_b = -1/(b+x-1)` (closed forms throughout).
        """
        r, alpha, a, b = theta
        m = 1.0 if self._modified else 0.0
        starts, ux, n0 = d["_starts"], d["_ux"], (0 if self._modified else d["_n0"])
        Wx = np.add.reduceat(w, starts) if len(w) else np.zeros(0)
        A12, gx, hx = self._per_x(theta, ux, hess)
        ll = Wx @ A12
        g = gx @ Wx
        H = hx @ Wx if hess else None
        T, tx, x = d["T"], d["recency"], d["frequency"]
        # x = 0 rows of the BG/NBD: only A3 = -r log(alpha + T)
        if n0:
            wz = w[:n0]
            az = alpha + T[:n0]
            lz, iz = np.log(az), 1.0 / az
            wl = dot(wz, lz)
            wi = dot(wz, iz)
            ll -= r * wl
            g[0] -= wl
            g[1] -= r * wi
            if hess:
                H[0, 1] -= wi
                H[1, 1] += r * dot(wz, iz * iz)
        if n0 < len(w):
            sl = slice(n0, None)
            wp = w[sl]
            aT, atx = alpha + T[sl], alpha + tx[sl]
            lT, ltx = np.log(aT), np.log(atx)
            iT, itx = 1.0 / aT, 1.0 / atx
            rx = r + x[sl]
            Dr = lT - ltx                                   # >= 0: t_x <= T
            ib = 1.0 / (b + ux - 1.0 + m)                   # per x: -d A4 / d b
            with np.errstate(divide="ignore", invalid="ignore"):
                c4 = np.log(a) + np.log(ib)
            k0 = int(np.searchsorted(starts, n0))          # first block of the active rows
            sp, cnt = starts[k0:] - n0, np.diff(np.r_[starts[k0:], len(w)])
            dlt = np.repeat(c4[k0:], cnt) + rx * Dr         # A4 - A3
            w4 = special.expit(dlt)
            wrx = wp * rx
            ll += dot(wp, np.logaddexp(0.0, dlt)) - dot(wrx, lT)
            ww4 = wp * w4
            E = iT - itx                                    # <= 0
            g[0] += dot(ww4, Dr) - dot(wp, lT)
            ww4rx = ww4 * rx
            g[1] += dot(ww4rx, E) - dot(wrx, iT)
            W4x = np.add.reduceat(ww4, sp)
            ibk = ib[k0:]
            g[2] += W4x.sum() / a
            g[3] -= W4x @ ibk
            if hess:
                v = ww4 * (1.0 - w4)
                Da = rx * E
                vDr, vDa = v * Dr, v * Da
                iT2, itx2 = iT * iT, itx * itx
                H[0, 0] += dot(vDr, Dr)
                H[0, 1] += dot(ww4, E) + dot(vDr, Da) - dot(wp, iT)
                H[1, 1] += dot(wrx, iT2) - dot(ww4rx, iT2 - itx2) + dot(vDa, Da)
                Vx = np.add.reduceat(v, sp)
                VDrx = np.add.reduceat(vDr, sp)
                VDax = np.add.reduceat(vDa, sp)
                H[0, 2] += VDrx.sum() / a
                H[1, 2] += VDax.sum() / a
                H[0, 3] -= VDrx @ ibk
                H[1, 3] -= VDax @ ibk
                H[2, 2] += (Vx.sum() - W4x.sum()) / a ** 2
                H[2, 3] -= (Vx @ ibk) / a
                H[3, 3] += (W4x + Vx) @ (ibk * ibk)
        if hess:
            H = np.triu(H) + np.triu(H, 1).T
        return float(ll), g, H

    def _loglik_grad(self, theta, d, w):
        if "_starts" not in d:
            return super()._loglik_grad(theta, d, w)
        ll, g, _ = self._fused(theta, d, w, False)
        return ll, g

    def _loglik_grad_hess(self, theta, d, w):
        if "_starts" not in d:
            return None
        return self._fused(theta, d, w, True)

    def _loglik(self, theta, d):
        A1, A2, A3, A4 = self._parts(theta, d)
        return A1 + A2 + np.logaddexp(A3, A4)

    def _grad(self, theta, d):
        r, alpha, a, b = theta
        x, tx, T = d["frequency"], d["recency"], d["T"]
        m = 1.0 if self._modified else 0.0
        _, _, A3, A4 = self._parts(theta, d)
        w4 = special.expit(A4 - A3)  # share of the second term
        w3 = 1.0 - w4
        ps = special.digamma
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_btx = np.where(w4 > 0, 1.0 / (b + x - 1 + m), 0.0)
        g = np.empty((len(x), 4))
        g[:, 0] = ps(r + x) - ps(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + tx)
        g[:, 1] = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
        g[:, 2] = ps(a + b) - ps(a + b + x + m) + w4 / a
        g[:, 3] = ps(a + b) + ps(b + x + m) - ps(b) - ps(a + b + x + m) - w4 * inv_btx
        return g

    # --- predictions --------------------------------------------------------------
    def _log_odds_dead(self, theta, x, tx, T):
        """log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out."""
        r, alpha, a, b = theta
        m = 1.0 if self._modified else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.log(a) - np.log(b + x - 1 + m) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return lo if self._modified else np.where(x > 0, lo, -np.inf)

    def _cond_purchases(self, theta, x, tx, T, t):
        t = np.asarray(t, float)
        if t.ndim == 0 and x.ndim == 1 and len(x) > 20_000:
            # the hypergeometric part depends on (x, T) only: evaluate it once per distinct pair
            iT, uT = pd.factorize(T)
            ix, ux = pd.factorize(x)
            codes, uniq = pd.factorize(ix.astype(np.int64) * len(uT) + iT)
            xs, Ts = ux[uniq // len(uT)], uT[uniq % len(uT)]
            part = self._purchases_if_alive(theta, xs, Ts, t)[codes]
        else:
            part = self._purchases_if_alive(theta, x, T, t)
        return part * special.expit(-self._log_odds_dead(theta, x, tx, T))

    def _purchases_if_alive(self, theta, x, T, t):
        r"""(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)].

        Euler's transformation turns the product into :math:`(1-z)^{a-1}\,{}_2F_1(a+b-1-r, a-1;
        a+b+x-1; z)` with :math:`z = t/(\alpha+T+t)`: the direct form overflows for large
        :math:`x` (its hypergeometric factor grows like :math:`(1-z)^{-x}`), this one does not.
        """
        r, alpha, a, b = theta
        m = 1.0 if self._modified else 0.0
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(a + b - 1 + m - r, a - 1, a + b + x - 1 + m, z)
        first = (a + b + x - 1 + m) / (a - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp
        return first * inner

    def expected_purchases(self, t, data=None):
        r"""Expected purchases in the next ``t`` time units.

        With ``data``: the conditional expectation given each customer's history
        (FHL 2005, eq. 10),

        .. math:: E[Y(t)\mid x, t_x, T] = \frac{\frac{a+b+x-1}{a-1}\left[1 - \left(\frac{\alpha+T}
            {\alpha+T+t}\right)^{r+x} {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)\right]}
            {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}},

        a Series indexed like ``data``.  Without ``data``: the expected purchases of a
        new customer in ``(0, t]`` (eq. 9), :math:`\frac{a+b-1}{a-1}[1 - (\frac{\alpha}{\alpha+t})^r
        {}_2F_1(r, b; a+b-1; \frac{t}{\alpha+t})]`, for scalar or array ``t``.
        """
        theta = self._theta
        t = positive_horizon(t)
        if data is None:
            r, alpha, a, b = theta
            m = 1.0 if self._modified else 0.0
            hyp = special.hyp2f1(r, b + m, a + b - 1 + m, t / (alpha + t))
            lead = (a + b - 1) / (a - 1) if not self._modified else b / (a - 1)
            return lead * (1 - (alpha / (alpha + t)) ** r * hyp)
        d = summary_arrays(data)
        vals = self._cond_purchases(theta, d["frequency"], d["recency"], d["T"], t)
        return self._series(vals, data, "expected_purchases")

    def p_alive(self, data):
        r"""Probability each customer is still active at ``T`` (FHL 2005, eq. 11):
        :math:`1 / (1 + \delta_{x>0} \frac{a}{b+x-1}(\frac{\alpha+T}{\alpha+t_x})^{r+x})`."""
        d = summary_arrays(data)
        vals = special.expit(-self._log_odds_dead(self._theta, d["frequency"], d["recency"], d["T"]))
        return self._series(vals, data, "p_alive")

    def probability_of_n_purchases(self, t, n):
        r"""P(X(t) = n) for a new customer over ``(0, t]`` (FHL 2005, eq. 8).

        .. math::

            P(X(t)=n) = \frac{B(a, b+n)}{B(a, b)} \frac{\Gamma(r+n)}{\Gamma(r)\, n!}
            \Big(\frac{\alpha}{\alpha+t}\Big)^r \Big(\frac{t}{\alpha+t}\Big)^n
            + \delta_{n>0} \frac{B(a+1, b+n-1)}{B(a, b)} \Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
            \sum_{j=0}^{n-1} \frac{\Gamma(r+j)}{\Gamma(r)\, j!} \Big(\frac{t}{\alpha+t}\Big)^j\Big]

        ``n`` may be an integer or an array of integers (broadcast against ``t``).
        Implemented for the BG/NBD only.
        """
        if self._modified:
            raise InputError("probability_of_n_purchases is implemented for the BG/NBD only")
        r, alpha, a, b = self._theta
        t = positive_horizon(t)
        try:
            n = np.asarray(n, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"n must hold non-negative integers, got {n!r}") from None
        if not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
            raise InputError(f"n must hold non-negative integers, got {n!r}")
        t, n = np.broadcast_arrays(t, n.astype(float))
        lbeta = special.betaln
        lp0 = r * (np.log(alpha) - np.log(alpha + t))
        with np.errstate(divide="ignore"):
            lq = np.log(t) - np.log(alpha + t)
            first = (lbeta(a, b + n) - lbeta(a, b) + special.gammaln(r + n) - special.gammaln(r)
                     - special.gammaln(n + 1) + lp0 + np.where(n > 0, n * lq, 0.0))
        # (alpha/(alpha+t))^r sum_{j<n} Gamma(r+j)/(Gamma(r) j!) (t/(alpha+t))^j is the NB(r, p0)
        # distribution function at n-1, i.e. the regularised incomplete beta I_p0(r, n)
        p0 = alpha / (alpha + t)
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf = np.where(n > 0, special.betainc(r, np.maximum(n, 1), p0), 0.0)
            second = np.where(n > 0, np.exp(lbeta(a + 1, b + np.maximum(n, 1) - 1) - lbeta(a, b)) * (1 - cdf), 0.0)
        return np.exp(first) + second


class MBGNBDResult(BGNBDResult):
    r"""Modified BG/NBD (Batislam et al. 2007): customers may also drop out at time 0.

    Likelihood :math:`\frac{B(a, b+x+1)}{B(a,b)}\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
    [1 + \frac{a}{b+x}(\frac{\alpha+T}{\alpha+t_x})^{r+x}]`; parameters ``r, alpha, a, b``.
    Predictions follow lifetimes' ``ModifiedBetaGeoFitter``.
    """

    method_name = "modified BG/NBD"
    _modified = True
    _references = (BATISLAM_2007, FHL_2005)


_FIT_DOC = """
    Parameters
    ----------
    data : DataFrame
        One row per customer with ``frequency``, ``recency``, ``T`` (lifetimes' names), as
        :func:`cxmodels.clv.rfm_summary` returns (a calibration/holdout summary is read as it
        is: its calibration columns).  Not modified.
    weights : array-like, optional
        Counts of identical customers, one per row; rows are compressed to distinct values
        before fitting either way.
    penalizer : float, default 0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative log-likelihood
        (lifetimes' ``penalizer_coef``); 0 gives plain maximum likelihood.
    initial : sequence of float, optional
        Starting values in the order of the parameters (default: all 1).
    tol : float
        Gradient tolerance of the optimiser on the mean log-likelihood.
    maxiter : int
        Iteration limit; hitting it flags the result as not converged.
    level : float, default 0.95
        Level of the Wald intervals (on the log scale) in ``summary()``.

    Notes
    -----
    A fit the data cannot identify (no repeat purchases at all; a parameter running off to 0
    or infinity; a Hessian that is not positive definite) warns, is listed in ``.warnings``
    and has ``admissible=False``.
"""


def fit_bgnbd(data: pd.DataFrame, *, weights=None, penalizer: float = 0.0, initial=None, tol: float = 1e-9,
              maxiter: int = 2000, level: float = 0.95) -> BGNBDResult:
    """Fit the BG/NBD (Fader, Hardie & Lee 2005) by maximum likelihood; returns a :class:`BGNBDResult`.
    """
    return BGNBDResult._fit(data, weights=weights, penalizer=penalizer, initial=initial, tol=tol,
                            maxiter=maxiter, level=level)


def fit_mbgnbd(data: pd.DataFrame, *, weights=None, penalizer: float = 0.0, initial=None, tol: float = 1e-9,
               maxiter: int = 2000, level: float = 0.95) -> MBGNBDResult:
    """Fit the modified BG/NBD (Batislam, Denizel & Filiztekin 2007); returns a :class:`MBGNBDResult`.
    """
    return MBGNBDResult._fit(data, weights=weights, penalizer=penalizer, initial=initial, tol=tol,
                             maxiter=maxiter, level=level)


fit_bgnbd.__doc__ += _FIT_DOC
fit_mbgnbd.__doc__ += _FIT_DOC
