r"""Heterogeneous effects: the treatment effect per segment, shrunk toward the average.

Each segment's raw effect :math:`d_s` (difference of means, with :math:`s_s^2` its Welch
variance) is read as a draw from a normal population of effects,

.. math::

    d_s \mid \delta_s \sim N(\delta_s, s_s^2), \qquad \delta_s \sim N(\mu, \tau^2),

with :math:`\mu, \tau^2` estimated by restricted maximum likelihood.  The empirical Bayes
posterior shrinks each segment toward :math:`\hat\mu` by :math:`B_s = s_s^2/(s_s^2 + \hat\tau^2)`;
following Morris (1983) the shrinkage is scaled by :math:`(K-3)/(K-1)` and the variance widened
for the uncertainty in :math:`\hat\mu` and :math:`\hat\tau^2`:

.. math::

    \tilde\delta_s = \hat\mu + (1 - \tilde B_s)(d_s - \hat\mu), \qquad
    V_s = s_s^2\Bigl(1 - \tfrac{K-1}{K}\tilde B_s\Bigr) + \tfrac{2}{K-3}\tilde B_s^2 (d_s - \hat\mu)^2.

Small segments borrow strength from the others instead of reporting their noisiest effects
(the segment that "won" by chance).  NPS and ratings are compared through their
per-respondent coding (:func:`cxmodels.ab.cuped.per_respondent`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import plotting
from .._results import Result
from .._validation import check_level
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R
from .cuped import per_respondent
from .effects import label_column, read_frame

__all__ = ["segment_effects", "SegmentResult"]


class SegmentResult(Result):
    """Effects per segment, raw and shrunk.

    ``summary()`` (index ``segment``): ``n_control, n_variant, raw, raw_se, raw_lower,
    raw_upper, est`` (shrunk), ``se, ci_lower, ci_upper, shrinkage`` (:math:`\\tilde B_s`, the
    share of the way pulled to the mean), ``level``.  ``mu`` and ``tau`` are the population mean
    and SD of the effects.
    """

    def __init__(self, table, provenance, level, mu, mu_se, tau, control, variant, metric):
        self._table = table
        self._provenance = provenance
        self._warnings = []
        self.level, self.mu, self.mu_se, self.tau = level, mu, mu_se, tau
        self.control, self.variant, self.metric = control, variant, metric
        self._references = (R.MORRIS, R.GELMAN, R.WELCH)

    def methods_text(self) -> str:
        k = len(self._table)
        return (f"Effects of {self.variant} against {self.control} on the {self.metric} were estimated in each of {k} "
                f"segments (difference of means with the unequal-variance standard error of {R.WELCH.cite}) and partially pooled with a normal "
                f"hierarchical model whose mean ({self.mu:.4g}) and between-segment SD ({self.tau:.4g}) were estimated "
                f"by restricted maximum likelihood; segment effects are the empirical Bayes posterior means with "
                f"Morris's corrections for the estimated hyperparameters ({R.MORRIS.cite}; {R.GELMAN.cite}, ch. 5), "
                f"with {self.level:.0%} intervals. Computed with cxmodels.")

    def plot(self, ax=None):
        """Raw and shrunk effect per segment with their intervals (shrinkage shown by arrows)."""
        t = self._table
        ax = plotting.axes(ax, figsize=(6.5, 1.2 + 0.45 * len(t)))
        y = np.arange(len(t))
        ax.errorbar(t["raw"], y + 0.15, xerr=[t["raw"] - t["raw_lower"], t["raw_upper"] - t["raw"]], fmt="o",
                    color=plotting.color(1), label="raw (per segment)", capsize=2)
        ax.errorbar(t["est"], y - 0.15, xerr=[t["est"] - t["ci_lower"], t["ci_upper"] - t["est"]], fmt="s",
                    color=plotting.color(0), label="partially pooled", capsize=2)
        for yi, a, b in zip(y, t["raw"], t["est"]):
            ax.annotate("", xy=(b, yi - 0.15), xytext=(a, yi + 0.15), arrowprops={"arrowstyle": "->", "color": "0.5"})
        ax.axvline(self.mu, color="k", lw=0.8, ls="--", label="population mean")
        ax.set_yticks(y, [str(s) for s in t.index])
        ax.set_xlabel(f"effect on {self.metric} ({self.level:.0%} interval)")
        ax.legend(frameon=False, fontsize=8)
        return ax


def _reml(d, v):
    def nll(t2):
        w = 1 / (v + t2)
        mu = np.sum(w * d) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t2)) + np.log(np.sum(w)) + np.sum(w * (d - mu) ** 2))
    hi = max(float(np.var(d)) * 10, float(v.max()) * 10, 1e-12)
    r = optimize.minimize_scalar(nll, bounds=(0.0, hi), method="bounded", options={"xatol": hi * 1e-9})
    t2 = float(r.x) if nll(r.x) < nll(0.0) else 0.0
    w = 1 / (v + t2)
    return float(np.sum(w * d) / np.sum(w)), float(np.sqrt(1 / np.sum(w))), t2


def segment_effects(data, *, group: str, value: str, segment: str, metric: str = "mean", levels: int = 5,
                    control=None, variant=None, level: float = 0.95) -> SegmentResult:
    """Treatment effect per segment with partial pooling (normal-normal empirical Bayes).

    Parameters
    ----------
    data : DataFrame
        One row per customer: variant (``group``), outcome (``value``), segment (``segment``).
    metric : {"mean", "proportion", "nps", "rating"}
        How ``value`` is read (see :func:`cxmodels.ab.cuped.per_respondent`).
    control, variant : str, optional
        The two variants compared (default: the control as elsewhere, and the only other one).

    Returns
    -------
    SegmentResult

    Raises
    ------
    InputError
        A segment with fewer than two customers in a variant; fewer than four segments (the
        between-segment variance needs them); more than two variants without ``variant``.
    """
    level = check_level(level)
    f = read_frame(data, group, [value], roles={value: "outcome"})
    f["_segment"] = label_column(data, segment, "segment")
    y, mname = per_respondent(f[value].to_numpy(), metric, value, levels)
    f[value] = y
    from ._checks import resolve_control
    variants = sorted(f[group].unique())
    if len(variants) < 2:
        raise InputError(f"segment_effects compares two variants; got {variants}")
    ctrl = resolve_control(variants, control)
    others = [v for v in variants if v != ctrl]
    if variant is None:
        if len(others) > 1:
            raise InputError(f"several challengers {others}: name the one to analyse with variant=")
        variant = others[0]
    elif str(variant) not in others:
        raise InputError(f"variant {variant!r} is not a challenger; challengers are {others}")
    variant = str(variant)
    cells = f[f[group].isin([ctrl, variant])].groupby(["_segment", group])[value].agg(["size", "mean", "var"])
    segs = sorted(f["_segment"].unique())
    small = []
    for s in segs:
        for v in (ctrl, variant):
            k = int(cells.loc[(s, v), "size"]) if (s, v) in cells.index else 0
            if k < 2:
                small.append(f"{s!r} has {k} customer{'s' if k != 1 else ''} in {v!r}")
    if small:
        raise InputError(f"every segment needs at least two customers per variant: {'; '.join(small[:5])}"
                         f"{' ...' if len(small) > 5 else ''}. Merge small segments first")
    K = len(segs)
    if K < 4:
        raise InputError(f"partial pooling needs at least four segments to estimate their spread; {segment!r} has {K}")
    c = cells.xs(ctrl, level=1).loc[segs]
    t = cells.xs(variant, level=1).loc[segs]
    d = (t["mean"] - c["mean"]).to_numpy()
    v = (t["var"] / t["size"] + c["var"] / c["size"]).to_numpy()
    if (v <= 0).any():
        raise InputError(f"the outcome is constant in segment(s) {[s for s, x in zip(segs, v) if x <= 0]}")
    mu, mu_se, t2 = _reml(d, v)
    B = (K - 3) / (K - 1) * v / (v + t2)
    est = mu + (1 - B) * (d - mu)
    var = v * (1 - (K - 1) / K * B) + 2 / (K - 3) * B ** 2 * (d - mu) ** 2 if K > 3 else v
    z = stats.norm.ppf(0.5 + level / 2)
    se, raw_se = np.sqrt(var), np.sqrt(v)
    table = pd.DataFrame({"n_control": c["size"].to_numpy(), "n_variant": t["size"].to_numpy(), "raw": d,
                          "raw_se": raw_se, "raw_lower": d - z * raw_se, "raw_upper": d + z * raw_se, "est": est,
                          "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se, "shrinkage": B,
                          "level": level}, index=pd.Index(segs, name="segment"))
    prov = make_provenance("normal-normal empirical Bayes by segment", f,
                           {"segment": segment, "metric": metric, "control": ctrl, "variant": variant, "level": level})
    # tau = 0 (no heterogeneity visible) is a boundary estimate, not a failure: the text says so
    return SegmentResult(table, prov, level, mu, mu_se, float(np.sqrt(t2)), ctrl, variant, mname)
