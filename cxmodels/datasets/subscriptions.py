"""A seeded subscription generator in which satisfaction drives the churn hazard.

Customer i (segment g, satisfaction score x on a 1-10 scale) churns with a Weibull
proportional hazard

    h_i(t) = (k / lam) (t / lam)^(k - 1) exp(beta (x_i - center) + gamma_g),

t in days since the subscription started.  Subscriptions start uniformly over an
acquisition window and are observed until ``observation_end``; customers still active then
are right-censored.  Because the model is proportional hazards, a Cox fit of
``duration ~ satisfaction + segment dummies`` recovers ``beta`` and ``gamma`` (and a Weibull
AFT fit recovers ``-beta / k``), which ``tests/test_churn_recovery.py`` checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_generator
from ..errors import InputError

SEGMENTS = {"basic": {"share": 0.5, "log_hr": 0.0, "sat_mean": 6.5},
            "plus": {"share": 0.3, "log_hr": -0.4, "sat_mean": 7.2},
            "premium": {"share": 0.2, "log_hr": -0.8, "sat_mean": 7.8}}


def make_subscriptions(n: int = 2000, *, seed, beta_satisfaction: float = -0.25, shape: float = 0.8,
                       scale_days: float = 700.0, satisfaction_center: float = 7.0,
                       segments: dict | None = None, acquisition_start="2023-01-01", acquisition_days: int = 365,
                       observation_end="2025-06-30") -> pd.DataFrame:
    """Simulated subscriptions with known churn hazard.

    Parameters
    ----------
    n : int
        Number of customers.
    seed : int or numpy Generator
        Required: the same seed gives the same frame on any machine.
    beta_satisfaction : float
        Log hazard ratio of one satisfaction point (exp(-0.25) = 0.78: each point cuts the
        churn hazard by 22%).
    shape, scale_days : float
        Weibull baseline (shape < 1: hazard falling with tenure, as in most subscriptions).
    segments : dict, optional
        ``{name: {"share", "log_hr", "sat_mean"}}``; defaults to basic / plus / premium
        (log hazard ratios 0, -0.4, -0.8 against basic).

    Returns
    -------
    DataFrame
        ``customer_id, segment, satisfaction (integer 1-10), start, end (NaT if active at
        observation_end), duration (days, > 0), event (1 churned, 0 censored)``;
        ``df.attrs["truth"]`` holds every generating value.
    """
    rng = as_generator(seed)
    if n < 1:
        raise InputError(f"n must be a positive number of customers, got {n}")
    segs = segments or SEGMENTS
    names = list(segs)
    share = np.array([segs[s]["share"] for s in names], float)
    share = share / share.sum()
    g = rng.choice(len(names), size=n, p=share)
    sat_mean = np.array([segs[s]["sat_mean"] for s in names])[g]
    sat = np.clip(np.rint(rng.normal(sat_mean, 1.8)), 1, 10)
    log_hr = np.array([segs[s]["log_hr"] for s in names])[g]
    eta = beta_satisfaction * (sat - satisfaction_center) + log_hr
    u = rng.uniform(size=n)
    # S(t) = exp(-(t/lam)^k exp(eta))  =>  T = lam (-log U exp(-eta))^(1/k)
    t_event = scale_days * (-np.log(u) * np.exp(-eta)) ** (1.0 / shape)
    t_event = np.maximum(np.ceil(t_event), 1.0)  # whole days, churn on day 1 at the earliest
    acq0 = pd.Timestamp(acquisition_start)
    start = acq0 + pd.to_timedelta(rng.integers(0, acquisition_days, size=n), unit="D")
    obs_end = pd.Timestamp(observation_end)
    window = (obs_end - start).days.to_numpy().astype(float)
    if np.any(window <= 0):
        raise InputError("observation_end must fall after the acquisition window")
    event = (t_event <= window).astype(int)
    duration = np.where(event == 1, t_event, window)
    end = pd.Series(start + pd.to_timedelta(t_event, unit="D")).where(event == 1)
    df = pd.DataFrame({"customer_id": np.arange(1, n + 1), "segment": pd.Categorical(np.array(names)[g], categories=names),
                       "satisfaction": sat.astype(int), "start": start, "end": end.to_numpy(),
                       "duration": duration, "event": event})
    df.attrs["truth"] = {"beta_satisfaction": beta_satisfaction, "satisfaction_center": satisfaction_center,
                         "segment_log_hr": {s: segs[s]["log_hr"] for s in names}, "reference_segment": names[0],
                         "weibull_shape": shape, "weibull_scale_days": scale_days,
                         "aft_satisfaction": -beta_satisfaction / shape,
                         "observation_end": str(obs_end.date()), "seed": seed if not isinstance(seed, np.random.Generator) else "generator"}
    return df
