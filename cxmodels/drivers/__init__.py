"""What moves satisfaction: drivers of satisfaction and loyalty, linking no other domain.

- :func:`fit_threshold`: a Bayesian changepoint (hinge) model of loyalty on a 0-100
  satisfaction index, exact on a grid of thresholds (Laplace for a binary outcome).
- :func:`penalty_reward`: penalty-reward contrast analysis with Kano classes and intervals.

Both return :class:`~cxmodels._results.Result` subclasses (``docs/architecture.md``).
"""

from __future__ import annotations

from .prca import PRCAResult, default_cuts, penalty_reward
from .threshold import ThresholdPrior, ThresholdResult, fit_threshold

__all__ = ["fit_threshold", "ThresholdResult", "ThresholdPrior", "penalty_reward", "PRCAResult", "default_cuts"]
