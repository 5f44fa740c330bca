"""A seeded customer base in which the whole value chain is known.

:func:`make_customer_base` simulates, for one subscription business,

1. **a survey** of every customer at acquisition: three items of a driver, perceived
   quality (``PERQ1-3``), and three of overall satisfaction (``SAT1-3``). The latent
   constructs are in the metric of their first item (loading 1):
   ``PQ ~ N(0, sd_driver^2)`` and ``SAT = beta * PQ + zeta``, ``zeta ~ N(0, sd_zeta^2)``;
   each item is ``mean + loading * construct + e`` with ``e ~ N(0, sd_error^2)``, rounded to
   and clipped on a 1-``scale`` scale (5, 7 or 10 points; ``mean`` is two thirds up the scale,
   7 on 1-10) or left continuous (``scale=None``). Only some customers answer: each responds
   with probability ``expit(a + response_dependence * SAT / sd(SAT))`` (``a`` set so that
   about ``response_rate`` respond), so with ``response_dependence != 0`` the respondents'
   satisfaction differs from the base's (``survey`` holds the respondents' answers).
2. **tenure and churn**: lifetimes follow a Weibull proportional-hazards model,
   ``S(t | SAT) = exp(-(t / weibull_scale)^weibull_shape * exp(gamma * SAT))`` (t in months),
   censored at the end of the observation window (acquisitions are spread uniformly over
   ``months`` months);
3. **transactions**: while active a customer buys at Poisson rate
   ``purchase_rate * exp(delta * SAT)`` per month, each purchase gamma-distributed with
   mean ``mean_spend`` (independent of satisfaction);
4. **an experiment**: ``n_experiment`` further customers randomized 50/50 to ``control`` or
   ``treatment``; the treatment raises perceived quality by ``treatment_effect`` (driver
   units), hence satisfaction by ``beta * treatment_effect``; both arms answer the survey.

Satisfaction is measured once and held fixed over a customer's life (a simplification the
chain model shares). ``truth`` holds every parameter and the chain effects computed by
simulating a large population with common random numbers — independently of the
estimator in :mod:`cxmodels.chain` — for a customer newly acquired: the change in expected
discounted value over ``horizon`` months (discount factor ``(1 + discount_rate)^-t`` at ``t``
months, the convention of :func:`cxmodels.clv.discount_factor`), in restricted mean lifetime, and in 12-month retention, per unit of satisfaction and
per unit of the driver, and the value of the treatment per customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import as_generator, check_count
from ..errors import InputError

ITEMS_DRIVER = ["PERQ1", "PERQ2", "PERQ3"]
ITEMS_SAT = ["SAT1", "SAT2", "SAT3"]
MEASUREMENT = """
PQ  =~ PERQ1 + PERQ2 + PERQ3
SAT =~ SAT1 + SAT2 + SAT3
SAT ~ PQ
"""


@dataclass(frozen=True)
class CustomerBase:
    """The simulated data of :func:`make_customer_base`.

    Attributes
    ----------
    customers : DataFrame
        One row per customer: ``customer_id``, the six survey items, ``tenure`` (months),
        ``churned`` (1 = churned, 0 = censored), ``n_purchases``, ``spend`` (total).
    transactions : DataFrame
        ``customer_id, date, amount``: the raw log.
    survey : DataFrame
        ``customer_id`` and the six items of the customers who answered the survey.
    experiment : DataFrame
        ``customer_id, arm`` (``control``/``treatment``) and the six survey items.
    truth : dict
        Generator parameters and true chain effects (see the module docstring).
    model : str
        The measurement and structural model in lavaan syntax (``PQ``, ``SAT``).
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    experiment: pd.DataFrame
    truth: dict = field(repr=False)
    model: str = MEASUREMENT
    survey: pd.DataFrame = field(default=None, repr=False)

    @property
    def behaviour(self) -> pd.DataFrame:
        """``customers`` without the survey items: the behaviour every customer has."""
        return self.customers.drop(columns=ITEMS_DRIVER + ITEMS_SAT)


def _survey(rng, n, p, shift, scale):
    pq = rng.normal(0.0, p["sd_driver"], n) + shift
    sat = p["beta"] * pq + rng.normal(0.0, p["sd_zeta"], n)
    cols = {}
    for items, lat, mean in ((ITEMS_DRIVER, pq, p["mean_driver"]), (ITEMS_SAT, sat, p["mean_sat"])):
        for name, lam in zip(items, p["loadings"]):
            x = mean + lam * lat + rng.normal(0.0, p["sd_error"], n)
            cols[name] = np.clip(np.rint(x), 1, scale) if scale else x
    return pd.DataFrame(cols), pq, sat


def _lifetimes(rng, sat, p):
    e = rng.exponential(1.0, sat.size)
    return p["weibull_scale"] * (e * np.exp(-p["gamma"] * sat)) ** (1.0 / p["weibull_shape"])


def _true_chain(p, n_sim, seed, horizon, discount_rate):
    """Chain effects by simulating a large population (common random numbers)."""
    rng = np.random.default_rng([seed if isinstance(seed, int) else 0, 99])
    rho = np.log1p(discount_rate)          # (1 + d)^-t = exp(-rho t)
    pq = rng.normal(0.0, p["sd_driver"], n_sim)
    sat = p["beta"] * pq + rng.normal(0.0, p["sd_zeta"], n_sim)
    e = rng.exponential(1.0, n_sim)

    def outcomes(s):
        life = p["weibull_scale"] * (e * np.exp(-p["gamma"] * s)) ** (1.0 / p["weibull_shape"])
        active = np.minimum(life, horizon)
        # Poisson purchases at rate r while active: expected discounted revenue given the lifetime
        value = p["mean_spend"] * p["purchase_rate"] * np.exp(p["delta"] * s) * (1 - np.exp(-rho * active)) / rho
        return value.mean(), active.mean(), (life > 12.0).mean()

    base = outcomes(sat)
    up = outcomes(sat + 1.0)
    drv = outcomes(sat + p["beta"])
    trt = outcomes(sat + p["beta"] * p["treatment_effect"])
    return {
        "clv_mean": base[0], "lifetime_mean": base[1], "retention12_mean": base[2],
        "clv_per_unit": up[0] - base[0], "lifetime_per_unit": up[1] - base[1],
        "retention12_per_unit": up[2] - base[2],
        "clv_per_driver_unit": drv[0] - base[0], "lifetime_per_driver_unit": drv[1] - base[1],
        "intervention_value": trt[0] - base[0],
    }


def make_customer_base(n: int = 3000, *, n_experiment: int = 2000, seed=None, scale: int | None = 10,
                       months: float = 36.0, beta: float = 0.6, gamma: float = -0.35, delta: float = 0.25,
                       weibull_shape: float = 0.8, weibull_scale: float = 30.0, purchase_rate: float = 0.8,
                       mean_spend: float = 35.0, treatment_effect: float = 0.5, sd_driver: float = 1.2,
                       sd_zeta: float = 1.0, sd_error: float = 0.9, loadings=(1.0, 0.9, 1.1),
                       horizon: float = 36.0, discount_rate: float = 1.10 ** (1 / 12) - 1,
                       n_truth: int = 400_000, end: str = "2026-06-30", response_rate: float = 1.0,
                       response_dependence: float = 0.0) -> CustomerBase:
    """Simulate survey answers, tenure and churn, transactions and an experiment with
    known chain effects (see the module docstring for the model).

    Parameters
    ----------
    n : int
        Customers in the base (survey, tenure, transactions).
    n_experiment : int
        Customers in the randomized experiment (0 for none).
    seed : int or numpy.random.Generator
    scale : int or None
        Items rounded to ``1..scale`` (5, 7 or 10 points, the item mean two thirds up the scale);
        None keeps them continuous.
    months : float
        Observation window: acquisitions uniform over the ``months`` months before ``end``.
    beta : float
        Driver -> satisfaction path (latent metrics of ``PERQ1`` and ``SAT1``).
    gamma : float
        Log hazard ratio of churn per unit of satisfaction (negative: satisfied customers stay).
    delta : float
        Log purchase-rate ratio per unit of satisfaction.
    weibull_shape, weibull_scale : float
        Baseline Weibull lifetime (months) at satisfaction 0 (its mean).
    purchase_rate : float
        Purchases per month at satisfaction 0.
    mean_spend : float
        Mean amount per purchase (gamma, shape 4).
    treatment_effect : float
        Shift of perceived quality in the treatment arm.
    sd_driver, sd_zeta, sd_error, loadings :
        Measurement model (see the module docstring).
    horizon, discount_rate : float
        Horizon (months) and discount rate per month of the true chain effects (the default is
        10% a year).
    response_rate, response_dependence : float
        Share of customers answering the survey, and the log-odds of answering per standard
        deviation of satisfaction (0: response unrelated to satisfaction).
    n_truth : int
        Simulated customers behind the true chain effects (Monte Carlo error about 0.3 %).
    end : str
        Last day of the observation window (dates of the transaction log).

    Returns
    -------
    CustomerBase
    """
    n = check_count(n, "n", minimum=10)
    n_experiment = check_count(n_experiment, "n_experiment")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2):
        raise InputError(f"scale must be an integer number of points (5, 7, 10 ...) or None, got {scale!r}")
    if not 0 < response_rate <= 1:
        raise InputError(f"response_rate must lie in (0, 1], got {response_rate!r}")
    item_mean = 7.0 if scale in (None, 10) else 1 + 2 * (scale - 1) / 3
    p = dict(beta=beta, gamma=gamma, delta=delta, weibull_shape=weibull_shape, weibull_scale=weibull_scale,
             purchase_rate=purchase_rate, mean_spend=mean_spend, treatment_effect=treatment_effect,
             sd_driver=sd_driver, sd_zeta=sd_zeta, sd_error=sd_error, loadings=tuple(loadings),
             mean_driver=item_mean, mean_sat=item_mean)
    rng = as_generator(seed)
    survey, pq, sat = _survey(rng, n, p, 0.0, scale)
    life = _lifetimes(rng, sat, p)
    window = rng.uniform(0.0, months, n)          # months between acquisition and `end`
    tenure = np.minimum(life, window)
    churned = (life <= window).astype(int)
    rate = purchase_rate * np.exp(delta * sat)
    n_purch = rng.poisson(rate * tenure)
    # the raw log: purchase times uniform over each customer's active period
    owner = np.repeat(np.arange(n), n_purch)
    t_buy = window[owner] - rng.uniform(0.0, 1.0, owner.size) * tenure[owner]   # months before `end`
    amount = rng.gamma(4.0, mean_spend / 4.0, owner.size).round(2)
    end_ts = pd.Timestamp(end)
    ids = np.array([f"C{i:06d}" for i in range(n)])
    tx = pd.DataFrame({"customer_id": ids[owner],
                       "date": (end_ts - pd.to_timedelta(np.round(t_buy * 30.4375, 3), unit="D")).floor("D"),
                       "amount": amount}).sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
    spend = np.bincount(owner, weights=amount, minlength=n)
    customers = pd.concat([pd.DataFrame({"customer_id": ids}), survey], axis=1)
    customers["tenure"] = np.maximum(tenure.round(4), 1e-4)   # a zero tenure has no log
    customers["churned"] = churned
    customers["n_purchases"] = n_purch
    customers["spend"] = spend.round(2)

    frames = []
    for arm, shift in (("control", 0.0), ("treatment", treatment_effect)):
        m = n_experiment // 2 if arm == "control" else n_experiment - n_experiment // 2
        if m:
            s, _, _ = _survey(rng, m, p, shift, scale)
            s.insert(0, "arm", arm)
            frames.append(s)
    experiment = (pd.concat(frames, ignore_index=True) if frames
                  else pd.DataFrame(columns=["arm", *ITEMS_DRIVER, *ITEMS_SAT]))
    experiment.insert(0, "customer_id", [f"E{i:06d}" for i in range(len(experiment))])

    # who answers the survey: drawn last, so the rest of the base does not depend on it
    sd_sat = np.sqrt(beta ** 2 * sd_driver ** 2 + sd_zeta ** 2)
    a = np.log(response_rate / (1 - response_rate)) if response_rate < 1 else np.inf
    responded = rng.uniform(size=n) < (1 / (1 + np.exp(-(a + response_dependence * sat / sd_sat)))
                                       if np.isfinite(a) else np.ones(n))
    survey_frame = customers.loc[responded, ["customer_id", *ITEMS_DRIVER, *ITEMS_SAT]].reset_index(drop=True)
    truth = dict(p, var_driver=sd_driver ** 2, var_sat=beta ** 2 * sd_driver ** 2 + sd_zeta ** 2,
                 horizon=horizon, discount_rate=discount_rate, response_rate=response_rate,
                 response_dependence=response_dependence, scale=scale,
                 nonrespondent_shift=float(sat[~responded].mean() - sat[responded].mean()) if (~responded).any()
                 else 0.0,
                 reliability_sat_mean=(np.mean(loadings) ** 2 * (beta ** 2 * sd_driver ** 2 + sd_zeta ** 2))
                 / (np.mean(loadings) ** 2 * (beta ** 2 * sd_driver ** 2 + sd_zeta ** 2) + sd_error ** 2 / 3))
    truth["chain"] = _true_chain(p, n_truth, seed, horizon, discount_rate)
    return CustomerBase(customers=customers, transactions=tx, experiment=experiment, truth=truth,
                        survey=survey_frame)


ATTRIBUTES = {  # attribute -> (Kano class, penalty, reward) in satisfaction-index points
    "coverage": ("basic", 12.0, 0.0),
    "billing": ("performance", 5.0, 5.0),
    "support": ("performance", 4.0, 4.0),
    "app": ("excitement", 0.0, 9.0),
    "perks": ("excitement", 0.0, 6.0),
}


def make_attribute_survey(n: int = 2000, *, seed=None, threshold: float = 82.0, slope_below: float = 0.4,
                          slope_above: float = 1.6, low: int = 4, high: int = 9) -> pd.DataFrame:
    """A seeded driver survey with known asymmetric (Kano) effects and a loyalty threshold.

    Five attributes are rated on 1-10 (correlated, mean about 7). The 0-100 satisfaction
    index is ``66 + sum_j (-penalty_j 1[rating_j <= low] + reward_j 1[rating_j >= high]) + e``
    (``e ~ N(0, 8^2)``, clipped to 0-100): a *basic* factor only penalizes poor ratings, an
    *excitement* factor only rewards excellent ones, a *performance* factor does both equally
    (:data:`ATTRIBUTES`). Loyalty (0-100, e.g. repurchase intention) is a broken stick in the
    index, ``20 + slope_below * index + (slope_above - slope_below) * max(index - threshold, 0)
    + u`` with ``u ~ N(0, 6^2)``: it accelerates once satisfaction passes ``threshold``. Ground
    truth in ``df.attrs["truth"]``. Used by :func:`cxmodels.drivers.penalty_reward` and
    :func:`cxmodels.drivers.fit_threshold` studies.
    """
    n = check_count(n, "n", minimum=10)
    rng = as_generator(seed)
    k = len(ATTRIBUTES)
    corr = np.full((k, k), 0.35) + 0.65 * np.eye(k)
    # Cholesky, not multivariate_normal's default SVD: the SVD's signs depend on the LAPACK
    # build, so the same seed gave different surveys on different machines
    perf = rng.standard_normal((n, k)) @ np.linalg.cholesky(corr).T
    ratings = np.clip(np.rint(7.0 + 1.8 * perf), 1, 10).astype(int)
    index = np.full(n, 66.0)
    for j, (cls, pen, rew) in enumerate(ATTRIBUTES.values()):
        index += -pen * (ratings[:, j] <= low) + rew * (ratings[:, j] >= high)
    index = np.clip(index + rng.normal(0.0, 8.0, n), 0, 100)
    loyalty = (20 + slope_below * index + (slope_above - slope_below) * np.maximum(index - threshold, 0)
               + rng.normal(0.0, 6.0, n))
    df = pd.DataFrame(ratings, columns=list(ATTRIBUTES))
    df["sat_index"] = index.round(2)
    df["loyalty"] = np.clip(loyalty, 0, 100).round(2)
    df.attrs["truth"] = {"classes": {a: c for a, (c, _, _) in ATTRIBUTES.items()},
                         "penalty": {a: p for a, (_, p, _) in ATTRIBUTES.items()},
                         "reward": {a: r for a, (_, _, r) in ATTRIBUTES.items()},
                         "threshold": threshold, "slope_below": slope_below, "slope_above": slope_above,
                         "low": low, "high": high}
    return df
