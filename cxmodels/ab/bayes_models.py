r"""PyMC models for what no conjugate model covers (PyMC and ArviZ are imported on use).

* :func:`ordinal_ratings`: an ordered-logistic (cumulative logit) model of 1..K ratings,
  :math:`P(Y \le k \mid v) = \operatorname{logit}^{-1}(c_k - \beta_v)`, shared cutpoints
  :math:`c_1 < \dots < c_{K-1}` and a latent shift :math:`\beta_v` per variant
  (:math:`\beta_\text{control} = 0`), which treats ratings as ordinal rather than interval
  (Liddell & Kruschke 2018).  Compared metric: the posterior mean rating
  :math:`\sum_k k\,P(Y = k \mid v)`; the latent shifts are in ``result.latent``.
* :func:`hierarchical_proportions`: conversion by segment (market, channel) with partial
  pooling of the treatment effect, :math:`\operatorname{logit} p_{sv} = a_s + b_{vs}`,
  :math:`a_s \sim N(-1, 2)` (a baseline per segment), :math:`b_{vs} \sim N(\mu_v, \tau_v)`
  (non-centred; :math:`\tau_v \sim \text{HalfNormal}(0.25)`),
  :math:`b_{\text{control}, s} = 0` (Gelman et al. 2013, ch. 5).  Compared metric: the
  conversion rate averaged over segments weighted by their traffic; per-segment lifts in
  ``result.segments``.

Both sample with NUTS, seeded, chains run one after another (``cores=1``) so a rerun
reproduces every draw.  R-hat (rank-normalized, Vehtari et al. 2021) and bulk/tail ESS are
checked; when R-hat exceeds ``rhat_max`` or an ESS falls below ``ess_min`` a
:class:`~cxmodels.errors.ConvergenceWarning` is raised, recorded in ``result.warnings``, and
``result.converged`` is False.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._numerics import hdi as _hdi
from .._validation import check_count, check_level, require_columns, require_frame, require_unique_columns
from ..errors import ConvergenceWarning, EstimationError, InputError
from . import references as R
from ._checks import as_named, at_least_two, groups_from_frame, resolve_control
from .result import ABResult


def check_diagnostics(idata, var_names=None, *, rhat_max: float = 1.01, ess_min: float = 400) -> tuple[pd.DataFrame, list[str]]:
    """R-hat and bulk/tail ESS per parameter; the messages for those that fail.

    Returns
    -------
    (DataFrame, list of str)
        ``arviz.summary``'s diagnostics columns, and one message per failed check.
    """
    import arviz as az  # a dependency, imported on use: it is slow to import

    summ = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    msgs = []
    worst_rhat = float(summ["r_hat"].max())
    if not np.isfinite(worst_rhat) or worst_rhat > rhat_max:
        bad = summ.index[summ["r_hat"] > rhat_max].tolist()
        msgs.append(f"R-hat up to {worst_rhat:.3f} (> {rhat_max}) for {bad[:5]}: chains disagree; "
                    "run longer or reparameterize")
    for col in ("ess_bulk", "ess_tail"):
        low = float(summ[col].min())
        if low < ess_min:
            bad = summ.index[summ[col] < ess_min].tolist()
            msgs.append(f"{col.replace('_', ' ')} down to {low:.0f} (< {ess_min:g}) for {bad[:5]}; draw more")
    return summ, msgs


def _mcmc_args(draws, tune, chains, seed, target_accept, level):
    check_count(draws, "draws", minimum=1)
    check_count(tune, "tune", minimum=0)
    check_count(chains, "chains", minimum=1)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InputError(f"seed of a PyMC model must be an int (PyMC's random_seed) or None, got {seed!r}")
    if not 0 < target_accept < 1:
        raise InputError(f"target_accept must lie in (0, 1), got {target_accept!r}")
    check_level(level)


def _sample(model, draws, tune, chains, seed, target_accept, progress):
    import pymc as pm  # a dependency, imported on use: it is slow to import

    from .._progress import progress_enabled

    with model:
        try:
            return pm.sample(draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed,
                             progressbar=progress_enabled(progress),
                             target_accept=target_accept, compute_convergence_checks=False)
        except (FloatingPointError, RuntimeError, ValueError) as exc:  # PyMC's SamplingError is a RuntimeError
            raise EstimationError(f"NUTS could not sample this model ({type(exc).__name__}: {exc}); check that "
                                  "every variant has ratings/trials and try a larger target_accept") from exc


def _flag_all(res, msgs):
    for m in msgs:
        res._flag(m, ConvergenceWarning)


def ordinal_ratings(data, *, group: str | None = None, value: str | None = None, names=None, levels: int = 5,
                    control=None, draws: int = 1000, tune: int = 1000, chains: int = 2, seed: int = 0,
                    target_accept: float = 0.9, level: float = 0.95, rhat_max: float = 1.01,
                    ess_min: float = 400, progress: bool | None = None) -> ABResult:
    """Ordered-logistic comparison of 1..``levels`` ratings across variants.

    Parameters
    ----------
    data : DataFrame (with ``group``, ``value``) or mapping/sequence of raw ratings per variant
    levels : int
    draws, tune, chains : int
        NUTS settings; chains run sequentially.
    seed : int
        Seeds PyMC (``random_seed``).
    level : float
        Mass of the highest-density intervals.
    rhat_max, ess_min : float
        Convergence criteria: every parameter's rank-normalized R-hat at most ``rhat_max`` and
        bulk and tail ESS at least ``ess_min``; otherwise a ConvergenceWarning, recorded in
        ``warnings``, and ``converged`` is False.
    progress : bool or None
        PyMC's progress bar (None: on for a terminal, off in logs and CI).

    Returns
    -------
    ABResult
        ``idata`` (ArviZ InferenceData), ``latent`` (posterior of the shifts on the logit
        scale), ``diagnostics``; metric: mean rating.
    """
    import pymc as pm
    import pytensor.tensor as pt

    _mcmc_args(draws, tune, chains, seed, target_accept, level)
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise InputError(f"levels must be a whole number of at least 2, got {levels!r}")
    if isinstance(data, pd.DataFrame):
        groups = groups_from_frame(data, group, value)
    else:
        groups = as_named(data, names, "data")
    variants = list(groups)
    at_least_two(variants, "ordinal_ratings")
    counts = []
    for v in variants:
        try:
            arr = np.asarray(groups[v], float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"ratings of variant {v!r} hold values that are not numbers") from None
        arr = arr[~np.isnan(arr)]
        if arr.size == 0:
            raise InputError(f"variant {v!r} has no ratings")
        bad = (arr < 1) | (arr > levels) | (arr != np.round(arr))
        if bad.any():
            raise InputError(f"variant {v!r} has {int(bad.sum())} ratings outside the integers 1-{levels}")
        counts.append(np.bincount(arr.astype(int) - 1, minlength=levels))
    counts = np.array(counts)
    ctrl = resolve_control(variants, control)
    others = [v for v in variants if v != ctrl]
    with pm.Model(coords={"cut": np.arange(levels - 1), "challenger": others}) as model:
        cut = pm.Normal("cutpoints", mu=np.linspace(-2, 2, levels - 1), sigma=3, dims="cut",
                        transform=pm.distributions.transforms.ordered)
        beta_c = pm.Normal("shift", 0.0, 2.0, dims="challenger")
        shifts = [beta_c[others.index(v)] if v != ctrl else pt.constant(0.0) for v in variants]
        eta = pt.stack(shifts)
        cum = pm.math.sigmoid(cut[None, :] - eta[:, None])
        probs = pt.concatenate([cum[:, :1], cum[:, 1:] - cum[:, :-1], 1 - cum[:, -1:]], axis=1)
        probs = pt.clip(probs, 1e-12, 1.0)
        pm.Deterministic("probs", probs)
        pm.Multinomial("y", n=counts.sum(axis=1), p=probs, observed=counts)
    idata = _sample(model, draws, tune, chains, seed, target_accept, progress)
    diag, msgs = check_diagnostics(idata, ["cutpoints", "shift"], rhat_max=rhat_max, ess_min=ess_min)
    p = idata.posterior["probs"].stack(s=("chain", "draw")).transpose("s", ...).to_numpy()
    mean_rating = p @ np.arange(1, levels + 1)
    sh = idata.posterior["shift"].stack(s=("chain", "draw")).transpose("s", ...).to_numpy()
    latent = pd.DataFrame([(v, sh[:, i].mean(), *_hdi(sh[:, i], level), (sh[:, i] > 0).mean())
                           for i, v in enumerate(others)],
                          columns=["variant", "shift_mean", "hdi_lower", "hdi_upper", "prob_positive"])
    table = pd.DataFrame(counts, columns=[str(k) for k in range(1, levels + 1)])
    table.insert(0, "variant", variants)
    res = ABResult(metric="mean rating", variants=variants, control=ctrl, sampler=None, draws=len(mean_rating),
                   seed=seed, model="ordered-logistic ratings (PyMC)",
                   prior="ordered cutpoints ~ N(linspace(-2, 2), 3), latent shifts ~ N(0, 2)", posterior=latent,
                   data_table=table, options={"levels": levels, "draws": draws, "tune": tune, "chains": chains},
                   references=[R.LIDDELL, R.PYMC, R.VEHTARI], given_draws=mean_rating, level=level,
                   idata=idata, frequentist=lambda: _chi(counts, variants),
                   methods_extra=_nuts_text(chains, draws, tune, seed, diag),
                   extras={"latent": latent, "diagnostics": diag})
    _flag_all(res, msgs)
    return res


def _nuts_text(chains, draws, tune, seed, diag) -> str:
    """The sampler sentence of a PyMC model's methods text, with its convergence diagnostics."""
    return (f"NUTS in PyMC, {chains} chains x {draws} draws after {tune} tuning steps, seed {seed}; max R-hat "
            f"{diag['r_hat'].max():.3f}, min bulk ESS {diag['ess_bulk'].min():.0f}, min tail ESS "
            f"{diag['ess_tail'].min():.0f} ({R.VEHTARI.cite}).")


def _chi(counts, variants):
    from .frequentist import chi_square_table
    return chi_square_table(counts, rows=variants)


def hierarchical_proportions(data: pd.DataFrame, *, segment: str, group: str, successes: str, trials: str,
                             control=None, draws: int = 1000, tune: int = 1000, chains: int = 2, seed: int = 0,
                             target_accept: float = 0.95, level: float = 0.95, rhat_max: float = 1.01,
                             ess_min: float = 400, progress: bool | None = None) -> ABResult:
    """Conversion by segment with partial pooling of each challenger's effect across segments.

    Parameters
    ----------
    data : DataFrame
        One row per segment x variant with columns ``segment, group, successes, trials``.
    segment, group, successes, trials : str
        Column names: the segment, the variant, the conversions and the users.
    draws, tune, chains, seed, target_accept, level, rhat_max, ess_min, progress
        As in :func:`ordinal_ratings`.

    Returns
    -------
    ABResult
        Metric: traffic-weighted conversion over segments; ``segments`` holds the per-segment
        absolute lift (posterior mean, HDI, P(> 0)); ``idata`` the fit.
    """
    import pymc as pm
    import pytensor.tensor as pt

    _mcmc_args(draws, tune, chains, seed, target_accept, level)
    require_frame(data)
    require_unique_columns(data)
    require_columns(data, [segment, group, successes, trials])
    variant = group
    d = data[[segment, variant, successes, trials]].copy()
    if d[[segment, variant]].isna().any().any():
        raise InputError(f"columns {segment!r}/{variant!r} have missing labels")
    for _, r in d.iterrows():
        try:
            v, y, n = str(r[variant]), float(r[successes]), float(r[trials])
        except (TypeError, ValueError):
            raise InputError(f"columns {successes!r} and {trials!r} must hold numbers (row {_!r})") from None
        if not (np.isfinite(y) and np.isfinite(n)) or y < 0 or n < 0:
            raise InputError(f"variant {v!r} (segment {r[segment]!r}) has negative or missing counts")
        if y > n:
            raise InputError(f"variant {v!r} (segment {r[segment]!r}) has more successes ({y:g}) than trials ({n:g})")
    d[variant] = d[variant].astype(str)
    variants = list(dict.fromkeys(d[variant]))
    segs = list(dict.fromkeys(d[segment]))
    for v in variants:
        if d.loc[d[variant] == v, trials].sum() == 0:
            raise InputError(f"variant {v!r} has no trials")
    ctrl = resolve_control(variants, control)
    others = [v for v in variants if v != ctrl]
    at_least_two(variants, "hierarchical_proportions")
    si = d[segment].map({s: i for i, s in enumerate(segs)}).to_numpy()
    vi = d[variant].map({v: i for i, v in enumerate(variants)}).to_numpy()
    y, n = d[successes].to_numpy(float), d[trials].to_numpy(float)
    is_ctrl = np.array([v == ctrl for v in variants])
    oi = np.array([others.index(v) if v != ctrl else 0 for v in variants])
    with pm.Model(coords={"segment": segs, "challenger": others}) as model:
        a = pm.Normal("a", -1.0, 2.0, dims="segment")
        mu_b = pm.Normal("mu_b", 0, 1, dims="challenger")
        tau_b = pm.HalfNormal("tau_b", 0.25, dims="challenger")
        b = pm.Deterministic("b", mu_b[:, None] + tau_b[:, None] * pm.Normal("b_z", 0, 1, dims=("challenger", "segment")),
                             dims=("challenger", "segment"))
        b_full = pt.where(pt.as_tensor(is_ctrl)[:, None], 0.0, b[oi, :])  # variants x segments
        logit_p = a[None, :] + b_full
        pm.Deterministic("p", pm.math.sigmoid(logit_p))
        pm.Binomial("y", n=n, logit_p=logit_p[vi, si], observed=y)
    idata = _sample(model, draws, tune, chains, seed, target_accept, progress)
    diag, msgs = check_diagnostics(idata, ["a", "mu_b", "tau_b", "b"], rhat_max=rhat_max,
                                   ess_min=ess_min)
    p = idata.posterior["p"].stack(s=("chain", "draw")).transpose("s", ...).to_numpy()  # S x V x Seg
    w = d.groupby(segment, sort=False)[trials].sum().reindex(segs).to_numpy(float)
    w = w / w.sum()
    metric = p @ w  # S x V
    rows = []
    c = variants.index(ctrl)
    for v in others:
        j = variants.index(v)
        for k, s in enumerate(segs):
            diff = p[:, j, k] - p[:, c, k]
            rows.append((s, v, diff.mean(), *_hdi(diff, level), (diff > 0).mean()))
    seg_table = pd.DataFrame(rows, columns=[segment, "variant", "lift_mean", "hdi_lower", "hdi_upper", "prob_positive"])
    agg = d.groupby(variant, sort=False)[[successes, trials]].sum().reindex(variants)
    res = ABResult(metric="conversion rate (segment-weighted)", variants=variants, control=ctrl, sampler=None,
                   draws=metric.shape[0], seed=seed, model="hierarchical logistic (PyMC)",
                   prior="segment baselines a_s ~ N(-1, 2), mu_b ~ N(0, 1), tau_b ~ HalfN(0.25)",
                   posterior=seg_table, data_table=d.reset_index(drop=True),
                   options={"draws": draws, "tune": tune, "chains": chains}, references=[R.GELMAN, R.PYMC, R.VEHTARI],
                   given_draws=metric, level=level, idata=idata,
                   frequentist=lambda: _chi(np.c_[agg[successes], agg[trials] - agg[successes]], variants),
                   methods_extra="Segment effects are partially pooled; " + _nuts_text(chains, draws, tune, seed, diag),
                   extras={"segments": seg_table, "diagnostics": diag})
    _flag_all(res, msgs)
    return res
