"""Bayesian BG/NBD on CDNOW: a converged posterior that agrees with maximum likelihood."""

from __future__ import annotations

import numpy as np

from cxmodels import clv
from cxmodels.datasets.transactions import load_cdnow


def test_bayesian_bgnbd_converges_and_agrees_with_ml_on_cdnow():
    s = clv.rfm_summary(load_cdnow(), "sample_id", "date", calibration_end="1997-09-30", observation_end="1998-06-30")
    ml = clv.fit_bgnbd(s)
    post = clv.fit_bayes(s, "bgnbd", draws=1000, tune=1000, chains=2, seed=11)
    tab = post.summary()
    # convergence (Vehtari et al. 2021), asserted rather than assumed
    assert post.converged and post.warnings == [], tab
    assert (tab["r_hat"] <= 1.01).all() and (tab["ess_bulk"] >= 400).all() and (tab["ess_tail"] >= 400).all(), tab
    z = (tab["est"] - ml.params) / tab["sd"]
    assert (z.abs() < 1.0).all(), tab.assign(ml=ml.params)
    # posterior sd vs asymptotic SE: the posteriors of a and b are right-skewed, so only roughly equal
    np.testing.assert_allclose(tab["sd"], ml.summary()["se"], rtol=0.5)
    pred = post.expected_purchases(39.0, s.iloc[:50], level=0.9, draws=100, seed=1)
    point = ml.expected_purchases(39.0, s.iloc[:50])
    assert ((pred["expected_purchases_lower"] <= point * 1.02) & (point <= pred["expected_purchases_upper"] * 1.02)).all()
    assert list(pred.columns) == ["expected_purchases", "expected_purchases_lower", "expected_purchases_upper"]
    text = post.methods_text()
    assert "LogNormal(0, 3)" in text and post.idata.posterior.sizes["draw"] == 1000
    assert all(r.cite in text for r in post.references)
    assert post.provenance.seed == 11
