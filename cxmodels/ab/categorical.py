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
from ._checks import as_named, groups_from_frame, resolve_control
from .closed_forms import dirichlet_nps_moments
from .result import ABResult

NPS_CATEGORIES = ("detractors", "passives", "promoters")




def _read(counts, scores, names, by, value, k, to_category, what):
    """Per-variant category counts from counts or raw scores."""
    if (counts is None) == (scores is None):
        raise InputError(f"give either counts ({what} per variant) or scores= (raw scores per variant)")
    if scores is not None:
        raw = groups_from_frame(scores, by, value) if isinstance(scores, pd.DataFrame) else as_named(scores, names, "scores")
        out = {}
        for v, x in raw.items():
            arr = np.asarray(x, dtype=float).ravel()
            arr = arr[~np.isnan(arr)]
            if arr.size == 0:
                raise InputError(f"variant {v!r} has no scores")
            out[v] = to_category(arr, v)
        return out
    raw = as_named(counts, names, "counts")
    out = {}
    for v, x in raw.items():
        try:
            arr = np.asarray(x, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"counts of variant {v!r} are not numbers") from None
        if arr.size != k:
            if arr.size == 0:
                raise InputError(f"variant {v!r} has no data")
            # raw scores given where counts were expected
            out[v] = to_category(arr[~np.isnan(arr)], v)
            continue
        if np.isnan(arr).any() or np.isinf(arr).any():
            raise InputError(f"counts of variant {v!r} must be finite numbers, got {arr.tolist()}")
        if (arr < 0).any():
            raise InputError(f"variant {v!r} has negative counts {arr.tolist()}")
        if arr.sum() == 0:
            raise InputError(f"variant {v!r} has no data: its counts are all zero")
        out[v] = arr
    return out


def _nps_categories(arr, v):
    bad = (arr < 0) | (arr > 10) | (arr != np.round(arr))
    if bad.any():
        raise InputError(f"variant {v!r} has {int(bad.sum())} NPS scores outside the integers 0-10 "
                         f"(e.g. {arr[bad][:3].tolist()})")
    return np.array([(arr <= 6).sum(), ((arr >= 7) & (arr <= 8)).sum(), (arr >= 9).sum()], float)


def _dirichlet_prior(prior, k):
    a = np.full(k, float(prior)) if np.isscalar(prior) else np.asarray(prior, float)
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


def compare_nps(counts=None, *, scores=None, by: str | None = None, value: str | None = None, names=None,
                prior=1.0, scale: float = 1.0, control=None, draws: int = 20_000, seed=None,
                hdi_prob: float = 0.95) -> ABResult:
    """Compare Net Promoter Scores across variants (Dirichlet-multinomial on the three categories).

    Parameters
    ----------
    counts : mapping or sequence
        ``{variant: [detractors, passives, promoters]}``.  An entry whose length is not 3 is
        read as raw 0-10 scores; pass ``scores=`` to make that explicit (and for 3 respondents).
    scores : mapping/sequence of array-like, or DataFrame (with ``by`` and ``value``)
        Raw 0-10 likelihood-to-recommend scores per variant.
    prior : float or 3 floats
        Dirichlet prior concentration (default 1: uniform on the simplex).
    scale : float
        1 reports NPS as a share in [-1, 1]; 100 in the usual points.

    Returns
    -------
    ABResult
        ``posterior`` holds the Dirichlet parameters per category and the exact posterior
        mean and SD of NPS.
    """
    cats = _read(counts, scores, names, by, value, 3, _nps_categories, "[detractors, passives, promoters]")
    variants = list(cats)
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
    return ABResult(metric="NPS", variants=variants, control=ctrl, sampler=sampler, n_draws=draws, seed=seed,
                    model="Dirichlet-multinomial NPS", prior=f"Dirichlet({', '.join(f'{x:g}' for x in a)}) prior "
                    "on (detractor, passive, promoter) shares", posterior=post, data_table=table,
                    options={"prior": a, "scale": scale}, references=[R.REICHHELD, R.GELMAN, R.STUCCHIO],
                    means=scale * mom[:, 0], hdi_prob=hdi_prob,
                    frequentist=lambda: _chi2(cats, variants, list(NPS_CATEGORIES)),
                    methods_extra="NPS = P(promoter) - P(detractor), promoters scoring 9-10 and detractors 0-6.")


def compare_ratings(counts=None, *, scores=None, by: str | None = None, value: str | None = None, names=None,
                    levels: int = 5, statistic: str = "mean", prior=1.0, control=None, draws: int = 20_000,
                    seed=None, hdi_prob: float = 0.95) -> ABResult:
    """Compare 1..``levels`` rating distributions (CSAT) across variants (Dirichlet-multinomial).

    Parameters
    ----------
    counts : mapping or sequence
        ``{variant: [n_1, ..., n_levels]}``; entries of another length are read as raw ratings.
    scores : raw ratings 1..levels per variant (mapping, sequence or DataFrame with ``by``/``value``).
    statistic : {"mean", "top_box", "top2_box"}
        The compared metric: mean rating, share of the top category, or of the top two.

    Returns
    -------
    ABResult
    """
    if statistic not in ("mean", "top_box", "top2_box"):
        raise InputError(f"statistic must be 'mean', 'top_box' or 'top2_box', got {statistic!r}")
    levels = int(levels)
    if levels < 2:
        raise InputError(f"levels must be at least 2, got {levels}")

    def to_cat(arr, v):
        bad = (arr < 1) | (arr > levels) | (arr != np.round(arr))
        if bad.any():
            raise InputError(f"variant {v!r} has {int(bad.sum())} ratings outside the integers 1-{levels} "
                             f"(e.g. {arr[bad][:3].tolist()})")
        return np.bincount(arr.astype(int) - 1, minlength=levels).astype(float)

    cats = _read(counts, scores, names, by, value, levels, to_cat, f"counts of ratings 1-{levels}")
    variants = list(cats)
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
    return ABResult(metric=name, variants=variants, control=ctrl, sampler=sampler, n_draws=draws, seed=seed,
                    model="Dirichlet-multinomial ratings", prior=f"Dirichlet({a[0]:g}, ...) prior on the "
                    f"{levels} rating shares", posterior=post, data_table=table,
                    options={"prior": a, "levels": levels, "statistic": statistic},
                    references=[R.GELMAN, R.LIDDELL, R.STUCCHIO], means=means, hdi_prob=hdi_prob,
                    frequentist=lambda: _chi2(cats, variants, labels))
