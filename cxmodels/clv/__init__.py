"""Customer lifetime value: from a transaction log to CLV.

Every fit is a function returning a result (``docs/architecture.md``):

* :func:`rfm_summary`, :func:`rfm_segments`: frequency/recency/T/monetary summaries (with a
  calibration/holdout split as extra ``holdout_*`` columns), RFM quintile scores and named
  segments; dates follow one rule on both engines (:mod:`cxmodels.clv.dates`);
* :func:`fit_bgnbd`, :func:`fit_mbgnbd`, :func:`fit_pareto_nbd`: purchase ("buy till you
  die") models, fitted by maximum likelihood in log space;
* :func:`fit_gamma_gamma`: spend per transaction;
* :func:`fit_bgnbd_covariates`, :func:`fit_pareto_nbd_covariates`, :func:`fit_gamma_gamma_covariates`:
  the same models with time-invariant covariates (Fader & Hardie 2007); the row-level
  likelihoods and predictions the value chain integrates over are in :mod:`cxmodels.clv.covariates`;
* :func:`customer_lifetime_value`: discounted expected value, with parameter-uncertainty
  intervals; :func:`simple_clv`, the practitioners' back-of-envelope baseline;
  :func:`customer_equity`; :func:`discount_factor`, the one discounting convention
  (a rate per period of the model's time unit, factor :math:`(1+d)^{-t}`);
* :func:`contractual_clv`: subscriptions, on the shifted-beta-geometric model (DEL, DERL);
* :func:`fit_bayes` (PyMC, imported on first use): posterior of the BG/NBD or Gamma-Gamma
  with per-customer credible intervals;
* :mod:`cxmodels.clv.plot`: tracking tables and validation plots;
* :func:`simulate_bgnbd`, :func:`simulate_pareto_nbd`, :func:`simulate_spend`,
  :func:`simulate_transactions`: seeded draws from each model (known ground truth).
"""

from . import plot
from .bayes import BayesResult, fit_bayes
from .bgnbd import BGNBDResult, MBGNBDResult, fit_bgnbd, fit_mbgnbd
from .covariate_models import (BGNBDCovariateResult, GammaGammaCovariateResult, ParetoNBDCovariateResult,
                               fit_bgnbd_covariates, fit_gamma_gamma_covariates, fit_pareto_nbd_covariates)
from .contractual import contractual_clv, discounted_expected_lifetime, discounted_expected_residual_lifetime
from .gammagamma import GammaGammaResult, fit_gamma_gamma
from .paretonbd import ParetoNBDResult, fit_pareto_nbd
from .rfm import HOLDOUT_COLUMNS, SEGMENTS, rfm_counts, rfm_segments, rfm_summary
from .scoring import iter_scores, write_scores
from .simulate import (CDNOW_BGNBD, CDNOW_PARETO, CDNOW_SPEND, simulate_bgnbd, simulate_pareto_nbd,
                       simulate_spend, simulate_transactions)
from .value import customer_equity, customer_lifetime_value, discount_factor, discounted_purchases, simple_clv

__all__ = [
    "rfm_counts", "iter_scores", "write_scores",
    # summaries
    "rfm_summary", "rfm_segments", "SEGMENTS", "HOLDOUT_COLUMNS",
    # fits and their results
    "fit_bgnbd", "fit_mbgnbd", "fit_pareto_nbd", "fit_gamma_gamma", "fit_bayes",
    "BGNBDResult", "MBGNBDResult", "ParetoNBDResult", "GammaGammaResult", "BayesResult",
    # with time-invariant covariates
    "fit_bgnbd_covariates", "fit_pareto_nbd_covariates", "fit_gamma_gamma_covariates",
    "BGNBDCovariateResult", "ParetoNBDCovariateResult", "GammaGammaCovariateResult",
    # value
    "customer_lifetime_value", "simple_clv", "customer_equity", "discount_factor", "discounted_purchases",
    "contractual_clv", "discounted_expected_lifetime", "discounted_expected_residual_lifetime",
    # simulation
    "simulate_bgnbd", "simulate_pareto_nbd", "simulate_spend", "simulate_transactions",
    "CDNOW_BGNBD", "CDNOW_PARETO", "CDNOW_SPEND",
    "plot",
]
