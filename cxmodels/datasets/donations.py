"""The donation data of Fader, Hardie & Shang (2010): the BG/BB model's benchmark."""

from __future__ import annotations

import pandas as pd

__all__ = ["load_donations"]


def load_donations() -> pd.DataFrame:
    """Repeat donations of the 1995 cohort of 11,104 first-time supporters of a non-profit.

    Each row is a distinct donation history over the six following years (1996-2001): the
    number of years with a donation (``frequency``), the last such year (``recency``, 0 when
    none), the number of opportunities (``n_periods``, 6 for everyone) and the number of donors
    with that history (``weights``).  Fitting :func:`cxmodels.churn.fit_bgbb` with
    ``weights="weights"`` reproduces the paper's estimates (alpha 1.204, beta 0.750, gamma
    0.657, delta 2.783; LL -33,225.6).

    The file is ``donations.csv`` as distributed with lifetimes 0.11.3 (MIT), from the data the
    authors published with the paper; lifetimes names the opportunities column ``periods``,
    renamed here to the argument name of ``fit_bgbb``.  A fresh frame on every call.

    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a
    discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.
    """
    from . import data_path

    return pd.read_csv(data_path("donations.csv")).rename(columns={"periods": "n_periods"})
