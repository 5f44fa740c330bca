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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from . import _validation as V
from .errors import InputError


def _arr(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise InputError(f"{name} must be a non-empty one-dimensional sequence of numbers")
    if np.isnan(a).any():
        raise InputError(f"{name} has {int(np.isnan(a).sum())} missing values; drop them first")
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
    return float(centre - half), float(centre + half)


def _mean_ci(x, w, level):
    n_eff = effective_n(w)
    m = float(np.average(x, weights=w))
    var = float(np.average((x - m) ** 2, weights=w)) * n_eff / (n_eff - 1)
    se = np.sqrt(var / n_eff)
    t = stats.t.ppf(0.5 + level / 2, df=max(n_eff - 1, 1))
    return m, se, m - t * se, m + t * se


def csat(scores, *, scale: tuple[int, int] = (1, 5), top_box: int = 2, weights=None, level: float = 0.95) -> pd.Series:
    """Customer satisfaction: top-box share (e.g. 4-5 on a 1-5 scale) and mean, with intervals.

    Returns
    -------
    Series
        ``top_box``, ``top_box_lower``, ``top_box_upper`` (Wilson), ``mean``, ``mean_se``,
        ``mean_lower``, ``mean_upper``, ``n``, ``n_eff``.
    """
    x = _arr(scores, "scores")
    lo, hi = scale
    out_of_range = ((x < lo) | (x > hi)).sum()
    if out_of_range:
        raise InputError(f"{int(out_of_range)} scores lie outside the scale {scale}")
    w = _weights(weights, len(x))
    n_eff = effective_n(w)
    p = float(np.average(x > hi - top_box, weights=w))
    plo, phi = wilson_interval(p, n_eff, level)
    m, se, mlo, mhi = _mean_ci(x, w, level)
    return pd.Series({"top_box": p, "top_box_lower": plo, "top_box_upper": phi, "mean": m, "mean_se": se,
                      "mean_lower": mlo, "mean_upper": mhi, "n": len(x), "n_eff": n_eff})


def _nps_shares(scores, counts, weights):
    if (scores is None) == (counts is None):
        raise InputError("give either raw 0-10 scores or counts=[detractors, passives, promoters]")
    if counts is not None:
        c = np.asarray(counts, dtype=float)
        if c.shape != (3,) or (c < 0).any() or c.sum() == 0:
            raise InputError("counts must be three non-negative numbers [detractors, passives, promoters]")
        n = float(c.sum())
        return c / n, n, n
    x = _arr(scores, "scores")
    bad = ((x < 0) | (x > 10) | (x != np.round(x))).sum()
    if bad:
        raise InputError(f"{int(bad)} NPS scores are not whole numbers from 0 to 10")
    w = _weights(weights, len(x))
    shares = np.array([np.average(x <= 6, weights=w), np.average((x >= 7) & (x <= 8), weights=w),
                       np.average(x >= 9, weights=w)])
    return shares, float(len(x)), effective_n(w)


def nps(scores=None, *, counts=None, weights=None, level: float = 0.95) -> pd.Series:
    """Net Promoter Score with its standard error and interval.

    Parameters
    ----------
    scores : sequence, optional
        Raw 0-10 answers.
    counts : sequence, optional
        Instead of scores: ``[detractors, passives, promoters]``.
    weights : sequence, optional
        Survey weights for raw answers.

    Returns
    -------
    Series
        ``nps`` (points), ``se``, ``lower``, ``upper``, the three shares, ``n`` and ``n_eff``.
    """
    (pd_, pp, pr), n, n_eff = _nps_shares(scores, counts, weights)
    score = pr - pd_
    se = np.sqrt(max(pr + pd_ - score ** 2, 0) / n_eff)
    z = stats.norm.ppf(0.5 + level / 2)
    return pd.Series({"nps": 100 * score, "se": 100 * se, "lower": 100 * (score - z * se),
                      "upper": 100 * (score + z * se), "detractors": pd_, "passives": pp, "promoters": pr,
                      "n": n, "n_eff": n_eff})


def nps_difference(a, b, *, weights_a=None, weights_b=None, level: float = 0.95) -> pd.Series:
    """Difference of two independent NPS values from raw scores (b - a): SE, interval, z-test."""
    na, nb = nps(a, weights=weights_a), nps(b, weights=weights_b)
    diff = nb["nps"] - na["nps"]
    se = np.sqrt(na["se"] ** 2 + nb["se"] ** 2)
    z = stats.norm.ppf(0.5 + level / 2)
    return pd.Series({"difference": diff, "se": se, "lower": diff - z * se, "upper": diff + z * se,
                      "z": diff / se, "pvalue": float(2 * stats.norm.sf(abs(diff / se)))})


def ces(scores, *, scale: tuple[int, int] = (1, 7), agree_from: int = 5, weights=None, level: float = 0.95
        ) -> pd.Series:
    """Customer effort score: mean and share agreeing the task was easy (>= ``agree_from``)."""
    x = _arr(scores, "scores")
    if ((x < scale[0]) | (x > scale[1])).any():
        raise InputError(f"{int(((x < scale[0]) | (x > scale[1])).sum())} scores lie outside the scale {scale}")
    w = _weights(weights, len(x))
    n_eff = effective_n(w)
    p = float(np.average(x >= agree_from, weights=w))
    lo, hi = wilson_interval(p, n_eff, level)
    m, se, mlo, mhi = _mean_ci(x, w, level)
    return pd.Series({"mean": m, "mean_se": se, "mean_lower": mlo, "mean_upper": mhi, "agree": p,
                      "agree_lower": lo, "agree_upper": hi, "n": len(x), "n_eff": n_eff})


def sample_size(metric: str, margin: float, *, level: float = 0.95, p: float | None = None,
                sd: float | None = None, promoters: float | None = None, detractors: float | None = None,
                design_effect: float = 1.0) -> int:
    """Respondents needed for a margin of error (half-width of the interval).

    ``metric="proportion"`` (margin as a proportion, worst case ``p = 0.5``),
    ``metric="mean"`` (margin in scale points, needs ``sd``), ``metric="nps"`` (margin in
    NPS points; worst case variance 1, or from expected shares):
    ``n = deff * z^2 var / margin^2``.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    if margin <= 0:
        raise InputError("margin must be positive")
    if metric == "proportion":
        p = 0.5 if p is None else p
        var, m = p * (1 - p), margin
    elif metric == "mean":
        if sd is None:
            raise InputError("sample_size(metric='mean') needs the expected standard deviation sd")
        var, m = sd ** 2, margin
    elif metric == "nps":
        if promoters is None or detractors is None:
            var = 1.0
        else:
            var = promoters + detractors - (promoters - detractors) ** 2
        m = margin / 100
    else:
        raise InputError(f"metric must be 'proportion', 'mean' or 'nps', got {metric!r}")
    return int(np.ceil(design_effect * z ** 2 * var / m ** 2))


def composite_cx(data: pd.DataFrame, components: list[str], *, weights: dict | None = None,
                 outcome: str | None = None, n_boot: int = 500, seed=None) -> pd.DataFrame:
    """A composite CX score from standardized components (e.g. CSAT, NPS, CES per customer).

    Weights are given (industry practice) or, with ``outcome``, estimated as the
    standardized regression weights of the components on a loyalty outcome, rescaled to
    sum to one, with bootstrap standard errors showing how well the data pin them down.

    Returns
    -------
    DataFrame
        One row per component: ``weight`` and (estimated weights only) ``se``,
        ``ci_lower``, ``ci_upper``; ``.attrs["score"]`` holds the per-customer composite
        (0-100, the weighted mean of components min-max rescaled).
    """
    V.require_frame(data)
    V.require_columns(data, components + ([outcome] if outcome else []))
    V.require_numeric(data, components + ([outcome] if outcome else []))
    V.require_no_missing(data, components + ([outcome] if outcome else []))
    Z = (data[components] - data[components].mean()) / data[components].std()
    if weights is not None:
        unknown = set(weights) - set(components)
        if unknown:
            raise InputError(f"weights name {sorted(unknown)}, which are not components")
        w = np.array([weights.get(c, 0.0) for c in components], float)
        table = pd.DataFrame({"weight": w / w.sum()}, index=components)
    elif outcome is not None:
        y = (data[outcome] - data[outcome].mean()) / data[outcome].std()

        def est(Zm, ym):
            b = np.linalg.lstsq(Zm, ym, rcond=None)[0]
            return b / b.sum()

        w = est(Z.to_numpy(), y.to_numpy())
        rng = V.as_generator(seed)
        n = len(data)
        draws = np.array([est(Z.to_numpy()[i], y.to_numpy()[i]) for i in (rng.integers(0, n, n) for _ in range(n_boot))])
        table = pd.DataFrame({"weight": w, "se": draws.std(axis=0, ddof=1),
                              "ci_lower": np.quantile(draws, 0.025, axis=0),
                              "ci_upper": np.quantile(draws, 0.975, axis=0)}, index=components)
    else:
        raise InputError("give either weights or an outcome to estimate them from")
    R = data[components]
    rescaled = (R - R.min()) / (R.max() - R.min()) * 100
    table.attrs["score"] = rescaled @ table["weight"].to_numpy()
    return table


def track(data: pd.DataFrame, wave: str, score: str, *, metric: str = "nps", level: float = 0.95,
          alpha: float = 0.05, **kwargs) -> pd.DataFrame:
    """A metric per survey wave with its interval, the linear trend, and a flag on each
    wave-to-wave change larger than sampling error explains (two-sided z-test at ``alpha``).

    ``metric`` is "nps", "csat_top_box", "csat_mean" or "ces_mean"; waves are sorted.
    ``.attrs["trend"]`` holds the weighted least-squares slope per wave with its SE.
    """
    V.require_frame(data)
    V.require_columns(data, [wave, score])
    rows = []
    for w, grp in sorted(data.groupby(wave), key=lambda kv: kv[0]):
        s = grp[score].dropna().to_numpy()
        if metric == "nps":
            r = nps(s, level=level)
            rows.append({"wave": w, "value": r["nps"], "se": r["se"], "lower": r["lower"], "upper": r["upper"],
                         "n": r["n"]})
        elif metric in ("csat_top_box", "csat_mean", "ces_mean"):
            r = csat(s, level=level, **kwargs) if metric.startswith("csat") else ces(s, level=level, **kwargs)
            if metric == "csat_top_box":
                p, n = r["top_box"], r["n_eff"]
                rows.append({"wave": w, "value": p, "se": np.sqrt(p * (1 - p) / n), "lower": r["top_box_lower"],
                             "upper": r["top_box_upper"], "n": r["n"]})
            else:
                rows.append({"wave": w, "value": r["mean"], "se": r["mean_se"], "lower": r["mean_lower"],
                             "upper": r["mean_upper"], "n": r["n"]})
        else:
            raise InputError(f"metric must be 'nps', 'csat_top_box', 'csat_mean' or 'ces_mean', got {metric!r}")
    out = pd.DataFrame(rows)
    change = out["value"].diff()
    se_change = np.sqrt(out["se"] ** 2 + out["se"].shift() ** 2)
    out["change"] = change
    out["change_pvalue"] = 2 * stats.norm.sf(np.abs(change / se_change))
    out["significant_change"] = out["change_pvalue"] < alpha
    t = np.arange(len(out), dtype=float)
    wts = 1 / out["se"].to_numpy() ** 2
    X = np.column_stack([np.ones_like(t), t])
    cov = np.linalg.inv(X.T @ (X * wts[:, None]))
    beta = cov @ X.T @ (wts * out["value"].to_numpy())
    out.attrs["trend"] = {"slope_per_wave": float(beta[1]), "se": float(np.sqrt(cov[1, 1]))}
    return out
