"""Measurement quality: reliability and validity of reflective constructs.

Standalone on item frames and shared by PLS and CB-SEM results.

* Cronbach's alpha (Cronbach 1951): ``k / (k - 1) * (1 - sum(var_i) / var(sum))``,
  computed on standardized items (as plspm and seminr report it);
* composite reliability ``rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` from standardized
  loadings ``l`` (Werts, Linn & Joreskog 1974);
* average variance extracted ``AVE = mean(l^2)`` (Fornell & Larcker 1981);
* Dijkstra-Henseler ``rho_A = (w'w)^2 w'(S - diag S)w / w'(w w' - diag(w w'))w`` with ``w``
  the outer weights and ``S`` the items' correlation matrix (Dijkstra & Henseler 2015,
  MIS Quarterly 39(2), 297-316);
* HTMT, the heterotrait-monotrait ratio: the mean correlation between the items of two
  constructs over the geometric mean of the mean within-construct item correlations
  (Henseler, Ringle & Sarstedt 2015, JAMS 43, 115-135);
* Fornell-Larcker table: construct correlations with sqrt(AVE) on the diagonal;
* item VIF: ``1 / (1 - R^2)`` of each item on the other items of its block.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import ImproperSolutionWarning, warn

#: Smallest eigenvalue, relative to the largest, of a correlation matrix treated as singular.
SINGULAR = 1e-10


def collinear_sets(R: np.ndarray, names: list[str]) -> list[list[str]]:
    """Names involved in each exact linear dependence of the correlation matrix ``R``
    (numerically: an eigenvalue below ``SINGULAR`` times the largest): the non-negligible
    entries of its eigenvector.  Empty when ``R`` is well conditioned; all names when ``R``
    holds non-finite values."""
    R = np.atleast_2d(R)
    if not np.all(np.isfinite(R)):
        return [list(names)]
    vals, vecs = np.linalg.eigh(R)
    out = []
    for k in np.flatnonzero(vals <= SINGULAR * max(vals.max(), 1e-300)):
        v = np.abs(vecs[:, k])
        out.append([names[i] for i in np.flatnonzero(v > 0.05 * v.max())])
    return out


def _corr(X: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.corrcoef(X, rowvar=False))


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of standardized items (``k rbar / (1 + (k - 1) rbar)``)."""
    R = _corr(items.to_numpy(float))
    k = R.shape[0]
    if k < 2:
        return 1.0
    return float(k / (k - 1) * (1 - k / R.sum()))


def composite_reliability(loadings) -> float:
    """rho_C from standardized loadings."""
    l = np.asarray(loadings, float)
    if len(l) == 1:
        return 1.0
    return float(l.sum() ** 2 / (l.sum() ** 2 + (1 - l ** 2).sum()))


def ave(loadings) -> float:
    """Average variance extracted: the mean squared standardized loading."""
    return float(np.mean(np.asarray(loadings, float) ** 2))


def rho_a(items: pd.DataFrame, weights) -> float:
    """Dijkstra-Henseler rho_A from a block's items and outer weights."""
    w = np.asarray(weights, float)
    if len(w) == 1:
        return 1.0
    S = _corr(items.to_numpy(float))
    w = w / np.sqrt(w @ S @ w)  # weights of a unit-variance composite; rho_A is then scale-free
    ww = np.outer(w, w)
    num = (w @ w) ** 2 * (w @ (S - np.diag(np.diag(S))) @ w)
    den = w @ (ww - np.diag(np.diag(ww))) @ w
    return float(num / den)


def htmt(data: pd.DataFrame, blocks: dict[str, list[str]]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations between every pair of constructs.

    Uses absolute item correlations, as Henseler et al. (2015) recommend when items may
    be reverse-coded; constructs with a single item take 1 as their monotrait mean.
    """
    names = list(blocks)
    cols = [c for b in names for c in blocks[b]]
    return pd.DataFrame(htmt_matrix(data[cols].to_numpy(float), [len(blocks[b]) for b in names]),
                        index=names, columns=names)


def htmt_matrix(X: np.ndarray, sizes: list[int]) -> np.ndarray:
    """HTMT matrix from items ordered block by block (``sizes`` items per block)."""
    return htmt_from_corr(np.abs(_corr(X)), sizes)


def htmt_from_corr(R: np.ndarray, sizes: list[int]) -> np.ndarray:
    """HTMT from an absolute item correlation matrix ordered block by block."""
    ends = np.cumsum(sizes)
    sl = [slice(e - k, e) for e, k in zip(ends, sizes)]
    mono = np.array([1.0 if k < 2 else R[s, s][np.triu_indices(k, 1)].mean() for s, k in zip(sl, sizes)])
    H = np.full((len(sizes), len(sizes)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # a block of uncorrelated items gives inf
        for i in range(len(sizes)):
            for j in range(i + 1, len(sizes)):
                H[i, j] = H[j, i] = R[sl[i], sl[j]].mean() / np.sqrt(mono[i] * mono[j])
    return H


def fornell_larcker(scores: pd.DataFrame, ave_by_construct: pd.Series) -> pd.DataFrame:
    """Construct correlations with sqrt(AVE) on the diagonal (discriminant validity when
    each diagonal value exceeds the correlations in its row and column)."""
    out = scores.corr()
    for c in out.index:
        out.loc[c, c] = np.sqrt(ave_by_construct[c])
    return out


def item_vif(data: pd.DataFrame, blocks: dict[str, list[str]]) -> pd.Series:
    """Variance inflation factor of each item within its block (collinearity of formative items).

    ``VIF_k = 1 / (1 - R^2_k)``, the k-th diagonal element of the inverse of the block's item
    correlation matrix.  An item that is an exact linear combination of others in its block
    (``R^2_k = 1``) gets ``inf``, with an :class:`~cxmodels.errors.ImproperSolutionWarning`
    naming the construct and the items involved.
    """
    out = {}
    for b, items in blocks.items():
        if len(items) == 1:
            out[items[0]] = 1.0
            continue
        R = data[items].corr().to_numpy()
        sets = collinear_sets(R, items)
        if sets:
            names = sorted({it for group in sets for it in group}, key=items.index)
            warn(f"the items {names} of construct {b!r} are collinear (one is an exact linear combination "
                          "of the others): their VIF is infinite; drop or combine items", ImproperSolutionWarning)
            # the others: R^2 of each item on the rest of its block by least squares (defined
            # even though the block's correlation matrix is singular)
            Z = data[items].dropna().to_numpy(float)
            Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
            for k, it in enumerate(items):
                if it in names:
                    out[it] = np.inf
                    continue
                others = np.delete(Z, k, axis=1)
                resid = Z[:, k] - others @ np.linalg.lstsq(others, Z[:, k], rcond=None)[0]
                out[it] = float(len(Z) / max(resid @ resid, 1e-300))
            continue
        Rinv = np.linalg.inv(R)
        for k, it in enumerate(items):
            out[it] = float(Rinv[k, k])
    return pd.Series(out, name="vif")


def reliability_table(data: pd.DataFrame, blocks: dict[str, list[str]], loadings: dict, weights: dict | None = None
                      ) -> pd.DataFrame:
    """alpha, rho_c, ave, rho_a per construct (index construct)."""
    rows = {}
    for b, items in blocks.items():
        l = np.asarray(loadings[b], float)
        w = np.asarray(weights[b], float) if weights is not None else l
        rows[b] = {"alpha": cronbach_alpha(data[items]), "rho_c": composite_reliability(l), "ave": ave(l),
                   "rho_a": rho_a(data[items], w)}
    return pd.DataFrame.from_dict(rows, orient="index")[["alpha", "rho_c", "ave", "rho_a"]]


def item_reliability(items: pd.DataFrame) -> pd.Series:
    """Standalone check of one item set: alpha, and rho_C and AVE from a one-factor
    principal-axis approximation (first eigenvector loadings of the correlation matrix)."""
    V.require_frame(items, "items")
    V.require_numeric(items, list(items.columns), "items")
    R = _corr(items.dropna().to_numpy(float))
    vals, vecs = np.linalg.eigh(R)
    l = np.abs(vecs[:, -1] * np.sqrt(vals[-1]))
    return pd.Series({"alpha": cronbach_alpha(items.dropna()), "rho_c": composite_reliability(l), "ave": ave(l)})
