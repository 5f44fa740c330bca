"""Higher-order constructs in PLS-SEM: :func:`fit_pls_hoc` and :class:`PLSHOCResult`.

A higher-order construct (HOC) is measured by lower-order constructs (LOCs) instead of
items. The model is written in the lavaan way, one ``=~`` (reflective-reflective) or
``<~`` (reflective-formative) line naming constructs::

    PERQ =~ PERQ1 + PERQ2 + PERQ3
    PERV =~ PERV1 + PERV2
    QUAL =~ PERQ + PERV          # a second-order construct over two first-order ones
    CUSA ~ QUAL

Three ways to estimate it (Becker, Klein & Wetzels 2012; Sarstedt et al. 2019):

``approach="repeated_indicators"``
    One PLS model in which the HOC is measured by all items of its LOCs; for the
    reflective type the HOC points at each LOC (``LOC ~ HOC``), for the formative type
    each LOC points at the HOC (``HOC ~ LOC``).  The HOC's loadings on its LOCs are the
    correlations of their scores, its weights the regression of its score on theirs.
``approach="two_stage", stage="embedded"``
    Stage 1 is the repeated-indicators model; the LOC scores it gives become the HOC's
    indicators in stage 2, in which the LOCs themselves are no longer in the model.
``approach="two_stage", stage="disjoint"`` (seminr's ``higher_composite(method = two_stage)``)
    Stage 1 leaves the HOC out and connects its LOCs directly with the HOC's antecedents
    and outcomes; stage 2 as for the embedded approach.

The bootstrap reruns both stages on every resample (the whole procedure is the estimator).
With ``sampling_weights=`` every stage is weighted PLS (Becker & Ismail 2016; see
:mod:`cxmodels.sem.pls.sampling`) and the bootstrap resamples respondents with their weights.
This module also holds the resampling machinery the moderation and copula modules reuse.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._results import Result
from ...errors import InputError, ModelSyntaxError
from ...provenance import make_provenance
from ..measurement import references as MR
from ..measurement import reliability as rel
from ..syntax import parse
from . import references as R
from . import sampling as SW
from .bootstrap import PLSBootstrapResult, bootstrap_procedure
from .fit import fit_pls, guarded
from .engine import standardize_columns

__all__ = ["fit_pls_hoc", "PLSHOCResult"]

APPROACHES = ("two_stage", "repeated_indicators")
STAGES = ("disjoint", "embedded")


# ------------------------------------------------------------------ model syntax
@dataclasses.dataclass(frozen=True)
class HOCModel:
    """The parsed model: item blocks, higher-order blocks, modes and paths (``(lhs, rhs)``)."""

    blocks: dict        # construct -> items (first-order constructs and the model's other constructs)
    higher: dict        # HOC -> its LOCs
    modes: dict         # construct (first- or higher-order) -> "A" or "B"
    paths: list         # (outcome, predictor) in model order

    def syntax(self, blocks: dict, modes: dict, paths: list) -> str:
        lines = [f"{c} {'=~' if modes[c] == 'A' else '<~'} {' + '.join(items)}" for c, items in blocks.items()]
        outcomes = list(dict.fromkeys(y for y, _ in paths))
        lines += [f"{y} ~ {' + '.join(x for yy, x in paths if yy == y)}" for y in outcomes]
        return "\n".join(lines)


def parse_hoc(model: str) -> HOCModel:
    """Split a model into first-order blocks and higher-order lines (``=~``/``<~`` naming constructs)."""
    if not isinstance(model, str):
        raise InputError(f"model must be a lavaan-style string, got {type(model).__name__}")
    st = parse(model)
    bad = [s for s in st if s.op not in ("=~", "<~", "~")]
    if bad:
        raise ModelSyntaxError(f"line {bad[0].line}: '{bad[0].op}' is not used in PLS models (use =~, <~ and ~)")
    blocks, modes = {}, {}
    for s in st:
        if s.op in ("=~", "<~"):
            blocks.setdefault(s.lhs, []).append(s.rhs)
            m = "A" if s.op == "=~" else "B"
            if modes.setdefault(s.lhs, m) != m:
                raise ModelSyntaxError(f"line {s.line}: construct {s.lhs} is declared both =~ and <~")
    higher = {}
    for c, items in blocks.items():
        named = [x for x in items if x in blocks]
        if not named:
            continue
        if len(named) != len(items):
            raise ModelSyntaxError(f"construct {c!r} mixes constructs {named} and items "
                                   f"{[x for x in items if x not in blocks]} on its right-hand side; a higher-order "
                                   "construct is measured by lower-order constructs only")
        higher[c] = items
    if not higher:
        raise ModelSyntaxError("the model has no higher-order construct: write one as 'HOC =~ LOC1 + LOC2' "
                               "(reflective) or 'HOC <~ LOC1 + LOC2' (formative), naming constructs measured by items; "
                               "for a first-order model use fit_pls")
    owner = {}
    for h, locs in higher.items():
        if len(locs) < 2:
            raise InputError(f"higher-order construct {h!r} has one lower-order construct ({locs[0]!r}); it needs at "
                             f"least two, otherwise it is the same construct as {locs[0]!r}: use {locs[0]!r} directly")
        for loc in locs:
            if loc in higher:
                raise ModelSyntaxError(f"{loc!r} is itself a higher-order construct; only second-order constructs "
                                       f"(over first-order ones) are supported, so {h!r} cannot be measured by it")
            if loc in owner:
                raise ModelSyntaxError(f"lower-order construct {loc!r} belongs to both {owner[loc]!r} and {h!r}")
            owner[loc] = h
    paths = [(s.lhs, s.rhs) for s in st if s.op == "~"]
    if not paths:
        raise ModelSyntaxError("a PLS model needs at least one structural path ('~')")
    for y, x in paths:
        for name in (y, x):
            if name in owner:
                raise ModelSyntaxError(f"lower-order construct {name!r} is used in the path '{y} ~ {x}'; in a "
                                       f"higher-order model it is connected through {owner[name]!r}")
    for h in higher:
        if not any(h in p for p in paths):
            raise ModelSyntaxError(f"higher-order construct {h!r} is in no structural path ('~')")
    first = {c: items for c, items in blocks.items() if c not in higher}
    return HOCModel(first, higher, modes, paths)


def _rename(item: str, hoc: str, taken: set) -> str:
    """The column name of ``item`` repeated in the block of ``hoc`` (unique among ``taken``)."""
    name = f"{item}.{hoc}"
    while name in taken:
        name += "_"
    return name


# ------------------------------------------------------------------ resampling machinery
def run_stage(engine, X: np.ndarray, w0=None):
    """One PLS stage on a raw (unstandardized) matrix: weights, scores, paths, loadings, ok.
    Moments are weighted by the engine's case weights when it has them (weighted PLS)."""
    d = engine.case_weights
    Z = standardize_columns(X, d)
    w, Y, _, ok = engine.run(Z, w0)
    B, _ = engine.paths(Y, Z, w)
    L = engine.loadings(Z, Y, w)
    return w, standardize_columns(Y, d), B, L, ok


def weighted(engine, d):
    """``engine`` with row weights ``d`` (None: the engine as it is, unweighted)."""
    return engine if d is None else engine.with_case_weights(d)


def stage_rows(engine, w, B, L, *, paths=True, blocks=None, rename=None):
    """Estimates of one stage as ``{(lhs, op, rhs): value}``: paths, then loadings, then weights.

    ``blocks`` limits the measurement rows to those constructs; ``rename`` maps column names
    back to item names."""
    sp = engine.spec
    rename = rename or {}
    out = {}
    if paths:
        for j, y in enumerate(sp.constructs):
            for i, x in enumerate(sp.constructs):
                if engine.P[j, i] > 0:
                    out[(y, "~", x)] = B[j, i]
    keep = [c for c in sp.constructs if blocks is None or c in blocks]
    for op, values in (("=~", L), ("<~", w)):
        for c in keep:
            sl = engine.slices[c]
            for x, v in zip(sp.blocks[c], values[sl]):
                out[(c, op, rename.get(x, x))] = v
    return out


# ------------------------------------------------------------------ the fit
def fit_pls_hoc(model: str, data: pd.DataFrame, *, approach: str = "two_stage", stage: str = "disjoint",
                scheme: str = "path", tol: float = 1e-6, max_iter: int = 100,
                sampling_weights: str | None = None) -> "PLSHOCResult":
    """Fit a PLS path model with second-order (higher-order) constructs.

    Parameters
    ----------
    model : str
        lavaan-style syntax as for :func:`~cxmodels.sem.pls.fit_pls`, plus one line per
        higher-order construct naming its lower-order constructs: ``QUAL =~ PERQ + PERV``
        (reflective-reflective: the HOC's loadings on its LOCs are its measurement) or
        ``QUAL <~ PERQ + PERV`` (reflective-formative: its weights are).  The LOCs are
        connected to the rest of the model only through their HOC.
    data : DataFrame
        Indicators in columns; never modified; incomplete rows are excluded (listwise).
    approach : {"two_stage", "repeated_indicators"}
    stage : {"disjoint", "embedded"}
        The first stage of the two-stage approach (ignored for repeated indicators):
        ``"disjoint"`` connects the LOCs directly to the HOC's antecedents and outcomes
        (seminr's ``higher_composite(method = two_stage)``), ``"embedded"`` estimates the
        repeated-indicators model.  Either way the LOC scores of stage 1 are the HOC's
        indicators in stage 2.
    scheme, tol, max_iter
        As for :func:`~cxmodels.sem.pls.fit_pls`, used in every stage.
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight, as for
        :func:`~cxmodels.sem.pls.fit_pls`: both stages are weighted PLS (Becker & Ismail
        2016; weighted moments ``sum_i d_i x_i / sum_i d_i``), the LOC scores handed to
        stage 2 are weighted-standardized, the HOC's reliability, HTMT and VIF use weighted
        correlations, and the bootstrap resamples respondents with their weights.
        Negative, missing or infinite weights are refused naming the rows.

    Returns
    -------
    PLSHOCResult
        ``summary()`` holds the final model's paths, the LOCs' item loadings and weights
        (stage 1) and the HOC's loadings (``=~``) and weights (``<~``) on its LOCs.

    Raises
    ------
    ModelSyntaxError
        No higher-order line, one that mixes items and constructs, a LOC used in a path
        or in two HOCs, a third-order construct.
    InputError
        A higher-order construct with one lower-order construct (named), bad options or data.

    References
    ----------
    Becker, J.-M., Klein, K., & Wetzels, M. (2012). Hierarchical latent variable models in
    PLS-SEM. *Long Range Planning*, 45, 359-394.  Sarstedt, M., Hair, J. F., Cheah, J.-H.,
    Becker, J.-M., & Ringle, C. M. (2019). How to specify, estimate, and validate
    higher-order constructs in PLS-SEM. *Australasian Marketing Journal*, 27, 197-211.
    """
    if approach not in APPROACHES:
        raise InputError(f"approach must be one of {APPROACHES}, got {approach!r}")
    if stage not in STAGES:
        raise InputError(f"stage must be one of {STAGES}, got {stage!r}")
    hm = parse_hoc(model)
    V.require_frame(data)
    opts = dict(scheme=scheme, tol=tol, max_iter=max_iter)
    owner = {loc: h for h, locs in hm.higher.items() for loc in locs}

    # Stage 1 (or the only stage): repeated indicators, or the disjoint first-order model.
    if approach == "repeated_indicators" or stage == "embedded":
        taken = set(map(str, data.columns))
        blocks1 = dict(hm.blocks)
        rename = {}
        for h, locs in hm.higher.items():
            cols = []
            for loc in locs:
                for x in hm.blocks[loc]:
                    new = _rename(x, h, taken)
                    taken.add(new)
                    rename[new] = x
                    cols.append(new)
            blocks1[h] = cols
        paths1 = []
        for h, locs in hm.higher.items():
            paths1 += [(loc, h) for loc in locs] if hm.modes[h] == "A" else [(h, loc) for loc in locs]
        paths1 += hm.paths
    else:
        blocks1, rename, paths1 = dict(hm.blocks), {}, []
        for y, x in hm.paths:
            ys = hm.higher.get(y, [y])
            xs = hm.higher.get(x, [x])
            paths1 += [(a, b) for a in ys for b in xs]
        paths1 = list(dict.fromkeys(paths1))
    syntax1 = hm.syntax(blocks1, {c: hm.modes[c] for c in blocks1}, paths1)
    items = list(dict.fromkeys(rename.get(x, x) for c in blocks1 for x in blocks1[c]))
    singles = [n for p in hm.paths for n in p if n not in hm.blocks and n not in hm.higher]
    items += [s for s in dict.fromkeys(singles) if s not in items]
    V.require_columns(data, items, "data (the model's indicators)")
    frame1 = data[items].copy()
    for new, old in rename.items():
        frame1[new] = data[old]
    if sampling_weights is not None:
        # the weight column may not share a name with an item or a lower-order construct (a stage-2 column)
        SW.check_sampling_weights(data, sampling_weights, items + list(rename) + list(owner))
        frame1[sampling_weights] = data[sampling_weights].to_numpy(float)
        opts1 = dict(opts, sampling_weights=sampling_weights)
    else:
        opts1 = opts
    stage1 = fit_pls(syntax1, frame1, **opts1)
    work = stage1._work
    X = work[items].to_numpy(float)
    syntax2 = stage2 = None
    if approach == "two_stage":
        blocks2 = {c: b for c, b in hm.blocks.items() if c not in owner}
        blocks2.update(hm.higher)
        syntax2 = hm.syntax(blocks2, hm.modes, hm.paths)
        scores = stage1.scores(None)
        frame2 = work[[x for x in items if x not in owner]].copy()
        for loc in owner:
            frame2[loc] = scores[loc].to_numpy()
        if sampling_weights is not None:
            frame2[sampling_weights] = stage1.case_weights  # the complete rows' weights, as stage 1 used them
        stage2 = fit_pls(syntax2, frame2, **opts1)
    return PLSHOCResult(hm, approach, stage, stage1, stage2, syntax1, syntax2, items, rename, X, work, data,
                        model, dict(opts, sampling_weights=sampling_weights))


class PLSHOCResult(Result):
    """A PLS path model with higher-order constructs.

    ``summary()``: the final model's paths (``~``), loadings (``=~``) and weights (``<~``)
    -- item loadings and weights for first-order constructs, and for each higher-order
    construct its loadings and weights on its lower-order constructs.

    Attributes
    ----------
    higher : dict
        Higher-order construct -> its lower-order constructs.
    approach, stage : str
    stage1 : PLSResult
        The repeated-indicators model, or the first stage of the two-stage approach.
    stage2 : PLSResult or None
        The second stage (two-stage approach): the HOC measured by the stage-1 LOC scores.
    nobs : int
    """

    def __init__(self, hm, approach, stage, stage1, stage2, syntax1, syntax2, items, rename, X, work, data, model,
                 opts):
        self._hm, self.higher, self.approach, self.stage = hm, hm.higher, approach, stage
        self.stage1, self.stage2 = stage1, stage2
        self.syntax_stage1, self.syntax_stage2 = syntax1, syntax2
        self._items, self._rename, self._X, self._work = items, rename, X, work
        self.nobs = len(work)
        #: Row weights summing to ``nobs`` (weighted PLS), or None.
        self.case_weights = stage1.case_weights
        self.options = {"approach": approach, "stage": stage if approach == "two_stage" else None, **opts}
        self._warnings = []
        self._references = (R.WOLD, R.LOHMOLLER, R.BECKER, R.SARSTEDT_HOC, MR.WERTS, MR.FORNELL_LARCKER,
                            MR.DIJKSTRA_HENSELER_MISQ, MR.HENSELER_HTMT) + (
            (R.BECKER_ISMAIL,) if self.case_weights is not None else ())
        self._provenance = make_provenance("cxmodels.sem.pls.fit_pls_hoc", data, {"model": model, **self.options})
        e1, e2 = stage1._engine, stage2._engine if stage2 is not None else None
        self._engines = (e1, e2)
        self._idx1 = [items.index(rename.get(x, x)) for x in e1.spec.indicators]
        owner = {loc: h for h, locs in hm.higher.items() for loc in locs}
        self._owner = owner
        if e2 is not None:
            # each stage-2 column: an item of X (>= 0) or a LOC score (-1 - its stage-1 position)
            self._idx2 = [(-1 - e1.spec.constructs.index(x)) if x in owner else items.index(x)
                          for x in e2.spec.indicators]
        for st in (stage1, stage2):
            if st is None:
                continue
            for msg in st.warnings:
                if msg not in self._warnings:
                    self._warnings.append(msg)
            self._converged = self._converged and st.converged
            self._admissible = self._admissible and st.admissible
        est, ok = self._statistic(X, self.case_weights, keys=True, warm=False)
        self._table = pd.DataFrame([(a, o, b, v) for (a, o, b), v in est.items()],
                                   columns=["lhs", "op", "rhs", "est"])
        if approach == "repeated_indicators" and any(hm.modes[h] == "B" for h in hm.higher):
            self._note("with repeated indicators a formative higher-order construct is explained almost fully by "
                       "its lower-order constructs (R^2 near 1), so paths from its other antecedents are biased "
                       "towards zero (Becker et al. 2012); prefer approach='two_stage' when it has antecedents")

    # ---------------------------------------------------------------- the procedure
    def _statistic(self, X, d=None, keys=False, warm=True):
        """The estimates on one raw item matrix with its rows' sampling weights ``d`` (None:
        unweighted): a resample (warm-started at the full-sample weights) or, with
        ``warm=False``, the full sample as the stage fits saw it."""
        hm, (e1, e2) = self._hm, self._engines
        e1 = weighted(e1, d)
        e2 = None if e2 is None else weighted(e2, d)
        w1, Y1, B1, L1, ok = run_stage(e1, X[:, self._idx1], self.stage1.weights_ if warm else None)
        out = {}
        if e2 is None:
            tech = {(loc, h) for h, locs in hm.higher.items() for loc in locs}
            tech |= {(h, loc) for loc, h in tech}
            rows = stage_rows(e1, w1, B1, L1, blocks=[c for c in e1.spec.constructs if c not in hm.higher])
            for (a, op, b), v in rows.items():
                if not (op == "~" and (a, b) in tech):
                    out[(a, op, b)] = v
            idx = {c: k for k, c in enumerate(e1.spec.constructs)}
            for h, locs in hm.higher.items():
                S = Y1[:, [idx[c] for c in locs]]
                yh = Y1[:, idx[h]]
                load = e1._crossprod(S, yh) / (len(yh) - 1)  # correlations (weighted with weights)
                wts = e1._lstsq(S, yh)
                out.update({(h, "=~", c): v for c, v in zip(locs, load)})
                out.update({(h, "<~", c): v for c, v in zip(locs, wts)})
            out = self._ordered(out)
        else:
            X2 = np.column_stack([Y1[:, -1 - k] if k < 0 else X[:, k] for k in self._idx2])
            w2, Y2, B2, L2, ok2 = run_stage(e2, X2, self.stage2.weights_ if warm else None)
            ok = ok and ok2
            locs = [c for c in e1.spec.constructs if c in self._owner]
            first = stage_rows(e1, w1, B1, L1, paths=False, blocks=locs)
            second = stage_rows(e2, w2, B2, L2)
            out = self._ordered({**second, **first})
        if keys:
            return out, ok
        return np.fromiter(out.values(), float, len(out)), ok

    def _ordered(self, d):
        """Paths, then loadings, then weights (stable within each)."""
        return {k: d[k] for op in ("~", "=~", "<~") for k in d if k[1] == op}

    # ---------------------------------------------------------------- surface
    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{a} {o} {b}" for a, o, b in zip(t.lhs, t.op, t.rhs)])

    def estimates(self) -> pd.DataFrame:
        """The table of ``summary()``."""
        return self._table.copy()

    def loc_scores(self) -> pd.DataFrame:
        """Standardized scores of the lower-order constructs (stage 1): the HOC's indicators."""
        S = self.stage1.scores(None)
        return S[[c for c in S.columns if c in self._owner]]

    @guarded
    def higher_order(self) -> pd.DataFrame:
        """Each higher-order construct on its lower-order constructs: loading, weight and
        VIF of the LOC scores (collinearity matters for the formative type; VIF < 3-5)."""
        p = self.params
        rows = []
        S = self.loc_scores()
        for h, locs in self.higher.items():
            if self.case_weights is None:
                vif = rel.item_vif(S, {h: locs})
            else:  # VIF_k = [R^-1]_kk of the weighted LOC-score correlations
                vif = pd.Series(np.diag(np.linalg.inv(self._corr(S[locs]))), index=locs)
            for c in locs:
                rows.append({"hoc": h, "loc": c, "type": "reflective" if self._hm.modes[h] == "A" else "formative",
                             "loading": p[f"{h} =~ {c}"], "weight": p[f"{h} <~ {c}"],
                             "vif": float(vif[c])})
        return pd.DataFrame(rows, columns=["hoc", "loc", "type", "loading", "weight", "vif"])

    def _final(self):
        """The final model's indicator frame (items and LOC scores) and blocks."""
        hm = self._hm
        blocks = {c: b for c, b in hm.blocks.items() if c not in self._owner}
        blocks.update(hm.higher)
        singles = [n for p in hm.paths for n in p if n not in blocks]
        blocks.update({s: [s] for s in dict.fromkeys(singles)})
        frame = self._work[[x for x in self._items if x not in self._owner]].copy()
        S = self.loc_scores()
        for c in S.columns:
            frame[c] = S[c].to_numpy()
        return frame, blocks

    @guarded
    def reliability(self) -> pd.DataFrame:
        """alpha, rho_c, ave, rho_a: first-order constructs on their items (stage 1), each
        higher-order construct on its LOC scores with its loadings and weights on them
        (judge rho_c/AVE for the reflective type; Sarstedt et al. 2019)."""
        first = self.stage1.reliability()
        first = first.loc[[c for c in first.index if c not in self.higher]]
        if self.stage2 is not None:
            other = self.stage2.reliability()
            first = pd.concat([first, other.loc[[c for c in other.index if c not in first.index
                                                 and c not in self.higher]]])
        frame, _ = self._final()
        p = self.params
        hoc = {}
        for h, locs in self.higher.items():
            load, wts = [p[f"{h} =~ {c}"] for c in locs], [p[f"{h} <~ {c}"] for c in locs]
            if self.case_weights is None:
                hoc[h] = rel.reliability_table(frame, {h: locs}, {h: load}, {h: wts}).loc[h]
            else:  # alpha and rho_A from the weighted LOC-score correlations (Becker & Ismail 2016)
                Rh = self._corr(frame[locs])
                hoc[h] = pd.Series({"alpha": SW.cronbach_alpha_from_corr(Rh), "rho_c": rel.composite_reliability(load),
                                    "ave": rel.ave(load), "rho_a": SW.rho_a_from_corr(Rh, wts)})
        return pd.concat([first, pd.DataFrame(hoc).T])

    def _corr(self, frame: pd.DataFrame) -> np.ndarray:
        """Correlations of the columns of ``frame`` (rows of the fit), weighted with sampling weights."""
        X = frame.to_numpy(float)
        return np.corrcoef(X, rowvar=False) if self.case_weights is None else SW.corr(X, self.case_weights)

    def _htmt(self, frame: pd.DataFrame, blocks: dict) -> pd.DataFrame:
        if self.case_weights is None:
            return rel.htmt(frame, blocks)
        names = list(blocks)
        R = np.abs(self._corr(frame[[x for b in names for x in blocks[b]]]))
        return pd.DataFrame(rel.htmt_from_corr(R, [len(blocks[b]) for b in names]), index=names, columns=names)

    @guarded
    def htmt(self) -> pd.DataFrame:
        """HTMT of the final model's constructs, each HOC measured by its LOC scores."""
        frame, blocks = self._final()
        return self._htmt(frame, blocks)

    @guarded
    def htmt_lower_order(self) -> pd.DataFrame:
        """HTMT among the first-order constructs (the LOCs' discriminant validity), stage 1."""
        blocks = {c: b for c, b in self._hm.blocks.items()}
        return self._htmt(self._work, blocks)

    @guarded
    def r_squared(self) -> pd.DataFrame:
        """R^2 of the final model's endogenous constructs (the technical HOC-LOC paths of the
        repeated-indicators model are left out)."""
        if self.stage2 is not None:
            return self.stage2.r_squared()
        r2 = self.stage1.r_squared()
        return r2.loc[[c for c in r2.index if c not in self._owner]]

    def bootstrap(self, n_boot: int = 1000, *, seed=None, level: float = 0.95, progress=None) -> PLSBootstrapResult:
        """Bootstrap the whole procedure (both stages on every resample): SE, t, p,
        percentile and BCa intervals of every row of ``summary()``.  Returns a
        :class:`~cxmodels.sem.pls.bootstrap.PLSBootstrapResult`; its seed is recorded."""
        return bootstrap_procedure(self, self._statistic, self._X, n_boot, seed=seed, level=level,
                                   progress=progress, desc="PLS HOC bootstrap", step="bootstrap",
                                   d=self.case_weights)

    def plot(self, ax=None):
        """Loadings and weights of each higher-order construct on its lower-order constructs."""
        tab = self.higher_order()
        ax = plotting.axes(ax, figsize=(6, max(2.5, 0.45 * len(tab) + 1)))
        y = np.arange(len(tab))[::-1]
        ax.barh(y + 0.18, tab["loading"], height=0.35, color=plotting.color(0), label="loading")
        ax.barh(y - 0.18, tab["weight"], height=0.35, color=plotting.color(1), label="weight")
        ax.set_yticks(y)
        ax.set_yticklabels([f"{h} <- {c}" for h, c in zip(tab["hoc"], tab["loc"])], fontsize="small")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel("estimate")
        ax.legend(frameon=False, fontsize="small")
        ax.set_title("Higher-order constructs")
        return ax

    def methods_text(self) -> str:
        how = {"repeated_indicators": "the repeated-indicators approach (the higher-order construct measured by all "
                                      "items of its lower-order constructs)",
               "two_stage": f"the {self.stage} two-stage approach (lower-order construct scores from a first-stage "
                            "model used as the higher-order construct's indicators)"}[self.approach]
        kinds = ", ".join(f"{h} ({'reflective' if self._hm.modes[h] == 'A' else 'formative'} over "
                          f"{', '.join(locs)})" for h, locs in self.higher.items())
        return (f"The model was estimated by partial least squares path modelling ({R.WOLD.cite}; "
                f"{R.LOHMOLLER.cite}) with the {self.options['scheme']} scheme on {self.nobs} standardized responses. "
                f"The higher-order constructs {kinds} were estimated by {how} ({R.BECKER.cite}; {R.SARSTEDT_HOC.cite}). "
                f"Their reliability was assessed by composite reliability ({MR.WERTS.cite}), rho_A "
                f"({MR.DIJKSTRA_HENSELER_MISQ.cite}) and AVE ({MR.FORNELL_LARCKER.cite}) on the lower-order construct "
                f"scores, and discriminant validity by HTMT ({MR.HENSELER_HTMT.cite})."
                + (f" Sampling weights (column {self.options['sampling_weights']!r}) entered every moment of both "
                   f"stages and of these statistics (weighted PLS; {R.BECKER_ISMAIL.cite}), and the bootstrap "
                   "resamples respondents with their weights." if self.case_weights is not None else ""))
