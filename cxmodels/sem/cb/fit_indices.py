"""Fit indices, defined as lavaan defines them (``fitMeasures``).

With ``T`` the chi-square statistic on ``df`` degrees of freedom, ``T_b``/``df_b`` the
baseline (independence) model's, ``N`` the number of observations and ``G`` the number
of groups:

* CFI (Bentler 1990): ``1 - max(T - df, 0) / max(T - df, T_b - df_b, 0)``;
* TLI (Tucker & Lewis 1973): ``(T_b/df_b - T/df) / (T_b/df_b - 1)``;
* RMSEA (Steiger 1990; Browne & Cudeck 1993): ``sqrt(max(T - df, 0) / (df N)) * sqrt(G)``,
  its 90% interval from the noncentral chi-square distribution, and the p-value of the
  test of close fit (RMSEA <= .05);
* SRMR (Bentler 1995; lavaan's ``srmr_bentler``): the root mean square of the
  residual correlations ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the lower triangle
  with the diagonal (and, with a mean structure, of the standardized mean residuals),
  averaged over groups with weights ``N_g / N``;
* AIC ``= -2 logL + 2 q`` and BIC ``= -2 logL + q log N`` on lavaan's scale, where
  ``logL`` is the full normal log-likelihood (constants included) and ``q`` the number
  of free parameters; the sample-size adjusted BIC uses ``log((N + 2) / 24)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats


def cfi(T, df, Tb, dfb):
    num = max(T - df, 0.0)
    den = max(T - df, Tb - dfb, 0.0)
    return 1.0 if den == 0 else 1.0 - num / den


def tli(T, df, Tb, dfb):
    if df == 0 or dfb == 0:
        return np.nan
    return (Tb / dfb - T / df) / (Tb / dfb - 1.0)


def rmsea(T, df, N, G=1):
    if df == 0:
        return 0.0
    return float(np.sqrt(max(T - df, 0.0) / (df * N)) * np.sqrt(G))


def _ncp_for(T, df, prob):
    """Noncentrality ``lam`` with ``P(chi2(df, lam) <= T) = prob`` (0 when none is needed)."""
    f = lambda lam: stats.ncx2.cdf(T, df, lam) - prob if lam > 0 else stats.chi2.cdf(T, df) - prob
    if f(0.0) < 0:
        return 0.0
    hi = max(T, 1.0)
    while f(hi) > 0:
        hi *= 2
    return optimize.brentq(f, 0.0, hi, xtol=1e-12)


def rmsea_ci(T, df, N, G=1, level=0.90):
    """Confidence interval for RMSEA by inverting the noncentral chi-square (Browne & Cudeck 1993)."""
    if df == 0:
        return 0.0, 0.0
    a = (1 - level) / 2
    lo = _ncp_for(T, df, 1 - a)
    hi = _ncp_for(T, df, a)
    scale = lambda lam: float(np.sqrt(lam / (N * df)) * np.sqrt(G))
    return scale(lo), scale(hi)


def rmsea_pvalue(T, df, N, G=1, close=0.05):
    """P-value of the test of close fit, H0: RMSEA <= ``close``."""
    if df == 0:
        return np.nan
    lam = close ** 2 * N * df / G
    return float(1 - stats.ncx2.cdf(T, df, lam)) if lam > 0 else float(1 - stats.chi2.cdf(T, df))


def robust_indices(T, df, c, Tb, dfb, cb, N, G=1) -> dict:
    """Robust CFI, TLI and RMSEA for MLR with complete data (Brosseau-Liard, Savalei & Li
    2012, Multivariate Behavioral Research 47, 904-930; Brosseau-Liard & Savalei 2014, 49,
    460-470), as lavaan's ``cfi.robust``, ``tli.robust``, ``rmsea.robust``: the unscaled
    statistic ``T`` is compared with ``c df`` (``c`` the scaling factor) instead of ``df``."""
    num, numb = T - c * df, Tb - cb * dfb
    out = {"cfi_robust": 1.0 - max(num, 0.0) / max(num, numb, 0.0) if max(num, numb, 0.0) > 0 else 1.0,
           "tli_robust": 1.0 - num * dfb / (numb * df),
           "rmsea_robust": float(np.sqrt(max(num, 0.0) / (N * df)) * np.sqrt(G))}
    # Interval: the noncentrality of the scaled statistic, rescaled by c.
    a = 0.05
    lo, hi = _ncp_for(T / c, df, 1 - a), _ncp_for(T / c, df, a)
    out["rmsea_ci_lower_robust"] = float(np.sqrt(c * lo / (N * df)) * np.sqrt(G))
    out["rmsea_ci_upper_robust"] = float(np.sqrt(c * hi / (N * df)) * np.sqrt(G))
    return out


def srmr_group(S, ybar, Sigma, mu, meanstructure):
    """Bentler's SRMR for one group (lavaan ``srmr_bentler``)."""
    sd = np.sqrt(np.diag(S))
    R = (S - Sigma) / np.outer(sd, sd)
    il = np.tril_indices(len(S))
    e = list(R[il])
    if meanstructure:
        e += list((ybar - mu) / sd)
    e = np.asarray(e)
    return float(np.sqrt(np.mean(e ** 2)))


#: Indices that count something (parameters, observations, degrees of freedom): shown as integers.
_COUNTS = ("npar", "nobs", "df", "df_scaled", "baseline_df", "baseline_df_scaled")


class FitIndices(pd.Series):
    """The fit indices of a result: a float Series (``fit["cfi"]``, ``fit[["cfi", "tli"]]``)
    whose printed form reads as a table in a paper, without scientific notation: counts
    (``npar``, ``nobs``, ``df`` ...) as integers, p-values to four decimals (``< 0.0001``
    below that), other indices to four significant decimals.  The values themselves are
    unrounded floats."""

    @property
    def _constructor(self):
        return FitIndices

    @property
    def _constructor_expanddim(self):
        return pd.DataFrame

    def formatted(self) -> pd.Series:
        """The values as display strings, indexed as the Series."""
        out = {}
        for k, v in self.items():
            if not np.isfinite(v):
                out[k] = "NA" if np.isnan(v) else str(v)
            elif k in _COUNTS and float(v).is_integer():
                out[k] = f"{int(v)}"
            elif "pvalue" in str(k) and v < 1e-4:
                out[k] = "< 0.0001"
            elif abs(v) >= 1e5:
                out[k] = f"{v:,.1f}"
            else:
                out[k] = f"{v:.4f}"
        return pd.Series(out, dtype=object, name=self.name)

    def __repr__(self) -> str:
        if len(self) == 0:
            return super().__repr__()
        shown = self.formatted()
        width = max(len(str(k)) for k in shown.index)
        vwidth = max(len(v) for v in shown)
        return "\n".join(f"{str(k):<{width}}  {v:>{vwidth}}" for k, v in shown.items())

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in self.formatted().items())
        return f"<table>{rows}</table>"
