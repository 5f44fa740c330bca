"""Discrete-time hazard model of churn for renewal-period data (complementary log-log).

When churn can only happen at renewals (monthly plans, annual contracts), tenure is a count
of periods.  The hazard of churning in period k, given active at its start, is modelled as

    h_ik = 1 - exp(-exp(alpha_k + x_ik' beta)),

a binomial GLM with the complementary log-log link on person-period rows (one row per
customer per period at risk; Allison 1982; Singer & Willett 2003, ch. 11-12).  It is the
grouped-time version of the Cox model: beta is a log hazard ratio of the underlying
continuous-time proportional-hazards model (Prentice & Gloeckler 1978).  Fitted by
Newton-Raphson (IRLS) in numpy; equal to R's ``glm(family = binomial("cloglog"))``.

References
----------
Prentice, R. L., & Gloeckler, L. A. (1978). Regression analysis of grouped survival data
with application to breast cancer data. Biometrics 34, 57-67.
Allison, P. D. (1982). Discrete-time methods for the analysis of event histories.
Sociological Methodology 13, 61-98.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from .._stats import wald
from .._validation import check_level, require_columns, require_frame, require_no_missing, require_numeric, rows_text
from ..errors import ConvergenceWarning, EstimationError, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from .checks import as_list, check_covariates, check_event, collinear_columns
from .references import ALLISON, PRENTICE_GLOECKLER


def _whole_periods(data: pd.DataFrame, column: str) -> np.ndarray:
    require_numeric(data, [column])
    require_no_missing(data, [column])
    k = data[column].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN: those rows are reported below
        bad = data.index[~np.isfinite(k) | (k < 1) | (np.mod(k, 1) != 0)]
    if len(bad):
        raise InputError(f"column {column!r} has {len(bad)} rows that are not whole numbers >= 1 ({rows_text(bad)})")
    return k


def _unique_names(data: pd.DataFrame, cols) -> None:
    dup = sorted({c for c in cols if int((data.columns == c).sum()) > 1}, key=str)
    if dup:
        raise InputError(f"data has more than one column named {dup}; rename them so each name is unique")
    twice = sorted({c for c in cols if list(cols).count(c) > 1}, key=str)
    if twice:
        raise InputError(f"column(s) {twice} are named in more than one role")


def to_person_period(data: pd.DataFrame, periods: str, event: str, *, customer: str | None = None,
                     keep=None) -> pd.DataFrame:
    """Expand one row per customer (``periods`` = number of periods at risk, an integer >= 1;
    ``event`` = churned at the end of the last one) to one row per customer-period.

    Returns columns ``customer`` (the named column, or ``"customer"`` holding the row index),
    ``period`` (1..periods), ``churn`` and the ``keep`` columns.
    """
    data = require_frame(data)
    keep = as_list(keep)
    cols = [periods, event] + keep + ([customer] if customer else [])
    require_columns(data, cols)
    _unique_names(data, cols)
    check_event(data, event)
    k = _whole_periods(data, periods)
    k = k.astype(int)
    rep = np.repeat(np.arange(len(data)), k)
    period = np.concatenate([np.arange(1, n + 1) for n in k])
    last = period == np.repeat(k, k)
    ids = data[customer].to_numpy()[rep] if customer else data.index.to_numpy()[rep]
    out = pd.DataFrame({customer or "customer": ids, "period": period,
                        "churn": (last & (np.repeat(data[event].astype(int).to_numpy(), k) == 1)).astype(int)})
    for c in keep:
        out[c] = data[c].to_numpy()[rep]
    return out


class DiscreteHazardResult(Result):
    """``summary()``: rows ``period[k]`` (baseline cloglog hazards) and covariates with est, se,
    z, pvalue, CI and hazard_ratio; ``params`` by term; ``.hazard(data)`` per-row hazards."""

    _references = (PRENTICE_GLOECKLER, ALLISON)

    def __init__(self, table, cov, loglik, nrows, max_period, covariates, provenance, level):
        self._table, self.cov_params, self.log_likelihood = table, cov, loglik
        self.nrows, self.max_period, self.covariates = nrows, max_period, covariates
        self._provenance, self._warnings, self.level = provenance, [], level

    def baseline_hazard(self) -> pd.Series:
        b = self._table.loc[[f"period[{k}]" for k in range(1, self.max_period + 1)], "est"]
        return pd.Series(1 - np.exp(-np.exp(b.to_numpy())), index=range(1, self.max_period + 1), name="hazard")

    def hazard(self, data: pd.DataFrame, period: str = "period") -> np.ndarray:
        """Churn probability of each person-period row of ``data`` (periods beyond the pooled
        ``max_period`` share its baseline)."""
        require_frame(data)
        require_columns(data, [period] + self.covariates)
        check_covariates(data, self.covariates) if len(data) > 1 else require_numeric(data, self.covariates)
        k = np.minimum(_whole_periods(data, period).astype(int), self.max_period)
        eta = self._table["est"].to_numpy()[k - 1] + data[self.covariates].to_numpy(float) @ \
            self._table.loc[self.covariates, "est"].to_numpy()
        return 1 - np.exp(-np.exp(eta))

    def plot(self, ax=None):
        """Baseline churn hazard per period (covariates at zero); returns the Axes."""
        ax = plotting.axes(ax)
        h = self.baseline_hazard()
        ax.plot(h.index, h.to_numpy(), "o-", color=plotting.color(0))
        ax.set_xlabel("period")
        ax.set_ylabel("baseline churn hazard")
        return ax

    def methods_text(self) -> str:
        return (f"Churn at renewal was modelled with a discrete-time proportional-hazards model (complementary "
                f"log-log link; {PRENTICE_GLOECKLER.cite}; {ALLISON.cite}) on {self.nrows} customer-periods, with "
                f"one baseline term per period (periods {self.max_period} and later pooled) and covariates "
                f"{', '.join(self.covariates)}; exponentiated coefficients are hazard ratios.")


def discrete_time_hazard(data: pd.DataFrame, period: str = "period", event: str = "churn", covariates=(), *,
                         max_period: int | None = None, level: float = 0.95, max_iter: int = 50,
                         tol: float = 1e-10) -> DiscreteHazardResult:
    """Complementary log-log discrete-time hazard model on person-period rows.

    Parameters
    ----------
    data : DataFrame
        Person-period rows: the output of :func:`to_person_period`, or of
        ``cxmodels._engine.person_period`` (the same expansion run where the data live, e.g. in
        DuckDB or Spark), taken as it is; not modified.
    period : str, default "period"
        Period number (1, 2, ...).  Periods >= ``max_period`` share one baseline term.
    event : str, default "churn"
        1 if the customer churned in that period.  The defaults are the column names both
        person-period builders write, so ``discrete_time_hazard(pp, covariates=[...])`` works.
    covariates : list of str, optional
        Numeric columns; collinear ones (given the period terms) are refused, naming them.
        None or empty: the baseline hazards alone (the life table on the cloglog scale).
    """
    level = check_level(level)
    data = require_frame(data)
    covariates = as_list(covariates)
    cols = [period, event] + covariates
    require_columns(data, cols)
    _unique_names(data, cols)
    check_event(data, event)
    check_covariates(data, covariates)
    k = _whole_periods(data, period)
    if max_period is not None and (isinstance(max_period, bool) or not isinstance(max_period, (int, np.integer))
                                   or max_period < 1):
        raise InputError(f"max_period must be a whole number >= 1, got {max_period!r}")
    kmax = int(max_period or k.max())
    kk = np.minimum(k.astype(int), kmax)
    sets = collinear_columns(data[covariates].to_numpy(float), covariates, groups=kk) if covariates else []
    if sets:
        raise InputError("discrete_time_hazard(): covariates are collinear given the period terms: "
                         + "; ".join(" and ".join(map(repr, c)) for c in sets)
                         + "; drop one of each set")
    D = np.zeros((len(data), kmax))
    D[np.arange(len(data)), kk - 1] = 1.0
    X = np.column_stack([D, data[covariates].to_numpy(float)])
    y = data[event].to_numpy(float)
    msgs = []
    for j in range(kmax):
        if y[kk == j + 1].sum() == 0:
            msgs.append((f"no churns in period {j + 1} ({int((kk == j + 1).sum())} rows at risk): its baseline "
                         "term diverges; pool late periods with max_period", ImproperSolutionWarning))
    beta = np.zeros(X.shape[1])
    beta[:kmax] = np.log(-np.log(1 - np.clip(y.mean(), 1e-6, 1 - 1e-6)))

    def loglik(b):
        eta = np.clip(X @ b, -30, 30)
        logS = -np.exp(eta)  # log(1 - h)
        logh = np.log(-np.expm1(logS))
        return float(np.sum(y * logh + (1 - y) * logS))

    ll = loglik(beta)
    converged = False
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -30, 30)
        mu = -np.expm1(-np.exp(eta))
        dmu = np.exp(eta - np.exp(eta))
        var = np.clip(mu * (1 - mu), 1e-300, None)
        w = dmu ** 2 / var
        score = X.T @ ((y - mu) * dmu / var)
        info = X.T @ (X * w[:, None])
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            raise EstimationError("discrete-time hazard fit: the information matrix became singular; a covariate "
                                  "or period separates churners from the others: pool periods (max_period) or "
                                  "drop the covariate") from None
        t = 1.0
        while True:
            new = beta + t * step
            ll_new = loglik(new)
            if ll_new >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2
        beta, done = new, abs(ll_new - ll) < tol * (abs(ll) + tol)
        ll = ll_new
        if done:
            converged = True
            break
    if not converged:
        msgs.append((f"discrete-time hazard fit did not converge in {max_iter} iterations", ConvergenceWarning))
    eta = np.clip(X @ beta, -30, 30)
    mu = -np.expm1(-np.exp(eta))
    dmu = np.exp(eta - np.exp(eta))
    w = dmu ** 2 / np.clip(mu * (1 - mu), 1e-300, None)
    try:
        cov = np.linalg.inv(X.T @ (X * w[:, None]))
    except np.linalg.LinAlgError:
        cov = np.full((X.shape[1], X.shape[1]), np.nan)
        msgs.append(("discrete-time hazard fit: singular information matrix; standard errors not available",
                     ImproperSolutionWarning))
    se = np.sqrt(np.diag(cov))
    names = [f"period[{j}]" for j in range(1, kmax + 1)] + covariates
    table = pd.DataFrame({"est": beta, "se": se, **wald(beta, se, level)}, index=pd.Index(names, name="term"))
    table["hazard_ratio"] = np.where(table.index.isin(covariates), np.exp(table["est"]), np.nan)
    prov = make_provenance("churn.discrete_time_hazard", data[[period, event] + covariates],
                           {"period": period, "event": event, "covariates": covariates, "max_period": kmax,
                            "link": "cloglog", "level": level})
    res = DiscreteHazardResult(table, pd.DataFrame(cov, index=names, columns=names), ll, len(data), kmax,
                               covariates, prov, level)
    for msg, category in msgs:
        res._flag(msg, category)
    return res
