"""power_analysis: closed-form sizes checked by seeded simulation of the analysis at that size."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from cxmodels.ab import power_analysis  # noqa: E402
from cxmodels.ab.sequential import mixture_sequence  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402

SIMS = 2000
Z = stats.norm.ppf(0.975)


def _within(achieved, target, sims=SIMS):
    se = np.sqrt(target * (1 - target) / sims)
    assert abs(achieved - target) <= 3 * se, (achieved, target, se)


def _ztest_power(a, b):
    d = b.mean(1) - a.mean(1)
    se = np.sqrt(a.var(1, ddof=1) / a.shape[1] + b.var(1, ddof=1) / b.shape[1])
    return float((np.abs(d / se) > Z).mean())


def test_mean_closed_form_and_simulated_power():
    r = power_analysis("mean", sd=2.0, effect=0.5, seed=1)
    assert r.n_per_arm == int(np.ceil(2 * (Z + stats.norm.ppf(0.8)) ** 2 * 4 / 0.25))
    rng = np.random.default_rng(1)
    n = r.n_per_arm
    _within(_ztest_power(rng.normal(0, 2, (SIMS, n)), rng.normal(0.5, 2, (SIMS, n))), 0.8)


def test_nps_variance_and_simulated_power():
    shares = (0.45, 0.30, 0.25)
    r = power_analysis("nps", shares=shares, effect=0.08)
    assert r.params["sigma"] ** 2 == pytest.approx(0.45 + 0.25 - 0.2 ** 2)
    rng = np.random.default_rng(2)
    n = r.n_per_arm
    a = rng.choice([1, 0, -1], size=(SIMS, n), p=shares)
    b = rng.choice([1, 0, -1], size=(SIMS, n), p=(0.49, 0.30, 0.21))  # NPS + 0.08
    _within(_ztest_power(a, b), 0.8)


def test_rating_variance():
    p = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    k = np.arange(1, 6)
    r = power_analysis("rating", probs=p, effect=0.1)
    assert r.params["sigma"] ** 2 == pytest.approx(p @ k ** 2 - (p @ k) ** 2)


def test_cuped_scales_n_and_simulated_power():
    base = power_analysis("mean", sd=1.0, effect=0.2)
    r = power_analysis("mean", sd=1.0, effect=0.2, r2=0.5)
    assert r.n_per_arm == pytest.approx(base.n_per_arm * 0.5, abs=1)
    rng = np.random.default_rng(3)
    n, rho = r.n_per_arm, np.sqrt(0.5)
    xa, xb = rng.normal(size=(SIMS, n)), rng.normal(size=(SIMS, n))
    ya = rho * xa + np.sqrt(0.5) * rng.normal(size=(SIMS, n))
    yb = 0.2 + rho * xb + np.sqrt(0.5) * rng.normal(size=(SIMS, n))
    x, y = np.hstack([xa, xb]), np.hstack([ya, yb])
    xc = x - x.mean(1, keepdims=True)
    theta = (xc * (y - y.mean(1, keepdims=True))).sum(1) / (xc ** 2).sum(1)
    adj = y - theta[:, None] * xc  # CUPED (Deng et al. 2013)
    _within(_ztest_power(adj[:, :n], adj[:, n:]), 0.8)


def test_sequential_power_and_type_i_error_by_simulation():
    r = power_analysis("mean", sd=1.0, effect=0.2, sequential=True, looks=5, seed=4)
    assert r.n_per_arm > r.params["n_fixed_horizon"]
    n, sims = r.n_per_arm, 1000
    rng = np.random.default_rng(5)
    looks = np.round(np.linspace(0, n, 6)[1:]).astype(int)

    def reject(effect):
        a, b = rng.normal(0, 1, (sims, n)), rng.normal(effect, 1, (sims, n))
        out = np.zeros(sims, bool)
        for k in looks:
            est = b[:, :k].mean(1) - a[:, :k].mean(1)
            var = (a[:, :k].var(1, ddof=1) + b[:, :k].var(1, ddof=1)) / k
            p, _ = mixture_sequence(est, var, 2 * k, 0.05, r.settings["n_star"])
            out |= p < 0.05
        return out.mean()

    _within(reject(0.2), 0.8, sims)
    assert reject(0.0) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / sims)


def test_surface():
    r = power_analysis("nps", shares=(0.4, 0.3, 0.3), effect=0.05, r2=0.2, sequential=True, seed=1)
    t = r.summary()
    assert r.n_per_arm in t.index and t.loc[r.n_per_arm, "meets_target"]
    assert r.provenance.seed == 1
    text = r.methods_text()
    for ref in r.references:
        assert ref.cite in text
    assert r.plot() is not None


@pytest.mark.parametrize("kw", [dict(metric="mean", effect=0.1), dict(metric="nps", shares=(0.5, 0.6, 0.1), effect=0.1),
                                dict(metric="rating", probs=[1.0, 0, 0], effect=0.1), dict(metric="x", effect=1),
                                dict(metric="mean", sd=1, effect=0), dict(metric="mean", sd=1, effect=0.1, r2=1.0),
                                dict(metric="mean", sd=1, effect=0.1, level=95)])
def test_bad_inputs(kw):
    with pytest.raises(InputError):
        power_analysis(**kw)
