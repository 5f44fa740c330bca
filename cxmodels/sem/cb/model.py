"""The reticular action model (RAM): implied moments and their derivatives.

With the model's variables ordered observed first, then latent, a group's model is

.. math::

    \\Sigma = F (I - A)^{-1} S (I - A)^{-T} F^T, \\qquad \\mu = F (I - A)^{-1} m,

where ``A`` holds loadings and regressions (``A[i, j]`` is the effect of ``j`` on
``i``), ``S`` the (residual) variances and covariances, ``m`` the intercepts and ``F``
selects the observed rows (McArdle & McDonald 1984, British Journal of Mathematical
and Statistical Psychology 37, 234-251).  Derivatives are analytic: with
``C = F (I-A)^{-1}`` and ``H = (I-A)^{-1} S C^T``,

.. math::

    \\partial\\Sigma / \\partial A_{ij} = C_{\\cdot i} H_{j \\cdot} + H_{j \\cdot}^T C_{\\cdot i}^T,
    \\quad \\partial\\Sigma / \\partial S_{ij} = C_{\\cdot i} C_{\\cdot j}^T + C_{\\cdot j} C_{\\cdot i}^T,
    \\quad \\partial\\mu / \\partial A_{ij} = C_{\\cdot i} ((I-A)^{-1} m)_j .
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .partable import Variables


@dataclass
class _GroupMap:
    a_rc: np.ndarray       # (e, 2) rows/cols of free A entries
    a_pid: np.ndarray
    s_rc: np.ndarray       # (e, 2) free S entries (one per symmetric pair)
    s_pid: np.ndarray
    m_r: np.ndarray
    m_pid: np.ndarray
    A0: np.ndarray         # fixed values (free entries zero)
    S0: np.ndarray
    m0: np.ndarray
    a_inc: np.ndarray      # incidence matrices, parameters x entries
    s_inc: np.ndarray
    m_inc: np.ndarray


class RAMModel:
    """Compiled parameter table: maps a parameter vector to each group's matrices."""

    def __init__(self, table: pd.DataFrame, variables: Variables, n_groups: int,
                 meanstructure: bool):
        self.table = table
        self.variables = variables
        self.n_groups = n_groups
        self.meanstructure = meanstructure
        self.names = variables.all
        self.index = {name: i for i, name in enumerate(self.names)}
        self.p = len(variables.observed)
        self.n = len(self.names)
        self.n_free = int(table["pid"].max() + 1) if (table["pid"] >= 0).any() else 0
        self.groups = [self._compile(g) for g in range(n_groups)]

    def _compile(self, g: int) -> _GroupMap:
        n, idx = self.n, self.index
        A0, S0, m0 = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
        a_rc, a_pid, s_rc, s_pid, m_r, m_pid = [], [], [], [], [], []
        rows = self.table[self.table["group"] == g]
        for r in rows.itertuples():
            free = r.pid >= 0
            val = 0.0 if (free or np.isnan(r.value)) else r.value
            if r.op == "=~":
                i, j = idx[r.rhs], idx[r.lhs]
                (a_rc.append((i, j)), a_pid.append(r.pid)) if free else A0.__setitem__((i, j), val)
            elif r.op == "~":
                i, j = idx[r.lhs], idx[r.rhs]
                (a_rc.append((i, j)), a_pid.append(r.pid)) if free else A0.__setitem__((i, j), val)
            elif r.op == "~~":
                i, j = idx[r.lhs], idx[r.rhs]
                if free:
                    s_rc.append((i, j))
                    s_pid.append(r.pid)
                else:
                    S0[i, j] = S0[j, i] = val
            elif r.op == "~1":
                i = idx[r.lhs]
                if free:
                    m_r.append(i)
                    m_pid.append(r.pid)
                else:
                    m0[i] = val
        as_rc = lambda x: np.asarray(x, dtype=int).reshape(-1, 2)
        return _GroupMap(as_rc(a_rc), np.asarray(a_pid, int), as_rc(s_rc), np.asarray(s_pid, int),
                         np.asarray(m_r, int), np.asarray(m_pid, int), A0, S0, m0,
                         self._incidence(a_pid), self._incidence(s_pid), self._incidence(m_pid))

    def _incidence(self, pids) -> np.ndarray:
        """0/1 matrix (q x entries): summing entries that share a parameter (equality)."""
        M = np.zeros((self.n_free, len(pids)))
        M[np.asarray(pids, int), np.arange(len(pids))] = 1.0
        return M

    def set_fixed(self, g: int, lhs: str, op: str, rhs: str, value: float) -> None:
        """Set a fixed entry (used for fixed.x sample moments)."""
        gm, i = self.groups[g], self.index[lhs]
        if op == "~~":
            j = self.index[rhs]
            gm.S0[i, j] = gm.S0[j, i] = value
        elif op == "~1":
            gm.m0[i] = value

    # ------------------------------------------------------------------ matrices
    def matrices(self, theta: np.ndarray, g: int):
        """``(A, S, m)`` of group ``g`` at ``theta``."""
        gm = self.groups[g]
        A, S, m = gm.A0.copy(), gm.S0.copy(), gm.m0.copy()
        if len(gm.a_pid):
            A[gm.a_rc[:, 0], gm.a_rc[:, 1]] = theta[gm.a_pid]
        if len(gm.s_pid):
            S[gm.s_rc[:, 0], gm.s_rc[:, 1]] = theta[gm.s_pid]
            S[gm.s_rc[:, 1], gm.s_rc[:, 0]] = theta[gm.s_pid]
        if len(gm.m_pid):
            m[gm.m_r] = theta[gm.m_pid]
        return A, S, m

    def implied(self, theta: np.ndarray, g: int, full: bool = False):
        """Model-implied ``(Sigma, mu)`` of the observed variables of group ``g``.

        With ``full=True`` return the moments of all variables, latent included.
        """
        A, S, m = self.matrices(theta, g)
        B = np.linalg.inv(np.eye(self.n) - A)
        if full:
            return B @ S @ B.T, B @ m
        C = B[: self.p]
        return C @ S @ C.T, C @ m

    def jacobian(self, theta: np.ndarray, g: int):
        """Derivatives of group ``g``'s implied moments with respect to ``theta``.

        Returns
        -------
        Sigma, mu, dSigma, dmu
            ``dSigma`` has shape (q, p, p), ``dmu`` shape (q, p).
        """
        gm = self.groups[g]
        A, S, m = self.matrices(theta, g)
        B = np.linalg.inv(np.eye(self.n) - A)
        C = B[: self.p]
        H = B @ S @ C.T
        Bm = B @ m
        Sigma, mu = C @ S @ C.T, C @ m
        q, p = self.n_free, self.p
        dS = np.zeros((q, p, p))
        dm = np.zeros((q, p))
        if len(gm.a_pid):
            i, j = gm.a_rc[:, 0], gm.a_rc[:, 1]
            d = np.einsum("pe,eq->epq", C[:, i], H[j, :])
            dS += np.tensordot(gm.a_inc, d + d.transpose(0, 2, 1), axes=1)
            dm += gm.a_inc @ (C[:, i].T * Bm[j][:, None])
        if len(gm.s_pid):
            i, j = gm.s_rc[:, 0], gm.s_rc[:, 1]
            d = np.einsum("pe,qe->epq", C[:, i], C[:, j])
            d = d + d.transpose(0, 2, 1)
            d[i == j] *= 0.5
            dS += np.tensordot(gm.s_inc, d, axes=1)
        if len(gm.m_pid):
            dm += gm.m_inc @ C[:, gm.m_r].T
        return Sigma, mu, dS, dm
