"""Normal-theory maximum likelihood for the RAM model: complete data and FIML.

Both cases minimise the same discrepancy, minus twice the log-likelihood per
observation,

.. math::

    F(\\theta) = \\sum_b \\frac{n_b}{N} \\Big[\\log|\\Sigma_b| + \\operatorname{tr}\\big(\\Sigma_b^{-1}
    (S_b + d_b d_b^T)\\big) + p_b \\log 2\\pi\\Big], \\qquad d_b = \\bar y_b - \\mu_b,

over blocks ``b``: one per group for complete data, one per group and missing-data
pattern for FIML (Arbuckle 1996; Enders 2010, *Applied Missing Data Analysis*), where
``Sigma_b`` and ``mu_b`` are the rows of the observed variables of the block.  Without
a mean structure ``mu`` equals the sample mean and the mean term vanishes.  The
chi-square statistic is ``N (F(theta_hat) - F_saturated)`` (lavaan's
``likelihood="normal"``: ``N``, not ``N - 1``).

Minimisation starts from the expected Hessian of ``F``, twice the per-observation
expected information

.. math::

    \\mathcal I_{kl} = \\sum_b \\frac{n_b}{N}\\Big[\\tfrac12 \\operatorname{tr}(\\Sigma_b^{-1}
    \\partial_k\\Sigma_b\\, \\Sigma_b^{-1} \\partial_l\\Sigma_b) + \\partial_k\\mu_b^T
    \\Sigma_b^{-1} \\partial_l\\mu_b\\Big],

and refines it by BFGS updates (see :func:`minimize`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ..._numerics import hessian_from_gradient
from .model import RAMModel

LOG2PI = np.log(2 * np.pi)


@dataclass
class Block:
    """Sufficient statistics of one group (complete data) or one missing-data pattern."""

    group: int
    weight: float          # n_b / N
    n: int
    obs: np.ndarray        # indices of the observed variables present in this block
    S: np.ndarray          # covariance about the block mean (divisor n_b)
    ybar: np.ndarray


@dataclass
class GroupData:
    """The data of one group, in the model's observed order.

    ``Y`` holds the raw rows (NaN for missing), or is None when the model is fitted to
    sample statistics alone; ``wt`` the normalised sampling weights of the rows (None:
    unweighted) and ``cluster`` an integer code of each row's cluster (None: independent
    rows), both used by the robust (sandwich) information.
    """

    Y: np.ndarray | None
    blocks: list[Block] = field(default_factory=list)
    wt: np.ndarray | None = None
    cluster: np.ndarray | None = None


def _cov_n(Y: np.ndarray) -> np.ndarray:
    Yc = Y - Y.mean(axis=0)
    return Yc.T @ Yc / len(Y)


def weighted_moments(Y: np.ndarray, w: np.ndarray | None):
    r"""Mean and covariance with divisor :math:`\sum w` (R's ``cov.wt(method = "ML")``, as
    lavaan computes the sample statistics under ``sampling.weights``):
    :math:`\bar y = \sum w_i y_i / \sum w_i`, :math:`S = \sum w_i (y_i - \bar y)(y_i - \bar y)^\top / \sum w_i`.
    They do not depend on how the weights are normalised."""
    if w is None:
        return _cov_n(Y), Y.mean(axis=0)
    W = w.sum()
    ybar = w @ Y / W
    Yc = Y - ybar
    return (Yc * w[:, None]).T @ Yc / W, ybar


def moment_blocks(moments: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[list[GroupData], int]:
    """Blocks from per-group sample statistics ``(S, ybar, n)`` (``S`` with divisor ``n``)."""
    N = sum(n for _, _, n in moments)
    out = [GroupData(None, [Block(g, n / N, n, np.arange(len(S)), S, ybar)])
           for g, (S, ybar, n) in enumerate(moments)]
    return out, N


def make_blocks(groups: list[np.ndarray], fiml: bool, weights: list[np.ndarray] | None = None,
                clusters: list[np.ndarray] | None = None) -> tuple[list[GroupData], int]:
    """Split each group's data into blocks: whole groups, or missing-data patterns for FIML.

    With ``weights`` (complete data only) a group's block holds its weighted moments
    (:func:`weighted_moments`) and its share of the discrepancy is its share of the weights,
    :math:`\\sum_{i \\in g} w_i / N`, with the weights normalised to sum to the ``N`` rows
    (lavaan's ``sampling.weights.normalization = "total"``)."""
    N = sum(len(Y) for Y in groups)
    out = []
    for g, Y in enumerate(groups):
        gd = GroupData(Y, wt=None if weights is None else weights[g],
                       cluster=None if clusters is None else clusters[g])
        if not fiml:
            S, ybar = weighted_moments(Y, gd.wt)
            n_g = len(Y) if gd.wt is None else float(gd.wt.sum())
            gd.blocks.append(Block(g, n_g / N, len(Y), np.arange(Y.shape[1]), S, ybar))
        else:
            mask = ~np.isnan(Y)
            patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
            for k, pat in enumerate(patterns):
                in_k = inverse.ravel() == k
                rows = Y[in_k][:, pat]
                obs = np.flatnonzero(pat)
                wk = None if gd.wt is None else gd.wt[in_k]
                n_k = len(rows) if wk is None else float(wk.sum())
                if len(obs) == 0 or n_k == 0:  # nothing observed, or only rows of weight 0
                    continue
                S, ybar = weighted_moments(rows, wk)
                gd.blocks.append(Block(g, n_k / N, len(rows), obs, S, ybar))
        out.append(gd)
    return out, N


class Discrepancy:
    """``F(theta)``, its gradient and expected information for a model and its data."""

    def __init__(self, model: RAMModel, data: list[GroupData], N: int, meanstructure: bool):
        self.model, self.data, self.N, self.meanstructure = model, data, N, meanstructure

    def _block_terms(self, Sigma, mu, b: Block, want_grad: bool):
        o = b.obs
        Sig = Sigma[np.ix_(o, o)]
        try:
            L = np.linalg.cholesky(Sig)
        except np.linalg.LinAlgError:
            return np.inf, None, None, None
        logdet = 2 * np.log(np.diag(L)).sum()
        try:  # Cholesky can pass where inv still fails (an almost singular Sigma): treat as outside
            Si = np.linalg.inv(Sig)
        except np.linalg.LinAlgError:
            return np.inf, None, None, None
        d = b.ybar - mu[o] if self.meanstructure else np.zeros(len(o))
        M = b.S + np.outer(d, d)
        f = b.weight * (logdet + np.sum(Si * M) + len(o) * LOG2PI)
        if not want_grad:
            return f, None, None, Si
        G = b.weight * (Si - Si @ M @ Si)
        gmu = -2 * b.weight * Si @ d
        return f, G, gmu, Si

    def value(self, theta: np.ndarray) -> float:
        total = 0.0
        for g, gd in enumerate(self.data):
            try:
                Sigma, mu = self.model.implied(theta, g)
            except np.linalg.LinAlgError:
                return np.inf
            for b in gd.blocks:
                f, *_ = self._block_terms(Sigma, mu, b, False)
                if not np.isfinite(f):
                    return np.inf
                total += f
        return total

    def value_grad(self, theta: np.ndarray):
        """``F`` and its gradient from matrix derivatives, without the Jacobian.

        With ``G = dF/dSigma``, ``g_mu = dF/dmu`` and ``K = C' G C``:
        ``dF/dA = 2 K S B' + (C' g_mu)(B m)'``, ``dF/dS_ij = (2 - [i = j]) K_ij`` and
        ``dF/dm = C' g_mu`` (the chain rule through the RAM formula).
        """
        model = self.model
        total, grad = 0.0, np.zeros(model.n_free)
        for g, gd in enumerate(self.data):
            gm = model.groups[g]
            A, S, m = model.matrices(theta, g)
            try:
                B = np.linalg.inv(np.eye(model.n) - A)
            except np.linalg.LinAlgError:
                return np.inf, None
            C = B[: model.p]
            Sigma, mu = C @ S @ C.T, C @ m
            p = model.p
            Gfull, gmu = np.zeros((p, p)), np.zeros(p)
            for b in gd.blocks:
                f, G, gm_b, _ = self._block_terms(Sigma, mu, b, True)
                if not np.isfinite(f):
                    return np.inf, None
                total += f
                Gfull[np.ix_(b.obs, b.obs)] += G
                gmu[b.obs] += gm_b
            K = C.T @ Gfull @ C
            if len(gm.a_pid):
                MA = 2 * K @ S @ B.T
                if self.meanstructure:
                    MA += np.outer(C.T @ gmu, B @ m)
                grad += gm.a_inc @ MA[gm.a_rc[:, 0], gm.a_rc[:, 1]]
            if len(gm.s_pid):
                i, j = gm.s_rc[:, 0], gm.s_rc[:, 1]
                grad += gm.s_inc @ (K[i, j] * np.where(i == j, 1.0, 2.0))
            if len(gm.m_pid) and self.meanstructure:
                grad += gm.m_inc @ (C.T @ gmu)[gm.m_r]
        return total, grad

    def value_grad_info(self, theta: np.ndarray, info: bool = True):
        """``F``, its gradient, and the per-observation expected information."""
        q = self.model.n_free
        total, grad, I = 0.0, np.zeros(q), np.zeros((q, q))
        for g, gd in enumerate(self.data):
            Sigma, mu, dS, dm = self.model.jacobian(theta, g)
            p = Sigma.shape[0]
            Gfull, gmu_full = np.zeros((p, p)), np.zeros(p)
            for b in gd.blocks:
                f, G, gmu, Si = self._block_terms(Sigma, mu, b, True)
                if not np.isfinite(f):
                    return np.inf, None, None
                total += f
                o = b.obs
                Gfull[np.ix_(o, o)] += G
                gmu_full[o] += gmu
                if info:
                    dSo = dS[:, o][:, :, o]
                    Q = Si @ dSo                       # q x po x po
                    I += b.weight * 0.5 * np.einsum("kij,lji->kl", Q, Q)
                    if self.meanstructure:
                        dmo = dm[:, o]
                        I += b.weight * dmo @ Si @ dmo.T
            grad += np.einsum("kij,ij->k", dS, Gfull)
            if self.meanstructure:
                grad += dm @ gmu_full
        return total, grad, I

    def saturated_value(self, sat_moments=None) -> float:
        """``F`` at the unrestricted (saturated) model, for the chi-square statistic.

        ``sat_moments`` is a list of per-group ``(Sigma, mu)`` (the EM estimates for FIML);
        for complete data the sample moments are used.
        """
        total = 0.0
        for g, gd in enumerate(self.data):
            for b in gd.blocks:
                if sat_moments is None:
                    Sig, d = b.S, np.zeros(len(b.obs))
                else:
                    Sig = sat_moments[g][0][np.ix_(b.obs, b.obs)]
                    d = b.ybar - sat_moments[g][1][b.obs]
                sign, logdet = np.linalg.slogdet(Sig)
                total += b.weight * (logdet + np.sum(np.linalg.inv(Sig) * (b.S + np.outer(d, d)))
                                     + len(b.obs) * LOG2PI)
        return total


@dataclass
class Optimum:
    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    message: str


def minimize(disc: Discrepancy, theta0: np.ndarray, *, tol: float = 1e-12, max_iter: int = 300,
             hessian0: np.ndarray | None = None) -> Optimum:
    """Minimise ``F``: Fisher scoring far from the optimum, Newton near it.

    Fisher scoring (expected Hessian ``2 I``) is robust from rough starting values but
    converges only linearly when the model misfits (observed and expected Hessians
    differ); once its decrement falls below 1e-4, Newton steps on the observed Hessian
    (central differences of the analytic gradient) finish quadratically.  With
    ``hessian0`` (bootstrap replicates warm-started at the full-sample optimum) the
    steps are quasi-Newton (BFGS) from that Hessian instead.  Steps are halved until
    ``F`` falls; converged when the decrement ``g' H^{-1} g / 2`` is below ``tol``.
    """
    if hessian0 is not None:
        return _minimize_bfgs(disc, theta0, hessian0, tol, max_iter)
    theta = theta0.copy()
    f, grad, info = disc.value_grad_info(theta)
    if not np.isfinite(f):
        raise FloatingPointError("the starting values give a non-positive-definite implied covariance")
    newton = False
    for it in range(1, max_iter + 1):
        H = 2 * info
        if newton:
            Hn = numerical_hessian(lambda th: disc.value_grad(th)[1], theta)
            if np.all(np.isfinite(Hn)) and np.linalg.eigvalsh(Hn).min() > 0:
                H = Hn
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, -grad, rcond=None)[0]
        decrement = -float(grad @ step) / 2
        if 0 <= decrement < tol:
            return Optimum(theta, f, True, it - 1, "converged")
        newton = newton or decrement < 1e-4
        t, _ = _backtrack(lambda th: (disc.value(th), None), theta, step, f, float(grad @ step))
        if t is None:
            break
        theta = theta + t * step
        f, grad, info = disc.value_grad_info(theta)
    return _polish(disc, theta, max_iter)


def _backtrack(fn, theta, step, f, slope):
    """Halve the step until ``F`` falls enough (Armijo); ``(None, None)`` if it never does.

    ``fn`` returns ``(F, anything)``; the step size and ``fn``'s output there come back.
    """
    t = 1.0
    while t >= 1e-10:
        out = fn(theta + t * step)
        if np.isfinite(out[0]) and out[0] <= f + 1e-4 * t * slope + 1e-13 * abs(f):
            return t, out
        t *= 0.5
    return None, (None, None)


def _minimize_bfgs(disc, theta0, H, tol, max_iter) -> Optimum:
    theta = theta0.copy()
    f, grad = disc.value_grad(theta)
    if not np.isfinite(f):
        raise FloatingPointError("the starting values give a non-positive-definite implied covariance")
    H = H.copy()
    for it in range(1, max_iter + 1):
        step = np.linalg.solve(H, -grad)
        decrement = -float(grad @ step) / 2
        if 0 <= decrement < tol:
            return Optimum(theta, f, True, it - 1, "converged")
        if decrement < 0:
            H = 2 * disc.value_grad_info(theta)[2]
            continue
        t, (f_new, g_new) = _backtrack(disc.value_grad, theta, step, f, float(grad @ step))
        if t is None:
            break
        s_, y_ = t * step, g_new - grad
        theta, f, grad = theta + s_, f_new, g_new
        sy = float(s_ @ y_)
        if sy > 1e-12:
            Hs = H @ s_
            H = H + np.outer(y_, y_) / sy - np.outer(Hs, Hs) / float(s_ @ Hs)
    return _polish(disc, theta, max_iter)


def _polish(disc, theta, max_iter) -> Optimum:
    """Last resort when the steps above stall: scipy's BFGS on the analytic gradient."""
    q = len(theta)

    def jac(th):
        g = disc.value_grad(th)[1]
        return np.full(q, np.nan) if g is None else g

    if not np.isfinite(disc.value(theta)):
        return Optimum(theta, np.inf, False, max_iter, "the implied covariance matrix is not positive definite")
    try:
        res = optimize.minimize(lambda th: disc.value(th), theta, jac=jac,
                                method="BFGS", options={"gtol": 1e-7, "maxiter": 5000})
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return Optimum(theta, float(disc.value(theta)), False, max_iter, f"the optimizer failed ({exc})")
    ok = bool(res.success) or (np.isfinite(res.fun) and np.all(np.isfinite(res.jac))
                               and np.max(np.abs(res.jac)) < 1e-5)
    return Optimum(res.x, float(res.fun), ok, max_iter + int(res.nit), str(res.message))


def casewise_scores(model: RAMModel, data: list[GroupData], theta: np.ndarray) -> np.ndarray:
    """Per-observation scores ``d log L_i / d theta`` (rows may be incomplete).

    Without a mean structure, ``mu`` is the sample mean (the saturated mean model).

    ``l_i = -0.5 [log|Sigma_o| + e_i' Sigma_o^-1 e_i]`` over the variables ``o`` observed
    in row ``i``, with ``e_i = y_io - mu_o``, so
    ``d l_i / d theta_k = 0.5 tr[(Sigma_o^-1 e e' Sigma_o^-1 - Sigma_o^-1) dSigma_k,o] + e' Sigma_o^-1 dmu_k,o``.
    """
    out = []
    for g, gd in enumerate(data):
        Sigma, mu, dS, dm = model.jacobian(theta, g)
        if not model.meanstructure:  # the (weighted) sample mean, as in the blocks
            mu = gd.blocks[0].ybar if gd.wt is not None and len(gd.blocks) == 1 else np.nanmean(gd.Y, axis=0)
        mask = ~np.isnan(gd.Y)
        patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        scores = np.zeros((len(gd.Y), model.n_free))
        for k, pat in enumerate(patterns):
            rows = np.flatnonzero(inverse == k)
            o = np.flatnonzero(pat)
            if len(o) == 0:
                continue
            Si = np.linalg.inv(Sigma[np.ix_(o, o)])
            dSo = dS[:, o][:, :, o]
            Z = (gd.Y[np.ix_(rows, o)] - mu[o]) @ Si
            t1 = 0.5 * (np.einsum("ip,kpq,iq->ik", Z, dSo, Z) - np.einsum("pq,kqp->k", Si, dSo))
            # Without a mean structure the mean is the saturated sample mean: no mean score
            # (the implied mean of fixed covariates' regressions must not leak in).
            scores[rows] = t1 + Z @ dm[:, o].T if model.meanstructure else t1
        out.append(scores)
    return np.vstack(out)


def numerical_hessian(grad_fn, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Symmetrised central-difference Jacobian of an analytic gradient
    (:func:`cxmodels._numerics.hessian_from_gradient`, steps ``h max(1, |theta_k|)``).

    Where the gradient does not exist (a step leaves the region where the implied
    covariance is positive definite) it counts as NaN, so callers see a non-finite
    Hessian instead of a TypeError."""
    q = len(theta)

    def grad(th):
        g = grad_fn(th)
        return np.full(q, np.nan) if g is None else g

    return hessian_from_gradient(grad, theta, h)


def em_saturated(Y: np.ndarray, tol: float = 1e-10, max_iter: int = 2000, w: np.ndarray | None = None):
    """EM estimates of the unrestricted mean and covariance under MAR (Little & Rubin 2002, ch. 11);
    with sampling weights ``w`` every row's expected sufficient statistics are weighted."""
    n, p = Y.shape
    w = np.ones(n) if w is None else np.asarray(w, float)
    n = w.sum()
    mask = ~np.isnan(Y)
    mu = np.nanmean(Y, axis=0)
    Sigma = np.diag(np.nanvar(Y, axis=0))
    patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for _ in range(max_iter):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for k, pat in enumerate(patterns):
            rows, wk = Y[inverse == k], w[inverse == k]
            o, m_ = np.flatnonzero(pat), np.flatnonzero(~pat)
            Yh = np.tile(mu, (len(rows), 1))
            Yh[:, o] = rows[:, o]
            C = np.zeros((p, p))
            if len(m_):
                Soo_inv = np.linalg.inv(Sigma[np.ix_(o, o)])
                beta = Sigma[np.ix_(m_, o)] @ Soo_inv
                Yh[:, m_] = mu[m_] + (rows[:, o] - mu[o]) @ beta.T
                C[np.ix_(m_, m_)] = Sigma[np.ix_(m_, m_)] - beta @ Sigma[np.ix_(o, m_)]
            T1 += wk @ Yh
            T2 += (Yh * wk[:, None]).T @ Yh + wk.sum() * C
        mu_new = T1 / n
        Sigma_new = T2 / n - np.outer(mu_new, mu_new)
        done = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sigma_new - Sigma))) < tol
        mu, Sigma = mu_new, Sigma_new
        if done:
            break
    return Sigma, mu


class BatchDiscrepancy:
    """``F`` and its gradient for many complete data sets at once (bootstrap replicates).

    The same formulas as :meth:`Discrepancy.value_grad`, on stacks of matrices: one
    row of ``theta`` per replicate, per-group sample moments ``S[g]`` (R x p x p) and
    ``ybar[g]`` (R x p).
    """

    def __init__(self, model: RAMModel, S: list[np.ndarray], ybar: list[np.ndarray], weights: list[float],
                 meanstructure: bool):
        self.model, self.S, self.ybar, self.w, self.meanstructure = model, S, ybar, weights, meanstructure

    def value_grad(self, theta: np.ndarray, rows: np.ndarray):
        model, p = self.model, self.model.p
        R = len(rows)
        f, grad = np.zeros(R), np.zeros((R, model.n_free))
        for g, gm in enumerate(model.groups):
            A = np.broadcast_to(gm.A0, (R,) + gm.A0.shape).copy()
            S = np.broadcast_to(gm.S0, (R,) + gm.S0.shape).copy()
            m = np.broadcast_to(gm.m0, (R, model.n)).copy()
            if len(gm.a_pid):
                A[:, gm.a_rc[:, 0], gm.a_rc[:, 1]] = theta[:, gm.a_pid]
            if len(gm.s_pid):
                S[:, gm.s_rc[:, 0], gm.s_rc[:, 1]] = theta[:, gm.s_pid]
                S[:, gm.s_rc[:, 1], gm.s_rc[:, 0]] = theta[:, gm.s_pid]
            if len(gm.m_pid):
                m[:, gm.m_r] = theta[:, gm.m_pid]
            B = np.linalg.inv(np.eye(model.n) - A)
            C = B[:, :p]
            Ct = C.transpose(0, 2, 1)
            Sigma = C @ S @ Ct
            sign, logdet = np.linalg.slogdet(Sigma)
            bad = sign <= 0
            Sigma[bad] = np.eye(p)
            Si = np.linalg.inv(Sigma)
            M = self.S[g][rows]
            if self.meanstructure:
                d = self.ybar[g][rows] - np.einsum("rpn,rn->rp", C, m)
                M = M + d[:, :, None] * d[:, None, :]
            w = self.w[g]
            f += w * (logdet + np.einsum("rij,rji->r", Si, M) + p * LOG2PI)
            f[bad] = np.inf
            G = w * (Si - Si @ M @ Si)
            K = Ct @ G @ C
            if len(gm.a_pid):
                MA = 2 * K @ S @ B.transpose(0, 2, 1)
                if self.meanstructure:
                    gmu = -2 * w * np.einsum("rij,rj->ri", Si, d)
                    MA += np.einsum("rn,rk->rnk", np.einsum("rpn,rp->rn", C, gmu), np.einsum("rnk,rk->rn", B, m))
                grad += MA[:, gm.a_rc[:, 0], gm.a_rc[:, 1]] @ gm.a_inc.T
            if len(gm.s_pid):
                i, j = gm.s_rc[:, 0], gm.s_rc[:, 1]
                grad += (K[:, i, j] * np.where(i == j, 1.0, 2.0)) @ gm.s_inc.T
            if len(gm.m_pid) and self.meanstructure:
                grad += np.einsum("rpn,rp->rn", C, gmu)[:, gm.m_r] @ gm.m_inc.T
        return f, grad


def minimize_batch(disc: BatchDiscrepancy, theta0: np.ndarray, hessian0: np.ndarray, R: int,
                   tol: float = 1e-9, max_iter: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """:func:`minimize` run in lockstep over ``R`` data sets from one start.

    Returns the estimates (R x q) and a convergence flag per data set.
    """
    theta = np.tile(theta0, (R, 1))
    H = np.tile(hessian0, (R, 1, 1))
    active = np.arange(R)
    f, grad = disc.value_grad(theta, active)
    done = np.zeros(R, bool)
    for _ in range(max_iter):
        a = active
        step = -np.linalg.solve(H[a], grad[a][:, :, None])[:, :, 0]
        slope = np.einsum("rq,rq->r", grad[a], step)
        dec = -slope / 2
        conv = dec < tol
        done[a[conv]] = True
        keep = ~conv & np.isfinite(dec)
        a, step, slope = a[keep], step[keep], slope[keep]
        if len(a) == 0:
            break
        t = np.ones(len(a))
        f_new, g_new = np.empty(len(a)), np.empty((len(a), theta.shape[1]))
        pending = np.ones(len(a), bool)
        for _ls in range(40):
            idx = np.flatnonzero(pending)
            fn, gn = disc.value_grad(theta[a[idx]] + t[idx, None] * step[idx], a[idx])
            ok = np.isfinite(fn) & (fn <= f[a[idx]] + 1e-4 * t[idx] * slope[idx])
            f_new[idx[ok]], g_new[idx[ok]] = fn[ok], gn[ok]
            pending[idx[ok]] = False
            t[idx[~ok]] *= 0.5
            if not pending.any():
                break
        good = ~pending
        a, step, t, f_new, g_new = a[good], step[good], t[good], f_new[good], g_new[good]
        s_ = t[:, None] * step
        y_ = g_new - grad[a]
        theta[a] += s_
        f[a], grad[a] = f_new, g_new
        sy = np.einsum("rq,rq->r", s_, y_)
        upd = sy > 1e-12
        Hs = np.einsum("rij,rj->ri", H[a], s_)
        sHs = np.einsum("rq,rq->r", s_, Hs)
        delta = (y_[:, :, None] * y_[:, None, :]) / np.where(upd, sy, 1)[:, None, None] \
            - (Hs[:, :, None] * Hs[:, None, :]) / np.where(upd, sHs, 1)[:, None, None]
        H[a] += np.where(upd[:, None, None], delta, 0.0)
        active = a
    return theta, done
