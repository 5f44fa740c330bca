r"""Text linked to outcomes: what each theme costs in NPS points, and alarms on themes over time.

:func:`nps_impact` regresses each respondent's NPS score
:math:`s_i = 100\,[r_i \ge 9] - 100\,[r_i \le 6]` (Reichheld 2003; its mean is the NPS) on
text features :math:`m_{ik}` (topic or keyword mentions, 0/1, or topic weights) by OLS,

.. math:: s_i = \beta_0 + \sum_k \beta_k m_{ik} + e_i ,

so :math:`\beta_k` is the NPS points by which a mention of theme :math:`k` moves a respondent's
expected score, and :math:`-\beta_k \bar m_k` the NPS points the theme costs the whole base at
its current prevalence ("which complaint themes cost the most NPS points").  Intervals are
percentiles of a seeded nonparametric bootstrap of respondents (Efron & Tibshirani 1993).

:func:`theme_alarms` watches the share of texts mentioning each theme, period by period.  The
baseline rate :math:`\hat p_k` is the pooled share over the first ``baseline`` periods; a later
period with :math:`x` mentions among :math:`n` texts alarms when
:math:`P(X \ge x \mid n, \hat p_k) < \alpha` (binomial upper tail), so each (theme, period)
test has nominal false-alarm rate :math:`\alpha`.  Because :math:`\hat p_k` is itself
estimated, the realised rate is checked by simulation: ``n_sim`` null histories are drawn with
every period at the baseline rate, the baseline re-estimated on each, and the share of tests
that alarm is reported (``simulated_false_alarm_rate``) with the chance of at least one false
alarm over the whole monitored window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Decision, Result
from .._validation import (as_generator, check_count, check_level, require_columns, require_finite, require_frame,
                           require_no_missing, require_numeric, require_unique_columns, rows_text)
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from . import references as refs
from .sentiment import _check_rating

__all__ = ["NPSImpactResult", "AlarmResult", "nps_impact", "theme_alarms", "mentions"]


def mentions(data: pd.DataFrame, text: str, keywords: dict) -> pd.DataFrame:
    """0/1 columns, one per theme of ``keywords`` (name -> list of words): 1 when the text contains
    any of the theme's words (case-insensitive substring; redact the texts first if they go to a
    report).  Indexed like ``data``."""
    from .checks import require_texts

    s = require_texts(data, text).str.lower()
    if not isinstance(keywords, dict) or not keywords:
        raise InputError("keywords must be a dict: theme name -> list of words")
    out = {}
    for name, words in keywords.items():
        words = [words] if isinstance(words, str) else list(words)
        if not words or not all(isinstance(w, str) and w for w in words):
            raise InputError(f"keywords[{name!r}] must be a non-empty list of words")
        out[name] = s.map(lambda t, ws=tuple(w.lower() for w in words): int(any(w in t for w in ws)))
    return pd.DataFrame(out, index=data.index)


def _seed_record(seed):
    """The seed as provenance records it (a Generator has no printable state)."""
    return "Generator" if isinstance(seed, np.random.Generator) else seed


def _frame_with_features(data, features, key: str) -> tuple[pd.DataFrame, list[str]]:
    """The checked frame and the list of feature columns (one name or several) beside ``key``."""
    data = require_frame(data)
    require_unique_columns(data)
    features = [features] if isinstance(features, str) else list(features)
    if not features:
        raise InputError("features must name at least one column")
    require_columns(data, [key] + features)
    return data, features


class NPSImpactResult(Result):
    """NPS points per theme; see :func:`nps_impact`.

    ``summary()``: one row per feature with ``est`` (NPS points of a mention), ``ci_lower``,
    ``ci_upper``, ``prevalence`` (mean of the feature), ``cost`` (:math:`-\\beta_k \\bar m_k`,
    NPS points lost overall) with ``cost_lower``/``cost_upper``; sorted by cost.
    """

    def __init__(self, *, table, provenance, nps, n, n_boot, level, seed, rating):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.nps, self.n, self.n_boot, self.level, self.seed, self.rating = nps, n, n_boot, level, seed, rating
        self._references = (refs.REICHHELD_2003, refs.EFRON_1993)

    def methods_text(self) -> str:
        pct = round(100 * self.level)
        worst = self._table.index[0]
        return (f"Each respondent's NPS score (+100 promoter, 0 passive, -100 detractor; {refs.REICHHELD_2003.cite}) "
                f"was regressed by OLS on {len(self._table)} text features ({self.n} respondents, NPS "
                f"{self.nps:.1f}); a coefficient is the NPS points a mention moves a respondent's expected score, "
                f"and its cost the points lost by the whole base at the theme's prevalence. Intervals are {pct}% "
                f"percentiles of {self.n_boot} bootstrap resamples of respondents ({refs.EFRON_1993.cite}; seed "
                f"{self.seed}). The costliest theme is {worst} ({self._table.loc[worst, 'cost']:.1f} points).")

    def plot(self, ax=None):
        """NPS points of a mention per feature with intervals.  Returns the Axes."""
        from ._plot import quiet, term_labels

        t = self._table
        ax = plotting.axes(ax, figsize=(6, 0.4 * len(t) + 1.3))
        pos = np.arange(len(t))[::-1]
        err = np.vstack([t["est"] - t["ci_lower"], t["ci_upper"] - t["est"]])
        ax.barh(pos, t["est"], xerr=err, capsize=3,
                color=[plotting.color(1) if v < 0 else plotting.color(2) for v in t["est"]])
        labels, props = term_labels(t.index)
        with quiet():
            ax.set_yticks(pos)
            ax.set_yticklabels(labels, **props)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel(f"NPS points of a mention ({round(100 * self.level)}% bootstrap interval)")
        ax.set_title("What each theme costs")
        return ax


def nps_impact(data: pd.DataFrame, rating: str, features, *, n_boot: int = 1000, level: float = 0.95,
               promoter: float = 9, detractor: float = 6, seed=None, progress=None) -> NPSImpactResult:
    """NPS points per text feature by OLS with bootstrap intervals (module docstring).

    Parameters
    ----------
    data : DataFrame
        Ratings and features, one row per respondent; not modified.
    rating : str
        0-10 likelihood-to-recommend column.
    features : list of str
        Numeric feature columns (mentions 0/1 or topic weights), e.g. from
        :meth:`TopicResult.features` or :func:`mentions` joined to the ratings.
    n_boot : int
        Bootstrap resamples (at least 100).
    level : float
    promoter, detractor : float
    seed : int, Generator or None
    progress : bool or None

    Returns
    -------
    NPSImpactResult
    """
    from .._progress import Progress

    data, features = _frame_with_features(data, features, rating)
    if rating in features:
        raise InputError(f"rating {rating!r} cannot also be a feature")
    _check_rating(data, rating)
    require_numeric(data, features)
    require_no_missing(data, features)
    require_finite(data, features)
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot", 100)
    r = data[rating].to_numpy(float)
    y = 100.0 * (r >= promoter) - 100.0 * (r <= detractor)
    F = data[features].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), F])
    n, p = X.shape
    const = [f for f, sd in zip(features, F.std(axis=0)) if sd == 0]
    if const:
        raise InputError(f"feature(s) {const} are constant: no respondent differs on them")
    if np.linalg.matrix_rank(X) < p:
        raise InputError(f"the features {features} are collinear with each other or the intercept (topic weights "
                         "that sum to one are: drop one topic)")
    if n <= p + 1:
        raise InputError(f"{n} respondents cannot estimate {p} coefficients")
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    rng = as_generator(seed)
    # a resample is a vector of row counts c: X'CX = counts @ (row outer products), no copies of the data
    outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    xy = X * y[:, None]
    draws = np.full((n_boot, p), np.nan)
    bar = Progress(n_boot, "bootstrap", progress)
    for start in range(0, n_boot, 100):
        b = min(100, n_boot - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(float)
        A = (counts @ outer).reshape(b, p, p)
        rhs = counts @ xy
        good = np.linalg.cond(A) < 1e12
        draws[start + np.flatnonzero(good)] = np.linalg.solve(A[good], rhs[good][..., None])[..., 0]
        bar.update(b)
    ok = ~np.isnan(draws[:, 0])
    a = (1 - level) / 2
    prev = F.mean(axis=0)
    bk = draws[ok, 1:]
    lo, hi = np.quantile(bk, a, axis=0), np.quantile(bk, 1 - a, axis=0)
    cost_draws = -bk * prev
    tab = pd.DataFrame({"feature": features, "est": beta[1:], "ci_lower": lo, "ci_upper": hi,
                        "se": bk.std(axis=0, ddof=1), "prevalence": prev, "cost": -beta[1:] * prev,
                        "cost_lower": np.quantile(cost_draws, a, axis=0),
                        "cost_upper": np.quantile(cost_draws, 1 - a, axis=0)}).set_index("feature")
    tab = tab.sort_values("cost", ascending=False)
    options = {"rating": rating, "features": features, "n_boot": n_boot, "level": level, "promoter": promoter,
               "detractor": detractor}
    res = NPSImpactResult(table=tab, provenance=make_provenance("cxmodels.text.nps_impact", data[[rating] + features],
                                                                options, _seed_record(seed)),
                          nps=float(y.mean()), n=n, n_boot=n_boot, level=level, seed=seed, rating=rating)
    if (~ok).sum():
        res._flag(f"{int((~ok).sum())} of {n_boot} bootstrap resamples were rank-deficient and dropped (a rare "
                  "feature vanished from them)", CXModelsWarning, admissible=True)
    return res


class AlarmResult(Result):
    """Theme alarms over time; see :func:`theme_alarms`.

    ``summary()``: one row per (feature, period) of the monitored window with ``count``, ``n``,
    ``est`` (share mentioning), ``baseline`` (baseline share), ``pvalue`` (binomial upper tail)
    and ``alarm``.  ``false_alarm`` is the nominal per-test rate, ``simulated_false_alarm_rate``
    its simulated realised value and ``simulated_any_alarm`` the chance of one or more false
    alarms over the window when nothing changed.
    """

    def __init__(self, *, table, provenance, history, false_alarm, sim_rate, sim_any, n_sim, baseline, seed):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.history, self.false_alarm, self.n_sim, self.baseline, self.seed = history, false_alarm, n_sim, \
            baseline, seed
        self.simulated_false_alarm_rate, self.simulated_any_alarm = sim_rate, sim_any
        self._references = (refs.MONTGOMERY_2009,)

    @property
    def alarms(self) -> pd.DataFrame:
        """The rows that alarmed."""
        return self._table[self._table["alarm"]].copy()

    def decide(self) -> Decision:
        al = self.alarms
        crit = {"false_alarm": self.false_alarm, "simulated_false_alarm_rate": self.simulated_false_alarm_rate,
                "simulated_any_alarm": self.simulated_any_alarm, "n_alarms": len(al)}
        if len(al):
            feats = list(dict.fromkeys(al.index.get_level_values(0)))
            first = al.index[0]
            return Decision("alarm", ", ".join(map(str, feats)),
                            f"{len(al)} period(s) above baseline, first {first[0]} in {first[1]} "
                            f"({al.iloc[0]['est']:.1%} against {al.iloc[0]['baseline']:.1%}, p = "
                            f"{al.iloc[0]['pvalue']:.2g}); nominal false-alarm rate {self.false_alarm:g} per test",
                            crit)
        return Decision("no_alarm", None, "no theme rose above its baseline in the monitored periods", crit)

    def methods_text(self) -> str:
        return (f"As in an attributes control chart with exact binomial limits ({refs.MONTGOMERY_2009.cite}), "
                f"each theme's share of texts per period was compared with its pooled share over the first "
                f"{self.baseline} periods by a one-sided binomial test at a nominal false-alarm rate of "
                f"{self.false_alarm:g} per theme and period; in {self.n_sim} simulated histories without change "
                f"(baseline re-estimated each time, seed {self.seed}) the realised rate was "
                f"{self.simulated_false_alarm_rate:.4f} and the chance of at least one false alarm over the "
                f"monitored window {self.simulated_any_alarm:.3f}.")

    def plot(self, ax=None):
        """Share mentioning each theme by period, baseline dashed, alarms marked.  Returns the Axes."""
        ax = plotting.axes(ax, figsize=(7, 4))
        h = self.history
        for i, (feat, s) in enumerate(h.groupby(level=0, sort=False)):
            s = s.droplevel(0)
            c = plotting.color(i)
            ax.plot(s.index, s["est"], marker="o", ms=3, color=c, label=str(feat))
            ax.axhline(s["baseline"].iloc[0], color=c, ls="--", lw=0.7)
            al = s[s["alarm"]]
            ax.scatter(al.index, al["est"], s=60, facecolors="none", edgecolors="k", zorder=3)
        ax.set_ylabel("share of texts mentioning")
        ax.set_title(f"Theme alarms (circled; false-alarm rate {self.false_alarm:g} per test)")
        ax.legend(fontsize=7)
        return ax


def theme_alarms(data: pd.DataFrame, date: str, features, *, time_unit: str = "W", baseline: int = 8,
                 false_alarm: float = 0.01, n_sim: int = 2000, seed=None) -> AlarmResult:
    """Alarms when a theme's share of texts rises above its baseline (module docstring).

    Parameters
    ----------
    data : DataFrame
        One row per text, with a date and 0/1 feature columns; not modified.
    date : str
        Datetime column.
    features : list of str
        0/1 mention columns (from :func:`mentions` or ``TopicResult.features()``).
    time_unit : str
        pandas period alias (``"D"``, ``"W"``, ``"M"``).
    baseline : int
        Number of first periods that set the baseline share.
    false_alarm : float
        Nominal false-alarm rate per (theme, period) test.
    n_sim : int
        Simulated null histories for the realised false-alarm rate (0: none).
    seed : int, Generator or None

    Returns
    -------
    AlarmResult
    """
    data, features = _frame_with_features(data, features, date)
    require_no_missing(data, [date] + features)
    if not pd.api.types.is_datetime64_any_dtype(data[date]):
        raise InputError(f"column {date!r} must hold datetimes (parse it with pd.to_datetime and an explicit "
                         f"format), has dtype {data[date].dtype}")
    require_numeric(data, features)
    for f in features:
        bad = data.index[~data[f].isin([0, 1]).to_numpy()]
        if len(bad):
            raise InputError(f"feature {f!r} must be 0/1 mentions; {len(bad)} other values ({rows_text(bad)})")
    baseline = check_count(baseline, "baseline", 1)
    n_sim = check_count(n_sim, "n_sim")
    if isinstance(false_alarm, bool) or not isinstance(false_alarm, (int, float)) or not 0 < false_alarm < 0.5:
        raise InputError(f"false_alarm must be a rate in (0, 0.5), got {false_alarm!r}")
    try:
        period = data[date].dt.to_period(time_unit)
    except (ValueError, TypeError, AttributeError):
        raise InputError(f"time_unit must be a pandas period alias such as 'D', 'W' or 'M', "
                         f"got {time_unit!r}") from None
    periods = period.sort_values().unique()
    if len(periods) <= baseline:
        raise InputError(f"{len(periods)} periods of {time_unit!r} leave nothing to monitor after a baseline of "
                         f"{baseline}; lower baseline or use a shorter time_unit")
    grp = data[features].astype(int).groupby(period.to_numpy())
    counts = grp.sum().reindex(periods, fill_value=0)
    n = grp.size().reindex(periods, fill_value=0).to_numpy()
    base_n = n[:baseline].sum()
    mon = slice(baseline, None)
    rng = as_generator(seed)
    rows, sim_rates = [], []
    alarm_sim = np.zeros(n_sim, dtype=bool)
    for f in features:
        x = counts[f].to_numpy()
        p0 = x[:baseline].sum() / base_n
        pv = stats.binom.sf(x - 1, n, p0)
        for per, xi, ni, pvi, j in zip(periods, x, n, pv, range(len(n))):
            rows.append((f, str(per), int(xi), int(ni), xi / ni if ni else np.nan, p0, pvi,
                         bool(j >= baseline and pvi < false_alarm)))
        if n_sim:
            sims = rng.binomial(n[None, :], p0, size=(n_sim, len(n)))
            p_hat = sims[:, :baseline].sum(axis=1, keepdims=True) / base_n
            pvs = stats.binom.sf(sims[:, mon] - 1, n[None, mon], p_hat)
            hits = pvs < false_alarm
            sim_rates.append(hits.mean())
            alarm_sim |= hits.any(axis=1)
    hist = pd.DataFrame(rows, columns=["feature", "period", "count", "n", "est", "baseline", "pvalue", "alarm"])
    hist = hist.set_index(["feature", "period"])
    mon_periods = {str(p) for p in periods[baseline:]}
    table = hist[hist.index.get_level_values(1).isin(mon_periods)].copy()
    options = {"date": date, "features": features, "time_unit": time_unit, "baseline": baseline,
               "false_alarm": false_alarm, "n_sim": n_sim}
    res = AlarmResult(table=table, provenance=make_provenance("cxmodels.text.theme_alarms", data[[date] + features],
                                                              options, _seed_record(seed)),
                      history=hist, false_alarm=float(false_alarm),
                      sim_rate=float(np.mean(sim_rates)) if n_sim else float("nan"),
                      sim_any=float(alarm_sim.mean()) if n_sim else float("nan"), n_sim=n_sim, baseline=baseline,
                      seed=seed)
    if base_n < 100:
        res._flag(f"the baseline has only {base_n} texts; baseline shares are imprecise and false alarms more "
                  "frequent than stated (see simulated_false_alarm_rate)", CXModelsWarning, admissible=True)
    return res
