"""Warnings point at the user's line, not inside the library."""

import warnings

import numpy as np
import pandas as pd

from cxmodels import churn
from cxmodels.errors import CXModelsWarning, warn


def test_warn_reports_the_first_frame_outside_the_package():
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        warn("a caution")
    assert got[0].filename == __file__
    assert issubclass(got[0].category, CXModelsWarning)


def test_a_fit_warning_points_at_the_callers_line():
    # complete separation: every customer with promo=1 churns at once -> flagged, warned
    d = pd.DataFrame({"tenure": np.r_[np.arange(1, 21), np.arange(1, 21)].astype(float),
                      "churned": 1, "promo": np.r_[np.zeros(20), np.ones(20)]})
    d.loc[20:, "tenure"] = 0.5
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        res = churn.cox(d, duration="tenure", event="churned", covariates=["promo"])
    assert res.warnings, "expected the separation to be flagged"
    assert {w.filename for w in got if issubclass(w.category, CXModelsWarning)} == {__file__}
