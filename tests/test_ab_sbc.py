"""Simulation-based calibration (Talts et al. 2018) of the conversion and NPS posteriors.

For each of 1,000 simulations a true parameter is drawn from the prior, data from the
likelihood, and L = 99 posterior draws from cxmodels; the rank of the truth among the draws
is uniform on 0..99 when the posterior is right.  A comparison needs two variants, so each
simulation has a second, independent variant B drawn from the same prior; the ranks are those
of variant A.  Ranks are binned in 20 bins and tested
with a chi-square test (seeded, so the p-value is fixed).  A negative control feeds the
same machinery a miscalibrated posterior and must be rejected, so the check can fail.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cxmodels import ab

N_SIM, L, BINS = 1000, 99, 20


def _uniformity_pvalue(ranks):
    counts = np.bincount(np.asarray(ranks) * BINS // (L + 1), minlength=BINS)
    return stats.chisquare(counts).pvalue


def _sbc_conversion(prior_used, seed):
    rng = np.random.default_rng(seed)
    ranks = []
    for i in range(N_SIM):
        p = rng.beta(2.0, 8.0)
        n = int(rng.integers(20, 400))
        y = rng.binomial(n, p)
        y_b = rng.binomial(n, rng.beta(2.0, 8.0))
        r = ab.compare_proportions([y, y_b], [n, n], prior=prior_used, draws=L, seed=1000 + i)
        ranks.append(int((r.draws["A"].to_numpy() < p).sum()))
    return _uniformity_pvalue(ranks)


def test_conversion_posterior_is_calibrated():
    assert _sbc_conversion((2.0, 8.0), seed=1) > 0.01


def test_conversion_sbc_rejects_a_wrong_prior():
    # a posterior built on the wrong prior (Beta(8, 2) instead of Beta(2, 8)) is miscalibrated
    assert _sbc_conversion((8.0, 2.0), seed=1) < 1e-6


def _sbc_nps(prior_used, seed):
    rng = np.random.default_rng(seed)
    ranks = []
    for i in range(N_SIM):
        probs = rng.dirichlet([2.0, 3.0, 2.0])
        n = int(rng.integers(10, 200))
        counts = rng.multinomial(n, probs)
        counts_b = rng.multinomial(n, rng.dirichlet([2.0, 3.0, 2.0]))
        r = ab.compare_nps(counts={"A": counts, "B": counts_b}, prior=prior_used, draws=L, seed=5000 + i)
        ranks.append(int((r.draws["A"].to_numpy() < probs[2] - probs[0]).sum()))
    return _uniformity_pvalue(ranks)


def test_nps_posterior_is_calibrated():
    assert _sbc_nps([2.0, 3.0, 2.0], seed=2) > 0.01


def test_nps_sbc_rejects_a_wrong_prior():
    assert _sbc_nps([8.0, 1.0, 1.0], seed=2) < 1e-6
