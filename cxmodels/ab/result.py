r"""``ABResult``: the posterior of one metric per variant, and what follows from it.

Every A/B model in :mod:`cxmodels.ab` returns an :class:`ABResult`.  It holds a seeded
sampler of the metric's posterior per variant (drawn once, lazily) and, for two-variant
Beta and Gamma posteriors, exact values of :math:`P(\text{best})` and the expected loss.

Definitions (for a metric where higher is better; reversed otherwise)

* ``prob_best[v]`` :math:`= P(\theta_v = \max_j \theta_j)`;
* ``expected_loss[v]`` :math:`= E[\max_j \theta_j - \theta_v]`, the expected shortfall of
  choosing ``v`` (Stucchio 2015), in the metric's units;
* ``lift``: absolute :math:`\theta_v - \theta_c` and relative :math:`\theta_v/\theta_c - 1`
  against the control ``c``, posterior mean, HDI and :math:`P(\text{lift} > 0)`.

Monte Carlo quantities carry their standard error in ``mc_se``: for a probability
:math:`\sqrt{\hat p(1-\hat p)/S}`, for a loss the sample SD over :math:`\sqrt S`.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Callable

import numpy as np
import pandas as pd

from .. import plotting
from .._numerics import hdi as _hdi
from .._results import Decision, Result
from .._validation import as_generator, check_count, check_level
from ..errors import InputError
from ..provenance import make_provenance
from ..references import Reference

__all__ = ["ABResult", "Decision"]


class ABResult(Result):
    """Posterior comparison of two or more variants on one metric (see module docstring).

    Attributes
    ----------
    variants : list of str
    control : str
    metric : str
        What is compared (``"conversion rate"``, ``"NPS"``, ...).
    higher_is_better : bool
    level : float
        Mass of the highest-density intervals.
    draws : DataFrame
        Posterior draws of the metric, one column per variant (drawn once, on first use).
    idata : arviz.InferenceData or None
        The PyMC fit, for the models that need one.
    """

    def __init__(self, *, metric: str, variants: list[str], control: str, sampler: Callable | None,
                 draws: int, seed, model: str, prior: str, posterior, data_table, options: dict,
                 references: list[Reference], exact: dict | None = None, means=None,
                 higher_is_better: bool = True, level: float = 0.95, frequentist: Callable | None = None,
                 idata=None, methods_extra: str = "", given_draws=None, extras: dict | None = None):
        self.level = check_level(level)
        n_draws = check_count(draws, "draws", minimum=2)
        if len(variants) < 2:
            raise InputError(f"{model} needs at least two variants to compare; got {len(variants)} "
                             f"({list(variants)}): P(best) of a lone variant is 1 whatever the data")
        as_generator(seed)  # validates the seed now; the generator itself is made on first draw
        self.metric = metric
        self.variants = list(variants)
        self.control = control
        self.higher_is_better = bool(higher_is_better)
        self.model = model
        self.prior = prior
        self.idata = idata
        self._n_draws = n_draws
        self._posterior = posterior  # a DataFrame, or a callable building it on first use
        self._sampler = sampler
        self._seed_arg = seed
        self._seed = seed if not isinstance(seed, np.random.Generator) else "Generator"
        self._index = pd.Index(self.variants)
        self._exact = exact
        self._means = None if means is None else np.asarray(means, float)
        self._frequentist = frequentist
        self._references = tuple(references)
        self._methods_extra = methods_extra
        self._warnings = []
        self._data_table = data_table
        self._options = {"draws": n_draws, **options, "level": self.level, "control": control}
        self._given_draws = given_draws
        for name, value in (extras or {}).items():
            setattr(self, name, value)
        # provenance is built on first use (results are cheap: thousands a second), stamped now
        self._created = _now()

    @cached_property
    def posterior(self) -> pd.DataFrame:
        """The posterior's parameters per variant (e.g. ``alpha``, ``beta`` for Beta posteriors)."""
        return self._posterior() if callable(self._posterior) else self._posterior

    # ------------------------------------------------------------------ provenance
    @cached_property
    def _provenance(self):
        table = self._data_table() if callable(self._data_table) else self._data_table
        prov = make_provenance(self.model, table, self._options, seed=self._seed)
        return dataclasses.replace(prov, created=self._created)

    # ------------------------------------------------------------------ draws
    @cached_property
    def draws(self) -> pd.DataFrame:
        """Posterior draws of the metric: one column per variant."""
        if self._given_draws is not None:
            arr = np.asarray(self._given_draws, float)
        else:
            arr = np.asarray(self._sampler(as_generator(self._seed_arg), self._n_draws), float)
        return pd.DataFrame(arr, columns=self.variants)

    def _signed(self) -> np.ndarray:
        x = self.draws.to_numpy()
        return x if self.higher_is_better else -x

    @cached_property
    def _mc(self) -> dict[str, np.ndarray]:
        x = self._signed()
        S = x.shape[0]
        best = np.argmax(x, axis=1)
        pb = np.bincount(best, minlength=x.shape[1]) / S
        loss = x.max(axis=1, keepdims=True) - x
        return {"prob_best": pb, "prob_best_se": np.sqrt(pb * (1 - pb) / S),
                "loss": loss.mean(axis=0), "loss_se": loss.std(axis=0, ddof=1) / np.sqrt(S)}

    @property
    def exact(self) -> bool:
        """True when ``prob_best`` and ``expected_loss`` are closed-form (no Monte Carlo error)."""
        return self._exact is not None

    @property
    def prob_best(self) -> pd.Series:
        """P(variant is best), by variant."""
        vals = self._exact["prob_best"] if self._exact is not None else self._mc["prob_best"]
        return pd.Series(np.asarray(vals, float), index=self._index, name="prob_best", copy=True)

    @property
    def expected_loss(self) -> pd.Series:
        """Expected shortfall of choosing each variant, in the metric's units."""
        vals = self._exact["expected_loss"] if self._exact is not None else self._mc["loss"]
        return pd.Series(np.asarray(vals, float), index=self._index, name="expected_loss", copy=True)

    @property
    def mc_se(self) -> pd.DataFrame:
        """Monte Carlo standard errors of ``prob_best`` and ``expected_loss`` (0 when exact)."""
        if self._exact is not None:
            z = np.zeros(len(self.variants))
            return pd.DataFrame({"prob_best": z, "expected_loss": z}, index=self.variants)
        return pd.DataFrame({"prob_best": self._mc["prob_best_se"], "expected_loss": self._mc["loss_se"]},
                            index=self.variants)

    @property
    def posterior_mean(self) -> pd.Series:
        """Posterior mean of the metric per variant (exact where the model has it)."""
        vals = self._means if self._means is not None else self.draws.mean().to_numpy()
        return pd.Series(vals, index=self.variants, name="posterior_mean")

    # ------------------------------------------------------------------ lift
    @cached_property
    def lift(self) -> pd.DataFrame:
        """Absolute and relative lift of every variant against the control.

        Columns: ``variant, control, lift`` (``"absolute"``/``"relative"``), ``mean``,
        ``hdi_lower``, ``hdi_upper``, ``prob_positive`` (P(lift > 0)), ``level``.
        The relative lift is NaN when the control's posterior puts mass at or below zero.
        """
        d = self.draws
        c = d[self.control].to_numpy()
        rows = []
        for v in self.variants:
            if v == self.control:
                continue
            x = d[v].to_numpy()
            ab = x - c
            p_pos = float(np.mean(ab > 0))
            if self._exact is not None and "prob_greater" in self._exact:
                p_pos = float(self._exact["prob_greater"][v])
            mean_ab = float(self.posterior_mean[v] - self.posterior_mean[self.control])
            lo, hi = _hdi(ab, self.level)
            rows.append((v, self.control, "absolute", mean_ab, lo, hi, p_pos, self.level))
            if np.all(c > 0):
                rel = x / c - 1.0
                lo, hi = _hdi(rel, self.level)
                rows.append((v, self.control, "relative", float(rel.mean()), lo, hi, p_pos, self.level))
            else:
                rows.append((v, self.control, "relative", np.nan, np.nan, np.nan, np.nan, self.level))
        return pd.DataFrame(rows, columns=["variant", "control", "lift", "mean", "hdi_lower", "hdi_upper",
                                           "prob_positive", "level"])

    # ------------------------------------------------------------------ tables
    @cached_property
    def _table(self) -> pd.DataFrame:
        d = self.draws
        iv = np.array([_hdi(d[v].to_numpy(), self.level) for v in self.variants])
        t = pd.DataFrame({"variant": self.variants, "est": self.posterior_mean.to_numpy(),
                          "sd": d.std(ddof=1).to_numpy(),
                          "hdi_lower": iv[:, 0], "hdi_upper": iv[:, 1],
                          "prob_best": self.prob_best.to_numpy(),
                          "expected_loss": self.expected_loss.to_numpy()})
        return t.set_index("variant")

    @property
    def params(self) -> pd.Series:
        """Posterior mean of the metric, by variant."""
        return self.posterior_mean

    def frequentist(self) -> pd.DataFrame:
        """The classical test CX readers expect beside the posterior, with its effect size.

        Chi-square for proportions, categories, NPS and ratings; Welch t (two variants) or
        one-way ANOVA for means; a conditional binomial / Poisson chi-square for counts.
        See :mod:`cxmodels.ab.frequentist`.
        """
        if self._frequentist is None:
            raise InputError(f"{self.model} has no frequentist counterpart implemented")
        return self._frequentist()

    # ------------------------------------------------------------------ decision
    def decide(self, threshold: float = 0.95, rope=None, max_loss: float | None = None) -> Decision:
        """Decide which variant to run, and say why.

        Parameters
        ----------
        threshold : float
            Minimum P(best) to adopt a challenger (or to declare the control best).
        rope : float or (float, float), optional
            Region of practical equivalence for the absolute lift against the control
            (``0.01`` means ``(-0.01, 0.01)``).  With a ROPE the HDI+ROPE rule applies
            (Kruschke 2018): the lift's HDI inside the ROPE -> ``"equivalent"``; entirely
            beyond it on the better side, with P(best) >= threshold -> ``"adopt"``;
            entirely on the worse side -> ``"keep_control"``; otherwise ``"inconclusive"``.
        max_loss : float, optional
            Tolerated expected loss (Stucchio 2015): the chosen variant must also have
            ``expected_loss <= max_loss``.

        Returns
        -------
        Decision
        """
        if not 0 < threshold < 1:
            raise InputError(f"threshold must lie in (0, 1), got {threshold}")
        pb, el = self.prob_best, self.expected_loss
        best = str(pb.idxmax())
        challengers = [v for v in self.variants if v != self.control]
        if not challengers:
            raise InputError("decide needs at least two variants")
        chal = max(challengers, key=lambda v: pb[v])
        crit = {"threshold": threshold, "rope": rope, "max_loss": max_loss, "best": best,
                "prob_best": float(pb[best]), "expected_loss": float(el[best]), "challenger": chal}
        unit = self.metric
        loss_ok = max_loss is None or el[best] <= max_loss
        loss_txt = "" if max_loss is None else f", expected loss {el[best]:.4g} vs tolerated {max_loss:.4g}"
        if rope is not None:
            lo_r, hi_r = (-abs(rope), abs(rope)) if np.isscalar(rope) else (float(rope[0]), float(rope[1]))
            if lo_r >= hi_r:
                raise InputError(f"rope must be an interval (low, high) with low < high, got {rope}")
            row = self.lift[(self.lift.variant == chal) & (self.lift.lift == "absolute")].iloc[0]
            h_lo, h_hi = row.hdi_lower, row.hdi_upper
            crit.update(hdi=(h_lo, h_hi), rope=(lo_r, hi_r))
            iv = f"{self.level:.0%} HDI of the {unit} lift of {chal} vs {self.control} [{h_lo:.4g}, {h_hi:.4g}]"
            better_lo = h_lo > hi_r if self.higher_is_better else h_hi < lo_r
            worse = h_hi < lo_r if self.higher_is_better else h_lo > hi_r
            if lo_r <= h_lo and h_hi <= hi_r:
                return Decision("equivalent", self.control,
                                f"{iv} lies inside the ROPE [{lo_r:.4g}, {hi_r:.4g}]: no practical difference", crit)
            if better_lo and pb[chal] >= threshold and loss_ok:
                return Decision("adopt", chal, f"{iv} lies beyond the ROPE [{lo_r:.4g}, {hi_r:.4g}] and "
                                f"P(best) = {pb[chal]:.3f} >= {threshold}{loss_txt}", crit)
            if better_lo:
                return Decision("inconclusive", None, f"{iv} lies beyond the ROPE but P(best) = {pb[chal]:.3f} "
                                f"(threshold {threshold}){loss_txt}; collect more data", crit)
            if worse:
                return Decision("keep_control", self.control,
                                f"{iv} lies on the worse side of the ROPE [{lo_r:.4g}, {hi_r:.4g}]", crit)
            return Decision("inconclusive", None, f"{iv} overlaps the ROPE [{lo_r:.4g}, {hi_r:.4g}] "
                            f"(P(best) of {chal} = {pb[chal]:.3f}{loss_txt}); collect more data", crit)
        if pb[best] >= threshold and loss_ok:
            if best == self.control:
                return Decision("keep_control", self.control, f"the control {best} is best with P(best) = "
                                f"{pb[best]:.3f} >= {threshold}{loss_txt}", crit)
            return Decision("adopt", best, f"P({best} has the {'highest' if self.higher_is_better else 'lowest'} "
                            f"{unit}) = {pb[best]:.3f} >= {threshold}{loss_txt}", crit)
        why = f"P(best) = {pb[best]:.3f} for {best} is below {threshold}" if pb[best] < threshold else \
            f"expected loss {el[best]:.4g} of {best} exceeds the tolerated {max_loss:.4g}"
        return Decision("inconclusive", None, why + "; collect more data", crit)

    # ------------------------------------------------------------------ plots
    def plot(self, ax=None, bins: int = 80):
        """Posterior densities of the metric per variant (histograms of the draws), HDIs marked;
        returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 3.5))
        d = self.draws
        t = self._table
        for i, v in enumerate(self.variants):
            color = plotting.color(i)
            ax.hist(d[v], bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=color,
                    label=f"{v} (P best {self.prob_best[v]:.2f})")
            ax.hlines(0, t.loc[v, "hdi_lower"], t.loc[v, "hdi_upper"], color=color, lw=4)
        ax.set_xlabel(self.metric)
        ax.set_ylabel("posterior density")
        ax.set_title(f"{self.model}: posterior of the {self.metric}")
        ax.legend(frameon=False, fontsize=8)
        return ax

    def plot_lift(self, ax=None, relative: bool = False):
        """Posterior of the lift of each challenger against the control, HDI marked; returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 3.5))
        d = self.draws
        c = d[self.control]
        for i, v in enumerate(v for v in self.variants if v != self.control):
            x = d[v] / c - 1 if relative else d[v] - c
            lo, hi = _hdi(x, self.level)
            ax.hist(x, bins=80, density=True, histtype="stepfilled", alpha=0.35, color=plotting.color(i + 1),
                    label=f"{v} - {self.control}")
            ax.hlines(0, lo, hi, color=plotting.color(i + 1), lw=4)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel(("relative" if relative else "absolute") + f" lift in {self.metric}")
        ax.legend(frameon=False, fontsize=8)
        return ax

    # ------------------------------------------------------------------ text
    def methods_text(self) -> str:
        """A methods paragraph: model, prior, how P(best), loss and lift were computed, citations."""
        k = len(self.variants)
        how = ("P(best) and expected loss are exact (closed form)" if self.exact else
               f"P(best) and expected loss are Monte Carlo estimates from {self._n_draws:,} posterior draws "
               f"(seed {self._seed}; largest Monte Carlo SE of P(best) {self.mc_se['prob_best'].max():.2g})")
        cites = "; ".join(r.cite for r in self._references)
        txt = (f"{k} variants ({', '.join(self.variants)}; the control is {self.control}) were compared on the "
               f"{self.metric} with the {self.model} model ({self.prior}). {how}; lift against the control is "
               f"reported as posterior mean and {self.level:.0%} highest-density interval from "
               f"{self._n_draws:,} draws. ")
        if self._methods_extra:
            txt += self._methods_extra + " "
        txt += f"Computed with cxmodels, following {cites}."
        return txt

    def __repr__(self) -> str:
        pb = ", ".join(f"{v}: {p:.3f}" for v, p in self.prob_best.items())
        return f"<ABResult {self.model} on {self.metric}; P(best) {pb}>"


def _now() -> str:
    import datetime as _dt

    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
