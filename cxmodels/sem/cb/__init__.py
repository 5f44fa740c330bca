"""Covariance-based SEM: lavaan-syntax models fitted by ML/MLR (with FIML for missing data) or,
for ordinal items, WLSMV on polychoric correlations; fit indices, modification indices,
bootstrap, measurement invariance and factor scores. Parity with lavaan is tested."""

from .fit import fit_sem
from .invariance import measurement_invariance

__all__ = ["fit_sem", "measurement_invariance"]
