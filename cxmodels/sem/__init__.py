"""Satisfaction -> loyalty: covariance-based SEM (``fit_sem``, in :mod:`cxmodels.sem.cb`),
PLS-SEM (``fit_pls``, in :mod:`cxmodels.sem.pls`), measurement invariance, the ACSI/ECSI
templates, the safe ``:=`` expressions and path diagrams (:mod:`cxmodels.sem.diagram`).

Heavy dependencies are imported inside the functions that need them.
"""

from . import templates
from .cb import (BootstrapResult, FitIndices, InvarianceResult, OrdinalGroupsResult, OrdinalSEMResult, SAMResult,
                 SEMResult, TwoLevelResult, fit_sem_twolevel, measurement_invariance, sam)
from .cb.fit import fit_sem
from .pls.fit import fit_pls

__all__ = ["fit_sem", "fit_sem_twolevel", "sam", "fit_pls", "measurement_invariance", "templates", "SEMResult",
           "OrdinalSEMResult", "OrdinalGroupsResult", "TwoLevelResult", "SAMResult", "InvarianceResult",
           "BootstrapResult", "FitIndices"]
