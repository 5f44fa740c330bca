"""The value chain: recovery of make_customer_base's known effects, the integrated
likelihood, parity of the plug-in outcome models with R's survival/glm
(tests/fixtures/chain/make_fixtures.R), the intervention study, and bad input."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cxmodels.chain import evaluate_intervention, fit_value_chain, index_point
from cxmodels.chain.behaviour import loglik as _outcome_loglik
from cxmodels.chain.links import _chain_effects, _Economics, _GH_X, _GH_LW
from cxmodels.datasets import make_customer_base
from cxmodels._results import Decision
from cxmodels.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "chain"


@pytest.fixture(scope="module")
def base():
    return make_customer_base(3000, n_experiment=2000, seed=2026, scale=None)


@pytest.fixture(scope="module")
def chain(base):
    return fit_value_chain(base.customers, base.model, driver="PQ", n_boot=100, seed=1)


# ------------------------------------------------------------------ recovery (known truth)
@pytest.mark.parametrize("quantity", ["beta", "gamma", "delta", "clv_per_unit", "lifetime_per_unit",
                                      "retention12_per_unit", "clv_per_driver_unit", "lifetime_per_driver_unit"])
def test_chain_recovers_known_effects_within_intervals(chain, base, quantity):
    truth = {**base.truth, **base.truth["chain"]}[quantity]
    row = chain.summary().loc[quantity]
    assert row["ci_lower"] <= truth <= row["ci_upper"], (quantity, truth, row.to_dict())
    # and the interval is informative, not merely wide
    assert row["ci_upper"] - row["ci_lower"] < 0.35 * abs(truth)


def test_estimates_are_unbiased_over_replications():
    # 20 independent customer bases: the mean estimate sits within 3 standard errors (of the
    # mean) of the truth, for the nuisance Weibull shape as for the chain's links and effect
    rows, truth = [], None
    for seed in range(100, 120):
        b = make_customer_base(2000, n_experiment=0, seed=seed, scale=None, n_truth=200_000 if truth is None else 10)
        truth = truth or {**b.truth, **b.truth["chain"]}
        p = fit_value_chain(b.customers, b.model, driver="PQ", n_boot=0, plugin=False).params
        rows.append(p[["weibull_shape", "gamma", "delta", "beta", "clv_per_unit"]])
    est = pd.DataFrame(rows)
    se_mean = est.std(ddof=1) / np.sqrt(len(est))
    for q in est.columns:
        assert abs(est[q].mean() - truth[q]) < 3 * se_mean[q] + 0.003 * abs(truth[q]), (q, est[q].mean(), truth[q])
    # the bootstrap SE of one base matches the spread of the estimates across bases
    b = make_customer_base(2000, n_experiment=0, seed=100, scale=None, n_truth=10)
    boot_se = fit_value_chain(b.customers, b.model, driver="PQ", n_boot=100, seed=3, plugin=False).summary()["se"]
    for q in ["gamma", "delta", "beta", "clv_per_unit"]:
        assert 0.6 < boot_se[q] / est[q].std(ddof=1) < 1.6, (q, boot_se[q], est[q].std(ddof=1))


def test_plugin_scores_attenuate_and_joint_does_not(chain, base):
    cmp_ = chain.compare_plugin()
    joint = cmp_.iloc[0]
    mean_plugin = cmp_.loc["plug-in item mean"]
    reliability = base.truth["reliability_sat_mean"]            # 0.85 here
    ratio = mean_plugin["gamma"] / joint["gamma"]
    assert 0.75 < ratio < 0.95 and abs(ratio - reliability) < 0.06
    assert abs(mean_plugin["clv_per_unit"]) < abs(joint["clv_per_unit"])
    # regression scores are the regression-calibration plug-in: close to the joint fit
    reg = cmp_.loc["plug-in regression scores"]
    assert abs(reg["gamma"] - joint["gamma"]) < 0.03
    # the plug-in item mean's interval misses the true CLV effect; the joint interval holds it
    true_clv = base.truth["chain"]["clv_per_unit"]
    assert mean_plugin["clv_per_unit_upper"] < true_clv <= joint["clv_per_unit_upper"]


def test_value_functional_matches_the_generators_simulation(base):
    # the estimator's quadrature formula against the generator's independent Monte Carlo
    t = base.truth
    theta = np.array([np.log(t["weibull_shape"]), np.log(t["weibull_scale"]), t["gamma"],
                      np.log(t["purchase_rate"]), t["delta"]])
    econ = _Economics(t["horizon"], t["discount_rate"], t["mean_spend"])
    eff = _chain_effects(theta, t["beta"], t["var_sat"], econ, True, 1.0, 1.0)
    for k in ["clv_mean", "lifetime_mean", "retention12_mean", "clv_per_unit", "lifetime_per_unit",
              "retention12_per_unit", "clv_per_driver_unit"]:
        assert eff[k] == pytest.approx(t["chain"][k], rel=0.01), k


def test_integrated_likelihood_equals_numerical_integration():
    rng = np.random.default_rng(3)
    t, d, N = rng.uniform(0.5, 30, 4), np.array([1.0, 0, 1, 0]), np.array([3.0, 0, 12, 7])
    m, sd = rng.normal(0, 1, 4), 0.55
    theta = np.array([np.log(0.8), np.log(25.0), -0.4, np.log(0.7), 0.3])
    def _loglik(theta, t, d, N, m, sd, x, lw):
        return _outcome_loglik(theta, t, d, N, m[:, None] + sd * x[None, :], np.broadcast_to(lw, (len(m), x.size)))

    ll, grad = _loglik(theta, t, d, N, m, sd, _GH_X, _GH_LW)
    k, lam, g, r0, dp = 0.8, 25.0, -0.4, 0.7, 0.3
    total = 0.0
    for i in range(4):
        def f(s):
            h = k / lam * (t[i] / lam) ** (k - 1) * np.exp(g * s)
            surv = np.exp(-(t[i] / lam) ** k * np.exp(g * s))
            mu = r0 * np.exp(dp * s) * t[i]
            return (h ** d[i]) * surv * stats.poisson.pmf(N[i], mu) * stats.norm.pdf(s, m[i], sd)
        total += np.log(integrate.quad(f, m[i] - 10 * sd, m[i] + 10 * sd, epsabs=0, epsrel=1e-12)[0])
    assert ll == pytest.approx(total, abs=1e-8)
    num = np.array([(_loglik(theta + e, t, d, N, m, sd, _GH_X, _GH_LW)[0]
                     - _loglik(theta - e, t, d, N, m, sd, _GH_X, _GH_LW)[0]) / 2e-6 for e in np.eye(5) * 1e-6])
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ parity with R
def test_plugin_outcome_models_match_r_survreg_and_glm():
    df = pd.read_csv(FIX / "plugin_customers.csv")
    ref = pd.read_csv(FIX / "plugin_reference.csv").set_index("quantity")["value"]
    res = fit_value_chain(df, satisfaction="sat_index", n_boot=0)
    p = res.params
    for q in ["weibull_shape", "weibull_scale", "gamma", "purchase_rate", "delta"]:
        assert p[q] == pytest.approx(ref[q], rel=1e-5), q
    assert res._main.loglik == pytest.approx(ref["loglik_weibull"] + ref["loglik_poisson"], abs=1e-5)


def test_known_reliability_deattenuates_an_index(base):
    df = base.customers.assign(sat_mean=base.customers[["SAT1", "SAT2", "SAT3"]].mean(axis=1))
    naive = fit_value_chain(df, satisfaction="sat_mean", n_boot=0, plugin=False)
    rel = base.truth["reliability_sat_mean"]
    corrected = fit_value_chain(df, satisfaction="sat_mean", reliability=rel, n_boot=0, plugin=False)
    # loadings average 1, so the item mean is on the latent metric: gamma is recovered
    assert abs(corrected.params["gamma"] - base.truth["gamma"]) < abs(naive.params["gamma"] - base.truth["gamma"])
    assert corrected.params["gamma"] == pytest.approx(base.truth["gamma"], abs=0.04)


def test_subscription_revenue_without_purchase_model(base):
    res = fit_value_chain(base.customers, base.model, purchases=None, spend=None, monthly_revenue=20.0,
                          n_boot=0, plugin=False)
    p = res.params
    # CLV is then revenue x discounted expected active time: below revenue x RMST
    assert 0.8 * 20 * p["lifetime_mean"] < p["clv_mean"] < 20 * p["lifetime_mean"]
    assert "delta" not in p.index and "monthly_revenue" in p.index


def test_index_point_and_per_unit_scaling(base):
    assert index_point((1, 10)) == pytest.approx(0.09)
    res1 = fit_value_chain(base.customers, base.model, n_boot=0, plugin=False)
    res2 = fit_value_chain(base.customers, base.model, n_boot=0, plugin=False, per=index_point())
    # `per` sets the size of the shift whose effect is reported (CLV is convex in satisfaction,
    # so one index point is worth less than 0.09 of a whole unit's effect)
    assert res2.params["clv_per_unit"] == pytest.approx(res1.value_of_shift([0.09])[0], rel=1e-10)
    assert res2.params["clv_per_unit"] < 0.09 * res1.params["clv_per_unit"]


# ------------------------------------------------------------------ intervention
def test_intervention_value_covers_the_truth(chain, base):
    iv = evaluate_intervention(chain, base.experiment, cost=30.0, seed=5)
    s = iv.summary()
    true_lift = base.truth["beta"] * base.truth["treatment_effect"]
    assert s.loc["satisfaction_lift", "ci_lower"] <= true_lift <= s.loc["satisfaction_lift", "ci_upper"]
    assert s.loc["driver_lift", "ci_lower"] <= base.truth["treatment_effect"] <= s.loc["driver_lift", "ci_upper"]
    tv = base.truth["chain"]["intervention_value"]
    assert s.loc["value_per_customer", "ci_lower"] <= tv <= s.loc["value_per_customer", "ci_upper"]
    dec = iv.decide()
    assert isinstance(dec, Decision)
    assert dec.action == "adopt" and dec.variant == "treatment" and dec.criteria["prob_pays"] > 0.95
    assert dec.criteria["prob_pays"] == evaluate_intervention(chain, base.experiment, cost=30.0,
                                                              seed=5).decide().criteria["prob_pays"]
    too_costly = evaluate_intervention(chain, base.experiment, cost=500.0, seed=5).decide()
    assert too_costly.action == "keep_control"
    text = iv.methods_text()
    assert "Bartlett" in text
    for ref in iv.references:
        assert ref.cite in text
    import matplotlib
    matplotlib.use("Agg")
    assert isinstance(iv.plot(), matplotlib.axes.Axes) and isinstance(iv.plot_lift(), matplotlib.axes.Axes)
    assert len(iv.plot_overview().axes) == 2


def test_intervention_bad_input(chain, base):
    with pytest.raises(InputError, match="'treatment'"):
        evaluate_intervention(chain, base.experiment.assign(arm="control"))
    with pytest.raises(InputError, match="level"):
        evaluate_intervention(chain, base.experiment, level=1.5)
    with pytest.raises(InputError, match="SAT2"):
        evaluate_intervention(chain, base.experiment.drop(columns="SAT2"))


# ------------------------------------------------------------------ behaviour
def test_seeded_reproducible_and_caller_frame_untouched(base):
    df = base.customers.head(800).copy()
    before = df.copy()
    a = fit_value_chain(df, base.model, driver="PQ", n_boot=20, seed=9, plugin=False)
    b = fit_value_chain(df, base.model, driver="PQ", n_boot=20, seed=9, plugin=False)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(df, before)
    prov = a.provenance.to_dict()
    assert prov["data"]["sha256"] and "C000001" not in str(prov)


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.drop(columns="tenure"), "tenure"),
    (lambda d: d.assign(tenure=d.tenure.where(d.index != 3, -1.0)), "'tenure'.*negative duration"),
    (lambda d: d.assign(churned=d.churned.where(d.index != 4, 2)), "'churned'.*other than 0 or 1"),
    (lambda d: d.assign(n_purchases=d.n_purchases.astype(float).where(d.index != 5, 1.5)), "counts"),
    (lambda d: d.assign(spend=d.spend.where(d.index != 6, np.nan)), "spend"),
    (lambda d: d.assign(SAT2=d.SAT2.where(d.index != 7, np.nan)), r"1 rows have missing survey items \(rows 7\)"),
])
def test_bad_input_names_the_column(base, mutate, match):
    with pytest.raises(InputError, match=match):
        fit_value_chain(mutate(base.customers.head(200)), base.model, n_boot=0)


def test_inconsistent_options(base):
    with pytest.raises(InputError, match="monthly_revenue"):
        fit_value_chain(base.customers, base.model, monthly_revenue=10.0, n_boot=0)
    with pytest.raises(InputError, match="measurement model"):
        fit_value_chain(base.customers, satisfaction="SAT1", driver="PQ", n_boot=0)
    with pytest.raises(InputError, match="reliability"):
        fit_value_chain(base.customers, satisfaction="SAT1", reliability=1.5, n_boot=0)


def test_result_surface(chain):
    assert {"clv_per_unit", "beta", "gamma"} <= set(chain.params.index)
    eff = chain.effects()
    assert "clv_per_driver_unit" in eff.index and (eff["ci_lower"] <= eff["est"]).all()
    assert len(chain.replicates) == 100 and chain.converged
    text = chain.methods_text()
    assert "Rosseel" in text and "bootstrap" in text
    # every work cited is listed, by the one Reference object, and every listed work is cited
    assert len(chain.references) == 8
    for ref in chain.references:
        assert ref.cite in text
    # the bootstrap and its seed are in provenance
    assert chain.provenance.seed == 1 and chain.provenance.options["level"] == 0.95
    (step,) = chain.provenance.steps
    assert step["step"] == "bootstrap" and step["seed"] == 1 and step["n_boot"] == 100
    import matplotlib
    matplotlib.use("Agg")
    assert isinstance(chain.plot(), matplotlib.axes.Axes)
    assert isinstance(chain.plot_plugin(), matplotlib.axes.Axes)
    assert len(chain.plot_overview().axes) == 2
    curve = chain.clv_curve([-1.0, 0.0, 1.0])
    assert curve["clv"].is_monotonic_increasing


def test_customer_base_is_consistent_and_seeded():
    a = make_customer_base(400, n_experiment=100, seed=4, n_truth=5000)
    b = make_customer_base(400, n_experiment=100, seed=4, n_truth=5000)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    per = a.transactions.groupby("customer_id")["amount"].agg(["size", "sum"])
    c = a.customers.set_index("customer_id")
    assert (per["size"] == c.loc[per.index, "n_purchases"]).all()
    np.testing.assert_allclose(per["sum"], c.loc[per.index, "spend"], atol=0.01)
    assert c["n_purchases"].sum() == len(a.transactions)
    assert set(a.experiment["arm"]) == {"control", "treatment"} and len(a.experiment) == 100
    assert a.customers[["SAT1", "PERQ1"]].isin(range(1, 11)).all().all()


def test_attribute_survey_threshold_and_kano_classes_are_recovered():
    from cxmodels.drivers import fit_threshold, penalty_reward
    from cxmodels.datasets import make_attribute_survey
    d = make_attribute_survey(2000, seed=2026)
    t = d.attrs["truth"]
    thr = fit_threshold(d, "sat_index", "loyalty")
    lo, hi = thr.tau_interval
    assert lo <= t["threshold"] <= hi and hi - lo < 5
    s = thr.summary()
    assert s.loc["slope_above", "ci_lower"] <= t["slope_above"] <= s.loc["slope_above", "ci_upper"]
    prca = penalty_reward(d, list(t["classes"]), "sat_index", low=t["low"], high=t["high"], n_boot=300, seed=1)
    assert prca.kano.to_dict() == t["classes"]


def test_constructs_must_be_latent_variables_of_the_model(base):
    with pytest.raises(InputError, match="satisfaction construct 'CSAT' is not in the model"):
        fit_value_chain(base.customers, base.model, satisfaction="CSAT", n_boot=0)


def test_plugin_delta_method_interval_matches_parametric_simulation(chain):
    # the plug-in CLV interval (delta method) against simulating parameters from the same Hessian
    from dataclasses import replace
    st = chain._plugins["mean"]
    draws = np.random.default_rng(0).multivariate_normal(st.theta, st.vcov, 400)
    sims = [chain._effects_of(replace(st, theta=th))["clv_per_unit"] for th in draws]
    row = chain.compare_plugin().loc["plug-in item mean"]
    half = (row["clv_per_unit_upper"] - row["clv_per_unit_lower"]) / 2
    assert half == pytest.approx(1.959964 * np.std(sims, ddof=1), rel=0.12)


def test_no_bootstrap_works_everywhere(base):
    # n_boot=0 is documented as "no bootstrap": point estimates, NaN intervals, a note; every
    # method of the result and the intervention still work (issue 11: the study crashed here)
    import matplotlib
    matplotlib.use("Agg")
    df = base.customers.head(1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # a deliberate n_boot=0 is recorded, not warned about
        res = fit_value_chain(df, base.model, driver="PQ", n_boot=0)
    assert any("n_boot=0" in w for w in res.warnings) and res.converged and res.admissible
    s = res.summary()
    assert s["est"].notna().all() and s[["se", "ci_lower", "ci_upper"]].isna().all().all()
    cmp_ = res.compare_plugin()
    assert np.isnan(cmp_.iloc[0]["gamma_lower"]) and cmp_.iloc[1:]["gamma_lower"].notna().all()
    assert "ci_lower" not in res.clv_curve()
    res.plot(), res.plot_plugin(), res.plot_overview()
    text = res.methods_text()
    assert "nan" not in text and "No bootstrap" in text and "Efron" not in text
    for ref in res.references:
        assert ref.cite in text
    assert res.provenance.steps == ()
    with pytest.warns(UserWarning, match="experiment's uncertainty only"):
        iv = evaluate_intervention(res, base.experiment.sample(400, random_state=1), cost=30.0, seed=1)
    assert iv.summary()["ci_lower"].notna().all() and iv.decide().action in {"adopt", "keep_control", "inconclusive"}
    assert "nan" not in iv.methods_text()


def test_progress_bar_reports_the_fits(base, capsys):
    fit_value_chain(base.customers.head(300), base.model, n_boot=3, seed=1, plugin=False, progress=True)
    err = capsys.readouterr().err
    assert "value chain" in err and "4/4" in err
    fit_value_chain(base.customers.head(300), base.model, n_boot=3, seed=1, plugin=False, progress=False)
    assert capsys.readouterr().err == ""


def test_unseeded_bootstrap_records_the_seed_it_drew(base):
    df = base.customers.head(300)
    a = fit_value_chain(df, base.model, n_boot=3, plugin=False, progress=False)
    seed = a.provenance.seed
    assert isinstance(seed, int) and a.provenance.steps[0]["seed"] == seed
    b = fit_value_chain(df, base.model, n_boot=3, plugin=False, progress=False, seed=seed)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
