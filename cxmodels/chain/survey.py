"""The survey side of the value chain: the data specification (:class:`_Spec`: survey and
behaviour joined by customer, items and their scale) and the measurement step (:func:`_measure`:
each respondent's posterior of satisfaction on Gauss-Hermite nodes, from the CB-SEM for
continuous items or the ordinal-probit factor model of :mod:`.measurement` for Likert items;
non-respondents through satisfaction's population distribution).  Shared by the Weibull chain
(:mod:`.links`) and the noncontractual chain (:mod:`.btyd`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validation import (require_columns, require_consistent_ids, require_finite, require_frame, require_no_missing,
                           require_numeric, require_unique_columns, rows_text)
from ..churn.checks import check_duration, check_event
from ..errors import ConvergenceWarning, InputError
from .measurement import fit_ordinal_factor

#: 24-point Gauss-Hermite nodes and log-weights of the standard normal (a respondent's posterior)
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_GH_LW = np.log(_GH_W / np.sqrt(2 * np.pi))
#: sensitivity analyses of both chains: non-respondents' mean held at these SD of satisfaction
SHIFTS = (-0.5, -0.25, 0.0, 0.25, 0.5)


def _items_of(model: str, construct: str) -> list:
    from ..sem.syntax import parse
    return [s.rhs for s in parse(model) if s.op == "=~" and s.lhs == construct]


def _as_scale(scale):
    if scale is None:
        return None
    if isinstance(scale, (int, np.integer)) and not isinstance(scale, bool) and scale >= 2:
        return (1, int(scale))
    if (isinstance(scale, (tuple, list)) and len(scale) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in scale)
            and scale[0] < scale[1]):
        return (int(scale[0]), int(scale[1]))
    raise InputError(f"scale must be None (continuous items), a number of points (5, 7, 10) or a (low, high) "
                     f"pair of integers, got {scale!r}")


class _Spec:
    """Validated inputs of :func:`fit_value_chain`: the behaviour of every customer, aligned
    with the survey answers of those who responded."""

    def __init__(self, data, model, satisfaction, driver, duration, event, purchases, spend,
                 monthly_revenue, reliability, survey, customer, scale):
        require_frame(data)
        require_unique_columns(data)
        self.model, self.sat, self.driver = model, satisfaction, driver
        self.duration, self.event, self.purchases, self.spend = duration, event, purchases, spend
        self.monthly_revenue, self.reliability = monthly_revenue, reliability
        self.customer, self.scale = customer, _as_scale(scale)
        cols = [duration, event] + ([purchases] if purchases else []) + ([spend] if spend else [])
        if (purchases is None) == (monthly_revenue is None):
            raise InputError("give either purchases= (with spend=) for a purchase model, or monthly_revenue= "
                             "(revenue per active month of a subscription)")
        if purchases is not None and spend is None:
            raise InputError("purchases= needs spend= (the column of each customer's total spend)")
        if model is None and driver is not None:
            raise InputError("driver effects need a measurement model (model=...) linking driver and satisfaction")
        if model is not None:
            if not isinstance(model, str):
                raise InputError(f"model must be lavaan syntax (a string), got {type(model).__name__}")
            self.sat_items = _items_of(model, satisfaction)
            constructs = sorted({s for s in _constructs(model)})
            for name, what in ((satisfaction, "satisfaction"), (driver, "driver")):
                if name is not None and name not in constructs:
                    raise InputError(f"the {what} construct {name!r} is not in the model: it measures "
                                     f"{constructs or 'no construct'} (a line '{name} =~ item1 + item2 + ...')")
            self.driver_items = _items_of(model, driver) if driver else []
            from ..sem.syntax import parse
            self.model_items = list(dict.fromkeys(s.rhs for s in parse(model) if s.op == "=~"))
        elif self.scale is not None:
            raise InputError("scale= declares the survey items' scale: it needs a measurement model (model=...)")
        require_columns(data, cols)
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
        self._attach_survey(data, survey, model, satisfaction, reliability)

    def _attach_survey(self, data, survey, model, satisfaction, reliability):
        """Check ``reliability``, join the survey to the behaviour rows by customer and check
        the items' scale (or the observed satisfaction score); at least 10 respondents."""
        if reliability is not None and (isinstance(reliability, bool) or not isinstance(reliability, (int, float))
                                        or not 0 < reliability <= 1):
            raise InputError(f"reliability must lie in (0, 1], got {reliability}")
        self.behaviour = data
        self.resp, self.survey = self._align(data, survey)
        if model is not None:
            self._check_scale()
        else:
            where = "survey" if survey is not None else "data"
            require_columns(self.survey, [satisfaction], where)
            require_numeric(self.survey, [satisfaction], where)
            require_no_missing(self.survey, [satisfaction], where)
            require_finite(self.survey, [satisfaction], where)
        if self.resp.sum() < 10:
            raise InputError(f"only {int(self.resp.sum())} customers answered the survey: the measurement model "
                             "needs at least 10")

    def _align(self, data, survey):
        """Respondent mask over ``data``'s rows and the survey rows in ``data``'s order."""
        if survey is None:
            return np.ones(len(data), bool), data
        require_frame(survey, "survey")
        require_unique_columns(survey, "survey")
        if self.customer is None:
            raise InputError("a separate survey needs customer= (the id column in both data and survey)")
        require_columns(data, [self.customer])
        require_columns(survey, [self.customer], "survey")
        require_consistent_ids(data, self.customer)
        require_consistent_ids(survey, self.customer, "survey")
        for frame, what in ((data, "data"), (survey, "survey")):
            ids = frame[self.customer]
            if ids.isna().any():
                raise InputError(f"column {self.customer!r} of {what} has rows without a customer id "
                                 f"({rows_text(frame.index[ids.isna()])}): unknown customers")
            dup = ids.duplicated(keep=False)
            if dup.any():
                raise InputError(f"column {self.customer!r} of {what} repeats customer ids "
                                 f"{sorted(map(str, ids[dup].unique()))[:5]} ({rows_text(frame.index[dup])}); "
                                 f"{what} needs one row per customer")
        known = pd.Index(data[self.customer])
        missing = ~survey[self.customer].isin(known)
        if missing.any():
            ids = survey.loc[missing, self.customer]
            raise InputError(f"{int(missing.sum())} survey customers are missing from the behaviour data "
                             f"(ids {list(map(str, ids.iloc[:5]))}{' ...' if missing.sum() > 5 else ''}; survey "
                             f"{rows_text(survey.index[missing])}): every respondent needs her tenure and purchases")
        resp = data[self.customer].isin(pd.Index(survey[self.customer])).to_numpy()
        pos = pd.Series(np.arange(len(survey)), index=survey[self.customer].to_numpy())
        order = pos.loc[data.loc[resp, self.customer].to_numpy()].to_numpy()
        return resp, survey.iloc[order]

    def answers(self, items) -> np.ndarray:
        """The respondents' answers to ``items`` (n_respondents, len(items)) as floats, taken
        from the survey once: every bootstrap replicate reads the same answers."""
        cache = self.__dict__.setdefault("_answers", {})
        key = tuple(items)
        if key not in cache:
            cache[key] = self.survey[list(items)].to_numpy(float)
            cache[key].flags.writeable = False
        return cache[key]

    def _check_scale(self):
        """Survey items: present, numeric, complete, and on the declared scale."""
        items = self.model_items
        what = "survey"
        require_columns(self.survey, items, what)
        require_numeric(self.survey, items, what)
        missing = self.survey[items].isna().any(axis=1)
        if missing.any():
            raise InputError(f"{int(missing.sum())} rows have missing survey items "
                             f"({rows_text(self.survey.index[missing])}); the chain needs complete answers: "
                             "drop or impute them first")
        require_finite(self.survey, items, what)
        if self.scale is None:
            return
        lo, hi = self.scale
        off = {}
        for c in items:
            x = self.survey[c].to_numpy(float)
            bad = (x != np.round(x)) | (x < lo) | (x > hi)
            if bad.any():
                off[c] = sorted(set(np.round(x[bad], 3).tolist()))[:5]
        if off:
            raise InputError(f"items {sorted(off)} are not on the declared {lo}-{hi} scale (values "
                             f"{off}); declare their scale with scale=, or scale=None for continuous items")


def _constructs(model: str) -> set:
    from ..sem.syntax import parse
    return {s.lhs for s in parse(model) if s.op == "=~"}


def _resampled(frame, w):
    """The rows of a bootstrap resample (``w`` counts per row)."""
    return frame.iloc[np.repeat(np.arange(len(frame)), w.astype(int))].reset_index(drop=True)


def _measure(spec: _Spec, method: str, w, warm: dict, sem_kwargs: dict):
    """The satisfaction posterior of each respondent: nodes S, log weights, phi, the driver's latent
    moments (for :func:`_population_path`), sem, ordinal."""
    surv = spec.survey
    wr = None if w is None else w[spec.resp]
    sem, beta, ordinal = None, None, None
    if spec.model is None:
        x = surv[spec.sat].to_numpy(float)
        ww = np.ones_like(x) if wr is None else wr
        m = x - np.average(x, weights=ww)
        var = float(np.average(m ** 2, weights=ww))
        lat_var, v = var, 0.0
        if spec.reliability is not None and method == "joint":
            # classical error with known reliability: s | x ~ N(rel (x - mean), rel (1 - rel) var(x))
            rel = spec.reliability
            lat_var, m, v = rel * var, rel * m, rel * (1 - rel) * var
        return _posterior_normal(m, v), lat_var, None, None, None, m
    from ..sem import fit_sem
    if spec.scale is None:
        frame = surv if wr is None else _resampled(surv, wr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sem = fit_sem(spec.model, frame, **sem_kwargs)
        means, cov = sem.latent_posterior(surv)
        m, v = means[spec.sat].to_numpy(), float(cov.loc[spec.sat, spec.sat])
        lat_var = float(sem.latent_covariance().loc[spec.sat, spec.sat])
        est = sem.estimates(standardized=False)
        if spec.driver is not None:
            row = est[(est.op == "~") & (est.lhs == spec.sat) & (est.rhs == spec.driver)]
            if row.empty:
                raise InputError(f"the model has no path {spec.sat} ~ {spec.driver}")
            lc = sem.latent_covariance()
            beta = (float(lc.loc[spec.driver, spec.sat]), float(lc.loc[spec.driver, spec.driver]), lat_var)
        if method == "bartlett":
            m, v = sem.factor_scores(surv, method="bartlett")[spec.sat].to_numpy(), 0.0
        elif method == "mean":
            m = surv[spec.sat_items].mean(axis=1).to_numpy()
            m, v = m - m.mean(), 0.0
        elif method == "regression":
            v = 0.0
        return _posterior_normal(m, v), lat_var, beta, sem, None, m
    # Likert items: the ordinal-probit factor model by marginal ML
    Y = spec.answers(spec.sat_items)
    o0 = warm.get("ordinal")
    ordinal = fit_ordinal_factor(Y, spec.sat_items, spec.scale, cats=None if o0 is None else o0.cats, weights=wr,
                                 theta0=None if o0 is None else o0.theta,
                                 hess_inv0=warm.get("ordinal_hinv"), patterns=getattr(o0, "patterns", None))
    # per answer pattern, then per row (the posterior mean from the same nodes)
    S, logw, inv = ordinal._pattern_posterior(Y)
    m = (np.exp(logw) * S).sum(axis=1)[inv]
    S, logw = S[inv], logw[inv]
    if spec.driver is not None:
        beta = _driver_path(spec, surv, wr, ordinal, warm, m)
    if method == "mean":
        m = Y.mean(axis=1)
        m = m - m.mean()
    if method != "joint":
        return _posterior_normal(m, 0.0), ordinal.phi, beta, None, ordinal, m
    return (S, logw), ordinal.phi, beta, None, ordinal, m


def _driver_path(spec, surv, wr, ordinal, warm, eap_sat):
    """Respondents' latent moments of driver and satisfaction, ``(Cov(d, s), phi_d, phi_s)``, by
    regression calibration on the two ordinal models' posterior means (EAP):

        Cov(d, s) = Cov(EAP_d, EAP_s) / (rho_d rho_s),   rho = Var(EAP) / phi.

    Cov(EAP_d, s) = Cov(d, s) rho_d exactly (s depends on the driver's items only through d);
    replacing s by its EAP divides by satisfaction's reliability when the EAP is linear in the
    latent, closely so for these models (the path agrees with the SEM's WLSMV path rescaled to
    the same metrics to within 0.005 on the bundled bases), at a fraction of its cost in every
    bootstrap replicate. :func:`_population_path` turns the moments into the base's path.
    """
    d0 = warm.get("driver")
    Yd = spec.answers(spec.driver_items)
    drv = fit_ordinal_factor(Yd, spec.driver_items, spec.scale, cats=None if d0 is None else d0.cats, weights=wr,
                             theta0=None if d0 is None else d0.theta, hess_inv0=None if d0 is None else d0.hess_inv,
                             patterns=None if d0 is None else d0.patterns)
    warm["_driver_fit"] = drv
    eap_d = drv.posterior_mean(Yd)
    w = np.ones(len(Yd)) if wr is None else wr
    md, ms = np.average(eap_d, weights=w), np.average(eap_sat, weights=w)
    cov = np.average((eap_d - md) * (eap_sat - ms), weights=w)
    rho_d = np.average((eap_d - md) ** 2, weights=w) / drv.phi
    rho_s = np.average((eap_sat - ms) ** 2, weights=w) / ordinal.phi
    return float(cov / (rho_d * rho_s)), drv.phi, ordinal.phi


def _population_path(moments, mix):
    """The driver -> satisfaction path in the whole base from the respondents' latent moments.

    Response depends on satisfaction, so among respondents the regression of satisfaction on
    the driver is attenuated (selection on the outcome) while that of the driver on
    satisfaction, ``kappa = Cov / phi_s`` with residual variance ``phi_d - kappa^2 phi_s``, is
    not (selection on the regressor). With satisfaction's variance in the base ``V`` (the
    mixture of respondents and non-respondents), ``beta = kappa V / (kappa^2 V + resid)``;
    with everyone answering it is ``Cov / phi_d``.
    """
    if moments is None:
        return None
    cov, phi_d, phi_s = moments
    kappa = cov / phi_s
    resid = max(phi_d - kappa ** 2 * phi_s, 0.0)
    mean = sum(m * w for m, w in mix)
    V = phi_s + sum(w * (m - mean) ** 2 for m, w in mix)
    return float(kappa * V / (kappa ** 2 * V + resid))


def _posterior_normal(m, v):
    """Nodes and log weights of N(m_i, v) (a single exact node when v = 0: the plug-in)."""
    if v <= 0:
        return m[:, None].astype(float), np.zeros((len(m), 1))
    return m[:, None] + np.sqrt(v) * _GH_X[None, :], np.broadcast_to(_GH_LW, (len(m), _GH_X.size))


def _record_bootstrap(res, n_boot: int, n_used: int, n_fail: int) -> None:
    """The bootstrap's notes on a chain result (both chains): dropped refits, too few to form an
    interval, or no bootstrap at all (a deliberate choice: recorded, not raised as a warning)."""
    if n_boot and n_fail:
        res._note(f"{n_fail} of {n_boot} bootstrap refits failed or did not converge and were dropped",
                  ConvergenceWarning)
    if n_boot and n_used < 2:
        res._note(f"only {n_used} of {n_boot} bootstrap refits succeeded: no interval can be formed",
                  ConvergenceWarning)
    if not n_boot:
        res._warnings.append("no bootstrap (n_boot=0): point estimates only; standard errors and intervals are NaN")
