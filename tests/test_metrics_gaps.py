"""Expectations (issue 18): gaps are paired t intervals (scipy's ttest_rel), the zone position
follows the MSA/MSS intervals, and inconsistent zones are flagged."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from cxmodels import metrics  # noqa: E402
from cxmodels.errors import CXModelsWarning, InputError  # noqa: E402


@pytest.fixture(scope="module")
def ratings():
    rng = np.random.default_rng(8)
    n = 250
    r = lambda m: np.clip(np.round(rng.normal(m, 1.2, n)), 1, 9)  # noqa: E731
    return pd.DataFrame({"speed_p": r(5.0), "speed_e": r(6.0), "speed_a": r(4.0), "speed_d": r(7.5),
                         "staff_p": r(3.5), "staff_a": r(5.0), "staff_d": r(8.0),
                         "app_p": r(8.6), "app_a": r(4.0), "app_d": r(6.5)})


ATTRS = {"speed": {"perceived": "speed_p", "expected": "speed_e", "adequate": "speed_a", "desired": "speed_d"},
         "staff": {"perceived": "staff_p", "adequate": "staff_a", "desired": "staff_d"},
         "app": {"perceived": "app_p", "adequate": "app_a", "desired": "app_d"}}


def test_gaps_are_paired_t_intervals(ratings):
    r = metrics.expectation_gaps(ratings, ATTRS)
    t = r.summary()
    ref = stats.ttest_rel(ratings["speed_p"], ratings["speed_e"]).confidence_interval(0.95)
    assert t.loc[("speed", "gap"), ["lower", "upper"]].tolist() == pytest.approx([ref.low, ref.high], rel=1e-10)
    ref = stats.ttest_rel(ratings["staff_p"], ratings["staff_a"]).confidence_interval(0.95)
    assert t.loc[("staff", "msa"), ["lower", "upper"]].tolist() == pytest.approx([ref.low, ref.high], rel=1e-10)
    z = r.zones()
    assert z.loc["staff", "position"] == "below" and z.loc["app", "position"] == "above"
    assert z.loc["speed", "position"] == "within"
    assert z.loc["staff", "share_below"] == pytest.approx(np.mean(ratings["staff_p"] < ratings["staff_a"]))
    assert {"Oliver (1980)", "Zeithaml et al. (1993)"} <= {x.cite for x in r.references}
    assert r.plot().get_title() == "Expectations and experience"
    assert r.params["gap[speed]"] == pytest.approx((ratings["speed_p"] - ratings["speed_e"]).mean())


def test_bad_roles_and_inconsistent_zones(ratings):
    with pytest.raises(InputError, match="both 'adequate' and 'desired'"):
        metrics.expectation_gaps(ratings, {"x": {"perceived": "speed_p", "adequate": "speed_a"}})
    with pytest.raises(InputError, match="unknown roles"):
        metrics.expectation_gaps(ratings, {"x": {"perceived": "speed_p", "ideal": "speed_d"}})
    with pytest.raises(InputError, match="'expected' or"):
        metrics.expectation_gaps(ratings, {"x": {"perceived": "speed_p"}})
    with pytest.warns(CXModelsWarning, match="desired level below the adequate"):
        r = metrics.expectation_gaps(ratings, {"x": {"perceived": "speed_p", "adequate": "speed_d",
                                                     "desired": "speed_a"}})
    assert r.warnings
