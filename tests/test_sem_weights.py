"""Sampling weights in covariance-based SEM, against lavaan 0.6-14's ``sampling.weights``
(fixtures and their R script in tests/fixtures/lavaan_weights/), and the weights' bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from conftest import HS_MODEL, PD_MODEL
from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from sem_design_fixtures import PD_REG_MODEL, assert_parity, data

CASES = {
    "hs_weights_ml": (HS_MODEL, {"estimator": "ML"}),
    "hs_weights_mlr": (HS_MODEL, {"estimator": "MLR"}),
    "hs_weights_group_mlr": (HS_MODEL, {"estimator": "MLR", "group": "school"}),
    "pd_weights_ml": (PD_MODEL, {}),
    "pd_reg_weights_mlr": (PD_REG_MODEL, {"estimator": "MLR"}),
    "hs_fiml_weights_mlr": (HS_MODEL, {"estimator": "MLR", "missing": "fiml"}),
}
#: lavaan's robust CFI/TLI/RMSEA under FIML use another correction, not computed by cxmodels.
FIML_SKIP = ("cfi_robust", "tli_robust", "rmsea_robust")


@pytest.fixture(scope="module")
def fits():
    return {name: fit_sem(model, data(name), sampling_weights="w", **kw) for name, (model, kw) in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_lavaan_parity(fits, name):
    # Estimates, robust SEs (lavaan turns ML with weights into MLR), chi-square, the scaled
    # chi-square, CFI/TLI/RMSEA (plain, scaled, robust), SRMR, logL, AIC/BIC.
    assert_parity(fits[name], name, est=1e-5, se=1e-5, fit_rel=1e-5, skip=FIML_SKIP if "fiml" in name else ())


def test_ml_with_weights_is_robust_as_lavaan(fits):
    ml, mlr = fits["hs_weights_ml"], fits["hs_weights_mlr"]
    np.testing.assert_allclose(ml.estimates()["se"], mlr.estimates()["se"], atol=1e-10)
    assert "chisq_scaled" in ml.fit_indices()
    assert "Sampling weights (w)" in ml.methods_text()
    assert 'sampling.weights = \'w\'' in ml.to_lavaan()


def test_weights_change_the_fit_and_unit_weights_do_not():
    d = data("hs_weights_ml")
    plain = fit_sem(HS_MODEL, d, estimator="MLR")
    unit = fit_sem(HS_MODEL, d.assign(w=3.0), sampling_weights="w", estimator="MLR")
    weighted = fit_sem(HS_MODEL, d, sampling_weights="w", estimator="MLR")
    np.testing.assert_allclose(unit.estimates()["est"], plain.estimates()["est"], atol=1e-8)
    np.testing.assert_allclose(unit.estimates()["se"], plain.estimates()["se"], atol=1e-8)
    assert np.abs(weighted.estimates()["est"] - plain.estimates()["est"]).max() > 0.01


def test_weights_equal_replicated_rows():
    # Integer weights give the estimates of the data with each row repeated w times.
    d = data("hs_weights_ml").assign(w=lambda f: (np.arange(len(f)) % 3) + 1)
    rep = d.loc[d.index.repeat(d["w"])].reset_index(drop=True)
    a = fit_sem(HS_MODEL, d, sampling_weights="w")
    b = fit_sem(HS_MODEL, rep)
    np.testing.assert_allclose(a.estimates()["est"], b.estimates()["est"], atol=1e-6)


def test_bootstrap_refused_with_weights(fits):
    with pytest.raises(InputError, match="sampling_weights or cluster"):
        fits["hs_weights_ml"].bootstrap(n_boot=10, seed=1)
    with pytest.raises(InputError, match="sampling_weights or cluster"):
        fits["pd_weights_ml"].indirect_effects(n_boot=10, seed=1)
    assert len(fits["pd_weights_ml"].indirect_effects(n_boot=0)) > 0


@pytest.mark.parametrize("value, what", [(-1.0, "negative"), (np.nan, "missing"), (np.inf, "infinite")])
def test_bad_weights_name_the_rows(value, what):
    d = data("hs_weights_ml")
    d.loc[[4, 17], "w"] = value
    with pytest.raises(InputError, match=f"2 {what} value.*4.*17"):
        fit_sem(HS_MODEL, d, sampling_weights="w")


def test_all_zero_weights():
    d = data("hs_weights_ml").assign(w=0.0)
    with pytest.raises(InputError, match="zero in every row"):
        fit_sem(HS_MODEL, d, sampling_weights="w")
    d = data("hs_weights_ml")
    d.loc[d["school"] == "Pasteur", "w"] = 0.0
    with pytest.raises(InputError, match="zero in every row of group 'Pasteur'"):
        fit_sem(HS_MODEL, d, sampling_weights="w", group="school")


@pytest.mark.parametrize("kw, match", [
    ({"sampling_weights": "nope"}, "nope"),
    ({"sampling_weights": 3}, "name of a column"),
    ({"sampling_weights": "x1"}, "also a variable of the model"),
    ({"sampling_weights": "w", "ordered": ["x1"]}, "not available with ordered"),
])
def test_weight_argument_errors(kw, match):
    with pytest.raises(InputError, match=match):
        fit_sem(HS_MODEL, data("hs_weights_ml"), **kw)


def test_weight_column_corpus_is_clean():
    d = data("hs_weights_ml")
    for name, bad in variants(d, ["w"]):
        assert_clean(fit_sem, HS_MODEL, bad, sampling_weights="w")
    assert_clean(fit_sem, HS_MODEL, d.assign(w="a"), sampling_weights="w")
