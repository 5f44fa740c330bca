"""Exploratory factor analysis for researchers building a new instrument.

* :func:`parallel_analysis`: how many factors to keep (Horn 1965, Psychometrika 30,
  179-185): keep the leading factors whose correlation-matrix eigenvalues exceed the chosen
  quantile (default 95%) of eigenvalues from random normal data of the same size.
* :func:`efa`: iterated principal-axis factoring with squared multiple correlations
  ``h2_j = 1 - 1 / (R^{-1})_jj`` as starting communalities (the reduced matrix ``R - I +
  diag(h2)`` is factored until the communalities change by less than ``tol``), then
  varimax rotation (Kaiser 1958, Psychometrika 23, 187-200).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._results import Decision, Result
from ...errors import ConvergenceWarning, CXModelsWarning, ImproperSolutionWarning, InputError
from ...provenance import make_provenance
from . import references as R
from .reliability import collinear_sets

__all__ = ["parallel_analysis", "efa", "ParallelAnalysisResult", "EFAResult"]


def _check(data) -> tuple[np.ndarray, list[str]]:
    """Complete rows of numeric, finite, non-constant items as an array, and notes."""
    V.require_frame(data)
    V.require_unique_columns(data)
    cols = list(data.columns)
    V.require_numeric(data, cols)
    V.require_finite(data, cols)
    if len(cols) < 3:
        raise InputError(f"factor analysis needs at least three items, data has {len(cols)}: {list(map(str, cols))}")
    complete = data.dropna()
    notes = []
    if len(complete) < len(data):
        dropped = data.index[data.isna().any(axis=1)]
        notes.append(f"{len(dropped)} of {len(data)} rows with missing values were excluded (listwise; "
                     f"{V.rows_text(dropped)})")
    if len(complete) <= len(cols):
        raise InputError(f"{len(complete)} complete rows for {len(cols)} items: factor analysis needs more complete "
                         "rows than items (the correlation matrix is singular otherwise)")
    V.require_not_constant(complete, cols, "data (complete rows)")
    X = complete.to_numpy(float)
    sets = collinear_sets(np.corrcoef(X, rowvar=False), [str(c) for c in cols])
    if sets:
        raise InputError(f"the items {sets[0]} are collinear (one is an exact linear combination of the others, "
                         "e.g. a duplicated item or a total score); drop one before factoring")
    return X, notes


def _warn_notes(res, notes):
    for msg in notes:
        res._warnings.append(msg)
        warnings.warn(msg, CXModelsWarning, stacklevel=3)


class ParallelAnalysisResult(Result):
    """Observed eigenvalues against random-data eigenvalues (Horn 1965).

    ``summary()``: one row per factor with the ``observed`` eigenvalue, ``random_mean`` and the
    random quantile ``random_q<NN>``; ``n_factors`` the count to keep; ``decide()`` says so;
    ``plot(ax=None)`` the scree plot against the random quantile.
    """

    def __init__(self, table, n_factors, quantile, n_iter, provenance, notes):
        self._table, self.n_factors, self.quantile, self.n_iter = table, n_factors, quantile, n_iter
        self._provenance = provenance
        self._warnings = []
        self._references = (R.HORN,)
        _warn_notes(self, notes)

    @property
    def params(self) -> pd.Series:
        return self._table["observed"].rename("eigenvalue")

    def decide(self) -> Decision:
        q = f"random_q{round(self.quantile * 100)}"
        return Decision("keep", f"{self.n_factors} factors",
                        f"the first {self.n_factors} observed eigenvalues exceed the {self.quantile:.0%} quantile of "
                        f"eigenvalues of random data of the same size ({self.n_iter} simulations)",
                        {"n_factors": self.n_factors, "observed": self._table["observed"].tolist(),
                         q: self._table[q].tolist()})

    def methods_text(self) -> str:
        return (f"The number of factors ({self.n_factors}) was chosen by parallel analysis ({R.HORN.cite}): factors "
                f"were kept while the observed eigenvalue exceeded the {self.quantile:.0%} quantile of eigenvalues "
                f"from {self.n_iter} random normal data sets of the same size (seed {self._provenance.seed}).")

    def plot(self, ax=None):
        t = self._table
        q = f"random_q{round(self.quantile * 100)}"
        ax = plotting.axes(ax)
        ax.plot(t.index, t["observed"], "o-", color=plotting.color(0), label="observed")
        ax.plot(t.index, t[q], "s--", color=plotting.color(1), label=f"random, {self.quantile:.0%} quantile")
        ax.set_xlabel("factor")
        ax.set_ylabel("eigenvalue")
        ax.legend()
        return ax


def parallel_analysis(data: pd.DataFrame, *, n_iter: int = 200, quantile: float = 0.95, seed=None
                      ) -> ParallelAnalysisResult:
    """Parallel analysis: how many factors to keep.

    Parameters
    ----------
    data : DataFrame
        The items, one column each (numeric; rows with missing values are excluded).
    n_iter : int
        Random data sets simulated.
    quantile : float
        Quantile of the random eigenvalues an observed eigenvalue must exceed.
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).

    Returns
    -------
    ParallelAnalysisResult
    """
    X, notes = _check(data)
    n_iter = V.check_count(n_iter, "n_iter", minimum=1)
    if isinstance(quantile, bool) or not isinstance(quantile, numbers.Real) or not 0 < quantile < 1:
        raise InputError(f"quantile must be a number strictly between 0 and 1 (e.g. 0.95), got {quantile!r}")
    rng, recorded = V.resolve_seed(seed)
    n, p = X.shape
    obs = np.sort(np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)))[::-1]
    sims = np.array([np.sort(np.linalg.eigvalsh(np.corrcoef(rng.normal(size=(n, p)), rowvar=False)))[::-1]
                     for _ in range(n_iter)])
    thresh = np.quantile(sims, quantile, axis=0)
    keep = obs > thresh
    n_factors = int(np.argmin(keep)) if not keep.all() else p
    table = pd.DataFrame({"observed": obs, "random_mean": sims.mean(axis=0),
                          f"random_q{round(quantile * 100)}": thresh},
                         index=pd.RangeIndex(1, p + 1, name="factor"))
    prov = make_provenance("cxmodels.sem.measurement.parallel_analysis", data,
                           {"n_iter": n_iter, "quantile": quantile}, seed=recorded)
    return ParallelAnalysisResult(table, n_factors, quantile, n_iter, prov, notes)


def _varimax(L: np.ndarray, tol: float = 1e-8, max_iter: int = 500) -> np.ndarray:
    p, k = L.shape
    Rm = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        Lr = L @ Rm
        u, s, vt = np.linalg.svd(L.T @ (Lr ** 3 - Lr @ np.diag((Lr ** 2).sum(axis=0)) / p))
        Rm = u @ vt
        d_new = s.sum()
        if d_new < d * (1 + tol):
            break
        d = d_new
    return L @ Rm


class EFAResult(Result):
    """Principal-axis factor loadings, rotated, with communalities.

    ``loadings``: items x factors (``F1``, ``F2`` ...); ``communality``: a Series by item.
    ``summary()``: one row per item and factor (``item``, ``factor``, ``est``) plus the
    communalities (factor ``h2``).  Flagged: ``converged=False`` when the principal-axis
    iterations stop at ``max_iter``; ``admissible=False`` for a Heywood case (a communality
    of 1 or more).  ``plot(ax=None)`` draws the loadings as a heat map.
    """

    def __init__(self, loadings, communality, rotation, iterations, converged, provenance, notes):
        self.loadings, self.communality, self.rotation, self.iterations = loadings, communality, rotation, iterations
        self.n_factors = loadings.shape[1]
        long = loadings.rename_axis("item").reset_index().melt(id_vars="item", var_name="factor", value_name="est")
        h2 = pd.DataFrame({"item": communality.index, "factor": "h2", "est": communality.to_numpy()})
        self._table = pd.concat([long, h2], ignore_index=True)
        self._provenance = provenance
        self._warnings = []
        self._references = (R.FABRIGAR,) + ((R.KAISER,) if rotation == "varimax" and self.n_factors > 1 else ())
        _warn_notes(self, notes)
        if not converged:
            self._flag(f"principal-axis factoring did not converge in {iterations} iterations; raise max_iter",
                       ConvergenceWarning)
        heywood = communality.index[communality >= 1 - 1e-9]
        if len(heywood):
            self._flag(f"the communalities of {list(map(str, heywood))} reach 1 or more (a Heywood case): the "
                       "solution is improper; try fewer factors or check those items", ImproperSolutionWarning)

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{f} =~ {i}" if f != "h2" else f"h2 {i}"
                                                     for i, f in zip(t["item"], t["factor"])])

    def methods_text(self) -> str:
        rot = (f", rotated by varimax ({R.KAISER.cite})" if self.rotation == "varimax" and self.n_factors > 1
               else ", unrotated")
        return (f"An exploratory factor analysis extracted {self.n_factors} factor(s) by iterated principal-axis "
                f"factoring with squared multiple correlations as starting communalities ({R.FABRIGAR.cite}){rot}.")

    def plot(self, ax=None):
        L = self.loadings
        ax = plotting.axes(ax, figsize=(1.2 * L.shape[1] + 3, 0.35 * L.shape[0] + 1.5))
        im = ax.imshow(L.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(range(L.shape[1]))
        ax.set_xticklabels(L.columns)
        ax.set_yticks(range(L.shape[0]))
        ax.set_yticklabels(L.index, fontsize="small")
        ax.grid(False)
        for (i, j), v in np.ndenumerate(L.to_numpy()):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize="x-small")
        ax.figure.colorbar(im, ax=ax, label="loading")
        return ax


def efa(data: pd.DataFrame, n_factors: int, *, rotation: str | None = "varimax", max_iter: int = 500,
        tol: float = 1e-6) -> EFAResult:
    """Exploratory factor analysis by iterated principal-axis factoring.

    Parameters
    ----------
    data : DataFrame
        The items, one column each (numeric; rows with missing values are excluded).
    n_factors : int
        Factors to extract, ``1 <= n_factors < items`` (see :func:`parallel_analysis`).
    rotation : {"varimax", None}
    max_iter, tol : int, float
        Iteration cap and tolerance on the largest change of a communality.

    Returns
    -------
    EFAResult
    """
    X, notes = _check(data)
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or not 1 <= n_factors < X.shape[1]:
        raise InputError(f"n_factors must be a whole number between 1 and {X.shape[1] - 1}, got {n_factors!r}")
    if rotation not in (None, "varimax"):
        raise InputError(f"rotation must be 'varimax' or None, got {rotation!r}")
    max_iter = V.check_count(max_iter, "max_iter", minimum=1)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise InputError(f"tol must be a number between 0 and 1, got {tol!r}")
    Rm = np.corrcoef(X, rowvar=False)
    h2 = 1 - 1 / np.diag(np.linalg.inv(Rm))
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        Rr = Rm.copy()
        np.fill_diagonal(Rr, h2)
        vals, vecs = np.linalg.eigh(Rr)
        idx = np.argsort(vals)[::-1][:n_factors]
        L = vecs[:, idx] * np.sqrt(np.clip(vals[idx], 0, None))
        h2_new = (L ** 2).sum(axis=1)
        done = np.max(np.abs(h2_new - h2)) < tol
        h2 = h2_new
        if done:
            converged = True
            break
    if rotation == "varimax" and n_factors > 1:
        L = _varimax(L)
    L = L * np.where(L.sum(axis=0) < 0, -1.0, 1.0)  # positive-dominant factors
    cols = list(data.columns)
    loadings = pd.DataFrame(L, index=cols, columns=[f"F{k + 1}" for k in range(n_factors)])
    prov = make_provenance("cxmodels.sem.measurement.efa", data,
                           {"n_factors": int(n_factors), "rotation": rotation, "max_iter": max_iter, "tol": tol})
    return EFAResult(loadings, pd.Series(h2, index=cols, name="communality"), rotation, it, converged, prov, notes)
