r"""Long-run readouts: the surrogate index (Athey, Chetty, Imbens & Kang 2019).

An experiment that runs for weeks cannot observe 12-month retention or CLV.  The surrogate
index predicts the long-run outcome :math:`Y` from short-run surrogates :math:`S` (first-month
satisfaction, early orders, tickets) with a model calibrated on *historical* customers whose
long-run outcome is known,

.. math::

    \hat h(s) = \hat\beta_0 + s^\top\hat\beta, \qquad
    \hat\tau_{\text{long}} = \bar{\hat h}(S)_{b} - \bar{\hat h}(S)_{a} = (\bar S_b - \bar S_a)^\top\hat\beta,

and the variance adds the experiment's sampling variance of the index means (Welch) and the
calibration's, :math:`g^\top\widehat{\operatorname{Cov}}(\hat\beta)g` with :math:`g = \bar S_b -
\bar S_a` (heteroskedasticity-robust HC1 covariance, so a 0/1 retention outcome is fine).

It is unbiased for the long-run effect under three assumptions the data cannot check:
**surrogacy** (the treatment moves the long-run outcome only through the surrogates),
**comparability** (the surrogates-to-outcome relation of the historical customers holds for
the experiment's) and a correctly specified (here linear) index.  The methods text states them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_level, require_columns, require_frame, require_numeric, require_unique_columns, rows_text
from ..errors import InputError
from . import references as R
from .effects import EffectResult, compare_arms, read_frame, variants_of

__all__ = ["surrogate_index"]


def _history(history, surrogates, outcome):
    require_frame(history, "history")
    require_unique_columns(history, "history")
    require_columns(history, surrogates + [outcome], "history")
    require_numeric(history, surrogates + [outcome], "history")
    X = history[surrogates].to_numpy(dtype=float, na_value=np.nan)
    y = history[outcome].to_numpy(dtype=float, na_value=np.nan)
    bad = history.index[~np.isfinite(X).all(axis=1) | ~np.isfinite(y)]
    if len(bad):
        raise InputError(f"history has {len(bad)} rows with missing or infinite surrogates or outcome ({rows_text(bad)})")
    n, p = X.shape[0], X.shape[1] + 1
    if n <= p + 1:
        raise InputError(f"history has {n} customers for {p} coefficients; the index needs many more")
    Z = np.c_[np.ones(n), X]
    rank = np.linalg.matrix_rank(Z)
    if rank < p:
        raise InputError(f"surrogates {surrogates} are constant or collinear in history (rank {rank - 1} of "
                         f"{p - 1}): the index cannot separate them")
    ZtZi = np.linalg.inv(Z.T @ Z)
    beta = ZtZi @ Z.T @ y
    e = y - Z @ beta
    meat = (Z * e[:, None] ** 2).T @ Z
    cov = ZtZi @ meat @ ZtZi * n / (n - p)  # HC1
    r2 = 1 - e.var() / y.var() if y.var() > 0 else np.nan
    return beta, cov, float(r2), n


def surrogate_index(data, *, group: str, surrogates, history, outcome: str, control=None, level: float = 0.95,
                    higher_is_better: bool = True) -> EffectResult:
    """Long-run treatment effect through a surrogate index calibrated on historical customers.

    Parameters
    ----------
    data : DataFrame
        The experiment: one row per customer with ``group`` and the short-run ``surrogates``.
    surrogates : str or list of str
        Short-run columns present in both frames (satisfaction, early orders, ...).
    history : DataFrame
        Historical customers with the same surrogates and the long-run ``outcome`` (e.g. the
        value-chain model's 12-month retention or CLV, or observed ones), one row each.
    outcome : str
        Long-run outcome column of ``history``.

    Returns
    -------
    EffectResult
        Effects on the predicted long-run outcome; ``se`` combines the experiment's and the
        calibration's variance (``se_experiment``, ``se_calibration``); ``coefficients`` (the
        index, with robust SEs) and ``calibration_r2``.
    """
    level = check_level(level)
    surrogates = [surrogates] if isinstance(surrogates, str) else list(surrogates)
    if not surrogates or len(set(surrogates)) != len(surrogates):
        raise InputError(f"surrogates must name one or more distinct columns, got {surrogates}")
    if not isinstance(outcome, str):
        raise InputError(f"outcome must name one column of history, got {outcome!r}")
    if outcome in surrogates:
        raise InputError(f"the long-run outcome {outcome!r} cannot also be a surrogate")
    beta, cov, r2, n_hist = _history(history, surrogates, outcome)
    f = read_frame(data, group, surrogates, roles={s: "surrogate" for s in surrogates})
    variants, ctrl = variants_of(f, group, control, "surrogate_index")
    S = f[surrogates].to_numpy(float)
    idx = beta[0] + S @ beta[1:]
    g = f[group].to_numpy()
    arms = pd.DataFrame({v: {"n": float((g == v).sum()), "mean": idx[g == v].mean(), "var": idx[g == v].var(ddof=1),
                             "unadjusted": idx[g == v].mean()} for v in variants}).T.astype(float)
    if (arms["var"] <= 0).any():
        raise InputError("the surrogates do not vary within a variant, so the index has no variance")
    table = compare_arms(arms, ctrl, level, welch=False)
    z = stats.norm.ppf(0.5 + level / 2)
    se_cal = []
    for v in table.index:
        gv = np.r_[0.0, S[g == v].mean(axis=0) - S[g == ctrl].mean(axis=0)]
        se_cal.append(float(np.sqrt(max(gv @ cov @ gv, 0.0))))
    se_cal = np.array(se_cal)
    table["se_experiment"] = table["se"]
    table["se_calibration"] = se_cal
    table["se"] = np.sqrt(table["se_experiment"] ** 2 + se_cal ** 2)
    table["ci_lower"], table["ci_upper"] = table["est"] - z * table["se"], table["est"] + z * table["se"]
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["est"] / table["se"]))
    ua = arms.loc[ctrl, "unadjusted"]
    if ua != 0:
        table["relative_se"] = np.sqrt(table["relative_se"] ** 2 + (se_cal / ua) ** 2)
        table["relative_lower"] = table["relative"] - z * table["relative_se"]
        table["relative_upper"] = table["relative"] + z * table["relative_se"]
    coef = pd.DataFrame({"est": beta, "se": np.sqrt(np.diag(cov))}, index=["intercept"] + surrogates)
    methods = (f"The long-run {outcome} was predicted for every experimental customer by a surrogate index "
               f"({R.ATHEY.cite}): a linear regression of {outcome} on {', '.join(surrogates)} fitted to {n_hist:,} "
               f"historical customers (R-squared {r2:.3f}; heteroskedasticity-robust HC1 covariance). The effect on the "
               f"index is the estimated long-run effect; its variance adds the experiment's sampling variance and the "
               f"calibration's. This reading assumes (1) surrogacy: the treatment affects {outcome} only through the "
               f"surrogates; (2) comparability: the relation between surrogates and {outcome} among the historical "
               f"customers holds for the experiment's; (3) that the linear index is adequate. The experiment's data "
               f"cannot check any of the three.")
    res = EffectResult(method="surrogate index", table=table, arms=arms, data_table=f,
                       options={"surrogates": surrogates, "outcome": outcome, "history_rows": n_hist},
                       references=[R.ATHEY], methods=methods, metric=f"predicted {outcome}", control=ctrl,
                       level=level, higher_is_better=higher_is_better,
                       extras={"coefficients": coef, "calibration_r2": r2})
    if np.isfinite(r2) and r2 < 0.05:
        res._flag(f"the surrogates explain {r2:.1%} of the variance of {outcome} in history: the index predicts "
                  "little of the long-run outcome, so its effect says little about the long run")
    return res
