r"""Machine-learning churn models from maintained libraries, in the result contract.

:func:`ml_survival` fits one of

* ``"random_forest"``: random survival forest (Ishwaran et al. 2008), scikit-survival's
  ``RandomSurvivalForest``;
* ``"gradient_boosting"``: gradient-boosted Cox partial likelihood with regression trees
  (Hothorn et al. 2006), scikit-survival's ``GradientBoostingSurvivalAnalysis``;
* ``"discrete_hazard"``: a gradient-boosted discrete-time hazard, scikit-learn's
  ``HistGradientBoostingClassifier`` on person-period rows (period and covariates as features),
  :math:`S(t) = \prod_{k \le t} \{1 - h_k(x)\}` (the machine-learning counterpart of
  :func:`cxmodels.churn.discrete_time_hazard`),

and evaluates it by K-fold cross-validation on held-out customers: Uno's IPCW concordance
(Uno et al. 2011) up to the last horizon, the integrated Brier score (Graf et al. 1999) over
the horizons, the cumulative/dynamic time-dependent AUC (Uno et al. 2007) and the Brier score
at each horizon, every one computed by scikit-survival's own metric functions with the
censoring distribution of the training folds; calibration by risk decile on the out-of-fold
predictions; and permutation importance (the drop in held-out Uno's C when a covariate is
shuffled; Breiman 2001).  Nothing is re-implemented: the models and metrics are the
libraries'; this module wires them, seeds them and reports them.

scikit-survival and scikit-learn are optional dependencies (``pip install "cxmodels[ml]"``),
imported with :func:`cxmodels._lazy.optional_import`; the discrete-time model needs only
scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._lazy import optional_import
from .._progress import Progress
from .._results import Result
from .._validation import as_generator, check_count, require_columns, require_finite, require_frame, \
    require_no_missing, require_numeric
from ..errors import EstimationError, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from .checks import as_list, check_event_count, survival_frame
from .references import BREIMAN, GRAF, HOTHORN, ISHWARAN, PEDREGOSA, POLSTERL, UNO_AUC, UNO_C

__all__ = ["ml_survival", "MLSurvivalResult", "survival_metrics", "KINDS"]

KINDS = ("random_forest", "gradient_boosting", "discrete_hazard")


def _sksurv(what):
    return optional_import(what, "ml", "random-forest and gradient-boosted survival models and their metrics")


def _y(t, e):
    Surv = _sksurv("sksurv.util").Surv
    return Surv.from_arrays(event=np.asarray(e, bool), time=np.asarray(t, float))


# ----------------------------------------------------------------------------------- engines
class _Engine:
    """fit(X, t, e) and survival(X, times) -> (n, len(times)) for each kind."""

    def __init__(self, kind, params, random_state, period_length):
        self.kind, self.params, self.rs, self.period_length = kind, dict(params), random_state, period_length

    def fit(self, X, t, e):
        if self.kind == "random_forest":
            est = _sksurv("sksurv.ensemble").RandomSurvivalForest
            kw = {"n_estimators": 100, "min_samples_leaf": 10, "n_jobs": 1, **self.params}
            self.model = est(random_state=self.rs, **kw).fit(X, _y(t, e))
        elif self.kind == "gradient_boosting":
            est = _sksurv("sksurv.ensemble").GradientBoostingSurvivalAnalysis
            kw = {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3, **self.params}
            self.model = est(random_state=self.rs, loss="coxph", **kw).fit(X, _y(t, e))
        else:
            HistGradientBoostingClassifier = optional_import(
                "sklearn.ensemble", "ml", "the gradient-boosted discrete-time hazard").HistGradientBoostingClassifier
            periods = np.ceil(t / self.period_length).astype(int)
            self.max_period = int(periods.max())
            rows = np.repeat(np.arange(len(t)), periods)
            k = np.concatenate([np.arange(1, p + 1) for p in periods])
            y = (e[rows] == 1) & (k == periods[rows])
            kw = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, **self.params}
            self.model = HistGradientBoostingClassifier(random_state=self.rs, **kw)
            if y.all() or not y.any():
                raise EstimationError("the person-period rows hold only churns or no churn at all")
            self.model.fit(np.column_stack([k, X[rows]]), y)
        return self

    def survival(self, X, times):
        times = np.asarray(times, float)
        if self.kind == "discrete_hazard":
            K = self.max_period
            k = np.arange(1, K + 1)
            feats = np.column_stack([np.tile(k, len(X)), np.repeat(X, K, axis=0)])
            h = self.model.predict_proba(feats)[:, 1].reshape(len(X), K)
            S = np.cumprod(1 - h, axis=1)
            idx = np.floor(times / self.period_length + 1e-9).astype(int)   # whole periods survived by t
            S = np.column_stack([np.ones(len(X)), S])
            return S[:, np.clip(idx, 0, K)]
        fns = self.model.predict_survival_function(X)
        out = np.empty((len(X), len(times)))
        for i, f in enumerate(fns):
            lo, hi = f.domain
            out[i] = f(np.clip(times, lo, hi))
        return out


# ----------------------------------------------------------------------------------- metrics
def survival_metrics(train_duration, train_event, test_duration, test_event, survival, horizons) -> dict:
    """scikit-survival's metrics of predicted survival ``survival`` (n_test x len(horizons)).

    Returns a dict: ``uno_c`` (concordance_index_ipcw, tau = last horizon, risk = 1 - S(last
    horizon)), ``ibs`` (integrated_brier_score over the horizons; needs two or more),
    ``auc`` and ``brier`` (arrays over the horizons: cumulative_dynamic_auc with the risk
    1 - S(h) at each horizon, brier_score).  The censoring distribution is the training data's;
    where it reaches zero (the last training customer was censored), test customers followed
    that long have no inverse-probability weight and are left out.
    """
    try:
        return _survival_metrics(train_duration, train_event, test_duration, test_event, survival, horizons)
    except ValueError as exc:
        if "censoring survival function is zero" not in str(exc):
            raise
    # The censoring survival (Kaplan-Meier of the training data) reaches zero only from the last
    # training time on, when that customer was censored: test customers followed that long have
    # no inverse weight and are left out.
    keep = np.asarray(test_duration, float) < np.asarray(train_duration, float).max()
    return _survival_metrics(train_duration, train_event, np.asarray(test_duration)[keep],
                             np.asarray(test_event)[keep], np.asarray(survival, float)[keep], horizons)


def _survival_metrics(train_duration, train_event, test_duration, test_event, survival, horizons) -> dict:
    m = _sksurv("sksurv.metrics")
    y_tr, y_te = _y(train_duration, train_event), _y(test_duration, test_event)
    h = np.asarray(horizons, float)
    S = np.asarray(survival, float)
    risk = 1 - S
    out = {"uno_c": float(m.concordance_index_ipcw(y_tr, y_te, risk[:, -1], tau=h[-1])[0])}
    out["ibs"] = float(m.integrated_brier_score(y_tr, y_te, S, h)) if len(h) > 1 else float("nan")
    out["auc"] = np.asarray(m.cumulative_dynamic_auc(y_tr, y_te, risk, h)[0], float)
    out["brier"] = np.asarray(m.brier_score(y_tr, y_te, S, h)[1], float)
    return out


def _check_horizons(horizons, t, e, folds):
    ev_t = t[e == 1]
    if horizons is None:
        horizons = np.quantile(ev_t, [0.25, 0.5, 0.75])
    try:
        h = np.unique(np.atleast_1d(np.asarray(horizons, dtype=float)))
    except (TypeError, ValueError):
        raise InputError(f"horizons must be numbers, got {horizons!r}") from None
    if h.size < 2 or not np.all(np.isfinite(h)) or np.any(h <= 0):
        raise InputError(f"horizons must be two or more finite times > 0 (the integrated Brier score needs a "
                         f"range), got {horizons!r}")
    # every test fold must follow customers past the last horizon (the IPCW metrics are undefined beyond it)
    limit = min(t[f].max() for f in folds)
    if h[-1] >= limit:
        raise InputError(f"horizon {h[-1]:g} is beyond follow-up: the shortest-followed cross-validation fold "
                         f"ends at {limit:g}; choose horizons below it (e.g. quantiles of the churn times)")
    if h[0] < ev_t.min():
        raise InputError(f"horizon {h[0]:g} comes before the first churn ({ev_t.min():g}); nothing to evaluate there")
    return h


class MLSurvivalResult(Result):
    """A cross-validated machine-learning churn model.

    ``summary()``: one row per metric (uno_c, ibs, auc@h, brier@h) with the mean over folds
    (``est``), its SD and the number of folds; ``params`` the means; ``cv_metrics`` the
    per-fold values; ``importance`` permutation importance (drop in held-out Uno's C);
    ``oof_survival`` the out-of-fold survival at each horizon; ``calibration(horizon)``;
    ``predict_survival(data, times)`` and ``predict_risk(data, horizon)`` from the model
    refitted on all customers.
    """

    def __init__(self, *, kind, engine, table, cv_metrics, importance, oof, horizons, data, duration, event,
                 covariates, cv, params, provenance):
        self.kind, self._engine, self._table = kind, engine, table
        self.cv_metrics, self.importance, self.oof_survival = cv_metrics, importance, oof
        self.horizons = horizons
        self._data, self.duration, self.event, self.covariates = data, duration, event, covariates
        self.cv, self.model_params = cv, params
        self.nobs, self.nevents = len(data), int(data[event].sum())
        self._provenance = provenance
        self._warnings = []

    @property
    def _references(self):
        model = {"random_forest": (ISHWARAN, POLSTERL), "gradient_boosting": (HOTHORN, POLSTERL),
                 "discrete_hazard": (PEDREGOSA,)}[self.kind]
        return model + (UNO_C, GRAF, UNO_AUC, BREIMAN) + ((POLSTERL,) if self.kind == "discrete_hazard" else ())

    @property
    def params(self) -> pd.Series:
        return self._table["est"].copy()

    def _X(self, data):
        require_frame(data)
        require_columns(data, self.covariates)
        require_numeric(data, self.covariates)
        require_no_missing(data, self.covariates)
        require_finite(data, self.covariates)
        return data[self.covariates].to_numpy(float)

    def predict_survival(self, data: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities S(t | x) (rows: customers of ``data``, columns: ``times``)."""
        try:
            t = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"times must be numbers, got {times!r}") from None
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InputError(f"times must be finite and >= 0, got {times!r}")
        return pd.DataFrame(self._engine.survival(self._X(data), t), index=data.index, columns=t)

    def predict_risk(self, data: pd.DataFrame, horizon: float, tenure: str | None = None) -> pd.Series:
        """Probability of churning within ``horizon``: 1 - S(horizon | x) for new customers, or,
        for customers active today at the tenure in column ``tenure``, the conditional
        1 - S(a + horizon | x) / S(a | x)."""
        if isinstance(horizon, bool) or not isinstance(horizon, (int, float, np.integer, np.floating)) \
                or not np.isfinite(horizon) or horizon <= 0:
            raise InputError(f"horizon must be a number > 0, got {horizon!r}")
        X = self._X(data)
        if tenure is None:
            S = self._engine.survival(X, [float(horizon)])[:, 0]
            return pd.Series(1 - S, index=data.index, name="p_churn")
        require_columns(data, [tenure])
        require_numeric(data, [tenure])
        require_no_missing(data, [tenure])
        require_finite(data, [tenure])
        a = data[tenure].to_numpy(float)
        if np.any(a < 0):
            raise InputError(f"column {tenure!r} has negative tenures")
        out = np.empty(len(a))
        for v in np.unique(a):   # one survival evaluation per distinct tenure
            m = a == v
            S = self._engine.survival(X[m], [v, v + float(horizon)])
            with np.errstate(divide="ignore", invalid="ignore"):
                out[m] = np.where(S[:, 0] > 0, 1 - S[:, 1] / S[:, 0], 1.0)
        return pd.Series(out, index=data.index, name="p_churn")

    def calibration(self, horizon=None, bins: int = 10) -> pd.DataFrame:
        """Out-of-fold predicted vs Kaplan-Meier observed churn by ``horizon`` (one of the
        horizons; default the middle one) in risk bins (:func:`cxmodels.churn.calibration_table`)."""
        from .scoring import calibration_table

        h = self.horizons[len(self.horizons) // 2] if horizon is None else horizon
        if h not in self.oof_survival.columns:
            raise InputError(f"horizon {h!r} is not one of the evaluated horizons {list(self.horizons)}")
        return calibration_table(self._data, self.duration, self.event, self.oof_survival[h].to_numpy(), h,
                                 bins=bins)

    def plot(self, ax=None):
        """Calibration at the middle horizon (out-of-fold); returns the Axes."""
        from .scoring import plot_calibration

        ax = plot_calibration(self.calibration(), ax=ax)
        ax.set_title(f"{self.kind.replace('_', ' ')}: churn by {self.horizons[len(self.horizons) // 2]:g}")
        return ax

    def methods_text(self) -> str:
        model = {"random_forest": f"a random survival forest ({ISHWARAN.cite}) fitted with scikit-survival "
                                  f"({POLSTERL.cite})",
                 "gradient_boosting": f"gradient-boosted regression trees on the Cox partial likelihood "
                                      f"({HOTHORN.cite}) fitted with scikit-survival ({POLSTERL.cite})",
                 "discrete_hazard": f"a gradient-boosted discrete-time hazard (histogram gradient boosting on "
                                    f"customer-period rows, scikit-learn; {PEDREGOSA.cite})"}[self.kind]
        p = self.params
        hz = ", ".join(f"{h:g}" for h in self.horizons)
        return (f"Churn was predicted with {model} from {len(self.covariates)} covariates "
                f"({', '.join(self.covariates)}) on {self.nobs} customers ({self.nevents} churns). Accuracy was "
                f"estimated by {self.cv}-fold cross-validation on held-out customers: Uno's concordance "
                f"({UNO_C.cite}) {p['uno_c']:.3f}, integrated Brier score ({GRAF.cite}) over horizons {hz} "
                f"{p['ibs']:.3f}, and time-dependent AUC ({UNO_AUC.cite}) at each horizon, all with inverse "
                f"probability of censoring weights from the training folds (scikit-survival's metric "
                f"functions, {POLSTERL.cite}). Covariates were ranked by permutation importance ({BREIMAN.cite}): "
                "the drop in held-out concordance when the covariate is shuffled.")


def ml_survival(data: pd.DataFrame, duration: str, event: str, covariates, *, kind: str = "random_forest",
                horizons=None, cv: int = 5, n_repeats: int = 5, period_length: float = 1.0, params: dict | None = None,
                seed=None, progress=None) -> MLSurvivalResult:
    """Fit and cross-validate a machine-learning churn model (see module docstring).

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn (1) / still active (0).
    covariates : list of str
        Numeric columns (dummy-code categories first).
    kind : {"random_forest", "gradient_boosting", "discrete_hazard"}
        The model.
    horizons : sequence of float, optional
        Two or more times at which accuracy is evaluated (default: the quartiles of the churn
        times).  A horizon beyond the follow-up of a fold is refused.
    cv : int
        Number of cross-validation folds (>= 2), stratified by churn.
    n_repeats : int
        Shuffles per covariate for permutation importance (0: skip it).
    period_length : float
        Length of one period of the discrete-time model (tenure is cut into periods of this length).
    params : dict, optional
        Passed to the estimator (e.g. ``{"n_estimators": 300}``).
    seed : int, Generator or None
        Seeds the folds, the estimators and the shuffles.
    progress : bool or None
        Progress bar over the folds.

    Returns
    -------
    MLSurvivalResult

    References
    ----------
    Ishwaran, H., et al. (2008). Random survival forests. Ann. Appl. Stat. 2(3), 841-860.
    Uno, H., et al. (2011). On the C-statistics for evaluating overall adequacy of risk prediction
    procedures with censored survival data. Stat. Med. 30(10), 1105-1117.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")
    cv = check_count(cv, "cv", 2)
    n_repeats = check_count(n_repeats, "n_repeats", 0)
    if isinstance(period_length, bool) or not isinstance(period_length, (int, float)) or not period_length > 0:
        raise InputError(f"period_length must be a number > 0, got {period_length!r}")
    if params is not None and not isinstance(params, dict):
        raise InputError(f"params must be a dict of estimator settings, got {type(params).__name__}")
    covariates = as_list(covariates)
    if not covariates:
        raise InputError("ml_survival() needs at least one covariate")
    if kind != "discrete_hazard":
        _sksurv("sksurv")
    rng = as_generator(seed)
    d = survival_frame(data, duration, event, covariates=covariates, fn="ml_survival").reset_index(drop=True)
    check_event_count(d, event, minimum=2 * cv)
    t, e = d[duration].to_numpy(float), d[event].to_numpy(int)
    X = d[covariates].to_numpy(float)
    if int((e == 0).sum()) < cv:
        raise InputError(f"column {event!r} has {(e == 0).sum()} censored customers; the IPCW metrics need "
                         f"censored (still active) customers in each of the {cv} folds")
    from sklearn.model_selection import StratifiedKFold
    split_seed = int(rng.integers(2**31 - 1))
    folds = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=split_seed).split(X, e))
    h = _check_horizons(horizons, t, e, [te for _, te in folds])
    params = dict(params or {})
    oof = np.full((len(d), len(h)), np.nan)
    rows, imp = [], []
    bar = Progress(cv, f"ml_survival ({kind}) folds", progress)
    try:
        for k, (tr, te) in enumerate(folds):
            eng = _Engine(kind, params, int(rng.integers(2**31 - 1)), period_length).fit(X[tr], t[tr], e[tr])
            S = eng.survival(X[te], h)
            oof[te] = S
            m = survival_metrics(t[tr], e[tr], t[te], e[te], S, h)
            rows.append({"fold": k + 1, "metric": "uno_c", "horizon": h[-1], "value": m["uno_c"]})
            rows.append({"fold": k + 1, "metric": "ibs", "horizon": np.nan, "value": m["ibs"]})
            rows += [{"fold": k + 1, "metric": "auc", "horizon": hh, "value": v} for hh, v in zip(h, m["auc"])]
            rows += [{"fold": k + 1, "metric": "brier", "horizon": hh, "value": v} for hh, v in zip(h, m["brier"])]
            for j, c in enumerate(covariates):
                for _ in range(n_repeats):
                    Xp = X[te].copy()
                    Xp[:, j] = rng.permutation(Xp[:, j])
                    mc = survival_metrics(t[tr], e[tr], t[te], e[te], eng.survival(Xp, h), h)
                    imp.append({"covariate": c, "fold": k + 1, "drop": m["uno_c"] - mc["uno_c"]})
            bar.update()
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise EstimationError(f"ml_survival ({kind}) failed on a cross-validation fold: {exc}") from None
    cvm = pd.DataFrame(rows)
    names = cvm["metric"] + np.where(cvm["horizon"].notna() & (cvm["metric"] != "uno_c"),
                                     "@" + cvm["horizon"].map(lambda v: f"{v:g}"), "")
    cvm.insert(1, "name", names)
    g = cvm.groupby("name", sort=False)["value"]
    table = pd.DataFrame({"est": g.mean(), "sd": g.std(ddof=1), "n_folds": g.count()})
    table.index.name = "metric"
    if imp:
        ii = pd.DataFrame(imp).groupby("covariate", sort=False)["drop"]
        importance = pd.DataFrame({"importance": ii.mean(), "sd": ii.std(ddof=1)}).sort_values("importance",
                                                                                              ascending=False)
    else:
        importance = pd.DataFrame(columns=["importance", "sd"])
    final = _Engine(kind, params, int(rng.integers(2**31 - 1)), period_length).fit(X, t, e)
    prov = make_provenance("churn.ml_survival", d, {"duration": duration, "event": event, "covariates": covariates,
                                                    "kind": kind, "horizons": h.tolist(), "cv": cv,
                                                    "n_repeats": n_repeats, "period_length": period_length,
                                                    "params": params}, seed=seed if not isinstance(
                                                        seed, np.random.Generator) else "Generator")
    res_folds = [te for _, te in folds]
    res = MLSurvivalResult(kind=kind, engine=final, table=table, cv_metrics=cvm, importance=importance,
                           oof=pd.DataFrame(oof, columns=h), horizons=h, data=d, duration=duration, event=event,
                           covariates=covariates, cv=cv, params=params, provenance=prov)
    res.folds = res_folds  # test-row positions of each fold, so anyone can recompute a fold's metrics
    if table.loc["uno_c", "est"] < 0.55:
        res._flag(f"cross-validated Uno's C is {table.loc['uno_c', 'est']:.3f}: the model barely ranks churners "
                  "above non-churners on held-out customers", ImproperSolutionWarning)
    return res
