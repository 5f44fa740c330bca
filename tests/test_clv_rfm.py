"""rfm_summary, rfm_segments and the CLV input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import clv
from cxmodels.errors import InputError


@pytest.fixture
def log():
    return pd.DataFrame({
        "cust": ["a", "a", "a", "a", "b", "c", "c"],
        "when": ["2024-01-01", "2024-01-01 15:00", "2024-01-15", "2024-02-12", "2024-01-08", "2024-01-29", "2024-03-25"],
        "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0, 9.0],
    })


def test_summary_counts_days_and_uses_time_unit(log):
    before = log.copy()
    s = clv.rfm_summary(log, "cust", "when", "amount", observation_end="2024-03-25")
    pd.testing.assert_frame_equal(log, before)  # the caller's frame is untouched
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    a = s.loc["a"]
    assert a["frequency"] == 2  # same-day purchases count once
    assert a["recency"] == pytest.approx(6.0) and a["T"] == pytest.approx(12.0)
    assert a["monetary_value"] == pytest.approx(30.0)  # mean of the repeat days, first day excluded
    assert s.loc["b", "frequency"] == 0 and s.loc["b", "monetary_value"] == 0
    days = clv.rfm_summary(log, "cust", "when", observation_end="2024-03-25", time_unit="D")
    assert days.loc["a", "T"] == 84 and "monetary_value" not in days
    assert s.attrs["time_unit"] == "W"


def test_calibration_holdout_split(log):
    s = clv.rfm_summary(log, "cust", "when", "amount", observation_end="2024-03-31", calibration_end="2024-02-01")
    assert list(s.index) == ["a", "b", "c"]
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value", *clv.HOLDOUT_COLUMNS]
    assert s.loc["a", "frequency"] == 1 and s.loc["a", "holdout_frequency"] == 1
    assert s.loc["a", "holdout_value"] == 40
    assert s.loc["c", "frequency"] == 0 and s.loc["c", "holdout_frequency"] == 1
    assert s["holdout_duration"].iloc[0] == pytest.approx(59 / 7)
    # every consumer reads the split frame as it is: fits, predictions, CLV, segments
    rfm_only = s[["frequency", "recency", "T", "monetary_value"]]
    bg = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    pd.testing.assert_series_equal(bg.p_alive(s), bg.p_alive(rfm_only))
    pd.testing.assert_frame_equal(clv.rfm_segments(s)[["segment"]], clv.rfm_segments(rfm_only)[["segment"]])
    late = clv.rfm_summary(log, "cust", "when", observation_end="2024-03-31", calibration_end="2024-01-10")
    assert "c" not in late.index  # first purchase after calibration_end


def test_integer_dates_like_cdnow():
    tx = pd.DataFrame({"id": [1, 1, 2], "date": [19970101, 19970118, 19970112]})
    with pytest.raises(InputError, match=r"numbers.*date_format"):
        clv.rfm_summary(tx, "id", "date", observation_end="1997-09-30")
    s = clv.rfm_summary(tx, "id", "date", observation_end=19970930, date_format="%Y%m%d")
    assert s.loc[1, "T"] == pytest.approx(272 / 7) and s.loc[1, "recency"] == pytest.approx(17 / 7)


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d.assign(amount=d["amount"].where(d.index != 4, -1.0)), r"'amount'.*negative.*customers b"),
    (lambda d: d.assign(when=d["when"].where(d.index != 5, "not a date")), r"'when'.*not dates"),
    (lambda d: d.assign(when=d["when"].where(d.index != 5, "05/01/2024")), r"'when'.*'05/01/2024'.*date_format"),
    (lambda d: d.assign(cust=d["cust"].where(d.index != 0, None)), r"'cust'.*missing"),
    (lambda d: d.assign(amount=d["amount"].astype(str)), r"'amount'.*numeric"),
])
def test_bad_transactions_are_named(log, mutate, match):
    with pytest.raises(InputError, match=match):
        clv.rfm_summary(mutate(log), "cust", "when", "amount")


def test_dates_after_observation_end_name_customers(log):
    with pytest.raises(ValueError, match=r"'when'.*after observation_end 2024-02-01.*customers a, c"):
        clv.rfm_summary(log, "cust", "when", observation_end="2024-02-01")
    with pytest.raises(InputError, match=r"lacks column\(s\) \[.customer.\]"):
        clv.rfm_summary(log, "customer", "when")
    with pytest.raises(InputError, match="time_unit"):
        clv.rfm_summary(log, "cust", "when", time_unit="fortnight")


@pytest.mark.parametrize("edit,match", [
    (dict(recency=[5.0, 12.0, 0.0]), r"'recency'.*exceeds.*'T'.*customers y"),
    (dict(frequency=[2.0, -1.0, 0.0]), r"'frequency'.*negative.*customers y"),
    (dict(frequency=[2.0, 1.5, 0.0]), r"'frequency'.*whole numbers.*customers y"),
    (dict(recency=[5.0, 3.0, 1.0]), r"recency must be 0.*customers z"),
    (dict(T=[10.0, np.nan, 4.0]), r"'T'.*missing.*customers y"),
])
def test_bad_summaries_are_named(edit, match):
    rfm = pd.DataFrame({"frequency": [2.0, 1.0, 0.0], "recency": [5.0, 3.0, 0.0], "T": [10.0, 8.0, 4.0]},
                       index=["x", "y", "z"])
    bad = rfm.assign(**edit)
    with pytest.raises(InputError, match=match):
        clv.BGNBDResult.from_params(r=1, alpha=1, a=1, b=1).p_alive(bad)
    with pytest.raises(InputError, match=match):
        clv.fit_pareto_nbd(bad)


def test_duplicate_customers_and_missing_columns():
    rfm = pd.DataFrame({"frequency": [2.0, 1.0], "recency": [5.0, 3.0], "T": [10.0, 8.0]}, index=["x", "x"])
    with pytest.raises(InputError, match="duplicate customers.*x"):
        clv.fit_bgnbd(rfm)
    with pytest.raises(InputError, match=r"lacks column\(s\) \['monetary_value'\]"):
        clv.fit_gamma_gamma(rfm.reset_index(drop=True))
    spend = pd.DataFrame({"frequency": [2.0, 1.0], "monetary_value": [0.0, 3.0]}, index=["p", "q"])
    with pytest.raises(InputError, match=r"'monetary_value'.*positive.*customers p"):
        clv.fit_gamma_gamma(spend)


def test_rfm_segments_scores_and_names():
    from cxmodels.datasets.transactions import load_cdnow
    tx = load_cdnow()
    s = clv.rfm_summary(tx[tx["date"] <= "1997-09-30"], "sample_id", "date", "dollar_value",
                        observation_end="1997-09-30")
    before = s.copy()
    seg = clv.rfm_segments(s)
    pd.testing.assert_frame_equal(s, before)
    for c in ("r_score", "f_score", "m_score"):
        assert seg[c].between(1, 5).all()
    assert set(seg["segment"]) <= {name for name, _ in clv.SEGMENTS}
    # tied values share a score; more recent buyers never score lower
    assert seg.groupby("frequency")["f_score"].nunique().max() == 1
    order = seg.sort_values("days_since_last")
    assert order["r_score"].is_monotonic_decreasing
    champs = seg[seg["segment"] == "Champions"]
    assert len(champs) > 0 and (champs["r_score"] == 5).all() and (champs["f_score"] >= 4).all()
    assert seg.loc[seg["frequency"] == 0, "segment"].isin(["New Customers", "Promising", "About to Sleep",
                                                          "Hibernating", "Potential Loyalists", "Need Attention"]).all()
