"""Clustered customers: shared gamma frailty equals R's coxph(... + frailty(store)) and the
cluster-robust Cox equals coxph(..., cluster = store).  Fixtures:
tests/fixtures/churn_frailty/make_fixtures.R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import ClusteredCoxResult, FrailtyResult, cox_cluster, cox_frailty
from cxmodels.errors import ImproperSolutionWarning, InputError

F = FIXTURES / "churn_frailty"
COVS = ["fee", "calls"]


@pytest.fixture(scope="module")
def stores():
    return pd.read_csv(F / "stores.csv")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_frailty_at_fixed_theta_matches_coxph(stores, ties):
    ref = pd.read_csv(F / "frailty.csv")
    before = stores.copy()
    for fixed in (True, False):
        r = ref[(ref["ties"] == ties) & (ref["theta_fixed"] == fixed)].set_index("term")
        # at R's theta (0.5 given, or the one its EM search stopped at) everything is exact
        fit = cox_frailty(stores, "tenure", "churned", COVS, group="store", theta=float(r["theta"].iloc[0]), ties=ties)
        np.testing.assert_allclose(fit.params[COVS], r.loc[COVS, "coef"], rtol=1e-6)
        np.testing.assert_allclose(fit.standard_errors[COVS], r.loc[COVS, "se"], rtol=1e-5)
        assert fit.integrated_loglik == pytest.approx(r["ilik"].iloc[0], abs=1e-5)
        assert fit.log_likelihood == pytest.approx(r["loglik_pl"].iloc[0], abs=1e-4)
    pd.testing.assert_frame_equal(stores, before)


def test_frailty_effects_match_coxph(stores):
    ref = pd.read_csv(F / "frailty.csv")
    th = float(ref[(ref["ties"] == "efron") & (~ref["theta_fixed"])]["theta"].iloc[0])
    fit = cox_frailty(stores, "tenure", "churned", COVS, group="store", theta=th)
    eff = pd.read_csv(F / "frailty_effects.csv").set_index("store")["frailty"]
    np.testing.assert_allclose(fit.frailties.loc[eff.index, "log_frailty"], eff, atol=1e-5)  # R stops at 1e-9 relative
    assert fit.frailties["frailty"].mean() == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_frailty_estimated_theta(stores, ties):
    """Our theta maximises the I-likelihood (R's search stops within its 1e-5 relative
    tolerance, short of the maximum): at least R's I-likelihood, theta within 10%, coefficients
    within 0.5%, SEs within 0.5%."""
    r = pd.read_csv(F / "frailty.csv")
    r = r[(r["ties"] == ties) & (~r["theta_fixed"])].set_index("term")
    fit = cox_frailty(stores, "tenure", "churned", COVS, group="store", ties=ties)
    assert isinstance(fit, FrailtyResult) and fit.converged and fit.admissible
    assert fit.integrated_loglik >= r["ilik"].iloc[0] - 1e-8
    assert fit.theta == pytest.approx(r["theta"].iloc[0], rel=0.10)
    np.testing.assert_allclose(fit.params[COVS], r.loc[COVS, "coef"], rtol=5e-3)
    np.testing.assert_allclose(fit.standard_errors[COVS], r.loc[COVS, "se"], rtol=5e-3)
    assert fit.theta_test["pvalue"] < 1e-6  # 30 stores with frailty variance 0.5: clustering detected
    assert fit.params["theta"] == fit.theta and "theta" in fit.summary().index
    assert all(ref.cite in fit.methods_text() for ref in fit.references)
    assert fit.provenance.method == "churn.cox_frailty"


def test_cluster_robust_matches_coxph(stores):
    ref = pd.read_csv(F / "cluster.csv").set_index("term")
    fit = cox_cluster(stores, "tenure", "churned", COVS, group="store")
    assert isinstance(fit, ClusteredCoxResult) and fit.converged and fit.admissible
    np.testing.assert_allclose(fit.params[COVS], ref.loc[COVS, "coef"], atol=1e-5)
    np.testing.assert_allclose(fit.summary()["naive_se"][COVS], ref.loc[COVS, "se"], rtol=1e-4)
    # lifelines' robust variance with Efron ties differs from R's dfbeta-based one in the 4th digit
    np.testing.assert_allclose(fit.standard_errors[COVS], ref.loc[COVS, "robust_se"], rtol=5e-4)
    assert fit.design_effect["fee"] > 1
    assert all(ref_.cite in fit.methods_text() for ref_ in fit.references)


def test_frailty_recovery_seeded():
    """Simulated with theta = 0.8 and beta = (0.5, -0.4) on 60 stores: recovered."""
    rng = np.random.default_rng(7)
    G, n = 60, 1500
    w = rng.gamma(1 / 0.8, 0.8, G)
    s = rng.integers(0, G, n)
    X = rng.normal(size=(n, 2))
    t = rng.exponential(1 / (0.1 * w[s] * np.exp(X @ [0.5, -0.4])))
    c = rng.uniform(2, 30, n)
    d = pd.DataFrame({"t": np.minimum(t, c), "e": (t <= c).astype(int), "x1": X[:, 0], "x2": X[:, 1],
                      "store": [f"s{k}" for k in s]})
    fit = cox_frailty(d, "t", "e", ["x1", "x2"], group="store")
    assert abs(fit.params["x1"] - 0.5) < 3 * fit.standard_errors["x1"]
    assert abs(fit.params["x2"] + 0.4) < 3 * fit.standard_errors["x2"]
    assert 0.45 < fit.theta < 1.3
    assert np.corrcoef(np.log(w), fit.frailties.set_index(fit.frailties.index.str[1:].astype(int))
                       .sort_index()["log_frailty"])[0, 1] > 0.7


def test_frailty_boundary_and_bad_inputs(stores):
    rng = np.random.default_rng(4)
    d = stores.assign(store=rng.choice(["a", "b", "c", "d", "e", "f"], len(stores)))  # no store effect
    with pytest.warns(ImproperSolutionWarning, match="boundary"):
        fit = cox_frailty(d, "tenure", "churned", COVS, group="store")
    assert not fit.admissible and fit.theta_test["pvalue"] > 0.4
    with pytest.raises(InputError, match="theta"):
        cox_frailty(stores, "tenure", "churned", COVS, group="store", theta=-1)
    with pytest.raises(InputError, match="group="):
        cox_frailty(stores, "tenure", "churned", COVS, group=None)
    with pytest.raises(InputError, match="at least 2"):
        cox_cluster(stores.assign(store="one"), "tenure", "churned", COVS, group="store")
    with pytest.warns(ImproperSolutionWarning, match="clusters"):
        few = cox_cluster(d, "tenure", "churned", COVS, group="store")
    assert few.admissible  # a caution, not an improper fit
