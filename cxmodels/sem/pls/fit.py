"""PLS path modelling (PLS-SEM): :func:`fit_pls` and its result, :class:`PLSResult`.

The algorithm is in :mod:`cxmodels.sem.pls.engine` (Wold 1982; Lohmoeller 1989; as the R
and Python ``plspm`` packages implement it, Tenenhaus et al. 2005); the bootstrap in
:mod:`cxmodels.sem.pls.bootstrap`.  This module checks the input, runs the engine once and
flags degenerate fits (``docs/architecture.md``, "The result contract").
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._results import Result
from ...errors import (CXModelsError, CXModelsWarning, ConvergenceWarning, EstimationError,
                       ImproperSolutionWarning, InputError, warn)
from ...provenance import make_provenance
from ..measurement import references as MR
from ..measurement import reliability as rel
from . import references as R
from . import sampling as SW
from .engine import SCHEMES, Engine, PLSSpec, parse_pls, prepare, standardize_columns

__all__ = ["fit_pls", "PLSResult", "check_scale", "ten_times_rule"]

#: Rows per arrow pointing at a construct below which a fit is flagged (the "ten times
#: rule", Hair et al. 2017, ch. 1): with fewer, outer weights and paths are unstable.
ROWS_PER_ARROW = 10


def guarded(method):
    """Let only cxmodels errors leave a result method: singular matrices become an
    :class:`EstimationError` naming the method; divisions by zero give inf/nan silently
    (the caller sees them in the table) instead of numpy RuntimeWarnings."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return method(self, *args, **kwargs)
        except CXModelsError:
            raise
        except (np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError) as exc:
            raise EstimationError(f"{type(self).__name__}.{method.__name__}() could not be computed on "
                                  f"this fit ({exc}); see the result's warnings") from exc

    return wrapper


def check_scale(scale, data: pd.DataFrame, columns: list[str], what: str = "scale") -> tuple[float, float]:
    """``scale=(low, high)``: two finite numbers with ``low < high`` and every value of
    ``columns`` inside ``[low, high]``; the error names each column and its rows outside."""
    ok = (isinstance(scale, (tuple, list, np.ndarray)) and len(scale) == 2
          and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in scale))
    if not ok:
        raise InputError(f"{what} must be (low, high), the response scale of the items (e.g. (1, 10)), got {scale!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise InputError(f"{what} must be finite numbers, got {scale!r}")
    if not lo < hi:
        raise InputError(f"{what}=({scale[0]}, {scale[1]}) is inverted or empty: it must be (low, high) "
                         "with low < high, e.g. (1, 10); an inverted scale would reverse the index scores")
    problems = []
    for col in columns:
        s = data[col]
        out = s.index[(s < lo) | (s > hi)]
        if len(out):
            problems.append(f"column {col!r} has {len(out)} values outside [{lo:g}, {hi:g}] "
                            f"(observed {s.min():g} to {s.max():g}; {V.rows_text(out)})")
    if problems:
        more = f"; and {len(problems) - 3} more columns" if len(problems) > 3 else ""
        raise InputError(f"{what}=({scale[0]}, {scale[1]}) does not contain the data: " + "; ".join(problems[:3]) + more
                         + ". Give the items' real response scale, or recode the values outside it")
    return lo, hi


def ten_times_rule(spec: PLSSpec) -> tuple[int, str]:
    """The largest number of arrows pointing at one construct (its predecessors, or the items
    of a formative block) and that construct: ``ROWS_PER_ARROW`` times it is the rule's minimum."""
    counts = {c: max(len(spec.predecessors[c]), len(spec.blocks[c]) if spec.modes[c] == "B" else 0)
              for c in spec.constructs}
    worst = max(counts, key=counts.get)
    return counts[worst], worst


def _check_options(scheme, standardize, tol, max_iter, consistent):
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if standardize not in ("items", "pooled"):
        raise InputError(f"standardize must be 'items' or 'pooled', got {standardize!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise InputError(f"tol must be a number between 0 and 1 (e.g. 1e-6), got {tol!r}")
    V.check_count(max_iter, "max_iter", minimum=1)
    if not isinstance(consistent, (bool, np.bool_)):
        raise InputError(f"consistent must be True or False, got {consistent!r}")


def _items_frame(data, spec: PLSSpec) -> pd.DataFrame:
    """The indicators, checked: a frame, each indicator once, numeric, finite."""
    V.require_frame(data)
    dup = data.columns[data.columns.duplicated()].unique()
    used = [c for c in dup if c in set(spec.indicators)]
    if used:
        raise InputError(f"data has repeated column names {list(map(str, used))} among the model's indicators; "
                         "which column is meant is ambiguous: rename or drop the copies")
    V.require_columns(data, spec.indicators, "data (the model's indicators)")
    V.require_numeric(data, spec.indicators)
    V.require_finite(data, spec.indicators)
    return data[spec.indicators]


def fit_pls(model: str, data: pd.DataFrame, *, scheme: str = "path", modes: dict | None = None,
            tol: float = 1e-6, max_iter: int = 100, scale: tuple[float, float] | None = None,
            standardize: str = "items", consistent: bool = False, sampling_weights: str | None = None
            ) -> "PLSResult":
    """Fit a PLS path model (PLS-SEM), e.g. an ACSI or ECSI satisfaction index.

    Parameters
    ----------
    model : str
        lavaan-style syntax: ``C =~ x1 + x2`` a reflective (mode A) block, ``C <~ x1 + x2``
        a formative (mode B) block, ``C2 ~ C1`` inner paths; an observed variable in an
        inner path is a single-item construct.
    data : DataFrame
        Indicators in columns; never modified. Rows with missing values are excluded
        (a warning, recorded in ``.warnings``, gives the count).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    modes : dict, optional
        Override a construct's mode ("A" or "B").
    tol, max_iter : float, int
        Convergence tolerance on the summed squared change of outer weights (plspm's
        criterion) and the iteration cap; both are reported on the result.
    scale : (low, high), optional
        The response scale of the items, for 0-100 index scores
        ``100 (x - low) / (high - low)``; ``low < high`` and every item value must lie
        inside it (an error names the column and rows outside).  Default: the observed
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
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight (e.g. the inverse of its
        selection probability; the same argument name as ``fit_sem`` and lavaan's
        ``sampling.weights``).  Weighted PLS (Becker & Ismail 2016, European Management
        Journal 34, 606-617): weighted standardization, weighted outer and inner estimation
        and weighted path regressions, and weighted moments in every statistic of the
        result (R^2, f^2, reliability, HTMT, VIF, scores, IPMA, bootstrap, model fit).  The
        weights are rescaled to sum to the number of rows, so only their ratios matter.
        Negative, missing or infinite weights, or all-zero weights, are refused naming the
        rows.  See :mod:`cxmodels.sem.pls.sampling`.

    Returns
    -------
    PLSResult
        Flagged (a warning, an entry in ``warnings``, ``admissible=False``) when a formative
        block's items are collinear (its weights are not identified) or when there are
        fewer than ``10 x`` the largest number of arrows pointing at a construct rows (the
        ten-times rule, Hair et al. 2017); ``converged=False`` when the algorithm stops at
        ``max_iter``.

    Raises
    ------
    InputError
        Bad syntax, missing/non-numeric/infinite/constant/duplicated columns, a scale that
        is inverted or does not contain the data, too few rows to estimate at all.
    IdentificationError
        Collinear construct scores as predictors of one construct (names the constructs).

    References
    ----------
    Lohmoeller, J.-B. (1989). *Latent Variable Path Modeling with Partial Least Squares*.
    Physica. Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS
    path modeling. *Computational Statistics & Data Analysis*, 48, 159-205.
    """
    _check_options(scheme, standardize, tol, max_iter, consistent)
    spec = parse_pls(model, modes)
    items = _items_frame(data, spec)
    row_weights = None
    if sampling_weights is not None:
        if standardize != "items":
            raise InputError("sampling_weights need standardize='items': the 'pooled' standardization reproduces "
                             "the Python plspm package, which has no sampling weights")
        row_weights = SW.check_sampling_weights(data, sampling_weights, spec.indicators)
    if scale is not None:
        scale = check_scale(scale, items, spec.indicators)
    incomplete = items.isna().any(axis=1)
    work = items.loc[~incomplete]
    notes = []
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(items)} rows with missing values were excluded "
                     f"(listwise; {V.rows_text(items.index[incomplete])})")
    # The floor below which nothing can be estimated: each regression (inner paths, mode B
    # weights) needs at least one residual degree of freedom, every correlation two rows.
    max_pred = max(len(p) for p in spec.predecessors.values())
    floor = max(3, max_pred + 2)
    if len(work) < floor:
        raise InputError(f"{len(work)} complete rows are too few to estimate this model: at least {floor} are "
                         f"needed ({max_pred} predictors of one construct plus two)")
    engine = Engine(spec, scheme, tol, max_iter)
    if row_weights is not None:
        d = row_weights.loc[~incomplete].to_numpy(float)
        positive = int((d > 0).sum())
        if positive < floor:
            raise InputError(f"only {positive} complete rows have a positive weight in sampling_weights column "
                             f"{sampling_weights!r}; at least {floor} are needed to estimate this model")
        V.require_not_constant(work.loc[d > 0], spec.indicators, "data (complete rows with a positive weight)")
        engine = engine.with_case_weights(d)
    else:
        V.require_not_constant(work, spec.indicators, "data (complete rows)")
    X = work.to_numpy(float)
    Z = prepare(X, standardize, engine.case_weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        w, Y, iters, ok = engine.run(Z)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(Y))):
        raise EstimationError("the PLS algorithm produced undefined outer weights (a block whose composite has "
                              "no variance); check the model's blocks for items that cancel out")
    options = dict(scheme=scheme, modes=spec.modes, tol=tol, max_iter=max_iter,
                   scale=list(scale) if scale is not None else None, standardize=standardize,
                   consistent=consistent, sampling_weights=sampling_weights)
    if scale is None:
        scale = (float(np.min(X)), float(np.max(X)))
    engine.consistent = consistent
    return PLSResult(spec, engine, work, X, Z, w, Y, iters, ok, options, notes, data, model, scale)


class PLSResult(Result):
    """A fitted PLS path model: estimates, R^2, reliability, HTMT, 0-100 scores, IPMA, bootstrap.

    ``summary()`` is the table of paths (``~``), loadings (``=~``) and outer weights (``<~``);
    ``params`` the same estimates indexed ``"lhs op rhs"``.  ``plot(ax=None, target=None)``
    draws the importance-performance map of ``target``.

    Attributes
    ----------
    spec : PLSSpec
        Blocks, modes and inner model, constructs in causal order.
    weights_, loadings_ : ndarray
        Outer weights and loadings, item by item in block order.
    iterations : int
    nobs : int
        Complete rows used.
    scale : (float, float)
        The response scale the 0-100 scores map from.
    options : dict
        The options of the fit (also in ``provenance.options``).
    """

    def __init__(self, spec, engine, work, X, Z, w, Y, iterations, converged, options, notes, data, model, scale):
        self.spec, self._engine, self._work, self._X, self._Z = spec, engine, work, X, Z
        self.weights_, self._Y = w, Y
        self.iterations, self.options = iterations, options
        self.nobs = len(work)
        self.scale = scale
        self.model_syntax = model
        self._warnings = []
        self._references = (R.WOLD, R.LOHMOLLER, R.TENENHAUS, MR.CRONBACH, MR.WERTS, MR.DIJKSTRA_HENSELER_MISQ,
                            MR.FORNELL_LARCKER, MR.HENSELER_HTMT, R.FORNELL_ACSI, R.HAIR) + (
            (R.DIJKSTRA_HENSELER_CSDA,) if options["consistent"] else ()) + (
            (R.BECKER_ISMAIL,) if engine.case_weights is not None else ())
        #: Row weights summing to ``nobs`` (weighted PLS), or None.
        self.case_weights = engine.case_weights
        self._provenance = make_provenance("cxmodels.sem.fit_pls", data, {"model": model, **options})
        for note in notes:
            self._note(note)
        if not converged:
            self._flag(f"the PLS algorithm did not converge in {options['max_iter']} iterations "
                       f"(tol {options['tol']:g}); raise max_iter or check the model", ConvergenceWarning)
        self._flag_degenerate()
        with np.errstate(divide="ignore", invalid="ignore"):
            self._B, self._r2 = engine.paths(Y, Z, w)
            self.loadings_ = engine.loadings(Z, Y, w)
        self._table = self._build_table()

    def _note(self, message: str) -> None:
        """Record and warn without touching the flags (information, not a defect)."""
        self._warnings.append(message)
        warn(message, CXModelsWarning)

    def _flag_degenerate(self) -> None:
        sp, n = self.spec, self.nobs
        for j, c in enumerate(sp.constructs):
            if sp.modes[c] != "B" or len(sp.blocks[c]) < 2:
                continue
            sl = self._engine.slices[c]
            for group in rel.collinear_sets(self._engine._corr(self._Z[:, sl]), sp.blocks[c]):
                self._flag(f"the items {group} of formative (mode B) construct {c!r} are collinear"
                           + (f" (only {n} rows for {len(sp.blocks[c])} items)" if n <= len(sp.blocks[c]) else "")
                           + ", so its outer weights are not identified (a minimum-norm solution was used); "
                           "drop or combine items, or use mode A", ImproperSolutionWarning)
        arrows, where = ten_times_rule(sp)
        if n < ROWS_PER_ARROW * arrows:
            self._flag(f"{n} complete rows are fewer than the {ROWS_PER_ARROW * arrows} the ten-times rule asks "
                       f"for ({arrows} arrows point at {where!r}; Hair et al. 2017): the estimates are unstable "
                       "and intervals unreliable", ImproperSolutionWarning)

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

    def _construct(self, name, what: str = "target", endogenous: bool = False) -> str:
        if not isinstance(name, str) or name not in self.spec.constructs:
            raise InputError(f"{what} {name!r} is not a construct; constructs are {self.spec.constructs}")
        if endogenous and not self.spec.predecessors[name]:
            endo = [c for c in self.spec.constructs if self.spec.predecessors[c]]
            raise InputError(f"{what} {name!r} has no predecessors in the inner model, so nothing has an effect "
                             f"on it; choose one of {endo}")
        return name

    @guarded
    def scores(self, scale: tuple[float, float] | None = (0, 100)) -> pd.DataFrame:
        """Construct scores: standardized (``scale=None``) or rescaled to 0-100 as the ACSI.

        The 0-100 index uses unstandardized weights: each standardized weight is divided by
        its item's standard deviation and the weights of a block normalized to sum to one,
        so the index is a weighted mean of the items mapped from the response scale
        ``[low, high]`` (``fit_pls(scale=...)``) to ``[0, 100]`` (Fornell et al. 1996).
        ``scale`` here is the output range.
        """
        sp = self.spec
        if scale is None:
            return pd.DataFrame(standardize_columns(self._Y, self.case_weights), columns=sp.constructs,
                                index=self._work.index)
        if not (isinstance(scale, (tuple, list)) and len(scale) == 2
                and all(isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v) for v in scale)
                and scale[0] < scale[1]):
            raise InputError(f"scale must be None or an output range (low, high) with low < high, e.g. (0, 100), "
                             f"got {scale!r}")
        lo, hi = self.scale
        d = self.case_weights
        sd = self._X.std(axis=0, ddof=1) if d is None else SW.sd(self._X, d)
        out = {}
        for c in sp.constructs:
            sl = self._engine.slices[c]
            u = self.weights_[sl] / sd[sl]
            u = u / u.sum()
            v = (self._X[:, sl] - lo) / (hi - lo) @ u * (scale[1] - scale[0]) + scale[0]
            if np.all(u >= 0):  # a weighted mean: inside the range up to rounding, which is removed
                v = np.clip(v, scale[0], scale[1])
            else:
                negative = [x for x, uk in zip(sp.blocks[c], u) if uk < 0]
                warn(f"construct {c!r} has negative outer weights on {negative}: its index is not a "
                              f"weighted mean of the items and may fall outside {tuple(scale)}", ImproperSolutionWarning)
            out[c] = v
        return pd.DataFrame(out, index=self._work.index)

    @guarded
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

    @guarded
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
        return pd.DataFrame(rows, columns=["outcome", "predictor", "direct", "indirect", "total"])

    @guarded
    def f_squared(self) -> pd.DataFrame:
        """Cohen's f^2 of each path: ``(R^2_incl - R^2_excl) / (1 - R^2_incl)``."""
        sp = self.spec
        Rc = self._engine.construct_correlations(self._Z, self._Y, self.weights_)
        idx = {c: k for k, c in enumerate(sp.constructs)}

        def r2(y, preds):
            p = [idx[x] for x in preds]
            return float(Rc[p, idx[y]] @ np.linalg.solve(Rc[np.ix_(p, p)], Rc[p, idx[y]])) if p else 0.0

        rows = []
        for y in sp.constructs:
            preds = sp.predecessors[y]
            for x in preds:
                full = r2(y, preds)
                rows.append({"lhs": y, "op": "~", "rhs": x,
                             "f2": (full - r2(y, [p for p in preds if p != x])) / (1 - full)})
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "f2"])

    # -------------------------------------------------------- measurement quality
    def _by_block(self, values) -> dict:
        return {c: values[self._engine.slices[c]] for c in self.spec.constructs}

    @guarded
    def reliability(self) -> pd.DataFrame:
        """alpha, rho_c, ave, rho_a per construct (mode A blocks are the ones to judge); with
        sampling weights, alpha and rho_A use the weighted item correlations."""
        if self.case_weights is None:
            return rel.reliability_table(self._work, self.spec.blocks, self._by_block(self.loadings_),
                                         self._by_block(self.weights_))
        R = self._item_corr()
        rows = {}
        for c in self.spec.constructs:
            sl = self._engine.slices[c]
            l = self.loadings_[sl]
            rows[c] = {"alpha": SW.cronbach_alpha_from_corr(R[sl, sl]), "rho_c": rel.composite_reliability(l),
                       "ave": rel.ave(l), "rho_a": SW.rho_a_from_corr(R[sl, sl], self.weights_[sl])}
        return pd.DataFrame.from_dict(rows, orient="index")[["alpha", "rho_c", "ave", "rho_a"]]

    def _item_corr(self) -> np.ndarray:
        """Item correlations (weighted with sampling weights), items in block order."""
        return self._engine._corr(self._X)

    @guarded
    def htmt(self) -> pd.DataFrame:
        """Heterotrait-monotrait ratios between constructs (Henseler et al. 2015); weighted
        item correlations with sampling weights."""
        if self.case_weights is None:
            return rel.htmt(self._work, self.spec.blocks)
        sp = self.spec
        H = rel.htmt_from_corr(np.abs(self._item_corr()), [len(sp.blocks[c]) for c in sp.constructs])
        return pd.DataFrame(H, index=sp.constructs, columns=sp.constructs)

    @guarded
    def fornell_larcker(self) -> pd.DataFrame:
        """Construct correlations with sqrt(AVE) on the diagonal (Fornell & Larcker 1981)."""
        if self.case_weights is None:
            return rel.fornell_larcker(self.scores(None), self.reliability()["ave"])
        out = pd.DataFrame(self._engine._corr(self._Y), index=self.spec.constructs, columns=self.spec.constructs)
        for c, a in self.reliability()["ave"].items():
            out.loc[c, c] = np.sqrt(a)
        return out

    @guarded
    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every indicator with every construct's scores."""
        if self.case_weights is not None:
            k = self._engine.n_items
            R = self._engine._corr(np.column_stack([self._X, self._Y]))[:k, k:]
            return pd.DataFrame(R, index=self.spec.indicators, columns=self.spec.constructs)
        S = self.scores(None)
        return pd.DataFrame({c: [np.corrcoef(self._work[x], S[c])[0, 1] for x in self.spec.indicators]
                             for c in self.spec.constructs}, index=self.spec.indicators)

    @guarded
    def vif(self) -> pd.Series:
        """Variance inflation factor of each item within its block (``inf`` for an item that
        is an exact linear combination of the others in its block, with a warning naming
        the construct and items); weighted item correlations with sampling weights."""
        if self.case_weights is None:
            return rel.item_vif(self._work, self.spec.blocks)
        R, out = self._item_corr(), {}
        for c in self.spec.constructs:
            sl, items = self._engine.slices[c], self.spec.blocks[c]
            if len(items) == 1:
                out[items[0]] = 1.0
                continue
            sets = rel.collinear_sets(R[sl, sl], items)
            if sets:
                names = sorted({it for group in sets for it in group}, key=items.index)
                warn(f"the items {names} of construct {c!r} are collinear (one is an exact linear "
                              "combination of the others): their VIF is infinite; drop or combine items", ImproperSolutionWarning)
                for k, it in enumerate(items):
                    others = [m for m in range(len(items)) if m != k]
                    r = R[sl, sl][others, k]
                    r2 = r @ np.linalg.pinv(R[sl, sl][np.ix_(others, others)]) @ r
                    out[it] = np.inf if it in names else float(1 / (1 - r2))
                continue
            out.update(zip(items, np.diag(np.linalg.inv(R[sl, sl]))))
        return pd.Series(out, name="vif")

    # -------------------------------------------------------- IPMA
    @guarded
    def ipma(self, target: str) -> pd.DataFrame:
        """Importance-performance map: total effects on ``target`` against mean 0-100 scores.

        Importance is the unstandardized total effect computed on the 0-100 rescaled
        construct scores (Ringle & Sarstedt 2016, Industrial Management & Data Systems
        116(9), 1865-1886); performance is the construct's mean 0-100 score.
        """
        self._construct(target, "target", endogenous=True)
        S = self.scores((0, 100))
        sp = self.spec
        idx = {c: k for k, c in enumerate(sp.constructs)}
        B = np.zeros((len(sp.constructs),) * 2)
        d = np.ones(len(S)) if self.case_weights is None else self.case_weights
        for y in sp.constructs:
            preds = sp.predecessors[y]
            if preds:
                Xp = np.column_stack([np.ones(len(S))] + [S[p].to_numpy() for p in preds])
                coef = SW.lstsq(Xp, S[y].to_numpy(), d)[1:]
                B[idx[y], [idx[p] for p in preds]] = coef
        T = np.linalg.inv(np.eye(len(B)) - B) - np.eye(len(B))
        rows = [{"construct": c, "importance": T[idx[target], idx[c]], "performance": S[c].mean() if self.case_weights is None else float(d @ S[c] / d.sum())}
                for c in sp.constructs if c != target and abs(T[idx[target], idx[c]]) > 0]
        return pd.DataFrame(rows, columns=["construct", "importance", "performance"]).set_index("construct")

    def plot(self, ax=None, *, target: str | None = None):
        """Importance-performance map of ``target`` (default: the last construct in causal
        order, the model's final outcome): importance (x) against performance (y) with mean
        cross-hairs.  Returns the Axes."""
        target = self.spec.constructs[-1] if target is None else target
        m = self.ipma(target)
        ax = plotting.axes(ax, figsize=(6, 4.5))
        ax.scatter(m["importance"], m["performance"], color=plotting.color(0))
        for c, r in m.iterrows():
            ax.annotate(c, (r["importance"], r["performance"]), xytext=(4, 4), textcoords="offset points")
        ax.axvline(m["importance"].mean(), color="grey", lw=0.8, ls="--")
        ax.axhline(m["performance"].mean(), color="grey", lw=0.8, ls="--")
        ax.set_xlabel(f"importance (total effect on {target})")
        ax.set_ylabel("performance (mean 0-100 score)")
        ax.set_title(f"Importance-performance map: {target}")
        return ax

    # -------------------------------------------------------- bootstrap
    def bootstrap(self, n_boot: int = 1000, *, seed=None, level: float = 0.95, progress=None):
        """Bootstrap paths, loadings, weights, indirect effects and HTMT (percentile and BCa
        intervals); see :func:`cxmodels.sem.pls.bootstrap.bootstrap_pls`.  The seed (drawn
        when None) is recorded in the returned result's provenance and, as a step, in this
        result's."""
        from .bootstrap import bootstrap_pls
        return bootstrap_pls(self, n_boot, seed=seed, level=level, progress=progress)

    def fit_indices(self, n_boot: int = 0, *, seed=None, level: float = 0.95, composite: bool = False,
                    progress=None):
        """Overall model fit: SRMR, d_ULS and d_G of the saturated and estimated model and,
        with ``n_boot``, their Bollen-Stine bootstrap critical values HI95/HI99 and the test
        of exact fit (Dijkstra & Henseler 2015); see
        :func:`cxmodels.sem.pls.fitstats.pls_fit_indices`.  The same name as CB-SEM's
        ``fit_indices()``; the seed is recorded as a step in this result's provenance."""
        from .fitstats import pls_fit_indices
        return pls_fit_indices(self, n_boot, seed=seed, level=level, composite=composite, progress=progress)

    def methods_text(self) -> str:
        r2 = self.r_squared()
        consistent = (f" Path coefficients were corrected for attenuation by consistent PLS "
                      f"({R.DIJKSTRA_HENSELER_CSDA.cite})." if self.options["consistent"] else "")
        arrows, _ = ten_times_rule(self.spec)
        if self.case_weights is not None:
            consistent += (f" Sampling weights (column {self.options['sampling_weights']!r}) entered every moment "
                           f"of the algorithm and of the reported statistics (weighted PLS; {R.BECKER_ISMAIL.cite}).")
        return (f"The model was estimated by partial least squares path modelling ({R.WOLD.cite}; "
                f"{R.LOHMOLLER.cite}) with the {self.options['scheme']} inner weighting scheme on {self.nobs} "
                f"standardized responses (convergence in {self.iterations} iterations, tolerance "
                f"{self.options['tol']:g}), as implemented in cxmodels and checked against the plspm package "
                f"({R.TENENHAUS.cite}).{consistent} The sample size was judged against the ten-times rule "
                f"({R.HAIR.cite}; {ROWS_PER_ARROW * arrows} rows). Reliability was assessed by Cronbach's alpha "
                f"({MR.CRONBACH.cite}), composite reliability ({MR.WERTS.cite}), rho_A "
                f"({MR.DIJKSTRA_HENSELER_MISQ.cite}) and AVE ({MR.FORNELL_LARCKER.cite}); discriminant validity "
                f"by HTMT ({MR.HENSELER_HTMT.cite}). Index scores are weighted means of the items on a 0-100 scale "
                f"({R.FORNELL_ACSI.cite}). R-squared: "
                + ", ".join(f"{c} {v:.3f}" for c, v in r2["r2"].items()) + ".")
