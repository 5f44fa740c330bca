r"""Variance reduction: CUPED / regression adjustment and post-stratification.

CUPED (Deng et al. 2013) subtracts from each customer's outcome :math:`y_i` the part its
pre-period covariates :math:`x_i` predict:

.. math::

    \hat\theta = \hat\Sigma_{xx}^{-1}\hat\Sigma_{xy}, \qquad
    \tilde m_v = \bar y_v - \hat\theta^\top(\bar x_v - \bar x), \qquad
    \operatorname{Var}(\tilde m_v) = \operatorname{Var}_v(y - \hat\theta^\top x)/n_v,

with :math:`\hat\theta` the slopes of the pooled regression over all variants (randomization
makes :math:`\bar x_v - \bar x` pure noise, so the effect stays unbiased).  With one covariate
:math:`\hat\theta = \operatorname{cov}(x, y)/\operatorname{var}(x)` and the variance of the
difference falls by about :math:`\rho^2_{xy}`, reported as ``variance_reduction``.  With two
variants this is GrowthBook's regression adjustment exactly.

Post-stratification (Miratrix et al. 2013) weights the within-stratum means by the strata's
shares :math:`w_s` in the whole experiment:
:math:`\tilde m_v = \sum_s w_s \bar y_{vs}`, :math:`\operatorname{Var}(\tilde m_v) = \sum_s
w_s^2 s^2_{vs}/n_{vs}`.

Metrics: ``"mean"`` (the value as given), ``"proportion"`` (0/1), ``"nps"`` (0-10 answers coded
promoter +1, passive 0, detractor -1, so the mean is NPS as a share) and ``"rating"`` (1..levels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_level
from ..errors import InputError
from . import references as R
from .effects import EffectResult, compare_arms, normal_abresult, read_frame, variants_of

__all__ = ["cuped", "cuped_from_stats", "cuped_bayes", "post_stratify", "per_respondent"]

METRICS = ("mean", "proportion", "nps", "rating")


def per_respondent(values: np.ndarray, metric: str, column: str, levels: int = 5) -> tuple[np.ndarray, str]:
    """Code each answer so the metric is its mean; returns the coded values and the metric's name."""
    x = np.asarray(values, float)
    if metric == "mean":
        return x, "mean"
    if metric == "proportion":
        bad = ~np.isin(x, (0.0, 1.0))
        if bad.any():
            raise InputError(f"metric='proportion' needs 0/1 values in {column!r}; {int(bad.sum())} are not "
                             f"(e.g. {x[bad][:3].tolist()})")
        return x, "proportion"
    if metric == "nps":
        bad = (x < 0) | (x > 10) | (x != np.round(x))
        if bad.any():
            raise InputError(f"metric='nps' needs 0-10 integer answers in {column!r}; {int(bad.sum())} are not "
                             f"(e.g. {x[bad][:3].tolist()})")
        return np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0)), "NPS (share)"
    if metric == "rating":
        if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
            raise InputError(f"levels must be a whole number of at least 2, got {levels!r}")
        bad = (x < 1) | (x > levels) | (x != np.round(x))
        if bad.any():
            raise InputError(f"metric='rating' needs integer ratings 1-{levels} in {column!r}; {int(bad.sum())} "
                             f"are not (e.g. {x[bad][:3].tolist()})")
        return x, "mean rating"
    raise InputError(f"metric must be one of {list(METRICS)}, got {metric!r}")


def _covariates(covariates) -> list[str]:
    cov = [covariates] if isinstance(covariates, str) else list(covariates) if covariates is not None else []
    if not cov:
        raise InputError("CUPED needs at least one pre-period covariate: covariates='pre_value' or a list of columns")
    if len(set(cov)) != len(cov):
        raise InputError(f"covariates {cov} repeat a column")
    return cov


def _cuped_arms(data, group, value, covariates, metric, levels, control, fname):
    cov = _covariates(covariates)
    if value in cov:
        raise InputError(f"the outcome {value!r} is also a covariate: a covariate must be measured before the "
                         "experiment (pre-period), never the outcome itself")
    f = read_frame(data, group, [value] + cov, roles={value: "outcome", **{c: "pre-period covariate" for c in cov}})
    y, mname = per_respondent(f[value].to_numpy(), metric, value, levels)
    variants, ctrl = variants_of(f, group, control, fname)
    X = f[cov].to_numpy(float)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    sxx = Xc.T @ Xc
    sxy = Xc.T @ yc
    rank = np.linalg.matrix_rank(sxx) if sxx.size else 0
    theta, *_ = np.linalg.lstsq(sxx, sxy, rcond=None)
    problems = []
    if rank < len(cov):
        const = [c for c, s in zip(cov, np.diag(sxx)) if s <= 0]
        problems.append(f"covariates {const or cov} are constant or collinear (rank {rank} of {len(cov)}): the "
                        "adjustment uses the minimum-norm slopes and removes little or no variance")
    resid = y - X @ theta
    g = f[group].to_numpy()
    xbar = X.mean(axis=0)
    rows = []
    for v in variants:
        m = g == v
        n = int(m.sum())
        rows.append({"n": n, "mean": float(y[m].mean() - (X[m].mean(axis=0) - xbar) @ theta),
                     "var": float(resid[m].var(ddof=1)), "unadjusted": float(y[m].mean()),
                     "var_raw": float(y[m].var(ddof=1))})
    arms = pd.DataFrame(rows, index=variants)
    if (arms["var_raw"] == 0).any():
        raise InputError(f"the outcome {value!r} is constant within variant(s) "
                         f"{arms.index[arms['var_raw'] == 0].tolist()}; there is no variance to test against")
    return arms, ctrl, theta, cov, mname, f, problems


def _adjusted_table(arms: pd.DataFrame, ctrl, level: float):
    """Effects of the adjusted arms beside the unadjusted ones, and the variance reduction
    1 - (se_adjusted / se_raw)^2 per challenger (also as text for the methods paragraph)."""
    table = compare_arms(arms, ctrl, level)
    raw = compare_arms(arms.assign(mean=arms["unadjusted"], var=arms["var_raw"]), ctrl, level)
    table["variance_reduction"] = 1 - (table["se"] / raw["se"]) ** 2
    table["raw_est"], table["raw_se"] = raw["est"], raw["se"]
    vr = ", ".join(f"{v}: {r:.1%}" for v, r in table["variance_reduction"].items())
    return table, vr


def cuped(data, *, group: str, value: str, covariates, metric: str = "mean", levels: int = 5, control=None,
          level: float = 0.95, higher_is_better: bool = True) -> EffectResult:
    """CUPED (regression-adjusted) treatment effects, frequentist (Deng et al. 2013).

    Parameters
    ----------
    data : DataFrame
        One row per customer: the variant (``group``), the in-experiment outcome (``value``)
        and the pre-period covariates.  Missing values are refused (see the message for what
        to do with customers without a history).
    covariates : str or list of str
        Pre-period columns (the same metric before the experiment is the usual choice).
    metric : {"mean", "proportion", "nps", "rating"}
        How ``value`` is read (see the module docstring).
    levels : int
        Highest rating, for ``metric="rating"``.
    control : str, optional
        Default: a variant named "control", else the first in sorted order.

    Returns
    -------
    EffectResult
        With ``variance_reduction`` per challenger, ``theta`` (the slopes) and ``arms``
        (adjusted and raw means and variances).
    """
    level = check_level(level)
    arms, ctrl, theta, cov, mname, f, problems = _cuped_arms(data, group, value, covariates, metric, levels,
                                                            control, "cuped")
    table, vr = _adjusted_table(arms, ctrl, level)
    methods = (f"Treatment effects were estimated with CUPED regression adjustment ({R.DENG2013.cite}) on the "
               f"pre-period covariate(s) {', '.join(cov)} (pooled slopes {np.round(theta, 4).tolist()}); the variance "
               f"of the effect fell by {vr} against the unadjusted difference. Intervals and p-values use the unequal-variance t "
               f"test of {R.WELCH.cite}; relative effects, the delta method of {R.DENG2018.cite}.")
    res = EffectResult(method="CUPED regression adjustment", table=table, arms=arms,
                       data_table=f, options={"covariates": cov, "metric": metric, "levels": levels},
                       references=[R.DENG2013, R.DENG2018, R.WELCH], methods=methods, metric=mname, control=ctrl,
                       level=level, higher_is_better=higher_is_better,
                       extras={"theta": pd.Series(theta, index=cov, name="theta")})
    for p in problems:
        res._flag(p)
    return res


# GrowthBook's names for the per-variant sufficient statistics of a CUPED metric
STATS_COLUMNS = ("n", "main_sum", "main_sum_squares", "covariate_sum", "covariate_sum_squares",
                 "main_covariate_sum_product")


def _read_stats(data, group):
    """Check the per-variant statistics frame; return (labels, float array of STATS_COLUMNS)."""
    from .._validation import require_columns, require_frame, require_numeric, require_unique_columns
    require_frame(data, "data")
    require_unique_columns(data, "data")
    cols = list(STATS_COLUMNS) + ([group] if group is not None else [])
    require_columns(data, cols, "data")
    require_numeric(data, list(STATS_COLUMNS), "data")
    labels = (data[group] if group is not None else pd.Series(data.index, index=data.index)).map(str)
    if labels.isna().any() or data.index.size == 0:
        raise InputError("data: every row needs a variant label (the index, or the column named by group=)")
    if labels.duplicated().any():
        raise InputError(f"data: variant(s) {sorted(set(labels[labels.duplicated()]))} appear on more than one "
                         "row; give one row of sufficient statistics per variant")
    S = data[list(STATS_COLUMNS)].to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(S)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"data: column {STATS_COLUMNS[c]!r} of variant {labels.iloc[r]!r} is missing or "
                         f"infinite ({int(bad.sum())} such cells)")
    n = S[:, 0]
    wrong = (n < 2) | (n != np.round(n))
    if wrong.any():
        txt = ", ".join(f"{v}: {k:g}" for v, k in zip(labels[wrong], n[wrong]))
        raise InputError(f"data: 'n' must be a whole number of at least 2 users per variant ({txt})")
    return labels.tolist(), S


def cuped_from_stats(data, *, group: str | None = None, control=None, level: float = 0.95,
                     higher_is_better: bool = True, covariate: str = "pre-period covariate",
                     metric: str = "mean") -> EffectResult:
    r"""CUPED (Deng et al. 2013) from per-variant sufficient statistics, one covariate.

    The same estimator as :func:`cuped` with one covariate, computed from sums alone, so a
    warehouse query (``COUNT``, ``SUM(y)``, ``SUM(y*y)``, ``SUM(x)``, ``SUM(x*x)``, ``SUM(x*y)``
    by variant) is enough for any number of users.  With pooled sums :math:`N, S_x, S_y,
    S_{xx}, S_{xy}` and per-variant sums :math:`n_v, s_{y,v}, \dots`:

    .. math::

        \hat\theta = \frac{S_{xy} - S_x S_y / N}{S_{xx} - S_x^2 / N}, \qquad
        \tilde m_v = \frac{s_{y,v}}{n_v} - \hat\theta\Big(\frac{s_{x,v}}{n_v} - \frac{S_x}{N}\Big),

    and the within-variant variance of :math:`y - \hat\theta x` is
    :math:`\hat\sigma^2_{y,v} - 2\hat\theta\hat\sigma_{xy,v} + \hat\theta^2\hat\sigma^2_{x,v}`
    (sample moments, ddof 1).  The result equals :func:`cuped` on the raw rows to rounding.

    Parameters
    ----------
    data : DataFrame
        One row per variant with columns ``n, main_sum, main_sum_squares, covariate_sum,
        covariate_sum_squares, main_covariate_sum_product`` (GrowthBook's names), sums of the
        metric already coded per user (0/1 for a proportion; +1/0/-1 for NPS).  Variants are
        the index, or the column named by ``group``.
    group : str, optional
        Column holding the variant labels (default: the index).
    control : str, optional
        Default: a variant named "control", else the first in sorted order.
    covariate, metric : str
        Names used in the summary and methods text only.

    Returns
    -------
    EffectResult
        As :func:`cuped`: ``variance_reduction``, ``theta`` and ``arms``.

    References
    ----------
    Deng, A., Xu, Y., Kohavi, R., & Walker, T. (2013). Improving the sensitivity of online
    controlled experiments by utilizing pre-experiment data. WSDM '13.
    """
    level = check_level(level)
    labels, S = _read_stats(data, group)
    order = np.argsort(labels, kind="stable")
    variants = [labels[i] for i in order]
    S = S[order]
    from ._checks import at_least_two, resolve_control
    at_least_two(variants, "cuped_from_stats")
    ctrl = resolve_control(variants, control)
    n, sy, syy, sx, sxx_, sxy_ = S.T
    # within-variant sample (co)variances; a negative variance means the sums do not belong together
    vy = (syy - sy ** 2 / n) / (n - 1)
    vx = (sxx_ - sx ** 2 / n) / (n - 1)
    cxy = (sxy_ - sx * sy / n) / (n - 1)
    tol = 1e-12 * np.maximum(np.abs(syy), np.abs(sxx_)) / (n - 1) + 1e-300
    for name, v in (("metric", vy), ("covariate", vx)):
        neg = v < -tol
        if neg.any():
            txt = ", ".join(f"{variants[i]}: {v[i]:.4g}" for i in np.flatnonzero(neg))
            raise InputError(f"data: the sums give a negative variance of the {name} ({txt}); sums and sums of "
                             "squares do not come from the same users")
    vy, vx = np.maximum(vy, 0), np.maximum(vx, 0)
    if (cxy ** 2 > vx * vy * (1 + 1e-9) + tol).any():
        raise InputError("data: the cross-product sums imply a correlation beyond [-1, 1]; "
                         "main_covariate_sum_product does not match the other sums")
    N, Sx, Sy = n.sum(), sx.sum(), sy.sum()
    pxx = sxx_.sum() - Sx ** 2 / N
    pxy = sxy_.sum() - Sx * Sy / N
    problems = []
    if pxx <= 1e-12 * max(abs(sxx_.sum()), 1e-300):
        theta = 0.0  # the minimum-norm slope, as the raw path
        problems.append(f"the covariate {covariate!r} is constant: the adjustment removes no variance")
    else:
        theta = pxy / pxx
    if (vy == 0).any():
        raise InputError(f"the metric is constant within variant(s) {[v for v, s in zip(variants, vy) if s == 0]}; "
                         "there is no variance to test against")
    xbar = Sx / N
    arms = pd.DataFrame({"n": n.astype(int), "mean": sy / n - (sx / n - xbar) * theta,
                         "var": np.maximum(vy - 2 * theta * cxy + theta ** 2 * vx, 0.0), "unadjusted": sy / n,
                         "var_raw": vy}, index=variants)
    table, vr = _adjusted_table(arms, ctrl, level)
    methods = (f"Treatment effects were estimated with CUPED regression adjustment ({R.DENG2013.cite}) on the "
               f"pre-period covariate {covariate} (pooled slope {np.round(theta, 4)}), from per-variant sufficient "
               f"statistics of {int(N)} users; the variance of the effect fell by {vr} against the unadjusted "
               f"difference. Intervals and p-values use the unequal-variance t test of {R.WELCH.cite}; relative "
               f"effects, the delta method of {R.DENG2018.cite}.")
    stats_table = pd.DataFrame(S, columns=list(STATS_COLUMNS), index=variants)
    res = EffectResult(method="CUPED regression adjustment", table=table, arms=arms, data_table=stats_table,
                       options={"covariates": [covariate], "metric": metric, "from": "sufficient statistics"},
                       references=[R.DENG2013, R.DENG2018, R.WELCH], methods=methods, metric=metric, control=ctrl,
                       level=level, higher_is_better=higher_is_better,
                       extras={"theta": pd.Series([theta], index=[covariate], name="theta")})
    for p in problems:
        res._flag(p)
    return res


def cuped_bayes(data, *, group: str, value: str, covariates, metric: str = "mean", levels: int = 5, control=None,
                draws: int = 20_000, seed=None, level: float = 0.95, higher_is_better: bool = True):
    """CUPED-adjusted Bayesian readout: P(best), expected loss and lift on the adjusted means.

    Each variant's adjusted mean has the large-sample posterior :math:`N(\\tilde m_v,
    \\operatorname{Var}(\\tilde m_v))` under a flat prior; with two variants P(best) and the
    expected loss are closed form (GrowthBook's chance to win and risk).  Arguments as
    :func:`cuped`, plus ``draws`` and ``seed`` for the Monte Carlo lift intervals.

    Returns
    -------
    ABResult
    """
    level = check_level(level)
    arms, ctrl, theta, cov, mname, f, problems = _cuped_arms(data, group, value, covariates, metric, levels,
                                                            control, "cuped_bayes")
    vr = 1 - (arms["var"] / arms["var_raw"]).mean()
    res = normal_abresult(arms, ctrl, metric=f"CUPED-adjusted {mname}", model="CUPED Normal", data_table=f,
                          options={"covariates": cov, "metric": metric}, references=[R.DENG2013, R.GELMAN, R.STUCCHIO],
                          draws=draws, seed=seed, level=level, higher_is_better=higher_is_better,
                          methods_extra=(f"Means were CUPED-adjusted ({R.DENG2013.cite}) on {', '.join(cov)}, which "
                                         f"removed {vr:.1%} of the within-variant variance."))
    res.theta = pd.Series(theta, index=cov, name="theta")
    res.variance_reduction = float(vr)
    for p in problems:
        res._flag(p)
    return res


def post_stratify(data, *, group: str, value: str, strata: str, metric: str = "mean", levels: int = 5,
                  control=None, level: float = 0.95, higher_is_better: bool = True) -> EffectResult:
    """Post-stratified treatment effects (Miratrix et al. 2013); arguments as :func:`cuped`
    except ``strata`` in place of ``covariates``.

    Parameters
    ----------
    strata : str
        A pre-treatment column (market, tenure band): every stratum needs at least two
        customers in every variant.

    Returns
    -------
    EffectResult
        With ``variance_reduction`` and ``weights`` (the strata's shares).
    """
    level = check_level(level)
    if not isinstance(strata, str):
        raise InputError(f"strata must name one column, got {strata!r}")
    f = read_frame(data, group, [value], roles={value: "outcome"})
    if strata not in data.columns:
        raise InputError(f"data lacks the strata column {strata!r}")
    s = data[strata]
    if s.isna().any():
        from .._validation import rows_text
        raise InputError(f"strata column {strata!r} has {int(s.isna().sum())} missing values "
                         f"({rows_text(data.index[s.isna().to_numpy()])})")
    f[strata] = s.map(str).to_numpy()
    y, mname = per_respondent(f[value].to_numpy(), metric, value, levels)
    f[value] = y
    variants, ctrl = variants_of(f, group, control, "post_stratify")
    cells = f.groupby([group, strata])[value].agg(["size", "mean", "var"])
    w = f[strata].value_counts(normalize=True).sort_index()
    small = [(v, st, int(cells.loc[(v, st), "size"]) if (v, st) in cells.index else 0)
             for v in variants for st in w.index if (v, st) not in cells.index or cells.loc[(v, st), "size"] < 2]
    if small:
        txt = ", ".join(f"{st!r} in {v!r} ({k} customer{'s' if k != 1 else ''})" for v, st, k in small[:5])
        raise InputError(f"post-stratification needs at least two customers per stratum and variant; {len(small)} "
                         f"cell(s) have fewer: {txt}. Merge small strata first")
    rows = []
    for v in variants:
        c = cells.loc[v].reindex(w.index)
        yv = y[f[group].to_numpy() == v]
        n = yv.size
        var_mean = float((w ** 2 * c["var"] / c["size"]).sum())
        rows.append({"n": n, "mean": float((w * c["mean"]).sum()), "var": var_mean * n,
                     "unadjusted": float(yv.mean()), "var_raw": float(yv.var(ddof=1))})
    arms = pd.DataFrame(rows, index=variants)
    if (arms["var_raw"] == 0).any():
        raise InputError(f"the outcome {value!r} is constant within a variant; there is no variance to test against")
    table = compare_arms(arms, ctrl, level)
    raw = compare_arms(arms.assign(mean=arms["unadjusted"], var=arms["var_raw"]), ctrl, level)
    table["variance_reduction"] = 1 - (table["se"] / raw["se"]) ** 2
    table["raw_est"], table["raw_se"] = raw["est"], raw["se"]
    methods = (f"Treatment effects were post-stratified on {strata!r} ({len(w)} strata weighted by their shares in "
               f"the experiment; {R.MIRATRIX.cite}), with the within-stratum variance of each variant's mean.")
    return EffectResult(method="post-stratification", table=table, arms=arms, data_table=f,
                        options={"strata": strata, "metric": metric}, references=[R.MIRATRIX, R.WELCH, R.DENG2018],
                        methods=methods, metric=mname, control=ctrl, level=level, higher_is_better=higher_is_better,
                        extras={"weights": w.rename("weight")})
