"""Exploratory factor analysis for researchers building a new instrument.

* :func:`parallel_analysis`: how many factors to keep (Horn 1965, Psychometrika 30,
  179-185): keep the factors whose correlation-matrix eigenvalues exceed the chosen
  quantile (default 95%) of eigenvalues from random normal data of the same size.
* :func:`efa`: iterated principal-axis factoring with squared multiple correlations as
  starting communalities, then varimax rotation (Kaiser 1958, Psychometrika 23, 187-200).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import ConvergenceWarning, InputError


def _check(items: pd.DataFrame) -> np.ndarray:
    V.require_frame(items, "items")
    V.require_numeric(items, list(items.columns), "items")
    V.require_not_constant(items, list(items.columns), "items")
    X = items.dropna().to_numpy(float)
    if X.shape[1] < 3:
        raise InputError("factor analysis needs at least three items")
    return X


def parallel_analysis(items: pd.DataFrame, *, n_iter: int = 200, quantile: float = 0.95, seed=None) -> pd.DataFrame:
    """Observed eigenvalues against random-data eigenvalues; ``.attrs["n_factors"]`` the count to keep."""
    X = _check(items)
    n, p = X.shape
    obs = np.sort(np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)))[::-1]
    rng = V.as_generator(seed)
    sims = np.array([np.sort(np.linalg.eigvalsh(np.corrcoef(rng.normal(size=(n, p)), rowvar=False)))[::-1]
                     for _ in range(n_iter)])
    thresh = np.quantile(sims, quantile, axis=0)
    keep = obs > thresh
    n_factors = int(np.argmin(keep)) if not keep.all() else p
    out = pd.DataFrame({"observed": obs, "random_mean": sims.mean(axis=0), f"random_q{int(quantile * 100)}": thresh},
                       index=pd.RangeIndex(1, p + 1, name="factor"))
    out.attrs["n_factors"] = n_factors
    return out


def _varimax(L: np.ndarray, tol: float = 1e-8, max_iter: int = 500) -> np.ndarray:
    p, k = L.shape
    R = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        Lr = L @ R
        u, s, vt = np.linalg.svd(L.T @ (Lr ** 3 - Lr @ np.diag((Lr ** 2).sum(axis=0)) / p))
        R = u @ vt
        d_new = s.sum()
        if d_new < d * (1 + tol):
            break
        d = d_new
    return L @ R


def efa(items: pd.DataFrame, n_factors: int, *, rotation: str | None = "varimax", max_iter: int = 500,
        tol: float = 1e-6) -> pd.DataFrame:
    """Principal-axis factor loadings (rotated), with communalities in ``.attrs``."""
    import warnings
    X = _check(items)
    if not 1 <= n_factors < X.shape[1]:
        raise InputError(f"n_factors must be between 1 and {X.shape[1] - 1}, got {n_factors}")
    R = np.corrcoef(X, rowvar=False)
    h2 = 1 - 1 / np.diag(np.linalg.inv(R))
    for _ in range(max_iter):
        Rr = R.copy()
        np.fill_diagonal(Rr, h2)
        vals, vecs = np.linalg.eigh(Rr)
        idx = np.argsort(vals)[::-1][:n_factors]
        L = vecs[:, idx] * np.sqrt(np.clip(vals[idx], 0, None))
        h2_new = (L ** 2).sum(axis=1)
        if np.max(np.abs(h2_new - h2)) < tol:
            h2 = h2_new
            break
        h2 = h2_new
    else:
        warnings.warn("principal-axis factoring did not converge", ConvergenceWarning, stacklevel=2)
    if rotation == "varimax" and n_factors > 1:
        L = _varimax(L)
    elif rotation not in (None, "varimax"):
        raise InputError(f"rotation must be 'varimax' or None, got {rotation!r}")
    L = L * np.sign(L.sum(axis=0))  # positive-dominant factors
    out = pd.DataFrame(L, index=items.columns, columns=[f"F{k + 1}" for k in range(n_factors)])
    out.attrs["communality"] = pd.Series(h2, index=items.columns)
    if (h2 > 1).any():
        warnings.warn("a communality exceeds 1 (Heywood case)", ConvergenceWarning, stacklevel=2)
    return out
