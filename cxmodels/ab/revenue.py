r"""Revenue per user: a log-normal model with a hurdle at zero.

Most users spend nothing; those who do spend a right-skewed amount.  Per variant,
:math:`\pi` = P(spend > 0) has a Beta posterior :math:`\mathrm{Beta}(a_0 + k, b_0 + n - k)`
and the log of the :math:`k` positive amounts is Normal with unknown mean and variance under
the reference prior, so :math:`\sigma^2 \mid y \sim \mathrm{Inv\text{-}\chi^2}(k - 1, s^2)` and
:math:`\mu \mid \sigma^2, y \sim N(\bar y, \sigma^2/k)` (Gelman et al. 2013, sec. 3.2).
The metric is the mean revenue per user, :math:`\pi \exp(\mu + \sigma^2/2)`, by Monte Carlo
(Stucchio 2015 uses the same hurdle split with an exponential spend model).

With few positive amounts the posterior of :math:`\exp(\sigma^2/2)` is very heavy-tailed (its
mean is infinite under the reference prior); P(best), the expected loss's ranking and the HDIs
remain usable, and in practice revenue tests have hundreds of paying users per variant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CXModelsWarning, InputError
from . import references as R
from ._checks import as_named, at_least_two, groups_from_frame, resolve_control, sample
from .proportions import beta_prior
from .result import ABResult


def compare_revenue(data, *, group: str | None = None, value: str | None = None, names=None, prior="uniform",
                    control=None, draws: int = 20_000, seed=None, level: float = 0.95,
                    metric: str = "revenue per user") -> ABResult:
    """Compare mean revenue per user across variants (zero hurdle + log-normal spend).

    Parameters
    ----------
    data : mapping/sequence of array-like, or DataFrame (with ``group`` and ``value``)
        Revenue per user, zeros included; negative values are rejected.
    prior : Beta prior on P(spend > 0) (see :func:`compare_proportions`).

    Returns
    -------
    ABResult
        ``posterior`` has, per variant, the Beta parameters of P(spend > 0) and the log-scale
        mean, SD and count of the positive amounts.
    """
    a0, b0 = beta_prior(prior)
    groups = groups_from_frame(data, group, value) if isinstance(data, pd.DataFrame) else as_named(data, names, "data")
    at_least_two(list(groups), "compare_revenue")
    rows = {}
    for v, x in groups.items():
        arr = sample(x, v, "data")
        if (arr < 0).any():
            raise InputError(f"variant {v!r} has {int((arr < 0).sum())} negative revenue values")
        pos = np.log(arr[arr > 0])
        if pos.size < 2:
            raise InputError(f"variant {v!r} has {pos.size} positive revenue value(s); at least 2 are needed")
        if pos.std() == 0:
            raise InputError(f"variant {v!r} has identical positive revenue values; the spend model needs spread")
        rows[v] = {"alpha": a0 + pos.size, "beta": b0 + arr.size - pos.size, "n": arr.size, "k": pos.size,
                   "log_mean": float(pos.mean()), "log_sd": float(pos.std(ddof=1))}
    variants = list(rows)
    few = [v for v in variants if rows[v]["k"] < 20]
    notes = []
    if few:
        notes.append(f"variant(s) {few} have fewer than 20 positive revenue values: the posterior of revenue per "
                     "user is very heavy-tailed there (infinite mean under the reference prior); read P(best) and "
                     "HDIs, not means")
    post = pd.DataFrame(rows).T.loc[variants].astype(float)
    ctrl = resolve_control(variants, control)
    a, b, k, m, s = (post[c].to_numpy() for c in ("alpha", "beta", "k", "log_mean", "log_sd"))

    def sampler(rng, size):
        shape = (size, len(variants))
        pi = rng.beta(a, b, size=shape)
        sig2 = (k - 1) * s ** 2 / rng.chisquare(k - 1, size=shape)
        mu = m + np.sqrt(sig2 / k) * rng.standard_normal(shape)
        with np.errstate(over="ignore"):  # few positive amounts: a heavy-tailed posterior
            return pi * np.exp(mu + sig2 / 2)

    def freq():
        from .frequentist import means_test
        return means_test({v: np.asarray(groups[v], float)[~np.isnan(np.asarray(groups[v], float))]
                           for v in variants})

    table = pd.DataFrame({"variant": variants, "n": post["n"].to_numpy(), "k": k, "log_mean": m, "log_sd": s})
    res = ABResult(metric=metric, variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                   model="log-normal hurdle", prior=f"Beta({a0:g}, {b0:g}) on P(spend > 0), reference prior on "
                   "the log-normal spend", posterior=post, data_table=table, options={"prior": [a0, b0]},
                   references=[R.GELMAN, R.STUCCHIO], level=level, frequentist=freq,
                   methods_extra="Revenue per user is P(spend > 0) x exp(mu + sigma^2/2) of the log-normal spend.")
    for note in notes:  # a caveat on the means, not an inadmissible fit: P(best) and HDIs stand
        res._flag(note, CXModelsWarning, admissible=True)
    return res
