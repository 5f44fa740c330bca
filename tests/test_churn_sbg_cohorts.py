"""Shifted-beta-geometric for several cohorts at once with cohort covariates (pymc-marketing#169):
parity with pymc-marketing's ShiftedBetaGeoModel at its flat-prior MAP (fixtures from
tests/fixtures/churn_sbg_cohorts/make_fixtures.py), seeded recovery, nesting of fit_sbg, and
bad cohort data refused."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import SBGCohortsResult, fit_sbg, fit_sbg_cohorts
from cxmodels.errors import ImproperSolutionWarning, InputError
from cxmodels.provenance import Provenance

HERE = FIXTURES / "churn_sbg_cohorts"


def simulate(seed, n_cohorts=24, truth=(np.log(0.8), 0.4, -0.3, np.log(2.5), -0.5, 0.6)):
    rng = np.random.default_rng(seed)
    a0, ap, ao, b0, bp, bo = truth
    rows = []
    for c in range(n_cohorts):
        price, online, T = float(rng.normal()), c % 2, int(rng.integers(4, 13))
        a = np.exp(a0 + ap * price + ao * online)
        b = np.exp(b0 + bp * price + bo * online)
        life = rng.geometric(rng.beta(a, b, 3000))
        for t in range(T + 1):
            rows.append({"cohort": f"C{c:02d}", "period": t, "alive": int((life > t).sum()), "price": price,
                         "online": online})
    return pd.DataFrame(rows)


def test_parity_with_pymc_marketing_map():
    data = pd.read_csv(HERE / "cohorts.csv")
    ref = pd.read_csv(HERE / "pymc_marketing_map.csv").set_index("name")["value"]
    res = fit_sbg_cohorts(data, group="cohort", alive="alive", covariates=["price", "online"], period="period")
    p = res.params
    # pymc-marketing: alpha_i = alpha_scale * exp(-z_i' c_alpha): intercept log(scale), slopes -c
    assert p["alpha:intercept"] == pytest.approx(np.log(ref["alpha_scale"]), abs=5e-4)
    assert p["beta:intercept"] == pytest.approx(np.log(ref["beta_scale"]), abs=5e-4)
    for par in ("alpha", "beta"):
        for cov in ("price", "online"):
            assert p[f"{par}:{cov}"] == pytest.approx(-ref[f"coefficient_{par}_{cov}"], abs=5e-4)
    assert res.log_likelihood == pytest.approx(ref["loglik"], abs=1e-3)
    assert res.converged and res.admissible


def test_seeded_recovery():
    truth = np.array([np.log(0.8), 0.4, -0.3, np.log(2.5), -0.5, 0.6])
    data = simulate(7, truth=truth)
    before = data.copy()
    res = fit_sbg_cohorts(data, group="cohort", alive="alive", covariates=["price", "online"], period="period")
    pd.testing.assert_frame_equal(data, before)
    assert res.converged and res.admissible and res.warnings == []
    s = res.summary()
    zs = (s["est"].to_numpy() - truth) / s["se"].to_numpy()
    assert np.all(np.abs(zs) < 3), dict(zip(s.index, np.round(zs, 2)))
    covered = (s["ci_lower"].to_numpy() <= truth) & (truth <= s["ci_upper"].to_numpy())
    assert covered.sum() >= 5
    cp = res.cohort_params()
    assert len(cp) == 24 and (cp["alpha_lower"] < cp["alpha"]).all() and (cp["alpha"] < cp["alpha_upper"]).all()


def test_one_cohort_and_separate_cohorts_equal_fit_sbg():
    high = [1000, 869, 743, 653, 593, 551, 517, 491]
    regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    one = fit_sbg_cohorts(pd.DataFrame({"c": "x", "n": high}), group="c", alive="n")
    np.testing.assert_allclose(np.exp(one.params.to_numpy()), fit_sbg(high).params.to_numpy(), rtol=1e-4)
    d = pd.DataFrame({"c": ["h"] * 8 + ["r"] * 8, "n": high + regular, "is_regular": [0] * 8 + [1] * 8})
    both = fit_sbg_cohorts(d, group="c", alive="n", covariates="is_regular")
    cp = both.cohort_params()
    np.testing.assert_allclose(cp.loc["h", ["alpha", "beta"]].to_numpy(float), fit_sbg(high).params.to_numpy(),
                               rtol=1e-4)
    np.testing.assert_allclose(cp.loc["r", ["alpha", "beta"]].to_numpy(float), fit_sbg(regular).params.to_numpy(),
                               rtol=1e-4)
    assert both.log_likelihood == pytest.approx(fit_sbg(high).log_likelihood + fit_sbg(regular).log_likelihood,
                                                abs=1e-6)
    # without covariates the cohorts share one alpha, beta: pooled, and no better than separate
    pooled = fit_sbg_cohorts(d, group="c", alive="n")
    assert pooled.log_likelihood < both.log_likelihood


def test_result_contract():
    res = fit_sbg_cohorts(simulate(3, n_cohorts=6), group="cohort", alive="alive", covariates=["price"])
    assert isinstance(res, SBGCohortsResult) and isinstance(res.provenance, Provenance)
    assert list(res.summary().index) == ["alpha:intercept", "alpha:price", "beta:intercept", "beta:price"]
    assert all(r.cite in res.methods_text() for r in res.references)
    p = res.project(15)
    assert set(p["cohort"]) == set(res.cohorts) and p.groupby("cohort")["survival"].is_monotonic_decreasing.all()
    assert res.survival(0, "C00")[()] == 1.0
    ax = res.plot()
    assert ax.get_ylabel() == "share of the cohort still active"
    matplotlib.pyplot.close("all")


def test_bad_cohort_data_is_refused():
    d = simulate(5, n_cohorts=4)
    with pytest.raises(InputError, match="change within the cohort"):
        bad = d.copy()
        bad.loc[3, "price"] += 1
        fit_sbg_cohorts(bad, group="cohort", alive="alive", covariates="price")
    with pytest.raises(InputError, match="cohort 'C01'.*must not increase"):
        bad = d.copy()
        bad.loc[bad.index[bad["cohort"] == "C01"][2], "alive"] = 10 ** 6
        fit_sbg_cohorts(bad, group="cohort", alive="alive")
    with pytest.raises(InputError, match="collinear"):
        fit_sbg_cohorts(d.assign(k=1.0), group="cohort", alive="alive", covariates="k")
    with pytest.raises(InputError, match="run 0, 1"):
        fit_sbg_cohorts(d.assign(period=d["period"] + 1), group="cohort", alive="alive", period="period")
    with pytest.raises(InputError, match="more than one role"):
        fit_sbg_cohorts(d, group="cohort", alive="alive", covariates="alive")
    with pytest.raises(InputError, match="unknown cohort"):
        fit_sbg_cohorts(d, group="cohort", alive="alive").survival(1, "nope")


def test_no_churn_anywhere_is_flagged():
    d = pd.DataFrame({"c": ["a"] * 4 + ["b"] * 4, "n": [100] * 8})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = fit_sbg_cohorts(d, group="c", alive="n")
    assert not res.admissible and any(issubclass(x.category, ImproperSolutionWarning) for x in w)
