"""An A/B test of a CX change judged on satisfaction and on the value it implies.

The experiment's survey answers are scored with the fitted chain's measurement model
(Bartlett scores: conditionally unbiased, so differences in their means estimate the shift
in latent satisfaction without the shrinkage of regression scores; Skrondal & Laake 2001).
The posterior of the satisfaction lift comes from :func:`cxmodels.ab.compare_means`
(Normal model, reference prior). Each posterior draw of the lift is paired with one
bootstrap replicate of the chain and pushed through it,

    value = E_s[CLV(s + lift) - CLV(s)],

so the value's posterior carries both the experiment's and the chain's uncertainty (Monte
Carlo propagation). Decisions compare the value per customer with the change's cost per
customer: probability the change pays, expected loss of shipping it
(``E[max(cost - value, 0)]``) and of not shipping it (``E[max(value - cost, 0)]``).

The measurement model is assumed to hold in the experiment as in the customer base
(measurement invariance; test it with :func:`cxmodels.sem.measurement_invariance`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_generator, require_columns, require_frame
from ..errors import InputError
from ..provenance import make_provenance


def evaluate_intervention(chain, experiment: pd.DataFrame, *, arm: str = "arm", control: str = "control",
                          treatment: str = "treatment", cost: float = 0.0, draws: int = 4000, seed=None,
                          hdi_prob: float = 0.95) -> "InterventionResult":
    """Judge a CX intervention by its effect on satisfaction and on customer value.

    Parameters
    ----------
    chain : ValueChainResult
        A fitted chain with a measurement model and bootstrap replicates.
    experiment : DataFrame
        One row per experimental customer: ``arm`` and the survey items of the chain's model.
    cost : float
        Cost of the change per customer, in the currency of the chain's CLV.
    draws : int
        Posterior draws of the lift (each paired with a bootstrap replicate of the chain).

    Returns
    -------
    InterventionResult
    """
    from ..ab import compare_means

    require_frame(experiment, "experiment")
    if chain.sem is None:
        raise InputError("the chain has no measurement model; fit it with model=... to score the experiment")
    if chain.replicates.empty:
        raise InputError("the chain has no bootstrap replicates (n_boot=0): its uncertainty cannot be propagated")
    items = chain.sem.observed
    require_columns(experiment, [arm, *items], "experiment")
    arms = set(experiment[arm].astype(str).unique())
    for a in (control, treatment):
        if a not in arms:
            raise InputError(f"column {arm!r} of experiment has no rows of arm {a!r} (has {sorted(arms)})")
    sub = experiment[experiment[arm].astype(str).isin([control, treatment])]
    complete = sub[items].notna().all(axis=1)
    if not complete.all():
        raise InputError(f"experiment has {int((~complete).sum())} rows with missing survey items "
                         f"(e.g. {list(sub.index[~complete][:5])})")
    sat, driver = chain._options["satisfaction"], chain._options["driver"]
    scores = chain.sem.factor_scores(sub, method="bartlett")
    labels = sub[arm].astype(str).to_numpy()
    ab_sat = compare_means({control: scores[sat].to_numpy()[labels == control],
                            treatment: scores[sat].to_numpy()[labels == treatment]},
                           control=control, draws=draws, seed=seed, hdi_prob=hdi_prob)
    lift = (ab_sat.draws[treatment] - ab_sat.draws[control]).to_numpy()
    ab_drv = None
    if driver is not None:
        ab_drv = compare_means({control: scores[driver].to_numpy()[labels == control],
                                treatment: scores[driver].to_numpy()[labels == treatment]},
                               control=control, draws=draws, seed=seed, hdi_prob=hdi_prob)
    # pair each lift draw with a bootstrap replicate (shuffled, cycled)
    rng = as_generator(seed)
    B = len(chain.replicates)
    rep = rng.permutation(np.resize(np.arange(B), lift.size))
    value = np.empty(lift.size)
    for b in range(B):
        sel = rep == b
        if sel.any():
            value[sel] = chain.value_of_shift(lift[sel], replicate=b)
    options = dict(arm=arm, control=control, treatment=treatment, cost=cost, draws=draws, hdi_prob=hdi_prob,
                   n_control=int((labels == control).sum()), n_treatment=int((labels == treatment).sum()))
    return InterventionResult(ab_sat, ab_drv, lift, value, options,
                              make_provenance("cxmodels.chain.evaluate_intervention", sub[[arm, *items]],
                                              options, seed=seed), chain)


class InterventionResult(Result):
    """Satisfaction lift and implied value of an intervention (see :func:`evaluate_intervention`).

    Attributes
    ----------
    satisfaction : ABResult
        The A/B comparison of satisfaction (Bartlett scores).
    driver : ABResult or None
        The same for the driver (a manipulation check).
    lift_draws, value_draws : ndarray
        Posterior draws of the satisfaction lift and of the value per customer.
    """

    def __init__(self, ab_sat, ab_drv, lift, value, options, provenance, chain):
        self.satisfaction, self.driver = ab_sat, ab_drv
        self.lift_draws, self.value_draws = lift, value
        self._options, self._provenance = options, provenance
        self._chain_text = chain.methods_text()
        self._warnings = list(ab_sat.warnings)
        self._table = self._build_table()

    def _interval(self, x):
        a = 1 - self._options["hdi_prob"]
        return np.quantile(x, [a / 2, 1 - a / 2])

    def _build_table(self) -> pd.DataFrame:
        rows = []
        for name, x, desc in [("satisfaction_lift", self.lift_draws, "shift in latent satisfaction (Bartlett)"),
                              ("value_per_customer", self.value_draws, "CLV change per customer"),
                              ("net_value_per_customer", self.value_draws - self._options["cost"],
                               "CLV change minus cost per customer")]:
            lo, hi = self._interval(x)
            rows.append({"quantity": name, "est": float(np.mean(x)), "sd": float(np.std(x, ddof=1)),
                         "ci_lower": lo, "ci_upper": hi, "prob_positive": float(np.mean(x > 0)),
                         "description": desc})
        if self.driver is not None:
            c, t = self._options["control"], self._options["treatment"]
            d = (self.driver.draws[t] - self.driver.draws[c]).to_numpy()
            lo, hi = self._interval(d)
            rows.insert(0, {"quantity": "driver_lift", "est": float(d.mean()), "sd": float(d.std(ddof=1)),
                            "ci_lower": lo, "ci_upper": hi, "prob_positive": float(np.mean(d > 0)),
                            "description": "shift in the latent driver (manipulation check)"})
        return pd.DataFrame(rows).set_index("quantity")

    def decide(self, threshold: float = 0.95) -> dict:
        """Ship when the probability that value exceeds cost reaches ``threshold``.

        Returns the probability, the expected loss of shipping and of not shipping (per
        customer), and the decision.
        """
        net = self.value_draws - self._options["cost"]
        p = float(np.mean(net > 0))
        loss_ship, loss_hold = float(np.mean(np.maximum(-net, 0))), float(np.mean(np.maximum(net, 0)))
        decision = "ship" if p >= threshold else ("do not ship" if p <= 1 - threshold else "keep testing")
        return {"prob_pays": p, "expected_loss_ship": loss_ship, "expected_loss_hold": loss_hold,
                "threshold": threshold, "decision": decision}

    def plot(self, axes=None):
        """Posterior of the satisfaction lift and of the value per customer (cost marked)."""
        import matplotlib.pyplot as plt
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        else:
            fig = axes[0].figure
        axes[0].hist(self.lift_draws, bins=60, color="#4a6fa5", alpha=0.8)
        axes[0].axvline(0, color="k", lw=0.8)
        axes[0].set_xlabel("satisfaction lift (construct units)")
        axes[0].set_title("Effect on satisfaction")
        axes[1].hist(self.value_draws, bins=60, color="#6a9f58", alpha=0.8)
        axes[1].axvline(self._options["cost"], color="#b03a2e", lw=1.2, label="cost per customer")
        axes[1].set_xlabel("CLV change per customer")
        axes[1].set_title("Implied value through the chain")
        axes[1].legend()
        fig.tight_layout()
        return fig

    def methods_text(self) -> str:
        o, t, dec = self._options, self._table, self.decide()
        v = t.loc["value_per_customer"]
        s = t.loc["satisfaction_lift"]
        return (f"The intervention was evaluated in a randomized experiment ({o['n_control']} control, "
                f"{o['n_treatment']} treatment customers). Satisfaction was scored with the measurement model "
                "of the value chain (Bartlett scores, conditionally unbiased for mean differences; Skrondal & "
                "Laake 2001) and compared with a Normal model under the reference prior (cxmodels.ab). "
                f"The satisfaction lift was {s['est']:.3f} ({100 * o['hdi_prob']:.0f}% interval {s['ci_lower']:.3f} "
                f"to {s['ci_upper']:.3f}). Each posterior draw of the lift was pushed through one bootstrap "
                f"replicate of the chain, giving a value of {v['est']:.2f} per customer "
                f"({v['ci_lower']:.2f} to {v['ci_upper']:.2f}); against a cost of {o['cost']:g} per customer the "
                f"probability that the change pays is {dec['prob_pays']:.3f} (decision: {dec['decision']}). "
                "The chain: " + self._chain_text + " Skrondal, A., & Laake, P. (2001). Regression among factor "
                "scores. Psychometrika, 66(4), 563-575.")
