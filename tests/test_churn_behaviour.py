"""Data preparation, left truncation, time-varying covariates, result surface, plots,
lazy imports."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import (fit_sbg, cox, cox_time_varying, durations_from_dates, kaplan_meier,
                            logrank, to_long_format)
from cxmodels.datasets.subscriptions import make_subscriptions
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def subs():
    return make_subscriptions(800, seed=11)


def test_import_is_light():
    code = "import sys, cxmodels, cxmodels.churn; print('lifelines' in sys.modules, 'pymc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_durations_from_dates_censors_at_observation_end():
    subs = pd.DataFrame({"start": ["2024-01-01", "2024-03-01", "2024-06-01"],
                         "end": ["2024-02-01", None, "2025-03-01"], "plan": ["a", "b", "a"]})
    before = subs.copy()
    out = durations_from_dates(subs, "start", "end", observation_end="2024-12-31")
    pd.testing.assert_frame_equal(subs, before)
    assert out["duration"].tolist() == [31.0, 305.0, 213.0]
    assert out["event"].tolist() == [1, 0, 0]  # the third churned after the data were cut
    wk = durations_from_dates(subs, "start", "end", observation_end="2024-12-31", time_unit="W")
    np.testing.assert_allclose(wk["duration"], out["duration"] / 7)


def test_left_truncation_entry_and_km_matches_lifelines():
    subs = pd.DataFrame({"start": ["2023-06-01", "2024-02-01", "2024-03-01", "2023-10-01", "2024-05-01"],
                         "end": ["2024-04-01", None, "2024-07-01", "2024-09-15", None]})
    out = durations_from_dates(subs, "start", "end", observation_end="2024-12-31", observation_start="2024-01-01")
    assert out["entry"].tolist() == [214.0, 0.0, 0.0, 92.0, 0.0]
    from lifelines import KaplanMeierFitter

    km = kaplan_meier(out, "duration", "event", entry="entry")
    kmf = KaplanMeierFitter().fit(out["duration"], out["event"], entry=out["entry"])
    t = out["duration"].sort_values().to_numpy()
    np.testing.assert_allclose(km.survival_at(t)["survival"], kmf.survival_function_at_times(t).to_numpy())


def test_left_truncated_cox_runs(subs):
    d = subs.assign(entry=np.minimum(subs["duration"] - 1, 30.0).clip(lower=0))
    r = cox(d, "duration", "event", ["satisfaction"], entry="entry")
    assert np.isfinite(r.params["satisfaction"])


def test_time_varying_satisfaction():
    rng = np.random.default_rng(5)
    n = 300
    subjects = pd.DataFrame({"id": np.arange(n), "duration": rng.integers(100, 400, n).astype(float),
                             "event": rng.integers(0, 2, n)})
    meas = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "tenure": np.tile([0.0, 60.0, 120.0], n),
                         "sat": rng.integers(1, 11, 3 * n).astype(float)})
    long = to_long_format(subjects, meas, customer="id", duration="duration", event="event", time="tenure",
                          covariates=["sat"])
    assert (long["start"] < long["stop"]).all()
    assert long.groupby("id")["event"].sum().equals(subjects.set_index("id")["event"].rename_axis("id"))
    r = cox_time_varying(long, "id", "start", "stop", "event", ["sat"])
    assert list(r.params.index) == ["sat"] and abs(r.params["sat"]) < 0.2  # no true effect
    assert "time-varying" in r.methods_text()


def test_result_surface(subs):
    d = pd.get_dummies(subs, columns=["segment"], drop_first=True, dtype=float)
    r = cox(d, "duration", "event", ["satisfaction", "segment_plus"], strata=None)
    assert list(r.summary().columns) == ["coef", "se", "z", "pvalue", "ci_lower", "ci_upper", "hazard_ratio",
                                         "hr_lower", "hr_upper"]
    assert r.provenance.method == "churn.cox" and r.provenance.data["n_rows"] == len(d)
    assert "Efron" in r.methods_text() and "Cox" in r.methods_text()
    assert r.ph_verdict().startswith("Proportional hazards")
    assert isinstance(r.plot(), matplotlib.axes.Axes)
    pred = r.predict_survival(d.head(3), [30, 365])
    assert pred.shape == (2, 3) and (pred.to_numpy() <= 1).all()
    km = kaplan_meier(subs, "duration", "event", group="segment")
    assert isinstance(km.plot(), matplotlib.axes.Axes)
    tab = km.retention_table([30, 90, 365])
    assert list(tab.index) == ["basic", "plus", "premium"] and tab.shape == (3, 3)
    assert (tab.diff(axis=1).iloc[:, 1:] <= 0).all().all()
    beyond = km.survival_at([10_000])
    assert beyond["n_risk"].eq(0).all()
    assert "Kaplan" in km.methods_text()
    lr = logrank(subs, "duration", "event", "segment")
    assert lr.p_value < 0.05 and "log-rank" in lr.methods_text()
    sbg = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    assert isinstance(sbg.plot(horizon=12), matplotlib.axes.Axes)
    assert isinstance(lr.plot(), matplotlib.axes.Axes)
    for res in (r, km, lr, sbg):
        assert res.references and all(ref.cite in res.methods_text() for ref in res.references[:1])
        assert res.converged and res.admissible and res.warnings == []
    assert all(ref.cite in sbg.methods_text() for ref in sbg.references)  # both Fader & Hardie papers
    matplotlib.pyplot.close("all")


def test_km_requires_event_and_says_how_to_mark_all_churned():
    d = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match="column of ones"):
        kaplan_meier(d, "t", None)
    with pytest.raises(TypeError):
        kaplan_meier(d, "t")  # event is a required argument
    km = kaplan_meier(d.assign(churned=1), "t", "churned")
    assert km.survival_at([2.5])["survival"].iloc[0] == pytest.approx(0.5)
    med = km.median_survival()
    assert isinstance(med, pd.Series) and list(med.index) == ["all"]
    assert med.iloc[0] == pytest.approx(2.5)  # R's midpoint rule
