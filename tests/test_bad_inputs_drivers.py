"""Bad inputs to the drivers domain (fit_threshold, penalty_reward): only cxmodels errors or
warnings come out, no input is changed, and the named cases get their specific messages."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels.datasets import make_attribute_survey
from cxmodels.drivers import fit_threshold, penalty_reward
from cxmodels.errors import CXModelsError, InputError

SURVEY = make_attribute_survey(300, seed=5)
DRIVERS = ["coverage", "billing", "app"]


@pytest.mark.parametrize("name, frame", variants(SURVEY, ["sat_index", "loyalty"]),
                         ids=[n for n, _ in variants(SURVEY, ["sat_index", "loyalty"])])
def test_threshold_sweep(name, frame):
    out = assert_clean(fit_threshold, frame, "sat_index", "loyalty")
    if name in ("empty", "one_row", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), name


@pytest.mark.parametrize("name, frame", variants(SURVEY, DRIVERS + ["sat_index"]),
                         ids=[n for n, _ in variants(SURVEY, DRIVERS + ["sat_index"])])
def test_prca_sweep(name, frame):
    out = assert_clean(penalty_reward, frame, DRIVERS, "sat_index", n_boot=100, seed=1)
    if name in ("empty", "one_row", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), name


@pytest.mark.parametrize("kwargs, match", [
    (dict(level=1.5), "level"), (dict(level=0), "level"), (dict(level="95%"), "level"),
    (dict(outcome="ordinal"), "outcome"), (dict(grid=[]), "grid"), (dict(grid=[np.inf, 80]), "grid"),
    (dict(prior={"g": -1}), "positive"), (dict(prior={"h": 1}), "unknown prior"),
    (dict(covariates=["sat_index"]), "distinct"), (dict(covariates=["nope"]), "nope"),
    (dict(seed="x"), "seed"),
])
def test_threshold_arguments(kwargs, match):
    out = assert_clean(fit_threshold, SURVEY, "sat_index", "loyalty", **kwargs)
    assert isinstance(out, InputError) and re.search(match, str(out)), out


@pytest.mark.parametrize("kwargs, match", [
    (dict(level=1.0), "level"), (dict(n_boot=-1), "n_boot"), (dict(n_boot=50), "n_boot must be 0"),
    (dict(n_boot=2.5), "n_boot"), (dict(low=9, high=4), "below high cut"), (dict(scale=(1, 5)), "outside the scale"),
    (dict(min_group=-3), "min_group"), (dict(seed=1.5), "seed"),
])
def test_prca_arguments(kwargs, match):
    out = assert_clean(penalty_reward, SURVEY, DRIVERS, "sat_index", **{"n_boot": 100, **kwargs})
    assert isinstance(out, InputError) and re.search(match, str(out)), out


def test_prca_odd_driver_lists():
    for drivers, outcome in [([], "sat_index"), (["coverage", "coverage"], "sat_index"), (["coverage"], "coverage"),
                             ([["coverage"]], "sat_index"), (["nope"], "sat_index")]:
        out = assert_clean(penalty_reward, SURVEY, drivers, outcome, n_boot=100)
        assert isinstance(out, InputError), drivers


def test_threshold_degenerate_binary_outcome_is_flagged_not_raised():
    # perfect separation at the threshold: the logistic mode runs away; the prior keeps it finite,
    # and any non-convergence is flagged (warning + .warnings + converged=False), never a crash
    d = pd.DataFrame({"x": np.linspace(50, 100, 200)})
    d["y"] = (d["x"] > 80).astype(int)
    out = assert_clean(fit_threshold, d, "x", "y", outcome="binary")
    assert not isinstance(out, CXModelsError)
    assert out.converged == (not any("did not converge" in w for w in out.warnings))


def test_threshold_named_cases():
    with pytest.raises(InputError, match=r"repeated column names \['loyalty'\]"):
        fit_threshold(pd.concat([SURVEY, SURVEY[["loyalty"]]], axis=1), "sat_index", "loyalty")
    bad = SURVEY.copy()
    bad.loc[[3, 8], "loyalty"] = np.nan
    with pytest.raises(InputError, match=r"'loyalty'.*2 missing.*rows 3, 8"):
        fit_threshold(bad, "sat_index", "loyalty")
    with pytest.raises(InputError, match="collinear"):
        fit_threshold(SURVEY.assign(z=SURVEY["sat_index"] * 2), "sat_index", "loyalty", covariates=["z"])
    with pytest.warns(UserWarning, match="outside the 0-100"):
        res = fit_threshold(SURVEY.assign(sat_index=SURVEY["sat_index"] * 1.5), "sat_index", "loyalty")
    assert any("outside the 0-100" in w for w in res.warnings) and res.admissible   # a caution, not a defect


def test_prca_named_cases():
    with pytest.raises(InputError, match=r"repeated column names \['app'\]"):
        penalty_reward(pd.concat([SURVEY, SURVEY[["app"]]], axis=1), DRIVERS, "sat_index")
    with pytest.raises(InputError, match=r"'coverage'.*no respondent has a low rating"):
        penalty_reward(SURVEY.assign(coverage=SURVEY["coverage"].clip(lower=5)), DRIVERS, "sat_index", low=4, high=9)
    with pytest.warns(UserWarning, match="only .* respondents in its low group"):
        res = penalty_reward(SURVEY, DRIVERS, "sat_index", low=4, high=9, n_boot=100, seed=1)
    assert any("low group" in w for w in res.warnings)
