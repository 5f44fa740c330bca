r"""Design: sample size and power for means, NPS and ratings, with CUPED and sequential monitoring.

Data-free: the design is computed from planning values, not from a data frame.  The
fixed-horizon two-sided z test of a difference in means needs, per arm (Cohen 1988),

.. math::

    n = \frac{2\,(z_{1-\alpha/2} + z_{1-\beta})^2\,\sigma^2\,(1 - R^2)}{\delta^2},

with :math:`\delta` the effect, :math:`\sigma^2` the per-customer variance and :math:`R^2`
the share of variance explained by a pre-period covariate (CUPED, Deng et al. 2013, shrinks
the variance by :math:`1 - R^2`).  The power at :math:`n` per arm is
:math:`\Phi(|\delta|/\mathrm{se} - z_{1-\alpha/2}) + \Phi(-|\delta|/\mathrm{se} - z_{1-\alpha/2})`,
:math:`\mathrm{se}^2 = 2\sigma^2(1-R^2)/n`.  The variance of a customer's NPS score
(+1 promoter, 0 passive, -1 detractor) is :math:`p_+ + p_- - (p_+ - p_-)^2`; of a rating
with category probabilities :math:`p_k` on values :math:`1..K`,
:math:`\sum_k p_k k^2 - (\sum_k p_k k)^2`.

With ``sequential=True`` the analysis is the mixture SPRT of
:func:`cxmodels.ab.sequential_test` (always-valid p-values, Johari et al. 2017), tuned at
``n_star`` = the fixed-horizon total, checked at ``looks`` equally spaced looks.  No closed form
exists, so power is simulated from the asymptotic normal path of the estimate (common random
numbers across sizes, so power is monotone in :math:`n`) and the smallest :math:`n` reaching
the target is found by bisection; the Monte Carlo SE is :math:`\sqrt{\hat p(1-\hat p)/n_\text{sims}}`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._validation import as_generator, check_count, check_level
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R
from .sequential import mixture_sequence

__all__ = ["power_analysis", "PowerResult"]


class PowerResult(Result):
    """Sample size per arm and the power curve of a planned experiment.

    ``summary()`` is indexed by ``n_per_arm`` with ``est`` (power), ``se`` (0 for the closed
    form, the Monte Carlo SE when simulated), ``lower, upper`` (``level`` interval of the
    simulated power), ``meets_target``; ``params``: ``n_per_arm``, ``n_total``, ``power``
    (at ``n_per_arm``), ``sigma``, ``effect``, ``variance_factor`` (1 - r2).
    """

    def __init__(self, table, design, settings, provenance):
        self._table = table
        self.design = design
        self.settings = settings
        self.n_per_arm = int(design["n_per_arm"])
        self._provenance = provenance
        self._warnings = []
        refs = [R.COHEN]
        if settings["r2"] > 0:
            refs.append(R.DENG2013)
        if settings["metric"] == "nps":
            refs.append(R.REICHHELD)
        if settings["sequential"]:
            refs.append(R.JOHARI)
        self._references = tuple(refs)

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.design, name="est", dtype=float)

    def methods_text(self) -> str:
        st, d = self.settings, self.design
        what = {"mean": "the mean", "nps": "NPS (scored +1/0/-1)", "rating": "the mean rating"}[st["metric"]]
        txt = (f"Sample size for a two-sided test of a difference in {what} of {st['effect']:g} "
               f"(per-customer SD {d['sigma']:.4g}) at alpha = {st['alpha']:g} and {st['power']:.0%} power "
               f"({R.COHEN.cite})")
        if st["r2"] > 0:
            txt += (f", with CUPED on a pre-period covariate explaining R2 = {st['r2']:g} of the variance "
                    f"({R.DENG2013.cite})")
        if st["metric"] == "nps":
            txt += f"; NPS as defined by {R.REICHHELD.cite}"
        if st["sequential"]:
            txt += (f". The experiment is monitored with the mixture SPRT ({R.JOHARI.cite}) at {st['looks']} "
                    f"look(s), tuned at n* = {st['n_star']:,.0f} customers; power was simulated "
                    f"({st['n_sims']:,} experiments, seed {self._provenance.seed}) and the size found by bisection")
        else:
            txt += "; closed-form normal approximation"
        return txt + f": {d['n_per_arm']:,.0f} customers per arm (power {d['power']:.3f}). Computed with cxmodels."

    def plot(self, ax=None):
        """Power against customers per arm, the target and the chosen size; returns the Axes."""
        ax = plotting.axes(ax)
        t = self._table
        ax.plot(t.index, t["est"], "o-", color=plotting.color(0), label="power")
        ax.axhline(self.settings["power"], color="k", lw=0.8, label="target")
        ax.axvline(self.n_per_arm, color=plotting.color(1), ls="--", lw=0.8, label=f"n = {self.n_per_arm:,}")
        ax.set_xscale("log")
        ax.set_xlabel("customers per arm")
        ax.set_ylabel("power")
        ax.legend()
        return ax


def _number(x, what):
    if isinstance(x, bool):
        raise InputError(f"{what} must be a number, got {x!r}")
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {x!r}") from None
    if not np.isfinite(x):
        raise InputError(f"{what} must be finite, got {x}")
    return x


def _probabilities(p, what, k=None):
    try:
        p = np.asarray(p, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a sequence of probabilities, got {p!r}") from None
    if (k is not None and p.size != k) or p.size < 2:
        raise InputError(f"{what} must have {k or 'at least 2'} entries, got {p.size}")
    if not np.isfinite(p).all() or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
        raise InputError(f"{what} must be non-negative and sum to 1, got {p.tolist()}")
    return p


def metric_sd(metric, sd=None, shares=None, probs=None) -> float:
    """Per-customer SD of a mean, an NPS score (+1/0/-1) or a 1..K rating (module docstring)."""
    if metric == "mean":
        if sd is None:
            raise InputError("metric='mean' needs sd, the per-customer standard deviation")
        s = _number(sd, "sd")
        if s <= 0:
            raise InputError(f"sd must be positive, got {s}")
        return s
    if metric == "nps":
        if shares is None:
            raise InputError("metric='nps' needs shares=(promoters, passives, detractors)")
        pp, _, pd_ = _probabilities(shares, "shares (promoters, passives, detractors)", 3)
        var = pp + pd_ - (pp - pd_) ** 2
    elif metric == "rating":
        if probs is None:
            raise InputError("metric='rating' needs probs, the probabilities of ratings 1..K")
        p = _probabilities(probs, "probs")
        k = np.arange(1, p.size + 1)
        var = float(p @ k ** 2 - (p @ k) ** 2)
    else:
        raise InputError(f"metric must be 'mean', 'nps' or 'rating', got {metric!r}")
    if var <= 0:
        raise InputError(f"the {metric} has no variance with these probabilities: every customer gives the same score")
    return float(np.sqrt(var))


def fixed_power(n, effect, sigma, alpha, r2=0.0):
    """Power of the two-sided z test at ``n`` per arm (array-like ``n``)."""
    se = np.sqrt(2 * sigma ** 2 * (1 - r2) / np.asarray(n, float))
    z = stats.norm.ppf(1 - alpha / 2)
    d = abs(effect) / se
    return stats.norm.cdf(d - z) + stats.norm.cdf(-d - z)


def _sequential_power(n, effect, var1, alpha, n_star, g, t):
    """Share of simulated experiments the mSPRT rejects by the last look (``g``: sims x looks)."""
    nk = n * t  # per arm at each look
    v = 2 * var1 / nk  # variance of the difference of two arm means
    est = effect + np.sqrt(v) * g
    p, _ = mixture_sequence(est, v, 2 * nk, alpha, n_star)
    return float((p.min(axis=1) < alpha).mean())


def power_analysis(metric: str = "mean", *, sd=None, shares=None, probs=None, effect, alpha: float = 0.05,
                   power: float = 0.8, r2: float = 0.0, sequential: bool = False, looks: int = 1, sizes=None,
                   n_sims: int = 4000, level: float = 0.95, seed=None) -> PowerResult:
    """Customers per arm for a two-arm experiment on a mean, NPS or rating (data-free).

    Parameters
    ----------
    metric : {"mean", "nps", "rating"}
    sd : float
        Per-customer standard deviation (``metric="mean"``).
    shares : (promoters, passives, detractors)
        Planning shares for ``metric="nps"``; ``effect`` is then on the -1..1 share scale.
    probs : sequence
        Probabilities of ratings 1..K for ``metric="rating"``; ``effect`` in rating points.
    effect : float
        The difference to detect (challenger - control), non-zero.
    alpha : float
        Two-sided type I error of the test.
    power : float
        Target power, in (0, 1).
    r2 : float
        Variance explained by a pre-period covariate (CUPED); ``n`` scales by ``1 - r2``.
    sequential : bool
        Size for mSPRT monitoring (always valid) by simulation instead of the fixed horizon.
    looks : int
        Equally spaced looks of the sequential design.
    sizes : sequence of int, optional
        Customers per arm for the power curve (default: a grid around the answer).
    n_sims : int
        Simulated experiments (sequential only).
    level : float
        Level of the Monte Carlo interval of a simulated power.
    seed : int or Generator
        Seeds the simulation (sequential only).

    Returns
    -------
    PowerResult
        ``n_per_arm``; ``summary()`` the power curve; ``params`` the design.

    References
    ----------
    Cohen (1988); Deng et al. (2013); Johari et al. (2017).
    """
    sigma = metric_sd(metric, sd, shares, probs)
    effect = _number(effect, "effect")
    if effect == 0:
        raise InputError("effect must be non-zero: no sample size detects a zero difference")
    alpha, power, r2 = _number(alpha, "alpha"), _number(power, "power"), _number(r2, "r2")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InputError(f"alpha and power must lie in (0, 1), got alpha={alpha}, power={power}")
    if not 0 <= r2 < 1:
        raise InputError(f"r2 must lie in [0, 1), got {r2}")
    if not isinstance(sequential, (bool, np.bool_)):
        raise InputError(f"sequential must be True or False, got {sequential!r}")
    looks = check_count(looks, "looks", minimum=1)
    n_sims = check_count(n_sims, "n_sims", minimum=100)
    level = check_level(level)
    rng = as_generator(seed)
    if sizes is not None:
        try:
            sizes = np.asarray(sizes, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"sizes must be whole numbers of customers per arm, got {sizes!r}") from None
        if sizes.size == 0 or not np.isfinite(sizes).all() or (sizes != np.round(sizes)).any() or (sizes < 2).any():
            raise InputError(f"sizes must be whole numbers >= 2 of customers per arm, got {sizes.tolist()}")

    var1 = sigma ** 2 * (1 - r2)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n_fixed = max(2, int(np.ceil(2 * z ** 2 * var1 / effect ** 2)))
    n_star = None
    if not sequential:
        n = n_fixed
        curve = lambda m: fixed_power(m, effect, sigma, alpha, r2)  # noqa: E731
        mc = False
    else:
        n_star = 2.0 * n_fixed
        t = np.arange(1, looks + 1) / looks
        # Brownian path: the standardized estimate at fraction t is B(t)/sqrt(t), the same for every n
        b = np.cumsum(rng.standard_normal((n_sims, looks)) * np.sqrt(np.diff(np.r_[0, t])), axis=1)
        g = b / np.sqrt(t)
        curve = lambda m: np.array([_sequential_power(int(k), effect, var1, alpha, n_star, g, t)  # noqa: E731
                                    for k in np.atleast_1d(m)])
        lo, hi = n_fixed, n_fixed
        while curve(hi)[0] < power:
            lo, hi = hi, hi * 2
            if hi > 1e4 * n_fixed:
                raise InputError("the sequential design does not reach the target power; lower power or raise effect")
        while hi - lo > max(1, lo // 500):
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if curve(mid)[0] >= power else (mid, hi)
        n = int(hi)
        mc = True
    grid = np.unique(np.r_[np.round(n * np.geomspace(0.25, 4, 15)).astype(int), n]) if sizes is None else \
        np.unique(np.r_[sizes.astype(int), n])
    grid = grid[grid >= 2]
    pw = np.asarray(curve(grid), float)
    se = np.sqrt(pw * (1 - pw) / n_sims) if mc else np.zeros_like(pw)
    zq = stats.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame({"est": pw, "se": se, "lower": np.clip(pw - zq * se, 0, 1),
                          "upper": np.clip(pw + zq * se, 0, 1), "meets_target": pw >= power},
                         index=pd.Index(grid, name="n_per_arm"))
    design = {"n_per_arm": n, "n_total": 2 * n, "power": float(table.loc[n, "est"]), "sigma": sigma,
              "effect": effect, "variance_factor": 1 - r2, "n_fixed_horizon": n_fixed}
    settings = {"metric": metric, "effect": effect, "alpha": alpha, "power": power, "r2": r2,
                "sequential": bool(sequential), "looks": looks, "n_star": n_star, "n_sims": n_sims if mc else None,
                "level": level, "sd": sigma,
                "shares": None if shares is None else list(np.asarray(shares, float)),
                "probs": None if probs is None else list(np.asarray(probs, float))}
    seed_rec = seed if not isinstance(seed, np.random.Generator) else "Generator"
    prov = make_provenance("A/B power analysis" + (" (mSPRT, simulated)" if mc else " (closed form)"), None,
                           settings, seed=seed_rec)
    return PowerResult(table, design, settings, prov)
