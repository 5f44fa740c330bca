"""Small statistical helpers shared by the domains."""

from __future__ import annotations

import numpy as np
from scipy import stats


def wald(est, se, level: float = 0.95) -> dict[str, np.ndarray]:
    """z statistics, two-sided normal p-values and Wald intervals ``est +- z_(1+level)/2 se``.

    Rows whose SE is zero (fixed parameters) get NaN z and p-value.
    """
    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 1e-12, est / se, np.nan)
    crit = stats.norm.ppf(0.5 + level / 2)
    return {"z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)), "ci_lower": est - crit * se, "ci_upper": est + crit * se}
