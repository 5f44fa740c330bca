"""Cox proportional-hazards models of churn: hazard ratios, concordance and the
proportional-hazards check, in churn vocabulary.

The churn hazard of customer i at tenure t is

    h_i(t) = h_0(t) exp(x_i' beta),

fitted by maximum partial likelihood with Efron's (1977) handling of tied churn times
(R's ``coxph`` default), optionally stratified (a separate baseline h_0 per stratum).
exp(beta_j) is the hazard ratio of one unit of covariate j.  The proportional-hazards
assumption is checked with scaled Schoenfeld residuals (Grambsch & Therneau 1994) against
Kaplan-Meier-transformed time; the verdict is reported in words.  lifelines'
``CoxPHFitter`` / ``CoxTimeVaryingFitter`` are the engines; coefficients, standard errors
and concordance equal R's ``survival::coxph`` (tests/test_churn_parity.py).
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from .coefficients import HazardCoefficients
from .._stats import wald
from .._validation import (check_level, require_columns, require_finite, require_frame, require_no_missing,
                           require_numeric)
from ..errors import ConvergenceWarning, EstimationError, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from . import _rscript as R
from .checks import as_list, check_event_count, collinear_columns, separating_columns, survival_frame
from .references import COX, DAVIDSON_PILON, EFRON, GRAMBSCH_THERNEAU, THERNEAU_GRAMBSCH


def _tidy(names, coef, se, level):
    w = wald(coef, se, level)
    t = pd.DataFrame({"coef": coef, "se": se, "z": w["z"], "pvalue": w["pvalue"],
                      "ci_lower": w["ci_lower"], "ci_upper": w["ci_upper"]},
                     index=pd.Index(names, name="covariate"))
    with np.errstate(over="ignore"):  # a diverging (flagged) coefficient gives an infinite ratio
        t["hazard_ratio"] = np.exp(t["coef"])
        t["hr_lower"] = np.exp(t["ci_lower"])
        t["hr_upper"] = np.exp(t["ci_upper"])
    return t


class CoxResult(HazardCoefficients, Result):
    """A fitted Cox model.

    ``summary()``: one row per covariate (coef, se, z, pvalue, ci_lower, ci_upper,
    hazard_ratio, hr_lower, hr_upper); ``params``: coefficients (log hazard ratios) named by
    covariate; ``hazard_ratios``; ``concordance``; ``check_proportional_hazards()``.
    """

    _references = (COX, EFRON, GRAMBSCH_THERNEAU, DAVIDSON_PILON, THERNEAU_GRAMBSCH)

    def __init__(self, fitter, table, data, duration, event, covariates, strata, level, provenance, *,
                 entry=None, penalizer=0.0, time_varying=False, customer=None, start=None):
        self._fitter = fitter
        self._table = table
        self._data = data
        self._provenance = provenance
        self._warnings = []
        self.duration, self.event, self.covariates, self.strata = duration, event, covariates, strata
        self.entry, self.penalizer = entry, penalizer
        self.level = level
        self.time_varying = time_varying
        self.customer, self.start = customer, start
        self.nobs = len(data)
        self.nevents = int(data[event].sum())




    @property
    def concordance(self) -> float:
        """Harrell's C: the share of comparable customer pairs whose predicted risk orders
        their churn times correctly (within strata when stratified)."""
        if self.time_varying:
            return float("nan")
        return float(self._fitter.concordance_index_)

    @property
    def log_likelihood(self) -> float:
        return float(self._fitter.log_likelihood_)

    @property
    def lifelines_fitter(self):
        """The underlying lifelines fitter (for anything not wrapped here)."""
        return self._fitter

    def check_proportional_hazards(self, significance: float = 0.05, transform: str = "km") -> pd.DataFrame:
        """Test each covariate's hazard ratio for drift with tenure (scaled Schoenfeld residuals).

        Returns a table (covariate, statistic, pvalue, verdict) where verdict is a sentence a
        report can quote; ``significance`` is the test size.  Uses lifelines'
        ``proportional_hazard_test`` (the Grambsch-Therneau 1994 approximate score test).  R's
        ``cox.zph`` since survival 3.0 uses the exact score test, so p-values differ in the
        second decimal; the verdicts agree on the lung data.
        """
        if self.time_varying:
            raise InputError("the Schoenfeld-residual check is available for fixed-covariate fits only")
        if not 0 < float(significance) < 1:
            raise InputError(f"significance must be strictly between 0 and 1, got {significance!r}")
        if transform not in ("km", "rank", "identity", "log"):
            raise InputError(f"transform must be 'km', 'rank', 'identity' or 'log', got {transform!r}")
        from lifelines.statistics import proportional_hazard_test

        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                res = proportional_hazard_test(self._fitter, self._fitter_data(), time_transform=transform)
        except Exception as exc:  # noqa: BLE001 - lifelines internals; say what happened
            raise EstimationError(f"the proportional-hazards test could not be computed: {exc}") from None
        tab = res.summary[["test_statistic", "p"]].rename(columns={"test_statistic": "statistic", "p": "pvalue"})
        tab = tab.reindex(self.covariates)
        tab.index.name = "covariate"
        verdicts = []
        for cov, row in tab.iterrows():
            if row["pvalue"] < significance:
                verdicts.append(f"The effect of {cov} on churn changes with tenure (p = {row['pvalue']:.3f}): "
                                "its hazard ratio is an average over tenure; consider stratifying by it or "
                                "letting its effect vary with time.")
            else:
                verdicts.append(f"No evidence that the effect of {cov} on churn changes with tenure "
                                f"(p = {row['pvalue']:.3f}); proportional hazards is tenable.")
        tab["verdict"] = verdicts
        return tab

    def ph_verdict(self, significance: float = 0.05) -> str:
        """One paragraph summarising :meth:`check_proportional_hazards`."""
        tab = self.check_proportional_hazards(significance)
        bad = tab.index[tab["pvalue"] < significance].tolist()
        if not bad:
            return ("Proportional hazards: no covariate's effect drifts with tenure at the "
                    f"{significance:g} level (scaled Schoenfeld residuals, {GRAMBSCH_THERNEAU.cite}).")
        return (f"Proportional hazards is doubtful for {', '.join(bad)} (p < {significance:g}, scaled Schoenfeld "
                "residuals); their hazard ratios average a changing effect. Consider strata or time interactions.")

    def _fitter_data(self) -> pd.DataFrame:
        return self._data

    def predict_survival(self, data: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities of the customers in ``data`` at ``times`` (rows: times)."""
        if self.time_varying:
            raise InputError("predict_survival is available for fixed-covariate fits only")
        cols = self.covariates + list(self.strata)
        require_frame(data)
        require_columns(data, cols)
        require_numeric(data, self.covariates)
        require_no_missing(data, cols)
        require_finite(data, self.covariates)
        try:
            t = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"times must be numbers, got {times!r}") from None
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InputError(f"times must be finite and >= 0, got {times!r}")
        return self._fitter.predict_survival_function(data[cols], times=t)

    def plot(self, ax=None):
        """Forest plot of hazard ratios with intervals (log scale); returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(6, 0.8 + 0.5 * len(t)))
        y = np.arange(len(t))[::-1]
        hr, lo, hi = (t[c].to_numpy(float) for c in ("hazard_ratio", "hr_lower", "hr_upper"))
        ax.errorbar(hr, y, xerr=[hr - lo, hi - hr], fmt="o", capsize=3, color=plotting.color(0))
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(y, t.index)
        ax.set_xlabel(f"hazard ratio of churn ({self.level:.0%} CI)")
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits this model with ``survival::coxph`` (Efron ties,
        the same strata, left truncation or start-stop rows) on the CSV at ``data_path`` and
        prints coefficients, standard errors, concordance and log-likelihood, the cxmodels
        numbers in comments at the top."""
        if self.penalizer:
            raise InputError("a penalized Cox fit (penalizer > 0) has no exact counterpart in coxph; "
                             "to_r() covers unpenalized fits")
        exp = pd.DataFrame({"term": self.covariates, "est": self._table["coef"].to_numpy(),
                            "se": self._table["se"].to_numpy()})
        extra = [("loglik", self.log_likelihood)]
        if not self.time_varying:
            extra.insert(0, ("concordance", self.concordance))
        exp = pd.concat([exp, pd.DataFrame({"term": [k for k, _ in extra], "est": [v for _, v in extra],
                                            "se": np.nan})], ignore_index=True)
        if self.time_varying:
            lhs = f"Surv({R.q(self.start)}, {R.q(self.duration)}, {R.q(self.event)})"
        else:
            lhs = R.surv(self.duration, self.event, self.entry)
        rhs = " + ".join([R.q(c) for c in self.covariates] + [f"strata({R.q(c)})" for c in self.strata])
        conc = 'unname(fit$concordance["concordance"]), ' if not self.time_varying else ""
        names = self.covariates + (["concordance"] if not self.time_varying else []) + ["loglik"]
        lines = [R.header("churn.cox_time_varying" if self.time_varying else "churn.cox", data_path, exp,
                          self._provenance),
                 f'fit <- coxph({lhs} ~ {rhs}, data = d, ties = "efron")',
                 "print(summary(fit))",
                 R.footer(f"data.frame(term = {R.vec(names)}, est = c(unname(coef(fit)), {conc}fit$loglik[2]), "
                          f"se = c(unname(sqrt(diag(vcov(fit)))), rep(NA, {len(names) - len(self.covariates)})))")]
        return "\n".join(lines)

    def methods_text(self) -> str:
        strata = f", stratified by {', '.join(self.strata)}" if self.strata else ""
        tv = " with time-varying covariates in start-stop format" if self.time_varying else ""
        c = "" if self.time_varying else f" Concordance (Harrell's C) was {self.concordance:.3f}."
        return (f"Churn hazards were modelled with a Cox proportional-hazards regression ({COX.cite}){tv}{strata}, "
                f"using Efron's method for tied churn times ({EFRON.cite}), on {self.nobs} rows with "
                f"{self.nevents} churns; covariates: {', '.join(self.covariates)}. Hazard ratios are reported "
                f"with {self.level:.0%} Wald intervals.{c} The proportional-hazards assumption can be checked with "
                f"scaled Schoenfeld residuals ({GRAMBSCH_THERNEAU.cite}). Estimates were computed with lifelines "
                f"({DAVIDSON_PILON.cite}) through cxmodels, which is tested against R's survival package "
                f"({THERNEAU_GRAMBSCH.cite}).")


def _fit_lifelines(fit, what: str):
    """Run a lifelines fit, keeping its warnings and never letting its errors escape.

    Returns the fitted object and lifelines' convergence messages (the caller flags them
    on the result).  Numerical RuntimeWarnings from inside lifelines are symptoms of the same
    problems and are not passed on; lifelines' ConvergenceError (a singular information
    matrix, a step that diverges) becomes an EstimationError saying what to do.
    """
    with _warnings.catch_warnings(record=True) as rec:
        _warnings.simplefilter("always")
        try:
            out = fit()
        except (InputError, EstimationError):
            raise
        except Exception as exc:  # noqa: BLE001 - lifelines.ConvergenceError, LinAlgError, ValueError ...
            raise EstimationError(
                f"the {what} fit failed ({type(exc).__name__}: {str(exc).split('. ')[0]}); the data do not "
                "determine its coefficients: look for covariates that (nearly) separate churners from the "
                "others, that are (nearly) collinear, or that hardly vary, and drop or combine them") from None
    msgs = []
    for w in rec:
        text = " ".join(str(w.message).split())
        if "converg" in text.lower() or "separation" in text.lower():
            msgs.append(f"{what} fit: {text}")
    return out, msgs


def _check_design(d: pd.DataFrame, covariates, strata, fn: str) -> None:
    """Refuse collinear covariates, naming them (a singular information matrix otherwise)."""
    groups = d.groupby(list(strata), observed=True).ngroup().to_numpy() if strata else None
    sets = collinear_columns(d[covariates].to_numpy(float), covariates, groups=groups)
    if sets:
        within = " within strata" if strata else ""
        desc = "; ".join(" and ".join(map(repr, s)) if len(s) > 1 else f"{s[0]!r} (constant{within})"
                         for s in sets)
        raise InputError(f"{fn}(): covariates are collinear{within}: {desc}. One is an exact linear "
                         "combination of the others (and of the baseline hazard, which absorbs any constant), so "
                         "their hazard ratios are not identified; drop one of each set (e.g. one dummy per "
                         "categorical variable)")


def _flag_fit(result: Result, d: pd.DataFrame, covariates, strata, entry, msgs, what: str) -> None:
    """Flag separation (naming the column) and lifelines' convergence messages on ``result``."""
    st = d.groupby(list(strata), observed=True).ngroup().to_numpy() if strata else None
    sep = separating_columns(d[result.duration].to_numpy(float), d[result.event].to_numpy(int),
                             d[covariates].to_numpy(float), covariates, strata=st,
                             entry=None if entry is None else d[entry].to_numpy(float))
    for col, direction in sep:
        result._flag(f"{what}: perfect separation on {col!r}: every churn happens to a customer with the "
                     f"{direction} {col} among those still at risk (for a 0/1 column: no customer at the "
                     f"{'lower' if direction == 'highest' else 'higher'} level churns), so its coefficient runs off to "
                     f"{'+' if (direction == 'highest') == (what.startswith('Cox')) else '-'}infinity and its "
                     "estimate, standard error and interval are meaningless; drop or recode the column, "
                     "or pool its rare levels", ImproperSolutionWarning, admissible=False)
    est = result._table.iloc[:, 0].to_numpy(float)
    se = result._table["se"].to_numpy(float)
    if not sep and not (np.all(np.isfinite(est)) and np.all(np.isfinite(se))):
        result._flag(f"{what}: some estimates or standard errors are not finite; the fit is not identified",
                     ImproperSolutionWarning, admissible=False)
    if not sep:
        for m in msgs:
            result._flag(m, ConvergenceWarning, converged=False)


def cox(data: pd.DataFrame, duration: str, event: str, covariates, *, strata=None, entry: str | None = None,
        level: float = 0.95, penalizer: float = 0.0) -> CoxResult:
    """Cox proportional-hazards model of churn.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn indicator (1 churned, 0 still active) columns.
    covariates : list of str
        Numeric columns (dummy-code categories first, leaving one level out).  ``params`` is
        indexed by these names.  Collinear covariates are refused, naming them.
    strata : str or list of str, optional
        Columns whose levels get their own baseline hazard (no coefficient).
    entry : str, optional
        Left-truncation column (tenure at which the customer entered observation).
    level : float
        Confidence level of the hazard-ratio intervals.
    penalizer : float
        Ridge penalty (0: plain partial likelihood, as R's coxph).

    Returns
    -------
    CoxResult
        Flagged (``admissible=False``, with a warning naming the column) under perfect
        separation; ``converged=False`` when lifelines reports a convergence problem.

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187-220.
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. JASA 72, 557-565.
    Grambsch, P. M., & Therneau, T. M. (1994). Proportional hazards tests and diagnostics based on
    weighted residuals. Biometrika 81(3), 515-526.
    """
    from lifelines import CoxPHFitter

    level = check_level(level)
    if isinstance(penalizer, bool) or not isinstance(penalizer, (int, float)) or not penalizer >= 0:
        raise InputError(f"penalizer must be a number >= 0, got {penalizer!r}")
    covariates, strata = as_list(covariates), as_list(strata)
    if not covariates:
        raise InputError("cox() needs at least one covariate")
    d = survival_frame(data, duration, event, covariates=covariates, strata=strata, entry=entry, fn="cox")
    check_event_count(d, event)
    _check_design(d, covariates, strata, "cox")
    d = d.reset_index(drop=True)  # lifelines aligns on the index; a caller's duplicated index must not matter
    fitter = CoxPHFitter(penalizer=penalizer, alpha=1 - level)
    kw = {"duration_col": duration, "event_col": event, "strata": strata or None}
    if entry is not None:
        kw["entry_col"] = entry
    fitter, msgs = _fit_lifelines(lambda: fitter.fit(d, **kw), "Cox")
    s = fitter.summary.reindex(covariates)
    table = _tidy(covariates, s["coef"].to_numpy(), s["se(coef)"].to_numpy(), level)
    prov = make_provenance("churn.cox", d, {"duration": duration, "event": event, "covariates": covariates,
                                            "strata": strata, "entry": entry, "level": level,
                                            "penalizer": penalizer, "ties": "efron"})
    res = CoxResult(fitter, table, d, duration, event, covariates, strata, level, prov, entry=entry,
                    penalizer=penalizer)
    _flag_fit(res, d, covariates, strata, entry, msgs, "Cox")
    return res


def cox_time_varying(data: pd.DataFrame, customer: str, start: str, stop: str, event: str, covariates, *,
                     level: float = 0.95) -> CoxResult:
    """Cox model with time-varying covariates on start-stop rows (see
    :func:`cxmodels.churn.to_long_format`), e.g. satisfaction measured during tenure.
    Engine: lifelines' ``CoxTimeVaryingFitter`` (Efron ties).

    Parameters
    ----------
    data : DataFrame
        One row per customer and interval ``(start, stop]``; not modified.
    customer, start, stop, event : str
        Customer id, interval start and stop (tenure) and churn at ``stop`` (1) or not (0).
    covariates : list of str
        Covariate values holding over each interval.
    """
    from lifelines import CoxTimeVaryingFitter

    level = check_level(level)
    covariates = as_list(covariates)
    if not covariates:
        raise InputError("cox_time_varying() needs at least one covariate")
    d = survival_frame(data, stop, event, covariates=covariates, group=[customer, start], fn="cox_time_varying")
    require_numeric(d, [start])
    bad = d.index[~(d[start].to_numpy(float) < d[stop].to_numpy(float)) | (d[start].to_numpy(float) < 0)]
    if len(bad):
        raise InputError(f"columns {start!r}/{stop!r}: {len(bad)} rows whose interval does not have "
                         "0 <= start < stop")
    check_event_count(d, event)
    _check_design(d, covariates, [], "cox_time_varying")
    d = d.reset_index(drop=True)
    fitter = CoxTimeVaryingFitter(alpha=1 - level)
    fitter, msgs = _fit_lifelines(lambda: fitter.fit(d, id_col=customer, event_col=event, start_col=start,
                                                      stop_col=stop), "Cox (time-varying)")
    s = fitter.summary.reindex(covariates)
    table = _tidy(covariates, s["coef"].to_numpy(), s["se(coef)"].to_numpy(), level)
    prov = make_provenance("churn.cox_time_varying", d, {"customer": customer, "start": start, "stop": stop,
                                                         "event": event, "covariates": covariates,
                                                         "level": level, "ties": "efron"})
    res = CoxResult(fitter, table, d, stop, event, covariates, [], level, prov, time_varying=True,
                    customer=customer, start=start)
    for m in msgs:
        res._flag(m, ConvergenceWarning, converged=False)
    return res
