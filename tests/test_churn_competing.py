"""Competing risks: Aalen-Johansen cumulative incidence equals R's survfit on mgus2
(progression vs death; fixtures from tests/fixtures/survival/make_fixtures.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import CumulativeIncidenceResult, cumulative_incidence, cumulative_incidence_at
from cxmodels.provenance import Provenance
from cxmodels.errors import InputError


def test_aalen_johansen_matches_r():
    m = pd.read_csv(FIXTURES / "survival" / "mgus2.csv")
    ref = pd.read_csv(FIXTURES / "survival" / "cif_mgus2.csv")
    before = m.copy()
    cif = cumulative_incidence(m, "etime", "etype")
    pd.testing.assert_frame_equal(m, before)
    assert isinstance(cif, CumulativeIncidenceResult) and isinstance(cif.provenance, Provenance)
    assert cif.provenance.method == "churn.cumulative_incidence" and cif.provenance.options["event"] == "etype"
    assert not cif.summary().attrs  # provenance lives on the result, never in DataFrame.attrs
    at = cumulative_incidence_at(cif, ref["time"])
    pd.testing.assert_frame_equal(at, cif.at(ref["time"]))
    assert cif.references and all(ref.cite in cif.methods_text() for ref in cif.references)
    np.testing.assert_allclose(at["cif_1"], ref["cif_pcm"], atol=1e-10)
    np.testing.assert_allclose(at["cif_2"], ref["cif_death"], atol=1e-10)
    np.testing.assert_allclose(at["cif_1"] + at["cif_2"] + at["survival"], 1.0, atol=1e-12)


def test_competing_by_group_and_errors():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"t": rng.integers(1, 50, 200).astype(float), "type": rng.choice(["none", "vol", "invol"], 200),
                      "plan": rng.choice(["a", "b"], 200)})
    cif = cumulative_incidence(d, "t", "type", group="plan", censored="none")
    tab = cif.summary()
    assert set(tab["group"]) == {"a", "b"} and {"cif_vol", "cif_invol"} <= set(tab.columns)
    assert set(cif.params.index) == {"a:cif_vol", "a:cif_invol", "b:cif_vol", "b:cif_invol"}
    with pytest.raises(InputError, match="no churns"):
        cumulative_incidence(d.assign(type="none"), "t", "type", censored="none")
