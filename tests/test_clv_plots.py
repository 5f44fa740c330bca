"""Validation plots and tracking tables on CDNOW."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from cxmodels import clv
from cxmodels.clv import plot
from cxmodels.datasets.transactions import load_cdnow


@pytest.fixture(scope="module")
def cdnow():
    tx = load_cdnow()
    s = clv.rfm_summary(tx, "sample_id", "date", calibration_end="1997-09-30", observation_end="1998-06-30")
    bg = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    return tx, s, bg


def test_tracking_table_counts_every_repeat_purchase(cdnow):
    tx, s, bg = cdnow
    t = plot.tracking(bg, tx, "sample_id", "date", observation_end="1998-06-30")
    assert len(t) == 78
    assert t["actual_cumulative"].iloc[-1] == s["frequency"].sum() + s["holdout_frequency"].sum() == 4339
    assert t.loc[39, "actual_cumulative"] == 2457  # week 39 ends on 30 September 1997
    assert 0.9 < t["expected_cumulative"].iloc[-1] / 4339 < 1.05
    np.testing.assert_allclose(t["expected"].cumsum(), t["expected_cumulative"])
    ax = plot.plot_tracking(t, cumulative=False, calibration_period=39)
    assert ax.get_xlabel() == "period"


def test_other_plots_return_axes(cdnow):
    tx, s, bg = cdnow
    assert plot.plot_calibration_holdout(bg, s).get_ylabel() == "mean purchases in holdout"
    assert plot.plot_frequency_recency(bg, 39.0, what="p_alive").get_xlabel().startswith("recency")
    h = plot.p_alive_history(bg, [0.0, 2.0, 10.0], 39.0)
    assert h.loc[0.0] == 1.0 and h.loc[10.0] > h[h.index < 10].iloc[-1] and h.iloc[-1] < h.loc[10.0]
    with pytest.raises(ValueError, match="calibration_end"):
        plot.plot_calibration_holdout(bg, s.drop(columns="holdout_frequency"))
