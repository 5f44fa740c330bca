r"""Ratio metrics by the delta method, capped metrics, and cluster-randomised experiments.

A ratio metric (revenue per session, tickets per customer) divides two sums over the
randomisation units: :math:`R_v = \bar m_v / \bar d_v`.  Its variance by the delta method
(Deng et al. 2018) is :math:`\operatorname{Var}(R_v) = \sigma^2_v / n_v` with the per-unit

.. math::

    \sigma^2_v = \frac{s^2_m}{\bar d^2} - 2\frac{\bar m\, s_{md}}{\bar d^3} + \frac{\bar m^2 s^2_d}{\bar d^4},

GrowthBook's ``RatioStatistic``.  Treating sessions as independent instead would understate
the variance whenever a user's sessions are alike.

A cluster-randomised experiment (stores assigned, customers measured) is the same estimator
with the cluster as the unit: :math:`m` the cluster's total outcome, :math:`d` its number of
customers (Donner & Klar 2000).  ``design_effect`` is the ratio of this variance to the one
that wrongly treats customers as independent.

A capped (winsorized) metric replaces outcomes above the ``quantile`` of the *pre-period*
values by that cap: choosing the cap on pre-experiment data keeps it independent of the
treatment, so the capped effect is an unbiased effect on a fixed transform (Kohavi et al.
2020, ch. 22).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_level, rows_text
from ..errors import InputError
from . import references as R
from .effects import EffectResult, compare_arms, label_column, read_frame, variants_of

__all__ = ["ratio_metric", "capped_means", "cluster_means"]


def _ratio_arm(m: np.ndarray, d: np.ndarray, v: str, what: str) -> dict:
    n = m.size
    md, dd = m.mean(), d.mean()
    if dd == 0:
        raise InputError(f"variant {v!r} has a zero denominator sum ({what}): the ratio is undefined; every unit "
                         "of the variant has a denominator of 0")
    sm, sd = m.var(ddof=1), d.var(ddof=1)
    smd = np.cov(m, d, ddof=1)[0, 1]
    var = sm / dd ** 2 - 2 * smd * md / dd ** 3 + md ** 2 * sd / dd ** 4
    return {"n": n, "mean": md / dd, "var": float(max(var, 0.0)), "unadjusted": md / dd,
            "numerator_mean": md, "denominator_mean": dd}


def ratio_metric(data, *, group: str, numerator: str, denominator: str, control=None, level: float = 0.95,
                 higher_is_better: bool = True, metric: str | None = None) -> EffectResult:
    """Effect on a ratio of sums (revenue per session) with delta-method variance (Deng et al. 2018).

    Parameters
    ----------
    data : DataFrame
        One row per randomisation unit (the customer): ``group`` (variant), ``numerator`` and
        ``denominator`` totals of that unit.  Units with a zero denominator count (a customer
        with no sessions adds nothing to either sum); negative denominators are refused.
    metric : str, optional
        Name in tables (default ``"numerator per denominator"``).

    Returns
    -------
    EffectResult
    """
    level = check_level(level)
    if numerator == denominator:
        raise InputError(f"numerator and denominator are the same column {numerator!r}")
    f = read_frame(data, group, [numerator, denominator], roles={numerator: "numerator", denominator: "denominator"})
    neg = data.index[f[denominator].to_numpy() < 0]
    if len(neg):
        raise InputError(f"denominator {denominator!r} has {len(neg)} negative values ({rows_text(neg)}); "
                         "a denominator counts sessions, visits or customers")
    variants, ctrl = variants_of(f, group, control, "ratio_metric")
    g = f[group].to_numpy()
    arms = pd.DataFrame({v: _ratio_arm(f[numerator].to_numpy()[g == v], f[denominator].to_numpy()[g == v], v,
                                       denominator) for v in variants}).T.astype(float)
    table = compare_arms(arms, ctrl, level)
    name = metric or f"{numerator} per {denominator}"
    methods = (f"The ratio {name} was compared per variant as a ratio of means over the randomisation units, with "
               f"delta-method variances ({R.DENG2018.cite}) and the unequal-variance t test of {R.WELCH.cite}.")
    return EffectResult(method="ratio metric (delta method)", table=table, arms=arms, data_table=f,
                        options={"numerator": numerator, "denominator": denominator}, references=[R.DENG2018, R.WELCH],
                        methods=methods, metric=name, control=ctrl, level=level, higher_is_better=higher_is_better)


def capped_means(data, *, group: str, value: str, pre: str, quantile: float = 0.99, control=None,
                 level: float = 0.95, higher_is_better: bool = True) -> EffectResult:
    """Effect on a winsorized mean, the cap being the ``quantile`` of the pre-period values.

    Parameters
    ----------
    value : str
        In-experiment outcome (revenue).
    pre : str
        The same metric before the experiment, from which the cap is chosen.
    quantile : float
        In (0.5, 1): 0.99 caps at the pre-period 99th percentile.

    Returns
    -------
    EffectResult
        ``cap`` is the cap used, ``arms["capped_share"]`` the share of each variant capped.
    """
    level = check_level(level)
    if isinstance(quantile, bool) or not isinstance(quantile, (int, float)) or not 0.5 < quantile < 1:
        raise InputError(f"quantile must lie in (0.5, 1), e.g. 0.99, got {quantile!r}")
    f = read_frame(data, group, [value, pre], roles={value: "outcome", pre: "pre-period covariate"})
    variants, ctrl = variants_of(f, group, control, "capped_means")
    cap = float(np.quantile(f[pre].to_numpy(), quantile))
    y = f[value].to_numpy()
    yc = np.minimum(y, cap)
    g = f[group].to_numpy()
    rows = {}
    for v in variants:
        m = g == v
        rows[v] = {"n": int(m.sum()), "mean": yc[m].mean(), "var": yc[m].var(ddof=1), "unadjusted": yc[m].mean(),
                   "raw_mean": y[m].mean(), "var_raw": y[m].var(ddof=1), "capped_share": float((y[m] > cap).mean())}
    arms = pd.DataFrame(rows).T.astype(float)
    if (arms["var"] == 0).any():
        raise InputError(f"the capped outcome {value!r} is constant within a variant (cap {cap:g}); lower the "
                         "quantile or analyse the raw metric")
    table = compare_arms(arms, ctrl, level)
    raw = compare_arms(arms.assign(mean=arms["raw_mean"], var=arms["var_raw"], unadjusted=arms["raw_mean"]), ctrl,
                       level)
    table["variance_reduction"] = 1 - (table["se"] / raw["se"]) ** 2
    table["raw_est"], table["raw_se"] = raw["est"], raw["se"]
    methods = (f"The outcome {value!r} was capped at {cap:.4g}, the {quantile:.1%} quantile of the pre-period "
               f"{pre!r} (chosen before the experiment, so the cap does not depend on the treatment; "
               f"{R.KOHAVI.cite}); {arms['capped_share'].mean():.2%} of customers were capped.")
    return EffectResult(method="capped (winsorized) mean", table=table, arms=arms, data_table=f,
                        options={"pre": pre, "quantile": quantile}, references=[R.KOHAVI, R.WELCH, R.DENG2018],
                        methods=methods, metric=f"{value} capped at {cap:.4g}", control=ctrl, level=level,
                        higher_is_better=higher_is_better, extras={"cap": cap})


def cluster_means(data, *, group: str, value: str, cluster: str, control=None, level: float = 0.95,
                  higher_is_better: bool = True) -> EffectResult:
    """Effect in a cluster-randomised experiment (stores assigned), analysed at the cluster level.

    The customer-level mean of each variant is the ratio of the clusters' outcome totals to
    their sizes, with the delta-method variance over clusters and Welch's degrees of freedom
    on the number of clusters (Donner & Klar 2000; Deng et al. 2018).

    Parameters
    ----------
    cluster : str
        The unit of assignment (store id); every cluster must sit in one variant.

    Returns
    -------
    EffectResult
        ``design_effect`` per challenger (variance at the cluster level over the naive
        customer-level variance) and ``icc`` (intra-cluster correlation, one-way ANOVA
        estimator).
    """
    level = check_level(level)
    f = read_frame(data, group, [value], roles={value: "outcome"})
    f["_cluster"] = label_column(data, cluster, "cluster")
    per = f.groupby("_cluster")[group].nunique()
    mixed = per.index[per > 1].tolist()
    if mixed:
        raise InputError(f"cluster(s) {mixed[:5]} of {cluster!r} hold customers of several variants: a "
                         "cluster-randomised analysis needs each cluster assigned to one variant")
    agg = f.groupby("_cluster").agg(v=(group, "first"), total=(value, "sum"), size=(value, "size"))
    variants, ctrl = variants_of(agg, "v", control, "cluster_means")
    arms, naive = {}, {}
    for v in variants:
        a = agg[agg.v == v]
        arms[v] = _ratio_arm(a.total.to_numpy(float), a["size"].to_numpy(float), v, "cluster sizes")
        y = f.loc[f[group] == v, value].to_numpy()
        naive[v] = {"n": y.size, "mean": y.mean(), "var": y.var(ddof=1), "unadjusted": y.mean()}
    arms = pd.DataFrame(arms).T.astype(float)
    arms = arms.rename(columns={"n": "n"})
    arms["customers"] = [naive[v]["n"] for v in variants]
    table = compare_arms(arms, ctrl, level)
    nv = compare_arms(pd.DataFrame(naive).T.astype(float), ctrl, level)
    table["design_effect"] = (table["se"] / nv["se"]) ** 2
    table["naive_se"] = nv["se"]
    # ICC by one-way ANOVA over clusters (Donner & Klar 2000, ch. 5)
    k, N = len(agg), len(f)
    grand = f[value].mean()
    cm = f.groupby("_cluster")[value].agg(["mean", "size", "var"])
    msb = (cm["size"] * (cm["mean"] - grand) ** 2).sum() / max(k - 1, 1)
    msw = ((cm["size"] - 1) * cm["var"].fillna(0)).sum() / max(N - k, 1)
    n0 = (N - (cm["size"] ** 2).sum() / N) / max(k - 1, 1)
    icc = float((msb - msw) / (msb + (n0 - 1) * msw)) if msb + (n0 - 1) * msw > 0 else np.nan
    methods = (f"Clusters ({cluster!r}; {k} in all) were the unit of randomisation and of analysis: each variant's "
               f"customer-level mean is the ratio of its clusters' totals to their sizes, with delta-method variance "
               f"({R.DENG2018.cite}) and the unequal-variance t test on the clusters ({R.DONNER.cite}; {R.WELCH.cite}). Intra-cluster correlation "
               f"{icc:.3f}; design effect {', '.join(f'{x:.2f}' for x in table['design_effect'])}.")
    res = EffectResult(method="cluster-level analysis", table=table, arms=arms, data_table=f,
                       options={"cluster": cluster}, references=[R.DONNER, R.DENG2018, R.WELCH], methods=methods,
                       metric=f"mean {value}", control=ctrl, level=level, higher_is_better=higher_is_better,
                       extras={"icc": icc, "design_effect": table["design_effect"].copy()})
    few = [v for v in variants if arms.loc[v, "n"] < 5]
    if few:
        res._flag(f"variant(s) {few} have fewer than 5 clusters: the t interval on so few clusters is rough")
    return res
