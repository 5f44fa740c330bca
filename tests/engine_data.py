"""Seeded data for the engine tests (tests/test_engines_*.py): a transaction log whose purchases
cluster around midnight in Europe/Berlin, and a survey/experiment frame for the statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd

KW = dict(calibration_end="2024-07-01", observation_end="2024-10-31")


def transaction_log(n: int = 600, customers: int = 80, seed: int = 19) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, customers, n)
    # purchases within two hours of midnight, Berlin time: the calendar day depends on the zone
    day = pd.Timestamp("2024-01-01", tz="Europe/Berlin") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    ts = day + pd.to_timedelta(rng.integers(-120, 120, n), unit="min")
    df = pd.DataFrame({"customer": [f"c{c:03d}" for c in cust], "ts": ts,
                       "value": rng.gamma(2.0, 10.0, n).round(2)})
    df["iso"] = df["ts"].map(lambda t: t.isoformat())            # each value with its own offset
    df["local"] = df["ts"].dt.tz_localize(None)                   # the wall clock, no zone
    df["text"] = df["local"].dt.strftime("%Y-%m-%d %H:%M")
    return df


def survey(n: int = 500, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3)) @ np.array([[1.0, 0.5, 0.2], [0.0, 1.0, 0.4], [0.0, 0.0, 1.0]])
    return pd.DataFrame({
        "id": np.arange(n), "q1": z[:, 0], "q2": z[:, 1], "q3": z[:, 2],
        "w": rng.uniform(0.5, 2.0, n), "region": rng.choice(["north", "south", "west"], n),
        "variant": rng.choice(["A", "B"], n), "segment": rng.choice(["new", "returning"], n),
        "converted": rng.integers(0, 2, n), "revenue": rng.gamma(2.0, 5.0, n),
        "periods": rng.integers(1, 6, n), "churned": rng.integers(0, 2, n),
    })


def bgnbd_log(customers: int = 2000, seed: int = 5) -> pd.DataFrame:
    """A BG/NBD log (CDNOW parameters) on calendar dates: customers join in the first 12 weeks
    of 2024 and are observed to 2024-10-31 (columns customer, date, value)."""
    from cxmodels import clv

    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-10-31")
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 84, customers), unit="D")
    T = ((end - start).days.to_numpy()) / 7.0
    sim = clv.simulate_transactions(T, seed=seed)
    days = np.floor(sim["time"] * 7).astype(int)
    date = start.to_numpy()[sim["customer"]] + pd.to_timedelta(days, unit="D").to_numpy()
    return pd.DataFrame({"customer": sim["customer"], "date": date, "value": sim["value"].round(2)})
