r"""Customer journeys as multi-state models: stages (browse -> order -> paid -> repeat or churn)
and the Aalen-Johansen probabilities of being in each stage over time.

With customers moving between stages h -> j at times recorded in spells
``(start, stop]`` (one row per stay in a stage), the Aalen-Johansen estimator (Aalen &
Johansen 1978) of the stage-occupation probabilities is

.. math:: \hat p(t) = \hat p(0) \prod_{s \le t} \{I + d\hat A(s)\}, \qquad
          d\hat A_{hj}(s) = \frac{d_{hj}(s)}{n_h(s)}, \quad d\hat A_{hh}(s) = -\sum_{j \ne h} d\hat A_{hj}(s),

:math:`n_h(s)` the customers in stage h just before s and :math:`d_{hj}(s)` their moves to j
at s (a Markov journey; Putter et al. 2007).  Point estimates equal R's
``survfit(Surv(start, stop, to) ~ 1, id = customer, istate = from)``
(tests/test_churn_multistate.py); intervals are percentile bootstraps over customers.  The
expected time in each stage up to :math:`\tau` is :math:`\int_0^\tau \hat p_h(t)\,dt` (R's
``rmean``), and the transition table gives each stage's drop-off (the share of moves out of
it that are churn).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._progress import Progress
from .._results import Result
from .._validation import as_generator, check_count, check_level, require_columns, require_consistent_ids, \
    require_finite, require_frame, require_no_missing, require_numeric, rows_text
from ..errors import InputError
from ..provenance import make_provenance
from .checks import require_single_columns
from . import _rscript as R
from .references import AALEN_JOHANSEN, PUTTER, THERNEAU_SURVIVAL

__all__ = ["journey", "JourneyResult"]


def _aalen_johansen(start, stop, frm, to, p0, n_states, censored_code):
    """Stage-occupation probabilities at each distinct transition time (times, P)."""
    moves = to != censored_code
    times = np.unique(stop[moves])
    p = p0.astype(float).copy()
    out = np.empty((len(times), n_states))
    # at risk in h at s: start < s <= stop, from == h; vectorised by sorting spell ends and starts
    for i, s in enumerate(times):
        at = (start < s) & (stop >= s)
        n_h = np.bincount(frm[at], minlength=n_states).astype(float)
        here = moves & (stop == s)
        dA = np.zeros((n_states, n_states))
        np.add.at(dA, (frm[here], to[here]), 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            dA = np.where(n_h[:, None] > 0, dA / n_h[:, None], 0.0)
        dA[np.diag_indices(n_states)] = -dA.sum(axis=1)
        p = p @ (np.eye(n_states) + dA)
        out[i] = p
    return times, out


class JourneyResult(Result):
    """Aalen-Johansen stage-occupation probabilities of a customer journey.

    ``summary()``: long table (time, stage, probability and, with ``n_boot``, ci_lower /
    ci_upper) at every transition time; ``params``: probability of each stage at the last
    time; ``at(times)``; ``time_in_stage(tau)``; ``transitions`` (from, to, moves, share of the
    moves out of ``from``) and ``drop_off`` (per stage: customers who entered, left, and the
    share who churned).
    """

    _references = (AALEN_JOHANSEN, PUTTER, THERNEAU_SURVIVAL)

    def __init__(self, times, P, states, boot, *, transitions, drop_off, churn_state, nobs, n_spells, level, n_boot,
                 provenance):
        self.times, self._P, self.states, self._boot = times, P, states, boot
        self.transitions, self.drop_off, self.churn_state = transitions, drop_off, churn_state
        self.nobs, self.n_spells, self.level, self.n_boot = nobs, n_spells, level, n_boot
        self._provenance = provenance
        self._warnings = []
        t = pd.DataFrame(P, columns=states).assign(time=times).melt("time", var_name="stage",
                                                                     value_name="probability")
        if boot is not None:
            a = (1 - level) / 2
            lo, hi = np.nanquantile(boot, a, axis=0), np.nanquantile(boot, 1 - a, axis=0)
            t["ci_lower"] = pd.DataFrame(lo, columns=states).melt()["value"].to_numpy()
            t["ci_upper"] = pd.DataFrame(hi, columns=states).melt()["value"].to_numpy()
        self._table = t

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._P[-1], index=self.states, name="probability")

    def at(self, times) -> pd.DataFrame:
        """Probability of each stage at ``times`` (rows) - a step function of time."""
        try:
            t = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"times must be numbers, got {times!r}") from None
        if not np.all(np.isfinite(t)):
            raise InputError(f"times must be finite, got {times!r}")
        i = np.searchsorted(self.times, t, side="right") - 1
        P0 = self._p0[None, :]
        P = np.where((i >= 0)[:, None], self._P[np.clip(i, 0, None)], P0)
        return pd.DataFrame(P, index=pd.Index(t, name="time"), columns=self.states)

    def time_in_stage(self, tau: float) -> pd.Series:
        """Expected time spent in each stage between 0 and ``tau`` (area under its curve)."""
        if isinstance(tau, bool) or not isinstance(tau, (int, float, np.integer, np.floating)) or not tau > 0:
            raise InputError(f"tau must be a number > 0, got {tau!r}")
        if tau > self._follow_up:
            raise InputError(f"tau {tau:g} is beyond follow-up (last time {self._follow_up:g})")
        grid = np.concatenate([[self._start], self.times[self.times < tau], [tau]])
        P = self.at(grid[:-1]).to_numpy()
        return pd.Series((P * np.diff(grid)[:, None]).sum(axis=0), index=self.states, name="time_in_stage")

    def plot(self, ax=None):
        """Stacked stage-occupation probabilities over time; returns the Axes."""
        ax = plotting.axes(ax)
        t = np.concatenate([[self._start], self.times])
        P = np.vstack([self._p0, self._P])
        ax.stackplot(t, P.T, labels=self.states, step="post",
                     colors=[plotting.color(i) for i in range(len(self.states))], alpha=0.85)
        ax.set_xlabel("time since the journey began")
        ax.set_ylabel("share of customers in stage")
        ax.set_ylim(0, 1)
        ax.legend(title="stage", loc="upper right")
        return ax

    def to_r(self, data_path: str = "data.csv", times=None) -> str:
        """A runnable R script that re-fits the journey with ``survival::survfit`` multi-state
        (``Surv(start, stop, next_state) ~ 1, id = customer, istate = state``; Aalen-Johansen) on
        the CSV at ``data_path`` and prints the stage-occupation probabilities at ``times``
        (default: five times spread over the follow-up), terms ``t=<time>:<stage>``."""
        customer, start, stop, state, next_state, censored = self._columns
        if times is None:
            times = np.unique(np.round(np.quantile(self.times, [0.1, 0.3, 0.5, 0.7, 0.9]), 6))
        try:
            times = np.atleast_1d(np.asarray(times, dtype=float))
        except (TypeError, ValueError):
            raise InputError(f"times must be numbers, got {times!r}") from None
        if times.size == 0 or not np.all(np.isfinite(times)) or np.any(times < 0):
            raise InputError(f"times must be finite numbers >= 0, got {times!r}")
        at = self.at(times)
        names = [str(s) for s in self.states]
        terms = [f"t={t:g}:{s}" for t in times for s in names]
        exp = pd.DataFrame({"term": terms, "est": at[self.states].to_numpy().ravel()})
        lines = [R.header("churn.journey", data_path, exp, self._provenance),
                 f"states <- {R.vec(names)}",
                 f"d$.to <- factor(as.character(d[[{R.s(next_state)}]]), levels = c({R.s(censored)}, states))",
                 f"d$.from <- factor(as.character(d[[{R.s(state)}]]), levels = states)",
                 f"fit <- survfit(Surv({R.q(start)}, {R.q(stop)}, .to) ~ 1, data = d, id = {R.q(customer)}, "
                 "istate = .from)",
                 "print(fit)",
                 f"times <- c({', '.join(repr(float(t)) for t in times)})",
                 "s <- summary(fit, times = times, extend = TRUE)",
                 "ps <- s$pstate",
                 "colnames(ps) <- fit$states",
                 'h <- sub("\\\\.?0+$", "", formatC(times, format = "f", digits = 10))',
                 R.footer('data.frame(term = paste0("t=", rep(h, each = length(states)), ":", '
                          'rep(states, times = length(times))), est = as.vector(t(ps[, states, drop = FALSE])))')]
        return "\n".join(lines)

    def methods_text(self) -> str:
        ci = (f" Percentile intervals ({self.level:.0%}) come from {self.n_boot} bootstrap resamples of customers."
              if self.n_boot else "")
        return (f"Customer journeys through the stages {', '.join(map(str, self.states))} were analysed as a "
                f"multi-state model ({PUTTER.cite}) on {self.nobs} customers ({self.n_spells} stays in a stage). "
                f"Stage-occupation probabilities were estimated with the Aalen-Johansen estimator "
                f"({AALEN_JOHANSEN.cite}) and equal R's survfit multi-state estimates ({THERNEAU_SURVIVAL.cite})."
                + ci)


def journey(data: pd.DataFrame, customer: str, start: str, stop: str, state: str, next_state: str, *,
            transitions=None, censored="censored", churn_state=None, n_boot: int = 0, level: float = 0.95,
            seed=None, progress=None) -> JourneyResult:
    """Aalen-Johansen multi-state analysis of customer journeys.

    Parameters
    ----------
    data : DataFrame
        One row per stay in a stage; not modified.
    customer : str
        Customer id column.
    start, stop : str
        The stay ``(start, stop]`` in time since the journey began; a customer's next stay
        starts when the previous one stops.
    state, next_state : str
        The stage of the stay and the stage entered at ``stop`` (``censored`` when observation ended).
    transitions : list of (from, to) pairs, optional
        The declared stage graph; a move not in it is refused, naming the rows.
    censored : scalar
        The ``next_state`` value meaning "observation ended".
    churn_state : scalar, optional
        The absorbing churn stage, for ``drop_off`` (default: a stage named "churned" or "churn").
    n_boot : int
        Bootstrap resamples of customers for intervals (0: none).
    level : float
        Interval level.
    seed, progress
        Bootstrap seed and progress bar.

    Returns
    -------
    JourneyResult
    """
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot", 0)
    require_frame(data)
    cols = [customer, start, stop, state, next_state]
    if len(set(cols)) < len(cols):
        raise InputError(f"customer, start, stop, state and next_state must name five different columns, got {cols}")
    require_columns(data, cols)
    require_single_columns(data, cols)
    require_no_missing(data, cols)
    require_numeric(data, [start, stop])
    require_finite(data, [start, stop])
    require_consistent_ids(data, customer)
    st, sp = data[start].to_numpy(float), data[stop].to_numpy(float)
    bad = data.index[~(sp > st)]
    if len(bad):
        raise InputError(f"columns {start!r}/{stop!r}: {len(bad)} stays do not have start < stop ({rows_text(bad)})")
    frm, to = data[state].to_numpy(), data[next_state].to_numpy()
    if np.any(frm == censored):
        raise InputError(f"column {state!r} holds the censoring code {censored!r}; it is a value of {next_state!r} "
                         "only")
    try:
        states = sorted(set(frm) | (set(to) - {censored}))
    except TypeError:
        raise InputError(f"columns {state!r}/{next_state!r} mix kinds of stage code; stages are coded "
                         "inconsistently") from None
    same = data.index[frm == to]
    if len(same):
        raise InputError(f"{len(same)} rows move from a stage to itself ({rows_text(same)}); merge those stays")
    if transitions is not None:
        allowed = {tuple(p) for p in transitions}
        moves = pd.Series(list(zip(frm, to)), index=data.index)
        off = moves[(to != censored) & ~moves.isin(allowed)]
        if len(off):
            raise InputError(f"{len(off)} moves are not allowed by the declared stage graph "
                             f"({sorted(set(off))[:5]}; {rows_text(off.index)})")
    # each customer's stays must chain: next start = previous stop, next stage = stage entered
    o = data.sort_values([customer, start], kind="stable")
    same_c = o[customer].to_numpy()[1:] == o[customer].to_numpy()[:-1]
    gap = same_c & (o[start].to_numpy()[1:] != o[stop].to_numpy()[:-1])
    jump = same_c & (o[state].to_numpy()[1:] != o[next_state].to_numpy()[:-1])
    for what, m in (("do not start when the previous stay stops", gap),
                    ("are not in the stage the previous stay entered", jump)):
        if m.any():
            rows = o.index[1:][m]
            raise InputError(f"{int(m.sum())} stays {what} ({rows_text(rows)}); give one row per stay, in order")
    code = {s: i for i, s in enumerate(states)}
    K = len(states)
    cens_code = K
    f_i = np.array([code[s] for s in frm])
    t_i = np.array([code.get(s, cens_code) if s != censored else cens_code for s in to])
    cust = pd.factorize(data[customer])[0]
    first = o.groupby(customer, sort=False, observed=True).head(1)
    t0 = float(first[start].min())
    p0 = np.bincount([code[s] for s in first[state]], minlength=K) / len(first)
    times, P = _aalen_johansen(st, sp, f_i, t_i, p0, K, cens_code)
    if len(times) == 0:
        raise InputError(f"column {next_state!r} records no move between stages (every stay ends {censored!r})")
    boot = None
    if n_boot:
        rng = as_generator(seed)
        n_c = cust.max() + 1
        rows_of = pd.Series(np.arange(len(cust))).groupby(cust).apply(np.asarray).to_list()
        boot = np.full((n_boot, len(times), K), np.nan)
        bar = Progress(n_boot, "journey bootstrap", progress)
        for b in range(n_boot):
            pick = rng.integers(0, n_c, n_c)
            idx = np.concatenate([rows_of[c] for c in pick])
            p0b = np.bincount(f_i[[rows_of[c][np.argmin(st[rows_of[c]])] for c in pick]], minlength=K) / n_c
            tb, Pb = _aalen_johansen(st[idx], sp[idx], f_i[idx], t_i[idx], p0b, K, cens_code)
            j = np.searchsorted(tb, times, side="right") - 1
            boot[b] = np.where((j >= 0)[:, None], Pb[np.clip(j, 0, None)], p0b[None, :])
            bar.update()
    mv = pd.DataFrame({"from": frm, "to": to})
    mv = mv[mv["to"] != censored]
    tr = mv.groupby(["from", "to"], observed=True).size().rename("moves").reset_index()
    tr["share"] = tr["moves"] / tr.groupby("from", observed=True)["moves"].transform("sum")
    if churn_state is None:
        churn_state = next((s for s in states if str(s).lower() in ("churned", "churn")), None)
    entered = pd.Series(frm).value_counts()
    left = mv["from"].value_counts()
    drop = pd.DataFrame({"stays": entered, "left": left}).fillna(0).astype(int)
    drop["drop_off"] = (mv[mv["to"] == churn_state]["from"].value_counts().reindex(drop.index).fillna(0)
                        / drop["stays"]) if churn_state is not None else np.nan
    drop.index.name = "stage"
    prov = make_provenance("churn.journey", data[cols].astype({state: str, next_state: str}),
                           {"customer": customer, "start": start, "stop": stop, "state": state,
                            "next_state": next_state, "censored": censored, "transitions": None if transitions is None
                            else [list(p) for p in transitions], "n_boot": n_boot, "level": level},
                           seed=seed if not isinstance(seed, np.random.Generator) else "Generator")
    res = JourneyResult(times, P, states, boot, transitions=tr, drop_off=drop, churn_state=churn_state,
                        nobs=int(cust.max() + 1), n_spells=len(data), level=level, n_boot=n_boot, provenance=prov)
    res._p0, res._start, res._follow_up = p0, t0, float(sp.max())
    res._columns = (customer, start, stop, state, next_state, censored)   # for to_r()
    return res
