"""Satisfaction -> loyalty: covariance-based SEM (``fit_sem``), measurement invariance,
ACSI/ECSI templates and path diagrams.

Heavy dependencies are imported inside the functions that need them.
"""

from . import templates
from .cb.fit import fit_sem
from .pls.fit import fit_pls
from .cb.invariance import measurement_invariance

__all__ = ["fit_sem", "fit_pls", "measurement_invariance", "templates"]
