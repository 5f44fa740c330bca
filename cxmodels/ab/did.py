r"""Difference-in-differences on the posterior, for strategies rolled out without randomization.

Four Beta-Binomial posteriors (treated/control group x before/after period) give the
posterior of

.. math::

    \Delta = (p_{T,\text{after}} - p_{T,\text{before}}) - (p_{C,\text{after}} - p_{C,\text{before}}),

the change in the treated group beyond the change the control group shows over the same
time.  Its causal reading rests on parallel trends (the treated group would have moved as
the control did), an assumption the data of two periods cannot check (Angrist & Pischke
2009, ch. 5).  Results are seeded Monte Carlo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._numerics import hdi as _hdi
from .._results import Result
from .._validation import as_generator, check_count, check_level
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R
from ._checks import count
from .proportions import beta_prior

KEYS = (("treated", "before"), ("treated", "after"), ("control", "before"), ("control", "after"))


class DiDResult(Result):
    """Posterior difference-in-differences of a rate.

    ``summary()`` has one row per quantity (``treated_change``, ``control_change``, ``did``)
    with ``est`` (posterior mean), ``hdi_lower``, ``hdi_upper``, ``prob_positive`` and, with a
    ROPE, ``prob_in_rope``; ``draws`` the Monte Carlo draws of the three quantities.
    """

    def __init__(self, table, draws, provenance, level, prior, n_draws, seed):
        self._table = table
        self.draws = draws
        self.level = level
        self._provenance = provenance
        self._warnings = []
        self._references = (R.ANGRIST, R.GELMAN)
        self._prior, self._n_draws, self._seed = prior, n_draws, seed

    def methods_text(self) -> str:
        a0, b0 = self._prior
        return (f"Difference-in-differences of four Beta({a0:g}, {b0:g})-Binomial posteriors (treated and control "
                f"group before and after; {R.GELMAN.cite}), from {self._n_draws:,} seeded Monte Carlo draws "
                f"(seed {self._seed}), reported as posterior mean and {self.level:.0%} highest-density interval. "
                f"Its causal reading assumes parallel trends ({R.ANGRIST.cite}).")

    def plot(self, ax=None):
        """Posterior of the difference-in-differences, its HDI marked; returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 3.5))
        x = self.draws["did"].to_numpy()
        ax.hist(x, bins=80, density=True, histtype="stepfilled", alpha=0.35, color=plotting.color(0))
        ax.hlines(0, self._table.loc["did", "hdi_lower"], self._table.loc["did", "hdi_upper"],
                  color=plotting.color(0), lw=4)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("difference-in-differences of the rate")
        ax.set_ylabel("posterior density")
        return ax


def diff_in_diff_proportions(successes: dict, trials: dict, *, prior="uniform", draws: int = 100_000, seed=None,
                             level: float = 0.95, rope=None) -> DiDResult:
    """Posterior difference-in-differences of a rate.

    Parameters
    ----------
    successes, trials : dict
        Keyed by ``("treated", "before")``, ``("treated", "after")``, ``("control", "before")``,
        ``("control", "after")``.
    prior : Beta prior on each cell's rate (see :func:`compare_proportions`).
    draws : int
        Monte Carlo draws per cell.
    level : float
        Mass of the highest-density intervals.
    rope : float, optional
        Half-width of a region of practical equivalence; adds ``prob_in_rope``.

    Returns
    -------
    DiDResult
    """
    level = check_level(level)
    draws = check_count(draws, "draws", minimum=2)
    if not isinstance(successes, dict) or not isinstance(trials, dict):
        raise InputError("successes and trials must be dicts keyed by (group, period), e.g. ('treated', 'before')")
    if rope is not None:
        try:
            rope = abs(float(rope))
        except (TypeError, ValueError):
            raise InputError(f"rope must be a number (the half-width of the ROPE), got {rope!r}") from None
    a0, b0 = beta_prior(prior)
    rng = as_generator(seed)
    p = {}
    counts = []
    for k in KEYS:
        name = f"{k[0]}/{k[1]}"
        if k not in successes or k not in trials:
            raise InputError(f"cell {name!r} is missing; give successes and trials for {[f'{a}/{b}' for a, b in KEYS]}")
        y = count(successes[k], name, "successes")
        n = count(trials[k], name, "trials", allow_zero=False)
        if y > n:
            raise InputError(f"variant {name!r} has more successes ({y:g}) than trials ({n:g})")
        p[k] = rng.beta(a0 + y, b0 + n - y, draws)
        counts.append((k[0], k[1], y, n))
    t = p[KEYS[1]] - p[KEYS[0]]
    c = p[KEYS[3]] - p[KEYS[2]]
    rows = []
    for name, x in (("treated_change", t), ("control_change", c), ("did", t - c)):
        lo, hi = _hdi(x, level)
        row = {"quantity": name, "est": float(x.mean()), "hdi_lower": lo, "hdi_upper": hi,
               "prob_positive": float((x > 0).mean())}
        if rope is not None:
            row["prob_in_rope"] = float((np.abs(x) <= rope).mean())
        rows.append(row)
    table = pd.DataFrame(rows).set_index("quantity")
    data = pd.DataFrame(counts, columns=["group", "period", "successes", "trials"])
    seed_rec = seed if not isinstance(seed, np.random.Generator) else "Generator"
    prov = make_provenance("Beta-Binomial difference-in-differences", data,
                           {"prior": [a0, b0], "draws": draws, "level": level, "rope": rope}, seed=seed_rec)
    return DiDResult(table, pd.DataFrame({"treated_change": t, "control_change": c, "did": t - c}), prov, level,
                     (a0, b0), draws, seed_rec)
