"""The fitted covariance-based core: start values, estimation on per-group arrays, the
baseline and saturated models, robust and observed information.

Kept apart from :mod:`.fit` (argument checks, the public ``fit_sem``) so that the result,
bootstrap and ordinal modules can refit without importing the public entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .estimate import (Discrepancy, GroupData, casewise_scores, em_saturated, make_blocks,
                       minimize, moment_blocks, numerical_hessian, weighted_moments)
from .model import RAMModel
from .partable import Variables

ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")


@dataclass
class Core:
    """A fitted RAM model and everything its inference needs."""

    table: pd.DataFrame
    variables: Variables
    model: RAMModel
    disc: Discrepancy
    data: list[GroupData]
    N: int
    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    message: str

    def info(self, theta=None) -> np.ndarray:
        return self.disc.value_grad_info(self.theta if theta is None else theta)[2]

    def grad(self, theta) -> np.ndarray:
        return self.disc.value_grad_info(theta, info=False)[1]


def _start_values(table: pd.DataFrame, v: Variables, S: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Starting values: ratio estimates of loadings, half the observed variances (lavaan)."""
    idx = {n: i for i, n in enumerate(v.observed)}
    q = int(table["pid"].max() + 1) if (table["pid"] >= 0).any() else 0
    theta = np.full(q, np.nan)
    g0 = table[table["group"] == 0]
    lv_var: dict[str, float] = {}
    loading: dict[tuple[str, str], float] = {}
    for f in v.latent:
        ind = [r for r in g0.itertuples() if r.op == "=~" and r.lhs == f and r.rhs in idx]
        if not ind:
            continue
        marker = ind[0].rhs
        mi = idx[marker]
        others = [r.rhs for r in ind[1:]]
        for j in others:
            ks = [k for k in others if k != j]
            if ks:
                k = idx[ks[0]]
                lam = S[idx[j], k] / S[mi, k] if abs(S[mi, k]) > 1e-12 else 1.0
            else:
                lam = 1.0
            loading[(f, j)] = float(np.clip(lam, -10, 10))
        phis = [S[mi, idx[j]] / loading[(f, j)] for j in others if abs(loading[(f, j)]) > 1e-8]
        phi = float(np.mean(phis)) if phis else 0.5 * S[mi, mi]
        lv_var[f] = phi if phi > 0 else 0.05
    for r in table.itertuples():
        if r.pid < 0 or not np.isnan(theta[r.pid]):
            continue
        if r.start is not None and not (isinstance(r.start, float) and np.isnan(r.start)):
            theta[r.pid] = r.start
        elif r.op == "=~":
            theta[r.pid] = loading.get((r.lhs, r.rhs), 1.0)
        elif r.op == "~":
            theta[r.pid] = 0.0
        elif r.op == "~~":
            if r.lhs != r.rhs:
                theta[r.pid] = 0.0
            elif r.lhs in idx:
                theta[r.pid] = 0.5 * S[idx[r.lhs], idx[r.lhs]]
            else:
                theta[r.pid] = lv_var.get(r.lhs, 0.05)
        elif r.op == "~1":
            theta[r.pid] = means[idx[r.lhs]] if r.lhs in idx else 0.0
    return np.nan_to_num(theta, nan=0.1)


def _group_arrays(data: pd.DataFrame, observed: list[str], group: str | None):
    if group is None:
        return [data[observed].to_numpy(dtype=float)], [None]
    labels = list(pd.unique(data[group].dropna()))
    return [data.loc[data[group] == lab, observed].to_numpy(dtype=float) for lab in labels], labels


def fit_core(table: pd.DataFrame, v: Variables, arrays: list[np.ndarray] | None, *, fiml: bool,
             meanstructure: bool, theta0: np.ndarray | None = None,
             weights: list[np.ndarray] | None = None, clusters: list[np.ndarray] | None = None,
             moments: list[tuple[np.ndarray, np.ndarray, int]] | None = None) -> Core:
    """Fit a compiled parameter table to per-group data arrays (rows complete unless ``fiml``).

    ``weights`` (normalised sampling weights per group) and ``clusters`` (integer cluster
    codes per group) ride along with the rows for the robust information; ``moments``
    (per-group ``(S, ybar, n)``, ``S`` with divisor ``n``) replaces ``arrays`` when only
    sample statistics are given.
    """
    G = len(arrays) if moments is None else len(moments)
    model = RAMModel(table, v, G, meanstructure)
    if moments is None:
        blocks, N = make_blocks(arrays, fiml, weights, clusters)
    else:
        blocks, N = moment_blocks(moments)
    # fixed.x: exogenous covariates take their (weighted) sample moments.
    xi = [v.observed.index(x) for x in v.exogenous_x]
    for g, gd in enumerate(blocks):
        if xi:
            if gd.Y is None or not fiml:
                S, means = gd.blocks[0].S[np.ix_(xi, xi)], gd.blocks[0].ybar[xi]
            else:  # FIML: the covariates are complete (checked), so their (weighted) moments
                S, means = weighted_moments(gd.Y[:, xi], gd.wt)
            for a, xa in enumerate(v.exogenous_x):
                model.set_fixed(g, xa, "~1", "", means[a])
                for b, xb in enumerate(v.exogenous_x):
                    model.set_fixed(g, xa, "~~", xb, S[a, b])
    disc = Discrepancy(model, blocks, N, meanstructure)
    if theta0 is None:
        if moments is None and weights is not None and not fiml:  # the weighted moments the fit uses
            S0, m0 = weighted_moments(np.vstack(arrays), np.concatenate(weights))
        elif moments is None:
            Y0 = np.vstack(arrays)
            S0, m0 = pd.DataFrame(Y0).cov(ddof=0).to_numpy(), np.nanmean(Y0, axis=0)
        else:  # the pooled moments, as the rows would give them
            n = np.array([k for _, _, k in moments], float)
            m0 = sum(k * m for (_, m, _), k in zip(moments, n)) / n.sum()
            S0 = sum(k * (S + np.outer(m - m0, m - m0)) for (S, m, _), k in zip(moments, n)) / n.sum()
        theta0 = _start_values(table, v, S0, m0)
    opt = minimize(disc, theta0)
    return Core(table, v, model, disc, blocks, N, opt.theta, opt.fmin, opt.converged,
                opt.iterations, opt.message)


def baseline_table(v: Variables, n_groups: int, meanstructure: bool) -> pd.DataFrame:
    """lavaan's baseline model: observed variances (and means) free, covariances zero,
    with the exogenous-covariate block fixed at its sample values as in the model."""
    rows = []
    for g in range(n_groups):
        for o in v.observed:
            exo = o in v.exogenous_x
            rows.append(dict(lhs=o, op="~~", rhs=o, group=g, free=not exo, value=np.nan, label="",
                             start=None, user=False, exo=exo))
        xs = v.exogenous_x
        for a in range(len(xs)):
            for b in range(a + 1, len(xs)):
                rows.append(dict(lhs=xs[a], op="~~", rhs=xs[b], group=g, free=False, value=np.nan,
                                 label="", start=None, user=False, exo=True))
        if meanstructure:
            for o in v.observed:
                exo = o in v.exogenous_x
                rows.append(dict(lhs=o, op="~1", rhs="", group=g, free=not exo, value=np.nan,
                                 label="", start=None, user=False, exo=exo))
    t = pd.DataFrame(rows)
    t["pid"] = -1
    t.loc[t["free"], "pid"] = np.arange(int(t["free"].sum()))
    return t


def saturated_table(v: Variables, n_groups: int, meanstructure: bool) -> pd.DataFrame:
    """The unrestricted model: every variance, covariance and mean free, except the moments
    among fixed exogenous covariates, which stay at their sample values as in the model (so
    the unrestricted model's information has no covariate block, as lavaan's ``h1`` with
    ``fixed.x``)."""
    rows = []
    obs, xs = v.observed, set(v.exogenous_x)
    for g in range(n_groups):
        for a in range(len(obs)):
            for b in range(a, len(obs)):
                exo = obs[a] in xs and obs[b] in xs
                rows.append(dict(lhs=obs[a], op="~~", rhs=obs[b], group=g, free=not exo, value=np.nan,
                                 label="", start=None, user=False, exo=exo))
        if meanstructure:
            for o in obs:
                rows.append(dict(lhs=o, op="~1", rhs="", group=g, free=o not in xs, value=np.nan,
                                 label="", start=None, user=False, exo=o in xs))
    t = pd.DataFrame(rows)
    t["pid"] = -1
    t.loc[t["free"], "pid"] = np.arange(int(t["free"].sum()))
    return t


def _saturated_moments(core: Core):
    """Unrestricted per-group moments: the (weighted) sample moments, or EM estimates under FIML."""
    out = []
    for gd in core.data:
        if gd.Y is not None and np.isnan(gd.Y).any():
            out.append(em_saturated(gd.Y, w=gd.wt))
        else:
            out.append((gd.blocks[0].S, gd.blocks[0].ybar))
    return out


def weighted_scores(core: Core) -> list[np.ndarray]:
    """Per group, the casewise scores times the sampling weights, summed within clusters.

    lavaan's ``lav_mvnorm_information_firstorder``: rows' scores are multiplied by their
    weights; with ``cluster`` they are summed within each cluster and multiplied by
    :math:`\\sqrt{C/(C-1)}` (``C`` clusters in the group), the small-sample correction of
    the cluster-robust sandwich (Williams 2000; Muthen & Satorra 1995).
    """
    if any(gd.Y is None for gd in core.data):
        raise ValueError("robust information needs the raw rows")
    scores = casewise_scores(core.model, core.data, core.theta)
    out, start = [], 0
    for gd in core.data:
        sc = scores[start:start + len(gd.Y)]
        start += len(gd.Y)
        if gd.wt is not None:
            sc = sc * gd.wt[:, None]
        if gd.cluster is not None:
            C = int(gd.cluster.max()) + 1
            summed = np.zeros((C, sc.shape[1]))
            np.add.at(summed, gd.cluster, sc)
            sc = summed * np.sqrt(C / (C - 1))
        out.append(sc)
    return out


def robust_pieces(core: Core, observed: bool = False):
    """``A`` (expected, or with ``observed`` the observed, information per observation) and
    ``B`` (cross-product of the casewise scores per observation, weighted and summed within
    clusters where the data have them: :func:`weighted_scores`): the bread and meat of the
    sandwich."""
    A = observed_information(core) if observed else core.info()
    B = sum(sc.T @ sc for sc in weighted_scores(core)) / core.N
    return A, B


def observed_information(core: Core) -> np.ndarray:
    """Half the Hessian of ``F`` (observed information per observation), numerically."""
    return 0.5 * numerical_hessian(core.grad, core.theta)


def structured_h1_information(core: Core, saturated: Core) -> np.ndarray:
    """``Delta' H1 Delta``: the unrestricted model's observed information ``H1`` (half the
    Hessian of its ``F`` on the sample moments) evaluated at ``core``'s implied moments, mapped
    to ``core``'s parameters by ``Delta``, the derivatives of the implied moments (lavaan's
    ``observed.information = "h1"`` with ``h1.information = "structured"``)."""
    theta_sat, rows = [], []
    jac = [core.model.jacobian(core.theta, g) for g in range(core.model.n_groups)]
    names = core.variables.observed
    for r in saturated.table.sort_values("pid").itertuples():
        if r.pid < 0:
            continue
        Sigma, mu, dS, dm = jac[r.group]
        i = names.index(r.lhs)
        if r.op == "~~":
            j = names.index(r.rhs)
            theta_sat.append(Sigma[i, j])
            rows.append(dS[:, i, j])
        else:
            theta_sat.append(mu[i])
            rows.append(dm[:, i])
    D = np.array(rows)
    H1 = observed_information(replace(saturated, theta=np.array(theta_sat)))
    return D.T @ H1 @ D
