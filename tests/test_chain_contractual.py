"""The contractual chain on the churn domain's parametric families (clv_model="weibull" |
"lognormal" | "loglogistic"): its lifetime likelihood is cxmodels.churn.aft's (checked against
lifelines' fits, which tests/test_churn_aft* check against R's survreg), and the chain built on
it recovers a seeded satisfaction effect for each family."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from cxmodels.chain import fit_value_chain
from cxmodels.churn import aft, parametric
from cxmodels.errors import InputError

FAMILIES = ["weibull", "lognormal", "loglogistic"]


def simulate(dist, n=3000, seed=5, b=0.35, sigma=0.8, mu=3.0, rel=None):
    """log T = mu + b s + sigma eps, s ~ N(0, 1), censored at a uniform 12-48 months; the
    observed index is s (or s plus classical error of reliability ``rel``)."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    eps = {"weibull": np.log(rng.exponential(size=n)), "lognormal": rng.normal(size=n),
           "loglogistic": special.logit(rng.uniform(size=n))}[dist]
    life = np.exp(mu + b * s + sigma * eps)
    cens = rng.uniform(12, 48, n)
    x = s if rel is None else s + rng.normal(0, np.sqrt((1 - rel) / rel), n)
    return pd.DataFrame({"tenure": np.minimum(life, cens), "churned": (life <= cens).astype(int), "SAT": x})


@pytest.mark.parametrize("dist", FAMILIES)
def test_row_likelihood_is_the_one_churn_aft_maximizes(dist):
    d = simulate(dist, n=800)
    fit = aft(d, "tenure", "churned", ["SAT"], dist=dist)
    est = fit.summary()["est"]
    mu = est["(Intercept)"] + est["SAT"] * d["SAT"].to_numpy()
    ll = parametric.loglik(dist, d["tenure"], d["churned"], mu, est["Log(scale)"])
    assert ll == pytest.approx(fit.log_likelihood, abs=1e-6)
    # and lifelines' estimate is its maximum: the derivatives vanish there
    logt = np.log(d["tenure"].to_numpy())
    z = (logt - mu) / fit.scale
    _, dz = parametric.row_loglik(dist, z, d["churned"].to_numpy(), est["Log(scale)"], logt)
    assert abs(dz.sum()) / len(d) < 1e-4 and abs((dz * d["SAT"]).sum()) / len(d) < 1e-4


@pytest.mark.parametrize("dist", FAMILIES)
def test_row_derivative_in_z(dist):
    rng = np.random.default_rng(1)
    z, e, lt = rng.normal(0, 2, (50, 3)), rng.integers(0, 2, 50), rng.normal(2, 1, 50)
    ll, dz = parametric.row_loglik(dist, z, e, 0.1, lt)
    h = 1e-6
    num = (parametric.row_loglik(dist, z + h, e, 0.1, lt)[0] - parametric.row_loglik(dist, z - h, e, 0.1, lt)[0]) / 2 / h
    assert np.max(np.abs(num - dz)) < 1e-6
    assert np.allclose(parametric.log_survival(dist, z), np.log(parametric.survival(dist, z)))


@pytest.mark.parametrize("dist", FAMILIES)
def test_chain_with_an_exact_index_is_churn_aft(dist):
    """With satisfaction observed exactly and no purchase model, the chain's lifetime model is
    churn.aft's on the centred index: same estimates (reparametrised) and log-likelihood."""
    d = simulate(dist, n=1500)
    res = fit_value_chain(d, satisfaction="SAT", purchases=None, spend=None, monthly_revenue=20.0,
                          clv_model=dist, n_boot=0, plugin=False, seed=1)
    dc = d.assign(SAT=d["SAT"] - d["SAT"].mean())
    ref = aft(dc, "tenure", "churned", ["SAT"], dist=dist).summary()["est"]
    th = res._main.theta
    k = np.exp(th[0])
    assert -th[0] == pytest.approx(ref["Log(scale)"], abs=2e-5)
    assert th[1] == pytest.approx(ref["(Intercept)"], abs=2e-5)
    assert -th[2] / k == pytest.approx(ref["SAT"], abs=2e-5)
    assert res._main.loglik == pytest.approx(aft(dc, "tenure", "churned", ["SAT"], dist=dist).log_likelihood,
                                             abs=1e-4)
    p = res.params
    if dist == "weibull":
        assert "hazard_ratio_per_unit" in p.index and "time_ratio_per_unit" not in p.index
    else:
        assert p["time_ratio_per_unit"] == pytest.approx(np.exp(ref["SAT"]), rel=1e-4)
        assert "hazard_ratio_per_unit" not in p.index and "median_lifetime" in p.index


@pytest.mark.parametrize("dist", FAMILIES)
def test_measurement_error_integrated_recovers_the_time_ratio(dist):
    """An index of reliability 0.6 on 20,000 customers: the chain (error integrated) recovers the
    true time ratio per unit of the latent, the plug-in index is attenuated toward 1."""
    d = simulate(dist, n=20000, seed=11, rel=0.6)
    # index scaled to the latent's metric: latent s' = s sqrt(rel) (variance rel), so the true log
    # time ratio per unit of s' is b / sqrt(rel)
    d = d.assign(SAT=d["SAT"] * np.sqrt(0.6))
    truth = 0.35 / np.sqrt(0.6)
    kw = dict(satisfaction="SAT", purchases=None, spend=None, monthly_revenue=20.0, clv_model=dist, n_boot=0,
              plugin=False)
    res = fit_value_chain(d, reliability=0.6, **kw)
    th = res._main.theta
    assert -th[2] / np.exp(th[0]) == pytest.approx(truth, abs=0.03)       # log time ratio = -gamma / k
    assert np.exp(-res._main.theta[0]) == pytest.approx(0.8, abs=0.03)          # sigma
    plug = fit_value_chain(d, **kw)._main.theta
    assert -plug[2] / np.exp(plug[0]) == pytest.approx(0.35 * np.sqrt(0.6), abs=0.03)   # attenuated by rel


def test_bootstrap_interval_and_methods_of_an_aft_chain():
    d = simulate("lognormal", n=2500, seed=11, rel=0.6)
    d = d.assign(SAT=d["SAT"] * np.sqrt(0.6))
    res = fit_value_chain(d, satisfaction="SAT", reliability=0.6, purchases=None, spend=None,
                          monthly_revenue=20.0, clv_model="lognormal", n_boot=60, seed=2)
    row = res.summary().loc["time_ratio_per_unit"]
    assert row["ci_lower"] < np.exp(0.35 / np.sqrt(0.6)) < row["ci_upper"]
    assert row["ci_lower"] < row["est"] < row["ci_upper"] and res.converged
    text = res.methods_text()
    assert "log-normal accelerated-failure-time" in text and "Kalbfleisch" in text
    for ref in res.references:
        assert ref.cite in text
    assert set(res.compare_plugin().index) == {"joint (measurement error integrated)", "plug-in index (treated as exact)"}


def test_unknown_family_is_named():
    d = simulate("weibull", n=200)
    with pytest.raises(InputError, match="clv_model must be one of"):
        fit_value_chain(d, satisfaction="SAT", purchases=None, spend=None, monthly_revenue=1.0, clv_model="gompertz")
