"""CDNOW parity: the calibration summary Fader, Hardie & Lee (2005) used, their published
estimates, and lifetimes' predictions at the same parameters (tests/fixtures/clv/)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cxmodels import clv
from cxmodels.datasets import load_cdnow_master
from cxmodels.datasets.transactions import load_cdnow

FIX = __import__("pathlib").Path(__file__).parent / "fixtures" / "clv"
REF = json.loads((FIX / "lifetimes_cdnow.json").read_text())
LT = pd.read_csv(FIX / "lifetimes_cdnow.csv", index_col="customer")


@pytest.fixture(scope="module")
def summary():
    return clv.rfm_summary(load_cdnow(), "sample_id", "date", "dollar_value",
                           observation_end="1998-06-30", calibration_end="1997-09-30")


@pytest.fixture(scope="module")
def cal(summary):
    return summary  # the calibration columns carry the standard names; fits read the frame as it is


@pytest.fixture(scope="module")
def fits(cal):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {"bg": clv.fit_bgnbd(cal), "pn": clv.fit_pareto_nbd(cal), "gg": clv.fit_gamma_gamma(cal)}


def test_bundled_sample_is_the_master_log_restricted_to_the_sample():
    tx = load_cdnow()
    assert tx.shape == (6919, 5) and tx["customer_id"].nunique() == 2357
    assert sorted(tx["sample_id"].unique()) == list(range(1, 2358))
    m = load_cdnow_master()
    m = m[m["customer_id"].isin(tx["customer_id"])].reset_index(drop=True)
    assert len(m) == len(tx)
    np.testing.assert_array_equal(m["customer_id"], tx["customer_id"])
    np.testing.assert_array_equal(m["date"], tx["date"])
    np.testing.assert_array_equal(m["number_of_cds"], tx["number_of_cds"])
    np.testing.assert_allclose(m["dollar_value"], tx["dollar_value"])


def test_master_log_is_the_q1_1997_cohort_through_june_1998():
    m = load_cdnow_master()
    assert m.shape == (69659, 4) and list(m.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert m["customer_id"].nunique() == 23570 and m["customer_id"].between(1, 23570).all()
    first = m.groupby("customer_id")["date"].min()
    assert first.min() == pd.Timestamp("1997-01-01") and first.max() <= pd.Timestamp("1997-03-31")
    assert m["date"].max() == pd.Timestamp("1998-06-30")
    # cdnow_sample.csv is the 1/10 sample of this cohort (2,357 of 23,570 customers)
    assert load_cdnow()["customer_id"].nunique() * 10 == m["customer_id"].nunique()


def test_calibration_summary_matches_fader_hardie_lee(summary):
    # FHL's published summary (2 decimals) and lifetimes' summary of the same log
    assert len(summary) == 2357
    assert summary["frequency"].sum() == 2457 and summary["holdout_frequency"].sum() == 1882
    assert (summary["frequency"] > 0).sum() == 946
    # cxmodels' column -> lifetimes' column
    for col, lt_col in (("frequency", "frequency_cal"), ("recency", "recency_cal"), ("T", "T_cal"),
                        ("monetary_value", "monetary_value_cal"), ("holdout_frequency", "frequency_holdout"),
                        ("holdout_duration", "duration_holdout")):
        np.testing.assert_allclose(summary[col], LT.loc[summary.index, lt_col], atol=1e-9, err_msg=col)
    # lifetimes averages holdout spend over raw rows although it counts purchase days; cxmodels
    # averages daily totals in both periods.  They agree wherever no two holdout purchases share a day.
    tx = load_cdnow()
    hold = tx[tx["date"] > "1997-09-30"]
    one_a_day = hold.groupby("sample_id")["date"].agg(lambda d: d.is_unique)
    same = one_a_day.index[one_a_day]
    np.testing.assert_allclose(summary.loc[same, "holdout_value"], LT.loc[same, "monetary_value_holdout"], atol=1e-9)
    assert summary.loc[51, "holdout_value"] == pytest.approx(114.79)  # two purchases on one day
    assert summary["T"].max() == pytest.approx(272 / 7)  # 1997-01-01 to 1997-09-30


def test_bgnbd_reproduces_published_estimates(fits):
    p = fits["bg"].params
    np.testing.assert_allclose(p[["r", "alpha", "a", "b"]], [0.243, 4.414, 0.793, 2.426], atol=6e-4)
    assert fits["bg"].loglik == pytest.approx(-9582.4, abs=0.05)
    lt = REF["fits"]["bg"]
    np.testing.assert_allclose(p, [lt["params"][k] for k in p.index], rtol=1e-4)
    np.testing.assert_allclose(fits["bg"].summary()["se"], [lt["se"][k] for k in p.index], rtol=2e-3)


def test_paretonbd_reproduces_published_estimates(fits):
    p = fits["pn"].params
    np.testing.assert_allclose(p[["r", "alpha", "s", "beta"]], [0.553, 10.578, 0.606, 11.669], atol=6e-4)
    assert fits["pn"].loglik == pytest.approx(-9595.0, abs=0.05)
    lt = REF["fits"]["pn"]  # lifetimes' Nelder-Mead stops within ~1e-5 of the optimum
    np.testing.assert_allclose(p, [lt["params"][k] for k in p.index], rtol=2e-4)
    assert np.all(np.isfinite(fits["pn"].summary()["se"]))


def test_gammagamma_reproduces_published_estimates(fits):
    p = fits["gg"].params
    np.testing.assert_allclose(p[["p", "q", "v"]], [6.25, 3.74, 15.44], atol=6e-3)
    lt = REF["fits"]["gg"]
    np.testing.assert_allclose(p, [lt["params"][k] for k in p.index], rtol=1e-4)
    np.testing.assert_allclose(fits["gg"].summary()["se"], [lt["se"][k] for k in p.index], rtol=2e-3)


def test_modified_bgnbd_matches_lifetimes_fit(cal):
    m = clv.fit_mbgnbd(cal)
    lt = REF["fits"]["mbg"]
    np.testing.assert_allclose(m.params, [lt["params"][k] for k in m.params.index], rtol=1e-3)


@pytest.mark.parametrize("name,cls", [("bg", clv.BGNBDResult), ("pn", clv.ParetoNBDResult), ("mbg", clv.MBGNBDResult)])
def test_conditional_predictions_match_lifetimes(cal, name, cls):
    model = cls.from_params(**REF["params"][name])
    t = REF["t_future"]
    np.testing.assert_allclose(model.expected_purchases(t, cal), LT[f"{name}_expected_purchases"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.p_alive(cal), LT[f"{name}_p_alive"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.expected_purchases(REF["grid"]), REF["unconditional"][name], rtol=1e-9)


def test_probability_of_n_purchases_matches_lifetimes():
    bg = clv.BGNBDResult.from_params(**REF["params"]["bg"])
    for n, vals in REF["bg_prob_n"].items():
        np.testing.assert_allclose(bg.probability_of_n_purchases(REF["grid"], int(n)), vals, rtol=1e-9, atol=1e-14)
    # a distribution: sums to one over n
    assert bg.probability_of_n_purchases(39.0, np.arange(2000)).sum() == pytest.approx(1.0, abs=1e-6)


def test_spend_and_clv_match_lifetimes(cal):
    gg = clv.GammaGammaResult.from_params(**REF["params"]["gg"])
    np.testing.assert_allclose(gg.expected_spend(cal), LT["gg_expected_spend"], rtol=1e-10)
    for name, cls in (("bg", clv.BGNBDResult), ("pn", clv.ParetoNBDResult)):
        pm = cls.from_params(**REF["params"][name])
        out = clv.customer_lifetime_value(cal, pm, gg, horizon=12 * 4.345, period=4.345, discount_rate=0.01)
        np.testing.assert_allclose(out["clv"], LT[f"clv_{name}_gg"], rtol=1e-9)


def test_clv_intervals_bracket_the_estimate(fits, cal):
    out = clv.customer_lifetime_value(cal.iloc[:300], fits["bg"], fits["gg"], horizon=52, period=52 / 12,
                                      discount_rate=0.01, level=0.9, draws=100, seed=7)
    assert (out["clv_lower"] <= out["clv"] * 1.0001).all() and (out["clv"] <= out["clv_upper"] * 1.0001).all()
    again = clv.customer_lifetime_value(cal.iloc[:300], fits["bg"], fits["gg"], horizon=52, period=52 / 12,
                                        discount_rate=0.01, level=0.9, draws=100, seed=7)
    pd.testing.assert_frame_equal(out, again)
