r"""Streams: a CX metric per day or week, watched by control charts, decomposed by STL and
tracked by a local-level model.

Every metric here is the mean of a per-answer score :math:`f(v)`: the NPS of
:math:`100\,[v \ge 9] - 100\,[v \le 6]`, a top-box or agree share of an indicator, a mean of
:math:`v` itself.  Period t, with :math:`n_t` answers, has the estimate :math:`\hat\theta_t`
and, when the process is in control (at :math:`\theta_0` with per-answer standard deviation
:math:`\sigma_0`, both from a baseline of leading periods or given), the sampling standard
deviation :math:`\sigma_0/\sqrt{n_t}`.  The charts watch the standardized values

.. math:: z_t = (\hat\theta_t - \theta_0) / (\sigma_0 / \sqrt{n_t}),

which have mean 0 and variance 1 in control whatever the sample sizes (the standardized
chart for varying sample sizes, Montgomery 2013, ch. 9):

* **EWMA** (Roberts 1959): :math:`E_t = \lambda z_t + (1-\lambda) E_{t-1}`, :math:`E_0 = 0`,
  alarm when :math:`|E_t| > L\sqrt{\lambda/(2-\lambda)}` (the asymptotic limits).
* **CUSUM** (Page 1954): :math:`C^+_t = \max(0, C^+_{t-1} + z_t - k)`,
  :math:`C^-_t = \max(0, C^-_{t-1} - z_t - k)`, alarm when either exceeds h (then both restart).

The in-control average run length (ARL) of each design is computed by the Markov-chain
approximation (Brook & Evans 1972; Lucas & Saccucci 1990) for normal :math:`z_t`, and ``L`` or
``h`` are chosen to give a requested ``arl0``; :meth:`ControlChartResult.simulate_arl` checks
that ARL by simulating in-control streams from the metric's own sampling distribution (the
baseline answers' distribution over the scale points, at the stream's sample sizes).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import _validation as V
from .. import plotting
from .._results import Decision, Result
from ..errors import ConvergenceWarning, CXModelsWarning, EstimationError, InputError
from ..provenance import make_provenance
from .references import (BROOK, CLEVELAND, DURBIN, GELMAN_2006, LUCAS, MONTGOMERY, PAGE, REICHHELD, ROBERTS,
                         SEABOLD)

STREAM_METRICS = ("nps", "csat_top_box", "csat_mean", "ces_mean", "ces_agree")
_DEFAULT_SCALE = {"nps": (0, 10), "csat_top_box": (1, 5), "csat_mean": (1, 5), "ces_mean": (1, 7),
                  "ces_agree": (1, 7)}
LABELS = {"nps": "NPS", "csat_top_box": "CSAT top-box share", "csat_mean": "CSAT mean", "ces_mean": "CES mean",
          "ces_agree": "CES agree share"}


# --- run lengths ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)  # pure in its numbers; charts ask for the same designs again
def arl_ewma(lam: float, L: float, shift: float = 0.0, states: int = 201) -> float:
    r"""ARL of a two-sided EWMA of unit-variance normal values with mean ``shift`` and
    asymptotic limits :math:`\pm L\sqrt{\lambda/(2-\lambda)}`, started at 0 (Markov chain with
    ``states`` states; Lucas & Saccucci 1990)."""
    c = L * np.sqrt(lam / (2 - lam))
    w = 2 * c / states
    mid = -c + w * (np.arange(states) + 0.5)
    lo = (mid[None, :] - w / 2 - (1 - lam) * mid[:, None]) / lam
    hi = (mid[None, :] + w / 2 - (1 - lam) * mid[:, None]) / lam
    P = stats.norm.cdf(hi - shift) - stats.norm.cdf(lo - shift)
    arl = np.linalg.solve(np.eye(states) - P, np.ones(states))
    return float(arl[states // 2])


@functools.lru_cache(maxsize=1024)
def arl_cusum(k: float, h: float, shift: float = 0.0, states: int = 100) -> float:
    r"""ARL of a two-sided CUSUM (reference ``k``, decision interval ``h``) of unit-variance
    normal values with mean ``shift``: the one-sided ARLs by the Markov chain of Brook & Evans
    (1972), combined as :math:`1/ARL = 1/ARL^+ + 1/ARL^-` (100 states reproduce 400 to 0.03%)."""
    def one(mu):
        w = 2 * h / (2 * states - 1)
        i = np.arange(states)
        lower = (i[None, :] - 0.5) * w - i[:, None] * w + k - mu
        upper = (i[None, :] + 0.5) * w - i[:, None] * w + k - mu
        P = stats.norm.cdf(upper) - stats.norm.cdf(lower)
        P[:, 0] = stats.norm.cdf(0.5 * w - i * w + k - mu)
        return float(np.linalg.solve(np.eye(states) - P, np.ones(states))[0])
    up = one(shift)
    down = up if shift == 0 else one(-shift)  # in control the two sides are mirror images
    return 1 / (1 / up + 1 / down)


@functools.lru_cache(maxsize=256)  # a pure function of two numbers, solved by many ARL evaluations
def ewma_limit(lam: float, arl0: float) -> float:
    """The ``L`` of a two-sided EWMA with in-control ARL ``arl0``."""
    return float(optimize.brentq(lambda L: arl_ewma(lam, L) - arl0, 0.5, 6.0, xtol=1e-6))


@functools.lru_cache(maxsize=256)
def cusum_limit(k: float, arl0: float) -> float:
    """The ``h`` of a two-sided CUSUM with reference ``k`` and in-control ARL ``arl0``."""
    return float(optimize.brentq(lambda h: arl_cusum(k, h) - arl0, 0.2, 30.0, xtol=1e-6))


# --- preparing a stream ---------------------------------------------------------------------------
def _scores(metric: str, scale, top_box, agree_from):
    """The scale points and the per-answer score f of each (the metric is the mean of f)."""
    lo, hi = _DEFAULT_SCALE[metric] if scale is None else scale
    try:
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise InputError(f"scale must be a pair of whole numbers, got {scale!r}") from None
    if metric == "nps" and (lo, hi) != (0, 10):
        raise InputError("the NPS scale is 0-10")
    if lo >= hi:
        raise InputError(f"scale {scale} must run from low to high")
    v = np.arange(lo, hi + 1, dtype=float)
    if metric == "nps":
        f = 100.0 * (v >= 9) - 100.0 * (v <= 6)
    elif metric == "csat_top_box":
        top_box = 2 if top_box is None else top_box
        if isinstance(top_box, bool) or not isinstance(top_box, (int, np.integer)) or not 1 <= top_box <= hi - lo:
            raise InputError(f"top_box must be a whole number from 1 to {hi - lo}, got {top_box!r}")
        f = (v > hi - top_box).astype(float)
    elif metric == "ces_agree":
        agree_from = 5 if agree_from is None else agree_from
        if not isinstance(agree_from, (int, float, np.number)) or not lo < agree_from <= hi:
            raise InputError(f"agree_from must be a scale point above {lo} and at most {hi}, got {agree_from!r}")
        f = (v >= agree_from).astype(float)
    else:
        f = v.copy()
    return v, f


def _parse_dates(data, date, date_format):
    s = data[date]
    if s.isna().any():
        raise InputError(f"column {date!r} has {int(s.isna().sum())} missing dates ({V.rows_text(s.index[s.isna()])})")
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    if date_format is not None:
        try:
            return pd.to_datetime(s, format=date_format)
        except (TypeError, ValueError) as e:
            raise InputError(f"column {date!r} does not match date_format {date_format!r}: {e}") from None
    if s.dtype == object and s.map(lambda x: isinstance(x, str)).all():
        try:  # only unambiguous ISO 8601 text is read without a format
            return pd.to_datetime(s, format="ISO8601")
        except (TypeError, ValueError):
            raise InputError(f"column {date!r} holds dates that are not ISO 8601 (YYYY-MM-DD); give date_format= "
                             "(e.g. '%d/%m/%Y'): the order of day and month is never guessed") from None
    raise InputError(f"column {date!r} must hold dates (datetime or ISO 8601 text), got dtype {s.dtype}")


def prepare_stream(data: pd.DataFrame, *, date: str, value: str, metric: str = "csat_top_box",
                   time_unit: str = "D", counts: str | None = None, scale=None, top_box=None, agree_from=None,
                   date_format=None):
    """Per-period counts of answers over the scale points, with the period estimates.

    Returns ``(table, counts, v, f)``: ``table`` indexed by period start with ``n, est, se``;
    ``counts`` (periods x scale points); ``v`` the scale points and ``f`` their scores.
    Refuses gaps (periods without answers), answers off the scale and unreadable dates.

    ``data`` holds raw answers (one row each) or, with ``counts`` (a column name), tallies: one
    row per date and scale point with the number of answers; a (date, scale point) pair given
    twice is refused (which one is meant is ambiguous).
    """
    if metric not in STREAM_METRICS:
        raise InputError(f"metric must be one of {STREAM_METRICS}, got {metric!r}")
    data = V.require_frame(data)
    V.require_unique_columns(data)
    V.require_columns(data, [date, value] + ([counts] if counts else []))
    V.require_numeric(data, [value] + ([counts] if counts else []))
    V.require_no_missing(data, [value] + ([counts] if counts else []))
    V.require_finite(data, [value] + ([counts] if counts else []))
    if len(data) == 0:
        raise InputError("data has no rows")
    if counts:
        c = data[counts].to_numpy(float)
        bad = (c < 0) | (c != np.round(c))
        if bad.any():
            raise InputError(f"column {counts!r} must hold whole, non-negative numbers of answers "
                             f"({V.rows_text(data.index[bad])})")
    if time_unit not in ("D", "W", "M"):
        raise InputError(f"time_unit must be 'D', 'W' or 'M', got {time_unit!r}")
    v, f = _scores(metric, scale, top_box, agree_from)
    x = data[value].to_numpy(float)
    off = ~np.isin(x, v)
    if off.any():
        raise InputError(f"{int(off.sum())} answers in column {value!r} are not points of the scale "
                         f"{int(v[0])}-{int(v[-1])} ({V.rows_text(data.index[off])})")
    when = _parse_dates(data, date, date_format)
    if counts:
        dup = pd.DataFrame({"d": when.to_numpy(), "v": x}).duplicated(keep=False).to_numpy()
        if dup.any():
            raise InputError(f"{int(dup.sum())} rows repeat a (date, {value}) pair ({V.rows_text(data.index[dup])}): "
                             f"with counts= each date and scale point is one row; sum the tallies first")
    period = when.dt.to_period(time_unit)
    full = pd.period_range(period.min(), period.max(), freq=period.dt.freq)
    tally = (pd.crosstab(period, pd.Categorical(x, categories=v), values=data[counts], aggfunc="sum", dropna=False)
             if counts else pd.crosstab(period, pd.Categorical(x, categories=v)))
    tally = tally.reindex(columns=v).fillna(0)
    tally = tally[tally.sum(axis=1) > 0]  # a date whose tallies are all zero has no answers
    missing = full.difference(tally.index)
    if len(missing):
        shown = ", ".join(str(p) for p in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"the stream has {len(missing)} period(s) without answers ({shown}); a stream needs every "
                         f"period of time_unit {time_unit!r}: choose a coarser time_unit or fill the gaps")
    C = tally.reindex(full).to_numpy(float)
    n = C.sum(axis=1)
    est = C @ f / n
    var = C @ f ** 2 / n - est ** 2
    ddof = np.where(n > 1, n / np.maximum(n - 1, 1), np.nan) if metric.endswith("mean") else 1.0
    se = np.sqrt(np.clip(var, 0, None) * ddof / n)
    table = pd.DataFrame({"n": n, "est": est, "se": se}, index=full.to_timestamp())
    table.index.name = "period"
    return table, C, v, f


def _in_control(C, f, baseline, target, metric):
    """theta_0, sigma_0 and the baseline's distribution over the scale points."""
    pi0 = C[:baseline].sum(axis=0)
    pi0 = pi0 / pi0.sum()
    theta = float(pi0 @ f) if target is None else float(target)
    sigma = float(np.sqrt(pi0 @ (f - pi0 @ f) ** 2))
    if not sigma > 0:
        raise EstimationError(f"the baseline answers are all alike: the {LABELS[metric]} has no sampling spread to "
                              "set control limits from; use a longer baseline")
    return theta, sigma, pi0


def _run_chart(z, chart, lam, L, k, h):
    """The chart statistic(s) and alarms for standardized values z (rows: streams)."""
    z = np.atleast_2d(z)
    S = np.zeros_like(z)
    alarm = np.zeros(z.shape, bool)
    if chart == "ewma":
        c = L * np.sqrt(lam / (2 - lam))
        e = np.zeros(z.shape[0])
        for t in range(z.shape[1]):
            e = lam * z[:, t] + (1 - lam) * e
            S[:, t] = e
            alarm[:, t] = np.abs(e) > c
        return S, S, alarm
    up, dn = np.zeros(z.shape[0]), np.zeros(z.shape[0])
    U, D = np.zeros_like(z), np.zeros_like(z)
    for t in range(z.shape[1]):
        up = np.maximum(0, up + z[:, t] - k)
        dn = np.maximum(0, dn - z[:, t] - k)
        U[:, t], D[:, t] = up, dn
        alarm[:, t] = (up > h) | (dn > h)
        up = np.where(alarm[:, t], 0.0, up)  # both sides restart after an alarm
        dn = np.where(alarm[:, t], 0.0, dn)
    return U, D, alarm


class ControlChartResult(Result):
    """An EWMA or CUSUM chart of a metric stream.

    ``summary()``: one row per period with ``n, est, se, z`` and the chart statistic
    (``ewma``, or ``cusum_up`` and ``cusum_down``), ``limit`` and ``alarm``.  ``arl0`` is the
    in-control ARL of the design (Markov chain), ``arl1`` the ARL at a shift of one per-period
    standard error; :meth:`simulate_arl` checks ``arl0`` by simulation; :meth:`decide` says
    whether the stream is in control.
    """

    def __init__(self, table, *, chart, metric, lam, L, k, h, arl0, arl1, theta0, sigma0, baseline, target, pi0, f,
                 provenance, references):
        self._table = table
        self.chart, self.metric = chart, metric
        self.lam, self.L, self.k, self.h = lam, L, k, h
        self.arl0, self.arl1 = arl0, arl1
        self.theta0, self.sigma0, self.baseline, self.target = theta0, sigma0, baseline, target
        self._pi0, self._f = pi0, f
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    @property
    def alarms(self) -> pd.DatetimeIndex:
        """Periods at which the chart signals."""
        return self._table.index[self._table["alarm"].to_numpy()]

    def decide(self) -> Decision:
        """``"alarm"`` (with the first alarm period) or ``"in_control"``."""
        a = self.alarms
        crit = {"arl0": self.arl0, "limit": float(self._table["limit"].iloc[0]), "alarms": len(a)}
        if len(a):
            first = a[0]
            direction = "up" if self._table.loc[first, "z"] > 0 else "down"
            return Decision("alarm", str(first.date()), f"the {self.chart.upper()} chart of the {LABELS[self.metric]} "
                            f"signals from {first.date()} ({direction}; {len(a)} alarm periods); in control, a false "
                            f"alarm comes on average once in {self.arl0:.0f} periods", crit)
        return Decision("in_control", None, f"no period of the {LABELS[self.metric]} crosses the {self.chart.upper()} "
                        f"limits (in-control ARL {self.arl0:.0f} periods)", crit)

    def simulate_arl(self, n_sim: int = 500, max_length: int | None = None, seed=None) -> dict:
        """In-control run lengths simulated from the metric's sampling distribution.

        Each simulated stream draws, per period, ``n_t`` answers (the stream's sample sizes,
        cycled) from the baseline's distribution over the scale points, standardizes the
        period metric as the chart does and runs the chart until its first alarm (streams are
        censored at ``max_length``, default 20 ARL).  Returns ``arl`` (mean run length),
        ``se``, ``censored`` and the ``stated`` Markov-chain ARL.
        """
        n_sim = V.check_count(n_sim, "n_sim", minimum=10)
        rng = V.as_generator(seed)
        T = int(max_length or 20 * self.arl0)
        ns = self._table["n"].to_numpy().astype(int)
        theta, sigma = float(self._pi0 @ self._f), self.sigma0
        run = np.full(n_sim, T, float)
        alive = np.ones(n_sim, bool)
        e = np.zeros(n_sim)
        up, dn = np.zeros(n_sim), np.zeros(n_sim)
        c = self.L * np.sqrt(self.lam / (2 - self.lam)) if self.chart == "ewma" else self.h
        for t in range(T):
            nt = ns[t % len(ns)]
            draws = rng.multinomial(nt, self._pi0, size=n_sim)
            z = (draws @ self._f / nt - theta) / (sigma / np.sqrt(nt))
            if self.chart == "ewma":
                e = self.lam * z + (1 - self.lam) * e
                sig = np.abs(e) > c
            else:
                up = np.maximum(0, up + z - self.k)
                dn = np.maximum(0, dn - z - self.k)
                sig = (up > c) | (dn > c)
            new = sig & alive
            run[new] = t + 1
            alive &= ~sig
            if not alive.any():
                break
        return {"arl": float(run.mean()), "se": float(run.std(ddof=1) / np.sqrt(n_sim)),
                "censored": int(alive.sum()), "stated": self.arl0, "n_sim": n_sim}

    def methods_text(self) -> str:
        base = (f"the first {self.baseline} periods" if self.target is None else
                f"the given target, with the per-answer spread of the first {self.baseline} periods")
        if self.chart == "ewma":
            design = (f"the EWMA chart of {ROBERTS.cite} with lambda = {self.lam:g} and asymptotic limits at L = "
                      f"{self.L:.3f} standard deviations of the EWMA")
            arl = f"the Markov-chain approximation of {LUCAS.cite}"
        else:
            design = (f"the two-sided CUSUM chart of {PAGE.cite} with reference value k = {self.k:g} and decision "
                      f"interval h = {self.h:.3f}")
            arl = f"the Markov-chain approximation of {BROOK.cite}"
        return (f"The {LABELS[self.metric]} per period was standardized by its sampling standard deviation under the "
                f"in-control process, estimated from {base} (value {self.theta0:.4g}, per-answer standard deviation "
                f"{self.sigma0:.4g}), which allows varying sample sizes as in {MONTGOMERY.cite}, and monitored by "
                f"{design}. Its in-control average run length is {self.arl0:.0f} periods and {self.arl1:.1f} periods "
                f"at a shift of one standard error, by {arl}"
                + (f"; NPS as defined by {REICHHELD.cite}." if self.metric == "nps" else "."))

    def plot(self, ax=None):
        """The standardized chart statistic with its limits and alarms; returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(8, 3.8))
        if self.chart == "ewma":
            ax.plot(t.index, t["ewma"], color=plotting.color(0), lw=1.2, label="EWMA of z")
            ax.axhline(t["limit"].iloc[0], color=plotting.color(1), ls="--", lw=1)
            ax.axhline(-t["limit"].iloc[0], color=plotting.color(1), ls="--", lw=1, label="limits")
            yal = t.loc[t["alarm"], "ewma"]
        else:
            ax.plot(t.index, t["cusum_up"], color=plotting.color(0), lw=1.2, label="CUSUM up")
            ax.plot(t.index, -t["cusum_down"], color=plotting.color(2), lw=1.2, label="CUSUM down (negated)")
            ax.axhline(self.h, color=plotting.color(1), ls="--", lw=1)
            ax.axhline(-self.h, color=plotting.color(1), ls="--", lw=1, label="decision interval")
            yal = np.where(t.loc[t["alarm"], "z"] > 0, t.loc[t["alarm"], "cusum_up"], -t.loc[t["alarm"], "cusum_down"])
        ax.scatter(t.index[t["alarm"]], yal, color=plotting.color(1), zorder=3, s=18, label="alarm")
        ax.set_ylabel("standardized statistic")
        ax.set_title(f"{self.chart.upper()} chart of the {LABELS[self.metric]} (in-control ARL {self.arl0:.0f})")
        ax.legend(fontsize=8, loc="upper left")
        return ax


def control_chart(data: pd.DataFrame, *, date: str, value: str, metric: str = "csat_top_box", chart: str = "ewma",
                  time_unit: str = "D", arl0: float = 370.0, lam: float = 0.2, k: float = 0.5,
                  baseline: int | None = None, target: float | None = None, counts: str | None = None, scale=None,
                  top_box=None, agree_from=None, date_format: str | None = None) -> ControlChartResult:
    """An EWMA or CUSUM chart of a CSAT, NPS or CES stream with limits from its sampling distribution.

    Parameters
    ----------
    data : DataFrame
        One row per answer: its ``date`` and its ``value`` on the metric's scale (or, with
        ``counts``, one row per date and scale point with the number of answers); not modified.
    date, value : str
        Column names.
    metric : {"nps", "csat_top_box", "csat_mean", "ces_mean", "ces_agree"}
    chart : {"ewma", "cusum"}
    time_unit : {"D", "W", "M"}
        The period; every period from the first to the last must have answers.
    arl0 : float
        The in-control average run length the limits are set for (periods between false alarms).
    lam : float
        EWMA smoothing weight in (0, 1].
    k : float
        CUSUM reference value (half the shift, in standard errors, it is tuned to detect).
    baseline : int, optional
        Leading periods that define the in-control process (default: the first half, at least 5).
    target : float, optional
        In-control value of the metric (default: the baseline's); the spread is the baseline's.
    counts : str, optional
        Column of tallies (answers per date and scale point) instead of one row per answer.
    scale, top_box, agree_from, date_format
        As in :func:`~cxmodels.metrics.csat` / :func:`~cxmodels.metrics.ces`; ISO dates are read
        without ``date_format``.

    Returns
    -------
    ControlChartResult
    """
    if chart not in ("ewma", "cusum"):
        raise InputError(f"chart must be 'ewma' or 'cusum', got {chart!r}")
    try:
        arl0, lam, k = float(arl0), float(lam), float(k)
    except (TypeError, ValueError):
        raise InputError(f"arl0, lam and k must be numbers, got {arl0!r}, {lam!r}, {k!r}") from None
    if not 2 <= arl0 <= 1e5:
        raise InputError(f"arl0 must lie between 2 and 100000 periods, got {arl0:g}")
    if not 0 < lam <= 1:
        raise InputError(f"lam must lie in (0, 1], got {lam:g}")
    if not 0 <= k <= 3:
        raise InputError(f"k must lie in [0, 3], got {k:g}")
    table, C, v, f = prepare_stream(data, date=date, value=value, metric=metric, time_unit=time_unit, counts=counts,
                                    scale=scale, top_box=top_box, agree_from=agree_from, date_format=date_format)
    T = len(table)
    if baseline is None:
        baseline = max(5, T // 2)
    baseline = V.check_count(baseline, "baseline", minimum=1)
    if baseline > T:
        raise InputError(f"baseline={baseline} exceeds the {T} periods of the stream")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise InputError(f"target must be a number on the metric's scale, got {target!r}") from None
        if not np.isfinite(target):
            raise InputError(f"target must be a finite number, got {target!r}")
    theta, sigma, pi0 = _in_control(C, f, baseline, target, metric)
    z = (table["est"].to_numpy() - theta) / (sigma / np.sqrt(table["n"].to_numpy()))
    if chart == "ewma":
        L, h = ewma_limit(lam, arl0), None
        S, _, alarm = _run_chart(z, "ewma", lam, L, k, h)
        table["z"], table["ewma"] = z, S[0]
        table["limit"] = L * np.sqrt(lam / (2 - lam))
        arl_stated, arl1 = arl_ewma(lam, L), arl_ewma(lam, L, shift=1.0)
    else:
        L, h = None, cusum_limit(k, arl0)
        U, D, alarm = _run_chart(z, "cusum", lam, L, k, h)
        table["z"], table["cusum_up"], table["cusum_down"] = z, U[0], D[0]
        table["limit"] = h
        arl_stated, arl1 = arl_cusum(k, h), arl_cusum(k, h, shift=1.0)
    table["alarm"] = alarm[0]
    prov = make_provenance(f"{chart.upper()} chart", data[[date, value] + ([counts] if counts else [])],
                           {"date": date, "value": value, "metric": metric, "chart": chart, "time_unit": time_unit,
                            "arl0": arl0, "lam": lam, "k": k, "baseline": baseline, "target": target,
                            "counts": counts, "scale": scale, "top_box": top_box, "agree_from": agree_from})
    refs = (MONTGOMERY,) + ((ROBERTS, LUCAS) if chart == "ewma" else (PAGE, BROOK)) + \
        ((REICHHELD,) if metric == "nps" else ())
    res = ControlChartResult(table, chart=chart, metric=metric, lam=lam, L=L, k=k, h=h, arl0=arl_stated, arl1=arl1,
                             theta0=theta, sigma0=sigma, baseline=baseline, target=target, pi0=pi0, f=f,
                             provenance=prov, references=refs)
    small = int((table["n"] < 30).sum())
    if small:
        res._flag(f"{small} period(s) have fewer than 30 answers: their standardized values are far from normal and "
                  "the stated ARL is approximate (check it with simulate_arl())", CXModelsWarning, admissible=True)
    return res


# --- seasonality ----------------------------------------------------------------------------------
class SeasonalityResult(Result):
    """STL decomposition of a metric stream: ``summary()`` has ``n, est, se, trend, seasonal, resid``
    per period; ``strength`` the seasonal strength :math:`\\max(0, 1 - Var(R)/Var(S+R))`."""

    def __init__(self, table, *, period, robust, metric, provenance, references):
        self._table = table
        self.period, self.robust, self.metric = period, robust, metric
        r, s = table["resid"].to_numpy(), table["seasonal"].to_numpy()
        self.strength = float(max(0.0, 1 - np.var(r) / np.var(s + r)))
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    def methods_text(self) -> str:
        return (f"The {LABELS[self.metric]} per period was decomposed into trend, seasonal (period {self.period}) and "
                f"remainder components by STL, the seasonal-trend decomposition of {CLEVELAND.cite}"
                + (", with robustness weights" if self.robust else "")
                + f", as implemented in the statsmodels of {SEABOLD.cite}; seasonal strength {self.strength:.2f}.")

    def plot(self, ax=None):
        """The period estimates, the trend and trend + seasonal; returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(8, 3.8))
        ax.plot(t.index, t["est"], ".", color="0.5", ms=4, label="period estimate")
        ax.plot(t.index, t["trend"] + t["seasonal"], color=plotting.color(2), lw=0.8, label="trend + seasonal")
        ax.plot(t.index, t["trend"], color=plotting.color(0), lw=2, label="trend")
        ax.set_ylabel(LABELS[self.metric])
        ax.set_title(f"STL decomposition (period {self.period})")
        ax.legend(fontsize=8)
        return ax


def seasonality(data: pd.DataFrame, *, date: str, value: str, metric: str = "csat_top_box", time_unit: str = "D",
                period: int = 7, robust: bool = True, counts: str | None = None, scale=None, top_box=None,
                agree_from=None, date_format: str | None = None) -> SeasonalityResult:
    """STL seasonal-trend decomposition of a metric stream (statsmodels' ``STL``).

    Parameters as in :func:`control_chart`; ``period`` is the seasonal period in periods (7 for
    the week of daily data, 52 for the year of weekly data); at least two full seasons needed.

    Returns
    -------
    SeasonalityResult
    """
    import statsmodels.tsa.seasonal as sm
    table, *_ = prepare_stream(data, date=date, value=value, metric=metric, time_unit=time_unit, counts=counts,
                               scale=scale, top_box=top_box, agree_from=agree_from, date_format=date_format)
    period = V.check_count(period, "period", minimum=2)
    if len(table) < 2 * period + 1:
        raise InputError(f"STL with period {period} needs at least {2 * period + 1} periods, the stream has "
                         f"{len(table)}")
    fit = sm.STL(table["est"].to_numpy(), period=period, robust=bool(robust)).fit()
    table["trend"], table["seasonal"], table["resid"] = fit.trend, fit.seasonal, fit.resid
    prov = make_provenance("STL", data[[date, value] + ([counts] if counts else [])],
                           {"date": date, "value": value, "metric": metric, "time_unit": time_unit, "period": period,
                            "robust": bool(robust), "counts": counts})
    return SeasonalityResult(table, period=period, robust=bool(robust), metric=metric, provenance=prov,
                             references=(CLEVELAND, SEABOLD))


# --- the tracking line ----------------------------------------------------------------------------
def _local_level_model(endog, obs_var):
    """A local-level model whose measurement variance is the known sampling variance of each
    period plus one extra variance (statsmodels state space; Durbin & Koopman 2012, ch. 2)."""
    import statsmodels.tsa.statespace.mlemodel as mlemodel

    class KnownNoiseLocalLevel(mlemodel.MLEModel):
        def __init__(self, y, v):
            super().__init__(y, k_states=1, k_posdef=1)
            self._v = np.asarray(v, float)
            self.ssm.initialize_diffuse()
            self["design", 0, 0] = 1.0
            self["transition", 0, 0] = 1.0
            self["selection", 0, 0] = 1.0
            self.ssm["obs_cov"] = np.zeros((1, 1, len(self._v)))

        @property
        def param_names(self):
            return ["sigma2.level", "sigma2.extra"]

        @property
        def start_params(self):
            d = np.diff(np.asarray(self.endog).ravel())
            return np.array([max(np.var(d) / 4, 1e-8), max(np.var(d) / 4, 1e-8)])

        def transform_params(self, unconstrained):
            return np.asarray(unconstrained) ** 2

        def untransform_params(self, constrained):
            return np.sqrt(np.asarray(constrained))

        def update(self, params, **kwargs):
            params = super().update(params, **kwargs)
            self["state_cov", 0, 0] = params[0]
            self.ssm["obs_cov"] = (self._v + params[1])[None, None, :]

    return KnownNoiseLocalLevel(endog, obs_var)


class LocalLevelResult(Result):
    """The tracking line of a metric stream: a local-level (random walk plus noise) model.

    ``summary()`` has per period ``n, est, se`` and the smoothed level ``level`` with ``level_se``
    and ``lower, upper`` (at ``level``), and the filtered (real-time) ``filtered`` with its
    interval; ``params`` the variances ``sigma2.level`` (period-to-period movement of the true
    level) and ``sigma2.extra`` (variation beyond sampling error): posterior means
    (``method="bayes"``) or maximum-likelihood estimates (``"ml"``, with ``loglik``).
    """

    def __init__(self, table, variances, *, level, metric, loglik, method, grid, provenance, references):
        self._table = table
        self._variances = variances
        self.level, self.metric, self.loglik, self.method, self.grid = level, metric, loglik, method, grid
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        return self._variances.copy()

    def methods_text(self) -> str:
        text = (f"The {LABELS[self.metric]} per period was tracked by the local-level dynamic linear model of "
                f"{DURBIN.cite} (a random walk observed with noise), whose measurement variance is each period's "
                f"known sampling variance plus an extra variance, with the Kalman filter and smoother of the "
                f"statsmodels of {SEABOLD.cite}. ")
        if self.method == "bayes":
            text += (f"The two variances have half-Cauchy priors on their standard deviations as recommended by "
                     f"{GELMAN_2006.cite}, with the scale of the period values; their posterior was computed on a "
                     f"{self.grid} x {self.grid} grid of log standard deviations and the level's posterior is the "
                     f"mixture of the smoother's normal distributions over it, summarized by its mean and "
                     f"{self.level:.0%} equal-tailed interval.")
        else:
            text += (f"Both variances were estimated by maximum likelihood and plugged in (empirical Bayes): the "
                     f"{self.level:.0%} intervals of the level do not carry their uncertainty.")
        return text

    def plot(self, ax=None):
        """Period estimates with their intervals, the smoothed level and its band; returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(8, 3.8))
        z = stats.norm.ppf(0.5 + self.level / 2)
        ax.errorbar(t.index, t["est"], yerr=z * t["se"], fmt=".", color="0.55", ms=3, lw=0.5, label="period estimate")
        ax.fill_between(t.index, t["lower"], t["upper"], color=plotting.color(0), alpha=plotting.BAND_ALPHA)
        ax.plot(t.index, t["level"], color=plotting.color(0), lw=2, label=f"level ({self.level:.0%} band)")
        ax.set_ylabel(LABELS[self.metric])
        ax.set_title("Local-level tracking line")
        ax.legend(fontsize=8)
        return ax


def _mixture_quantiles(w, M, S, q, iters: int = 60):
    """Quantile ``q`` per column of the normal mixture with weights ``w`` (K), means and SDs ``M``, ``S``
    (K x T), by bisection on its CDF (deterministic)."""
    lo = (M - 8 * S).min(axis=0)
    hi = (M + 8 * S).max(axis=0)
    for _ in range(iters):
        mid = (lo + hi) / 2
        cdf = w @ stats.norm.cdf((mid[None, :] - M) / S)
        lo, hi = np.where(cdf < q, mid, lo), np.where(cdf < q, hi, mid)
    return (lo + hi) / 2


def _grid_posterior(model, y, grid: int):
    """Posterior of the two variances on a grid of log standard deviations, with half-Cauchy priors
    of scale sd(y) on both standard deviations (Gelman 2006); the level's smoothed and filtered
    moments at each grid point."""
    scale = float(np.std(y, ddof=1)) or 1e-6
    ls = np.linspace(np.log(scale * 1e-3), np.log(scale * 3), grid)
    logp, out = [], []
    for a in ls:
        for b in ls:
            r = model.smooth(np.array([np.exp(2 * a), np.exp(2 * b)]), transformed=True)
            prior = (stats.halfcauchy.logpdf(np.exp(a), scale=scale) + a
                     + stats.halfcauchy.logpdf(np.exp(b), scale=scale) + b)  # + log-Jacobian of sigma = e^a
            logp.append(r.llf + prior)
            out.append((np.exp(2 * a), np.exp(2 * b), r.smoothed_state[0], r.smoothed_state_cov[0, 0],
                        r.filtered_state[0], r.filtered_state_cov[0, 0]))
    logp = np.array(logp)
    w = np.exp(logp - logp.max())
    w /= w.sum()
    cols = [np.array(c) for c in zip(*out)]
    return w, cols, ls


def tracking_line(data: pd.DataFrame, *, date: str, value: str, metric: str = "csat_top_box", time_unit: str = "D",
                  method: str = "bayes", grid: int = 16, level: float = 0.95, counts: str | None = None, scale=None,
                  top_box=None, agree_from=None, date_format: str | None = None) -> LocalLevelResult:
    r"""A local-level model of a metric stream: the tracking line with its uncertainty.

    :math:`\hat\theta_t = \mu_t + \epsilon_t`, :math:`\epsilon_t \sim N(0, s_t^2 + \sigma^2_e)` with
    :math:`s_t` the period's sampling standard error, and :math:`\mu_t = \mu_{t-1} + \eta_t`,
    :math:`\eta_t \sim N(0, \sigma^2_\eta)` (Durbin & Koopman 2012, ch. 2).  Periods with few
    answers count less, automatically.

    Parameters
    ----------
    method : {"bayes", "ml"}
        ``"bayes"``: the posterior of the two variances on a ``grid`` x ``grid`` grid of log standard
        deviations (half-Cauchy priors with the scale of the period values, Gelman 2006), the level's
        posterior the mixture of the Kalman smoother's normals over that grid, so the band carries
        the uncertainty of the variances (95% bands covered the true level in 95.2% of simulated
        days).  ``"ml"``: both variances by maximum likelihood, plugged in (faster; 93.0% in the same
        simulation).
    grid : int
        Grid points per variance (``method="bayes"``).
    date, value, metric, time_unit, level, counts, scale, top_box, agree_from, date_format
        As in :func:`control_chart`.

    Returns
    -------
    LocalLevelResult
    """
    level = V.check_level(level)
    if method not in ("bayes", "ml"):
        raise InputError(f"method must be 'bayes' or 'ml', got {method!r}")
    grid = V.check_count(grid, "grid", minimum=5)
    table, *_ = prepare_stream(data, date=date, value=value, metric=metric, time_unit=time_unit, counts=counts,
                               scale=scale, top_box=top_box, agree_from=agree_from, date_format=date_format)
    if len(table) < 4:
        raise InputError(f"a local-level model needs at least 4 periods, the stream has {len(table)}")
    se = table["se"].to_numpy()
    if not np.isfinite(se).all():
        raise InputError("some periods have a single answer: their sampling variance is unknown; use a coarser "
                         "time_unit")
    # a period whose answers are all alike has sampling variance 0 by the plug-in; give it the
    # smallest positive one seen, so one lucky day does not pin the line
    floor = se[se > 0].min() if (se > 0).any() else 1e-6
    v = np.maximum(se, floor) ** 2
    import warnings as _w

    y = table["est"].to_numpy()
    model = _local_level_model(y, v)
    z = stats.norm.ppf(0.5 + level / 2)
    a = (1 - level) / 2
    edge = None
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always")
        try:
            if method == "ml":
                fit = model.fit(disp=False, maxiter=500)
                sm, sm_v = fit.smoothed_state[0], fit.smoothed_state_cov[0, 0]
                fl, fl_v = fit.filtered_state[0], fit.filtered_state_cov[0, 0]
                table["level"], table["level_se"] = sm, np.sqrt(sm_v)
                table["lower"], table["upper"] = sm - z * np.sqrt(sm_v), sm + z * np.sqrt(sm_v)
                table["filtered"] = fl
                table["filtered_lower"], table["filtered_upper"] = fl - z * np.sqrt(fl_v), fl + z * np.sqrt(fl_v)
                est = np.asarray(fit.params, float)
                loglik = float(fit.llf)
            else:
                w, (s2l, s2e, M, Vs, F, Vf), ls = _grid_posterior(model, y, grid)
                mean = w @ M
                table["level"] = mean
                table["level_se"] = np.sqrt(np.clip(w @ (Vs + M ** 2) - mean ** 2, 0, None))
                S = np.sqrt(Vs)
                table["lower"], table["upper"] = _mixture_quantiles(w, M, S, a), _mixture_quantiles(w, M, S, 1 - a)
                table["filtered"] = w @ F
                Sf = np.sqrt(Vf)
                table["filtered_lower"] = _mixture_quantiles(w, F, Sf, a)
                table["filtered_upper"] = _mixture_quantiles(w, F, Sf, 1 - a)
                est = np.array([w @ s2l, w @ s2e])
                loglik = float("nan")
                # posterior mass on the top row or column of the grid: the prior range was too short
                top = np.isclose(np.log(s2l) / 2, ls[-1]) | np.isclose(np.log(s2e) / 2, ls[-1])
                edge = float(w[top].sum())
        except (np.linalg.LinAlgError, ValueError) as e:
            raise EstimationError(f"the local-level model could not be fitted: {e}") from None
    variances = pd.Series(est, index=["sigma2.level", "sigma2.extra"], name="est")
    prov = make_provenance("local-level model", data[[date, value] + ([counts] if counts else [])],
                           {"date": date, "value": value, "metric": metric, "time_unit": time_unit, "level": level,
                            "counts": counts, "method": method, "grid": grid})
    refs = (DURBIN, SEABOLD) + ((GELMAN_2006,) if method == "bayes" else ())
    res = LocalLevelResult(table, variances, level=level, metric=metric, loglik=loglik, method=method, grid=grid,
                           provenance=prov, references=refs)
    if method == "ml":
        conv = fit.mle_retvals.get("converged", True) if isinstance(fit.mle_retvals, dict) else True
        if not conv or any("converge" in str(m.message).lower() for m in caught):
            res._flag("the maximum-likelihood fit of the local-level variances did not converge", ConvergenceWarning)
    elif edge is not None and edge > 0.05:
        res._flag(f"{edge:.0%} of the posterior lies at the largest variances of the grid: the stream moves more than "
                  "its values' spread suggests; check the data for a break", ConvergenceWarning)
    return res


__all__ = ["control_chart", "ControlChartResult", "seasonality", "SeasonalityResult", "tracking_line",
           "LocalLevelResult", "arl_ewma", "arl_cusum", "ewma_limit", "cusum_limit", "prepare_stream"]
