"""PLSpredict: cross-validated out-of-sample prediction of a PLS path model's indicators.

:func:`predict_pls` (Shmueli et al. 2016; guidelines Shmueli et al. 2019) splits the rows into
``folds`` groups, ``repeats`` times.  For each fold the model is estimated on the other rows
(the training set: indicators standardized with the training means and SDs) and the
held-out rows are predicted:

1. construct scores of the test rows from the training outer weights, ``S = Z_test W``
   (``W`` scaled so the training scores have SD 1);
2. endogenous scores from the training paths ``B``: the direct-antecedent approach (DA)
   ``S_j* = sum_i B_ji S_i``; the earliest-antecedent approach (EA) propagates the scores of
   the exogenous constructs through the inner model in causal order;
3. each indicator ``x_k`` of an endogenous construct ``j``:
   ``x_k* = lambda_k S_j* sd_k + mean_k`` (training loading, SD and mean).

Benchmarks, fold by fold on the same rows: the linear model (LM), an OLS regression of each
indicator on the indicators of the construct's antecedents (DA) or of the exogenous
constructs (EA), with intercept; and the indicator average (IA), the training mean.  With
repeats, each row's predictions are averaged over the repeats (seminr's ``reps``), then

    RMSE = sqrt(mean (x - x*)^2),   MAE = mean |x - x*|,
    Q2_predict = 1 - sum (x - x*_PLS)^2 / sum (x - x*_IA)^2.

With sampling weights ``d_i`` (weighted PLS; Becker & Ismail 2016) every training fit is
weighted (weighted means, SDs, PLS and LM least squares, IA the weighted training mean) and the
errors are averaged with the weights of the held-out rows:
``RMSE = sqrt(sum d (x - x*)^2 / sum d)``, ``MAE = sum d |x - x*| / sum d`` and
``Q2_predict = 1 - sum d (x - x*_PLS)^2 / sum d (x - x*_IA)^2``.

This module holds the cross-validation shared with :mod:`cxmodels.sem.pls.cvpat`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._progress import Progress
from ..._results import Decision, Result
from ...errors import CXModelsError, ConvergenceWarning, EstimationError, InputError
from ...provenance import make_provenance
from . import references as R
from . import sampling as SW
from .engine import SCHEMES, Engine, PLSSpec, parse_pls
from .fit import ROWS_PER_ARROW, ten_times_rule

__all__ = ["predict_pls", "PLSPredictResult", "APPROACHES"]

#: The prediction approaches (seminr's ``predict_DA`` and ``predict_EA``).
APPROACHES = ("DA", "EA")

# ----------------------------------------------------------------------------- checks
def check_options(approach, scheme, tol, max_iter) -> None:
    if approach not in APPROACHES:
        raise InputError(f"approach must be 'DA' (direct antecedents) or 'EA' (earliest antecedents), got {approach!r}")
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise InputError(f"tol must be a number between 0 and 1 (e.g. 1e-10), got {tol!r}")
    V.check_count(max_iter, "max_iter", minimum=1)


def parse_model(model, modes=None, what: str = "model") -> PLSSpec:
    if not isinstance(model, str):
        raise InputError(f"{what} must be a model string in lavaan-style PLS syntax, got {type(model).__name__}")
    return parse_pls(model, modes)


def targets_of(spec: PLSSpec, targets, what: str = "the model") -> list[str]:
    """The endogenous constructs whose indicators are predicted (default: all of them)."""
    endo = [c for c in spec.constructs if spec.predecessors[c]]
    if targets is None:
        return endo
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, (list, tuple)) or not targets:
        raise InputError(f"targets must be a construct name or a list of them, got {targets!r}")
    for t in targets:
        if t not in spec.constructs:
            raise InputError(f"targets names {t!r}, which is not a construct of {what}; constructs are "
                             f"{spec.constructs}")
        if not spec.predecessors[t]:
            raise InputError(f"construct {t!r} has no antecedents in {what}, so PLSpredict has nothing to "
                             f"predict its indicators from; choose among the endogenous constructs {endo}")
    if len(set(targets)) != len(targets):
        raise InputError(f"targets lists a construct twice: {list(targets)}")
    return [c for c in spec.constructs if c in targets]


def items_matrix(data, spec: PLSSpec) -> np.ndarray:
    """The indicators as a float matrix: a frame, each once, numeric, finite, complete."""
    V.require_frame(data)
    missing = [c for c in spec.constructs if spec.blocks[c] == [c] and c not in data.columns]
    if missing:
        raise InputError(f"construct(s) {missing} have no indicators: they appear only in inner paths and data has "
                         "no column of that name; give each a measurement block (e.g. "
                         f"'{missing[0]} =~ item1 + item2') or a single-item column named {missing[0]!r}")
    dup = data.columns[data.columns.duplicated()].unique()
    used = [str(c) for c in dup if c in set(spec.indicators)]
    if used:
        raise InputError(f"data has repeated column names {used} among the model's indicators; which column is "
                         "meant is ambiguous: rename or drop the copies")
    V.require_columns(data, spec.indicators, "data (the model's indicators)")
    V.require_numeric(data, spec.indicators)
    V.require_finite(data, spec.indicators)
    items = data[spec.indicators]
    na = items.isna()
    if na.any().any():
        rows = items.index[na.any(axis=1)]
        cols = [str(c) for c in items.columns[na.any(axis=0)]]
        raise InputError(f"{len(rows)} rows have missing values in {cols} ({V.rows_text(rows)}); PLSpredict needs "
                         "complete rows (every row is predicted once per repeat): drop or impute them first")
    return items.to_numpy(float)


def fold_matrix(folds, repeats, n: int, rng) -> np.ndarray:
    """Fold labels 0..k-1, one column per repeat.  ``folds`` an int: each repeat shuffles the
    rows and cuts the shuffled order into ``k`` contiguous, near-equal groups (R's
    ``cut(seq_len(n), k)``, as seminr); a sequence: the fold of each row, used as given."""
    V.check_count(repeats, "repeats", minimum=1)
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, bool):
        k = int(folds)
        if k < 2:
            raise InputError(f"folds must be at least 2, got {k}")
        if k > n:
            raise InputError(f"folds={k} is more than the {n} rows: each fold needs at least one row; use at most "
                             f"folds={n} (leave-one-out)")
        pos_fold = _r_cut(n, k)
        out = np.empty((n, repeats), int)
        for r in range(repeats):
            out[rng.permutation(n), r] = pos_fold
        return out
    if isinstance(folds, (str, bytes, dict)) or not hasattr(folds, "__len__"):
        raise InputError(f"folds must be a number of folds (e.g. 10) or the fold of each row, got {folds!r}")
    labels = pd.Series(np.asarray(folds, dtype=object))
    if len(labels) != n:
        raise InputError(f"folds gives {len(labels)} fold labels for {n} rows; give one label per row of data")
    if labels.isna().any():
        raise InputError(f"folds has missing labels ({V.rows_text(labels.index[labels.isna()])})")
    if repeats != 1:
        raise InputError(f"repeats={repeats} with an explicit fold vector would repeat the same folds; use repeats=1, "
                         "or give folds as a number so each repeat draws new folds")
    codes, uniq = pd.factorize(labels, sort=True)
    if len(uniq) < 2:
        raise InputError("folds assigns every row to one fold: at least two folds are needed")
    return codes.reshape(n, 1).astype(int)


def _r_cut(n: int, k: int) -> np.ndarray:
    """Fold (0-based) of each position of the shuffled order, as R's ``cut(seq_len(n), breaks=k)``."""
    fuzz = (n - 1) / 1000
    breaks = 1 + np.arange(k + 1) * (n - 1) / k
    breaks[0], breaks[k] = 1 - fuzz, n + fuzz
    return np.searchsorted(breaks, np.arange(1, n + 1), side="left") - 1


# ----------------------------------------------------------------------------- the computation
class Predictor:
    """PLS, LM and IA out-of-sample predictions of the target constructs' indicators."""

    def __init__(self, spec: PLSSpec, targets: list[str], approach: str, scheme: str, tol: float, max_iter: int):
        self.spec, self.targets, self.approach = spec, targets, approach
        self.engine = Engine(spec, scheme, tol, max_iter)
        cols = spec.indicators
        self.items = [x for c in targets for x in spec.blocks[c]]
        self.item_idx = np.array([cols.index(x) for x in self.items])
        cidx = {c: j for j, c in enumerate(spec.constructs)}
        self.item_construct = np.array([cidx[c] for c in targets for _ in spec.blocks[c]])
        exo = [c for c in spec.constructs if not spec.predecessors[c]]
        self.exo = [cidx[c] for c in exo]
        self.endo = [cidx[c] for c in spec.constructs if spec.predecessors[c]]
        # LM predictors per target: items of direct antecedents (DA) or of every exogenous construct (EA)
        self.lm_predictors = {}
        for c in targets:
            source = spec.predecessors[c] if approach == "DA" else exo
            self.lm_predictors[c] = np.array([cols.index(x) for p in source for x in spec.blocks[p]])

    def fold(self, Xtr: np.ndarray, Xte: np.ndarray, dtr: np.ndarray | None = None):
        """Predictions of the test rows from a fit on the training rows (weighted PLS with the
        training rows' sampling weights ``dtr``): (pls, lm, ia, converged)."""
        if dtr is not None:
            if not np.any(dtr > 0):
                raise EstimationError("every training row of a fold has zero weight, so the fold's PLS model cannot "
                                      "be estimated; use fewer folds or check the weights")
            dtr = SW.normalize(dtr)
        if dtr is None:
            mean, sd = Xtr.mean(axis=0), Xtr.std(axis=0, ddof=1)
        else:
            mean, sd = SW.mean(Xtr, dtr), SW.sd(Xtr, dtr)
        if np.any(sd == 0) or np.any(~np.isfinite(sd)):
            bad = [self.spec.indicators[i] for i in np.flatnonzero((sd == 0) | ~np.isfinite(sd))]
            raise EstimationError(f"indicator(s) {bad} are constant in a training fold, so the fold's PLS model "
                                  "cannot be estimated; use fewer folds or check these items")
        eng = self.engine.with_case_weights(dtr)
        Ztr = (Xtr - mean) / sd
        w, Y, _, ok = eng.run(Ztr)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(Y))):
            raise EstimationError("the PLS algorithm produced undefined outer weights in a training fold (a block "
                                  "whose composite has no variance there)")
        W = eng.mask * w[:, None]
        # training scores with SD 1, as seminr scales them
        W = W / ((Ztr @ W).std(axis=0, ddof=1) if dtr is None else SW.sd(Ztr @ W, dtr))
        Ytr = Ztr @ W
        B, _ = eng.paths(Ytr, Ztr, w)
        lam = eng.loadings(Ztr, Ytr, w)
        S = ((Xte - mean) / sd) @ W
        if self.approach == "DA":
            P = S @ B.T
        else:
            P = S.copy()
            P[:, self.endo] = 0.0
            for j in self.endo:  # constructs are in causal order
                P[:, j] = P @ B[j]
        k = self.item_idx
        pls = P[:, self.item_construct] * lam[k] * sd[k] + mean[k]
        lm = np.empty_like(pls)
        start = 0
        for c in self.targets:
            m = len(self.spec.blocks[c])
            ys = k[start:start + m]
            p = self.lm_predictors[c]
            Dtr = np.column_stack([np.ones(len(Xtr)), Xtr[:, p]])
            Dte = np.column_stack([np.ones(len(Xte)), Xte[:, p]])
            beta = (np.linalg.lstsq(Dtr, Xtr[:, ys], rcond=None)[0] if dtr is None else
                    np.column_stack([SW.lstsq(Dtr, y, dtr) for y in Xtr[:, ys].T]))
            lm[:, start:start + m] = Dte @ beta
            start += m
        ia = np.broadcast_to(mean[k], pls.shape)
        return pls, lm, ia, ok

    def cross_validate(self, X: np.ndarray, F: np.ndarray, progress=None, d: np.ndarray | None = None):
        """Out-of-sample predictions averaged over the repeats (columns of ``F``), and the
        number of fold fits that did not converge; training fits weighted by the rows'
        sampling weights ``d`` when given."""
        n, reps = F.shape
        out = {m: np.zeros((n, len(self.items))) for m in ("pls", "lm", "ia")}
        bad = 0
        bar = Progress(int(sum(len(np.unique(F[:, r])) for r in range(reps))), "PLSpredict", progress)
        with np.errstate(divide="ignore", invalid="ignore"):
            for r in range(reps):
                for f in np.unique(F[:, r]):
                    test = F[:, r] == f
                    if test.all():
                        raise InputError("a fold holds every row, leaving nothing to train on")
                    try:
                        preds = self.fold(X[~test], X[test], None if d is None else d[~test])
                    except CXModelsError:
                        raise
                    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
                        raise EstimationError(f"the PLS model could not be estimated on a training fold "
                                              f"({exc})") from exc
                    for m, p in zip(("pls", "lm", "ia"), preds[:3]):
                        out[m][test] += p / reps
                    bad += not preds[3]
                    bar.update()
        return out, bad


def metrics_table(Y: np.ndarray, preds: dict, items: list[str], constructs: list[str],
                  d: np.ndarray | None = None) -> pd.DataFrame:
    """RMSE and MAE of PLS, LM and IA per indicator, and Q2_predict; averaged with the
    held-out rows' sampling weights ``d`` when given."""
    rows = {"construct": constructs}
    if d is None:
        avg, tot = (lambda a: a.mean(axis=0)), (lambda a: a.sum(axis=0))
    else:
        avg, tot = (lambda a: d @ a / d.sum()), (lambda a: d @ a)
    for m in ("pls", "lm", "ia"):
        e = Y - preds[m]
        rows[f"rmse_{m}"] = np.sqrt(avg(e ** 2))
        rows[f"mae_{m}"] = avg(np.abs(e))
    sse_ia = tot((Y - preds["ia"]) ** 2)
    rows["q2_predict"] = 1 - tot((Y - preds["pls"]) ** 2) / sse_ia
    return pd.DataFrame(rows, index=pd.Index(items, name="indicator"))


def check_weights(data, sampling_weights, spec: PLSSpec) -> np.ndarray | None:
    """The rows' sampling weights rescaled to sum to ``n`` (None without a weight column);
    refused naming the rows when negative, missing or infinite
    (:func:`cxmodels.sem.pls.sampling.check_sampling_weights`)."""
    if sampling_weights is None:
        return None
    V.require_frame(data)
    return SW.normalize(SW.check_sampling_weights(data, sampling_weights, spec.indicators).to_numpy(float))


def run_cv(model, data, *, modes, targets, folds, repeats, approach, scheme, tol, max_iter, seed, progress,
           F=None, what: str = "model", sampling_weights=None):
    """Check the input and cross-validate one model.  Returns the spec, the :class:`Predictor`,
    the indicator matrix, the folds (``F``, drawn unless given), the predictions, the number of
    unconverged fold fits, the random generator (for later draws), the seed to record and the
    rows' sampling weights (None when unweighted)."""
    check_options(approach, scheme, tol, max_iter)
    spec = parse_model(model, modes, what)
    tg = targets_of(spec, targets, f"the {what}")
    X = items_matrix(data, spec)
    d = check_weights(data, sampling_weights, spec)
    V.require_not_constant(data[spec.indicators] if d is None else data[spec.indicators].loc[d > 0],
                           spec.indicators, "data" if d is None else "data (rows with a positive weight)")
    rng, recorded = V.resolve_seed(seed)
    if F is None:
        F = fold_matrix(folds, repeats, len(X), rng)
    pred = Predictor(spec, tg, approach, scheme, tol, max_iter)
    preds, bad = pred.cross_validate(X, F, progress, d)
    return spec, pred, X, F, preds, bad, rng, recorded, d


# ----------------------------------------------------------------------------- public
def predict_pls(model: str, data: pd.DataFrame, *, folds=10, repeats: int = 10, approach: str = "DA",
                targets=None, seed=None, scheme: str = "path", modes: dict | None = None, tol: float = 1e-10,
                max_iter: int = 300, progress=None, sampling_weights: str | None = None) -> "PLSPredictResult":
    """PLSpredict: k-fold cross-validated predictions of the endogenous indicators (Shmueli et al. 2016, 2019).

    Parameters
    ----------
    model : str
        lavaan-style PLS syntax, as :func:`cxmodels.sem.pls.fit_pls`.
    data : DataFrame
        Indicators in columns, complete rows (missing values are refused: every row is
        predicted); never modified.
    folds : int or sequence
        Number of folds ``k`` (``2 <= k <= n``; ``n`` is leave-one-out), or the fold label of
        each row (then ``repeats`` must be 1).
    repeats : int
        Repetitions of the k-fold split, each with a new shuffle; each row's predictions are
        averaged over them (seminr's ``reps``).
    approach : {"DA", "EA"}
        Direct antecedents (each construct predicted from its antecedents' scores) or earliest
        antecedents (from the exogenous constructs only, through the inner model).
    targets : str or list, optional
        Endogenous constructs whose indicators are predicted (default: all endogenous).
    seed : int, Generator or None
        Randomness of the fold shuffles, recorded in provenance (None draws one).
    scheme, modes, tol, max_iter :
        The PLS algorithm's options, as ``fit_pls`` (``tol`` is tighter by default so the folds'
        fits reproduce across implementations; it costs a few iterations).
    progress : bool or None
        Progress bar over the fold fits.
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight, as for
        :func:`~cxmodels.sem.pls.fit_pls`: every training fit is weighted PLS (Becker &
        Ismail 2016) with weighted LM and IA benchmarks, and RMSE, MAE and Q2_predict
        average the errors with the held-out rows' weights.  Bad weights are refused naming
        the rows.

    Returns
    -------
    PLSPredictResult
        ``summary()``: per indicator, RMSE and MAE of PLS, the LM and the IA benchmarks and
        ``Q2_predict = 1 - SSE_PLS / SSE_IA``; ``decide()`` applies Shmueli et al.'s (2019) rule.

    References
    ----------
    Shmueli, G., Ray, S., Velasquez Estrada, J. M., & Chatla, S. B. (2016). The elephant in the
    room. *Journal of Business Research*, 69(10), 4552-4564.  Shmueli, G., Sarstedt, M., Hair,
    J. F., et al. (2019). Predictive model assessment in PLS-SEM: guidelines for using
    PLSpredict. *European Journal of Marketing*, 53(11), 2322-2347.
    """
    spec, pred, X, F, preds, bad, _, recorded, d = run_cv(
        model, data, modes=modes, targets=targets, folds=folds, repeats=repeats, approach=approach, scheme=scheme,
        tol=tol, max_iter=max_iter, seed=seed, progress=progress, sampling_weights=sampling_weights)
    options = dict(folds=int(F[:, 0].max() + 1) if not isinstance(folds, (int, np.integer)) else int(folds),
                   fold_vector=not isinstance(folds, (int, np.integer)), repeats=int(F.shape[1]),
                   approach=approach, targets=pred.targets, scheme=scheme, modes=spec.modes, tol=tol,
                   max_iter=max_iter)
    if d is not None:
        options["sampling_weights"] = sampling_weights
    return PLSPredictResult(spec, pred, X, F, preds, bad, options, data, model, recorded, d)


class PLSPredictResult(Result):
    """Out-of-sample prediction errors of a PLS path model against the LM and IA benchmarks.

    Attributes
    ----------
    predictions : dict of DataFrame
        ``"pls"``, ``"lm"``, ``"ia"``: each row's out-of-sample prediction of each target
        indicator, averaged over the repeats (index of ``data``).
    folds : ndarray
        The fold (0-based) of each row in each repeat, ``n x repeats``.
    nobs : int
    options : dict
    """

    def __init__(self, spec, predictor, X, F, preds, bad, options, data, model, seed, d=None):
        self.spec, self.options, self.nobs, self.folds = spec, options, len(X), F
        #: Row weights summing to ``nobs`` (weighted training fits and error metrics), or None.
        self.case_weights = d
        self.model_syntax = model
        self._items = predictor.items
        idx = data.index
        self.predictions = {m: pd.DataFrame(p, index=idx, columns=predictor.items) for m, p in preds.items()}
        self._actual = X[:, predictor.item_idx]
        owner = {x: c for c in spec.constructs for x in spec.blocks[c]}
        self._table = metrics_table(self._actual, preds, predictor.items, [owner[x] for x in predictor.items], d)
        self._warnings = []
        self._references = (R.SHMUELI_2016, R.SHMUELI_2019, R.WOLD, R.LOHMOLLER) + (
            (R.BECKER_ISMAIL,) if d is not None else ())
        self._provenance = make_provenance("cxmodels.sem.pls.predict_pls", data, {"model": model, **options}, seed)
        n_fits = int(sum(len(np.unique(F[:, r])) for r in range(F.shape[1])))
        if bad:
            self._flag(f"the PLS algorithm did not converge on {bad} of {n_fits} training folds (max_iter "
                       f"{options['max_iter']}); their predictions use the last iterate: raise max_iter",
                       ConvergenceWarning)
        smallest = int(min(np.bincount(F[:, r]).min() for r in range(F.shape[1])))
        arrows, where = ten_times_rule(spec)
        if self.nobs - smallest < ROWS_PER_ARROW * arrows:
            self._flag(f"training folds of {self.nobs - smallest} rows are fewer than the {ROWS_PER_ARROW * arrows} "
                       f"the ten-times rule asks for ({arrows} arrows point at {where!r}): the fold estimates are "
                       "unstable; use fewer folds or more data")

    def summary(self) -> pd.DataFrame:
        """Per indicator: ``construct``, RMSE and MAE of PLS, LM and IA, and ``q2_predict``."""
        return self._table.copy()

    @property
    def params(self) -> pd.Series:
        t = self._table.drop(columns="construct")
        s = t.stack()
        s.index = [f"{i} {m}" for i, m in s.index]
        return s.astype(float)

    def errors(self, benchmark: str = "pls") -> pd.DataFrame:
        """Out-of-sample prediction errors (actual minus predicted) of ``"pls"``, ``"lm"`` or ``"ia"``."""
        if benchmark not in self.predictions:
            raise InputError(f"benchmark must be 'pls', 'lm' or 'ia', got {benchmark!r}")
        p = self.predictions[benchmark]
        return pd.DataFrame(self._actual - p.to_numpy(), index=p.index, columns=p.columns)

    def decide(self, metric: str = "rmse") -> Decision:
        """Predictive power by Shmueli et al.'s (2019) rule.

        ``Q2_predict <= 0`` for any target indicator: ``"none"`` (PLS does not beat the
        training mean).  Otherwise compare PLS with the LM benchmark on ``metric`` (``"rmse"``,
        or ``"mae"`` for highly skewed prediction errors): lower for all indicators ``"high"``,
        for a majority ``"medium"``, for a minority ``"low"``, for none ``"none"``.
        """
        if metric not in ("rmse", "mae"):
            raise InputError(f"metric must be 'rmse' or 'mae', got {metric!r}")
        t = self._table
        q2_bad = list(t.index[t["q2_predict"] <= 0])
        better = int((t[f"{metric}_pls"] < t[f"{metric}_lm"]).sum())
        k = len(t)
        crit = {"indicators": k, "pls_better_than_lm": better, "q2_predict_not_positive": q2_bad, "metric": metric}
        if q2_bad:
            return Decision("none", None, f"Q2_predict is not positive for {q2_bad}: the model predicts these "
                            "indicators no better than their training means", crit)
        if better == k:
            action = "high"
        elif better > k / 2:
            action = "medium"
        elif better > 0:
            action = "low"
        else:
            action = "none"
        return Decision(action, None, f"PLS has a lower {metric.upper()} than the linear-model benchmark for {better} "
                        f"of {k} indicators: {action} predictive power (Shmueli et al. 2019)", crit)

    def plot(self, ax=None, *, metric: str = "rmse"):
        """PLS against LM (and IA) out-of-sample error per indicator, horizontal bars."""
        if metric not in ("rmse", "mae"):
            raise InputError(f"metric must be 'rmse' or 'mae', got {metric!r}")
        t = self._table
        ax = plotting.axes(ax, figsize=(6.5, 0.35 * len(t) + 1.5))
        y = np.arange(len(t))
        h = 0.27
        for k, (m, label) in enumerate([("pls", "PLS"), ("lm", "LM"), ("ia", "IA")]):
            ax.barh(y + (k - 1) * h, t[f"{metric}_{m}"], height=h, color=plotting.color(k), label=label)
        ax.set_yticks(y)
        ax.set_yticklabels(t.index)
        ax.invert_yaxis()
        ax.set_xlabel(f"out-of-sample {metric.upper()}")
        ax.set_title(f"PLSpredict ({self.options['approach']}, {self.options['folds']} folds x "
                     f"{self.options['repeats']} repeats)", pad=24)
        ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        return ax

    def methods_text(self) -> str:
        o = self.options
        d = self.decide()
        split = (f"{o['folds']}-fold cross-validation" + (f" repeated {o['repeats']} times" if o["repeats"] > 1 else "")
                 if not o["fold_vector"]
                 else f"cross-validation over {o['folds']} given folds")
        approach = "direct-antecedent" if o["approach"] == "DA" else "earliest-antecedent"
        return (f"Out-of-sample predictive power was assessed with PLSpredict ({R.SHMUELI_2016.cite}) by {split} "
                f"on {self.nobs} responses (seed {self._provenance.seed}), with the {approach} approach: each "
                f"training fold's PLS path model ({R.WOLD.cite}; {R.LOHMOLLER.cite}) predicted the held-out "
                f"indicators of {', '.join(o['targets'])}. Prediction errors were compared with a linear-model "
                f"benchmark and the training-sample indicator averages (Q2_predict), following "
                f"{R.SHMUELI_2019.cite}: PLS had a lower RMSE than the linear model for "
                f"{d.criteria['pls_better_than_lm']} of {d.criteria['indicators']} indicators ({d.action} "
                "predictive power)."
                + (f" Sampling weights (column {o['sampling_weights']!r}) weighted every training fit (weighted PLS, "
                   f"{R.BECKER_ISMAIL.cite}; weighted linear-model and indicator-average benchmarks), and RMSE, MAE "
                   "and Q2_predict averaged the prediction errors with the weights of the held-out rows."
                   if self.case_weights is not None else ""))
