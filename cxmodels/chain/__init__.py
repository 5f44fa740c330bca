"""The value chain: drivers -> satisfaction -> churn and purchases -> customer lifetime value.

- :func:`fit_value_chain`: the chain for the whole customer base from a survey some customers
  answered (Likert items by an ordinal-probit factor model, :mod:`.measurement`; continuous
  items by the CB-SEM), with measurement error carried (two-step, integrated likelihood,
  :mod:`.behaviour`), non-response that may depend on satisfaction (a selection model and a
  sensitivity table) and uncertainty propagated by the bootstrap; with ``clv_model="bgnbd"`` or
  ``"pareto_nbd"`` the noncontractual chain on the BTYD models (:mod:`.btyd`, a
  ``BTYDChainResult``); :func:`index_point`.
- :func:`evaluate_intervention`: an A/B test of a CX change judged on satisfaction and on
  the value it implies through the chain.

This is a combiner (``docs/architecture.md``): it imports the public names of the sem, churn
and ab domains, lazily, so ``import cxmodels`` stays fast.  The loyalty threshold model and
penalty-reward analysis, which link no domains, live in :mod:`cxmodels.drivers`.
"""

from __future__ import annotations

__all__ = ["fit_value_chain", "ValueChainResult", "BTYDChainResult", "index_point", "evaluate_intervention",
           "InterventionResult"]

_WHERE = {"fit_value_chain": "links", "ValueChainResult": "links", "index_point": "links", "BTYDChainResult": "btyd",
          "evaluate_intervention": "intervention", "InterventionResult": "intervention"}


def __getattr__(name):
    if name in _WHERE:
        from importlib import import_module
        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
