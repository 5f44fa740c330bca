"""Bayesian threshold (hinge) model: recovery, closed forms, parity with R's lm, inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from cxmodels.drivers.threshold import ThresholdPrior, fit_threshold
from cxmodels.errors import InputError

from conftest import FIXTURES

HERE = FIXTURES / "threshold"


def make_hinge(n, tau=82.0, b1=0.04, b2=0.15, sigma=0.5, seed=0):
    rng = np.random.default_rng(seed)
    x = np.clip(rng.normal(75, 10, n), 0, 100)
    y = 2 + b1 * x + b2 * np.maximum(0.0, x - tau) + rng.normal(0, sigma, n)
    return pd.DataFrame({"sat": x, "loyalty": y})


def centred(x, tau=None, z=()):
    cols = [x] + ([np.maximum(0.0, x - tau)] if tau is not None else []) + list(z)
    raw = np.column_stack(cols)
    return np.column_stack([np.ones(len(x)), raw - raw.mean(axis=0)])


# ---------------------------------------------------------------- (a) recovery


def test_recovers_threshold_at_82():
    res = fit_threshold(make_hinge(2000, seed=11), "sat", "loyalty")
    lo, hi = res.tau_interval
    assert lo <= 82 <= hi
    assert hi - lo < 6
    assert abs(res.tau_mode - 82) <= 1.5
    assert res.log_bayes_factor > np.log(1e3)  # decisive for the threshold model
    assert res.prob_slope_change_positive > 0.999
    s = res.summary()
    assert s.loc["slope_change", "ci_lower"] <= 0.15 <= s.loc["slope_change", "ci_upper"]
    assert s.loc["slope_below", "ci_lower"] <= 0.04 <= s.loc["slope_below", "ci_upper"]
    assert s.loc["sigma", "ci_lower"] <= 0.5 <= s.loc["sigma", "ci_upper"]
    assert np.isclose(s.loc["slope_above", "est"], s.loc["slope_below", "est"] + s.loc["slope_change", "est"])
    post = res.posterior_tau()
    assert np.isclose(post["prob"].sum(), 1.0) and list(post.columns[:2]) == ["tau", "prob"]
    assert res.params.index.tolist() == s.index.tolist()


# ---------------------------------------------------------------- (b) no threshold


def test_linear_data_favours_linear_model():
    res = fit_threshold(make_hinge(2000, b2=0.0, seed=12), "sat", "loyalty")
    assert res.log_bayes_factor < 0
    assert 0.02 < res.prob_slope_change_positive < 0.98
    assert res.summary().loc["slope_change", "ci_lower"] < 0 < res.summary().loc["slope_change", "ci_upper"]
    lo, hi = res.tau_interval
    assert hi - lo > 15  # diffuse: most of the grid stays plausible
    assert res.posterior_tau()["prob"].max() < 0.2


# ---------------------------------------------------------------- (c) closed form


def tiny():
    x = np.array([55.0, 61, 68, 72, 77, 80, 84, 88, 93, 97])
    y = np.array([3.1, 3.9, 4.0, 4.6, 4.4, 5.2, 5.9, 7.1, 7.4, 8.8])
    return pd.DataFrame({"sat": x, "loyalty": y})


@pytest.mark.parametrize("g", [None, 3.0])
def test_marginal_likelihood_equals_multivariate_t_and_quadrature(g):
    d, tau = tiny(), 80.0
    res = fit_threshold(d, "sat", "loyalty", grid=[tau], prior={"g": g, "a0": 2.0, "b0_scale": 0.3})
    y = d["loyalty"].to_numpy()
    n = len(y)
    gg = n if g is None else g
    a0, b0 = 2.0, 0.3 * y.var(ddof=1)
    for X, got in [(centred(d["sat"].to_numpy(), tau), res.posterior_tau()["log_marginal"].iloc[0]),
                   (centred(d["sat"].to_numpy()), res.log_marginal_linear)]:
        m0 = np.r_[y.mean(), np.zeros(X.shape[1] - 1)]
        # y | sigma^2 ~ N(X m0, sigma^2 (I + g X (X'X)^-1 X')), sigma^2 ~ IG(a0, b0)
        cov1 = np.eye(n) + gg * X @ np.linalg.solve(X.T @ X, X.T)
        mvt = stats.multivariate_t(loc=X @ m0, shape=b0 / a0 * cov1, df=2 * a0).logpdf(y)
        assert got == pytest.approx(mvt, rel=1e-10, abs=1e-10)
        f = lambda s2: np.exp(stats.multivariate_normal(X @ m0, s2 * cov1).logpdf(y) - mvt  # noqa: E731
                              + stats.invgamma.logpdf(s2, a0, scale=b0))
        val, _ = integrate.quad(f, 0, np.inf, limit=200, epsabs=1e-13, epsrel=1e-11)
        assert got == pytest.approx(mvt + np.log(val), abs=1e-7)


# ---------------------------------------------------------------- (d) least squares and R


def test_profile_rss_and_least_squares_tau_match_r():
    d = pd.read_csv(HERE / "data.csv")
    ref = pd.read_csv(HERE / "rss.csv")
    res = fit_threshold(d, "sat", "loyalty", grid=np.arange(60, 90.01, 0.5))
    got = res.profile_rss()
    np.testing.assert_allclose(got["tau"], ref["tau"])
    np.testing.assert_allclose(got["rss"], ref["rss"], rtol=1e-8)
    assert res.least_squares_tau == pd.read_csv(HERE / "argmin.csv")["tau"].iloc[0]
    # with a unit-information prior the posterior mode sits at (or next to) the least-squares tau
    assert abs(res.tau_mode - res.least_squares_tau) <= 0.5


@pytest.mark.parametrize("model,covariates", [("hinge", None), ("hinge_tenure", ["tenure"])])
def test_vague_prior_at_fixed_tau_reproduces_lm(model, covariates):
    d = pd.read_csv(HERE / "data.csv")
    ref = pd.read_csv(HERE / "coef.csv").query("model == @model").set_index("term")
    res = fit_threshold(d, "sat", "loyalty", grid=[82.0], covariates=covariates, prior={"g": 1e12})
    s = res.summary().loc[ref.index]
    np.testing.assert_allclose(s["est"], ref["est"], rtol=1e-8, atol=1e-10)
    # posterior SD and OLS SE differ only by the n vs n - p residual-variance divisor and the t variance
    np.testing.assert_allclose(s["sd"], ref["se"], rtol=0.03)


def test_posterior_mean_converges_to_ols_with_n():
    gaps = []
    for n in (200, 20000):
        res = fit_threshold(make_hinge(n, seed=5), "sat", "loyalty", grid=[82.0])
        c = res.coefficients_at(82.0)
        rel = np.abs(c["mean"] - c["ols"]) / np.abs(c["ols"])
        # g-prior shrinkage of each slope towards 0 is exactly 1/(1 + g), g = n
        np.testing.assert_allclose(rel.loc[["x", "hinge"]], 1 / (1 + n), rtol=1e-8)
        gaps.append(rel.max())
    assert gaps[1] < gaps[0] / 50


# ---------------------------------------------------------------- (e) binary


def make_logistic(n, seed):
    rng = np.random.default_rng(seed)
    x = np.clip(rng.normal(75, 10, n), 0, 100)
    eta = -1.0 + 0.02 * (x - 75) + 0.25 * np.maximum(0.0, x - 82)
    return pd.DataFrame({"sat": x, "retained": rng.binomial(1, special.expit(eta))})


def test_binary_recovers_threshold():
    res = fit_threshold(make_logistic(3000, seed=3), "sat", "retained", outcome="binary")
    lo, hi = res.tau_interval
    assert lo <= 82 <= hi and hi - lo < 8
    assert res.log_bayes_factor > np.log(100)
    assert res.prob_slope_change_positive > 0.999
    assert "sigma" not in res.summary().index
    pred = res.predict([60.0, 95.0])
    assert ((pred[["mean", "ci_lower", "ci_upper"]] > 0) & (pred[["mean", "ci_lower", "ci_upper"]] < 1)).all().all()


def test_laplace_log_marginal_close_to_brute_force():
    d = make_logistic(150, seed=8)
    res = fit_threshold(d, "sat", "retained", outcome="binary", grid=[82.0])
    X = centred(d["sat"].to_numpy())  # the linear model: intercept + slope, two parameters
    y = d["retained"].to_numpy()
    sd = np.array([10.0, 2.5 / X[:, 1].std()])

    def logpost(b0, b1):
        eta = np.asarray(b0)[..., None] + np.asarray(b1)[..., None] * X[:, 1]
        return (np.sum(y * eta - np.logaddexp(0, eta), axis=-1) + stats.norm.logpdf(b0, 0, sd[0])
                + stats.norm.logpdf(b1, 0, sd[1]))

    # box: the mode +- 12 posterior SDs, found independently of cxmodels by BFGS
    opt = optimize.minimize(lambda b: -logpost(b[0], b[1]), np.zeros(2), method="BFGS")
    half = 12 * np.sqrt(np.diag(opt.hess_inv))
    b0 = np.linspace(opt.x[0] - half[0], opt.x[0] + half[0], 401)
    b1 = np.linspace(opt.x[1] - half[1], opt.x[1] + half[1], 401)
    B0, B1 = np.meshgrid(b0, b1, indexing="ij")
    logp = logpost(B0, B1)
    # the posterior must be well inside the integration box
    assert logp.max() - max(logp[0].max(), logp[-1].max(), logp[:, 0].max(), logp[:, -1].max()) > 25
    brute = special.logsumexp(logp) + np.log((b0[1] - b0[0]) * (b1[1] - b1[0]))
    assert res.log_marginal_linear == pytest.approx(brute, abs=0.05)


# ---------------------------------------------------------------- behaviour and inputs


def test_reporting_surface_and_reproducible_draws():
    import matplotlib.axes
    import matplotlib.figure

    d = make_hinge(400, seed=2)
    before = d.copy()
    res = fit_threshold(d, "sat", "loyalty", seed=7)
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(res.plot(), matplotlib.axes.Axes)
    assert isinstance(res.plot_tau(), matplotlib.axes.Axes)
    assert isinstance(res.plot_overview(), matplotlib.figure.Figure)
    text = res.methods_text()
    assert {r.text.split(",")[0] for r in res.references} == {"Carlin", "Zellner", "Kass", "Anderson", "Mittal"}
    for ref in res.references:
        assert ref.cite in text
    assert res.provenance.method == "cxmodels.drivers.fit_threshold"
    assert res.provenance.seed == 7 and res.provenance.data["n_rows"] == 400
    pd.testing.assert_frame_equal(res.draws(500), res.draws(500))
    assert not res.draws(500).equals(res.draws(500, seed=8))
    dr = res.draws(4000)
    assert abs(dr["tau"].mean() - res.tau_mean) < 4 * res.summary().loc["tau", "sd"] / np.sqrt(4000) + 0.05


def test_default_grid_uses_observed_whole_points():
    d = make_hinge(500, seed=4)
    d["sat"] = d["sat"].round()
    res = fit_threshold(d, "sat", "loyalty")
    lo, hi = np.quantile(d["sat"], [0.05, 0.95])
    assert np.all(res.grid == np.round(res.grid)) and res.grid.min() >= lo and res.grid.max() <= hi


def test_bad_inputs_name_the_column():
    d = make_hinge(100, seed=1)
    with pytest.raises(InputError, match="'nope'"):
        fit_threshold(d, "sat", "nope")
    bad = d.copy()
    bad.loc[[3, 7], "loyalty"] = np.nan
    with pytest.raises(InputError, match=r"'loyalty'.*2 missing.*rows 3, 7"):
        fit_threshold(bad, "sat", "loyalty")
    bad = d.astype({"sat": object})
    bad.loc[5, "sat"] = "high"
    with pytest.raises(InputError, match=r"'sat'.*numeric.*rows 5"):
        fit_threshold(bad, "sat", "loyalty")
    bin_ = d.assign(ret=np.where(d["sat"] > 75, 1, 2))
    with pytest.raises(InputError, match=r"'ret'.*0/1"):
        fit_threshold(bin_, "sat", "ret", outcome="binary")
    with pytest.raises(InputError, match="outcome"):
        fit_threshold(d, "sat", "loyalty", outcome="ordinal")
    with pytest.raises(InputError, match="unknown prior"):
        fit_threshold(d, "sat", "loyalty", prior={"gee": 1})
    with pytest.raises(InputError, match="both sides"):
        fit_threshold(d, "sat", "loyalty", grid=[150.0])


def test_scale_outside_index_warns_not_raises():
    d = make_hinge(300, seed=6)
    d.loc[0, "sat"] = 104.0
    with pytest.warns(UserWarning, match="outside the 0-100"):
        res = fit_threshold(d, "sat", "loyalty")
    assert any("outside the 0-100" in w for w in res.warnings)


def test_prior_object_accepted():
    d = make_hinge(300, seed=9)
    a = fit_threshold(d, "sat", "loyalty", prior=ThresholdPrior(g=300.0))
    b = fit_threshold(d, "sat", "loyalty")
    pd.testing.assert_frame_equal(a.summary(), b.summary())
