"""Ratio metrics by the delta method, capped metrics and cluster-randomised experiments (issue 15):
parity with GrowthBook's RatioStatistic, coverage by simulation, and the named bad inputs (zero
denominators, clusters split across variants)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "ab_gbstats"
GB = json.loads((FIX / "gbstats.json").read_text())
RATIO = pd.read_csv(FIX / "ratio.csv")


def test_ratio_matches_gbstats():
    before = RATIO.copy()
    row = ab.ratio_metric(RATIO, group="variant", numerator="revenue", denominator="sessions").summary().loc["treatment"]
    pd.testing.assert_frame_equal(RATIO, before)
    a, r = GB["ratio"]["absolute"], GB["ratio"]["relative"]
    assert row.est == pytest.approx(a["expected"], rel=1e-10)
    assert [row.ci_lower, row.ci_upper] == pytest.approx(a["ci"], rel=1e-10)
    assert row.pvalue == pytest.approx(a["p_value"], rel=1e-8)
    assert [row.relative_lower, row.relative_upper] == pytest.approx(r["ci"], rel=1e-10)


def _sessions(rng, users, effect):
    g = np.repeat(["control", "new"], users // 2)
    sessions = rng.poisson(3, users) + 1
    per_user = rng.gamma(2.0, 2.0, users)  # a user's sessions are alike: sessions are not independent
    revenue = sessions * per_user * np.where(g == "new", 1 + effect, 1.0)
    return pd.DataFrame({"variant": g, "revenue": revenue, "sessions": sessions.astype(float)})


def test_ratio_interval_covers_95():
    rng = np.random.default_rng(18)
    reps, effect = 300, 0.1
    truth = 4.0 * effect  # E[revenue]/E[sessions] = E[per_user] = 4 in control
    hit = 0
    for _ in range(reps):
        r = ab.ratio_metric(_sessions(rng, 300, effect), group="variant", numerator="revenue",
                            denominator="sessions").summary().loc["new"]
        hit += r.ci_lower <= truth <= r.ci_upper
    assert abs(hit / reps - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / reps), hit / reps


def test_capped_means_cap_from_pre_period():
    rng = np.random.default_rng(4)
    n = 4000
    pre = rng.lognormal(3, 1.2, n)
    y = pre * rng.lognormal(0, 0.3, n)
    d = pd.DataFrame({"variant": rng.choice(["control", "new"], n), "revenue": y, "pre_revenue": pre})
    res = ab.capped_means(d, group="variant", value="revenue", pre="pre_revenue", quantile=0.99)
    assert res.cap == pytest.approx(np.quantile(pre, 0.99))
    assert res.variance_reduction["new"] > 0.2          # heavy tails capped
    assert 0.005 < res.arms["capped_share"].mean() < 0.03
    assert "99.0% quantile of the pre-period" in res.methods_text()
    with pytest.raises(InputError, match="quantile"):
        ab.capped_means(d, group="variant", value="revenue", pre="pre_revenue", quantile=1.5)


def _stores(rng, stores, per_store, icc, effect):
    g = np.repeat(np.where(np.arange(stores) % 2 == 0, "control", "new"), per_store)
    store = np.repeat(np.arange(stores), per_store)
    u = rng.normal(0, np.sqrt(icc), stores)[store]
    y = u + rng.normal(0, np.sqrt(1 - icc), stores * per_store) + effect * (g == "new")
    return pd.DataFrame({"variant": g, "store": store, "csat": y})


def test_cluster_level_analysis_covers_and_naive_does_not():
    rng = np.random.default_rng(30)
    reps, effect = 300, 0.2
    hit = naive_hit = 0
    for _ in range(reps):
        res = ab.cluster_means(_stores(rng, 40, 25, 0.1, effect), group="variant", value="csat", cluster="store")
        r = res.summary().loc["new"]
        hit += r.ci_lower <= effect <= r.ci_upper
        naive_hit += abs(r.est - effect) <= 1.96 * r.naive_se
    se = np.sqrt(0.95 * 0.05 / reps)
    assert abs(hit / reps - 0.95) <= 3 * se, hit / reps
    assert naive_hit / reps < 0.80, naive_hit / reps  # design effect about 1 + 24 * 0.1 = 3.4
    assert res.design_effect["new"] > 2 and 0.03 < res.icc < 0.2


def test_ratio_and_cluster_bad_inputs():
    zero = RATIO.copy()
    zero.loc[zero.variant == "control", "sessions"] = 0.0
    with pytest.raises(InputError, match="variant 'control' has a zero denominator sum"):
        ab.ratio_metric(zero, group="variant", numerator="revenue", denominator="sessions")
    neg = RATIO.copy()
    neg.loc[5, "sessions"] = -1
    with pytest.raises(InputError, match=r"negative values \(rows 5\)"):
        ab.ratio_metric(neg, group="variant", numerator="revenue", denominator="sessions")
    d = _stores(np.random.default_rng(1), 10, 5, 0.1, 0.0)
    d.loc[0, "variant"] = "new"
    with pytest.raises(InputError, match=r"cluster\(s\) \['0'\].*several variants"):
        ab.cluster_means(d, group="variant", value="csat", cluster="store")
