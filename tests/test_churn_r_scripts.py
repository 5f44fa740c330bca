"""The issue-16 churn results write runnable R scripts (``to_r()``): cmprsk::crr for Fine-Gray,
coxph for cause-specific, cluster-robust and frailty Cox, survfit for multi-state journeys and
service levels.  R re-fits from the same CSV and prints the numbers cxmodels reported; they are
compared at the parity tests' tolerances.  Without Rscript (with survival and cmprsk) the R part
skips with "Rscript" in the reason, which CI (CXMODELS_REQUIRE_R=1) turns into a failure."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import cause_specific_cox, cox_cluster, cox_frailty, fine_gray, journey, service_level
from cxmodels.churn._rscript import read_output


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    return subprocess.run(["Rscript", "-e", "library(survival); library(cmprsk)"], capture_output=True).returncode == 0


HAVE_R = _r_available()
SKIP = "Rscript with the survival and cmprsk packages is not installed (apt-get install r-cran-survival r-cran-cmprsk)"
CAUSE_COVS = ["fee", "calls", "annual"]
COVS = ["fee", "calls"]


def _run(tmp_path, data: pd.DataFrame, script: str) -> pd.DataFrame:
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "fit.R").write_text(script)
    assert 'read.csv("data.csv"' in script and "# Expected (cxmodels):" in script
    if not HAVE_R:
        pytest.skip(SKIP)
    out = subprocess.run(["Rscript", "fit.R"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return read_output(out.stdout).set_index("term")


@pytest.fixture(scope="module")
def causes():
    return pd.read_csv(FIXTURES / "churn_finegray" / "churn_causes.csv")


@pytest.fixture(scope="module")
def stores():
    return pd.read_csv(FIXTURES / "churn_frailty" / "stores.csv")


@pytest.mark.parametrize("cause", ["voluntary", "payment"])
def test_fine_gray_script(tmp_path, causes, cause):
    res = fine_gray(causes, "tenure", "reason", CAUSE_COVS, cause=cause, censored="active")
    script = res.to_r()
    assert "library(cmprsk)" in script and f'failcode = "{cause}"' in script
    r = _run(tmp_path, causes, script)
    np.testing.assert_allclose(r.loc[CAUSE_COVS, "est"], res.params[CAUSE_COVS], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(r.loc[CAUSE_COVS, "se"], res.standard_errors[CAUSE_COVS], rtol=1e-6)


def test_fine_gray_script_numeric_codes(tmp_path):
    m = pd.read_csv(FIXTURES / "churn_finegray" / "mgus2.csv")
    covs = ["age", "male", "hgb"]
    res = fine_gray(m, "etime", "etype", covs, cause=1, censored=0)
    script = res.to_r()
    assert "failcode = 1" in script and "cencode = 0" in script
    r = _run(tmp_path, m, script)
    np.testing.assert_allclose(r.loc[covs, "est"], res.params[covs], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(r.loc[covs, "se"], res.standard_errors[covs], rtol=1e-6)


def test_cause_specific_cox_script(tmp_path, causes):
    res = cause_specific_cox(causes, "tenure", "reason", CAUSE_COVS, censored="active")
    r = _run(tmp_path, causes, res.to_r())
    terms = list(res.params.index)
    assert len(terms) == 6
    np.testing.assert_allclose(r.loc[terms, "est"], res.params[terms], rtol=1e-4, atol=5e-5)
    se = res.summary().assign(term=lambda t: t["cause"].astype(str) + ":" + t["covariate"]).set_index("term")["se"]
    np.testing.assert_allclose(r.loc[terms, "se"], se[terms], rtol=1e-4)


def test_cluster_script(tmp_path, stores):
    res = cox_cluster(stores, "tenure", "churned", COVS, group="store")
    script = res.to_r()
    assert "cluster = `store`" in script
    r = _run(tmp_path, stores, script)
    np.testing.assert_allclose(r.loc[COVS, "est"], res.params[COVS], atol=1e-5)
    np.testing.assert_allclose(r.loc[COVS, "naive_se"], res.summary().loc[COVS, "naive_se"], rtol=1e-4)
    np.testing.assert_allclose(r.loc[COVS, "se"], res.standard_errors[COVS], rtol=5e-4)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_frailty_script(tmp_path, stores, ties):
    res = cox_frailty(stores, "tenure", "churned", COVS, group="store", ties=ties)
    script = res.to_r()
    assert f"theta = {float(res.theta)!r}" in script and f'ties = "{ties}"' in script
    r = _run(tmp_path, stores, script)
    np.testing.assert_allclose(r.loc[COVS, "est"], res.params[COVS], rtol=1e-5)
    np.testing.assert_allclose(r.loc[COVS, "se"], res.standard_errors[COVS], rtol=1e-4)
    assert r.loc["integrated_loglik", "est"] == pytest.approx(res.integrated_loglik, abs=1e-4)
    assert r.loc["loglik", "est"] == pytest.approx(res.log_likelihood, abs=1e-3)
    # R's own search for theta lands near cxmodels' maximum (the parity tests' tolerance)
    assert r.loc["theta_r", "est"] == pytest.approx(res.theta, rel=0.10)


def test_frailty_script_fixed_theta(tmp_path, stores):
    res = cox_frailty(stores, "tenure", "churned", COVS, group="store", theta=0.5)
    script = res.to_r()
    assert "theta_r" not in script
    r = _run(tmp_path, stores, script)
    np.testing.assert_allclose(r.loc[COVS, "est"], res.params[COVS], rtol=1e-6)
    np.testing.assert_allclose(r.loc[COVS, "se"], res.standard_errors[COVS], rtol=1e-5)


def test_journey_script(tmp_path):
    spells = pd.read_csv(FIXTURES / "churn_multistate" / "journeys.csv")
    res = journey(spells, "customer", "start", "stop", "from", "to")
    script = res.to_r(times=[1, 2.5, 5, 10, 20])
    assert "istate = .from" in script and "id = `customer`" in script
    r = _run(tmp_path, spells, script)
    at = res.at([1, 2.5, 5, 10, 20])
    for t, row in zip([1, 2.5, 5, 10, 20], at.itertuples(index=False)):
        for s, v in zip(at.columns, row):
            assert r.loc[f"t={t:g}:{s}", "est"] == pytest.approx(v, abs=1e-10)
    # the default times are inside the follow-up
    assert "times <- c(" in res.to_r()


@pytest.mark.parametrize("group", [None, "channel"])
def test_service_level_script(tmp_path, group):
    d = pd.read_csv(FIXTURES / "churn_resolution" / "complaints.csv")
    res = service_level(d, "hours", "resolved", [2, 4, 24], group=group)
    r = _run(tmp_path, d, res.to_r())
    t = res.summary().assign(term=list(res.params.index)).set_index("term")
    assert set(r.index) == set(t.index)
    np.testing.assert_allclose(r.loc[t.index, "est"], t["resolved"], atol=1e-12)
    # where everyone is resolved (survival 0) R's log interval is NA; cxmodels reports [.., 1]
    ok = r.loc[t.index, "ci_lower"].notna().to_numpy()
    assert (t.loc[~ok, "resolved"] == 1).all()
    np.testing.assert_allclose(r.loc[t.index[ok], "ci_lower"], t.loc[ok, "ci_lower"], atol=1e-10)
    np.testing.assert_allclose(r.loc[t.index[ok], "ci_upper"], t.loc[ok, "ci_upper"], atol=1e-10)
