"""Piecewise-exponential retention and posterior difference-in-differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.datasets.experiments import make_experiment
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def exp():
    return make_experiment(20_000, seed=5)


def test_retention_curve_matches_empirical_and_truth(exp):
    r = ab.compare_retention(exp, duration="days_observed", event="churned", group="variant", horizon=90,
                             cuts=np.linspace(0, 90, 19), seed=1, draws=100_000)
    truth = exp.attrs["truth"]
    emp = exp.groupby("variant").retained_90d.mean()
    for v in ("control", "new_onboarding"):
        # nobody is censored before day 90, so S(90) must agree with the observed share retained
        assert r.posterior_mean[v] == pytest.approx(emp[v], abs=0.005)
        n = (exp.variant == v).sum()
        assert abs(r.posterior_mean[v] - truth[v]["retention_90d"]) < 4 * np.sqrt(0.2 / n)
        # exact posterior mean prod_k (b/(b+w))^a agrees with the Monte Carlo draws
        assert r.draws[v].mean() == pytest.approx(r.posterior_mean[v], abs=4 * r.draws[v].std() / np.sqrt(100_000))
    curve = r.curves[r.curves.variant == "control"]
    assert curve.survival_mean.is_monotonic_decreasing
    assert r.prob_best["new_onboarding"] > 0.999 and r.control == "control"


def test_constant_hazard_posterior_is_conjugate():
    # one interval, exponential data: hazard posterior Gamma(a0 + d, b0 + total time)
    rng = np.random.default_rng(2)
    t = rng.exponential(50, 400)
    df = pd.DataFrame({"t": np.minimum(t, 60), "e": (t <= 60).astype(int), "g": "a"})
    df2 = df.assign(g="b")
    r = ab.compare_retention(pd.concat([df, df2]), duration="t", event="e", group="g", horizon=60, cuts=[0, 60],
                             prior=(1, 1), seed=1)
    d, E = df.e.sum(), df.t.sum()
    assert r.posterior.loc[0, "hazard_mean"] == pytest.approx((1 + d) / (1 + E))
    assert r.posterior_mean["a"] == pytest.approx(((1 + E) / (1 + E + 60)) ** (1 + d))


def test_retention_bad_input():
    df = pd.DataFrame({"t": [1.0, 2.0, -1.0, 3.0], "e": [1, 0, 1, 0], "g": ["a", "a", "b", "b"]})
    with pytest.raises(InputError, match="'b' has 1 non-positive"):
        ab.compare_retention(df, duration="t", event="e", group="g", horizon=3, cuts=[0, 3])
    with pytest.raises(InputError, match="horizon"):
        ab.compare_retention(df.assign(t=1.0), duration="t", event="e", group="g", horizon=5, cuts=[0, 3])
    with pytest.raises(InputError, match="at least two"):
        ab.compare_retention(df.assign(g="a", t=1.0), duration="t", event="e", group="g", horizon=3, cuts=[0, 3])


def test_difference_in_differences_posterior():
    keys = [("treated", "before"), ("treated", "after"), ("control", "before"), ("control", "after")]
    y = dict(zip(keys, [100, 150, 100, 110]))
    n = {k: 1000 for k in keys}
    res = ab.diff_in_diff_proportions(y, n, seed=1, rope=0.01)
    out = res.summary().rename(columns={"est": "mean"})
    m = {k: (1 + y[k]) / 1002 for k in keys}
    expected = (m[keys[1]] - m[keys[0]]) - (m[keys[3]] - m[keys[2]])
    assert out.loc["did", "mean"] == pytest.approx(expected, abs=5e-4)  # MC SE ~ 6e-5
    assert out.loc["did", "hdi_lower"] < expected < out.loc["did", "hdi_upper"]
    assert 0.95 < out.loc["did", "prob_positive"] < 0.99
    assert res.params["did"] == out.loc["did", "mean"] and res.provenance.seed == 1
    assert all(r.cite in res.methods_text() for r in res.references)
    import matplotlib.pyplot as plt
    assert res.plot().get_xlabel().startswith("difference")
    plt.close("all")
    with pytest.raises(InputError, match="'treated/after' has more successes"):
        ab.diff_in_diff_proportions({**y, keys[1]: 2000}, n)
