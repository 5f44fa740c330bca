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

from ..errors import InputError
from . import references as R
from ._checks import count
from .hdi import hdi as _hdi
from .proportions import beta_prior

ANGRIST = "Angrist, J. D., & Pischke, J.-S. (2009). Mostly Harmless Econometrics. Princeton University Press"


def diff_in_diff_proportions(successes: dict, trials: dict, *, prior="uniform", draws: int = 100_000, seed=None,
                             hdi_prob: float = 0.95, rope=None) -> pd.DataFrame:
    """Posterior difference-in-differences of a rate.

    Parameters
    ----------
    successes, trials : dict
        Keyed by ``("treated", "before")``, ``("treated", "after")``, ``("control", "before")``,
        ``("control", "after")``.
    rope : float, optional
        Half-width of a region of practical equivalence; adds ``prob_in_rope``.

    Returns
    -------
    DataFrame
        One row per quantity (``treated_change``, ``control_change``, ``did``) with ``mean,
        hdi_lower, hdi_upper, prob_positive``; ``attrs["methods"]`` a methods sentence.
    """
    from .._validation import as_generator

    keys = [("treated", "before"), ("treated", "after"), ("control", "before"), ("control", "after")]
    a0, b0 = beta_prior(prior)
    rng = as_generator(seed)
    p = {}
    for k in keys:
        name = f"{k[0]}/{k[1]}"
        if k not in successes or k not in trials:
            raise InputError(f"cell {name!r} is missing; give successes and trials for {[f'{a}/{b}' for a, b in keys]}")
        y = count(successes[k], name, "successes")
        n = count(trials[k], name, "trials", allow_zero=False)
        if y > n:
            raise InputError(f"variant {name!r} has more successes ({y:g}) than trials ({n:g})")
        p[k] = rng.beta(a0 + y, b0 + n - y, draws)
    t = p[keys[1]] - p[keys[0]]
    c = p[keys[3]] - p[keys[2]]
    rows = []
    for name, x in (("treated_change", t), ("control_change", c), ("did", t - c)):
        lo, hi = _hdi(x, hdi_prob)
        row = {"quantity": name, "mean": float(x.mean()), "hdi_lower": lo, "hdi_upper": hi,
               "prob_positive": float((x > 0).mean())}
        if rope is not None:
            row["prob_in_rope"] = float((np.abs(x) <= abs(rope)).mean())
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["methods"] = (f"Difference-in-differences of four Beta({a0:g}, {b0:g})-Binomial posteriors, "
                            f"{draws:,} seeded Monte Carlo draws (seed {seed}); assumes parallel trends. "
                            f"References: {ANGRIST}; {R.GELMAN}.")
    return out
