r"""NPS and rating-scale distributions: the Dirichlet-multinomial model.

With counts :math:`c_{v1}, \dots, c_{vK}` over K categories and a symmetric
:math:`\mathrm{Dirichlet}(a_0)` prior, the category probabilities of variant :math:`v` have
posterior :math:`\mathrm{Dirichlet}(a_0 + c_{v1}, \dots, a_0 + c_{vK})` (Gelman et al. 2013,
sec. 3.4).

* NPS (Reichheld 2003): scores 0-6 are detractors, 7-8 passives, 9-10 promoters;
  :math:`\mathrm{NPS} = p_\text{promoter} - p_\text{detractor}` (times ``scale``: 100 gives the
  usual -100..100 points).  Its posterior mean and variance are closed form
  (:func:`cxmodels.ab.closed_forms.dirichlet_nps_moments`).
* Ratings 1..K (CSAT): the metric is the mean rating :math:`\sum_k k\,p_k` or the top-box share
  :math:`p_K` (``"top_box"``) or top-two-box :math:`p_{K-1} + p_K` (``"top2_box"``); the whole
  distribution is compared, with no interval-scale assumption on the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from . import references as R
from ._checks import as_named, at_least_two, groups_from_frame, resolve_control
from .closed_forms import dirichlet_nps_moments
from .result import ABResult

NPS_CATEGORIES = ("detractors", "passives", "promoters")


def _read(data, counts, scores, names, group, value, histogram_to_categories, to_category, fname, count_help):
    """Per-variant category counts from exactly one of: a frame of raw scores (``data``), raw
    scores per variant (``scores``), or counts per variant (``counts``).  Counts are never read as
    scores nor scores as counts: which one a list is cannot be told from its values."""
    given = [name for name, x in (("data", data), ("counts", counts), ("scores", scores)) if x is not None]
    if len(given) != 1:
        raise InputError(f"{fname} takes exactly one of data= (a DataFrame of raw scores with group= and "
                         f"value=), scores= (raw scores per variant) or counts= ({count_help} per variant); "
                         f"got {', '.join(given) or 'none'}")
    if data is not None:
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"data of {fname} must be a DataFrame of raw scores, one row per respondent, got "
                             f"{type(data).__name__}; pass per-variant lists as scores= (raw answers) or "
                             f"counts= ({count_help})")
        if group is None or value is None:
            raise InputError(f"{fname}: a DataFrame needs group= (the variant column) and value= (the score column)")
        raw = groups_from_frame(data, group, value)
    elif scores is not None:
        if isinstance(scores, pd.DataFrame):
            raise InputError(f"{fname}: pass a DataFrame of raw scores as data= with group= and value=")
        raw = as_named(scores, names, "scores")
    if data is not None or scores is not None:
        out = {}
        for v, x in raw.items():
            try:
                arr = np.asarray(x, dtype=float).ravel()
            except (TypeError, ValueError):
                raise InputError(f"scores of variant {v!r} hold values that are not numbers") from None
            arr = arr[~np.isnan(arr)]
            if arr.size == 0:
                raise InputError(f"variant {v!r} has no scores")
            out[v] = to_category(arr, v)
        return out
    if group is not None or value is not None:
        raise InputError(f"{fname}: group= and value= name columns of a DataFrame given as data=")
    raw = as_named(counts, names, "counts")
    out = {}
    for v, x in raw.items():
        try:
            arr = np.asarray(x, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"counts of variant {v!r} are not numbers") from None
        if arr.size in histogram_to_categories:
            arr = histogram_to_categories[arr.size](arr)
        else:
            raise InputError(f"counts of variant {v!r} have {arr.size} entries; counts= takes {count_help}. "
                             "Raw answers go in scores=")
        if np.isnan(arr).any() or np.isinf(arr).any():
            raise InputError(f"counts of variant {v!r} must be finite numbers, got {arr.tolist()}")
        if (arr < 0).any():
            raise InputError(f"variant {v!r} has negative counts {arr.tolist()}")
        if arr.sum() == 0:
            raise InputError(f"variant {v!r} has no responses: its counts are all zero")
        out[v] = arr
    return out


def _nps_histogram(hist):
    """An 11-bin histogram of the scores 0..10 -> [detractors 0-6, passives 7-8, promoters 9-10]."""
    return np.array([hist[:7].sum(), hist[7:9].sum(), hist[9:].sum()])


def _nps_categories(arr, v):
    bad = (arr < 0) | (arr > 10) | (arr != np.round(arr))
    if bad.any():
        raise InputError(f"variant {v!r} has {int(bad.sum())} NPS scores outside the integers 0-10 "
                         f"(e.g. {arr[bad][:3].tolist()})")
    return np.array([(arr <= 6).sum(), ((arr >= 7) & (arr <= 8)).sum(), (arr >= 9).sum()], float)


def _dirichlet_prior(prior, k):
    try:
        a = np.full(k, float(prior)) if np.isscalar(prior) else np.asarray(prior, float)
    except (TypeError, ValueError):
        raise InputError(f"Dirichlet prior must be a positive number or {k} positive numbers, got {prior!r}") from None
    if a.shape != (k,) or not np.all(a > 0) or not np.all(np.isfinite(a)):
        raise InputError(f"Dirichlet prior must be a positive number or {k} positive numbers, got {prior!r}")
    return a


def _dirichlet_draws(rng, alpha: np.ndarray, size: int) -> np.ndarray:
    """Dirichlet draws for each row of ``alpha`` (variants x categories): (size, variants, K)."""
    g = rng.gamma(alpha, 1.0, size=(size,) + alpha.shape)
    return g / g.sum(axis=-1, keepdims=True)


def _chi2(cat_counts, variants, labels):
    from .frequentist import chi_square_table
    return chi_square_table(np.array([cat_counts[v] for v in variants]), rows=variants, columns=labels)


def compare_nps(data=None, *, counts=None, scores=None, group: str | None = None, value: str | None = None,
                names=None, prior=1.0, scale: float = 1.0, control=None, draws: int = 20_000, seed=None,
                level: float = 0.95) -> ABResult:
    """Compare Net Promoter Scores across variants (Dirichlet-multinomial on the three categories).

    Give exactly one of ``data``, ``scores`` or ``counts``: which of a score list and a count
    list a sequence of numbers is cannot be told from its values, so it is never guessed.

    Parameters
    ----------
    data : DataFrame, optional
        Raw 0-10 likelihood-to-recommend answers, one row per respondent, with ``group``
        (variant column) and ``value`` (score column).
    counts : mapping or sequence, optional
        Counts per variant: ``[detractors, passives, promoters]`` (3 numbers) or a histogram of
        the scores 0, 1, ..., 10 (11 numbers).  Any other length is refused.
    scores : mapping or sequence of array-like, optional
        Raw 0-10 answers per variant.
    prior : float or 3 floats
        Dirichlet prior concentration (default 1: uniform on the simplex).
    scale : float
        1 reports NPS as a share in [-1, 1]; 100 in the usual points.
    level : float
        Mass of the highest-density intervals.

    Returns
    -------
    ABResult
        ``posterior`` holds the Dirichlet parameters per category and the exact posterior
        mean and SD of NPS.

    Raises
    ------
    InputError
        None or several of data/counts/scores; counts of another length than 3 or 11; scores
        outside the integers 0-10; a variant with no responses; fewer than two variants.
    """
    cats = _read(data, counts, scores, names, group, value, {3: lambda c: c, 11: _nps_histogram}, _nps_categories,
                 "compare_nps", "[detractors, passives, promoters] or an 11-bin histogram of the scores 0-10")
    variants = list(cats)
    at_least_two(variants, "compare_nps")
    a = _dirichlet_prior(prior, 3)
    alpha = np.array([cats[v] + a for v in variants])
    mom = np.array([dirichlet_nps_moments(r) for r in alpha])
    post = pd.DataFrame(alpha, index=variants, columns=[f"alpha_{c}" for c in NPS_CATEGORIES])
    post["nps_mean"], post["nps_sd"] = scale * mom[:, 0], scale * np.sqrt(mom[:, 1])
    ctrl = resolve_control(variants, control)

    def sampler(rng, size):
        p = _dirichlet_draws(rng, alpha, size)
        return scale * (p[..., 2] - p[..., 0])

    table = pd.DataFrame(np.array([cats[v] for v in variants]), columns=list(NPS_CATEGORIES))
    table.insert(0, "variant", variants)
    return ABResult(metric="NPS", variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                    model="Dirichlet-multinomial NPS", prior=f"Dirichlet({', '.join(f'{x:g}' for x in a)}) prior "
                    "on (detractor, passive, promoter) shares", posterior=post, data_table=table,
                    options={"prior": a, "scale": scale}, references=[R.REICHHELD, R.GELMAN, R.STUCCHIO],
                    means=scale * mom[:, 0], level=level,
                    frequentist=lambda: _chi2(cats, variants, list(NPS_CATEGORIES)),
                    methods_extra="NPS = P(promoter) - P(detractor), promoters scoring 9-10 and detractors 0-6.")


def compare_ratings(data=None, *, counts=None, scores=None, group: str | None = None, value: str | None = None,
                    names=None, levels: int = 5, statistic: str = "mean", prior=1.0, control=None,
                    draws: int = 20_000, seed=None, level: float = 0.95) -> ABResult:
    """Compare 1..``levels`` rating distributions (CSAT) across variants (Dirichlet-multinomial).

    Give exactly one of ``data``, ``scores`` or ``counts`` (never guessed from the values).

    Parameters
    ----------
    data : DataFrame, optional
        Raw ratings, one row per respondent, with ``group`` (variant) and ``value`` (rating) columns.
    counts : mapping or sequence, optional
        ``{variant: [n_1, ..., n_levels]}``: exactly ``levels`` counts per variant.
    scores : mapping or sequence of array-like, optional
        Raw ratings 1..levels per variant.
    statistic : {"mean", "top_box", "top2_box"}
        The compared metric: mean rating, share of the top category, or of the top two.

    Returns
    -------
    ABResult
    """
    if statistic not in ("mean", "top_box", "top2_box"):
        raise InputError(f"statistic must be 'mean', 'top_box' or 'top2_box', got {statistic!r}")
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise InputError(f"levels must be a whole number of at least 2, got {levels!r}")
    levels = int(levels)
    if levels < 2:
        raise InputError(f"levels must be at least 2, got {levels}")

    def to_cat(arr, v):
        bad = (arr < 1) | (arr > levels) | (arr != np.round(arr))
        if bad.any():
            raise InputError(f"variant {v!r} has {int(bad.sum())} ratings outside the integers 1-{levels} "
                             f"(e.g. {arr[bad][:3].tolist()})")
        return np.bincount(arr.astype(int) - 1, minlength=levels).astype(float)

    cats = _read(data, counts, scores, names, group, value, {levels: lambda c: c}, to_cat, "compare_ratings",
                 f"{levels} counts, of the ratings 1..{levels}")
    variants = list(cats)
    at_least_two(variants, "compare_ratings")
    a = _dirichlet_prior(prior, levels)
    alpha = np.array([cats[v] + a for v in variants])
    w = {"mean": np.arange(1, levels + 1, dtype=float),
         "top_box": np.eye(levels)[-1], "top2_box": np.r_[np.zeros(levels - 2), 1.0, 1.0]}[statistic]
    means = alpha @ w / alpha.sum(axis=1)
    post = pd.DataFrame(alpha, index=variants, columns=[f"alpha_{k}" for k in range(1, levels + 1)])
    ctrl = resolve_control(variants, control)

    def sampler(rng, size):
        return _dirichlet_draws(rng, alpha, size) @ w

    labels = [str(k) for k in range(1, levels + 1)]
    table = pd.DataFrame(np.array([cats[v] for v in variants]), columns=labels)
    table.insert(0, "variant", variants)
    name = {"mean": "mean rating", "top_box": "top-box share", "top2_box": "top-2-box share"}[statistic]
    return ABResult(metric=name, variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                    model="Dirichlet-multinomial ratings", prior=f"Dirichlet({a[0]:g}, ...) prior on the "
                    f"{levels} rating shares", posterior=post, data_table=table,
                    options={"prior": a, "levels": levels, "statistic": statistic},
                    references=[R.GELMAN, R.LIDDELL, R.STUCCHIO], means=means, level=level,
                    frequentist=lambda: _chi2(cats, variants, labels))
