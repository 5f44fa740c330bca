"""Bootstrap of a fitted PLS path model: :func:`bootstrap_pls` and :class:`PLSBootstrapResult`.

Each replicate resamples respondents, re-standardizes and reruns the algorithm
warm-started at the full-sample weights.  Intervals are percentile and BCa, the latter
with the jackknife acceleration (Efron 1987, JASA 82, 171-185)::

    z0 = Phi^{-1}(#{theta*_b < theta} / B),   a = sum u^3 / (6 (sum u^2)^{3/2}),  u = mean(theta_(i)) - theta_(i)
    BCa bounds = quantiles of theta* at Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q)))

and ``t = estimate / bootstrap SE`` with a normal p-value (Efron & Tibshirani 1993).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import _validation as V
from ... import plotting
from ..._progress import Progress
from ..._results import Result
from ..._stats import bootstrap_interval, wald
from ...errors import CXModelsError, ConvergenceWarning, EstimationError
from ..measurement import reliability as rel
from . import references as R
from .engine import prepare

__all__ = ["bootstrap_pls", "PLSBootstrapResult"]


def _indirect_pairs(P: np.ndarray) -> list[tuple[int, int]]:
    paths = np.linalg.inv(np.eye(len(P)) - P) - np.eye(len(P))
    return [(j, i) for j in range(len(P)) for i in range(len(P)) if paths[j, i] - P[j, i] > 0.5]


def _statistic_rows(res) -> pd.DataFrame:
    """Row labels of the statistic: paths, loadings, weights, indirect effects, HTMT."""
    sp = res.spec
    rows = res._table[["lhs", "op", "rhs"]].copy()
    ind = pd.DataFrame([(sp.constructs[j], "ind", sp.constructs[i]) for j, i in _indirect_pairs(res._engine.P)],
                       columns=["lhs", "op", "rhs"])
    pairs = [(a, b) for k, a in enumerate(sp.constructs) for b in sp.constructs[k + 1:]]
    ht = pd.DataFrame([(a, "htmt", b) for a, b in pairs], columns=["lhs", "op", "rhs"])
    return pd.concat([rows, ind, ht], ignore_index=True)


def _statistic(res, X: np.ndarray, d: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """The statistic on one (resampled) data matrix with its rows' sampling weights ``d``
    (None: unweighted), and whether the algorithm converged."""
    eng = res._engine if d is None else res._engine.with_case_weights(d)
    e, ok = eng.estimates(prepare(X, res.options["standardize"], eng.case_weights), res.weights_)
    n_paths = int((eng.P > 0).sum())
    B = np.zeros_like(eng.P)
    B[eng.P > 0] = e[:n_paths]
    T = np.linalg.inv(np.eye(len(B)) - B) - np.eye(len(B))
    ind = [T[j, i] - B[j, i] for j, i in _indirect_pairs(eng.P)]
    sizes = [len(res.spec.blocks[c]) for c in res.spec.constructs]
    H = rel.htmt_matrix(X, sizes) if d is None else rel.htmt_from_corr(np.abs(eng._corr(X)), sizes)
    ht = H[np.triu_indices(len(H), 1)]
    out = np.concatenate([e, ind, ht])
    return out, bool(ok and np.all(np.isfinite(out)))


def _safe_statistic(res, X, d=None):
    """The statistic, or ``(None, False)`` for a replicate on which it does not exist
    (a constant item or no positively weighted rows, collinear construct scores)."""
    if d is not None and not np.any(d > 0):
        return None, False
    if np.any((X if d is None else X[d > 0]).std(axis=0) == 0):
        return None, False
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _statistic(res, X, d)
    except (CXModelsError, np.linalg.LinAlgError):
        return None, False


def _bca(D, est, jack, level):
    """BCa interval per column; bias correction only when there is no jackknife."""
    a_ = (1 - level) / 2
    lo, hi = np.empty(D.shape[1]), np.empty(D.shape[1])
    for k in range(D.shape[1]):
        d = D[:, k]
        prop = np.clip(np.mean(d < est[k]), 1 / (2 * len(d)), 1 - 1 / (2 * len(d)))
        z0 = stats.norm.ppf(prop)
        acc = 0.0
        if jack is not None:
            u = jack[:, k].mean() - jack[:, k]
            den = 6 * (np.sum(u ** 2)) ** 1.5
            acc = np.sum(u ** 3) / den if den > 0 else 0.0
        q = [stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z))) for z in (stats.norm.ppf(a_), stats.norm.ppf(1 - a_))]
        lo[k], hi[k] = np.quantile(d, q[0]), np.quantile(d, q[1])
    return lo, hi


def bootstrap_pls(result, n_boot: int = 1000, *, seed=None, level: float = 0.95, progress=None
                  ) -> "PLSBootstrapResult":
    """Bootstrap a :class:`~cxmodels.sem.pls.fit.PLSResult` (``result.bootstrap(...)`` calls this).

    Parameters
    ----------
    result : PLSResult
    n_boot : int
        Replicates (at least 2).
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).
    level : float
        Interval level.
    progress : bool or None
        Progress bar (None: on for a terminal).

    Returns
    -------
    PLSBootstrapResult
        Replicates on which the statistic does not exist (a constant resampled item,
        collinear construct scores) or that do not converge are dropped and counted in
        ``warnings`` (``converged=False``).
    """
    X, d = result._X, result.case_weights
    est0, _ = _safe_statistic(result, X, d)
    if est0 is None:
        raise EstimationError("the bootstrap statistic cannot be computed on the full sample")
    # respondents are resampled with their sampling weights (weighted PLS, Becker & Ismail 2016)
    return bootstrap_procedure(result, lambda Xb, db=None: _statistic(result, Xb, db), X, n_boot, seed=seed,
                               level=level, progress=progress, desc="PLS bootstrap", step="bootstrap", d=d,
                               rows=_statistic_rows(result), est0=est0)


def _safe(stat, X, d=None):
    """``stat(X)`` (or ``stat(X, d)`` with row weights), or ``(None, False)`` where it does not
    exist (a constant item among the positively weighted rows, collinear scores)."""
    if d is not None and not np.any(d > 0):
        return None, False
    if np.any((X if d is None else X[d > 0]).std(axis=0) == 0):
        return None, False
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            e, ok = stat(X) if d is None else stat(X, d)
    except (CXModelsError, np.linalg.LinAlgError, ValueError):
        return None, False
    return e, bool(ok and np.all(np.isfinite(e)))


def bootstrap_procedure(result, stat, X: np.ndarray, n_boot, *, seed, level, progress, desc: str,
                        step: str, jackknife: bool = True, d=None, rows: pd.DataFrame | None = None,
                        est0: np.ndarray | None = None) -> PLSBootstrapResult:
    """Bootstrap a whole estimation procedure ``stat(X) -> (vector, ok)`` over respondents.

    With row weights ``d`` each respondent is resampled with its weight and the procedure
    is called as ``stat(X*, d*)`` (weighted PLS; Becker & Ismail 2016).

    The rows of the table are ``result._table[["lhs", "op", "rhs"]]`` (``stat`` returns its
    values in that order).  Percentile and BCa intervals (jackknife acceleration for up to
    2,000 rows, as :func:`~cxmodels.sem.pls.bootstrap.bootstrap_pls`); ``t = est / SE``
    with a normal p-value (Efron & Tibshirani 1993)."""
    n_boot = V.check_count(n_boot, "n_boot", minimum=2)
    level = V.check_level(level)
    rng, recorded = V.resolve_seed(seed)
    if est0 is None:
        est0 = result._table["est"].to_numpy(float)
    N = len(X)
    draws, failed = [], 0
    bar = Progress(n_boot, desc, progress)
    for _ in range(n_boot):
        idx = rng.integers(0, N, N)
        e, ok = _safe(stat, X[idx], None if d is None else d[idx])
        if ok:
            draws.append(e)
        else:
            failed += 1
        bar.update()
    if len(draws) < 2:
        raise EstimationError(f"{failed} of {n_boot} bootstrap replicates failed (constant resampled items, "
                              "collinear construct scores or no convergence); no interval can be formed")
    D = np.asarray(draws)
    jack = None
    if jackknife and N <= 2000:
        leave = [_safe(stat, np.delete(X, i, axis=0), None if d is None else np.delete(d, i)) for i in range(N)]
        if all(ok for _, ok in leave):
            jack = np.array([e for e, _ in leave])
    table = (result._table[["lhs", "op", "rhs"]] if rows is None else rows).copy().reset_index(drop=True)
    table["est"] = est0
    table["boot_mean"] = D.mean(axis=0)
    table["boot_se"] = D.std(axis=0, ddof=1)
    w = wald(est0, table["boot_se"].to_numpy(), level)
    table["t"], table["pvalue"] = w["z"], w["pvalue"]
    table["ci_lower"], table["ci_upper"] = bootstrap_interval(D, est0, level, "percentile")
    table["bca_lower"], table["bca_upper"] = _bca(D, est0, jack, level)
    opts = dict(n_boot=n_boot, level=level, n_failed=failed, jackknife=jack is not None)
    result._provenance = result.provenance.with_step(step, seed=recorded, **opts)
    return PLSBootstrapResult(result, table, D, n_boot, failed, recorded, level)


class PLSBootstrapResult(Result):
    """Bootstrap standard errors and intervals of a PLS path model.

    ``summary()``: one row per path (``~``), loading (``=~``), weight (``<~``), indirect
    effect (``ind``) and HTMT ratio (``htmt``) with ``est``, ``boot_mean``, ``boot_se``,
    ``t``, ``pvalue``, percentile (``ci_lower``, ``ci_upper``) and BCa (``bca_lower``,
    ``bca_upper``) bounds.  ``provenance`` is the fit's with a ``bootstrap`` step and the
    bootstrap's seed.

    Attributes
    ----------
    draws : ndarray (n_ok, k)
        The statistic of each replicate kept.
    n_boot, n_failed : int
    seed : int or str
    level : float
    """

    def __init__(self, result, table, draws, n_boot, n_failed, seed, level):
        import dataclasses
        self.draws, self.n_boot, self.n_failed, self.seed, self.level = draws, n_boot, n_failed, seed, level
        self._table = table
        self._warnings = []
        self._references = (R.EFRON_TIBSHIRANI, R.EFRON_BCA)
        self._provenance = dataclasses.replace(result.provenance, seed=seed)
        self._weighted = result.case_weights is not None
        if n_failed:
            self._flag(f"{n_failed} of {n_boot} bootstrap replicates failed (a constant resampled item, collinear "
                       "construct scores or no convergence) and were dropped", ConvergenceWarning)

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{a} {o} {b}" for a, o, b in zip(t.lhs, t.op, t.rhs)])

    def methods_text(self) -> str:
        return (f"Standard errors, t values and {self.level:.0%} percentile and bias-corrected and accelerated "
                f"(BCa) intervals of the paths, loadings, weights, indirect effects and HTMT ratios were obtained "
                f"by a nonparametric bootstrap ({R.EFRON_TIBSHIRANI.cite}; BCa: {R.EFRON_BCA.cite}) with "
                f"{self.n_boot} replicates resampling respondents"
                + (" with their sampling weights" if self._weighted else "")
                + f" (seed {self.seed}); "
                f"{self.n_boot - self.n_failed} replicates were used.")

    def plot(self, ax=None):
        """Path coefficients with their percentile intervals (one row per path); returns the Axes."""
        tab = self._table[self._table["op"] == "~"]
        ax = plotting.axes(ax, figsize=(6.5, max(3.0, 0.3 * len(tab) + 1)))
        y = np.arange(len(tab))[::-1]
        ax.hlines(y, tab["ci_lower"], tab["ci_upper"], color=plotting.color(0))
        ax.plot(tab["est"], y, "o", color=plotting.color(0), ms=4)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{b} -> {a}" for a, b in zip(tab["lhs"], tab["rhs"])], fontsize="small")
        ax.set_xlabel(f"path coefficient with {self.level:.0%} bootstrap interval (percentile)")
        return ax
