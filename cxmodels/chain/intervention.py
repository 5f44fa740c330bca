"""An A/B test of a CX change judged on satisfaction and on the value it implies.

The experiment's survey answers are scored with the fitted chain's measurement model
(Bartlett scores: conditionally unbiased, so differences in their means estimate the shift
in latent satisfaction without the shrinkage of regression scores; Skrondal & Laake 2001; for
Likert items, the ordinal model's posterior means divided by their reliability).
The posterior of the satisfaction lift comes from :func:`cxmodels.ab.compare_means`
(Normal model, reference prior). Each posterior draw of the lift is paired with one
bootstrap replicate of the chain and pushed through it,

    value = E_s[CLV(s + lift) - CLV(s)],

so the value's posterior carries both the experiment's and the chain's uncertainty (Monte
Carlo propagation). A chain fitted without a bootstrap (``n_boot=0``) contributes its point
estimate only: the value then carries the experiment's uncertainty alone, which the result
records in ``warnings``. Decisions compare the value per customer with the change's cost per
customer: probability the change pays, expected loss of shipping it
(``E[max(cost - value, 0)]``) and of not shipping it (``E[max(value - cost, 0)]``).

The measurement model is assumed to hold in the experiment as in the customer base
(measurement invariance; test it with :func:`cxmodels.sem.measurement_invariance`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


from .. import plotting
from .._results import Decision, Result
from .._validation import (as_generator, check_count, check_level, require_columns, require_frame,
                           require_unique_columns, resolve_seed, rows_text)
from ..errors import InputError
from ..provenance import make_provenance
from . import references as refs


def evaluate_intervention(chain, data: pd.DataFrame, *, group: str = "arm", control: str = "control",
                          treatment: str = "treatment", cost: float = 0.0, draws: int = 4000, seed=None,
                          level: float = 0.95) -> "InterventionResult":
    """Judge a CX intervention by its effect on satisfaction and on customer value.

    Parameters
    ----------
    chain : ValueChainResult or BTYDChainResult
        A fitted chain (any ``clv_model``) with a measurement model (and, to carry its
        uncertainty, bootstrap replicates; with ``n_boot=0`` its point estimate is used, with a
        warning). Both result types give ``value_of_shift(shifts, replicate=None)``.
    data : DataFrame
        The experiment, one row per customer: the arm column ``group`` and the survey items of
        the chain's model. Not modified.
    group, control, treatment : str
        The arm column and its two labels.
    cost : float
        Cost of the change per customer, in the currency of the chain's CLV.
    draws : int
        Posterior draws of the lift (each paired with a bootstrap replicate of the chain).
    seed : int, Generator or None
        Seed of the draws and of their pairing with replicates (recorded in ``provenance``).
    level : float
        Level of the equal-tailed posterior intervals.

    Returns
    -------
    InterventionResult
    """
    from ..ab import compare_means
    from .btyd import BTYDChainResult
    from .links import ValueChainResult

    if not isinstance(chain, (ValueChainResult, BTYDChainResult)):
        raise InputError(f"chain must be the result of fit_value_chain, got {type(chain).__name__}")
    require_frame(data, "data")
    require_unique_columns(data)
    ordinal = chain._main.ordinal
    if chain.sem is None and ordinal is None:
        raise InputError("the chain has no measurement model; fit it with model=... to score the experiment")
    level = check_level(level)
    draws = check_count(draws, "draws", minimum=2)
    if isinstance(cost, bool) or not isinstance(cost, (int, float, np.integer, np.floating)) or not np.isfinite(cost):
        raise InputError(f"cost must be a finite number (per customer), got {cost!r}")
    items = chain.sem.observed if ordinal is None else chain._spec.model_items
    require_columns(data, [group, *items], "data")
    arms = set(data[group].astype(str).unique())
    for a in (control, treatment):
        if a not in arms:
            raise InputError(f"column {group!r} of data has no rows of arm {a!r} (has {sorted(arms)})")
    sub = data[data[group].astype(str).isin([control, treatment])]
    complete = sub[items].notna().all(axis=1)
    if not complete.all():
        raise InputError(f"data has {int((~complete).sum())} rows with missing survey items "
                         f"({rows_text(sub.index[~complete])})")
    non_numeric = [c for c in items if pd.api.types.is_bool_dtype(sub[c]) or not pd.api.types.is_numeric_dtype(sub[c])]
    if non_numeric:
        raise InputError(f"survey item column(s) {non_numeric} of data must be numeric")
    infinite = [c for c in items if np.isinf(sub[c].to_numpy(float)).any()]
    if infinite:
        raise InputError(f"survey item column(s) {infinite} of data hold infinite values")
    _, seed_rec = resolve_seed(seed)    # None draws a seed and records it
    seed = seed if isinstance(seed, np.random.Generator) else seed_rec
    sat, driver = chain._options["satisfaction"], chain._options.get("driver")
    scores = (chain.sem.factor_scores(sub, method="bartlett") if ordinal is None
              else _calibrated_eap(chain, sub))
    labels = sub[group].astype(str).to_numpy()
    ab_sat = compare_means({control: scores[sat].to_numpy()[labels == control],
                            treatment: scores[sat].to_numpy()[labels == treatment]},
                           control=control, draws=draws, seed=seed, level=level)
    lift = (ab_sat.draws[treatment] - ab_sat.draws[control]).to_numpy()
    ab_drv = None
    if driver is not None:
        ab_drv = compare_means({control: scores[driver].to_numpy()[labels == control],
                                treatment: scores[driver].to_numpy()[labels == treatment]},
                               control=control, draws=draws, seed=seed, level=level)
    B = len(chain.replicates)
    if B:
        # pair each lift draw with a bootstrap replicate (shuffled, cycled)
        rng = as_generator(seed)   # a fresh stream from the same seed, as the pairing always used
        rep = rng.permutation(np.resize(np.arange(B), lift.size))
        value = np.empty(lift.size)
        for b in range(B):
            sel = rep == b
            if sel.any():
                value[sel] = chain.value_of_shift(lift[sel], replicate=b)
    else:
        value = chain.value_of_shift(lift)
    options = dict(group=group, control=control, treatment=treatment, cost=float(cost), draws=draws, level=level,
                   n_control=int((labels == control).sum()), n_treatment=int((labels == treatment).sum()),
                   chain_replicates=B)
    res = InterventionResult(ab_sat, ab_drv, lift, value, options,
                             make_provenance("cxmodels.chain.evaluate_intervention", sub[[group, *items]],
                                             options, seed=seed_rec), chain)
    if not B:
        res._note("the chain has no bootstrap replicates (n_boot=0): the value carries the experiment's "
                  "uncertainty only, not the chain's; refit the chain with n_boot > 0 for a full interval")
    return res


def _calibrated_eap(chain, data):
    """Scores of Likert answers under the chain's ordinal model, unbiased for mean shifts.

    The posterior mean (EAP) under the fitted prior satisfies Cov(EAP, s) = Var(EAP), so its
    regression on s has slope rho = Var(EAP) / phi: EAP / rho, with rho from the base's
    respondents, is (to first order) conditionally unbiased, like a Bartlett score.
    """
    spec, main = chain._spec, chain._main
    out = {}
    for name, model, items in ((spec.sat, main.ordinal, spec.sat_items),
                               (spec.driver, main.warm.get("driver"), spec.driver_items)):
        if name is None or model is None:
            continue
        S, lw = model.posterior(spec.survey[items].to_numpy(float))
        rho = float(np.var((np.exp(lw) * S).sum(axis=1))) / model.phi
        S, lw = model.posterior(data[items].to_numpy(float))
        out[name] = (np.exp(lw) * S).sum(axis=1) / rho
    return pd.DataFrame(out, index=data.index)


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
        self._ordinal = chain._main.ordinal is not None
        self._warnings = list(ab_sat.warnings)
        self._table = self._build_table()
        seen, cited = set(), []
        for r in (refs.SKRONDAL_LAAKE_2001, *ab_sat.references, *chain.references):
            if r not in seen:
                seen.add(r)
                cited.append(r)
        self._references = tuple(cited)

    def _interval(self, x):
        a = 1 - self._options["level"]
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

    def decide(self, threshold: float = 0.95) -> Decision:
        """Ship when the probability that value exceeds cost reaches ``threshold``.

        Returns a :class:`~cxmodels._results.Decision`: ``"adopt"`` (variant: the treatment)
        when :math:`P(\\text{value} > \\text{cost}) \\ge` ``threshold``, ``"keep_control"``
        when it is at most ``1 - threshold``, else ``"inconclusive"``; ``criteria`` holds the
        probability, the expected loss of shipping :math:`E[\\max(\\text{cost} - \\text{value}, 0)]`
        and of holding :math:`E[\\max(\\text{value} - \\text{cost}, 0)]` per customer.
        """
        threshold = check_level(threshold, "threshold")
        o = self._options
        net = self.value_draws - o["cost"]
        p = float(np.mean(net > 0))
        loss_ship, loss_hold = float(np.mean(np.maximum(-net, 0))), float(np.mean(np.maximum(net, 0)))
        crit = {"prob_pays": p, "expected_loss_ship": loss_ship, "expected_loss_hold": loss_hold,
                "threshold": threshold, "cost": o["cost"]}
        if p >= threshold:
            return Decision("adopt", o["treatment"], f"the change pays with probability {p:.3f} >= {threshold:g} "
                            f"(expected loss of shipping {loss_ship:.2f} per customer)", crit)
        if p <= 1 - threshold:
            return Decision("keep_control", o["control"], f"the change pays with probability only {p:.3f} "
                            f"(expected loss of shipping {loss_ship:.2f} per customer)", crit)
        return Decision("inconclusive", None, f"the change pays with probability {p:.3f}, between "
                        f"{1 - threshold:g} and {threshold:g}; keep testing", crit)

    def plot(self, ax=None):
        """Posterior of the value per customer with the cost marked; the Axes."""
        ax = plotting.axes(ax)
        ax.hist(self.value_draws, bins=60, color=plotting.color(2), alpha=0.8)
        ax.axvline(self._options["cost"], color=plotting.color(1), lw=1.2, label="cost per customer")
        ax.set_xlabel("CLV change per customer")
        ax.set_title("Implied value through the chain")
        ax.legend()
        return ax

    def plot_lift(self, ax=None):
        """Posterior of the satisfaction lift; the Axes."""
        ax = plotting.axes(ax)
        ax.hist(self.lift_draws, bins=60, color=plotting.color(0), alpha=0.8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("satisfaction lift (construct units)")
        ax.set_title("Effect on satisfaction")
        return ax

    def plot_overview(self):
        """:meth:`plot_lift` (left) beside :meth:`plot` (right); returns the Figure."""
        fig, axs = plotting.figure(1, 2, figsize=(11, 3.6))
        self.plot_lift(axs[0])
        self.plot(axs[1])
        fig.tight_layout()
        return fig

    def methods_text(self) -> str:
        o, t, dec = self._options, self._table, self.decide()
        v = t.loc["value_per_customer"]
        s = t.loc["satisfaction_lift"]
        pct = f"{100 * o['level']:.0f}%"
        ab = [r.cite for r in self.satisfaction.references]
        ab_cites = ", ".join(ab[:-1]) + (" and " if len(ab) > 1 else "") + ab[-1] if ab else "cxmodels.ab"
        paired = ("Each posterior draw of the lift was pushed through one bootstrap replicate of the chain"
                  if o["chain_replicates"] else
                  "Each posterior draw of the lift was pushed through the chain's point estimate (the chain had no "
                  "bootstrap, so its own uncertainty is not carried)")
        return (f"The intervention was evaluated in a randomized experiment ({o['n_control']} control, "
                f"{o['n_treatment']} treatment customers). Satisfaction was scored with the measurement model "
                + ("of the value chain as Bartlett scores, conditionally unbiased for mean differences as shown by "
                   f"{refs.SKRONDAL_LAAKE_2001.cite}" if not self._ordinal else
                   "of the value chain (the ordinal-probit model) as posterior means divided by their reliability "
                   "Var(EAP)/Var(s), to first order conditionally unbiased for mean differences like the Bartlett "
                   f"scores of {refs.SKRONDAL_LAAKE_2001.cite}") + ", and compared with cxmodels.ab's Normal model under the "
                f"reference prior, following {ab_cites}. "
                f"The satisfaction lift was {s['est']:.3f} ({pct} interval {s['ci_lower']:.3f} "
                f"to {s['ci_upper']:.3f}). {paired}, giving a value of {v['est']:.2f} per customer "
                f"({v['ci_lower']:.2f} to {v['ci_upper']:.2f}); against a cost of {o['cost']:g} per customer the "
                f"probability that the change pays is {dec.criteria['prob_pays']:.3f} (decision: {dec.action}). "
                "The chain: " + self._chain_text)
