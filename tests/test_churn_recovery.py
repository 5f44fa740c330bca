"""make_subscriptions: seeded, with known truth that cox() and aft() recover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import aft, cox, kaplan_meier
from cxmodels.datasets.subscriptions import make_subscriptions


@pytest.fixture(scope="module")
def subs():
    return make_subscriptions(4000, seed=20261123)


def _dummies(df):
    return pd.get_dummies(df, columns=["segment"], drop_first=True, dtype=float)


def test_same_seed_same_frame():
    a, b = make_subscriptions(300, seed=7), make_subscriptions(300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["truth"] == b.attrs["truth"]
    assert not make_subscriptions(300, seed=8).equals(a)


def test_frame_shape(subs):
    assert list(subs.columns) == ["customer_id", "segment", "satisfaction", "start", "end", "duration", "event"]
    assert (subs["duration"] > 0).all() and set(subs["event"]) == {0, 1}
    assert subs["satisfaction"].between(1, 10).all()
    assert subs.loc[subs["event"] == 0, "end"].isna().all()
    churned = subs[subs["event"] == 1]
    np.testing.assert_allclose((churned["end"] - churned["start"]).dt.days, churned["duration"])


def test_cox_recovers_satisfaction_and_segment_effects(subs):
    truth = subs.attrs["truth"]
    res = cox(_dummies(subs), "duration", "event", ["satisfaction", "segment_plus", "segment_premium"])
    s = res.summary()
    for name, true in [("satisfaction", truth["beta_satisfaction"]),
                       ("segment_plus", truth["segment_log_hr"]["plus"]),
                       ("segment_premium", truth["segment_log_hr"]["premium"])]:
        assert s.loc[name, "ci_lower"] < true < s.loc[name, "ci_upper"], (name, s.loc[name].to_dict())
        assert abs(s.loc[name, "coef"] - true) < 3 * s.loc[name, "se"]
    assert res.hazard_ratios["satisfaction"] == pytest.approx(np.exp(truth["beta_satisfaction"]), abs=0.03)
    ph = res.check_proportional_hazards(significance=0.01)
    assert (ph["pvalue"] > 0.01).all()  # the generator is proportional hazards


def test_weibull_aft_recovers_shape_and_time_ratio(subs):
    truth = subs.attrs["truth"]
    res = aft(_dummies(subs), "duration", "event", ["satisfaction", "segment_plus", "segment_premium"])
    assert 1 / res.scale == pytest.approx(truth["weibull_shape"], abs=0.05)
    assert res.params["satisfaction"] == pytest.approx(truth["aft_satisfaction"], abs=0.05)


def test_km_orders_segments(subs):
    km = kaplan_meier(subs, "duration", "event", group="segment")
    s = km.survival_at([365]).set_index("group")["survival"]
    assert s["basic"] < s["plus"] < s["premium"]
