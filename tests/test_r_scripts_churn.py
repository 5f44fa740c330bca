"""Survival results write runnable R scripts (``to_r()``): R's survival package re-fits the
same model from the same CSV and prints the numbers cxmodels reported.

Each test writes the data and the script to a temporary directory.  The script is always
checked for what it must contain; where ``Rscript`` with the survival package is installed
(Debian: ``apt-get install r-base-core r-cran-survival``) it is run and R's numbers are
compared with cxmodels' at the parity tests' tolerances.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import aft, cox, cox_time_varying, kaplan_meier, to_long_format
from cxmodels.churn._rscript import read_output
from cxmodels.errors import InputError

COVS = ["age", "sex", "ph.ecog"]


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    return subprocess.run(["Rscript", "-e", "library(survival)"], capture_output=True).returncode == 0


HAVE_R = _r_available()
needs_r = pytest.mark.skipif(not HAVE_R, reason="Rscript with the survival package is not installed "
                                                "(apt-get install r-base-core r-cran-survival)")


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(FIXTURES / "survival" / "lung.csv")


@pytest.fixture(scope="module")
def lung_cc(lung):
    return lung.dropna(subset=COVS).reset_index(drop=True)


def _write(tmp_path, data: pd.DataFrame, script: str):
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "fit.R").write_text(script)
    assert "library(survival)" in script and 'read.csv("data.csv"' in script
    assert "# Expected (cxmodels):" in script


def _run(tmp_path) -> pd.DataFrame:
    out = subprocess.run(["Rscript", "fit.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return read_output(out.stdout)


@pytest.mark.parametrize("strata", [None, "sex"])
def test_cox_script(tmp_path, lung_cc, strata):
    covs = ["age", "ph.ecog"] if strata else COVS
    res = cox(lung_cc, "time", "status", covs, strata=strata)
    script = res.to_r()
    _write(tmp_path, lung_cc, script)
    assert 'ties = "efron"' in script and ("strata(`sex`)" in script) == bool(strata)
    if not HAVE_R:
        pytest.skip("Rscript with the survival package is not installed (apt-get install r-base-core r-cran-survival)")
    r = _run(tmp_path).set_index("term")
    np.testing.assert_allclose(r.loc[covs, "est"], res.params[covs], atol=1e-5)
    np.testing.assert_allclose(r.loc[covs, "se"], res.standard_errors[covs], atol=1e-5)
    assert r.loc["concordance", "est"] == pytest.approx(res.concordance, abs=1e-6)
    assert r.loc["loglik", "est"] == pytest.approx(res.log_likelihood, abs=1e-4)


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic"])
def test_aft_script(tmp_path, lung_cc, dist):
    res = aft(lung_cc, "time", "status", COVS, dist=dist)
    script = res.to_r()
    _write(tmp_path, lung_cc, script)
    assert f'dist = "{dist}"' in script
    if not HAVE_R:
        pytest.skip("Rscript with the survival package is not installed (apt-get install r-base-core r-cran-survival)")
    r = _run(tmp_path).set_index("term")
    terms = list(res.params.index)
    np.testing.assert_allclose(r.loc[terms, "est"], res.params[terms], atol=1e-4)
    np.testing.assert_allclose(r.loc[terms, "se"], res.summary().loc[terms, "se"], atol=1e-4)
    assert r.loc["loglik", "est"] == pytest.approx(res.log_likelihood, abs=1e-4)


@pytest.mark.parametrize("group,conf_type", [(None, "log"), ("sex", "log"), ("sex", "log-log"), ("ph.ecog", "plain")])
def test_kaplan_meier_script(tmp_path, lung, group, conf_type):
    data = lung.dropna(subset=[group]) if group else lung
    res = kaplan_meier(data, "time", "status", group, conf_type=conf_type)
    _write(tmp_path, data, res.to_r())
    if not HAVE_R:
        pytest.skip("Rscript with the survival package is not installed (apt-get install r-base-core r-cran-survival)")
    r = _run(tmp_path)
    ours = res.median_survival(intervals=True).reset_index()
    r["group"] = r["group"].astype(str)
    ours["group"] = ours["group"].map(lambda g: str(int(g)) if isinstance(g, float) else str(g))
    m = ours.merge(r, on="group", suffixes=("", "_r"))
    assert len(m) == len(ours)
    np.testing.assert_array_equal(m["n"], m["n_r"])
    np.testing.assert_array_equal(m["events"], m["events_r"])
    np.testing.assert_allclose(m["median"], m["median_r"], atol=1e-10)
    np.testing.assert_allclose(m["ci_lower"], m["lower"], atol=1e-10)
    np.testing.assert_allclose(m["ci_upper"], m["upper"], atol=1e-10)


def test_left_truncation_and_odd_column_names(tmp_path):
    """Backticked names survive spaces and dots; Surv(entry, time, event) carries left truncation.

    Durations are untied here: with left truncation *and* tied churn times lifelines' Efron
    risk sets differ slightly from coxph's (coefficient ~2e-5, log-likelihood ~0.01 apart on
    this design with durations rounded to 0.1), which docs/churn.md states."""
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(size=n)
    t = rng.exponential(20 * np.exp(-0.5 * x)) + 1.0
    c = rng.uniform(5, 60, n)
    data = pd.DataFrame({"tenure days": np.minimum(t, c), "churned?": (t <= c).astype(int),
                         "sat score": x, "entered": np.minimum(rng.uniform(0, 3, n), np.minimum(t, c) - 0.5)})
    data["entered"] = data["entered"].clip(lower=0)
    res = cox(data, "tenure days", "churned?", ["sat score"], entry="entered")
    km = kaplan_meier(data, "tenure days", "churned?", entry="entered")
    assert "Surv(`entered`, `tenure days`, `churned?`)" in res.to_r()
    if not HAVE_R:
        pytest.skip("Rscript with the survival package is not installed (apt-get install r-base-core r-cran-survival)")
    _write(tmp_path, data, res.to_r())
    r = _run(tmp_path).set_index("term")
    assert r.loc["sat score", "est"] == pytest.approx(res.params["sat score"], abs=1e-5)
    assert r.loc["sat score", "se"] == pytest.approx(res.standard_errors["sat score"], abs=1e-5)
    _write(tmp_path, data, km.to_r())
    r = _run(tmp_path)
    assert r["median"].iloc[0] == pytest.approx(km.params.iloc[0], abs=1e-10)


def test_time_varying_script(tmp_path):
    rng = np.random.default_rng(5)
    n = 200
    subjects = pd.DataFrame({"id": np.arange(n), "duration": rng.integers(100, 400, n).astype(float),
                             "event": rng.integers(0, 2, n)})
    meas = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "tenure": np.tile([0.0, 60.0, 120.0], n),
                         "sat": rng.integers(1, 11, 3 * n).astype(float)})
    long = to_long_format(subjects, meas, customer="id", duration="duration", event="event", time="tenure",
                          covariates=["sat"])
    res = cox_time_varying(long, "id", "start", "stop", "event", ["sat"])
    assert "Surv(`start`, `stop`, `event`)" in res.to_r()
    if not HAVE_R:
        pytest.skip("Rscript with the survival package is not installed (apt-get install r-base-core r-cran-survival)")
    _write(tmp_path, long, res.to_r())
    r = _run(tmp_path).set_index("term")
    assert r.loc["sat", "est"] == pytest.approx(res.params["sat"], abs=1e-5)
    assert r.loc["sat", "se"] == pytest.approx(res.standard_errors["sat"], abs=1e-5)


def test_penalized_cox_has_no_r_counterpart(lung_cc):
    res = cox(lung_cc, "time", "status", COVS, penalizer=0.1)
    with pytest.raises(InputError, match="penaliz"):
        res.to_r()
