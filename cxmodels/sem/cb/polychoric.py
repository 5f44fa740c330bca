"""Sample statistics for ordinal indicators, as lavaan computes them for DWLS/WLSMV.

Each ordinal (Likert) item ``x_j`` with categories ``1..K_j`` is taken to be a coarsened
standard normal response ``y*_j``: ``x_j = c`` when ``tau_{j,c-1} < y*_j <= tau_{j,c}``
(``tau_{j,0} = -inf``, ``tau_{j,K_j} = +inf``).  The statistics a diagonally weighted
least squares (DWLS) fit needs are computed in the two-step way of Olsson (1979) and
Muthen (1984):

1. **Thresholds**, one item at a time, by univariate probit maximum likelihood; without
   covariates this is closed form, ``tau_{j,c} = Phi^{-1}(P_hat(x_j <= c))``.
2. **Polychoric correlations**, one pair at a time, with the thresholds held at their
   step-1 values: ``rho_ij`` maximises the bivariate table log-likelihood
   ``sum_ab n_ab log pi_ab(rho)``, where ``pi_ab`` is the bivariate normal probability of
   the rectangle of cell ``(a, b)`` (Olsson 1979, "two-step" estimator).
3. **Asymptotic covariance** ``Gamma`` of ``sqrt(N)`` times the stacked estimates
   ``s = (tau', rho')'`` (Muthen 1984; Muthen, du Toit & Spisic 1997).  Both steps solve
   estimating equations ``sum_n psi_n(s) = 0`` (univariate threshold scores, then the
   pairwise correlation scores); linearising them gives the influence of each case,

   * thresholds: ``IF_n(tau_j) = A_j^{-1} g_n(tau_j)`` with ``g_n`` the univariate score
     and ``A_j = sum_n g_n g_n'`` (the information, estimated by the outer product of the
     scores);
   * correlations: ``IF_n(rho_ij) = (h_n - sum_k B_ij,k IF_n(tau_k)) / C_ij`` with
     ``h_n = d log pi / d rho`` the bivariate score, ``C_ij = sum_n h_n^2`` and
     ``B_ij,k = sum_n h_n d log pi / d tau_k`` (the cross information of the bivariate
     likelihood, again as outer products of scores), which carries the uncertainty of
     the step-1 thresholds into the correlation;

   and ``Gamma = N sum_n IF_n IF_n'``.  This is lavaan's ``NACOV`` (``lavInspect(fit,
   "gamma")``) for ``estimator = "WLSMV"``/``"DWLS"``; the DWLS weight is
   ``1 / diag(Gamma)`` (lavaan's ``WLS.VD``).

The stacked order is lavaan's: all thresholds, item by item, then the correlations in
``vech`` order below the diagonal (column-wise: ``r21, r31, ..., rp1, r32, ...``),
labelled ``"x1|t1"`` and ``"x1~~x2"``.

The bivariate normal distribution function is evaluated, vectorised, with the method of
Drezner & Wesolowsky (1990) as refined by Genz (2004): a 20-point Gauss-Legendre rule on
Sheppard's integral for ``|rho| < 0.925`` and an asymptotic expansion plus quadrature of the
remainder near ``|rho| = 1``; its error is below ``1e-14``.

lavaan's conventions kept here: categories are the sorted distinct observed values of
each item; bivariate tables with empty cells are used as they are, except a 2 x 2 table
with exactly one empty cell, to which 0.5 is added and subtracted so that the margins are
kept (``zero.add = c(0.5, 0)``, ``zero.keep.margins = TRUE``); a 2 x 2 table with
``n11 n22 = n12 n21`` gives 0 and one with two empty cells ``+-1`` (with a warning; that
element then has zero asymptotic variance and an infinite DWLS weight); the correlation is
bounded to ``[-0.999, 0.999]``.  Every table is fitted, but all pairs are handled at once
(tables padded to a common size), so the cost is a few vectorised passes over the grid of
thresholds.

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
*Psychometrika*, 44(4), 443-460.

Muthen, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. *Psychometrika*, 49(1), 115-132.

Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical and
continuous outcomes. Unpublished technical report.

Drezner, Z., & Wesolowsky, G. O. (1990). On the computation of the bivariate normal
integral. *Journal of Statistical Computation and Simulation*, 35, 101-107.

Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
probabilities. *Statistics and Computing*, 14, 251-260.

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ...errors import ConvergenceWarning, ImproperSolutionWarning, InputError, warn

__all__ = ["OrdinalStats", "ordinal_stats", "bvn_cdf", "bvn_pdf"]

_TWO_PI = 2.0 * np.pi
_RHO_BOUND = 0.999                     # lavaan's bounds for the polychoric correlation
_PI_FLOOR = np.sqrt(np.finfo(float).eps)  # lavaan floors cell probabilities here
_GL_T, _GL_W = np.polynomial.legendre.leggauss(20)
_GL_X = 1.0 + _GL_T                    # nodes on (0, 2), as in Genz's code


# --------------------------------------------------------------------------------------
# Bivariate normal distribution
# --------------------------------------------------------------------------------------
def _bvn_upper_finite(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``P(X > h, Y > k)`` for finite ``h, k`` and ``|r| <= 1`` (1-d arrays of equal length).

    Drezner & Wesolowsky (1990) with Genz's (2004) refinements (his ``bvnu``).
    """
    out = np.empty_like(h)
    mid = np.abs(r) < 0.925
    if mid.any():
        hh, kk, rr = h[mid], k[mid], r[mid]
        hk = (hh * kk)[:, None]
        hs = ((hh * hh + kk * kk) / 2.0)[:, None]
        asr = np.arcsin(rr) / 2.0
        sn = np.sin(asr[:, None] * _GL_X[None, :])
        integral = (np.exp((sn * hk - hs) / (1.0 - sn * sn)) @ _GL_W) * asr / _TWO_PI
        out[mid] = integral + ndtr(-hh) * ndtr(-kk)
    hi = ~mid
    if hi.any():
        hh, kk, rr = h[hi], k[hi], r[hi]
        neg = rr < 0
        kk = np.where(neg, -kk, kk)
        hk = hh * kk
        bvn = np.zeros_like(hh)
        inner = np.abs(rr) < 1.0
        if inner.any():
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                h1, k1, hk1, r1 = hh[inner], kk[inner], hk[inner], rr[inner]
                as_ = 1.0 - r1 * r1
                a = np.sqrt(as_)
                bs = (h1 - k1) ** 2
                c = (4.0 - hk1) / 8.0
                d = (12.0 - hk1) / 16.0
                asr = -(bs / as_ + hk1) / 2.0
                v = np.where(asr > -100.0,
                             a * np.exp(asr) * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0
                                                + c * d * as_ * as_ / 5.0), 0.0)
                b = np.sqrt(bs)
                sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
                v = v - np.where(hk1 > -160.0,
                                 np.exp(-hk1 / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0), 0.0)
                a2 = (a / 2.0)[:, None]
                xs = (a2 * _GL_X[None, :]) ** 2
                asr = -(bs[:, None] / xs + hk1[:, None]) / 2.0
                sp = 1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs)
                rs = np.sqrt(1.0 - xs)
                ep = np.exp(-hk1[:, None] * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
                terms = np.where(asr > -100.0, a2 * np.exp(asr) * (ep - sp), 0.0)
                v = v + terms @ _GL_W
                bvn[inner] = -v / _TWO_PI
        pos = rr > 0
        res = np.where(pos, bvn + ndtr(-np.maximum(hh, kk)), 0.0)
        # r < 0 (k was negated): P(X > h, Y > k) = P(h < X < -k) - P(X > h, -Y > -k)
        L = np.where(hh < 0, ndtr(kk) - ndtr(hh), ndtr(-hh) - ndtr(-kk))
        res = np.where(~pos & (hh >= kk), -bvn, res)
        res = np.where(~pos & (hh < kk), L - bvn, res)
        out[hi] = res
    return np.clip(out, 0.0, 1.0) + 0.0


def bvn_cdf(h, k, rho) -> np.ndarray:
    """Bivariate standard normal distribution function ``P(X <= h, Y <= k)``.

    Parameters
    ----------
    h, k : array_like
        Upper limits (broadcast together with ``rho``); ``+-inf`` allowed.
    rho : array_like
        Correlation(s), ``-1 <= rho <= 1``.

    Returns
    -------
    numpy.ndarray
        The probabilities, shape of the broadcast inputs.

    Notes
    -----
    Drezner & Wesolowsky (1990) as refined by Genz (2004), fully vectorised; absolute error
    below ``1e-14``.  ``P(X <= h, Y <= k) = P(-X > -h, -Y > -k)`` with the same ``rho``.

    References
    ----------
    Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and
    t probabilities. *Statistics and Computing*, 14, 251-260.
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    shape = h.shape
    h, k, r = (-h).ravel(), (-k).ravel(), r.ravel().copy()
    if np.any(np.abs(r) > 1.0):
        raise ValueError("bvn_cdf: |rho| must not exceed 1")
    out = np.empty(h.shape)
    fin = np.isfinite(h) & np.isfinite(k)
    if fin.any():
        out[fin] = _bvn_upper_finite(h[fin], k[fin], r[fin])
    inf = ~fin
    if inf.any():
        hh, kk = h[inf], k[inf]
        # upper tail with an infinite limit: +inf -> 0, -inf -> the other margin
        v = np.where(np.isposinf(hh) | np.isposinf(kk), 0.0,
                     np.where(np.isneginf(hh), ndtr(-kk), ndtr(-hh)))
        out[inf] = v
    return out.reshape(shape)


def bvn_pdf(h, k, rho) -> np.ndarray:
    """Bivariate standard normal density ``phi_2(h, k; rho)`` (0 at infinite arguments).

    ``phi_2`` is also ``d Phi_2(h, k; rho) / d rho`` (Plackett's identity).
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    fin = np.isfinite(h) & np.isfinite(k)
    hf, kf = np.where(fin, h, 0.0), np.where(fin, k, 0.0)
    om = 1.0 - r * r
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = np.exp(-(hf * hf - 2.0 * r * hf * kf + kf * kf) / (2.0 * om)) / (_TWO_PI * np.sqrt(om))
    return np.where(fin, v, 0.0)


# --------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrdinalStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (lavaan's NACOV).

    Attributes
    ----------
    columns : list of str
        The variables, in the order used throughout.
    thresholds : dict of str to numpy.ndarray
        Per ordinal column, its ``K - 1`` increasing thresholds on the standard normal scale.
    correlation : pandas.DataFrame
        Polychoric correlation matrix (unit diagonal), indexed by ``columns``.
    nacov : numpy.ndarray
        ``Gamma``, the asymptotic covariance matrix of ``sqrt(N) (s_hat - s)`` for the stacked
        ``s = [thresholds (item by item), vech of the correlations below the diagonal]``;
        lavaan's ``NACOV`` / ``lavInspect(fit, "gamma")``.  The covariance matrix of the
        estimates themselves is ``nacov / n``.
    wls_weight_diag : numpy.ndarray
        ``1 / diag(nacov)``: the diagonal DWLS weight matrix (lavaan's ``WLS.VD``); ``inf``
        for an element of zero asymptotic variance (a correlation fixed at +-1 by a 2 x 2
        table with two empty cells).
    n : int
        Number of cases.
    labels : list of str
        Names of the stacked elements: ``"x1|t1"`` for thresholds, ``"x1~~x2"`` for
        correlations.
    categories : dict of str to numpy.ndarray
        Per ordinal column, the observed category codes (sorted); category ``c`` (0-based)
        lies between thresholds ``c - 1`` and ``c``.
    """

    columns: list[str]
    thresholds: dict[str, np.ndarray]
    correlation: pd.DataFrame
    nacov: np.ndarray
    wls_weight_diag: np.ndarray
    n: int
    labels: list[str]
    categories: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def stacked(self) -> np.ndarray:
        """The stacked sample statistics in ``labels`` order (lavaan's ``WLS.obs``)."""
        th = [self.thresholds[c] for c in self.columns]
        R = self.correlation.to_numpy()
        p = len(self.columns)
        low = [R[i, j] for j in range(p) for i in range(j + 1, p)]
        return np.concatenate(th + [np.asarray(low, float)])

    @property
    def n_thresholds(self) -> int:
        """Number of thresholds at the head of the stacked vector."""
        return int(sum(len(v) for v in self.thresholds.values()))


# --------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------
def _encode(data: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes ``0..K-1`` and sorted categories of one ordinal column, with checks."""
    s = data[col]
    n = len(s)
    if isinstance(s, pd.DataFrame):
        raise InputError(f"column {col!r} appears more than once in the data ({n} rows)")
    na = int(s.isna().sum())
    if na:
        raise InputError(f"ordinal column {col!r} has {na} missing value(s) in {n} rows; "
                         "remove or impute them first (listwise deletion is the caller's choice)")
    if pd.api.types.is_bool_dtype(s):
        raise InputError(f"ordinal column {col!r} is boolean ({n} rows); code it as integers, "
                         "e.g. 0/1")
    if not pd.api.types.is_numeric_dtype(s):
        bad = int(pd.to_numeric(s, errors="coerce").isna().sum())
        raise InputError(f"ordinal column {col!r} must hold integer category codes; it has dtype "
                         f"{s.dtype} and {bad} of {n} rows are not numbers")
    v = s.to_numpy(dtype=float)
    bad = int(np.sum(~np.isfinite(v) | (v != np.round(v))))
    if bad:
        raise InputError(f"ordinal column {col!r} must hold integer category codes; {bad} of {n} "
                         "rows are not integers")
    cats, codes = np.unique(v, return_inverse=True)
    if len(cats) < 2:
        raise InputError(f"ordinal column {col!r} has a single category ({cats[0]:g}) in all {n} rows; "
                         "at least two categories are needed")
    return codes.astype(np.intp), cats


# --------------------------------------------------------------------------------------
# Step 1: thresholds
# --------------------------------------------------------------------------------------
def _thresholds(counts: np.ndarray) -> np.ndarray:
    """Probit ML thresholds from category counts: ``Phi^{-1}`` of the cumulative proportions."""
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return ndtri(cum)


def _threshold_scores(counts: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Score table ``(K, K-1)``: ``d log P(x = c) / d tau_k`` for a case in category ``c``."""
    K = len(counts)
    t = np.concatenate(([-np.inf], tau, [np.inf]))
    p = ndtr(t[1:]) - ndtr(t[:-1])                 # category probabilities (K,)
    dens = np.exp(-0.5 * tau * tau) / np.sqrt(_TWO_PI)
    S = np.zeros((K, K - 1))
    idx = np.arange(K - 1)
    S[idx, idx] = dens / p[:-1]                    # tau_k is the upper limit of category k
    S[idx + 1, idx] = -dens / p[1:]                # ... and the lower limit of category k+1
    return S


# --------------------------------------------------------------------------------------
# Step 2: polychoric correlations, all pairs at once
# --------------------------------------------------------------------------------------
# Pairs are processed in batches: every table is padded to K_max x K_max categories by
# thresholds at +inf (empty categories of probability zero and frequency zero, which add
# nothing to any sum), so the rectangle probabilities of a whole batch come from one
# vectorised call of the bivariate normal CDF.
_BATCH_POINTS = 100_000        # grid points per batch (each costs 20 quadrature nodes)


def _corners(X: np.ndarray) -> np.ndarray:
    """Rectangle differences of a corner grid (m, K+1, K+1) -> cells (m, K, K)."""
    return X[:, 1:, 1:] - X[:, :-1, 1:] - X[:, 1:, :-1] + X[:, :-1, :-1]


def _tables(Ta: np.ndarray, Tb: np.ndarray, rho: np.ndarray, second: bool = False):
    """Cell probabilities ``pi`` and ``d pi / d rho`` (and ``d2 pi / d rho2`` if ``second``).

    ``Ta``, ``Tb``: (m, K+1) padded thresholds ``[-inf, tau_1, ..., +inf, ...]``; ``rho``: (m,).
    ``d Phi_2 / d rho = phi_2`` and ``d phi_2 / d rho = phi_2 (rho / (1 - rho^2) +
    (hk (1 + rho^2) - rho (h^2 + k^2)) / (1 - rho^2)^2)``.
    """
    h, k, r = Ta[:, :, None], Tb[:, None, :], rho[:, None, None]
    pi = _corners(bvn_cdf(h, k, r))
    dens = bvn_pdf(h, k, r)
    dpi = _corners(dens)
    if not second:
        return pi, dpi
    fin = np.isfinite(h) & np.isfinite(k)
    hf, kf = np.where(fin, h, 0.0), np.where(fin, k, 0.0)
    om = 1.0 - r * r
    factor = r / om + (hf * kf * (1.0 + r * r) - r * (hf * hf + kf * kf)) / (om * om)
    return pi, dpi, _corners(dens * factor)


def _adjust_2x2(freq: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, float | None]:
    """lavaan's handling of a 2 x 2 table (``zero.add = c(0.5, 0)``, margins kept).

    Returns the table to fit and, when the estimate is determined without fitting, its value:
    ``+-1`` for two empty cells, ``0`` for a table with a zero cross-product difference.
    """
    zero = freq == 0
    nz = int(zero.sum())
    if nz >= 2:
        warn(f"two empty cells in the 2 x 2 table of {names[0]} x {names[1]}; "
                      "the polychoric correlation is set to +-1", ImproperSolutionWarning)
        return freq, (1.0 if freq[0, 0] > 0 else -1.0)
    if nz == 1:
        sign = 1.0 if (zero[0, 0] or zero[1, 1]) else -1.0
        freq = freq + sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
    if freq[0, 0] * freq[1, 1] == freq[0, 1] * freq[1, 0]:
        return freq, 0.0
    return freq, None


def _fit_rho(freq: np.ndarray, Ta: np.ndarray, Tb: np.ndarray, start: np.ndarray,
             active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-step ML polychoric correlations for a batch of tables, thresholds held fixed.

    Maximises ``sum_ab n_ab log pi_ab(rho)`` on ``[-0.999, 0.999]`` by safeguarded Newton
    steps from the Pearson correlation of the codes (lavaan's start): each pair keeps a bracket
    whose lower end has a positive score and whose upper end a negative one (the bounds until
    visited); the step uses the observed information, or the expected (Fisher) information
    where the observed one is not positive, and is replaced by bisection if it leaves the
    bracket.  A step beyond a bound tries the bound; a score there still pointing outwards
    leaves the estimate on the bound, as lavaan's bounded ``nlminb`` does.
    Returns (rho, converged).
    """
    m = len(start)
    rho = start.copy()
    done = ~active
    conv = np.ones(m, bool)
    lo = np.full(m, -_RHO_BOUND)
    hi = np.full(m, _RHO_BOUND)
    n = freq.sum(axis=(1, 2))

    def score_info(idx, r):
        pi, dpi, d2pi = _tables(Ta[idx], Tb[idx], r, second=True)
        pif = np.maximum(pi, _PI_FLOOR)
        f = freq[idx]
        u = dpi / pif
        score = np.sum(f * u, axis=(1, 2))
        observed = np.sum(f * (u * u - d2pi / pif), axis=(1, 2))
        expected = n[idx] * np.sum(dpi * u, axis=(1, 2))
        return score, np.where(observed > 0, observed, expected)

    rho[active] = np.clip(np.where(np.isfinite(start[active]), start[active], 0.0), -0.99, 0.99)
    B = _RHO_BOUND
    for _ in range(200):
        idx = np.flatnonzero(~done)
        if idx.size == 0:
            break
        r = rho[idx]
        score, info = score_info(idx, r)
        pos = score > 0
        lo[idx] = np.where(pos, r, lo[idx])
        hi[idx] = np.where(pos, hi[idx], r)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = r + score / info
        ok = np.isfinite(newton)
        stop = ok & ((np.abs(newton - r) < 1e-12) | (np.abs(score) < 1e-11 * n[idx]))
        # on a bound with the score pointing outwards: the estimate is the bound
        stop |= ((r >= B) & (score >= 0)) | ((r <= -B) & (score <= 0))
        inside = ok & (newton > lo[idx]) & (newton < hi[idx])
        new = np.where(inside, newton, 0.5 * (lo[idx] + hi[idx]))
        # a step beyond a bound not yet visited tries the bound itself
        new = np.where(ok & ~inside & (newton >= hi[idx]) & (hi[idx] >= B) & (r < B), B, new)
        new = np.where(ok & ~inside & (newton <= lo[idx]) & (lo[idx] <= -B) & (r > -B), -B, new)
        new = np.where(stop, np.clip(np.where(ok, newton, r), -B, B), new)
        stop |= hi[idx] - lo[idx] < 1e-14
        rho[idx] = new
        done[idx[stop]] = True
    else:
        conv[~done] = False
    return rho, conv


def _threshold_partials(Ta: np.ndarray, Tb: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``g[p, k, b] = d/d tau_a,k of P(y*_a <= tau_a,k, y*_b in category b)`` (m, K-1, K).

    ``= phi(tau_a,k) [Phi((tau_b,b - rho tau_a,k) / R) - Phi((tau_b,b-1 - rho tau_a,k) / R)]``,
    ``R = sqrt(1 - rho^2)``; zero for padded (infinite) thresholds.
    """
    ta = Ta[:, 1:-1]
    fin = np.isfinite(ta)
    taf = np.where(fin, ta, 0.0)
    r = rho[:, None, None]
    R = np.sqrt(np.maximum(1.0 - r * r, 0.0))
    u = Tb[:, None, :] - r * taf[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        cdf = np.where(R > 0, ndtr(u / np.where(R > 0, R, 1.0)), (u > 0) + 0.5 * (u == 0))
    dens = np.where(fin, np.exp(-0.5 * taf * taf) / np.sqrt(_TWO_PI), 0.0)
    return dens[:, :, None] * np.diff(cdf, axis=2)


def _pair_batch(freq_obs, Ta, Tb, start, names):
    """Fit a batch of pairs; return rho, the cell scores ``h`` and the cross informations.

    ``h[p, a, b] = d log pi_ab / d rho``; ``Ba[p, k] = sum_n h_n d log pi / d tau_a,k`` and
    ``Bb[p, k]`` likewise for the second item (sums over cases = sums over cells weighted by
    the observed frequencies).
    """
    m, K = freq_obs.shape[:2]
    freq_fit = freq_obs.copy()
    start = start.copy()
    active = np.ones(m, bool)
    fixed = np.full(m, np.nan)
    for p in range(m):
        if np.isinf(Ta[p, 2]) and np.isinf(Tb[p, 2]):      # both binary: a 2 x 2 table
            f2, val = _adjust_2x2(freq_obs[p, :2, :2], names[p])
            freq_fit[p, :2, :2] = f2
            if val is not None:
                fixed[p], active[p] = val, False
    rho, conv = _fit_rho(freq_fit, Ta, Tb, start, active)
    rho = np.where(active, rho, fixed)
    for p in np.flatnonzero(~conv):
        warn(f"the polychoric correlation of {names[p][0]} x {names[p][1]} did not converge", ConvergenceWarning)

    pi, dpi = _tables(Ta, Tb, rho)
    ok = pi > _PI_FLOOR                                  # cells no case can fall in score 0
    inv = np.where(ok, 1.0 / np.where(ok, pi, 1.0), 0.0)
    h = np.nan_to_num(dpi * inv, nan=0.0, posinf=0.0, neginf=0.0)
    W = freq_obs * h * inv
    ga = _threshold_partials(Ta, Tb, rho)                # (m, K-1, K): thresholds of a x categories of b
    gb = _threshold_partials(Tb, Ta, rho)                # (m, K-1, K): thresholds of b x categories of a
    # tau_a,k is the upper limit of row category k and the lower limit of row category k+1
    Ba = np.einsum("pkb,pkb->pk", ga, W[:, :-1, :] - W[:, 1:, :])
    Bb = np.einsum("pka,pak->pk", gb, W[:, :, :-1] - W[:, :, 1:])
    return rho, h, Ba, Bb


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------
def ordinal_stats(data: pd.DataFrame, ordered: list[str],
                  continuous: list[str] | None = None) -> OrdinalStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (``Gamma``).

    The sample-statistics layer of lavaan's ``estimator = "WLSMV"`` / ``"DWLS"`` for
    ordinal indicators without covariates: the statistics ``s`` a DWLS fit matches, their
    asymptotic covariance ``Gamma`` (for robust standard errors and the mean-and-variance
    adjusted test) and the diagonal weights ``1 / diag(Gamma)``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case.  Not modified.
    ordered : list of str
        The ordinal columns, in the order wanted for the output.  Each must hold integer
        codes without missing values and at least two distinct values; its categories are
        its sorted distinct observed values (unobserved codes in between are skipped, as
        lavaan does with ``ordered=`` data).
    continuous : list of str, optional
        Continuous columns (polyserial and Pearson correlations).  Not implemented yet:
        anything but ``None`` or an empty list raises ``NotImplementedError``.

    Returns
    -------
    OrdinalStats
        See :class:`OrdinalStats`.

    Raises
    ------
    ValueError
        (:class:`cxmodels.errors.InputError`) for a column that is absent, repeated, holds
        missing values, non-integer or non-numeric codes, or a single category; the message
        names the column and the row count.
    NotImplementedError
        If ``continuous`` variables are given.

    Notes
    -----
    Thresholds are the probit ML estimates ``Phi^{-1}`` of the cumulative proportions.
    Each polychoric correlation is Olsson's (1979) two-step ML estimate (thresholds fixed).
    ``Gamma = N sum_n IF_n IF_n'`` from the cases' influence functions of the two-step
    estimating equations (Muthen 1984; Muthen, du Toit & Spisic 1997), with every
    information matrix estimated by the outer product of the scores, which is how lavaan
    (0.6) computes ``NACOV`` for categorical data; ``N`` (not ``N - 1``) is used, as with
    lavaan's default ``gamma.n.minus.one = FALSE``.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44(4), 443-460.

    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. *Psychometrika*, 49(1), 115-132.

    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted
    least squares and quadratic estimating equations in latent variable modeling with
    categorical and continuous outcomes. Technical report.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], size=2000)
    >>> d = pd.DataFrame({"a": np.digitize(z[:, 0], [-1, 0, 1]), "b": np.digitize(z[:, 1], [-.5, .5])})
    >>> st = ordinal_stats(d, ["a", "b"])
    >>> st.labels
    ['a|t1', 'a|t2', 'a|t3', 'b|t1', 'b|t2', 'a~~b']
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if continuous:
        raise NotImplementedError(
            "ordinal_stats: continuous variables (polyserial and Pearson correlations, with their "
            "means and variances in the stacked vector) are not implemented yet; pass only "
            f"ordinal columns (got continuous={list(continuous)!r})")
    ordered = [ordered] if isinstance(ordered, str) else list(ordered)
    if not ordered:
        raise InputError("ordered must name at least one column")
    dup = sorted({c for c in ordered if ordered.count(c) > 1})
    if dup:
        raise InputError(f"ordered names column(s) {dup} more than once")
    absent = [c for c in ordered if c not in data.columns]
    if absent:
        raise InputError(f"data ({len(data)} rows) lacks column(s) {absent}; "
                         f"it has {list(map(str, data.columns))}")
    n = len(data)
    p = len(ordered)

    # ---- step 1: thresholds and their influence functions -------------------------------
    codes = np.empty((n, p), dtype=np.intp)
    cats, taus, nth = {}, {}, []
    th_if = []                                   # per item: (K, K-1) table of IF by category
    for j, col in enumerate(ordered):
        c, cat = _encode(data, col)
        counts = np.bincount(c, minlength=len(cat)).astype(float)
        tau = _thresholds(counts)
        S = _threshold_scores(counts, tau)        # score by category
        A = S.T @ (counts[:, None] * S)           # sum_n g_n g_n' (tridiagonal)
        th_if.append(np.linalg.solve(A, S.T).T)   # IF_n = A^{-1} g_n, by category
        codes[:, j], cats[col], taus[col] = c, cat, tau
        nth.append(len(tau))
    nth = np.asarray(nth)
    th_end = np.cumsum(nth)
    th_start = th_end - nth
    n_th = int(th_end[-1])
    pstar = p * (p - 1) // 2
    IF = np.empty((n, n_th + pstar))
    for j in range(p):
        IF[:, th_start[j]:th_end[j]] = th_if[j][codes[:, j]]
    labels = [f"{col}|t{k + 1}" for col, m in zip(ordered, nth) for k in range(m)]

    # ---- step 2: correlations, pair (i, j), i > j, in lavaan's vech order -----------------
    R = np.eye(p)
    if pstar:
        J, I = np.tril_indices(p, -1)[::-1]      # column-wise below the diagonal
        order = np.lexsort((I, J))
        J, I = J[order], I[order]
        labels += [f"{ordered[j]}~~{ordered[i]}" for j, i in zip(J, I)]
        K = int(nth.max()) + 1
        T = np.full((p, K + 1), np.inf)
        T[:, 0] = -np.inf
        for j, col in enumerate(ordered):
            T[j, 1:nth[j] + 1] = taus[col]
        with np.errstate(invalid="ignore", divide="ignore"):
            pearson = np.corrcoef(codes, rowvar=False) if n > 1 else np.zeros((p, p))
        pearson = np.atleast_2d(pearson)
        M = np.zeros((n_th, pstar))              # cross informations, by threshold and pair
        H = np.empty((n, pstar))                 # casewise correlation scores
        C = np.empty(pstar)
        batch = max(1, _BATCH_POINTS // (K + 1) ** 2)
        for b0 in range(0, pstar, batch):
            sl = slice(b0, min(b0 + batch, pstar))
            Jb, Ib = J[sl], I[sl]
            m = len(Jb)
            pidx = np.arange(m)
            flat = (pidx[None, :] * K + codes[:, Jb]) * K + codes[:, Ib]
            freq = np.bincount(flat.ravel(), minlength=m * K * K).reshape(m, K, K).astype(float)
            names = [(ordered[j], ordered[i]) for j, i in zip(Jb, Ib)]
            rho, h, Ba, Bb = _pair_batch(freq, T[Jb], T[Ib], pearson[Jb, Ib], names)
            R[Ib, Jb] = R[Jb, Ib] = rho
            H[:, sl] = h[pidx[None, :], codes[:, Jb], codes[:, Ib]]
            C[sl] = np.sum(freq * h * h, axis=(1, 2))
            cols = np.arange(sl.start, sl.stop)
            for B, V in ((Ba, Jb), (Bb, Ib)):
                kk = np.arange(K - 1)[None, :]
                mask = kk < nth[V][:, None]
                rows = (th_start[V][:, None] + kk)[mask]
                M[rows, np.broadcast_to(cols[:, None], mask.shape)[mask]] += B[mask]
            big = np.flatnonzero(np.abs(rho) > 0.99)
            for q in big:
                warn(f"the polychoric correlation of {names[q][0]} and {names[q][1]} is "
                              f"(nearly) 1 in absolute value ({rho[q]:.4f})", ImproperSolutionWarning)
        with np.errstate(divide="ignore", invalid="ignore"):
            IF[:, n_th:] = np.where(C > 0, (H - IF[:, :n_th] @ M) / np.where(C > 0, C, 1.0), 0.0)

    # ---- Gamma and the DWLS weights --------------------------------------------------------
    gamma = n * (IF.T @ IF)
    gamma = 0.5 * (gamma + gamma.T)
    d = np.diag(gamma)
    with np.errstate(divide="ignore"):
        wd = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), np.inf)
    corr = pd.DataFrame(R, index=list(ordered), columns=list(ordered))
    return OrdinalStats(columns=list(ordered), thresholds=taus, correlation=corr, nacov=gamma,
                        wls_weight_diag=wd, n=int(n), labels=labels, categories=cats)
