r"""Design: sample size per variant by simulation, for a target lift and a decision rule.

For each candidate size :math:`n` the experiment is simulated ``n_sims`` times under the
target effect (control rate :math:`p_0`, challenger :math:`p_0(1 + \text{lift})`) and under
no effect; each simulated experiment is judged with the Beta-Binomial posterior and the rule
"adopt when :math:`P(B > A) \ge` threshold" (and, optionally, expected loss :math:`\le`
``max_loss``).  The reported power is the share of simulated experiments that adopt B
under the effect, the false-adoption rate the share under no effect; the recommended
size is the smallest :math:`n` on the grid whose power reaches the target.  Monte Carlo
SEs are :math:`\sqrt{\hat p(1-\hat p)/n_\text{sims}}`.

P(B > A) per simulated experiment uses a normal approximation to the two Beta posteriors
(accurate to about 1e-3 at the sizes where designs matter) so a grid of thousands of
experiments runs in a fraction of a second; the decision at the chosen size can be
re-checked with :func:`cxmodels.ab.compare_proportions`.

Caveat on sequential looks: re-checking the rule after every batch and stopping at the first
"adopt" inflates the false-adoption rate above the single-look value reported here
(optional stopping); plan the looks and simulate them with ``looks``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .. import plotting
from .._results import Result
from .._validation import as_generator, check_count
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R


class SampleSizeResult(Result):
    """Power and false-adoption rate by sample size per variant (see the module docstring).

    ``summary()`` is indexed by ``n_per_variant`` with ``est`` (power), ``se``,
    ``false_adoption``, ``false_adoption_se`` and ``meets_target``; ``recommended_n`` is the
    smallest size whose power reaches the target (None if none does).
    """

    def __init__(self, table, recommended_n, settings, provenance):
        self._table = table
        self.recommended_n = recommended_n
        self.settings = settings
        self._provenance = provenance
        self._warnings = []
        self._references = (R.GELMAN, R.KRUSCHKE)

    def methods_text(self) -> str:
        st = self.settings
        rec = (f"the smallest meeting {st['power']:.0%} power is {self.recommended_n:,} per variant"
               if self.recommended_n else f"no size on the grid reaches {st['power']:.0%} power")
        return (f"Sample size by simulation: for each size, {st['n_sims']:,} experiments (seed {self._provenance.seed}) "
                f"were simulated with a control rate of {st['baseline']:g} and a relative lift of {st['lift']:g}, and "
                f"judged with Beta({st['prior'][0]:g}, {st['prior'][1]:g})-Binomial posteriors ({R.GELMAN.cite}), "
                f"adopting the challenger when P(B > A) >= {st['threshold']:g} at any of {st['looks']} look(s); the "
                f"same rule under no effect gives the false-adoption rate ({R.KRUSCHKE.cite} discusses such "
                f"decision rules). {rec[0].upper() + rec[1:]}.")

    def plot(self, ax=None):
        """Power and false-adoption rate against users per variant; returns the Axes."""
        ax = plotting.axes(ax)
        t = self._table
        ax.plot(t.index, t["est"], "o-", color=plotting.color(0), label="power")
        ax.plot(t.index, t["false_adoption"], "s--", color=plotting.color(1), label="false adoption")
        ax.axhline(self.settings["power"], color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("users per variant")
        ax.set_ylabel("share of simulated experiments adopting")
        ax.legend()
        return ax


def _prob_b_gt_a(yA, yB, n, a0, b0):
    aA, bA, aB, bB = a0 + yA, b0 + n - yA, a0 + yB, b0 + n - yB
    mA, mB = aA / (aA + bA), aB / (aB + bB)
    vA = aA * bA / ((aA + bA) ** 2 * (aA + bA + 1))
    vB = aB * bB / ((aB + bB) ** 2 * (aB + bB + 1))
    return 0.5 * special.erfc(-(mB - mA) / np.sqrt(2 * (vA + vB))), mA, mB, vA, vB


def sample_size(baseline: float, lift: float, *, threshold: float = 0.95, power: float = 0.8,
                sizes=None, n_sims: int = 2000, looks: int = 1, prior=(1.0, 1.0), seed=None) -> SampleSizeResult:
    """Power and false-adoption rate of a Bayesian conversion test, by sample size per variant.

    Sizes an experiment (users per variant); a survey's margin of error is sized by
    :func:`cxmodels.metrics.survey_sample_size`.

    Parameters
    ----------
    baseline : float
        Control conversion rate, in (0, 1).
    lift : float
        Target relative lift of the challenger (0.10 = +10 %).
    threshold : float
        Adopt the challenger when P(B > A) >= threshold.
    power : float
        Target share of simulated experiments that adopt the challenger under the lift.
    sizes : sequence of int, optional
        Users per variant to evaluate (default: a geometric grid from 100 to 200,000).
    looks : int
        Equally spaced interim looks; the test stops at the first look that adopts.
        ``looks > 1`` shows the optional-stopping inflation of the false-adoption rate.
    seed : int or Generator

    Returns
    -------
    SampleSizeResult
        ``summary()``: one row per size (index ``n_per_variant``) with ``est`` (power), ``se``,
        ``false_adoption``, ``false_adoption_se``, ``meets_target``; ``recommended_n`` the
        smallest size meeting ``power`` (None if none does); the seed in ``provenance``.
    """
    try:
        baseline, lift, threshold, power = float(baseline), float(lift), float(threshold), float(power)
    except (TypeError, ValueError):
        raise InputError("baseline, lift, threshold and power must be numbers") from None
    if not 0 < baseline < 1:
        raise InputError(f"baseline must lie in (0, 1), got {baseline}")
    p1 = baseline * (1 + lift)
    if not 0 < p1 < 1:
        raise InputError(f"baseline x (1 + lift) = {p1} must lie in (0, 1)")
    if not 0 < threshold < 1 or not 0 < power < 1:
        raise InputError("threshold and power must lie in (0, 1)")
    looks = check_count(looks, "looks", minimum=1)
    n_sims = check_count(n_sims, "n_sims", minimum=1)
    as_generator(seed)  # validate before the work
    rng = as_generator(seed)
    try:
        sizes = np.unique(np.round(np.geomspace(100, 200_000, 30)).astype(int)) if sizes is None else \
            np.asarray(sizes, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"sizes must be whole numbers of users per variant, got {sizes!r}") from None
    if sizes.size == 0 or not np.isfinite(sizes).all() or (sizes != np.round(sizes)).any() or (sizes < 1).any():
        raise InputError(f"sizes must be positive whole numbers of users per variant, got {np.asarray(sizes).tolist()}")
    sizes = sizes.astype(int)
    if (sizes < looks).any():
        raise InputError(f"every size must be at least the number of looks ({looks})")
    try:
        a0, b0 = (float(x) for x in prior)
    except (TypeError, ValueError):
        raise InputError(f"prior must be a pair (a0, b0) of positive numbers, got {prior!r}") from None
    if not (a0 > 0 and b0 > 0 and np.isfinite(a0) and np.isfinite(b0)):
        raise InputError(f"prior (a0, b0) = ({a0}, {b0}) must be positive and finite")
    rows = []
    for n in sizes:
        res = {}
        for label, pB in (("power", p1), ("false_adoption", baseline)):
            cuts = np.diff(np.r_[0, np.round(np.linspace(0, n, looks + 1)[1:]).astype(int)])
            yA = np.zeros(n_sims)
            yB = np.zeros(n_sims)
            seen = 0
            adopted = np.zeros(n_sims, bool)
            for c in cuts:
                yA += rng.binomial(c, baseline, n_sims)
                yB += rng.binomial(c, pB, n_sims)
                seen += c
                pr = _prob_b_gt_a(yA, yB, seen, a0, b0)[0]
                adopted |= pr >= threshold
            res[label] = adopted.mean()
        se = lambda p: float(np.sqrt(p * (1 - p) / n_sims))  # noqa: E731
        rows.append({"n_per_variant": int(n), "est": res["power"], "se": se(res["power"]),
                     "false_adoption": res["false_adoption"], "false_adoption_se": se(res["false_adoption"]),
                     "meets_target": res["power"] >= power})
    out = pd.DataFrame(rows).set_index("n_per_variant")
    ok = out.index[out.meets_target]
    settings = {"baseline": baseline, "lift": lift, "threshold": threshold, "power": power, "n_sims": n_sims,
                "looks": looks, "prior": [a0, b0], "sizes": out.index.tolist()}
    seed_rec = seed if not isinstance(seed, np.random.Generator) else "Generator"
    prov = make_provenance("Bayesian A/B sample size by simulation", None, settings, seed=seed_rec)
    return SampleSizeResult(out, int(ok[0]) if len(ok) else None, settings, prov)
