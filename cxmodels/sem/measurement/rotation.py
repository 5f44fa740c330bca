"""Factor rotations as lavaan 0.6 computes them (``lav_matrix_rotate``).

Criteria ``Q(L)`` and their gradients ``dQ/dL`` (Bernaards & Jennrich 2005):

* geomin (Yates 1987; Browne 2001): ``Q = sum_i (prod_k (l_ik^2 + eps))^(1/m)``, ``eps = 0.001``;
* oblimin (Jennrich 2002): ``Q = 1/4 tr(L2' (I - gamma J/p) L2 N)`` with ``L2 = L * L``,
  ``N = 11' - I``, ``gamma = 0`` (quartimin);
* varimax (Kaiser 1958): ``Q = -1/4 sum(L2 * (L2 - colmeans(L2)))``, orthogonal;
* promax (Hendrickson & White 1964): varimax (Kaiser-normalised, R's ``stats::varimax``),
  then a least-squares fit to the loadings raised to the power ``kappa = 4``.

Oblique criteria are minimised by gradient projection (GPA, Jennrich 2002) over rotation
matrices ``T`` with unit-length columns: ``L = A (T')^{-1}``, ``Phi = T'T``; orthogonal ones over
orthogonal ``T``: ``L = A T``.  As lavaan, the loadings are first divided by the model-implied
standard deviations (``std.ov``), rows are Kaiser-weighted for varimax and promax only, the
best of 30 random orthogonal starts is kept, columns are reflected to positive sums and ordered
by the average index of their salient items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import references as MR

__all__ = ["ROTATIONS", "ORTHOGONAL", "Rotation", "rotate", "criterion", "stationarity"]

ROTATIONS = ("geomin", "oblimin", "promax", "varimax")
ORTHOGONAL = ("varimax",)

#: The works behind each rotation (for methods texts).
WORKS = {"geomin": (MR.BROWNE, MR.BERNAARDS_JENNRICH), "oblimin": (MR.JENNRICH_2002, MR.BERNAARDS_JENNRICH),
         "varimax": (MR.KAISER, MR.BERNAARDS_JENNRICH), "promax": (MR.HENDRICKSON_WHITE, MR.KAISER)}


def criterion(L: np.ndarray, method: str, *, geomin_epsilon: float = 0.001, oblimin_gamma: float = 0.0
              ) -> tuple[float, np.ndarray]:
    """The rotation criterion ``Q(L)`` and its gradient ``dQ/dL`` (lavaan's definitions)."""
    p, m = L.shape
    L2 = L * L
    if method == "geomin":
        L2e = L2 + geomin_epsilon
        g = np.exp(np.log(L2e).sum(axis=1) / m)
        return float(g.sum()), (2.0 / m) * L / L2e * g[:, None]
    if method == "oblimin":
        N = np.ones((m, m)) - np.eye(m)
        tmp = (np.eye(p) - oblimin_gamma * np.ones((p, p)) / p) @ (L2 @ N)
        return float((L2 * tmp).sum() / 4), L * tmp
    if method == "varimax":
        c = L2 - L2.mean(axis=0)
        return float(-abs((L2 * c).sum()) / 4), -L * c
    raise ValueError(method)


def _random_rotation(m: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(m, m)))
    return q * np.sign(np.diag(r))


def _gpa(A, method, orthogonal, T, args, tol=1e-5, max_iter=10000):
    """Gradient projection (lavaan's ``lav_matrix_rotate_gpa``): returns T, Q, converged."""
    def loadings(T_):
        return A @ T_ if orthogonal else np.linalg.solve(T_, A.T).T

    L = loadings(T)
    Q, Gq = criterion(L, method, **args)
    G = A.T @ Gq if orthogonal else -np.linalg.solve(T.T, Gq.T @ L)
    alpha = 1.0
    for _ in range(max_iter + 1):
        if orthogonal:
            M = T.T @ G
            Gp = G - T @ ((M + M.T) / 2)
        else:
            Gp = G - T * (T * G).sum(axis=0)
        frob = np.sqrt((Gp * Gp).sum())
        if frob < tol:
            return T, Q, True
        alpha *= 2
        for _ in range(1000):
            X = T - alpha * Gp
            if orthogonal:
                u, _, vt = np.linalg.svd(X)
                Tt = u @ vt
            else:
                Tt = X / np.sqrt((X ** 2).sum(axis=0))
            L = loadings(Tt)
            Qn, Gq = criterion(L, method, **args)
            if Qn < Q - 0.5 * frob * frob * alpha:
                break
            alpha /= 2
        T, Q = Tt, Qn
        G = A.T @ Gq if orthogonal else -np.linalg.solve(T.T, Gq.T @ L)
    return T, Q, False


def _varimax_r(x: np.ndarray, normalize: bool = True, eps: float = 1e-5):
    """R's ``stats::varimax`` (the first step of promax), returning loadings and rotation."""
    m = x.shape[1]
    sc = np.sqrt((x ** 2).sum(axis=1)) if normalize else np.ones(len(x))
    x = x / sc[:, None]
    p = len(x)
    TT, d = np.eye(m), 0.0
    for _ in range(1000):
        z = x @ TT
        B = x.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(B)
        TT = u @ vt
        dpast, d = d, s.sum()
        if d < dpast * (1 + eps):
            break
    return (x @ TT) * sc[:, None], TT


def _promax(A: np.ndarray, kappa: float = 4.0):
    x, TT = _varimax_r(A, normalize=True)
    Qm = x * np.abs(x) ** (kappa - 1)
    U = np.linalg.lstsq(x, Qm, rcond=None)[0]
    U = U * np.sqrt(np.diag(np.linalg.inv(U.T @ U)))
    L = x @ U
    U = TT @ U
    return L, np.linalg.inv(U.T @ U)


@dataclass
class Rotation:
    """A rotated solution: ``loadings`` (p x m), factor correlations ``phi``, the criterion value,
    convergence of the projection algorithm and the column order taken from the unrotated one."""
    loadings: np.ndarray
    phi: np.ndarray
    value: float
    converged: bool
    method: str
    orthogonal: bool


def _kaiser_weights(A):
    return 1.0 / np.sqrt((A * A).sum(axis=1))


def rotate(A: np.ndarray, method: str, *, ov_var: np.ndarray | None = None, rstarts: int = 30,
           rng: np.random.Generator | None = None, geomin_epsilon: float = 0.001,
           oblimin_gamma: float = 0.0, promax_kappa: float = 4.0, tol: float = 1e-5) -> Rotation:
    """Rotate loadings ``A`` as lavaan's ``lav_matrix_rotate`` with its ``efa()`` defaults.

    ``ov_var``: the model-implied variances (``std.ov``: the loadings are rotated on the
    standardized scale and scaled back).
    """
    p, m = A.shape
    if m < 2:
        return Rotation(A.copy(), np.eye(1), 0.0, True, method, method in ORTHOGONAL)
    orthogonal = method in ORTHOGONAL
    sd = np.sqrt(ov_var) if ov_var is not None else np.ones(p)
    A = A / sd[:, None]
    w = _kaiser_weights(A) if method in ("varimax", "promax") else np.ones(p)
    args = {"geomin_epsilon": geomin_epsilon, "oblimin_gamma": oblimin_gamma}
    converged, value = True, np.nan
    if method == "promax":
        L, Phi = _promax(A, promax_kappa)
    else:
        Aw = A * w[:, None]
        rng = rng if rng is not None else np.random.default_rng(0)
        best = None
        for _ in range(max(rstarts, 1)):
            T0 = _random_rotation(m, rng) if rstarts > 0 else np.eye(m)
            T, Q, ok = _gpa(Aw, method, orthogonal, T0, args, tol=tol)
            if best is None or Q < best[1]:
                best = (T, Q, ok)
        T, value, converged = best
        if orthogonal:
            L, Phi = Aw @ T, np.eye(m)
        else:
            L, Phi = np.linalg.solve(T, Aw.T).T, T.T @ T
        L = L / w[:, None]
    L = L * sd[:, None]
    # Reflect columns to positive sums, then order factors by the mean index of salient items.
    s = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L, Phi = L * s, Phi * np.outer(s, s)
    mx = np.abs(L).max(axis=0)
    avg = [np.mean(np.nonzero(np.abs(L[:, k]) >= 0.8 * mx[k])[0]) for k in range(m)]
    order = np.argsort(avg, kind="stable")
    return Rotation(L[:, order], Phi[np.ix_(order, order)], value, converged, method, orthogonal)


def stationarity(L: np.ndarray, Phi: np.ndarray, ov_var: np.ndarray, method: str, *,
                 geomin_epsilon: float = 0.001, oblimin_gamma: float = 0.0) -> np.ndarray:
    """The rotation's first-order conditions at rotated loadings ``L`` (lavaan's
    ``lav_model_efa_rotate_border_x``): with ``Z = A' dQ/dA`` on the standardized, row-weighted
    loadings ``A``, the off-diagonal of ``Z - Z'`` (orthogonal) or of ``Z - Phi diag(Z)``
    (oblique, both triangles).  They are the constraints of the bordered information matrix
    behind the standard errors (Jennrich 1973)."""
    p, m = L.shape
    A = L / np.sqrt(ov_var)[:, None]
    if method in ("varimax", "promax"):
        A = A * _kaiser_weights(A)[:, None]
    _, Gq = criterion(A, method, geomin_epsilon=geomin_epsilon, oblimin_gamma=oblimin_gamma)
    Z = A.T @ Gq
    lo = np.tril_indices(m, -1)
    if method in ORTHOGONAL:
        return (Z - Z.T)[lo]
    tmp = Z - Phi * np.diag(Z)[:, None]
    up = np.triu_indices(m, 1)
    # lavaan's vech (column-major lower) then vechu (column-major upper): the order does not
    # change the bordered inverse.
    return np.concatenate([tmp[lo], tmp[up]])
