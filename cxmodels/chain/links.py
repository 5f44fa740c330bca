"""The value chain: driver -> satisfaction -> churn hazard and purchase rate -> CLV, for the whole base.

Model
-----
Satisfaction ``SAT`` (and a driver ``PQ``) is latent, measured by survey items: continuous
items by the CB-SEM (:func:`cxmodels.sem.fit_sem`), Likert items by the ordinal-probit factor
model of :mod:`cxmodels.chain.measurement`. Given satisfaction ``s`` a customer's lifetime
follows one of the churn domain's parametric families (:mod:`cxmodels.churn.parametric`; by
default the Weibull proportional-hazards model) and, while active, purchases arrive as a Poisson
process (:mod:`cxmodels.chain.behaviour`):

    S(t | s) = exp(-(t / lambda)^k exp(gamma s))  (Weibull),      rate(s) = r0 exp(delta s).

The driver, the items and the outcomes are assumed independent given satisfaction (the
chain's hypothesis: the driver acts through satisfaction).

The survey and the whole base
-----------------------------
The behaviour of every customer is observed; the survey only for those who answered (joined
by the customer id). A respondent's likelihood is integrated over her posterior of
satisfaction given her answers, a non-respondent's over the population distribution
``N(mu_nr, phi)``. ``mu_nr`` is a parameter when response may depend on satisfaction (a
pattern-mixture selection model, identified by non-respondents' behaviour), and
:meth:`ValueChainResult.sensitivity` refits with it held at fixed values. Because
``p(items, outcomes) = p(items) * integral p(outcomes | s) p(s | items) ds``, this is the exact
likelihood of the outcome parameters given the measurement model: a two-step ("structural
after measurement", Rosseel & Loh 2022) estimator, consistent where the plug-in is not.

Uncertainty
-----------
Every quantity, from the measurement model to the CLV effect, is recomputed on nonparametric
bootstrap resamples of customers (row weights), refitting *both* steps from the main fit's
estimates by Newton steps with its Hessian. The bootstrap is chosen over the delta method
because the CLV effect is a nonlinear functional of parameters from two models, and over a
joint Bayesian model because it needs no priors; intervals are percentile intervals.

Chain effects
-------------
For a newly acquired customer, discounting as :mod:`cxmodels.clv` does (a value at ``t`` time
units is worth ``(1 + d)^-t``, ``d = discount_rate`` per time unit, i.e. ``rho = log(1 + d)``)
over ``horizon`` ``H``:

    CLV(s) = m * rate(s) * integral_0^H S(t | s) (1 + d)^-t dt     (cxmodels.clv.discount_factor)
    RMST(s) = integral_0^H S(t | s) dt,   R12(s) = S(12 | s)

(``m`` the mean amount per purchase), averaged over the base's satisfaction (respondents and
non-respondents). The effect of ``u`` units of satisfaction is ``E[CLV(s + u) - CLV(s)]``; of
the driver, ``u * beta`` units of satisfaction.

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

from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._numerics import hessian_from_gradient, jacobian, safe_inverse
from .._progress import Progress
from .._results import Result
from .._validation import check_count, check_level, resolve_seed
from ..churn import parametric
from ..clv import discount_factor
from .behaviour import OUTCOME_PARAMS, fit
from .survey import SHIFTS, _record_bootstrap, _GH_LW, _GH_X, _measure, _population_path, _Spec
from ..errors import ConvergenceWarning, CXModelsError, CXModelsWarning, EstimationError, InputError
from ..provenance import make_provenance
from . import references as refs

_POP_X, _POP_W = np.polynomial.hermite_e.hermegauss(40)
_POP_W = _POP_W / np.sqrt(2 * np.pi)
_GL_U, _GL_W = np.polynomial.legendre.leggauss(96)
_GL_U, _GL_W = (_GL_U + 1) / 2, _GL_W / 2
# contractual churn families (cxmodels.churn.aft's) and the noncontractual BTYD models
CLV_MODELS = (*parametric.DISTS, "bgnbd", "pareto_nbd")


def index_point(scale: tuple[float, float] = (1, 10)) -> float:
    """One point of a 0-100 satisfaction index in the units of items on ``scale``.

    ACSI-style indices rescale the item metric linearly to 0-100, so one index point is
    ``(high - low) / 100`` item units (0.09 on a 1-10 scale): pass it as ``per=``.
    """
    lo, hi = scale
    return (hi - lo) / 100.0


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
    discount_rate: float    # per time unit: cxmodels.clv.discount_factor, (1 + d)^-t
    mean_spend: float       # amount per purchase (or per active month when no purchase model)
    retention_at: float = 12.0


def _value_curves(theta, shifts, phi, econ: _Economics, has_purchases: bool, mix=((0.0, 1.0),), dist="weibull"):
    """Population means of CLV, RMST and retention for satisfaction shifted by each of ``shifts``.

    The population is a mixture of normals ``N(mean, phi)`` with the shares of ``mix``
    (respondents at 0, non-respondents at ``mu_nr``): the whole customer base. Survival is the
    churn family's, :func:`cxmodels.churn.parametric.survival` of ``k (log t - log lambda) + gamma s``.
    """
    a, b, g, c, dp = theta[:5]
    k = np.exp(a)
    tt = econ.horizon * _GL_U ** 2                         # t = H u^2 smooths t^k near 0
    wt = econ.horizon * 2 * _GL_U * _GL_W
    z0 = k * (np.log(tt) - b)
    z12 = k * (np.log(econ.retention_at) - b)
    disc = discount_factor(tt, econ.discount_rate)      # the clv domain's convention
    out = np.zeros((3, len(np.atleast_1d(shifts))))
    for mean, share in mix:
        s = np.sqrt(max(phi, 0.0)) * _POP_X[None, :] + mean + np.asarray(shifts, float)[:, None]
        surv = parametric.survival(dist, z0[None, None, :] + (g * s)[:, :, None])
        rate = np.exp(c + dp * s) if has_purchases else np.ones_like(s)
        clv = econ.mean_spend * rate * (surv * disc * wt).sum(-1)
        rmst = (surv * wt).sum(-1)
        r12 = parametric.survival(dist, z12 + g * s)
        out += share * np.array([clv @ _POP_W, rmst @ _POP_W, r12 @ _POP_W])
    return out[0], out[1], out[2]


def _chain_effects(theta, beta, phi, econ, has_purchases, per, per_driver, mix=((0.0, 1.0),), dist="weibull"):
    shifts = [0.0, per] + ([per_driver * beta] if beta is not None else [])
    clv, rmst, r12 = _value_curves(theta, shifts, phi, econ, has_purchases, mix, dist)
    out = {"clv_mean": clv[0], "lifetime_mean": rmst[0], "retention12_mean": r12[0],
           "clv_per_unit": clv[1] - clv[0], "lifetime_per_unit": rmst[1] - rmst[0],
           "retention12_per_unit": r12[1] - r12[0]}
    if dist == "weibull":
        out["hazard_ratio_per_unit"] = np.exp(theta[2] * per)
    else:       # an accelerated-failure-time family: satisfaction stretches lifetimes
        out["time_ratio_per_unit"] = np.exp(-theta[2] * per / np.exp(theta[0]))
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

    theta: np.ndarray                   # five outcome parameters (+ mu_nr with non-respondents)
    beta: float | None
    phi: float
    mean_spend: float
    loglik: float
    converged: bool
    sem: object | None
    vcov: np.ndarray | None = None      # plug-in fits: inverse Hessian of the free parameters
    free: np.ndarray | slice = field(default_factory=lambda: slice(None))
    vcov_ok: bool = True                # that Hessian was positive definite
    mix: tuple = ((0.0, 1.0),)          # the base as a mixture: (mean satisfaction, share)
    warm: dict = field(default_factory=dict, repr=False)   # warm starts for bootstrap refits
    ordinal: object | None = None       # the ordinal measurement model (Likert items)
    sensitivity: list | None = None     # (shift in SD, clv_per_unit) with mu_nr held fixed

    @property
    def mu_nr(self) -> float:
        return float(self.theta[5]) if len(self.theta) > 5 else 0.0


def _fit_stage(spec: _Spec, method: str, w=None, warm=None, sem_kwargs=None, response="selection",
               shifts=None, dist="weibull") -> _Stage:
    """Fit measurement + outcome models (rows weighted by ``w``, a bootstrap resample);
    ``method`` is "joint" or a plug-in score (fitted on the respondents only)."""
    warm = dict(warm or {})
    beh = spec.behaviour
    t_all = beh[spec.duration].to_numpy(float)
    d_all = beh[spec.event].to_numpy(float)
    N_all = beh[spec.purchases].to_numpy(float) if spec.purchases else None
    (SR, lwR), phi, beta, sem, ordinal, _ = _measure(spec, method, w, warm, sem_kwargs or {})
    resp = spec.resp
    joint = method == "joint"
    rows = np.ones(len(beh), bool) if joint else resp
    t, d = t_all[rows], d_all[rows]
    N = None if N_all is None else N_all[rows]
    wr = None if w is None else w[rows]
    nr, mix = None, ((0.0, 1.0),)
    if joint and not resp.all():
        # non-respondents: the population distribution N(mu_nr, phi) on the same number of nodes
        q = SR.shape[1]
        x, lw = (_GH_X, _GH_LW) if q == _GH_X.size else np.polynomial.hermite_e.hermegauss(q)
        if q != _GH_X.size:
            lw = np.log(lw / np.sqrt(2 * np.pi))
        S = np.empty((len(beh), q))
        logw = np.empty((len(beh), q))
        S[resp], logw[resp] = SR, lwR
        S[~resp], logw[~resp] = np.sqrt(phi) * x, lw
        nr = ~resp
    else:
        S, logw = SR, lwR
    fixed = 0.0 if (nr is not None and response == "random") else None
    theta, ll, ok, free, f, hinv = fit(t, d, N, S, logw, nr=nr, w=wr, theta0=warm.get("theta"),
                                       hess_inv0=warm.get("hinv"), fixed_mu=fixed, dist=dist)
    if nr is not None:
        share_r = float(resp.mean() if w is None else w[resp].sum() / w.sum())
        mix = ((0.0, share_r), (float(theta[5]), 1.0 - share_r))
    vcov, vcov_ok = _hessian_inv(f, theta[free]) if not joint else (None, True)
    if spec.purchases:
        sp = beh[spec.spend].to_numpy(float)
        ww = np.ones(len(beh)) if w is None else w
        total_n = N_all @ ww
        mean_spend = float(sp @ ww / total_n) if total_n > 0 else float("nan")
    else:
        mean_spend = float(spec.monthly_revenue)
    if not joint:
        phi = float(np.var(SR[:, 0]))
    beta = _population_path(beta, mix)
    stage = _Stage(theta, beta, phi, mean_spend, ll, ok, sem, vcov, free, vcov_ok, mix,
                   warm={"theta": theta, "hinv": hinv, "ordinal": ordinal,
                         "ordinal_hinv": getattr(ordinal, "hess_inv", None), "driver": warm.get("_driver_fit")},
                   ordinal=ordinal)
    if shifts is not None and nr is not None:
        stage.sensitivity = []
        k = int(free[:5].sum())          # mu_nr is the last free parameter: drop its row and column
        for delta in shifts:
            th, _, ok_s, _, _, _ = fit(t, d, N, S, logw, nr=nr, w=wr, theta0=theta[:5], fixed_mu=delta * np.sqrt(phi),
                                       hess_inv0=None if hinv is None else hinv[:k, :k], dist=dist)
            stage.sensitivity.append((delta, th, ok_s))
    return stage


def _keep_heap():
    """Keep freed memory in the heap of a worker process.

    Fresh worker processes start with glibc's default heap padding, under which every large
    (customers x nodes) temporary of a refit is mapped afresh: the page faults cost as much CPU
    as the refits (measured on the study base). A 64 MB top pad keeps the heap; no effect off glibc.
    """
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").mallopt(-2, 64 << 20)      # M_TOP_PAD
    except (OSError, AttributeError):
        pass


def _boot_chunk(spec, warm, weights, sem_kwargs, response, dist):
    """Bootstrap refits of the chain for a list of row-weight vectors (None where a step fails)."""
    _keep_heap()
    out = []
    for w in weights:
        try:
            out.append(_fit_stage(spec, "joint", w=w, warm=warm, sem_kwargs=sem_kwargs, response=response,
                                  dist=dist))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, IndexError, CXModelsError):
            out.append(None)
    return out


# ----------------------------------------------------------------------------- public API
def _check_number(value, what: str, *, low: float = -np.inf, low_open: bool = True) -> float:
    """A finite real number above ``low`` (``horizon``, ``per`` ...), else InputError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (value <= low if low_open else value < low):
        bound = f" {'>' if low_open else '>='} {low:g}" if np.isfinite(low) else ""
        raise InputError(f"{what} must be a finite number{bound}, got {value!r}")
    return float(value)


def _safe_stage(spec, method, **kw) -> _Stage:
    """One stage of the chain; numerical failures become cxmodels errors naming the analysis."""
    try:
        return _fit_stage(spec, method, **kw)
    except CXModelsError:
        raise
    except TypeError as exc:     # e.g. an option fit_sem does not take
        raise InputError(f"the {method} fit of the chain could not run: {exc}") from exc
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError, IndexError) as exc:
        raise EstimationError(f"the {method} fit of the chain failed on these data ({exc}); check for "
                              "near-constant items or outcomes") from exc


def fit_value_chain(data: pd.DataFrame, model: str | None = None, *, survey: pd.DataFrame | None = None,
                    customer: str | None = None, satisfaction: str = "SAT", driver: str | None = None,
                    scale=None, duration: str = "tenure", event: str = "churned",
                    purchases: str | None = "n_purchases", spend: str | None = "spend",
                    monthly_revenue: float | None = None, reliability: float | None = None,
                    response: str | None = None, horizon: float = 36.0,
                    discount_rate: float = 1.10 ** (1 / 12) - 1, per: float = 1.0, per_driver: float = 1.0,
                    n_boot: int = 200, seed=None, level: float = 0.95, plugin: bool = True,
                    sem_options: dict | None = None, progress: bool | None = None,
                    n_jobs: int = 1, clv_model: str = "weibull") -> "ValueChainResult":
    """Link a driver, satisfaction, churn, purchases and CLV for the whole base, carrying
    measurement error, survey non-response and the uncertainty of both steps.

    Parameters
    ----------
    data : DataFrame
        The behaviour of every customer, one row each: tenure, churn indicator and (optionally)
        purchase count and total spend; without ``survey``, also the survey items (every
        customer answered). Not modified.
    model : str, optional
        lavaan syntax measuring ``satisfaction`` (and ``driver``) by their items, with the path
        ``satisfaction ~ driver``. Without a model, ``satisfaction`` is an observed column (an
        index score) treated as exact, or with classical error of known ``reliability``.
    survey : DataFrame, optional
        The answers of the customers who responded (a ``customer`` id column and the items);
        every respondent must be in ``data``. Non-respondents enter through satisfaction's
        population distribution, so the value of a point is for the whole base.
    customer : str, optional
        The id column in ``data`` and ``survey`` (needed with ``survey``).
    satisfaction, driver : str
        Names of the constructs (or the satisfaction column when ``model`` is None).
    scale : None, int or (low, high)
        The items' declared scale. None: continuous items (the CB-SEM's normal measurement
        model). An int ``K`` (``1..K``) or a pair: Likert items, measured by the ordinal-probit
        factor model (:mod:`cxmodels.chain.measurement`); items off that scale are refused.
    duration, event : str
        Tenure (its time unit is the chain's: ``horizon`` and ``discount_rate`` are in it) and
        churn (1 = churned, 0 = still active, i.e. censored).
    purchases, spend : str or None
        Purchase count and total spend over the observed tenure (Poisson purchase model with
        exposure = tenure; spend per purchase is its mean, independent of satisfaction).
    monthly_revenue : float, optional
        Instead of a purchase model: revenue per active time unit (a subscription fee).
    response : {"selection", "random"}, optional
        With non-respondents: "selection" (the default for every ``clv_model``) estimates their
        mean satisfaction ``mu_nr`` from their behaviour (a pattern-mixture selection model,
        identified when satisfaction moves behaviour; in the BTYD chains bounded to 3 SD of
        satisfaction); "random" holds it at the respondents' (response unrelated to
        satisfaction). Either way ``sensitivity()`` refits with ``mu_nr`` held at -0.5 ... +0.5
        SD of satisfaction.
    horizon : float
        CLV horizon (time units).
    discount_rate : float
        Discount rate per time unit, the convention of :func:`cxmodels.clv.customer_lifetime_value`:
        a value at time ``t`` is worth ``(1 + d)^-t`` now. The default is 10% a year, per month.
    per, per_driver : float
        Size of the satisfaction (driver) change whose effect is reported, in the construct's
        metric (that of its first item); :func:`index_point` gives one index point.
    n_boot : int
        Bootstrap resamples of customers (both steps refitted, warm-started); ``0`` for none:
        point estimates only, every interval NaN, with a note in ``warnings``.
    seed : int, Generator or None
        Seed of the bootstrap, recorded in ``provenance`` (its ``steps`` hold the bootstrap);
        with None a seed is drawn and recorded, so the bootstrap can be re-run.
    level : float
        Level of the percentile (and plug-in Wald) intervals.
    plugin : bool
        Also fit the plug-in analyses (factor scores or item means treated as exact, on the
        respondents) for :meth:`ValueChainResult.compare_plugin`.
    sem_options : dict, optional
        Passed to :func:`cxmodels.sem.fit_sem` (continuous items).
    progress : bool or None
        Progress bar over the fits (main, bootstrap, plug-ins): None shows it on a terminal
        outside CI, True/False force it.
    n_jobs : int
        Worker processes for the bootstrap (joblib; -1: every core), for every ``clv_model``.
        The resamples are drawn in the calling process, so the result does not depend on
        ``n_jobs``.
    clv_model : {"weibull", "lognormal", "loglogistic", "bgnbd", "pareto_nbd"}
        Contractual churn (``data`` holds tenure and churn): a lifetime family of the churn
        domain's parametric models (:func:`cxmodels.churn.aft`, whose likelihood
        :mod:`cxmodels.churn.parametric` the chain integrates over satisfaction) with a
        Poisson purchase process; "weibull" (the default) is proportional hazards, the other two
        accelerated-failure-time models reporting ``time_ratio_per_unit``. Noncontractual
        purchasing, "bgnbd" / "pareto_nbd": the chain of :mod:`cxmodels.chain.btyd`
        (docs/chain_btyd.md): ``data`` holds every customer's RFM summary (columns
        ``frequency``, ``recency``, ``T`` of :func:`cxmodels.clv.rfm_summary`); satisfaction is
        a latent covariate of the purchase rate (``alpha_i = alpha exp(-gamma s)``) and of
        dropout (one coefficient ``gamma_dropout``: BG/NBD ``a_i = a exp(gamma_dropout s)``,
        Pareto/NBD ``beta_i = beta exp(-gamma_dropout s)``); ``spend`` names the mean-spend
        column (Gamma-Gamma with the same covariate) or None (value in purchases). Returns a
        ``BTYDChainResult`` (``effects()`` split by channel, ``value_of_shift``,
        ``sensitivity``). These chains take no ``driver``, ``monthly_revenue`` or
        ``sem_options`` and have no plug-in comparison (refused rather than ignored where given).

    Returns
    -------
    ValueChainResult
    """
    if clv_model not in CLV_MODELS:
        raise InputError(f"clv_model must be one of {list(CLV_MODELS)}, got {clv_model!r}")
    if clv_model not in parametric.DISTS:
        return _btyd(data, model, locals())
    response = "selection" if response is None else response
    spec = _Spec(data, model, satisfaction, driver, duration, event, purchases, spend, monthly_revenue,
                 reliability, survey, customer, scale)
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot")
    horizon = _check_number(horizon, "horizon", low=0.0)
    discount_rate = _check_number(discount_rate, "discount_rate", low=-1.0)
    per = _check_number(per, "per")
    per_driver = _check_number(per_driver, "per_driver")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be a positive number of worker processes or -1 (every core), got {n_jobs!r}")
    if response not in ("selection", "random"):
        raise InputError(f"response must be 'selection' or 'random', got {response!r}")
    if sem_options is not None and not isinstance(sem_options, dict):
        raise InputError(f"sem_options must be a dict of fit_sem options, got {type(sem_options).__name__}")
    rng, seed_rec = resolve_seed(seed)    # None draws a seed and records it: the bootstrap can be re-run
    econ = dict(horizon=horizon, discount_rate=discount_rate)
    sem_kwargs = dict(sem_options or {})
    if plugin:
        methods = (["index"] if model is None else
                   ["regression", "bartlett", "mean"] if spec.scale is None else ["eap", "mean"])
    else:
        methods = []
    # the bootstrap refits both steps n_boot times: the slowest step of any study, hence the bar
    bar = Progress(1 + n_boot + len(methods), "value chain", progress)
    main = _safe_stage(spec, "joint", sem_kwargs=sem_kwargs, response=response, shifts=SHIFTS, dist=clv_model)
    bar.update()
    reps, n_fail = [], 0
    n = len(data)
    # resamples drawn here, in order, so the replicates do not depend on n_jobs; fitted in
    # chunks (in worker processes with n_jobs > 1)
    chunk = 25
    starts = list(range(0, n_boot, chunk))
    draw = lambda m: [np.bincount(rng.integers(0, n, n), minlength=n).astype(float) for _ in range(m)]
    if n_jobs == 1 or n_boot < 2 * chunk:
        results = (_boot_chunk(spec, main.warm, draw(min(chunk, n_boot - a)), sem_kwargs, response, clv_model)
                   for a in starts)
    else:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_boot_chunk)(spec, main.warm, draw(min(chunk, n_boot - a)), sem_kwargs, response, clv_model)
            for a in starts)
    for part in results:
        for st in part:
            # a resample on which a step cannot be fitted, or that did not converge, is dropped and counted
            if st is not None and st.converged:
                reps.append(st)
            else:
                n_fail += 1
            bar.update()
    plugins = {}
    for method in methods:
        plugins[method] = _safe_stage(spec, method, sem_kwargs=sem_kwargs, dist=clv_model)
        bar.update()
    options = dict(model=model, satisfaction=satisfaction, driver=driver, customer=customer, scale=spec.scale,
                   duration=duration, event=event, purchases=purchases, spend=spend,
                   monthly_revenue=monthly_revenue, reliability=reliability, response=response,
                   horizon=horizon, discount_rate=discount_rate, per=per, per_driver=per_driver,
                   n_boot=n_boot, level=level, plugin=plugin, sem_options=sem_kwargs, clv_model=clv_model,
                   n_customers=n, n_respondents=int(spec.resp.sum()))
    prov = make_provenance("cxmodels.chain.fit_value_chain", data, options, seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, n_used=len(reps),
                              resample="customers, both steps refitted", interval="percentile", level=level)
    res = ValueChainResult(spec, main, reps, plugins, econ, options, prov)
    if not main.converged:
        res._flag("the outcome model did not converge (gradient not small)", ConvergenceWarning)
    if main.ordinal is not None and not main.ordinal.converged:
        res._flag("the ordinal measurement model did not converge (gradient not small)", ConvergenceWarning)
    if main.sem is not None:
        for msg in main.sem.warnings:
            res._flag(f"measurement model: {msg}", ConvergenceWarning if not main.sem.converged
                      else CXModelsWarning, converged=main.sem.converged and main.converged,
                      admissible=main.sem.admissible)
    _record_bootstrap(res, n_boot, len(reps), n_fail)
    for k, st in plugins.items():
        if not st.vcov_ok:
            res._note(f"the plug-in {k} fit has a Hessian that is not positive definite; its Wald intervals are NaN")
    if res._selection_weak():
        res._note("non-respondents' mean satisfaction is weakly identified (satisfaction barely moves behaviour); "
                  "read sensitivity() rather than the selection estimate")
    return res


def _btyd(data, model, a):
    """The noncontractual chain (:mod:`cxmodels.chain.btyd`), which checks the options it supports."""
    from .btyd import fit_btyd_chain
    given = [k for k in ("driver", "monthly_revenue", "sem_options") if a[k] is not None]
    if given:
        raise InputError(f"clv_model={a['clv_model']!r} takes no {', '.join(given)} (yet)")
    rng, seed_rec = resolve_seed(a["seed"])
    n_boot = check_count(a["n_boot"], "n_boot")
    bar = Progress(1 + n_boot, "value chain", a["progress"])
    return fit_btyd_chain(data, model, clv_model=a["clv_model"], survey=a["survey"], customer=a["customer"],
                          satisfaction=a["satisfaction"], scale=a["scale"], rfm=("frequency", "recency", "T"),
                          spend=a["spend"], reliability=a["reliability"],
                          horizon=_check_number(a["horizon"], "horizon", low=0.0),
                          discount_rate=_check_number(a["discount_rate"], "discount_rate", low=-1.0),
                          per=_check_number(a["per"], "per"), n_boot=n_boot, rng=rng, seed_rec=seed_rec,
                          level=check_level(a["level"]), bar=bar, response=a["response"], n_jobs=a["n_jobs"])


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
        self._dist = options["clv_model"]
        self._econ_kw = econ
        self.replicates = pd.DataFrame(
            [dict(zip(OUTCOME_PARAMS, r.theta), beta=r.beta, phi=r.phi, mean_spend=r.mean_spend, mu_nr=r.mu_nr)
             for r in reps])
        self._table = self._build_table()
        self._references = self._cited()

    # -------------------------------------------------------------- internals
    def _econ(self, mean_spend):
        return _Economics(mean_spend=mean_spend, **self._econ_kw)

    def _effects_of(self, st) -> dict:
        o = self._options
        return _chain_effects(st.theta, st.beta, st.phi, self._econ(st.mean_spend), self._has_purchases,
                              o["per"], o["per_driver"], st.mix, self._dist)

    @staticmethod
    def _natural(theta, beta, mean_spend, has_purchases, phi=None, mix=((0.0, 1.0),), dist="weibull"):
        # baselines at the base's mean satisfaction (respondents' mean is the latent origin; with
        # non-respondents elsewhere the base's mean is the share-weighted mean of the two)
        centre = sum(m * w for m, w in mix)
        k = np.exp(theta[0])
        shape, scale = _FAMILY_PARAMS[dist]
        out = {shape: k if dist != "lognormal" else 1 / k,
               scale: np.exp(theta[1] - theta[2] * centre / k), "gamma": theta[2]}
        if phi is not None:
            out["satisfaction_sd"] = np.sqrt(phi)
        if len(theta) > 5:
            out["nonrespondent_shift"] = theta[5]
        if has_purchases:
            out.update(purchase_rate=np.exp(theta[3] + theta[4] * centre), delta=theta[4])
        out["mean_spend" if has_purchases else "monthly_revenue"] = mean_spend
        if beta is not None:
            out["beta"] = beta
        return out

    def _rows(self, st) -> dict:
        return {**self._natural(st.theta, st.beta, st.mean_spend, self._has_purchases, st.phi, st.mix, self._dist),
                **self._effects_of(st)}

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
    def loglik(self) -> float:
        """The outcome models' log-likelihood integrated over satisfaction, given the measurement
        model (the second step's): comparable across ``clv_model`` families on the same data."""
        return float(self._main.loglik)

    @property
    def aic(self) -> float:
        """``2 p - 2 loglik`` with ``p`` the outcome model's free parameters: to choose the churn
        family (the measurement step is the same for every family)."""
        return float(2 * np.sum(self._main.free) - 2 * self._main.loglik)

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
                 "mean": "plug-in item mean", "index": "plug-in index (treated as exact)",
                 "eap": "plug-in EAP scores (ordinal model)"}
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
        se = np.zeros(len(st.theta))
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
                                  self._has_purchases, st.mix, self._dist)
        return clv[1:] - clv[0]

    def sensitivity(self) -> pd.DataFrame:
        """CLV per unit of satisfaction for the whole base as non-respondents' mean satisfaction
        varies: each row holds it fixed at ``shift_sd`` standard deviations of satisfaction from
        the respondents' mean and refits the behaviour models (point estimates); the last row is
        the selection model's estimate with its bootstrap interval.

        A sensitivity analysis over the strength of the dependence of response on satisfaction,
        for when that dependence is weakly identified (satisfaction barely moves behaviour).
        Empty when every customer answered.
        """
        main = self._main
        if not main.sensitivity:
            return pd.DataFrame(columns=["shift_sd", "nonrespondent_mean", "clv_per_unit", "converged"])
        sd = np.sqrt(main.phi)
        share_r = main.mix[0][1]
        rows = []
        for delta, th, ok in main.sensitivity:
            st = _replace(main, theta=th, mix=((0.0, share_r), (delta * sd, 1 - share_r)))
            rows.append({"analysis": f"non-respondents at {delta:+g} SD", "shift_sd": delta,
                         "nonrespondent_mean": delta * sd, "clv_per_unit": self._effects_of(st)["clv_per_unit"],
                         "ci_lower": np.nan, "ci_upper": np.nan, "converged": ok})
        t = self._table
        est = t.loc["nonrespondent_shift"]
        clv = t.loc["clv_per_unit"]
        rows.append({"analysis": f"estimated ({self._options['response']})", "shift_sd": est["est"] / sd,
                     "nonrespondent_mean": est["est"], "clv_per_unit": clv["est"], "ci_lower": clv["ci_lower"],
                     "ci_upper": clv["ci_upper"], "converged": main.converged})
        return pd.DataFrame(rows).set_index("analysis")

    def _selection_weak(self) -> bool:
        """Non-respondents' mean is weakly identified: its bootstrap interval spans more than
        two standard deviations of satisfaction."""
        t = self._table
        if "nonrespondent_shift" not in t.index or self._options["response"] != "selection":
            return False
        width = t.loc["nonrespondent_shift", "ci_upper"] - t.loc["nonrespondent_shift", "ci_lower"]
        return bool(np.isfinite(width) and width > 2 * np.sqrt(self._main.phi))

    def clv_curve(self, shifts=None) -> pd.DataFrame:
        """Population mean CLV as satisfaction shifts (with bootstrap percentile band when there
        is a bootstrap)."""
        if shifts is None:
            sd = np.sqrt(self._main.phi)
            shifts = np.linspace(-sd, sd, 21)
        shifts = np.asarray(shifts, float)
        main = self._main
        est = _value_curves(main.theta, shifts, main.phi, self._econ(main.mean_spend), self._has_purchases,
                            main.mix, self._dist)[0]
        out = pd.DataFrame({"shift": shifts, "clv": est})
        if self._boot is not None:
            boot = np.array([_value_curves(r.theta, shifts, r.phi, self._econ(r.mean_spend),
                                           self._has_purchases, r.mix, self._dist)[0] for r in self._reps])
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
        o = self._options
        out = []
        if o["model"] and o["scale"] is not None:
            out += [r.SAMEJIMA_1969, r.BOCK_AITKIN_1981] + ([r.MUTHEN_1984] if o["driver"] else [])
        elif o["model"]:
            out.append(r.ROSSEEL_2012)
        if o["model"]:
            out += [r.ROSSEEL_LOH_2022, r.SKRONDAL_KUHA_2012, r.CARROLL_2006]
        if o["n_respondents"] < o["n_customers"] and o["response"] == "selection":
            out.append(r.LITTLE_1993)
        out += [r.KALBFLEISCH_PRENTICE, r.GUPTA_2004, r.RUST_2004]
        if self._boot is not None:
            out.append(r.EFRON_1993)
        return tuple(out)

    def methods_text(self) -> str:
        o, t, r = self._options, self._table, refs
        clv = t.loc["clv_per_unit"]
        pct = f"{100 * o['level']:.0f}%"
        if o["model"] and o["scale"] is not None:
            lo, hi = o["scale"]
            meas = ("Satisfaction was measured as a latent construct by its Likert items "
                    f"({lo}-{hi} points) with an ordinal-probit (normal-ogive graded-response) factor model "
                    f"({r.SAMEJIMA_1969.cite}) fitted by marginal maximum likelihood ({r.BOCK_AITKIN_1981.cite}): "
                    "the first item's thresholds are fixed at the category boundaries of its scale, so one unit "
                    "of satisfaction is one scale point of that item, the other items have free thresholds. "
                    "Marginal maximum likelihood was preferred to the polychoric WLSMV estimator because it "
                    "gives each respondent's posterior distribution of satisfaction given her answers. ")
            if o["driver"]:
                meas += (f"The latent covariance of {o['driver']}, measured by its own ordinal model, and "
                         "satisfaction was estimated by regression calibration on the two constructs' posterior "
                         f"means divided by their reliabilities (the path agrees with the WLSMV path of "
                         f"{r.MUTHEN_1984.cite} rescaled to the same metrics). ")
        elif o["model"]:
            meas = ("Satisfaction was measured as a latent construct by confirmatory factor analysis, fitted by "
                    "maximum likelihood with cxmodels.sem.fit_sem, whose estimates match lavaan, described by "
                    f"{r.ROSSEEL_2012.cite}. ")
        else:
            meas = "Satisfaction was an observed index score" + (
                f" with classical measurement error of reliability {o['reliability']:.2f} integrated out. "
                if o["reliability"] else ", treated as measured without error. ")
        if o["model"]:
            meas += ("The churn and purchase models were fitted by maximum likelihood integrating over each "
                     "respondent's satisfaction given her survey answers (24-point Gauss-Hermite quadrature "
                     f"of its posterior): the two-step structural-after-measurement estimator of "
                     f"{r.ROSSEEL_LOH_2022.cite}, which avoids the attenuation of plug-in factor scores "
                     f"described by {r.SKRONDAL_KUHA_2012.cite} and {r.CARROLL_2006.cite}. ")
        if o["n_respondents"] < o["n_customers"]:
            nr = t.loc["nonrespondent_shift"]
            meas += (f"Of {o['n_customers']} customers, {o['n_respondents']} answered the survey; the others "
                     "entered through satisfaction's population distribution, so the value of a point is for the "
                     "whole base. " + (
                         "Survey response was allowed to depend on satisfaction by a pattern-mixture selection "
                         f"model ({r.LITTLE_1993.cite}): non-respondents' mean satisfaction, identified by their "
                         f"behaviour, was estimated at {nr['est']:.2f} units from the respondents'. "
                         if o["response"] == "selection" else
                         "Response was assumed unrelated to satisfaction. ")
                     + (f"The path from {o['driver']} for the base was derived from the regression of "
                        f"{o['driver']} on satisfaction among respondents, which selection on satisfaction leaves "
                        "unbiased, and satisfaction's variance in the base. " if o["driver"] else "")
                     + "A sensitivity analysis refitted the chain with non-respondents' mean held at "
                     f"{', '.join(f'{d:+g}' for d in SHIFTS)} standard deviations of satisfaction. ")
        purch = ("Purchases followed a Poisson process with a log-linear effect of satisfaction on the rate "
                 "and exposure equal to tenure; the amount per purchase is its sample mean. "
                 if self._has_purchases else f"Revenue was {o['monthly_revenue']} per active time unit. ")
        if self._boot is not None:
            boot = (f"Uncertainty was propagated through both steps and the nonlinear CLV functional by "
                    f"{len(self._reps)} nonparametric bootstrap resamples of customers (both steps refitted "
                    f"from the main fit's estimates), with percentile {pct} intervals as in {r.EFRON_1993.cite}, "
                    f"with bootstrap seed {self._provenance.seed}. ")
            result = (f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f} "
                      f"({pct} interval {clv['ci_lower']:.2f} to {clv['ci_upper']:.2f}).")
        else:
            boot = "No bootstrap was run, so the estimates below are point estimates without intervals. "
            result = f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f}."
        return (meas + _FAMILY_TEXT[self._dist] + f" ({r.KALBFLEISCH_PRENTICE.cite}; the likelihood of "
                "cxmodels.churn.aft). "
                + purch + f"Customer lifetime value of a new customer was the expected discounted revenue over "
                f"{o['horizon']:g} time units (a value at time t discounted by (1 + d)^-t, "
                f"d = {o['discount_rate']:.4g} per time unit), averaged over the satisfaction distribution of the "
                f"base, following {r.GUPTA_2004.cite} and the driver-to-value logic of {r.RUST_2004.cite}. "
                + boot + result)


_FAMILY_PARAMS = {"weibull": ("weibull_shape", "weibull_scale"),
                  "lognormal": ("lognormal_sigma", "median_lifetime"),
                  "loglogistic": ("loglogistic_shape", "median_lifetime")}
_FAMILY_TEXT = {
    "weibull": "Tenure followed a Weibull proportional-hazards model with satisfaction as covariate",
    "lognormal": "Tenure followed a log-normal accelerated-failure-time model with satisfaction as covariate",
    "loglogistic": "Tenure followed a log-logistic accelerated-failure-time model with satisfaction as covariate"}
_PARAM_LABELS = {
    "weibull_shape": "Weibull shape k of the churn hazard",
    "weibull_scale": "Weibull scale lambda (time units) at the base's mean satisfaction",
    "lognormal_sigma": "sd of log lifetime (log-normal)",
    "loglogistic_shape": "log-logistic shape (1 / sigma)",
    "median_lifetime": "median lifetime (time units) at the base's mean satisfaction",
    "gamma": "satisfaction's effect on churn: the log hazard ratio per unit (Weibull); for every family "
             "lifetimes scale by exp(-gamma / shape k) per unit",
    "purchase_rate": "purchases per time unit at the base's mean satisfaction",
    "delta": "log purchase-rate ratio per unit of satisfaction",
    "mean_spend": "mean amount per purchase",
    "monthly_revenue": "revenue per active time unit (given)",
    "beta": "driver -> satisfaction path",
    "satisfaction_sd": "standard deviation of satisfaction (respondents)",
    "nonrespondent_shift": "non-respondents' mean satisfaction minus respondents'",
}
_EFFECT_LABELS = {
    "clv_mean": "mean CLV of a new customer",
    "lifetime_mean": "mean lifetime within the horizon (RMST)",
    "retention12_mean": "share retained at 12 time units",
    "clv_per_unit": "CLV change per unit of satisfaction",
    "lifetime_per_unit": "RMST change per unit of satisfaction",
    "retention12_per_unit": "12-unit retention change per unit of satisfaction",
    "hazard_ratio_per_unit": "churn hazard ratio per unit of satisfaction",
    "time_ratio_per_unit": "lifetime ratio per unit of satisfaction (accelerated failure time)",
    "purchase_rate_ratio_per_unit": "purchase-rate ratio per unit of satisfaction",
    "clv_per_driver_unit": "CLV change per unit of the driver",
    "lifetime_per_driver_unit": "RMST change per unit of the driver",
    "retention12_per_driver_unit": "12-unit retention change per unit of the driver",
}
