"""Shifted-beta-geometric (sBG) cohort retention (Fader & Hardie 2007) and the discounted
expected residual lifetime of contractual customers (Fader & Hardie 2010).

Each customer churns at the end of any period with probability theta (a geometric
lifetime); theta varies across customers as Beta(alpha, beta).  Then, for t = 1, 2, ...

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t)     = B(alpha, beta + t) / B(alpha, beta)
    r(t)     = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

(retention rises with tenure through sorting, not because anyone becomes more loyal).
Given the cohort's alive counts n_0, ..., n_T the log-likelihood is

    LL = sum_{t=1}^T (n_{t-1} - n_t) log P(T = t) + n_T log S(T).

The discounted expected residual lifetime of a customer who has made n - 1 renewals,
just before the n-th renewal decision, with discount rate d per period is
(Fader & Hardie 2010, eq. 6)

    DERL(d | alpha, beta, n) = B(alpha, beta + n) / B(alpha, beta + n - 1)
                               * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d)),

so the residual CLV of such a customer paying m per period is m * DERL.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of
Interactive Marketing 21(1), 76-90.
Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .. import plotting
from .._numerics import hessian, hessian_from_gradient, jacobian, safe_inverse
from .._results import Result
from .._validation import check_level
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from .references import FADER_HARDIE_2007, FADER_HARDIE_2010


def _log_s(t, a, b):
    t = np.asarray(t, float)
    return special.betaln(a, b + t) - special.betaln(a, b)


def _log_p(t, a, b):
    t = np.asarray(t, float)
    return special.betaln(a + 1, b + t - 1) - special.betaln(a, b)


def _loglik(logp, lost, alive_last, T):
    a, b = np.exp(logp)
    t = np.arange(1, T + 1)
    return float(np.sum(lost * _log_p(t, a, b)) + alive_last * _log_s(T, a, b))


def _counts(data, alive) -> np.ndarray:
    """The cohort's alive counts n_0, ..., n_T from a sequence or a frame's ``alive`` column."""
    if isinstance(data, pd.DataFrame):
        if alive is None:
            raise InputError("fit_sbg(data=DataFrame) needs alive=, the column of customers still active at the "
                             "start of each period (one row per period, in order)")
        if alive not in data.columns:
            raise InputError(f"data lacks column {alive!r}; it has {list(map(str, data.columns))}")
        if int((data.columns == alive).sum()) > 1:
            raise InputError(f"data has more than one column named {alive!r}; rename them so each name is unique")
        values = data[alive]
    else:
        if alive is not None:
            raise InputError("alive= names a column of a DataFrame; with a sequence of counts leave it out")
        if isinstance(data, (str, bytes, dict)) or data is None:
            raise InputError(f"data must be a sequence of alive counts or a DataFrame, got {type(data).__name__}")
        values = data
    if isinstance(values, pd.Series) and (pd.api.types.is_bool_dtype(values)
                                          or not pd.api.types.is_numeric_dtype(values)):
        raise InputError(f"alive counts must be numbers, got dtype {values.dtype}")
    try:
        n = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError("alive counts must be numbers of customers (n_0, n_1, ...)") from None
    if n.size < 3:
        raise InputError(f"alive counts need at least 3 values (n_0 and two periods), got {n.size}")
    if not np.all(np.isfinite(n)):
        bad = np.nonzero(~np.isfinite(n))[0]
        raise InputError(f"alive counts have {len(bad)} missing or infinite values (periods {bad[:5].tolist()})")
    if np.any(n < 0) or np.any(np.abs(n - np.round(n)) > 1e-9):
        raise InputError("alive counts must be non-negative whole numbers of customers")
    if n[0] <= 0:
        raise InputError("the first alive count (the cohort size) must be positive")
    inc = np.nonzero(np.diff(n) > 0)[0]
    if len(inc):
        raise InputError(f"alive counts must not increase (a cohort only loses customers): "
                         f"{len(inc)} increases, first at period {inc[0] + 1}")
    return n


class SBGResult(Result):
    """A shifted-beta-geometric fit of a contractual cohort's retention (Fader & Hardie 2007).

    ``params`` (alpha, beta) with ``summary()`` (se and intervals by the delta method on
    the log scale), ``alpha``, ``beta``, ``.survival(t)``, ``.retention(t)``,
    ``.churn_probability(t)``, ``.project(horizon)``, ``.derl(d, n)``, ``.del_(d)``.
    """

    _references = (FADER_HARDIE_2007, FADER_HARDIE_2010)

    def __init__(self, alive, logp, cov, loglik, table, level, provenance):
        self.alive_counts = alive
        self.logparams, self.cov_logparams = logp, cov
        self.alpha, self.beta = (float(v) for v in np.exp(logp))
        self.log_likelihood = loglik
        self.level = level
        self._table, self._provenance, self._warnings = table, provenance, []

    # -- quantities ----------------------------------------------------------------------
    def survival(self, t) -> np.ndarray:
        """S(t): share of the cohort still active after t periods (S(0) = 1)."""
        return np.exp(_log_s(_periods(t, 0), self.alpha, self.beta))

    def retention(self, t) -> np.ndarray:
        """r(t) = S(t) / S(t-1): the retention rate of period t (t >= 1)."""
        t = _periods(t, 1)
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def churn_probability(self, t) -> np.ndarray:
        """P(T = t): share of the cohort lost in period t (t >= 1)."""
        return np.exp(_log_p(_periods(t, 1), self.alpha, self.beta))

    def project(self, horizon: int) -> pd.DataFrame:
        """Projected survival and retention for periods 0..horizon, with intervals.

        Columns: period, survival, survival_lower, survival_upper, expected_alive (cohort size
        times survival), observed_alive (NaN beyond the fitted data), retention.  Intervals
        reflect parameter uncertainty only (delta method on the logit of S(t)).
        """
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise InputError(f"horizon must be a whole number of periods >= 1, got {horizon!r}")
        t = np.arange(0, int(horizon) + 1, dtype=float)
        s = self.survival(t)
        grad = jacobian(lambda p: _logit(np.exp(_log_s(t, *np.exp(p)))), self.logparams, 1e-6, relative=False)
        var = np.einsum("ij,jk,ik->i", grad, self.cov_logparams, grad)
        z = stats.norm.ppf(0.5 + self.level / 2)
        lg = _logit(s)
        with np.errstate(invalid="ignore"):
            lo, hi = _expit(lg - z * np.sqrt(var)), _expit(lg + z * np.sqrt(var))
        lo[0] = hi[0] = 1.0
        ret = np.concatenate([[np.nan], self.retention(t[1:])])
        obs = np.full(len(t), np.nan)
        k = min(len(t), len(self.alive_counts))
        obs[:k] = self.alive_counts[:k]
        n0 = self.alive_counts[0]
        return pd.DataFrame({"period": t.astype(int), "survival": s, "survival_lower": lo, "survival_upper": hi,
                             "expected_alive": n0 * s, "observed_alive": obs, "retention": ret})

    def derl(self, discount_rate: float, renewals: int = 1) -> float:
        """Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6), in periods.

        For a customer who has made ``renewals - 1`` renewals, evaluated just before the
        ``renewals``-th renewal decision.  Payments are at the start of each period, so the
        payment at the upcoming renewal (if made) is undiscounted:

            DERL = sum_{t >= n} [S(t) / S(n - 1)] / (1 + d)^(t - n).

        Multiply by the margin per period for the customer's residual CLV.
        """
        d = _rate(discount_rate)
        if isinstance(renewals, bool) or not isinstance(renewals, (int, np.integer)) or renewals < 1:
            raise InputError(f"renewals must be a whole number >= 1, got {renewals!r}")
        a, b, n = self.alpha, self.beta, int(renewals)
        return float(np.exp(special.betaln(a, b + n) - special.betaln(a, b + n - 1))
                     * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + d)))

    def del_(self, discount_rate: float) -> float:
        """Discounted expected lifetime of a just-acquired customer, counting the first payment:
        DEL = 2F1(1, beta; alpha + beta; 1 / (1 + d))  (Fader & Hardie 2010, eq. 5)."""
        d = _rate(discount_rate)
        return float(special.hyp2f1(1.0, self.beta, self.alpha + self.beta, 1.0 / (1.0 + d)))

    def plot(self, ax=None, *, horizon: int | None = None):
        """Observed and projected alive counts with the projection band; returns the Axes."""
        horizon = horizon or 2 * (len(self.alive_counts) - 1)
        p = self.project(horizon)
        ax = plotting.axes(ax)
        n0 = self.alive_counts[0]
        ax.plot(p["period"], p["observed_alive"], "o", color="black", label="observed")
        ax.plot(p["period"], p["expected_alive"], "-", color=plotting.color(0), label="sBG")
        ax.fill_between(p["period"], n0 * p["survival_lower"], n0 * p["survival_upper"],
                        alpha=plotting.BAND_ALPHA, color=plotting.color(0))
        ax.axvline(len(self.alive_counts) - 1, color="grey", ls=":", lw=1)
        ax.set_xlabel("period")
        ax.set_ylabel("customers still active")
        ax.legend()
        return ax

    def methods_text(self) -> str:
        T = len(self.alive_counts) - 1
        return (f"Cohort retention was modelled with the shifted-beta-geometric model ({FADER_HARDIE_2007.cite}), "
                f"fitted by maximum likelihood to {T} periods of a cohort of {int(self.alive_counts[0])} customers "
                f"(alpha = {self.alpha:.3f}, beta = {self.beta:.3f}); projection intervals use the delta "
                f"method on the log parameters. Discounted expected residual lifetimes follow {FADER_HARDIE_2010.cite}.")


def _periods(t, minimum: int) -> np.ndarray:
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"periods must be numbers, got {t!r}") from None
    if np.any(~np.isfinite(t)) or np.any(t < minimum):
        raise InputError(f"periods must be finite and >= {minimum}, got {t!r}")
    return t


def _rate(discount_rate) -> float:
    if isinstance(discount_rate, bool) or not isinstance(discount_rate, (int, float, np.floating)) \
            or not np.isfinite(discount_rate) or discount_rate <= 0:
        raise InputError(f"discount_rate must be a number > 0 (per period), got {discount_rate!r}")
    return float(discount_rate)


def fit_sbg(data, *, alive: str | None = None, level: float = 0.95) -> SBGResult:
    """Fit the shifted-beta-geometric model to one cohort's alive counts.

    Parameters
    ----------
    data : sequence of int, Series or DataFrame
        The cohort's customers still active at the start of each period, n_0 (the cohort
        size), n_1, ..., n_T; or a DataFrame with one row per period (in order) holding them
        in column ``alive``.  Not modified.
    alive : str, optional
        The alive-count column when ``data`` is a DataFrame.
    level : float
        Confidence level of the parameter and projection intervals (delta method on the log
        parameters; the projections on the logit scale of S(t)).

    Returns
    -------
    SBGResult
        Flagged ``admissible=False`` with a warning when the cohort has no churners (or
        loses everyone in the first period): alpha and beta are then not identified.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.
    """
    level = check_level(level)
    n = _counts(data, alive)
    T = len(n) - 1
    lost, alive_last = -np.diff(n), n[-1]

    def f(p):
        return -_loglik(p, lost, alive_last, T)

    best = None
    with np.errstate(all="ignore"):
        for start in ([0.0, 0.0], [np.log(0.5), np.log(2.0)], [np.log(2.0), np.log(5.0)]):
            r = optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-9})
            if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
                best = r
        logp = best.x
        # second differences with step 1e-4 on the log parameters (the step the sBG always used)
        H = hessian(f, logp, h=1e-4)
    cov, pd_ok = safe_inverse(H)
    se_log = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.5 + level / 2)
    est = np.exp(logp)
    table = pd.DataFrame({"est": est, "se": est * se_log,  # delta method
                          "ci_lower": np.exp(logp - z * se_log), "ci_upper": np.exp(logp + z * se_log)},
                         index=pd.Index(["alpha", "beta"], name="param"))
    prov = make_provenance("churn.fit_sbg", pd.DataFrame({"alive": n}), {"level": level, "alive": alive})
    res = SBGResult(n, logp, cov, -float(best.fun), table, level, prov)
    churned = int(n[0] - n[-1])
    if churned == 0:
        res._flag(f"sBG: no churners: all {int(n[0])} customers of the cohort are still active after {T} periods, "
                  "so the churn probability's distribution (alpha, beta) is not identified and every projection "
                  "is an artefact of where the optimizer stopped; wait for churn or use a prior",
                  ImproperSolutionWarning, admissible=False)
    elif n[1] == 0:
        res._flag(f"sBG: every one of the cohort's {int(n[0])} customers churned in the first period, so "
                  "(alpha, beta) are not identified", ImproperSolutionWarning, admissible=False)
    elif est.sum() > 100 and res.log_likelihood - _geometric_loglik(n) < 1e-2:
        # the sBG nests the geometric (constant churn) as alpha + beta -> infinity: an optimum that
        # runs that way and gains nothing over it is on the boundary, with only alpha/(alpha+beta) known
        res._flag(f"sBG: the cohort shows no sign of heterogeneity: the fit is no better than a constant churn "
                  f"rate (log-likelihood gain {res.log_likelihood - _geometric_loglik(n):.2g}) and alpha, beta "
                  f"drift off together (alpha + beta = {est.sum():.3g}); only the mean churn rate "
                  f"alpha / (alpha + beta) = {est[0] / est.sum():.3f} is identified; use a geometric model",
                  ImproperSolutionWarning, admissible=False)
    elif not pd_ok:
        res._flag("sBG: the information matrix is not positive definite at the optimum; standard errors and "
                  "intervals are not available", ImproperSolutionWarning, admissible=False)
    if not best.success and np.linalg.norm(best.jac) > 1e-4 and res.admissible:
        res._flag(f"sBG fit did not converge: {best.message}", ConvergenceWarning, converged=False)
    return res


def _geometric_loglik(n: np.ndarray) -> float:
    """Log-likelihood of a constant churn rate theta at its MLE, lost / periods at risk."""
    lost, exposure = n[0] - n[-1], n[:-1].sum()
    theta = lost / exposure
    return float(lost * np.log(theta) + (exposure - lost) * np.log1p(-theta)) if 0 < theta < 1 else 0.0


def _logit(p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))



# ---- several cohorts at once, alpha and beta depending on cohort covariates -------------------

class SBGCohortsResult(Result):
    """A shifted-beta-geometric fit of several cohorts at once (Fader & Hardie 2007), with
    alpha and beta linked to cohort covariates on the log scale:

        log alpha_c = a_0 + z_c' a,    log beta_c = b_0 + z_c' b.

    ``summary()``: rows ``alpha:intercept``, ``alpha:<covariate>``, ``beta:intercept``,
    ``beta:<covariate>`` with est, se, z, pvalue and Wald intervals (log-link coefficients);
    ``cohort_params()``: each cohort's alpha, beta and mean churn probability with intervals;
    ``.survival(t, cohort)``; ``project(horizon)``; ``plot()`` observed and fitted survival.
    """

    _references = (FADER_HARDIE_2007,)

    def __init__(self, cohorts, counts, Z, covariates, coef, cov, loglik, table, level, group, provenance):
        self.cohorts, self._counts, self._Z, self.covariates = cohorts, counts, Z, covariates
        self.coef, self.cov_params, self.log_likelihood = coef, cov, loglik
        self._table, self.level, self.group = table, level, group
        self._provenance, self._warnings = provenance, []

    def _ab(self):
        k = self._Z.shape[1]
        return np.exp(self._Z @ self.coef[:k]), np.exp(self._Z @ self.coef[k:])

    def cohort_params(self) -> pd.DataFrame:
        """alpha, beta and the mean churn probability alpha / (alpha + beta) of each cohort, with
        intervals (delta method on the linear predictors)."""
        k = self._Z.shape[1]
        z = stats.norm.ppf(0.5 + self.level / 2)
        out = {}
        for name, sl in (("alpha", slice(0, k)), ("beta", slice(k, 2 * k))):
            eta = self._Z @ self.coef[sl]
            se = np.sqrt(np.einsum("ij,jk,ik->i", self._Z, self.cov_params[sl, sl], self._Z))
            out[name], out[f"{name}_lower"], out[f"{name}_upper"] = np.exp(eta), np.exp(eta - z * se), np.exp(eta + z * se)
        a, b = out["alpha"], out["beta"]
        out["mean_churn"] = a / (a + b)
        out["size"] = [c[0] for c in self._counts]
        out["periods"] = [len(c) - 1 for c in self._counts]
        return pd.DataFrame(out, index=pd.Index(self.cohorts, name=self.group))

    def survival(self, t, cohort) -> np.ndarray:
        """S(t) of one cohort (share still active after t periods)."""
        if cohort not in list(self.cohorts):
            raise InputError(f"unknown cohort {cohort!r}; the fit has {list(self.cohorts)[:10]}")
        i = list(self.cohorts).index(cohort)
        a, b = self._ab()
        return np.exp(_log_s(_periods(t, 0), a[i], b[i]))

    def project(self, horizon: int) -> pd.DataFrame:
        """Fitted survival of every cohort for periods 0..horizon, with the observed share where
        the data reach (long format: cohort, period, survival, observed)."""
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise InputError(f"horizon must be a whole number of periods >= 1, got {horizon!r}")
        a, b = self._ab()
        t = np.arange(horizon + 1, dtype=float)
        rows = []
        for i, c in enumerate(self.cohorts):
            n = self._counts[i]
            obs = np.full(len(t), np.nan)
            k = min(len(t), len(n))
            obs[:k] = n[:k] / n[0]
            rows.append(pd.DataFrame({self.group: c, "period": t.astype(int),
                                      "survival": np.exp(_log_s(t, a[i], b[i])), "observed": obs}))
        return pd.concat(rows, ignore_index=True)

    def plot(self, ax=None):
        """Observed (points) and fitted (lines) survival of each cohort; returns the Axes."""
        ax = plotting.axes(ax)
        horizon = max(len(c) for c in self._counts) - 1
        p = self.project(max(horizon, 1))
        for i, c in enumerate(self.cohorts):
            d = p[p[self.group] == c]
            col = plotting.color(i % 8)
            ax.plot(d["period"], d["survival"], "-", color=col, lw=1)
            ax.plot(d["period"], d["observed"], "o", color=col, ms=3, label=str(c) if i < 8 else None)
        ax.set_xlabel("period")
        ax.set_ylabel("share of the cohort still active")
        ax.legend(fontsize="small", title=self.group)
        return ax

    def methods_text(self) -> str:
        cov = (f"with log alpha and log beta linear in the cohort covariates {', '.join(self.covariates)}"
               if self.covariates else "with one alpha and beta shared by all cohorts")
        return (f"Retention of {len(self.cohorts)} cohorts ({int(sum(c[0] for c in self._counts))} customers) was "
                f"modelled jointly with the shifted-beta-geometric model ({FADER_HARDIE_2007.cite}), {cov}, fitted by "
                f"maximum likelihood (log-likelihood {self.log_likelihood:.2f}); {self.level:.0%} Wald intervals from "
                f"the observed information.")


def _cohort_frame(data, group, alive, covariates, period):
    from .._validation import require_frame, require_columns, require_no_missing, require_numeric, rows_text
    from .checks import as_list, require_single_columns

    require_frame(data)
    covariates = as_list(covariates)
    cols = [group, alive] + covariates + ([period] if period else [])
    require_columns(data, cols)
    require_single_columns(data, cols)
    twice = sorted({c for c in cols if cols.count(c) > 1}, key=str)
    if twice:
        raise InputError(f"column(s) {twice} are named in more than one role")
    require_no_missing(data, cols)
    require_numeric(data, [alive] + covariates + ([period] if period else []))
    d = data[cols]
    if period:
        d = d.sort_values([group, period], kind="stable")
    cohorts, counts, Z = [], [], []
    for c, g in d.groupby(group, sort=True, observed=True):
        if period:
            p = g[period].to_numpy(float)
            if not np.array_equal(p, np.arange(len(p))):
                raise InputError(f"cohort {c!r}: column {period!r} must run 0, 1, ..., T (n_0 is the cohort size), "
                                 f"got {p[:8].tolist()}")
        try:
            n = _counts(g[alive].to_numpy(), None)
        except InputError as e:
            raise InputError(f"cohort {c!r} ({group!r} = {c!r}): {e}") from None
        if covariates:
            zc = g[covariates].to_numpy(float)
            varying = [v for j, v in enumerate(covariates) if np.ptp(zc[:, j]) > 0]
            if varying:
                raise InputError(f"cohort {c!r}: covariate(s) {varying} change within the cohort "
                                 f"({rows_text(g.index)}); cohort covariates hold one value per cohort")
            if not np.all(np.isfinite(zc)):
                raise InputError(f"cohort {c!r}: covariates must be finite numbers")
            Z.append(zc[0])
        else:
            Z.append(np.zeros(0))
        cohorts.append(c)
        counts.append(n)
    Z = np.column_stack([np.ones(len(cohorts)), np.array(Z).reshape(len(cohorts), len(covariates))])
    return cohorts, counts, Z, covariates


def fit_sbg_cohorts(data: pd.DataFrame, *, group: str, alive: str, covariates=None, period: str | None = None,
                    level: float = 0.95) -> SBGCohortsResult:
    """Fit the shifted-beta-geometric model to several cohorts at once, alpha and beta depending
    on cohort covariates through a log link.

    Cohort c has alive counts n_c0, ..., n_cT_c (its own length) and covariates z_c; its
    customers' churn probabilities are Beta(alpha_c, beta_c) with

        log alpha_c = a_0 + z_c' a,    log beta_c = b_0 + z_c' b,

    and the log-likelihood is the sum of the cohorts' sBG log-likelihoods (Fader & Hardie
    2007, eq. 6).  Without covariates all cohorts share one (alpha, beta).  The same model as
    pymc-marketing's ``ShiftedBetaGeoModel`` with one cohort label and the cohort covariates as
    ``dropout_covariate_cols`` (whose coefficients carry the opposite sign), fitted by maximum
    likelihood.

    Parameters
    ----------
    data : DataFrame
        One row per cohort and period (long format), not modified.
    group : str
        Cohort label column.
    alive : str
        Customers of the cohort still active at the start of the period (n_0 = cohort size).
    covariates : list of str, optional
        Numeric cohort-level columns (one value per cohort: acquisition channel, price plan,
        launch year ...).  Their number plus one must not exceed the number of cohorts.
    period : str, optional
        Period column (0, 1, ..., T within each cohort); default: rows in order within cohorts.
    level : float
        Level of the Wald intervals.

    Returns
    -------
    SBGCohortsResult

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.
    """
    from .._stats import wald

    level = check_level(level)
    cohorts, counts, Z, covariates = _cohort_frame(data, group, alive, covariates, period)
    k = Z.shape[1]
    if np.linalg.matrix_rank(Z) < k:
        raise InputError(f"fit_sbg_cohorts(): the cohort covariates {covariates} are constant or collinear across the "
                         f"{len(cohorts)} cohorts (an intercept plus {k - 1} covariates needs {k} cohorts that differ "
                         "in them); drop one")
    lost = [-np.diff(n) for n in counts]
    Ts = [len(n) - 1 for n in counts]
    idx = [np.arange(1, T + 1) for T in Ts]

    total = float(sum(n[0] for n in counts))

    def parts(theta):
        """Log-likelihood and its gradient in (alpha_c, beta_c) per cohort (digamma forms of the
        derivatives of the log beta functions)."""
        a, b = np.exp(Z @ theta[:k]), np.exp(Z @ theta[k:])
        ll, ga, gb = 0.0, np.empty(len(counts)), np.empty(len(counts))
        for i in range(len(counts)):
            t, T, ai, bi = idx[i], Ts[i], a[i], b[i]
            ll += np.sum(lost[i] * _log_p(t, ai, bi)) + counts[i][-1] * _log_s(T, ai, bi)
            common = special.digamma(ai + bi) - special.digamma(ai + bi + t)
            ga[i] = np.sum(lost[i] * (special.digamma(ai + 1) - special.digamma(ai) + common)) \
                + counts[i][-1] * (special.digamma(ai + bi) - special.digamma(ai + bi + T))
            gb[i] = np.sum(lost[i] * (special.digamma(bi + t - 1) - special.digamma(bi) + common)) \
                + counts[i][-1] * (special.digamma(bi + T) - special.digamma(bi) + special.digamma(ai + bi)
                                   - special.digamma(ai + bi + T))
        grad = np.concatenate([Z.T @ (a * ga), Z.T @ (b * gb)])   # chain rule through the log link
        return ll, grad

    def nll(theta):      # per customer, so the optimizer's tolerances do not depend on the base's size
        ll, g = parts(theta)
        return (-ll / total, -g / total) if np.isfinite(ll) else (1e300, np.zeros_like(theta))

    best = None
    with np.errstate(all="ignore"):
        for start in (0.0, np.log(0.5), np.log(2.0)):
            theta0 = np.zeros(2 * k)
            theta0[0], theta0[k] = start, start + 0.5
            r = optimize.minimize(nll, theta0, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
            if best is None or r.fun < best.fun:
                best = r
        H = hessian_from_gradient(lambda q: -parts(q)[1], best.x, 1e-6)
        best.fun, best.jac = best.fun * total, best.jac * total
    cov, pd_ok = safe_inverse(H)
    se = np.sqrt(np.diag(cov))
    names = [f"{p}:{t}" for p in ("alpha", "beta") for t in ["intercept"] + covariates]
    table = pd.DataFrame({"est": best.x, "se": se, **wald(best.x, se, level)}, index=pd.Index(names, name="term"))
    prov = make_provenance("churn.fit_sbg_cohorts", data[[group, alive] + covariates + ([period] if period else [])],
                           {"group": group, "alive": alive, "covariates": covariates, "period": period, "level": level})
    res = SBGCohortsResult(cohorts, counts, Z, covariates, best.x, cov, -float(best.fun), table, level, group, prov)
    if all(n[0] == n[-1] for n in counts):
        res._flag("sBG cohorts: no cohort lost a customer, so alpha and beta are not identified",
                  ImproperSolutionWarning, admissible=False)
    elif not pd_ok:
        res._flag("sBG cohorts: the information matrix is not positive definite at the optimum (a covariate that "
                  "separates cohorts, or alpha + beta drifting to infinity: no heterogeneity within cohorts); "
                  "standard errors are not available", ImproperSolutionWarning, admissible=False)
    elif np.any(np.abs(Z @ best.x[:k]) > 12) or np.any(np.abs(Z @ best.x[k:]) > 12):
        res._flag("sBG cohorts: alpha or beta of some cohort ran to the boundary (> e^12 or < e^-12); only the mean "
                  "churn rate of those cohorts is identified", ImproperSolutionWarning, admissible=False)
    if not best.success and res.admissible and np.linalg.norm(best.jac) > 1e-3:
        res._flag(f"sBG cohorts fit did not converge: {best.message}", ConvergenceWarning, converged=False)
    return res
