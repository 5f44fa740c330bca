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

import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .._results import Result
from ..errors import ConvergenceWarning, InputError
from ..provenance import make_provenance


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


def _check_counts(alive_counts) -> np.ndarray:
    n = np.asarray(alive_counts, dtype=float).ravel()
    if n.size < 3:
        raise InputError(f"alive_counts needs at least 3 values (n_0 and two periods), got {n.size}")
    if not np.all(np.isfinite(n)):
        raise InputError(f"alive_counts has {int((~np.isfinite(n)).sum())} missing or infinite values")
    if np.any(n < 0) or np.any(np.abs(n - np.round(n)) > 1e-9):
        raise InputError("alive_counts must be non-negative whole numbers of customers")
    if n[0] <= 0:
        raise InputError("alive_counts[0] (the cohort size) must be positive")
    inc = np.nonzero(np.diff(n) > 0)[0]
    if len(inc):
        raise InputError(f"alive_counts must not increase (a cohort only loses customers): "
                         f"{len(inc)} increases, first at period {inc[0] + 1}")
    return n


class ShiftedBetaGeometric(Result):
    """sBG model of a contractual cohort's retention (Fader & Hardie 2007).

    Construct with options, then ``.fit(alive_counts)``: ``alive_counts[t]`` is the number
    of the cohort's customers still active at the start of period t (``alive_counts[0]``
    the cohort size).  Fitted: ``params`` (alpha, beta), ``alpha_``, ``beta_``,
    ``.survival(t)``, ``.retention(t)``, ``.project(horizon)``, ``.derl(d, n)``.

    Parameters
    ----------
    level : float
        Confidence level of the projection intervals (delta method on the log parameters,
        applied on the logit scale of the projected survival).
    """

    def __init__(self, level: float = 0.95):
        self.level = level
        self._warnings = []

    # -- fitting -------------------------------------------------------------------------
    def fit(self, alive_counts) -> "ShiftedBetaGeometric":
        n = _check_counts(alive_counts)
        T = len(n) - 1
        lost, alive_last = -np.diff(n), n[-1]
        f = lambda p: -_loglik(p, lost, alive_last, T)  # noqa: E731
        best = None
        for start in ([0.0, 0.0], [np.log(0.5), np.log(2.0)], [np.log(2.0), np.log(5.0)]):
            r = optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-9})
            if best is None or r.fun < best.fun:
                best = r
        self._warnings = []
        if not best.success and np.linalg.norm(best.jac) > 1e-4:
            msg = f"sBG fit did not converge: {best.message}"
            _warnings.warn(msg, ConvergenceWarning, stacklevel=2)
            self._warnings.append(msg)
        logp = best.x
        H = _hessian(f, logp)
        try:
            cov = np.linalg.inv(H)
        except np.linalg.LinAlgError:
            cov = np.full((2, 2), np.nan)
        if np.any(np.exp(logp) > 1e4):
            msg = ("sBG estimates diverged (alpha, beta > 1e4): the cohort shows no sign of heterogeneity; "
                   "a plain geometric (constant churn) model fits as well")
            _warnings.warn(msg, ConvergenceWarning, stacklevel=2)
            self._warnings.append(msg)
        self.alive_counts_ = n
        self.logparams_ = logp
        self.cov_logparams_ = cov
        self.alpha_, self.beta_ = (float(v) for v in np.exp(logp))
        self.log_likelihood_ = -float(best.fun)
        se_log = np.sqrt(np.diag(cov))
        z = stats.norm.ppf(0.5 + self.level / 2)
        est = np.exp(logp)
        self._table = pd.DataFrame({"est": est, "se": est * se_log,  # delta method
                                    "ci_lower": np.exp(logp - z * se_log), "ci_upper": np.exp(logp + z * se_log)},
                                   index=pd.Index(["alpha", "beta"], name="param"))
        self._provenance = make_provenance("churn.ShiftedBetaGeometric", pd.DataFrame({"alive": n}),
                                           {"level": self.level})
        return self

    def _require_fit(self):
        if not hasattr(self, "alpha_"):
            raise InputError("call .fit(alive_counts) first")

    # -- quantities ----------------------------------------------------------------------
    def survival(self, t) -> np.ndarray:
        """S(t): share of the cohort still active after t periods (S(0) = 1)."""
        self._require_fit()
        return np.exp(_log_s(t, self.alpha_, self.beta_))

    def retention(self, t) -> np.ndarray:
        """r(t) = S(t) / S(t-1): the retention rate of period t (t >= 1)."""
        self._require_fit()
        t = np.asarray(t, float)
        if np.any(t < 1):
            raise InputError("retention(t) is defined for periods t >= 1")
        return (self.beta_ + t - 1) / (self.alpha_ + self.beta_ + t - 1)

    def churn_probability(self, t) -> np.ndarray:
        """P(T = t): share of the cohort lost in period t."""
        self._require_fit()
        return np.exp(_log_p(t, self.alpha_, self.beta_))

    def project(self, horizon: int) -> pd.DataFrame:
        """Projected survival and retention for periods 0..horizon, with intervals.

        Columns: period, survival, survival_lower, survival_upper, expected_alive (cohort size
        times survival), retention, observed_alive (NaN beyond the fitted data).  Intervals
        reflect parameter uncertainty only (delta method on the logit of S(t)).
        """
        self._require_fit()
        t = np.arange(0, int(horizon) + 1, dtype=float)
        s = self.survival(t)
        eps = 1e-6
        grad = np.empty((len(t), 2))
        for j in range(2):
            p = self.logparams_.copy()
            p[j] += eps
            up = _logit(np.exp(_log_s(t, *np.exp(p))))
            p[j] -= 2 * eps
            dn = _logit(np.exp(_log_s(t, *np.exp(p))))
            grad[:, j] = (up - dn) / (2 * eps)
        var = np.einsum("ij,jk,ik->i", grad, self.cov_logparams_, grad)
        z = stats.norm.ppf(0.5 + self.level / 2)
        lg = _logit(s)
        with np.errstate(invalid="ignore"):
            lo, hi = _expit(lg - z * np.sqrt(var)), _expit(lg + z * np.sqrt(var))
        lo[0] = hi[0] = 1.0
        ret = np.concatenate([[np.nan], self.retention(t[1:])])
        obs = np.full(len(t), np.nan)
        k = min(len(t), len(self.alive_counts_))
        obs[:k] = self.alive_counts_[:k]
        n0 = self.alive_counts_[0]
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
        self._require_fit()
        a, b, n, d = self.alpha_, self.beta_, int(renewals), float(discount_rate)
        if n < 1:
            raise InputError("renewals must be >= 1")
        if d <= 0:
            raise InputError("discount_rate must be > 0")
        return float(np.exp(special.betaln(a, b + n) - special.betaln(a, b + n - 1))
                     * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + d)))

    def del_(self, discount_rate: float) -> float:
        """Discounted expected lifetime of a just-acquired customer, counting the first payment:
        DEL = 2F1(1, beta; alpha + beta; 1 / (1 + d))  (Fader & Hardie 2010, eq. 5)."""
        self._require_fit()
        d = float(discount_rate)
        return float(special.hyp2f1(1.0, self.beta_, self.alpha_ + self.beta_, 1.0 / (1.0 + d)))

    def plot(self, horizon: int | None = None, ax=None):
        """Observed and projected alive counts with the projection band."""
        import matplotlib.pyplot as plt

        self._require_fit()
        horizon = horizon or 2 * (len(self.alive_counts_) - 1)
        p = self.project(horizon)
        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        n0 = self.alive_counts_[0]
        ax.plot(p["period"], p["observed_alive"], "ko", label="observed")
        ax.plot(p["period"], p["expected_alive"], "-", label="sBG")
        ax.fill_between(p["period"], n0 * p["survival_lower"], n0 * p["survival_upper"], alpha=0.25)
        ax.axvline(len(self.alive_counts_) - 1, color="grey", ls=":", lw=1)
        ax.set_xlabel("period")
        ax.set_ylabel("customers still active")
        ax.legend()
        return ax

    def methods_text(self) -> str:
        self._require_fit()
        T = len(self.alive_counts_) - 1
        return (f"Cohort retention was modelled with the shifted-beta-geometric model (Fader & Hardie, 2007), "
                f"fitted by maximum likelihood to {T} periods of a cohort of {int(self.alive_counts_[0])} customers "
                f"(alpha = {self.alpha_:.3f}, beta = {self.beta_:.3f}); projection intervals use the delta "
                "method on the log parameters. Discounted expected residual lifetimes follow Fader & Hardie (2010).")


def _logit(p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _hessian(f, x, eps=1e-4):
    x = np.asarray(x, float)
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * eps, np.eye(k)[j] * eps
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * eps * eps)
    return H
