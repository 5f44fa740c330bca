"""Bayesian BG/NBD on CDNOW: the posterior agrees with maximum likelihood (short chains)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cxmodels import clv
from cxmodels.datasets.transactions import load_cdnow



def test_bayesian_bgnbd_agrees_with_ml_on_cdnow():
    s = clv.rfm_summary(load_cdnow(), "sample_id", "date", calibration_end="1997-09-30", observation_end="1998-06-30")
    cal = s[["frequency_cal", "recency_cal", "T_cal"]].rename(columns=lambda c: c[:-4])
    ml = clv.BetaGeoNBD().fit(cal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains may warn about R-hat; the check below is what matters
        post = clv.fit_bayes(cal, "bgnbd", draws=300, tune=300, chains=2, seed=11)
    tab = post.summary()
    z = (tab["est"] - ml.params) / tab["sd"]
    assert (z.abs() < 1.0).all(), tab.assign(ml=ml.params)
    # posterior sd vs asymptotic SE: the posteriors of a and b are right-skewed, so only roughly equal
    np.testing.assert_allclose(tab["sd"], ml.summary()["se"], rtol=0.5)
    pred = post.expected_purchases(39.0, cal.iloc[:50], interval=0.9, n_draws=100, seed=1)
    point = ml.expected_purchases(39.0, cal.iloc[:50])
    assert ((pred["expected_purchases_lower"] <= point * 1.02) & (point <= pred["expected_purchases_upper"] * 1.02)).all()
    assert list(pred.columns) == ["expected_purchases", "expected_purchases_lower", "expected_purchases_upper"]
    assert "LogNormal(0, 3)" in post.methods_text() and post.idata.posterior.sizes["draw"] == 300
