r"""Scorecards: one CX metric (or several) for k touchpoints, channels or brands at once.

Each group's metric is computed by the same functions as a single sample
(:func:`~cxmodels.metrics.nps`, :func:`~cxmodels.metrics.csat`, :func:`~cxmodels.metrics.ces`),
so its estimate, standard error and interval are those of the group on its own.  Groups are
independent samples, so two groups differ with

.. math:: \hat d = \hat\theta_b - \hat\theta_a, \qquad SE(\hat d) = \sqrt{SE_a^2 + SE_b^2},

tested with a two-sided z test (all :math:`m = k(k-1)/2` pairs, or the :math:`k-1` groups
against a ``reference``).  With m comparisons the p-values are adjusted (Holm 1979 by default,
Bonferroni, or Benjamini & Hochberg 1995 for the false discovery rate), and the intervals of
the differences are simultaneous at ``level`` by Bonferroni's inequality (Dunn 1961): each is
built at :math:`1 - (1-\text{level})/m`, so all m cover together with probability at least
``level``.  A ``benchmark`` (an industry or competitor figure) is compared with each group
the same way (one-sample z tests, adjusted over the k groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validation as V
from .. import plotting
from .._results import Result
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from .core import ces, csat, nps, wilson_interval
from .references import BENJAMINI, COCHRAN, DUNN, HOLM, KISH, REICHHELD, ROCKS, WILSON

#: metric name -> (function, row of its summary, label)
METRICS = {
    "nps": (nps, "nps", "NPS"),
    "csat_top_box": (csat, "top_box", "CSAT top-box share"),
    "csat_mean": (csat, "mean", "CSAT mean"),
    "ces_mean": (ces, "mean", "CES mean"),
    "ces_agree": (ces, "agree", "CES agree share"),
}
ADJUST = ("holm", "bonferroni", "bh", "none")


def metric_of(scores, metric: str, *, weights=None, level: float = 0.95, **options) -> dict:
    """One sample's ``est, se, lower, upper, n, n_eff`` for ``metric`` (a key of :data:`METRICS`)."""
    fn, row, _ = METRICS[metric]
    if metric != "nps":
        r = fn(scores=scores, weights=weights, level=level, **options)
    else:
        if options:
            raise InputError(f"nps takes no options, got {sorted(options)}")
        r = fn(scores=scores, weights=weights, level=level)
    s = r.summary().loc[row]
    return {"est": float(s["est"]), "se": float(s["se"]), "lower": float(s["lower"]), "upper": float(s["upper"]),
            "n": r.n, "n_eff": r.n_eff}


def adjust_pvalues(p, method: str = "holm") -> np.ndarray:
    """Holm (step-down), Bonferroni or Benjamini-Hochberg (step-up) adjusted p-values."""
    p = np.asarray(p, float)
    m = len(p)
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p)
    ps = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum((m - np.arange(m)) * ps, 1.0))
    elif method == "bh":
        adj = np.minimum(np.minimum.accumulate((m / np.arange(1, m + 1) * ps)[::-1])[::-1], 1.0)
    else:
        raise InputError(f"adjust must be one of {ADJUST}, got {method!r}")
    out = np.empty(m)
    out[order] = adj
    return out


def _finite_population(row: dict, N: float, metric: str, level: float) -> dict:
    """``row`` with the finite-population correction: SE times sqrt((N - n)/(N - 1)); shares get the
    Wilson interval at the corrected effective size n_eff / fpc^2, symmetric intervals shrink by fpc."""
    n = row["n"]
    fpc = float(np.sqrt(max(N - n, 0.0) / (N - 1))) if N > 1 else 0.0
    out = dict(row, fpc=fpc, se=row["se"] * fpc)
    if fpc == 0:  # a census: no sampling error
        out.update(lower=row["est"], upper=row["est"])
    elif metric in ("csat_top_box", "ces_agree"):
        out["lower"], out["upper"] = wilson_interval(row["est"], row["n_eff"] / fpc ** 2, level)
    else:
        out["lower"] = row["est"] - (row["est"] - row["lower"]) * fpc
        out["upper"] = row["est"] + (row["upper"] - row["est"]) * fpc
    return out


class ScorecardResult(Result):
    """Metrics per group with intervals, adjusted differences and a benchmark view.

    ``summary()`` has one row per (metric, group): ``est, se, lower, upper, n, n_eff, moe`` (the
    margin of error, half the interval), ``suppressed`` (and ``fpc`` with a population) and, with a
    benchmark, ``vs_benchmark, benchmark_pvalue`` (adjusted over the groups).
    :meth:`differences` has one row per comparison.
    """

    def __init__(self, table, diffs, *, level, adjust, benchmark, labels, provenance, references, group,
                 population=None, min_n=None):
        self._table = table
        self.population, self.min_n = population, min_n
        self._diffs = diffs
        self.level, self.adjust, self.benchmark = level, adjust, benchmark
        self._labels = labels
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []
        self.group = group

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{m}[{g}]" for m, g in t.index], name="est")

    def differences(self) -> pd.DataFrame:
        """Per comparison ``b - a``: ``diff, se, lower, upper`` (simultaneous at ``level``),
        ``z, pvalue`` and ``pvalue_adj``, ``significant`` (adjusted p below 1 - level)."""
        return self._diffs.copy()

    def methods_text(self) -> str:
        metrics = list(dict.fromkeys(self._table.index.get_level_values(0)))
        k = self._table.index.get_level_values(1).nunique()
        m = len(self._diffs) // max(len(metrics), 1)
        adj = {"holm": f"the step-down adjustment of {HOLM.cite}", "bonferroni": "the Bonferroni adjustment",
               "bh": f"the false discovery rate adjustment of {BENJAMINI.cite}", "none": "no adjustment"}[self.adjust]
        text = (f"A scorecard of {', '.join(self._labels[x] for x in metrics)} for {k} groups of {self.group!r}, each "
                f"computed as a single sample with a {self.level:.0%} interval: the NPS of {REICHHELD.cite} with the "
                f"multinomial standard error of {ROCKS.cite}, shares with the score interval of {WILSON.cite}, means "
                f"with t intervals, survey weights through the effective sample size of {KISH.cite}. The {m} "
                f"comparisons per metric are two-sided z tests of independent samples with {adj}; their intervals "
                f"are simultaneous at {self.level:.0%} by Bonferroni's inequality as in {DUNN.cite}.")
        if self.population is not None:
            text += (f" Standard errors carry the finite-population correction sqrt((N - n)/(N - 1)) of "
                     f"{COCHRAN.cite}.")
        if self.min_n is not None:
            n_sup = int(self._table["suppressed"].sum())
            text += (f" Groups with fewer than {self.min_n} respondents are suppressed ({n_sup} cells) and enter no "
                     "comparison.")
        if self.benchmark is not None:
            text += " Each group is compared with the benchmark by a one-sample z test, adjusted over the groups."
        return text

    def plot(self, ax=None, metric: str | None = None):
        """The benchmark view: a dot plot of one metric by group (sorted), intervals, the
        benchmark as a vertical line; returns the Axes."""
        metrics = list(dict.fromkeys(self._table.index.get_level_values(0)))
        metric = metrics[0] if metric is None else metric
        if metric not in metrics:
            raise InputError(f"metric {metric!r} is not in this scorecard ({metrics})")
        t = self._table.loc[metric].dropna(subset=["est"]).sort_values("est")  # suppressed cells are not drawn
        ax = plotting.axes(ax, figsize=(6.5, 0.8 + 0.4 * len(t)))
        y = np.arange(len(t))
        ax.errorbar(t["est"], y, xerr=np.vstack([t["est"] - t["lower"], t["upper"] - t["est"]]), fmt="o",
                    color=plotting.color(0), capsize=3)
        ax.set_yticks(y, [str(g) for g in t.index])
        bench = None if self.benchmark is None else self.benchmark.get(metric)
        if bench is not None:
            ax.axvline(bench, color=plotting.color(1), linestyle="--", label=f"benchmark {bench:g}")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel(f"{self._labels[metric]} ({self.level:.0%} interval)")
        ax.set_title(f"{self._labels[metric]} by {self.group}")
        return ax

    def plot_metrics(self):
        """The benchmark view of every metric of the scorecard, one panel each; returns the Figure."""
        metrics = list(dict.fromkeys(self._table.index.get_level_values(0)))
        k = self._table.index.get_level_values(1).nunique()
        fig, axs = plotting.figure(1, len(metrics), figsize=(4.2 * len(metrics), 0.8 + 0.45 * k), squeeze=False)
        for ax, m in zip(axs[0], metrics):
            self.plot(ax=ax, metric=m)
        fig.tight_layout()
        return fig


def _as_metric_map(value, metric) -> dict[str, str]:
    if isinstance(value, dict):
        mapping = {str(k): v for k, v in value.items()}
    elif isinstance(value, str):
        mapping = {metric: value}
    else:
        raise InputError(f"value must be a column name or a dict metric -> column, got {type(value).__name__}")
    if not mapping:
        raise InputError("value names no metric")
    bad = [m for m in mapping if m not in METRICS]
    if bad:
        raise InputError(f"unknown metric(s) {bad}; choose from {list(METRICS)}")
    return mapping


def scorecard(data: pd.DataFrame, *, group: str, value, metric: str = "nps", reference=None, benchmark=None,
              adjust: str = "holm", weights: str | None = None, population: dict | None = None,
              min_n: int | None = None, level: float = 0.95, **options) -> ScorecardResult:
    r"""CSAT, NPS or CES per touchpoint, channel or brand, with adjusted differences.

    Parameters
    ----------
    data : DataFrame
        One row per answer; not modified.
    group : str
        The touchpoint, channel or brand column (k >= 2 groups; a categorical column's unused
        categories count as touchpoints with no responses and are refused).
    value : str or dict
        The answer column for ``metric``, or ``{metric: column}`` for several metrics at once
        (e.g. ``{"nps": "recommend", "csat_top_box": "sat", "ces_mean": "effort"}``).
    metric : {"nps", "csat_top_box", "csat_mean", "ces_mean", "ces_agree"}
    reference : optional
        A group compared with every other (your brand against competitors); all pairs otherwise.
    benchmark : float or dict, optional
        A benchmark value (or ``{metric: value}``) drawn on the plot and tested against each group.
    adjust : {"holm", "bonferroni", "bh", "none"}
        Multiplicity adjustment of the p-values (intervals are Bonferroni-simultaneous unless "none").
    weights : str, optional
        Column of survey weights.
    population : dict, optional
        ``{group: N}``, the size of each group's population (customers of a segment, visitors of a
        touchpoint): standard errors get the finite-population correction
        :math:`\sqrt{(N-n)/(N-1)}` (Cochran 1977, ch. 2); a census has no sampling error.
    min_n : int, optional
        Small-cell suppression: a group with fewer respondents shows no numbers (``suppressed``,
        estimates NaN) and enters no comparison.
    level : float
    **options
        ``scale``, ``top_box`` (CSAT) or ``agree_from`` (CES), passed to the metrics that take
        them; a dict ``{metric: option}`` gives each metric its own (``scale={"csat_top_box":
        (1, 5), "ces_mean": (1, 7)}``).

    Returns
    -------
    ScorecardResult
    """
    level = V.check_level(level)
    if adjust not in ADJUST:
        raise InputError(f"adjust must be one of {ADJUST}, got {adjust!r}")
    data = V.require_frame(data)
    V.require_unique_columns(data)
    mapping = _as_metric_map(value, metric)
    cols = list(dict.fromkeys(mapping.values()))
    if not isinstance(group, str):
        raise InputError(f"group must be a column name, got {group!r}")
    V.require_columns(data, [group] + cols + ([weights] if weights else []))
    V.require_numeric(data, cols + ([weights] if weights else []))
    if data[group].isna().any():
        raise InputError(f"column {group!r} has missing group labels ({V.rows_text(data.index[data[group].isna()])})")
    V.require_consistent_ids(data, group)
    labels = pd.unique(data[group])
    if isinstance(data[group].dtype, pd.CategoricalDtype):
        empty = [c for c in data[group].cat.categories if c not in set(labels)]
        if empty:
            raise InputError(f"touchpoint(s) {empty} of column {group!r} have no responses; drop the unused "
                             "categories or collect answers")
        labels = list(data[group].cat.categories)
    else:
        try:
            labels = sorted(labels)
        except TypeError:
            labels = list(labels)
    if len(labels) < 2:
        raise InputError(f"column {group!r} holds {len(labels)} group(s); a scorecard compares at least two")
    for col in cols:
        allnan = [g for g in labels if data.loc[data[group] == g, col].isna().all()]
        if allnan:
            raise InputError(f"touchpoint(s) {allnan} have no responses in column {col!r}")
    V.require_no_missing(data, cols + ([weights] if weights else []))
    V.require_finite(data, cols + ([weights] if weights else []))
    if reference is not None and reference not in set(labels):
        raise InputError(f"reference {reference!r} is not a group of column {group!r} ({list(labels)[:10]})")
    if population is not None:
        if not isinstance(population, dict):
            raise InputError("population must be a dict {group: population size}")
        missing = [g for g in labels if g not in population]
        if missing:
            raise InputError(f"population has no size for group(s) {missing}")
        try:
            population = {g: float(population[g]) for g in labels}
        except (TypeError, ValueError):
            raise InputError("population sizes must be numbers") from None
        counts = data[group].value_counts()
        small = [g for g in labels if not population[g] >= counts.get(g, 0) or not np.isfinite(population[g])]
        if small:
            raise InputError(f"group(s) {small} have more respondents than their population size")
    if min_n is not None:
        min_n = V.check_count(min_n, "min_n", minimum=1)
    if benchmark is not None and not isinstance(benchmark, dict):
        if len(mapping) > 1:
            raise InputError("with several metrics, benchmark must be a dict metric -> value")
        benchmark = {next(iter(mapping)): benchmark}
    if benchmark is not None:
        try:
            benchmark = {str(k): float(v) for k, v in benchmark.items()}
        except (TypeError, ValueError):
            raise InputError(f"benchmark values must be numbers, got {benchmark!r}") from None
        if not all(np.isfinite(list(benchmark.values()))):
            raise InputError("benchmark values must be finite")

    rows, diffs = [], []
    z_each = stats.norm.ppf(0.5 + level / 2)
    for m, col in mapping.items():
        # an option given as a dict is per metric (CSAT and CES scales differ)
        opts = {k: (v.get(m) if isinstance(v, dict) else v) for k, v in options.items()}
        opts = {k: v for k, v in opts.items() if v is not None and m != "nps"
                and not (k == "agree_from" and m.startswith("csat")) and not (k == "top_box" and m.startswith("ces"))}
        per = {}
        for g in labels:
            sel = data[group] == g
            w = data.loc[sel, weights] if weights else None
            per[g] = metric_of(data.loc[sel, col], m, weights=w, level=level, **opts)
            if population is not None:
                per[g] = _finite_population(per[g], population[g], m, level)
            per[g]["moe"] = (per[g]["upper"] - per[g]["lower"]) / 2
            per[g]["suppressed"] = bool(min_n is not None and per[g]["n"] < min_n)
            if per[g]["suppressed"]:
                per[g].update(est=np.nan, se=np.nan, lower=np.nan, upper=np.nan, moe=np.nan)
            rows.append({"metric": m, "group": g, **per[g]})
        shown = [g for g in labels if not per[g]["suppressed"]]
        pairs = ([(reference, g) for g in shown if g != reference] if reference in shown
                 else [] if reference is not None
                 else [(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]])
        n_cmp = max(len(pairs), 1)
        crit = stats.norm.ppf(1 - (1 - level) / (2 * n_cmp)) if adjust != "none" else z_each
        block = []
        for a, b in pairs:
            d = per[b]["est"] - per[a]["est"]
            se = float(np.hypot(per[a]["se"], per[b]["se"]))
            with np.errstate(divide="ignore", invalid="ignore"):
                z = d / se if se > 0 else np.nan
            block.append({"metric": m, "a": a, "b": b, "diff": d, "se": se, "lower": d - crit * se,
                          "upper": d + crit * se, "z": z, "pvalue": float(2 * stats.norm.sf(abs(z)))})
        p = np.array([r["pvalue"] for r in block])
        padj = adjust_pvalues(np.nan_to_num(p, nan=1.0), adjust)
        for r, pa in zip(block, padj):
            r["pvalue_adj"] = float(pa)
            r["significant"] = bool(pa < 1 - level)
        diffs.extend(block)
        if benchmark is not None and m in benchmark:
            mrows = [r for r in rows if r["metric"] == m and not r["suppressed"]]
            pb = []
            for r in mrows:
                r["vs_benchmark"] = r["est"] - benchmark[m]
                z = r["vs_benchmark"] / r["se"] if r["se"] > 0 else np.nan
                pb.append(2 * stats.norm.sf(abs(z)) if np.isfinite(z) else 1.0)
            for r, pa in zip(mrows, adjust_pvalues(pb, adjust)):
                r["benchmark_pvalue"] = float(pa)
    table = pd.DataFrame(rows).set_index(["metric", "group"])
    dtab = pd.DataFrame(diffs, columns=["metric", "a", "b", "diff", "se", "lower", "upper", "z", "pvalue",
                                        "pvalue_adj", "significant"])
    prov = make_provenance("scorecard", data[[group] + cols + ([weights] if weights else [])],
                           {"group": group, "value": mapping, "reference": reference, "benchmark": benchmark,
                            "adjust": adjust, "weights": weights, "population": population, "min_n": min_n,
                            "level": level, **options})
    refs = (REICHHELD, ROCKS, WILSON, KISH, DUNN) + ((HOLM,) if adjust == "holm" else ()) + \
        ((BENJAMINI,) if adjust == "bh" else ()) + ((COCHRAN,) if population is not None else ())
    res = ScorecardResult(table, dtab, level=level, adjust=adjust, benchmark=benchmark, population=population,
                          min_n=min_n,
                          labels={k: v[2] for k, v in METRICS.items()}, provenance=prov, references=refs, group=group)
    small = table.index[(table["n"] < 30) & ~table["suppressed"]]
    if len(small):
        res._flag(f"groups {[f'{m}[{g}]' for m, g in small]} have fewer than 30 responses: their normal-theory "
                  "differences are rough", CXModelsWarning, admissible=True)
    return res


__all__ = ["scorecard", "ScorecardResult", "adjust_pvalues", "metric_of", "METRICS"]
