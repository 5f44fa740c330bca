"""Structural-after-measurement (sam): parity with lavaan 0.6-14's sam() on PoliticalDemocracy
(local and global, two-step standard errors), recovery and bad input."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import datasets
from cxmodels.errors import CXModelsWarning, IdentificationError, InputError, ModelSyntaxError
from cxmodels.sem.cb.sam import SAMResult, sam

FIX = Path(__file__).parent / "fixtures" / "lavaan_sam"
PD_MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""


HS_SEM = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
speed ~ visual + textual
"""


@pytest.fixture(scope="module")
def pdem():
    return datasets.load_political_democracy()


def _merged(res, method):
    lav = pd.read_csv(FIX / f"{method}_estimates.csv")
    cross = lav["est"].isna()  # lavaan leaves cross-block residual covariances empty
    assert set(lav.loc[cross, "lhs"] + "~~" + lav.loc[cross, "rhs"]) == {"y1~~y5", "y2~~y6", "y3~~y7", "y4~~y8"}
    lav = lav[~cross]
    t = res.summary()
    key = lambda d: d["lhs"] + d["op"] + d["rhs"]
    m = pd.merge(t.assign(k=key(t)), lav.assign(k=key(lav)), on="k", suffixes=("", "_lav"))
    assert len(m) == len(lav) == len(t)
    return m


@pytest.mark.parametrize("method", ["local", "global"])
def test_sam_matches_lavaan(pdem, method):
    with pytest.warns(CXModelsWarning, match="y1 ~~ y5"):
        res = sam(PD_MODEL, pdem, method=method)
    assert isinstance(res, SAMResult) and res.converged and res.admissible
    m = _merged(res, method)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-4)
    assert set(m.loc[m["step"] == 2, "k"]) == {"dem60~ind60", "dem65~ind60", "dem65~dem60", "ind60~~ind60",
                                               "dem60~~dem60", "dem65~~dem65"}


@pytest.mark.parametrize("method", ["local", "global"])
def test_sam_matches_lavaan_with_correlated_exogenous_factors(method):
    hs = datasets.load_holzinger_swineford()
    res = sam(HS_SEM, hs, method=method)
    assert res.converged and res.admissible and not res.warnings
    lav = pd.read_csv(FIX / f"hs_{method}_estimates.csv")
    t = res.summary()
    key = lambda d: d["lhs"] + d["op"] + d["rhs"]
    m = pd.merge(t.assign(k=key(t)), lav.assign(k=key(lav)), on="k", suffixes=("", "_lav"))
    assert len(m) == len(lav) == len(t)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-4)


def test_sam_local_reliability_and_structural_fit(pdem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CXModelsWarning)
        res = sam(PD_MODEL, pdem)
    rel = pd.read_csv(FIX / "local_reliability.csv", index_col=0)["x"]
    np.testing.assert_allclose(res.reliability[rel.index], rel, atol=1e-6)
    fit = pd.read_csv(FIX / "local_struc_fit.csv").set_index("name")["value"]
    for k in ("chisq", "df", "rmsea", "srmr"):
        assert res.structural_fit[k] == pytest.approx(fit[k], abs=1e-6)
    assert list(res.measurement["latent"]) == ["ind60", "dem60", "dem65"]
    assert all(r.cite in res.methods_text() for r in res.references)
    assert res.params["dem60 ~ ind60"] == pytest.approx(1.5007383, abs=1e-5)
    assert res.plot().get_xlabel() == "structural coefficient"
    assert res.provenance.options["method"] == "local"


def test_sam_recovers_a_structural_path():
    rng = np.random.default_rng(3)
    n = 3000
    a = rng.normal(size=n)
    b = 0.5 * a + rng.normal(scale=np.sqrt(0.75), size=n)
    cols = {}
    for name, f in (("a", a), ("b", b)):
        for j, lam in enumerate((0.9, 0.8, 0.7)):
            cols[f"{name}{j}"] = lam * f + rng.normal(scale=np.sqrt(1 - lam ** 2), size=n)
    data = pd.DataFrame(cols)
    res = sam("A =~ a0 + a1 + a2\nB =~ b0 + b1 + b2\nB ~ A", data)
    # marker scaling: B ~ A is 0.5 * 0.9 / 0.9
    assert res.params["B ~ A"] == pytest.approx(0.5, abs=0.05)
    assert not res.warnings


def test_sam_bad_input(pdem):
    before = pdem.copy()
    with pytest.raises(InputError, match="method must be one of"):
        sam(PD_MODEL, pdem, method="fsr")
    with pytest.raises(InputError, match="no latent variables"):
        sam("y1 ~ x1", pdem)
    with pytest.raises(InputError, match="observed variables \\['x1'\\] appear in the structural part as outcomes"):
        sam("dem60 =~ y1 + y2 + y3 + y4\nx1 ~ dem60", pdem)
    with pytest.raises(ModelSyntaxError, match=r"unknown name\(s\) \['zz'\]"):
        sam("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3\ndem60 ~ a*ind60\nd := 2*zz", pdem)
    with pytest.raises(IdentificationError, match="measurement block of f"):
        sam("f =~ x1 + x2\ndem60 =~ y1 + y2 + y3\ndem60 ~ f", pdem)
    pd.testing.assert_frame_equal(pdem, before)


@pytest.mark.parametrize("method", ["local", "global"])
def test_sam_defined_parameters_match_lavaan(pdem, method):
    model = ("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8\n"
             "dem60 ~ a*ind60\ndem65 ~ c*ind60 + b*dem60\nindirect := a*b\ntotal := c + a*b")
    res = sam(model, pdem, method=method)
    lav = pd.read_csv(FIX / f"defined_{method}_estimates.csv").set_index("lhs")
    t = res.summary().set_index("lhs")
    for name in ("indirect", "total"):
        assert t.loc[name, "op"] == ":="
        assert t.loc[name, "est"] == pytest.approx(lav.loc[name, "est"], abs=1e-5)
        assert t.loc[name, "se"] == pytest.approx(lav.loc[name, "se"], abs=1e-5)
    assert res.params["indirect"] == pytest.approx(t.loc["indirect", "est"])


@pytest.mark.parametrize("method", ["local", "global"])
def test_sam_with_an_observed_covariate_matches_lavaan(method):
    hs = datasets.load_holzinger_swineford()
    hs = hs.assign(age=hs["ageyr"] + hs["agemo"] / 12)
    res = sam("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual + age", hs, method=method)
    lav = pd.read_csv(FIX / f"age_{method}_estimates.csv")
    t = res.summary()
    key = lambda d: d["lhs"] + d["op"] + d["rhs"]
    m = pd.merge(lav.assign(k=key(lav)), t.assign(k=key(t)), on="k", suffixes=("_lav", ""))
    assert len(m) == len(lav)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-4)
    assert t.loc[t["lhs"] == "age", "est"].iloc[0] == pytest.approx(hs["age"].var(ddof=0))


def test_sam_with_user_blocks_matches_lavaan(pdem):
    res = sam(PD_MODEL, pdem, blocks=[["ind60"], ["dem60", "dem65"]])
    assert not res.warnings  # the panel residual covariances are now inside a block
    lav = pd.read_csv(FIX / "blocks_local_estimates.csv")
    t = res.summary()
    key = lambda d: d["lhs"] + d["op"] + d["rhs"]
    m = pd.merge(lav.assign(k=key(lav)), t.assign(k=key(t)), on="k", suffixes=("_lav", ""))
    assert len(m) == len(lav) == len(t)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-4)
    assert list(res.measurement["latent"]) == ["ind60", "dem60, dem65"]
    with pytest.raises(InputError, match="exactly one block"):
        sam(PD_MODEL, pdem, blocks=[["ind60"], ["dem60"]])
    with pytest.raises(InputError, match="list of non-empty lists"):
        sam(PD_MODEL, pdem, blocks="ind60")
