r"""Event counts per user (tickets, visits, purchases): the Gamma-Poisson model.

With :math:`\sum x` events over exposure :math:`E_v` (users, or user-days) and a
:math:`\mathrm{Gamma}(a_0, b_0)` prior (shape, rate) on the rate :math:`\lambda_v`, the
posterior is :math:`\mathrm{Gamma}(a_0 + \sum x,\ b_0 + E_v)` (Gelman et al. 2013, sec. 2.6).
With two variants, :math:`P(\lambda_B > \lambda_A) = I_{b_A/(b_A+b_B)}(a_A, a_B)` exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from . import references as R
from ._checks import as_named, at_least_two, count, resolve_control, same_variants, sample
from .closed_forms import gamma_loss, prob_gamma_greater
from .result import ABResult


def compare_counts(data=None, *, totals=None, exposure=None, names=None, prior=(0.001, 0.001), control=None,
                   draws: int = 20_000, seed=None, level: float = 0.95, metric: str = "events per user",
                   higher_is_better: bool = True) -> ABResult:
    r"""Compare Poisson event rates across variants.

    Parameters
    ----------
    data : mapping or sequence of array-like, optional
        Raw non-negative counts per user, by variant.
    totals, exposure : mapping or sequence, optional
        Sufficient statistics instead of ``data``: total events and exposure per variant.
    prior : (a0, b0)
        Gamma prior (shape, rate) on each rate; the default is vague.
    higher_is_better : bool
        False for outcomes to reduce (complaints, support tickets).

    Returns
    -------
    ABResult
        ``posterior`` holds ``shape, rate, events, exposure`` per variant.
    """
    if (data is None) == (totals is None):
        raise InputError("give either data (raw counts per variant) or totals= and exposure=")
    if data is not None:
        groups = as_named(data, names, "data")
        ev, ex = {}, {}
        for v, x in groups.items():
            arr = sample(x, v, "data")
            if (arr < 0).any():
                raise InputError(f"variant {v!r} has {int((arr < 0).sum())} negative counts")
            ev[v], ex[v] = float(arr.sum()), float(arr.size)
    else:
        if exposure is None:
            raise InputError("totals= needs exposure= (users or user-time per variant)")
        ev, ex = as_named(totals, names, "totals"), as_named(exposure, names, "exposure")
        same_variants(ev, ex, "totals", "exposure")
        ev = {v: count(ev[v], v, "totals") for v in ev}
        ex = {v: count(ex[v], v, "exposure", allow_zero=False) for v in ex}
    variants = list(ev)
    at_least_two(variants, "compare_counts")
    try:
        a0, b0 = (float(p) for p in prior)
    except (TypeError, ValueError):
        raise InputError(f"prior must be a pair (shape, rate), got {prior!r}") from None
    if not (a0 > 0 and b0 >= 0):
        raise InputError(f"Gamma prior (shape, rate) = ({a0}, {b0}) needs shape > 0 and rate >= 0")
    e = np.array([ev[v] for v in variants])
    x = np.array([ex[v] for v in variants])
    shape, rate = a0 + e, b0 + x
    ctrl = resolve_control(variants, control)
    post = pd.DataFrame({"shape": shape, "rate": rate, "events": e, "exposure": x}, index=variants)

    def sampler(rng, size):
        return rng.gamma(shape, 1.0 / rate, size=(size, len(variants)))

    exact = None
    if len(variants) == 2:
        p2 = prob_gamma_greater(shape[0], rate[0], shape[1], rate[1])
        l1, l2 = gamma_loss(shape[0], rate[0], shape[1], rate[1])
        if not higher_is_better:
            p2, (l1, l2) = 1.0 - p2, (l2, l1)
        other = variants[1] if ctrl == variants[0] else variants[0]
        p_greater = prob_gamma_greater(shape[0], rate[0], shape[1], rate[1])
        exact = {"prob_best": [1.0 - p2, p2], "expected_loss": [l1, l2],
                 "prob_greater": {other: p_greater if other == variants[1] else 1.0 - p_greater}}

    def freq():
        from .frequentist import poisson_rates_test
        return poisson_rates_test(e, x, names=variants)

    table = pd.DataFrame({"variant": variants, "events": e, "exposure": x})
    return ABResult(metric=metric, variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                    model="Gamma-Poisson", prior=f"Gamma({a0:g}, {b0:g}) prior (shape, rate) on each rate",
                    posterior=post, data_table=table, options={"prior": [a0, b0]},
                    references=[R.GELMAN, R.STUCCHIO], exact=exact, means=shape / rate, level=level,
                    higher_is_better=higher_is_better, frequentist=freq)
