"""Churn risk scores for active customers and their evaluation on held-out customers.

* :func:`churn_risk`: for each customer active today at tenure a, the probability of
  churning within the next h units, 1 - S(a + h | x) / S(a | x), and the expected remaining
  tenure within the horizon, integral_0^h S(a + u | x) / S(a | x) du, from a fitted Cox model.
* :func:`brier_score`: the inverse-probability-of-censoring-weighted Brier score at a
  horizon (Graf et al. 1999).
* :func:`time_dependent_auc`: cumulative/dynamic AUC at a horizon with IPCW weights (Uno et
  al. 2007): how well the scores separate customers who churn by t from those still active.
* :func:`calibration_table`: predicted vs Kaplan-Meier observed churn by risk decile, and
  :func:`plot_calibration`.

References
----------
Graf, E., Schmoor, C., Sauerbrei, W., & Schumacher, M. (1999). Assessment and comparison
of prognostic classification schemes for survival data. Statistics in Medicine 18, 2529-2545.
Uno, H., Cai, T., Tian, L., & Wei, L. J. (2007). Evaluating prediction rules for t-year
survivors with censored regression models. JASA 102(478), 527-537.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import _rows_text, require_columns, require_frame, require_no_missing, require_numeric
from ..errors import InputError
from ._checks import survival_frame
from .kaplan_meier import _km_table


def churn_risk(model, df: pd.DataFrame, tenure: str, horizon: float, *, grid: int = 200) -> pd.DataFrame:
    """Risk of churn within ``horizon`` for customers active at tenure ``df[tenure]``.

    Parameters
    ----------
    model : CoxResult
        A fitted :func:`cxmodels.churn.cox` model; ``df`` must hold its covariates (and strata).
    tenure : str
        Current tenure of each (still active) customer.
    horizon : float
        Look-ahead, in the model's time unit.

    Beyond the last churn time in the model's data the Cox baseline hazard is zero, so
    risks there are underestimated; a warning says how many customers are affected.

    Returns
    -------
    DataFrame indexed like ``df`` with ``p_churn`` (probability of churning within the horizon),
    ``p_retain`` and ``expected_tenure_within_horizon``.
    """
    if horizon <= 0:
        raise InputError(f"horizon must be > 0, got {horizon}")
    cols = model.covariates + list(model.strata)
    require_frame(df)
    require_columns(df, [tenure] + cols)
    require_numeric(df, [tenure] + model.covariates)
    require_no_missing(df, [tenure] + cols)
    a = df[tenure].to_numpy(float)
    bad = df.index[a < 0]
    if len(bad):
        raise InputError(f"column {tenure!r} has {len(bad)} negative tenures ({_rows_text(bad)})")
    u = np.linspace(0.0, float(horizon), grid + 1)
    f = model.lifelines_fitter
    last = float(model._data.loc[model._data[model.event] == 1, model.duration].max())
    beyond = int(np.sum(a + horizon > last))
    if beyond:
        import warnings

        from ..errors import CXModelsWarning

        warnings.warn(f"{beyond} of {len(a)} customers reach beyond the last churn time the model saw "
                      f"({last:g}) within the horizon; the Cox baseline is flat there, so their risk is "
                      "underestimated (zero beyond it)", CXModelsWarning, stacklevel=2)
    X = df[cols]
    # S(a + u | x) / S(a | x), via lifelines' conditional_after (times measured from a)
    cond = f.predict_survival_function(X, times=u, conditional_after=a).to_numpy()  # (len(u), n)
    expected = np.trapezoid(cond, u, axis=0) if hasattr(np, "trapezoid") else np.trapz(cond, u, axis=0)
    p_retain = cond[-1]
    return pd.DataFrame({"p_churn": 1 - p_retain, "p_retain": p_retain, "expected_tenure_within_horizon": expected},
                        index=df.index)


def _censoring_km(t, e):
    """Kaplan-Meier of the censoring distribution, G(s) as a step function."""
    tab = _km_table(t, 1 - e)
    times, g = tab["time"].to_numpy(), tab["survival"].to_numpy()

    def G(s, left=False):
        idx = np.searchsorted(times, s, side="left" if left else "right") - 1
        return np.where(idx >= 0, g[np.clip(idx, 0, None)], 1.0)
    return G


def brier_score(df: pd.DataFrame, duration: str, event: str, survival_prob, horizon: float) -> float:
    """IPCW Brier score at ``horizon`` of predicted survival probabilities S(horizon | x_i).

    BS(t) = mean_i [ 1(T_i <= t, d_i = 1) S_i(t)^2 / G(T_i-) + 1(T_i > t) (1 - S_i(t))^2 / G(t) ]
    (Graf et al. 1999), G the Kaplan-Meier estimate of the censoring distribution.
    Lower is better; 0.25 is what a constant 0.5 scores.
    """
    d = survival_frame(df, duration, event)
    t, e = d[duration].to_numpy(float), d[event].to_numpy(int)
    s = np.asarray(survival_prob, float)
    if s.shape != t.shape:
        raise InputError(f"survival_prob has {s.size} values for {t.size} rows")
    G = _censoring_km(t, e)
    case = (t <= horizon) & (e == 1)
    ctrl = t > horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        w_case = np.where(case, 1 / G(t, left=True), 0.0)
    g_h = float(G(np.array([horizon]))[0])
    return float(np.mean(w_case * s ** 2 + np.where(ctrl, (1 - s) ** 2 / g_h, 0.0)))


def time_dependent_auc(df: pd.DataFrame, duration: str, event: str, risk_score, horizon: float) -> float:
    """Cumulative/dynamic AUC at ``horizon`` (Uno et al. 2007): the IPCW-weighted probability
    that a customer who churned by ``horizon`` has a higher risk score than one still active."""
    d = survival_frame(df, duration, event)
    t, e = d[duration].to_numpy(float), d[event].to_numpy(int)
    r = np.asarray(risk_score, float)
    G = _censoring_km(t, e)
    case = (t <= horizon) & (e == 1)
    ctrl = t > horizon
    if not case.any() or not ctrl.any():
        raise InputError(f"horizon {horizon}: needs customers who churned by it and customers still active after it")
    w = 1 / G(t[case], left=True)
    rc, rn = r[case], np.sort(r[ctrl])
    # for each case, controls with a lower score (+ half the ties)
    lower = np.searchsorted(rn, rc, side="left")
    ties = np.searchsorted(rn, rc, side="right") - lower
    return float(np.sum(w * (lower + 0.5 * ties)) / (np.sum(w) * len(rn)))


def calibration_table(df: pd.DataFrame, duration: str, event: str, survival_prob, horizon: float,
                      bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed (Kaplan-Meier) churn by ``horizon``, in risk quantile bins."""
    d = survival_frame(df, duration, event)
    p = 1 - np.asarray(survival_prob, float)
    q = pd.qcut(p, bins, labels=False, duplicates="drop")
    rows = []
    for b in np.unique(q):
        m = q == b
        tab = _km_table(d[duration].to_numpy(float)[m], d[event].to_numpy(int)[m])
        tt = tab["time"].to_numpy()
        i = np.searchsorted(tt, horizon, side="right") - 1
        obs = 1 - (tab["survival"].iloc[i] if i >= 0 else 1.0)
        rows.append({"bin": int(b), "n": int(m.sum()), "predicted": float(p[m].mean()), "observed": float(obs)})
    return pd.DataFrame(rows)


def plot_calibration(table: pd.DataFrame, ax=None):
    """Calibration plot of :func:`calibration_table` output."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(table["predicted"], table["observed"], "o-")
    lim = max(table["predicted"].max(), table["observed"].max()) * 1.05
    ax.plot([0, lim], [0, lim], color="grey", ls="--", lw=1)
    ax.set_xlabel("predicted churn probability")
    ax.set_ylabel("observed churn (Kaplan-Meier)")
    return ax
