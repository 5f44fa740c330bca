"""Parametric accelerated-failure-time (AFT) models of churn: Weibull, log-normal and
log-logistic.

    log T_i = x_i' beta + sigma * eps_i,

with eps extreme-value (Weibull), normal (log-normal) or logistic (log-logistic).
exp(beta_j) is the *time ratio*: one unit of covariate j multiplies expected tenure by
exp(beta_j).  Parameters follow R's ``survreg`` (intercept ``(Intercept)``, coefficients,
``Log(scale)`` = log sigma), so numbers can be compared one to one; lifelines' AFT fitters
are the engines (lifelines' Weibull rho = 1/sigma, log-logistic beta = 1/sigma).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from .._stats import wald
from .._validation import check_level, require_columns, require_finite, require_frame, require_no_missing, \
    require_numeric
from ..errors import InputError
from ..provenance import make_provenance
from . import _rscript as R
from .checks import as_list, check_event_count, survival_frame
from .cox import _check_design, _fit_lifelines, _flag_fit
from .references import DAVIDSON_PILON, KALBFLEISCH_PRENTICE, THERNEAU_SURVIVAL

_DISTS = {
    # name: (lifelines class, location param, scale param, sign of log sigma vs lifelines intercept)
    "weibull": ("WeibullAFTFitter", "lambda_", "rho_", -1.0),
    "lognormal": ("LogNormalAFTFitter", "mu_", "sigma_", 1.0),
    "loglogistic": ("LogLogisticAFTFitter", "alpha_", "beta_", -1.0),
}
_NAMES = {"weibull": "Weibull", "lognormal": "log-normal", "loglogistic": "log-logistic"}


class AFTResult(Result):
    """A fitted AFT model. ``summary()``: one row per term (``(Intercept)``, covariates,
    ``Log(scale)``) with est, se, z, pvalue, ci_lower, ci_upper and time_ratio.

    ``admissible`` is False (with a warning naming the column) under perfect separation,
    where a time ratio runs off to 0 or infinity."""

    _references = (KALBFLEISCH_PRENTICE, DAVIDSON_PILON, THERNEAU_SURVIVAL)

    def __init__(self, fitter, table, dist, data, duration, event, covariates, level, provenance):
        self._fitter, self._table, self.dist = fitter, table, dist
        self.duration, self.event, self.covariates, self.level = duration, event, covariates, level
        self.nobs, self.nevents = len(data), int(data[event].sum())
        self._provenance, self._warnings = provenance, []

    @property
    def scale(self) -> float:
        return float(np.exp(self._table.loc["Log(scale)", "est"]))

    @property
    def time_ratios(self) -> pd.Series:
        return self._table.loc[self.covariates, "time_ratio"].copy()

    @property
    def log_likelihood(self) -> float:
        return float(self._fitter.log_likelihood_)

    @property
    def aic(self) -> float:
        return float(self._fitter.AIC_)

    def median_tenure(self, data: pd.DataFrame) -> pd.Series:
        """Predicted median tenure of each customer in ``data``."""
        require_frame(data)
        require_columns(data, self.covariates)
        require_numeric(data, self.covariates)
        require_no_missing(data, self.covariates)
        require_finite(data, self.covariates)
        return self._fitter.predict_median(data[self.covariates])

    def plot(self, ax=None):
        """Time ratios with intervals (log scale); returns the Axes."""
        t = self._table.loc[self.covariates]
        ax = plotting.axes(ax, figsize=(6, 0.8 + 0.5 * len(t)))
        y = np.arange(len(t))[::-1]
        tr = np.exp(t["est"].to_numpy(float))
        lo, hi = np.exp(t["ci_lower"].to_numpy(float)), np.exp(t["ci_upper"].to_numpy(float))
        ax.errorbar(tr, y, xerr=[tr - lo, hi - tr], fmt="o", capsize=3, color=plotting.color(0))
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(y, t.index)
        ax.set_xlabel(f"time ratio ({_NAMES[self.dist]} AFT, {self.level:.0%} CI)")
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits this model with ``survival::survreg`` (same
        ``dist``) on the CSV at ``data_path`` and prints the estimates (``(Intercept)``,
        covariates, ``Log(scale)``), standard errors and log-likelihood, the cxmodels numbers
        in comments at the top."""
        exp = pd.DataFrame({"term": list(self._table.index) + ["loglik"],
                            "est": list(self._table["est"]) + [self.log_likelihood],
                            "se": list(self._table["se"]) + [np.nan]})
        rhs = " + ".join(R.q(c) for c in self.covariates) or "1"
        names = list(self._table.index) + ["loglik"]
        lines = [R.header("churn.aft", data_path, exp, self._provenance),
                 f"fit <- survreg({R.surv(self.duration, self.event)} ~ {rhs}, data = d, dist = {R.s(self.dist)})",
                 "print(summary(fit))",
                 R.footer(f"data.frame(term = {R.vec(names)}, est = c(unname(coef(fit)), log(fit$scale), "
                          "fit$loglik[2]), se = c(unname(sqrt(diag(vcov(fit)))), NA))")]
        return "\n".join(lines)

    def methods_text(self) -> str:
        return (f"Tenure was modelled with a {_NAMES[self.dist]} accelerated-failure-time regression "
                f"({KALBFLEISCH_PRENTICE.cite}) on {self.nobs} customers with {self.nevents} churns, by maximum "
                f"likelihood with lifelines ({DAVIDSON_PILON.cite}); exponentiated coefficients are time ratios. "
                f"Parameterisation and estimates match R's survreg ({THERNEAU_SURVIVAL.cite}).")


def aft(data: pd.DataFrame, duration: str, event: str, covariates, *, dist: str = "weibull",
        level: float = 0.95) -> AFTResult:
    """Accelerated-failure-time model of tenure.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn (1 churned, 0 still active) columns.
    covariates : list of str
        Numeric columns; collinear ones are refused, naming them.
    dist : {"weibull", "lognormal", "loglogistic"}
    level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    AFTResult with terms named as R's survreg: ``(Intercept)``, the covariates, ``Log(scale)``.
    Under perfect separation (e.g. a dummy whose one level has no churn) it is flagged
    ``admissible=False`` with a warning naming the column.

    References
    ----------
    Kalbfleisch, J. D., & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
    Data* (2nd ed.). Wiley, ch. 2-3.
    """
    import lifelines

    if dist not in _DISTS:
        raise InputError(f"dist must be one of {sorted(_DISTS)}, got {dist!r}")
    level = check_level(level)
    covariates = as_list(covariates)
    d = survival_frame(data, duration, event, covariates=covariates, fn="aft")
    check_event_count(d, event)
    _check_design(d, covariates, [], "aft")
    d = d.reset_index(drop=True)
    cls_name, loc, scl, sign = _DISTS[dist]

    def _fit():
        # lifelines' default SLSQP stops ~1e-4 short of the optimum on some data; BFGS with a
        # tight gradient tolerance reaches R's survreg to 1e-6, with SLSQP as the fallback.
        f = getattr(lifelines, cls_name)(alpha=1 - level)
        f._scipy_fit_method = "BFGS"
        try:
            return f.fit(d, duration, event, fit_options={"gtol": 1e-6})
        except Exception:  # noqa: BLE001 - fall back to lifelines' default optimiser
            return getattr(lifelines, cls_name)(alpha=1 - level).fit(d, duration, event)

    fitter, msgs = _fit_lifelines(_fit, f"{_NAMES[dist]} AFT")
    s = fitter.summary
    est = [s.loc[(loc, "Intercept"), "coef"]] + [s.loc[(loc, c), "coef"] for c in covariates] \
        + [sign * s.loc[(scl, "Intercept"), "coef"]]
    se = [s.loc[(loc, "Intercept"), "se(coef)"]] + [s.loc[(loc, c), "se(coef)"] for c in covariates] \
        + [s.loc[(scl, "Intercept"), "se(coef)"]]
    w = wald(est, se, level)
    names = ["(Intercept)"] + covariates + ["Log(scale)"]
    table = pd.DataFrame({"est": est, "se": se, **w}, index=pd.Index(names, name="term"))
    with np.errstate(over="ignore"):  # a diverging (flagged) coefficient gives an infinite ratio
        table["time_ratio"] = np.where(table.index.isin(covariates), np.exp(table["est"]), np.nan)
    prov = make_provenance("churn.aft", d, {"duration": duration, "event": event, "covariates": covariates,
                                            "dist": dist, "level": level})
    res = AFTResult(fitter, table, dist, d, duration, event, covariates, level, prov)
    _flag_fit(res, d, covariates, [], None, msgs, f"{_NAMES[dist]} AFT")
    return res
