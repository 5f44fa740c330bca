"""Contractual (sBG) CLV: closed forms against brute-force sums of the survival function."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from cxmodels import clv


def _survival(a, b, t):
    return np.exp(special.betaln(a, b + t) - special.betaln(a, b))


@pytest.mark.parametrize("a,b,d", [(0.704, 1.182, 0.10), (3.8, 15.2, 0.05), (1.0, 1.0, 0.2)])
def test_del_and_derl_equal_their_sums(a, b, d):
    t = np.arange(0, 20000)
    S = _survival(a, b, t)
    disc = (1 + d) ** -t.astype(float)
    assert clv.discounted_expected_lifetime({"alpha": a, "beta": b}, d) == pytest.approx((S * disc).sum(), rel=1e-8)
    for n in (1, 2, 5):
        brute = (S[n:] / S[n - 1] * disc[: len(S) - n]).sum()
        assert clv.discounted_expected_residual_lifetime({"alpha": a, "beta": b}, d, n) == pytest.approx(brute, rel=1e-8)


def test_contractual_clv_shapes_and_checks():
    p = pd.Series({"alpha": 0.704, "beta": 1.182})
    new = clv.contractual_clv(p, margin=100.0, discount_rate=0.1, acquisition_cost=50.0)
    assert new == pytest.approx(100 * clv.discounted_expected_lifetime(p, 0.1) - 50)
    ren = pd.Series([1, 2, 5], index=["a", "b", "c"])
    res = clv.contractual_clv(p, margin=100.0, discount_rate=0.1, renewals=ren)
    assert list(res.index) == ["a", "b", "c"] and res.is_monotonic_increasing  # survivors are the loyal ones
    with pytest.raises(ValueError, match="renewals"):
        clv.discounted_expected_residual_lifetime(p, 0.1, 0)
    with pytest.raises(ValueError, match="alpha"):
        clv.contractual_clv({"alpha": 1.0}, margin=1.0, discount_rate=0.1)


def test_accepts_a_fitted_churn_sbg():
    from cxmodels import churn
    sbg = churn.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    expected = sbg.derl(0.1, 3)
    assert clv.discounted_expected_residual_lifetime(sbg, 0.1, 3) == pytest.approx(expected, rel=1e-10)
