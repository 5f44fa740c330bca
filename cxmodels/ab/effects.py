r"""``EffectResult``: frequentist treatment effects against a control, on sufficient statistics.

The variance-reduced, ratio, capped, cluster-level and surrogate readouts all reduce each arm
to three numbers: ``n`` (units), ``mean`` (the possibly adjusted mean) and ``var``, the
per-unit variance, so that :math:`\operatorname{Var}(\bar y) = \text{var}/n`.  For each
challenger :math:`b` against the control :math:`a`

.. math::

    \hat\Delta = m_b - m_a, \qquad V = v_a/n_a + v_b/n_b,

with Welch-Satterthwaite degrees of freedom (Welch 1947) for the t interval and p-value, and
the relative effect :math:`\hat\Delta / \bar u_a` (``u`` the unadjusted control mean) with the
delta-method variance :math:`v_b/(\bar u_a^2 n_b) + v_a \bar u_b^2/(\bar u_a^4 n_a)` (Deng et
al. 2018), the conventions of GrowthBook's engine.

:func:`normal_abresult` turns the same arms into the Bayesian readout (an :class:`ABResult`
with a Normal posterior per arm under a flat prior; with two arms P(best) and expected loss
are closed form).
"""

from __future__ import annotations

import dataclasses
import datetime
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Decision, Result
from .._validation import (require_columns, require_consistent_ids, require_frame, require_numeric,
                           require_unique_columns, rows_text)
from ..errors import InputError
from ..provenance import make_provenance
from .result import ABResult

__all__ = ["EffectResult", "compare_arms", "normal_abresult"]

_TABLE = ["variant", "control", "est", "se", "df", "ci_lower", "ci_upper", "pvalue", "relative", "relative_se",
          "relative_lower", "relative_upper", "level"]


def compare_arms(arms: pd.DataFrame, control: str, level: float, *, welch: bool = True) -> pd.DataFrame:
    """Effect rows of every challenger against ``control`` from arms ``n, mean, var, unadjusted``.

    ``welch=False`` uses the normal distribution (large-sample z) instead of Welch's t.
    """
    a = arms.loc[control]
    rows = []
    for v in arms.index:
        if v == control:
            continue
        b = arms.loc[v]
        d = b["mean"] - a["mean"]
        va, vb = a["var"] / a["n"], b["var"] / b["n"]
        V = va + vb
        se = float(np.sqrt(V))
        if welch:  # scipy's functions, not frozen distributions: results are built thousands of times
            dof = V ** 2 / (va ** 2 / max(a["n"] - 1, 1) + vb ** 2 / max(b["n"] - 1, 1)) if V > 0 else np.nan
            crit = stats.t.ppf(0.5 + level / 2, dof)
            p = float(2 * stats.t.sf(abs(d) / se, dof)) if se > 0 else np.nan
        else:
            dof = np.inf
            crit = stats.norm.ppf(0.5 + level / 2)
            p = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else np.nan
        ua, ub = a["unadjusted"], b["unadjusted"]
        if ua != 0:
            rel = d / ua
            rel_se = float(np.sqrt(b["var"] / (ua ** 2 * b["n"]) + a["var"] * ub ** 2 / (ua ** 4 * a["n"])))
        else:
            rel, rel_se = np.nan, np.nan
        rows.append([v, control, d, se, dof, d - crit * se, d + crit * se, p, rel, rel_se,
                     rel - crit * rel_se, rel + crit * rel_se, level])
    return pd.DataFrame(rows, columns=_TABLE).set_index("variant")


class EffectResult(Result):
    """Treatment effects of each challenger against the control, with intervals at ``level``.

    ``summary()`` has one row per challenger: ``control, est`` (absolute effect), ``se, df,
    ci_lower, ci_upper, pvalue``, the relative effect (``relative``, ``relative_se``,
    ``relative_lower``, ``relative_upper``), ``level`` and, where the method reduces variance,
    ``variance_reduction`` (the share of the raw difference's variance removed).

    Attributes
    ----------
    arms : DataFrame
        Per variant: ``n``, ``mean`` (adjusted), ``var`` (per-unit variance), ``unadjusted``
        (the raw mean) and method-specific columns.
    metric, control, level, higher_is_better
    """

    def __init__(self, *, method: str, table: pd.DataFrame, arms: pd.DataFrame, data_table: pd.DataFrame | None,
                 options: dict, references, methods: str, metric: str, control: str, level: float,
                 higher_is_better: bool = True, seed=None, extras: dict | None = None):
        self._table = table
        self.arms = arms
        self.metric = metric
        self.control = control
        self.level = level
        self.higher_is_better = bool(higher_is_better)
        self.method = method
        self._methods = methods
        self._references = tuple(references)
        self._warnings = []
        self._prov_args = (method, data_table, {**options, "level": level, "control": control},
                           seed if not isinstance(seed, np.random.Generator) else "Generator")
        self._created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        for k, v in (extras or {}).items():
            setattr(self, k, v)

    @cached_property
    def _provenance(self):
        # built on first use (hashing the rows costs more than the fit), stamped at fit time
        method, data, options, seed = self._prov_args
        return dataclasses.replace(make_provenance(method, data, options, seed=seed), created=self._created)

    @property
    def variance_reduction(self) -> pd.Series:
        """Share of the variance of the raw difference removed, by challenger (NaN if not reported)."""
        col = self._table["variance_reduction"] if "variance_reduction" in self._table else \
            pd.Series(np.nan, index=self._table.index)
        return col.rename("variance_reduction").copy()

    def methods_text(self) -> str:
        cites = "; ".join(r.cite for r in self._references)
        return (f"{self._methods} Effects of each variant against the control ({self.control}) on the {self.metric} "
                f"are reported with {self.level:.0%} intervals. Computed with cxmodels, following {cites}.")

    def decide(self) -> Decision:
        """Adopt the best challenger whose interval lies wholly on the better side of zero; keep the
        control when every challenger's interval lies on the worse side; otherwise inconclusive.
        The test level is ``1 - level`` (two-sided)."""
        t = self._table
        sign = 1.0 if self.higher_is_better else -1.0
        better = t[(sign * t["ci_lower"] > 0) if self.higher_is_better else (t["ci_upper"] < 0)]
        crit = {"level": self.level, "effects": t["est"].to_dict(), "pvalue": t["pvalue"].to_dict()}
        if len(better):
            v = str((sign * better["est"]).idxmax())
            r = better.loc[v]
            return Decision("adopt", v, f"{self.level:.0%} interval of the {self.metric} effect of {v} vs "
                            f"{self.control} is [{r.ci_lower:.4g}, {r.ci_upper:.4g}], beyond zero on the better side "
                            f"(p = {r.pvalue:.3g})", crit)
        worse = (t["ci_upper"] < 0) if self.higher_is_better else (t["ci_lower"] > 0)
        if worse.all():
            return Decision("keep_control", self.control, f"every challenger's {self.level:.0%} interval lies on "
                            f"the worse side of zero", crit)
        return Decision("inconclusive", None, f"no challenger's {self.level:.0%} interval excludes zero on the "
                        "better side; collect more data", crit)

    def plot(self, ax=None):
        """Forest plot of the absolute effects with their intervals; returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 1.2 + 0.5 * len(self._table)))
        t = self._table
        y = np.arange(len(t))
        est = t["est"].to_numpy(float)
        ax.errorbar(est, y, xerr=[est - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - est], fmt="o",
                    color=plotting.color(0), capsize=3)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, [f"{v} - {self.control}" for v in t.index])
        ax.set_xlabel(f"effect on the {self.metric} ({self.level:.0%} interval)")
        ax.set_title(self.method)
        return ax

    def __repr__(self) -> str:
        return f"<EffectResult {self.method} on {self.metric}: " + ", ".join(
            f"{v}: {r.est:.4g} [{r.ci_lower:.4g}, {r.ci_upper:.4g}]" for v, r in self._table.iterrows()) + ">"


def normal_abresult(arms: pd.DataFrame, control: str, *, metric: str, model: str, data_table, options: dict,
                    references, draws: int, seed, level: float, higher_is_better: bool,
                    methods_extra: str) -> ABResult:
    r"""Bayesian readout of Normal arms: :math:`\mu_v \mid \text{data} \sim N(m_v, v_v/n_v)` (flat prior).

    With two arms :math:`D = \mu_b - \mu_a \sim N(\hat\Delta, V)`, so
    :math:`P(b > a) = \Phi(\hat\Delta/\sqrt V)` and the expected losses are
    :math:`E[\max(-D, 0)]` and :math:`E[\max(D, 0)]`, both :math:`\sqrt V\,\varphi(z) \mp \hat\Delta\Phi(\mp z)`
    (the risk of GrowthBook's engine).
    """
    variants = list(arms.index)
    loc = arms["mean"].to_numpy(float)
    scale = np.sqrt(arms["var"].to_numpy(float) / arms["n"].to_numpy(float))

    def sampler(rng, size):
        return loc + scale * rng.standard_normal((size, len(variants)))

    exact = None
    if len(variants) == 2:
        mu, s = loc[1] - loc[0], float(np.hypot(scale[0], scale[1]))
        sg = 1.0 if higher_is_better else -1.0
        z = sg * mu / s
        p1 = float(stats.norm.cdf(z))  # P(variant 1 is better)
        loss1 = float(s * stats.norm.pdf(z) - sg * mu * stats.norm.cdf(-z))  # E[max(better0 - better1, 0)]
        loss0 = float(s * stats.norm.pdf(z) + sg * mu * stats.norm.cdf(z))
        other = variants[1] if control == variants[0] else variants[0]
        p_other_greater = float(stats.norm.cdf(mu / s)) if other == variants[1] else float(stats.norm.cdf(-mu / s))
        exact = {"prob_best": [1 - p1, p1], "expected_loss": [loss0, loss1], "prob_greater": {other: p_other_greater}}
    post = pd.DataFrame({"mean": loc, "sd": scale, "n": arms["n"].to_numpy(float)}, index=variants)
    return ABResult(metric=metric, variants=variants, control=control, sampler=sampler, draws=draws, seed=seed,
                    model=model, prior="flat prior on each arm's mean (Normal large-sample posterior)",
                    posterior=post, data_table=data_table, options=options, references=list(references),
                    exact=exact, means=loc, level=level, higher_is_better=higher_is_better,
                    methods_extra=methods_extra)


# ---------------------------------------------------------------------------------- shared checks
def read_frame(data, group: str, columns: list[str], what: str = "data", *, roles: dict | None = None) -> pd.DataFrame:
    """Check ``data`` (a DataFrame with the variant column ``group`` and numeric ``columns``,
    no missing or infinite values) and return a copy holding those columns only, group as text.

    ``roles`` maps a column to what it is (``"pre-period covariate"``) for the messages.
    """
    require_frame(data, what)
    require_unique_columns(data, what)
    if group is None:
        raise InputError(f"{what}: name the variant column with group=")
    require_columns(data, [group] + list(columns), what)
    require_consistent_ids(data, group, what)
    labels = data[group]
    if labels.isna().any():
        raise InputError(f"column {group!r} of {what} has {int(labels.isna().sum())} missing variant labels "
                         f"({rows_text(data.index[labels.isna().to_numpy()])})")
    if labels.map(str).nunique() != labels.nunique():
        raise InputError(f"column {group!r} of {what} has variant labels that differ but print alike")
    require_numeric(data, list(columns), what)
    roles = roles or {}
    out = pd.DataFrame({group: labels.map(str).to_numpy()})
    for c in columns:
        x = data[c].to_numpy(dtype=float, na_value=np.nan)
        role = roles.get(c, "column")
        na = data.index[np.isnan(x)]
        if len(na):
            hint = (": give every customer a pre-period value (e.g. 0, or the mean plus an indicator column "
                    "for 'no history', Deng et al. 2013)" if "pre-period" in role else "")
            raise InputError(f"{role} {c!r} of {what} has {len(na)} missing values ({rows_text(na)}){hint}")
        inf = data.index[np.isinf(x)]
        if len(inf):
            raise InputError(f"{role} {c!r} of {what} has {len(inf)} infinite values ({rows_text(inf)})")
        out[c] = x
    return out


def variants_of(frame: pd.DataFrame, group: str, control, what: str, min_n: int = 2) -> tuple[list[str], str]:
    """Sorted variant labels (at least two, each with ``min_n`` rows) and the control."""
    from ._checks import at_least_two, resolve_control
    sizes = frame[group].value_counts()
    variants = sorted(sizes.index)
    at_least_two(variants, what)
    small = [v for v in variants if sizes[v] < min_n]
    if small:
        raise InputError(f"variant(s) {small} of {what} have fewer than {min_n} rows "
                         f"({', '.join(f'{v}: {sizes[v]}' for v in small)}); a variance needs at least {min_n}")
    return variants, resolve_control(variants, control)


def label_column(data: pd.DataFrame, column, role: str) -> np.ndarray:
    """The labels of ``column`` (a segment, a cluster) as strings, refusing a missing column or
    missing labels (rows named)."""
    if not isinstance(column, str) or column not in data.columns:
        raise InputError(f"data lacks the {role} column {column!r}")
    values = data[column]
    if values.isna().any():
        raise InputError(f"{role} column {column!r} has {int(values.isna().sum())} missing values "
                         f"({rows_text(data.index[values.isna().to_numpy()])})")
    return values.map(str).to_numpy()


def check_flag(x, what: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise InputError(f"{what} must be True or False, got {x!r}")
    return bool(x)

