"""Bad inputs across the CX programme (issue 18): scorecards, streams, expectations, key drivers
and Kano studies raise only cxmodels' errors and warnings, never modify their input, and name
the issue's cases (a touchpoint with no responses, Kano pairs outside the scheme, a stream with
gaps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import metrics
from cxmodels.drivers.importance import key_drivers
from cxmodels.drivers.kano import kano
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(2)
    n = 240
    return pd.DataFrame({"tp": np.tile(["app", "shop", "web"], n // 3), "rec": rng.integers(0, 11, n),
                         "sat": rng.integers(1, 6, n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                         "kf": rng.integers(1, 6, n), "kd": rng.integers(1, 6, n),
                         "date": np.repeat(pd.date_range("2025-01-01", periods=24), 10),
                         "resp": rng.integers(0, 2, n)})


def _calls(frame):
    return [
        (metrics.scorecard, (frame,), {"group": "tp", "value": "rec"}),
        (metrics.control_chart, (frame,), {"date": "date", "value": "sat", "arl0": 50}),
        (metrics.tracking_line, (frame,), {"date": "date", "value": "sat"}),
        (metrics.seasonality, (frame,), {"date": "date", "value": "sat"}),
        (metrics.expectation_gaps, (frame, {"x": {"perceived": "a", "expected": "b"}}), {}),
        (key_drivers, (frame, ["a", "b"], "sat"), {"n_boot": 50, "seed": 1, "progress": False}),
        (kano, (frame, {"x": ("kf", "kd")}), {"n_boot": 50, "seed": 1}),
        (metrics.rake, (frame, {"tp": {"app": 1, "shop": 1, "web": 2}}), {}),
        (metrics.response_rates, (frame,), {"group": "tp", "value": "resp"}),
        (metrics.scorecard, (frame,), {"group": "tp", "value": "sat", "metric": "csat_top_box", "min_n": 5,
                                       "population": {"app": 1000, "shop": 1000, "web": 1000}}),
    ]


@pytest.mark.parametrize("i", range(10), ids=["scorecard", "control_chart", "tracking_line", "seasonality",
                                              "expectation_gaps", "key_drivers", "kano", "rake", "response_rates",
                                              "scorecard_fpc"])
def test_sweep(survey, i):
    cols = ["tp", "rec", "sat", "a", "b", "kf", "kd", "date", "resp"]
    for name, bad in variants(survey, cols):
        fn, args, kw = _calls(bad)[i]
        out = assert_clean(fn, *args, **kw)
        if name in ("empty", "non_unique_columns"):
            assert isinstance(out, InputError), (fn.__name__, name, out)
    fn, args, kw = _calls(survey)[i]
    for extra in ({"level": 1.5}, {"level": "95%"}):
        if fn in (metrics.control_chart, metrics.seasonality, metrics.rake):
            continue  # no interval level
        assert isinstance(assert_clean(fn, *args, **kw, **extra), InputError)


def test_named_cases(survey):
    d = survey.assign(tp=pd.Categorical(survey["tp"], categories=["app", "shop", "web", "kiosk"]))
    with pytest.raises(InputError, match=r"\['kiosk'\].*no responses"):
        metrics.scorecard(d, group="tp", value="rec")
    with pytest.raises(InputError, match="outside the five-point Kano scheme"):
        kano(survey.assign(kf=survey["kf"] * 2), {"x": ("kf", "kd")})
    with pytest.raises(InputError, match=r"2 period\(s\) without answers"):
        metrics.control_chart(survey[~survey["date"].isin(pd.to_datetime(["2025-01-05", "2025-01-09"]))],
                              date="date", value="sat")
