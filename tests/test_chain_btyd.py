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
PARETO = dict(r=0.8, alpha=6.0, s=0.6, beta=30.0)
MODEL = "SAT =~ y1 + y2 + y3"


def simulate(gamma, n=4000, n_resp=1800, seed=1, gamma_spend=0.0, gamma_d=0.0, resp_dep=None, return_s=False):
    """BG/NBD with alpha_i = alpha exp(-gamma s_i), a_i = a exp(gamma_d s_i) (Fader & Hardie 2007),
    s ~ N(0, 1); three continuous survey items (first loading 1, so the latent metric is s) for
    n_resp customers (at random; with ``resp_dep`` about n_resp answer with log-odds rising by
    ``resp_dep`` per unit of satisfaction); ``return_s`` also returns every customer's s."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    lam = rng.gamma(TRUTH["r"], 1 / (TRUTH["alpha"] * np.exp(-gamma * s)))
    p = rng.beta(TRUTH["a"] * np.exp(gamma_d * s), TRUTH["b"], size=n)
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
    if resp_dep is None:
        who = rng.choice(n, n_resp, replace=False)
    else:
        logit = np.log(n_resp / (n - n_resp)) + resp_dep * s
        who = np.flatnonzero(rng.uniform(size=n) < 1 / (1 + np.exp(-logit)))
        n_resp = len(who)
    sv = s[who]
    survey = pd.DataFrame({"id": who, **{f"y{j + 1}": 5 + l * sv + rng.normal(0, 0.6, n_resp)
                                         for j, l in enumerate([1.0, 0.8, 1.2])}})
    return (beh, survey, s) if return_s else (beh, survey)


def simulate_pareto(gamma, gamma_d, n, n_resp, seed):
    """Pareto/NBD with alpha_i = alpha exp(-gamma s), beta_i = beta exp(-gamma_d s), s ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    lam = rng.gamma(PARETO["r"], 1 / (PARETO["alpha"] * np.exp(-gamma * s)))
    mu = rng.gamma(PARETO["s"], 1 / (PARETO["beta"] * np.exp(-gamma_d * s)))
    T = rng.uniform(26, 52, size=n)
    end = np.minimum(rng.exponential(1 / mu), T)
    x, tx, t = np.zeros(n), np.zeros(n), np.zeros(n)
    going = np.ones(n, bool)
    while going.any():
        t = t + rng.exponential(1 / np.maximum(lam, 1e-12))
        going = going & (t <= end)
        x[going] += 1
        tx[going] = t[going]
    beh = pd.DataFrame({"id": np.arange(n), "frequency": x, "recency": tx, "T": T})
    who = rng.choice(n, n_resp, replace=False)
    survey = pd.DataFrame({"id": who, **{f"y{j + 1}": 5 + l * s[who] + rng.normal(0, 0.6, n_resp)
                                         for j, l in enumerate([1.0, 0.8, 1.2])}})
    return beh, survey, s


def fit(beh, survey, **kw):
    return fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model="bgnbd", spend=kw.pop("spend", None),
                           horizon=52, discount_rate=0.002, n_boot=kw.pop("n_boot", 30), seed=3, progress=False,
                           **kw)


def true_clv_per_unit(res, beh, survey, gamma, gamma_d=0.0, mu_nr=0.0, shifts=(1.0,)):
    """The estimand at the true parameters on this base (same functional, same satisfaction nodes;
    non-respondents' population at their true mean ``mu_nr``)."""
    spec = btyd.BTYDSpec(beh, MODEL, "SAT", ("frequency", "recency", "T"), None, None, survey, "id", None)
    st = btyd._stage(spec, "bgnbd", response="random", mu_fixed=mu_nr)
    theta = np.r_[np.log([TRUTH[k] for k in ("r", "alpha", "a", "b")]), gamma, gamma_d]
    x, tx, T = (beh[c].to_numpy(float)[:, None] for c in ("frequency", "recency", "T"))
    _, _, _, P = btyd._posterior("bgnbd", theta, x, tx, T, st.S, st.logw)
    st = btyd._replace(st, theta=theta, P=P)
    econ = dict(horizon=52, discount_rate=0.002)
    v = btyd._clv("bgnbd", st, spec, np.r_[0.0, shifts], econ)
    return v[1] - v[0] if len(shifts) == 1 else v[1:] - v[0]


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
    # the purchase channel is detected; the total's interval also carries the dropout coefficient's
    # uncertainty (estimated since the dropout effect was added), which makes it straddle 0 here
    assert t.loc["purchase_rate_ratio_per_unit", "ci_lower"] > 1
    assert c["est"] > 0
    assert res.converged and "Fader & Hardie (2007)" in res.methods_text()
    assert any(r.cite == "Fader & Hardie (2007)" for r in res.references)
    assert res.plot() is not None


def test_no_dropout_effect_estimates_about_zero(effect):
    gd = effect[0].summary().loc["gamma_dropout"]
    assert abs(gd["est"]) < 0.15 and gd["ci_lower"] < 0 < gd["ci_upper"]


def test_no_effect_interval_covers_zero():
    # response="random": with no effect the selection model is unidentified (its own test, in
    # test_chain_btyd_selection.py). Since the dropout coefficient is estimated, this base's sample
    # dropout association (-0.07, 1.6 SE) puts the 25-replicate percentile interval of the value of a
    # point at 0.016 to 0.136: the estimate is checked against its bootstrap SE instead
    beh, survey = simulate(0.0, seed=2)
    t = fit(beh, survey, n_boot=25, response="random").summary()
    c = t.loc["clv_per_unit"]
    assert abs(c["est"]) < 2.5 * c["se"]
    assert t.loc["gamma", "ci_lower"] < 0 < t.loc["gamma", "ci_upper"]
    assert abs(t.loc["gamma_dropout", "est"]) < 0.15


def test_pareto_nbd_runs_and_finds_the_direction():
    # Pareto/NBD data (BG/NBD data, used before the dropout coefficient was estimated, make the
    # Pareto/NBD's dropout coefficient absorb the BG/NBD's dropout per purchase: +0.63 and a
    # negative value of a point)
    beh, survey, _ = simulate_pareto(0.4, 0.0, n=2000, n_resp=800, seed=5)
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
    with pytest.raises(InputError, match="response must be 'selection'"):
        fit(beh, survey, n_boot=0, response="heckman")
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(InputError, match="n_jobs must be"):
            fit(beh, survey, n_boot=0, n_jobs=bad)
    with pytest.raises(InputError, match="takes no sem_options"):
        fit(beh, survey, n_boot=0, sem_options={"estimator": "MLR"})


_SMALL = simulate(0.4, n=300, n_resp=120, seed=11)
_COLS = ["frequency", "recency", "T", "monetary_value"]


@pytest.mark.parametrize("name, frame", variants(_SMALL[0], _COLS), ids=[n for n, _ in variants(_SMALL[0], _COLS)])
def test_bad_input_sweep(name, frame):
    assert_clean(fit_value_chain, frame, MODEL, survey=_SMALL[1], customer="id", clv_model="bgnbd",
                 spend="monetary_value", n_boot=0, seed=1, progress=False)
