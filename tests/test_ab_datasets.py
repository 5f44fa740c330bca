"""make_experiment: shape, determinism, and agreement of its data with its stated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.datasets.experiments import make_experiment
from cxmodels.errors import InputError


def test_columns_determinism_and_truth():
    df = make_experiment(20_000, seed=3)
    assert list(df.columns) == ["customer_id", "variant", "segment", "converted", "nps", "csat", "days_observed",
                                "churned", "retained_90d", "revenue"]
    pd.testing.assert_frame_equal(df, make_experiment(20_000, seed=3))
    assert df.nps.between(0, 10).all() and df.csat.between(1, 5).all()
    assert (df.revenue[df.converted == 0] == 0).all()
    t = df.attrs["truth"]
    g = df.groupby("variant")
    for v in ("control", "new_onboarding"):
        n = (df.variant == v).sum()
        for col, key in (("converted", "conversion"), ("retained_90d", "retention_90d")):
            p = t[v][key]
            assert abs(g[col].mean()[v] - p) < 4 * np.sqrt(p * (1 - p) / n)
        nps = ((df.nps >= 9) & (df.variant == v)).sum() / n - ((df.nps <= 6) & (df.variant == v)).sum() / n
        assert abs(nps - t[v]["nps"]) < 0.04
        assert abs(g.csat.mean()[v] - t[v]["csat_mean"]) < 0.05
        assert abs(g.revenue.mean()[v] / t[v]["revenue_per_user"] - 1) < 0.1
        assert sum(t[v]["csat_probs"]) == pytest.approx(1.0)
    assert t["new_onboarding"]["conversion"] == pytest.approx(0.12)
    assert t["control"]["conversion"] == pytest.approx(0.10)


def test_bad_arguments():
    with pytest.raises(InputError, match="allocation"):
        make_experiment(100, seed=1, allocation=1.2)
    with pytest.raises(InputError, match="conversion"):
        make_experiment(100, seed=1, conversion=(0.1, 1.5))
