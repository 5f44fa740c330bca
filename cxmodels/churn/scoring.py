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

import warnings

from .. import plotting
from .._validation import require_columns, require_finite, require_frame, require_no_missing, require_numeric, \
    rows_text
from ..errors import InputError, warn
from .checks import require_single_columns, survival_frame
from .kaplan_meier import _km_table


def _horizon(horizon) -> float:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float, np.integer, np.floating)) \
            or not np.isfinite(horizon) or horizon <= 0:
        raise InputError(f"horizon must be a number > 0 (in the model's time unit), got {horizon!r}")
    return float(horizon)


def _scores(values, n: int, what: str) -> np.ndarray:
    try:
        s = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers, one per row") from None
    if s.size != n:
        raise InputError(f"{what} has {s.size} values for {n} rows")
    bad = np.nonzero(~np.isfinite(s))[0]
    if len(bad):
        raise InputError(f"{what} has {len(bad)} missing or infinite values (positions {bad[:5].tolist()})")
    return s


def churn_risk(data: pd.DataFrame, model, duration: str, horizon: float, *, grid: int = 200) -> pd.DataFrame:
    """Risk of churn within ``horizon`` for customers active at tenure ``data[duration]``.

    Parameters
    ----------
    data : DataFrame
        Customers still active; must hold the model's covariates (and strata).  Not modified.
    model : CoxResult
        A fitted :func:`cxmodels.churn.cox` model.
    duration : str
        Current tenure of each (still active) customer.
    horizon : float
        Look-ahead, in the model's time unit.

    Beyond the last churn time in the model's data the Cox baseline hazard is zero, so
    risks there are underestimated; a warning says how many customers are affected.

    Returns
    -------
    DataFrame indexed like ``data`` with ``p_churn`` (probability of churning within the horizon),
    ``p_retain`` and ``expected_tenure_within_horizon``.
    """
    from .cox import CoxResult

    if not isinstance(model, CoxResult) or model.time_varying:
        raise InputError(f"model must be a fitted cox() result, got {type(model).__name__}")
    horizon = _horizon(horizon)
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 2:
        raise InputError(f"grid must be a whole number >= 2, got {grid!r}")
    cols = model.covariates + list(model.strata)
    require_frame(data)
    require_columns(data, [duration] + cols)
    require_single_columns(data, [duration] + cols)
    require_numeric(data, [duration] + model.covariates)
    require_no_missing(data, [duration] + cols)
    require_finite(data, [duration] + model.covariates)
    a = data[duration].to_numpy(float)
    bad = data.index[a < 0]
    if len(bad):
        raise InputError(f"column {duration!r} has {len(bad)} negative tenures ({rows_text(bad)})")
    u = np.linspace(0.0, float(horizon), grid + 1)
    f = model.lifelines_fitter
    last = float(model._data.loc[model._data[model.event] == 1, model.duration].max())
    beyond = int(np.sum(a + horizon > last))
    if beyond:
        warn(f"{beyond} of {len(a)} customers reach beyond the last churn time the model saw "
                      f"({last:g}) within the horizon; the Cox baseline is flat there, so their risk is "
                      "underestimated (zero beyond it)")
    X = data[cols].reset_index(drop=True)
    # S(a + u | x) / S(a | x), via lifelines' conditional_after (times measured from a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow in lifelines for extreme covariates
        cond = f.predict_survival_function(X, times=u, conditional_after=a).to_numpy()  # (len(u), n)
    expected = np.trapezoid(cond, u, axis=0) if hasattr(np, "trapezoid") else np.trapz(cond, u, axis=0)
    p_retain = cond[-1]
    return pd.DataFrame({"p_churn": 1 - p_retain, "p_retain": p_retain, "expected_tenure_within_horizon": expected},
                        index=data.index)


def _censoring_km(t, e):
    """Kaplan-Meier of the censoring distribution, G(s) as a step function."""
    tab = _km_table(t, 1 - e)
    times, g = tab["time"].to_numpy(), tab["survival"].to_numpy()

    def G(s, left=False):
        idx = np.searchsorted(times, s, side="left" if left else "right") - 1
        return np.where(idx >= 0, g[np.clip(idx, 0, None)], 1.0)
    return G


def brier_score(data: pd.DataFrame, duration: str, event: str, survival_prob, horizon: float) -> float:
    """IPCW Brier score at ``horizon`` of predicted survival probabilities S(horizon | x_i).

    BS(t) = mean_i [ 1(T_i <= t, d_i = 1) S_i(t)^2 / G(T_i-) + 1(T_i > t) (1 - S_i(t))^2 / G(t) ]
    (Graf et al. 1999), G the Kaplan-Meier estimate of the censoring distribution.
    Lower is better; 0.25 is what a constant 0.5 scores.
    """
    horizon = _horizon(horizon)
    d = survival_frame(data, duration, event, fn="brier_score")
    t, e = d[duration].to_numpy(float), d[event].to_numpy(int)
    s = _scores(survival_prob, len(t), "survival_prob")
    G = _censoring_km(t, e)
    case = (t <= horizon) & (e == 1)
    ctrl = t > horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        w_case = np.where(case, 1 / G(t, left=True), 0.0)
    g_h = float(G(np.array([horizon]))[0])
    return float(np.mean(w_case * s ** 2 + np.where(ctrl, (1 - s) ** 2 / g_h, 0.0)))


def time_dependent_auc(data: pd.DataFrame, duration: str, event: str, risk_score, horizon: float) -> float:
    """Cumulative/dynamic AUC at ``horizon`` (Uno et al. 2007): the IPCW-weighted probability
    that a customer who churned by ``horizon`` has a higher risk score than one still active."""
    horizon = _horizon(horizon)
    d = survival_frame(data, duration, event, fn="time_dependent_auc")
    t, e = d[duration].to_numpy(float), d[event].to_numpy(int)
    r = _scores(risk_score, len(t), "risk_score")
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


def calibration_table(data: pd.DataFrame, duration: str, event: str, survival_prob, horizon: float,
                      bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed (Kaplan-Meier) churn by ``horizon``, in risk quantile bins."""
    horizon = _horizon(horizon)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise InputError(f"bins must be a whole number >= 1, got {bins!r}")
    d = survival_frame(data, duration, event, fn="calibration_table")
    p = 1 - _scores(survival_prob, len(d), "survival_prob")
    q = pd.qcut(p, bins, labels=False, duplicates="drop") if np.ptp(p) > 0 else np.zeros(len(p), int)
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
    """Calibration plot of :func:`calibration_table` output; returns the Axes."""
    require_frame(table, "table")
    require_columns(table, ["predicted", "observed"], "table")
    ax = plotting.axes(ax, figsize=(4.5, 4.5))
    ax.plot(table["predicted"], table["observed"], "o-", color=plotting.color(0))
    lim = max(table["predicted"].max(), table["observed"].max()) * 1.05
    ax.plot([0, lim], [0, lim], color="grey", ls="--", lw=1)
    ax.set_xlabel("predicted churn probability")
    ax.set_ylabel("observed churn (Kaplan-Meier)")
    return ax
