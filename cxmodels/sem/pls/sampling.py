"""Sampling weights in PLS path modelling (weighted PLS; Becker & Ismail 2016).

Weighted PLS replaces every moment of the algorithm by its weighted counterpart
(Becker, J.-M., & Ismail, I. R. (2016). Accounting for sampling weights in PLS path
modeling: Simulations and empirical examples. *European Management Journal*, 34(6),
606-617): with row weights ``d_i >= 0`` rescaled to sum to the number of rows ``n``,

    mean      m = sum_i d_i x_i / n
    variance  s^2 = sum_i d_i (x_i - m)^2 / (n - 1)
    covariance and correlation alike,

so the indicators are standardized with weighted moments, mode A outer weights are weighted
covariances, mode B outer weights, the path-scheme inner weights and the path coefficients are
weighted least squares, and every statistic built on the scores (R^2, reliability, HTMT, f^2,
VIF, IPMA) uses weighted correlations.  Rescaling the weights to sum to ``n`` makes their
scale irrelevant (sampling weights are relative) and constant weights reproduce unweighted PLS
exactly.  Integer weights reproduce the fit on the data with each row repeated that many times
in every correlation-based quantity (paths, loadings, R^2, reliability, HTMT, scores); the
outer weights, scaled to unit composite variance with the ``n - 1`` divisor, are that fit's
times ``sqrt(n / (n - 1) * (N - 1) / N)`` with ``N`` the sum of the weights, since sampling
weights are not frequency weights (the rows are ``n``, not ``N``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import InputError


def check_sampling_weights(data: pd.DataFrame, column, indicators: list[str]) -> pd.Series:
    """The weight column, checked: a column name of ``data``, numeric, finite, not negative,
    not all zero; the error names the column and the offending rows."""
    if not isinstance(column, str):
        raise InputError(f"sampling_weights must be the name of a column of data holding each row's weight, "
                         f"got {type(column).__name__} {column!r}")
    V.require_columns(data, [column], "data (sampling_weights)")
    if column in indicators:
        raise InputError(f"sampling_weights column {column!r} is also an indicator of the model; a row's weight "
                         "cannot be one of the items it weights")
    s = data[column]
    if isinstance(s, pd.DataFrame):
        raise InputError(f"data has repeated columns named {column!r}; which one holds the weights is ambiguous")
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise InputError(f"sampling_weights column {column!r} must be numeric, got dtype {s.dtype}")
    s = s.astype(float)
    bad = s.index[s.isna()]
    if len(bad):
        raise InputError(f"sampling_weights column {column!r} has {len(bad)} missing (NaN) weights "
                         f"({V.rows_text(bad)}); give every row a weight or drop those rows")
    bad = s.index[~np.isfinite(s.to_numpy())]
    if len(bad):
        raise InputError(f"sampling_weights column {column!r} has {len(bad)} infinite weights ({V.rows_text(bad)})")
    bad = s.index[s < 0]
    if len(bad):
        raise InputError(f"sampling_weights column {column!r} has {len(bad)} negative weights ({V.rows_text(bad)}); "
                         "sampling weights are inverse selection probabilities and cannot be negative")
    if not (s > 0).any():
        raise InputError(f"sampling_weights column {column!r} is zero in every row; at least some rows need a "
                         "positive weight")
    return s


def normalize(d: np.ndarray) -> np.ndarray:
    """Weights rescaled to sum to their count (their scale carries no information)."""
    d = np.asarray(d, float)
    return d * (len(d) / d.sum())


def mean(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    return d @ X / d.sum()


def standardize(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Weighted standardization: mean 0 and ``sum d z^2 / (sum d - 1) = 1`` per column."""
    Xc = X - mean(X, d)
    return Xc / np.sqrt(d @ Xc ** 2 / (d.sum() - 1))


def sd0(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Weighted population standard deviation (divisor ``sum d``), the counterpart of
    ``X.std(axis=0)``."""
    Xc = X - mean(X, d)
    return np.sqrt(d @ Xc ** 2 / d.sum())


def sd(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Weighted sample standard deviation (divisor ``sum d - 1``), the counterpart of
    ``X.std(axis=0, ddof=1)``."""
    Xc = X - mean(X, d)
    return np.sqrt(d @ Xc ** 2 / (d.sum() - 1))


def corr(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Weighted correlation matrix of the columns of ``X``."""
    Xc = X - mean(X, d)
    C = Xc.T @ (d[:, None] * Xc)
    s = np.sqrt(np.diag(C))
    return np.atleast_2d(C / np.outer(s, s))


def lstsq(X: np.ndarray, y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Weighted least squares ``argmin sum d (y - X b)^2``."""
    r = np.sqrt(d)
    return np.linalg.lstsq(X * r[:, None], y * r, rcond=None)[0]


# ---------------------------------------------------------------- measurement quality from R
def cronbach_alpha_from_corr(R: np.ndarray) -> float:
    """Cronbach's alpha of standardized items from their correlation matrix."""
    k = R.shape[0]
    return 1.0 if k < 2 else float(k / (k - 1) * (1 - k / R.sum()))


def rho_a_from_corr(R: np.ndarray, w: np.ndarray) -> float:
    """Dijkstra-Henseler rho_A from the block's correlation matrix and outer weights."""
    w = np.asarray(w, float)
    if len(w) == 1:
        return 1.0
    w = w / np.sqrt(w @ R @ w)
    ww = np.outer(w, w)
    return float((w @ w) ** 2 * (w @ (R - np.diag(np.diag(R))) @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w))


