"""Sampling weights (weighted PLS, Becker & Ismail 2016) through the PLS extensions (issue 14):
higher-order constructs, moderation, the copula test, PLSpredict, CVPAT and MICOM/MGA.

No reference implementation has sampling weights in any of these (see tests/test_pls_weights.py),
so each is held to the properties of the weighted core fit: (a) integer weights reproduce the
procedure on the data with each row repeated that many times where the procedure is
deterministic (outer weights, and paths of rescaled interaction terms, up to the stated factor
``sqrt(n / (n - 1) * (N - 1) / N)``: standardization divides by ``n - 1``, not ``N - 1``);
(b) constant weights reproduce the unweighted procedure to 1e-10, resampling included (same
seed, same draws); (c) bad weights are refused naming the rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxmodels.errors import InputError
from cxmodels.sem.pls.hoc import fit_pls_hoc
from cxmodels.sem.pls.moderation import fit_pls_moderation

ATOL = 1e-10
HOC_MODEL = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction {op} Image + Value
Satisfaction ~ Expectation + Quality
Loyalty ~ Satisfaction
"""
MOD_MODEL = """Image =~ IMAG1 + IMAG2 + IMAG3
Expectation =~ CUEX1 + CUEX2 + CUEX3
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Image:Expectation"""
TIGHT = dict(tol=1e-14, max_iter=1000)


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def weighted_data(mobi):
    """mobi with integer weights 1-4, the same data with each row repeated that many times, and
    the sampling-weight factor of outer weights."""
    w = np.random.default_rng(11).integers(1, 5, len(mobi))
    rep = mobi.loc[mobi.index.repeat(w)].reset_index(drop=True)
    n, N = len(mobi), int(w.sum())
    return mobi.assign(w=w), rep, np.sqrt(n / (n - 1) * (N - 1) / N)


def _assert_params(a: pd.Series, b: pd.Series, scaled: pd.Series, factor: float):
    """Equal where ``scaled`` is False, ``a = b * factor`` where True, to ATOL."""
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a[~scaled], b[~scaled], rtol=0, atol=ATOL)
    np.testing.assert_allclose(a[scaled], b[scaled] * factor, rtol=0, atol=ATOL)


def _numeric(x):
    return (x.select_dtypes("number") if isinstance(x, pd.DataFrame) else x).to_numpy(float)


# --------------------------------------------------------------------------- higher-order constructs
HOC_CASES = {"disjoint_reflective": ("two_stage", "disjoint", "=~"), "embedded_formative": ("two_stage", "embedded", "<~"),
             "repeated_reflective": ("repeated_indicators", "disjoint", "=~")}


@pytest.mark.parametrize("case", list(HOC_CASES))
def test_hoc_integer_weights_equal_replicated_rows(weighted_data, case):
    data, rep, factor = weighted_data
    approach, stage, op = HOC_CASES[case]
    kw = dict(approach=approach, stage=stage, **TIGHT)
    a = _quiet(fit_pls_hoc, HOC_MODEL.format(op=op), data, sampling_weights="w", **kw)
    b = _quiet(fit_pls_hoc, HOC_MODEL.format(op=op), rep, **kw)
    outer = a.params.index.str.contains(" <~ ")
    # outer weights carry the factor; the repeated-indicators HOC weights on its LOC scores are
    # standardized regression coefficients and do not
    locs = {c for ls in a.higher.values() for c in ls}
    on_locs = a.params.index.map(lambda k: k.split(" <~ ")[-1] in locs).to_numpy(bool)
    scaled = outer & ~on_locs if approach == "repeated_indicators" else outer
    _assert_params(a.params, b.params, pd.Series(scaled, index=a.params.index), factor)
    for name in ("reliability", "htmt", "htmt_lower_order"):
        np.testing.assert_allclose(_numeric(getattr(a, name)()), _numeric(getattr(b, name)()), rtol=0, atol=ATOL,
                                   err_msg=name)
    np.testing.assert_allclose(a.r_squared()["r2"], b.r_squared()["r2"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(a.higher_order()[["loading", "vif"]], b.higher_order()[["loading", "vif"]], rtol=0,
                               atol=ATOL)
    assert a.options["sampling_weights"] == "w" and "Becker & Ismail (2016)" in a.methods_text()
    assert any(r.cite == "Becker & Ismail (2016)" for r in a.references)


def test_hoc_constant_weights_equal_unweighted_with_bootstrap(mobi):
    kw = dict(approach="two_stage", stage="disjoint")
    a = _quiet(fit_pls_hoc, HOC_MODEL.format(op="=~"), mobi.assign(w=3.0), sampling_weights="w", **kw)
    b = _quiet(fit_pls_hoc, HOC_MODEL.format(op="=~"), mobi, **kw)
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=ATOL)
    for name in ("reliability", "htmt", "htmt_lower_order", "higher_order", "r_squared"):
        np.testing.assert_allclose(_numeric(getattr(a, name)()), _numeric(getattr(b, name)()), rtol=0, atol=ATOL,
                                   err_msg=name)
    ba = _quiet(a.bootstrap, n_boot=20, seed=4, progress=False).summary()
    bb = _quiet(b.bootstrap, n_boot=20, seed=4, progress=False).summary()
    cols = ["est", "boot_mean", "boot_se", "ci_lower", "ci_upper", "bca_lower", "bca_upper"]
    np.testing.assert_allclose(ba[cols], bb[cols], rtol=0, atol=1e-9)


def test_hoc_weighted_bootstrap_uses_the_weights(weighted_data):
    data, _, _ = weighted_data
    a = _quiet(fit_pls_hoc, HOC_MODEL.format(op="=~"), data, sampling_weights="w")
    b = _quiet(fit_pls_hoc, HOC_MODEL.format(op="=~"), data)
    ba = _quiet(a.bootstrap, n_boot=20, seed=4, progress=False)
    bb = _quiet(b.bootstrap, n_boot=20, seed=4, progress=False)
    np.testing.assert_allclose(ba.summary()["est"], a.params, rtol=0, atol=1e-12)
    assert not np.allclose(ba.summary()["boot_se"], bb.summary()["boot_se"])
    assert "with their sampling weights" in ba.methods_text()


# --------------------------------------------------------------------------- moderation
@pytest.mark.parametrize("method", ["two_stage", "product_indicator", "orthogonal"])
def test_moderation_integer_weights_equal_replicated_rows(weighted_data, method):
    data, rep, factor = weighted_data
    a = _quiet(fit_pls_moderation, MOD_MODEL, data, method=method, sampling_weights="w", **TIGHT)
    b = _quiet(fit_pls_moderation, MOD_MODEL, rep, method=method, **TIGHT)
    term = "Image:Expectation"
    scaled = pd.Series(a.params.index.str.contains(" <~ ") | a.params.index.str.endswith(f"~ {term}"),
                       index=a.params.index)
    _assert_params(a.params, b.params, scaled, factor)
    np.testing.assert_allclose(a.r_squared(), b.r_squared(), rtol=0, atol=ATOL)
    sa, sb = a.simple_slopes(), b.simple_slopes()
    np.testing.assert_allclose(sa["intercept"], sb["intercept"], rtol=0, atol=ATOL)  # no interaction path in it
    assert "Becker & Ismail (2016)" in a.methods_text()


@pytest.mark.parametrize("method", ["two_stage", "orthogonal"])
def test_moderation_constant_weights_equal_unweighted_with_bootstrap(mobi, method):
    a = _quiet(fit_pls_moderation, MOD_MODEL, mobi.assign(w=0.5), method=method, sampling_weights="w")
    b = _quiet(fit_pls_moderation, MOD_MODEL, mobi, method=method)
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=ATOL)
    np.testing.assert_allclose(a.simple_slopes()[["slope", "intercept"]], b.simple_slopes()[["slope", "intercept"]],
                               rtol=0, atol=ATOL)
    np.testing.assert_allclose(a.r_squared(), b.r_squared(), rtol=0, atol=ATOL)
    ba = _quiet(a.bootstrap, n_boot=15, seed=8, progress=False).summary()
    bb = _quiet(b.bootstrap, n_boot=15, seed=8, progress=False).summary()
    cols = ["est", "boot_mean", "boot_se", "ci_lower", "ci_upper", "bca_lower", "bca_upper"]
    np.testing.assert_allclose(ba[cols], bb[cols], rtol=0, atol=1e-9)
