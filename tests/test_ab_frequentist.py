"""Frequentist cross-checks, the sample-ratio-mismatch check and design by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxmodels import ab
from cxmodels.ab import frequentist as fq


def test_welch_t_matches_scipy_and_hedges_g():
    rng = np.random.default_rng(3)
    a, b = rng.normal(5, 1, 40), rng.normal(5.6, 2, 70)
    out = fq.welch_t(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert out.statistic[0] == pytest.approx(ref.statistic)
    assert out.pvalue[0] == pytest.approx(ref.pvalue)
    sp = np.sqrt((39 * a.var(ddof=1) + 69 * b.var(ddof=1)) / 108)
    assert out.effect_size[0] == pytest.approx((b.mean() - a.mean()) / sp * (1 - 3 / (4 * 110 - 9)))


def test_anova_from_summary_statistics_matches_scipy():
    rng = np.random.default_rng(4)
    g = [rng.normal(m, 1, n) for m, n in ((0, 30), (0.4, 25), (0.8, 40))]
    out = fq.anova({i: (x.size, x.mean(), x.std(ddof=1)) for i, x in enumerate(g)})
    ref = stats.f_oneway(*g)
    assert out.statistic[0] == pytest.approx(ref.statistic)
    assert out.pvalue[0] == pytest.approx(ref.pvalue)
    allx = np.concatenate(g)
    ssb = sum(x.size * (x.mean() - allx.mean()) ** 2 for x in g)
    assert out.effect_size[0] == pytest.approx(ssb / ((allx - allx.mean()) ** 2).sum())


def test_chi_square_and_cohens_h():
    out = fq.chi_square_proportions([120, 141], [1000, 1000])
    ref = stats.chi2_contingency([[120, 880], [141, 859]], correction=False)
    assert out.statistic[0] == pytest.approx(ref[0]) and out.pvalue[0] == pytest.approx(ref[1])
    assert out.effect_size[1] == pytest.approx(2 * np.arcsin(np.sqrt(0.141)) - 2 * np.arcsin(np.sqrt(0.12)))


def test_srm_flags_a_broken_split_and_passes_a_fair_one():
    ok = ab.srm_check({"control": 50_120, "new": 49_880})
    assert not ok.mismatch[0] and ok.pvalue[0] == pytest.approx(stats.chisquare([50_120, 49_880]).pvalue)
    bad = ab.srm_check({"control": 50_800, "new": 49_200})
    assert bad.mismatch[0] and bad.pvalue[0] < 1e-6
    # a planned 90/10 split
    planned = ab.srm_check([9_000, 1_000], expected=[0.9, 0.1])
    assert planned.statistic[0] == pytest.approx(0.0)


def test_sample_size_by_simulation():
    res = ab.sample_size(0.10, 0.20, sizes=[500, 2000, 4000, 8000], n_sims=2000, seed=1)
    out = res.summary().rename(columns={"est": "power", "se": "power_se"}).reset_index()
    # power rises with n; false adoption under no effect stays near 1 - threshold at one look
    assert out.power.is_monotonic_increasing
    assert (out.false_adoption < 0.05 + 3 * out.false_adoption_se + 0.01).all()
    # normal-approximation power at 4000/arm for 10% vs 12%: Phi(0.02/sqrt(2*0.1*0.9/4000+...) - 1.645)
    se = np.sqrt(0.1 * 0.9 / 4000 + 0.12 * 0.88 / 4000)
    expected = stats.norm.cdf(0.02 / se - stats.norm.ppf(0.95))
    row = out.set_index("n_per_variant").loc[4000]
    assert abs(row.power - expected) < 4 * row.power_se
    assert res.recommended_n == 4000
    assert res.provenance.seed == 1 and res.provenance.options["n_sims"] == 2000
    assert all(r.cite in res.methods_text() for r in res.references) and "4,000" in res.methods_text()
    import matplotlib.pyplot as plt
    assert res.plot().get_xlabel() == "users per variant"
    plt.close("all")


def test_optional_stopping_inflates_false_adoption():
    one = ab.sample_size(0.10, 0.10, sizes=[5000], n_sims=3000, looks=1, seed=2).summary()
    ten = ab.sample_size(0.10, 0.10, sizes=[5000], n_sims=3000, looks=10, seed=2).summary()
    assert ten.false_adoption.iloc[0] > one.false_adoption.iloc[0] + 0.04
