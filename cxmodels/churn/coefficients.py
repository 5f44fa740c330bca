"""The coefficient surface shared by the proportional-hazards results (Cox, clustered and
frailty Cox, Fine-Gray): log hazard ratios, hazard ratios and standard errors read from the
result's tidy table (columns ``coef``, ``hazard_ratio``, ``se``)."""

from __future__ import annotations

import pandas as pd


class HazardCoefficients:
    """Mixin for a :class:`~cxmodels._results.Result` whose ``_table`` is indexed by covariate."""

    @property
    def params(self) -> pd.Series:
        """Log hazard ratios (log subdistribution hazard ratios for Fine-Gray), by covariate."""
        return self._table["coef"].copy()

    @property
    def hazard_ratios(self) -> pd.Series:
        """exp(coef), by covariate."""
        return self._table["hazard_ratio"].copy()

    @property
    def standard_errors(self) -> pd.Series:
        """Standard errors of the coefficients (robust where the model says so), by covariate."""
        return self._table["se"].copy()
