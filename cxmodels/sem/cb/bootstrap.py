"""Nonparametric bootstrap for SEM: every parameter, defined parameters and the
direct, indirect and total effects, with percentile and bias-corrected intervals.

Each replicate resamples respondents within groups and refits by Fisher scoring
warm-started at the full-sample estimates, which converges in a few steps; the model is
compiled once and reused.  Replicates that fail to converge are dropped and counted
(Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13-14, for the
percentile and bias-corrected intervals; Preacher & Hayes 2008 for indirect effects).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ... import plotting
from ..._progress import Progress
from ..._results import Result
from ..._stats import bootstrap_interval
from ..._validation import check_count, check_level, resolve_seed
from ...errors import ConvergenceWarning, InputError, warn
from .. import references as R
from .core import fit_core
from .estimate import (BatchDiscrepancy, Discrepancy, make_blocks, minimize, minimize_batch,
                       numerical_hessian)

INTERVALS = ("percentile", "bc")


def _check_interval(interval) -> str:
    if interval not in INTERVALS:
        raise InputError(f"interval must be 'percentile' or 'bc' (bias-corrected), got {interval!r}")
    return interval


class BootstrapResult(Result):
    """Bootstrap draws of the free parameters of a fitted SEM and the quantities derived
    from them (see :func:`bootstrap`).

    ``summary()`` is the parameter table with bootstrap standard errors and intervals;
    ``params`` the full-sample estimates; ``provenance`` the parent fit's, with a
    ``bootstrap`` step holding ``n_boot`` and the seed (also in ``provenance.seed``).

    Attributes
    ----------
    theta : ndarray (n_ok, q)
        Free-parameter estimates of the replicates that converged.
    n_boot : int
        Replicates requested.
    n_failed : int
        Replicates that did not converge (dropped).
    seed : int or str
        The seed recorded.
    level : float
    interval : {"percentile", "bc"}
    """

    def __init__(self, result, theta, n_boot: int, n_failed: int, seed, level: float, interval: str):
        self.result, self.theta, self.n_boot, self.n_failed = result, theta, n_boot, n_failed
        self.seed, self.level, self.interval = seed, level, interval
        self._warnings = []
        self._references = (R.EFRON_TIBSHIRANI,)
        self._provenance = replace_seed(result.provenance.with_step(
            "bootstrap", seed=seed, n_boot=n_boot, level=level, interval=interval, n_failed=n_failed), seed)
        if n_failed:
            self._flag(f"{n_failed} of {n_boot} bootstrap replicates did not converge and were dropped",
                       ConvergenceWarning, converged=n_failed < n_boot)
        self._table = self._make_table(interval, level)

    def draws(self) -> pd.DataFrame:
        """One row per replicate, one column per table row (``"lhs op rhs"``) and defined parameter."""
        r = self.result
        vals = np.array([np.concatenate([r._row_values(th), r._defined_values(th)]) for th in self.theta])
        return pd.DataFrame(vals.reshape(len(self.theta), -1), columns=_row_names(r))

    def _make_table(self, interval: str, level: float) -> pd.DataFrame:
        tab = self.result.estimates(standardized=False)
        d = self.draws().to_numpy()
        if len(d) >= 2:
            lo, hi = bootstrap_interval(d, tab["est"].to_numpy(), level, interval)
            se = np.nanstd(d, axis=0, ddof=1)
        else:
            lo = hi = se = np.full(len(tab), np.nan)
        tab["boot_se"] = se
        tab["ci_lower"], tab["ci_upper"] = lo, hi
        fixed = ~tab["free"] & (tab["op"] != ":=")
        tab.loc[fixed, ["boot_se", "ci_lower", "ci_upper"]] = np.nan
        tab["interval"] = interval
        return tab.drop(columns=["z", "pvalue"])

    def summary(self, interval: str | None = None, level: float | None = None) -> pd.DataFrame:
        """The parameter table with bootstrap SE and interval for every free or defined row
        (``interval`` and ``level`` default to the ones the bootstrap was drawn with)."""
        if interval is None and level is None:
            return self._table.copy()
        return self._make_table(_check_interval(interval or self.interval),
                                check_level(self.level if level is None else level))

    @property
    def params(self) -> pd.Series:
        """Full-sample estimates, as the parent fit's ``params``."""
        return self.result.params

    def methods_text(self) -> str:
        return (f"Standard errors and {self.level:.0%} {'bias-corrected' if self.interval == 'bc' else 'percentile'} "
                f"intervals were obtained by a nonparametric bootstrap as described by {R.EFRON_TIBSHIRANI.cite}, with "
                f"{self.n_boot} replicates resampling respondents within groups (seed {self.seed}); "
                f"{len(self.theta)} replicates converged.")

    def plot(self, ax=None, **kwargs):
        """Estimates with their bootstrap intervals, one row per free or defined parameter."""
        tab = self._table[self._table["free"] | (self._table["op"] == ":=")]
        labels = [f"{a} {o} {b}" if o != ":=" else a for a, o, b in zip(tab["lhs"], tab["op"], tab["rhs"])]
        ax = plotting.axes(ax, figsize=(6.5, max(3.0, 0.25 * len(tab) + 1)))
        y = np.arange(len(tab))[::-1]
        ax.hlines(y, tab["ci_lower"], tab["ci_upper"], color=plotting.color(0))
        ax.plot(tab["est"], y, "o", color=plotting.color(0), ms=4)
        ax.set_yticks(y)
        ax.set_yticklabels(labels, fontsize="small")
        ax.set_xlabel(f"estimate with {self.level:.0%} bootstrap interval ({self.interval})")
        return ax


def replace_seed(prov, seed):
    """``prov`` with ``seed`` as its seed (the bootstrap result's own randomness)."""
    return dataclasses.replace(prov, seed=seed)


def _row_names(r) -> list[str]:
    t = r._core.table
    multi = r._core.model.n_groups > 1
    names = [f"{a} {o} {b}".strip() + (f" @{r.group_labels[g]}" if multi else "")
             for a, o, b, g in zip(t["lhs"], t["op"], t["rhs"], t["group"])]
    return names + [d[0] for d in r._defined]


def _draw_replicates(result, n_boot: int, rng, progress):
    sizes = [len(gd.Y) for gd in result._core.data]
    indices = [[rng.integers(0, m, m) for m in sizes] for _ in range(n_boot)]
    thetas = refit_replicates(result, indices, progress=progress)
    ok = ~np.isnan(thetas).any(axis=1)
    return thetas[ok], int((~ok).sum())


def bootstrap(result, n_boot: int = 1000, *, seed=None, level: float | None = None,
              interval: str = "percentile", progress=None) -> BootstrapResult:
    """Draw ``n_boot`` nonparametric bootstrap replicates of a fitted :class:`SEMResult`.

    Respondents are resampled within groups and the model refitted, warm-started at the
    full-sample estimates (Efron & Tibshirani 1993).  The seed (drawn when None) is
    recorded in the provenance of the returned result and of ``result``.
    """
    n_boot = check_count(n_boot, "n_boot", minimum=2)
    interval = _check_interval(interval)
    level = check_level(result.options["level"] if level is None else level)
    rng, recorded = resolve_seed(seed)
    theta, failed = _draw_replicates(result, n_boot, rng, progress)
    out = BootstrapResult(result, theta, n_boot, failed, recorded, level, interval)
    result._provenance = result.provenance.with_step("bootstrap", seed=recorded, n_boot=n_boot,
                                                     level=level, interval=interval, n_failed=failed)
    return out


def refit_replicates(result, indices, progress: bool = False) -> np.ndarray:
    """Refit ``result``'s model to resampled rows; one row of estimates per replicate.

    ``indices[r][g]`` are the row numbers of group ``g`` in replicate ``r``.  A replicate
    that fails to converge gives a row of NaN.
    """
    core = result._core
    fiml = result.options["missing"] == "fiml"
    if not fiml and not core.variables.exogenous_x:
        return _refit_batched(core, indices, progress)
    if core.variables.exogenous_x:
        refit = lambda arrays: fit_core(core.table, core.variables, arrays, fiml=fiml,
                                        meanstructure=core.model.meanstructure, theta0=core.theta)
    else:
        # Warm start: the full-sample estimates and observed Hessian; F to 1e-9 is far
        # finer than bootstrap error.
        H0 = _hessian_at_optimum(core)

        def refit(arrays):
            blocks, N = make_blocks(arrays, fiml)
            return minimize(Discrepancy(core.model, blocks, N, core.model.meanstructure), core.theta,
                            hessian0=H0, tol=1e-9)
    bar = Progress(len(indices), "bootstrap", progress)
    out = np.full((len(indices), core.model.n_free), np.nan)
    Ys = [gd.Y for gd in core.data]
    for k, idx in enumerate(indices):
        try:
            opt = refit([Y[i] for Y, i in zip(Ys, idx)])
            if opt.converged:
                out[k] = opt.theta
        except (FloatingPointError, np.linalg.LinAlgError):
            pass
        bar.update()
    return out


def _hessian_at_optimum(core) -> np.ndarray:
    """Observed Hessian of ``F`` at the full-sample estimates: the BFGS start of every replicate."""
    H = numerical_hessian(core.grad, core.theta)
    return H if np.linalg.eigvalsh(H).min() > 0 else 2 * core.info()


def _refit_batched(core, indices, progress: bool, chunk: int = 250) -> np.ndarray:
    """Complete data: refit all replicates in lockstep on stacked matrices (much faster)."""
    Ys = [gd.Y for gd in core.data]
    weights = [len(Y) / core.N for Y in Ys]
    H0 = _hessian_at_optimum(core)
    out = np.full((len(indices), core.model.n_free), np.nan)
    bar = Progress(len(indices), "bootstrap", progress)
    for start in range(0, len(indices), chunk):
        part = indices[start:start + chunk]
        S, ybar = [], []
        for g, Y in enumerate(Ys):
            X = np.stack([Y[idx[g]] for idx in part])            # R x n_g x p
            mu = X.mean(axis=1)
            Xc = X - mu[:, None, :]
            S.append(np.einsum("rni,rnj->rij", Xc, Xc) / X.shape[1])
            ybar.append(mu)
        disc = BatchDiscrepancy(core.model, S, ybar, weights, core.model.meanstructure)
        theta, ok = minimize_batch(disc, core.theta, H0, len(part), tol=1e-12)
        theta[~ok] = np.nan
        out[start:start + len(part)] = theta
        bar.update(len(part))
    return out


def _effects(result, theta: np.ndarray, g: int = 0):
    """Direct, indirect and total effects among variables in regressions (one group)."""
    model = result._core.model
    A, S, m = model.matrices(theta, g)
    t = result._core.table
    struct = sorted({model.index[v] for v in pd.concat([t.loc[t.op == "~", "lhs"], t.loc[t.op == "~", "rhs"]])})
    Bs = A[np.ix_(struct, struct)]
    total = np.linalg.inv(np.eye(len(struct)) - Bs) - np.eye(len(struct))
    B = np.linalg.inv(np.eye(model.n) - A)
    sd = np.sqrt(np.diag(B @ S @ B.T))[struct]
    scale = sd[None, :] / sd[:, None]
    names = [model.names[i] for i in struct]
    return names, Bs, total - Bs, total, scale


def effects_table(result, n_boot: int, seed, interval: str, level: float, progress) -> pd.DataFrame:
    """Direct/indirect/total effects and ``:=`` parameters with bootstrap intervals
    (``n_boot=0``: point estimates only, interval columns NaN)."""
    n_boot = check_count(n_boot, "n_boot", minimum=0)
    if n_boot == 1:
        raise InputError("n_boot must be 0 (no bootstrap) or at least 2, got 1")
    interval = _check_interval(interval)
    level = check_level(level)
    if n_boot:
        rng, recorded = resolve_seed(seed)
        boot_theta, failed = _draw_replicates(result, n_boot, rng, progress)
        if failed:  # the fit itself is unchanged: warn, and record the count with the step
            warn(f"{failed} of {n_boot} bootstrap replicates did not converge and were dropped", ConvergenceWarning)
        result._provenance = result.provenance.with_step(
            "indirect_effects bootstrap", seed=recorded, n_boot=n_boot, level=level, interval=interval,
            n_failed=failed)
    else:
        boot_theta = np.empty((0, result._core.model.n_free))

    theta = result._core.theta
    names, D, I, T, scale = _effects(result, theta)
    keys = [(y, x) for i, y in enumerate(names) for j, x in enumerate(names) if abs(T[i, j]) > 0 and i != j]
    pos = {v: k for k, v in enumerate(names)}

    def stack(th):
        _, d, ind, tot, _ = _effects(result, th)
        return np.array([[d[pos[y], pos[x]], ind[pos[y], pos[x]], tot[pos[y], pos[x]]] for y, x in keys]).ravel()

    est = stack(theta)
    draws = np.array([stack(th) for th in boot_theta]) if len(keys) else np.empty((len(boot_theta), 0))
    rows = []
    for k, (y, x) in enumerate(keys):
        for e, kind in enumerate(("direct", "indirect", "total")):
            rows.append({"effect": kind, "outcome": y, "predictor": x, "est": est[3 * k + e],
                         "std_all": est[3 * k + e] * scale[pos[y], pos[x]]})
    out = pd.DataFrame(rows, columns=["effect", "outcome", "predictor", "est", "std_all"])
    have = len(boot_theta) >= 2
    out["boot_se"], out["ci_lower"], out["ci_upper"] = np.nan, np.nan, np.nan
    if len(keys) and have:
        lo, hi = bootstrap_interval(draws, est, level, interval)
        out["boot_se"] = np.nanstd(draws, axis=0, ddof=1)
        out["ci_lower"], out["ci_upper"] = lo, hi
    if result._defined:
        d_est = result._defined_values(theta)
        if have:
            d_draws = np.array([result._defined_values(th) for th in boot_theta])
            lo, hi = bootstrap_interval(d_draws, d_est, level, interval)
            d_se = np.nanstd(d_draws, axis=0, ddof=1)
        else:
            lo = hi = d_se = np.full(len(d_est), np.nan)
        std = result._table.loc[result._table["op"] == ":=", "std_all"].to_numpy()
        defined = pd.DataFrame({"effect": "defined", "outcome": [d[0] for d in result._defined],
                                "predictor": [d[2] for d in result._defined], "est": d_est, "std_all": std,
                                "boot_se": d_se, "ci_lower": lo, "ci_upper": hi})
        out = pd.concat([out, defined], ignore_index=True)
    # Keep only effects the model's path structure allows (an indirect effect needs a mediator).
    P = (np.abs(D) > 0).astype(float)
    paths = np.linalg.inv(np.eye(len(names)) - P) - np.eye(len(names))
    allowed = {"direct": P, "indirect": paths - P, "total": paths}
    keep = [out["effect"].iloc[k] == "defined" or allowed[out["effect"].iloc[k]][pos[out["outcome"].iloc[k]],
            pos[out["predictor"].iloc[k]]] > 0.5 for k in range(len(out))]
    out = out[keep]
    out["interval"] = interval
    out["n_boot"] = len(boot_theta)
    return out.reset_index(drop=True)
