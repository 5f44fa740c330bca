"""Bayesian BG/NBD and Gamma-Gamma on CDNOW: converged posteriors that agree with maximum
likelihood and with the published CDNOW estimates."""

from __future__ import annotations

import numpy as np
import pytest

from cxmodels import clv
from cxmodels.datasets.transactions import load_cdnow

#: Fader, Hardie & Lee (2005a, 2005b): the published CDNOW estimates
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def cdnow():
    return clv.rfm_summary(load_cdnow(), "sample_id", "date", "dollar_value", calibration_end="1997-09-30",
                           observation_end="1998-06-30")


def _assert_converged(post):
    tab = post.summary()
    # convergence (Vehtari et al. 2021), asserted rather than assumed
    assert post.converged and post.warnings == [], tab
    assert (tab["r_hat"] <= 1.01).all() and (tab["ess_bulk"] >= 400).all() and (tab["ess_tail"] >= 400).all(), tab
    return tab


def test_bayesian_bgnbd_converges_and_agrees_with_ml_on_cdnow(cdnow):
    s = cdnow
    ml = clv.fit_bgnbd(s)
    post = clv.fit_bayes(s, "bgnbd", draws=1000, tune=1000, chains=2, seed=11)
    tab = _assert_converged(post)
    z = (tab["est"] - ml.params) / tab["sd"]
    assert (z.abs() < 1.0).all(), tab.assign(ml=ml.params)
    # and with the published estimates: within one posterior sd
    pub = np.array([PUBLISHED_BGNBD[k] for k in tab.index])
    assert (np.abs(tab["est"] - pub) / tab["sd"] < 1.0).all(), tab.assign(published=pub)
    # posterior sd vs asymptotic SE: the posteriors of a and b are right-skewed, so only roughly equal
    np.testing.assert_allclose(tab["sd"], ml.summary()["se"], rtol=0.5)
    pred = post.expected_purchases(39.0, s.iloc[:50], level=0.9, draws=100, seed=1)
    point = ml.expected_purchases(39.0, s.iloc[:50])
    assert ((pred["expected_purchases_lower"] <= point * 1.02) & (point <= pred["expected_purchases_upper"] * 1.02)).all()
    assert list(pred.columns) == ["expected_purchases", "expected_purchases_lower", "expected_purchases_upper"]
    text = post.methods_text()
    assert "LogNormal(0, 3)" in text and post.idata.posterior.sizes["draw"] == 1000
    assert post.idata.posterior.sizes["chain"] == 2
    assert all(r.cite in text for r in post.references)
    assert post.provenance.seed == 11
    assert post.provenance.options["n_distinct_rows"] == len(s[["frequency", "recency", "T"]].drop_duplicates())
    assert post.provenance.options["parametrisation"].startswith("whitened")


def test_bayesian_gamma_gamma_converges_and_agrees_with_ml_on_cdnow(cdnow):
    s = cdnow
    ml = clv.fit_gamma_gamma(s)
    post = clv.fit_bayes(s, "gamma_gamma", draws=1000, tune=1000, chains=2, seed=5)
    tab = _assert_converged(post)
    assert list(tab.index) == ["p", "q", "v"]
    z = (tab["est"] - ml.params) / tab["sd"]
    assert (z.abs() < 1.0).all(), tab.assign(ml=ml.params)
    pub = np.array([PUBLISHED_GG[k] for k in tab.index])
    assert (np.abs(tab["est"] - pub) / tab["sd"] < 1.0).all(), tab.assign(published=pub)
