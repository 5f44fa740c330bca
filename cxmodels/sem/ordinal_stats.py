"""Sample statistics for ordinal indicators: thresholds, polychoric correlations and
their asymptotic covariance matrix, as lavaan computes them for WLSMV.

Each Likert item ``x_j`` is a coarsened standard normal ``y*_j`` cut at thresholds
``tau_j1 < ... < tau_j,K-1``.

* Thresholds: ``tau_jk = Phi^{-1}(P(x_j <= k))`` from the marginal proportions.
* Polychoric correlations (Olsson 1979, Psychometrika 44, 443-460), two-step: with the
  thresholds fixed, ``rho_ij`` maximises ``sum_ab n_ab log pi_ab(rho)``, where ``pi_ab``
  is the bivariate normal probability of the cell, from
  ``Phi_2(h, k; rho) = Phi(h) Phi(k) + (1/2pi) int_0^{asin rho} exp(-(h^2 - 2hk sin t + k^2) /
  (2 cos^2 t)) dt`` (Gauss-Legendre quadrature).
* Asymptotic covariance ``Gamma`` of ``sqrt(N)`` times the stacked thresholds and
  correlations (Muthen 1984, Psychometrika 49, 115-132): from casewise influence
  functions; for thresholds ``IF = s_tau A^{-1}`` (univariate scores, empirical
  information), for a two-step correlation ``IF = (s_rho - E[s_rho s_tau'] IF_tau) /
  E[s_rho^2]``; ``Gamma = mean(IF IF')``.  The DWLS weight is ``1 / diag(Gamma)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import _validation as V
from ..errors import InputError

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(40)
_BIG = 8.0  # thresholds of +-inf are evaluated at +-8 (Phi(8) = 1 - 6e-16)


def bvn_cdf(h, k, rho):
    """Bivariate standard normal CDF ``P(X <= h, Y <= k)`` with correlation ``rho`` (vectorised)."""
    h = np.clip(np.asarray(h, float), -_BIG, _BIG)
    k = np.clip(np.asarray(k, float), -_BIG, _BIG)
    a = np.arcsin(rho)
    t = 0.5 * a * (_NODES + 1)
    st, ct2 = np.sin(t), np.cos(t) ** 2
    hh, kk = h[..., None], k[..., None]
    f = np.exp(-(hh ** 2 - 2 * hh * kk * st + kk ** 2) / (2 * ct2))
    integral = 0.5 * a * (f * _WEIGHTS).sum(axis=-1)
    return stats.norm.cdf(h) * stats.norm.cdf(k) + integral / (2 * np.pi)


def bvn_pdf(h, k, rho):
    h = np.clip(np.asarray(h, float), -_BIG, _BIG)
    k = np.clip(np.asarray(k, float), -_BIG, _BIG)
    q = (h ** 2 - 2 * rho * h * k + k ** 2) / (1 - rho ** 2)
    return np.exp(-q / 2) / (2 * np.pi * np.sqrt(1 - rho ** 2))


@dataclass(frozen=True)
class OrdinalStats:
    """Thresholds, polychoric correlations, ``Gamma`` (lavaan's NACOV) and DWLS weights."""

    columns: list[str]
    thresholds: dict[str, np.ndarray]
    correlation: pd.DataFrame
    nacov: np.ndarray
    wls_weight_diag: np.ndarray
    n: int
    labels: list[str]


def _cells(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    return np.searchsorted(cats, x)


def _cell_probs(t1, t2, rho):
    """Cell probabilities and their derivatives for one pair (full threshold vectors with +-inf)."""
    H, K = np.meshgrid(t1, t2, indexing="ij")
    F = bvn_cdf(H, K, rho)
    pi = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
    f = bvn_pdf(H, K, rho)
    f[~np.isfinite(H) | ~np.isfinite(K)] = 0.0
    dpi_drho = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    return np.clip(pi, 1e-300, None), dpi_drho


def _polychoric(a: np.ndarray, b: np.ndarray, t1, t2) -> float:
    n_ab = np.zeros((len(t1) - 1, len(t2) - 1))
    np.add.at(n_ab, (a, b), 1)

    def nll(r):
        pi, _ = _cell_probs(t1, t2, r)
        return -(n_ab * np.log(pi)).sum()

    start = np.corrcoef(a, b)[0, 1]
    res = optimize.minimize_scalar(nll, bounds=(-0.995, 0.995), method="bounded",
                                   options={"xatol": 1e-10})
    return float(res.x) if np.isfinite(res.fun) else float(start)


def _threshold_scores(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Casewise d log P(x_i) / d tau_k for one item (t with +-inf ends)."""
    n, K = len(a), len(t) - 1
    p = stats.norm.cdf(t[1:]) - stats.norm.cdf(t[:-1])
    phi = stats.norm.pdf(np.clip(t, -_BIG, _BIG))
    phi[~np.isfinite(t)] = 0.0
    S = np.zeros((n, K - 1))
    rows = np.arange(n)
    up = a < K - 1              # category a has upper threshold tau_a (index a+1 in t)
    S[rows[up], a[up]] += phi[a[up] + 1] / p[a[up]]
    low = a > 0                 # and lower threshold tau_{a-1}
    S[rows[low], a[low] - 1] -= phi[a[low]] / p[a[low]]
    return S


def _pair_scores(a, b, t1, t2, rho):
    """Casewise scores of the bivariate likelihood wrt rho and both items' thresholds."""
    pi, dpi_drho = _cell_probs(t1, t2, rho)
    s_rho = dpi_drho[a, b] / pi[a, b]
    r = np.sqrt(1 - rho ** 2)
    # dF(h, k)/dh = phi(h) Phi((k - rho h) / r); dF/dk symmetric.
    T1 = np.clip(t1, -_BIG, _BIG)
    T2 = np.clip(t2, -_BIG, _BIG)
    dFdh = stats.norm.pdf(T1)[:, None] * stats.norm.cdf((T2[None, :] - rho * T1[:, None]) / r)
    dFdk = stats.norm.pdf(T2)[None, :] * stats.norm.cdf((T1[:, None] - rho * T2[None, :]) / r)
    dFdh[~np.isfinite(t1), :] = 0.0
    dFdk[:, ~np.isfinite(t2)] = 0.0
    n = len(a)
    K1, K2 = len(t1) - 1, len(t2) - 1
    s1 = np.zeros((n, K1 - 1))
    s2 = np.zeros((n, K2 - 1))
    rows = np.arange(n)
    p = pi[a, b]
    # pi_ab = F(t1[a+1], t2[b+1]) - F(t1[a], t2[b+1]) - F(t1[a+1], t2[b]) + F(t1[a], t2[b])
    up = a < K1 - 1
    s1[rows[up], a[up]] += (dFdh[a[up] + 1, b[up] + 1] - dFdh[a[up] + 1, b[up]]) / p[up]
    lo = a > 0
    s1[rows[lo], a[lo] - 1] -= (dFdh[a[lo], b[lo] + 1] - dFdh[a[lo], b[lo]]) / p[lo]
    up = b < K2 - 1
    s2[rows[up], b[up]] += (dFdk[a[up] + 1, b[up] + 1] - dFdk[a[up], b[up] + 1]) / p[up]
    lo = b > 0
    s2[rows[lo], b[lo] - 1] -= (dFdk[a[lo] + 1, b[lo]] - dFdk[a[lo], b[lo]]) / p[lo]
    return s_rho, s1, s2


def ordinal_stats(data: pd.DataFrame, ordered: list[str]) -> OrdinalStats:
    """Thresholds, polychoric correlation matrix and ``Gamma`` for ordinal items.

    Parameters
    ----------
    data : DataFrame
        Complete rows; integer-coded items whose categories are their sorted distinct values.
    ordered : list of str
        The items, in the order of the stacked statistics.
    """
    V.require_frame(data)
    V.require_columns(data, ordered)
    V.require_numeric(data, ordered)
    V.require_no_missing(data, ordered, hint="; ordinal statistics need complete rows")
    codes, th = {}, {}
    for c in ordered:
        x = data[c].to_numpy(float)
        if np.any(x != np.round(x)):
            bad = int((x != np.round(x)).sum())
            raise InputError(f"ordinal column {c!r} has {bad} non-integer values; code categories as integers")
        cats = np.unique(x)
        if len(cats) < 2:
            raise InputError(f"ordinal column {c!r} has a single category over {len(x)} rows")
        a = _cells(x, cats)
        cum = np.cumsum(np.bincount(a, minlength=len(cats)))[:-1] / len(x)
        codes[c] = a
        th[c] = stats.norm.ppf(cum)
    n = len(data)
    full = {c: np.r_[-np.inf, th[c], np.inf] for c in ordered}
    p = len(ordered)
    R = np.eye(p)
    # Influence functions of the thresholds.
    IF_tau = {}
    for c in ordered:
        S = _threshold_scores(codes[c], full[c])
        IF_tau[c] = S @ np.linalg.inv(S.T @ S / n)
    IF_rho, labels_rho = [], []
    for i in range(p):
        for j in range(i + 1, p):
            ci, cj = ordered[i], ordered[j]
            rho = _polychoric(codes[ci], codes[cj], full[ci], full[cj])
            R[i, j] = R[j, i] = rho
            s_rho, s1, s2 = _pair_scores(codes[ci], codes[cj], full[ci], full[cj], rho)
            s_tau = np.hstack([s1, s2])
            IFt = np.hstack([IF_tau[ci], IF_tau[cj]])
            c_vec = (s_rho[:, None] * s_tau).mean(axis=0)
            IF_rho.append((s_rho - IFt @ c_vec) / np.mean(s_rho ** 2))
            labels_rho.append(f"{ci}~~{cj}")
    IF = np.hstack([IF_tau[c] for c in ordered] + [np.column_stack(IF_rho)] if IF_rho else [IF_tau[c] for c in ordered])
    gamma = IF.T @ IF / n
    labels = [f"{c}|t{k + 1}" for c in ordered for k in range(len(th[c]))] + labels_rho
    return OrdinalStats(list(ordered), th, pd.DataFrame(R, index=ordered, columns=ordered), gamma,
                        1 / np.diag(gamma), n, labels)
