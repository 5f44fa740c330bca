"""Validation plots for the purchase models (matplotlib; each returns its Axes).

* :func:`tracking`: actual vs expected repeat purchases per period (cumulative or
  incremental) for a cohort, from the raw log (Fader, Hardie & Lee 2005, Figures 2-3);
* :func:`plot_tracking`: that table drawn;
* :func:`plot_calibration_holdout`: mean holdout purchases by calibration frequency,
  actual vs the model's conditional expectation (FHL 2005, Figure 4);
* :func:`plot_frequency_recency`: heat map of expected purchases or P(alive) over
  (recency, frequency) for a customer of age ``T``;
* :func:`p_alive_history`: one customer's P(alive) through time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import require_columns, require_consistent_ids, require_frame, require_unique_columns
from ..errors import InputError
from ..plotting import axes as _axes
from ..plotting import color
from ._model import CLVResult
from .dates import as_day, as_timestamp, check_time_zone, unit_days
from .rfm import HOLDOUT_COLUMNS


def _purchase_model(model):
    if not isinstance(model, CLVResult) or not hasattr(model, "p_alive"):
        raise InputError("model must be the result of fit_bgnbd, fit_mbgnbd or fit_pareto_nbd (or from_params)")


def tracking(model, data: pd.DataFrame, customer: str, date: str, *, time_unit="W",
             observation_end=None, date_format: str | None = None, time_zone: str | None = None) -> pd.DataFrame:
    """Actual and expected repeat purchases per period since the cohort's first day.

    Every customer contributes :math:`E[X(t - t_{0,i})]` (the model's unconditional
    expectation from her first purchase day :math:`t_{0,i}`); actual repeat purchases are
    purchase days after each customer's first.  Returns a frame indexed by period
    (1, 2, ...) with ``actual``, ``expected`` (per period) and ``actual_cumulative``,
    ``expected_cumulative``.  ``data`` is the raw log (one row per purchase); dates follow
    the rules of :func:`cxmodels.clv.rfm_summary` (``date_format``, ``time_zone``).
    """
    _purchase_model(model)
    u = unit_days(time_unit)
    require_frame(data)
    require_unique_columns(data)
    require_columns(data, [customer, date])
    for c in (customer, date):
        if data[c].isna().any():
            raise InputError(f"column {c!r} of data has {int(data[c].isna().sum())} missing values")
    require_consistent_ids(data, customer, "data")
    days = as_day(data[date], date, date_format, check_time_zone(time_zone))
    daily = pd.DataFrame({"c": data[customer].to_numpy(), "d": days.to_numpy()}).drop_duplicates()
    start = daily["d"].min()
    end = daily["d"].max() if observation_end is None else as_timestamp(observation_end, "observation_end",
                                                                         date_format)
    if end < daily["d"].max():
        raise InputError(f"observation_end {end.date()} comes before the last purchase day {daily['d'].max().date()}")
    first = daily.groupby("c")["d"].transform("min")
    n_days = (end - start).days + 1                            # day indices 0 .. n_days - 1
    n_periods = int(np.ceil(n_days / u - 1e-9))
    edges = np.arange(1, n_periods + 1) * u                    # period p holds days [(p-1)u, pu)
    rep = (daily.loc[daily["d"] > first, "d"] - start).dt.days.to_numpy()
    actual_cum = np.searchsorted(np.sort(rep), edges, side="left").astype(float)
    cohorts = (daily.groupby("c")["d"].min() - start).dt.days.value_counts()
    expected_cum = np.zeros(n_periods)
    for d0, n in cohorts.items():
        expected_cum += n * model.expected_purchases(np.clip(edges - d0, 0, None) / u)
    out = pd.DataFrame({"actual_cumulative": actual_cum, "expected_cumulative": expected_cum},
                       index=pd.RangeIndex(1, n_periods + 1, name="period"))
    out["actual"] = np.diff(actual_cum, prepend=0.0)
    out["expected"] = np.diff(expected_cum, prepend=0.0)
    return out


def plot_tracking(table: pd.DataFrame, *, cumulative: bool = True, calibration_period: float | None = None,
                  label: str = "model", ax=None):
    """Draw :func:`tracking`'s table; a vertical line marks the end of calibration."""
    ax = _axes(ax)
    cols = ("actual_cumulative", "expected_cumulative") if cumulative else ("actual", "expected")
    require_columns(table, cols, "table")
    ax.plot(table.index, table[cols[0]], color="black", label="actual")
    ax.plot(table.index, table[cols[1]], "--", color=color(0), label=label)
    if calibration_period is not None:
        ax.axvline(calibration_period, color="grey", lw=0.8)
    ax.set(xlabel="period", ylabel=("cumulative " if cumulative else "") + "repeat purchases")
    ax.legend()
    return ax


def plot_calibration_holdout(model, data: pd.DataFrame, *, max_frequency: int = 7, label: str = "model",
                             ax=None):
    """Mean holdout purchases by calibration frequency: actual vs conditional expectation.

    ``data`` comes from :func:`rfm_summary` with ``calibration_end`` (its ``frequency``,
    ``recency``, ``T`` describe the calibration period, ``holdout_frequency`` and
    ``holdout_duration`` the holdout).
    """
    _purchase_model(model)
    require_frame(data)
    require_unique_columns(data)
    need = ["frequency", "recency", "T", HOLDOUT_COLUMNS[0], HOLDOUT_COLUMNS[2]]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise InputError(f"data lacks column(s) {missing}: build it with rfm_summary(..., calibration_end=...)")
    for c in ("holdout_frequency", "holdout_duration"):
        v = data[c]
        if pd.api.types.is_bool_dtype(v) or not pd.api.types.is_numeric_dtype(v) \
                or not np.all(np.isfinite(v.to_numpy(float, na_value=np.nan))) or (v < 0).any():
            raise InputError(f"column {c!r} of data must hold finite non-negative numbers")
    pred = model.expected_purchases(float(data["holdout_duration"].iloc[0]), data)
    grp = data["frequency"].clip(upper=max_frequency).astype(int)
    table = pd.DataFrame({"actual": data["holdout_frequency"], "model": pred}).groupby(grp).mean()
    ax = _axes(ax)
    ax.plot(table.index, table["actual"], "o-", color="black", label="actual")
    ax.plot(table.index, table["model"], "s--", color=color(0), label=label)
    ax.set_xticks(table.index, [str(i) if i < max_frequency else f"{i}+" for i in table.index])
    ax.set(xlabel="purchases in calibration", ylabel="mean purchases in holdout")
    ax.legend()
    return ax


def plot_frequency_recency(model, T: float, *, what: str = "expected_purchases", t: float = 1.0,
                           max_frequency: int | None = None, ax=None):
    """Heat map over recency (x axis) and frequency (y axis) for customers of age ``T``.

    ``what``: ``"expected_purchases"`` (in the next ``t`` units) or ``"p_alive"``.
    """
    _purchase_model(model)
    if not (isinstance(T, (int, float, np.number)) and np.isfinite(T) and T > 0):
        raise InputError(f"T must be a positive number, got {T!r}")
    if what not in ("expected_purchases", "p_alive"):
        raise InputError(f"what must be 'expected_purchases' or 'p_alive', got {what!r}")
    fmax = int(max_frequency or 20)
    rec = np.linspace(0, T, 60)
    F, R = np.meshgrid(np.arange(fmax + 1, dtype=float), rec, indexing="ij")
    R = np.where(F == 0, 0.0, R)
    grid = pd.DataFrame({"frequency": F.ravel(), "recency": R.ravel(), "T": float(T)})
    vals = model.p_alive(grid) if what == "p_alive" else model.expected_purchases(t, grid)
    Z = vals.to_numpy().reshape(F.shape)
    ax = _axes(ax)
    im = ax.imshow(Z, origin="lower", aspect="auto", extent=(0, T, -0.5, fmax + 0.5), cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label="P(alive)" if what == "p_alive" else f"expected purchases in next {t:g}")
    ax.set(xlabel="recency (time of last purchase)", ylabel="frequency (repeat purchases)")
    return ax


def p_alive_history(model, purchase_times, T: float, *, points: int = 200) -> pd.Series:
    """P(alive) of one customer at times ``0..T`` given her purchase times (first at 0).

    ``purchase_times`` are in the model's time unit, measured from the first purchase.
    """
    _purchase_model(model)
    try:
        times = np.sort(np.asarray(purchase_times, float))
    except (TypeError, ValueError):
        raise InputError(f"purchase_times must be numbers, got {purchase_times!r}") from None
    if times.size == 0 or times[0] != 0 or np.any(times > T):
        raise InputError("purchase_times must start with the first purchase at 0 and not exceed T")
    grid = np.unique(np.concatenate([np.linspace(0, T, points), times]))
    x = np.searchsorted(times, grid, side="right") - 1
    tx = times[x]
    rfm = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": grid})
    return pd.Series(model.p_alive(rfm).to_numpy(), index=pd.Index(grid, name="t"), name="p_alive")
