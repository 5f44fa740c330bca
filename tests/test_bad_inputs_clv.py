"""Bad inputs across the CLV domain (issue 11): only cxmodels' errors and warnings come out,
no input is modified, and the named cases get their specific message or flag."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from badinput import assert_clean, variants  # noqa: E402
from cxmodels import clv  # noqa: E402
from cxmodels.datasets.transactions import load_cdnow  # noqa: E402
from cxmodels.errors import CXModelsError, ImproperSolutionWarning, InputError  # noqa: E402

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra (installed by the test extra) is not installed")


@pytest.fixture(scope="module")
def log():
    tx = load_cdnow()
    return tx[tx["sample_id"] <= 150][["sample_id", "date", "dollar_value"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def summary(log):
    return clv.rfm_summary(log, "sample_id", "date", "dollar_value", observation_end="1998-06-30",
                           calibration_end="1997-09-30")


BG = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
PN = clv.ParetoNBDResult.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
GG = clv.GammaGammaResult.from_params(p=6.25, q=3.74, v=15.44)


def test_rfm_summary_sweep(log, tmp_path):
    for name, bad in variants(log, ["sample_id", "date", "dollar_value"]):
        assert_clean(clv.rfm_summary, bad, "sample_id", "date", "dollar_value")
        if name in ("duplicated_index", "non_unique_columns", "empty"):
            continue
        f = tmp_path / "bad.csv"
        bad.to_csv(f, index=False)
        assert_clean(clv.rfm_summary, str(f), "sample_id", "date", "dollar_value")


@pytest.mark.parametrize("fit", [clv.fit_bgnbd, clv.fit_mbgnbd, clv.fit_pareto_nbd, clv.fit_gamma_gamma])
def test_fit_sweep(summary, fit):
    for name, bad in variants(summary, ["frequency", "recency", "T", "monetary_value"]):
        out = assert_clean(fit, bad)
        if not isinstance(out, CXModelsError):
            assert isinstance(out.admissible, bool) and out.provenance is not None, name
    for kw in ({"level": 1.5}, {"weights": ["a"] * len(summary)}, {"initial": [-1, 1, 1, 1]}, {"penalizer": -1},
               {"maxiter": 0}, {"weights": np.ones(3)}):
        assert isinstance(assert_clean(fit, summary, **kw), InputError), kw


def test_prediction_and_value_sweep(summary):
    cols = ["frequency", "recency", "T", "monetary_value"]
    for name, bad in variants(summary, cols):
        for model in (BG, PN):
            assert_clean(model.p_alive, bad)
            assert_clean(model.expected_purchases, 10.0, bad)
        assert_clean(GG.expected_spend, bad)
        # (results are passed inside a closure: assert_clean compares arguments, and results have no ==)
        assert_clean(lambda d: clv.customer_lifetime_value(d, BG, GG, horizon=52, discount_rate=0.01), bad)
        assert_clean(clv.simple_clv, bad, retention_rate=0.6)
        assert_clean(clv.rfm_segments, bad)
    for kw in ({"horizon": -1}, {"horizon": "52"}, {"discount_rate": -2}, {"level": 0}, {"draws": -1},
               {"draws": 10, "seed": "x"}):
        args = {"horizon": 52, "discount_rate": 0.01, **kw}
        assert isinstance(assert_clean(lambda d: clv.customer_lifetime_value(d, BG, GG, **args), summary),
                          InputError), kw
    assert isinstance(assert_clean(lambda d: clv.customer_lifetime_value(d, GG, BG, horizon=1, discount_rate=0),
                                   summary), InputError)
    assert isinstance(assert_clean(BG.expected_purchases, "soon", summary), InputError)
    assert isinstance(assert_clean(BG.probability_of_n_purchases, 10.0, "two"), InputError)
    assert isinstance(assert_clean(clv.BGNBDResult.from_params, r=1, alpha=1, a=1), InputError)
    assert isinstance(assert_clean(clv.customer_equity, pd.DataFrame({"x": [1.0]})), InputError)


def test_plot_sweep(log, summary):
    for name, bad in variants(log, ["sample_id", "date"]):
        assert_clean(lambda d: clv.plot.tracking(BG, d, "sample_id", "date"), bad)
    for name, bad in variants(summary, ["frequency", "holdout_frequency"]):
        assert_clean(lambda d: clv.plot.plot_calibration_holdout(BG, d), bad)
    assert isinstance(assert_clean(lambda: clv.plot.plot_frequency_recency(GG, 39.0)), InputError)
    assert isinstance(assert_clean(lambda: clv.plot.p_alive_history(BG, ["a"], 10.0)), InputError)


# --- the cases named in issue 11 ---------------------------------------------------------------

def _both(frame, tmp_path, **kw):
    """The pandas summary and the DuckDB summary of the same log written to CSV."""
    f = tmp_path / "log.csv"
    frame.to_csv(f, index=False)
    return (clv.rfm_summary(frame, "c", "d", "v", time_unit="D", **kw),
            clv.rfm_summary(str(f), "c", "d", "v", time_unit="D", **kw))


def test_ambiguous_day_month_strings_are_refused(tmp_path):
    log = pd.DataFrame({"c": [1, 1, 2], "d": ["05/01/2024", "20/01/2024", "07/01/2024"], "v": [1.0, 2.0, 3.0]})
    f = tmp_path / "log.csv"
    log.to_csv(f, index=False)
    for data in (log, str(f)):
        with pytest.raises(InputError, match=r"'d'.*'05/01/2024'.*5 January or 1 May.*date_format"):
            clv.rfm_summary(data, "c", "d", "v")
    pandas_, duck = _both(log, tmp_path, date_format="%d/%m/%Y")
    assert pandas_.loc[1, "recency"] == 15  # 5 to 20 January, not 1 May to 20 January
    pd.testing.assert_frame_equal(pandas_, duck, check_dtype=False, check_index_type=False)


def test_numbers_as_dates_need_a_format(tmp_path):
    # a float column of YYYYMMDD (what a NaN elsewhere turns an integer column into)
    log = pd.DataFrame({"c": [1, 1, 2], "d": [20240105.0, 20240120.0, 20240110.0], "v": [1.0, 2.0, 3.0]})
    f = tmp_path / "log.csv"
    log.to_csv(f, index=False)
    for data in (log, log.assign(d=log["d"].astype(int)), str(f)):
        with pytest.raises(InputError, match=r"'d' holds numbers.*nanoseconds.*date_format"):
            clv.rfm_summary(data, "c", "d", "v")
    pandas_, duck = _both(log, tmp_path, date_format="%Y%m%d")
    assert pandas_.loc[1, "recency"] == 15 and pandas_.loc[1, "T"] == 15
    pd.testing.assert_frame_equal(pandas_, duck, check_dtype=False, check_index_type=False)
    with pytest.raises(InputError, match="missing"):
        clv.rfm_summary(log.assign(d=[20240105.0, np.nan, 20240110.0]), "c", "d", "v", date_format="%Y%m%d")


def test_time_zones_one_rule_on_both_engines(tmp_path):
    # 23:30 in Berlin on 1 January is 22:30 UTC; 00:30 on 1 March in Berlin is 29 February UTC
    stamps = pd.to_datetime(["2024-01-01 23:30", "2024-03-01 00:30", "2024-01-02 12:00", "2024-06-30 23:59",
                             "2024-02-01 01:00"]).tz_localize("Europe/Berlin")
    log = pd.DataFrame({"c": [1, 1, 2, 2, 3], "d": stamps, "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    before = log.copy()
    local, duck_csv = _both(log, tmp_path)               # the CSV holds "2024-03-01 00:30:00+01:00"
    pd.testing.assert_frame_equal(log, before)
    assert local.loc[1, "recency"] == 60                  # 1 January to 1 March on the Berlin calendar
    pd.testing.assert_frame_equal(local, duck_csv, check_dtype=False, check_index_type=False)
    rel = duckdb.from_df(log)                             # TIMESTAMP WITH TIME ZONE: instants, no zone
    with pytest.raises(InputError, match="time_zone="):
        clv.rfm_summary(rel, "c", "d", "v", time_unit="D")
    berlin = clv.rfm_summary(rel, "c", "d", "v", time_unit="D", time_zone="Europe/Berlin")
    pd.testing.assert_frame_equal(local, berlin, check_dtype=False, check_index_type=False)
    utc, duck_utc = _both(log, tmp_path, time_zone="UTC")
    assert utc.loc[1, "recency"] == 59                    # 1 January to 29 February in UTC
    pd.testing.assert_frame_equal(utc, duck_utc, check_dtype=False, check_index_type=False)
    pd.testing.assert_frame_equal(utc, clv.rfm_summary(rel, "c", "d", "v", time_unit="D", time_zone="UTC"),
                                  check_dtype=False, check_index_type=False)
    # mixed zones in one object column count on each value's own clock, or on time_zone's
    mixed = log.assign(d=pd.Series([stamps[0], stamps[1].tz_convert("America/New_York"), *stamps[2:]], dtype=object))
    pd.testing.assert_frame_equal(clv.rfm_summary(mixed, "c", "d", "v", time_unit="D", time_zone="UTC"), utc)
    with pytest.raises(InputError, match="time_zone must be an IANA"):
        clv.rfm_summary(log, "c", "d", "v", time_zone="Mars/Olympus")


def test_ids_that_print_alike_are_refused():
    log = pd.DataFrame({"c": [1, "1", 2], "d": ["2024-01-01", "2024-01-05", "2024-01-03"], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"'c'.*mixes types.*\['1'\].*different customers.*rows 0, 1"):
        clv.rfm_summary(log, "c", "d", "v")
    with pytest.raises(InputError, match="mixes types"):
        clv.plot.tracking(BG, log, "c", "d")


@pytest.mark.parametrize("fit", [clv.fit_bgnbd, clv.fit_mbgnbd, clv.fit_pareto_nbd])
def test_no_repeat_buyers_flag_the_purchase_models(fit):
    none = pd.DataFrame({"frequency": 0.0, "recency": 0.0, "T": [10.0, 20.0, 30.0, 40.0]})
    with pytest.warns(ImproperSolutionWarning, match="no customer made a repeat purchase"):
        res = fit(none)
    assert not res.admissible and any("not identified" in w for w in res.warnings)


def test_gamma_gamma_degenerate_spend_is_flagged():
    base = pd.DataFrame({"frequency": [0.0, 2.0, 0.0], "recency": [0.0, 5.0, 0.0], "T": [10.0, 20.0, 30.0],
                         "monetary_value": [0.0, 7.0, 0.0]})
    with pytest.warns(ImproperSolutionWarning, match="1 repeat buyer"):
        one = clv.fit_gamma_gamma(base)
    assert not one.admissible
    same = pd.DataFrame({"frequency": [1.0, 2.0, 3.0], "recency": [1.0, 5.0, 6.0], "T": [10.0, 20.0, 30.0],
                         "monetary_value": 5.0})
    with pytest.warns(ImproperSolutionWarning, match="same mean spend"):
        flat = clv.fit_gamma_gamma(same)
    assert not flat.admissible
    with pytest.raises(InputError, match="no repeat buyers"):
        clv.fit_gamma_gamma(base.assign(frequency=0.0, recency=0.0, monetary_value=0.0))


def test_other_public_functions_refuse_bad_arguments(summary):
    for call in (lambda: clv.fit_bayes(summary, "bg/nbd"),
                 lambda: clv.fit_bayes(summary.assign(frequency=0.0, recency=0.0), "bgnbd"),
                 lambda: clv.fit_bayes(summary, "bgnbd", draws=0),
                 lambda: clv.fit_bayes(summary, "bgnbd", priors={"zeta": (0, 1)}),
                 lambda: clv.fit_bayes(summary, "bgnbd", priors={"r": (0, -1)}),
                 lambda: clv.fit_bayes(summary, "bgnbd", level=95),
                 lambda: clv.contractual_clv({"alpha": 1.0}, margin=1.0, discount_rate=0.1),
                 lambda: clv.discounted_expected_lifetime({"alpha": 1.0, "beta": "x"}, 0.1),
                 lambda: clv.discounted_expected_residual_lifetime({"alpha": 1.0, "beta": 2.0}, 0.1, ["a"]),
                 lambda: clv.discounted_expected_lifetime({"alpha": 1.0, "beta": 2.0}, "10%"),
                 lambda: clv.simulate_bgnbd(-1.0, 10),
                 lambda: clv.simulate_transactions([10.0], model="weibull"),
                 lambda: clv.rfm_summary(summary, "customer", "date"),
                 lambda: clv.rfm_summary(pd.DataFrame({"c": [1], "d": ["2024-01-01"]}), "c", "d", time_unit="fortnight")):
        assert isinstance(assert_clean(call), InputError)


def test_duckdb_missing_is_a_dependency_error(monkeypatch, tmp_path):
    import sys

    from cxmodels.errors import DependencyError

    f = tmp_path / "log.csv"
    pd.DataFrame({"c": [1], "d": ["2024-01-01"]}).to_csv(f, index=False)
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    with pytest.raises(DependencyError, match=r'cxmodels\[duckdb\]'):
        clv.rfm_summary(str(f), "c", "d")
