r"""The survey behind the programme: response rates and raking to known margins.

* :func:`response_rates`: the share of invited customers who answered, per group, with Wilson
  intervals and a chi-square test of equal rates (non-response that differs by group is what
  raking corrects).
* :func:`rake`: iterative proportional fitting of survey weights to known population margins
  (Deming & Stephan 1940): each pass rescales the weights so that, for one variable after the
  other, the weighted shares equal the targets; it stops when every margin is within ``tol``.
  With one variable this is post-stratification, :math:`w_i = P_{g(i)}/p_{g(i)}`; with two
  whose sample cells are proportional (:math:`n_{ij} = n\,r_i c_j`) the fixed point is the
  closed form :math:`w_{ij} = (R_i/r_i)(C_j/c_j)`.  The result reports Kish's (1965) design
  effect of the weights, :math:`1 + CV^2`, and the effective sample size.

Finite-population corrections and small-cell suppression live with the scorecard
(:func:`~cxmodels.metrics.scorecard`, ``population=`` and ``min_n=``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validation as V
from .. import plotting
from .._results import Result
from ..errors import ConvergenceWarning, InputError
from ..provenance import make_provenance
from .core import MetricResult, effective_n, wilson_interval
from .references import DEMING, KISH, WILSON


class RakingResult(Result):
    """Raked survey weights.

    ``weights`` is a Series aligned with the data's index (mean 1); ``summary()`` has one row per
    (variable, level): ``target``, ``sample`` (unweighted share), ``est`` (raked share),
    ``factor`` (mean weight in the level); ``design_effect`` and ``n_eff``; ``iterations``.
    """

    def __init__(self, table, weights, *, iterations, design_effect, n_eff, provenance, references):
        self._table = table
        self.weights = weights
        self.iterations, self.design_effect, self.n_eff = iterations, design_effect, n_eff
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    def methods_text(self) -> str:
        vars_ = list(dict.fromkeys(self._table.index.get_level_values(0)))
        return (f"Survey weights were raked to the population margins of {', '.join(map(str, vars_))} by the "
                f"iterative proportional fitting of {DEMING.cite} ({self.iterations} passes); the design effect of "
                f"the weights is {self.design_effect:.2f}, 1 + CV^2 as in {KISH.cite}, for an effective sample size of "
                f"{self.n_eff:.0f}.")

    def plot(self, ax=None):
        """Sample and raked shares against the targets, per level; returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(6.5, 0.8 + 0.35 * len(t)))
        y = np.arange(len(t))
        ax.scatter(t["sample"], y, color=plotting.color(1), label="sample", zorder=3)
        ax.scatter(t["est"], y, color=plotting.color(0), marker="x", label="raked", zorder=3)
        ax.scatter(t["target"], y, facecolors="none", edgecolors="black", s=60, label="target")
        ax.set_yticks(y, [f"{v}={lv}" for v, lv in t.index])
        ax.set_xlabel("share")
        ax.set_title(f"Raking (design effect {self.design_effect:.2f})")
        ax.legend(fontsize=8)
        return ax


def rake(data: pd.DataFrame, margins: dict, *, weights: str | None = None, max_iter: int = 200,
         tol: float = 1e-8) -> RakingResult:
    """Rake survey weights to known population margins (iterative proportional fitting).

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.
    margins : dict
        ``{column: {level: target}}``; targets are shares or counts (each margin is rescaled to
        sum to one).  Every level in the data needs a target and every target a respondent.
    weights : str, optional
        Column of starting (design) weights; equal weights otherwise.
    max_iter, tol
        Passes over the margins, and the largest absolute share error accepted.

    Returns
    -------
    RakingResult
    """
    data = V.require_frame(data)
    V.require_unique_columns(data)
    if not isinstance(margins, dict) or not margins:
        raise InputError("margins must be a non-empty dict {column: {level: target share or count}}")
    cols = list(margins)
    V.require_columns(data, cols + ([weights] if weights else []))
    if len(data) == 0:
        raise InputError("data has no rows")
    max_iter = V.check_count(max_iter, "max_iter", minimum=1)
    targets = {}
    for c, m in margins.items():
        if not isinstance(m, dict) or not m:
            raise InputError(f"margin {c!r} must be a non-empty dict {{level: target}}")
        try:
            t = pd.Series({k: float(v) for k, v in m.items()})
        except (TypeError, ValueError):
            raise InputError(f"margin {c!r} has targets that are not numbers") from None
        if (t < 0).any() or not np.isfinite(t).all() or t.sum() <= 0:
            raise InputError(f"margin {c!r} needs non-negative finite targets, not all zero")
        if data[c].isna().any():
            raise InputError(f"column {c!r} has missing values ({V.rows_text(data.index[data[c].isna()])}); "
                             "respondents without a level cannot be raked")
        levels = set(data[c].unique())
        extra = sorted(map(str, levels - set(t.index)))
        if extra:
            raise InputError(f"column {c!r} has levels {extra} with no target in margins")
        empty = sorted(map(str, set(t.index[t > 0]) - levels))
        if empty:
            raise InputError(f"margin {c!r}: levels {empty} have a target but no respondent: no weight can reach them")
        targets[c] = t / t.sum()
    if weights:
        V.require_numeric(data, [weights])
        V.require_no_missing(data, [weights])
        V.require_finite(data, [weights])
        w = data[weights].to_numpy(float).copy()
        if (w <= 0).any():
            raise InputError(f"column {weights!r} must hold positive weights")
    else:
        w = np.ones(len(data))
    codes = {c: pd.Categorical(data[c], categories=targets[c].index).codes for c in cols}
    it, err = 0, np.inf
    for it in range(1, max_iter + 1):
        for c in cols:
            tot = np.bincount(codes[c], weights=w, minlength=len(targets[c]))
            share = tot / w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(share > 0, targets[c].to_numpy() / share, 0.0)
            w = w * f[codes[c]]
        err = max(float(np.abs(np.bincount(codes[c], weights=w, minlength=len(targets[c])) / w.sum()
                               - targets[c].to_numpy()).max()) for c in cols)
        if err < tol:
            break
    w = w / w.mean()
    rows = []
    for c in cols:
        raked = np.bincount(codes[c], weights=w, minlength=len(targets[c])) / w.sum()
        sample = np.bincount(codes[c], minlength=len(targets[c])) / len(w)
        for j, lv in enumerate(targets[c].index):
            sel = codes[c] == j
            rows.append({"variable": c, "level": lv, "target": float(targets[c].iloc[j]), "sample": float(sample[j]),
                         "est": float(raked[j]), "factor": float(w[sel].mean()) if sel.any() else np.nan})
    table = pd.DataFrame(rows).set_index(["variable", "level"])
    n_eff = effective_n(w)
    deff = len(w) / n_eff
    prov = make_provenance("raking", data[cols + ([weights] if weights else [])],
                           {"margins": {c: targets[c].to_dict() for c in cols}, "weights": weights,
                            "max_iter": max_iter, "tol": tol})
    res = RakingResult(table, pd.Series(w, index=data.index, name="weight"), iterations=it, design_effect=deff,
                       n_eff=n_eff, provenance=prov, references=(DEMING, KISH))
    if err >= tol:
        res._flag(f"raking did not meet the margins within {tol:g} after {max_iter} passes (largest error "
                  f"{err:.2g}): the margins may be incompatible with the sample's empty cells", ConvergenceWarning)
    return res


class ResponseRateResult(MetricResult):
    """Response rates per group (a :class:`MetricResult`) with ``chi2`` and ``pvalue`` of equal rates."""

    def __init__(self, table, *, chi2: float, pvalue: float, **kwargs):
        super().__init__(table, **kwargs)
        self.chi2, self.pvalue = chi2, pvalue


def response_rates(data: pd.DataFrame, *, group: str, value: str, level: float = 0.95) -> ResponseRateResult:
    """Response rate per group: the share of invited customers (rows) with ``value`` true.

    Parameters
    ----------
    data : DataFrame
        One row per invited customer; ``value`` a 0/1 or boolean column "responded".
    group : str
    level : float

    Returns
    -------
    ResponseRateResult
        One row per group and ``overall``: ``est`` (rate), ``se``, ``lower, upper`` (Wilson),
        ``n`` (invited), ``responses``; ``chi2`` and ``pvalue`` of equal rates (Pearson).
    """
    level = V.check_level(level)
    data = V.require_frame(data)
    V.require_unique_columns(data)
    V.require_columns(data, [group, value])
    V.require_no_missing(data, [group, value])
    x = data[value]
    if not (pd.api.types.is_bool_dtype(x) or (pd.api.types.is_numeric_dtype(x) and x.isin([0, 1]).all())):
        raise InputError(f"column {value!r} must be 0/1 or boolean (responded or not)")
    x = x.astype(float)
    rows = []
    for g, grp in x.groupby(data[group], observed=True, sort=True):
        n, k = len(grp), float(grp.sum())
        p = k / n
        lo, hi = wilson_interval(p, n, level)
        rows.append({"group": g, "est": p, "se": np.sqrt(p * (1 - p) / n), "lower": lo, "upper": hi, "n": n,
                     "responses": k})
    if len(rows) < 1:
        raise InputError("data has no rows")
    n, k = len(x), float(x.sum())
    lo, hi = wilson_interval(k / n, n, level)
    rows.append({"group": "overall", "est": k / n, "se": np.sqrt(k / n * (1 - k / n) / n), "lower": lo, "upper": hi,
                 "n": n, "responses": k})
    table = pd.DataFrame(rows).set_index("group")
    obs = np.array([[r["responses"], r["n"] - r["responses"]] for r in rows[:-1]])
    if len(obs) >= 2 and (obs.sum(axis=0) > 0).all():
        chi2, pval, _, _ = stats.chi2_contingency(obs, correction=False)
    else:
        chi2, pval = np.nan, np.nan
    prov = make_provenance("response rates", data[[group, value]], {"group": group, "value": value, "level": level})
    text = (f"Response rates of {len(rows) - 1} groups ({int(n)} invited, {int(k)} responses) with {level:.0%} score "
            f"intervals of {WILSON.cite}" + (f"; a Pearson chi-square test of equal rates gives chi2 = {chi2:.2f}, "
                                             f"p = {pval:.3g}." if np.isfinite(chi2) else "."))
    return ResponseRateResult(table, chi2=float(chi2), pvalue=float(pval), metric="response rate", level=level,
                              provenance=prov, references=(WILSON,), methods=text, n=float(n),
                              xlabel=f"response rate ({level:.0%} interval)")


__all__ = ["rake", "RakingResult", "response_rates", "ResponseRateResult"]
