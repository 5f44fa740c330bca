"""The two-level normal likelihood of clustered data (customers nested in stores).

Variables measured on customers (level 1) split into a within part and a cluster part,
:math:`y_{ij} = \\mu_y + u_j + e_{ij}` with :math:`\\mathrm{Var}(e) = \\Sigma_W` and
:math:`\\mathrm{Var}(u) = \\Sigma_B`; variables measured on the cluster only (``z_j``,
between-only) join the cluster part.  Variables of the within level only have no ``u``.
With :math:`\\bar y_j` the cluster mean, :math:`W` the pooled within scatter,
:math:`x_j = (\\bar y_j, z_j)` and

.. math::

    V_n = \\begin{pmatrix} \\Sigma_B + \\Sigma_W / n & \\Sigma_{yz} \\\\
                          \\Sigma_{zy} & \\Sigma_{zz} \\end{pmatrix},

minus twice the log-likelihood is (McDonald & Goldstein 1989; Muthen 1994; lavaan's
``lav_mvnorm_cluster_loglik_samplestats_2l``, written here in the joint form)

.. math::

    -2\\ell = (N - C) \\log|\\Sigma_W| + \\mathrm{tr}(\\Sigma_W^{-1} W)
            + \\sum_j \\left[\\log|V_{n_j}| + (x_j - \\mu)' V_{n_j}^{-1} (x_j - \\mu)
            + p_y \\log n_j\\right] + (N p_y + C p_z) \\log 2\\pi .

Clusters of one size share :math:`V_n`, so the sum runs over the distinct sizes.  The
gradient is analytic in the trace form :math:`d(-2\\ell) = \\mathrm{tr}(G\\,dV)`:
:math:`G_n = C_n V_n^{-1} - V_n^{-1} D_n V_n^{-1}` with :math:`D_n` the scatter of the
:math:`x_j - \\mu` of size ``n``; the level matrices receive it through the (linear)
embedding of each level's variables into ``(y, z)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LOG2PI = float(np.log(2 * np.pi))


@dataclass
class ClusterData:
    """Sufficient statistics of clustered rows for the two-level likelihood.

    Attributes
    ----------
    within, between : list of str
        Observed variables of level 1 (``y``: within-only and both) and level 2 (both and
        between-only), in the order of each level's model.
    z : list of str
        Between-only variables (level 2 only), in level-2 order.
    N, C : int
        Rows and clusters.
    W : ndarray
        Pooled within-cluster scatter of ``y`` (sum over clusters of the centred cross-products).
    sizes : list of (n, X)
        For each distinct cluster size ``n``, the matrix of cluster rows ``(ybar_j, z_j)``.
    """

    within: list
    between: list
    z: list
    N: int
    C: int
    W: np.ndarray
    sizes: list
    E: np.ndarray  # (p_y + p_z) x p1: level-1 variables into x
    P: np.ndarray  # (p_y + p_z) x p2: level-2 variables into x
    Wc: list = None  # per size: the within scatter of each cluster, (c, p_y, p_y)

    @property
    def py(self) -> int:
        return len(self.within)

    @property
    def pz(self) -> int:
        return len(self.z)

    @property
    def both(self) -> list:
        return [v for v in self.between if v in self.within]


def cluster_data(data: pd.DataFrame, within: list, between: list, cluster: str) -> ClusterData:
    """Sufficient statistics of ``data`` (complete rows) grouped by ``cluster``."""
    z = [v for v in between if v not in within]
    codes, _ = pd.factorize(data[cluster], sort=False)
    Y = data[within].to_numpy(dtype=float)
    Z = data[z].to_numpy(dtype=float) if z else np.zeros((len(data), 0))
    C = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=C)
    sums = np.zeros((C, Y.shape[1]))
    np.add.at(sums, codes, Y)
    ybar = sums / counts[:, None]
    dev = Y - ybar[codes]
    W = dev.T @ dev
    zc = np.zeros((C, Z.shape[1]))
    zc[codes] = Z  # constant within clusters (checked before)
    X = np.hstack([ybar, zc])
    sizes = [(int(n), X[counts == n]) for n in np.unique(counts)]
    Wall = np.zeros((C, Y.shape[1], Y.shape[1]))
    np.add.at(Wall, codes, dev[:, :, None] * dev[:, None, :])
    Wc = [Wall[counts == n] for n, _ in sizes]
    py, pz = len(within), len(z)
    E = np.zeros((py + pz, py))
    E[:py, :py] = np.eye(py)
    P = np.zeros((py + pz, len(between)))
    for k, v in enumerate(between):
        P[within.index(v) if v in within else py + z.index(v), k] = 1.0
    return ClusterData(list(within), list(between), z, len(data), C, W, sizes, E, P, Wc)


def minus2ll(cd: ClusterData, S1, m1, S2, m2, grad: bool = False):
    """``-2 logL`` (constants included) at the level matrices, and optionally its gradient.

    Parameters
    ----------
    S1, m1 : ndarray
        Implied within covariance and mean part of the level-1 variables.
    S2, m2 : ndarray
        Implied between covariance and means of the level-2 variables.

    Returns
    -------
    float, or (float, (G1, g1, G2, g2))
        ``inf`` when a matrix is not positive definite.  The gradient is in trace form:
        ``d(-2logL) = sum(G1 * dS1) + g1 @ dm1 + sum(G2 * dS2) + g2 @ dm2``.
    """
    E, P = cd.E, cd.P
    mu = E @ m1 + P @ m2
    B = P @ S2 @ P.T
    SW = E @ S1 @ E.T
    try:
        Lw = np.linalg.cholesky(S1)
    except np.linalg.LinAlgError:
        return (np.inf, None) if grad else np.inf
    Swi = np.linalg.inv(S1)
    f = (cd.N - cd.C) * 2 * np.sum(np.log(np.diag(Lw))) + float(np.sum(Swi * cd.W))
    f += (cd.N * cd.py + cd.C * cd.pz) * LOG2PI
    Gx = np.zeros_like(B)
    GW = (cd.N - cd.C) * Swi - Swi @ cd.W @ Swi if grad else None
    gmu = np.zeros(len(mu))
    for n, X in cd.sizes:
        V = B + SW / n
        try:
            L = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            return (np.inf, None) if grad else np.inf
        Vi = np.linalg.inv(V)
        R = X - mu
        D = R.T @ R
        c = len(X)
        f += c * (2 * np.sum(np.log(np.diag(L))) + cd.py * np.log(n)) + float(np.sum(Vi * D))
        if grad:
            G = c * Vi - Vi @ D @ Vi
            Gx += G
            GW += E.T @ G @ E / n
            gmu += -2 * Vi @ R.sum(axis=0)
    if not grad:
        return float(f)
    return float(f), (GW, E.T @ gmu, P.T @ Gx @ P, P.T @ gmu)


def cluster_gradients(cd: ClusterData, S1, m1, S2, m2):
    r"""Each cluster's gradient of its ``-2 logL`` term in trace form, for sandwich
    (robust) standard errors: arrays ``(C, p1, p1)``, ``(C, p1)``, ``(C, p2, p2)``,
    ``(C, p2)``, clusters ordered by size as in ``cd.sizes``.  Cluster ``j`` contributes
    :math:`(n_j - 1)\log|\Sigma_W| + \mathrm{tr}(\Sigma_W^{-1} W_j) + \log|V_{n_j}| +
    d_j' V_{n_j}^{-1} d_j`."""
    E, P = cd.E, cd.P
    mu = E @ m1 + P @ m2
    B = P @ S2 @ P.T
    SW = E @ S1 @ E.T
    Swi = np.linalg.inv(S1)
    G1, g1, G2, g2 = [], [], [], []
    for (n, X), Wj in zip(cd.sizes, cd.Wc):
        Vi = np.linalg.inv(B + SW / n)
        a = (X - mu) @ Vi  # rows V^-1 d_j
        G = Vi[None] - a[:, :, None] * a[:, None, :]
        G1.append((n - 1) * Swi[None] - Swi[None] @ Wj @ Swi[None] + np.einsum("ai,cab,bj->cij", E, G, E) / n)
        G2.append(np.einsum("ai,cab,bj->cij", P, G, P))
        g1.append(-2 * a @ E)
        g2.append(-2 * a @ P)
    return np.concatenate(G1), np.concatenate(g1), np.concatenate(G2), np.concatenate(g2)
