r"""The noncontractual value chain: satisfaction as a latent covariate of a BTYD model.

``fit_value_chain(..., clv_model="bgnbd" | "pareto_nbd")`` replaces the chain's Weibull churn
and Poisson purchase model by the BG/NBD (Fader, Hardie & Lee 2005) or Pareto/NBD (Schmittlein,
Morrison & Colombo 1987) model of every customer's RFM summary (``frequency``, ``recency``,
``T`` as :func:`cxmodels.clv.rfm_summary` returns them). Satisfaction ``s`` is a time-invariant
covariate (Fader & Hardie 2007) of both processes, in the parametrisation of
:mod:`cxmodels.clv.covariates`:

* purchase: :math:`\alpha_i = \alpha e^{-\gamma s}`, so the expected purchase rate scales by
  :math:`e^{\gamma s}`;
* dropout, one coefficient :math:`\gamma_d`: BG/NBD :math:`a_i = a e^{\gamma_d s}` (``lp_dropout_a``;
  the odds :math:`a_i/b_i` of the mean dropout probability per purchase scale by
  :math:`e^{\gamma_d s}`), Pareto/NBD :math:`\beta_i = \beta e^{-\gamma_d s}` (``lp_dropout``; the
  expected dropout rate :math:`s/\beta_i` scales by :math:`e^{\gamma_d s}`). A positive
  :math:`\gamma_d` raises dropout.

The row likelihoods are those of :mod:`cxmodels.clv.covariates`; each is integrated over the
satisfaction nodes of :func:`cxmodels.chain.survey._measure` (a respondent's posterior given her
answers) and, for a non-respondent, over satisfaction's population distribution
:math:`N(\mu_{nr}, \phi)`:

    log L_i = log sum_k exp(logw_ik) p(x_i, t_x_i, T_i | s_ik) [p(m_i | x_i, s_ik)].

Selection: with ``response="selection"`` (the default) :math:`\mu_{nr}`, non-respondents' mean
satisfaction relative to the respondents', is a free parameter identified by non-respondents'
behaviour (a pattern-mixture model, Little 1993); ``"random"`` holds it at 0.
:meth:`BTYDChainResult.sensitivity` refits with it held at ``SHIFTS`` standard deviations.

Value of a point: for each customer the expected discounted purchases over the horizon given
her history (:func:`cxmodels.clv.discounted_purchases`, discount :math:`(1+d)^{-t}`,
:func:`cxmodels.clv.discount_factor`) with satisfaction shifted by ``u``, averaged over her
posterior of satisfaction given her answers *and* behaviour (a non-respondent's prior being the
shifted population distribution, so the base is the mixture of both groups), times her expected
amount per purchase (Gamma-Gamma with the same latent covariate, :math:`v_i = v e^{\gamma_m s}`,
when ``spend`` is given); the effect of ``per`` is the base average of ``CLV(per) - CLV(0)``,
also split by channel (the shift applied to the purchase or the dropout process alone).
Intervals: the chain's bootstrap of customers, both steps refitted from the main fit (Newton
steps, warm start), resamples drawn in the caller so the result does not depend on ``n_jobs``.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
Little, R. J. A. (1993). Pattern-mixture models for multivariate incomplete data. *Journal of
the American Statistical Association*, 88(421), 125-134.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
import pandas as pd
from scipy import optimize

from .. import plotting
from .._results import Result
from .._validation import (require_columns, require_finite, require_frame, require_no_missing, require_numeric,
                           require_unique_columns, rows_text)
from ..clv import covariates as cov
from ..clv import discounted_purchases
from ..errors import ConvergenceWarning, CXModelsError, EstimationError, InputError
from ..provenance import make_provenance
from . import references as refs
from .behaviour import chord_newton, warm_inverse
from .survey import SHIFTS, _record_bootstrap, _GH_LW, _GH_X, _as_scale, _constructs, _items_of, _measure, _Spec

MODELS = ("bgnbd", "pareto_nbd")
_KEEP = 12
_CHUNK = 25          # bootstrap resamples per joblib task
_CHEB = 5            # value_of_shift: Chebyshev points of the interpolant
_BOUND = 3.0         # |mu_nr| < 3 SD of satisfaction (the selection model's bound)


class BTYDSpec(_Spec):
    """Validated inputs: every customer's RFM summary, aligned with the respondents' answers."""

    def __init__(self, data, model, satisfaction, rfm, spend, reliability, survey, customer, scale):
        require_frame(data)
        require_unique_columns(data)
        self.model, self.sat, self.driver = model, satisfaction, None
        self.reliability, self.customer, self.scale = reliability, customer, _as_scale(scale)
        self.rfm, self.spend, self.purchases = list(rfm), spend, None
        if model is not None:
            if not isinstance(model, str):
                raise InputError(f"model must be lavaan syntax (a string), got {type(model).__name__}")
            if satisfaction not in _constructs(model):
                raise InputError(f"the satisfaction construct {satisfaction!r} is not in the model: it measures "
                                 f"{sorted(_constructs(model)) or 'no construct'}")
            from ..sem.syntax import parse
            self.sat_items = _items_of(model, satisfaction)
            self.driver_items = []
            self.model_items = list(dict.fromkeys(s.rhs for s in parse(model) if s.op == "=~"))
        cols = self.rfm + ([spend] if spend else [])
        if spend and spend not in data.columns:
            raise InputError(f"spend={spend!r} names no column of data: give the mean-spend column of the RFM "
                             "summary (spend='monetary_value') or spend=None (value in purchases)")
        missing = [c for c in self.rfm if c not in data.columns]
        if missing:
            raise InputError(f"the {'/'.join(self.rfm)} model needs the RFM columns {missing}, which data lacks "
                             "(pass the transaction log through cxmodels.clv.rfm_summary first)")
        require_columns(data, cols)
        require_numeric(data, cols)
        require_no_missing(data, cols)
        require_finite(data, cols)
        x, tx, T = (data[c].to_numpy(float) for c in self.rfm)
        bad = data.index[(x < 0) | (x != np.round(x)) | (tx < 0) | (tx > T) | (T <= 0) | ((x == 0) & (tx != 0))]
        if len(bad):
            raise InputError(f"the RFM columns {self.rfm} need integer frequency >= 0 and 0 <= recency <= T, "
                             f"T > 0 (recency 0 without repeat purchases); {len(bad)} rows do not ({rows_text(bad)})")
        self._attach_survey(data, survey, model, satisfaction, reliability)


def _names(kind, spend, selection):
    """Names of the free parameters, in the order of ``theta``."""
    out = ["log_r", "log_alpha", "log_a" if kind == "bgnbd" else "log_s", "log_b" if kind == "bgnbd" else "log_beta",
           "gamma", "gamma_dropout"]
    if spend:
        out += ["log_gg_p", "log_gg_q", "log_gg_v", "gamma_spend"]
    return out + (["mu_nr"] if selection else [])


def _row_ll(kind, theta, x, tx, T, S, m=None):
    r"""Per-(row, node) log-likelihood, its derivatives in ``theta[:6]`` (``[:10]`` with spend)
    and in the node value ``s``, each (n, q).

    ``theta``: log r, log alpha, log a|s, log b|beta, gamma (purchase), gamma_dropout; with mean
    spend ``m`` also the Gamma-Gamma log p, log q, log v and its satisfaction coefficient (repeat
    buyers only: :math:`v_i = v e^{\gamma_m s}`). A linear predictor ``g s`` has derivative
    ``s dll/dlp`` in ``g`` and ``g dll/dlp`` in ``s``.
    """
    p = np.exp(theta[:4])
    g, gd = theta[4], theta[5]
    if kind == "bgnbd":
        ll, d = cov.bgnbd_row_loglik_grad(dict(r=p[0], alpha=p[1], a=p[2], b=p[3]), x, tx, T, g * S, gd * S)
        names, lp_d = ("r", "alpha", "a", "b"), d["a"]
    else:
        ll, d = cov.pareto_nbd_row_loglik_grad(dict(r=p[0], alpha=p[1], s=p[2], beta=p[3]), x, tx, T, g * S, gd * S)
        names, lp_d = ("r", "alpha", "s", "beta"), -d["beta"]
    lp_p = -d["alpha"]
    out = [d[k] for k in names] + [S * lp_p, S * lp_d]
    dS = g * lp_p + gd * lp_d
    if m is None:
        return ll, out, dS
    rep = x > 0
    gp = np.exp(theta[6:9])
    llm, dm = cov.gamma_gamma_row_loglik_grad(dict(p=gp[0], q=gp[1], v=gp[2]), np.where(rep, x, 1.0),
                                              np.where(rep, m, 1.0), theta[9] * S)
    ll = ll + np.where(rep, llm, 0.0)
    dv = np.where(rep, dm["v"], 0.0)
    return (ll, out + [np.where(rep, dm[k], 0.0) for k in ("p", "q")] + [dv, S * dv],
            dS + theta[9] * dv)


def _posterior(kind, theta, x, tx, T, S, logw, m=None):
    """Rows' log-likelihood, derivatives and posterior weights over the nodes (given behaviour)."""
    ll, d, dS = _row_ll(kind, theta, x, tx, T, S, m)
    L = ll + logw
    top = L.max(axis=1, keepdims=True)
    E = np.exp(L - top)
    tot = E.sum(axis=1)
    return np.log(tot) + top[:, 0], d, dS, E / tot[:, None]


def _start(kind, T, x, m):
    theta0 = np.array([0.0, np.log(max(T.mean(), 1.0)), 0.0, 0.0 if kind == "bgnbd" else np.log(T.mean()), 0.0, 0.0])
    if m is not None:
        # p = 1, q = 3, v = 2 mean(m): the population mean spend p v / (q - 1) starts at the sample's
        theta0 = np.r_[theta0, 0.0, np.log(3.0), np.log(2 * max(m[x > 0].mean(), 1e-9)), 0.0]
    return theta0


def _fit(kind, x, tx, T, S0, logw, w, nr, m=None, theta0=None, hinv=None, bound=None):
    """Maximise the integrated likelihood. ``nr`` (mask of non-respondent rows, whose nodes in
    ``S0`` are the population's centred at 0) makes ``mu_nr`` the last parameter; None holds
    it where ``S0`` puts it. Returns ``(theta, loglik, converged, inverse Hessian)``.

    ``mu_nr = B tanh(u / B)`` with ``B = bound`` (``_BOUND`` standard deviations of satisfaction):
    where satisfaction barely moves behaviour the likelihood is flat along ``gamma mu_nr =
    const``, and unbounded the optimiser drifts to ``mu_nr`` of hundreds of SD with ``gamma``
    near 0; the optimiser works in ``u`` (as does the inverse Hessian), ``theta`` holds ``mu_nr``.
    """
    n = float(len(x) if w is None else w.sum())
    ww = np.ones(len(x)) if w is None else w
    sel = nr is not None

    def f(th):
        if sel:
            mu = bound * np.tanh(th[-1] / bound)
            S = S0 + mu * nr[:, None]
        else:
            S = S0
        with np.errstate(all="ignore"):
            lli, d, dS, P = _posterior(kind, th, x, tx, T, S, logw, m)
        val = -(lli @ ww) / n
        grad = [((P * dk).sum(axis=1)) @ ww for dk in d]
        if sel:
            grad.append(((P * dS).sum(axis=1) * nr) @ ww * (1 - np.tanh(th[-1] / bound) ** 2))
        grad = -np.array(grad) / n
        if not np.isfinite(val) or not np.all(np.isfinite(grad)):
            return 1e10, np.zeros(len(th))
        return val, grad

    if theta0 is None:
        theta0 = np.r_[_start(kind, T, x, m), [0.0] if sel else []]
    theta0 = np.array(theta0, float)
    if sel:
        theta0[-1] = bound * np.arctanh(np.clip(theta0[-1] / bound, -0.999, 0.999))
    done = None
    if hinv is not None:
        th, val, ok = chord_newton(f, theta0, hinv, tol=1e-3)
        if ok:
            done = th, -val * n, True, hinv
    if done is None:
        res = optimize.minimize(f, theta0, jac=True, method="BFGS", options={"gtol": 1e-7, "maxiter": 1000})
        ok = bool(res.success or np.max(np.abs(res.jac)) < 1e-5)
        done = res.x, -res.fun * n, ok, (hinv if hinv is not None else warm_inverse(lambda z: f(z)[1], res.x))
    th = np.array(done[0], float)
    if sel:
        th[-1] = bound * np.tanh(th[-1] / bound)
    return (th,) + tuple(done[1:])


def _drop_inverse(hinv, keep):
    """Inverse Hessian of a sub-problem (parameters ``keep``; the others held fixed)."""
    if hinv is None:
        return None
    try:
        H = np.linalg.inv(hinv)
        return np.linalg.inv(H[np.ix_(keep, keep)])
    except np.linalg.LinAlgError:
        return None


@dataclass
class _Stage:
    """One (bootstrap) fit: parameters, the nodes and posterior weights of every customer."""

    theta: np.ndarray
    ll: float
    converged: bool
    phi: float
    mean_spend: float
    S: np.ndarray                 # (n, q) nodes, non-respondents' shifted by mu_nr
    logw: np.ndarray
    P: np.ndarray                 # posterior over the nodes given answers and behaviour
    w: np.ndarray
    selection: bool
    sem: object | None = None
    ordinal: object | None = None
    warm: dict = field(default_factory=dict, repr=False)

    @property
    def mu_nr(self) -> float:
        return float(self.theta[-1]) if self.selection else 0.0


def _nodes(spec, SR, lwR, phi):
    """Every customer's nodes and log weights: respondents' posterior, non-respondents'
    population distribution N(0, phi) on the same number of nodes (shifted by mu_nr later)."""
    resp = spec.resp
    if resp.all():
        return SR, lwR
    q = SR.shape[1]
    if q == _GH_X.size:
        nx, nlw = _GH_X, _GH_LW
    else:
        nx, nwt = np.polynomial.hermite_e.hermegauss(q)
        nlw = np.log(nwt / np.sqrt(2 * np.pi))
    n = len(resp)
    S, logw = np.empty((n, q)), np.empty((n, q))
    S[resp], logw[resp] = SR, lwR
    S[~resp], logw[~resp] = np.sqrt(phi) * nx, nlw
    return S, logw


def _arrays(spec):
    beh = spec.behaviour
    x, tx, T = (beh[c].to_numpy(float)[:, None] for c in spec.rfm)
    m = beh[spec.spend].to_numpy(float)[:, None] if spec.spend else None
    return x, tx, T, m


def _mean_spend(spec, theta):
    if not spec.spend:
        return 1.0
    p, q, v = np.exp(theta[6:9])
    return p * v / (q - 1) if q > 1 else float("nan")     # Gamma-Gamma population mean at s = 0


def _stage(spec, kind, w=None, warm=None, response="selection", mu_fixed=0.0):
    """Measurement (the chain's nodes) then the BTYD model integrated over them.

    ``response="selection"`` estimates ``mu_nr``; otherwise non-respondents' mean is held at
    ``mu_fixed`` (0: at random; the sensitivity analysis holds it elsewhere)."""
    warm = dict(warm or {})
    (SR, lwR), phi, _, sem, ordinal, _ = _measure(spec, "joint", w, warm, {})
    S0, logw = _nodes(spec, SR, lwR, phi)
    x, tx, T, m = _arrays(spec)
    nr = None if spec.resp.all() else ~spec.resp
    sel = nr is not None and response == "selection"
    if nr is not None and not sel and mu_fixed:
        S0 = S0 + mu_fixed * nr[:, None]
    theta, ll, ok, hinv = _fit(kind, x, tx, T, S0, logw, w, nr if sel else None, m, warm.get("theta"),
                               warm.get("hinv"), bound=_BOUND * np.sqrt(phi))
    S = S0 + theta[-1] * nr[:, None] if sel else S0
    with np.errstate(all="ignore"):
        _, _, _, P = _posterior(kind, theta, x, tx, T, S, logw, m)
    ww = np.ones(len(x)) if w is None else w
    return _Stage(theta, ll, ok, phi, _mean_spend(spec, theta), S, logw, P, ww, sel, sem, ordinal,
                  warm={"theta": theta, "hinv": hinv, "ordinal": ordinal,
                        "ordinal_hinv": getattr(ordinal, "hess_inv", None)})


def _clv(kind, st, spec, shifts, econ, channels=("purchase", "dropout", "spend")):
    """Base mean of the expected discounted value over the horizon given each history, with
    satisfaction shifted by each of ``shifts`` in the processes of ``channels`` (posterior over
    nodes given answers and behaviour). Returns an array like ``shifts``."""
    shifts = np.atleast_1d(np.asarray(shifts, float))
    return _clv_rows(kind, st, spec, shifts, econ, channels, st.w > 0) / st.w.sum()


def _clv_rows(kind, st, spec, shifts, econ, channels, rows):
    th = st.theta
    p = np.exp(th[:4])
    # the functional costs a hypergeometric function per (row, node, period): keep each row's _KEEP
    # most probable nodes (the rest carry < 0.1% of its posterior on the test bases)
    Pr = st.P[rows]
    top = np.argsort(-Pr, axis=1)[:, :_KEEP]
    P = np.take_along_axis(Pr, top, axis=1)
    P = P / P.sum(axis=1, keepdims=True)
    S = np.take_along_axis(st.S[rows], top, axis=1)
    x, tx, T = (spec.behaviour[c].to_numpy(float)[rows, None] for c in spec.rfm)
    k, q = len(shifts), S.shape[1]
    # every shift at once: the nodes repeated along the columns, (rows, k q)
    Sk = np.tile(S, (1, k))
    up = np.repeat(shifts, q)[None, :]
    lp = lambda c: th[{"purchase": 4, "dropout": 5, "spend": 9}[c]] * (Sk + (up if c in channels else 0.0))
    if kind == "bgnbd":
        pars = dict(r=p[0], alpha=p[1], a=p[2], b=p[3])
        fn = lambda t: cov.bgnbd_conditional_purchases(pars, t, x, tx, T, lp("purchase"), lp("dropout"))
    else:
        pars = dict(r=p[0], alpha=p[1], s=p[2], beta=p[3])
        fn = lambda t: cov.pareto_nbd_conditional_purchases(pars, t, x, tx, T, lp("purchase"), lp("dropout"))
    with np.errstate(all="ignore"):
        disc, _ = discounted_purchases(fn, horizon=econ["horizon"], discount_rate=econ["discount_rate"])
    if spec.spend:
        gp = np.exp(th[6:9])
        m = spec.behaviour[spec.spend].to_numpy(float)[rows, None]
        disc = disc * cov.gamma_gamma_expected_spend(dict(p=gp[0], q=gp[1], v=gp[2]), x, m, lp("spend"))
    else:
        disc = disc * st.mean_spend
    per_row = (np.tile(P, (1, k)) * disc).reshape(len(P), k, q).sum(axis=2)
    return per_row.T @ st.w[rows]


def _effects(kind, st, spec, econ, per, split=True):
    """Parameters and effects; ``split`` also the CLV effect by channel (the main fit: it costs two
    more evaluations of the functional, so bootstrap replicates leave it out)."""
    clv = _clv(kind, st, spec, [0.0, per], econ)
    ch = ((_clv(kind, st, spec, [per], econ, ("purchase", "spend"))[0],
           _clv(kind, st, spec, [per], econ, ("dropout",))[0]) if split else (np.nan, np.nan))
    th = st.theta
    p = np.exp(th[:4])
    out = dict(zip(["r", "alpha", "a" if kind == "bgnbd" else "s", "b" if kind == "bgnbd" else "beta"], p))
    if spec.spend:
        out.update(zip(["gg_p", "gg_q", "gg_v", "gamma_spend"], np.r_[np.exp(th[6:9]), th[9]]))
    out.update(gamma=th[4], gamma_dropout=th[5], satisfaction_sd=np.sqrt(st.phi))
    if not spec.resp.all():
        out["nonrespondent_shift"] = st.mu_nr
    out.update(mean_spend=st.mean_spend, clv_mean=clv[0], clv_per_unit=clv[1] - clv[0],
               clv_per_unit_purchase=ch[0] - clv[0], clv_per_unit_dropout=ch[1] - clv[0],
               purchase_rate_ratio_per_unit=np.exp(th[4] * per), dropout_ratio_per_unit=np.exp(th[5] * per))
    return out


_EFFECTS = {"clv_mean": "mean expected discounted CLV over the horizon (whole base)",
            "clv_per_unit": "CLV change per unit of satisfaction (whole base, every channel)",
            "clv_per_unit_purchase": "CLV change per unit of satisfaction through purchase rate and spend alone "
                                     "(point estimate)",
            "clv_per_unit_dropout": "CLV change per unit of satisfaction through dropout alone (point estimate)",
            "purchase_rate_ratio_per_unit": "purchase-rate ratio per unit of satisfaction",
            "dropout_ratio_per_unit": "dropout ratio per unit of satisfaction (BG/NBD: odds a_i/b_i of the mean "
                                      "dropout probability; Pareto/NBD: expected dropout rate)"}
_PARAMS = {"gamma": "purchase-rate coefficient of satisfaction (alpha_i = alpha exp(-gamma s))",
           "gamma_dropout": "dropout coefficient of satisfaction (> 0 raises dropout)",
           "gamma_spend": "Gamma-Gamma spend coefficient of satisfaction (v_i = v exp(gamma_spend s))",
           "satisfaction_sd": "standard deviation of satisfaction (respondents)",
           "nonrespondent_shift": "non-respondents' mean satisfaction minus respondents' (0 with response='random')",
           "mean_spend": "population mean amount per purchase at satisfaction 0 (1: value in purchases)"}


def _boot_chunk(spec, kind, warm, weights, response, econ, per):
    """Bootstrap refits for a list of row-weight vectors: ``(effects, (theta, phi))`` or None."""
    out = []
    for w in weights:
        try:
            st = _stage(spec, kind, w=w, warm=warm, response=response)
            out.append((_effects(kind, st, spec, econ, per, split=False), (st.theta, st.phi, st.mean_spend))
                       if st.converged else None)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, IndexError, ZeroDivisionError,
                CXModelsError):
            out.append(None)
    return out


def _one_blas_thread():
    """BLAS on one thread, as in joblib's workers: the summation order, hence the last digits of
    every refit and the path the Newton steps take, is then the same serially and in parallel."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas")


def _check_options(clv_model, response, n_jobs):
    response = "selection" if response is None else response
    if response not in ("selection", "random"):
        raise InputError(f"response must be 'selection' (non-respondents' mean satisfaction estimated) or 'random' "
                         f"(held at the respondents'), got {response!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be a positive number of worker processes or -1 (every core), got {n_jobs!r}")
    return response


def fit_btyd_chain(data, model, *, clv_model, survey, customer, satisfaction, scale, rfm, spend, reliability,
                   horizon, discount_rate, per, n_boot, rng, seed_rec, level, bar, response=None, n_jobs=1):
    """The BTYD branch of :func:`cxmodels.chain.fit_value_chain` (arguments other than ``response``
    and ``n_jobs`` already checked there)."""
    response = _check_options(clv_model, response, n_jobs)
    spec = BTYDSpec(data, model, satisfaction, rfm, spend, reliability, survey, customer, scale)
    econ = dict(horizon=horizon, discount_rate=discount_rate)
    try:
        main = _stage(spec, clv_model, response=response)
        est = _effects(clv_model, main, spec, econ, per)
    except CXModelsError:
        raise
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError, IndexError) as exc:
        raise EstimationError(f"the {clv_model} value chain could not be fitted on these data ({exc})") from exc
    bar.update()
    n = len(data)
    # resamples drawn here, in order, so the replicates do not depend on n_jobs
    weights = [np.bincount(rng.integers(0, n, n), minlength=n).astype(float) for _ in range(n_boot)]
    chunks = [weights[a:a + _CHUNK] for a in range(0, n_boot, _CHUNK)]
    args = (spec, clv_model, main.warm)
    serial = n_jobs == 1 or len(chunks) < 2
    if serial:
        results = (_boot_chunk(*args, c, response, econ, per) for c in chunks)
    else:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_boot_chunk)(*args, c, response, econ, per) for c in chunks)
    reps, states, n_fail = [], [], 0
    with _one_blas_thread() if serial else contextlib.nullcontext():
        for part in results:
            for item in part:
                if item is None:
                    n_fail += 1
                else:
                    reps.append(item[0])
                    states.append(item[1])
                bar.update()
    options = dict(model=model, satisfaction=satisfaction, driver=None, customer=customer, scale=spec.scale,
                   clv_model=clv_model, rfm=list(rfm), spend=spend, reliability=reliability, response=response,
                   horizon=horizon, discount_rate=discount_rate, per=per, n_boot=n_boot, level=level,
                   n_customers=n, n_respondents=int(spec.resp.sum()))
    prov = make_provenance("cxmodels.chain.fit_value_chain", data, options, seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, n_used=len(reps),
                              resample="customers, both steps refitted", interval="percentile", level=level)
    res = BTYDChainResult(spec, main, est, reps, states, econ, options, prov)
    if not main.converged:
        res._flag(f"the {clv_model} model did not converge (gradient not small)", ConvergenceWarning)
    if main.ordinal is not None and not main.ordinal.converged:
        res._flag("the ordinal measurement model did not converge (gradient not small)", ConvergenceWarning)
    _record_bootstrap(res, n_boot, len(reps), n_fail)
    if res._selection_weak():
        res._note("non-respondents' mean satisfaction is weakly identified (satisfaction barely moves behaviour); "
                  "read sensitivity() rather than the selection estimate")
    return res


class BTYDChainResult(Result):
    """A value chain with a BTYD outcome model (see :func:`cxmodels.chain.fit_value_chain`).

    Attributes
    ----------
    replicates : DataFrame
        One row per bootstrap resample of every parameter and effect.
    sem : SEMResult or None
        The measurement model of continuous items (None for Likert items or an observed score).
    """

    def __init__(self, spec, main, est, reps, states, econ, options, provenance):
        self._spec, self._main, self._states, self._econ = spec, main, states, econ
        self._options, self._provenance, self._warnings = options, provenance, []
        self.sem = main.sem
        self.loglik = float(main.ll)
        self.replicates = pd.DataFrame(reps, columns=list(est))
        self._sens = None
        alpha = 1 - options["level"]
        ok = len(self.replicates) >= 2
        b = self.replicates
        rows = [{"quantity": k, "est": float(v), "se": float(b[k].std(ddof=1)) if ok else np.nan,
                 "ci_lower": float(b[k].quantile(alpha / 2)) if ok else np.nan,
                 "ci_upper": float(b[k].quantile(1 - alpha / 2)) if ok else np.nan,
                 "kind": "effect" if k in _EFFECTS else "parameter",
                 "description": _EFFECTS.get(k) or _PARAMS.get(k, k)} for k, v in est.items()]
        self._table = pd.DataFrame(rows).set_index("quantity")
        self._references = self._cited()

    def effects(self) -> pd.DataFrame:
        """The chain effects with bootstrap SE and percentile interval."""
        return self._table[self._table["kind"] == "effect"].drop(columns="kind")

    def _at(self, replicate):
        """The main fit, or bootstrap replicate ``replicate``'s parameters on the base's own
        rows and respondents' nodes (non-respondents at its ``mu_nr`` and ``phi``)."""
        main = self._main
        if replicate is None:
            return main
        if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)) \
                or not 0 <= replicate < len(self._states):
            raise InputError(f"replicate must be an index into the {len(self._states)} bootstrap replicates, "
                             f"got {replicate!r}")
        theta, phi, mean_spend = self._states[replicate]
        spec, kind = self._spec, self._options["clv_model"]
        S = main.S
        if not spec.resp.all():
            # non-respondents' nodes: the replicate's population distribution N(mu_nr, phi)
            nr = ~spec.resp
            mu = theta[-1] if main.selection else 0.0
            S = S.copy()
            S[nr] = (S[nr] - main.mu_nr) * np.sqrt(phi / main.phi) + mu
        x, tx, T, m = _arrays(spec)
        with np.errstate(all="ignore"):
            _, _, _, P = _posterior(kind, theta, x, tx, T, S, main.logw, m)
        return _replace(main, theta=theta, phi=phi, mean_spend=mean_spend, S=S, P=P,
                        w=np.ones(len(spec.resp)))

    def value_of_shift(self, shifts, replicate: int | None = None) -> np.ndarray:
        """Mean CLV change per customer of the whole base for satisfaction shifted by each of
        ``shifts`` (every channel: purchase, dropout and spend).

        With ``replicate`` (an index into :attr:`replicates`) that bootstrap resample's
        parameters are used on the base's own customers (respondents' nodes of the main
        measurement fit), so callers such as :func:`cxmodels.chain.evaluate_intervention` can
        propagate the chain's uncertainty. More than five distinct shifts are evaluated on five
        Chebyshev points of their range and interpolated by the quartic through them (CLV is
        smooth in the shift: within 1e-4 relative on the test bases).
        """
        shifts = np.atleast_1d(np.asarray(shifts, float))
        if not np.all(np.isfinite(shifts)):
            raise InputError("shifts must be finite numbers (satisfaction units)")
        st, kind = self._at(replicate), self._options["clv_model"]
        lo, hi = float(shifts.min()), float(shifts.max())
        if len(np.unique(shifts)) <= _CHEB or hi - lo < 1e-9:
            grid = np.unique(shifts)
            vals = _clv(kind, st, self._spec, np.r_[0.0, grid], self._econ)
            return np.interp(shifts, grid, vals[1:] - vals[0]) if len(grid) > 1 else \
                np.full(len(shifts), vals[1] - vals[0])
        cheb = np.polynomial.chebyshev
        nodes = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (np.arange(_CHEB) + 0.5) / _CHEB)
        vals = _clv(kind, st, self._spec, np.r_[0.0, nodes], self._econ)
        fit = cheb.Chebyshev.fit(nodes, vals[1:] - vals[0], _CHEB - 1, domain=[lo, hi])
        return fit(shifts)

    def sensitivity(self) -> pd.DataFrame:
        """CLV per unit of satisfaction for the whole base as non-respondents' mean satisfaction
        varies: each row holds it at ``shift_sd`` standard deviations of satisfaction from the
        respondents' mean and refits the BTYD model (point estimates, warm-started from the main
        fit); the last row is the fit's own estimate (``response``) with its bootstrap interval.

        The sensitivity analysis over the dependence of response on satisfaction, for when the
        selection model is weakly identified (satisfaction barely moves behaviour). Empty when
        every customer answered. Computed on first call.
        """
        spec, main, o = self._spec, self._main, self._options
        cols = ["shift_sd", "nonrespondent_mean", "clv_per_unit", "ci_lower", "ci_upper", "converged"]
        if spec.resp.all():
            return pd.DataFrame(columns=cols)
        if self._sens is None:
            kind, sd = o["clv_model"], np.sqrt(main.phi)
            warm = dict(main.warm)
            if main.selection:
                keep = np.arange(len(main.theta) - 1)
                warm.update(theta=main.theta[:-1], hinv=_drop_inverse(main.warm["hinv"], keep))
            rows = []
            for delta in SHIFTS:
                try:
                    st = _stage(spec, kind, warm=warm, response="random", mu_fixed=delta * sd)
                    clv = _clv(kind, st, spec, [0.0, o["per"]], self._econ)
                    val, ok = clv[1] - clv[0], st.converged
                except (np.linalg.LinAlgError, ValueError, FloatingPointError, CXModelsError):
                    val, ok = np.nan, False
                rows.append({"analysis": f"non-respondents at {delta:+g} SD", "shift_sd": delta,
                             "nonrespondent_mean": delta * sd, "clv_per_unit": val, "ci_lower": np.nan,
                             "ci_upper": np.nan, "converged": ok})
            clv = self._table.loc["clv_per_unit"]
            rows.append({"analysis": f"estimated ({o['response']})", "shift_sd": main.mu_nr / sd,
                         "nonrespondent_mean": main.mu_nr, "clv_per_unit": clv["est"], "ci_lower": clv["ci_lower"],
                         "ci_upper": clv["ci_upper"], "converged": main.converged})
            self._sens = pd.DataFrame(rows).set_index("analysis")[cols]
        return self._sens.copy()

    def _selection_weak(self) -> bool:
        """Non-respondents' mean is weakly identified: its bootstrap interval spans more than
        two standard deviations of satisfaction (the Weibull chain's rule)."""
        t = self._table
        if "nonrespondent_shift" not in t.index or self._options["response"] != "selection":
            return False
        width = t.loc["nonrespondent_shift", "ci_upper"] - t.loc["nonrespondent_shift", "ci_lower"]
        return bool(np.isfinite(width) and width > 2 * np.sqrt(self._main.phi))

    def _cited(self):
        o = self._options
        model = refs.FHL_2005 if o["clv_model"] == "bgnbd" else refs.SMC_1987
        sel = ((refs.LITTLE_1993,) if o["response"] == "selection" and o["n_respondents"] < o["n_customers"]
               else ())
        boot = (refs.EFRON_1993,) if len(self.replicates) >= 2 else ()
        return (model, refs.FADER_HARDIE_2007) + sel + (refs.GUPTA_2004,) + boot

    def plot(self, ax=None):
        """The CLV change per unit of satisfaction: bootstrap distribution and estimate."""
        ax = plotting.axes(ax)
        row = self._table.loc["clv_per_unit"]
        if len(self.replicates) >= 2:
            ax.hist(self.replicates["clv_per_unit"], bins=30, color=plotting.PALETTE[0], alpha=0.7)
        ax.axvline(row["est"], color=plotting.PALETTE[1])
        ax.set_xlabel(f"CLV change per {self._options['per']:g} unit of satisfaction")
        ax.set_ylabel("bootstrap replicates")
        return ax

    def methods_text(self) -> str:
        o, t = self._options, self._table
        name = "BG/NBD" if o["clv_model"] == "bgnbd" else "Pareto/NBD"
        model = refs.FHL_2005 if o["clv_model"] == "bgnbd" else refs.SMC_1987
        clv = t.loc["clv_per_unit"]
        dropout = ("the a parameter of the dropout probability's beta distribution, a_i = a exp(gamma_d s)"
                   if o["clv_model"] == "bgnbd" else "the dropout rate, beta_i = beta exp(-gamma_d s)")
        text = (f"Repeat purchasing of all {o['n_customers']} customers ({o['n_respondents']} of whom answered the "
                f"survey) followed the {name} model ({model.cite}) with satisfaction as a time-invariant covariate "
                f"of the purchase rate (alpha_i = alpha exp(-gamma s)) and of {dropout}, as in "
                f"{refs.FADER_HARDIE_2007.cite}; its likelihood was integrated over each respondent's posterior of "
                "satisfaction given her answers and over satisfaction's population distribution for "
                "non-respondents, so the value of a point is for the whole base. ")
        if o["n_respondents"] < o["n_customers"]:
            if o["response"] == "selection":
                nr = t.loc["nonrespondent_shift"]
                text += ("Survey response was allowed to depend on satisfaction by a pattern-mixture selection model "
                         f"({refs.LITTLE_1993.cite}): non-respondents' mean satisfaction, identified by their "
                         f"behaviour, was estimated at {nr['est']:.2f} units from the respondents'"
                         + (f" ({100 * o['level']:.0f}% interval {nr['ci_lower']:.2f} to {nr['ci_upper']:.2f})"
                            if np.isfinite(nr["ci_lower"]) else "") + ". ")
                if self._selection_weak():
                    text += ("That mean is weakly identified (its interval spans more than two standard deviations "
                             "of satisfaction), so the sensitivity analysis is the better guide. ")
            else:
                text += "Response was assumed unrelated to satisfaction (non-respondents' mean held at the respondents'). "
            text += ("A sensitivity analysis refits the model with non-respondents' mean held at "
                     f"{', '.join(f'{d:+g}' for d in SHIFTS)} standard deviations of satisfaction. ")
        text += ("CLV was the expected number of purchases given each customer's history over "
                 f"{o['horizon']:g} time units, discounted by (1 + d)^-t with d = {o['discount_rate']:.4g} per time "
                 "unit, times " + ("the expected amount per purchase of the Gamma-Gamma model with satisfaction as a "
                                   "covariate of its scale (same integration)" if o["spend"]
                                   else "one (value in purchases)")
                 + f", averaged over the base ({refs.GUPTA_2004.cite}); the effect of satisfaction was also split "
                 "into the part through the purchase rate (and spend) and the part through dropout. ")
        if len(self.replicates) >= 2:
            pct = f"{100 * o['level']:.0f}%"
            text += (f"Uncertainty was propagated through both steps by {len(self.replicates)} bootstrap resamples "
                     f"of customers ({refs.EFRON_1993.cite}; percentile intervals, seed "
                     f"{self._provenance.seed}). A change of {o['per']:g} unit in satisfaction changed CLV by "
                     f"{clv['est']:.2f} ({pct} interval {clv['ci_lower']:.2f} to {clv['ci_upper']:.2f}).")
        else:
            text += f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f}."
        return text
