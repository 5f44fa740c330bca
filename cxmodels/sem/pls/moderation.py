"""Moderation in PLS-SEM: :func:`fit_pls_moderation` and :class:`PLSModerationResult`.

An interaction is written in a structural line as in an R formula, ``iv:moderator``::

    CUSL ~ CUSA + SC + CUSA:SC

and estimated by one of seminr's ``interaction_term(iv, moderator, method = ...)`` methods
(Henseler & Chin 2010; Becker, Ringle & Sarstedt 2018):

``"product_indicator"``
    the interaction construct is measured (mode A) by all products of the standardized
    items of ``iv`` and ``moderator``;
``"orthogonal"``
    the same products, each replaced by its residual from an OLS regression (with
    intercept) on all items of ``iv`` and ``moderator`` (Little, Bovaird & Widaman 2006),
    so the interaction is uncorrelated with the main effects' items;
``"two_stage"`` (default; Becker et al. 2018 recommend it in most cases)
    stage 1 estimates the main-effects model; the product of the ``iv`` and ``moderator``
    scores is the single indicator of the interaction in stage 2.

The simple slope of ``iv`` at moderator level ``m`` (in standard deviations) is
``b_iv + b_int m`` (Aiken & West 1991); the bootstrap reruns the whole procedure.

With ``sampling_weights=`` every step is weighted (Becker & Ismail 2016): the items are
standardized with weighted moments before their products are formed, the orthogonalizing
regressions are weighted least squares, both PLS fits are weighted PLS, and the bootstrap
resamples respondents with their weights.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._results import Result
from ...errors import InputError, ModelSyntaxError
from ...provenance import make_provenance
from ..syntax import parse
from . import references as R
from . import sampling as SW
from .bootstrap import PLSBootstrapResult
from .engine import standardize_columns
from .fit import fit_pls, guarded
from .bootstrap import bootstrap_procedure
from .hoc import run_stage, stage_rows, weighted

__all__ = ["fit_pls_moderation", "PLSModerationResult"]

METHODS = ("two_stage", "product_indicator", "orthogonal")

_TERM = re.compile(r"([A-Za-z_.][A-Za-z0-9_.]*)\s*:\s*([A-Za-z_.][A-Za-z0-9_.]*)")


def _split_model(model: str):
    """The model with each ``a:b`` replaced by an internal construct name, and the interactions."""
    if not isinstance(model, str):
        raise InputError(f"model must be a lavaan-style string, got {type(model).__name__}")
    terms = {}

    def sub(m):
        iv, mod = m.group(1), m.group(2)
        name = f"{iv}_x_{mod}"
        terms[name] = (iv, mod)
        return name

    lines = []
    for line in model.splitlines():
        code = re.split(r"[#!]", line)[0]
        if ":" in code and ":=" not in code:
            if "~" not in code or "=~" in code or "<~" in code:
                raise ModelSyntaxError(f"interaction term in {line.strip()!r}: 'iv:moderator' belongs on the right "
                                       "of a structural line ('Y ~ X + M + X:M')")
            code = _TERM.sub(sub, code)
        lines.append(code)
    if not terms:
        raise ModelSyntaxError("the model has no interaction term: write it as 'Y ~ X + M + X:M' (X the independent "
                               "construct, M the moderator); for a model without one use fit_pls")
    return "\n".join(lines), terms


def fit_pls_moderation(model: str, data: pd.DataFrame, *, method: str = "two_stage", scheme: str = "path",
                       tol: float = 1e-6, max_iter: int = 100, sampling_weights: str | None = None
                       ) -> "PLSModerationResult":
    """Fit a PLS path model with interaction (moderation) terms.

    Parameters
    ----------
    model : str
        lavaan-style syntax as for :func:`~cxmodels.sem.pls.fit_pls`; an interaction is
        ``iv:moderator`` on the right of a structural line, e.g.
        ``CUSL ~ CUSA + SC + CUSA:SC`` (both must be constructs of the model; include their
        main effects in the same line: a term without them is refused).
    data : DataFrame
        Indicators; never modified; incomplete rows are excluded (listwise).
    method : {"two_stage", "product_indicator", "orthogonal"}
        How the interaction construct is built (seminr's ``interaction_term`` methods).
    scheme, tol, max_iter
        As for :func:`~cxmodels.sem.pls.fit_pls`.
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight, as for
        :func:`~cxmodels.sem.pls.fit_pls` (weighted PLS, Becker & Ismail 2016): weighted
        standardization before the products, weighted residualization (orthogonal),
        weighted stage fits and a bootstrap that resamples respondents with their weights.
        With integer weights the estimates equal those on the data with each row repeated,
        except the outer weights and the rescaled interaction paths, which are that fit's
        times ``sqrt(n / (n - 1) * (N - 1) / N)`` (``n`` rows, ``N`` the weights' sum:
        standardization divides by ``n - 1``, not ``N - 1``).  Bad weights are refused
        naming the rows.

    Returns
    -------
    PLSModerationResult
        ``summary()``: paths (the interaction as ``"iv:moderator"``), loadings and weights;
        ``simple_slopes()``, ``plot()`` (simple slopes), ``bootstrap()``.

    Raises
    ------
    InputError
        A moderator or independent construct that is not a construct of the model (named),
        a term of a construct with itself, an unknown method.

    References
    ----------
    Henseler, J., & Chin, W. W. (2010). A comparison of approaches for the analysis of
    interaction effects between latent variables using PLS path modeling. *Structural
    Equation Modeling*, 17, 82-109.  Becker, J.-M., Ringle, C. M., & Sarstedt, M. (2018).
    Estimating moderating effects in PLS-SEM and PLSc-SEM. *JASEM*, 2(2), 1-21.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {method!r}")
    text, terms = _split_model(model)
    st = parse(text)
    blocks = {}
    for s in st:
        if s.op in ("=~", "<~"):
            blocks.setdefault(s.lhs, []).append(s.rhs)
    paths = [(s.lhs, s.rhs) for s in st if s.op == "~"]
    in_paths = {n for p in paths for n in p} - set(terms)
    constructs = list(blocks) + [n for n in dict.fromkeys(n for p in paths for n in p)
                                 if n not in blocks and n not in terms]
    for name, (iv, mod) in terms.items():
        for role, c in (("independent construct", iv), ("moderator", mod)):
            if c not in blocks and c not in in_paths:
                raise InputError(f"the {role} {c!r} of the interaction '{iv}:{mod}' is not a construct of the model; "
                                 f"constructs are {constructs}")
        if iv == mod:
            raise InputError(f"'{iv}:{mod}' multiplies a construct by itself (a quadratic term), which is not a "
                             "moderation; use two different constructs")
        if name in blocks or name in in_paths:
            raise ModelSyntaxError(f"the name {name!r} is used in the model; rename it (it is reserved for '{iv}:{mod}')")
    for name, (iv, mod) in terms.items():
        for y in dict.fromkeys(y for y, x in paths if x == name):
            preds = [x for yy, x in paths if yy == y]
            missing = [c for c in (iv, mod) if c not in preds]
            if missing:
                raise ModelSyntaxError(f"'{y} ~ {iv}:{mod}' needs the main effects of both constructs in the same "
                                       f"line; add {' + '.join(missing)} to the predictors of {y!r} (without them the "
                                       "interaction's path absorbs the missing main effect; Hair et al. 2017)")
    V.require_frame(data)
    items = [x for c in blocks for x in blocks[c]] + [c for c in constructs if c not in blocks]
    items = list(dict.fromkeys(items))
    V.require_columns(data, items, "data (the model's indicators)")
    opts = dict(scheme=scheme, tol=tol, max_iter=max_iter)
    frame = data[items]
    if sampling_weights is not None:
        SW.check_sampling_weights(data, sampling_weights, items)
        frame = frame.assign(**{sampling_weights: data[sampling_weights].to_numpy(float)})
        opts["sampling_weights"] = sampling_weights
    # The main-effects model (interaction paths removed): stage 1 of the two-stage method,
    # and the check of every other input on the complete rows.
    main_lines = [ln for ln in text.splitlines() if not any(t in ln for t in terms)]
    for y in dict.fromkeys(y for y, _ in paths):
        preds = [x for yy, x in paths if yy == y and x not in terms]
        if preds:
            main_lines.append(f"{y} ~ {' + '.join(preds)}")
    stage1 = fit_pls("\n".join(main_lines), frame, **opts)
    work = stage1._work
    return PLSModerationResult(text, terms, blocks, method, stage1, work, items, data, model, opts)


class PLSModerationResult(Result):
    """A PLS path model with interaction terms.

    Attributes
    ----------
    stage2 : PLSResult
        The model with the interaction construct(s), for every method (under their internal names
        ``iv_x_mod``, with standardized scores; the result's table rescales their paths).
    stage1 : PLSResult
        The main-effects model (stage 1 of the two-stage method).
    interactions : dict
        ``"iv:moderator"`` -> ``(iv, moderator)``.
    method : str
    nobs : int
    """

    def __init__(self, text, terms, blocks, method, stage1, work, items, data, model, opts):
        self.method, self.stage1 = method, stage1
        self._terms, self._blocks, self._items, self._work = terms, blocks, items, work
        self.interactions = {f"{iv}:{mod}": (iv, mod) for iv, mod in terms.values()}
        self.nobs = len(work)
        #: Row weights summing to ``nobs`` (weighted PLS), or None.
        self.case_weights = d = stage1.case_weights
        self.options = {"method": method, "sampling_weights": None, **opts}
        self._warnings = []
        self._references = (R.WOLD, R.LOHMOLLER, R.HENSELER_CHIN, R.BECKER_MOD, R.AIKEN_WEST) + (
            (R.LITTLE,) if method == "orthogonal" else ()) + ((R.BECKER_ISMAIL,) if d is not None else ())
        self._provenance = make_provenance("cxmodels.sem.pls.fit_pls_moderation", data, {"model": model, **self.options})
        self._X = work[items].to_numpy(float)
        # the final model: the interaction construct over generated columns
        frame, iblocks = self._interaction_columns(self._X, stage1._engine if method == "two_stage" else None,
                                                   stage1.weights_, warm=False, d=d)
        self._iblocks = iblocks
        lines = [ln for ln in text.splitlines()]
        lines += [f"{name} =~ {' + '.join(cols)}" for name, cols in iblocks.items()]
        full = pd.concat([work[items].reset_index(drop=True), frame], axis=1)
        full.index = work.index
        if d is not None:
            full[opts["sampling_weights"]] = d  # the complete rows' weights, as stage 1 used them
        self.stage2 = fit_pls("\n".join(lines), full, **opts)
        self._names = {name: f"{iv}:{mod}" for name, (iv, mod) in terms.items()}
        self._colnames = {c: c.replace("_x_", "*") for cols in iblocks.values() for c in cols}
        eng = self.stage2._engine
        self._idx = [items.index(x) if x in items else -1 - list(frame.columns).index(x) for x in eng.spec.indicators]
        for msg in stage1.warnings + self.stage2.warnings:
            if msg not in self._warnings:
                self._warnings.append(msg)
        self._converged = stage1.converged and self.stage2.converged
        self._admissible = stage1.admissible and self.stage2.admissible
        est, _ = self._statistic(self._X, d, keys=True, warm=False)
        self._table = pd.DataFrame([(a, o, b, v) for (a, o, b), v in est.items()], columns=["lhs", "op", "rhs", "est"])

    # ---------------------------------------------------------------- the procedure
    def _interaction_columns(self, X, engine1, w1, warm=True, d=None):
        """The generated indicator columns of every interaction construct, from raw items ``X``
        (moments weighted by the row weights ``d`` when given)."""
        items, blocks = self._items, self._blocks
        cols, iblocks = {}, {}
        Y1 = None
        if engine1 is not None:
            idx = [items.index(x) for x in engine1.spec.indicators]
            _, Y1, _, _, _ = run_stage(weighted(engine1, d), X[:, idx], w1 if warm else None)
        for name, (iv, mod) in self._terms.items():
            if Y1 is not None:
                cons = engine1.spec.constructs
                col = f"{name}_intxn"
                cols[col] = Y1[:, cons.index(iv)] * Y1[:, cons.index(mod)]
                iblocks[name] = [col]
                continue
            a_items, b_items = blocks.get(iv, [iv]), blocks.get(mod, [mod])
            A = X[:, [items.index(x) for x in a_items]]
            B = X[:, [items.index(x) for x in b_items]]
            dn = None if d is None else SW.normalize(d)
            Za, Zb = standardize_columns(A, dn), standardize_columns(B, dn)
            names, prods = [], []
            for i, a in enumerate(a_items):
                for j, b in enumerate(b_items):
                    names.append(f"{a}_x_{b}")
                    prods.append(Za[:, i] * Zb[:, j])
            P = np.column_stack(prods)
            if self.method == "orthogonal":
                D = np.column_stack([np.ones(len(X)), A, B])
                P = P - D @ (np.linalg.lstsq(D, P, rcond=None)[0] if d is None else
                             np.column_stack([SW.lstsq(D, p, dn) for p in P.T]))
            cols.update(dict(zip(names, P.T)))
            iblocks[name] = names
        return pd.DataFrame(cols), iblocks

    def _statistic(self, X, d=None, keys=False, warm=True):
        """The table's estimates on raw items ``X`` with row weights ``d`` (None: unweighted)."""
        eng = weighted(self.stage2._engine, d)
        frame, _ = self._interaction_columns(X, self.stage1._engine if self.method == "two_stage" else None,
                                             self.stage1.weights_, warm=warm, d=d)
        G = frame.to_numpy(float)
        X2 = np.column_stack([X[:, k] if k >= 0 else G[:, -1 - k] for k in self._idx])
        w, _, B, L, ok = run_stage(eng, X2, self.stage2.weights_ if warm else None)
        # Henseler & Chin (2010): the interaction's score keeps the spread of its product
        # indicators (the loading-weighted mean of their SDs) instead of unit variance, so
        # its path is the coefficient of a product of standardized variables and the
        # simple slope b_iv + b_int * m holds; rescaling one regressor divides its OLS
        # coefficient and leaves the others and R^2 unchanged (as seminr's adjust_interaction).
        B = B.copy()
        for name in self._terms:
            sl = eng.slices[name]
            lo = np.abs(L[sl])
            sds = X2[:, sl].std(axis=0, ddof=1) if d is None else SW.sd(X2[:, sl], SW.normalize(d))
            factor = float(sds @ lo / lo.sum())
            B[:, eng.spec.constructs.index(name)] /= factor
        rows = stage_rows(eng, w, B, L)
        out = {(self._names.get(a, a), op, self._names.get(b, self._colnames.get(b, b))): v
               for (a, op, b), v in rows.items()}
        if keys:
            return out, ok
        return np.fromiter(out.values(), float, len(out)), ok

    # ---------------------------------------------------------------- surface
    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{a} {o} {b}" for a, o, b in zip(t.lhs, t.op, t.rhs)])

    def estimates(self) -> pd.DataFrame:
        return self._table.copy()

    @guarded
    def r_squared(self) -> pd.DataFrame:
        """R^2 of each moderated outcome, with the interaction (``r2``) and without it
        (``r2_main``, the main-effects model), and the interaction's effect size
        ``f2 = (r2 - r2_main) / (1 - r2)``."""
        full, main = self.stage2.r_squared(), self.stage1.r_squared()
        terms = list(self.interactions)
        out = full[["r2"]].copy()
        out["r2_main"] = main["r2"].reindex(out.index)
        out["f2"] = (out["r2"] - out["r2_main"]) / (1 - out["r2"])
        moderated = list(dict.fromkeys(self._table.query("op == '~' and rhs in @terms")["lhs"]))
        return out.loc[moderated]

    def _term(self, term):
        if term is None:
            if len(self.interactions) > 1:
                raise InputError(f"the model has several interactions {list(self.interactions)}: name one as term=")
            return next(iter(self.interactions))
        if term not in self.interactions:
            raise InputError(f"term {term!r} is not an interaction of the model; interactions are "
                             f"{list(self.interactions)}")
        return term

    @guarded
    def simple_slopes(self, term: str | None = None, levels=(-1.0, 0.0, 1.0)) -> pd.DataFrame:
        """Slope of the independent construct on the outcome at moderator levels ``levels``
        (in standard deviations): ``b_iv + b_int m`` and intercept ``b_mod m`` (Aiken & West
        1991), one row per outcome of the interaction and level."""
        term = self._term(term)
        iv, mod = self.interactions[term]
        try:
            lv = np.atleast_1d(np.asarray(levels, float))
        except (TypeError, ValueError):
            lv = np.array([])
        if lv.ndim != 1 or lv.size == 0 or not np.all(np.isfinite(lv)):
            raise InputError(f"levels must be finite moderator values in standard deviations, got {levels!r}")
        p = self.params
        rows = []
        for y in self._table.query("op == '~' and rhs == @term")["lhs"]:
            b_iv, b_mod, b_int = (p.get(f"{y} ~ {iv}", 0.0), p.get(f"{y} ~ {mod}", 0.0), p[f"{y} ~ {term}"])
            rows += [{"outcome": y, "moderator_level": m, "slope": b_iv + b_int * m, "intercept": b_mod * m}
                     for m in lv]
        return pd.DataFrame(rows, columns=["outcome", "moderator_level", "slope", "intercept"])

    def bootstrap(self, n_boot: int = 1000, *, seed=None, level: float = 0.95, progress=None) -> PLSBootstrapResult:
        """Bootstrap the whole procedure (the interaction rebuilt and, for two-stage, stage 1
        rerun on every resample): SE, t, p, percentile and BCa intervals of every row of
        ``summary()``, the interaction paths included."""
        return bootstrap_procedure(self, self._statistic, self._X, n_boot, seed=seed, level=level,
                                   progress=progress, desc="PLS moderation bootstrap", step="bootstrap",
                                   d=self.case_weights)

    def plot(self, ax=None, *, term: str | None = None, outcome: str | None = None):
        """Simple-slopes plot: the outcome against the independent construct (standardized)
        at the moderator's mean and +-1 SD.  Returns the Axes."""
        s = self.simple_slopes(term)
        term = self._term(term)
        outcome = s["outcome"].iloc[0] if outcome is None else outcome
        if outcome not in set(s["outcome"]):
            raise InputError(f"outcome {outcome!r} is not predicted by {term}; choose one of {sorted(set(s['outcome']))}")
        iv, mod = self.interactions[term]
        ax = plotting.axes(ax, figsize=(5.5, 4))
        x = np.linspace(-2, 2, 2)
        for k, r in enumerate(s[s["outcome"] == outcome].itertuples()):
            ax.plot(x, r.intercept + r.slope * x, color=plotting.color(k),
                    label=f"{mod} {r.moderator_level:+g} SD (slope {r.slope:.2f})")
        ax.set_xlabel(f"{iv} (SD)")
        ax.set_ylabel(f"{outcome} (SD)")
        ax.set_title(f"Simple slopes: {term} -> {outcome}")
        ax.legend(frameon=False, fontsize="small")
        return ax

    def methods_text(self) -> str:
        how = {"two_stage": "the two-stage approach (the product of the first-stage construct scores as the "
                            "interaction's single indicator)",
               "product_indicator": "the product-indicator approach (all products of the standardized items)",
               "orthogonal": f"the orthogonalizing approach ({R.LITTLE.cite}; products residualized on the main "
                             "effects' items)"}[self.method]
        terms = ", ".join(self.interactions)
        return (f"The model was estimated by partial least squares path modelling ({R.WOLD.cite}; {R.LOHMOLLER.cite}) "
                f"on {self.nobs} standardized responses. The interaction {terms} was modelled by {how} "
                f"({R.HENSELER_CHIN.cite}; {R.BECKER_MOD.cite}); simple slopes are the independent construct's path at "
                f"the moderator's mean and one standard deviation either side ({R.AIKEN_WEST.cite})."
                + (f" Sampling weights (column {self.options['sampling_weights']!r}) entered every moment: the "
                   "standardization of the items before their products, both PLS fits and the bootstrap, which "
                   f"resamples respondents with their weights (weighted PLS; {R.BECKER_ISMAIL.cite})."
                   if self.case_weights is not None else ""))
