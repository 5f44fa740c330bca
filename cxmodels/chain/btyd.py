r"""The noncontractual value chain: satisfaction as a latent covariate of a BTYD model.

``fit_value_chain(..., clv_model="bgnbd" | "pareto_nbd")`` replaces the chain's Weibull churn
and Poisson purchase model by the BG/NBD (Fader, Hardie & Lee 2005) or Pareto/NBD (Schmittlein,
Morrison & Colombo 1987) model of every customer's RFM summary (``frequency``, ``recency``,
``T`` as :func:`cxmodels.clv.rfm_summary` returns them). Satisfaction ``s`` enters the purchase
process as a time-invariant covariate (Fader & Hardie 2007), :math:`\alpha_i = \alpha e^{-\gamma s}`,
so the expected purchase rate scales by :math:`e^{\gamma s}`. The row likelihoods are those of
:mod:`cxmodels.clv.covariates`; each is integrated over the same satisfaction nodes as the
Weibull path (:func:`cxmodels.chain.survey._measure`: a respondent's posterior given her answers,
a non-respondent's population distribution ``N(0, phi)``):

    log L_i = log sum_k exp(logw_ik) p(x_i, t_x_i, T_i | s_ik).

Value of a point: for each customer the expected discounted purchases over the horizon given
her history (:func:`cxmodels.clv.discounted_purchases`, discount :math:`(1+d)^{-t}`,
:func:`cxmodels.clv.discount_factor`) with satisfaction shifted by ``u``, averaged over her
posterior of satisfaction given her answers *and* behaviour, times her expected amount per purchase
(Gamma-Gamma with the same latent covariate, :math:`v_i = v e^{\gamma_m s}`, when ``spend`` is given);
the effect of ``per`` is the base average of ``CLV(per) - CLV(0)``. Intervals: the chain's
bootstrap of customers, both steps refitted from the main fit (Newton steps, warm start).

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
"""

from __future__ import annotations

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
from .survey import _GH_LW, _GH_X, _as_scale, _constructs, _items_of, _measure, _Spec

MODELS = ("bgnbd", "pareto_nbd")
_KEEP = 12


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


def _row_ll(kind, theta, x, tx, T, S, m=None):
    r"""Per-(row, node) log-likelihood and its derivatives in the parameters, each (n, q).

    ``theta``: log r, log alpha, log a|s, log b|beta, gamma; with mean spend ``m`` also the
    Gamma-Gamma log p, log q, log v and its satisfaction coefficient (repeat buyers only:
    :math:`v_i = v e^{\gamma_m s}`, the expected spend scales by :math:`e^{\gamma_m s}`).
    """
    p = np.exp(theta[:4])
    g = theta[4]
    if kind == "bgnbd":
        ll, d = cov.bgnbd_row_loglik_grad(dict(r=p[0], alpha=p[1], a=p[2], b=p[3]), x, tx, T, g * S)
        out = [d["r"], d["alpha"], d["a"], d["b"], -S * d["alpha"]]
    else:
        ll, d = cov.pareto_nbd_row_loglik_grad(dict(r=p[0], alpha=p[1], s=p[2], beta=p[3]), x, tx, T, g * S)
        out = [d["r"], d["alpha"], d["s"], d["beta"], -S * d["alpha"]]
    if m is None:
        return ll, out
    rep = x > 0
    gp = np.exp(theta[5:8])
    llm, dm = cov.gamma_gamma_row_loglik_grad(dict(p=gp[0], q=gp[1], v=gp[2]), np.where(rep, x, 1.0),
                                              np.where(rep, m, 1.0), theta[8] * S)
    ll = ll + np.where(rep, llm, 0.0)
    return ll, out + [np.where(rep, dm[k], 0.0) for k in ("p", "q", "v")] + [np.where(rep, S * dm["v"], 0.0)]


def _posterior(kind, theta, x, tx, T, S, logw, m=None):
    """Rows' log-likelihood, derivatives and posterior weights over the nodes (given behaviour)."""
    ll, d = _row_ll(kind, theta, x, tx, T, S, m)
    L = ll + logw
    top = L.max(axis=1, keepdims=True)
    E = np.exp(L - top)
    tot = E.sum(axis=1)
    return np.log(tot) + top[:, 0], d, E / tot[:, None]


def _fit(kind, x, tx, T, S, logw, w, m=None, theta0=None, hinv=None):
    n = float(len(x) if w is None else w.sum())
    ww = np.ones(len(x)) if w is None else w

    def f(th):
        with np.errstate(all="ignore"):
            lli, d, P = _posterior(kind, th, x, tx, T, S, logw, m)
        val = -(lli @ ww) / n
        grad = -np.array([((P * dk).sum(axis=1)) @ ww for dk in d]) / n
        if not np.isfinite(val):
            return 1e10, np.zeros(len(th))
        return val, grad

    if theta0 is None:
        theta0 = np.array([0.0, np.log(max(T.mean(), 1.0)), 0.0, 0.0 if kind == "bgnbd" else np.log(T.mean()), 0.0])
        if m is not None:
            # p = 1, q = 3, v = 2 mean(m): the population mean spend p v / (q - 1) starts at the sample's
            theta0 = np.r_[theta0, 0.0, np.log(3.0), np.log(2 * max(m[x > 0].mean(), 1e-9)), 0.0]
    if hinv is not None:
        th, val, ok = chord_newton(f, theta0, hinv, tol=1e-3)
        if ok:
            return th, -val * n, True, hinv
    res = optimize.minimize(f, theta0, jac=True, method="BFGS", options={"gtol": 1e-7, "maxiter": 1000})
    ok = bool(res.success or np.max(np.abs(res.jac)) < 1e-5)
    return res.x, -res.fun * n, ok, (hinv if hinv is not None else warm_inverse(lambda z: f(z)[1], res.x))


def _stage(spec, kind, w=None, warm=None):
    """Measurement (the chain's nodes) then the BTYD model integrated over them."""
    warm = dict(warm or {})
    (SR, lwR), phi, _, sem, ordinal, _ = _measure(spec, "joint", w, warm, {})
    beh = spec.behaviour
    x, tx, T = (beh[c].to_numpy(float) for c in spec.rfm)
    resp = spec.resp
    q = SR.shape[1]
    if resp.all():
        S, logw = SR, lwR
    else:
        # non-respondents: satisfaction's population distribution on the same number of nodes
        if q == _GH_X.size:
            nx, nlw = _GH_X, _GH_LW
        else:
            nx, nwt = np.polynomial.hermite_e.hermegauss(q)
            nlw = np.log(nwt / np.sqrt(2 * np.pi))
        S, logw = np.empty((len(beh), q)), np.empty((len(beh), q))
        S[resp], logw[resp] = SR, lwR
        S[~resp], logw[~resp] = np.sqrt(phi) * nx, nlw
    xc, txc, Tc = x[:, None], tx[:, None], T[:, None]
    mc = beh[spec.spend].to_numpy(float)[:, None] if spec.spend else None
    theta, ll, ok, hinv = _fit(kind, xc, txc, Tc, S, logw, w, mc, warm.get("theta"), warm.get("hinv"))
    ww = np.ones(len(x)) if w is None else w
    if spec.spend:
        p, q, v = np.exp(theta[5:8])
        mean_spend = p * v / (q - 1) if q > 1 else float("nan")    # Gamma-Gamma population mean at s = 0
    else:
        mean_spend = 1.0
    _, _, P = _posterior(kind, theta, xc, txc, Tc, S, logw, mc)
    return dict(theta=theta, ll=ll, converged=ok, phi=phi, mean_spend=mean_spend, S=S, logw=logw, P=P, w=ww,
                warm={"theta": theta, "hinv": hinv, "ordinal": ordinal,
                      "ordinal_hinv": getattr(ordinal, "hess_inv", None)})


def _clv(kind, st, spec, shift, econ):
    """Base mean of the expected discounted value over the horizon given each history, with
    satisfaction shifted by ``shift`` (posterior over nodes given answers and behaviour)."""
    th = st["theta"]
    p = np.exp(th[:4])
    # the functional costs a hypergeometric function per (row, node, period): keep the rows in the
    # resample and each row's _KEEP most probable nodes (the rest carry < 0.1% of its posterior on the test bases)
    rows = st["w"] > 0
    top = np.argsort(-st["P"][rows], axis=1)[:, :_KEEP]
    P = np.take_along_axis(st["P"][rows], top, axis=1)
    P = P / P.sum(axis=1, keepdims=True)
    S = np.take_along_axis(st["S"][rows], top, axis=1)
    x, tx, T = (spec.behaviour[c].to_numpy(float)[rows, None] for c in spec.rfm)
    lp = th[4] * (S + shift)
    if kind == "bgnbd":
        pars = dict(r=p[0], alpha=p[1], a=p[2], b=p[3])
        fn = lambda t: cov.bgnbd_conditional_purchases(pars, t, x, tx, T, lp)
    else:
        pars = dict(r=p[0], alpha=p[1], s=p[2], beta=p[3])
        fn = lambda t: cov.pareto_nbd_conditional_purchases(pars, t, x, tx, T, lp)
    with np.errstate(all="ignore"):
        disc, _ = discounted_purchases(fn, horizon=econ["horizon"], discount_rate=econ["discount_rate"])
    if spec.spend:
        gp = np.exp(th[5:8])
        m = spec.behaviour[spec.spend].to_numpy(float)[rows, None]
        disc = disc * cov.gamma_gamma_expected_spend(dict(p=gp[0], q=gp[1], v=gp[2]), x, m, th[8] * (S + shift))
    else:
        disc = disc * st["mean_spend"]
    per_row = (P * disc).sum(axis=1)
    return float(per_row @ st["w"][rows] / st["w"].sum())


def _effects(kind, st, spec, econ, per):
    base, up = _clv(kind, st, spec, 0.0, econ), _clv(kind, st, spec, per, econ)
    p = np.exp(st["theta"][:4])
    out = dict(zip(["r", "alpha", "a" if kind == "bgnbd" else "s", "b" if kind == "bgnbd" else "beta"], p))
    if spec.spend:
        out.update(zip(["gg_p", "gg_q", "gg_v", "gamma_spend"], np.r_[np.exp(st["theta"][5:8]), st["theta"][8]]))
    out.update(gamma=st["theta"][4], satisfaction_sd=np.sqrt(st["phi"]), mean_spend=st["mean_spend"],
               clv_mean=base, clv_per_unit=up - base, purchase_rate_ratio_per_unit=np.exp(st["theta"][4] * per))
    return out


_EFFECTS = {"clv_mean": "mean expected discounted CLV over the horizon (whole base)",
            "clv_per_unit": "CLV change per unit of satisfaction (whole base)",
            "purchase_rate_ratio_per_unit": "purchase-rate ratio per unit of satisfaction"}


def fit_btyd_chain(data, model, *, clv_model, survey, customer, satisfaction, scale, rfm, spend, reliability,
                   horizon, discount_rate, per, n_boot, rng, seed_rec, level, bar, response=None, n_jobs=1):
    """The BTYD branch of :func:`cxmodels.chain.fit_value_chain` (arguments other than ``response``
    and ``n_jobs`` already checked there)."""
    if n_jobs != 1:
        raise InputError(f"clv_model={clv_model!r} takes no n_jobs (yet)")
    if response not in (None, "random"):
        # non-respondents enter at random through satisfaction's population distribution
        raise InputError(f"clv_model={clv_model!r} has no selection model yet: response must be 'random' "
                         f"(non-respondents at random), got {response!r}")
    spec = BTYDSpec(data, model, satisfaction, rfm, spend, reliability, survey, customer, scale)
    econ = dict(horizon=horizon, discount_rate=discount_rate)
    try:
        main = _stage(spec, clv_model)
    except CXModelsError:
        raise
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError, IndexError) as exc:
        raise EstimationError(f"the {clv_model} value chain could not be fitted on these data ({exc})") from exc
    bar.update()
    n, reps, n_fail = len(data), [], 0
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        try:
            st = _stage(spec, clv_model, w=w, warm=main["warm"])
            if st["converged"]:
                reps.append(_effects(clv_model, st, spec, econ, per))
            else:
                n_fail += 1
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, IndexError, CXModelsError):
            n_fail += 1
        bar.update()
    options = dict(model=model, satisfaction=satisfaction, customer=customer, scale=spec.scale, clv_model=clv_model,
                   rfm=list(rfm), spend=spend, reliability=reliability, horizon=horizon,
                   discount_rate=discount_rate, per=per, n_boot=n_boot, level=level,
                   n_customers=n, n_respondents=int(spec.resp.sum()))
    prov = make_provenance("cxmodels.chain.fit_value_chain", data, options, seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, n_used=len(reps),
                              resample="customers, both steps refitted", interval="percentile", level=level)
    res = BTYDChainResult(_effects(clv_model, main, spec, econ, per), reps, options, prov, main)
    if not main["converged"]:
        res._flag(f"the {clv_model} model did not converge (gradient not small)", ConvergenceWarning)
    if n_boot and n_fail:
        res._note(f"{n_fail} of {n_boot} bootstrap refits failed or did not converge and were dropped",
                  ConvergenceWarning)
    if not n_boot:
        res._warnings.append("no bootstrap (n_boot=0): point estimates only; standard errors and intervals are NaN")
    return res


class BTYDChainResult(Result):
    """A value chain with a BTYD outcome model (see :func:`cxmodels.chain.fit_value_chain`).

    ``replicates`` holds one row per bootstrap resample of every parameter and effect.
    """

    def __init__(self, est, reps, options, provenance, main):
        self._options, self._provenance, self._warnings = options, provenance, []
        self.loglik = float(main["ll"])
        self.replicates = pd.DataFrame(reps, columns=list(est))
        alpha = 1 - options["level"]
        ok = len(self.replicates) >= 2
        b = self.replicates
        rows = [{"quantity": k, "est": float(v), "se": float(b[k].std(ddof=1)) if ok else np.nan,
                 "ci_lower": float(b[k].quantile(alpha / 2)) if ok else np.nan,
                 "ci_upper": float(b[k].quantile(1 - alpha / 2)) if ok else np.nan,
                 "kind": "effect" if k in _EFFECTS else "parameter",
                 "description": _EFFECTS.get(k, k)} for k, v in est.items()]
        self._table = pd.DataFrame(rows).set_index("quantity")
        self._references = self._cited()

    def effects(self) -> pd.DataFrame:
        """The chain effects with bootstrap SE and percentile interval."""
        return self._table[self._table["kind"] == "effect"].drop(columns="kind")

    def _cited(self):
        model = refs.FHL_2005 if self._options["clv_model"] == "bgnbd" else refs.SMC_1987
        boot = (refs.EFRON_1993,) if len(self.replicates) >= 2 else ()
        return (model, refs.FADER_HARDIE_2007, refs.GUPTA_2004) + boot

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
        text = (f"Repeat purchasing of all {o['n_customers']} customers ({o['n_respondents']} of whom answered the "
                f"survey) followed the {name} model ({model.cite}) with satisfaction as a time-invariant covariate "
                f"of the purchase rate as in {refs.FADER_HARDIE_2007.cite}; its likelihood was integrated over each "
                "respondent's posterior of satisfaction given her answers and over satisfaction's population "
                "distribution for non-respondents (assumed to respond at random), so the value of a point is for "
                "the whole base. CLV was the expected number of purchases given each customer's history over "
                f"{o['horizon']:g} time units, discounted by (1 + d)^-t with d = {o['discount_rate']:.4g} per time "
                f"unit, times " + ("the expected amount per purchase of the Gamma-Gamma model with satisfaction as a "
                          "covariate of its scale (same integration)" if o["spend"] else "one (value in purchases)")
                + f", averaged over the base ({refs.GUPTA_2004.cite}). ")
        if len(self.replicates) >= 2:
            pct = f"{100 * o['level']:.0f}%"
            text += (f"Uncertainty was propagated through both steps by {len(self.replicates)} bootstrap resamples "
                     f"of customers ({refs.EFRON_1993.cite}; percentile intervals, seed "
                     f"{self._provenance.seed}). A change of {o['per']:g} unit in satisfaction changed CLV by "
                     f"{clv['est']:.2f} ({pct} interval {clv['ci_lower']:.2f} to {clv['ci_upper']:.2f}).")
        else:
            text += f"A change of {o['per']:g} unit in satisfaction changed CLV by {clv['est']:.2f}."
        return text
