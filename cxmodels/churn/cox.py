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

from .._results import Result
from .._stats import wald
from ..errors import ConvergenceWarning, InputError
from ..provenance import make_provenance
from ._checks import _as_list, check_event_count, survival_frame


def _tidy(names, coef, se, level):
    w = wald(coef, se, level)
    t = pd.DataFrame({"coef": coef, "se": se, "z": w["z"], "pvalue": w["pvalue"],
                      "ci_lower": w["ci_lower"], "ci_upper": w["ci_upper"]},
                     index=pd.Index(names, name="covariate"))
    t["hazard_ratio"] = np.exp(t["coef"])
    t["hr_lower"] = np.exp(t["ci_lower"])
    t["hr_upper"] = np.exp(t["ci_upper"])
    return t


class CoxResult(Result):
    """A fitted Cox model.

    ``summary()``: one row per covariate (coef, se, z, pvalue, ci_lower, ci_upper,
    hazard_ratio, hr_lower, hr_upper); ``params``: coefficients (log hazard ratios) named by
    covariate; ``hazard_ratios``; ``concordance``; ``check_proportional_hazards()``.
    """

    def __init__(self, fitter, table, data, duration, event, covariates, strata, level, provenance, warns,
                 time_varying=False):
        self._fitter = fitter
        self._table = table
        self._data = data
        self._provenance = provenance
        self._warnings = warns
        self.duration, self.event, self.covariates, self.strata = duration, event, covariates, strata
        self.level = level
        self.time_varying = time_varying
        self.nobs = len(data)
        self.nevents = int(data[event].sum())
        self.converged = not warns

    @property
    def params(self) -> pd.Series:
        """Log hazard ratios, indexed by covariate."""
        return self._table["coef"].copy()

    @property
    def hazard_ratios(self) -> pd.Series:
        return self._table["hazard_ratio"].copy()

    @property
    def standard_errors(self) -> pd.Series:
        return self._table["se"].copy()

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

    def check_proportional_hazards(self, alpha: float = 0.05, transform: str = "km") -> pd.DataFrame:
        """Test each covariate's hazard ratio for drift with tenure (scaled Schoenfeld residuals).

        Returns a table (covariate, statistic, pvalue, verdict) where verdict is a sentence a
        report can quote.  Uses lifelines' ``proportional_hazard_test`` (the Grambsch-Therneau
        1994 approximate score test).  R's ``cox.zph`` since survival 3.0 uses the exact score
        test, so p-values differ in the second decimal; the verdicts agree on the lung data.
        """
        if self.time_varying:
            raise InputError("the Schoenfeld-residual check is available for fixed-covariate fits only")
        from lifelines.statistics import proportional_hazard_test

        res = proportional_hazard_test(self._fitter, self._fitter_data(), time_transform=transform)
        tab = res.summary[["test_statistic", "p"]].rename(columns={"test_statistic": "statistic", "p": "pvalue"})
        tab = tab.reindex(self.covariates)
        tab.index.name = "covariate"
        verdicts = []
        for cov, row in tab.iterrows():
            if row["pvalue"] < alpha:
                verdicts.append(f"The effect of {cov} on churn changes with tenure (p = {row['pvalue']:.3f}): "
                                "its hazard ratio is an average over tenure; consider stratifying by it or "
                                "letting its effect vary with time.")
            else:
                verdicts.append(f"No evidence that the effect of {cov} on churn changes with tenure "
                                f"(p = {row['pvalue']:.3f}); proportional hazards is tenable.")
        tab["verdict"] = verdicts
        return tab

    def ph_verdict(self, alpha: float = 0.05) -> str:
        """One paragraph summarising :meth:`check_proportional_hazards`."""
        tab = self.check_proportional_hazards(alpha)
        bad = tab.index[tab["pvalue"] < alpha].tolist()
        if not bad:
            return ("Proportional hazards: no covariate's effect drifts with tenure at the "
                    f"{alpha:g} level (scaled Schoenfeld residuals, Grambsch & Therneau 1994).")
        return (f"Proportional hazards is doubtful for {', '.join(bad)} (p < {alpha:g}, scaled Schoenfeld "
                "residuals); their hazard ratios average a changing effect. Consider strata or time interactions.")

    def _fitter_data(self) -> pd.DataFrame:
        return self._data

    def predict_survival(self, df: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities of the customers in ``df`` at ``times`` (rows: times)."""
        return self._fitter.predict_survival_function(df, times=np.atleast_1d(times))

    def plot(self, ax=None):
        """Forest plot of hazard ratios with intervals (log scale)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.5 + 0.5 * len(self._table)))
        t = self._table
        y = np.arange(len(t))[::-1]
        hr, lo, hi = (t[c].to_numpy(float) for c in ("hazard_ratio", "hr_lower", "hr_upper"))
        ax.errorbar(hr, y, xerr=[hr - lo, hi - hr],
                    fmt="o", capsize=3)
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(y, t.index)
        ax.set_xlabel(f"hazard ratio of churn ({int(self.level * 100)}% CI)")
        return ax

    def methods_text(self) -> str:
        ties = "Efron's (1977) method for tied churn times"
        strata = f", stratified by {', '.join(self.strata)}" if self.strata else ""
        tv = " with time-varying covariates in start-stop format" if self.time_varying else ""
        c = "" if self.time_varying else f" Concordance (Harrell's C) was {self.concordance:.3f}."
        return (f"Churn hazards were modelled with a Cox proportional-hazards regression (Cox, 1972){tv}{strata}, "
                f"using {ties}, on {self.nobs} rows with {self.nevents} churns; covariates: "
                f"{', '.join(self.covariates)}. Hazard ratios are reported with {int(self.level * 100)}% Wald "
                f"intervals.{c} The proportional-hazards assumption was checked with scaled Schoenfeld residuals "
                "(Grambsch & Therneau, 1994). Estimates were computed with lifelines (Davidson-Pilon, 2019) "
                "through cxmodels, which is tested against R's survival package (Therneau & Grambsch, 2000). "
                "References: Cox, D. R. (1972). Regression models and life-tables. Journal of the Royal "
                "Statistical Society B, 34(2), 187-220. Efron, B. (1977). The efficiency of Cox's likelihood "
                "function for censored data. Journal of the American Statistical Association, 72(359), 557-565. "
                "Grambsch, P. M., & Therneau, T. M. (1994). Proportional hazards tests and diagnostics based on "
                "weighted residuals. Biometrika, 81(3), 515-526. Therneau, T. M., & Grambsch, P. M. (2000). "
                "Modeling Survival Data: Extending the Cox Model. Springer. Davidson-Pilon, C. (2019). "
                "lifelines: survival analysis in Python. Journal of Open Source Software, 4(40), 1317.")


def _fit_with_warnings(fit):
    with _warnings.catch_warnings(record=True) as rec:
        _warnings.simplefilter("always")
        out = fit()
    msgs = [str(w.message) for w in rec if "converg" in str(w.message).lower()]
    for m in msgs:
        _warnings.warn(f"Cox fit: {m}", ConvergenceWarning, stacklevel=3)
    return out, msgs


def cox(df: pd.DataFrame, duration: str, event: str, covariates, *, strata=None, entry: str | None = None,
        level: float = 0.95, penalizer: float = 0.0) -> CoxResult:
    """Cox proportional-hazards model of churn.

    Parameters
    ----------
    df : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn indicator (1 churned, 0 still active).
    covariates : list of str
        Numeric columns (dummy-code categories first).  ``params`` is indexed by these names.
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

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187-220.
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. JASA 72, 557-565.
    Grambsch, P. M., & Therneau, T. M. (1994). Proportional hazards tests and diagnostics based on
    weighted residuals. Biometrika 81(3), 515-526.
    """
    from lifelines import CoxPHFitter

    covariates, strata = _as_list(covariates), _as_list(strata)
    if not covariates:
        raise InputError("cox() needs at least one covariate")
    d = survival_frame(df, duration, event, covariates=covariates, strata=strata, entry=entry)
    check_event_count(d, event)
    for c in covariates:
        d[c] = d[c].astype(float)
    fitter = CoxPHFitter(penalizer=penalizer, alpha=1 - level)
    kw = {"duration_col": duration, "event_col": event, "strata": strata or None}
    if entry is not None:
        kw["entry_col"] = entry
    fitter, msgs = _fit_with_warnings(lambda: fitter.fit(d, **kw))
    s = fitter.summary.reindex(covariates)
    table = _tidy(covariates, s["coef"].to_numpy(), s["se(coef)"].to_numpy(), level)
    prov = make_provenance("churn.cox", d, {"duration": duration, "event": event, "covariates": covariates,
                                            "strata": strata, "entry": entry, "level": level,
                                            "penalizer": penalizer, "ties": "efron"})
    return CoxResult(fitter, table, d, duration, event, covariates, strata, level, prov, msgs)


def cox_time_varying(df: pd.DataFrame, id_col: str, start: str, stop: str, event: str, covariates, *,
                     level: float = 0.95) -> CoxResult:
    """Cox model with time-varying covariates on start-stop rows (see
    :func:`cxmodels.churn.to_long_format`), e.g. satisfaction measured during tenure.
    Engine: lifelines' ``CoxTimeVaryingFitter`` (Efron ties)."""
    from lifelines import CoxTimeVaryingFitter

    covariates = _as_list(covariates)
    d = survival_frame(df, stop, event, covariates=covariates, by=[id_col, start])
    bad = d.index[d[start].to_numpy(float) >= d[stop].to_numpy(float)]
    if len(bad):
        raise InputError(f"columns {start!r}/{stop!r}: {len(bad)} rows whose interval does not have start < stop")
    fitter = CoxTimeVaryingFitter(alpha=1 - level)
    fitter, msgs = _fit_with_warnings(lambda: fitter.fit(d, id_col=id_col, event_col=event, start_col=start,
                                                          stop_col=stop))
    s = fitter.summary.reindex(covariates)
    table = _tidy(covariates, s["coef"].to_numpy(), s["se(coef)"].to_numpy(), level)
    prov = make_provenance("churn.cox_time_varying", d, {"id": id_col, "start": start, "stop": stop,
                                                         "event": event, "covariates": covariates})
    return CoxResult(fitter, table, d, stop, event, covariates, [], level, prov, msgs, time_varying=True)
