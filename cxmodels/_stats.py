"""Small statistical helpers shared by the domains."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .errors import InputError


def wald(est, se, level: float = 0.95) -> dict[str, np.ndarray]:
    """z statistics, two-sided normal p-values and Wald intervals ``est +- z_(1+level)/2 se``.

    Rows whose SE is zero (fixed parameters) get NaN z and p-value.
    """
    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 1e-12, est / se, np.nan)
    crit = stats.norm.ppf(0.5 + level / 2)
    return {"z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)), "ci_lower": est - crit * se, "ci_upper": est + crit * se}


def bootstrap_interval(draws: np.ndarray, est: np.ndarray, level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    r"""Percentile or bias-corrected ("bc") bootstrap interval per column of ``draws``.

    The bias-corrected interval takes the quantiles :math:`\Phi(2 z_0 \pm z_{(1+level)/2})`
    with :math:`z_0 = \Phi^{-1}(\hat P(\theta^* < \hat\theta))` (Efron & Tibshirani 1993, ch. 14).
    """
    a = (1 - level) / 2
    if method == "percentile":
        return np.nanquantile(draws, a, axis=0), np.nanquantile(draws, 1 - a, axis=0)
    if method != "bc":
        raise InputError(f"ci must be 'percentile' or 'bc', got {method!r}")
    lo, hi = np.empty(draws.shape[1]), np.empty(draws.shape[1])
    for k in range(draws.shape[1]):
        d = draws[:, k][~np.isnan(draws[:, k])]
        prop = np.clip(np.mean(d < est[k]) + 0.5 * np.mean(d == est[k]), 1 / (2 * len(d)), 1 - 1 / (2 * len(d)))
        z0 = stats.norm.ppf(prop)
        ql = stats.norm.cdf(2 * z0 + stats.norm.ppf(a))
        qh = stats.norm.cdf(2 * z0 + stats.norm.ppf(1 - a))
        lo[k], hi[k] = np.quantile(d, ql), np.quantile(d, qh)
    return lo, hi
