"""BG/BB (Fader, Hardie & Shang 2010): the published donation-data estimates, parity with
lifetimes' BetaGeoBetaBinomFitter (fixtures from tests/fixtures/churn_bgbb/make_fixtures.py),
the closed forms against brute-force sums, and degenerate data flagged."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.churn import BGBBResult, fit_bgbb
from cxmodels.datasets.donations import load_donations
from cxmodels.errors import ImproperSolutionWarning, InputError
from cxmodels.provenance import Provenance

HERE = FIXTURES / "churn_bgbb"


@pytest.fixture(scope="module")
def donations():
    return fit_bgbb(load_donations(), weights="weights")


def test_published_donation_estimates(donations):
    # FHS (2010), Table 2 / section 4: 11,104 donors of the 1995 cohort, 6 opportunities
    data = load_donations()
    assert data["weights"].sum() == 11104 and set(data["n_periods"]) == {6}
    p = donations.params
    assert list(p.index) == ["alpha", "beta", "gamma", "delta"]
    np.testing.assert_allclose(p.round(3).to_numpy(), [1.204, 0.750, 0.657, 2.783], atol=1e-12)
    assert round(donations.log_likelihood, 1) == -33225.6
    assert donations.converged and donations.admissible and donations.warnings == []


@pytest.mark.parametrize("stem", ["donations", "synthetic"])
def test_lifetimes_parity(stem):
    data = load_donations() if stem == "donations" else pd.read_csv(HERE / "synthetic.csv")
    ref = pd.read_csv(HERE / f"{stem}_lifetimes.csv")
    par = pd.read_csv(HERE / f"{stem}_lifetimes_params.csv").set_index("name")["value"]
    res = fit_bgbb(data, weights="weights")
    np.testing.assert_allclose(res.params.to_numpy(), par[["alpha", "beta", "gamma", "delta"]].to_numpy(), rtol=2e-4)
    assert res.log_likelihood == pytest.approx(par["loglik"], abs=1e-3)
    np.testing.assert_allclose(res.p_alive(ref), ref["p_alive"], rtol=5e-4)
    np.testing.assert_allclose(res.expected_transactions(ref, 1), ref["expected_1"], rtol=5e-4)
    np.testing.assert_allclose(res.expected_transactions(ref, 10), ref["expected_10"], rtol=5e-4)


def test_frequency_table_matches_lifetimes(donations):
    ref = pd.read_csv(HERE / "donations_lifetimes_frequency.csv")
    t = donations.frequency_table()
    np.testing.assert_allclose(t["expected"].to_numpy(), ref["model"].to_numpy(), rtol=5e-4)
    assert t["observed"].sum() == 11104 and t["expected"].sum() == pytest.approx(11104, rel=1e-9)


def test_dert_and_expected_frequency_equal_their_sums(donations):
    h = load_donations().iloc[[0, 5, 12, 21]]
    d = 0.1
    inc = np.diff(np.column_stack([np.zeros(len(h))] + [donations.expected_transactions(h, k) for k in range(1, 400)]))
    brute = (inc / (1 + d) ** np.arange(1, 400)).sum(axis=1)
    np.testing.assert_allclose(donations.dert(h, d), brute, rtol=1e-8)
    # E[X(n)] is the mean of P(X(n) = x)
    t = donations.frequency_table()
    assert donations.expected_frequency(6) == pytest.approx(float((t.index * t["expected"]).sum() / 11104), rel=1e-9)
    # more history with the same recency means less likely alive (the sorting of the BG/BB)
    q = pd.DataFrame({"frequency": [3, 3], "recency": [3, 3], "n_periods": [4, 6]})
    pa = donations.p_alive(q)
    assert pa[0] > pa[1]


def test_result_contract(donations):
    s = donations.summary()
    assert list(s.columns) == ["est", "se", "ci_lower", "ci_upper"]
    assert (s["se"] > 0).all() and (s["ci_lower"] < s["est"]).all() and (s["est"] < s["ci_upper"]).all()
    assert isinstance(donations.provenance, Provenance) and donations.provenance.method == "churn.fit_bgbb"
    assert isinstance(donations, BGBBResult)
    text = donations.methods_text()
    assert all(r.cite in text for r in donations.references) and "11,104" in text
    ax = donations.plot()
    assert ax.get_xlabel() == "repeat transactions"
    matplotlib.pyplot.close("all")


def test_input_untouched_and_custom_names():
    data = load_donations().rename(columns={"frequency": "f", "recency": "r", "n_periods": "n", "weights": "w"})
    before = data.copy()
    res = fit_bgbb(data, frequency="f", recency="r", n_periods="n", weights="w")
    pd.testing.assert_frame_equal(data, before)
    assert res.p_alive(data).shape == (22,)
    # one row per donor gives the same fit as the weighted histories
    long = data.loc[data.index.repeat(data["w"])].drop(columns="w")
    assert fit_bgbb(long, frequency="f", recency="r", n_periods="n").params.to_numpy() == \
        pytest.approx(res.params.to_numpy(), rel=1e-6)


@pytest.mark.parametrize("row, match", [
    ({"frequency": 3, "recency": 2, "n_periods": 6}, "below"),
    ({"frequency": 0, "recency": 2, "n_periods": 6}, "must be 0"),
    ({"frequency": 7, "recency": 7, "n_periods": 6}, "exceeds"),
    ({"frequency": 1.5, "recency": 2, "n_periods": 6}, "whole numbers"),
    ({"frequency": -1, "recency": 0, "n_periods": 6}, "whole numbers"),
    ({"frequency": 0, "recency": 0, "n_periods": 0}, ">= 1"),
])
def test_inconsistent_histories_are_refused(row, match):
    data = pd.concat([load_donations().drop(columns="weights"), pd.DataFrame([row])], ignore_index=True)
    with pytest.raises(InputError, match=match):
        fit_bgbb(data)


def test_missing_column_and_bad_arguments():
    with pytest.raises(InputError, match="n_periods"):
        fit_bgbb(load_donations().drop(columns="n_periods"))
    res = fit_bgbb(load_donations(), weights="weights")
    with pytest.raises(InputError, match="discount_rate"):
        res.dert(discount_rate=-1)
    with pytest.raises(InputError, match="periods"):
        res.expected_transactions(periods=0)
    with pytest.raises(InputError, match="initial"):
        fit_bgbb(load_donations(), weights="weights", initial=[1, 1, 1])


def test_no_repeat_transactions_is_flagged():
    data = pd.DataFrame({"frequency": [0] * 50, "recency": [0] * 50, "n_periods": [5] * 50})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = fit_bgbb(data)
    assert not res.admissible
    assert any(issubclass(x.category, ImproperSolutionWarning) for x in w)
    assert "not identified" in res.warnings[0]
