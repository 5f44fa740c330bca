"""Bad input to the covariance-based SEM (issue 11): only cxmodels' errors and warnings come out,
the caller's data is never changed, and the named cases get messages a user can act on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from conftest import FIXTURES, HS_MODEL
from cxmodels import datasets
from cxmodels.errors import CXModelsError, EstimationError, InputError, ModelSyntaxError
from cxmodels.sem import fit_sem, measurement_invariance

SMALL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual"
ITEMS = ["x1", "x2", "x3", "x4", "x5", "x6"]


@pytest.fixture(scope="module")
def hs(holzinger):
    return holzinger[ITEMS + ["school"]].copy()


_HS = datasets.load_holzinger_swineford()[ITEMS + ["school"]]
VARIANTS = dict(variants(_HS, ["x1", "x4"]))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_fit_sem_sweep(name):
    frame = VARIANTS[name]
    out = assert_clean(fit_sem, SMALL, frame)
    if name not in ("duplicated_index",):
        # every spoiled frame is refused, not fitted
        assert isinstance(out, CXModelsError), f"{name}: fitted instead of refused"


@pytest.mark.parametrize("missing, estimator", [("fiml", "ML"), ("listwise", "MLR")])
def test_fit_sem_sweep_other_options(hs, missing, estimator):
    for name, frame in variants(hs, ["x2"]):
        assert_clean(fit_sem, SMALL, frame, missing=missing, estimator=estimator)


def test_measurement_invariance_sweep(hs):
    for name, frame in variants(hs, ["x1", "school"]):
        assert_clean(measurement_invariance, SMALL, frame, group="school")


def test_ordinal_sweep():
    data = pd.read_csv(FIXTURES / "lavaan" / "ordinal" / "data.csv")
    model = "G =~ PERQ1 + PERQ2 + PERQ3 + CUSA1"
    for name, frame in variants(data, ["PERQ1"]):
        assert_clean(fit_sem, model, frame, ordered=True)


def test_argument_sweep(hs):
    for kw in [dict(estimator="GLS"), dict(missing="pairwise"), dict(level=1.5), dict(level="0.95"),
               dict(group="nowhere"), dict(group=3), dict(group_equal=["loading"]), dict(ordered=["x9"])]:
        out = assert_clean(fit_sem, SMALL, hs, **kw)
        assert isinstance(out, CXModelsError), kw
    for model in ["", "visual =~", "visual =~ x1 + x2\nbad := visual$x", 42, "f =~ x1 + x2 + x3\nf ~~ f\nf ~~ f"]:
        assert isinstance(assert_clean(fit_sem, model, hs), CXModelsError), model
    assert isinstance(assert_clean(fit_sem, SMALL, hs.to_numpy()), InputError)
    for kw in [dict(levels=("configural", "weak")), dict(levels=("metric",)), dict(level=0)]:
        assert isinstance(assert_clean(measurement_invariance, SMALL, hs, group="school", **kw), InputError)


# ---- the cases named in issue 11, with their messages --------------------------------------
def test_near_constant_item(hs):
    bad = hs.copy()
    bad["x3"] = 1.0
    bad.loc[bad.index[0], "x3"] = 1.0000001
    with pytest.raises(InputError, match=r"'x3' is nearly constant"):
        assert_clean(fit_sem, SMALL, bad) and fit_sem(SMALL, bad)


def test_duplicated_item_in_the_model(hs):
    with pytest.raises(ModelSyntaxError, match=r"line 1: visual =~ x2 is specified twice"):
        fit_sem("visual =~ x1 + x2 + x2 + x3\ntextual =~ x4 + x5 + x6", hs)


def test_latent_named_like_a_column(hs):
    with pytest.raises(InputError, match=r"latent variable\(s\) \['x1'\] have the name of a column"):
        fit_sem("x1 =~ x2 + x3 + x4", hs)
    out = assert_clean(fit_sem, "x1 =~ x2 + x3 + x4", hs)
    assert isinstance(out, InputError)


def test_a_four_row_group(hs):
    bad = hs.copy()
    bad.loc[bad.index[:4], "school"] = "Tiny"
    for missing in ("listwise", "fiml"):
        with pytest.raises(InputError, match=r"group 'Tiny' of column 'school' has 4 .*rows but the model has 6"):
            fit_sem(SMALL, bad, group="school", missing=missing)
        assert isinstance(assert_clean(measurement_invariance, SMALL, bad, group="school", missing=missing),
                          InputError)


def test_collinear_items_are_named(hs):
    bad = hs.copy()
    bad["x3"] = bad["x1"] + 2 * bad["x2"]
    with pytest.raises(InputError, match=r"items \['x1', 'x2', 'x3'\] are linearly dependent"):
        fit_sem(SMALL, bad)


def test_exactly_collinear_items_are_refused_under_fiml_too(hs):
    bad = hs.copy()
    bad["x3"] = bad["x1"] + 2 * bad["x2"]
    bad.loc[bad.index[:20], "x1"] = np.nan
    with pytest.raises(InputError, match=r"linearly dependent"):
        fit_sem(SMALL, bad, missing="fiml")


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_fit_indices_after_a_collinear_fit(hs, missing):
    # nearly collinear items pass the input check, give a degenerate fit that is flagged, and
    # every method of the result still answers (or raises a cxmodels error)
    bad = hs.copy()
    bad["x3"] = bad["x1"] + 2 * bad["x2"] + 1e-3 * np.random.default_rng(0).normal(size=len(bad))
    bad.loc[bad.index[:20], "x1"] = np.nan
    res = assert_clean(fit_sem, SMALL, bad, missing=missing)
    assert not isinstance(res, CXModelsError)
    assert not res.admissible and any("Heywood" in w or "singular" in w for w in res.warnings)
    fit = assert_clean(res.fit_indices)
    assert np.isfinite(fit["chisq"]) and fit["df"] == 8
    for method in ("summary", "methods_text", "standardized_solution", "modification_indices",
                   "residual_correlations", "reliability", "htmt", "to_lavaan"):
        assert not isinstance(assert_clean(getattr(res, method)), Exception), method


def test_duplicated_column_names(hs):
    bad = pd.concat([hs, hs[["x1"]]], axis=1)
    with pytest.raises(InputError, match=r"repeated column names \['x1'\]"):
        fit_sem(SMALL, bad)
    # a repeated column the model does not use is no ambiguity
    other = pd.concat([hs, hs[["school"]].rename(columns={"school": "note"}),
                       hs[["school"]].rename(columns={"school": "note"})], axis=1)
    assert fit_sem(SMALL, other).converged


def test_multigroup_tables_use_labels_not_row_order(hs):
    res = fit_sem(SMALL, hs, group="school")
    assert set(res.estimates()["group"].dropna()) == {"Pasteur", "Grant-White"}
    assert set(res.standardized_solution()["group"].dropna()) == {"Pasteur", "Grant-White"}


def test_n_boot_zero_is_no_bootstrap(hs):
    res = fit_sem(SMALL, hs)
    eff = assert_clean(res.indirect_effects, n_boot=0)
    assert isinstance(eff, pd.DataFrame) and eff["ci_lower"].isna().all()
    for bad in (-1, 1, 2.5, True, "100"):
        assert isinstance(assert_clean(res.indirect_effects, n_boot=bad), InputError)
        assert isinstance(assert_clean(res.bootstrap, n_boot=bad), InputError)
    assert isinstance(assert_clean(res.bootstrap, n_boot=0), InputError)  # a bootstrap needs replicates


def test_result_methods_refuse_bad_arguments_cleanly(hs):
    res = fit_sem(SMALL, hs)
    assert isinstance(assert_clean(res.factor_scores, hs, method="pca"), InputError)
    assert isinstance(assert_clean(res.factor_scores, hs.drop(columns="x1")), InputError)
    assert isinstance(assert_clean(res.to_lavaan, data_path=""), InputError)
    assert isinstance(assert_clean(res.indirect_effects, n_boot=0, level=2), InputError)
    assert isinstance(assert_clean(res.latent_covariance, "Pasteur"), InputError)
