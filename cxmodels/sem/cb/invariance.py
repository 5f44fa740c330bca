"""Measurement invariance across groups: configural, metric and scalar models and the
chi-square difference tests between them (lavaan's ``lavTestLRT``).

Metric invariance constrains loadings equal across groups, scalar invariance loadings
and intercepts (Meredith 1993, Psychometrika 58, 525-543; Vandenberg & Lance 2000,
Organizational Research Methods 3, 4-70).  With ``estimator="MLR"`` the difference test
is the Satorra-Bentler (2001) scaled difference,
``T_d = (T_0 - T_1) / c_d`` with ``c_d = (df_0 c_0 - df_1 c_1) / (df_0 - df_1)``.

With ordinal items (``ordered=``) the levels are ``configural`` and ``thresholds_loadings``
(thresholds and loadings equal, Wu & Estabrook 2016; the WLSMV fits of
:mod:`cxmodels.sem.cb.ordinal_groups`), compared by the scaled-and-shifted Satorra (2000)
difference test, lavaan's ``lavTestLRT`` default for WLSMV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import _validation as V
from ... import plotting
from ..._results import Decision, Result
from ...errors import InputError
from ...provenance import make_provenance
from .. import references as R
from .fit import fit_sem
from .ordinal_groups import satorra_2000

LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}

#: The levels for ordinal items (lavaan's group.equal for WLSMV fits).
ORDINAL_LEVELS = {"configural": (), "thresholds_loadings": ("thresholds", "loadings")}

#: Largest drop in CFI still read as invariance (Cheung & Rensvold 2002).
DELTA_CFI = -0.01


class InvarianceResult(Result):
    """Fitted models by level and the table comparing each with the one before it.

    ``summary()``: one row per level (index ``model``) with chisq, df, aic, bic, cfi,
    rmsea and the difference test against the previous level (chisq_diff, df_diff,
    pvalue_diff, cfi_diff).  ``params``: the chi-square difference by level.  ``fits``:
    the :class:`~cxmodels.sem.cb.result.SEMResult` of every level.  ``decide()``: the
    highest level supported.
    """

    def __init__(self, fits: dict, table: pd.DataFrame, provenance, level: float, ordinal: bool = False):
        self.fits, self._table, self._provenance, self.level = fits, table, provenance, level
        self.ordinal = ordinal
        self._warnings = [f"{lv}: {w}" for lv, res in fits.items() for w in res.warnings]
        self._converged = all(res.converged for res in fits.values())
        self._admissible = all(res.admissible for res in fits.values())
        refs = [R.MEREDITH, R.VANDENBERG_LANCE, R.CHEUNG_RENSVOLD, R.ROSSEEL]
        if ordinal:
            refs += [R.WU_ESTABROOK, R.SATORRA_2000]
        elif "chisq_scaled" in table:
            refs.append(R.SATORRA_BENTLER)
        self._references = tuple(refs)

    @property
    def params(self) -> pd.Series:
        """The chi-square difference of each level against the previous one (NaN for the first)."""
        return self._table["chisq_diff"].copy()

    def decide(self) -> Decision:
        """The highest level of invariance supported, stepping up while the drop in CFI is no
        worse than -0.01 (Cheung & Rensvold 2002); the chi-square difference tests (which
        reject trivial differences in large samples) are reported in ``criteria``."""
        t = self._table
        chosen = t.index[0]
        for lv in t.index[1:]:
            if t.loc[lv, "cfi_diff"] >= DELTA_CFI:
                chosen = lv
            else:
                break
        rejected = [lv for lv in t.index[1:] if t.loc[lv, "pvalue_diff"] < 1 - self.level]
        reason = (f"{chosen} invariance holds: the CFI drops by no more than {abs(DELTA_CFI)} up to it, "
                  f"the cutoff of {R.CHEUNG_RENSVOLD.cite}")
        if rejected:
            reason += f"; the chi-square difference test rejects {', '.join(rejected)} at {1 - self.level:.2g}"
        return Decision("adopt", str(chosen), reason,
                        {"delta_cfi_cutoff": DELTA_CFI,
                         "cfi_diff": {lv: float(v) for lv, v in t["cfi_diff"].items()},
                         "pvalue_diff": {lv: float(v) for lv, v in t["pvalue_diff"].items()}})

    def methods_text(self) -> str:
        levels = ", ".join(self.fits)
        scaled = (f", scaled as proposed by {R.SATORRA_BENTLER.cite}," if "chisq_scaled" in self._table else "")
        if self.ordinal:
            scaled = (f" (the scaled-and-shifted test of {R.SATORRA_2000.cite}, on WLSMV fits of the ordinal items "
                      f"with thresholds and loadings constrained as {R.WU_ESTABROOK.cite} describe)")
        return ("Following " f"{R.MEREDITH.cite} and {R.VANDENBERG_LANCE.cite}, measurement invariance across "
                f"groups was tested by a sequence of nested multigroup models ({levels}) fitted as lavaan, the R "
                f"package of {R.ROSSEEL.cite}, fits them, and compared by chi-square difference tests{scaled} "
                f"with changes in CFI read against the cutoff of {R.CHEUNG_RENSVOLD.cite}.")

    def plot(self, ax=None, **kwargs):
        """CFI of each level, with the -0.01 band below the previous level's."""
        t = self._table
        ax = plotting.axes(ax)
        x = np.arange(len(t))
        ax.plot(x, t["cfi"], "o-", color=plotting.color(0), label="CFI")
        for k in range(1, len(t)):
            ax.fill_between([k - 0.3, k + 0.3], t["cfi"].iloc[k - 1] + DELTA_CFI, t["cfi"].iloc[k - 1],
                            color=plotting.color(1), alpha=plotting.BAND_ALPHA, lw=0)
        ax.set_xticks(x)
        ax.set_xticklabels(list(t.index))
        ax.set_ylabel("CFI")
        ax.set_title("Measurement invariance (band: a CFI drop within 0.01)")
        return ax


def measurement_invariance(model: str, data: pd.DataFrame, group: str,
                           levels=("configural", "metric", "scalar"), *, level: float = 0.95,
                           **kwargs) -> InvarianceResult:
    """Fit the nested invariance models and test each against the previous one.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement (or full) model.
    data : DataFrame
    group : str
        The column naming the groups.
    levels : sequence of {"configural", "metric", "scalar", "strict"}
        At least two, in increasing order of constraint.
    level : float
        Confidence level of the models' intervals; ``1 - level`` is the significance level
        :meth:`InvarianceResult.decide` reports the difference tests against.
    **kwargs
        Passed to :func:`fit_sem` (``estimator``, ``missing``, ...).

    Returns
    -------
    InvarianceResult
        ``summary()``: one row per model with chisq, df, aic, bic, cfi, rmsea and the
        difference test against the previous model (chisq_diff, df_diff, pvalue_diff).
    """
    if isinstance(levels, str):
        levels = [levels]
    levels = list(levels)
    ordinal = bool(kwargs.get("ordered"))
    if "group_equal" in kwargs:
        raise InputError("measurement_invariance sets group_equal itself (through levels)")
    if ordinal:
        if levels == ["configural", "metric", "scalar"]:  # the continuous default
            levels = list(ORDINAL_LEVELS)
        bad = [lv for lv in levels if lv not in ORDINAL_LEVELS]
        if bad or levels != list(ORDINAL_LEVELS):
            raise InputError(f"with ordinal items the levels are {list(ORDINAL_LEVELS)} (thresholds and loadings "
                             f"are constrained together, Wu & Estabrook 2016), got {levels}")
    unknown = [lv for lv in levels if lv not in LEVELS and not (ordinal and lv in ORDINAL_LEVELS)]
    if unknown:
        raise InputError(f"unknown invariance level(s) {unknown}; use {list(LEVELS)}")
    order = list(ORDINAL_LEVELS) if ordinal else list(LEVELS)
    if len(levels) < 2 or len(set(levels)) != len(levels) or \
            [order.index(lv) for lv in levels] != sorted(order.index(lv) for lv in levels):
        raise InputError(f"levels must name at least two distinct levels in increasing order of "
                         f"constraint ({order}), got {levels}")
    V.check_level(level)
    V.require_frame(data)
    if group is None or not isinstance(group, str):
        raise InputError(f"group must name the column holding the groups, got {group!r}")
    V.require_columns(data, [group], "data (the group column)")
    n_groups = data[group].nunique(dropna=True)
    if n_groups < 2:
        raise InputError(f"group column {group!r} has {n_groups} distinct value(s); invariance needs "
                         "at least two groups")
    fits = {lv: fit_sem(model, data, group=group, group_equal=(ORDINAL_LEVELS if ordinal else LEVELS)[lv],
                        level=level, **kwargs)
            for lv in levels}
    if ordinal:
        table = _ordinal_table(fits)
        first = next(iter(fits.values()))
        prov = make_provenance("cxmodels.sem.measurement_invariance", data,
                               {"model": model, "group": group, "levels": levels, "level": level,
                                "estimator": "WLSMV", "ordered": first.options["ordered"]})
        return InvarianceResult(fits, table, prov, level, ordinal=True)
    rows, prev = [], None
    for lv, res in fits.items():
        f = res.fit_indices()
        row = {"model": lv, "df": f["df"], "chisq": f["chisq"], "aic": f["aic"], "bic": f["bic"],
               "cfi": f["cfi"], "rmsea": f["rmsea"], "chisq_diff": np.nan, "df_diff": np.nan,
               "pvalue_diff": np.nan, "cfi_diff": np.nan}
        if "chisq_scaling_factor" in f:
            row["chisq_scaled"] = f["chisq_scaled"]
        if prev is not None:
            ddf = f["df"] - prev["df"]
            dT = f["chisq"] - prev["chisq"]
            if "chisq_scaling_factor" in f:
                cd = (f["df"] * f["chisq_scaling_factor"] - prev["df"] * prev["chisq_scaling_factor"]) / ddf
                dT = dT / cd
            row.update(chisq_diff=dT, df_diff=ddf, pvalue_diff=float(stats.chi2.sf(dT, ddf)),
                       cfi_diff=f["cfi"] - prev["cfi"])
        rows.append(row)
        prev = f
    first = next(iter(fits.values()))
    prov = make_provenance("cxmodels.sem.measurement_invariance", data,
                           {"model": model, "group": group, "levels": levels, "level": level,
                            **{k: v for k, v in first.options.items() if k in ("estimator", "missing", "std_lv")}})
    return InvarianceResult(fits, pd.DataFrame(rows).set_index("model"), prov, level)


def _ordinal_table(fits: dict) -> pd.DataFrame:
    """The comparison table of WLSMV fits: scaled fit indices, the Satorra (2000) difference test."""
    rows, prev = [], None
    for lv, res in fits.items():
        f = res.fit_indices()
        row = {"model": lv, "df": f["df"], "chisq": f["chisq"], "chisq_scaled": f["chisq_scaled"], "aic": np.nan,
               "bic": np.nan, "cfi": f["cfi_scaled"], "rmsea": f["rmsea_scaled"], "chisq_diff": np.nan,
               "df_diff": np.nan, "pvalue_diff": np.nan, "cfi_diff": np.nan}
        if prev is not None:
            Td, m, pv = satorra_2000(prev[1], res)
            row.update(chisq_diff=Td, df_diff=m, pvalue_diff=pv, cfi_diff=f["cfi_scaled"] - prev[0]["cfi_scaled"])
        rows.append(row)
        prev = (f, res)
    return pd.DataFrame(rows).set_index("model")
