"""BTYD and spend models with time-invariant covariates (issue 13, items 1 and 5).

* the row-level interface of ``cxmodels.clv.covariates`` equals the models without covariates
  when every linear predictor is 0, broadcasts (n, 1) x (n, q), and its gradients are right;
* parity with pymc-marketing's covariate BetaGeoModel and ParetoNBDModel fitted by MAP with flat
  priors on CDNOW with covariates (fixtures and script in tests/fixtures/clv_covariates/), and
  the published CDNOW estimates without covariates;
* seeded recovery of known covariate effects on simulated bases;
* CLV given covariates, the discounting convention, and bad input named.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from badinput import assert_clean, variants  # noqa: E402
from cxmodels import clv  # noqa: E402
from cxmodels.clv import covariates as cv  # noqa: E402
from cxmodels.clv.covariate_models import (fit_bgnbd_covariates, fit_gamma_gamma_covariates,  # noqa: E402
                                           fit_pareto_nbd_covariates)
from cxmodels.clv.value import discount_factor  # noqa: E402
from cxmodels.datasets.transactions import load_cdnow  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "clv_covariates"
REF = json.loads((FIX / "pymc_marketing_map.json").read_text())
COVS = ["z_noise", "log_first_spend"]
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PA = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(FIX / "cdnow_covariates.csv", index_col="customer_id")


@pytest.fixture(scope="module")
def spend():
    return clv.rfm_summary(load_cdnow(), "sample_id", "date", "dollar_value", observation_end="1998-06-30",
                           calibration_end="1997-09-30")


def _arrays(frame):
    return (frame["frequency"].to_numpy(float), frame["recency"].to_numpy(float), frame["T"].to_numpy(float))


# --- the row-level interface -------------------------------------------------------------
def test_inputs_fixture_is_the_cdnow_calibration_summary(cdnow, spend):
    s = spend[["frequency", "recency", "T"]].sort_index()
    np.testing.assert_allclose(cdnow[["frequency", "recency", "T"]].to_numpy(), s.to_numpy(), rtol=1e-12)
    z = np.random.default_rng(20261201).standard_normal(len(s))
    np.testing.assert_allclose(cdnow["z_noise"].to_numpy(), z, rtol=1e-12)


def test_row_logliks_with_zero_predictors_equal_the_models_without_covariates(cdnow, spend):
    x, tx, T = _arrays(cdnow)
    d = {"frequency": x, "recency": tx, "T": T}
    bg = clv.BGNBDResult.from_params(**BG)
    pa = clv.ParetoNBDResult.from_params(**PA)
    np.testing.assert_allclose(cv.bgnbd_row_loglik(BG, x, tx, T), bg._loglik(bg._theta, d), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(cv.pareto_nbd_row_loglik(PA, x, tx, T), pa._loglik(pa._theta, d),
                               rtol=1e-13, atol=1e-12)
    # the quadrature form (used with its gradient in the fit) agrees with the hypergeometric one
    np.testing.assert_allclose(cv.pareto_nbd_row_loglik_grad(PA, x, tx, T)[0], pa._loglik(pa._theta, d),
                               rtol=1e-12, atol=1e-11)
    rep = spend[spend["frequency"] > 0]
    gg = clv.GammaGammaResult.from_params(**GG)
    dg = {"frequency": rep["frequency"].to_numpy(float), "monetary_value": rep["monetary_value"].to_numpy(float)}
    np.testing.assert_allclose(cv.gamma_gamma_row_loglik(GG, dg["frequency"], dg["monetary_value"]),
                               gg._loglik(gg._theta, dg), rtol=1e-13)
    # predictions too
    np.testing.assert_allclose(cv.bgnbd_conditional_purchases(BG, 39.0, x, tx, T),
                               bg.expected_purchases(39.0, cdnow).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(cv.pareto_nbd_conditional_purchases(PA, 39.0, x, tx, T),
                               pa.expected_purchases(39.0, cdnow).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(cv.bgnbd_p_alive(BG, x, tx, T), bg.p_alive(cdnow).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(cv.pareto_nbd_p_alive(PA, x, tx, T), pa.p_alive(cdnow).to_numpy(), rtol=1e-12)
    assert cv.bgnbd_expected_purchases(BG, 39.0) == pytest.approx(bg.expected_purchases(39.0), rel=1e-12)
    assert cv.pareto_nbd_expected_purchases(PA, 39.0) == pytest.approx(pa.expected_purchases(39.0), rel=1e-12)
    np.testing.assert_allclose(cv.gamma_gamma_expected_spend(GG, dg["frequency"], dg["monetary_value"]),
                               gg.expected_spend(rep).to_numpy(), rtol=1e-12)


def test_row_functions_broadcast_customers_by_nodes(cdnow):
    x, tx, T = (a[:, None] for a in _arrays(cdnow))
    nodes = np.linspace(-2, 2, 7)[None, :]
    lp = 0.3 * nodes + np.zeros((len(cdnow), 1))
    out = cv.bgnbd_row_loglik(BG, x, tx, T, lp, -0.2 * lp, 0.1 * lp)
    assert out.shape == (len(cdnow), 7)
    # each column is the 1-D computation at that node
    j = 5
    np.testing.assert_allclose(out[:, j], cv.bgnbd_row_loglik(BG, x[:, 0], tx[:, 0], T[:, 0], lp[:, j],
                                                              -0.2 * lp[:, j], 0.1 * lp[:, j]), rtol=1e-13)
    for fn, args in ((cv.pareto_nbd_row_loglik, (lp, -lp)), (cv.pareto_nbd_p_alive, (lp, -lp)),
                     (cv.bgnbd_p_alive, (lp, lp, lp))):
        assert fn(PA if "pareto" in fn.__name__ else BG, x, tx, T, *args).shape == (len(cdnow), 7)
    assert cv.pareto_nbd_conditional_purchases(PA, 10.0, x, tx, T, lp, -lp).shape == (len(cdnow), 7)
    assert cv.bgnbd_conditional_purchases(BG, 10.0, x, tx, T, lp, lp, lp).shape == (len(cdnow), 7)
    ll, g = cv.pareto_nbd_row_loglik_grad(PA, x, tx, T, lp, -lp)
    assert ll.shape == g["beta"].shape == (len(cdnow), 7)
    np.testing.assert_allclose(ll, cv.pareto_nbd_row_loglik(PA, x, tx, T, lp, -lp), rtol=1e-11, atol=1e-10)


def test_pareto_quadrature_is_exact_however_far_apart_alpha_and_beta_are(cdnow):
    # the fit's Pareto/NBD "dead" integral and its derivatives (32 Gauss-Legendre nodes) against 1,000
    # nodes, with linear predictors of standard deviation 3 (alpha_i / beta_i spans ~10 orders)
    from cxmodels.clv.covariates import _pareto_dead_quadrature

    x, tx, T = _arrays(cdnow)
    rng = np.random.default_rng(0)
    alpha = PA["alpha"] * np.exp(-3 * rng.standard_normal(len(x)))
    beta = PA["beta"] * np.exp(-3 * rng.standard_normal(len(x)))
    nodes, weights = np.polynomial.legendre.leggauss(1000)
    ref = _pareto_dead_quadrature(PA["r"], alpha, PA["s"], beta, x, tx, T, nodes, weights)
    got = _pareto_dead_quadrature(PA["r"], alpha, PA["s"], beta, x, tx, T)
    live = np.isfinite(ref[0])
    assert live.sum() > 900
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a[live], b[live], rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("model", ["bgnbd", "pareto_nbd", "gamma_gamma"])
def test_row_gradients_match_differences(cdnow, spend, model):
    rng = np.random.default_rng(3)
    if model == "gamma_gamma":
        rep = spend[spend["frequency"] > 0]
        args = (rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float))
        params, fn, fg = GG, cv.gamma_gamma_row_loglik, cv.gamma_gamma_row_loglik_grad
        lps = (rng.normal(0, 0.5, len(rep)),)
        keys = {"p": "p", "q": "q", "v": "v"}
    else:
        args = _arrays(cdnow)
        n = len(cdnow)
        if model == "bgnbd":
            params, fn, fg = BG, cv.bgnbd_row_loglik, cv.bgnbd_row_loglik_grad
            lps = tuple(rng.normal(0, 0.5, n) for _ in range(3))
        else:
            params, fn, fg = PA, cv.pareto_nbd_row_loglik, cv.pareto_nbd_row_loglik_grad
            lps = tuple(rng.normal(0, 0.5, n) for _ in range(2))
        keys = {k: k for k in params}
    _, g = fg(params, *args, *lps)
    h = 1e-6
    for k in params:
        up, dn = dict(params), dict(params)
        up[k], dn[k] = params[k] * np.exp(h), params[k] * np.exp(-h)
        num = (fn(up, *args, *lps) - fn(dn, *args, *lps)) / (2 * h)
        np.testing.assert_allclose(g[keys[k]], num, atol=1e-6, rtol=1e-6)


# --- parity ------------------------------------------------------------------------------
def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a parity fit must be clean
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def fits(cdnow):
    return {
        "bgnbd": _quiet(fit_bgnbd_covariates, cdnow),
        "bgnbd_covariates": _quiet(fit_bgnbd_covariates, cdnow, purchase_covariates=COVS, dropout_covariates=COVS),
        "pareto_nbd": _quiet(fit_pareto_nbd_covariates, cdnow),
        "pareto_nbd_covariates": _quiet(fit_pareto_nbd_covariates, cdnow, purchase_covariates=COVS,
                                        dropout_covariates=COVS),
    }


def _ref_name(name):
    # pymc-marketing's coefficient names -> ours
    for theirs, ours in (("purchase_coefficient_alpha", "purchase"), ("dropout_coefficient_a", "dropout_a"),
                         ("dropout_coefficient_b", "dropout_b"), ("purchase_coefficient", "purchase"),
                         ("dropout_coefficient", "dropout")):
        if name.startswith(theirs + "["):
            return ours + name[len(theirs):]
    return name


@pytest.mark.parametrize("name", ["bgnbd", "bgnbd_covariates", "pareto_nbd", "pareto_nbd_covariates"])
def test_parity_with_pymc_marketing_map(fits, name):
    fit = fits[name]
    ref = {_ref_name(k): v for k, v in REF[name].items() if k != "logp"}
    assert set(ref) == set(fit.params.index)
    est, se = fit.params, fit.summary()["se"]
    for k, v in ref.items():
        # 1e-4 relative, or 1e-4 of a standard error for estimates near 0 (measured: at most
        # 6e-5 relative and 5e-6 standard errors)
        assert abs(est[k] - v) <= max(1e-4 * abs(v), 1e-4 * se[k]), (k, est[k], v)
    # pymc-marketing's log density at its MAP (flat priors: the log-likelihood) is ours at our MLE
    assert fit.loglik == pytest.approx(REF[name]["logp"], abs=1e-6)
    assert fit.loglik >= REF[name]["logp"] - 1e-6
    assert fit.converged and fit.admissible


def test_without_covariates_the_published_cdnow_estimates(fits):
    published = {"bgnbd": BG, "pareto_nbd": {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}}
    for name, pub in published.items():
        for k, v in pub.items():
            assert fits[name].params[k] == pytest.approx(v, abs=0.0051 * max(1, v)), (name, k)
    # and the models without covariates, to the optimiser's precision
    base = _quiet(clv.fit_bgnbd, fits_frame := pd.read_csv(FIX / "cdnow_covariates.csv", index_col=0))
    np.testing.assert_allclose(fits["bgnbd"].params.to_numpy(), base.params.to_numpy(), rtol=2e-4)
    assert fits["bgnbd"].loglik == pytest.approx(base.loglik, abs=1e-6)
    base = _quiet(clv.fit_pareto_nbd, fits_frame)
    np.testing.assert_allclose(fits["pareto_nbd"].params.to_numpy(), base.params.to_numpy(), rtol=2e-4)


def test_result_surface(fits, cdnow):
    fit = fits["bgnbd_covariates"]
    tab = fit.summary()
    assert list(tab.columns) == ["est", "se", "ci_lower", "ci_upper"]
    assert list(tab.index[:4]) == ["r", "alpha", "a", "b"] and "dropout_b[log_first_spend]" in tab.index
    assert np.all(tab["ci_lower"] < tab["est"]) and np.all(tab["est"] < tab["ci_upper"])
    assert fit.provenance.options["covariates"]["purchase"] == COVS
    text = fit.methods_text()
    assert all(r.cite in text for r in fit.references) and "Fader & Hardie (2007)" in text
    ax = fit.plot()
    assert len(ax.get_yticklabels()) == 6
    assert fit.covariance.shape == (10, 10)
    draws = fit.sample_params(200, seed=1)
    assert draws.shape == (200, 10) and np.all(draws[:, :4] > 0)
    lp = fit.linear_predictors(cdnow)
    assert list(lp.columns) == ["purchase", "dropout_a", "dropout_b"]
    pa = fit.p_alive(cdnow)
    ep = fit.expected_purchases(39.0, cdnow)
    assert pa.between(0, 1).all() and (ep >= 0).all() and ep.index.equals(cdnow.index)
    new = fit.expected_purchases_new_customer(39.0, cdnow)
    assert new.std() > 0  # customers differ by their covariates
    assert np.isscalar(fit.expected_purchases_new_customer(39.0)) or np.ndim(
        fit.expected_purchases_new_customer(39.0)) == 0
    # the purchase covariate's effect has the documented sign: a higher log_first_spend, more purchases
    hi = cdnow.assign(log_first_spend=1.0, z_noise=0.0).iloc[:1]
    lo = cdnow.assign(log_first_spend=-1.0, z_noise=0.0).iloc[:1]
    f2 = fits["pareto_nbd_covariates"]
    assert f2.expected_purchases_new_customer(39.0, hi).iloc[0] > f2.expected_purchases_new_customer(39.0, lo).iloc[0]


# --- recovery ----------------------------------------------------------------------------
def _simulate(n, seed, truth):
    """A base with a binary and a standard normal covariate under the covariate BG/NBD, Pareto/NBD
    and Gamma-Gamma; T uniform on 26-52 weeks."""
    rng = np.random.default_rng(seed)
    z = np.column_stack([rng.integers(0, 2, n).astype(float), rng.standard_normal(n)])
    T = rng.uniform(26, 52, n)
    out = {}
    for model in ("bgnbd", "pareto_nbd"):
        b, g = truth[model]
        lam = rng.gamma(b["r"], 1.0 / (b["alpha"] * np.exp(-z @ g["purchase"])))
        if model == "bgnbd":
            p = rng.beta(b["a"] * np.exp(z @ g["dropout_a"]), b["b"] * np.exp(z @ g["dropout_b"]))
            J = rng.geometric(p)  # repeat purchases until (and including) the one after which she drops out
            end = T
        else:
            mu = rng.gamma(b["s"], 1.0 / (b["beta"] * np.exp(-z @ g["dropout"])))
            end = np.minimum(rng.exponential(1.0 / mu), T)
            J = np.full(n, np.iinfo(np.int64).max)
        x, tx = np.zeros(n), np.zeros(n)
        counts = rng.poisson(lam * end)
        for i in np.flatnonzero(counts):
            times = np.sort(rng.uniform(0, end[i], counts[i]))[: J[i]]
            x[i], tx[i] = len(times), times[-1]
        out[model] = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "female": z[:, 0], "age": z[:, 1]})
    b, g = truth["spend"]
    nu = rng.gamma(b["q"], 1.0 / (b["v"] * np.exp(z @ g)))
    x = out["bgnbd"]["frequency"].to_numpy()
    m = np.where(x > 0, rng.gamma(b["p"] * np.maximum(x, 1), 1.0 / (nu * np.maximum(x, 1))), 0.0)
    out["spend"] = out["bgnbd"].assign(monetary_value=m)
    return out


TRUTH = {
    "bgnbd": ({"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 3.0},
              {"purchase": np.array([0.4, -0.3]), "dropout_a": np.array([0.5, 0.0]),
               "dropout_b": np.array([-0.2, 0.3])}),
    "pareto_nbd": ({"r": 0.8, "alpha": 6.0, "s": 0.8, "beta": 15.0},
                   {"purchase": np.array([0.4, -0.3]), "dropout": np.array([-0.5, 0.3])}),
    "spend": ({"p": 6.0, "q": 4.0, "v": 15.0}, np.array([0.3, -0.2])),
}


@pytest.fixture(scope="module")
def base():
    return _simulate(8000, 20261201, TRUTH)


def _covered(fit, truth_vec):
    tab = fit.summary()
    inside = (tab["ci_lower"] <= truth_vec) & (truth_vec <= tab["ci_upper"])
    return tab.assign(truth=truth_vec, inside=inside)


def test_recovery_bgnbd(base):
    fit = _quiet(fit_bgnbd_covariates, base["bgnbd"], purchase_covariates=["female", "age"],
                 dropout_covariates=["female", "age"], level=0.99)
    b, g = TRUTH["bgnbd"]
    truth = np.concatenate([list(b.values()), g["purchase"], g["dropout_a"], g["dropout_b"]])
    tab = _covered(fit, truth)
    assert tab["inside"].all(), tab


def test_recovery_pareto_nbd(base):
    fit = _quiet(fit_pareto_nbd_covariates, base["pareto_nbd"], purchase_covariates=["female", "age"],
                 dropout_covariates=["female", "age"], level=0.99)
    b, g = TRUTH["pareto_nbd"]
    truth = np.concatenate([list(b.values()), g["purchase"], g["dropout"]])
    tab = _covered(fit, truth)
    assert tab["inside"].all(), tab


def test_recovery_gamma_gamma(base):
    fit = _quiet(fit_gamma_gamma_covariates, base["spend"], covariates=["female", "age"], level=0.99)
    b, g = TRUTH["spend"]
    tab = _covered(fit, np.concatenate([list(b.values()), g]))
    assert tab["inside"].all(), tab
    # expected spend scales with exp(gamma' z): the population means of two customers
    two = base["spend"].iloc[:2].assign(female=[1.0, 0.0], age=[0.0, 0.0])
    pm = fit.population_mean_spend(two)
    assert pm.iloc[0] / pm.iloc[1] == pytest.approx(np.exp(fit.params["spend[female]"]), rel=1e-12)


# --- CLV given covariates ---------------------------------------------------------------
def test_clv_with_covariate_models(base, spend):
    data = base["spend"]
    bg = _quiet(fit_bgnbd_covariates, data, purchase_covariates=["female", "age"], dropout_covariates=["female"])
    gg = _quiet(fit_gamma_gamma_covariates, data, covariates=["female", "age"])
    out = clv.customer_lifetime_value(data, bg, gg, horizon=52, period=4, discount_rate=0.01, draws=100, seed=2)
    assert list(out.columns) == ["expected_purchases", "expected_spend", "clv", "clv_lower", "clv_upper"]
    assert (out["clv_lower"] <= out["clv"] + 1e-9).all() and (out["clv"] <= out["clv_upper"] + 1e-9).all()
    np.testing.assert_allclose(out["expected_purchases"], bg.expected_purchases(52, data), rtol=1e-12)
    np.testing.assert_allclose(out["expected_spend"], gg.expected_spend(data), rtol=1e-12)
    # with no covariates the covariate fits give the plain models' CLV
    cal = spend
    bg0, gg0 = _quiet(fit_bgnbd_covariates, cal), _quiet(fit_gamma_gamma_covariates, cal)
    plain = clv.customer_lifetime_value(cal, _quiet(clv.fit_bgnbd, cal), _quiet(clv.fit_gamma_gamma, cal),
                                        horizon=52, period=4, discount_rate=0.01)
    cov = clv.customer_lifetime_value(cal, bg0, gg0, horizon=52, period=4, discount_rate=0.01)
    np.testing.assert_allclose(cov["clv"], plain["clv"], rtol=2e-3)


def test_discount_factor_is_the_one_convention():
    np.testing.assert_allclose(discount_factor([0, 1, 2.5], 0.1), 1.1 ** -np.array([0, 1, 2.5]), rtol=1e-15)
    # continuous compounding at ln(1+d) is the same number
    assert discount_factor(3.7, 0.02) == pytest.approx(np.exp(-np.log(1.02) * 3.7), rel=1e-15)
    # CLV discounts period k by discount_factor(k, d): one period horizon is the one-period value discounted
    bg = clv.BGNBDResult.from_params(**BG)
    gg = clv.GammaGammaResult.from_params(**GG)
    one = pd.DataFrame({"frequency": [2.0], "recency": [20.0], "T": [30.0], "monetary_value": [25.0]})
    out = clv.customer_lifetime_value(one, bg, gg, horizon=4, period=4, discount_rate=0.05)
    assert out["clv"].iloc[0] == pytest.approx(out["expected_purchases"].iloc[0] * out["expected_spend"].iloc[0]
                                               / 1.05, rel=1e-12)
    with pytest.raises(InputError, match="discount_rate"):
        discount_factor(1, -1.5)
    # the shared discounted sum, broadcasting customers x nodes, equals the CLV's
    from cxmodels.clv.value import discounted_purchases

    x, tx, T = (np.array([[2.0]]), np.array([[20.0]]), np.array([[30.0]]))
    lp = np.array([[0.0, 0.5]])
    disc, total = discounted_purchases(lambda t: cv.bgnbd_conditional_purchases(BG, t, x, tx, T, lp),
                                       horizon=52, period=4, discount_rate=0.01)
    assert disc.shape == (1, 2) and disc[0, 1] > disc[0, 0] and np.all(disc < total)
    full = clv.customer_lifetime_value(one, bg, gg, horizon=52, period=4, discount_rate=0.01)
    assert full["clv"].iloc[0] == pytest.approx(disc[0, 0] * full["expected_spend"].iloc[0], rel=1e-12)


# --- bad input ---------------------------------------------------------------------------
@pytest.fixture()
def small(cdnow):
    return cdnow.iloc[:400].copy()


def test_covariate_column_problems_are_named(small):
    with pytest.raises(InputError, match=r"lacks column\(s\) \['tenure'\]"):
        fit_bgnbd_covariates(small, purchase_covariates=["tenure"])
    bad = small.assign(segment="a")
    bad.iloc[3, bad.columns.get_loc("segment")] = "b"
    with pytest.raises(InputError, match="'segment'.*numeric"):
        fit_pareto_nbd_covariates(bad, dropout_covariates=["segment"])
    with pytest.raises(InputError, match="'one' of data is constant"):
        fit_bgnbd_covariates(small.assign(one=1.0), dropout_covariates=["one"])
    nan = small.copy()
    nan.loc[nan.index[[4, 9]], "z_noise"] = np.nan
    with pytest.raises(InputError, match=r"'z_noise'.*2 missing values \(rows 5, 10\)"):
        fit_gamma_gamma_covariates(nan.assign(monetary_value=10.0 + nan["frequency"]), covariates=["z_noise"])
    col = small.assign(twice=2 * small["z_noise"] + 1)
    with pytest.raises(InputError, match=r"\['z_noise', 'twice'\].*collinear"):
        fit_bgnbd_covariates(col, purchase_covariates=["z_noise", "log_first_spend", "twice"])
    with pytest.raises(InputError, match="list of column names"):
        fit_bgnbd_covariates(small, purchase_covariates="z_noise")
    with pytest.raises(InputError, match="twice"):
        fit_pareto_nbd_covariates(small, purchase_covariates=["z_noise", "z_noise"])
    with pytest.raises(InputError, match="summary column"):
        fit_pareto_nbd_covariates(small, purchase_covariates=["T"])


def test_bad_input_sweep(small):
    spend = np.exp(3.0 + 0.5 * np.random.default_rng(5).standard_normal(len(small)))
    frame = small.assign(monetary_value=np.where(small["frequency"] > 0, spend, 0.0))
    kw = {"purchase_covariates": ["z_noise"], "dropout_covariates": ["log_first_spend"]}
    for _, bad in variants(frame, ["frequency", "recency", "z_noise", "log_first_spend"]):
        assert_clean(fit_bgnbd_covariates, bad, **kw)
        assert_clean(fit_pareto_nbd_covariates, bad, **kw)
        assert_clean(fit_gamma_gamma_covariates, bad, covariates=["z_noise"])
    fit = _quiet(fit_bgnbd_covariates, frame, **kw)
    pn = _quiet(fit_pareto_nbd_covariates, frame, **kw)
    gg = _quiet(fit_gamma_gamma_covariates, frame, covariates=["z_noise"])
    for _, bad in variants(frame, ["z_noise", "T", "monetary_value"]):
        assert_clean(fit.p_alive, bad)
        assert_clean(fit.expected_purchases, 10, bad)
        assert_clean(pn.expected_purchases_new_customer, 10, bad)
        assert_clean(gg.expected_spend, bad)
        assert_clean(clv.customer_lifetime_value, bad, pn, gg, horizon=12, discount_rate=0.01, draws=3, seed=1)
    assert_clean(fit.sample_params, -1)
    assert_clean(clv.customer_lifetime_value, frame, fit, clv.GammaGammaResult.from_params(**GG), horizon=12,
                 discount_rate=-2.0)


def test_no_repeat_buyers_are_flagged(small):
    none = small.assign(frequency=0.0, recency=0.0)
    with pytest.warns(Warning, match="no customer made a repeat purchase"):
        fit = fit_bgnbd_covariates(none, purchase_covariates=["z_noise"])
    assert not fit.admissible and fit.warnings


def test_weights_are_counts_of_rows(small):
    kw = {"purchase_covariates": ["log_first_spend"], "dropout_covariates": ["z_noise"]}
    w = np.tile([1.0, 2.0, 0.0, 3.0], len(small) // 4)
    weighted = _quiet(fit_pareto_nbd_covariates, small, weights=w, **kw)
    rows = small.loc[small.index.repeat(w.astype(int))]
    expanded = _quiet(fit_pareto_nbd_covariates, rows.reset_index(drop=True), **kw)
    np.testing.assert_allclose(weighted.params, expanded.params, rtol=1e-6)
    assert weighted.n_customers == len(rows)
    with pytest.raises(InputError, match="weights must be 400"):
        fit_pareto_nbd_covariates(small, weights=[1.0, 2.0], **kw)


def test_predictions_match_pymc_marketing(fits, cdnow):
    # each customer's expected purchases in the next 39 weeks and P(alive), given her covariates, from
    # pymc-marketing at its MAP against ours at our MLE (the two estimates differ by <= 6e-5 relative;
    # the predictions by <= 2e-6)
    pred = pd.read_csv(FIX / "pymc_marketing_predictions.csv", index_col="customer_id")
    assert pred.index.equals(cdnow.index)
    for name in ("bgnbd_covariates", "pareto_nbd_covariates"):
        fit = fits[name]
        np.testing.assert_allclose(fit.expected_purchases(39.0, cdnow), pred[f"{name}_expected_purchases_39"],
                                   rtol=2e-5, atol=1e-9)
        np.testing.assert_allclose(fit.p_alive(cdnow), pred[f"{name}_p_alive"], rtol=2e-5, atol=1e-9)
