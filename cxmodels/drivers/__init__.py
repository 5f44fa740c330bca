"""What moves satisfaction: drivers of satisfaction and loyalty, linking no other domain.

- :func:`fit_threshold`: a Bayesian changepoint (hinge) model of loyalty on a 0-100
  satisfaction index, exact on a grid of thresholds (Laplace for a binary outcome).
- :func:`penalty_reward`: penalty-reward contrast analysis with Kano classes and intervals.
- :func:`key_drivers`: relative importance of touchpoints (Shapley decomposition of R2,
  Johnson's relative weights) with bootstrap intervals and rank uncertainty.
- :func:`kano`: Kano questionnaires (evaluation table, categories, Better/Worse), compared
  with the PRCA classes by :meth:`KanoResult.compare_prca`.

All return :class:`~cxmodels._results.Result` subclasses (``docs/architecture.md``).
"""

from __future__ import annotations

from .importance import KeyDriverResult, key_drivers, relative_weights, shapley_r2
from .kano import KanoResult, evaluation_table, kano
from .prca import PRCAResult, default_cuts, penalty_reward
from .threshold import ThresholdPrior, ThresholdResult, fit_threshold

__all__ = ["fit_threshold", "ThresholdResult", "ThresholdPrior", "penalty_reward", "PRCAResult", "default_cuts",
           "key_drivers", "KeyDriverResult", "shapley_r2", "relative_weights", "kano", "KanoResult",
           "evaluation_table"]
