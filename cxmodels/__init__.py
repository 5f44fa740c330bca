"""cxmodels: customer-experience analytics for researchers.

Domains, each validated against the reference implementation of its field:

* :mod:`cxmodels.sem`: satisfaction -> loyalty structural equation models (covariance-based and PLS);
* :mod:`cxmodels.churn`: survival models of churn;
* :mod:`cxmodels.clv`: customer lifetime value;
* :mod:`cxmodels.ab`: Bayesian A/B evaluation of CX interventions;
* :mod:`cxmodels.metrics`: CSAT, NPS and CES with intervals;
* :mod:`cxmodels.drivers`: what moves satisfaction (threshold model, penalty-reward analysis);
* :mod:`cxmodels.text`: the voice of the customer in Chinese and English text.

They meet in :mod:`cxmodels.chain` (the value chain), :mod:`cxmodels.report` and the bundled
:mod:`cxmodels.datasets`.  The design is in ``docs/architecture.md``.  Subpackages are imported
on first use, so ``import cxmodels`` stays fast.
"""

import importlib

__version__ = "0.1.0"

#: Every public subpackage and module, imported on first attribute access.
_SUBMODULES = ("sem", "churn", "clv", "ab", "metrics", "drivers", "text", "chain", "datasets", "report",
               "errors", "provenance", "references", "plotting")

__all__ = [*_SUBMODULES, "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"cxmodels.{name}")
    raise AttributeError(f"module 'cxmodels' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
