"""Covariance-based SEM: lavaan-syntax models fitted by ML/MLR (with FIML for missing data) or,
for ordinal items, WLSMV on polychoric correlations; sampling weights, clusters, two-level models
(lavaan's ``level:`` blocks), structural-after-measurement (``sam``); fit indices, modification indices,
bootstrap, measurement invariance and factor scores. Parity with lavaan is tested."""

from .bootstrap import BootstrapResult
from .fit import fit_sem
from .fit_indices import FitIndices
from .invariance import InvarianceResult, measurement_invariance
from .ordinal import OrdinalSEMResult
from .ordinal_groups import OrdinalGroupsResult
from .result import SEMResult
from .sam import SAMResult, sam
from .twolevel import fit_sem_twolevel
from .twolevel_result import TwoLevelResult

__all__ = ["fit_sem", "fit_sem_twolevel", "sam", "measurement_invariance", "SEMResult", "OrdinalSEMResult",
           "OrdinalGroupsResult", "TwoLevelResult", "SAMResult", "InvarianceResult", "BootstrapResult", "FitIndices"]
