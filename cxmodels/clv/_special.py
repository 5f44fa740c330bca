"""Log-space special functions for the buy-till-you-die likelihoods.

The Pareto/NBD likelihood needs :math:`{}_2F_1(a, b; a+1; z)` with :math:`a = r+s+x`
large for frequent buyers and :math:`z \\to 1`; evaluated directly it overflows (the
failure lifetimes users hit).  Euler's transformation

.. math:: {}_2F_1(a, b; c; z) = (1-z)^{c-a-b}\\, {}_2F_1(c-a, c-b; c; z)

with :math:`c = a + 1` gives :math:`{}_2F_1(a, b; a+1; z) = (1-z)^{1-b}\\,
{}_2F_1(1, a+1-b; a+1; z)`, whose second factor lies between 1 and
:math:`1/(1-z)` when :math:`a + 1 > a + 1 - b > 0`: its logarithm never overflows.  Where scipy's ``hyp2f1`` fails (NaN, or a value outside
those bounds, which happens for very large ``a`` with ``z`` near 1) the result is NaN and
the caller falls back to quadrature (:func:`cxmodels.clv.paretonbd._log_dead_quadrature`).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def log_hyp2f1_a1(a, b, z):
    """``log 2F1(a, b; a + 1; z)`` for ``a > 0``, ``0 < b < a + 1``, ``0 <= z < 1``, in log space."""
    a, b, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(z, float))
    with np.errstate(all="ignore"):
        log_f = np.log(special.hyp2f1(1.0, a + 1.0 - b, a + 1.0, z))
        # 1 <= 2F1(1, a+1-b; a+1; z) <= 1/(1-z): outside these bounds scipy has failed -> NaN
        ok = (log_f >= -1e-12) & (log_f <= -np.log1p(-z) * (1 + 1e-12) + 1e-12)
    return np.where(ok, (1.0 - b) * np.log1p(-z) + log_f, np.nan)


def log_diff_exp(u1, u2):
    """``log(exp(u1) - exp(u2))`` for ``u1 >= u2`` (``-inf`` where they are equal)."""
    u1, u2 = np.asarray(u1, float), np.asarray(u2, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.minimum(u2 - u1, 0.0)
        return np.where(d > -1e-300, -np.inf, u1 + np.log(-np.expm1(d)))


def dot(u, v) -> float:
    """``sum(u * v)`` without a temporary and without BLAS: ``ddot`` spawns threads for long
    vectors, which on a shared machine costs several times the work (einsum's own loop does not)."""
    return float(np.einsum("i,i->", u, v))
