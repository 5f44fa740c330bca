"""Everyday CX metrics with honest uncertainty: CSAT, NPS, CES, a composite CX score,
sample sizes for a margin of error, and tracking across survey waves.

Conventions
-----------
* Survey weights are optional everywhere; with weights, proportions and means are
  weighted and the sample size in every standard error is Kish's effective size
  ``n_eff = (sum w)^2 / sum w^2`` (Kish 1965, *Survey Sampling*).
* NPS is reported in points (-100..100): ``NPS = 100 (p_P - p_D)`` with promoters 9-10,
  passives 7-8 and detractors 0-6 (Reichheld 2003, Harvard Business Review 81(12)). Its
  standard error treats the three categories as one multinomial draw:
  ``SE = 100 sqrt((p_P + p_D - (p_P - p_D)^2) / n)``; two independent samples differ with
  ``SE_diff = sqrt(SE_1^2 + SE_2^2)`` (Rocks 2016, "The margin of error of an NPS").
* Proportions get Wilson score intervals (Wilson 1927, JASA 22, 209-212); means get
  t intervals.
* Raw answers and tallies are separate, keyword-only arguments (``scores=`` and ``counts=``):
  an 11-bin histogram of NPS answers looks like eleven answers, so which one a list is is
  never guessed.  Counts are frequency weights (the sample size is their sum).
* :func:`survey_sample_size` sizes a survey for a margin of error; the users per variant of an
  experiment are sized by :func:`cxmodels.ab.sample_size`.

Every estimate comes back as a :class:`MetricResult` (the library's result contract):
``summary()`` has one row per quantity with ``est, se, lower, upper``; ``params`` the
estimates; ``provenance``, ``methods_text()`` citing ``references``, ``plot(ax=None)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validation as V
from .. import plotting
from .._results import Result
from ..errors import InputError
from ..provenance import make_provenance
from .references import EFRON, KISH, REICHHELD, ROCKS, WILSON

class MetricResult(Result):
    """A survey metric with its uncertainty (see the module docstring).

    Attributes
    ----------
    metric : str
        ``"NPS"``, ``"CSAT"``, ``"CES"``, ``"NPS difference"``, ``"composite CX weights"`` or
        ``"<metric> by wave"``.
    level : float
    n, n_eff : float or None
        Responses and Kish's effective sample size (for a single sample).
    """

    def __init__(self, table: pd.DataFrame, *, metric: str, level: float, provenance, references, methods: str,
                 n=None, n_eff=None, plot_rows=None, xlabel: str = "", extras: dict | None = None):
        self._table = table
        self.metric = metric
        self.level = level
        self.n, self.n_eff = n, n_eff
        self._provenance = provenance
        self._references = tuple(references)
        self._methods = methods
        self._warnings = []
        self._plot_rows = list(table.index if plot_rows is None else plot_rows)
        self._xlabel = xlabel
        for name, value in (extras or {}).items():
            setattr(self, name, value)

    def methods_text(self) -> str:
        return self._methods

    def plot(self, ax=None):
        """Estimates with their intervals (rows of ``summary()``); returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 0.6 + 0.5 * len(self._plot_rows)))
        t = self._table.loc[self._plot_rows]
        y = np.arange(len(t))
        has_iv = {"lower", "upper"} <= set(t.columns)
        if has_iv:
            err = np.vstack([t["est"] - t["lower"], t["upper"] - t["est"]])
            ax.errorbar(t["est"], y, xerr=err, fmt="o", color=plotting.color(0), capsize=3)
        else:
            ax.plot(t["est"], y, "o", color=plotting.color(0))
        ax.set_yticks(y, [str(i) for i in t.index])
        ax.set_xlabel(self._xlabel or self.metric + (f" ({self.level:.0%} interval)" if has_iv else ""))
        ax.set_title(self.metric)
        return ax

    def __repr__(self) -> str:
        return f"<MetricResult {self.metric}>\n{self._table.to_string()}"


def _answers_frame(x, w) -> pd.DataFrame:
    """The answers a metric was computed from, for the provenance fingerprint (never stored)."""
    return pd.DataFrame({"value": np.asarray(x, float), "weight": np.asarray(w, float)})


def _arr(x, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise InputError(f"{name} must be a one-dimensional sequence of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} holds values that are not numbers") from None
    if a.ndim != 1 or a.size == 0:
        raise InputError(f"{name} must be a non-empty one-dimensional sequence of numbers")
    if np.isnan(a).any():
        raise InputError(f"{name} has {int(np.isnan(a).sum())} missing values; drop them first")
    if np.isinf(a).any():
        raise InputError(f"{name} has {int(np.isinf(a).sum())} infinite values")
    return a


def _weights(w, n: int) -> np.ndarray:
    if w is None:
        return np.ones(n)
    w = _arr(w, "weights")
    if len(w) != n:
        raise InputError(f"weights has {len(w)} values for {n} responses")
    if (w < 0).any() or w.sum() == 0:
        raise InputError("weights must be non-negative and not all zero")
    return w


def _responses(scores, counts, weights, values: np.ndarray, what: str, fname: str):
    """Answers as ``(x, w, n, n_eff)`` from exactly one of raw ``scores`` or ``counts``.

    ``counts`` has one entry per scale point (``values``); they are frequency weights, so the
    sample size is their sum (not Kish's effective size, which applies to survey weights of raw
    answers).  A list of numbers is never guessed to be one or the other.
    """
    if (scores is None) == (counts is None):
        raise InputError(f"{fname} takes exactly one of scores= (raw answers) or counts= ({what})")
    if counts is not None:
        if weights is not None:
            raise InputError(f"{fname}: weights= apply to raw scores, not to counts=")
        c = _arr(counts, "counts")
        if c.shape != values.shape:
            raise InputError(f"counts has {c.size} entries; {fname} takes {what}. Raw answers go in scores=")
        if (c < 0).any():
            raise InputError(f"counts must be non-negative, got {c.tolist()}")
        if c.sum() == 0:
            raise InputError(f"counts are all zero: there are no responses ({what})")
        keep = c > 0
        n = float(c.sum())
        return values[keep].astype(float), c[keep], n, n
    x = _arr(scores, "scores")
    w = _weights(weights, len(x))
    return x, w, float(len(x)), effective_n(w)


def effective_n(weights) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w ** 2).sum())


def wilson_interval(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` from ``n`` (effective) observations."""
    z = stats.norm.ppf(0.5 + level / 2)
    den = 1 + z ** 2 / n
    centre = (p + z ** 2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / den
    # rounding can put a bound a hair past p at p = 0 or 1 (3e-18 > 0): the interval always holds p
    return float(max(0.0, min(centre - half, p))), float(min(1.0, max(centre + half, p)))


def _mean_ci(x, w, n_eff, level):
    m = float(np.average(x, weights=w))
    if n_eff <= 1:
        return m, np.nan, np.nan, np.nan  # one response: no spread to estimate
    var = float(np.average((x - m) ** 2, weights=w)) * n_eff / (n_eff - 1)
    se = np.sqrt(var / n_eff)
    t = stats.t.ppf(0.5 + level / 2, df=max(n_eff - 1, 1))
    return m, se, m - t * se, m + t * se


def _scale(scale) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in scale)
    except (TypeError, ValueError):
        raise InputError(f"scale must be a pair of whole numbers (low, high), got {scale!r}") from None
    if lo >= hi:
        raise InputError(f"scale {scale} must run from low to high")
    return lo, hi


def csat(*, scores=None, counts=None, scale: tuple[int, int] = (1, 5), top_box: int = 2, weights=None,
         level: float = 0.95) -> MetricResult:
    """Customer satisfaction: top-box share (e.g. 4-5 on a 1-5 scale) and mean, with intervals.

    Parameters
    ----------
    scores : sequence, optional
        Raw answers on ``scale``.
    counts : sequence, optional
        Instead of scores: the number of answers at each scale point, low to high
        (``hi - lo + 1`` numbers).  Exactly one of ``scores`` and ``counts``.
    scale : (int, int)
    top_box : int
        How many of the top scale points count as satisfied.
    weights : sequence, optional
        Survey weights of raw answers (Kish's effective size in the standard errors).
    level : float

    Returns
    -------
    MetricResult
        Rows ``top_box`` (share; Wilson interval, SE :math:`\\sqrt{p(1-p)/n_{eff}}`) and ``mean``
        (t interval), columns ``est, se, lower, upper``; ``n`` and ``n_eff``.
    """
    level = V.check_level(level)
    lo, hi = _scale(scale)
    x, w, n, n_eff = _responses(scores, counts, weights, np.arange(lo, hi + 1),
                                f"{hi - lo + 1} counts, of the scale points {lo}..{hi}", "csat")
    out_of_range = ((x < lo) | (x > hi)).sum()
    if out_of_range:
        raise InputError(f"{int(out_of_range)} scores lie outside the scale {scale}")
    if isinstance(top_box, bool) or not isinstance(top_box, (int, np.integer)) or not 1 <= top_box <= hi - lo:
        raise InputError(f"top_box must be a whole number of scale points from 1 to {hi - lo}, got {top_box!r}")
    p = float(np.average(x > hi - top_box, weights=w))
    plo, phi = wilson_interval(p, n_eff, level)
    m, se, mlo, mhi = _mean_ci(x, w, n_eff, level)
    table = pd.DataFrame({"est": [p, m], "se": [np.sqrt(p * (1 - p) / n_eff), se], "lower": [plo, mlo],
                          "upper": [phi, mhi]}, index=pd.Index(["top_box", "mean"], name="quantity"))
    prov = make_provenance("CSAT", _answers_frame(x, w), {"scale": [lo, hi], "top_box": top_box, "level": level,
                                                          "counts": counts is not None})
    text = (f"CSAT on a {lo}-{hi} scale from {n:g} responses (effective n {n_eff:.1f}; {KISH.cite}): the top-"
            f"{top_box}-box share with a {level:.0%} Wilson score interval ({WILSON.cite}) and the mean with a "
            f"{level:.0%} t interval.")
    return MetricResult(table, metric="CSAT", level=level, provenance=prov, references=(WILSON, KISH), methods=text,
                        n=n, n_eff=n_eff)


_NPS_COUNTS = "[detractors, passives, promoters] (3 numbers) or a histogram of the scores 0..10 (11 numbers)"


def _nps_shares(scores, counts, weights):
    if counts is not None and scores is None:
        c = _arr(counts, "counts")
        if c.size == 11:  # a histogram of the scores 0..10
            c = np.array([c[:7].sum(), c[7:9].sum(), c[9:].sum()])
        elif c.size != 3:
            raise InputError(f"counts has {c.size} entries; nps takes {_NPS_COUNTS}. Raw answers go in scores=")
        if (c < 0).any():
            raise InputError(f"counts must be non-negative, got {c.tolist()}")
        if c.sum() == 0:
            raise InputError("counts are all zero: there are no responses to compute an NPS from")
        if weights is not None:
            raise InputError("nps: weights= apply to raw scores, not to counts=")
        n = float(c.sum())
        return c / n, n, n, pd.DataFrame({"category": ["detractors", "passives", "promoters"], "count": c})
    x, w, n, n_eff = _responses(scores, counts, weights, np.arange(11), _NPS_COUNTS, "nps")
    bad = ((x < 0) | (x > 10) | (x != np.round(x))).sum()
    if bad:
        raise InputError(f"{int(bad)} NPS scores are not whole numbers from 0 to 10")
    shares = np.array([np.average(x <= 6, weights=w), np.average((x >= 7) & (x <= 8), weights=w),
                       np.average(x >= 9, weights=w)])
    return shares, n, n_eff, _answers_frame(x, w)


def nps(*, scores=None, counts=None, weights=None, level: float = 0.95) -> MetricResult:
    """Net Promoter Score with its standard error and interval.

    Give exactly one of ``scores`` and ``counts``: a list of numbers is never guessed to be
    answers or tallies (an 11-bin histogram looks like 11 answers).

    Parameters
    ----------
    scores : sequence, optional
        Raw 0-10 answers.
    counts : sequence, optional
        ``[detractors, passives, promoters]`` or an 11-bin histogram of the scores 0..10.
    weights : sequence, optional
        Survey weights for raw answers.
    level : float

    Returns
    -------
    MetricResult
        Rows ``nps`` (points; normal interval from the multinomial SE) and the shares
        ``detractors``, ``passives``, ``promoters`` (Wilson intervals), columns
        ``est, se, lower, upper``; ``n`` and ``n_eff``.
    """
    level = V.check_level(level)
    (pd_, pp, pr), n, n_eff, frame = _nps_shares(scores, counts, weights)
    score = pr - pd_
    se = np.sqrt(max(pr + pd_ - score ** 2, 0) / n_eff)
    z = stats.norm.ppf(0.5 + level / 2)
    rows = {"nps": (100 * score, 100 * se, 100 * (score - z * se), 100 * (score + z * se))}
    for name, p in (("detractors", pd_), ("passives", pp), ("promoters", pr)):
        rows[name] = (p, np.sqrt(p * (1 - p) / n_eff), *wilson_interval(p, n_eff, level))
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["est", "se", "lower", "upper"])
    table.index.name = "quantity"
    prov = make_provenance("NPS", frame, {"level": level, "counts": counts is not None})
    text = (f"The Net Promoter Score ({REICHHELD.cite}; promoters 9-10, detractors 0-6) from {n:g} responses "
            f"(effective n {n_eff:.1f}; {KISH.cite}), in points, with a {level:.0%} normal interval from the "
            f"multinomial standard error ({ROCKS.cite}); category shares with Wilson intervals ({WILSON.cite}).")
    return MetricResult(table, metric="NPS", level=level, provenance=prov, references=(REICHHELD, KISH, ROCKS, WILSON),
                        methods=text, n=n, n_eff=n_eff, plot_rows=["nps"], xlabel=f"NPS (points, {level:.0%} interval)")


def nps_difference(*, scores_a=None, scores_b=None, counts_a=None, counts_b=None, weights_a=None, weights_b=None,
                   level: float = 0.95) -> MetricResult:
    """Difference of two independent NPS values (b - a): SE, interval, z-test.

    Each sample is given as raw ``scores_*`` or as ``counts_*`` (see :func:`nps`).

    Returns
    -------
    MetricResult
        Row ``difference`` with ``est, se, lower, upper, z, pvalue``; ``a`` and ``b`` the two
        samples' results.
    """
    level = V.check_level(level)
    na = nps(scores=scores_a, counts=counts_a, weights=weights_a, level=level)
    nb = nps(scores=scores_b, counts=counts_b, weights=weights_b, level=level)
    (ea, sa), (eb, sb) = na.summary().loc["nps", ["est", "se"]], nb.summary().loc["nps", ["est", "se"]]
    diff = eb - ea
    se = float(np.sqrt(sa ** 2 + sb ** 2))
    if not se > 0:
        raise InputError("both samples are without spread (every answer in one category): the difference has "
                         "no standard error")
    z = stats.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame({"est": [diff], "se": [se], "lower": [diff - z * se], "upper": [diff + z * se],
                          "z": [diff / se], "pvalue": [float(2 * stats.norm.sf(abs(diff / se)))]},
                         index=pd.Index(["difference"], name="quantity"))
    frame = pd.DataFrame({"sample": ["a", "b"], "nps": [ea, eb], "se": [sa, sb], "n": [na.n, nb.n]})
    prov = make_provenance("NPS difference", frame, {"level": level})
    text = (f"The difference of two independent Net Promoter Scores (b - a; {REICHHELD.cite}), in points, with "
            f"standard error sqrt(SE_a^2 + SE_b^2) ({ROCKS.cite}), a {level:.0%} normal interval and a two-sided "
            "z test.")
    return MetricResult(table, metric="NPS difference", level=level, provenance=prov, references=(REICHHELD, ROCKS),
                        methods=text, extras={"a": na, "b": nb})


def ces(*, scores=None, counts=None, scale: tuple[int, int] = (1, 7), agree_from: int = 5, weights=None,
        level: float = 0.95) -> MetricResult:
    """Customer effort score: mean and share agreeing the task was easy (>= ``agree_from``).

    Exactly one of raw ``scores`` or ``counts`` (answers per scale point, low to high).

    Returns
    -------
    MetricResult
        Rows ``mean`` (t interval) and ``agree`` (share; Wilson interval), columns
        ``est, se, lower, upper``; ``n`` and ``n_eff``.
    """
    level = V.check_level(level)
    lo, hi = _scale(scale)
    x, w, n, n_eff = _responses(scores, counts, weights, np.arange(lo, hi + 1),
                                f"{hi - lo + 1} counts, of the scale points {lo}..{hi}", "ces")
    if ((x < lo) | (x > hi)).any():
        raise InputError(f"{int(((x < lo) | (x > hi)).sum())} scores lie outside the scale {scale}")
    try:
        agree_from = float(agree_from)
    except (TypeError, ValueError):
        raise InputError(f"agree_from must be a scale point, got {agree_from!r}") from None
    if not lo < agree_from <= hi:
        raise InputError(f"agree_from must lie above the bottom of the scale {scale} and within it, got {agree_from:g}")
    p = float(np.average(x >= agree_from, weights=w))
    plo, phi = wilson_interval(p, n_eff, level)
    m, se, mlo, mhi = _mean_ci(x, w, n_eff, level)
    table = pd.DataFrame({"est": [m, p], "se": [se, np.sqrt(p * (1 - p) / n_eff)], "lower": [mlo, plo],
                          "upper": [mhi, phi]}, index=pd.Index(["mean", "agree"], name="quantity"))
    prov = make_provenance("CES", _answers_frame(x, w), {"scale": [lo, hi], "agree_from": agree_from,
                                                         "level": level, "counts": counts is not None})
    text = (f"Customer effort on a {lo}-{hi} scale from {n:g} responses (effective n {n_eff:.1f}; {KISH.cite}): the "
            f"mean with a {level:.0%} t interval and the share answering {agree_from:g} or more with a Wilson "
            f"score interval ({WILSON.cite}).")
    return MetricResult(table, metric="CES", level=level, provenance=prov, references=(WILSON, KISH), methods=text,
                        n=n, n_eff=n_eff)


def survey_sample_size(metric: str, margin: float, *, level: float = 0.95, p: float | None = None,
                       sd: float | None = None, promoters: float | None = None, detractors: float | None = None,
                       design_effect: float = 1.0) -> int:
    """Survey respondents needed for a margin of error (half-width of the interval).

    Sizes a survey's precision; the users per variant of an experiment are sized by
    :func:`cxmodels.ab.sample_size`.

    ``metric="proportion"`` (margin as a proportion, worst case ``p = 0.5``),
    ``metric="mean"`` (margin in scale points, needs ``sd``), ``metric="nps"`` (margin in
    NPS points; worst case variance 1, or from expected shares):
    ``n = deff * z^2 var / margin^2`` (Cochran 1977, ch. 4).
    """
    level = V.check_level(level)
    z = stats.norm.ppf(0.5 + level / 2)
    try:
        margin = float(margin)
        design_effect = float(design_effect)
    except (TypeError, ValueError):
        raise InputError(f"margin and design_effect must be numbers, got {margin!r}, {design_effect!r}") from None
    if not margin > 0 or not np.isfinite(margin):
        raise InputError("margin must be positive")
    if not design_effect > 0 or not np.isfinite(design_effect):
        raise InputError(f"design_effect must be positive, got {design_effect}")
    if metric == "proportion":
        p = 0.5 if p is None else p
        if not 0 <= p <= 1:
            raise InputError(f"p must lie in [0, 1], got {p}")
        var, m = p * (1 - p), margin
    elif metric == "mean":
        if sd is None:
            raise InputError("survey_sample_size(metric='mean') needs the expected standard deviation sd")
        if not sd > 0:
            raise InputError(f"sd must be positive, got {sd}")
        var, m = sd ** 2, margin
    elif metric == "nps":
        if promoters is None or detractors is None:
            var = 1.0
        else:
            if not (0 <= promoters <= 1 and 0 <= detractors <= 1 and promoters + detractors <= 1):
                raise InputError(f"promoters and detractors must be shares summing to at most 1, got "
                                 f"{promoters}, {detractors}")
            var = promoters + detractors - (promoters - detractors) ** 2
        m = margin / 100
    else:
        raise InputError(f"metric must be 'proportion', 'mean' or 'nps', got {metric!r}")
    return int(np.ceil(design_effect * z ** 2 * var / m ** 2))


def composite_cx(data: pd.DataFrame, components: list[str], *, weights: dict | None = None,
                 outcome: str | None = None, n_boot: int = 500, seed=None, level: float = 0.95) -> MetricResult:
    """A composite CX score from standardized components (e.g. CSAT, NPS, CES per customer).

    Weights are given (industry practice) or, with ``outcome``, estimated as the
    standardized regression weights of the components on a loyalty outcome, rescaled to
    sum to one, with bootstrap standard errors showing how well the data pin them down.

    Returns
    -------
    MetricResult
        One row per component: ``est`` (the weight) and, for estimated weights, ``se``,
        ``lower``, ``upper`` (bootstrap SD and percentile interval at ``level``); ``score``
        holds the per-customer composite (0-100, the weighted mean of the components min-max
        rescaled).  The bootstrap and its seed are recorded in ``provenance``.
    """
    level = V.check_level(level)
    n_boot = V.check_count(n_boot, "n_boot", minimum=0 if weights is not None else 2)
    V.require_frame(data)
    V.require_unique_columns(data)
    if isinstance(components, str) or len(components) == 0:
        raise InputError("components must be a non-empty list of column names")
    components = list(components)
    V.require_columns(data, components + ([outcome] if outcome else []))
    V.require_numeric(data, components + ([outcome] if outcome else []))
    V.require_no_missing(data, components + ([outcome] if outcome else []))
    V.require_finite(data, components + ([outcome] if outcome else []))
    if len(data) < len(components) + 2:
        raise InputError(f"data has {len(data)} rows; a composite of {len(components)} components needs at least "
                         f"{len(components) + 2}")
    V.require_not_constant(data, components + ([outcome] if outcome else []))
    Z = (data[components] - data[components].mean()) / data[components].std()
    if weights is not None:
        unknown = set(weights) - set(components)
        if unknown:
            raise InputError(f"weights name {sorted(unknown)}, which are not components")
        try:
            w = np.array([weights.get(c, 0.0) for c in components], float)
        except (TypeError, ValueError):
            raise InputError("weights must map component names to numbers") from None
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InputError(f"weights must be non-negative finite numbers, not all zero; got {w.tolist()}")
        table = pd.DataFrame({"est": w / w.sum()}, index=components)
        text = (f"A composite CX score of {', '.join(components)}: each component min-max rescaled to 0-100 and "
                f"averaged with the given weights {', '.join(f'{c} {x:.3g}' for c, x in zip(components, w / w.sum()))}.")
        refs = ()
    elif outcome is not None:
        y = (data[outcome] - data[outcome].mean()) / data[outcome].std()

        def est(Zm, ym):
            b = np.linalg.lstsq(Zm, ym, rcond=None)[0]
            with np.errstate(divide="ignore", invalid="ignore"):  # weights summing to 0: reported as NaN
                return b / b.sum()

        w = est(Z.to_numpy(), y.to_numpy())
        rng = V.as_generator(seed)
        n = len(data)
        draws = np.array([est(Z.to_numpy()[i], y.to_numpy()[i]) for i in (rng.integers(0, n, n) for _ in range(n_boot))])
        if not np.isfinite(w).all():
            raise InputError(f"the regression weights of {components} on {outcome!r} sum to zero: they cannot be "
                             "rescaled to shares; give weights= instead")
        table = pd.DataFrame({"est": w, "se": np.nanstd(draws, axis=0, ddof=1),
                              "lower": np.nanquantile(draws, (1 - level) / 2, axis=0),
                              "upper": np.nanquantile(draws, (1 + level) / 2, axis=0)}, index=components)
        text = (f"A composite CX score of {', '.join(components)}: each component min-max rescaled to 0-100 and "
                f"averaged with weights estimated as the standardized regression weights of the components on "
                f"{outcome!r}, rescaled to sum to one, with bootstrap standard errors and {level:.0%} percentile "
                f"intervals from {n_boot} resamples of customers ({EFRON.cite}; seed {seed}).")
        refs = (EFRON,)
    else:
        raise InputError("give either weights or an outcome to estimate them from")
    table.index.name = "component"
    R = data[components]
    rescaled = (R - R.min()) / (R.max() - R.min()) * 100
    score = rescaled @ table["est"].to_numpy()
    used = components + ([outcome] if outcome else [])
    seed_rec = seed if not isinstance(seed, np.random.Generator) else "Generator"
    prov = make_provenance("composite CX score", data[used],
                           {"components": components, "outcome": outcome, "weights": weights, "level": level})
    if weights is None:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot)
    return MetricResult(table, metric="composite CX weights", level=level, provenance=prov, references=refs,
                        methods=text, n=float(len(data)), extras={"score": score}, xlabel="weight")


def track(data: pd.DataFrame, *, group: str, value: str, metric: str = "nps", level: float = 0.95,
          alpha: float = 0.05, **kwargs) -> MetricResult:
    """A metric per survey wave with its interval, the linear trend, and a flag on each
    wave-to-wave change larger than sampling error explains (two-sided z-test at ``alpha``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    group : str
        The wave column (waves are sorted).
    value : str
        The raw answer column.
    metric : {"nps", "csat_top_box", "csat_mean", "ces_mean"}

    Returns
    -------
    MetricResult
        One row per wave: ``est, se, lower, upper, n, change, change_pvalue,
        significant_change``; ``trend`` holds the precision-weighted least-squares slope per
        wave with its SE.
    """
    level = V.check_level(level)
    if metric not in ("nps", "csat_top_box", "csat_mean", "ces_mean"):
        raise InputError(f"metric must be 'nps', 'csat_top_box', 'csat_mean' or 'ces_mean', got {metric!r}")
    V.require_frame(data)
    V.require_unique_columns(data)
    V.require_columns(data, [group, value])
    V.require_numeric(data, [value])
    V.require_finite(data, [value])
    if data[group].isna().any():
        raise InputError(f"column {group!r} has {int(data[group].isna().sum())} missing wave labels")
    try:
        waves = sorted(data.groupby(group, observed=True), key=lambda kv: kv[0])
    except TypeError:
        raise InputError(f"column {group!r} mixes wave labels that cannot be ordered (numbers and text)") from None
    if len(waves) < 2:
        raise InputError(f"column {group!r} holds {len(waves)} wave(s); tracking needs at least two")
    rows = []
    for w, grp in waves:
        s = grp[value].dropna().to_numpy()
        if s.size == 0:
            raise InputError(f"wave {w!r} has no answers in column {value!r}")
        if metric == "nps":
            r, row = nps(scores=s, level=level), "nps"
        else:
            fn = csat if metric.startswith("csat") else ces
            r, row = fn(scores=s, level=level, **kwargs), ("top_box" if metric == "csat_top_box" else "mean")
        est = r.summary().loc[row]
        rows.append({"wave": w, "est": est["est"], "se": est["se"], "lower": est["lower"], "upper": est["upper"],
                     "n": r.n})
    out = pd.DataFrame(rows)
    change = out["est"].diff()
    se_change = np.sqrt(out["se"] ** 2 + out["se"].shift() ** 2)
    out["change"] = change
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pvalue"] = 2 * stats.norm.sf(np.abs(change / se_change))
    out["significant_change"] = out["change_pvalue"] < alpha
    if not (out["se"] > 0).all():
        raise InputError(f"wave(s) {out.loc[~(out['se'] > 0), 'wave'].tolist()} have no sampling spread (one answer, "
                         "or all alike): the trend cannot be weighted by precision")
    t = np.arange(len(out), dtype=float)
    wts = 1 / out["se"].to_numpy() ** 2
    X = np.column_stack([np.ones_like(t), t])
    cov = np.linalg.inv(X.T @ (X * wts[:, None]))
    beta = cov @ X.T @ (wts * out["est"].to_numpy())
    trend = {"slope_per_wave": float(beta[1]), "se": float(np.sqrt(cov[1, 1]))}
    out = out.set_index("wave")
    prov = make_provenance(f"{metric} by wave", data[[group, value]], {"group": group, "value": value,
                                                                       "metric": metric, "level": level,
                                                                       "alpha": alpha, **kwargs})
    label = {"nps": "NPS", "csat_top_box": "CSAT top-box share", "csat_mean": "CSAT mean", "ces_mean": "CES mean"}
    refs = {"nps": (REICHHELD, ROCKS), "csat_top_box": (WILSON,), "csat_mean": (), "ces_mean": ()}[metric]
    text = (f"The {label[metric]} per survey wave ({len(out)} waves) with {level:.0%} intervals"
            + (f" ({', '.join(r.cite for r in refs)})" if refs else "")
            + f"; wave-to-wave changes tested with two-sided z tests at {alpha:g}, and the linear trend per wave "
            f"by precision-weighted least squares (slope {trend['slope_per_wave']:.3g}, SE {trend['se']:.3g}).")
    return MetricResult(out, metric=f"{label[metric]} by wave", level=level, provenance=prov, references=refs,
                        methods=text, extras={"trend": trend}, xlabel=f"{label[metric]} ({level:.0%} interval)")


__all__ = ["csat", "nps", "nps_difference", "ces", "survey_sample_size", "composite_cx", "track",
           "effective_n", "wilson_interval", "MetricResult"]
