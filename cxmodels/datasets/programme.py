r"""A seeded year of a customer-experience measurement programme, with its truths.

:func:`make_programme` simulates the four data sets a CX programme collects (modelled on
``notebooks/08_cx_programme.ipynb``):

* ``survey``: one answer per respondent with the touchpoint of the last contact, the 0-10
  recommendation, the 1-5 satisfaction and the 1-7 effort answers, all driven by a latent
  experience :math:`\eta_i = \delta_{t(i)} + \varepsilon_i`, :math:`\varepsilon_i \sim N(0, 1)`
  with a touchpoint effect :math:`\delta_t` (``truth["touchpoint_effect"]``);
* ``ratings``: touchpoint ratings (1-10) sharing a halo factor and an overall rating built as
  :math:`6.5 + 1.5\, R\beta / 1.2 + e` (``truth["driver_beta"]``), for key-driver analysis;
* ``stream``: daily live ratings (1-5) with a daily sample size drawn uniformly in
  ``daily_n``; the top-box probability is :math:`p_0` plus a weekend uplift, and drops by
  ``shift`` from ``truth["shift_date"]`` on, the change a control chart should catch;
* ``kano``: functional/dysfunctional answer pairs (1-5) drawn from the true category mix of
  each attribute (``truth["kano_mix"]``; A, O, M, I, R, Q).

Every frame carries the same ``attrs["truth"]``.  The generator is deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["make_programme", "Programme", "TOUCHPOINTS", "KANO_PAIRS"]

TOUCHPOINTS = ("app", "web", "shop", "call centre", "delivery", "returns")
#: touchpoint -> (effect on the latent experience, share of the survey)
_TOUCHPOINT = {"app": (0.6, 0.30), "web": (0.3, 0.25), "shop": (0.1, 0.20), "call centre": (-0.4, 0.12),
               "delivery": (0.0, 0.11), "returns": (-0.2, 0.02)}
#: rated touchpoint -> true coefficient on the overall rating
_BETA = {"app": 0.35, "web": 0.15, "shop": 0.10, "call centre": 0.15, "delivery": 0.45, "returns": 0.30,
         "invoice": 0.05, "loyalty card": 0.0}
#: Kano category -> (functional, dysfunctional) answer that the Kano table maps to it
KANO_PAIRS = {"A": (1, 3), "O": (1, 5), "M": (2, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
#: attribute -> true category probabilities in the order of KANO_PAIRS
_KANO_MIX = {"same-day delivery": (0.55, 0.20, 0.05, 0.17, 0.02, 0.01),
             "secure payment": (0.05, 0.20, 0.62, 0.12, 0.00, 0.01),
             "order tracking": (0.15, 0.50, 0.20, 0.14, 0.00, 0.01),
             "gift wrapping": (0.20, 0.05, 0.05, 0.65, 0.04, 0.01),
             "chat support": (0.30, 0.30, 0.15, 0.23, 0.01, 0.01)}


@dataclass
class Programme:
    """The four data sets of a generated programme and the generator's truths."""

    survey: pd.DataFrame
    ratings: pd.DataFrame
    stream: pd.DataFrame
    kano: pd.DataFrame
    truth: dict = field(default_factory=dict)

    @property
    def kano_attributes(self) -> dict:
        """``{attribute: (functional column, dysfunctional column)}`` for :func:`cxmodels.drivers.kano`."""
        return {a: (f"{a} f", f"{a} d") for a in self.truth["kano_mix"]}


def make_programme(n_days: int = 365, *, seed=None, n_survey: int = 3000, n_ratings: int = 800,
                   n_kano: int = 200, daily_n: tuple[int, int] = (60, 200), p_top: float = 0.72,
                   weekend: float = 0.03, shift: float = -0.06, shift_day: int | None = None,
                   start: str = "2025-01-01") -> Programme:
    """Generate a seeded year of a CX programme (see the module docstring for the model).

    Parameters
    ----------
    n_days : int
        Days of the live-rating stream (at least 30).
    seed : int or Generator, optional
    n_survey, n_ratings, n_kano : int
        Respondents of the touchpoint survey, of the driver ratings and of the Kano questionnaire.
    daily_n : (int, int)
        Range of the daily number of live ratings (uniform, upper bound excluded).
    p_top : float
        In-control weekday top-box (4-5) probability of the stream.
    weekend : float
        Weekend uplift of the top-box probability (a weekly season).
    shift : float
        Change of the top-box probability from ``shift_day`` on (the planted alarm).
    shift_day : int, optional
        Day (0-based) of the shift; default ``max(n_days - 61, n_days // 2)`` (1 November in a year
        from 1 January).
    start : str
        First day of the stream.

    Returns
    -------
    Programme
        ``survey``, ``ratings``, ``stream``, ``kano`` frames and ``truth`` (also in each frame's
        ``attrs["truth"]``).
    """
    from .._validation import as_generator
    from ..errors import InputError

    n_days = int(n_days)
    if n_days < 30:
        raise InputError(f"n_days must be at least 30 (got {n_days}): the stream needs an in-control stretch")
    shift_day = max(n_days - 61, n_days // 2) if shift_day is None else int(shift_day)
    if not 0 < shift_day < n_days:
        raise InputError(f"shift_day must lie strictly inside the stream (0 < shift_day < {n_days}); got {shift_day}")
    if not (0 < p_top + min(0.0, shift) and p_top + max(0.0, weekend) + max(0.0, shift) < 1):
        raise InputError("p_top with its weekend uplift and shift must stay inside (0, 1)")
    rng = as_generator(seed)

    # the touchpoint survey
    tps = list(TOUCHPOINTS)
    effect = np.array([_TOUCHPOINT[t][0] for t in tps])
    tp_idx = rng.choice(len(tps), n_survey, p=[_TOUCHPOINT[t][1] for t in tps])
    latent = effect[tp_idx] + rng.normal(0, 1, n_survey)
    survey = pd.DataFrame({
        "touchpoint": np.array(tps)[tp_idx],
        "recommend": np.clip(np.round(7 + 1.6 * latent + rng.normal(0, 1.2, n_survey)), 0, 10).astype(int),
        "sat": np.clip(np.round(3.8 + 0.8 * latent + rng.normal(0, 0.6, n_survey)), 1, 5).astype(int),
        "effort": np.clip(np.round(5 + 0.9 * latent + rng.normal(0, 0.9, n_survey)), 1, 7).astype(int),
    })

    # driver ratings: a halo factor makes the touchpoint ratings correlate
    rated = list(_BETA)
    beta = np.array([_BETA[r] for r in rated])
    R = 0.6 * rng.normal(0, 1, n_ratings)[:, None] + rng.normal(0, 1, (n_ratings, len(rated)))
    ratings = pd.DataFrame(np.clip(np.round(6.5 + 1.5 * R), 1, 10), columns=rated)
    ratings["overall"] = np.clip(np.round(6.5 + 1.5 * (R @ beta) / 1.2 + rng.normal(0, 1.0, n_ratings)), 1, 10)

    # the daily stream of live ratings with a planted drop
    days = pd.date_range(start, periods=n_days, freq="D")
    k = rng.integers(daily_n[0], daily_n[1], n_days)
    p_day = p_top + weekend * (days.dayofweek >= 5) + shift * (np.arange(n_days) >= shift_day)
    n_total = int(k.sum())
    top = rng.random(n_total) < np.repeat(p_day, k)
    stream = pd.DataFrame({"date": np.repeat(days, k),
                           "sat": np.where(top, rng.integers(4, 6, n_total), rng.integers(1, 4, n_total))})

    # the Kano questionnaire
    cats = list(KANO_PAIRS)
    kano = {}
    for attr, mix in _KANO_MIX.items():
        drawn = rng.choice(len(cats), n_kano, p=np.asarray(mix) / np.sum(mix))
        kano[f"{attr} f"] = [KANO_PAIRS[cats[c]][0] for c in drawn]
        kano[f"{attr} d"] = [KANO_PAIRS[cats[c]][1] for c in drawn]
    kano = pd.DataFrame(kano)

    truth = {"touchpoint_effect": {t: _TOUCHPOINT[t][0] for t in tps},
             "touchpoint_share": {t: _TOUCHPOINT[t][1] for t in tps},
             "driver_beta": dict(_BETA),
             "stream_p_top": p_top, "weekend": weekend, "shift": shift, "shift_day": shift_day,
             "shift_date": days[shift_day], "daily_n": tuple(daily_n),
             "kano_mix": {a: dict(zip(cats, mix)) for a, mix in _KANO_MIX.items()},
             "kano_category": {a: cats[int(np.argmax(mix))] for a, mix in _KANO_MIX.items()}}
    for frame in (survey, ratings, stream, kano):
        frame.attrs["truth"] = truth
    return Programme(survey, ratings, stream, kano, truth)
