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

from ._model import CLVResult, sort_by_frequency
from .checks import positive_horizon, summary_arrays
from .references import FH_2005_NOTE, SMC_1987
from ._special import dot, log_diff_exp, log_hyp2f1_a1

#: the series path serves arguments z up to this (at most ~190 terms); beyond, BFGS on differences
_Z_SERIES = 0.8
#: rows per chunk of the series pass (bounds the memory of the (rows x terms) power matrix)
_CHUNK = 1 << 17
_PAIRS = [(i, j) for i in range(4) for j in range(i, 4)]


def _log_g_derivs(a, c, z, hess):
    r"""``log G`` and its derivatives in ``(a, c, z)`` for :math:`G = {}_2F_1(1, c; a+1; z)`.

    :math:`G = \sum_n g_n z^n` with :math:`g_n = \prod_{k<n} rac{c+k}{a+1+k}`; since
    :math:`c < a + 1` the terms fall faster than :math:`z^n`, so :math:`N` terms with
    :math:`z^N < 10^{-17}` give full precision.  The coefficients depend on :math:`a, c` only
    (one frequency per block of rows): their derivatives are closed forms,
    :math:`\partial_c \log g_n = \sum_{k<n} (c+k)^{-1}`, :math:`\partial_a \log g_n = -\sum_{k<n}
    (a+1+k)^{-1}`, and every derivative of :math:`G` is one more power series in :math:`z`: all
    ten (value, three first, six second derivatives) come from one product of the matrix of
    powers of :math:`z` with a (terms x 10) coefficient matrix.  Returns ``(L, [La, Lc, Lz],
    {(i, j): L_ij})`` (``a, c, z`` indexed 0, 1, 2), or None when ``max z > _Z_SERIES``.
    """
    zmax = float(z.max(initial=0.0))
    if zmax > _Z_SERIES:
        return None
    # z^N < 1e-17; at least two terms: the second derivative in z at z = 0 is 2 g_2
    N = 2 if zmax <= 0 else max(2, int(np.ceil(-39.2 / np.log(zmax))) + 2)
    k = np.arange(N, dtype=float)
    ic, ia = 1.0 / (c + k), 1.0 / (a + 1.0 + k)
    g = np.r_[1.0, np.cumprod((c + k) * ia)]
    P, Q = np.r_[0.0, np.cumsum(ic)], -np.r_[0.0, np.cumsum(ia)]
    n = np.arange(N + 1, dtype=float)
    C = np.zeros((N + 1, 10 if hess else 4))
    C[:, 0] = g
    C[:, 1] = g * Q
    C[:, 2] = g * P
    C[:-1, 3] = (n * g)[1:]                         # d/dz z^n = n z^(n-1): shifted one row up
    if hess:
        P2, Q2 = np.r_[0.0, np.cumsum(ic * ic)], np.r_[0.0, np.cumsum(ia * ia)]
        C[:, 4] = g * (Q * Q + Q2)                  # aa
        C[:, 5] = g * P * Q                         # ac
        C[:, 6] = g * (P * P - P2)                  # cc
        C[:-1, 7] = (n * g * Q)[1:]                 # az
        C[:-1, 8] = (n * g * P)[1:]                 # cz
        C[:-2, 9] = (n * (n - 1) * g)[2:]           # zz
    M = np.empty((len(z), N + 1))
    M[:, 0] = 1.0
    M[:, 1:] = z[:, None]
    np.cumprod(M, axis=1, out=M)
    S = np.einsum("ij,jk->ik", M, C)   # einsum's own loop: BLAS would spawn threads on a shared machine
    G = S[:, 0]
    L1 = [S[:, 1] / G, S[:, 2] / G, S[:, 3] / G]
    L2 = None
    if hess:
        L2 = {}
        for col, (i, j) in zip(range(4, 10), [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]):
            L2[i, j] = S[:, col] / G - L1[i] * L1[j]
    return np.log(G), L1, L2


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

    def _default_initial(self, d, w):
        # alpha = beta (z = 0, where the hypergeometric series is shortest) at a quarter of the
        # mean observation length: from all-ones BFGS wanders through alpha >> beta, where the
        # series does not reach and the gradient has to be differenced
        scale = max(float(np.average(d["T"], weights=w)) / 4.0, 1e-3) if w.sum() > 0 else 1.0
        return np.array([1.0, scale, 1.0, scale])

    def _prepare_weighted(self, d, w):
        # rows sorted by frequency: the series coefficients depend on the frequency only
        return sort_by_frequency(d, w)

    def _u(self, theta, x, t, hess):
        r"""Log of the hypergeometric part at ``t`` (``t_x`` or ``T``) with its derivatives in
        ``(r, alpha, s, beta)``, for one frequency ``x``.

        With :math:`p = \max(\alpha, \beta)`, :math:`q = \min(\alpha, \beta)`, :math:`z = (p - q)/(p + t)`,
        Euler's transformation gives :math:`u = \log[{}_2F_1(a, b; a+1; z)(p+t)^{-a}]
        = E + \log {}_2F_1(1, c; a+1; z)` with :math:`a = r+s+x` and, for :math:`\alpha \ge \beta`,
        :math:`c = r+x`, :math:`E = -(r+x)\log(\alpha+t) - s\log(\beta+t)`; for :math:`\alpha < \beta`,
        :math:`c = s+1`, :math:`E = -(r+x-1)\log(\alpha+t) - (s+1)\log(\beta+t)`.  The chain rule
        through :math:`a, c` (linear in :math:`r, s`) and :math:`z` (a function of :math:`\alpha, \beta`)
        gives every derivative in closed form.
        """
        r, alpha, s, beta = theta
        ge = alpha >= beta
        a = r + s + x
        c = r + x if ge else s + 1.0
        p, q = (alpha, beta) if ge else (beta, alpha)
        ip = 1.0 / (p + t)
        z = (p - q) * ip
        out = _log_g_derivs(a, c, z, hess)
        if out is None:
            return None
        L, (La, Lc, Lz), L2 = out
        ea, eb = (r + x, s) if ge else (r + x - 1.0, s + 1.0)
        la, lb = np.log(alpha + t), np.log(beta + t)
        iaa, ibb = 1.0 / (alpha + t), 1.0 / (beta + t)
        u = L - ea * la - eb * lb
        # dz/dp, dz/dq and second derivatives (d2z/dq2 = 0)
        zp, zq = (q + t) * ip * ip, -ip
        zpp, zpq = -2.0 * (q + t) * ip * ip * ip, ip * ip
        ip_, iq_ = (1, 3) if ge else (3, 1)
        cr, cs = (1.0, 0.0) if ge else (0.0, 1.0)
        dz = {ip_: zp, iq_: zq}
        g = [None] * 4
        g[0] = La + cr * Lc - la
        g[2] = La + cs * Lc - lb
        g[1] = Lz * dz[1] - ea * iaa
        g[3] = Lz * dz[3] - eb * ibb
        if not hess:
            return u, g, None
        Laa, Lac, Lcc, Laz, Lcz, Lzz = (L2[0, 0], L2[0, 1], L2[1, 1], L2[0, 2], L2[1, 2], L2[2, 2])
        d2z = {(ip_, ip_): zpp, (1, 3): zpq, (iq_, iq_): 0.0}
        H = {}
        H[0, 0] = Laa + 2 * cr * Lac + cr * Lcc
        H[0, 2] = Laa + Lac
        H[2, 2] = Laa + 2 * cs * Lac + cs * Lcc
        Lrz, Lsz = Laz + cr * Lcz, Laz + cs * Lcz
        H[0, 1] = Lrz * dz[1] - iaa
        H[0, 3] = Lrz * dz[3]
        H[1, 2] = Lsz * dz[1]
        H[2, 3] = Lsz * dz[3] - ibb
        H[1, 1] = Lzz * dz[1] * dz[1] + Lz * d2z[1, 1] + ea * iaa * iaa
        H[1, 3] = Lzz * dz[1] * dz[3] + Lz * d2z[1, 3]
        H[3, 3] = Lzz * dz[3] * dz[3] + Lz * d2z[3, 3] + eb * ibb * ibb
        return u, g, H

    def _fused(self, theta, d, w, hess):
        r"""One pass: weighted sums of the log-likelihood, its gradient and (``hess``) Hessian in
        ``(r, alpha, s, beta)``, all in closed form (series coefficients per frequency, see
        :func:`_log_g_derivs`); None when some argument :math:`z` exceeds ``_Z_SERIES``.

        With :math:`u_1 = u(t_x)`, :math:`u_2 = u(T)`, the dead part is :math:`\log s - \log a +
        \log(e^{u_1} - e^{u_2})`, whose derivatives are :math:`p_1 u_1' - p_2 u_2'` and
        :math:`p_1 u_1'' - p_2 u_2'' - p_1 p_2 (u_1' - u_2')(u_1' - u_2')^\top`, :math:`p_1 = (1 - e^{u_2 - u_1})^{-1}`,
        :math:`p_2 = p_1 - 1`; the row's log-likelihood :math:`K + \log(e^{A} + e^{D})` combines alive
        and dead parts like the BG/NBD's (``_fused`` there).
        """
        r, alpha, s, beta = theta
        starts, ux = d["_starts"], d["_ux"]
        ends = np.r_[starts[1:], len(w)]
        ll, g = 0.0, np.zeros(4)
        H = np.zeros((4, 4))
        ps = special.digamma
        for x, lo, hi in zip(ux, starts, ends):
            for c0 in range(lo, hi, _CHUNK):
                sl = slice(c0, min(c0 + _CHUNK, hi))
                out = self._chunk(theta, x, d["recency"][sl], d["T"][sl], w[sl], hess)
                if out is None:
                    return None
                ll += out[0]
                g += out[1]
                if hess:
                    H += out[2]
            # K(x) = lgamma(r+x) - lgamma(r) + r log alpha + s log beta and its derivatives
            Wx = float(w[lo:hi].sum())
            ll += Wx * (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta))
            g += Wx * np.array([ps(r + x) - ps(r) + np.log(alpha), r / alpha, np.log(beta), s / beta])
            if hess:
                t1 = special.polygamma(1, [r + x, r])
                H[0, 0] += Wx * (t1[0] - t1[1])
                H[0, 1] += Wx / alpha
                H[1, 1] -= Wx * r / alpha ** 2
                H[2, 3] += Wx / beta
                H[3, 3] -= Wx * s / beta ** 2
        if hess:
            H = np.triu(H) + np.triu(H, 1).T
        return float(ll), g, (H if hess else None)

    def _chunk(self, theta, x, tx, T, w, hess):
        r, alpha, s, beta = theta
        o1 = self._u(theta, x, tx, hess)
        o2 = self._u(theta, x, T, hess)
        if o1 is None or o2 is None:
            return None
        (u1, g1, H1), (u2, g2, H2) = o1, o2
        a = r + s + x
        gap = u2 - u1                                   # <= 0; 0 where t_x = T (no death window)
        live = gap < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            em = -np.expm1(np.where(live, gap, -1.0))
            p1 = np.where(live, 1.0 / em, 0.0)
            dead = np.where(live, np.log(s) - np.log(a) + u1 + np.log(em), -np.inf)
        p2 = np.where(live, p1 - 1.0, 0.0)
        lTa, lTb = np.log(alpha + T), np.log(beta + T)
        alive = -(r + x) * lTa - s * lTb
        pi = special.expit(dead - alive)                # share of the dead part
        ll = dot(w, np.logaddexp(alive, dead))
        # first derivatives: alive (closed form) and dead (p1 u1' - p2 u2' + d(log s - log a))
        iTa, iTb = 1.0 / (alpha + T), 1.0 / (beta + T)
        dA = [-lTa, -(r + x) * iTa, -lTb, -s * iTb]
        const = [-1.0 / a, 0.0, 1.0 / s - 1.0 / a, 0.0]
        dD = [p1 * g1[i] - p2 * g2[i] + const[i] for i in range(4)]
        wpi = w * pi
        grad = np.array([dot(w, dA[i]) + dot(wpi, dD[i] - dA[i]) for i in range(4)])
        if not hess:
            return ll, grad, None
        q = p1 * p2
        dl = [g1[i] - g2[i] for i in range(4)]
        Delta = [dD[i] - dA[i] for i in range(4)]
        v = wpi * (1.0 - pi)
        HA = {(0, 1): -iTa, (1, 1): (r + x) * iTa * iTa, (2, 3): -iTb, (3, 3): s * iTb * iTb}
        Hc = {(0, 0): 1.0 / a ** 2, (0, 2): 1.0 / a ** 2, (2, 2): 1.0 / a ** 2 - 1.0 / s ** 2}
        H = np.zeros((4, 4))
        for i, j in _PAIRS:
            hd = p1 * H1[i, j] - p2 * H2[i, j] - q * dl[i] * dl[j]
            ha = HA.get((i, j), 0.0)
            val = dot(wpi, hd) + dot(v, Delta[i] * Delta[j]) + Hc.get((i, j), 0.0) * float(wpi.sum())
            if (i, j) in HA:
                val += dot(w, ha) - dot(wpi, ha)
            H[i, j] = val
        return ll, grad, H

    def _loglik_grad(self, theta, d, w):
        if "_starts" not in d:
            return super()._loglik_grad(theta, d, w)
        out = self._fused(theta, d, w, False)
        if out is None:          # an argument z beyond the series' reach: differences instead
            return None
        return out[0], out[1]

    def _loglik_grad_hess(self, theta, d, w):
        if "_starts" not in d:
            return None
        return self._fused(theta, d, w, True)

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
    r"""Fit the Pareto/NBD (Schmittlein, Morrison & Colombo 1987) by maximum likelihood; returns a
    :class:`ParetoNBDResult`.  Arguments as in :func:`cxmodels.clv.fit_bgnbd`, except that the
    default start is ``r = s = 1`` and ``alpha = beta`` = a quarter of the mean ``T``.  The
    gradient and the Hessian are closed forms (see :meth:`ParetoNBDResult._fused`) while
    :math:`|\alpha-\beta|/\max(\alpha,\beta) \le 0.8`; beyond, the optimiser differences the
    likelihood (step 1e-6) and the standard errors come from differences of the gradient.
    """
    return ParetoNBDResult._fit(data, weights=weights, penalizer=penalizer, initial=initial, tol=tol,
                                maxiter=maxiter, level=level)
