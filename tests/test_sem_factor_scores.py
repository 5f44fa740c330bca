"""Factor scores and the latent posterior against lavaan's lavPredict
(fixtures: tests/fixtures/factor_scores/make_fixtures.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import datasets
from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from conftest import HS_MODEL as HS, PD_MODEL as PD

FIX = Path(__file__).parent / "fixtures" / "factor_scores"
# conftest's PoliticalDemocracy model labels its paths and defines effects; the estimates
# (hence the scores) are those of the unlabelled model in make_fixtures.R


@pytest.fixture(scope="module")
def fits():
    hs = datasets.load_holzinger_swineford()
    pd_ = datasets.load_political_democracy()
    return {"hs": fit_sem(HS, hs), "hs_mean": fit_sem(HS, hs, meanstructure=True), "pd": fit_sem(PD, pd_)}


@pytest.mark.parametrize("name", ["hs", "hs_mean", "pd"])
@pytest.mark.parametrize("method", ["regression", "bartlett"])
def test_factor_scores_match_lavpredict(fits, name, method):
    ours = fits[name].factor_scores(method=method)
    ref = pd.read_csv(FIX / f"{name}_{method}.csv")
    assert list(ours.columns) == list(ref.columns)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), atol=2e-4)


def test_latent_covariance_matches_lavaan_cov_lv(fits):
    ref = pd.read_csv(FIX / "pd_cov_lv.csv")
    ours = fits["pd"].latent_covariance()
    assert list(ours.columns) == list(ref.columns) == fits["pd"].latent
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-4)


def test_latent_posterior_covariance_is_the_regression_score_error(fits):
    # E[(eta - E[eta|y])(...)'] = Var(eta|y): the implied latent covariance equals the
    # covariance of the regression scores plus the conditional covariance.
    res = fits["hs"]
    means, cov = res.latent_posterior()
    phi = res.estimates().query("op == '~~' and lhs in ['visual','textual','speed'] and lhs == rhs")
    var_scores = means.var(ddof=0).to_numpy()
    np.testing.assert_allclose(var_scores + np.diag(cov), phi["est"].to_numpy(), rtol=0.02)
    assert np.all(np.linalg.eigvalsh(cov.to_numpy()) > 0)


def test_new_data_and_bad_method(fits):
    hs = datasets.load_holzinger_swineford()
    head = hs.head(5).copy()
    before = head.copy()
    np.testing.assert_allclose(fits["hs"].factor_scores(head).to_numpy(),
                               fits["hs"].factor_scores().to_numpy()[:5], atol=1e-12)
    pd.testing.assert_frame_equal(head, before)
    with pytest.raises(InputError, match="x9"):
        fits["hs"].factor_scores(head.drop(columns="x9"))
    with pytest.raises(InputError, match="bartlett"):
        fits["hs"].factor_scores(method="ols")
