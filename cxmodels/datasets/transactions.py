"""The CDNOW transaction log (Fader, Hardie & Lee 2005) and a seeded transaction generator."""

from __future__ import annotations

import numpy as np
import pandas as pd


def load_cdnow() -> pd.DataFrame:
    """The CDNOW 1/10 sample: 6,919 purchases of 2,357 customers, January 1997 - June 1998.

    The standard benchmark of the BG/NBD, Pareto/NBD and Gamma-Gamma models: every
    purchase of the 2,357 customers in the 1/10 sample of the 23,570 who made their first
    purchase at CDNOW in the first quarter of 1997 (the customers of lifetimes' and BTYD's
    ``CDNOW_sample``, with their rows taken from the CDNOW master log).

    Columns: ``customer_id`` (id in the master log), ``sample_id`` (1-2357, the ``ID`` of
    Fader and Hardie's published summary), ``date`` (datetime64), ``number_of_cds``,
    ``dollar_value``.  One row per purchase; a customer can buy more than once a day.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the
    easy way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    """
    from . import data_path

    df = pd.read_csv(data_path("cdnow_sample.csv"), parse_dates=["date"])
    return df


def make_transactions(n_customers: int = 1000, *, model: str = "bgnbd", params: dict | None = None,
                      spend: dict | None = None, start="2024-01-01", days: int = 364, seed=None) -> pd.DataFrame:
    """A seeded transaction log from the BG/NBD or Pareto/NBD with Gamma-Gamma spend.

    Customers make their first purchase on a day drawn uniformly over the first quarter of
    ``days``, then follow the model (see :func:`cxmodels.clv.simulate_transactions`; rates per week).
    Returns columns ``customer_id, date, value``; ``attrs["truth"]`` holds the parameters.
    """
    from .._validation import as_generator
    from ..clv import simulate_transactions

    rng = as_generator(seed)
    first = rng.integers(0, max(days // 4, 1), size=n_customers)
    T = (days - first) / 7.0
    log = simulate_transactions(T, model=model, params=params, spend=spend, seed=rng)
    start = pd.Timestamp(start)
    out = pd.DataFrame({
        "customer_id": log["customer"] + 1,
        "date": start + pd.to_timedelta(first[log["customer"]] + np.floor(log["time"] * 7.0), unit="D"),
        "value": np.round(log["value"], 2),
    })
    out.attrs["truth"] = log["truth"]
    return out
