"""The noncontractual value chain beyond the purchase rate: satisfaction's effect on dropout,
the selection model for survey response, evaluate_intervention on a BTYD chain, the parallel
bootstrap and a Pareto/NBD interval, each on a seeded base with a known truth."""

import numpy as np
import pandas as pd
import pytest

from cxmodels.chain import btyd, evaluate_intervention, fit_value_chain
from test_chain_btyd import MODEL, PARETO, TRUTH, simulate

ECON = dict(horizon=52, discount_rate=0.002)


def fit(beh, survey, kind="bgnbd", **kw):
    return fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model=kind, spend=None, horizon=52,
                           discount_rate=0.002, seed=kw.pop("seed", 3), progress=False, **kw)


def truth(beh, survey, s, gamma, gamma_d, shifts=(1.0,), kind="bgnbd"):
    """The estimand at the true parameters on this base, in the chain's latent metric: the origin
    is the respondents' mean satisfaction ``c``, so ``alpha`` becomes ``alpha exp(-gamma c)`` and
    the dropout parameter moves likewise; non-respondents' population sits at their true mean."""
    spec = btyd.BTYDSpec(beh, MODEL, "SAT", ("frequency", "recency", "T"), None, None, survey, "id", None)
    resp = spec.resp
    c = s[resp].mean()
    mu = s[~resp].mean() - c if (~resp).any() else 0.0
    st = btyd._stage(spec, kind, response="random", mu_fixed=mu)
    if kind == "bgnbd":
        base = [TRUTH["r"], TRUTH["alpha"] * np.exp(-gamma * c), TRUTH["a"] * np.exp(gamma_d * c), TRUTH["b"]]
    else:
        base = [PARETO["r"], PARETO["alpha"] * np.exp(-gamma * c), PARETO["s"], PARETO["beta"] * np.exp(-gamma_d * c)]
    theta = np.r_[np.log(base), gamma, gamma_d]
    x, tx, T, _ = btyd._arrays(spec)
    _, _, _, P = btyd._posterior(kind, theta, x, tx, T, st.S, st.logw)
    st = btyd._replace(st, theta=theta, P=P)
    v = btyd._clv(kind, st, spec, np.r_[0.0, shifts], ECON)
    return v[1:] - v[0], mu


# ----------------------------------------------------------------------------- dropout
@pytest.fixture(scope="module")
def dropout():
    """Satisfied customers buy more and drop out less; the chain of one base, shared by the
    dropout recovery and the intervention tests."""
    beh, survey, s = simulate(0.5, n=2000, n_resp=1000, seed=21, gamma_d=-0.6, return_s=True)
    return fit(beh, survey, n_boot=15), beh, survey, s


def test_recovers_the_dropout_coefficient_and_splits_the_value_by_channel(dropout):
    res, beh, survey, s = dropout
    t = res.summary()
    g, gd = t.loc["gamma"], t.loc["gamma_dropout"]
    assert abs(g["est"] - 0.5) < 0.1 and g["ci_lower"] < 0.5 < g["ci_upper"]
    assert abs(gd["est"] + 0.6) < 0.2 and gd["ci_lower"] < -0.6 < gd["ci_upper"]
    assert t.loc["dropout_ratio_per_unit", "ci_upper"] < 1          # satisfied customers drop out less
    (tv,), _ = truth(beh, survey, s, 0.5, -0.6)
    c = t.loc["clv_per_unit"]
    assert c["ci_lower"] < tv < c["ci_upper"] and c["ci_lower"] > 0
    # both channels raise value; together they give (about) the total
    p, d = t.loc["clv_per_unit_purchase", "est"], t.loc["clv_per_unit_dropout", "est"]
    assert p > 0 and d > 0 and abs(p + d - c["est"]) < 0.25 * c["est"]
    assert "dropout" in res.methods_text()


# ----------------------------------------------------------------------------- selection
def test_selection_model_recovers_nonrespondents_and_the_value_of_a_point():
    # satisfied customers answer more often (log-odds +1.5 per SD): respondents are the happier half
    beh, survey, s = simulate(0.7, n=2500, n_resp=1000, seed=23, gamma_d=-0.5, resp_dep=1.5, return_s=True)
    (tv,), mu_true = truth(beh, survey, s, 0.7, -0.5)
    sel = fit(beh, survey, n_boot=15)
    rnd = fit(beh, survey, n_boot=0, response="random")
    ts, tr = sel.summary(), rnd.summary()
    nr = ts.loc["nonrespondent_shift"]
    # the shift is found (-0.90, interval -1.00 to -0.76, against -1.03: the pattern-mixture model
    # gives non-respondents the respondents' variance, 0.69 against their 0.75 here)
    assert mu_true < -0.5 and abs(nr["est"] - mu_true) < 0.25 and nr["ci_upper"] < -0.5
    assert ts.loc["clv_per_unit", "ci_lower"] < tv < ts.loc["clv_per_unit", "ci_upper"]
    # holding non-respondents at the respondents' mean biases the base's value of a point (0.39
    # against 0.48; the selection model 0.43): behaviour tells much of a non-respondent's satisfaction,
    # so the bias is moderate
    assert abs(tr.loc["clv_per_unit", "est"] - tv) > 1.5 * abs(ts.loc["clv_per_unit", "est"] - tv)
    assert "pattern-mixture" in sel.methods_text() and "unrelated to satisfaction" in rnd.methods_text()
    assert any(r.cite == "Little (1993)" for r in sel.references)
    sens = sel.sensitivity()
    assert list(sens["shift_sd"].iloc[:5]) == list(btyd.SHIFTS) and sens["converged"].all()
    # the value of a point grows as non-respondents are assumed less satisfied... or at least moves
    assert sens["clv_per_unit"].iloc[:5].std() > 0
    assert sens.index[-1] == "estimated (selection)"


def test_weak_identification_is_noted_when_satisfaction_barely_moves_behaviour():
    beh, survey = simulate(0.0, n=800, n_resp=400, seed=24)
    with pytest.warns(Warning, match="weakly identified"):
        res = fit(beh, survey, n_boot=10)
    assert any("weakly identified" in w for w in res.warnings)


# ----------------------------------------------------------------------------- intervention
def test_evaluate_intervention_on_a_btyd_chain_recovers_a_known_lift(dropout):
    chain, beh, survey, s = dropout
    rng = np.random.default_rng(26)
    lift, m = 0.5, 600
    sat = np.r_[rng.normal(size=m), rng.normal(size=m) + lift]
    exp = pd.DataFrame({"arm": ["control"] * m + ["treatment"] * m,
                        **{f"y{j + 1}": 5 + l * sat + rng.normal(0, 0.6, 2 * m)
                           for j, l in enumerate([1.0, 0.8, 1.2])}})
    iv = evaluate_intervention(chain, exp, cost=0.0, draws=300, seed=4)
    tab = iv.summary()
    (tv,), _ = truth(beh, survey, s, 0.5, -0.6, shifts=(lift,))
    assert tab.loc["satisfaction_lift", "ci_lower"] < lift < tab.loc["satisfaction_lift", "ci_upper"]
    v = tab.loc["value_per_customer"]
    assert v["ci_lower"] < tv < v["ci_upper"] and abs(v["est"] - tv) < 0.3 * tv
    # value_of_shift: the interpolant agrees with direct evaluation
    many = chain.value_of_shift(np.linspace(0.3, 0.7, 41), replicate=0)
    assert abs(many[20] - chain.value_of_shift([0.5], replicate=0)[0]) < 1e-4 * abs(many[20])
    assert "BG/NBD" in iv.methods_text()


# ----------------------------------------------------------------------------- n_jobs
def test_parallel_bootstrap_equals_serial(monkeypatch):
    monkeypatch.setattr(btyd, "_CHUNK", 2)           # several joblib tasks on a small bootstrap
    beh, survey = simulate(0.4, n=500, n_resp=200, seed=27)
    a = fit(beh, survey, n_boot=6, n_jobs=1)
    b = fit(beh, survey, n_boot=6, n_jobs=2)
    assert len(a.replicates) == 6
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_value_of_shift_and_options_refuse_bad_input(dropout):
    from badinput import assert_clean
    from cxmodels.errors import InputError

    chain, beh, survey, _ = dropout
    for bad in (-1, len(chain.replicates), 1.5, True):
        with pytest.raises(InputError, match="replicate must be an index"):
            chain.value_of_shift([0.5], replicate=bad)
    with pytest.raises(InputError, match="shifts must be finite"):
        chain.value_of_shift([np.nan])
    small = beh.iloc[:300]
    sv = survey[survey["id"].isin(small["id"])]
    for kw, word in (({"response": "heckman"}, "response"), ({"n_jobs": 0}, "n_jobs"), ({"n_jobs": "2"}, "n_jobs")):
        out = assert_clean(fit_value_chain, small, MODEL, survey=sv, customer="id", clv_model="bgnbd", spend=None,
                           n_boot=0, progress=False, **kw)
        assert isinstance(out, InputError) and word in str(out)
