"""Issue 13 in the value chain: Likert items by the ordinal-probit factor model, a survey
answered by some customers (joined by id), non-response that depends on satisfaction, the
sensitivity table, their bad inputs, and a small version of the coverage study
(validation/chain_coverage.py)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from badinput import assert_clean
from cxmodels.chain import fit_value_chain
from cxmodels.chain.measurement import _codes, _negll, categories, fit_ordinal_factor
from cxmodels.datasets import make_customer_base
from cxmodels.errors import InputError

FAST = dict(n_boot=0, plugin=False, progress=False)


@pytest.fixture(scope="module")
def selected():
    # 40% answer, more satisfied customers more often (log-odds +0.8 per SD)
    return make_customer_base(3000, n_experiment=0, seed=7, scale=7, n_truth=200_000, response_rate=0.4,
                              response_dependence=0.8)


def _likert(n, scale, seed):
    rng = np.random.default_rng(seed)
    s = rng.normal(0, 1.2, n)
    mid = 1 + 2 * (scale - 1) / 3
    Y = np.column_stack([np.clip(np.rint(mid + lam * s + rng.normal(0, 0.9, n)), 1, scale) for lam in (1, 0.9, 1.1)])
    return Y, s, mid


@pytest.mark.parametrize("scale", [5, 10])
def test_ordinal_factor_recovers_the_rounded_normal_items(scale):
    Y, s, mid = _likert(4000, scale, 1)
    m = fit_ordinal_factor(Y, ["a", "b", "c"], (1, scale))
    assert m.converged
    # marker: y* = nu + s + sigma e with thresholds at the category boundaries (the generator)
    assert m.nu == pytest.approx(mid, abs=0.06)
    assert np.exp(m.theta[1]) == pytest.approx(0.9, abs=0.08)
    assert np.sqrt(m.phi) == pytest.approx(1.2, abs=0.06)


def test_marginal_likelihood_gradient_is_analytic():
    Y, _, _ = _likert(600, 7, 2)
    cats = categories(Y, (1, 7))
    codes = _codes(Y, cats)
    pats, inv = np.unique(codes, axis=0, return_inverse=True)
    counts = np.bincount(np.asarray(inv).ravel()).astype(float)
    theta = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 7)).theta + 0.05
    _, g = _negll(theta, pats, counts, cats, (1, 7))
    num = np.array([(_negll(theta + e, pats, counts, cats, (1, 7))[0] - _negll(theta - e, pats, counts, cats, (1, 7))[0])
                    / 2e-6 for e in np.eye(theta.size) * 1e-6])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-4)


def test_posterior_nodes_integrate_like_adaptive_quadrature():
    Y, _, _ = _likert(800, 5, 3)
    m = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 5))
    S, logw = m.posterior(Y[:3])
    np.testing.assert_allclose(np.exp(logw).sum(axis=1), 1.0, atol=1e-12)
    for i in range(3):
        codes = m.codes(Y[i:i + 1])
        dens = lambda s: np.exp(m.loglik_nodes(codes, np.array([s]))[0, 0]) * stats.norm.pdf(s, 0, np.sqrt(m.phi))
        z = integrate.quad(dens, -12, 12, epsabs=0, epsrel=1e-11)[0]
        mean = integrate.quad(lambda s: s * dens(s), -12, 12, epsabs=0, epsrel=1e-11)[0] / z
        second = integrate.quad(lambda s: s * s * dens(s), -12, 12, epsabs=0, epsrel=1e-11)[0] / z
        assert (np.exp(logw[i]) * S[i]).sum() == pytest.approx(mean, abs=1e-7)
        assert (np.exp(logw[i]) * S[i] ** 2).sum() == pytest.approx(second, abs=1e-6)


def test_likert_chain_for_the_whole_base_with_selection(selected):
    b = selected
    res = fit_value_chain(b.behaviour, b.model, survey=b.survey, customer="customer_id", scale=7, n_boot=40,
                          seed=3, plugin=False, progress=False)
    t = {**b.truth, **b.truth["chain"]}
    tab = res.summary()
    # non-respondents are less satisfied; the selection model recovers by how much
    shift = tab.loc["nonrespondent_shift"]
    assert shift["ci_upper"] < 0
    assert shift["ci_lower"] <= t["nonrespondent_shift"] <= shift["ci_upper"], (t["nonrespondent_shift"], shift)
    for q in ["gamma", "delta", "clv_per_unit"]:
        assert tab.loc[q, "ci_lower"] <= t[q] <= tab.loc[q, "ci_upper"], (q, t[q], tab.loc[q].to_dict())
    sens = res.sensitivity()
    assert len(sens) == 6 and sens["converged"].all()
    # the base's value per point moves with where non-respondents sit
    fixed = sens.iloc[:5]["clv_per_unit"].to_numpy()
    assert np.ptp(fixed) > 0.02 * abs(fixed.mean())
    text = res.methods_text()
    assert "ordinal-probit" in text and "pattern-mixture" in text and "sensitivity analysis" in text
    assert "Little (1993)" in text and "Bock & Aitkin (1981)" in text
    assert res.provenance.options["n_respondents"] == len(b.survey)


def test_ignoring_selection_is_biased_and_random_response_is_the_special_case(selected):
    b = selected
    kw = dict(survey=b.survey, customer="customer_id", scale=7, **FAST)
    sel = fit_value_chain(b.behaviour, b.model, **kw).params
    rnd = fit_value_chain(b.behaviour, b.model, response="random", **kw).params
    assert rnd["nonrespondent_shift"] == 0.0
    truth = b.truth["chain"]["clv_mean"]
    assert abs(sel["clv_mean"] - truth) < abs(rnd["clv_mean"] - truth)


def test_everyone_answered_equals_the_survey_in_the_behaviour_frame():
    b = make_customer_base(600, n_experiment=0, seed=4, scale=10, n_truth=10)
    one = fit_value_chain(b.customers, b.model, scale=10, **FAST).params
    two = fit_value_chain(b.behaviour.iloc[::-1], b.model, survey=b.survey.sample(frac=1, random_state=1),
                          customer="customer_id", scale=10, **FAST).params
    pd.testing.assert_series_equal(one, two, rtol=1e-6)


# ------------------------------------------------------------------ bad input (the cases)
@pytest.fixture(scope="module")
def small():
    return make_customer_base(300, n_experiment=0, seed=11, scale=10, n_truth=10, response_rate=0.5)


def _fit(b, behaviour=None, survey=None, **kw):
    return assert_clean(fit_value_chain, b.behaviour if behaviour is None else behaviour, b.model,
                        survey=b.survey if survey is None else survey, **{"customer": "customer_id", "scale": 10,
                                                                          **FAST, **kw})


def test_survey_customers_missing_from_behaviour_are_named(small):
    beh = small.behaviour[~small.behaviour.customer_id.isin(small.survey.customer_id.iloc[:3])]
    out = _fit(small, behaviour=beh)
    assert isinstance(out, InputError)
    assert re.search(r"3 survey customers are missing from the behaviour data \(ids \['C0", str(out)), out


def test_behaviour_rows_for_unknown_or_repeated_ids(small):
    beh = small.behaviour.copy()
    beh.loc[[5, 8], "customer_id"] = None
    out = _fit(small, behaviour=beh)
    assert isinstance(out, InputError) and "rows 5, 8" in str(out) and "unknown customers" in str(out), out
    beh = pd.concat([small.behaviour, small.behaviour.iloc[[2]]], ignore_index=True)
    out = _fit(small, behaviour=beh)
    assert isinstance(out, InputError) and "repeats customer ids" in str(out) and "C000002" in str(out), out
    out = assert_clean(fit_value_chain, small.behaviour, small.model, survey=small.survey, scale=10, **FAST)
    assert isinstance(out, InputError) and "customer=" in str(out), out


def test_items_off_the_declared_scale_are_named(small):
    bad = small.survey.copy()
    bad.loc[3, "SAT2"] = 11
    bad.loc[4, "PERQ1"] = 6.5
    out = _fit(small, survey=bad)
    assert isinstance(out, InputError), out
    assert re.search(r"items \['PERQ1', 'SAT2'\] are not on the declared 1-10 scale", str(out)), out
    out = _fit(small, scale=5)                    # 10-point answers declared as 5-point
    assert isinstance(out, InputError) and "1-5 scale" in str(out), out
    for bad_scale in ("ten", (10, 1), 1, 2.5):
        out = _fit(small, scale=bad_scale)
        assert isinstance(out, InputError) and "scale" in str(out), (bad_scale, out)


def test_satisfaction_construct_not_in_the_model(small):
    out = _fit(small, satisfaction="CSAT")
    assert isinstance(out, InputError)
    assert "satisfaction construct 'CSAT' is not in the model" in str(out) and "['PQ', 'SAT']" in str(out)
    out = _fit(small, driver="VALUE")
    assert isinstance(out, InputError) and "driver construct 'VALUE'" in str(out)
    out = _fit(small, response="maybe")
    assert isinstance(out, InputError) and "response" in str(out)


# ------------------------------------------------------------------ the coverage study, small
def test_small_coverage_study():
    # two bases per item scale, half with satisfaction-dependent response: the 95% interval of CLV
    # per point covers the truth in at least 7 of 8, and the mean estimate is within 8% of it
    # (the full study, 50 bases per scale, is validation/chain_coverage.py, table in docs/validation.md)
    truth = make_customer_base(10, n_experiment=0, seed=1, n_truth=1_000_000).truth["chain"]["clv_per_unit"]
    hits, ests = 0, []
    for scale in (5, 7, 10, None):
        for i in range(2):
            b = make_customer_base(1200, n_experiment=0, seed=900 + i + (scale or 0), scale=scale, n_truth=10,
                                   response_rate=0.5, response_dependence=0.8 * i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = fit_value_chain(b.behaviour, b.model, survey=b.survey, customer="customer_id", scale=scale,
                                      n_boot=30, seed=i, plugin=False, progress=False).summary().loc["clv_per_unit"]
            hits += row["ci_lower"] <= truth <= row["ci_upper"]
            ests.append(row["est"])
    assert hits >= 7, hits
    assert abs(np.mean(ests) - truth) < 0.08 * truth, (np.mean(ests), truth)


def test_driver_path_matches_wlsmv_and_survives_selection():
    from cxmodels.sem import fit_sem
    b = make_customer_base(3000, n_experiment=0, seed=2026, scale=10, n_truth=10)
    res = fit_value_chain(b.customers, b.model, driver="PQ", scale=10, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = fit_sem(b.model, b.customers, ordered=True).estimates(standardized=True)
    std = float(est[(est.op == "~") & (est.lhs == "SAT")]["std_all"].iloc[0])
    wlsmv = std * np.sqrt(res._main.ordinal.phi / res._main.warm["driver"].phi)
    assert res.params["beta"] == pytest.approx(wlsmv, abs=0.005)
    # the more satisfied answer more often: the respondents' own regression of SAT on PQ is
    # attenuated, the chain's path for the whole base is not
    sel = make_customer_base(3000, n_experiment=0, seed=2026, scale=10, n_truth=10, response_rate=0.5,
                             response_dependence=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        naive = fit_sem(sel.model, sel.survey).params
    naive_beta = float(naive[[k for k in naive.index if "SAT~PQ" in k.replace(" ", "")][0]])
    res = fit_value_chain(sel.behaviour, sel.model, survey=sel.survey, customer="customer_id", driver="PQ",
                          scale=10, **FAST)
    assert naive_beta < 0.57
    assert res.params["beta"] == pytest.approx(sel.truth["beta"], abs=0.03)


def test_intervention_on_a_likert_chain_recovers_lift_and_value():
    from cxmodels.chain import evaluate_intervention
    b = make_customer_base(2000, n_experiment=3000, seed=21, scale=10, n_truth=200_000, response_rate=0.6)
    chain = fit_value_chain(b.behaviour, b.model, survey=b.survey, customer="customer_id", driver="PQ", scale=10,
                            n_boot=40, seed=2, plugin=False, progress=False)
    iv = evaluate_intervention(chain, b.experiment, cost=10.0, draws=2000, seed=3)
    tab = iv.summary()
    # the lifts within three posterior SDs of the truth (one experiment: a 95% interval may miss)
    lift = b.truth["beta"] * b.truth["treatment_effect"]
    assert abs(tab.loc["satisfaction_lift", "est"] - lift) < 3 * tab.loc["satisfaction_lift", "sd"], tab
    assert abs(tab.loc["driver_lift", "est"] - b.truth["treatment_effect"]) < 3 * tab.loc["driver_lift", "sd"], tab
    value = b.truth["chain"]["intervention_value"]
    assert tab.loc["value_per_customer", "ci_lower"] <= value <= tab.loc["value_per_customer", "ci_upper"], tab
    assert "ordinal-probit model" in iv.methods_text()


def test_bootstrap_in_worker_processes_equals_the_serial_one(small):
    kw = dict(survey=small.survey, customer="customer_id", scale=10, n_boot=50, seed=5, plugin=False, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = fit_value_chain(small.behaviour, small.model, **kw).replicates
        two = fit_value_chain(small.behaviour, small.model, n_jobs=2, **kw).replicates
    pd.testing.assert_frame_equal(one, two)
    for bad in (0, -2, 1.5, True):
        out = assert_clean(fit_value_chain, small.behaviour, small.model, n_jobs=bad, **{**kw, "n_boot": 0})
        assert isinstance(out, InputError) and "n_jobs" in str(out), (bad, out)


# ------------------------------------------------------------------ the bootstrap's fast paths
def _direct_posterior(m, Y):
    """The posterior of every row computed row by row from the item likelihoods (no pattern
    cache, no category tables): what OrdinalFactor.posterior must equal."""
    from cxmodels.chain.measurement import _AW, _AX
    codes = m.codes(Y)
    sd0 = np.sqrt(m.phi)
    grid = sd0 * np.linspace(-7, 7, 113)
    lp = m.loglik_nodes(codes, grid) - 0.5 * (grid / sd0) ** 2
    w = np.exp(lp - lp.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    mean = w @ grid
    sd = np.sqrt(np.maximum(w @ grid ** 2 - mean ** 2, 1e-12))
    S = mean[:, None] + sd[:, None] * _AX[None, :]
    logw = m.loglik_nodes(codes, S) - 0.5 * (S / sd0) ** 2 + (np.log(_AW) + 0.5 * _AX ** 2)[None, :]
    return S, logw - np.logaddexp.reduce(logw, axis=1, keepdims=True)


def test_cached_patterns_and_category_tables_equal_the_direct_computation():
    from cxmodels.chain.measurement import _item_logp, _PLW, _PX, _patterns
    Y, _, _ = _likert(900, 10, 5)
    m = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 10))
    # the posterior through the fit's cached patterns and the (category x node) tables
    assert m.patterns.matches(Y, m.cats)
    S, logw = m.posterior(Y)
    S0, logw0 = _direct_posterior(m, Y)
    np.testing.assert_allclose(S, S0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(logw, logw0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(m.posterior_mean(Y), (np.exp(logw0) * S0).sum(axis=1), rtol=0, atol=1e-10)
    # other answers (an experiment's) are not mistaken for the cached ones
    Y2 = Y[::-1][:400]
    assert not m.patterns.matches(Y2, m.cats)
    np.testing.assert_allclose(m.posterior(Y2)[1], _direct_posterior(m, Y2)[1], rtol=0, atol=1e-10)
    # the likelihood of resampled pattern counts, with the cached indicator, against every row's
    # likelihood integrated at the prior nodes
    rng = np.random.default_rng(0)
    w = np.bincount(rng.integers(0, len(Y), len(Y)), minlength=len(Y)).astype(float)
    pt = _patterns(Y, m.cats, m.patterns)
    assert pt is m.patterns
    counts = np.bincount(pt.inv, weights=w, minlength=len(pt.pats))
    keep = counts > 0
    theta = m.theta + 0.03
    val, grad = _negll(theta, pt.pats[keep], counts[keep], m.cats, (1, 10), pt.onehot[:, keep])
    val0, grad0 = _negll(theta, pt.pats[keep], counts[keep], m.cats, (1, 10))
    s = np.exp(theta[2] / 2) * _PX
    rows = np.logaddexp.reduce(_item_logp(theta, m.codes(Y), s, m.cats, (1, 10)) + _PLW, axis=1)
    assert val == pytest.approx(-(w @ rows), rel=1e-12)
    assert val0 == val
    np.testing.assert_array_equal(grad, grad0)
    # a refit given the previous fit's patterns equals one that finds them again
    one = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 10), cats=m.cats, weights=w, theta0=m.theta,
                             hess_inv0=m.hess_inv, patterns=m.patterns)
    two = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 10), cats=m.cats, weights=w, theta0=m.theta,
                             hess_inv0=m.hess_inv)
    np.testing.assert_allclose(one.theta, two.theta, rtol=0, atol=1e-10)


def test_bootstrap_refit_lands_within_its_tolerance_of_the_resamples_optimum(monkeypatch):
    from scipy import optimize
    import cxmodels.chain.measurement as meas
    steps, orig = [], meas._refit_steps

    def spy(fg, x0, hess_inv, **kw):          # the quasi-Newton steps, not the BFGS fallback, land
        evals = []
        out = orig(lambda x: evals.append(1) or fg(x), x0, hess_inv, **kw)
        steps.append((out[2], len(evals)))
        return out

    monkeypatch.setattr(meas, "_refit_steps", spy)
    Y, _, _ = _likert(1500, 10, 6)
    m = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 10))
    rng = np.random.default_rng(1)
    pt = m.patterns
    for _ in range(5):
        w = np.bincount(rng.integers(0, len(Y), len(Y)), minlength=len(Y)).astype(float)
        refit = fit_ordinal_factor(Y, ["a", "b", "c"], (1, 10), cats=m.cats, weights=w, theta0=m.theta,
                                   hess_inv0=m.hess_inv, patterns=pt)
        counts = np.bincount(pt.inv, weights=w, minlength=len(pt.pats))
        keep = counts > 0
        f = lambda th: _negll(th, pt.pats[keep], counts[keep], m.cats, (1, 10))
        exact = optimize.minimize(f, refit.theta, jac=True, method="BFGS", options={"gtol": 1e-9}).x
        assert refit.converged and steps[-1][0], steps
        assert np.max(np.abs(refit.theta - exact)) < 1e-3
    assert max(n for _, n in steps) <= 8, steps
