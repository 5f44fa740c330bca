"""CUPED from per-variant sufficient statistics (issue 15): the same numbers as the raw-row path,
and clear errors for sums that cannot come from real users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import InputError


def _rows(seed=3, n=3000, k=3):
    rng = np.random.default_rng(seed)
    pre = rng.gamma(2.0, 20.0, n)
    variant = rng.choice(["control", "b", "c"][:k], n)
    y = 5 + 0.8 * pre + rng.normal(0, 15, n) + 3.0 * (variant == "b")
    return pd.DataFrame({"variant": variant, "y": y, "pre": pre})


def _stats(f):
    g = f.assign(yy=f.y ** 2, xx=f.pre ** 2, xy=f.y * f.pre).groupby("variant")
    return pd.DataFrame({"n": g.size(), "main_sum": g.y.sum(), "main_sum_squares": g.yy.sum(),
                         "covariate_sum": g.pre.sum(), "covariate_sum_squares": g.xx.sum(),
                         "main_covariate_sum_product": g.xy.sum()})


@pytest.mark.parametrize("k", [2, 3])
def test_equal_to_raw_path(k):
    f = _rows(k=k)
    st = _stats(f)
    before = st.copy()
    raw = ab.cuped(f, group="variant", value="y", covariates="pre")
    fast = ab.cuped_from_stats(st, covariate="pre")
    pd.testing.assert_frame_equal(st, before)
    a, b = raw.summary(), fast.summary()
    assert list(a.index) == list(b.index) and list(a.columns) == list(b.columns)
    cols = [c for c in a.columns if c != "control"]
    np.testing.assert_allclose(b[cols].to_numpy(float), a[cols].to_numpy(float), rtol=1e-10, atol=1e-10)
    assert (a["control"] == b["control"]).all()
    np.testing.assert_allclose(fast.arms[["n", "mean", "var", "unadjusted", "var_raw"]].to_numpy(float),
                               raw.arms[["n", "mean", "var", "unadjusted", "var_raw"]].to_numpy(float),
                               rtol=1e-10, atol=1e-10)
    assert fast.theta.iloc[0] == pytest.approx(raw.theta.iloc[0], rel=1e-10)
    assert fast.variance_reduction.min() > 0.5
    assert fast.decide().action == raw.decide().action
    assert "sufficient statistics" in fast.methods_text()


def test_group_column_and_control():
    st = _stats(_rows()).rename_axis("arm").reset_index()
    r = ab.cuped_from_stats(st, group="arm", control="b")
    assert r.control == "b" and set(r.summary().index) == {"control", "c"}


@pytest.mark.parametrize("col,value,match", [("n", -5, "whole number of at least 2"),
                                             ("n", 1, "whole number of at least 2"),
                                             ("n", 10.5, "whole number"),
                                             ("main_sum_squares", 0.0, "negative variance of the metric"),
                                             ("covariate_sum_squares", 1.0, "negative variance of the covariate"),
                                             ("main_covariate_sum_product", 1e12, "correlation beyond"),
                                             ("main_sum", np.nan, "missing or infinite"),
                                             ("covariate_sum", np.inf, "missing or infinite")])
def test_bad_stats(col, value, match):
    st = _stats(_rows()).astype(float)
    st.loc["b", col] = value
    before = st.copy()
    with pytest.raises(InputError, match=match):
        ab.cuped_from_stats(st)
    pd.testing.assert_frame_equal(st, before)


def test_bad_shapes():
    st = _stats(_rows())
    with pytest.raises(InputError, match="covariate_sum"):
        ab.cuped_from_stats(st.drop(columns="covariate_sum"))
    with pytest.raises(InputError):
        ab.cuped_from_stats(st.iloc[:1])
    with pytest.raises(InputError, match="more than one row"):
        ab.cuped_from_stats(pd.concat([st, st.iloc[:1]]))
    with pytest.raises(InputError):
        ab.cuped_from_stats(st.to_dict())
    with pytest.raises(InputError):
        ab.cuped_from_stats(st, level=1.5)


def test_constant_covariate_flags():
    f = _rows().assign(pre=7.0)
    with pytest.warns(Warning):
        r = ab.cuped_from_stats(_stats(f))
    assert r.warnings and r.variance_reduction.abs().max() < 1e-9
