r"""A seeded onboarding experiment with known true effects.

``make_experiment(n, seed=...)`` simulates customers randomized between the current
onboarding (``control``) and a new one (``new_onboarding``), and records for each:

* ``converted`` (0/1): activated a paid plan, Bernoulli(:math:`p_v`);
* ``nps`` (0-10): likelihood to recommend, from an ordered-logit latent with variant shift;
* ``csat`` (1-5): satisfaction with onboarding, ordered logistic with cutpoints
  :math:`c` and a latent shift :math:`\delta_v` (:math:`P(Y \le k) = \operatorname{logit}^{-1}(c_k - \delta_v)`);
* ``days_observed``, ``churned``: time to churn, exponential with a variant hazard, censored at
  ``horizon`` (90) days; ``retained_90d`` = not churned by day 90;
* ``revenue``: 0 unless converted, then log-normal(:math:`\mu_v, \sigma`);
* ``segment``: market (``"EU"``, ``"NA"``, ``"APAC"``), with its own conversion baseline.

``df.attrs["truth"]`` holds, per variant, the exact population values of every outcome
(conversion rate, NPS and category shares, CSAT probabilities and mean, 90-day retention,
revenue per user) and the generating parameters, so estimates can be checked against them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .._validation import as_generator
from ..errors import InputError

VARIANTS = ("control", "new_onboarding")
SEGMENTS = ("EU", "NA", "APAC")
SEGMENT_SHARES = (0.45, 0.35, 0.20)
SEGMENT_LOGIT_OFFSET = (0.0, 0.25, -0.35)
CSAT_CUTPOINTS = (-2.6, -1.5, -0.2, 1.4)
NPS_CUTPOINTS = (-4.2, -3.7, -3.2, -2.7, -2.2, -1.6, -0.9, -0.1, 0.8, 1.9)


def _ordered_probs(cuts, shift):
    cum = special.expit(np.asarray(cuts) - shift)
    return np.diff(np.r_[0.0, cum, 1.0])


def make_experiment(n: int = 4000, *, seed=None, allocation: float = 0.5, conversion=(0.10, 0.12),
                    csat_shift: float = 0.35, nps_shift: float = 0.30, monthly_churn=(0.12, 0.10),
                    revenue_log_mean=(3.6, 3.65), revenue_log_sd: float = 0.8, horizon: float = 90.0) -> pd.DataFrame:
    """Simulate an onboarding A/B experiment (``control`` vs ``new_onboarding``).

    Parameters
    ----------
    n : int
        Customers.
    seed : int or numpy.random.Generator
    allocation : float
        Share randomized to ``new_onboarding``.
    conversion : (float, float)
        Traffic-weighted conversion rate of control and new onboarding.  Segments shift the
        log-odds by ``SEGMENT_LOGIT_OFFSET`` around a per-variant base chosen so the weighted
        rate equals these values.
    csat_shift, nps_shift : float
        Latent (logit-scale) shift of the new onboarding on CSAT and NPS.
    monthly_churn : (float, float)
        Probability of churning within 30 days, per variant (exponential hazard).
    revenue_log_mean, revenue_log_sd :
        Log-normal spend of converted customers.
    horizon : float
        Follow-up in days; ``retained_90d`` refers to it.

    Returns
    -------
    DataFrame
        Columns ``customer_id, variant, segment, converted, nps, csat, days_observed, churned,
        retained_90d, revenue``; ground truth in ``df.attrs["truth"]``.
    """
    if int(n) < 2:
        raise InputError(f"n must be at least 2, got {n}")
    if not 0 < allocation < 1:
        raise InputError(f"allocation must lie in (0, 1), got {allocation}")
    for name, pair in (("conversion", conversion), ("monthly_churn", monthly_churn)):
        if len(pair) != 2 or not all(0 < x < 1 for x in pair):
            raise InputError(f"{name} must be two probabilities in (0, 1), got {pair}")
    rng = as_generator(seed)
    n = int(n)
    vi = (rng.random(n) < allocation).astype(int)
    si = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES)
    off = np.asarray(SEGMENT_LOGIT_OFFSET)
    w = np.asarray(SEGMENT_SHARES)
    base = []
    for target in conversion:
        # solve sum_s w_s expit(b + off_s) = target for b (monotone: bisection)
        lo, hi = -10.0, 10.0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if (w * special.expit(mid + off)).sum() < target else (lo, mid)
        base.append((lo + hi) / 2)
    base = np.asarray(base)
    p_conv = special.expit(base[vi] + off[si])
    converted = (rng.random(n) < p_conv).astype(int)
    shifts_csat = np.array([0.0, csat_shift])
    shifts_nps = np.array([0.0, nps_shift])
    csat_p = np.array([_ordered_probs(CSAT_CUTPOINTS, s) for s in shifts_csat])
    nps_p = np.array([_ordered_probs(NPS_CUTPOINTS, s) for s in shifts_nps])
    u = rng.random(n)
    csat = 1 + (u[:, None] > np.cumsum(csat_p[vi], axis=1)[:, :-1]).sum(axis=1)
    u = rng.random(n)
    nps = (u[:, None] > np.cumsum(nps_p[vi], axis=1)[:, :-1]).sum(axis=1)
    hazard = -np.log1p(-np.asarray(monthly_churn)) / 30.0
    t = rng.exponential(1.0 / hazard[vi])
    churned = (t <= horizon).astype(int)
    days = np.minimum(t, horizon)
    mu = np.asarray(revenue_log_mean)
    revenue = np.where(converted == 1, np.exp(mu[vi] + revenue_log_sd * rng.standard_normal(n)), 0.0)
    df = pd.DataFrame({"customer_id": np.arange(1, n + 1), "variant": np.asarray(VARIANTS)[vi],
                       "segment": np.asarray(SEGMENTS)[si], "converted": converted, "nps": nps, "csat": csat,
                       "days_observed": np.round(days, 2), "churned": churned, "retained_90d": 1 - churned,
                       "revenue": np.round(revenue, 2)})
    truth = {}
    for j, v in enumerate(VARIANTS):
        cats = np.array([nps_p[j][:7].sum(), nps_p[j][7:9].sum(), nps_p[j][9:].sum()])
        conv = float((w * special.expit(base[j] + off)).sum())
        truth[v] = {"conversion": conv,
                    "conversion_by_segment": dict(zip(SEGMENTS, special.expit(base[j] + off).tolist())),
                    "nps": float(cats[2] - cats[0]), "nps_categories": cats.tolist(),
                    "nps_probs": nps_p[j].tolist(),
                    "csat_probs": csat_p[j].tolist(), "csat_mean": float(csat_p[j] @ np.arange(1, 6)),
                    "retention_90d": float(np.exp(-hazard[j] * horizon)), "hazard_per_day": float(hazard[j]),
                    "revenue_per_user": conv * float(np.exp(mu[j] + revenue_log_sd ** 2 / 2))}
    truth["params"] = {"allocation": allocation, "csat_shift": csat_shift, "nps_shift": nps_shift,
                       "csat_cutpoints": list(CSAT_CUTPOINTS), "nps_cutpoints": list(NPS_CUTPOINTS),
                       "segment_shares": dict(zip(SEGMENTS, SEGMENT_SHARES)),
                       "revenue_log_mean": list(revenue_log_mean), "revenue_log_sd": revenue_log_sd,
                       "horizon": horizon, "seed": seed if not isinstance(seed, np.random.Generator) else "Generator"}
    df.attrs["truth"] = truth
    return df
