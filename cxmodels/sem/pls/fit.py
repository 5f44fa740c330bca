"""PLS path modelling (PLS-SEM): ``fit_pls``.

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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ... import _validation as V
from ..._results import Result
from ..._stats import wald
from ...errors import ConvergenceWarning, InputError, ModelSyntaxError
from ...provenance import make_provenance
from ..measurement import reliability as rel
from ..syntax import parse

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
    for c, m in (modes or {}).items():
        if c not in blocks:
            raise InputError(f"modes names {c!r}, which is not a construct of the model")
        if m not in ("A", "B"):
            raise InputError(f"mode of {c!r} must be 'A' or 'B', got {m!r}")
        mode[c] = m
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


def _standardize(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)


def _prepare(X: np.ndarray, standardize: str) -> np.ndarray:
    """Indicators as the algorithm sees them.

    ``"items"``: each indicator to mean 0 and SD 1 (R plspm's ``scaled=TRUE``, seminr,
    SmartPLS; the published ECSI results). ``"pooled"``: centred, and all divided by one
    pooled SD of the stacked raw values (times ``sqrt((n-1)/n)``), which keeps the items'
    relative variances -- what the Python ``plspm`` package does with ``scaled=True``.
    """
    if standardize == "items":
        return _standardize(X)
    n = len(X)
    return (X - X.mean(axis=0)) / (X.ravel().std(ddof=1) * np.sqrt((n - 1) / n))


class _Engine:
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

    def run(self, Z: np.ndarray, w0: np.ndarray | None = None):
        """Outer weights (one vector over all items), scores, iterations, converged flag."""
        n = len(Z)
        W = self.mask * (1.0 if w0 is None else w0[:, None])
        Y = _standardize(Z @ W)
        W = W / (Z @ W).std(axis=0)
        for it in range(1, self.max_iter + 1):
            E = self._inner(Y)
            Zin = Y @ E
            W_new = np.zeros_like(W)
            for j, c in enumerate(self.spec.constructs):
                sl = self.slices[c]
                Xj = Z[:, sl]
                if self.mode_b[j]:
                    w = np.linalg.lstsq(Xj, Zin[:, j], rcond=None)[0]
                else:
                    w = Xj.T @ Zin[:, j] / n
                W_new[sl, j] = w
            W_new = W_new / (Z @ W_new).std(axis=0)
            change = np.sum((np.abs(W_new) - np.abs(W)) ** 2)
            W = W_new
            Y = Z @ W
            if change < self.tol:
                return W.sum(axis=1), Y, it, True
        return W.sum(axis=1), Y, self.max_iter, False

    def _inner(self, Y: np.ndarray) -> np.ndarray:
        """Inner weights ``E[i, j]``: the weight of construct i in the proxy of construct j."""
        R = np.corrcoef(Y, rowvar=False)
        if self.scheme == "centroid":
            return np.sign(R) * self.A
        if self.scheme == "factorial":
            return R * self.A
        E = np.zeros_like(R)
        for j in range(len(R)):
            pred = np.flatnonzero(self.P[j])
            if len(pred):
                E[pred, j] = np.linalg.lstsq(Y[:, pred], Y[:, j], rcond=None)[0]
            succ = np.flatnonzero(self.P[:, j])
            if len(succ):
                E[succ, j] = R[succ, j]
        return E

    def rho_a(self, Z: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Dijkstra-Henseler rho_A of each block (1 for single items and mode B blocks)."""
        out = np.ones(len(self.spec.constructs))
        R = np.corrcoef(Z, rowvar=False)
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
        R = np.corrcoef(Y, rowvar=False)
        if self.consistent:
            ra = np.sqrt(self.rho_a(Z, w))
            R = R / np.outer(ra, ra)
            np.fill_diagonal(R, 1.0)
        return R

    def paths(self, Y: np.ndarray, Z: np.ndarray | None = None, w: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """Path coefficients ``B[j, i]`` (i -> j) and R^2, by OLS on the construct
        correlations (``beta = R_pp^{-1} r_py``, ``R^2 = beta' r_py``)."""
        R = self.construct_correlations(Z, Y, w) if self.consistent else np.corrcoef(Y, rowvar=False)
        B = np.zeros_like(self.P)
        r2 = np.full(len(self.P), np.nan)
        for j in range(len(self.P)):
            pred = np.flatnonzero(self.P[j])
            if len(pred):
                coef = np.linalg.solve(R[np.ix_(pred, pred)], R[pred, j])
                B[j, pred] = coef
                r2[j] = coef @ R[pred, j]
        return B, r2

    def loadings(self, Z: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Correlation of each item with its construct's scores; under PLSc the consistent
        loadings ``w sqrt(rho_A) / (w'w)`` of reflective blocks."""
        Ys, Zs = _standardize(Y), _standardize(Z)
        out = np.empty(self.n_items)
        n = len(Z)
        ra = self.rho_a(Z, w) if self.consistent else None
        R = np.corrcoef(Z, rowvar=False) if self.consistent else None
        for j, c in enumerate(self.spec.constructs):
            sl = self.slices[c]
            if self.consistent and sl.stop - sl.start > 1 and not self.mode_b[j]:
                v = w[sl] / np.sqrt(w[sl] @ R[sl, sl] @ w[sl])
                out[sl] = v * np.sqrt(ra[j]) / (v @ v)
            else:
                out[sl] = Zs[:, sl].T @ Ys[:, j] / (n - 1)
        return out

    def estimates(self, Z: np.ndarray, w0=None) -> np.ndarray:
        """Stacked paths, loadings and weights (the bootstrap's statistic)."""
        w, Y, _, ok = self.run(Z, w0)
        B, _ = self.paths(Y, Z, w)
        return np.concatenate([B[self.P > 0], self.loadings(Z, Y, w), w]), ok


def fit_pls(model: str, data: pd.DataFrame, *, scheme: str = "path", modes: dict | None = None,
            tol: float = 1e-6, max_iter: int = 100, scale: tuple[float, float] | None = None,
            standardize: str = "items", consistent: bool = False) -> "PLSResult":
    """Fit a PLS path model (PLS-SEM), e.g. an ACSI or ECSI satisfaction index.

    Parameters
    ----------
    model : str
        lavaan-style syntax: ``C =~ x1 + x2`` a reflective (mode A) block, ``C <~ x1 + x2``
        a formative (mode B) block, ``C2 ~ C1`` inner paths; an observed variable in an
        inner path is a single-item construct.
    data : DataFrame
        Indicators in columns; never modified. Rows with missing values are excluded
        (and counted in ``.warnings``).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    modes : dict, optional
        Override a construct's mode ("A" or "B").
    tol, max_iter : float, int
        Convergence tolerance on the summed squared change of outer weights (plspm's
        criterion) and the iteration cap; both are reported on the result.
    scale : (min, max), optional
        The response scale of the items, for 0-100 index scores; default: the observed
        minimum and maximum of all indicators.
    standardize : {"items", "pooled"}
        ``"items"`` (default) standardizes each indicator, as R's plspm, seminr and
        SmartPLS do; ``"pooled"`` reproduces the Python plspm package (one pooled SD for
        all items).
    consistent : bool
        Consistent PLS (PLSc; Dijkstra & Henseler 2015, Computational Statistics & Data
        Analysis 81, 10-23): construct correlations are disattenuated by each reflective
        block's reliability ``rho_A``, ``r_c(i, j) = r(i, j) / sqrt(rho_A,i rho_A,j)``, and
        paths, R^2 and loadings (``lambda = w sqrt(rho_A) / (w'w)`` for unit-variance
        weights ``w``) are computed from them.  Plain PLS attenuates paths between
        constructs measured with error; PLSc removes that bias for reflective models.

    Returns
    -------
    PLSResult

    References
    ----------
    Lohmoeller, J.-B. (1989). *Latent Variable Path Modeling with Partial Least Squares*.
    Physica. Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS
    path modeling. *Computational Statistics & Data Analysis*, 48, 159-205.
    """
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if standardize not in ("items", "pooled"):
        raise InputError(f"standardize must be 'items' or 'pooled', got {standardize!r}")
    spec = parse_pls(model, modes)
    V.require_frame(data)
    V.require_columns(data, spec.indicators, "data (the model's indicators)")
    V.require_numeric(data, spec.indicators)
    V.require_finite(data, spec.indicators)
    V.require_not_constant(data, spec.indicators)
    notes = []
    work = data[spec.indicators]
    incomplete = work.isna().any(axis=1)
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were excluded (listwise)")
        work = work.loc[~incomplete]
    if len(work) <= len(spec.constructs) + 1:
        raise InputError(f"{len(work)} complete rows are too few for {len(spec.constructs)} constructs")
    engine = _Engine(spec, scheme, tol, max_iter)
    X = work.to_numpy(float)
    Z = _prepare(X, standardize)
    w, Y, iters, ok = engine.run(Z)
    if not ok:
        msg = f"the PLS algorithm did not converge in {max_iter} iterations (tol {tol})"
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        notes.append(msg)
    if scale is None:
        scale = (float(np.nanmin(X)), float(np.nanmax(X)))
    options = dict(scheme=scheme, modes=spec.modes, tol=tol, max_iter=max_iter, scale=list(scale),
                   standardize=standardize, consistent=consistent)
    engine.consistent = consistent
    return PLSResult(spec, engine, work, X, Z, w, Y, iters, ok, options, notes, data, model)


class PLSResult(Result):
    """A fitted PLS path model: estimates, R^2, reliability, HTMT, 0-100 scores, IPMA, bootstrap."""

    def __init__(self, spec, engine, work, X, Z, w, Y, iterations, converged, options, notes, data, model):
        self.spec, self._engine, self._work, self._X, self._Z = spec, engine, work, X, Z
        self.weights_, self._Y = w, Y
        self.iterations, self.converged, self.options = iterations, converged, options
        self.nobs = len(work)
        self._warnings = notes
        self.model_syntax = model
        self._B, self._r2 = engine.paths(Y, Z, w)
        self.loadings_ = engine.loadings(Z, Y, w)
        self._provenance = make_provenance("cxmodels.sem.fit_pls", data, {"model": model, **options})
        self._table = self._build_table()

    def _build_table(self) -> pd.DataFrame:
        sp = self.spec
        rows = []
        idx = {c: k for k, c in enumerate(sp.constructs)}
        for j in sp.constructs:
            for i in sp.predecessors[j]:
                rows.append((j, "~", i, self._B[idx[j], idx[i]]))
        k = 0
        for c in sp.constructs:
            for x in sp.blocks[c]:
                rows.append((c, "=~", x, self.loadings_[k]))
                k += 1
        k = 0
        for c in sp.constructs:
            for x in sp.blocks[c]:
                rows.append((c, "<~", x, self.weights_[k]))
                k += 1
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est"])

    def estimates(self) -> pd.DataFrame:
        """Paths (``~``), loadings (``=~``) and outer weights (``<~``), lavaan-style rows."""
        return self._table.copy()

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{a} {o} {b}" for a, o, b in zip(t.lhs, t.op, t.rhs)])

    def scores(self, scale: tuple[float, float] | None = (0, 100)) -> pd.DataFrame:
        """Construct scores: standardized (``scale=None``) or rescaled to 0-100 as the ACSI.

        The 0-100 index uses unstandardized weights: each standardized weight is divided by
        its item's standard deviation and the weights of a block normalized to sum to one,
        so the index is a weighted mean of the items mapped from the response scale
        ``[min, max]`` to ``[0, 100]`` (Fornell et al. 1996).
        """
        sp = self.spec
        if scale is None:
            return pd.DataFrame(_standardize(self._Y), columns=sp.constructs, index=self._work.index)
        lo, hi = self.options["scale"]
        sd = self._X.std(axis=0, ddof=1)
        out = {}
        for j, c in enumerate(sp.constructs):
            sl = self._engine.slices[c]
            u = self.weights_[sl] / sd[sl]
            u = u / u.sum()
            out[c] = (self._X[:, sl] - lo) / (hi - lo) @ u * (scale[1] - scale[0]) + scale[0]
        return pd.DataFrame(out, index=self._work.index)

    def r_squared(self) -> pd.DataFrame:
        """R^2 and adjusted R^2 of each endogenous construct."""
        sp, n = self.spec, self.nobs
        rows = {}
        for j, c in enumerate(sp.constructs):
            k = len(sp.predecessors[c])
            if k:
                r2 = self._r2[j]
                rows[c] = {"r2": r2, "r2_adj": 1 - (1 - r2) * (n - 1) / (n - k - 1)}
        return pd.DataFrame.from_dict(rows, orient="index")

    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects between constructs: ``T = (I - B)^{-1} - I``."""
        B = self._B
        T = np.linalg.inv(np.eye(len(B)) - B) - np.eye(len(B))
        sp = self.spec
        rows = []
        for j, y in enumerate(sp.constructs):
            for i, x in enumerate(sp.constructs):
                if abs(T[j, i]) > 0:
                    rows.append({"outcome": y, "predictor": x, "direct": B[j, i], "indirect": T[j, i] - B[j, i],
                                 "total": T[j, i]})
        return pd.DataFrame(rows)

    def f_squared(self) -> pd.DataFrame:
        """Cohen's f^2 of each path: ``(R^2_incl - R^2_excl) / (1 - R^2_incl)``."""
        sp = self.spec
        R = self._engine.construct_correlations(self._Z, self._Y, self.weights_)
        idx = {c: k for k, c in enumerate(sp.constructs)}

        def r2(y, preds):
            p = [idx[x] for x in preds]
            return float(R[p, idx[y]] @ np.linalg.solve(R[np.ix_(p, p)], R[p, idx[y]])) if p else 0.0

        rows = []
        for y in sp.constructs:
            preds = sp.predecessors[y]
            for x in preds:
                full = r2(y, preds)
                rows.append({"lhs": y, "op": "~", "rhs": x,
                             "f2": (full - r2(y, [p for p in preds if p != x])) / (1 - full)})
        return pd.DataFrame(rows)

    # -------------------------------------------------------- measurement quality
    def _by_block(self, values) -> dict:
        return {c: values[self._engine.slices[c]] for c in self.spec.constructs}

    def reliability(self) -> pd.DataFrame:
        """alpha, rho_c, ave, rho_a per construct (mode A blocks are the ones to judge)."""
        return rel.reliability_table(self._work, self.spec.blocks, self._by_block(self.loadings_),
                                     self._by_block(self.weights_))

    def htmt(self) -> pd.DataFrame:
        """Heterotrait-monotrait ratios between constructs (Henseler et al. 2015)."""
        return rel.htmt(self._work, self.spec.blocks)

    def fornell_larcker(self) -> pd.DataFrame:
        return rel.fornell_larcker(self.scores(None), self.reliability()["ave"])

    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every indicator with every construct's scores."""
        S = self.scores(None)
        return pd.DataFrame({c: [np.corrcoef(self._work[x], S[c])[0, 1] for x in self.spec.indicators]
                             for c in self.spec.constructs}, index=self.spec.indicators)

    def vif(self) -> pd.Series:
        return rel.item_vif(self._work, self.spec.blocks)

    # -------------------------------------------------------- IPMA
    def ipma(self, target: str) -> pd.DataFrame:
        """Importance-performance map: total effects on ``target`` against mean 0-100 scores.

        Importance is the unstandardized total effect computed on the 0-100 rescaled
        construct scores (Ringle & Sarstedt 2016, Industrial Management & Data Systems
        116(9), 1865-1886); performance is the construct's mean 0-100 score.
        """
        if target not in self.spec.constructs:
            raise InputError(f"target {target!r} is not a construct; constructs are {self.spec.constructs}")
        S = self.scores((0, 100))
        sp = self.spec
        idx = {c: k for k, c in enumerate(sp.constructs)}
        B = np.zeros((len(sp.constructs),) * 2)
        for y in sp.constructs:
            preds = sp.predecessors[y]
            if preds:
                Xp = np.column_stack([np.ones(len(S))] + [S[p].to_numpy() for p in preds])
                coef = np.linalg.lstsq(Xp, S[y].to_numpy(), rcond=None)[0][1:]
                B[idx[y], [idx[p] for p in preds]] = coef
        T = np.linalg.inv(np.eye(len(B)) - B) - np.eye(len(B))
        rows = [{"construct": c, "importance": T[idx[target], idx[c]], "performance": S[c].mean()}
                for c in sp.constructs if c != target and abs(T[idx[target], idx[c]]) > 0]
        return pd.DataFrame(rows).set_index("construct")

    def plot_ipma(self, target: str, ax=None):
        """Scatter of importance (x) against performance (y) with mean cross-hairs."""
        import matplotlib.pyplot as plt
        m = self.ipma(target)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        ax.scatter(m["importance"], m["performance"], color="#4a6fa5")
        for c, r in m.iterrows():
            ax.annotate(c, (r["importance"], r["performance"]), xytext=(4, 4), textcoords="offset points")
        ax.axvline(m["importance"].mean(), color="grey", lw=0.8, ls="--")
        ax.axhline(m["performance"].mean(), color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"importance (total effect on {target})")
        ax.set_ylabel("performance (mean 0-100 score)")
        ax.set_title(f"Importance-performance map: {target}")
        return ax

    # -------------------------------------------------------- bootstrap
    def _indirect_pairs(self) -> list[tuple[int, int]]:
        P = self._engine.P
        paths = np.linalg.inv(np.eye(len(P)) - P) - np.eye(len(P))
        return [(j, i) for j in range(len(P)) for i in range(len(P)) if paths[j, i] - P[j, i] > 0.5]

    def _statistic_rows(self) -> pd.DataFrame:
        """Row labels of the bootstrap statistic: paths, loadings, weights, indirect effects, HTMT."""
        sp = self.spec
        rows = self._table[["lhs", "op", "rhs"]].copy()
        ind = pd.DataFrame([(sp.constructs[j], "ind", sp.constructs[i]) for j, i in self._indirect_pairs()],
                           columns=["lhs", "op", "rhs"])
        pairs = [(a, b) for k, a in enumerate(sp.constructs) for b in sp.constructs[k + 1:]]
        ht = pd.DataFrame([(a, "htmt", b) for a, b in pairs], columns=["lhs", "op", "rhs"])
        return pd.concat([rows, ind, ht], ignore_index=True)

    def _statistic(self, X: np.ndarray, w0) -> tuple[np.ndarray, bool]:
        e, ok = self._engine.estimates(_prepare(X, self.options["standardize"]), w0)
        n_paths = int((self._engine.P > 0).sum())
        B = np.zeros_like(self._engine.P)
        B[self._engine.P > 0] = e[:n_paths]
        T = np.linalg.inv(np.eye(len(B)) - B) - np.eye(len(B))
        ind = [T[j, i] - B[j, i] for j, i in self._indirect_pairs()]
        H = rel.htmt_matrix(X, [len(self.spec.blocks[c]) for c in self.spec.constructs])
        ht = H[np.triu_indices(len(H), 1)]
        return np.concatenate([e, ind, ht]), ok

    def bootstrap(self, n: int = 1000, *, seed=None, level: float = 0.95, progress: bool = True) -> pd.DataFrame:
        """Bootstrap paths, loadings, weights, indirect effects (op ``ind``) and HTMT (op
        ``htmt``): SE, t, p, percentile and BCa intervals.

        Each replicate resamples respondents, re-standardizes and reruns the algorithm
        warm-started at the full-sample weights.  BCa uses the jackknife acceleration
        (Efron 1987, JASA 82, 171-185); t = estimate / bootstrap SE with a normal p-value.
        """
        from ..._progress import Progress
        from ..._stats import bootstrap_interval as interval
        if not isinstance(n, (int, np.integer)) or n < 2:
            raise InputError(f"the number of bootstrap replicates must be an integer >= 2, got {n!r}")
        rng = V.as_generator(seed)
        est0, _ = self._statistic(self._X, self.weights_)
        draws, failed = [], 0
        bar = Progress(n, "PLS bootstrap", progress)
        N = self.nobs
        for _ in range(n):
            Xb = self._X[rng.integers(0, N, N)]
            ok = not np.any(Xb.std(axis=0) == 0)
            if ok:
                e, ok = self._statistic(Xb, self.weights_)
            if ok:
                draws.append(e)
            else:
                failed += 1
            bar.update()
        D = np.asarray(draws)
        se = D.std(axis=0, ddof=1)
        lo_p, hi_p = interval(D, est0, level, "percentile")
        # BCa: bias correction from the draws, acceleration from the jackknife.
        jack = np.array([self._statistic(np.delete(self._X, i, axis=0), self.weights_)[0]
                         for i in range(N)]) if N <= 2000 else None
        lo_b, hi_b = _bca(D, est0, jack, level)
        t = self._statistic_rows()
        t["est"] = est0
        t["boot_mean"] = D.mean(axis=0)
        t["boot_se"] = se
        w = wald(est0, se, level)
        t["t"], t["pvalue"] = w["z"], w["pvalue"]
        t["ci_lower"], t["ci_upper"] = lo_p, hi_p
        t["bca_lower"], t["bca_upper"] = lo_b, hi_b
        t.attrs.update(n_boot=len(D), n_failed=failed, seed=seed)
        if failed:
            self._warnings.append(f"{failed} of {n} bootstrap replicates failed (constant item or no convergence)")
        return t

    def methods_text(self) -> str:
        r2 = self.r_squared()
        return (f"The model was estimated by partial least squares path modelling (Wold, 1982; Lohmoeller, 1989) "
                f"with the {self.options['scheme']} inner weighting scheme on {self.nobs} standardized responses "
                f"(convergence in {self.iterations} iterations, tolerance {self.options['tol']:g}), as implemented in "
                f"cxmodels and checked against the plspm package (Tenenhaus et al., 2005). Reliability was assessed "
                "by Cronbach's alpha, composite reliability, rho_A (Dijkstra & Henseler, 2015) and AVE (Fornell & "
                "Larcker, 1981); discriminant validity by HTMT (Henseler, Ringle & Sarstedt, 2015). "
                + "R-squared: " + ", ".join(f"{c} {v:.3f}" for c, v in r2["r2"].items()) + ".")


def _bca(D, est, jack, level):
    """BCa interval per column; percentile with bias correction only when no jackknife."""
    from scipy import stats
    a_ = (1 - level) / 2
    lo, hi = np.empty(D.shape[1]), np.empty(D.shape[1])
    for k in range(D.shape[1]):
        d = D[:, k]
        prop = np.clip(np.mean(d < est[k]), 1 / (2 * len(d)), 1 - 1 / (2 * len(d)))
        z0 = stats.norm.ppf(prop)
        acc = 0.0
        if jack is not None:
            u = jack[:, k].mean() - jack[:, k]
            den = 6 * (np.sum(u ** 2)) ** 1.5
            acc = np.sum(u ** 3) / den if den > 0 else 0.0
        q = []
        for z in (stats.norm.ppf(a_), stats.norm.ppf(1 - a_)):
            q.append(stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z))))
        lo[k], hi[k] = np.quantile(d, q[0]), np.quantile(d, q[1])
    return lo, hi
