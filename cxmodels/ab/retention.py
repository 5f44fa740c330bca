r"""Retention as a survival outcome: a piecewise-exponential model with conjugate Gamma hazards.

Follow-up time is cut at :math:`0 = \tau_0 < \tau_1 < \dots < \tau_K` (days).  Within interval
:math:`k` variant :math:`v` has a constant hazard :math:`\lambda_{vk}`; with :math:`d_{vk}`
churn events and :math:`E_{vk}` days at risk in the interval, the likelihood is
:math:`\prod_k \lambda_{vk}^{d_{vk}} e^{-\lambda_{vk} E_{vk}}`, so a
:math:`\mathrm{Gamma}(a_0, b_0)` prior gives the posterior
:math:`\lambda_{vk} \sim \mathrm{Gamma}(a_0 + d_{vk},\ b_0 + E_{vk})` (Ibrahim, Chen & Sinha
2001, sec. 3.1).  Survival to time :math:`t` is
:math:`S_v(t) = \exp(-\sum_k \lambda_{vk}\, |[\tau_{k-1}, \tau_k) \cap [0, t)|)`; the compared
metric is :math:`S_v(\text{horizon})` (e.g. 90-day retention), and ``result.curves`` holds the
posterior survival curves (mean and HDI at each cut), whose difference between variants is
the effect on the whole retention curve, not one horizon only.  Censored customers
contribute exposure without events, so customers still active at the end of follow-up are
used correctly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import require_columns, require_frame
from ..errors import InputError
from . import references as R
from ._checks import resolve_control
from .hdi import hdi as _hdi
from .result import ABResult

IBRAHIM = "Ibrahim, J. G., Chen, M.-H., & Sinha, D. (2001). Bayesian Survival Analysis. Springer"


def _events_exposure(t, e, cuts):
    d = np.zeros(len(cuts) - 1)
    E = np.zeros(len(cuts) - 1)
    for k in range(len(cuts) - 1):
        lo, hi = cuts[k], cuts[k + 1]
        E[k] = np.clip(np.minimum(t, hi) - lo, 0, None).sum()
        d[k] = ((t > lo) & (t <= hi) & (e == 1)).sum() if k > 0 else ((t <= hi) & (e == 1)).sum()
    return d, E


def compare_retention(data: pd.DataFrame, *, duration: str, event: str, by: str, horizon: float,
                      cuts=None, prior=(0.001, 0.001), control=None, draws: int = 20_000, seed=None,
                      hdi_prob: float = 0.95) -> ABResult:
    """Compare retention curves across variants with a piecewise-exponential model.

    Parameters
    ----------
    data : DataFrame
        One row per customer.
    duration : str
        Time observed (to churn, or to the end of follow-up), > 0.
    event : str
        1 if the customer churned at ``duration``, 0 if still active (censored).
    by : str
        Variant column.
    horizon : float
        The retention horizon compared (e.g. 90 days); must not exceed the last cut.
    cuts : sequence of float, optional
        Interval boundaries starting at 0 (default: 6 equal intervals up to ``horizon``).
    prior : (a0, b0)
        Gamma prior (shape, rate per unit time) on every interval hazard; the default is vague.

    Returns
    -------
    ABResult
        Metric: retention at ``horizon``; ``curves``: posterior survival by variant and cut;
        ``posterior``: events, exposure and posterior hazards by variant and interval.
    """
    require_frame(data)
    require_columns(data, [duration, event, by])
    horizon = float(horizon)
    cuts = np.linspace(0, horizon, 7) if cuts is None else np.asarray(cuts, float)
    if cuts[0] != 0 or np.any(np.diff(cuts) <= 0):
        raise InputError(f"cuts must start at 0 and increase strictly, got {cuts.tolist()}")
    if not 0 < horizon <= cuts[-1]:
        raise InputError(f"horizon {horizon} must lie in (0, last cut {cuts[-1]}]")
    a0, b0 = (float(x) for x in prior)
    variants = sorted(map(str, data[by].dropna().unique()))
    if len(variants) < 1:
        raise InputError(f"column {by!r} holds no variants")
    rows, shapes, rates = [], [], []
    for v in variants:
        sub = data.loc[data[by].astype(str) == v]
        t = pd.to_numeric(sub[duration], errors="coerce").to_numpy(float)
        e = pd.to_numeric(sub[event], errors="coerce").to_numpy(float)
        if np.isnan(t).any() or np.isnan(e).any():
            raise InputError(f"variant {v!r} has {int(np.isnan(t).sum() + np.isnan(e).sum())} missing "
                             f"{duration!r}/{event!r} values")
        if (t <= 0).any():
            raise InputError(f"variant {v!r} has {int((t <= 0).sum())} non-positive durations")
        if not np.isin(e, (0, 1)).all():
            raise InputError(f"column {event!r} of variant {v!r} must be 0/1")
        d, E = _events_exposure(t, e, cuts)
        if E.sum() == 0:
            raise InputError(f"variant {v!r} has no time at risk")
        shapes.append(a0 + d)
        rates.append(b0 + E)
        for k in range(len(d)):
            rows.append((v, cuts[k], cuts[k + 1], d[k], E[k], (a0 + d[k]) / (b0 + E[k])))
    shapes, rates = np.array(shapes), np.array(rates)  # variants x intervals
    width_h = np.clip(np.minimum(cuts[1:], horizon) - cuts[:-1], 0, None)
    ctrl = resolve_control(variants, control)
    post = pd.DataFrame(rows, columns=["variant", "start", "end", "events", "exposure", "hazard_mean"])

    def sampler(rng, size):
        lam = rng.gamma(shapes, 1.0 / rates, size=(size,) + shapes.shape)
        return np.exp(-(lam * width_h).sum(axis=-1))

    # exact posterior mean of S(horizon): prod_k E[exp(-w_k lam_k)] = prod_k (b/(b+w))^a
    means = np.prod((rates / (rates + width_h)) ** shapes, axis=1)
    table = post[["variant", "start", "end", "events", "exposure"]]
    res = ABResult(metric=f"retention at {horizon:g}", variants=variants, control=ctrl, sampler=sampler,
                   n_draws=draws, seed=seed, model="piecewise-exponential", prior=f"Gamma({a0:g}, {b0:g}) prior "
                   f"on each of {len(cuts) - 1} interval hazards", posterior=post, data_table=table,
                   options={"cuts": cuts, "horizon": horizon, "prior": [a0, b0]},
                   references=[IBRAHIM, R.GELMAN, R.STUCCHIO], means=means, hdi_prob=hdi_prob,
                   methods_extra=f"Interval cuts at {', '.join(f'{c:g}' for c in cuts)}; censored customers add "
                                 "exposure without events.")
    rng = np.random.default_rng(np.random.SeedSequence(0 if seed is None or not isinstance(seed, int) else seed).spawn(1)[0])
    lam = rng.gamma(shapes, 1.0 / rates, size=(4000,) + shapes.shape)
    crows = []
    for j, v in enumerate(variants):
        for c in cuts[1:]:
            w = np.clip(np.minimum(cuts[1:], c) - cuts[:-1], 0, None)
            s = np.exp(-(lam[:, j, :] * w).sum(axis=-1))
            crows.append((v, c, float(np.prod((rates[j] / (rates[j] + w)) ** shapes[j])), *_hdi(s, hdi_prob)))
    res.curves = pd.DataFrame(crows, columns=["variant", "time", "survival_mean", "hdi_lower", "hdi_upper"])
    return res
