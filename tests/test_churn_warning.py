"""Early warning: gains/lift and precision/recall/F1 at a contact budget computed by hand on a
seeded holdout, an alert list that only alerts() shows, the practitioners' rules on
hand-checked purchase histories, and rules beside a model on the same holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import EarlyWarningResult, compare_warnings, early_warning, gap_rule, recency_rule
from cxmodels.errors import InputError


def holdout(n=1000, seed=4):
    """Active customers at a snapshot, followed for 0-12 months after it; risk drives churn."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    hazard = 0.05 * np.exp(0.9 * x1 + 0.4 * x2)
    t = rng.exponential(1 / hazard)
    c = rng.uniform(3, 12, n)
    p6 = 1 - np.exp(-6 * hazard)                       # the true risk of churn within 6 months
    return pd.DataFrame({"customer": [f"K{i:05d}" for i in range(n)], "followup": np.minimum(t, c),
                         "churned": (t <= c).astype(int), "risk": p6, "why_x1": 0.9 * x1, "why_x2": 0.4 * x2,
                         "noise": rng.uniform(size=n)})


def test_metrics_by_hand():
    d = holdout()
    before = d.copy()
    res = early_warning(d, "risk", duration="followup", event="churned", horizon=6, budget=100, customer="customer",
                        reasons=["why_x1", "why_x2"])
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(res, EarlyWarningResult)
    # outcome known: churned within 6 months, or followed for at least 6 months
    y = ((d["churned"] == 1) & (d["followup"] <= 6)).astype(int)
    known = (d["followup"] >= 6) | (y == 1)
    k = d[known].assign(y=y[known]).sort_values("risk", ascending=False)
    top = k.head(100)
    tp = top["y"].sum()
    assert res.params["precision"] == pytest.approx(tp / 100)
    assert res.params["recall"] == pytest.approx(tp / k["y"].sum())
    p, r = tp / 100, tp / k["y"].sum()
    assert res.params["f1"] == pytest.approx(2 * p * r / (p + r))
    assert res.params["false_alarm_rate"] == pytest.approx((100 - tp) / (len(k) - k["y"].sum()))
    assert res.n_unknown == int((~known).sum()) > 0
    tab = res.summary()
    assert tab["n"].sum() == len(k) and tab["churners"].sum() == k["y"].sum()
    assert tab["gains"].iloc[-1] == pytest.approx(1.0) and tab["gains"].is_monotonic_increasing
    assert res.params["top_decile_lift"] > 2                # the true risk concentrates churners
    lo, hi = res.at_cutoff.loc["precision", ["ci_lower", "ci_upper"]]
    assert lo < res.params["precision"] < hi
    # the alert list: ids, risk, reasons; only through alerts()
    al = res.alerts()
    assert list(al["customer"]) == list(top["customer"])
    assert (al["reasons"].iloc[0].split(", ")[0] in ("why_x1", "why_x2"))
    text = res.summary().to_string() + repr(res) + res.methods_text() + res.at_cutoff.to_string() \
        + str(res.provenance.to_dict())
    assert not any(cid in text for cid in al["customer"])
    assert len(res.alerts(top=5)) == 5
    dec = res.decide()
    assert dec.action == "contact" and "100" in dec.reason
    assert NESLIN_CITED(res)


def NESLIN_CITED(res):
    return all(r.cite in res.methods_text() for r in res.references)


def test_budget_share_and_random_score():
    d = holdout()
    a = early_warning(d, "risk", duration="followup", event="churned", horizon=6, budget=0.1)
    assert a.params["contacted"] == round(0.1 * a.nobs)
    noise = early_warning(d, "noise", duration="followup", event="churned", horizon=6, budget=0.1)
    assert abs(noise.params["auc"] - 0.5) < 0.06 and noise.params["auc"] < a.params["auc"] - 0.15


def test_gap_rule_by_hand():
    days = pd.to_datetime
    tx = pd.DataFrame({"id": ["a"] * 4 + ["b"] * 3 + ["c"],
                       "when": days(["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31",     # gap 10
                                     "2024-01-01", "2024-03-01", "2024-04-30",                  # gap 60/60
                                     "2024-02-01"])})
    g = gap_rule(tx, "id", "when", as_of="2024-02-20", factor=1.5, min_purchases=3)
    assert g.loc["a", "usual_gap"] == 10 and g.loc["a", "days_since"] == 20 and g.loc["a", "triggered"] == 1
    # b: purchases after as_of are ignored, so only one purchase and no usual gap
    assert np.isnan(g.loc["b", "usual_gap"]) and g.loc["b", "triggered"] == 0
    g2 = gap_rule(tx, "id", "when", as_of="2024-05-20")
    assert g2.loc["b", "usual_gap"] == pytest.approx(60) and g2.loc["b", "triggered"] == 0   # 20 < 90
    r = recency_rule(tx, "id", "when", as_of="2024-05-20", share=0.34)
    assert r["triggered"].sum() == 1 and r.loc["a", "triggered"] == 1   # a: last seen on 31 January
    with pytest.raises(InputError, match="datetimes"):
        gap_rule(tx.assign(when=tx["when"].astype(str)), "id", "when", as_of="2024-02-20")


def test_rules_beside_a_model():
    d = holdout()
    d["rule"] = (d["risk"] > d["risk"].quantile(0.85)).astype(int)      # a rule that sees part of the risk
    d["coin"] = np.random.default_rng(1).integers(0, 2, len(d))
    tab = compare_warnings(d, ["risk", "rule", "coin"], duration="followup", event="churned", horizon=6, budget=150)
    assert list(tab.index) == ["risk", "rule", "coin"] and tab.loc["rule", "kind"] == "rule"
    assert tab.loc["risk", "recall"] >= tab.loc["rule", "recall"] > tab.loc["coin", "recall"]
    assert (tab["contacted"] == 150).all()


def test_bad_inputs():
    d = holdout()
    with pytest.raises(InputError, match="beyond follow-up"):
        early_warning(d, "risk", duration="followup", event="churned", horizon=50, budget=10)
    with pytest.raises(InputError, match="budget"):
        early_warning(d, "risk", duration="followup", event="churned", horizon=6, budget=None)
    with pytest.raises(InputError, match="budget"):
        early_warning(d, "risk", duration="followup", event="churned", horizon=6, budget=-3)
    with pytest.raises(InputError, match="repeats customer ids"):
        early_warning(d.assign(customer="same"), "risk", duration="followup", event="churned", horizon=6, budget=10,
                      customer="customer")
    with pytest.raises(InputError, match="missing"):
        early_warning(d.assign(risk=np.where(d.index < 3, np.nan, d["risk"])), "risk", duration="followup",
                      event="churned", horizon=6, budget=10)
