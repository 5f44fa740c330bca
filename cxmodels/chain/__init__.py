"""The value chain: drivers -> satisfaction -> churn and purchases -> customer lifetime value.

- :func:`fit_value_chain`: the chain with measurement error carried (two-step, integrated
  likelihood) and uncertainty propagated by the bootstrap; :func:`index_point`.
- :func:`evaluate_intervention`: an A/B test of a CX change judged on satisfaction and on
  the value it implies through the chain.
- :func:`fit_threshold`: a Bayesian changepoint model of loyalty on the 0-100 index.
- :func:`penalty_reward`: penalty-reward contrast analysis (Kano classes) with intervals.

This is where the domain packages meet (a domain never imports another); the imports are
lazy so ``import cxmodels`` stays fast.
"""

from __future__ import annotations

__all__ = ["fit_value_chain", "ValueChainResult", "index_point", "evaluate_intervention", "InterventionResult",
           "fit_threshold", "ThresholdResult", "penalty_reward", "PRCAResult"]

_WHERE = {"fit_value_chain": "links", "ValueChainResult": "links", "index_point": "links",
          "evaluate_intervention": "intervention", "InterventionResult": "intervention",
          "fit_threshold": "threshold", "ThresholdResult": "threshold",
          "penalty_reward": "prca", "PRCAResult": "prca"}


def __getattr__(name):
    if name in _WHERE:
        from importlib import import_module
        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
