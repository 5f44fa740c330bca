"""Streams (issue 18): EWMA/CUSUM run lengths reproduce Montgomery's tables, the limits are the
closed forms, the stated in-control ARL matches simulation from the metric's own sampling
distribution (and an end-to-end stream), STL equals statsmodels directly, the local-level
band covers the true level, and gaps or ambiguous dates are refused."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from statsmodels.tsa.seasonal import STL  # noqa: E402

from cxmodels import metrics  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402

NPS_P = np.r_[np.full(7, 0.25 / 7), [0.15, 0.15], [0.25, 0.2]]  # NPS 20 in control


def _stream(days=150, p=NPS_P, n=(80, 250), seed=0, shift_from=None, shifted=None):
    rng = np.random.default_rng(seed)
    k = rng.integers(*n, size=days)
    dates = np.repeat(pd.date_range("2025-01-06", periods=days, freq="D"), k)
    score = rng.choice(len(p), k.sum(), p=p)
    if shift_from is not None:
        late = np.repeat(np.arange(days) >= shift_from, k)
        score[late] = rng.choice(len(shifted), late.sum(), p=shifted)
    return pd.DataFrame({"date": dates, "score": score})


# Montgomery (2013), Table 9.11 (EWMA, L and lambda for ARL0 = 500) and Table 9.3 (CUSUM, k = 0.5)
@pytest.mark.parametrize("lam, L, arl_half, arl_one", [(0.05, 2.615, 28.8, 11.4), (0.10, 2.814, 31.3, 10.3),
                                                      (0.20, 2.962, 41.8, 10.5), (0.40, 3.054, 71.2, 14.3)])
def test_ewma_arl_reproduces_montgomery(lam, L, arl_half, arl_one):
    assert metrics.arl_ewma(lam, L) == pytest.approx(500, rel=0.005)
    assert metrics.arl_ewma(lam, L, shift=0.5) == pytest.approx(arl_half, abs=0.1)
    assert metrics.arl_ewma(lam, L, shift=1.0) == pytest.approx(arl_one, abs=0.1)


@pytest.mark.parametrize("h, arl0, arl1", [(4, 168, 8.38), (5, 465, 10.4)])
def test_cusum_arl_reproduces_montgomery(h, arl0, arl1):
    assert metrics.arl_cusum(0.5, h) == pytest.approx(arl0, rel=0.005)
    assert metrics.arl_cusum(0.5, h, shift=1.0) == pytest.approx(arl1, abs=0.05)  # the table's rounding
    assert metrics.cusum_limit(0.5, metrics.arl_cusum(0.5, h)) == pytest.approx(h, abs=1e-4)


def test_ewma_limits_are_the_closed_form():
    # constant sample size: the standardized chart is the EWMA of the metric with limits
    # theta0 +- L sigma/sqrt(n) sqrt(lambda / (2 - lambda)) (Montgomery 2013, eq. 9.26 asymptotically)
    d = _stream(days=60, n=(100, 101), seed=2)
    r = metrics.control_chart(d, date="date", value="score", metric="nps", lam=0.2, arl0=370)
    t = r.summary()
    L = metrics.ewma_limit(0.2, 370)
    assert r.L == pytest.approx(L) and t["limit"].iloc[0] == pytest.approx(L * np.sqrt(0.2 / 1.8))
    e, out = r.theta0, []
    for x in t["est"]:
        e = 0.2 * x + 0.8 * e
        out.append(e)
    half = L * r.sigma0 / np.sqrt(100) * np.sqrt(0.2 / 1.8)
    assert (np.abs(np.array(out) - r.theta0) > half).tolist() == t["alarm"].tolist()
    assert t["ewma"].to_numpy() * r.sigma0 / 10 + r.theta0 == pytest.approx(out)
    # the baseline is the first half: theta0 and sigma0 are the NPS and its per-answer SD there
    base = d[d["date"] < pd.Timestamp("2025-01-06") + pd.Timedelta(days=30)]["score"]
    f = 100.0 * (base >= 9) - 100.0 * (base <= 6)
    assert r.theta0 == pytest.approx(f.mean()) and r.sigma0 == pytest.approx(f.std(ddof=0))


@pytest.mark.parametrize("chart, metric", [("ewma", "nps"), ("cusum", "nps"), ("ewma", "csat_top_box"),
                                           ("cusum", "ces_mean")])
def test_stated_arl_matches_simulation(chart, metric):
    if metric == "nps":
        d = _stream(days=80, seed=4)
    else:
        p = [0.05, 0.1, 0.15, 0.4, 0.3] if metric.startswith("csat") else [0.05, 0.05, 0.1, 0.2, 0.25, 0.2, 0.15]
        d = _stream(days=80, p=np.array(p), seed=4)
        d["score"] += 1
    r = metrics.control_chart(d, date="date", value="score", metric=metric, chart=chart, arl0=100)
    assert r.arl0 == pytest.approx(100, rel=1e-4)
    sim = r.simulate_arl(n_sim=1000, seed=1)
    assert sim["censored"] == 0
    assert abs(sim["arl"] - r.arl0) < max(3.5 * sim["se"], 0.05 * r.arl0), sim


def test_false_alarm_rate_of_an_in_control_stream():
    # end to end: a long in-control stream through control_chart itself; the CUSUM restarts
    # after each alarm, so alarms are a renewal process with mean gap ARL0 = 50
    d = _stream(days=6000, n=(40, 120), seed=9)
    r = metrics.control_chart(d, date="date", value="score", metric="nps", chart="cusum", arl0=50, baseline=6000)
    rate = r.summary()["alarm"].mean()
    assert rate == pytest.approx(1 / 50, rel=0.2)


def test_a_shift_is_found_and_decided():
    worse = np.r_[np.full(7, 0.4 / 7), [0.15, 0.15], [0.15, 0.15]]
    d = _stream(days=120, seed=5, shift_from=100, shifted=worse)
    r = metrics.control_chart(d, date="date", value="score", metric="nps", chart="cusum", baseline=90)
    dec = r.decide()
    assert dec.action == "alarm" and pd.Timestamp(dec.variant) >= pd.Timestamp("2025-01-06") + pd.Timedelta(days=100)
    assert "Page (1954)" in r.methods_text() and r.plot().get_title().startswith("CUSUM")
    calm = metrics.control_chart(_stream(days=60, seed=6), date="date", value="score", metric="nps")
    assert calm.decide().action in ("in_control", "alarm")
    assert calm.decide().criteria["arl0"] == pytest.approx(370, rel=1e-4)


def test_stl_equals_statsmodels_directly():
    rng = np.random.default_rng(3)
    frames = []
    for i, day in enumerate(pd.date_range("2025-03-03", periods=70, freq="D")):
        p = 0.7 + 0.1 * (day.dayofweek >= 5)
        k = int(rng.integers(100, 200))
        frames.append(pd.DataFrame({"date": day.strftime("%Y-%m-%d"), "sat": np.where(rng.random(k) < p, 5, 2)}))
    d = pd.concat(frames, ignore_index=True)
    r = metrics.seasonality(d, date="date", value="sat", metric="csat_top_box", period=7)
    daily = d.assign(top=d["sat"] >= 4).groupby("date")["top"].mean().to_numpy()
    ref = STL(daily, period=7, robust=True).fit()
    t = r.summary()
    assert t["est"].to_numpy() == pytest.approx(daily)
    assert t["seasonal"].to_numpy() == pytest.approx(ref.seasonal, abs=1e-12)
    assert t["trend"].to_numpy() == pytest.approx(ref.trend, abs=1e-12)
    assert r.strength > 0.5  # weekends really are better
    assert "Cleveland et al. (1990)" in r.methods_text()


@pytest.mark.parametrize("method, floor", [("bayes", 0.93), ("ml", 0.88)])
def test_local_level_band_covers_the_true_level(method, floor):
    # measured: bayes (grid posterior of the variances) 0.952, ml (plugged in) 0.930
    rng = np.random.default_rng(12)
    covered, total = 0, 0
    for rep in range(12):
        T = 80
        mu = 0.7 + np.cumsum(rng.normal(0, 0.01, T))
        k = rng.integers(50, 300, T)
        d = pd.DataFrame({"date": np.repeat(pd.date_range("2025-01-01", periods=T, freq="D"), k),
                          "sat": np.where(rng.random(k.sum()) < np.repeat(mu, k), 5, 1)})
        r = metrics.tracking_line(d, date="date", value="sat", method=method)
        t = r.summary()
        covered += int(((t["lower"] <= mu) & (mu <= t["upper"])).sum())
        total += T
        assert r.converged and (t["lower"] < t["level"]).all() and (t["level"] < t["upper"]).all()
    assert floor <= covered / total <= 0.99, covered / total


def test_bayes_line_against_ml_and_its_mixture():
    d = _stream(days=60, seed=8)
    b = metrics.tracking_line(d, date="date", value="score", metric="nps")
    m = metrics.tracking_line(d, date="date", value="score", metric="nps", method="ml")
    tb, tm = b.summary(), m.summary()
    # same data, same model: the lines agree closely; the Bayesian band is at least as wide on average
    assert np.abs(tb["level"] - tm["level"]).max() < tm["level_se"].mean()
    assert (tb["upper"] - tb["lower"]).mean() >= 0.99 * (tm["upper"] - tm["lower"]).mean()
    assert "Gelman (2006)" in b.methods_text() and "plugged in" in m.methods_text()
    with pytest.raises(InputError, match="method"):
        metrics.tracking_line(d, date="date", value="score", metric="nps", method="mcmc")


def test_gaps_and_dates_are_refused():
    d = _stream(days=20, seed=1)
    gap = d[d["date"] != pd.Timestamp("2025-01-10")]
    with pytest.raises(InputError, match=r"1 period\(s\) without answers \(2025-01-10\)"):
        metrics.control_chart(gap, date="date", value="score", metric="nps")
    with pytest.raises(InputError, match="without answers"):
        metrics.tracking_line(gap, date="date", value="score", metric="nps")
    text = d.assign(date=d["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(InputError, match="date_format"):
        metrics.control_chart(text, date="date", value="score", metric="nps")
    ok = metrics.control_chart(text, date="date", value="score", metric="nps", date_format="%d/%m/%Y")
    assert len(ok.summary()) == 20
    with pytest.raises(InputError, match="not points of the scale"):
        metrics.control_chart(d.assign(score=d["score"] + 0.5), date="date", value="score", metric="nps")
    with pytest.raises(InputError, match="time_unit"):
        metrics.control_chart(d, date="date", value="score", metric="nps", time_unit="H")
    with pytest.raises(InputError, match="missing dates"):
        metrics.control_chart(d.assign(date=d["date"].where(d.index != 3)), date="date", value="score", metric="nps")
    weekly = metrics.control_chart(d, date="date", value="score", metric="nps", time_unit="W", baseline=2)
    assert len(weekly.summary()) == 3


def test_tallies_equal_raw_answers_and_duplicate_pairs_are_refused():
    d = _stream(days=40, seed=3)
    tally = d.groupby(["date", "score"]).size().rename("n").reset_index()
    raw = metrics.control_chart(d, date="date", value="score", metric="nps", chart="cusum")
    agg = metrics.control_chart(tally, date="date", value="score", metric="nps", chart="cusum", counts="n")
    pd.testing.assert_frame_equal(raw.summary(), agg.summary())
    line = metrics.tracking_line(tally, date="date", value="score", metric="nps", counts="n")
    assert line.summary()["n"].sum() == len(d)
    twice = pd.concat([tally, tally.iloc[[5]]], ignore_index=True)
    with pytest.raises(InputError, match=r"2 rows repeat a \(date, score\) pair"):
        metrics.control_chart(twice, date="date", value="score", metric="nps", counts="n")
    with pytest.raises(InputError, match="whole, non-negative"):
        metrics.control_chart(tally.assign(n=tally["n"] - 0.5), date="date", value="score", metric="nps", counts="n")
    # a day whose tallies are all zero is a day without answers
    zero = tally.assign(n=np.where(tally["date"] == pd.Timestamp("2025-01-10"), 0, tally["n"]))
    with pytest.raises(InputError, match="without answers"):
        metrics.control_chart(zero, date="date", value="score", metric="nps", counts="n")
