"""The value chain: driver -> satisfaction -> churn hazard and purchase rate -> CLV.

Model
-----
A measurement and structural model (CB-SEM, :func:`cxmodels.sem.fit_sem`) links a driver
``PQ`` to satisfaction ``SAT``, both latent. Given satisfaction ``s`` a customer's lifetime
(months) follows a Weibull proportional-hazards model and, while active, purchases arrive as
a Poisson process:

    S(t | s) = exp(-(t / lambda)^k exp(gamma s)),      rate(s) = r0 exp(delta s).

The driver, the items and the outcomes are assumed independent given satisfaction (the
chain's hypothesis: the driver acts through satisfaction).

Measurement error
-----------------
Satisfaction is not observed; only its items are. Plugging factor scores into the churn and
purchase models as if they were exact attenuates the links (sum or Bartlett scores) or
understates their uncertainty (regression scores). Instead, the outcome models are fitted by
maximum likelihood *integrating over* each customer's satisfaction given her items,
``s | y ~ N(m_i, v)`` (the latent posterior of the fitted SEM,
:meth:`cxmodels.sem.SEMResult.latent_posterior`), with Gauss-Hermite quadrature:

    L_i = integral of p(t_i, d_i | s) p(N_i | s) N(s; m_i, v) ds.

Because ``p(items, outcomes) = p(items) * integral p(outcomes | s) p(s | items) ds``, this is
the exact likelihood of the outcome parameters given the measurement model: a two-step
("structural after measurement", Rosseel & Loh 2022) estimator, consistent where the plug-in
is not.

Uncertainty
-----------
Every quantity, from the path ``beta`` to the CLV effect, is recomputed on nonparametric
bootstrap resamples of customers, refitting *both* steps. The bootstrap is chosen over the
delta method because the CLV effect is a nonlinear functional of parameters from two
models, and over a joint Bayesian model because it needs no priors and runs in seconds on
the same estimators whose parity with lavaan and R's survival is tested; intervals are
percentile intervals.

Chain effects
-------------
For a newly acquired customer, with continuous discounting at ``rho = log(1 + d) / 12``
per month (``d`` the *annual* rate ``annual_discount_rate``; :mod:`cxmodels.clv` takes a
rate per period instead) over ``horizon`` months ``H``:

    CLV(s) = m * rate(s) * integral_0^H S(t | s) exp(-rho t) dt
    RMST(s) = integral_0^H S(t | s) dt,   R12(s) = S(12 | s)

(``m`` the mean amount per purchase), averaged over the population ``s ~ N(0, phi)``. The
effect of ``u`` units of satisfaction is ``E[CLV(s + u) - CLV(s)]``; of the driver,
``u * beta`` units of satisfaction.

References
----------
Rosseel, Y., & Loh, W. W. (2022). A structural after measurement approach to structural
equation modeling. *Psychological Methods*. doi:10.1037/met0000503
Skrondal, A., & Kuha, J. (2012). Improved regression calibration. *Psychometrika*, 77(4), 649-669.
Carroll, R. J., Ruppert, D., Stefanski, L. A., & Crainiceanu, C. M. (2006). *Measurement
Error in Nonlinear Models* (2nd ed.). Chapman & Hall/CRC.
Rust, R. T., Lemon, K. N., & Zeithaml, V. A. (2004). Return on marketing: using customer
equity to focus marketing strategy. *Journal of Marketing*, 68(1), 109-127.
Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. *Journal of Marketing
Research*, 41(1), 7-18.
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .. import plotting
from .._numerics import hessian_from_gradient, jacobian, safe_inverse
from .._progress import Progress
from .._results import Result
from .._validation import (check_count, check_level, require_columns, require_finite, require_frame,
                           require_no_missing, require_numeric, require_unique_columns, resolve_seed, rows_text)
from ..churn.checks import check_duration, check_event
from ..errors import ConvergenceWarning, CXModelsError, CXModelsWarning, EstimationError, InputError
from ..provenance import make_provenance
from . import references as refs

OUTCOME_PARAMS = ["log_shape", "log_scale", "gamma", "log_rate", "delta"]
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_GH_LW = np.log(_GH_W / np.sqrt(2 * np.pi))
_POP_X, _POP_W = np.polynomial.hermite_e.hermegauss(40)
_POP_W = _POP_W / np.sqrt(2 * np.pi)
_GL_U, _GL_W = np.polynomial.legendre.leggauss(96)
_GL_U, _GL_W = (_GL_U + 1) / 2, _GL_W / 2


def index_point(scale: tuple[float, float] = (1, 10)) -> float:
    """One point of a 0-100 satisfaction index in the units of items on ``scale``.

    ACSI-style indices rescale the item metric linearly to 0-100, so one index point is
    ``(high - low) / 100`` item units (0.09 on a 1-10 scale): pass it as ``per=``.
    """
    lo, hi = scale
    return (hi - lo) / 100.0


# ----------------------------------------------------------------------------- likelihood
def _loglik(theta, t, d, N, m, sd, nodes, logw):
    """Log-likelihood and gradient of the Weibull-PH + Poisson model, satisfaction integrated.

    ``m`` (n,) and ``sd`` (scalar) describe ``s | items``; ``nodes``/``logw`` the quadrature
    (a single node at 0 with weight 1 gives the plug-in likelihood).
    """
    a, b, g, c, dp = theta
    k = np.exp(a)
    S = m[:, None] + sd * nodes[None, :]
    z = (np.log(t) - b)[:, None]
    H = np.exp(np.clip(k * z + g * S, -700, 700))
    dd = d[:, None]
    if N is None:
        L = dd * (a - b + (k - 1) * z + g * S) - H + logw
        mu = None
    else:
        mu = np.exp(np.clip(c + dp * S, -700, 700)) * t[:, None]
        L = dd * (a - b + (k - 1) * z + g * S) - H + N[:, None] * (c + dp * S + np.log(t)[:, None]) - mu + logw
    ll = special.logsumexp(L, axis=1)
    P = np.exp(L - ll[:, None])
    grad = np.array([
        np.sum(P * (dd * (1 + k * z) - H * k * z)),
        np.sum(P * (-dd * k + H * k)),
        np.sum(P * (dd - H) * S),
        0.0 if mu is None else np.sum(P * (N[:, None] - mu)),
        0.0 if mu is None else np.sum(P * (N[:, None] - mu) * S),
    ])
    const = 0.0 if N is None else -special.gammaln(N + 1).sum()
    return ll.sum() + const, grad


def _start(t, d, N):
    rate = max(d.sum(), 1.0) / t.sum()
    return np.array([0.0, -np.log(rate), 0.0, np.log(max(N.sum(), 1.0) / t.sum()) if N is not None else 0.0, 0.0])


def _fit_outcomes(t, d, N, m, sd, theta0=None):
    """Maximize the (integrated) likelihood; returns (theta, loglik, converged, hessian_inv)."""
    nodes, logw = (_GH_X, _GH_LW) if sd > 0 else (np.zeros(1), np.zeros(1))
    free = slice(None) if N is not None else slice(0, 3)

    def f(x):
        th = np.zeros(5)
        th[free] = x
        ll, gr = _loglik(th, t, d, N, m, sd, nodes, logw)
        return -ll, -gr[free]

    x0 = (_start(t, d, N) if theta0 is None else np.asarray(theta0, float))[free]
    res = optimize.minimize(f, x0, jac=True, method="BFGS", options={"gtol": 1e-6 * len(t), "maxiter": 500})
    th = np.zeros(5)
    th[free] = res.x
    gnorm = np.max(np.abs(res.jac)) / len(t)
    return th, -res.fun, bool(res.success or gnorm < 1e-5), free, f


def _hessian_inv(f, x, h=1e-5):
    """Inverse of the observed information at ``x`` (``f`` returns value and gradient of the
    negative log-likelihood) and whether it is positive definite.

    The symmetrised central-difference Jacobian of the analytic gradient, with the absolute
    step ``h`` the chain has always used (so the plug-in Wald intervals are unchanged)."""
    return safe_inverse(hessian_from_gradient(lambda z: f(z)[1], x, h, relative=False))


# ----------------------------------------------------------------------------- chain effects
@dataclass(frozen=True)
class _Economics:
    horizon: float
    rho: float              # continuous monthly discount rate
    mean_spend: float       # amount per purchase (or per active month when no purchase model)
    retention_at: float = 12.0


def _value_curves(theta, shifts, phi, econ: _Economics, has_purchases: bool):
    """Population means of CLV, RMST and retention for satisfaction shifted by each of ``shifts``."""
    a, b, g, c, dp = theta
    k, lam = np.exp(a), np.exp(b)
    s = np.sqrt(max(phi, 0.0)) * _POP_X[None, :] + np.asarray(shifts, float)[:, None]   # shifts x nodes
    tt = econ.horizon * _GL_U ** 2                         # t = H u^2 smooths t^k near 0
    wt = econ.horizon * 2 * _GL_U * _GL_W
    cum = np.exp(k * (np.log(tt) - b))                     # (t / lambda)^k
    surv = np.exp(-cum[None, None, :] * np.exp(g * s)[:, :, None])
    disc = np.exp(-econ.rho * tt)
    rate = np.exp(c + dp * s) if has_purchases else np.ones_like(s)
    clv = econ.mean_spend * rate * (surv * disc * wt).sum(-1)
    rmst = (surv * wt).sum(-1)
    r12 = np.exp(-(econ.retention_at / lam) ** k * np.exp(g * s))
    avg = lambda x: x @ _POP_W
    return avg(clv), avg(rmst), avg(r12)


def _chain_effects(theta, beta, phi, econ, has_purchases, per, per_driver):
    shifts = [0.0, per] + ([per_driver * beta] if beta is not None else [])
    clv, rmst, r12 = _value_curves(theta, shifts, phi, econ, has_purchases)
    out = {"clv_mean": clv[0], "lifetime_mean": rmst[0], "retention12_mean": r12[0],
           "clv_per_unit": clv[1] - clv[0], "lifetime_per_unit": rmst[1] - rmst[0],
           "retention12_per_unit": r12[1] - r12[0], "hazard_ratio_per_unit": np.exp(theta[2] * per)}
    if has_purchases:
        out["purchase_rate_ratio_per_unit"] = np.exp(theta[4] * per)
    if beta is not None:
        out.update(clv_per_driver_unit=clv[2] - clv[0], lifetime_per_driver_unit=rmst[2] - rmst[0],
                   retention12_per_driver_unit=r12[2] - r12[0])
    return out


# ----------------------------------------------------------------------------- one fit
@dataclass
class _Stage:
    """Everything one (bootstrap) fit of the chain produces."""

    theta: np.ndarray
    beta: float | None
    phi: float
    mean_spend: float
    loglik: float
    converged: bool
    sem: object | None
    vcov: np.ndarray | None = None      # plug-in fits: inverse Hessian of the free parameters
    free: slice = field(default_factory=lambda: slice(None))
    vcov_ok: bool = True                # that Hessian was positive definite


class _Spec:
    """Validated inputs of :func:`fit_value_chain`."""

    def __init__(self, data, model, satisfaction, driver, duration, event, purchases, spend,
                 monthly_revenue, reliability):
        require_frame(data)
        require_unique_columns(data)
        self.model, self.sat, self.driver = model, satisfaction, driver
        self.duration, self.event, self.purchases, self.spend = duration, event, purchases, spend
        self.monthly_revenue, self.reliability = monthly_revenue, reliability
        cols = [duration, event] + ([purchases] if purchases else []) + ([spend] if spend else [])
        if model is None:
            cols.append(satisfaction)
            if driver is not None:
                raise InputError("driver effects need a measurement model (model=...) linking driver and satisfaction")
        if (purchases is None) == (monthly_revenue is None):
            raise InputError("give either purchases= (with spend=) for a purchase model, or monthly_revenue= "
                             "(revenue per active month of a subscription)")
        if purchases is not None and spend is None:
            raise InputError("purchases= needs spend= (the column of each customer's total spend)")
        require_columns(data, cols)
        # the churn domain's checks of tenure and churn, then the purchase columns
        check_duration(data, duration)
        check_event(data, event)
        others = [c for c in cols if c not in (duration, event)]
        require_numeric(data, others)
        require_no_missing(data, others)
        require_finite(data, others)
        if purchases is not None:
            nb = data[purchases].to_numpy(float)
            bad = data.index[(nb < 0) | (nb != np.round(nb))]
            if len(bad):
                raise InputError(f"column {purchases!r} must hold non-negative counts; {len(bad)} rows do not "
                                 f"({rows_text(bad)})")
        if reliability is not None and (isinstance(reliability, bool) or not isinstance(reliability, (int, float))
                                        or not 0 < reliability <= 1):
            raise InputError(f"reliability must lie in (0, 1], got {reliability}")


def _fit_stage(spec: _Spec, data: pd.DataFrame, method: str, theta0=None, sem_kwargs=None) -> _Stage:
    """Fit measurement + outcome models on ``data``; ``method`` is "joint" or a plug-in score."""
    t = data[spec.duration].to_numpy(float)
    d = data[spec.event].to_numpy(float)
    N = data[spec.purchases].to_numpy(float) if spec.purchases else None
    sem, beta = None, None
    if spec.model is not None:
        from ..sem import fit_sem
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sem = fit_sem(spec.model, data, **(sem_kwargs or {}))
        missing = [c for c in (spec.sat, spec.driver) if c is not None and c not in sem.latent]
        if missing:
            raise InputError(f"{missing} are not latent variables of the model (it has {sem.latent})")
        means, cov = sem.latent_posterior(data)
        incomplete = np.isnan(means.to_numpy()).any(axis=1)
        if incomplete.any():
            raise InputError(f"{int(incomplete.sum())} rows have missing survey items "
                             f"({rows_text(data.index[incomplete])}); the chain needs complete answers: "
                             "drop or impute them first")
        m, v = means[spec.sat].to_numpy(), float(cov.loc[spec.sat, spec.sat])
        lat_var = float(sem.latent_covariance().loc[spec.sat, spec.sat])
        est = sem.estimates(standardized=False)
        if spec.driver is not None:
            row = est[(est.op == "~") & (est.lhs == spec.sat) & (est.rhs == spec.driver)]
            if row.empty:
                raise InputError(f"the model has no path {spec.sat} ~ {spec.driver}")
            beta = float(row["est"].iloc[0])
        if method == "bartlett":
            m, v = sem.factor_scores(data, method="bartlett")[spec.sat].to_numpy(), 0.0
        elif method == "mean":
            items = est[(est.op == "=~") & (est.lhs == spec.sat)]["rhs"].tolist()
            m, v = data[items].mean(axis=1).to_numpy(), 0.0
            m = m - m.mean()
        elif method == "regression":
            v = 0.0
    else:
        x = data[spec.sat].to_numpy(float)
        m = x - x.mean()
        lat_var = float(np.var(x))
        v = 0.0
        if spec.reliability is not None and method == "joint":
            # classical error with known reliability: s | x ~ N(rel (x - mean), rel (1 - rel) var(x))
            rel = spec.reliability
            lat_var = rel * float(np.var(x))
            m, v = rel * m, rel * (1 - rel) * float(np.var(x))
    theta, ll, ok, free, f = _fit_outcomes(t, d, N, m, np.sqrt(v), theta0)
    vcov, vcov_ok = _hessian_inv(f, theta[free]) if method != "joint" else (None, True)
    if spec.purchases:
        total_n = data[spec.purchases].sum()
        mean_spend = float(data[spec.spend].sum() / total_n) if total_n > 0 else float("nan")
    else:
        mean_spend = float(spec.monthly_revenue)
    phi = lat_var if method == "joint" else float(np.var(m))
    return _Stage(theta, beta, phi, mean_spend, ll, ok, sem, vcov, free, vcov_ok)


# ----------------------------------------------------------------------------- public API
def _check_number(value, what: str, *, low: float = -np.inf, low_open: bool = True) -> float:
    """A finite real number above ``low`` (``horizon``, ``per`` ...), else InputError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (value <= low if low_open else value < low):
        bound = f" {'>' if low_open else '>='} {low:g}" if np.isfinite(low) else ""
        raise InputError(f"{what} must be a finite number{bound}, got {value!r}")
    return float(value)


def _safe_stage(spec, data, method, **kw) -> _Stage:
    """One stage of the chain; numerical failures become cxmodels errors naming the analysis."""
    try:
        return _fit_stage(spec, data, method, **kw)
    except CXModelsError:
        raise
    except TypeError as exc:     # e.g. an option fit_sem does not take
        raise InputError(f"the {method} fit of the chain could not run: {exc}") from exc
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError) as exc:
        raise EstimationError(f"the {method} fit of the chain failed on these data ({exc}); check for "
                              "near-constant items or outcomes") from exc


def fit_value_chain(data: pd.DataFrame, model: str | None = None, *, satisfaction: str = "SAT",
                    driver: str | None = None, duration: str = "tenure", event: str = "churned",
                    purchases: str | None = "n_purchases", spend: str | None = "spend",
                    monthly_revenue: float | None = None, reliability: float | None = None,
                    horizon: float = 36.0, annual_discount_rate: float = 0.10, per: float = 1.0,
                    per_driver: float = 1.0, n_boot: int = 200, seed=None, level: float = 0.95,
                    plugin: bool = True, sem_options: dict | None = None,
                    progress: bool | None = None) -> "ValueChainResult":
    """Link a driver, satisfaction, churn, purchases and CLV, carrying measurement error.

    Parameters
    ----------
    data : DataFrame
        One row per customer: the survey items of ``model``, tenure, churn indicator and
        (optionally) purchase count and total spend. Not modified.
    model : str, optional
        lavaan syntax measuring ``satisfaction`` (and ``driver``) by their items, with the path
        ``satisfaction ~ driver``. Without a model, ``satisfaction`` is an observed column (an
        index score) treated as exact, or with classical error of known ``reliability``.
    satisfaction, driver : str
        Names of the constructs (or the satisfaction column when ``model`` is None).
    duration, event : str
        Tenure (time units define the horizon's units; months for the defaults) and churn
        (1 = churned, 0 = still active, i.e. censored).
    purchases, spend : str or None
        Purchase count and total spend over the observed tenure (Poisson purchase model with
        exposure = tenure; spend per purchase is its mean, independent of satisfaction).
    monthly_revenue : float, optional
        Instead of a purchase model: revenue per active time unit (a subscription fee).
    horizon : float
        CLV horizon (time units, months for the defaults).
    annual_discount_rate : float
        Discount rate per *year*, applied continuously per month, ``rho = log(1 + d) / 12``
        (unlike :mod:`cxmodels.clv`, whose ``discount_rate`` is per period).
    per, per_driver : float
        Size of the satisfaction (driver) change whose effect is reported, in the construct's
        metric (that of its first item); :func:`index_point` gives one index point.
    n_boot : int
        Bootstrap resamples of customers (both steps refitted); ``0`` for none: point
        estimates only, every interval NaN, with a note in ``warnings``.
    seed : int, Generator or None
        Seed of the bootstrap, recorded in ``provenance`` (its ``steps`` hold the bootstrap);
        with None a seed is drawn and recorded, so the bootstrap can be re-run.
    level : float
        Level of the percentile (and plug-in Wald) intervals.
    plugin : bool
        Also fit the plug-in analyses (regression, Bartlett and item-mean scores treated as
        exact) for :meth:`ValueChainResult.compare_plugin`.
    sem_options : dict, optional
        Passed to :func:`cxmodels.sem.fit_sem`.
    progress : bool or None
        Progress bar over the fits (main, bootstrap, plug-ins): None shows it on a terminal
        outside CI, True/False force it.

    Returns
    -------
    ValueChainResult
    """
    spec = _Spec(data, model, satisfaction, driver, duration, event, purchases, spend, monthly_revenue,
                 reliability)
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot")
    horizon = _check_number(horizon, "horizon", low=0.0)
    annual_discount_rate = _check_number(annual_discount_rate, "annual_discount_rate", low=-1.0)
    per = _check_number(per, "per")
    per_driver = _check_number(per_driver, "per_driver")
    if sem_options is not None and not isinstance(sem_options, dict):
        raise InputError(f"sem_options must be a dict of fit_sem options, got {type(sem_options).__name__}")
    rng, seed_rec = resolve_seed(seed)    # None draws a seed and records it: the bootstrap can be re-run
    econ = dict(horizon=horizon, rho=float(np.log1p(annual_discount_rate) / 12.0))
    sem_kwargs = dict(sem_options or {})
    methods = (["regression", "bartlett", "mean"] if model is not None else ["index"]) if plugin else []
    # the bootstrap refits both steps n_boot times: the slowest step of any study, hence the bar
    bar = Progress(1 + n_boot + len(methods), "value chain", progress)
    main = _safe_stage(spec, data, "joint", sem_kwargs=sem_kwargs)
    bar.update()
    reps, n_fail = [], 0
    n = len(data)
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        sub = data.iloc[idx].reset_index(drop=True)
        try:
            st = _fit_stage(spec, sub, "joint", theta0=main.theta, sem_kwargs=sem_kwargs)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, CXModelsError):
            st = None       # a resample on which a step cannot be fitted is dropped, and counted
        if st is not None and st.converged:   # a replicate that did not converge is dropped, not averaged in
            reps.append(st)
        else:
            n_fail += 1
        bar.update()
    plugins = {}
    for method in methods:
        plugins[method] = _safe_stage(spec, data, method, sem_kwargs=sem_kwargs)
        bar.update()
    options = dict(model=model, satisfaction=satisfaction, driver=driver, duration=duration, event=event,
                   purchases=purchases, spend=spend, monthly_revenue=monthly_revenue, reliability=reliability,
                   horizon=horizon, annual_discount_rate=annual_discount_rate, per=per, per_driver=per_driver,
                   n_boot=n_boot, level=level, plugin=plugin, sem_options=sem_kwargs)
    prov = make_provenance("cxmodels.chain.fit_value_chain", data, options, seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, n_used=len(reps),
                              resample="customers, both steps refitted", interval="percentile", level=level)
    res = ValueChainResult(spec, main, reps, plugins, econ, options, prov)
    if not main.converged:
        res._flag("the outcome model did not converge (gradient not small)", ConvergenceWarning)
    if main.sem is not None:
        for msg in main.sem.warnings:
            res._flag(f"measurement model: {msg}", ConvergenceWarning if not main.sem.converged
                      else CXModelsWarning, converged=main.sem.converged and main.converged,
                      admissible=main.sem.admissible)
    if n_boot and n_fail:
        res._note(f"{n_fail} of {n_boot} bootstrap refits failed or did not converge and were dropped",
                  ConvergenceWarning)
    if n_boot and len(reps) < 2:
        res._note(f"only {len(reps)} of {n_boot} bootstrap refits succeeded: no interval can be formed",
                  ConvergenceWarning)
    if not n_boot:
        # a deliberate choice, so recorded (reports show it) but not raised as a warning
        res._warnings.append("no bootstrap (n_boot=0): point estimates only; standard errors and intervals are NaN")
    for k, st in plugins.items():
        if not st.vcov_ok:
            res._note(f"the plug-in {k} fit has a Hessian that is not positive definite; its Wald intervals are NaN")
    return res


class ValueChainResult(Result):
    """A fitted value chain (see :func:`fit_value_chain`).

    Attributes
    ----------
    sem : SEMResult or None
        The measurement and structural model.
    replicates : DataFrame
        One row per bootstrap resample: outcome parameters, ``beta``, ``phi``, ``mean_spend``.
    """

    def __init__(self, spec, main, reps, plugins, econ, options, provenance):
        self._spec, self._main, self._reps, self._plugins = spec, main, reps, plugins
        self._options, self._warnings, self._provenance = options, [], provenance
        self.sem = main.sem
        self._has_purchases = spec.purchases is not None
        self._econ_kw = econ
        self.replicates = pd.DataFrame(
            [dict(zip(OUTCOME_PARAMS, r.theta), beta=r.beta, phi=r.phi, mean_spend=r.mean_spend) for r in reps])
        self._table = self._build_table()
        self._references = self._cited()

    def _note(self, message: str, category=CXModelsWarning) -> None:
        """Record and warn without touching the flags (about the bootstrap, not the fit)."""
        self._warnings.append(message)
        warnings.warn(message, category, stacklevel=3)

    # -------------------------------------------------------------- internals
    def _econ(self, mean_spend):
        return _Economics(mean_spend=mean_spend, **self._econ_kw)

    def _effects_of(self, st) -> dict:
        o = self._options
        return _chain_effects(st.theta, st.beta, st.phi, self._econ(st.mean_spend), self._has_purchases,
                              o["per"], o["per_driver"])

    @staticmethod
    def _natural(theta, beta, mean_spend, has_purchases):
        out = {"weibull_shape": np.exp(theta[0]), "weibull_scale": np.exp(theta[1]), "gamma": theta[2]}
        if has_purchases:
            out.update(purchase_rate=np.exp(theta[3]), delta=theta[4])
        out["mean_spend" if has_purchases else "monthly_revenue"] = mean_spend
        if beta is not None:
            out["beta"] = beta
        return out

    def _rows(self, st) -> dict:
        return {**self._natural(st.theta, st.beta, st.mean_spend, self._has_purchases), **self._effects_of(st)}

    def _build_table(self) -> pd.DataFrame:
        est = self._rows(self._main)
        alpha = 1 - self._options["level"]
        if len(self._reps) >= 2:
            boot = pd.DataFrame([self._rows(r) for r in self._reps])
            se = boot.std(ddof=1)
            lo, hi = boot.quantile(alpha / 2), boot.quantile(1 - alpha / 2)
        else:
            se = lo = hi = pd.Series(np.nan, index=list(est))
        self._boot = boot if len(self._reps) >= 2 else None
        rows = [{"quantity": k, "est": float(v), "se": float(se[k]), "ci_lower": float(lo[k]),
                 "ci_upper": float(hi[k]), "kind": "effect" if k in _EFFECT_LABELS else "parameter",
                 "description": _EFFECT_LABELS.get(k) or _PARAM_LABELS.get(k, k)} for k, v in est.items()]
        return pd.DataFrame(rows).set_index("quantity")

    # -------------------------------------------------------------- public
    @property
    def params(self) -> pd.Series:
        """Point estimates of every parameter and chain effect."""
        return self._table["est"].copy()

    def effects(self) -> pd.DataFrame:
        """The chain effects with bootstrap SE and percentile interval."""
        return self._table[self._table["kind"] == "effect"].drop(columns="kind")

    def compare_plugin(self) -> pd.DataFrame:
        """What plugging in factor scores as exact values gives, beside the joint fit.

        For each analysis: the satisfaction links ``gamma`` (log hazard ratio) and ``delta``
        (log purchase-rate ratio) with the Wald interval (at ``level``) its own Hessian reports,
        and the CLV effect per unit (delta-method interval from that Hessian). The joint row uses
        the bootstrap (NaN intervals when ``n_boot=0``). Plug-in intervals ignore the scores'
        error and the first step's uncertainty; sum and Bartlett scores are moreover attenuated
        toward zero. Without ``plugin=True`` only the joint row is returned.
        """
        rows = [self._compare_row("joint (measurement error integrated)", self._main, bootstrap=True)]
        label = {"regression": "plug-in regression scores", "bartlett": "plug-in Bartlett scores",
                 "mean": "plug-in item mean", "index": "plug-in index (treated as exact)"}
        for k, st in self._plugins.items():
            rows.append(self._compare_row(label[k], st, bootstrap=False))
        return pd.DataFrame(rows).set_index("analysis")

    def _compare_row(self, name, st, bootstrap):
        e = self._effects_of(st)
        row = {"analysis": name, "gamma": st.theta[2]}
        if self._has_purchases:
            row["delta"] = st.theta[4]
        row["clv_per_unit"] = e["clv_per_unit"]
        qs = ["gamma", "delta", "clv_per_unit"] if self._has_purchases else ["gamma", "clv_per_unit"]
        if bootstrap:
            # the joint fit's intervals are the bootstrap's (NaN without one: n_boot=0)
            for q in qs:
                row[f"{q}_lower"], row[f"{q}_upper"] = self._table.loc[q, ["ci_lower", "ci_upper"]]
            return row
        # what a plug-in analysis reports: Wald intervals from its own Hessian, and the
        # delta method for the CLV effect (numerical gradient in the free parameters)
        free, V = st.free, st.vcov
        z = stats.norm.ppf(0.5 + self._options["level"] / 2)
        se = np.zeros(5)
        se[free] = np.sqrt(np.diag(V))
        for q, j in (("gamma", 2), ("delta", 4)):
            if q == "delta" and not self._has_purchases:
                continue
            row[f"{q}_lower"], row[f"{q}_upper"] = st.theta[j] - z * se[j], st.theta[j] + z * se[j]

        def clv_at(x):
            th = st.theta.copy()
            th[free] = x
            return self._effects_of(_replace(st, theta=th))["clv_per_unit"]

        grad = jacobian(clv_at, st.theta[free], 1e-5, relative=False).ravel()
        half = z * np.sqrt(grad @ V @ grad)
        row["clv_per_unit_lower"], row["clv_per_unit_upper"] = row["clv_per_unit"] - half, row["clv_per_unit"] + half
        return row

    def value_of_shift(self, shifts, replicate: int | None = None) -> np.ndarray:
        """Mean CLV change per customer for satisfaction shifted by each of ``shifts``.

        With ``replicate`` (an index into :attr:`replicates`) the bootstrap parameters are
        used, so callers can propagate the chain's uncertainty.
        """
        st = self._main if replicate is None else self._reps[replicate]
        shifts = np.atleast_1d(np.asarray(shifts, float))
        clv, _, _ = _value_curves(st.theta, np.concatenate([[0.0], shifts]), st.phi, self._econ(st.mean_spend),
                                  self._has_purchases)
        return clv[1:] - clv[0]

    def clv_curve(self, shifts=None) -> pd.DataFrame:
        """Population mean CLV as satisfaction shifts (with bootstrap percentile band when there
        is a bootstrap)."""
        if shifts is None:
            sd = np.sqrt(self._main.phi)
            shifts = np.linspace(-sd, sd, 21)
        shifts = np.asarray(shifts, float)
        main = self._main
        est = _value_curves(main.theta, shifts, main.phi, self._econ(main.mean_spend), self._has_purchases)[0]
        out = pd.DataFrame({"shift": shifts, "clv": est})
        if self._boot is not None:
            boot = np.array([_value_curves(r.theta, shifts, r.phi, self._econ(r.mean_spend),
                                           self._has_purchases)[0] for r in self._reps])
            a = 1 - self._options["level"]
            out["ci_lower"], out["ci_upper"] = np.quantile(boot, [a / 2, 1 - a / 2], axis=0)
        return out

    def plot(self, ax=None):
        """CLV against the shift in satisfaction (band: bootstrap percentile interval); the Axes."""
        ax = plotting.axes(ax)
        cur = self.clv_curve()
        ax.plot(cur["shift"], cur["clv"], color=plotting.color(0))
        if "ci_lower" in cur:
            ax.fill_between(cur["shift"], cur["ci_lower"], cur["ci_upper"], alpha=plotting.BAND_ALPHA,
                            color=plotting.color(0))
        ax.set_xlabel("shift in satisfaction (construct units)")
        ax.set_ylabel("mean CLV per new customer")
        ax.set_title("CLV along the chain")
        return ax

    def plot_plugin(self, ax=None):
        """CLV per unit of satisfaction by analysis, joint against plug-in scores, with intervals
        (none for the joint fit without a bootstrap); the Axes."""
        ax = plotting.axes(ax)
        cmp_ = self.compare_plugin()
        y = np.arange(len(cmp_))
        lo = (cmp_["clv_per_unit"] - cmp_["clv_per_unit_lower"]).fillna(0.0)
        hi = (cmp_["clv_per_unit_upper"] - cmp_["clv_per_unit"]).fillna(0.0)
        ax.errorbar(cmp_["clv_per_unit"], y, xerr=[lo, hi], fmt="o", color="#333333", capsize=3)
        ax.set_yticks(y, cmp_.index)
        ax.invert_yaxis()
        ax.set_xlabel(f"CLV change per {self._options['per']:g} unit of satisfaction "
                      f"({self._options['level']:.0%} interval)")
        ax.set_title("Measurement error: joint vs plug-in")
        return ax

    def plot_overview(self):
        """:meth:`plot` (left) beside :meth:`plot_plugin` (right); returns the Figure."""
        fig, axs = plotting.figure(1, 2, figsize=(11, 4))
        self.plot(axs[0])
        self.plot_plugin(axs[1])
        fig.tight_layout()
        return fig

    def _cited(self) -> tuple:
        """The works :meth:`methods_text` cites, in the order it cites them."""
        r = refs
        out = ([r.ROSSEEL_2012, r.ROSSEEL_LOH_2022, r.SKRONDAL_KUHA_2012, r.CARROLL_2006]
               if self._options["model"] else [])
        out += [r.GUPTA_2004, r.RUST_2004]
        if self._boot is not None:
            out.append(r.EFRON_1993)
        return tuple(out)

    def methods_text(self) -> str:
        o, t, r = self._options, self._table, refs
        clv = t.loc["clv_per_unit"]
        pct = f"{100 * o['level']:.0f}%"
        meas = ("Satisfaction was measured as a latent construct by confirmatory factor analysis, fitted by "
                "maximum likelihood with cxmodels.sem.fit_sem, whose estimates match lavaan, described by "
                f"{r.ROSSEEL_2012.cite}. The churn and purchase models were fitted by maximum likelihood "
                "integrating over each customer's satisfaction given her survey answers (the latent posterior of "
                "the measurement model, 24-point Gauss-Hermite quadrature): the two-step "
                f"structural-after-measurement estimator of {r.ROSSEEL_LOH_2022.cite}, which avoids the "
                f"attenuation of plug-in factor scores described by {r.SKRONDAL_KUHA_2012.cite} and "
                f"{r.CARROLL_2006.cite}. " if o["model"] else
                "Satisfaction was an observed index score" + (
                    f" with classical measurement error of reliability {o['reliability']:.2f} integrated out. "
                    if o["reliability"] else ", treated as measured without error. "))
        purch = ("Purchases followed a Poisson process with a log-linear effect of satisfaction on the rate "
                 "and exposure equal to tenure; the amount per purchase is its sample mean. "
                 if self._has_purchases else f"Revenue was {o['monthly_revenue']} per active month. ")
        if self._boot is not None:
            boot = (f"Uncertainty was propagated through both steps and the nonlinear CLV functional by "
                    f"{len(self._reps)} nonparametric bootstrap resamples of customers, with percentile "
                    f"{pct} intervals as in {r.EFRON_1993.cite}, with bootstrap seed {self._provenance.seed}. ")
            result = (f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f} "
                      f"({pct} interval {clv['ci_lower']:.2f} to {clv['ci_upper']:.2f}).")
        else:
            boot = "No bootstrap was run, so the estimates below are point estimates without intervals. "
            result = f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f}."
        return (meas + "Tenure followed a Weibull proportional-hazards model with satisfaction as covariate. "
                + purch + f"Customer lifetime value of a new customer was the expected discounted revenue over "
                f"{o['horizon']:g} months (continuous discounting, {100 * o['annual_discount_rate']:g}% a year), "
                f"averaged over the satisfaction distribution, following {r.GUPTA_2004.cite} and "
                f"the driver-to-value logic of {r.RUST_2004.cite}. " + boot + result)


_PARAM_LABELS = {
    "weibull_shape": "Weibull shape k of the churn hazard",
    "weibull_scale": "Weibull scale lambda (time units) at mean satisfaction",
    "gamma": "log hazard ratio of churn per unit of satisfaction",
    "purchase_rate": "purchases per time unit at mean satisfaction",
    "delta": "log purchase-rate ratio per unit of satisfaction",
    "mean_spend": "mean amount per purchase",
    "monthly_revenue": "revenue per active time unit (given)",
    "beta": "driver -> satisfaction path",
}
_EFFECT_LABELS = {
    "clv_mean": "mean CLV of a new customer",
    "lifetime_mean": "mean lifetime within the horizon (RMST)",
    "retention12_mean": "share retained at 12 time units",
    "clv_per_unit": "CLV change per unit of satisfaction",
    "lifetime_per_unit": "RMST change per unit of satisfaction",
    "retention12_per_unit": "12-unit retention change per unit of satisfaction",
    "hazard_ratio_per_unit": "churn hazard ratio per unit of satisfaction",
    "purchase_rate_ratio_per_unit": "purchase-rate ratio per unit of satisfaction",
    "clv_per_driver_unit": "CLV change per unit of the driver",
    "lifetime_per_driver_unit": "RMST change per unit of the driver",
    "retention12_per_driver_unit": "12-unit retention change per unit of the driver",
}
