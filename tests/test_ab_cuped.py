"""CUPED, its Bayesian readout and post-stratification (issue 15): parity with GrowthBook's engine
(tests/fixtures/ab_gbstats, made by its committed script), the variance reduction CUPED promises,
interval coverage by simulation, and the named bad inputs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import ImproperSolutionWarning, InputError

FIX = Path(__file__).parent / "fixtures" / "ab_gbstats"
GB = json.loads((FIX / "gbstats.json").read_text())
EXP = pd.read_csv(FIX / "experiment.csv")
CASES = {"spend": ("spend", "pre_spend", "mean", 1e-9), "nps": ("nps", "pre_nps", "nps", 1e-9),
         # gbstats' ProportionStatistic uses p(1 - p) (ddof 0), cxmodels the sample variance (ddof 1)
         "converted": ("converted", "pre_converted", "proportion", 2e-3)}


@pytest.mark.parametrize("name", list(CASES))
def test_cuped_matches_gbstats(name):
    y, x, metric, rtol = CASES[name]
    before = EXP.copy()
    row = ab.cuped(EXP, group="variant", value=y, covariates=x, metric=metric).summary().loc["treatment"]
    pd.testing.assert_frame_equal(EXP, before)
    a, r = GB["cuped"][f"{name}/absolute"], GB["cuped"][f"{name}/relative"]
    scale = abs(a["ci"][1] - a["ci"][0])
    assert row.est == pytest.approx(a["expected"], abs=rtol * scale)
    assert [row.ci_lower, row.ci_upper] == pytest.approx(a["ci"], abs=rtol * scale)
    assert row.se == pytest.approx(a["stddev"], rel=rtol)
    assert row.pvalue == pytest.approx(a["p_value"], rel=max(rtol, 1e-4))  # gbstats: 1 - cdf loses digits
    rscale = abs(r["ci"][1] - r["ci"][0])
    assert row.relative == pytest.approx(r["expected"], abs=rtol * rscale)
    assert [row.relative_lower, row.relative_upper] == pytest.approx(r["ci"], abs=rtol * rscale)


@pytest.mark.parametrize("name", list(CASES))
def test_cuped_bayes_matches_gbstats(name):
    y, x, metric, rtol = CASES[name]
    res = ab.cuped_bayes(EXP, group="variant", value=y, covariates=x, metric=metric, seed=1, draws=2000)
    g = GB["bayes"][name]
    assert res.exact
    assert res.prob_best["treatment"] == pytest.approx(g["chance_to_win"], abs=max(rtol, 1e-9) * 50)
    # gbstats' risk = [loss of keeping the control, loss of shipping the treatment]
    scale = abs(g["ci"][1] - g["ci"][0])
    assert res.expected_loss.to_numpy() == pytest.approx(g["risk"], abs=rtol * scale)
    lift = res.lift.set_index("lift").loc["absolute"]
    assert lift["mean"] == pytest.approx(g["expected"], abs=rtol * scale)


def test_variance_reduction_is_rho_squared():
    rng = np.random.default_rng(3)
    n, rho = 20_000, 0.7
    pre = rng.normal(size=n)
    y = rho * pre + np.sqrt(1 - rho ** 2) * rng.normal(size=n)
    d = pd.DataFrame({"variant": np.tile(["control", "new"], n // 2), "y": y, "pre": pre})
    res = ab.cuped(d, group="variant", value="y", covariates="pre")
    assert res.variance_reduction["new"] == pytest.approx(rho ** 2, abs=0.02)
    assert res.theta["pre"] == pytest.approx(rho, abs=0.02)
    assert "Deng et al. (2013)" in res.methods_text() and ab.references.DENG2013 in res.references
    # two covariates, one pure noise: the useful one keeps its slope
    d["noise"] = rng.normal(size=n)
    res2 = ab.cuped(d, group="variant", value="y", covariates=["pre", "noise"])
    assert res2.theta["noise"] == pytest.approx(0, abs=0.02)
    assert res2.variance_reduction["new"] == pytest.approx(rho ** 2, abs=0.02)


def _sim(rng, n, effect):
    g = np.repeat(["control", "new"], n // 2)
    pre = rng.normal(0, 1, n)
    stratum = np.where(pre > 0.5, "high", np.where(pre < -0.5, "low", "mid"))
    y = pre + rng.normal(0, 1, n) + effect * (g == "new")
    return pd.DataFrame({"variant": g, "y": y, "pre": pre, "stratum": stratum})


def test_cuped_and_post_stratification_cover_95():
    """Fast calibration: 300 seeded experiments of 200 customers; nominal 95% within 3 binomial SEs."""
    rng = np.random.default_rng(11)
    reps, effect = 300, 0.3
    hit = {"cuped": 0, "post_stratify": 0}
    vr = []
    for _ in range(reps):
        d = _sim(rng, 200, effect)
        c = ab.cuped(d, group="variant", value="y", covariates="pre").summary().loc["new"]
        p = ab.post_stratify(d, group="variant", value="y", strata="stratum").summary().loc["new"]
        hit["cuped"] += c.ci_lower <= effect <= c.ci_upper
        hit["post_stratify"] += p.ci_lower <= effect <= p.ci_upper
        vr.append(c.variance_reduction)
    se = np.sqrt(0.95 * 0.05 / reps)
    for k, h in hit.items():
        assert abs(h / reps - 0.95) <= 3 * se, (k, h / reps)
    assert np.mean(vr) == pytest.approx(0.5, abs=0.05)  # rho^2 = 1/2 in this design


def test_post_stratification_reduces_variance_and_names_small_cells():
    rng = np.random.default_rng(5)
    d = _sim(rng, 4000, 0.2)
    res = ab.post_stratify(d, group="variant", value="y", strata="stratum")
    assert res.variance_reduction["new"] > 0.3
    assert res.weights.sum() == pytest.approx(1)
    small = d.iloc[::40].copy()
    small.loc[small.index[0], "stratum"] = "lonely"
    with pytest.raises(InputError, match="lonely.*1 customer"):
        ab.post_stratify(small, group="variant", value="y", strata="stratum")


@pytest.mark.parametrize("metric, col", [("nps", "nps"), ("rating", "csat")])
def test_cuped_on_nps_and_ratings(metric, col):
    rng = np.random.default_rng(2)
    n = 3000
    pre = rng.integers(1, 6, n) if metric == "rating" else rng.integers(0, 11, n)
    top = 5 if metric == "rating" else 10
    y = np.clip(pre + rng.integers(-1, 2, n), 0 if metric == "nps" else 1, top)
    d = pd.DataFrame({"variant": rng.choice(["control", "new"], n), col: y, "pre": pre})
    res = ab.cuped(d, group="variant", value=col, covariates="pre", metric=metric)
    assert res.variance_reduction["new"] > 0.3
    raw = res.arms["unadjusted"]
    if metric == "nps":
        a = d[d.variant == "control"][col]
        assert raw["control"] == pytest.approx((a >= 9).mean() - (a <= 6).mean())
    assert res.decide().action in ("adopt", "keep_control", "inconclusive")
    assert res.plot() is not None


def test_cuped_bad_inputs():
    d = EXP[["variant", "spend", "pre_spend"]].copy()
    d.loc[[3, 8], "pre_spend"] = np.nan
    with pytest.raises(InputError, match=r"pre-period covariate 'pre_spend'.*2 missing values \(rows 3, 8\)"):
        ab.cuped(d, group="variant", value="spend", covariates="pre_spend")
    with pytest.raises(InputError, match="also a covariate"):
        ab.cuped(EXP, group="variant", value="spend", covariates=["spend"])
    with pytest.raises(InputError, match="0/1"):
        ab.cuped(EXP, group="variant", value="spend", covariates="pre_spend", metric="proportion")
    with pytest.raises(InputError, match="at least one pre-period covariate"):
        ab.cuped(EXP, group="variant", value="spend", covariates=[])
    const = EXP.assign(pre_spend=1.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = ab.cuped(const, group="variant", value="spend", covariates="pre_spend")
    assert any(issubclass(x.category, ImproperSolutionWarning) for x in w)
    assert not res.admissible and "constant" in res.warnings[0]
    assert res.variance_reduction["treatment"] == pytest.approx(0, abs=1e-12)
