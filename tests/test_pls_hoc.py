"""Higher-order constructs in PLS-SEM (issue 14): parity with the Python port of seminr (0.2.1)
on the ECSI ``mobi`` survey for the disjoint two-stage approach (reflective and formative HOC),
the repeated-indicators model and the embedded two-stage approach (composed from seminr
calls; see tests/fixtures/pls_seminr_hoc/make_fixtures.py), the bootstrap, and bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from badinput import assert_clean, variants
from conftest import FIXTURES
from cxmodels.errors import InputError, ModelSyntaxError
from cxmodels.sem.pls.bootstrap import PLSBootstrapResult
from cxmodels.sem.pls.hoc import PLSHOCResult, fit_pls_hoc

FX = json.loads((FIXTURES / "pls_seminr_hoc" / "mobi_hoc.json").read_text())
FX.update(json.loads((FIXTURES / "pls_seminr_hoc" / "mobi_hoc_formative.json").read_text()))
MODEL = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction {op} Image + Value
Satisfaction ~ Expectation + Quality
Loyalty ~ Satisfaction
"""
CASES = {"disjoint_reflective": ("two_stage", "disjoint", "=~"), "disjoint_formative": ("two_stage", "disjoint", "<~"),
         "embedded_reflective": ("two_stage", "embedded", "=~"), "embedded_formative": ("two_stage", "embedded", "<~"),
         "repeated_reflective": ("repeated_indicators", "disjoint", "=~")}
TIGHT = dict(tol=1e-14, max_iter=1000)


def _fit(mobi, case, **kw):
    approach, stage, op = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_pls_hoc(MODEL.format(op=op), mobi, approach=approach, stage=stage, **{**TIGHT, **kw})


@pytest.mark.parametrize("case", list(CASES))
def test_parity_with_seminr(mobi, case):
    res = _fit(mobi, case)
    p, ref, n = res.params, FX[case], res.nobs
    checked = 0
    for key, val in ref["paths"].items():
        y, x = key.split("~")
        if case == "repeated_reflective" and y in ("Image", "Value"):
            continue  # the technical HOC -> LOC paths: the HOC's loadings below
        assert p[f"{y} ~ {x}"] == pytest.approx(val, abs=1e-6), key
        checked += 1
    for key, val in ref["loadings"].items():
        c, x = key.split("=~")
        assert p[f"{c} =~ {x}"] == pytest.approx(val, abs=1e-6), key
        checked += 1
    # seminr scales weights to unit score variance with divisor n - 1, cxmodels (as plspm) with n
    for key, val in ref["weights"].items():
        c, x = key.split("=~")
        assert p[f"{c} <~ {x}"] * np.sqrt((n - 1) / n) == pytest.approx(val, abs=1e-6), key
        checked += 1
    for key, val in ref.get("hoc_loadings", {}).items():
        c, x = key.split("=~")
        assert p[f"{c} =~ {x}"] == pytest.approx(val, abs=1e-6), key
        checked += 1
    assert checked >= 40


def test_hoc_tables(mobi):
    res = _fit(mobi, "disjoint_reflective")
    assert isinstance(res, PLSHOCResult)
    ho = res.higher_order()
    assert list(ho["loc"]) == ["Image", "Value"] and (ho["loading"] > 0.8).all()
    rel = res.reliability()
    assert {"Satisfaction", "Image", "Value", "Quality"} <= set(rel.index)
    # the HOC's composite reliability from its loadings on the LOC scores
    l = ho["loading"].to_numpy()
    assert rel.loc["Satisfaction", "rho_c"] == pytest.approx(l.sum() ** 2 / (l.sum() ** 2 + (1 - l ** 2).sum()))
    assert rel.loc["Satisfaction", "ave"] == pytest.approx(np.mean(l ** 2))
    h = res.htmt()
    assert "Satisfaction" in h.index and "Image" not in h.index
    assert res.r_squared().loc["Loyalty", "r2"] == pytest.approx(res.stage2.r_squared().loc["Loyalty", "r2"])
    assert "two-stage" in res.methods_text() and all(r.cite in res.methods_text() for r in res.references[:4])
    assert res.plot() is not None
    assert res.provenance.options["approach"] == "two_stage"


def test_bootstrap_reruns_both_stages(mobi):
    res = _fit(mobi, "disjoint_reflective", tol=1e-7, max_iter=300)
    boot = res.bootstrap(40, seed=3, progress=False)
    assert isinstance(boot, PLSBootstrapResult)
    tab = boot.summary()
    assert list(tab["est"]) == pytest.approx(list(res.summary()["est"]))
    row = tab.query("lhs == 'Satisfaction' and op == '=~' and rhs == 'Image'").iloc[0]
    assert 0 < row["boot_se"] < 0.1 and row["ci_lower"] < row["est"] < row["ci_upper"]
    again = res.bootstrap(40, seed=3, progress=False)
    assert np.allclose(again.draws, boot.draws)
    assert res.provenance.steps[-1]["step"] == "bootstrap" and res.provenance.steps[-1]["seed"] == 3


def test_repeated_formative_warns(mobi):
    with pytest.warns(Warning, match="repeated indicators"):
        res = fit_pls_hoc(MODEL.format(op="<~"), mobi, approach="repeated_indicators")
    assert any("repeated indicators" in w for w in res.warnings)


# ------------------------------------------------------------------ bad input
def test_one_lower_order_construct_is_named(mobi):
    bad = MODEL.format(op="=~").replace("Satisfaction =~ Image + Value", "Satisfaction =~ Image")
    with pytest.raises(InputError, match=r"'Satisfaction' has one lower-order construct \('Image'\)"):
        fit_pls_hoc(bad, mobi)


@pytest.mark.parametrize("text, match", [
    ("Satisfaction =~ Image + PERV1", "mixes constructs"),
    ("Satisfaction =~ Image + Value\nLoyalty ~ Image", "'Image' is used in the path"),
])
def test_syntax_errors(mobi, text, match):
    bad = MODEL.format(op="=~").replace("Satisfaction =~ Image + Value", text)
    with pytest.raises(ModelSyntaxError, match=match):
        fit_pls_hoc(bad, mobi)


def test_no_hoc_and_options(mobi):
    with pytest.raises(ModelSyntaxError, match="no higher-order construct"):
        fit_pls_hoc("A =~ CUEX1 + CUEX2\nB =~ CUSL1 + CUSL2\nB ~ A", mobi)
    with pytest.raises(InputError, match="approach"):
        fit_pls_hoc(MODEL.format(op="=~"), mobi, approach="one_stage")
    with pytest.raises(InputError, match="stage"):
        fit_pls_hoc(MODEL.format(op="=~"), mobi, stage="joint")


@pytest.mark.parametrize("name, frame", variants(__import__("conftest").load_mobi().iloc[:120], ["IMAG1", "PERV2"]))
def test_bad_frames_clean(name, frame):
    assert_clean(fit_pls_hoc, MODEL.format(op="=~"), frame)
