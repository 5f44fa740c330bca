"""Gaussian copula test for endogeneity in PLS-SEM (issue 14).  The seminr port has no copula
test and the published applications (Hult et al. 2018) do not release their data, so the
estimates are checked against statsmodels OLS of the same copula regression on the ECSI
``mobi`` scores, by seeded recovery under Park & Gupta's (2012) data-generating process
(an endogenous, non-normal regressor), and for the refusal of normal regressors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cxmodels.errors import ImproperSolutionWarning, InputError
from cxmodels.sem import fit_pls, templates
from cxmodels.sem.pls.copula import CopulaResult, copula_term, copula_test


def _pg(n, rho, seed, b=0.5):
    """Park & Gupta (2012): (x*, e) bivariate normal with correlation rho, x = F^{-1}(Phi(x*))
    with F a chi-square(2) (non-normal), y = b x + e."""
    rng = np.random.default_rng(seed)
    xs, e = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n).T
    x = stats.chi2.ppf(stats.norm.cdf(xs), 2)
    return pd.DataFrame({"X": x, "Y": b * x + e})


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_copula_term_is_normal_scores_of_ranks():
    x = np.array([3.0, 1.0, 2.0, 2.0])
    assert copula_term(x) == pytest.approx(stats.norm.ppf(np.array([4, 1, 2.5, 2.5]) / 5))


def test_matches_statsmodels_on_mobi_scores(mobi):
    res = fit_pls(templates.ECSI, mobi)
    cop = _quiet(copula_test, res, outcome="CUSA", n_boot=20, seed=1, progress=False)
    S = res.scores(None)
    tab = cop.summary()
    for model, g in tab.groupby("model", sort=False):
        preds = list(g.loc[g.term == "path", "rhs"])
        cops = list(g.loc[g.term == "copula", "rhs"])
        X = pd.concat([S[preds]] + [pd.Series(copula_term(S[c]), index=S.index, name=f"c_{c}") for c in cops], axis=1)
        ols = sm.OLS(S["CUSA"], sm.add_constant(X)).fit()
        assert list(g["est"]) == pytest.approx(list(ols.params.iloc[1:]), abs=1e-10), model
    # every predictor of CUSA alone, and all non-normal ones jointly
    normal = cop.normality()
    usable = [c for c in ["IMAG", "CUEX", "PERQ", "PERV"] if not normal.loc[c, "normal"]]
    assert tab["model"].nunique() == len(usable) + (len(usable) > 1)
    assert cop.params.index[0].startswith("CUSA ~ IMAG + CUEX + PERQ + PERV + copula(")


def test_recovers_endogenous_slope_and_detects_it():
    d = _pg(1500, 0.5, seed=7)
    res = fit_pls("Y ~ X", d)
    cop = copula_test(res, n_boot=300, seed=2, progress=False)
    assert isinstance(cop, CopulaResult)
    tab = cop.summary().set_index("term")
    scale = d["Y"].std() / d["X"].std()  # standardized scores -> raw units
    naive = tab.loc["path", "path_pls"] * scale
    corrected = tab.loc["path", "est"] * scale
    assert naive > 0.65                      # OLS is biased upwards by the endogeneity
    assert corrected == pytest.approx(0.5, abs=0.06)
    assert tab.loc["copula", "pvalue"] < 1e-4
    d_ = cop.decide()
    assert d_.action == "endogeneity" and d_.variant == "Y <- X"
    assert "Park & Gupta (2012)" in cop.methods_text()
    assert cop.plot() is not None
    assert all(st["step"] != "copula_test" for st in res.provenance.steps)  # the fit is not altered
    assert cop.provenance.steps[-1]["step"] == "copula_test" and cop.provenance.steps[-1]["seed"] == 2


def test_no_endogeneity_is_not_flagged():
    d = _pg(1500, 0.0, seed=8)
    cop = copula_test(fit_pls("Y ~ X", d), n_boot=300, seed=3, progress=False)
    tab = cop.summary().set_index("term")
    assert tab.loc["copula", "pvalue"] > 0.05
    assert cop.decide().action == "no_endogeneity"


def test_normal_regressor_is_refused():
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"X": rng.normal(size=800)})
    d["Y"] = 0.4 * d["X"] + rng.normal(size=800)
    with pytest.raises(InputError, match="non-normally distributed regressor"):
        copula_test(fit_pls("Y ~ X", d), n_boot=10, seed=1, progress=False)
    # with one normal and one non-normal predictor: the normal one is left out, with a warning
    d["Z"] = rng.exponential(size=800)
    d["Y"] = d["Y"] + 0.3 * d["Z"]
    with pytest.warns(ImproperSolutionWarning, match=r"\['X'\] .* do not depart from normality"):
        cop = copula_test(fit_pls("Y ~ X + Z", d), n_boot=10, seed=1, progress=False)
    assert set(cop.summary().query("term == 'copula'")["rhs"]) == {"Z"}
    assert bool(cop.normality().loc["X", "normal"]) and any("normality" in w for w in cop.warnings)


def test_bad_arguments(mobi):
    res = fit_pls(templates.ECSI, mobi)
    with pytest.raises(InputError, match="fitted PLS model"):
        copula_test(mobi)
    with pytest.raises(InputError, match="not a construct"):
        copula_test(res, outcome="LOYALTY")
    with pytest.raises(InputError, match="no predecessors"):
        copula_test(res, outcome="IMAG")
    with pytest.raises(InputError, match="n_boot"):
        copula_test(res, n_boot=1)
    with pytest.raises(InputError, match="level"):
        copula_test(res, level=95)
