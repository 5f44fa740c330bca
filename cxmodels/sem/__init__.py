"""Satisfaction -> loyalty: covariance-based SEM (``fit_sem``), measurement quality,
ACSI/ECSI templates and path diagrams.

Heavy dependencies are imported inside the functions that need them.
"""

from .cbsem import fit_sem
from .invariance import measurement_invariance

__all__ = ["fit_sem", "measurement_invariance", "templates"]


def __getattr__(name):
    if name == "templates":
        from . import templates
        return templates
    raise AttributeError(name)
