"""cxmodels: customer-experience analytics for researchers.

Four domains, each validated against the reference implementation of its field:

* :mod:`cxmodels.sem`: satisfaction -> loyalty structural equation models;
* :mod:`cxmodels.churn`: survival models of churn;
* :mod:`cxmodels.clv`: customer lifetime value;
* :mod:`cxmodels.ab`: Bayesian A/B evaluation of CX interventions.

Subpackages are imported on first use, so ``import cxmodels`` stays fast.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["sem", "datasets", "errors", "report", "__version__"]

_LAZY = {"sem", "datasets", "errors", "report", "churn", "clv", "ab", "chain", "provenance"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"cxmodels.{name}")
    raise AttributeError(f"module 'cxmodels' has no attribute {name!r}")
