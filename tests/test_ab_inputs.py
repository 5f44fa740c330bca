"""Bad input to cxmodels.ab raises InputError (a ValueError) naming the variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import InputError


@pytest.mark.parametrize("call, match", [
    (lambda: ab.compare_proportions({"ctrl": 50, "new": 120}, {"ctrl": 100, "new": 100}), r"'new'.*more successes"),
    (lambda: ab.compare_proportions({"ctrl": -1, "new": 12}, {"ctrl": 100, "new": 100}), r"'ctrl'.*negative"),
    (lambda: ab.compare_proportions({"ctrl": 0, "new": 0}, {"ctrl": 100, "new": 0}), r"'new' has no data"),
    (lambda: ab.compare_proportions([1, 2, 3], [10, 10]), r"3 variants.*has 2"),
    (lambda: ab.compare_proportions({"a": 1, "b": 2}, {"a": 10, "c": 10}), r"\['b'\].*\['c'\]"),
    (lambda: ab.compare_proportions([1, 2], [10, 10], names=["x"]), r"names has 1"),
    (lambda: ab.compare_proportions({"a": np.nan, "b": 2}, {"a": 10, "b": 10}), r"'a'.*finite"),
    (lambda: ab.compare_proportions([1, 2], [10, 10], prior=(0, 1)), r"positive"),
    (lambda: ab.compare_proportions([1, 2], [10, 10], control="Z"), r"control 'Z'"),
    (lambda: ab.compare_counts({"a": [1, 2], "b": [3, -1]}), r"'b' has 1 negative"),
    (lambda: ab.compare_counts({"a": [1, 2], "b": []}), r"'b' has no data"),
    (lambda: ab.compare_counts(totals={"a": 3, "b": 4}, exposure={"a": 10, "b": 0}), r"'b' has no data"),
    (lambda: ab.compare_means({"a": [1.0, 2.0, 3.0], "b": [1.0]}), r"'b' has 1 observation"),
    (lambda: ab.compare_means({"a": [1.0, 2.0], "b": [np.inf, 1.0, 2.0]}), r"'b'.*infinite"),
    (lambda: ab.compare_means(stats={"a": (10, 1.0, 1.0), "b": (10, 1.0, -2.0)}), r"sd of variant 'b'.*negative"),
    (lambda: ab.compare_means({"a": [1.0, 1.0], "b": [1.0, 2.0]}), r"'a' has zero variance"),
    (lambda: ab.compare_revenue({"a": [0, 5.0, 7.0], "b": [0, -3.0, 4.0, 5.0]}), r"'b' has 1 negative"),
    (lambda: ab.compare_revenue({"a": [0, 5.0, 7.0], "b": [0, 0, 4.0]}), r"'b' has 1 positive"),
    (lambda: ab.compare_nps(counts={"a": [10, 20, 30], "b": [5, -2, 9]}), r"'b' has negative"),
    (lambda: ab.compare_nps(counts={"a": [10, 20, 30], "b": [0, 0, 0]}), r"'b' has no responses"),
    (lambda: ab.compare_nps(counts={"a": [10, 20, 30], "b": [1, 2, 3, 4]}), r"'b' have 4 entries.*scores="),
    (lambda: ab.compare_nps({"a": [10, 20, 30], "b": [5, 2, 9]}), r"must be a DataFrame.*counts="),
    (lambda: ab.compare_nps(counts={"a": [1, 2, 3]}, scores={"a": [9]}), r"exactly one of"),
    (lambda: ab.compare_nps(counts={"a": [10, 20, 30]}), r"at least two"),
    (lambda: ab.compare_proportions([5], [20]), r"at least two"),
    (lambda: ab.compare_means({"a": [1.0, 2.0, 3.0]}), r"at least two"),
    (lambda: ab.compare_counts({"a": [1, 2]}), r"at least two"),
    (lambda: ab.compare_nps(scores={"a": [9, 10, 3, 7], "b": [11, 4, 5]}), r"'b' has 1 NPS scores outside"),
    (lambda: ab.compare_nps(scores={"a": [9, 10], "b": []}), r"'b' has no scores"),
    (lambda: ab.compare_ratings(scores={"a": [1, 2, 5], "b": [0, 3, 3]}), r"'b' has 1 ratings outside"),
    (lambda: ab.compare_ratings(counts={"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, -5]}), r"'b' has negative"),
    (lambda: ab.compare_ratings(counts={"a": [1, 2, 3, 4, 5], "b": [1, 2, 3]}), r"'b' have 3 entries"),
    (lambda: ab.srm_check({"a": 100, "b": -4}), r"'b'.*negative"),
])
def test_bad_input_names_the_variant(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        ab.compare_proportions([5, 1], [2, 2])


def test_caller_data_is_not_modified():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"v": ["a"] * 100 + ["b"] * 100,
                       "x": np.round(rng.lognormal(3, 1, 200) * (rng.random(200) < 0.4), 2)})
    before = df.copy()
    succ = {"a": 3, "b": 4}
    ab.compare_revenue(df, group="v", value="x", seed=1).lift
    ab.compare_means(df, group="v", value="x", seed=1).lift
    ab.compare_proportions(succ, {"a": 10, "b": 10})
    pd.testing.assert_frame_equal(df, before)
    assert succ == {"a": 3, "b": 4}


def test_revenue_with_few_buyers_warns():
    from cxmodels.errors import CXModelsWarning

    with pytest.warns(CXModelsWarning, match="fewer than 20 positive"):
        r = ab.compare_revenue({"a": [0, 5.0, 7.0, 0], "b": [0, 3.0, 4.0, 5.0]}, seed=1)
    assert r.warnings and "heavy-tailed" in r.warnings[0]
    assert r.admissible  # a caveat on the means, not an improper fit
