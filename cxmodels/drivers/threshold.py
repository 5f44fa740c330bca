r"""Bayesian threshold (hinge, broken-stick) model of loyalty on satisfaction.

Tests claims such as "loyalty accelerates once satisfaction passes about 82" with the model

.. math::

    y_i = a + b_1 x_i + b_2 \max(0, x_i - \tau) + c'z_i + e_i,

so the slope is :math:`b_1` below the threshold :math:`\tau` and :math:`b_1 + b_2` above it.

Continuous outcome (exact on the grid, no MCMC)
    Given :math:`\tau`, the design columns other than the intercept are centred (so the
    intercept is the mean outcome at the mean design point) and the coefficients get
    Zellner's g-prior with the normal-inverse-gamma conjugate form

    .. math::

        \beta \mid \sigma^2, \tau \sim N\!\left(m_0,\; g\,\sigma^2 (X'X)^{-1}\right), \qquad
        \sigma^2 \sim IG(a_0, b_0),

    with :math:`m_0 = (\bar y, 0, \dots, 0)`, :math:`g = n` (the unit-information prior,
    Kass & Wasserman 1995), :math:`a_0 = 1`, :math:`b_0 = \tfrac12 \widehat{\mathrm{var}}(y)`.
    Then :math:`p(y\mid\tau)` is closed form,

    .. math::

        \log p(y\mid\tau) = -\tfrac n2 \log 2\pi - \tfrac p2 \log(1+g) + a_0\log b_0 - a_n \log b_n
            + \log\Gamma(a_n) - \log\Gamma(a_0),

    :math:`a_n = a_0 + n/2`, :math:`b_n = b_0 + \tfrac12[\mathrm{RSS}_\tau +
    (\hat\beta-m_0)'X'X(\hat\beta-m_0)/(1+g)]`, and :math:`\beta\mid y,\tau` is Student-t with
    :math:`2a_n` degrees of freedom, location :math:`m_n = (m_0 + g\hat\beta)/(1+g)` and scale
    matrix :math:`(b_n/a_n)\,g/(1+g)\,(X'X)^{-1}`.  With a uniform prior on a grid of
    :math:`\tau`, :math:`p(\tau\mid y) \propto p(y\mid\tau)` exactly, and every coefficient's
    posterior is a finite mixture of Student-t distributions: means, SDs, quantiles and
    :math:`P(b_2>0)` are computed from the mixture (quantiles by root finding), not by sampling.

Binary outcome (Laplace approximation)
    Logistic hinge model with independent normal priors on the centred design: intercept
    :math:`N(0, 10^2)` (log-odds at the mean design point), each slope
    :math:`N(0, (2.5/\mathrm{sd}(x_k))^2)` (Gelman et al. 2008's scaling).  At each grid
    :math:`\tau` the posterior mode is found by Newton-Raphson and
    :math:`\log p(y\mid\tau) \approx \ell(\hat\beta) + \log p(\hat\beta) + \tfrac p2 \log 2\pi
    - \tfrac12 \log|H|`; :math:`\beta\mid y,\tau \approx N(\hat\beta, H^{-1})`.  This is an
    approximation (error :math:`O(1/n)`); coefficients are on the log-odds scale.

The Bayes factor ``bayes_factor`` compares the threshold model, averaged over the uniform
prior on the grid, with the linear model (no hinge) under the same prior family:
:math:`BF = J^{-1}\sum_j p(y\mid\tau_j) / p(y\mid \text{linear})`.  It depends on the grid's
range (a wider grid spreads the prior over more implausible thresholds).

References
----------
Carlin, B. P., Gelfand, A. E., & Smith, A. F. M. (1992). Hierarchical Bayesian analysis of
changepoint problems. *Applied Statistics* 41, 389-405.
Zellner, A. (1986). On assessing prior distributions and Bayesian regression analysis with
g-prior distributions. In *Bayesian Inference and Decision Techniques*, 233-243.
Kass, R. E., & Wasserman, L. (1995). A reference Bayesian test for nested hypotheses and its
relationship to the Schwarz criterion. *JASA* 90, 928-934.
Anderson, E. W., & Mittal, V. (2000). Strengthening the satisfaction-profit chain.
*Journal of Service Research* 3, 107-120.
Mittal, V., & Kamakura, W. A. (2001). Satisfaction, repurchase intent, and repurchase
behavior. *Journal of Marketing Research* 38, 131-142.
Gelman, A., Jakulin, A., Pittau, M. G., & Su, Y.-S. (2008). A weakly informative default prior
distribution for logistic and other regression models. *Annals of Applied Statistics* 2, 1360-1383.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .. import plotting
from .._results import Result
from .._validation import (as_generator, check_level, require_columns, require_finite, require_frame,
                           require_no_missing, require_not_constant, require_numeric, require_unique_columns,
                           rows_text)
from ..errors import ConvergenceWarning, InputError
from ..provenance import make_provenance
from . import references as refs

__all__ = ["ThresholdPrior", "ThresholdResult", "fit_threshold"]


@dataclass(frozen=True)
class ThresholdPrior:
    """Prior settings of :func:`fit_threshold` (defaults are weakly informative, data-scaled).

    Parameters
    ----------
    g : float or None
        Continuous outcome: Zellner g; ``None`` means ``g = n`` (unit information).
    a0 : float
        Shape of the inverse-gamma prior on the residual variance.
    b0_scale : float
        ``b0 = b0_scale * var(y)``: with ``a0 = 1`` the prior median of sigma^2 is about
        0.72 ``b0``, a guess of R^2 around one half with a heavy right tail.
    slope_scale : float
        Binary outcome: prior SD of each slope per SD of its design column (log-odds).
    intercept_scale : float
        Binary outcome: prior SD of the log-odds at the mean design point.
    """

    g: float | None = None
    a0: float = 1.0
    b0_scale: float = 0.5
    slope_scale: float = 2.5
    intercept_scale: float = 10.0


# ----------------------------------------------------------------------------- design


def _design(x: np.ndarray, z: np.ndarray, tau: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Centred design ``[1, x - mean, h - mean(h), z - mean(z)]`` and the column means.

    ``tau=None`` gives the linear model (no hinge column).  Centring makes the intercept the
    mean outcome at the mean design point, so its prior means the same in every model.
    """
    cols = [x] + ([np.maximum(0.0, x - tau)] if tau is not None else []) + [z[:, k] for k in range(z.shape[1])]
    raw = np.column_stack(cols)
    means = raw.mean(axis=0)
    return np.column_stack([np.ones(len(x)), raw - means]), means


def _full_rank(X: np.ndarray) -> bool:
    sd = X[:, 1:].std(axis=0)
    if np.any(sd <= 1e-12 * (1 + np.abs(X[:, 1:]).max(axis=0))):
        return False
    return np.linalg.matrix_rank(X[:, 1:] / sd) == X.shape[1] - 1


def _normal_fit(X: np.ndarray, y: np.ndarray, prior: ThresholdPrior) -> dict:
    """Closed-form NIG g-prior posterior and log marginal likelihood for one design."""
    n, p = X.shape
    g = float(n if prior.g is None else prior.g)
    a0, b0 = prior.a0, prior.b0_scale * y.var(ddof=1)
    xtx = X.T @ X
    bhat = np.linalg.solve(xtx, X.T @ y)
    rss = float(np.sum((y - X @ bhat) ** 2))
    m0 = np.zeros(p)
    m0[0] = y.mean()
    d = bhat - m0
    an = a0 + n / 2
    bn = b0 + 0.5 * (rss + d @ xtx @ d / (1 + g))
    logml = (-0.5 * n * np.log(2 * np.pi) - 0.5 * p * np.log1p(g) + a0 * np.log(b0) - an * np.log(bn)
             + special.gammaln(an) - special.gammaln(a0))
    xtx_inv = np.linalg.inv(xtx)
    return {"logml": float(logml), "loc": (m0 + g * bhat) / (1 + g),
            "scale": (bn / an) * g / (1 + g) * xtx_inv, "df": 2 * an, "an": an, "bn": bn,
            "rss": rss, "ols": bhat}


def _logistic_fit(X: np.ndarray, y: np.ndarray, prior: ThresholdPrior, *, max_iter: int = 100,
                  tol: float = 1e-10) -> dict:
    """Laplace approximation of the logistic model with independent normal priors."""
    n, p = X.shape
    sd = np.concatenate([[prior.intercept_scale], prior.slope_scale / X[:, 1:].std(axis=0)])
    prec = 1.0 / sd ** 2

    def logpost(b):
        eta = X @ b
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)) - 0.5 * np.sum(prec * b ** 2)
                     - np.sum(np.log(sd)) - 0.5 * p * np.log(2 * np.pi))

    b = np.zeros(p)
    lp = logpost(b)
    converged = False
    for _ in range(max_iter):
        pi = special.expit(X @ b)
        grad = X.T @ (y - pi) - prec * b
        hess = (X * (pi * (1 - pi))[:, None]).T @ X + np.diag(prec)
        step = np.linalg.solve(hess, grad)
        t = 1.0  # step halving keeps every iterate uphill (the log posterior is concave)
        while t > 1e-8:
            new = logpost(b + t * step)
            if new >= lp - 1e-12:
                break
            t /= 2
        b, lp = b + t * step, new
        if np.max(np.abs(t * step)) < tol:
            converged = True
            break
    pi = special.expit(X @ b)
    hess = (X * (pi * (1 - pi))[:, None]).T @ X + np.diag(prec)
    _, logdet = np.linalg.slogdet(hess)
    return {"logml": lp + 0.5 * p * np.log(2 * np.pi) - 0.5 * logdet, "loc": b,
            "scale": np.linalg.inv(hess), "df": np.inf, "converged": converged}


# ----------------------------------------------------------------------------- mixtures


def _mix_cdf(q, w, loc, scale, df):
    t = (q - loc) / scale
    return float(w @ (special.ndtr(t) if np.isinf(df) else special.stdtr(df, t)))


def _mix_quantile(prob, w, loc, scale, df):
    # A mixture's quantile lies between its components' quantiles: a tight, safe bracket.
    zq = (stats.norm if np.isinf(df) else stats.t(df)).ppf(prob)
    lo, hi = float(np.min(loc + zq * scale)), float(np.max(loc + zq * scale))
    if hi - lo < 1e-12 * (1 + abs(lo)):
        return lo
    lo, hi = lo - 1e-9 * (1 + abs(lo)), hi + 1e-9 * (1 + abs(hi))
    return optimize.brentq(lambda q: _mix_cdf(q, w, loc, scale, df) - prob, lo, hi, xtol=1e-12, rtol=1e-12)


def _mix_summary(w, loc, scale, df, level) -> dict:
    """Mean, SD, median and equal-tailed interval of a mixture of location-scale t/normals."""
    keep = w > 1e-14 * w.max()  # weights this small cannot move a quantile
    w, loc, scale = w[keep] / w[keep].sum(), loc[keep], scale[keep]
    vfac = 1.0 if np.isinf(df) else (df / (df - 2) if df > 2 else np.nan)
    mean = float(w @ loc)
    sd = float(np.sqrt(max(w @ (scale ** 2 * vfac + loc ** 2) - mean ** 2, 0.0)))
    a = (1 - level) / 2
    return {"est": mean, "sd": sd, "median": _mix_quantile(0.5, w, loc, scale, df),
            "ci_lower": _mix_quantile(a, w, loc, scale, df), "ci_upper": _mix_quantile(1 - a, w, loc, scale, df)}


def _sigma_summary(w, an, bn, level) -> dict:
    """Posterior of sigma: mixture over the grid of sqrt(IG(a_n, b_n))."""
    keep = w > 1e-14 * w.max()
    w, bn = w[keep] / w[keep].sum(), bn[keep]
    e_sigma = np.sqrt(bn) * np.exp(special.gammaln(an - 0.5) - special.gammaln(an))
    mean = float(w @ e_sigma)
    sd = float(np.sqrt(max(w @ (bn / (an - 1)) - mean ** 2, 0.0)))

    def q(prob):
        f = lambda s: float(w @ stats.invgamma.cdf(s ** 2, an, scale=bn)) - prob  # noqa: E731
        return optimize.brentq(f, 1e-12, float(np.sqrt(bn.max())) * 10, xtol=1e-12)

    a = (1 - level) / 2
    return {"est": mean, "sd": sd, "median": q(0.5), "ci_lower": q(a), "ci_upper": q(1 - a)}


# ----------------------------------------------------------------------------- result


class ThresholdResult(Result):
    """Posterior of a hinge (threshold) model; see :func:`fit_threshold`.

    ``summary()`` rows: ``intercept`` (at x = 0 and z = 0), ``slope_below`` (b1),
    ``slope_change`` (b2), ``slope_above`` (b1 + b2), the covariates, ``sigma`` (continuous
    outcome only) and ``tau``; columns ``est`` (posterior mean), ``sd``, ``median``,
    ``ci_lower``, ``ci_upper`` (equal-tailed).  Binary outcomes are on the log-odds scale.

    Attributes
    ----------
    x, y, outcome : str
        The columns and the outcome type (``"continuous"`` or ``"binary"``).
    covariates : list of str
    grid : ndarray
        The thresholds kept (uniform prior).
    level : float
        Credible level of the intervals.
    seed
        Seed of :meth:`draws` (every summary is exact and does not depend on it).
    prior : ThresholdPrior
    g : float
        The Zellner g used (continuous outcome).
    nobs : int
    bayes_factor, log_bayes_factor : float
        Threshold model (uniform prior over the grid) against the linear model.
    log_marginal_linear : float
        Log marginal likelihood of the linear model.
    prob_slope_change_positive : float
        :math:`P(b_2 > 0 \\mid y)`.
    tau_mean, tau_median, tau_mode : float
    tau_interval : tuple
        Equal-tailed credible interval of tau on the grid.
    tau_hpd : tuple
        (lowest, highest) grid point of the highest-posterior set of mass >= ``level``;
        ``tau_hpd_contiguous`` says whether that set is one run of grid points.
    least_squares_tau : float or None
        Grid point minimising the residual sum of squares (continuous outcome).
    """

    def __init__(self, *, table: pd.DataFrame, provenance, fits: list, linear_fit: dict, x_values: np.ndarray,
                 z_values: np.ndarray, y_values: np.ndarray, weights: np.ndarray, col_means: list,
                 coef_names: list, grid: np.ndarray, x: str, y: str, outcome: str, covariates: list,
                 level: float, seed, prior: ThresholdPrior, log_bayes_factor: float,
                 prob_slope_change_positive: float, tau_mean: float, tau_median: float, tau_mode: float,
                 tau_interval: tuple, tau_hpd: tuple, tau_hpd_contiguous: bool):
        self._table, self._provenance, self._warnings = table, provenance, []
        self._fits, self._lin = fits, linear_fit
        self._xz, self._y = (x_values, z_values), y_values
        self._weights, self._col_means, self._coef_names = weights, col_means, coef_names
        self.grid, self.x, self.y, self.outcome = grid, x, y, outcome
        self.covariates, self.level, self.seed, self.prior = covariates, level, seed, prior
        self.nobs = len(y_values)
        self.g = float(self.nobs if prior.g is None else prior.g)
        self.log_bayes_factor = log_bayes_factor
        self.bayes_factor = float(np.exp(log_bayes_factor)) if log_bayes_factor < 700 else np.inf
        self.log_marginal_linear = float(linear_fit["logml"])
        self.prob_slope_change_positive = prob_slope_change_positive
        self.tau_mean, self.tau_median, self.tau_mode = tau_mean, tau_median, tau_mode
        self.tau_interval, self.tau_hpd, self.tau_hpd_contiguous = tau_interval, tau_hpd, tau_hpd_contiguous
        self.least_squares_tau = (float(grid[np.argmin([f["rss"] for f in fits])])
                                  if outcome == "continuous" else None)
        self._references = refs.THRESHOLD + (refs.THRESHOLD_CONTINUOUS if outcome == "continuous"
                                             else refs.THRESHOLD_BINARY)


    # --- tables
    def posterior_tau(self) -> pd.DataFrame:
        """Grid of thresholds with ``prob`` (posterior probability), ``cdf`` and ``log_marginal``."""
        return pd.DataFrame({"tau": self.grid, "prob": self._weights, "cdf": np.cumsum(self._weights),
                             "log_marginal": [f["logml"] for f in self._fits]})

    def profile_rss(self) -> pd.DataFrame:
        """Least-squares residual sum of squares of the hinge regression at each grid tau."""
        if self.outcome != "continuous":
            raise InputError("profile_rss() is defined for the continuous outcome only")
        return pd.DataFrame({"tau": self.grid, "rss": [f["rss"] for f in self._fits]})

    def coefficients_at(self, tau: float) -> pd.DataFrame:
        """Posterior location and SD of the centred-design coefficients at one grid tau, with OLS."""
        j = int(np.argmin(np.abs(self.grid - tau)))
        f = self._fits[j]
        sd = np.sqrt(np.diag(f["scale"]) * (f["df"] / (f["df"] - 2) if np.isfinite(f["df"]) else 1.0))
        out = pd.DataFrame({"term": self._coef_names, "mean": f["loc"], "sd": sd})
        if "ols" in f:
            out["ols"] = f["ols"]
        return out.set_index("term")

    # --- prediction and draws
    def _linear_predictor(self, xs: np.ndarray):
        """Per grid point, location and scale of a + b1 x + b2 h(x) + c'zbar at each x in xs."""
        x, _ = self._xz
        locs, scales = [], []
        for tau, f, means in zip(self.grid, self._fits, self._col_means):
            C = np.column_stack([np.ones_like(xs), xs - means[0], np.maximum(0.0, xs - tau) - means[1]]
                                + [np.zeros_like(xs)] * (len(means) - 2))
            locs.append(C @ f["loc"])
            scales.append(np.sqrt(np.einsum("ij,jk,ik->i", C, f["scale"], C)))
        return np.array(locs), np.array(scales)

    def predict(self, x_values, level: float | None = None) -> pd.DataFrame:
        """Posterior mean and equal-tailed band of the regression curve at ``x_values``
        (covariates at their sample means; binary outcome: probabilities)."""
        level = self.level if level is None else level
        xs = np.asarray(x_values, float)
        locs, scales = self._linear_predictor(xs)
        df = self._fits[0]["df"]
        rows = [_mix_summary(self._weights, locs[:, i], scales[:, i], df, level) for i in range(len(xs))]
        out = pd.DataFrame(rows)[["est", "ci_lower", "ci_upper"]]
        if self.outcome == "binary":
            out = special.expit(out)
        out.insert(0, "x", xs)
        return out.rename(columns={"est": "mean"})

    def draws(self, n: int = 4000, seed=None) -> pd.DataFrame:
        """Joint posterior draws of tau and the reported coefficients (seeded)."""
        rng = as_generator(self.seed if seed is None else seed)
        j = rng.choice(len(self.grid), size=n, p=self._weights)
        rows = []
        for k in range(n):
            f = self._fits[j[k]]
            c = np.linalg.cholesky(f["scale"])
            zz = rng.standard_normal(len(f["loc"]))
            if np.isfinite(f["df"]):
                zz = zz / np.sqrt(rng.chisquare(f["df"]) / f["df"])
            b = f["loc"] + c @ zz
            means = self._col_means[j[k]]
            rows.append([self.grid[j[k]], b[0] - b[1:] @ means, b[1], b[2], b[1] + b[2], *b[3:]])
        return pd.DataFrame(rows, columns=["tau", "intercept", "slope_below", "slope_change", "slope_above",
                                           *self.covariates])

    # --- reporting
    def plot(self, ax=None, *, bins: int = 20):
        """Binned means of y on x with the posterior fitted curve, its band and the tau interval.

        Returns the Axes (created when ``ax`` is None); :meth:`plot_tau` draws the posterior of
        tau and :meth:`plot_overview` both, side by side.
        """
        ax = plotting.axes(ax, figsize=(7.0, 4.0))
        x, y = self._xz[0], self._y
        if len(x) <= 500:
            ax.scatter(x, y, s=6, alpha=0.25, color="0.5", label="respondents")
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max(len(edges) - 2, 0))
        bx = pd.Series(x).groupby(idx).mean()
        by = pd.Series(y).groupby(idx).mean()
        ax.plot(bx, by, "o", color="k", label="binned means")
        xs = np.linspace(x.min(), x.max(), 120)
        pr = self.predict(xs)
        ax.plot(xs, pr["mean"], color=plotting.color(0), label="posterior mean fit")
        ax.fill_between(xs, pr["ci_lower"], pr["ci_upper"], color=plotting.color(0), alpha=plotting.BAND_ALPHA,
                        label=f"{self.level:.0%} band")
        ax.axvspan(*self.tau_interval, color=plotting.color(1), alpha=0.12,
                   label=f"tau {self.level:.0%} interval")
        ax.axvline(self.tau_mode, color=plotting.color(1), ls="--")
        ax.set_xlabel(self.x)
        ax.set_ylabel(self.y + (" (share)" if self.outcome == "binary" else ""))
        ax.legend(fontsize=8)
        return ax

    def plot_tau(self, ax=None):
        """Posterior probability of each grid threshold, with the Bayes factor in the title; the Axes."""
        ax = plotting.axes(ax, figsize=(4.5, 4.0))
        ax.bar(self.grid, self._weights, width=np.min(np.diff(self.grid)) if len(self.grid) > 1 else 0.5,
               color=plotting.color(1))
        ax.set_xlabel("threshold tau")
        ax.set_ylabel("posterior probability")
        ax.set_title(f"BF(threshold:linear) = {self.bayes_factor:.3g}", fontsize=9)
        return ax

    def plot_overview(self, *, bins: int = 20):
        """The fit (:meth:`plot`) beside the posterior of tau (:meth:`plot_tau`); returns the Figure."""
        fig, (ax, ax2) = plotting.figure(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [2, 1]})
        self.plot(ax, bins=bins)
        self.plot_tau(ax2)
        fig.tight_layout()
        return fig

    def methods_text(self) -> str:
        """A methods-section paragraph naming the model, its priors, the key numbers and references."""
        lo, hi = self.tau_interval
        r = refs
        common = (f"A threshold (broken-stick) regression of {self.y} on {self.x} was fitted, with the slope "
                  f"allowed to change at an unknown threshold tau, the Bayesian changepoint model of "
                  f"{r.CARLIN_1992.cite}, to test for the nonlinear satisfaction-loyalty link described by "
                  f"{r.ANDERSON_2000.cite} and {r.MITTAL_2001.cite}. Tau had a uniform prior on {len(self.grid)} "
                  f"grid points from {self.grid[0]:g} to {self.grid[-1]:g}, so its posterior is exact on the grid. ")
        if self.outcome == "continuous":
            model = (f"Given tau, the coefficients had the g-prior of {r.ZELLNER_1986.cite} with g = "
                     f"{self.g:g}, g = n being the unit-information prior of {r.KASS_1995.cite}, and the residual "
                     "variance "
                     "an inverse-gamma prior, so the marginal likelihood of each tau is closed form and coefficient "
                     "posteriors are mixtures of Student-t distributions. ")
        else:
            model = ("The outcome was binary (logistic link); coefficients had independent normal priors scaled to "
                     f"their columns' spread as recommended by {r.GELMAN_2008.cite}, and the marginal likelihood of each tau was "
                     "computed by a Laplace approximation. ")
        res = (f"The posterior mode of tau was {self.tau_mode:g} ({self.level:.0%} credible interval "
               f"{lo:g} to {hi:g}); P(slope increases above tau) = {self.prob_slope_change_positive:.3f}; "
               f"the Bayes factor of the threshold model against a linear model, averaged over the uniform prior "
               f"on the grid, was {self.bayes_factor:.3g}.")
        return common + model + res


# ----------------------------------------------------------------------------- fitting


def _check_inputs(data, x, y, covariates, outcome):
    data = require_frame(data)
    require_unique_columns(data)
    if outcome not in ("continuous", "binary"):
        raise InputError(f"outcome must be 'continuous' or 'binary', got {outcome!r}")
    covariates = [] if covariates is None else ([covariates] if isinstance(covariates, str) else list(covariates))
    cols = [x, y] + covariates
    if len(set(cols)) != len(cols):
        raise InputError(f"x, y and covariates must be distinct columns, got {cols}")
    require_columns(data, cols)
    yy = data[y]
    if outcome == "binary" and pd.api.types.is_bool_dtype(yy):
        yy = yy.astype(float)  # True/False is a fine way to code retained / not retained
    frame = pd.concat([data[[x] + covariates], yy], axis=1)
    require_numeric(frame, cols)
    require_no_missing(frame, cols, hint="; drop or impute those rows before fitting")
    require_finite(frame, cols)
    require_not_constant(frame, cols)
    warns = []
    xv = frame[x].to_numpy(float)
    out = frame.index[(xv < 0) | (xv > 100)]
    if len(out):
        # A warning, not an error: the model is valid on any scale, but the default grid and the
        # "index points" reading assume a 0-100 satisfaction index.
        warns.append(f"column {x!r} has {len(out)} values outside the 0-100 index scale ({rows_text(out)}); "
                     "the model is fitted on the values as given")
    yv = frame[y].to_numpy(float)
    if outcome == "binary":
        bad = frame.index[~np.isin(yv, (0.0, 1.0))]
        if len(bad):
            raise InputError(f"column {y!r} must be coded 0/1 for a binary outcome; {len(bad)} rows are not "
                             f"({rows_text(bad)})")
    z = frame[covariates].to_numpy(float) if covariates else np.empty((len(frame), 0))
    return xv, yv, z, covariates, warns


def _default_grid(x: np.ndarray) -> np.ndarray:
    lo, hi = np.quantile(x, [0.05, 0.95])
    steps = np.arange(np.ceil(lo * 2) / 2, hi + 1e-9, 0.5)
    inside = np.unique(x[(x >= lo) & (x <= hi)])
    # Between two adjacent observed x values the fit changes smoothly, so a 0.5-point grid is fine;
    # when x is coarse (e.g. whole index points) its observed values are the natural candidates.
    return inside if 0 < len(inside) < len(steps) else steps


def fit_threshold(data: pd.DataFrame, x: str, y: str, *, grid=None, prior: ThresholdPrior | dict | None = None,
                  outcome: str = "continuous", covariates=None, seed=None, level: float = 0.95) -> ThresholdResult:
    r"""Bayesian hinge model :math:`y = a + b_1 x + b_2\max(0, x-\tau) + c'z + e` over a grid of tau.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.  Missing values raise :class:`InputError`.
    x : str
        Satisfaction on a 0-100 index (values outside 0-100 give a warning, not an error).
    y : str
        Loyalty (continuous) or a 0/1 (or boolean) outcome such as retention.
    grid : array-like, optional
        Candidate thresholds (uniform prior).  Default: the 0.5-point grid between the 5th and
        95th percentiles of x, or the observed x values in that range when they are fewer.  Points
        where the hinge is not identifiable are dropped with a warning.
    prior : ThresholdPrior or dict, optional
        See :class:`ThresholdPrior` (default: g = n, sigma^2 ~ IG(1, var(y)/2); binary:
        slopes N(0, (2.5/sd)^2), intercept N(0, 10^2)).
    outcome : {"continuous", "binary"}
        ``"binary"`` fits a logistic hinge model by Laplace approximation.
    covariates : list of str, optional
        Control variables, held at their means in :meth:`ThresholdResult.predict` and the plot.
    seed : int or Generator, optional
        Used only by :meth:`ThresholdResult.draws`; every summary is computed exactly from
        the mixture posterior, so it does not depend on the seed.
    level : float
        Credible level of the intervals.

    Returns
    -------
    ThresholdResult
        Posterior of tau (exact on the grid), coefficient summaries, the Bayes factor against the
        linear model, :math:`P(b_2>0)`, the least-squares tau (continuous).
    """
    level = check_level(level)
    as_generator(seed)   # refuse a bad seed now, not at the first draws() call
    if prior is None:
        prior = ThresholdPrior()
    elif isinstance(prior, dict):
        unknown = set(prior) - set(ThresholdPrior.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown prior setting(s) {sorted(unknown)}; known: "
                             f"{sorted(ThresholdPrior.__dataclass_fields__)}")
        prior = ThresholdPrior(**prior)
    if prior.g is not None and prior.g <= 0 or prior.a0 <= 0 or prior.b0_scale <= 0:
        raise InputError(f"prior g, a0 and b0_scale must be positive, got {prior}")
    xv, yv, z, covariates, warns = _check_inputs(data, x, y, covariates, outcome)
    n = len(yv)
    if n < 10 + z.shape[1]:
        raise InputError(f"a threshold model needs at least {10 + z.shape[1]} rows, got {n}")

    if grid is None:
        grid_arr = _default_grid(xv)
    else:
        grid_arr = np.unique(np.asarray(grid, dtype=float).ravel())
        if len(grid_arr) == 0 or not np.all(np.isfinite(grid_arr)):
            raise InputError("grid must be a non-empty array of finite threshold values")

    fitter = _normal_fit if outcome == "continuous" else _logistic_fit
    X0, _ = _design(xv, z, None)
    if not _full_rank(X0):
        raise InputError(f"the columns {[x] + covariates} are collinear; drop a redundant covariate")
    lin = fitter(X0, yv, prior)
    fits, kept, col_means, dropped = [], [], [], []
    for tau in grid_arr:
        X, means = _design(xv, z, tau)
        if not _full_rank(X):
            dropped.append(tau)
            continue
        fits.append(fitter(X, yv, prior))
        kept.append(tau)
        col_means.append(means)
    if dropped:
        warns.append(f"{len(dropped)} grid point(s) dropped because the hinge is not identifiable there "
                     f"(all x on one side of tau): {[float(t) for t in dropped[:5]]}")
    if not fits:
        raise InputError(f"no grid point leaves observations of {x!r} on both sides of the threshold")
    not_converged = []
    if outcome == "binary":
        not_converged = [t for t, f in zip(kept, fits) if not f["converged"]] + ([] if lin["converged"] else ["linear"])
    grid_arr = np.array(kept)
    logml = np.array([f["logml"] for f in fits])
    w = np.exp(logml - logml.max())
    w /= w.sum()
    log_bf = float(special.logsumexp(logml) - np.log(len(logml)) - lin["logml"])

    # Every reported coefficient is a linear combination c_j' beta_j of the centred-design
    # coefficients at grid point j, so its posterior is a t (normal) mixture over the grid.
    p = 3 + z.shape[1]
    df = fits[0]["df"]
    names = ["intercept", "slope_below", "slope_change", "slope_above"] + covariates
    combos = []
    for means in col_means:
        e = np.eye(p)
        combos.append([np.concatenate([[1.0], -means]), e[1], e[2], e[1] + e[2]] + [e[3 + k] for k in range(z.shape[1])])
    rows = {}
    for i, name in enumerate(names):
        loc = np.array([c[i] @ f["loc"] for c, f in zip(combos, fits)])
        scale = np.array([np.sqrt(c[i] @ f["scale"] @ c[i]) for c, f in zip(combos, fits)])
        rows[name] = _mix_summary(w, loc, scale, df, level)
        if name == "slope_change":
            dist = stats.norm if np.isinf(df) else stats.t(df)
            prob_pos = float(w @ dist.sf(-loc / scale))
    if outcome == "continuous":
        rows["sigma"] = _sigma_summary(w, fits[0]["an"], np.array([f["bn"] for f in fits]), level)

    cdf = np.cumsum(w)
    a = (1 - level) / 2
    tau_mean = float(w @ grid_arr)
    tau_lo = float(grid_arr[np.searchsorted(cdf, a - 1e-12)])
    tau_hi = float(grid_arr[min(np.searchsorted(cdf, 1 - a - 1e-12), len(grid_arr) - 1)])
    rows["tau"] = {"est": tau_mean, "sd": float(np.sqrt(w @ (grid_arr - tau_mean) ** 2)),
                   "median": float(grid_arr[np.searchsorted(cdf, 0.5 - 1e-12)]), "ci_lower": tau_lo,
                   "ci_upper": tau_hi}
    order = np.argsort(-w, kind="stable")
    hpd_idx = np.sort(order[: int(np.searchsorted(np.cumsum(w[order]), level - 1e-12)) + 1])
    table = pd.DataFrame(rows).T[["est", "sd", "median", "ci_lower", "ci_upper"]].astype(float)
    table.index.name = "term"

    mode = float(grid_arr[np.argmax(w)])
    options = {"x": x, "y": y, "outcome": outcome, "covariates": covariates, "level": level,
               "grid": grid_arr, "prior": asdict(prior)}
    cols = [x, y] + covariates
    res = ThresholdResult(
        table=table, provenance=make_provenance("cxmodels.drivers.fit_threshold", data[cols], options, seed),
        fits=fits, linear_fit=lin, x_values=xv, z_values=z, y_values=yv, weights=w, col_means=col_means,
        coef_names=["intercept_centred", "x", "hinge"] + covariates, grid=grid_arr, x=x, y=y, outcome=outcome,
        covariates=covariates, level=level, seed=seed, prior=prior, log_bayes_factor=log_bf,
        prob_slope_change_positive=prob_pos, tau_mean=tau_mean, tau_median=rows["tau"]["median"], tau_mode=mode,
        tau_interval=(tau_lo, tau_hi), tau_hpd=(float(grid_arr[hpd_idx[0]]), float(grid_arr[hpd_idx[-1]])),
        tau_hpd_contiguous=bool(np.all(np.diff(hpd_idx) == 1)))
    for m in warns:   # cautions about the input: recorded, flags untouched
        res._note(m)
    if not_converged:
        res._flag(f"Newton-Raphson did not converge at tau = {not_converged[:5]}", ConvergenceWarning)
    if len(grid_arr) > 2 and (w[0] + w[-1] > 0.05 or mode in (grid_arr[0], grid_arr[-1])):
        # the threshold is not located inside the grid: a caution on tau, not a defect of the fit
        res._note(f"the posterior of tau puts {w[0] + w[-1]:.1%} on the grid's end points (mode {mode:g}); "
                  "the threshold may lie outside the grid, or there may be none -- widen the grid or read the "
                  "Bayes factor")
    return res
