"""Churn risk for active customers; IPCW Brier score and time-dependent AUC; calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import brier_score, calibration_table, churn_risk, cox, plot_calibration, time_dependent_auc
from cxmodels.datasets.subscriptions import make_subscriptions
from cxmodels.errors import InputError

COVS = ["satisfaction", "segment_plus", "segment_premium"]


@pytest.fixture(scope="module")
def split():
    df = pd.get_dummies(make_subscriptions(3000, seed=5), columns=["segment"], drop_first=True, dtype=float)
    tr, te = df.iloc[:2000], df.iloc[2000:]
    return cox(tr, "duration", "event", COVS), te


def test_churn_risk_is_conditional_survival(split):
    m, te = split
    act = te[te["event"] == 0].head(20).assign(tenure=np.linspace(0, 300, 20))
    before = act.copy()
    r = churn_risk(act, m, duration="tenure", horizon=180)
    pd.testing.assert_frame_equal(act, before)
    S = np.array([m.predict_survival(act.iloc[[i]], [a, a + 180]).to_numpy().ravel()
                  for i, a in enumerate(act["tenure"])])
    np.testing.assert_allclose(r["p_churn"], 1 - S[:, 1] / S[:, 0], atol=1e-6)
    assert ((r["expected_tenure_within_horizon"] > 0) & (r["expected_tenure_within_horizon"] <= 180)).all()
    with pytest.raises(InputError, match="'tenure'.* 1 negative"):
        churn_risk(act.assign(tenure=[-1.0] + [5.0] * 19), m, "tenure", 180)


def test_brier_and_auc_without_censoring_reduce_to_plain_formulas():
    rng = np.random.default_rng(2)
    t = rng.exponential(10, 400) + 0.01
    d = pd.DataFrame({"t": t, "e": 1})
    s = np.clip(np.exp(-10 / (t + rng.normal(0, 3, 400)).clip(0.1)), 0, 1)
    h = 10.0
    plain = np.mean(((t > h).astype(float) - s) ** 2)
    assert brier_score(d, "t", "e", s, h) == pytest.approx(plain)
    r = rng.normal(size=400) - t / 10
    case, ctrl = r[t <= h], r[t > h]
    mw = np.mean(case[:, None] > ctrl[None, :]) + 0.5 * np.mean(case[:, None] == ctrl[None, :])
    assert time_dependent_auc(d, "t", "e", r, h) == pytest.approx(mw)


def test_model_beats_constant_and_is_calibrated(split):
    m, te = split
    s = m.predict_survival(te, [365]).to_numpy().ravel()
    assert brier_score(te, "duration", "event", s, 365) < brier_score(te, "duration", "event", np.full(len(te), 0.5), 365)
    assert 0.65 < time_dependent_auc(te, "duration", "event", 1 - s, 365) < 0.8
    cal = calibration_table(te, "duration", "event", s, 365, bins=5)
    assert len(cal) == 5 and np.max(np.abs(cal["predicted"] - cal["observed"])) < 0.08
    assert plot_calibration(cal) is not None
