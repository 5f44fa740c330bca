"""A/B comparisons fed by the engine's per-arm statistics equal the raw-data comparisons."""

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def log():
    rng = np.random.default_rng(7)
    n = 4000
    arm = rng.choice(["control", "new"], size=n)
    spend = rng.gamma(2.0, 10.0, size=n) * np.where(arm == "new", 1.08, 1.0)
    converted = rng.random(n) < np.where(arm == "new", 0.12, 0.10)
    return pd.DataFrame({"arm": arm, "spend": spend, "converted": converted})


def test_means_from_arm_statistics_equal_raw(log):
    before = log.copy()
    raw = ab.compare_means(log, group="arm", value="spend", seed=1)
    stats = ab.arm_statistics(log, "arm", "spend")
    via = ab.compare_means(stats=stats, group="arm", seed=1)
    pd.testing.assert_frame_equal(log, before)
    assert via.variants == raw.variants
    np.testing.assert_allclose(via.posterior[["loc", "scale", "df"]].to_numpy(float),
                               raw.posterior[["loc", "scale", "df"]].to_numpy(float), rtol=1e-10)
    assert via.prob_best.to_dict() == pytest.approx(raw.prob_best.to_dict(), abs=1e-12)


def test_proportions_from_arm_statistics_equal_raw(log):
    t = ab.arm_statistics(log, "arm", "converted").set_index("arm")
    counts = log.groupby("arm")["converted"].agg(["sum", "size"])
    via = ab.compare_proportions(t["sum"], t["n"], seed=2)
    raw = ab.compare_proportions(counts["sum"], counts["size"], seed=2)
    assert via.prob_best.to_dict() == pytest.approx(raw.prob_best.to_dict(), abs=1e-12)


def test_segmented_statistics_refused_naming_variants(log):
    seg = log.assign(segment=np.where(np.arange(len(log)) % 2 == 0, "web", "app"))
    stats = ab.arm_statistics(seg, "arm", "spend", segment="segment")
    with pytest.raises(InputError, match="several rows for variant"):
        ab.compare_means(stats=stats, group="arm")
    with pytest.raises(InputError, match="no column 'variant'"):
        ab.compare_means(stats=stats, group="variant")
