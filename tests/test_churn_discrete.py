"""Discrete-time cloglog hazard model: parity with R's glm(binomial("cloglog")) on lung
in half-year periods (fixture from tests/fixtures/survival/make_fixtures.R), person-period
expansion, and the warning for a period without churns."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import cox, discrete_time_hazard, to_person_period
from cxmodels.errors import ImproperSolutionWarning, InputError

COVS = ["age", "sex", "ph.ecog"]


@pytest.fixture(scope="module")
def person_period():
    lung = pd.read_csv(FIXTURES / "survival" / "lung.csv").dropna(subset=COVS).reset_index(drop=True)
    lung["periods"] = np.ceil(lung["time"] / 182.5).astype(int)
    return lung, to_person_period(lung, "periods", "status", keep=COVS)


def test_person_period_expansion(person_period):
    lung, pp = person_period
    assert len(pp) == lung["periods"].sum() == 496
    assert pp["churn"].sum() == lung["status"].sum()
    assert (pp.groupby("customer")["period"].max().to_numpy() == lung["periods"].to_numpy()).all()


def test_cloglog_matches_r_glm(person_period):
    _, pp = person_period
    ref = pd.read_csv(FIXTURES / "survival" / "discrete_cloglog.csv")
    r = discrete_time_hazard(pp, "period", "churn", COVS, max_period=5)
    np.testing.assert_allclose(r.params.to_numpy(), ref["est"].to_numpy(), atol=1e-4)  # R's glm stops at 1e-8 deviance
    np.testing.assert_allclose(r.summary()["se"].to_numpy(), ref["se"].to_numpy(), atol=1e-4)
    assert r.log_likelihood == pytest.approx(ref["loglik"].iloc[0], abs=1e-6)
    assert list(r.baseline_hazard().index) == [1, 2, 3, 4, 5]
    assert "cloglog" in r.provenance.options["link"] and "Prentice" in r.methods_text()


def test_close_to_cox(person_period):
    lung, pp = person_period
    r = discrete_time_hazard(pp, "period", "churn", COVS, max_period=5)
    c = cox(lung, "time", "status", COVS)
    np.testing.assert_allclose(r.params[COVS], c.params[COVS], atol=0.06)


def test_period_without_churns_warns(person_period):
    _, pp = person_period
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = discrete_time_hazard(pp, "period", "churn", COVS)
    # an unidentified baseline term: warned, recorded and flagged
    assert any(issubclass(w.category, ImproperSolutionWarning) for w in rec)
    assert any("period 6" in m for m in r.warnings) and not r.admissible


def test_bad_periods():
    d = pd.DataFrame({"k": [1, 0, 2.5], "e": [0, 1, 1]})
    with pytest.raises(InputError, match="'k'.* 2 rows"):
        to_person_period(d, "k", "e")
