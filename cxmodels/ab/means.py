r"""Means of a continuous outcome (time on task, basket size): Normal with unknown variance.

With the Normal-Inverse-Gamma prior :math:`\mu \mid \sigma^2 \sim N(\mu_0, \sigma^2/\kappa_0)`,
:math:`\sigma^2 \sim \mathrm{Inv\text{-}Gamma}(\alpha_0, \beta_0)` the posterior is NIG with
:math:`\kappa_n = \kappa_0 + n`, :math:`\mu_n = (\kappa_0\mu_0 + n\bar x)/\kappa_n`,
:math:`\alpha_n = \alpha_0 + n/2`,
:math:`\beta_n = \beta_0 + \tfrac12 (n-1)s^2 + \kappa_0 n(\bar x - \mu_0)^2 / (2\kappa_n)`,
and the marginal posterior of the mean is Student-t with :math:`2\alpha_n` degrees of
freedom, location :math:`\mu_n` and scale :math:`\sqrt{\beta_n/(\alpha_n\kappa_n)}`
(Gelman et al. 2013, sec. 3.3).  The default reference prior
(:math:`\kappa_0 = 0, \alpha_0 = -1/2, \beta_0 = 0`, i.e. :math:`p(\mu, \sigma^2) \propto 1/\sigma^2`)
gives :math:`\mu \mid x \sim t_{n-1}(\bar x, s^2/n)`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from . import references as R
from ._checks import as_named, at_least_two, count, groups_from_frame, resolve_control, sample
from .result import ABResult


def _nig_prior(prior) -> dict:
    if prior in ("reference", None):
        return {"mu0": 0.0, "kappa0": 0.0, "alpha0": -0.5, "beta0": 0.0}
    if isinstance(prior, dict):
        keys = {"mu0", "kappa0", "alpha0", "beta0"}
        if set(prior) != keys:
            raise InputError(f"a Normal-Inverse-Gamma prior needs exactly the keys {sorted(keys)}, got {sorted(prior)}")
        p = {k: float(v) for k, v in prior.items()}
        if p["kappa0"] < 0 or p["alpha0"] <= 0 or p["beta0"] <= 0:
            raise InputError(f"NIG prior needs kappa0 >= 0, alpha0 > 0, beta0 > 0; got {p}")
        return p
    raise InputError(f"prior must be 'reference' or a dict(mu0, kappa0, alpha0, beta0), got {prior!r}")


def nig_posterior(n: float, mean: float, sd: float, prior: dict) -> dict:
    """Posterior NIG parameters and the Student-t marginal of the mean (``df, loc, scale``)."""
    k0, m0, a0, b0 = prior["kappa0"], prior["mu0"], prior["alpha0"], prior["beta0"]
    kn = k0 + n
    mn = (k0 * m0 + n * mean) / kn
    an = a0 + n / 2
    bn = b0 + 0.5 * (n - 1) * sd ** 2 + (k0 * n * (mean - m0) ** 2 / (2 * kn) if k0 > 0 else 0.0)
    return {"mu_n": mn, "kappa_n": kn, "alpha_n": an, "beta_n": bn,
            "df": 2 * an, "loc": mn, "scale": float(np.sqrt(bn / (an * kn)))}


def _stats_frame(stats: pd.DataFrame, group: str | None) -> dict:
    """``{variant: (n, mean, sd)}`` from a statistics frame.

    Either indexed by variant with ``n, mean, sd``, or the table of
    :func:`cxmodels.ab.arm_statistics` (a ``group`` column, ``n``, ``mean`` and the unbiased
    ``var``) so that only per-arm statistics need leave a database or a Spark cluster.
    """
    frame = stats
    if group is not None:
        if group not in frame.columns:
            raise InputError(f"stats has no column {group!r} (group=); it has {list(frame.columns)}")
        if frame[group].duplicated().any():
            dup = frame[group][frame[group].duplicated()].unique().tolist()
            raise InputError(f"stats has several rows for variant(s) {dup} of {group!r} (one row per "
                             "variant needed: compare segments one at a time)")
        frame = frame.set_index(group)
    if "sd" not in frame.columns and "var" in frame.columns:
        var = frame["var"].to_numpy(float)
        if np.any(var < 0):
            raise InputError("stats column 'var' has negative values")
        frame = frame.assign(sd=np.sqrt(var))
    missing = {"n", "mean", "sd"} - set(frame.columns)
    if missing:
        raise InputError(f"stats lacks column(s) {sorted(missing)}; needs n, mean and sd (or var)")
    return {str(i): (r["n"], r["mean"], r["sd"]) for i, r in frame.iterrows()}


def compare_means(data=None, *, stats=None, group: str | None = None, value: str | None = None, names=None,
                  prior="reference", control=None, draws: int = 20_000, seed=None, level: float = 0.95,
                  metric: str = "mean", higher_is_better: bool = True) -> ABResult:
    """Compare means across variants (Normal model, unknown variance per variant).

    Parameters
    ----------
    data : mapping/sequence of array-like, or DataFrame
        Raw observations by variant; a DataFrame needs ``group`` (variant column) and ``value``.
    stats : mapping or DataFrame, optional
        Sufficient statistics instead: ``{variant: (n, mean, sd)}``, a frame indexed by
        variant with columns ``n, mean, sd`` (sd with ddof=1), or the table of
        :func:`arm_statistics` (computed on pandas, DuckDB or Spark) with ``group=`` naming
        its variant column.
    prior : "reference" or dict(mu0, kappa0, alpha0, beta0)
        Normal-Inverse-Gamma prior, shared by the variants.

    Returns
    -------
    ABResult
        ``posterior`` holds the NIG parameters and the Student-t marginal (df, loc, scale).
    """
    p = _nig_prior(prior)
    if (data is None) == (stats is None):
        raise InputError("give either data (raw observations) or stats= (n, mean, sd per variant)")
    summ = {}
    if data is not None:
        groups = groups_from_frame(data, group, value) if isinstance(data, pd.DataFrame) else as_named(data, names, "data")
        for v, x in groups.items():
            arr = sample(x, v, "data", min_size=2 if p["kappa0"] == 0 else 1)
            summ[v] = (float(arr.size), float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0)
    else:
        if isinstance(stats, pd.DataFrame):
            stats = _stats_frame(stats, group)
        for v, tup in as_named(stats, names, "stats").items():
            try:
                n, m, s = tup
            except (TypeError, ValueError):
                raise InputError(f"stats of variant {v!r} must be (n, mean, sd), got {tup!r}") from None
            n = count(n, v, "n", allow_zero=False)
            if p["kappa0"] == 0 and n < 2:
                raise InputError(f"variant {v!r} has n = {n:g}; the reference prior needs n >= 2")
            s = count(s, v, "sd")
            if not np.isfinite(float(m)):
                raise InputError(f"mean of variant {v!r} is not finite")
            summ[v] = (n, float(m), s)
    variants = list(summ)
    at_least_two(variants, "compare_means")
    post = {v: nig_posterior(*summ[v], p) for v in variants}
    for v in variants:
        if post[v]["beta_n"] <= 0:
            raise InputError(f"variant {v!r} has zero variance; the reference prior needs spread in the data")
    ctrl = resolve_control(variants, control)
    postdf = pd.DataFrame(post).T.loc[variants]
    postdf["n"] = [summ[v][0] for v in variants]
    loc, scale, df = (postdf[c].to_numpy(float) for c in ("loc", "scale", "df"))

    def sampler(rng, size):
        return loc + scale * rng.standard_t(df, size=(size, len(variants)))

    def freq():
        from .frequentist import means_test
        return means_test({v: summ[v] for v in variants})

    table = pd.DataFrame({"variant": variants, "n": [summ[v][0] for v in variants],
                          "mean": [summ[v][1] for v in variants], "sd": [summ[v][2] for v in variants]})
    prior_txt = ("reference prior p(mu, sigma^2) ~ 1/sigma^2" if p["kappa0"] == 0 and p["alpha0"] == -0.5
                 else f"Normal-Inverse-Gamma prior {p}")
    return ABResult(metric=metric, variants=variants, control=ctrl, sampler=sampler, draws=draws, seed=seed,
                    model="Normal (unknown variance)", prior=prior_txt, posterior=postdf, data_table=table,
                    options={"prior": p}, references=[R.GELMAN, R.STUCCHIO, R.WELCH],
                    means=loc, level=level, higher_is_better=higher_is_better, frequentist=freq,
                    methods_extra="Each variant's mean has a Student-t marginal posterior.")
