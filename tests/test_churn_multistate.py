"""Journeys as multi-state models: Aalen-Johansen stage probabilities and time in stage equal R's
survfit multi-state estimates (tests/fixtures/churn_multistate/make_fixtures.R); a seeded
Markov journey is recovered (its probabilities are expm(Q t)); bad journeys are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from conftest import FIXTURES
from cxmodels.churn import JourneyResult, journey
from cxmodels.errors import InputError

F = FIXTURES / "churn_multistate"
GRAPH = [("browse", "order"), ("browse", "churned"), ("order", "paid"), ("order", "churned"),
         ("paid", "order"), ("paid", "churned")]


@pytest.fixture(scope="module")
def spells():
    return pd.read_csv(F / "journeys.csv")


def test_matches_survfit(spells):
    before = spells.copy()
    res = journey(spells, "customer", "start", "stop", "from", "to", transitions=GRAPH)
    pd.testing.assert_frame_equal(spells, before)
    assert isinstance(res, JourneyResult)
    ref = pd.read_csv(F / "pstate.csv").set_index("time")
    np.testing.assert_allclose(res.at(ref.index)[ref.columns].to_numpy(), ref.to_numpy(), atol=1e-12)
    rm = pd.read_csv(F / "rmean.csv").set_index("state")["rmean"]
    np.testing.assert_allclose(res.time_in_stage(20)[rm.index], rm, atol=1e-10)
    assert res.params.sum() == pytest.approx(1.0)
    assert all(r.cite in res.methods_text() for r in res.references)
    tr = res.transitions.set_index(["from", "to"])
    assert tr["moves"].sum() == int((spells["to"] != "censored").sum())
    assert res.drop_off.loc["browse", "drop_off"] == pytest.approx(
        ((spells["from"] == "browse") & (spells["to"] == "churned")).sum() / (spells["from"] == "browse").sum())


def test_bootstrap_intervals(spells):
    res = journey(spells, "customer", "start", "stop", "from", "to", n_boot=40, seed=3)
    tab = res.summary()
    assert (tab["ci_lower"] <= tab["probability"] + 1e-12).all()
    assert (tab["probability"] <= tab["ci_upper"] + 1e-12).all()
    again = journey(spells, "customer", "start", "stop", "from", "to", n_boot=40, seed=3)
    pd.testing.assert_frame_equal(tab, again.summary())
    assert res.provenance.seed == 3 and "bootstrap" in res.methods_text()


def test_markov_recovery_seeded():
    """Constant rates: p(t) = p(0) expm(Q t); 3000 customers recover it to 0.03."""
    rng = np.random.default_rng(12)
    states = ["a", "b", "c"]
    Q = np.array([[-0.5, 0.4, 0.1], [0.2, -0.5, 0.3], [0.0, 0.0, 0.0]])
    rows = []
    for i in range(3000):
        t, s, cens = 0.0, 0, rng.uniform(2, 8)
        while True:
            rate = -Q[s, s]
            w = rng.exponential(1 / rate)
            if t + w >= cens:
                rows.append((i, t, cens, states[s], "censored"))
                break
            nxt = rng.choice(3, p=np.clip(Q[s], 0, None) / rate)
            rows.append((i, t, t + w, states[s], states[nxt]))
            t, s = t + w, nxt
            if s == 2:
                break
    d = pd.DataFrame(rows, columns=["id", "t0", "t1", "s", "s_next"])
    res = journey(d, "id", "t0", "t1", "s", "s_next")
    for t in (0.5, 1.0, 2.0, 4.0):
        np.testing.assert_allclose(res.at([t]).iloc[0].to_numpy(), expm(Q * t)[0], atol=0.03)


def test_bad_journeys(spells):
    with pytest.raises(InputError, match="not allowed by the declared stage graph"):
        journey(spells, "customer", "start", "stop", "from", "to", transitions=GRAPH[:-1])
    broken = spells.copy()
    broken.loc[2, "start"] = broken.loc[2, "start"] + 0.5      # a gap between two stays
    with pytest.raises(InputError, match="do not start when the previous stay stops"):
        journey(broken, "customer", "start", "stop", "from", "to")
    jumped = spells.copy()
    jumped.loc[2, "from"] = "browse"                          # enters order, next stay says browse
    with pytest.raises(InputError, match="previous stay entered"):
        journey(jumped, "customer", "start", "stop", "from", "to")
    with pytest.raises(InputError, match="start < stop"):
        journey(spells.assign(stop=spells["start"]), "customer", "start", "stop", "from", "to")
    with pytest.raises(InputError, match="no move"):
        journey(spells.groupby("customer").head(1).assign(to="censored"), "customer", "start", "stop", "from", "to")
    res = journey(spells, "customer", "start", "stop", "from", "to")
    with pytest.raises(InputError, match="beyond follow-up"):
        res.time_in_stage(1000)
