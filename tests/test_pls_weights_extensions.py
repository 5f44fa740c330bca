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
HOC_CASES = {"disjoint_reflective": ("two_stage", "disjoint", "=~"),
             "embedded_formative": ("two_stage", "embedded", "<~"),
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


def _moderated_population(seed, N=40000):
    """Two strata: in the small one (20%) the moderator does nothing (interaction 0), in the large
    one the interaction is 0.4; three reflective items per construct."""
    rng = np.random.default_rng(seed)
    small = rng.random(N) < 0.2
    x, m = rng.standard_normal(N), rng.standard_normal(N)
    y = 0.3 * x + 0.2 * m + np.where(small, 0.0, 0.4) * x * m + 0.7 * rng.standard_normal(N)
    cols = {f"{name}{k}": 0.8 * f + 0.6 * rng.standard_normal(N)
            for name, f in (("x", x), ("m", m), ("y", y / y.std())) for k in (1, 2, 3)}
    return pd.DataFrame(cols).assign(small=small)


def test_moderation_weights_recover_the_census_interaction():
    """Oversampling the stratum without moderation (4x) halves the unweighted interaction; the
    inverse-probability weights bring it back to the census value."""
    model = "X =~ x1 + x2 + x3\nM =~ m1 + m2 + m3\nY =~ y1 + y2 + y3\nY ~ X + M + X:M"
    pop = _moderated_population(3)
    census = _quiet(fit_pls_moderation, model, pop).params["Y ~ X:M"]
    rng = np.random.default_rng(4)
    weighted, unweighted = [], []
    for _ in range(5):
        idx = np.concatenate([rng.choice(np.flatnonzero(pop.small == s), 500, replace=False) for s in (True, False)])
        sample = pop.iloc[idx].assign(w=lambda f: np.where(f.small, pop.small.sum(), (~pop.small).sum()) / 500)
        weighted.append(_quiet(fit_pls_moderation, model, sample, sampling_weights="w").params["Y ~ X:M"])
        unweighted.append(_quiet(fit_pls_moderation, model, sample).params["Y ~ X:M"])
    assert abs(np.mean(weighted) - census) < 0.04  # measured 0.011 (census 0.283)
    assert np.mean(unweighted) < census - 0.07  # measured 0.187


# --------------------------------------------------------------------------- copula test
def _copula_data(seed=5, n=400):
    """Park & Gupta (2012): a non-normal (chi-square) regressor correlated with the error."""
    from scipy import stats
    rng = np.random.default_rng(seed)
    xs, e = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], n).T
    x = stats.chi2.ppf(stats.norm.cdf(xs), 2)
    return pd.DataFrame({"X": x, "Y": 0.5 * x + e, "w": rng.integers(1, 5, n)})


def test_copula_constant_weights_equal_unweighted():
    from cxmodels.sem import fit_pls
    from cxmodels.sem.pls.copula import copula_test
    d = _copula_data().assign(w=7.0)
    a = _quiet(copula_test, fit_pls("Y ~ X", d, sampling_weights="w"), n_boot=50, seed=3, progress=False)
    b = _quiet(copula_test, fit_pls("Y ~ X", d), n_boot=50, seed=3, progress=False)
    cols = ["path_pls", "est", "boot_se", "t", "pvalue", "ci_lower", "ci_upper"]
    np.testing.assert_allclose(a.summary()[cols], b.summary()[cols], rtol=0, atol=ATOL)
    assert a.sampling_weights == "w" and "Becker & Ismail (2016)" in a.methods_text()


def test_copula_weighted_regression_is_wls_with_the_weighted_copula_term():
    """The weighted estimate is statsmodels' WLS of the scores on X and the copula term built from
    the weighted empirical CDF; that term is ``Phi^-1(rank / (n + 1))`` for equal weights and, for
    integer weights, the replicated data's term up to the ``+1`` finite-sample offsets of the ranks."""
    import statsmodels.api as sm
    from scipy import stats
    from cxmodels.sem import fit_pls
    from cxmodels.sem.pls.copula import copula_term, copula_test
    d = _copula_data()
    res = fit_pls("Y ~ X", d, sampling_weights="w")
    cop = _quiet(copula_test, res, n_boot=30, seed=1, progress=False)
    S, w = res.scores(None), d["w"].to_numpy(float)
    c = copula_term(S["X"], w)
    ref = sm.WLS(S["Y"], sm.add_constant(np.column_stack([S["X"], c])), weights=w).fit().params[1:]
    np.testing.assert_allclose(cop.summary()["est"], ref, rtol=0, atol=1e-10)
    x = S["X"].to_numpy()
    np.testing.assert_allclose(copula_term(x, np.ones(len(x))), stats.norm.ppf(stats.rankdata(x) / (len(x) + 1)),
                               rtol=0, atol=ATOL)
    rep = np.repeat(x, d["w"])
    h_rep = stats.rankdata(rep) / (len(rep) + 1)
    h_w = stats.norm.cdf(c)
    np.testing.assert_allclose(np.repeat(h_w, d["w"]), h_rep, rtol=0, atol=1 / len(x))


def test_copula_weighted_bootstrap_resamples_with_the_weights():
    from cxmodels.sem import fit_pls
    from cxmodels.sem.pls.copula import copula_test
    d = _copula_data()
    a = _quiet(copula_test, fit_pls("Y ~ X", d, sampling_weights="w"), n_boot=40, seed=3, progress=False)
    b = _quiet(copula_test, fit_pls("Y ~ X", d), n_boot=40, seed=3, progress=False)
    assert not np.allclose(a.summary()["est"], b.summary()["est"])
    assert not np.allclose(a.summary()["boot_se"], b.summary()["boot_se"])


# --------------------------------------------------------------------------- PLSpredict and CVPAT
SMALL = """Image =~ IMAG1 + IMAG2 + IMAG3
Expectation =~ CUEX1 + CUEX2 + CUEX3
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction ~ Image + Expectation
Loyalty ~ Satisfaction + Image"""


def _folds(n, k=5, seed=2):
    return np.random.default_rng(seed).permutation(np.arange(n) % k)


@pytest.mark.parametrize("approach", ["DA", "EA"])
def test_predict_integer_weights_equal_replicated_rows(weighted_data, approach):
    from cxmodels.sem.pls.predict import predict_pls
    data, rep, _ = weighted_data
    f = _folds(len(data))
    a = predict_pls(SMALL, data, folds=f, repeats=1, approach=approach, sampling_weights="w", tol=1e-12)
    b = predict_pls(SMALL, rep, folds=np.repeat(f, data["w"]), repeats=1, approach=approach, tol=1e-12)
    np.testing.assert_allclose(_numeric(a.summary()), _numeric(b.summary()), rtol=0, atol=ATOL)
    for m in ("pls", "lm", "ia"):
        np.testing.assert_allclose(a.predictions[m].to_numpy()[np.repeat(np.arange(len(data)), data["w"])],
                                   b.predictions[m], rtol=0, atol=ATOL)
    assert a.options["sampling_weights"] == "w" and "held-out rows" in a.methods_text()
    assert any(r.cite == "Becker & Ismail (2016)" for r in a.references)


def test_predict_constant_weights_equal_unweighted(mobi):
    from cxmodels.sem.pls.predict import predict_pls
    a = predict_pls(SMALL, mobi.assign(w=2.0), folds=5, repeats=2, seed=7, sampling_weights="w")
    b = predict_pls(SMALL, mobi, folds=5, repeats=2, seed=7)
    np.testing.assert_array_equal(a.folds, b.folds)
    np.testing.assert_allclose(_numeric(a.summary()), _numeric(b.summary()), rtol=0, atol=ATOL)
    assert a.decide().action == b.decide().action


def test_cvpat_integer_weights_equal_replicated_losses(weighted_data):
    """Average losses and their difference equal the replicated data's; the test's standard
    error counts the n respondents (sampling weights are not frequency weights)."""
    from cxmodels.sem.pls.cvpat import cvpat
    data, rep, _ = weighted_data
    f = _folds(len(data))
    a = cvpat(SMALL, data, folds=f, repeats=1, n_boot=0, sampling_weights="w")
    b = cvpat(SMALL, rep, folds=np.repeat(f, data["w"]), repeats=1, n_boot=0)
    cols = ["loss_model", "loss_other", "diff", "dbar"]
    np.testing.assert_allclose(a.summary()[cols], b.summary()[cols], rtol=0, atol=ATOL)
    # the replicated rows would count N respondents and shrink the standard error: the weighted
    # test keeps n (its formula is checked in the next test)
    assert np.all(np.abs(a.summary()["t"]) < np.abs(b.summary()["t"]))
    assert "Becker & Ismail (2016)" in a.methods_text()


def test_cvpat_weighted_t_statistic_is_the_linearized_weighted_mean():
    from cxmodels.sem.pls.cvpat import loss_test
    rng = np.random.default_rng(1)
    lm_, lo, w = rng.random(50), rng.random(50) + 0.1, rng.integers(1, 4, 50).astype(float)
    r = loss_test(lm_, lo, n_boot=0, weights=w)
    d = lo - lm_
    dbar = w @ d / w.sum()
    se = np.sqrt(50 / 49 * np.sum(w ** 2 * (d - dbar) ** 2)) / w.sum()
    assert r["dbar"] == pytest.approx(dbar, abs=1e-12) and r["t"] == pytest.approx(dbar / se, abs=1e-10)
    r1, r0 = loss_test(lm_, lo, n_boot=300, weights=np.full(50, 1.0), rng=np.random.default_rng(3)), \
        loss_test(lm_, lo, n_boot=300, rng=np.random.default_rng(3))
    assert r1 == pytest.approx(r0, abs=1e-12)


RIVAL = SMALL.replace("Loyalty ~ Satisfaction + Image", "Loyalty ~ Satisfaction")


@pytest.mark.parametrize("competitor", [None, RIVAL])
def test_cvpat_constant_weights_equal_unweighted(mobi, competitor):
    from cxmodels.sem.pls.cvpat import cvpat
    a = cvpat(SMALL, mobi.assign(w=5.0), competitor=competitor, folds=5, repeats=2, n_boot=200, seed=4,
              sampling_weights="w")
    b = cvpat(SMALL, mobi, competitor=competitor, folds=5, repeats=2, n_boot=200, seed=4)
    np.testing.assert_allclose(_numeric(a.summary()), _numeric(b.summary()), rtol=0, atol=ATOL)
    assert a.decide().action == b.decide().action


# --------------------------------------------------------------------------- MICOM / MGA
MGA_MODEL = """Image =~ IMAG1 + IMAG2 + IMAG3
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction ~ Image
Loyalty ~ Satisfaction"""


def test_mga_constant_weights_equal_unweighted(mobi):
    from cxmodels.sem.pls.mga import compare_groups
    d = mobi.assign(seg=np.where(np.arange(len(mobi)) % 2 == 0, "a", "b"), w=1.5)
    a = compare_groups(MGA_MODEL, d, "seg", n_perm=40, seed=2, progress=False, sampling_weights="w")
    b = compare_groups(MGA_MODEL, d, "seg", n_perm=40, seed=2, progress=False)
    for name in ("paths", "compositional", "means_variances"):
        np.testing.assert_allclose(_numeric(getattr(a, name)), _numeric(getattr(b, name)), rtol=0, atol=ATOL,
                                   err_msg=name)
    assert a.sampling_weights == "w" and "Becker & Ismail (2016)" in a.methods_text()


def test_mga_integer_weights_equal_replicated_rows(weighted_data):
    """The deterministic statistics (group paths, MICOM's c) equal the replicated data's; the mean
    differences carry the sampling-weight factor and the log variance ratio each group's
    n/(n-1) against N/(N-1) divisor."""
    from cxmodels.sem.pls.mga import compare_groups
    data, _, factor = weighted_data
    data = data.assign(seg=np.where(np.arange(len(data)) % 3 == 0, "a", "b"))
    rep = data.loc[data.index.repeat(data["w"])].reset_index(drop=True)
    a = compare_groups(MGA_MODEL, data, "seg", n_perm=5, seed=2, progress=False, sampling_weights="w")
    b = compare_groups(MGA_MODEL, rep, "seg", n_perm=5, seed=2, progress=False)
    cols = ["est_a", "est_b", "diff"]
    np.testing.assert_allclose(a.paths[cols], b.paths[cols], rtol=0, atol=ATOL)
    np.testing.assert_allclose(a.compositional["c"], b.compositional["c"], rtol=0, atol=ATOL)
    # in pooled-SD units: the pooled standardization divides by n - 1, not N - 1
    np.testing.assert_allclose(a.means_variances["mean_diff"] * factor, b.means_variances["mean_diff"], rtol=0,
                               atol=ATOL)
    n = data.groupby("seg").size()
    N = data.groupby("seg")["w"].sum()
    divisor = {s: np.log(n[s] / (n[s] - 1) * (N[s] - 1) / N[s]) for s in ("a", "b")}
    shift = divisor["a"] - divisor["b"]
    np.testing.assert_allclose(a.means_variances["var_logratio"], b.means_variances["var_logratio"] + shift, rtol=0,
                               atol=ATOL)


# --------------------------------------------------------------------------- bad weights
def _call(fn, d, column="w"):
    from cxmodels.sem.pls.cvpat import cvpat
    from cxmodels.sem.pls.mga import compare_groups
    from cxmodels.sem.pls.predict import predict_pls
    calls = {
        "hoc": lambda: fit_pls_hoc(HOC_MODEL.format(op="=~"), d, sampling_weights=column),
        "moderation": lambda: fit_pls_moderation(MOD_MODEL, d, sampling_weights=column),
        "predict": lambda: predict_pls(SMALL, d, folds=5, repeats=1, seed=1, sampling_weights=column),
        "cvpat": lambda: cvpat(SMALL, d, folds=5, repeats=1, n_boot=0, seed=1, sampling_weights=column),
        "mga": lambda: compare_groups(MGA_MODEL, d.assign(seg=np.arange(len(d)) % 2), "seg", n_perm=2, seed=1,
                                      progress=False, sampling_weights=column),
    }
    return _quiet(calls[fn])


FNS = ["hoc", "moderation", "predict", "cvpat", "mga"]


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("bad,word", [(-1.0, "negative"), (np.nan, "missing"), (np.inf, "infinite")])
def test_bad_weights_are_refused_naming_rows(mobi, fn, bad, word):
    d = mobi.assign(w=1.0)
    d.loc[[3, 17], "w"] = bad
    before = d.copy()
    with pytest.raises(InputError, match=rf"(?s){word}.*3.*17"):
        _call(fn, d)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("fn", FNS)
def test_weight_column_must_exist_be_numeric_and_not_be_an_item(mobi, fn):
    with pytest.raises(InputError, match="'w'"):
        _call(fn, mobi)
    with pytest.raises(InputError, match="numeric"):
        _call(fn, mobi.assign(w="a"))
    with pytest.raises(InputError, match="indicator"):
        _call(fn, mobi, column="IMAG1")
    with pytest.raises(InputError, match="zero in every row"):
        _call(fn, mobi.assign(w=0.0))
