"""Covariance-based SEM fitted to sample statistics (lavaan's ``sample.cov``, ``sample.mean``,
``sample.nobs``; issue 19's hook: the output of ``cxmodels._engine.group_moments``) equals
the fit to the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean
from conftest import HS_MODEL, PD_MODEL
from cxmodels import _engine
from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from sem_design_fixtures import data

XS = [f"x{i}" for i in range(1, 10)]
PD_VARS = [f"y{i}" for i in range(1, 9)] + ["x1", "x2", "x3"]


def _same(a, b, tol=1e-8):
    pa, pb = a.params, b.params[a.params.index]
    np.testing.assert_allclose(pb, pa, atol=tol, rtol=0)
    ea, eb = a.estimates().set_index(["lhs", "op", "rhs"] + (["group"] if "group" in a.estimates() else [])), \
        b.estimates().set_index(["lhs", "op", "rhs"] + (["group"] if "group" in b.estimates() else []))
    np.testing.assert_allclose(eb.loc[ea.index, "se"], ea["se"], atol=tol, rtol=0)
    fa, fb = a.fit_indices(), b.fit_indices()
    for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "logl", "aic", "bic", "baseline_chisq"):
        assert fb[k] == pytest.approx(fa[k], abs=tol, rel=tol), k


def test_unbiased_covariance_as_lavaan(holzinger):
    # lavaan rescales sample.cov by (n - 1)/n: R's cov() of the rows gives the raw-data fit.
    _same(fit_sem(HS_MODEL, holzinger), fit_sem(HS_MODEL, sample_cov=holzinger[XS].cov(), sample_nobs=301))


def test_structural_model_with_defined_parameters():
    pd_ = pd.read_csv(data.__globals__["FOLDER"].parent.parent.parent / "datasets" / "political_democracy.csv")
    raw = fit_sem(PD_MODEL, pd_)
    ss = fit_sem(PD_MODEL, sample_cov=pd_[PD_VARS].cov(), sample_nobs=len(pd_))
    _same(raw, ss)
    assert ss.estimates().query("op == ':='")["est"].to_numpy() == pytest.approx(
        raw.estimates().query("op == ':='")["est"].to_numpy(), abs=1e-8)


def test_means_and_groups_from_group_moments(holzinger):
    raw = fit_sem(HS_MODEL, holzinger, group="school", group_equal=["loadings"])
    mom = _engine.group_moments(holzinger, XS, group="school")
    _same(raw, fit_sem(HS_MODEL, sample_cov=mom, group_equal=["loadings"]))


def test_group_moments_dicts_by_hand(holzinger):
    raw = fit_sem(HS_MODEL, holzinger, group="school", meanstructure=True)
    g = {k: f[XS] for k, f in holzinger.groupby("school", sort=False)}
    ss = fit_sem(HS_MODEL, sample_cov={k: f.cov() for k, f in g.items()},
                 sample_mean={k: f.mean() for k, f in g.items()}, sample_nobs={k: len(f) for k, f in g.items()})
    _same(raw, ss)


def test_weighted_moments_equal_the_weighted_fit():
    d = data("hs_weights_ml")
    raw = fit_sem(HS_MODEL, d, sampling_weights="w")
    ss = fit_sem(HS_MODEL, sample_cov=_engine.group_moments(d, XS, weight="w"))
    np.testing.assert_allclose(ss.params, raw.params, atol=1e-8)
    assert ss.fit_indices()["chisq"] == pytest.approx(raw.fit_indices()["chisq"], abs=1e-8)


def test_surface_of_a_sample_statistics_fit(holzinger):
    ss = fit_sem(HS_MODEL, sample_cov=holzinger[XS].cov(), sample_nobs=301)
    assert ss.converged and ss.admissible and ss.nobs == 301
    assert "sample means and covariance matrices" in ss.methods_text()
    assert ss.provenance.data["n_rows"] == 10 and len(ss.provenance.data["sha256"]) == 64
    assert len(ss.modification_indices()) > 0 and ss.residual_correlations().shape == (9, 9)
    for call in (lambda: ss.bootstrap(n_boot=10, seed=1), ss.reliability, lambda: ss.factor_scores(),
                 lambda: ss.to_lavaan()):
        with pytest.raises(InputError, match="sample statistics"):
            call()
    assert ss.factor_scores(holzinger).shape == (301, 3)


@pytest.mark.parametrize("kw, match", [
    ({"estimator": "MLR"}, "needs the raw rows"),
    ({"sampling_weights": "w"}, "needs the raw rows"),
    ({"cluster": "store"}, "needs the raw rows"),
    ({"missing": "fiml"}, "needs the raw rows"),
    ({"sample_nobs": None}, "sample_nobs"),
    ({"sample_nobs": 1}, "at least 2"),
    ({"sample_nobs": 30.5}, "integer"),
    ({"meanstructure": True}, "needs sample_mean"),
])
def test_refusals(holzinger, kw, match):
    args = {"sample_cov": holzinger[XS].cov(), "sample_nobs": 301, **kw}
    with pytest.raises(InputError, match=match):
        fit_sem(HS_MODEL, **args)


def test_bad_matrices(holzinger):
    S = holzinger[XS].cov()
    cases = [
        (S.drop(columns="x9").drop(index="x9"), "lacks the model's observed variable"),
        (S.iloc[:, ::-1], "same row and column labels"),
        (S.assign(x1=S["x2"]).T.assign(x1=S["x2"]), "not positive definite"),
        (S.to_numpy()[:5, :5], "9 observed variables"),
        (S.where(S > 0.5), "missing or infinite"),
        (S + np.triu(np.ones((9, 9)), 1), "not symmetric"),
        ("cov", "square"),
    ]
    for bad, match in cases:
        with pytest.raises(InputError, match=match):
            fit_sem(HS_MODEL, sample_cov=bad, sample_nobs=301)
        assert_clean(fit_sem, HS_MODEL, sample_cov=bad, sample_nobs=301)
    with pytest.raises(InputError, match="not both"):
        fit_sem(HS_MODEL, holzinger, sample_cov=S, sample_nobs=301)
    with pytest.raises(InputError, match="same group labels"):
        fit_sem(HS_MODEL, sample_cov={"a": S, "b": S}, sample_mean={"a": holzinger[XS].mean()},
                sample_nobs={"a": 100, "b": 100})
    with pytest.raises(InputError, match="give data"):
        fit_sem(HS_MODEL)
