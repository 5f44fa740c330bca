r"""Conversion and retention-at-a-horizon: the Beta-Binomial model.

With :math:`y_v` successes in :math:`n_v` trials and a :math:`\mathrm{Beta}(a_0, b_0)` prior,
the posterior of variant :math:`v`'s rate is :math:`\mathrm{Beta}(a_0 + y_v,\ b_0 + n_v - y_v)`
(Gelman et al. 2013, sec. 2.4).  With two variants P(best) and the expected loss are exact
(Miller 2015; Stucchio 2015, see :mod:`cxmodels.ab.closed_forms`); with more they are seeded
Monte Carlo estimates with their standard errors in ``ABResult.mc_se``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from . import references as R
from ._checks import as_named, at_least_two, count, resolve_control, same_variants
from .closed_forms import beta_loss, prob_beta_greater
from .result import ABResult

_PRIORS = {"uniform": (1.0, 1.0), "jeffreys": (0.5, 0.5), "haldane": (1e-6, 1e-6)}


def beta_prior(prior) -> tuple[float, float]:
    """Read a Beta prior: ``"uniform"`` (1, 1), ``"jeffreys"`` (0.5, 0.5) or a pair ``(a0, b0)``."""
    if isinstance(prior, str):
        if prior not in _PRIORS:
            raise InputError(f"prior {prior!r} is not one of {sorted(_PRIORS)} nor a pair (a0, b0)")
        return _PRIORS[prior]
    try:
        a0, b0 = (float(x) for x in prior)
    except (TypeError, ValueError):
        raise InputError(f"prior must be a name or a pair (a0, b0) of positive numbers, got {prior!r}") from None
    if not (a0 > 0 and b0 > 0 and np.isfinite(a0) and np.isfinite(b0)):
        raise InputError(f"prior (a0, b0) = ({a0}, {b0}) must be positive and finite")
    return a0, b0


def compare_proportions(successes, trials, *, names=None, prior="uniform", control=None,
                        draws: int = 20_000, seed=None, level: float = 0.95,
                        metric: str = "conversion rate") -> ABResult:
    r"""Compare conversion (or any binary outcome) rates across variants.

    Parameters
    ----------
    successes, trials : mapping, Series or sequence
        Per-variant counts: ``{"control": 120, "new": 141}`` or ``[120, 141]`` with ``names``.
    names : sequence of str, optional
        Variant names when the counts are sequences (default A, B, C, ...).
    prior : {"uniform", "jeffreys", "haldane"} or (a0, b0)
        Beta prior on each rate, shared by all variants.
    control : str, optional
        The control variant (default: a variant named "control", else the first).
    draws : int
        Posterior draws for lift HDIs and, with three or more variants, P(best) and loss.
    seed : int or numpy.random.Generator, optional
    level : float
        Mass of the highest-density intervals.
    metric : str
        Name of the rate in tables and text (e.g. ``"90-day retention"``).

    Returns
    -------
    ABResult
        ``posterior`` holds ``alpha, beta, successes, trials`` per variant.

    Raises
    ------
    InputError
        Negative counts, successes above trials, a variant with no trials, mismatched variants,
        fewer than two variants.

    Examples
    --------
    >>> r = compare_proportions([120, 141], [1000, 1000], names=["control", "new"])
    >>> round(float(r.prob_best["new"]), 4)  # exact (Miller 2015)
    0.918
    """
    s = as_named(successes, names, "successes")
    n = as_named(trials, names, "trials")
    same_variants(s, n, "successes", "trials")
    variants = list(s)
    at_least_two(variants, "compare_proportions")
    a0, b0 = beta_prior(prior)
    y = np.empty(len(variants))
    t = np.empty(len(variants))
    for i, v in enumerate(variants):
        y[i] = count(s[v], v, "successes")
        t[i] = count(n[v], v, "trials", allow_zero=False)
        if y[i] > t[i]:
            raise InputError(f"variant {v!r} has more successes ({y[i]:g}) than trials ({t[i]:g})")
    ctrl = resolve_control(variants, control)
    alpha, beta = a0 + y, b0 + t - y
    def posterior():
        return pd.DataFrame({"alpha": alpha, "beta": beta, "successes": y, "trials": t}, index=variants)

    def sampler(rng, size):
        return rng.beta(alpha, beta, size=(size, len(variants)))

    exact = None
    if len(variants) == 2:
        p_b = prob_beta_greater(alpha[0], beta[0], alpha[1], beta[1])
        la, lb = beta_loss(alpha[0], beta[0], alpha[1], beta[1], p=p_b)
        other = variants[1] if ctrl == variants[0] else variants[0]
        exact = {"prob_best": [1.0 - p_b, p_b], "expected_loss": [la, lb],
                 "prob_greater": {other: p_b if other == variants[1] else 1.0 - p_b}}

    def freq():
        from .frequentist import chi_square_proportions
        return chi_square_proportions(y, t, names=variants)

    def table():
        return pd.DataFrame({"variant": variants, "successes": y, "trials": t})
    return ABResult(metric=metric, variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                    model="Beta-Binomial", prior=f"Beta({a0:g}, {b0:g}) prior on each rate",
                    posterior=posterior, data_table=table, options={"prior": [a0, b0]},
                    references=[R.GELMAN, R.MILLER, R.STUCCHIO, R.KRUSCHKE] + ([R.PIESSENS] if exact else []),
                    exact=exact,
                    means=alpha / (alpha + beta), level=level, frequentist=freq,
                    methods_extra=(f"With two variants P(B > A) is the closed form of {R.MILLER.cite} (evaluated "
                                   f"by adaptive quadrature for large counts; {R.PIESSENS.cite}) and the expected "
                                   f"loss that of {R.STUCCHIO.cite}." if exact else ""))
