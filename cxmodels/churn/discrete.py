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

import warnings as _warnings

import numpy as np
import pandas as pd

from .._results import Result
from .._stats import wald
from .._validation import _rows_text, require_columns, require_frame
from ..errors import ConvergenceWarning, InputError
from ..provenance import make_provenance
from ._checks import _as_list, check_covariates, check_event


def to_person_period(df: pd.DataFrame, periods: str, event: str, *, id_col: str | None = None,
                     keep=None) -> pd.DataFrame:
    """Expand one row per customer (``periods`` = number of periods at risk, an integer >= 1;
    ``event`` = churned at the end of the last one) to one row per customer-period.

    Returns columns ``id`` (or ``id_col``), ``period`` (1..periods), ``churn`` and the ``keep`` columns.
    """
    df = require_frame(df)
    keep = _as_list(keep)
    require_columns(df, [periods, event] + keep + ([id_col] if id_col else []))
    check_event(df, event)
    k = df[periods].to_numpy()
    bad = df.index[~np.isfinite(k.astype(float)) | (k < 1) | (np.mod(k, 1) != 0)]
    if len(bad):
        raise InputError(f"column {periods!r} has {len(bad)} rows that are not whole numbers >= 1 ({_rows_text(bad)})")
    k = k.astype(int)
    rep = np.repeat(np.arange(len(df)), k)
    period = np.concatenate([np.arange(1, n + 1) for n in k])
    last = period == np.repeat(k, k)
    ids = df[id_col].to_numpy()[rep] if id_col else df.index.to_numpy()[rep]
    out = pd.DataFrame({id_col or "id": ids, "period": period,
                        "churn": (last & (np.repeat(df[event].astype(int).to_numpy(), k) == 1)).astype(int)})
    for c in keep:
        out[c] = df[c].to_numpy()[rep]
    return out


class DiscreteHazardResult(Result):
    """``summary()``: rows ``period[k]`` (baseline cloglog hazards) and covariates with est, se,
    z, pvalue, CI and hazard_ratio; ``params`` by term; ``.hazard(df)`` per-row hazards."""

    def __init__(self, table, cov, loglik, nrows, max_period, covariates, provenance, warns, level):
        self._table, self.cov_params, self.log_likelihood = table, cov, loglik
        self.nrows, self.max_period, self.covariates = nrows, max_period, covariates
        self._provenance, self._warnings, self.level = provenance, warns, level

    def baseline_hazard(self) -> pd.Series:
        b = self._table.loc[[f"period[{k}]" for k in range(1, self.max_period + 1)], "est"]
        return pd.Series(1 - np.exp(-np.exp(b.to_numpy())), index=range(1, self.max_period + 1), name="hazard")

    def hazard(self, df: pd.DataFrame, period: str = "period") -> np.ndarray:
        k = np.minimum(df[period].to_numpy(int), self.max_period)
        eta = self._table["est"].to_numpy()[k - 1] + df[self.covariates].to_numpy(float) @ \
            self._table.loc[self.covariates, "est"].to_numpy()
        return 1 - np.exp(-np.exp(eta))

    def methods_text(self) -> str:
        return (f"Churn at renewal was modelled with a discrete-time proportional-hazards model (complementary "
                f"log-log link; Prentice & Gloeckler, 1978; Allison, 1982) on {self.nrows} customer-periods, with "
                f"one baseline term per period (periods {self.max_period} and later pooled) and covariates "
                f"{', '.join(self.covariates)}; exponentiated coefficients are hazard ratios.")


def discrete_time_hazard(pp: pd.DataFrame, period: str, event: str, covariates, *, max_period: int | None = None,
                         level: float = 0.95, max_iter: int = 50, tol: float = 1e-10) -> DiscreteHazardResult:
    """Complementary log-log discrete-time hazard model on person-period rows.

    Parameters
    ----------
    pp : DataFrame
        Person-period rows (see :func:`to_person_period`); not modified.
    period : str
        Period number (1, 2, ...).  Periods >= ``max_period`` share one baseline term.
    event : str
        1 if the customer churned in that period.
    covariates : list of str
    """
    pp = require_frame(pp)
    covariates = _as_list(covariates)
    require_columns(pp, [period, event] + covariates)
    check_event(pp, event)
    check_covariates(pp, covariates)
    k = pp[period].to_numpy()
    bad = pp.index[(k < 1) | (np.mod(k, 1) != 0)]
    if len(bad):
        raise InputError(f"column {period!r} has {len(bad)} rows that are not whole numbers >= 1 ({_rows_text(bad)})")
    kmax = int(max_period or k.max())
    kk = np.minimum(k.astype(int), kmax)
    D = np.zeros((len(pp), kmax))
    D[np.arange(len(pp)), kk - 1] = 1.0
    X = np.column_stack([D, pp[covariates].to_numpy(float)])
    y = pp[event].to_numpy(float)
    warns = []
    for j in range(kmax):
        if y[kk == j + 1].sum() == 0:
            msg = (f"no churns in period {j + 1} ({int((kk == j + 1).sum())} rows at risk): its baseline term "
                   "diverges; pool late periods with max_period")
            _warnings.warn(msg, ConvergenceWarning, stacklevel=2)
            warns.append(msg)
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
        step = np.linalg.solve(info, score)
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
        msg = f"discrete-time hazard fit did not converge in {max_iter} iterations"
        _warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        warns.append(msg)
    eta = np.clip(X @ beta, -30, 30)
    mu = -np.expm1(-np.exp(eta))
    dmu = np.exp(eta - np.exp(eta))
    w = dmu ** 2 / np.clip(mu * (1 - mu), 1e-300, None)
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    se = np.sqrt(np.diag(cov))
    names = [f"period[{j}]" for j in range(1, kmax + 1)] + covariates
    table = pd.DataFrame({"est": beta, "se": se, **wald(beta, se, level)}, index=pd.Index(names, name="term"))
    table["hazard_ratio"] = np.where(table.index.isin(covariates), np.exp(table["est"]), np.nan)
    prov = make_provenance("churn.discrete_time_hazard", pp[[period, event] + covariates],
                           {"period": period, "event": event, "covariates": covariates, "max_period": kmax,
                            "link": "cloglog"})
    return DiscreteHazardResult(table, pd.DataFrame(cov, index=names, columns=names), ll, len(pp), kmax,
                                covariates, prov, warns, level)
