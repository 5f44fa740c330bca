"""Bad inputs across cxmodels.metrics (issue 11): only cxmodels' errors and warnings come out, no
input is modified, and the named cases get their specific message (an 11-bin NPS histogram is
counts, counts [0, 0, 0] have no responses, scores and counts are never guessed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import metrics
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(1)
    n = 300
    return pd.DataFrame({"wave": np.repeat([1, 2, 3], n // 3), "nps": rng.integers(0, 11, n),
                         "csat": rng.integers(1, 6, n), "ces": rng.integers(1, 8, n),
                         "loyalty": rng.normal(size=n)})


@pytest.mark.parametrize("fn, col", [(metrics.nps, "nps"), (metrics.csat, "csat"), (metrics.ces, "ces")],
                         ids=["nps", "csat", "ces"])
def test_score_metrics_sweep(survey, fn, col):
    for name, bad in variants(survey[[col, "wave"]], [col]):
        scores = bad[col]
        out = assert_clean(fn, scores=scores)
        if name in ("empty", f"all_nan[{col}]", f"inf[{col}]", f"text_in_numbers[{col}]", "non_unique_columns"):
            assert isinstance(out, InputError), (name, out)
    for bad in ("7", None, [[1, 2], [3, 4]], [1, np.nan], [], {"a": 1}, [True, False]):
        assert_clean(fn, scores=bad)
    for kw in ({"level": 1.0}, {"level": "95%"}, {"weights": [-1] * 3}, {"weights": [1, 2]}):
        assert isinstance(assert_clean(fn, scores=[1, 2, 3], **kw), InputError), kw


def test_nps_counts_and_scores_are_never_guessed():
    # the case: an 11-bin histogram is counts, not 11 answers
    hist = [5, 0, 0, 0, 0, 0, 5, 10, 0, 20, 10]  # 10 detractors, 10 passives, 30 promoters
    r = metrics.nps(counts=hist)
    assert r.params["nps"] == pytest.approx(40.0) and r.n == 50
    with pytest.raises(TypeError):
        metrics.nps(hist)  # keyword-only: a bare list is neither
    with pytest.raises(InputError, match="exactly one"):
        metrics.nps(scores=[9, 10], counts=[1, 2, 3])
    with pytest.raises(InputError, match="no responses"):
        metrics.nps(counts=[0, 0, 0])
    with pytest.raises(InputError, match="4 entries.*scores="):
        metrics.nps(counts=[1, 2, 3, 4])
    with pytest.raises(InputError, match="non-negative"):
        metrics.nps(counts=[1, -2, 3])
    with pytest.raises(InputError, match="weights"):
        metrics.nps(counts=[1, 2, 3], weights=[1, 1, 1])
    with pytest.raises(InputError, match="no responses"):
        metrics.csat(counts=[0] * 5)
    with pytest.raises(InputError, match="3 entries"):
        metrics.csat(counts=[1, 2, 3], scale=(1, 5))
    for bad in (["a", 1, 2], [np.inf, 1, 2], [np.nan, 1, 1], "123", None):
        assert isinstance(assert_clean(metrics.nps, counts=bad), InputError), bad
    for kw in ({"scores_a": [9, 10], "scores_b": None}, {"scores_a": [9], "counts_b": [0, 0, 0]}):
        assert isinstance(assert_clean(metrics.nps_difference, **kw), InputError), kw


def test_survey_sample_size_refuses_bad_arguments():
    for args, kw in ((("nps", 0), {}), (("nps", -3), {}), (("nps", "five"), {}), (("median", 3), {}),
                     (("mean", 0.1), {"sd": -1}), (("proportion", 0.03), {"p": 2}), (("nps", 3), {"level": 95}),
                     (("nps", 3), {"promoters": 0.8, "detractors": 0.5}), (("nps", 3), {"design_effect": 0})):
        assert isinstance(assert_clean(metrics.survey_sample_size, *args, **kw), InputError), (args, kw)


def test_track_sweep(survey):
    for name, bad in variants(survey[["wave", "nps"]], ["wave", "nps"]):
        out = assert_clean(metrics.track, bad, group="wave", value="nps")
        if not isinstance(out, InputError):
            out.summary(), out.methods_text(), out.provenance, out.trend
        if name in ("empty", "one_row", "non_unique_columns", "all_nan[nps]", "inf[nps]", "all_nan[wave]"):
            assert isinstance(out, InputError), (name, out)
    for kw in ({"metric": "mean"}, {"level": 2}, {"group": "nope"}):
        args = {"group": "wave", "value": "nps", **kw}
        assert isinstance(assert_clean(metrics.track, survey, **args), InputError), kw


def test_composite_sweep(survey):
    comps = ["csat", "nps", "ces"]
    for name, bad in variants(survey[comps + ["loyalty"]], comps + ["loyalty"]):
        out = assert_clean(metrics.composite_cx, bad, comps, outcome="loyalty", n_boot=20, seed=1)
        if name in ("empty", "one_row", "non_unique_columns"):
            assert isinstance(out, InputError), (name, out)
        elif not isinstance(out, InputError):
            out.summary(), out.methods_text(), out.provenance
    for args, kw in (((comps,), {}), ((comps,), {"weights": {"csat": "x"}}), ((comps,), {"weights": {"zzz": 1}}),
                     ((comps,), {"outcome": "loyalty", "n_boot": -1}), ((comps,), {"outcome": "loyalty", "level": 0}),
                     (([],), {"weights": {}}), (("csat",), {"weights": {"csat": 1}})):
        assert isinstance(assert_clean(metrics.composite_cx, survey, *args, **kw), InputError), (args, kw)
