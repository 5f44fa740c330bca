"""The noncontractual value chain (clv_model="bgnbd" / "pareto_nbd"): recovery on a seeded
BG/NBD base with a known satisfaction effect on the purchase rate, and bad input."""

import numpy as np
import pandas as pd
import pytest

from cxmodels.chain import fit_value_chain
from cxmodels.chain import btyd
from badinput import assert_clean, variants
from cxmodels.errors import InputError

TRUTH = dict(r=0.8, alpha=6.0, a=0.8, b=2.5)
MODEL = "SAT =~ y1 + y2 + y3"


def simulate(gamma, n=4000, n_resp=1800, seed=1, gamma_spend=0.0):
    """BG/NBD with alpha_i = alpha exp(-gamma s_i) (Fader & Hardie 2007), s ~ N(0, 1); three
    continuous survey items (first loading 1, so the latent metric is s) for n_resp customers."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    lam = rng.gamma(TRUTH["r"], 1 / (TRUTH["alpha"] * np.exp(-gamma * s)))
    p = rng.beta(TRUTH["a"], TRUTH["b"], size=n)
    T = rng.uniform(26, 52, size=n)
    x, tx, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        t = t + rng.exponential(1 / np.maximum(lam, 1e-12))
        ok = alive & (t <= T)
        x[ok] += 1
        tx[ok] = t[ok]
        alive = ok & (rng.uniform(size=n) > p)
    beh = pd.DataFrame({"id": np.arange(n), "frequency": x, "recency": tx, "T": T,
                        "monetary_value": 0.0})
    # Gamma-Gamma spend: nu_i ~ Gamma(q, v exp(gamma_spend s)), the mean of x Gamma(p, nu_i) amounts
    nu = rng.gamma(4.0, 1 / (15.0 * np.exp(gamma_spend * s)))
    rep = x > 0
    beh.loc[rep, "monetary_value"] = rng.gamma(3.0 * x[rep], 1 / (nu[rep] * x[rep]))
    who = rng.choice(n, n_resp, replace=False)
    sv = s[who]
    survey = pd.DataFrame({"id": who, **{f"y{j + 1}": 5 + l * sv + rng.normal(0, 0.6, n_resp)
                                         for j, l in enumerate([1.0, 0.8, 1.2])}})
    return beh, survey


def fit(beh, survey, **kw):
    return fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model="bgnbd", spend=kw.pop("spend", None),
                           horizon=52, discount_rate=0.002, n_boot=kw.pop("n_boot", 30), seed=3, progress=False,
                           **kw)


def true_clv_per_unit(res, beh, survey, gamma):
    """The estimand at the true parameters on this base (same functional, same satisfaction nodes)."""
    spec = btyd.BTYDSpec(beh, MODEL, "SAT", ("frequency", "recency", "T"), None, None, survey, "id", None)
    st = btyd._stage(spec, "bgnbd")
    st["theta"] = np.r_[np.log([TRUTH[k] for k in ("r", "alpha", "a", "b")]), gamma]
    x, tx, T = (beh[c].to_numpy(float)[:, None] for c in ("frequency", "recency", "T"))
    _, _, st["P"] = btyd._posterior("bgnbd", st["theta"], x, tx, T, st["S"], st["logw"])
    econ = dict(horizon=52, discount_rate=0.002)
    return btyd._clv("bgnbd", st, spec, 1.0, econ) - btyd._clv("bgnbd", st, spec, 0.0, econ)


@pytest.fixture(scope="module")
def effect():
    beh, survey = simulate(0.4)
    return fit(beh, survey), beh, survey


def test_recovers_gamma_and_value_of_a_point(effect):
    res, beh, survey = effect
    t = res.summary()
    g = t.loc["gamma"]
    assert g["ci_lower"] < 0.4 < g["ci_upper"]
    assert abs(g["est"] - 0.4) < 0.1
    truth = true_clv_per_unit(res, beh, survey, 0.4)
    c = t.loc["clv_per_unit"]
    assert c["ci_lower"] < truth < c["ci_upper"]
    assert c["ci_lower"] > 0
    assert res.converged and "Fader & Hardie (2007)" in res.methods_text()
    assert any(r.cite == "Fader & Hardie (2007)" for r in res.references)
    assert res.plot() is not None


def test_no_effect_interval_covers_zero():
    beh, survey = simulate(0.0, seed=2)
    c = fit(beh, survey, n_boot=25).effects().loc["clv_per_unit"]
    assert c["ci_lower"] < 0 < c["ci_upper"]


def test_pareto_nbd_runs_and_finds_the_direction():
    beh, survey = simulate(0.4, n=2000, n_resp=800, seed=5)
    res = fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model="pareto_nbd", spend=None,
                          horizon=52, discount_rate=0.002, n_boot=0, seed=1, progress=False)
    assert 0.2 < res.params["gamma"] < 0.6
    assert res.params["clv_per_unit"] > 0


def test_gamma_gamma_spend_with_the_latent_covariate():
    beh, survey = simulate(0.4, n=2500, n_resp=1000, seed=7, gamma_spend=0.3)
    res = fit(beh, survey, spend="monetary_value", n_boot=0)
    assert abs(res.params["gamma_spend"] - 0.3) < 0.1
    assert abs(res.params["gamma"] - 0.4) < 0.12
    # the population mean spend p v / (q - 1) = 3 * 15 / 3 = 15 at satisfaction 0
    assert abs(res.params["mean_spend"] - 15) < 2
    assert "Gamma-Gamma" in res.methods_text()


def test_bad_input():
    beh, survey = simulate(0.4, n=300, n_resp=100)
    with pytest.raises(InputError, match="clv_model must be"):
        fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model="bg/nbd")
    with pytest.raises(InputError, match=r"\['recency', 'T'\]"):
        fit(beh.drop(columns=["recency", "T"]), survey, n_boot=0)
    with pytest.raises(InputError, match="spend='spend' names no column"):
        fit(beh, survey, n_boot=0, spend="spend")
    bad = beh.copy()
    bad.loc[3, "recency"] = bad.loc[3, "T"] + 1
    with pytest.raises(InputError, match="0 <= recency <= T"):
        fit(bad, survey, n_boot=0)
    assert bad.loc[3, "recency"] > bad.loc[3, "T"]      # not modified


def test_options_the_btyd_chain_lacks_are_refused_not_ignored():
    beh, survey = simulate(0.4, n=300, n_resp=100)
    with pytest.raises(InputError, match="has no selection model yet"):
        fit(beh, survey, n_boot=0, response="selection")
    with pytest.raises(InputError, match="takes no n_jobs"):
        fit(beh, survey, n_boot=0, n_jobs=2)
    with pytest.raises(InputError, match="takes no sem_options"):
        fit(beh, survey, n_boot=0, sem_options={"estimator": "MLR"})


_SMALL = simulate(0.4, n=300, n_resp=120, seed=11)
_COLS = ["frequency", "recency", "T", "monetary_value"]


@pytest.mark.parametrize("name, frame", variants(_SMALL[0], _COLS), ids=[n for n, _ in variants(_SMALL[0], _COLS)])
def test_bad_input_sweep(name, frame):
    assert_clean(fit_value_chain, frame, MODEL, survey=_SMALL[1], customer="id", clv_model="bgnbd",
                 spend="monetary_value", n_boot=0, seed=1, progress=False)
