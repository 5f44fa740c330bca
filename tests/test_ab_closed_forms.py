"""Closed forms of cxmodels.ab against independent values and large seeded Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxmodels import ab
from cxmodels.ab.closed_forms import (MAX_TERMS, beta_loss, dirichlet_nps_moments, gamma_loss,
                                      prob_beta_greater, prob_gamma_greater)
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
    r = ab.compare_nps(counts={"a": [120, 200, 180], "b": [100, 190, 210]}, draws=400_000, seed=5)
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
    r = ab.compare_ratings(counts=c, seed=1)
    alpha = np.array(c["a"]) + 1.0
    assert r.posterior_mean["a"] == pytest.approx(alpha @ np.arange(1, 6) / alpha.sum())
    t2 = ab.compare_ratings(counts=c, statistic="top2_box", seed=1)
    assert t2.posterior_mean["b"] == pytest.approx((41 + 30) / 105)


# --- large counts: bounded memory and time, same numbers ----------------------------------

def _miller_mp(a1, b1, a2, b2) -> float:
    """Miller's sum at 30 digits, by its term ratio t_{i+1}/t_i = (a1+i)(b2+i) / ((a1+b1+b2+i)(1+i))."""
    import mpmath as mp

    with mp.workdps(30):
        a1, b1, a2, b2 = (mp.mpf(x) for x in (a1, b1, a2, b2))
        t = mp.exp(mp.log(mp.beta(a1, b1 + b2)) - mp.log(mp.beta(a1, b1)))
        s = mp.mpf(0)
        for i in range(int(a2)):
            s += t
            t = t * (a1 + i) * (b2 + i) / ((a1 + b1 + b2 + i) * (1 + i))
        return float(s)


@pytest.mark.parametrize("n, lift", [(20_000, 0.04), (100_000, 0.005), (1_000_000, 0.001)])
def test_quadrature_matches_the_exact_sum_at_moderate_and_large_counts(n, lift):
    # the integral used beyond MAX_TERMS against Miller's sum in double precision (1e-10, where
    # that is exact enough) and at 30 digits (1e-12, up to 1e6 trials)
    yA, yB = round(0.1 * n), round(0.1 * (1 + lift) * n)
    args = (yA + 1.0, n - yA + 1.0, yB + 1.0, n - yB + 1.0)
    quad = prob_beta_greater(*args, method="quad")
    assert quad == pytest.approx(_miller_mp(*args), abs=1e-12)
    if n <= 100_000:
        assert quad == pytest.approx(prob_beta_greater(*args, method="miller"), abs=1e-10)
    # the symmetric form, weighted by the other density, agrees too
    assert 1 - prob_beta_greater(*args[2:], *args[:2], method="quad") == pytest.approx(quad, abs=1e-12)


def test_auto_switches_to_the_integral_beyond_max_terms():
    n = 10 * MAX_TERMS
    args = (0.1 * n + 1, 0.9 * n + 1, 0.1003 * n + 1, 0.8997 * n + 1)
    assert prob_beta_greater(*args) == prob_beta_greater(*args, method="quad")


@pytest.mark.parametrize("scale", [1e5, 1e7, 1e9])
def test_loss_coefficient_for_large_shapes_against_30_digits(scale):
    # log g, g = B(a1+a2, b1+b2) / (B(a1, b1) B(a2, b2)), by the density identity used for large
    # shapes, against mpmath's log-Beta at 30 digits
    import mpmath as mp
    from cxmodels.ab import closed_forms as C

    a1, b1, a2, b2 = 0.1 * scale + 1, 0.9 * scale + 1, 0.1003 * scale + 1, 0.8997 * scale + 1
    with mp.workdps(30):
        ref = float(mp.log(mp.beta(a1 + a2, b1 + b2)) - mp.log(mp.beta(a1, b1)) - mp.log(mp.beta(a2, b2)))
    assert C._log_g(a1, b1, a2, b2) == pytest.approx(ref, abs=1e-9 if scale < C.LARGE_SHAPE else 1e-10)


def test_a_billion_trials_in_bounded_time_and_memory():
    import time
    import tracemalloc

    n = 1_000_000_000
    tracemalloc.start()
    t = time.perf_counter()
    r = ab.compare_proportions({"control": 100_000_000, "new": 100_010_000}, {"control": n, "new": n})
    pb, loss = r.prob_best["new"], r.expected_loss
    c = ab.compare_counts(totals={"control": 100_000_000, "new": 100_010_000}, exposure={"control": n, "new": n})
    pc = c.prob_best["new"]
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2.0  # typically ~0.01 s: a generous bound, not a benchmark
    assert peak < 50e6  # no array as long as the counts (that would be 800 MB)
    # normal approximation to the two posteriors (accurate to ~1e-4 here)
    sd = np.sqrt(0.1 * 0.9 / n + 0.10001 * 0.89999 / n)
    assert pb == pytest.approx(stats.norm.cdf(1e-5 / sd), abs=1e-3)
    assert pc == pytest.approx(stats.norm.cdf(10_000 / np.sqrt(2 * 1e8)), abs=1e-3)
    assert 0 < pb < 1 and 0 < pc < 1
    # loss(A) - loss(B) = E[B] - E[A] holds exactly at any size
    m = r.posterior_mean
    assert loss["control"] - loss["new"] == pytest.approx(m["new"] - m["control"], rel=1e-6)
    assert pb == pytest.approx(1 - prob_beta_greater(100_010_001, n - 100_010_000 + 1, 100_000_001,
                                                     n - 100_000_000 + 1), abs=1e-10)
