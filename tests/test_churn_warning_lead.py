"""Lead time of rules vs models in compare_warnings: on a seeded base where the model's score
rises months before churn and the rule fires only in the last month, the model catches churners
earlier at the same false-alarm rate; the bookkeeping (matched rates, who counts as caught) is
checked by hand on a small history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import compare_warnings
from cxmodels.errors import InputError

SNAPSHOTS = np.arange(-150, 61, 30)      # monthly snapshots around the holdout snapshot (day 0)


def base(seed=11, n=2000):
    rng = np.random.default_rng(seed)
    churner = rng.random(n) < 0.3
    c = np.where(churner, rng.uniform(1, 90, n).round(1), 400.0)     # churn day, or followed to day 400
    data = pd.DataFrame({"id": np.arange(n), "followup": c, "churned": churner.astype(int)})
    rows = []
    for i in range(n):
        for t in SNAPSHOTS[SNAPSHOTS < c[i]]:
            to_go = c[i] - t
            # the model's risk climbs over the last 120 days before churn; the rule ("no purchase
            # in 1.5x the usual gap") fires in the last 30 days, 70% of the time, plus 5% noise
            ramp = 2.5 * max(0.0, 1 - to_go / 120) if churner[i] else 0.0
            score = rng.normal() + ramp
            rule = int((churner[i] and to_go <= 30 and rng.random() < 0.7) or rng.random() < 0.05)
            rows.append((i, t, score, rule))
    hist = pd.DataFrame(rows, columns=["id", "time", "model", "rule"])
    snap = hist[hist["time"] == 0].set_index("id")
    data["model"] = snap["model"].reindex(data["id"]).to_numpy()
    data["rule"] = snap["rule"].reindex(data["id"]).to_numpy()
    return data, hist


@pytest.fixture(scope="module")
def seeded():
    return base()


def test_model_catches_churners_earlier_at_matched_false_alarms(seeded):
    data, hist = seeded
    d0, h0 = data.copy(), hist.copy()
    out = compare_warnings(data, ["model", "rule"], duration="followup", event="churned", horizon=90,
                           history=hist, customer="id", n_boot=400, seed=3)
    pd.testing.assert_frame_equal(data, d0)
    pd.testing.assert_frame_equal(hist, h0)
    m, r = out.loc["model"], out.loc["rule"]
    # the score is matched to the rule's false-alarm rate on the no-churn snapshots
    assert m["lead_false_alarm_rate"] == pytest.approx(r["lead_false_alarm_rate"], abs=0.005)
    assert m["churners"] == r["churners"] == int(((data["churned"] == 1) & (data["followup"] <= 90)).sum())
    # known direction: the model flags months ahead, the rule weeks ahead, and the intervals separate
    assert m["lead_median"] > r["lead_median"] + 20
    assert m["lead_median_lower"] > r["lead_median_upper"]
    assert m["lead_q1"] <= m["lead_median"] <= m["lead_q3"]
    assert m["lead_median_lower"] <= m["lead_median"] <= m["lead_median_upper"]
    assert m["caught"] > r["caught"]
    # the snapshot metrics are still there
    assert {"precision", "recall", "false_alarm_rate", "auc"} <= set(out.columns)


def test_bootstrap_is_seeded(seeded):
    data, hist = seeded
    kw = dict(duration="followup", event="churned", horizon=90, history=hist, customer="id", n_boot=200)
    a = compare_warnings(data, ["model", "rule"], seed=5, **kw)
    b = compare_warnings(data, ["model", "rule"], seed=5, **kw)
    pd.testing.assert_frame_equal(a, b)


def test_lead_times_by_hand():
    # three churners (days 20, 50, 80 after the snapshot) and two customers who stay
    data = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "followup": [20.0, 50, 80, 300, 300],
                         "churned": [1, 1, 1, 0, 0], "rule": [1, 0, 0, 0, 1], "score": [0.9, 0.5, 0.1, 0.2, 0.3]})
    hist = pd.DataFrame({"id": ["a", "a", "b", "b", "c", "c", "c", "d", "d", "e", "e"],
                         "time": [-30, 0, -30, 0, -30, 0, 60, -30, 0, -30, 0],
                         "rule": [0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1],
                         "score": [0.8, 0.9, 0.2, 0.5, 0.1, 0.1, 0.95, 0.1, 0.2, 0.3, 0.3]})
    out = compare_warnings(data, ["rule", "score"], duration="followup", event="churned", horizon=90,
                           history=hist, customer="id", false_alarm_rate=0.25, n_boot=50, seed=1)
    r = out.loc["rule"]
    # rule: a first flagged at 0 (lead 20), b at -30 (lead 80), c at 60 (lead 20)
    assert r["caught"] == 3 and r["lead_median"] == 20 and r["lead_q3"] == 50
    # no-churn snapshots: d and e at -30 and 0, and c at -30 (its churn on day 80 is beyond 90 days)
    assert r["lead_false_alarm_rate"] == pytest.approx(1 / 5)
    s = out.loc["score"]
    # score flagged above the 75% quantile of the no-churn values (0.1, 0.1, 0.2, 0.3, 0.3 -> 0.3):
    # a first at -30 (lead 50), b at 0 (lead 50), c at 60 (lead 20)
    assert s["caught"] == 3 and s["lead_median"] == pytest.approx(50.0) and s["lead_q1"] == pytest.approx(35.0)
    assert s["lead_false_alarm_rate"] == 0.0


def test_bad_histories_are_refused(seeded):
    data, hist = seeded
    kw = dict(duration="followup", event="churned", horizon=90, customer="id", n_boot=20)
    with pytest.raises(InputError, match="at or after"):
        compare_warnings(data, ["model", "rule"], history=hist.assign(time=hist["time"] + 500), **kw)
    with pytest.raises(InputError, match="not in data"):
        compare_warnings(data.iloc[1:], ["model", "rule"], history=hist, **kw)
    with pytest.raises(InputError, match="more than one row"):
        compare_warnings(data, ["model", "rule"], history=pd.concat([hist, hist.iloc[:1]]), **kw)
    with pytest.raises(InputError, match="needs customer"):
        compare_warnings(data, ["model", "rule"], duration="followup", event="churned", horizon=90, history=hist)
    with pytest.raises(InputError, match="pass history"):
        compare_warnings(data, ["model", "rule"], duration="followup", event="churned", horizon=90,
                         false_alarm_rate=0.1)
    with pytest.raises(InputError, match="false_alarm_rate"):
        compare_warnings(data, ["model", "rule"], history=hist, false_alarm_rate=1.5, **kw)
    with pytest.raises(InputError, match="0/1 in data but not in history"):
        compare_warnings(data, ["model", "rule"], history=hist.assign(rule=hist["rule"] * 2), **kw)
