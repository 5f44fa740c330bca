"""Competing risks: Aalen-Johansen cumulative incidence equals R's survfit on mgus2
(progression vs death; fixtures from tests/fixtures/survival/make_fixtures.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import cumulative_incidence, cumulative_incidence_at
from cxmodels.errors import InputError


def test_aalen_johansen_matches_r():
    m = pd.read_csv(FIXTURES / "survival" / "mgus2.csv")
    ref = pd.read_csv(FIXTURES / "survival" / "cif_mgus2.csv")
    before = m.copy()
    cif = cumulative_incidence(m, "etime", "etype")
    pd.testing.assert_frame_equal(m, before)
    at = cumulative_incidence_at(cif, ref["time"])
    np.testing.assert_allclose(at["cif_1"], ref["cif_pcm"], atol=1e-10)
    np.testing.assert_allclose(at["cif_2"], ref["cif_death"], atol=1e-10)
    np.testing.assert_allclose(at["cif_1"] + at["cif_2"] + at["survival"], 1.0, atol=1e-12)


def test_competing_by_group_and_errors():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"t": rng.integers(1, 50, 200).astype(float), "type": rng.choice(["none", "vol", "invol"], 200),
                      "plan": rng.choice(["a", "b"], 200)})
    cif = cumulative_incidence(d, "t", "type", by="plan", censored="none")
    assert set(cif["group"]) == {"a", "b"} and {"cif_vol", "cif_invol"} <= set(cif.columns)
    with pytest.raises(InputError, match="no churns"):
        cumulative_incidence(d.assign(type="none"), "t", "type", censored="none")
