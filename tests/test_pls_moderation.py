"""Moderation in PLS-SEM (issue 14): parity with the Python port of seminr (0.2.1) for its three
interaction methods on Hair et al.'s corporate reputation data (switching costs moderating
satisfaction -> loyalty; tests/fixtures/pls_seminr_moderation/make_fixtures.py), simple slopes,
the bootstrap of the interaction, and bad input."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from conftest import FIXTURES
from cxmodels.errors import InputError, ModelSyntaxError
from cxmodels.sem.pls.moderation import PLSModerationResult, fit_pls_moderation

FX = json.loads((FIXTURES / "pls_seminr_moderation" / "corp_rep_moderation.json").read_text())
CORP_SHA256 = "c5a0aab0b3844d11503bef297e5efbb4002adc73bf90441e4114b7087be4de5d"
MODEL = """COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
SC =~ switch_1 + switch_2 + switch_3 + switch_4
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA + SC + CUSA:SC"""
METHODS = ["product_indicator", "orthogonal", "two_stage"]


def load_corp_rep() -> pd.DataFrame:
    """Hair et al.'s corporate reputation survey as shipped by seminr (a test dependency; read as a
    file), with its -99 missing-value code as NaN."""
    spec = importlib.util.find_spec("seminr")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "corp_rep_data.csv"
    raw = path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == CORP_SHA256, f"{path} is not the data the fixtures were made from"
    return pd.read_csv(io.BytesIO(raw)).replace(-99, np.nan)


@pytest.fixture(scope="module")
def corp():
    return load_corp_rep()


def _fit(data, method, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_pls_moderation(MODEL, data, method=method, **{"tol": 1e-14, "max_iter": 1000, **kw})


@pytest.mark.parametrize("method", METHODS)
def test_parity_with_seminr(corp, method):
    res = _fit(corp, method)
    ref, p, n = FX[method], res.params, res.nobs
    assert n == FX["n"] == 336
    for key, val in ref["paths"].items():
        y, x = key.split("~")
        assert p[f"{y} ~ {x.replace('*', ':')}"] == pytest.approx(val, abs=1e-6), key
    for key, val in ref["weights"].items():
        c, x = key.split("=~")
        assert p[f"{c.replace('*', ':')} <~ {x}"] * np.sqrt((n - 1) / n) == pytest.approx(val, abs=1e-6), key
    ratios = []
    for key, val in ref["loadings"].items():
        c, x = key.split("=~")
        got = p[f"{c.replace('*', ':')} =~ {x}"]
        if "*" in c:
            ratios.append(val / got)  # seminr's loadings are covariances with the rescaled score
        else:
            assert got == pytest.approx(val, abs=1e-6), key
    # ... so they are cxmodels' (correlations) times one factor, the score's SD
    assert len(ratios) >= 1 and np.ptp(ratios) < 1e-6 and ratios[0] > 1


def test_simple_slopes_and_plot(corp):
    res = _fit(corp, "two_stage")
    assert isinstance(res, PLSModerationResult)
    s = res.simple_slopes()
    p = res.params
    b_iv, b_int = p["CUSL ~ CUSA"], p["CUSL ~ CUSA:SC"]
    assert list(s["slope"]) == pytest.approx([b_iv - b_int, b_iv, b_iv + b_int])
    assert s["slope"].iloc[0] > s["slope"].iloc[2]  # switching costs weaken satisfaction -> loyalty
    r2 = res.r_squared()
    assert r2.loc["CUSL", "r2"] > r2.loc["CUSL", "r2_main"] and r2.loc["CUSL", "f2"] > 0
    ax = res.plot()
    assert len(ax.lines) == 3
    assert "two-stage" in res.methods_text()


def test_bootstrap_interval_of_the_interaction(corp):
    res = _fit(corp, "two_stage", tol=1e-7, max_iter=300)
    boot = res.bootstrap(60, seed=11, progress=False)
    row = boot.summary().query("lhs == 'CUSL' and rhs == 'CUSA:SC'").iloc[0]
    assert row["est"] == pytest.approx(res.params["CUSL ~ CUSA:SC"])
    assert row["ci_lower"] < row["est"] < row["ci_upper"] and 0.01 < row["boot_se"] < 0.1
    assert res.provenance.steps[-1]["seed"] == 11


def test_orthogonal_term_is_uncorrelated_with_main_effects(corp):
    res = _fit(corp, "orthogonal")
    work = res._work
    frame, blocks = res._interaction_columns(res._X, None, None)
    assert np.abs(np.corrcoef(np.column_stack([frame.to_numpy(), work[["cusa", "switch_1"]].to_numpy()]),
                              rowvar=False)[:-2, -2:]).max() < 1e-10


# ------------------------------------------------------------------ bad input
def test_moderator_not_a_construct(corp):
    with pytest.raises(InputError, match=r"the moderator 'SWITCH' of the interaction 'CUSA:SWITCH' is not a construct"):
        fit_pls_moderation(MODEL.replace("CUSA:SC", "CUSA:SWITCH"), corp)
    with pytest.raises(InputError, match=r"independent construct 'SAT'"):
        fit_pls_moderation(MODEL.replace("CUSA:SC", "SAT:SC"), corp)


def test_other_bad_specs(corp):
    with pytest.raises(ModelSyntaxError, match="no interaction term"):
        fit_pls_moderation(MODEL.replace(" + CUSA:SC", ""), corp)
    with pytest.raises(InputError, match="by itself"):
        fit_pls_moderation(MODEL.replace("CUSA:SC", "SC:SC"), corp)
    with pytest.raises(InputError, match="method"):
        fit_pls_moderation(MODEL, corp, method="latent_product")
    res = _fit(corp, "two_stage")
    with pytest.raises(InputError, match="not an interaction"):
        res.simple_slopes("CUSA:LIKE")


def test_missing_main_effect_is_refused(corp):
    with pytest.raises(ModelSyntaxError, match=r"needs the main effects .* add SC to the predictors of 'CUSL'"):
        fit_pls_moderation(MODEL.replace("CUSA + SC + CUSA:SC", "CUSA + CUSA:SC"), corp)


@pytest.mark.parametrize("name, frame", variants(load_corp_rep().iloc[:150], ["cusa", "switch_2"]))
def test_bad_frames_clean(name, frame):
    assert_clean(fit_pls_moderation, MODEL, frame)


@pytest.mark.parametrize("levels", [[], [np.nan], "high", [np.inf, 0]])
def test_bad_slope_levels_clean(corp, levels):
    res = _fit(corp, "two_stage", tol=1e-7, max_iter=300)
    assert_clean(res.simple_slopes, None, levels)
    with pytest.raises(InputError):
        res.simple_slopes(None, levels)


def test_bad_plot_outcome(corp):
    res = _fit(corp, "two_stage", tol=1e-7, max_iter=300)
    with pytest.raises(InputError, match="not predicted by"):
        res.plot(outcome="CUSA")
