"""Latent satisfaction measured by Likert items: an ordinal-probit factor model and the posterior
of each respondent's satisfaction over quadrature nodes.

Model
-----
One factor ``s ~ N(0, phi)`` measured by ``J`` ordered items (a normal-ogive graded-response,
or ordinal-probit, factor model; Samejima 1969, Muthen 1984). Item ``j`` answers category ``c``
when a latent response ``y*_j`` falls between two thresholds (probit link):

    marker item (the first):  y*_1 = nu + s + sigma e,  thresholds fixed at the scale's
                              category boundaries c +- 1/2 (the extremes open);
    other items:              y*_j = lambda_j s + e,     free thresholds tau_j1 < ... < tau_jK,
    P(y_j = c | s) = Phi(upper_jc - ...) - Phi(lower_jc - ...),  e ~ N(0, 1).

The marker's thresholds carry the item metric: its latent response is in scale points, so one
unit of ``s`` is one scale point of the marker item, the metric the continuous SEM gives
satisfaction (first loading 1) and the one the chain reports CLV per unit in. Categories an
item never uses are merged (their thresholds are not identified).

Estimation is by marginal maximum likelihood (Bock & Aitkin 1981): the likelihood of each
distinct answer pattern is integrated over ``s`` by Gauss-Hermite quadrature, weighted by its
count, and maximized with analytic gradients. Marginal ML is used rather than the SEM domain's
WLSMV because it estimates the full response model (not only polychoric correlations) and so
yields each respondent's posterior ``p(s | answers)`` the chain integrates over; a bootstrap
resample changes only the pattern counts, so refits are cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from .behaviour import warm_inverse

_PX, _PW = np.polynomial.hermite_e.hermegauss(41)          # prior quadrature, fitting
_PLW = np.log(_PW / np.sqrt(2 * np.pi))
_AX, _AW = np.polynomial.hermite_e.hermegauss(16)          # adaptive quadrature, posteriors


def _logdiff_cdf(a, b):
    """log(Phi(a) - Phi(b)) for a > b, stable in both tails."""
    # on the side of the smaller probabilities (Phi close to 1 loses digits); the difference of
    # ndtr is exact enough except deep in a tail, where log_ndtr takes over
    flip = b > 0
    hi = np.where(flip, -b, a)
    lo = np.where(flip, -a, b)
    P = special.ndtr(hi) - special.ndtr(lo)
    out = np.log(np.maximum(P, 1e-300))
    deep = P < 1e-12
    if deep.any():
        lhi, llo = special.log_ndtr(hi[deep]), special.log_ndtr(lo[deep])
        out[deep] = lhi + np.log1p(-np.exp(np.minimum(llo - lhi, -1e-300)))
    return out


@dataclass(frozen=True, eq=False)
class _Patterns:
    """The distinct answer patterns of one data set, computed once: a bootstrap resample of it
    changes only their counts (``np.bincount(inv, weights=w)``), never the patterns, so refits
    and posteriors reuse them instead of re-running ``np.unique`` over the rows.

    ``Y`` and ``cats`` identify the data set (:func:`_patterns` checks them before reusing);
    ``pats`` (m, J) the patterns' category codes, ``inv`` (n,) each row's pattern, and
    ``onehot`` (sum of categories, m) the indicator of each item's category per pattern (all
    items stacked), which turns a (pattern x node) mass into a (category x node) one by one
    product.
    """

    Y: np.ndarray
    cats: tuple
    pats: np.ndarray
    inv: np.ndarray
    onehot: np.ndarray

    def matches(self, Y, cats) -> bool:
        return (self.Y.shape == np.shape(Y) and len(self.cats) == len(cats)
                and all(a is b or np.array_equal(a, b) for a, b in zip(self.cats, cats))
                and np.array_equal(self.Y, Y))


def _patterns(Y, cats, cached: _Patterns | None = None) -> _Patterns:
    """The answer patterns of ``Y`` under ``cats``; ``cached`` is reused when it is for the same data."""
    Y = np.asarray(Y, float)
    if cached is not None and cached.matches(Y, cats):
        return cached
    pats, inv = np.unique(_codes(Y, cats), axis=0, return_inverse=True)
    return _Patterns(Y.copy(), tuple(np.asarray(c) for c in cats), pats, np.asarray(inv).ravel(),
                     _onehot(pats, cats))


def _onehot(pats, cats):
    """(sum over items of their categories, m): row ``off_j + c`` is 1 where item j answers c."""
    return np.concatenate([(pats[:, j][None, :] == np.arange(len(c))[:, None]).astype(float)
                           for j, c in enumerate(cats)])


@dataclass
class OrdinalFactor:
    """A fitted one-factor ordinal-probit model (see the module docstring).

    ``theta``: ``[nu, log_sigma, log_phi]`` then, per other item, ``[lambda, tau_1,
    log(tau_2 - tau_1), ...]``. ``codes`` maps each item's answers to 0-based categories.
    ``patterns``: the answer patterns of the data it was fitted to (reused by bootstrap refits
    and by :meth:`posterior` on the same answers).
    """

    items: list
    scale: tuple
    cats: list            # per item, the sorted observed categories (marker: full scale)
    theta: np.ndarray
    loglik: float
    converged: bool
    n: int
    hess_inv: np.ndarray | None = None     # BFGS's inverse Hessian (per row): warm starts
    patterns: _Patterns | None = field(default=None, repr=False)

    @property
    def phi(self) -> float:
        return float(np.exp(self.theta[2]))

    @property
    def nu(self) -> float:
        return float(self.theta[0])

    def codes(self, Y: np.ndarray) -> np.ndarray:
        return _codes(Y, self.cats)

    def loglik_nodes(self, codes: np.ndarray, s: np.ndarray) -> np.ndarray:
        """log p(answers | s) for answer codes (m, J) at node values s (m, q) or (q,)."""
        return _item_logp(self.theta, codes, s, self.cats, self.scale)

    def posterior(self, Y: np.ndarray, q: int | None = None):
        """Nodes ``S`` (n, q) and log weights ``logw`` (n, q) of each row's posterior of ``s``.

        Adaptive Gauss-Hermite: nodes centred at the posterior mean with the posterior sd
        (computed per answer pattern on a fine grid), weights reweighted by the exact
        posterior density, so ``sum exp(logw) f(S)`` is ``E[f(s) | answers]``.
        """
        S, logw, inv = self._pattern_posterior(Y)
        return S[inv], logw[inv]

    def posterior_mean(self, Y: np.ndarray) -> np.ndarray:
        """Each row's posterior mean (EAP) of ``s``: :meth:`posterior`'s ``sum exp(logw) S``,
        computed once per answer pattern."""
        S, logw, inv = self._pattern_posterior(Y)
        return (np.exp(logw) * S).sum(axis=1)[inv]

    def _pattern_posterior(self, Y):
        """:meth:`posterior` per distinct answer pattern, with each row's pattern."""
        pt = _patterns(Y, self.cats, self.patterns)
        pats = pt.pats
        sd0 = np.sqrt(self.phi)
        grid = sd0 * np.linspace(-7, 7, 113)     # locates the posterior; its weights are exact
        # shared nodes: the probit terms once per (category, node), then gathered per pattern
        _, _, tab, off = _stacked(self.theta, self.cats, self.scale, grid)
        lp = _pattern_logp(tab, off, pats, pt.onehot) - 0.5 * (grid / sd0) ** 2
        w = np.exp(lp - lp.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        mean = w @ grid
        sd = np.sqrt(np.maximum(w @ grid ** 2 - mean ** 2, 1e-12))
        S = mean[:, None] + sd[:, None] * _AX[None, :]
        # integral of F(s) = sd * sum_k w_k exp(x_k^2 / 2) F(m + sd x_k): the rule's weights times
        # the unnormalized posterior p(answers | s) N(s; 0, phi) at the nodes (constants cancel)
        lpost = self.loglik_nodes(pats, S) - 0.5 * (S / sd0) ** 2
        logw = lpost + (np.log(_AW) + 0.5 * _AX ** 2)[None, :]
        top = logw.max(axis=1, keepdims=True)
        logw = logw - (np.log(np.exp(logw - top).sum(axis=1, keepdims=True)) + top)
        return S, logw, pt.inv


def _codes(Y, cats):
    """0-based category of each answer: the first category whose largest answer is >= it."""
    out = np.empty(Y.shape, dtype=np.int64)
    for j, c in enumerate(cats):
        out[:, j] = np.minimum(np.searchsorted(c, Y[:, j]), len(c) - 1)
    return out


def _unpack(theta, cats):
    """Per other item: loading and the increasing thresholds (with their Jacobian blocks)."""
    out, k = [], 3
    for c in cats[1:]:
        K = len(c) - 1
        lam, t1, r = theta[k], theta[k + 1], theta[k + 2:k + 1 + K]
        tau = t1 + np.concatenate([[0.0], np.cumsum(np.exp(r))])
        out.append((k, lam, tau, np.exp(r)))
        k += 1 + K
    return out


def n_params(cats) -> int:
    return 3 + sum(len(c) for c in cats[1:])


def _bounds(theta, codes, cats, scale):
    """Per item: (upper, lower) bounds of each pattern's answer on the latent response's scale."""
    lo_s, hi_s = scale
    c0 = cats[0][codes[:, 0]]
    out = [(np.where(c0 >= hi_s, np.inf, c0 + 0.5), np.where(c0 <= lo_s, -np.inf, c0 - 0.5))]
    for j, (k, lam, tau, er) in enumerate(_unpack(theta, cats), start=1):
        cj, K = codes[:, j], len(tau)
        out.append((np.where(cj < K, tau[np.minimum(cj, K - 1)], np.inf),
                    np.where(cj > 0, tau[np.maximum(cj - 1, 0)], -np.inf)))
    return out


def _item_logp(theta, codes, s, cats, scale):
    """Sum over items of log P(y_j | s) at every (pattern, node); s is (m, q) or (q,)."""
    s = np.broadcast_to(s, (codes.shape[0], np.shape(s)[-1])) if np.ndim(s) == 1 else s
    nu, sig = theta[0], np.exp(theta[1])
    bnd = _bounds(theta, codes, cats, scale)
    (u, l) = bnd[0]
    total = _logdiff_cdf((u[:, None] - nu - s) / sig, (l[:, None] - nu - s) / sig)
    for (u, l), (k, lam, tau, er) in zip(bnd[1:], _unpack(theta, cats)):
        total = total + _logdiff_cdf(u[:, None] - lam * s, l[:, None] - lam * s)
    return total


def _stacked(theta, cats, scale, s, parts=None):
    """Every item's standardized category bounds ``a, b`` and ``log P(category | node)`` at
    shared nodes ``s``, stacked as (sum of categories x nodes) tables, and each item's first row.

    The probit terms are computed once per (category, node), where a sample has hundreds of
    answer patterns and an item ten categories, and in one pass over all items. ``parts``:
    :func:`_unpack` of ``theta`` when the caller has it.
    """
    nu, sig = theta[0], np.exp(theta[1])
    lo_s, hi_s = scale
    c0 = np.asarray(cats[0], float)
    up, low, lam = [np.where(c0 >= hi_s, np.inf, c0 + 0.5)], [np.where(c0 <= lo_s, -np.inf, c0 - 0.5)], []
    for k, lm, tau, er in (_unpack(theta, cats) if parts is None else parts):
        # category c of an item lies between tau_{c-1} and tau_c (the extremes open)
        up.append(np.concatenate([tau, [np.inf]]))
        low.append(np.concatenate([[-np.inf], tau]))
        lam.append(np.full(len(tau) + 1, lm))
    n0 = len(c0)
    u, l = np.concatenate(up), np.concatenate(low)
    a, b = np.empty((u.size, s.size)), np.empty((u.size, s.size))
    # marker: y* = nu + s + sigma e on the scale's own boundaries; others: y* = lambda s + e
    a[:n0], b[:n0] = (u[:n0, None] - nu - s[None, :]) / sig, (l[:n0, None] - nu - s[None, :]) / sig
    if u.size > n0:
        ls = np.concatenate(lam)[:, None] * s[None, :]
        a[n0:], b[n0:] = u[n0:, None] - ls, l[n0:, None] - ls
    offsets = np.cumsum([0] + [len(c) for c in cats[:-1]])
    return a, b, _logdiff_cdf(a, b), offsets


def _pattern_logp(lp, offsets, codes, onehot=None):
    """sum_j log P(y_j | node) per (pattern, node), gathered from the stacked tables; with the
    patterns' :func:`_onehot` indicator as one product (the tables are finite: log P >= -690)."""
    if onehot is not None:
        return onehot.T @ lp
    out = lp[offsets[0] + codes[:, 0]]
    for j in range(1, codes.shape[1]):
        out = out + lp[offsets[j] + codes[:, j]]
    return out


def _negll(theta, codes, counts, cats, scale, onehot=None):
    """Negative marginal log-likelihood of the pattern counts and its analytic gradient.

    ``onehot``: :func:`_onehot` of ``codes`` (computed here when not given; a bootstrap
    refit passes the data set's once)."""
    sd = np.exp(theta[2] / 2)
    s = sd * _PX
    sig = np.exp(theta[1])
    parts = _unpack(theta, cats)
    onehot = _onehot(codes, cats) if onehot is None else onehot
    a, b, lp, off = _stacked(theta, cats, scale, s, parts)
    L = _PLW + _pattern_logp(lp, off, codes, onehot)
    top = L.max(axis=1, keepdims=True)
    ll = np.log(np.exp(L - top).sum(axis=1)) + top[:, 0]
    P = np.exp(L - ll[:, None]) * counts[:, None]          # posterior mass of each node, count-weighted
    M = onehot @ P                                          # mass per (category, node)
    fin_a, fin_b = np.isfinite(a), np.isfinite(b)
    a0, b0 = np.where(fin_a, a, 0.0), np.where(fin_b, b, 0.0)
    pr = np.exp(lp)
    # M * phi(bound) / P(category): the score of each category's probability in its bounds
    Ma = M * np.where(fin_a, np.exp(-0.5 * a0 ** 2), 0.0) / (np.sqrt(2 * np.pi) * pr)
    Mb = M * np.where(fin_b, np.exp(-0.5 * b0 ** 2), 0.0) / (np.sqrt(2 * np.pi) * pr)
    D = np.add.reduceat(Ma - Mb, off, axis=0)              # per item and node
    A, B = Ma.sum(axis=1), Mb.sum(axis=1)                  # per category
    g = np.zeros_like(theta)
    n0 = len(cats[0])
    g[0] = D[0].sum() * (-1 / sig)
    g[1] = -((Ma[:n0] * a0[:n0]).sum() - (Mb[:n0] * b0[:n0]).sum())
    d_s = D[0] * (-1 / sig)                                 # sum over items of M * d log P / d s
    for j, (k, lam, tau, er) in enumerate(parts, start=1):
        g[k] = -(D[j] @ s)
        d_s = d_s + D[j] * (-lam)
        # a category's upper bound is tau_c, its lower bound tau_{c-1}; then the chain rule of
        # tau = t1 + cumsum(exp(r))
        K = len(tau)
        Aj, Bj = A[off[j]:off[j] + K + 1], B[off[j]:off[j] + K + 1]
        d_tau = Aj[:K] - Bj[1:K + 1]
        g[k + 1] = d_tau.sum()
        if K > 1:
            g[k + 2:k + 1 + K] = er * np.cumsum(d_tau[::-1])[::-1][1:]
    g[2] = np.sum(d_s * s) / 2
    return -(counts @ ll), -g


def _start(Y, cats, scale):
    y0 = Y[:, 0]
    sd = max(float(np.std(y0)), 0.5)
    th = [float(np.mean(y0)), np.log(0.6 * sd), np.log((0.8 * sd) ** 2)]
    for j, c in enumerate(cats[1:], start=1):
        cum = np.array([np.mean(Y[:, j] <= v) for v in c[:-1]])
        tau = stats.norm.ppf(np.clip(cum, 0.01, 0.99)) * np.sqrt(1 + 0.8)
        tau = np.maximum.accumulate(tau + np.arange(len(tau)) * 1e-3)
        th += [0.8 / sd * 1.0, tau[0], *np.log(np.maximum(np.diff(tau), 1e-2))]
    return np.array(th)


def categories(Y: np.ndarray, scale, min_count: int = 30) -> list:
    """Answer categories of each item, as the largest answer in each: the marker keeps its full
    declared scale; for the others, categories with fewer than ``min_count`` answers are merged
    into their smaller neighbour (a threshold between two categories is not identified when one
    of them is empty, as it would be in some bootstrap resamples)."""
    lo, hi = scale
    out = [np.arange(lo, hi + 1, dtype=float)]
    for j in range(1, Y.shape[1]):
        vals, counts = np.unique(Y[:, j], return_counts=True)
        vals, counts = list(vals), list(counts)
        while len(vals) > 2 and min(counts) < min_count:
            i = int(np.argmin(counts))
            nb = i - 1 if i == len(vals) - 1 or (i > 0 and counts[i - 1] <= counts[i + 1]) else i + 1
            keep, drop = max(i, nb), min(i, nb)      # the merged bin is named by its largest answer
            counts[keep] += counts[drop]
            del vals[drop], counts[drop]
        out.append(np.array(vals, float))
    return out


def _refit_steps(fg, x0, hess_inv, *, tol=1e-3, max_steps=12):
    """Quasi-Newton steps without line search from a previous fit's optimum ``x0`` and inverse
    Hessian: a bootstrap refit.

    A resample's optimum lies O(n^-1/2) from the full sample's, where the full sample's
    Hessian is a good first guess of the curvature, except along the thresholds next to a thin
    category, whose count a resample moves by tens of percent: with that Hessian fixed (the
    chord method) the steps contract slowly there or overshoot, and a fifth of the refits fell
    back to a BFGS run from scratch. Each step here updates the inverse Hessian by BFGS from the
    change in gradient it caused (Nocedal & Wright 2006, eq. 6.17), which corrects those
    directions as it goes (about 4.5 gradient evaluations a refit instead of 9). Stops when the
    next step, the estimated distance still to the optimum, is below ``tol`` in every
    parameter: 1e-3, far inside the bootstrap spread of the estimates (0.01-0.2). Returns
    ``(x, value, converged)``; not converged (the caller falls back to BFGS with line search)
    when a step does not decrease the objective or ``max_steps`` do not reach ``tol``.
    """
    x = np.asarray(x0, float).copy()
    H = np.array(hess_inv, float)
    val, g = fg(x)
    step = H @ g
    for _ in range(max_steps):
        x_new = x - step
        v_new, g_new = fg(x_new)
        if not np.isfinite(v_new) or v_new > val + 1e-12 * max(1.0, abs(val)):
            return x, val, False
        s_k, y_k = x_new - x, g_new - g
        sy = s_k @ y_k
        if sy > 1e-12 * np.linalg.norm(s_k) * np.linalg.norm(y_k):    # curvature condition: H stays positive definite
            V = np.eye(len(x)) - np.outer(s_k, y_k) / sy
            H = V @ H @ V.T + np.outer(s_k, s_k) / sy
        x, val, g = x_new, v_new, g_new
        step = H @ g
        if np.max(np.abs(step)) < tol:
            return x, val, True
    return x, val, False


def fit_ordinal_factor(Y: np.ndarray, items, scale, *, cats=None, weights=None, theta0=None,
                       hess_inv0=None, patterns: _Patterns | None = None) -> OrdinalFactor:
    """Marginal-ML fit of the one-factor ordinal-probit model to answers ``Y`` (n, J).

    ``weights`` are row counts (a bootstrap resample); ``theta0`` and ``hess_inv0`` (a previous
    fit's) warm-start the optimizer, so a bootstrap refit takes a few quasi-Newton steps.
    ``patterns`` (a previous fit's :attr:`OrdinalFactor.patterns`) is reused when it is for the
    same answers and categories, so a resample only recounts the patterns.
    """
    cats = categories(Y, scale) if cats is None else cats
    pt = _patterns(Y, cats, patterns)
    w = np.ones(len(Y)) if weights is None else np.asarray(weights, float)
    counts = np.bincount(pt.inv, weights=w, minlength=len(pt.pats))
    keep = counts > 0
    pats, counts, onehot = pt.pats[keep], counts[keep], pt.onehot[:, keep]
    x0 = _start(Y, cats, scale) if theta0 is None else np.asarray(theta0, float)
    n = float(counts.sum())
    f = lambda th: tuple(v / n for v in _negll(th, pats, counts, cats, scale, onehot))
    fitted = lambda x, ll, ok, hinv: OrdinalFactor(list(items), tuple(scale), cats, x, ll, ok, int(n), hinv, pt)
    if hess_inv0 is not None:
        # a bootstrap refit: Newton steps from the full sample's optimum and Hessian
        x, val, ok = _refit_steps(f, x0, hess_inv0, tol=1e-3, max_steps=12)
        if ok:
            return fitted(x, -val * n, True, hess_inv0)
    opts = {"maxiter": 1000, "gtol": 1e-6}
    if hess_inv0 is not None:
        opts["hess_inv0"] = hess_inv0
    res = optimize.minimize(f, x0, jac=True, method="BFGS", options=opts)
    gmax = float(np.max(np.abs(res.jac)))
    return fitted(res.x, -res.fun * n, bool(res.success or gmax < 1e-5),
                  hess_inv0 if hess_inv0 is not None else warm_inverse(lambda x: f(x)[1], res.x))
