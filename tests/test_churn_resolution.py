"""Complaint resolution with service levels: the share resolved within 2, 4 and 24 hours and its
interval equal 1 - R's survfit (tests/fixtures/churn_resolution/make_fixtures.R); open complaints
are censored, not dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import ServiceLevelResult, service_level
from cxmodels.errors import InputError

F = FIXTURES / "churn_resolution"


def test_matches_survfit():
    d = pd.read_csv(F / "complaints.csv")
    before = d.copy()
    res = service_level(d, "hours", "resolved", [2, 4, 24], group="channel", goal=0.25)
    pd.testing.assert_frame_equal(d, before)
    assert isinstance(res, ServiceLevelResult)
    ref = pd.read_csv(F / "sla.csv")
    m = ref.merge(res.summary(), on=["group", "target"], suffixes=("_r", ""))
    assert len(m) == len(ref) == 6
    np.testing.assert_allclose(m["resolved"], m["resolved_r"], atol=1e-12)
    ok = m["ci_lower_r"].notna()
    np.testing.assert_allclose(m.loc[ok, "ci_lower"], m.loc[ok, "ci_lower_r"], atol=1e-10)
    np.testing.assert_allclose(m.loc[ok, "ci_upper"], m.loc[ok, "ci_upper_r"], atol=1e-10)
    assert res.params["phone:within_24"] == 1.0
    # dropping open complaints (the naive count) overstates email compliance at 24 hours
    closed = d[d["resolved"] == 1]
    naive = (closed.loc[closed["channel"] == "email", "hours"] <= 24).mean()
    assert naive > res.params["email:within_24"] + 0.05
    dec = res.decide()
    assert (dec.action, dec.variant) == ("misses", "email")   # email: 15.3% within 2 h, upper bound 20.0% < 25%
    assert service_level(d, "hours", "resolved", [2], goal=0.05).decide().action == "meets"
    assert service_level(d, "hours", "resolved", [2], goal=0.6).decide().action == "misses"
    assert all(r.cite in res.methods_text() for r in res.references)


def test_bad_inputs():
    d = pd.read_csv(F / "complaints.csv")
    with pytest.raises(InputError, match="beyond the follow-up"):
        service_level(d[d["resolved"] == 0], "hours", "resolved", [2, 500])
    with pytest.raises(InputError, match="targets"):
        service_level(d, "hours", "resolved", [-1])
    with pytest.raises(InputError, match="goal"):
        service_level(d, "hours", "resolved", [2], goal=80)
    with pytest.raises(InputError, match="goal="):
        service_level(d, "hours", "resolved", [2]).decide()
