r"""Key-driver analysis: the relative importance of touchpoints for an outcome.

Two decompositions of the regression's :math:`R^2` among p correlated drivers, both computed
from the correlation matrix (so they are those of the standardized regression):

* **Shapley value** (general dominance; Lindeman, Merenda & Gold 1980; Grömping 2007): the
  average gain in :math:`R^2` from adding driver j over all orders of entry,

  .. math:: \phi_j = \sum_{S \subseteq P\setminus\{j\}} \frac{|S|!\,(p-|S|-1)!}{p!}
            \left[R^2(S\cup\{j\}) - R^2(S)\right],

  exact over all :math:`2^p` subsets (``p <= 15``), with
  :math:`R^2(S) = r_{yS}^\top R_{SS}^{-1} r_{yS}`; the :math:`\phi_j` sum to the full :math:`R^2`.
* **Relative weights** (Johnson 2000): with :math:`R_{xx} = Q\Lambda Q^\top` and
  :math:`\Lambda_* = Q\Lambda^{1/2}Q^\top` (the correlations of the drivers with their closest
  orthogonal counterparts), :math:`\beta = \Lambda_*^{-1} r_{xy}` and
  :math:`\epsilon_j = \sum_k \Lambda_{*,jk}^2 \beta_k^2`; they also sum to :math:`R^2`.

Uncertainty comes from resampling respondents (``n_boot`` bootstrap replicates, percentile
intervals; Efron & Tibshirani 1993): each replicate recomputes both decompositions and the
ranks of the drivers, so a "top 3 touchpoints" comes with the probability that each driver
is among the top ``top`` and the interval of its rank.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .. import plotting
from .._progress import Progress
from .._results import Result
from .._stats import bootstrap_interval
from .._validation import (check_count, check_level, require_columns, require_finite, require_frame,
                           require_no_missing, require_not_constant, require_numeric, require_unique_columns,
                           resolve_seed)
from ..errors import EstimationError, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from .references import EFRON_1993, GROMPING_2007, JOHNSON_2000, LINDEMAN_1980

# the works of this module; they belong in drivers/references.py (owned by another module's
# maintainer when this was written), from where the lead may move them unchanged

MAX_SHAPLEY = 15
METHODS = ("shapley", "relative_weights")


def _subset_r2(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """:math:`R^2` of every subset of the p drivers, indexed by bitmask (``R2[0] = 0``).

    Subsets of one size are solved together (batched), so 2^15 subsets take well under a second.
    """
    p = len(r)
    out = np.zeros(2 ** p)
    for size in range(1, p + 1):
        combos = np.array(list(itertools.combinations(range(p), size)))
        Rs = R[combos[:, :, None], combos[:, None, :]]
        rs = r[combos]
        sol = np.linalg.solve(Rs, rs[..., None])[..., 0]
        masks = (1 << combos).sum(axis=1)
        out[masks] = np.einsum("ij,ij->i", rs, sol)
    return out


def _shapley_weights(p: int) -> np.ndarray:
    """The weight :math:`|S|!(p-|S|-1)!/p!` of each subset size."""
    return np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])


def shapley_r2(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Exact Shapley decomposition of :math:`R^2` from the driver correlations ``R`` and the
    driver-outcome correlations ``r`` (module docstring)."""
    p = len(r)
    r2 = _subset_r2(R, r)
    masks = np.arange(2 ** p)
    sizes = np.array([bin(m).count("1") for m in masks])
    w = _shapley_weights(p)
    phi = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        phi[j] = np.sum(w[sizes[without]] * (r2[without | (1 << j)] - r2[without]))
    return phi


def relative_weights(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from ``R`` and ``r`` (module docstring)."""
    vals, vecs = np.linalg.eigh(R)
    lam = vecs @ np.diag(np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    beta = np.linalg.solve(lam, r)
    return (lam ** 2) @ (beta ** 2)


def _decompose(X: np.ndarray, y: np.ndarray, methods) -> dict[str, np.ndarray]:
    C = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    R, r = C[:-1, :-1], C[:-1, -1]
    out = {}
    if "shapley" in methods:
        out["shapley"] = shapley_r2(R, r)
    if "relative_weights" in methods:
        out["relative_weights"] = relative_weights(R, r)
    return out


def _ranks(v: np.ndarray) -> np.ndarray:
    """Rank 1 = most important (ties broken by column order)."""
    return (-v).argsort(kind="stable").argsort() + 1


class KeyDriverResult(Result):
    """Relative importance of drivers: Shapley shares of :math:`R^2` and relative weights.

    ``summary()`` has one row per (method, driver): ``est`` (share of :math:`R^2`, summing to
    ``r2``), ``share`` (``est / r2``), ``se, lower, upper`` (bootstrap), ``rank`` with
    ``rank_lower, rank_upper`` and ``p_top`` (bootstrap probability of being among the top
    ``top``).  :meth:`top_drivers` reads the top ``top`` of one method.
    """

    def __init__(self, table, *, r2, r2_interval, level, n_boot, top, n, provenance, references, outcome, methods):
        self._table = table
        self.r2, self.r2_interval = r2, r2_interval
        self.level, self.n_boot, self.top, self.n = level, n_boot, top, n
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []
        self.outcome = outcome
        self.methods = methods

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{m}[{d}]" for m, d in t.index], name="est")

    def top_drivers(self, method: str | None = None) -> pd.DataFrame:
        """The ``top`` most important drivers by ``method`` with their rank intervals and ``p_top``."""
        method = self.methods[0] if method is None else method
        if method not in self.methods:
            raise InputError(f"method must be one of {self.methods}, got {method!r}")
        return self._table.loc[method].sort_values("rank").head(self.top).copy()

    def methods_text(self) -> str:
        p = self._table.index.get_level_values(1).nunique()
        parts = []
        if "shapley" in self.methods:
            parts.append(f"the Shapley decomposition of R2 of {LINDEMAN_1980.cite} and {GROMPING_2007.cite}, exact "
                         f"over all {2 ** p} subsets of drivers")
        if "relative_weights" in self.methods:
            parts.append(f"the relative weights of {JOHNSON_2000.cite}")
        text = (f"The relative importance of {p} drivers for {self.outcome!r} (n = {self.n}, R2 = {self.r2:.3f}) by "
                + " and by ".join(parts) + ".")
        if self.n_boot:
            text += (f" Intervals are {self.level:.0%} percentile intervals from {self.n_boot} bootstrap resamples of "
                     f"respondents as in {EFRON_1993.cite}, which also give each driver's rank interval and its "
                     f"probability of ranking among the top {self.top}.")
        return text

    def plot(self, ax=None, method: str | None = None):
        """Importance (share of R2) by driver with intervals, most important on top; returns the Axes."""
        method = self.methods[0] if method is None else method
        if method not in self.methods:
            raise InputError(f"method must be one of {self.methods}, got {method!r}")
        t = self._table.loc[method].sort_values("est")
        ax = plotting.axes(ax, figsize=(6.5, 0.8 + 0.35 * len(t)))
        y = np.arange(len(t))
        ax.barh(y, t["est"], color=plotting.color(0), alpha=0.7)
        if self.n_boot:
            ax.errorbar(t["est"], y, xerr=np.vstack([t["est"] - t["lower"], t["upper"] - t["est"]]), fmt="none",
                        color="black", capsize=3)
        ax.set_yticks(y, [f"{d} (rank {int(r)})" for d, r in zip(t.index, t["rank"])])
        ax.set_xlabel(f"share of R2 = {self.r2:.3f}" + (f" ({self.level:.0%} interval)" if self.n_boot else ""))
        ax.set_title({"shapley": "Shapley value decomposition", "relative_weights": "Relative weights"}[method])
        return ax


def key_drivers(data: pd.DataFrame, drivers, outcome: str, *, method="both", n_boot: int = 1000, top: int | None = None,
                seed=None, level: float = 0.95, progress=None) -> KeyDriverResult:
    """Relative importance of ``drivers`` (touchpoint ratings) for ``outcome`` (overall
    satisfaction or loyalty), with bootstrap intervals and rank uncertainty.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.  Missing values raise :class:`InputError`.
    drivers : list of str
        At least two driver columns (Shapley: at most 15, exact over all subsets).
    outcome : str
    method : {"both", "shapley", "relative_weights"}
    n_boot : int
        Bootstrap resamples of respondents (``0``: no intervals).
    top : int, optional
        Size of the "top" whose membership probability is reported (default 3, or p if fewer).
    seed, level, progress
        As everywhere (``docs/architecture.md``).

    Returns
    -------
    KeyDriverResult
    """
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot")
    if 0 < n_boot < 50:
        raise InputError(f"n_boot must be 0 or at least 50 for percentile intervals, got {n_boot}")
    data = require_frame(data)
    require_unique_columns(data)
    drivers = [drivers] if isinstance(drivers, str) else list(drivers)
    if len(drivers) < 2:
        raise InputError(f"key-driver analysis needs at least two drivers, got {drivers}")
    if len(set(drivers)) != len(drivers):
        raise InputError(f"drivers repeat a column: {drivers}")
    if not isinstance(outcome, str) or outcome in drivers:
        raise InputError(f"outcome must be one column name that is not a driver, got {outcome!r}")
    methods = {"both": METHODS, "shapley": ("shapley",), "relative_weights": ("relative_weights",)}.get(method)
    if methods is None:
        raise InputError(f"method must be 'both', 'shapley' or 'relative_weights', got {method!r}")
    if "shapley" in methods and len(drivers) > MAX_SHAPLEY:
        raise InputError(f"the exact Shapley decomposition takes at most {MAX_SHAPLEY} drivers (2^p subsets), got "
                         f"{len(drivers)}; use method='relative_weights'")
    top = min(3, len(drivers)) if top is None else check_count(top, "top", minimum=1)
    if top > len(drivers):
        raise InputError(f"top={top} exceeds the {len(drivers)} drivers")
    cols = drivers + [outcome]
    require_columns(data, cols)
    require_numeric(data, cols)
    require_no_missing(data, cols)
    require_finite(data, cols)
    n = len(data)
    if n < len(drivers) + 3:
        raise InputError(f"data has {n} rows; {len(drivers)} drivers need at least {len(drivers) + 3}")
    require_not_constant(data, cols)
    X = data[drivers].to_numpy(float)
    y = data[outcome].to_numpy(float)
    C = np.corrcoef(X, rowvar=False)
    vals = np.linalg.eigvalsh(C)
    if vals.min() < 1e-10 * vals.max():
        raise EstimationError(f"the drivers {drivers} are perfectly collinear (a driver is a linear combination of "
                              "others): their importance is not identified; drop one")
    est = _decompose(X, y, methods)
    r2 = float(next(iter(est.values())).sum())
    rng, seed_rec = resolve_seed(seed)
    a = (1 - level) / 2
    rows = []
    draws = {m: np.full((n_boot, len(drivers)), np.nan) for m in methods}
    r2_draws = np.full(n_boot, np.nan)
    failed = 0
    bar = Progress(n_boot, "bootstrap", progress)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        try:
            with np.errstate(all="ignore"):
                d = _decompose(X[idx], y[idx], methods)
        except np.linalg.LinAlgError:
            d = None
        if d is None or not all(np.isfinite(v).all() for v in d.values()):
            failed += 1  # a resample with a constant or collinear driver
        else:
            for m in methods:
                draws[m][b] = d[m]
            r2_draws[b] = next(iter(d.values())).sum()
        bar.update(1)
    for m in methods:
        ranks = _ranks(est[m])
        D = draws[m][~np.isnan(draws[m]).any(axis=1)]
        R = np.array([_ranks(v) for v in D]) if len(D) else np.empty((0, len(drivers)))
        if len(D):
            lo, hi = bootstrap_interval(D, est[m], level, "percentile")
        for j, name in enumerate(drivers):
            row = {"method": m, "driver": name, "est": est[m][j], "share": est[m][j] / r2, "rank": int(ranks[j])}
            if len(D):
                row.update(se=float(D[:, j].std(ddof=1)), lower=float(lo[j]), upper=float(hi[j]),
                           rank_lower=int(np.floor(np.quantile(R[:, j], a))),
                           rank_upper=int(np.ceil(np.quantile(R[:, j], 1 - a))), p_top=float(np.mean(R[:, j] <= top)))
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["method", "driver"])
    r2_iv = ((float(np.nanquantile(r2_draws, a)), float(np.nanquantile(r2_draws, 1 - a))) if n_boot
             else (np.nan, np.nan))
    prov = make_provenance("key-driver analysis", data[cols], {"drivers": drivers, "outcome": outcome,
                                                               "method": method, "top": top, "level": level},
                           seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, level=level)
    refs = ((LINDEMAN_1980, GROMPING_2007) if "shapley" in methods else ()) + \
        ((JOHNSON_2000,) if "relative_weights" in methods else ()) + ((EFRON_1993,) if n_boot else ())
    res = KeyDriverResult(table, r2=r2, r2_interval=r2_iv, level=level, n_boot=n_boot, top=top, n=n,
                          provenance=prov, references=refs, outcome=outcome, methods=methods)
    if n_boot and failed > 0.05 * n_boot:
        res._flag(f"{failed} of {n_boot} bootstrap resamples had a constant or collinear driver and were dropped: the "
                  "intervals rest on the rest", ImproperSolutionWarning)
    return res


__all__ = ["key_drivers", "KeyDriverResult", "shapley_r2", "relative_weights"]
