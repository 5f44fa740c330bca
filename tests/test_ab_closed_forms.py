"""Closed forms of cxmodels.ab against independent values and large seeded Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxmodels import ab
from cxmodels.ab.closed_forms import (beta_loss, dirichlet_nps_moments, gamma_loss, prob_beta_greater,
                                      prob_gamma_greater)
from conftest import FIXTURES

REF = pd.read_csv(FIXTURES / "ab" / "beta_reference.csv")


@pytest.mark.parametrize("row", list(REF.itertuples()), ids=lambda r: f"{r.alpha_a}-{r.beta_a}-{r.alpha_b}-{r.beta_b}")
def test_prob_b_beats_a_matches_mpmath_reference(row):
    # Miller's sum (or the quadrature for half-integer shapes) vs mpmath integration at 20 digits
    p = prob_beta_greater(row.alpha_a, row.beta_a, row.alpha_b, row.beta_b)
    assert p == pytest.approx(row.prob_b_gt_a, abs=1e-9)
    loss_a, _ = beta_loss(row.alpha_a, row.beta_a, row.alpha_b, row.beta_b)
    assert loss_a == pytest.approx(row.loss_a, abs=1e-9, rel=1e-7)


@pytest.mark.parametrize("params", [(121, 881, 142, 860), (13, 7, 4, 9), (2, 40, 5, 37), (60, 3, 55, 9)])
def test_miller_sum_equals_quadrature_every_symmetry(params):
    a1, b1, a2, b2 = params
    q = prob_beta_greater(*params, method="quad")
    assert prob_beta_greater(*params, method="miller") == pytest.approx(q, abs=1e-10)
    # the four symmetric forms of the sum agree (P(B>A) = 1 - P(A>B); 1 - p ~ Beta(b, a))
    assert 1 - prob_beta_greater(a2, b2, a1, b1, method="miller") == pytest.approx(q, abs=1e-10)
    assert prob_beta_greater(b2, a2, b1, a1, method="miller") == pytest.approx(q, abs=1e-10)


def test_exact_two_variant_result_against_two_million_draws():
    r = ab.compare_proportions([120, 141], [1000, 1000], names=["control", "new"])
    assert r.exact and (r.mc_se.to_numpy() == 0).all()
    rng = np.random.default_rng(20261123)
    a = rng.beta(121, 881, 2_000_000)
    b = rng.beta(142, 860, 2_000_000)
    p_mc = np.mean(b > a)
    se = np.sqrt(p_mc * (1 - p_mc) / a.size)
    assert abs(r.prob_best["new"] - p_mc) < 4 * se  # se ~ 2e-4
    loss_ctrl = np.maximum(b - a, 0)
    assert abs(r.expected_loss["control"] - loss_ctrl.mean()) < 4 * loss_ctrl.std() / np.sqrt(a.size)
    loss_new = np.maximum(a - b, 0)
    assert abs(r.expected_loss["new"] - loss_new.mean()) < 4 * loss_new.std() / np.sqrt(a.size)
    assert r.prob_best["new"] == pytest.approx(0.918031, abs=1e-6)


def test_three_variant_monte_carlo_agrees_with_exact_pairs_and_reports_its_error():
    # with a third variant far behind, P(best) of the two leaders approaches the exact pairwise value
    r = ab.compare_proportions([120, 141, 10], [1000, 1000, 1000], draws=200_000, seed=3)
    exact = prob_beta_greater(121, 881, 142, 860)
    se = r.mc_se.loc["B", "prob_best"]
    assert 0 < se < 1e-3
    assert abs(r.prob_best["B"] - exact) < 4 * se
    assert r.prob_best.sum() == pytest.approx(1.0)


def test_gamma_poisson_closed_form_against_monte_carlo():
    a1, b1, a2, b2 = 230.0, 100.0, 260.0, 105.0
    rng = np.random.default_rng(7)
    x1 = rng.gamma(a1, 1 / b1, 2_000_000)
    x2 = rng.gamma(a2, 1 / b2, 2_000_000)
    p = prob_gamma_greater(a1, b1, a2, b2)
    assert abs(p - np.mean(x2 > x1)) < 4 * np.sqrt(p * (1 - p) / x1.size)
    l1, l2 = gamma_loss(a1, b1, a2, b2)
    assert l1 == pytest.approx(np.maximum(x2 - x1, 0).mean(), rel=5e-3)
    assert l2 == pytest.approx(np.maximum(x1 - x2, 0).mean(), rel=5e-3)
    r = ab.compare_counts(totals=[230 - 0.001, 260 - 0.001], exposure=[100 - 0.001, 105 - 0.001])
    assert r.prob_best["B"] == pytest.approx(p, abs=1e-12)


def test_beta_posterior_moments_are_conjugate():
    r = ab.compare_proportions({"a": 30, "b": 45}, {"a": 200, "b": 210}, prior=(2, 3), draws=400_000, seed=1)
    post = r.posterior
    assert post.loc["a", "alpha"] == 32 and post.loc["a", "beta"] == 173
    m = 32 / 205
    v = 32 * 173 / (205 ** 2 * 206)
    assert r.posterior_mean["a"] == pytest.approx(m, abs=1e-15)
    assert r.draws["a"].mean() == pytest.approx(m, abs=4 * np.sqrt(v / 400_000))
    assert r.draws["a"].var() == pytest.approx(v, rel=0.01)


def test_normal_unknown_variance_matches_student_t():
    rng = np.random.default_rng(11)
    x = rng.normal(10, 3, 40)
    y = rng.normal(11, 3, 50)
    r = ab.compare_means({"a": x, "b": y}, draws=400_000, seed=2)
    # reference prior: mu | x ~ t_{n-1}(xbar, s / sqrt(n))
    t = stats.t(len(x) - 1, x.mean(), x.std(ddof=1) / np.sqrt(len(x)))
    assert r.posterior.loc["a", "df"] == 39
    assert r.posterior.loc["a", "scale"] == pytest.approx(t.std() * np.sqrt(37 / 39), rel=1e-12)
    assert r.draws["a"].var() == pytest.approx(t.var(), rel=0.01)
    assert np.quantile(r.draws["a"], 0.975) == pytest.approx(t.ppf(0.975), abs=0.01)
    # sufficient statistics give the same posterior as the raw data
    s = ab.compare_means(stats={"a": (40, x.mean(), x.std(ddof=1)), "b": (50, y.mean(), y.std(ddof=1))})
    pd.testing.assert_frame_equal(s.posterior, r.posterior)
    # an informative NIG prior: posterior mean (kappa0 mu0 + n xbar) / (kappa0 + n)
    p = ab.compare_means({"a": x, "b": y}, prior={"mu0": 0.0, "kappa0": 10.0, "alpha0": 2.0, "beta0": 2.0})
    assert p.posterior_mean["a"] == pytest.approx(40 * x.mean() / 50)
    assert p.posterior.loc["a", "df"] == 2 * (2 + 20)


def test_nps_dirichlet_moments_closed_form_against_draws():
    r = ab.compare_nps({"a": [120, 200, 180], "b": [100, 190, 210]}, draws=400_000, seed=5)
    m, v = dirichlet_nps_moments([121, 201, 181])
    assert r.posterior_mean["a"] == pytest.approx(m)
    assert m == pytest.approx(60 / 503)
    assert r.draws["a"].mean() == pytest.approx(m, abs=4 * np.sqrt(v / 400_000))
    assert r.draws["a"].var() == pytest.approx(v, rel=0.01)
    # raw 0-10 scores are binned 0-6 / 7-8 / 9-10 and give the same posterior
    raw = {"a": [0] * 60 + [6] * 60 + [7] * 100 + [8] * 100 + [9] * 90 + [10] * 90,
           "b": [3] * 100 + [8] * 190 + [10] * 210}
    r2 = ab.compare_nps(scores=raw, scale=100, seed=5)
    np.testing.assert_allclose(r2.posterior.iloc[:, :3].to_numpy(), r.posterior.iloc[:, :3].to_numpy())
    assert r2.posterior_mean["a"] == pytest.approx(100 * m)


def test_ratings_mean_and_top_box_posterior_means():
    c = {"a": [5, 10, 20, 40, 25], "b": [3, 8, 20, 40, 29]}
    r = ab.compare_ratings(c, seed=1)
    alpha = np.array(c["a"]) + 1.0
    assert r.posterior_mean["a"] == pytest.approx(alpha @ np.arange(1, 6) / alpha.sum())
    t2 = ab.compare_ratings(c, statistic="top2_box", seed=1)
    assert t2.posterior_mean["b"] == pytest.approx((41 + 30) / 105)
