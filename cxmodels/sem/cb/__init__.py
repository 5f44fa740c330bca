"""Covariance-based SEM: lavaan-syntax models fitted by ML/MLR (with FIML for missing data) or,
for ordinal items, WLSMV on polychoric correlations; fit indices, modification indices,
bootstrap, measurement invariance and factor scores. Parity with lavaan is tested."""

from .bootstrap import BootstrapResult
from .fit import fit_sem
from .fit_indices import FitIndices
from .invariance import InvarianceResult, measurement_invariance
from .ordinal import OrdinalSEMResult
from .result import SEMResult

__all__ = ["fit_sem", "measurement_invariance", "SEMResult", "OrdinalSEMResult", "InvarianceResult",
           "BootstrapResult", "FitIndices"]
