"""sBG projections against the 12 years of actual retention in Fader & Hardie (2007).

Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of
Interactive Marketing, 21(1), 76-90: customers alive (of 1,000) at the start of years 0-12 for
a "regular" and a "high end" cohort. The model is fitted to years 0-7 (as in the paper) and
projected to year 12; the paper shows the projections tracking the actuals closely.
"""

import numpy as np
import pytest

from cxmodels.churn import fit_sbg

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize("cohort,alpha,beta,tolerance", [(REGULAR, 0.704, 1.182, 0.02), (HIGH_END, 0.668, 3.806, 0.05)])
def test_twelve_year_projection_tracks_the_actuals(cohort, alpha, beta, tolerance):
    model = fit_sbg(cohort[:8])
    assert model.params["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert model.params["beta"] == pytest.approx(beta, abs=1e-3)
    projected = 1000 * np.asarray(model.survival(np.arange(8, 13)))
    actual = np.asarray(cohort[8:])
    assert np.max(np.abs(projected / actual - 1)) < tolerance
