"""The surrogate index (issue 15): on generated data where the long-run truth is known (surrogacy
holds by construction), its 95% interval (experiment plus calibration variance) covers the long-run effect at the
nominal rate and the estimate is unbiased; the assumptions are in the methods text; bad inputs
name their rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import ImproperSolutionWarning, InputError

BETA = (0.5, 0.3, 0.2)  # long-run CLV = 0.5 + 0.3 csat + 0.2 early orders + noise
SHIFT = (0.3, 0.4)      # the treatment moves csat by 0.3 and early orders by 0.4
TRUTH = BETA[1] * SHIFT[0] + BETA[2] * SHIFT[1]


def _history(rng, n):
    s1, s2 = rng.normal(3.5, 1, n), rng.poisson(2, n).astype(float)
    return pd.DataFrame({"csat": s1, "orders": s2, "clv": BETA[0] + BETA[1] * s1 + BETA[2] * s2 + rng.normal(0, 1, n)})


def _experiment(rng, n):
    g = np.repeat(["control", "new"], n // 2)
    t = g == "new"
    return pd.DataFrame({"variant": g, "csat": rng.normal(3.5, 1, n) + SHIFT[0] * t,
                         "orders": rng.poisson(2 + SHIFT[1] * t).astype(float)})


def test_surrogate_index_covers_the_long_run_effect():
    rng = np.random.default_rng(2019)
    reps = 300
    hit, est = 0, []
    for _ in range(reps):
        r = ab.surrogate_index(_experiment(rng, 400), group="variant", surrogates=["csat", "orders"],
                               history=_history(rng, 1000), outcome="clv").summary().loc["new"]
        hit += r.ci_lower <= TRUTH <= r.ci_upper
        est.append(r.est)
    assert abs(hit / reps - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / reps), hit / reps
    assert np.mean(est) == pytest.approx(TRUTH, abs=3 * np.std(est) / np.sqrt(reps))


def test_surrogate_index_surface():
    rng = np.random.default_rng(1)
    h, e = _history(rng, 2000), _experiment(rng, 2000)
    before = (h.copy(), e.copy())
    res = ab.surrogate_index(e, group="variant", surrogates=["csat", "orders"], history=h, outcome="clv")
    pd.testing.assert_frame_equal(h, before[0])
    pd.testing.assert_frame_equal(e, before[1])
    t = res.summary().loc["new"]
    assert t.se == pytest.approx(np.hypot(t.se_experiment, t.se_calibration))
    assert res.coefficients.loc["csat", "est"] == pytest.approx(BETA[1], abs=0.06)
    txt = res.methods_text()
    for word in ("surrogacy", "comparability", "Athey et al. (2019)"):
        assert word in txt
    assert res.decide().action == "adopt"


def test_surrogate_bad_inputs():
    rng = np.random.default_rng(3)
    h, e = _history(rng, 500), _experiment(rng, 200)
    hn = h.copy()
    hn.loc[[4, 7], "clv"] = np.nan
    with pytest.raises(InputError, match=r"history has 2 rows.*rows 4, 7"):
        ab.surrogate_index(e, group="variant", surrogates=["csat", "orders"], history=hn, outcome="clv")
    with pytest.raises(InputError, match="collinear"):
        ab.surrogate_index(e, group="variant", surrogates=["csat", "orders"], history=h.assign(orders=1.0),
                           outcome="clv")
    with pytest.raises(InputError, match="lacks column"):
        ab.surrogate_index(e.drop(columns="orders"), group="variant", surrogates=["csat", "orders"], history=h,
                           outcome="clv")
    weak = h.assign(clv=rng.normal(size=len(h)))
    with pytest.warns(ImproperSolutionWarning, match="explain"):
        res = ab.surrogate_index(e, group="variant", surrogates=["csat", "orders"], history=weak, outcome="clv")
    assert not res.admissible
