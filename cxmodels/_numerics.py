r"""Numerical derivatives and interval helpers: the one place each of these lives.

Derivatives are central differences with a step relative to the coordinate,
:math:`h_k = h \max(1, |\theta_k|)`, truncation error :math:`O(h^2)` (Nocedal & Wright
2006, sec. 8.1).  Three forms cover every use in the library:

* :func:`jacobian` of a vector function (delta-method standard errors);
* :func:`hessian_from_gradient`, the symmetrised Jacobian of an analytic gradient (the
  observed information of a likelihood whose gradient is coded);
* :func:`hessian` of a scalar function by second differences, where no gradient exists.

Highest-density intervals come from :func:`arviz.hdi` through :func:`hdi`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["jacobian", "hessian_from_gradient", "hessian", "hdi", "safe_inverse"]


def _steps(x: np.ndarray, h: float, relative: bool) -> np.ndarray:
    return h * np.maximum(1.0, np.abs(x)) if relative else np.full(x.shape, float(h))


def jacobian(fn: Callable[[np.ndarray], np.ndarray], x, h: float = 1e-6, *,
             relative: bool = True) -> np.ndarray:
    r"""Central-difference Jacobian :math:`J_{ik} = \partial f_i / \partial x_k` of ``fn`` at ``x``.

    Parameters
    ----------
    fn : callable
        Maps a 1-D array to a scalar or 1-D array.
    x : array_like
        Point of evaluation.
    h : float
        Step; relative to :math:`\max(1, |x_k|)` unless ``relative=False``.

    Returns
    -------
    ndarray of shape (len(fn(x)), len(x))
    """
    x = np.asarray(x, dtype=float)
    steps = _steps(x, h, relative)
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = steps[k]
        cols.append((np.atleast_1d(np.asarray(fn(x + e), float))
                     - np.atleast_1d(np.asarray(fn(x - e), float))) / (2 * steps[k]))
    return np.column_stack(cols) if cols else np.zeros((np.atleast_1d(fn(x)).size, 0))


def hessian_from_gradient(grad: Callable[[np.ndarray], np.ndarray], x, h: float = 1e-5, *,
                          relative: bool = True) -> np.ndarray:
    r"""Hessian as the symmetrised central-difference Jacobian of an analytic gradient,
    :math:`H = (J + J^\top)/2` with :math:`J = \partial g / \partial x`."""
    J = jacobian(grad, x, h, relative=relative)
    return 0.5 * (J + J.T)


def hessian(f: Callable[[np.ndarray], float], x, h: float = 1e-4, *,
            relative: bool = False) -> np.ndarray:
    r"""Hessian of a scalar function by second central differences.

    Diagonal :math:`(f(x+h_i e_i) - 2f(x) + f(x-h_i e_i))/h_i^2`; off-diagonal the
    four-point formula :math:`(f_{++} - f_{+-} - f_{-+} + f_{--})/(4 h_i h_j)`.
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    steps = _steps(x, h, relative)
    E = np.diag(steps)
    f0 = float(f(x))
    H = np.empty((k, k))
    for i in range(k):
        H[i, i] = (f(x + E[i]) - 2 * f0 + f(x - E[i])) / steps[i] ** 2
        for j in range(i):
            H[i, j] = H[j, i] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j])
                                 - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (4 * steps[i] * steps[j])
    return H


def safe_inverse(H: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric matrix and whether it is positive definite.

    Returns a NaN matrix and False when ``H`` is singular or not positive definite (an
    unidentified parameter, a boundary optimum), so callers can flag the fit instead of
    letting a ``LinAlgError`` escape.
    """
    H = np.asarray(H, dtype=float)
    if H.size == 0:
        return H.copy(), True
    if not np.all(np.isfinite(H)):
        return np.full(H.shape, np.nan), False
    try:
        np.linalg.cholesky(0.5 * (H + H.T))
        return np.linalg.inv(H), True
    except np.linalg.LinAlgError:
        return np.full(H.shape, np.nan), False


def hdi(draws, level: float = 0.95) -> tuple[float, float]:
    """Highest-density interval of a 1-D sample at ``level`` (the shortest interval holding
    that share of the draws; Kruschke 2015, sec. 4.3.4), computed by :func:`arviz.hdi`."""
    import arviz as az

    x = np.asarray(draws, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan, np.nan)
    lo, hi = az.hdi(x, hdi_prob=level)
    return (float(lo), float(hi))
