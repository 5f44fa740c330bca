"""Customer lifetime value: from a transaction log to CLV.

* :func:`rfm_summary`, :func:`rfm_segments`: frequency/recency/T/monetary summaries
  (with a calibration/holdout split), RFM quintile scores and named segments;
* :class:`BetaGeoNBD`, :class:`ModifiedBetaGeoNBD`, :class:`ParetoNBD`: purchase
  ("buy till you die") models, fitted by maximum likelihood in log space;
* :class:`GammaGamma`: spend per transaction;
* :func:`customer_lifetime_value`: discounted expected value, with parameter-uncertainty
  intervals; :func:`simple_clv`, the practitioners' back-of-envelope baseline;
  :func:`customer_equity`;
* :func:`contractual_clv`: subscriptions, on the shifted-beta-geometric model (DEL, DERL);
* :func:`fit_bayes` (PyMC, imported on first use): posterior of the BG/NBD or Gamma-Gamma
  with per-customer credible intervals;
* :mod:`cxmodels.clv.plot`: tracking tables and validation plots;
* :mod:`cxmodels.clv.simulate`: seeded draws from each model (known ground truth).
"""

from .bgnbd import BetaGeoNBD, ModifiedBetaGeoNBD
from .contractual import contractual_clv, discounted_expected_lifetime, discounted_expected_residual_lifetime
from .gammagamma import GammaGamma
from .paretonbd import ParetoNBD
from .rfm import SEGMENTS, rfm_segments, rfm_summary
from .value import customer_equity, customer_lifetime_value, simple_clv



def fit_bayes(*args, **kwargs):
    """Bayesian BG/NBD or Gamma-Gamma fit with PyMC; see :func:`cxmodels.clv.bayes.fit_bayes`."""
    from .bayes import fit_bayes as _fit

    return _fit(*args, **kwargs)


__all__ = ["rfm_summary", "rfm_segments", "SEGMENTS", "BetaGeoNBD", "ModifiedBetaGeoNBD", "ParetoNBD",
           "GammaGamma", "customer_lifetime_value", "simple_clv", "customer_equity",
           "fit_bayes", "contractual_clv", "discounted_expected_lifetime", "discounted_expected_residual_lifetime"]
