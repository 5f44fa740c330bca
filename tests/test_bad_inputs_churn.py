"""Bad input to every public churn function: only cxmodels' own errors and warnings come out,
and no argument is modified (tests/badinput.py).  Then the issue's named cases: AFT and Cox
under perfect separation are flagged naming the column; an sBG cohort without churners is
flagged; Kaplan-Meier without ``event`` is refused with a way forward; collinear and
duplicated covariates in Cox are refused naming the columns; lifelines' ConvergenceError
never escapes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import churn
from cxmodels.errors import CXModelsError, EstimationError, ImproperSolutionWarning, InputError


def _frame(n=80, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.ceil(rng.exponential(30 * np.exp(-0.4 * x))) + 1
    c = rng.uniform(10, 90, n).round()
    return pd.DataFrame({"tenure": np.minimum(t, c), "churned": (t <= c).astype(int), "sat": x,
                         "age": rng.normal(40, 8, n), "plan": rng.choice(["a", "b"], n),
                         "kind": np.where(t <= c, rng.choice(["vol", "pay"], n), "none"),
                         "periods": rng.integers(1, 6, n), "entry": 0.0})


GOOD = _frame()
COX_FIT = churn.cox(GOOD, "tenure", "churned", ["sat", "age"])

SWEEP = {
    "kaplan_meier": (lambda d: churn.kaplan_meier(d, "tenure", "churned", "plan"), ["tenure", "churned", "plan"]),
    "kaplan_meier_entry": (lambda d: churn.kaplan_meier(d, "tenure", "churned", entry="entry"),
                           ["tenure", "churned", "entry"]),
    "rmst": (lambda d: churn.rmst(d, "tenure", "churned", 50, "plan"), ["tenure", "churned", "plan"]),
    "logrank": (lambda d: churn.logrank(d, "tenure", "churned", "plan"), ["tenure", "churned", "plan"]),
    "cox": (lambda d: churn.cox(d, "tenure", "churned", ["sat", "age"]), ["tenure", "churned", "sat", "age"]),
    "cox_strata": (lambda d: churn.cox(d, "tenure", "churned", ["sat"], strata="plan"),
                   ["tenure", "churned", "sat", "plan"]),
    "aft": (lambda d: churn.aft(d, "tenure", "churned", ["sat", "age"]), ["tenure", "churned", "sat", "age"]),
    "cumulative_incidence": (lambda d: churn.cumulative_incidence(d, "tenure", "kind", group="plan",
                                                                  censored="none"), ["tenure", "kind", "plan"]),
    "to_person_period": (lambda d: churn.to_person_period(d, "periods", "churned", keep=["sat"]),
                         ["periods", "churned", "sat"]),
    "discrete_time_hazard": (lambda d: churn.discrete_time_hazard(d, "periods", "churned", ["sat"]),
                             ["periods", "churned", "sat"]),
    "churn_risk": (lambda d: churn.churn_risk(d, COX_FIT, "tenure", 30), ["tenure", "sat", "age"]),
    "brier_score": (lambda d: churn.brier_score(d, "tenure", "churned", np.full(len(d), 0.5), 30),
                    ["tenure", "churned"]),
    "time_dependent_auc": (lambda d: churn.time_dependent_auc(d, "tenure", "churned", np.arange(len(d)), 30),
                           ["tenure", "churned"]),
    "calibration_table": (lambda d: churn.calibration_table(d, "tenure", "churned", np.linspace(0.2, 0.9, len(d)),
                                                            30, bins=4), ["tenure", "churned"]),
}


def _cases():
    for name, (fn, cols) in SWEEP.items():
        for vname, frame in variants(GOOD, cols):
            yield pytest.param(name, vname, frame, id=f"{name}-{vname}")


@pytest.mark.parametrize("name,vname,frame", list(_cases()))
def test_sweep(name, vname, frame):
    fn, _ = SWEEP[name]
    assert_clean(fn, frame)


def test_sweep_dates_and_long_format():
    subs = pd.DataFrame({"start": ["2024-01-01", "2024-03-01", "2024-06-01"], "end": ["2024-02-01", None, None],
                         "id": [1, 2, 3]})
    for vname, frame in variants(subs, ["start", "end"]):
        assert_clean(churn.durations_from_dates, frame, "start", "end", observation_end="2024-12-31")
    meas = pd.DataFrame({"id": [1, 1, 2], "t": [0.0, 10.0, 0.0], "sat": [7.0, 8.0, 5.0]})
    subj = pd.DataFrame({"id": [1, 2], "duration": [20.0, 15.0], "event": [1, 0]})
    for vname, frame in variants(subj, ["id", "duration", "event"]):
        assert_clean(churn.to_long_format, frame, meas, customer="id", duration="duration", event="event",
                     time="t", covariates=["sat"])
    for vname, frame in variants(meas, ["id", "t", "sat"]):
        assert_clean(churn.to_long_format, subj, frame, customer="id", duration="duration", event="event",
                     time="t", covariates=["sat"])


@pytest.mark.parametrize("counts", [[], [1000], [1000, 800], [1000, np.inf, 3], [1000, -1, 0], [0, 0, 0],
                                    [1000, 1200, 900], ["a", "b", "c"], None, {"alive": [3, 2, 1]},
                                    [True, False, False], [500, 500, 500], [500, 0, 0], [1e12, 5e11, 2e11]])
def test_sweep_sbg(counts):
    assert_clean(churn.fit_sbg, counts)


def test_sweep_time_varying():
    rng = np.random.default_rng(1)
    long = pd.DataFrame({"id": np.repeat(np.arange(40), 2), "start": np.tile([0.0, 10.0], 40),
                         "stop": np.tile([10.0, 30.0], 40), "event": np.tile([0, 1], 40) * rng.integers(0, 2, 80),
                         "sat": rng.normal(size=80)})
    for vname, frame in variants(long, ["id", "start", "stop", "event", "sat"]):
        assert_clean(churn.cox_time_varying, frame, "id", "start", "stop", "event", ["sat"])


@pytest.mark.parametrize("kw", [{"level": 1.5}, {"level": "95%"}, {"conf_type": "logit"}])
def test_bad_options_km(kw):
    assert isinstance(assert_clean(churn.kaplan_meier, GOOD, "tenure", "churned", **kw), InputError)


@pytest.mark.parametrize("kw", [{"level": 0}, {"penalizer": -1}, {"strata": "nope"}, {"entry": "sat"}])
def test_bad_options_cox(kw):
    assert isinstance(assert_clean(churn.cox, GOOD, "tenure", "churned", ["age"], **kw), InputError)


# ------------------------------------------------------------------------ the named cases
def _separated(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    return pd.DataFrame({"t": rng.exponential(10, n) + 1, "e": (x == 1).astype(int), "promo": x,
                         "z": rng.normal(size=n)})


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic"])
def test_aft_perfect_separation_is_flagged_naming_the_column(dist):
    d = _separated()
    before = d.copy()
    with pytest.warns(ImproperSolutionWarning, match="perfect separation on 'promo'"):
        r = churn.aft(d, "t", "e", ["promo", "z"], dist=dist)
    pd.testing.assert_frame_equal(d, before)
    assert not r.admissible
    assert len(r.warnings) == 1 and "'promo'" in r.warnings[0] and "'z'" not in r.warnings[0]


def test_cox_perfect_separation_is_flagged_naming_the_column():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = churn.cox(_separated(), "t", "e", ["promo", "z"])
    assert all(issubclass(w.category, ImproperSolutionWarning) for w in rec) and rec
    assert not r.admissible and "'promo'" in r.warnings[0] and "+infinity" in r.warnings[0]


def test_no_separation_no_flag():
    r = churn.aft(GOOD, "tenure", "churned", ["sat", "age"])
    assert r.admissible and r.converged and r.warnings == []


def test_sbg_without_churners_is_flagged():
    with pytest.warns(ImproperSolutionWarning, match="no churners"):
        r = churn.fit_sbg([400, 400, 400, 400, 400])
    assert not r.admissible and "no churners" in r.warnings[0]


def test_kaplan_meier_requires_event():
    with pytest.raises(InputError, match="column of ones"):
        churn.kaplan_meier(GOOD, "tenure", None)
    for fn in (churn.logrank, churn.rmst):
        with pytest.raises(InputError, match="column of ones"):
            fn(GOOD, "tenure", None, *(["plan"] if fn is churn.logrank else [50, "plan"]))


def test_cox_collinear_covariates_named():
    d = GOOD.assign(sat2=2 * GOOD["sat"] + 1, other=GOOD["age"])
    with pytest.raises(InputError, match=r"collinear: 'sat' and 'sat2'"):
        churn.cox(d, "tenure", "churned", ["sat", "age", "sat2"])
    # a full set of dummies is collinear with the baseline hazard
    dummies = pd.get_dummies(GOOD["plan"], prefix="plan", dtype=float)
    with pytest.raises(InputError, match=r"'plan_a' and 'plan_b'"):
        churn.cox(pd.concat([GOOD, dummies], axis=1), "tenure", "churned", ["sat", "plan_a", "plan_b"])
    # a covariate constant within strata has no effect to estimate
    with pytest.raises(InputError, match=r"'is_a' \(constant within strata\)"):
        churn.cox(GOOD.assign(is_a=(GOOD["plan"] == "a").astype(float)), "tenure", "churned",
                  ["sat", "is_a"], strata="plan")
    with pytest.raises(InputError, match="collinear"):
        churn.aft(d, "tenure", "churned", ["sat", "sat2"])


def test_cox_duplicated_column_names():
    d = pd.concat([GOOD, GOOD[["sat"]]], axis=1)
    with pytest.raises(InputError, match=r"more than one column named \['sat'\]"):
        churn.cox(d, "tenure", "churned", ["sat", "age"])
    with pytest.raises(InputError, match="more than one role"):
        churn.cox(GOOD, "tenure", "churned", ["sat", "sat"])


def test_lifelines_convergence_error_is_wrapped(monkeypatch):
    """Whatever lifelines raises inside a fit comes out as an EstimationError with advice."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    def boom(self, *a, **k):
        raise ConvergenceError("Convergence halted due to matrix inversion problems.")

    monkeypatch.setattr(CoxPHFitter, "fit", boom)
    with pytest.raises(EstimationError, match="collinear") as exc:
        churn.cox(GOOD, "tenure", "churned", ["sat"])
    assert isinstance(exc.value, CXModelsError)


def test_dates_are_not_guessed():
    subs = pd.DataFrame({"start": ["05/01/2024", "20/01/2024"], "end": [None, None]})
    with pytest.raises(InputError, match="date_format"):
        churn.durations_from_dates(subs, "start", "end", observation_end="2024-12-31")
    ok = churn.durations_from_dates(subs, "start", "end", observation_end="2024-12-31", date_format="%d/%m/%Y")
    assert ok["duration"].tolist() == [(pd.Timestamp("2024-12-31") - pd.Timestamp("2024-01-05")).days,
                                       (pd.Timestamp("2024-12-31") - pd.Timestamp("2024-01-20")).days]
    nums = pd.DataFrame({"start": [20240105.0, np.nan, 20240120.0], "end": [np.nan] * 3})
    with pytest.raises(InputError, match="numbers, not dates"):
        churn.durations_from_dates(nums.dropna(subset=["start"]), "start", "end", observation_end="2024-12-31")
    got = churn.durations_from_dates(nums.dropna(subset=["start"]), "start", "end", observation_end="2024-12-31",
                                     date_format="%Y%m%d")
    assert got["duration"].tolist() == [361.0, 346.0]
