"""The PLS path-modelling algorithm: model syntax, the iterative engine, and its checks.

The algorithm of Wold (1982) in Lohmoeller's (1989) formulation, as the R and Python
``plspm`` packages implement it (Tenenhaus et al. 2005, CSDA 48, 159-205):

1. Standardize the indicators ``X`` (mean 0, standard deviation 1, divisor ``n - 1``).
2. Start with unit outer weights; construct scores ``Y_j = X_j w_j``, standardized.
3. Inner approximation ``Z_j = sum_i e_ij Y_i`` over constructs adjacent to ``j``, with
   inner weights ``e_ij``: the sign of ``cor(Y_i, Y_j)`` (centroid), the correlation
   (factorial), or, for the path scheme, the regression coefficient of ``Y_j`` on its
   predecessors ``i`` and ``cor(Y_i, Y_j)`` for its successors.
4. Outer update: mode A (reflective) ``w_j = X_j' Z_j / n``; mode B (formative)
   ``w_j = (X_j' X_j)^{-1} X_j' Z_j``; rescale so ``var(X_j w_j) = 1``.
5. Repeat 2-4 until the summed squared change of the outer weights is below ``tol``.

Path coefficients are OLS regressions of each endogenous construct's scores on its
predecessors; loadings are the correlations of indicators with their construct's scores.

This module is the package's internal API (``fit``, ``bootstrap`` and ``mga`` build on
:class:`Engine`, :func:`prepare` and :func:`standardize_columns`); users call
:func:`cxmodels.sem.pls.fit_pls`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import IdentificationError, InputError, ModelSyntaxError
from ..measurement.reliability import collinear_sets
from ..syntax import parse
from . import sampling as SW

SCHEMES = ("path", "centroid", "factorial")


@dataclass(frozen=True)
class PLSSpec:
    """Blocks (construct -> indicators), modes, and the inner model (predecessors)."""

    constructs: list[str]
    blocks: dict[str, list[str]]
    modes: dict[str, str]
    predecessors: dict[str, list[str]]

    @property
    def indicators(self) -> list[str]:
        return [x for c in self.constructs for x in self.blocks[c]]

    def adjacency(self) -> np.ndarray:
        """``P[j, i] = 1`` when construct ``i`` predicts construct ``j``."""
        idx = {c: k for k, c in enumerate(self.constructs)}
        P = np.zeros((len(self.constructs),) * 2)
        for j, preds in self.predecessors.items():
            for i in preds:
                P[idx[j], idx[i]] = 1
        return P


def parse_pls(model: str, modes: dict | None = None) -> PLSSpec:
    """Read lavaan-style PLS syntax: ``=~`` mode A, ``<~`` mode B, ``~`` inner paths.

    An observed variable used directly in a structural path is a single-item construct.
    """
    st = parse(model)
    bad = [s for s in st if s.op not in ("=~", "<~", "~")]
    if bad:
        raise ModelSyntaxError(f"line {bad[0].line}: '{bad[0].op}' is not used in PLS models "
                               "(use =~, <~ and ~)")
    blocks: dict[str, list[str]] = {}
    mode: dict[str, str] = {}
    for s in st:
        if s.op in ("=~", "<~"):
            blocks.setdefault(s.lhs, []).append(s.rhs)
            m = "A" if s.op == "=~" else "B"
            if mode.setdefault(s.lhs, m) != m:
                raise ModelSyntaxError(f"line {s.line}: construct {s.lhs} is declared both =~ and <~")
    preds: dict[str, list[str]] = {}
    order: list[str] = list(blocks)
    for s in st:
        if s.op == "~":
            for name in (s.rhs, s.lhs):
                if name not in blocks:  # single-item construct
                    blocks[name] = [name]
                    mode[name] = "A"
                if name not in order:
                    order.append(name)
            preds.setdefault(s.lhs, []).append(s.rhs)
    if not preds:
        raise ModelSyntaxError("a PLS model needs at least one structural path ('~')")
    if modes is not None and not isinstance(modes, dict):
        raise InputError(f"modes must be a dict of construct -> 'A' or 'B', got {type(modes).__name__}")
    owner: dict[str, str] = {}
    for c, items in blocks.items():
        for x in items:
            if x in owner and owner[x] != c:
                raise ModelSyntaxError(f"indicator {x!r} is in the blocks of both {owner[x]!r} and {c!r}; "
                                       "each indicator measures one construct in PLS")
            if items.count(x) > 1:
                raise ModelSyntaxError(f"indicator {x!r} is listed twice in the block of {c!r}")
            owner[x] = c
    for c, m in (modes or {}).items():
        if c not in blocks:
            raise InputError(f"modes names {c!r}, which is not a construct of the model")
        if m not in ("A", "B"):
            raise InputError(f"mode of {c!r} must be 'A' or 'B', got {m!r}")
        mode[c] = m
    # A construct on no structural path has no inner proxy (its inner weights are all zero),
    # so the algorithm cannot estimate it: refuse it by name rather than fail inside numpy.
    linked = set(preds) | {p for ps in preds.values() for p in ps}
    isolated = [c for c in order if c not in linked]
    if isolated:
        raise ModelSyntaxError(f"construct(s) {isolated} appear on no structural path ('~'); PLS estimates a "
                               "construct through its neighbours: add its paths or drop it from the model")
    # Constructs in causal order (exogenous first) as plspm expects a lower-triangular path matrix.
    done, ordered = set(), []
    remaining = list(order)
    while remaining:
        progressed = False
        for c in list(remaining):
            if all(p in done for p in preds.get(c, [])):
                ordered.append(c)
                done.add(c)
                remaining.remove(c)
                progressed = True
        if not progressed:
            raise ModelSyntaxError(f"the inner model has a cycle among {remaining}; PLS needs a recursive model")
    return PLSSpec(ordered, {c: blocks[c] for c in ordered}, {c: mode[c] for c in ordered},
                   {c: preds.get(c, []) for c in ordered})


def standardize_columns(X: np.ndarray, d: np.ndarray | None = None) -> np.ndarray:
    """Columns to mean 0 and SD 1 (divisor ``n - 1``); weighted moments when row weights
    ``d`` (summing to ``n``) are given (:mod:`cxmodels.sem.pls.sampling`)."""
    if d is not None:
        return SW.standardize(X, d)
    return (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)


def prepare(X: np.ndarray, standardize: str, d: np.ndarray | None = None) -> np.ndarray:
    """Indicators as the algorithm sees them.

    ``"items"``: each indicator to mean 0 and SD 1 (R plspm's ``scaled=TRUE``, seminr,
    SmartPLS; the published ECSI results). ``"pooled"``: centred, and all divided by one
    pooled SD of the stacked raw values (times ``sqrt((n-1)/n)``), which keeps the items'
    relative variances -- what the Python ``plspm`` package does with ``scaled=True``.
    """
    if standardize == "items":
        return standardize_columns(X, d)
    n = len(X)
    return (X - X.mean(axis=0)) / (X.ravel().std(ddof=1) * np.sqrt((n - 1) / n))


class Engine:
    """The iterative PLS algorithm on one standardized data matrix (reused by the bootstrap)."""

    def __init__(self, spec: PLSSpec, scheme: str, tol: float, max_iter: int):
        self.spec, self.scheme, self.tol, self.max_iter = spec, scheme, tol, max_iter
        cols = spec.indicators
        self.slices = {}
        k = 0
        for c in spec.constructs:
            self.slices[c] = slice(k, k + len(spec.blocks[c]))
            k += len(spec.blocks[c])
        self.n_items = k
        self.P = spec.adjacency()
        self.consistent = False
        self.A = ((self.P + self.P.T) > 0).astype(float)
        self.mode_b = [spec.modes[c] == "B" for c in spec.constructs]
        # Block-diagonal indicator matrix: W has the weights of block j in column j.
        self.mask = np.zeros((k, len(spec.constructs)))
        for j, c in enumerate(spec.constructs):
            self.mask[self.slices[c], j] = 1.0
        self.cols = cols
        #: Row weights summing to the number of rows (weighted PLS), or None.
        self.case_weights = None

    def with_case_weights(self, d: np.ndarray | None) -> "Engine":
        """A copy of this engine whose moments are weighted by the row weights ``d``
        (rescaled to sum to their count; None: unweighted), for a weighted fit or a
        resample of one."""
        import copy
        out = copy.copy(self)
        out.case_weights = None if d is None else SW.normalize(d)
        return out

    # Moments: the plain numpy ones when unweighted (bit-for-bit the published parity),
    # their weighted counterparts otherwise (Becker & Ismail 2016).
    def _corr(self, X: np.ndarray) -> np.ndarray:
        d = self.case_weights
        return np.corrcoef(X, rowvar=False) if d is None else SW.corr(X, d)

    def _sd0(self, X: np.ndarray) -> np.ndarray:
        d = self.case_weights
        return X.std(axis=0) if d is None else SW.sd0(X, d)

    def _lstsq(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = self.case_weights
        return np.linalg.lstsq(X, y, rcond=None)[0] if d is None else SW.lstsq(X, y, d)

    def _crossprod(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``X' D y`` (``X' y`` unweighted)."""
        d = self.case_weights
        return X.T @ y if d is None else X.T @ (d * y)

    def run(self, Z: np.ndarray, w0: np.ndarray | None = None):
        """Outer weights (one vector over all items), scores, iterations, converged flag."""
        n = len(Z)
        W = self.mask * (1.0 if w0 is None else w0[:, None])
        Y = standardize_columns(Z @ W, self.case_weights)
        W = W / self._sd0(Z @ W)
        for it in range(1, self.max_iter + 1):
            E = self._inner(Y)
            Zin = Y @ E
            W_new = np.zeros_like(W)
            for j, c in enumerate(self.spec.constructs):
                sl = self.slices[c]
                Xj = Z[:, sl]
                if self.mode_b[j]:
                    w = self._lstsq(Xj, Zin[:, j])
                else:
                    w = self._crossprod(Xj, Zin[:, j]) / n
                W_new[sl, j] = w
            W_new = W_new / self._sd0(Z @ W_new)
            change = np.sum((np.abs(W_new) - np.abs(W)) ** 2)
            W = W_new
            Y = Z @ W
            if change < self.tol:
                return W.sum(axis=1), Y, it, True
        return W.sum(axis=1), Y, self.max_iter, False

    def _inner(self, Y: np.ndarray) -> np.ndarray:
        """Inner weights ``E[i, j]``: the weight of construct i in the proxy of construct j."""
        R = self._corr(Y)
        if self.scheme == "centroid":
            return np.sign(R) * self.A
        if self.scheme == "factorial":
            return R * self.A
        E = np.zeros_like(R)
        for j in range(len(R)):
            pred = np.flatnonzero(self.P[j])
            if len(pred):
                E[pred, j] = self._lstsq(Y[:, pred], Y[:, j])
            succ = np.flatnonzero(self.P[:, j])
            if len(succ):
                E[succ, j] = R[succ, j]
        return E

    def rho_a(self, Z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Dijkstra-Henseler rho_A of each block (1 for single items and mode B blocks)."""
        out = np.ones(len(self.spec.constructs))
        R = self._corr(Z)
        for j, c in enumerate(self.spec.constructs):
            sl = self.slices[c]
            if sl.stop - sl.start > 1 and not self.mode_b[j]:
                S, v = R[sl, sl], w[sl]
                v = v / np.sqrt(v @ S @ v)
                vv = np.outer(v, v)
                out[j] = (v @ v) ** 2 * (v @ (S - np.diag(np.diag(S))) @ v) / (v @ (vv - np.diag(np.diag(vv))) @ v)
        return out

    def construct_correlations(self, Z: np.ndarray, Y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Correlations of construct scores, disattenuated by rho_A under PLSc."""
        R = self._corr(Y)
        if self.consistent:
            ra = np.sqrt(self.rho_a(Z, w))
            R = R / np.outer(ra, ra)
            np.fill_diagonal(R, 1.0)
        return R

    def paths(self, Y: np.ndarray, Z: np.ndarray | None = None, w: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """Path coefficients ``B[j, i]`` (i -> j) and R^2, by OLS on the construct
        correlations (``beta = R_pp^{-1} r_py``, ``R^2 = beta' r_py``)."""
        R = self.construct_correlations(Z, Y, w) if self.consistent else self._corr(Y)
        B = np.zeros_like(self.P)
        r2 = np.full(len(self.P), np.nan)
        names = self.spec.constructs
        for j in range(len(self.P)):
            pred = np.flatnonzero(self.P[j])
            if len(pred):
                Rpp = R[np.ix_(pred, pred)]
                for group in collinear_sets(Rpp, [names[i] for i in pred]):
                    raise IdentificationError(
                        f"the scores of constructs {group} are collinear (as predictors of {names[j]!r} "
                        "their correlation matrix is singular), so the path coefficients of "
                        f"{names[j]!r} are not identified; merge these constructs, drop one, or check "
                        "that their blocks do not share or duplicate items")
                coef = np.linalg.solve(Rpp, R[pred, j])
                B[j, pred] = coef
                r2[j] = coef @ R[pred, j]
        return B, r2

    def loadings(self, Z: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Correlation of each item with its construct's scores; under PLSc the consistent
        loadings ``w sqrt(rho_A) / (w'w)`` of reflective blocks."""
        Ys, Zs = standardize_columns(Y, self.case_weights), standardize_columns(Z, self.case_weights)
        out = np.empty(self.n_items)
        n = len(Z)
        ra = self.rho_a(Z, w) if self.consistent else None
        R = self._corr(Z) if self.consistent else None
        for j, c in enumerate(self.spec.constructs):
            sl = self.slices[c]
            if self.consistent and sl.stop - sl.start > 1 and not self.mode_b[j]:
                v = w[sl] / np.sqrt(w[sl] @ R[sl, sl] @ w[sl])
                out[sl] = v * np.sqrt(ra[j]) / (v @ v)
            else:
                out[sl] = self._crossprod(Zs[:, sl], Ys[:, j]) / (n - 1)
        return out

    def estimates(self, Z: np.ndarray, w0=None) -> np.ndarray:
        """Stacked paths, loadings and weights (the bootstrap's statistic)."""
        w, Y, _, ok = self.run(Z, w0)
        B, _ = self.paths(Y, Z, w)
        return np.concatenate([B[self.P > 0], self.loadings(Z, Y, w), w]), ok
