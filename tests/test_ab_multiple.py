"""Multiple comparisons (issue 15): Holm and Benjamini-Hochberg by statsmodels, checked against the
procedures' definitions; the Bayesian bundle's joint probability and expected loss against
closed forms for independent Normal posteriors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxmodels import ab
from cxmodels.errors import InputError

P = pd.DataFrame({"metric": ["conversion", "revenue", "nps", "csat", "tickets"],
                  "pvalue": [0.001, 0.012, 0.03, 0.04, 0.20]}).set_index("metric")


def test_holm_and_bh_by_definition():
    holm = ab.adjust_pvalues(P, method="holm").summary()
    # Holm: p_(i) * (m - i + 1), running maximum, capped at 1
    expected = np.minimum(1, np.maximum.accumulate(np.array([0.001 * 5, 0.012 * 4, 0.03 * 3, 0.04 * 2, 0.20 * 1])))
    np.testing.assert_allclose(holm["pvalue_adjusted"], expected)
    assert holm["reject"].tolist() == [True, True, False, False, False]
    bh = ab.adjust_pvalues(P, method="bh").summary()
    # BH: p_(i) * m / i, running minimum from the top
    raw = np.array([0.001, 0.012, 0.03, 0.04, 0.20]) * 5 / np.arange(1, 6)
    np.testing.assert_allclose(bh["pvalue_adjusted"], np.minimum.accumulate(raw[::-1])[::-1])
    assert bh["reject"].tolist() == [True, True, True, True, False]
    res = ab.adjust_pvalues(P, method="bh")
    assert res.decide().action == "significant" and "Benjamini & Hochberg (1995)" in res.methods_text()
    assert res.plot() is not None


def test_adjust_pvalues_bad_inputs():
    with pytest.raises(InputError, match="not p-values"):
        ab.adjust_pvalues(P.assign(pvalue=[0.1, 1.2, 0.3, 0.4, 0.5]))
    with pytest.raises(InputError, match="method"):
        ab.adjust_pvalues(P, method="bonferroni-ish")
    with pytest.raises(InputError, match="repeat"):
        ab.adjust_pvalues(pd.concat([P, P]))


def test_bundle_joint_probability_and_loss():
    rng = np.random.default_rng(0)
    n = 4000
    frames = {}
    for name, eff in (("spend", 0.08), ("csat", 0.05)):
        g = np.repeat(["control", "new"], n // 2)
        pre = rng.normal(size=n)
        frames[name] = pd.DataFrame({"variant": g, "y": pre + rng.normal(size=n) + eff * (g == "new"), "pre": pre})
    res = {k: ab.cuped_bayes(f, group="variant", value="y", covariates="pre", seed=i, draws=200_000)
           for i, (k, f) in enumerate(frames.items())}
    b = ab.bundle_readout(res, variant="new", weights={"spend": 2.0, "csat": 1.0})
    # independent Normal posteriors: the joint probability is the product, the loss the weighted sum
    p = [float(r.prob_best["new"]) for r in res.values()]
    assert b.joint_probability == pytest.approx(p[0] * p[1], abs=4 * b.summary().loc["bundle", "mc_se"])
    exact_loss = 2.0 * res["spend"].expected_loss["new"] + res["csat"].expected_loss["new"]
    assert b.expected_loss == pytest.approx(exact_loss, rel=0.03)
    assert b.decide(threshold=0.5).action == ("adopt" if b.joint_probability >= 0.5 else "inconclusive")
    assert b.decide(threshold=0.999).action == "inconclusive" and b.plot() is not None
    assert "independently" in b.methods_text()
    with pytest.raises(InputError, match="control"):
        ab.bundle_readout(res, variant="control")
    with pytest.raises(InputError, match="weights"):
        ab.bundle_readout(res, variant="new", weights={"spend": 1.0})
