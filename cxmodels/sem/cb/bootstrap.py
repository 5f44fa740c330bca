"""Nonparametric bootstrap for SEM: every parameter, defined parameters and the
direct, indirect and total effects, with percentile and bias-corrected intervals.

Each replicate resamples respondents within groups and refits by Fisher scoring
warm-started at the full-sample estimates, which converges in a few steps; the model is
compiled once and reused.  Replicates that fail to converge are dropped and counted
(Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13-14, for the
percentile and bias-corrected intervals; Preacher & Hayes 2008 for indirect effects).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..._progress import Progress
from ..._validation import as_generator
from ..._stats import bootstrap_interval as interval
from ...errors import ConvergenceWarning, InputError
from .core import fit_core
from .estimate import (BatchDiscrepancy, Discrepancy, make_blocks, minimize, minimize_batch,
                       numerical_hessian)


@dataclass
class BootstrapResult:
    """Bootstrap draws of the free parameters and the quantities derived from them."""

    result: object
    theta: np.ndarray        # (n_ok, q)
    n_requested: int
    n_failed: int
    seed: object

    def draws(self) -> pd.DataFrame:
        """One row per replicate, one column per table row (``"lhs op rhs"``) and defined parameter."""
        r = self.result
        vals = np.array([np.concatenate([r._row_values(th), r._defined_values(th)]) for th in self.theta])
        return pd.DataFrame(vals, columns=_row_names(r))

    def summary(self, ci: str = "percentile", level: float = 0.95) -> pd.DataFrame:
        """The parameter table with bootstrap SE and interval for every free or defined row."""
        r = self.result
        tab = r.estimates(standardized=False)
        d = self.draws().to_numpy()
        lo, hi = interval(d, tab["est"].to_numpy(), level, ci)
        tab["boot_se"] = np.nanstd(d, axis=0, ddof=1)
        tab["ci_lower"], tab["ci_upper"] = lo, hi
        fixed = ~tab["free"] & (tab["op"] != ":=")
        tab.loc[fixed, ["boot_se", "ci_lower", "ci_upper"]] = np.nan
        tab["ci"] = ci
        return tab.drop(columns=["z", "pvalue"])


def _row_names(r) -> list[str]:
    t = r._core.table
    names = [f"{a} {o} {b}".strip() + (f" @{g + 1}" if r._core.model.n_groups > 1 else "")
             for a, o, b, g in zip(t["lhs"], t["op"], t["rhs"], t["group"])]
    return names + [d[0] for d in r._defined]


def bootstrap(result, n: int = 1000, *, seed=None, progress: bool = True) -> BootstrapResult:
    """Draw ``n`` nonparametric bootstrap replicates of a fitted :class:`SEMResult`."""
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"the number of bootstrap replicates must be an integer >= 2, got {n!r}")
    rng = as_generator(seed)
    sizes = [len(gd.Y) for gd in result._core.data]
    indices = [[rng.integers(0, m, m) for m in sizes] for _ in range(n)]
    thetas = refit_replicates(result, indices, progress=progress)
    ok = ~np.isnan(thetas).any(axis=1)
    failed = int((~ok).sum())
    if failed:
        msg = f"{failed} of {n} bootstrap replicates did not converge and were dropped"
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return BootstrapResult(result, thetas[ok], n, failed, seed)


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


def effects_table(result, n: int, seed, ci: str, level: float, progress: bool) -> pd.DataFrame:
    """Direct/indirect/total effects and ``:=`` parameters with bootstrap intervals."""
    boot = bootstrap(result, n=n, seed=seed, progress=progress)
    theta = result._core.theta
    names, D, I, T, scale = _effects(result, theta)
    keys = [(y, x) for i, y in enumerate(names) for j, x in enumerate(names) if abs(T[i, j]) > 0 and i != j]
    pos = {v: k for k, v in enumerate(names)}

    def stack(th):
        _, d, ind, tot, _ = _effects(result, th)
        return np.array([[d[pos[y], pos[x]], ind[pos[y], pos[x]], tot[pos[y], pos[x]]] for y, x in keys]).ravel()

    est = stack(theta)
    draws = np.array([stack(th) for th in boot.theta]) if len(keys) else np.empty((len(boot.theta), 0))
    rows = []
    for k, (y, x) in enumerate(keys):
        for e, kind in enumerate(("direct", "indirect", "total")):
            rows.append({"effect": kind, "outcome": y, "predictor": x, "est": est[3 * k + e],
                         "std_all": est[3 * k + e] * scale[pos[y], pos[x]]})
    out = pd.DataFrame(rows, columns=["effect", "outcome", "predictor", "est", "std_all"])
    if len(keys):
        lo, hi = interval(draws, est, level, ci)
        out["boot_se"] = np.nanstd(draws, axis=0, ddof=1)
        out["ci_lower"], out["ci_upper"] = lo, hi
    if result._defined:
        d_est = result._defined_values(theta)
        d_draws = np.array([result._defined_values(th) for th in boot.theta])
        lo, hi = interval(d_draws, d_est, level, ci)
        std = result._table.loc[result._table["op"] == ":=", "std_all"].to_numpy()
        defined = pd.DataFrame({"effect": "defined", "outcome": [d[0] for d in result._defined],
                                "predictor": [d[2] for d in result._defined], "est": d_est, "std_all": std,
                                "boot_se": np.nanstd(d_draws, axis=0, ddof=1), "ci_lower": lo, "ci_upper": hi})
        out = pd.concat([out, defined], ignore_index=True)
    # Keep only effects the model's path structure allows (an indirect effect needs a mediator).
    P = (np.abs(D) > 0).astype(float)
    paths = np.linalg.inv(np.eye(len(names)) - P) - np.eye(len(names))
    allowed = {"direct": P, "indirect": paths - P, "total": paths}
    keep = [out["effect"].iloc[k] == "defined" or allowed[out["effect"].iloc[k]][pos[out["outcome"].iloc[k]],
            pos[out["predictor"].iloc[k]]] > 0.5 for k in range(len(out))]
    out = out[keep]
    out["ci"] = ci
    out["n_boot"] = len(boot.theta)
    return out.reset_index(drop=True)
