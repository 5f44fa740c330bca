"""Bad inputs for the issue-16 additions (BG/BB, sBG cohorts with covariates, lead times in
compare_warnings, discrete_time_hazard on engine rows): the shared corpus of tests/badinput.py
gives only cxmodels errors or warnings and changes no argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import churn
from cxmodels.datasets.donations import load_donations
from cxmodels.errors import InputError


def _cohorts():
    rng = np.random.default_rng(4)
    rows = []
    for c in range(5):
        life = rng.geometric(rng.beta(0.8 + 0.2 * c, 2.0, 500))
        for t in range(6):
            rows.append({"cohort": f"K{c}", "month": t, "alive": int((life > t).sum()), "price": 0.5 * c})
    return pd.DataFrame(rows)


def _warning_data():
    rng = np.random.default_rng(5)
    n = 120
    churned = rng.random(n) < 0.4
    data = pd.DataFrame({"id": np.arange(n), "followup": np.where(churned, rng.uniform(1, 60, n).round(1), 200.0),
                         "churned": churned.astype(int), "score": rng.random(n), "rule": rng.integers(0, 2, n)})
    hist = []
    for i in range(n):
        for t in (-60, -30, 0):
            hist.append((i, t, rng.random() + 0.5 * churned[i], int(rng.random() < 0.2)))
    return data, pd.DataFrame(hist, columns=["id", "time", "score", "rule"])


def test_fit_bgbb_corpus():
    good = load_donations()
    for name, frame in variants(good, ["frequency", "recency", "n_periods", "weights"]):
        assert_clean(churn.fit_bgbb, frame, weights="weights")
    for bad in (None, "data", [1, 2, 3], pd.Series([1, 2])):
        assert isinstance(assert_clean(churn.fit_bgbb, bad), InputError)


def test_fit_sbg_cohorts_corpus():
    good = _cohorts()
    for name, frame in variants(good, ["cohort", "month", "alive", "price"]):
        assert_clean(churn.fit_sbg_cohorts, frame, group="cohort", alive="alive", covariates=["price"], period="month")
    assert isinstance(assert_clean(churn.fit_sbg_cohorts, good, group="nope", alive="alive"), InputError)
    assert isinstance(assert_clean(churn.fit_sbg_cohorts, good, group="cohort", alive="alive", level=2), InputError)


def test_compare_warnings_history_corpus():
    data, hist = _warning_data()
    kw = dict(duration="followup", event="churned", horizon=90, customer="id", n_boot=20, seed=1)
    for name, frame in variants(hist, ["id", "time", "score", "rule"]):
        assert_clean(churn.compare_warnings, data, ["score", "rule"], history=frame, **kw)
    for bad in (None, "history", [1, 2]):
        assert isinstance(assert_clean(churn.compare_warnings, data, ["score", "rule"], history=bad, **kw),
                          InputError)
    for n_boot in (0, -1, 1.5, True):
        assert isinstance(assert_clean(churn.compare_warnings, data, ["score", "rule"], history=hist,
                                       **{**kw, "n_boot": n_boot}), InputError)


def test_horizon_beyond_follow_up_is_refused():
    data, hist = _warning_data()
    with pytest.raises(InputError, match="beyond follow-up"):
        churn.compare_warnings(data, ["score", "rule"], duration="followup", event="churned", horizon=1000,
                               history=hist, customer="id")


def test_discrete_time_hazard_defaults_corpus():
    rng = np.random.default_rng(6)
    pp = pd.DataFrame({"customer": np.repeat(np.arange(60), 3), "period": np.tile([1, 2, 3], 60),
                       "churn": (rng.random(180) < 0.2).astype(int), "x": rng.normal(size=180)})
    for name, frame in variants(pp, ["period", "churn", "x"]):
        assert_clean(churn.discrete_time_hazard, frame, covariates=["x"])
