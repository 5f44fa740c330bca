r"""Many metrics and variants at once: multiplicity-adjusted p-values and the Bayesian bundle.

* :func:`adjust_pvalues`: Holm's (1979) step-down adjustment controls the family-wise error
  rate; Benjamini & Hochberg's (1995) step-up procedure controls the false discovery rate.
  Computed by ``statsmodels.stats.multitest.multipletests`` (Seabold & Perktold 2010).
* :func:`bundle_readout`: for Bayesian readouts of several metrics, the joint probability
  that the chosen variant beats the control on every metric at once,
  :math:`P(\bigcap_m \{\theta_{m,v} > \theta_{m,c}\})`, and the expected loss of the chosen
  bundle, :math:`E[\sum_m w_m \max(\theta_{m,c} - \theta_{m,v}, 0)]` (Stucchio 2015; signs
  reversed for metrics where lower is better).  The metrics' posteriors come from separate
  models, so their draws are independent: correlated metrics (conversion and revenue of the
  same users) make the joint probability approximate, which the methods text states.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Decision, Result
from .._validation import check_level, require_columns, require_frame, require_numeric, require_unique_columns, rows_text
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R
from .result import ABResult

__all__ = ["adjust_pvalues", "bundle_readout", "MultipleResult", "BundleResult"]

_METHODS = {"holm": ("holm", "Holm's step-down procedure", "family-wise error rate", R.HOLM),
            "bh": ("fdr_bh", "the Benjamini-Hochberg step-up procedure", "false discovery rate", R.BH)}


class MultipleResult(Result):
    """Adjusted p-values: ``summary()`` is the input table plus ``pvalue_adjusted`` and ``reject``."""

    def __init__(self, table, provenance, method, level, pvalue):
        self._table = table
        self._provenance = provenance
        self._warnings = []
        self.method, self.level, self._pcol = method, level, pvalue
        self._references = (_METHODS[method][3], R.SEABOLD)

    @property
    def params(self) -> pd.Series:
        """Adjusted p-values, indexed like the input rows."""
        return self._table["pvalue_adjusted"].copy()

    def methods_text(self) -> str:
        _, name, rate, ref = _METHODS[self.method]
        return (f"{len(self._table)} p-values were adjusted by {name} ({ref.cite}), controlling the {rate} at "
                f"{1 - self.level:.3g}; {int(self._table['reject'].sum())} remain significant. Computed with statsmodels "
                f"({R.SEABOLD.cite}) through cxmodels.")

    def decide(self) -> Decision:
        """``"significant"`` naming the rows that survive the adjustment, else ``"none_significant"``."""
        t = self._table
        hits = t.index[t["reject"]].tolist()
        crit = {"method": self.method, "alpha": 1 - self.level, "significant": hits}
        if hits:
            return Decision("significant", None, f"{len(hits)} of {len(t)} tests remain significant after "
                            f"{_METHODS[self.method][1]}: {hits[:10]}", crit)
        return Decision("none_significant", None, f"no test survives {_METHODS[self.method][1]} at "
                        f"{1 - self.level:.3g}", crit)

    def plot(self, ax=None):
        """Raw against adjusted p-values (log scale), the threshold marked; returns the Axes."""
        ax = plotting.axes(ax, figsize=(5, 4))
        t = self._table
        ax.scatter(t[self._pcol], t["pvalue_adjusted"], color=plotting.color(0))
        ax.axhline(1 - self.level, color="k", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("raw p-value")
        ax.set_ylabel("adjusted p-value")
        return ax


def adjust_pvalues(data, *, pvalue: str = "pvalue", method: str = "holm", level: float = 0.95) -> MultipleResult:
    """Adjust the p-values of many tests (metrics x variants) for multiplicity.

    Parameters
    ----------
    data : DataFrame
        One row per test (e.g. the ``summary()`` rows of several results, concatenated, with
        columns naming the metric and variant); its index labels the tests.
    pvalue : str
        Column of raw p-values.
    method : {"holm", "bh"}
        Holm (family-wise error) or Benjamini-Hochberg (false discovery rate).
    level : float
        ``1 - level`` is the error rate controlled (0.05 by default).

    Returns
    -------
    MultipleResult
    """
    level = check_level(level)
    if method not in _METHODS:
        raise InputError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    require_frame(data)
    require_unique_columns(data)
    require_columns(data, [pvalue])
    require_numeric(data, [pvalue])
    p = data[pvalue].to_numpy(dtype=float, na_value=np.nan)
    bad = data.index[~((p >= 0) & (p <= 1))]
    if len(bad):
        raise InputError(f"column {pvalue!r} has {len(bad)} values that are not p-values in [0, 1] ({rows_text(bad)})")
    if data.index.has_duplicates:
        raise InputError("the rows' index labels the tests and must not repeat; reset or rebuild it")
    import statsmodels.stats.multitest as mt
    reject, padj, _, _ = mt.multipletests(p, alpha=1 - level, method=_METHODS[method][0])
    table = data.copy()
    table["pvalue_adjusted"] = padj
    table["reject"] = reject
    prov = make_provenance(f"multiplicity adjustment ({method})", data[[pvalue]], {"method": method, "level": level})
    return MultipleResult(table, prov, method, level, pvalue)


class BundleResult(Result):
    """Joint Bayesian readout of one variant across several metrics.

    ``summary()`` has one row per metric (``prob_better``, ``expected_loss``, ``weight``) and a
    ``bundle`` row: the joint probability of beating the control on every metric and the
    weighted expected loss.
    """

    def __init__(self, table, provenance, variant, level, threshold_text):
        self._table = table
        self._provenance = provenance
        self._warnings = []
        self.variant, self.level = variant, level
        self._references = (R.STUCCHIO, R.GELMAN)
        self._threshold_text = threshold_text

    @property
    def params(self) -> pd.Series:
        return self._table["prob_better"].copy()

    @property
    def joint_probability(self) -> float:
        return float(self._table.loc["bundle", "prob_better"])

    @property
    def expected_loss(self) -> float:
        return float(self._table.loc["bundle", "expected_loss"])

    def methods_text(self) -> str:
        k = len(self._table) - 1
        return (f"The variant {self.variant} was judged on {k} metrics at once: the joint posterior probability that it "
                f"beats the control on every metric, and the weighted sum of its expected losses ({R.STUCCHIO.cite}), "
                f"from posterior draws of each metric's model ({R.GELMAN.cite}). The metrics' posteriors were drawn "
                "independently, so the joint probability ignores correlation between metrics measured on the same "
                "customers. Computed with cxmodels.")

    def decide(self, threshold: float = 0.95, max_loss: float | None = None) -> Decision:
        """Adopt the bundle when the joint probability reaches ``threshold`` (and the expected loss
        is at most ``max_loss``, if given); otherwise inconclusive."""
        if not 0 < threshold < 1:
            raise InputError(f"threshold must lie in (0, 1), got {threshold}")
        jp, el = self.joint_probability, self.expected_loss
        crit = {"threshold": threshold, "joint_probability": jp, "expected_loss": el, "max_loss": max_loss}
        if jp >= threshold and (max_loss is None or el <= max_loss):
            return Decision("adopt", self.variant, f"P({self.variant} beats the control on every metric) = {jp:.3f} "
                            f">= {threshold}; bundle expected loss {el:.4g}", crit)
        return Decision("inconclusive", None, f"P({self.variant} beats the control on every metric) = {jp:.3f} "
                        f"(threshold {threshold}), bundle expected loss {el:.4g}; collect more data", crit)

    def plot(self, ax=None):
        """P(better) per metric and for the bundle; returns the Axes."""
        ax = plotting.axes(ax, figsize=(6, 3))
        t = self._table
        ax.barh(t.index, t["prob_better"], color=[plotting.color(0)] * (len(t) - 1) + [plotting.color(1)])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"P({self.variant} better than control)")
        return ax


def bundle_readout(results, *, variant: str, weights=None, level: float = 0.95) -> BundleResult:
    """Joint probability and expected loss of shipping ``variant`` across several metrics.

    Parameters
    ----------
    results : mapping of str -> ABResult
        One Bayesian readout per metric (the same variants and control in each).
    variant : str
        The challenger to ship.
    weights : mapping of str -> float, optional
        Value of one unit of each metric (e.g. currency per point of conversion), to add the
        losses; default 1 for every metric (then the bundle loss adds unlike units).
    level : float
        Recorded with the readout (the per-metric HDIs are in each ABResult).

    Returns
    -------
    BundleResult
    """
    level = check_level(level)
    if not isinstance(results, dict) or not results:
        raise InputError("results must be a non-empty dict {metric name: ABResult}")
    for k, r in results.items():
        if not isinstance(r, ABResult):
            raise InputError(f"results[{k!r}] is a {type(r).__name__}, not an ABResult (a Bayesian readout)")
        if variant not in r.variants:
            raise InputError(f"variant {variant!r} is not in results[{k!r}] (variants {r.variants})")
        if variant == r.control:
            raise InputError(f"variant {variant!r} is the control of results[{k!r}]; choose a challenger")
    w = {k: 1.0 for k in results} if weights is None else dict(weights)
    if set(w) != set(results):
        raise InputError(f"weights must name exactly the metrics {sorted(results)}, got {sorted(w)}")
    for k, x in w.items():
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not np.isfinite(x) or x < 0:
            raise InputError(f"weight of {k!r} must be a non-negative number, got {x!r}")
    sizes = {len(r.draws) for r in results.values()}
    S = min(sizes)
    better, losses, rows = [], [], {}
    for k, r in results.items():
        d = r.draws
        diff = (d[variant].to_numpy()[:S] - d[r.control].to_numpy()[:S]) * (1 if r.higher_is_better else -1)
        better.append(diff > 0)
        loss = np.maximum(-diff, 0) * w[k]
        losses.append(loss)
        rows[k] = {"prob_better": float(np.mean(diff > 0)), "expected_loss": float(loss.mean()), "weight": w[k]}
    joint = np.logical_and.reduce(better)
    total = np.sum(losses, axis=0)
    rows["bundle"] = {"prob_better": float(joint.mean()), "expected_loss": float(total.mean()), "weight": np.nan}
    table = pd.DataFrame(rows).T
    table["mc_se"] = np.sqrt(table["prob_better"] * (1 - table["prob_better"]) / S)
    inputs = pd.DataFrame({"metric": list(results), "control": [r.control for r in results.values()],
                           "model": [r.model for r in results.values()]})
    prov = make_provenance("Bayesian bundle readout", inputs,
                           {"variant": variant, "weights": w, "draws": S, "level": level})
    return BundleResult(table, prov, variant, level, "")
