"""Parameter maps of the two-level models: the structured model (one RAM model per level,
sharing one parameter vector), the unrestricted model (h1) and the baseline model, and the
optimizer that fits them on :func:`~cxmodels.sem.cb.twolevel_lik.minus2ll`.

Every model maps ``theta`` to ``(S1, m1, S2, m2)`` (see :mod:`.twolevel_lik`) and the
chain rule carries the trace-form gradient of the likelihood back to ``theta``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._numerics import hessian_from_gradient
from .model import RAMModel
from .partable import Variables
from .twolevel_lik import ClusterData, cluster_gradients, minus2ll


def _vech_index(p: int):
    return [(i, j) for j in range(p) for i in range(j, p)]


class PatternModel:
    """A linear model of the level matrices: each parameter is a set of entries.

    Used for the unrestricted model (every within and between covariance, the means of
    ``y`` and ``z``) and the baseline (variances only); fixed entries (the fixed.x
    moments) come from ``fixed``.
    """

    def __init__(self, cd: ClusterData, free_cov1, free_cov2, free_m1, free_m2, fixed=None):
        self.cd = cd
        p1, p2 = len(cd.within), len(cd.between)
        self.p1, self.p2 = p1, p2
        self.entries = ([("S1", i, j) for i, j in free_cov1] + [("S2", i, j) for i, j in free_cov2]
                        + [("m1", i, -1) for i in free_m1] + [("m2", i, -1) for i in free_m2])
        self.q = len(self.entries)
        base = fixed or (np.zeros((p1, p1)), np.zeros(p1), np.zeros((p2, p2)), np.zeros(p2))
        self.base = tuple(np.array(b, dtype=float) for b in base)

    def matrices(self, theta):
        S1, m1, S2, m2 = (b.copy() for b in self.base)
        mats = {"S1": S1, "m1": m1, "S2": S2, "m2": m2}
        for t, (kind, i, j) in zip(theta, self.entries):
            if j < 0:
                mats[kind][i] = t
            else:
                mats[kind][i, j] = mats[kind][j, i] = t
        return S1, m1, S2, m2

    def value(self, theta):
        return minus2ll(self.cd, *self.matrices(theta))

    def value_grad(self, theta):
        f, g = minus2ll(self.cd, *self.matrices(theta), grad=True)
        if g is None:
            return f, None
        mats = dict(zip(("S1", "m1", "S2", "m2"), g))
        out = np.empty(self.q)
        for k, (kind, i, j) in enumerate(self.entries):
            out[k] = mats[kind][i] if j < 0 else (mats[kind][i, j] * (1 if i == j else 2))
        return f, out

    def delta(self, S1, m1, S2, m2) -> np.ndarray:
        """This model's parameters at given level matrices (the unrestricted model's
        parameters at a structured model's implied moments); the means of variables on
        both levels are folded into the level-1 means, where this model keeps them."""
        cd = self.cd
        m1 = m1 + cd.E.T @ cd.P @ m2
        mats = {"S1": S1, "m1": m1, "S2": S2, "m2": m2}
        return np.array([mats[k][i] if j < 0 else mats[k][i, j] for k, i, j in self.entries])

    def scores(self, theta) -> np.ndarray:
        """Casewise (clusterwise) scores of ``logL``, ``(C, q)``."""
        G1, g1, G2, g2 = cluster_gradients(self.cd, *self.matrices(theta))
        mats = {"S1": G1, "m1": g1, "S2": G2, "m2": g2}
        out = np.empty((len(G1), self.q))
        for k, (kind, i, j) in enumerate(self.entries):
            out[:, k] = mats[kind][:, i] if j < 0 else mats[kind][:, i, j] * (1 if i == j else 2)
        return -out / 2


def unrestricted(cd: ClusterData, exo1=(), exo2=(), fixed=None) -> PatternModel:
    """The saturated two-level model (lavaan's h1): free within and between covariances,
    free means of the level-1 variables and of the between-only variables (the between
    means of variables on both levels are absorbed into the level-1 means).  With
    ``exo1``/``exo2`` (indices of fixed.x covariates) their block stays at ``fixed``."""
    p1, p2 = len(cd.within), len(cd.between)
    c1 = [(i, j) for i, j in _vech_index(p1) if not (i in exo1 and j in exo1)]
    c2 = [(i, j) for i, j in _vech_index(p2) if not (i in exo2 and j in exo2)]
    zi = [cd.between.index(v) for v in cd.z]
    return PatternModel(cd, c1, c2, [i for i in range(p1) if i not in exo1],
                        [i for i in zi if i not in exo2], fixed)


def baseline(cd: ClusterData, exo1, exo2, fixed, free_x1=(), free_x2=()) -> PatternModel:
    """lavaan's baseline for two levels: variances (and means) free on each level, no
    covariances except among the covariates: fixed at their h1 values (``exo1``/``exo2``,
    fixed.x) or free (``free_x1``/``free_x2``, without fixed.x)."""
    p1, p2 = len(cd.within), len(cd.between)
    zi = [cd.between.index(v) for v in cd.z]
    c1 = [(i, j) for i, j in _vech_index(p1) if i not in exo1 and (i == j or (i in free_x1 and j in free_x1))]
    c2 = [(i, j) for i, j in _vech_index(p2) if i not in exo2 and (i == j or (i in free_x2 and j in free_x2))]
    return PatternModel(cd, c1, c2, [i for i in range(p1) if i not in exo1], [i for i in zi if i not in exo2], fixed)


class TwoLevelRAM:
    """The structured model: a RAM model per level on one parameter vector (lavaan's two
    blocks); ``table`` rows carry ``level`` 1 or 2 and ``pid`` numbers the free parameters."""

    def __init__(self, cd: ClusterData, table: pd.DataFrame, v1: Variables, v2: Variables):
        self.cd = cd
        self.table = table
        self.q = int(table["pid"].max() + 1) if (table["pid"] >= 0).any() else 0
        self.rams = []
        for level, v in ((1, v1), (2, v2)):
            t = table[table["level"] == level].assign(group=0)
            ram = RAMModel(t, v, 1, True)
            ram.n_free = self.q  # the shared parameter vector, not this level's share of it
            ram.groups = [ram._compile(0)]
            self.rams.append(ram)
        # the level matrices follow ClusterData's variable order
        self.order = [[ram.index[n] for n in names] for ram, names in zip(self.rams, (cd.within, cd.between))]

    def matrices(self, theta):
        out = []
        for ram, order in zip(self.rams, self.order):
            S, m = ram.implied(theta, 0)
            out += [S[np.ix_(order, order)], m[order]]
        return tuple(out)

    def value(self, theta):
        return minus2ll(self.cd, *self.matrices(theta))

    def value_grad(self, theta):
        f, g = minus2ll(self.cd, *self.matrices(theta), grad=True)
        if g is None:
            return f, None
        G1, g1, G2, g2 = g
        out = np.zeros(self.q)
        for ram, order, G, gm in zip(self.rams, self.order, (G1, G2), (g1, g2)):
            _, _, dS, dm = ram.jacobian(theta, 0)
            dS, dm = dS[:, order][:, :, order], dm[:, order]
            out += np.tensordot(dS, G, axes=([1, 2], [0, 1])) + dm @ gm
        return f, out

    def scores(self, theta) -> np.ndarray:
        """Clusterwise scores of ``logL``, ``(C, q)``."""
        G1, g1, G2, g2 = cluster_gradients(self.cd, *self.matrices(theta))
        out = np.zeros((len(G1), self.q))
        for ram, order, G, gm in zip(self.rams, self.order, (G1, G2), (g1, g2)):
            _, _, dS, dm = ram.jacobian(theta, 0)
            dS, dm = dS[:, order][:, :, order], dm[:, order]
            out += np.einsum("qab,cab->cq", dS, G) + gm @ dm.T
        return -out / 2


@dataclass
class Fit2L:
    theta: np.ndarray
    f: float
    converged: bool
    iterations: int
    message: str


def optimize_2l(model, theta0, tol: float = 1e-10, max_iter: int = 300) -> Fit2L:
    """Quasi-Newton minimisation of ``-2logL`` with the analytic gradient.

    The first Hessian is the observed one (central differences of the gradient), damped
    toward gradient descent while it is not positive definite; later ones are BFGS updates,
    replaced by the observed Hessian when a step fails and before convergence is declared
    (the Newton decrement ``g' H^{-1} g / 2`` below ``tol`` on the observed Hessian).  Steps
    are halved until ``-2logL`` falls (Armijo).
    """
    theta = np.asarray(theta0, dtype=float).copy()
    f, g = model.value_grad(theta)
    if g is None or not np.isfinite(f):
        return Fit2L(theta, np.inf, False, 0, "the starting values give a non-positive-definite matrix")

    def grad(th):
        out = model.value_grad(th)[1]
        return out if out is not None else np.full(len(th), np.nan)

    def observed(th):
        H = hessian_from_gradient(grad, th, h=1e-6, relative=False)
        if not np.all(np.isfinite(H)):
            H = np.eye(len(th)) * max(1.0, float(np.abs(g).max()))
        ev = np.linalg.eigvalsh(H)
        if ev.min() <= 1e-8 * max(ev.max(), 1.0):
            H = H + (abs(ev.min()) + 1e-3 * max(ev.max(), 1.0)) * np.eye(len(th))
        return H

    H, exact = observed(theta), True
    for it in range(1, max_iter + 1):
        step = np.linalg.solve(H, -g)
        dec = -float(g @ step) / 2
        if 0 <= dec < tol:
            if exact:
                return Fit2L(theta, f, True, it - 1, "converged")
            H, exact = observed(theta), True
            continue
        if dec < 0:
            H, exact = observed(theta), True
            continue
        t, slope = 1.0, float(g @ step)
        while t > 1e-12:
            cand = theta + t * step
            fc = model.value(cand)
            if np.isfinite(fc) and fc <= f + 1e-4 * t * slope + 1e-12 * abs(f):
                break
            t *= 0.5
        else:
            if not exact:
                H, exact = observed(theta), True
                continue
            return Fit2L(theta, f, dec < 1e-6, it, "the line search failed")
        f_new, g_new = model.value_grad(cand)
        s_, y_ = cand - theta, g_new - g
        theta, f, g = cand, f_new, g_new
        sy = float(s_ @ y_)
        if sy > 1e-12:
            Hs = H @ s_
            H = H + np.outer(y_, y_) / sy - np.outer(Hs, Hs) / float(s_ @ Hs)
            exact = False
    return Fit2L(theta, f, False, max_iter, "the iteration limit was reached")
