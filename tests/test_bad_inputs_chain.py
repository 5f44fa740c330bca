"""Bad inputs to the value chain (fit_value_chain, evaluate_intervention): only cxmodels
errors or warnings come out, no input is changed, and the named cases of issue 11 get their
specific messages (missing survey items, n_boot, level, duplicated column names)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels.chain import evaluate_intervention, fit_value_chain
from cxmodels.datasets import make_customer_base
from cxmodels.errors import InputError

BASE = make_customer_base(300, n_experiment=200, seed=11, scale=None, n_truth=1000)
DF = BASE.customers
COLS = ["tenure", "churned", "n_purchases", "spend", "SAT1"]
FAST = dict(n_boot=0, plugin=False, progress=False)


@pytest.fixture(scope="module")
def chain():
    return fit_value_chain(DF, BASE.model, driver="PQ", n_boot=5, seed=1, plugin=False, progress=False)


def _evaluate(chain):
    """evaluate_intervention with the chain bound: assert_clean then checks the frame (a result
    object has no value equality, so a deep copy of it would never compare equal)."""
    def run(data, **kwargs):
        return evaluate_intervention(chain, data, **kwargs)
    run.__name__ = "evaluate_intervention"
    return run


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, frame", variants(DF, COLS), ids=[n for n, _ in variants(DF, COLS)])
def test_chain_sweep(name, frame):
    out = assert_clean(fit_value_chain, frame, BASE.model, **FAST)
    if name in ("empty", "one_row", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), (name, out)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, frame", variants(BASE.experiment, ["arm", "SAT2"]),
                         ids=[n for n, _ in variants(BASE.experiment, ["arm", "SAT2"])])
def test_intervention_sweep(chain, name, frame):
    out = assert_clean(_evaluate(chain), frame, cost=10.0, draws=500, seed=1)
    if name in ("empty", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), (name, out)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_boot=-1), "n_boot must be a whole number >= 0"), (dict(n_boot=2.5), "n_boot"),
    (dict(n_boot=True), "n_boot"), (dict(level=1.0), "level must be a number strictly between 0 and 1"),
    (dict(level=0.0), "level"), (dict(level=-0.5), "level"), (dict(level="0.95"), "level"),
    (dict(horizon=0), "horizon"), (dict(horizon=np.inf), "horizon"), (dict(discount_rate=-2),
                                                                       "discount_rate"),
    (dict(per="one"), "per"), (dict(reliability="high"), "reliability"), (dict(seed="x"), "seed"),
    (dict(sem_options=[1]), "sem_options"), (dict(sem_options={"bogus": 1}), "bogus"),
    (dict(satisfaction="CSAT"), "not in the model"), (dict(duration="nope"), "nope"),
])
def test_chain_arguments(kwargs, match):
    out = assert_clean(fit_value_chain, DF, BASE.model, **{**FAST, **kwargs})
    assert isinstance(out, InputError) and re.search(match, str(out)), out


def test_missing_survey_items_are_named():
    bad = DF.copy()
    bad.loc[[4, 17], "SAT2"] = np.nan
    bad.loc[9, "PERQ1"] = np.nan
    out = assert_clean(fit_value_chain, bad, BASE.model, **FAST)
    assert isinstance(out, InputError)
    assert re.search(r"3 rows have missing survey items \(rows 4, 9, 17\).*drop or impute", str(out)), out


def test_duplicated_column_names_are_refused():
    dup = pd.concat([DF, DF[["SAT1"]]], axis=1)
    with pytest.raises(InputError, match=r"repeated column names \['SAT1'\]"):
        fit_value_chain(dup, BASE.model, **FAST)
    dup = pd.concat([DF, DF[["tenure"]]], axis=1)
    with pytest.raises(InputError, match=r"repeated column names \['tenure'\]"):
        fit_value_chain(dup, BASE.model, **FAST)
    exp = pd.concat([BASE.experiment, BASE.experiment[["arm"]]], axis=1)
    chain = fit_value_chain(DF, BASE.model, **FAST)
    with pytest.raises(InputError, match=r"repeated column names \['arm'\]"):
        evaluate_intervention(chain, exp)


def test_intervention_arguments(chain):
    for kwargs, match in [(dict(level=2), "level"), (dict(draws=1), "draws"), (dict(cost="free"), "cost"),
                          (dict(cost=np.inf), "cost"), (dict(group="nope"), "nope"),
                          (dict(treatment="B"), "'B'")]:
        out = assert_clean(_evaluate(chain), BASE.experiment, **kwargs)
        assert isinstance(out, InputError) and re.search(match, str(out)), (kwargs, out)
    out = assert_clean(evaluate_intervention, "not a chain", BASE.experiment)
    assert isinstance(out, InputError) and "fit_value_chain" in str(out)
    bad = BASE.experiment.copy()
    bad.loc[[3, 5], "SAT1"] = np.nan
    out = assert_clean(_evaluate(chain), bad)
    assert isinstance(out, InputError) and "rows 3, 5" in str(out)


# ------------------------------------------------------------------ issue 13: a survey of some customers
SOME = make_customer_base(300, n_experiment=0, seed=12, scale=10, n_truth=1000, response_rate=0.5)
SURVEY_KW = dict(customer="customer_id", scale=10, **FAST)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, frame", variants(SOME.survey, ["customer_id", "SAT1"]),
                         ids=[n for n, _ in variants(SOME.survey, ["customer_id", "SAT1"])])
def test_survey_sweep(name, frame):
    out = assert_clean(fit_value_chain, SOME.behaviour, SOME.model, survey=frame, **SURVEY_KW)
    if name in ("empty", "one_row", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), (name, out)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, frame", variants(SOME.behaviour, ["customer_id", "tenure"]),
                         ids=[n for n, _ in variants(SOME.behaviour, ["customer_id", "tenure"])])
def test_behaviour_sweep_with_a_survey(name, frame):
    out = assert_clean(fit_value_chain, frame, SOME.model, survey=SOME.survey, **SURVEY_KW)
    if name in ("empty", "one_row", "non_unique_columns") or name.startswith(("all_nan", "inf", "text_in")):
        assert isinstance(out, InputError), (name, out)
