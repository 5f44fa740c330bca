"""Bad input raises InputError naming the column and the row count; the caller's frame
is never modified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import aft, cox, durations_from_dates, kaplan_meier, logrank
from cxmodels.errors import InputError


@pytest.fixture()
def frame():
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame({"tenure": rng.integers(1, 100, n).astype(float), "churned": rng.integers(0, 2, n),
                         "sat": rng.normal(7, 1, n), "plan": rng.choice(["a", "b"], n), "age": rng.normal(40, 5, n)})


FITS = {
    "km": lambda d: kaplan_meier(d, "tenure", "churned", group="plan"),
    "logrank": lambda d: logrank(d, "tenure", "churned", "plan"),
    "cox": lambda d: cox(d, "tenure", "churned", ["sat", "age"]),
    "aft": lambda d: aft(d, "tenure", "churned", ["sat", "age"]),
}


def _broken(frame, col, rows, value):
    d = frame.copy()
    d[col] = d[col].astype(object) if isinstance(value, str) else d[col].astype(float)
    d.loc[rows, col] = value
    return d


@pytest.mark.parametrize("fit", list(FITS))
@pytest.mark.parametrize("value,pattern", [(0.0, "zero or negative"), (-3.0, "zero or negative"),
                                           (np.nan, "missing")])
def test_bad_durations(frame, fit, value, pattern):
    d = _broken(frame, "tenure", [2, 5, 9], value)
    before = d.copy()
    with pytest.raises(InputError, match=rf"'tenure'.*3 .*{pattern}|'tenure'.*{pattern}.*3 ") as exc:
        FITS[fit](d)
    assert "3" in str(exc.value)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("fit", list(FITS))
@pytest.mark.parametrize("value", [2, -1, 0.5])
def test_events_not_zero_one(frame, fit, value):
    d = _broken(frame, "churned", [1, 4], value)
    before = d.copy()
    with pytest.raises(InputError, match=r"'churned'.* 2 rows .*0 or 1"):
        FITS[fit](d)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("fit", ["cox", "aft"])
def test_nan_covariate(frame, fit):
    d = _broken(frame, "sat", [0, 7, 8, 11], np.nan)
    before = d.copy()
    with pytest.raises(InputError, match=r"'sat'.* 4 missing"):
        FITS[fit](d)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("fit", ["cox", "aft"])
def test_constant_covariate(frame, fit):
    d = frame.copy()
    d["sat"] = 7.0
    with pytest.raises(InputError, match=r"'sat'.*constant.*60 non-missing rows"):
        FITS[fit](d)


def test_non_numeric_covariate_and_missing_column(frame):
    d = frame.copy()
    d["sat"] = d["sat"].astype(object)
    d.loc[3, "sat"] = "high"
    with pytest.raises(InputError, match=r"'sat'.*numeric.*1 non-numeric"):
        cox(d, "tenure", "churned", ["sat"])
    with pytest.raises(InputError, match="lacks column"):
        cox(frame, "tenure", "churned", ["nps"])
    with pytest.raises(InputError, match="DataFrame"):
        kaplan_meier(frame.to_dict(), "tenure", "churned")


def test_logrank_one_group(frame):
    d = frame.assign(plan="a")
    with pytest.raises(InputError, match="'plan'.*1 level.*60 rows"):
        logrank(d, "tenure", "churned", "plan")


def test_fits_leave_the_frame_untouched(frame):
    before = frame.copy()
    for f in FITS.values():
        f(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_boolean_events_accepted(frame):
    d = frame.assign(churned=frame["churned"].astype(bool))
    a = cox(d, "tenure", "churned", ["sat"]).params
    b = cox(frame, "tenure", "churned", ["sat"]).params
    pd.testing.assert_series_equal(a, b)


def test_dates_errors():
    subs = pd.DataFrame({"start": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"]),
                         "end": pd.to_datetime(["2024-01-01", None, "2024-03-01"])})
    with pytest.raises(InputError, match="1 rows end before they start"):
        durations_from_dates(subs, "start", "end", observation_end="2024-12-31")
    with pytest.raises(InputError, match="1 rows have a zero duration"):
        durations_from_dates(subs.iloc[1:], "start", "end", observation_end="2024-12-31")
    ok = durations_from_dates(subs.iloc[1:], "start", "end", observation_end="2024-12-31", min_duration=1)
    assert ok["duration"].tolist() == [334.0, 1.0]
