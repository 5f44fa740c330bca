"""Highest-density intervals from posterior draws (the shortest interval holding ``prob`` of them).

Same definition as ``arviz.hdi`` for unimodal posteriors (Kruschke 2015, sec. 4.3.4), in numpy.
"""

from __future__ import annotations

import numpy as np


def hdi(draws, prob: float = 0.95) -> tuple[float, float]:
    """Shortest interval containing ``prob`` of the draws of a 1-D sample."""
    x = np.sort(np.asarray(draws, float).ravel())
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (np.nan, np.nan)
    m = int(np.floor(prob * n))
    if m >= n:
        return (float(x[0]), float(x[-1]))
    widths = x[m:] - x[: n - m]
    j = int(np.argmin(widths))
    return (float(x[j]), float(x[j + m]))
