r"""Exploratory factor analysis for researchers building a new instrument.

* :func:`parallel_analysis`: how many factors to keep (Horn 1965, Psychometrika 30,
  179-185): keep the leading factors whose correlation-matrix eigenvalues exceed the chosen
  quantile (default 95%) of eigenvalues from random normal data of the same size.
* :func:`efa`: maximum-likelihood factor extraction (Lawley & Maxwell 1971; the uniquenesses
  ``psi`` minimise ``F = log|Sigma| + tr(S Sigma^{-1}) - log|S| - p`` with
  ``Sigma = Lambda Lambda' + diag(psi)``, and for given ``psi`` the loadings are the leading
  eigenvectors of ``psi^{-1/2} S psi^{-1/2}`` scaled by ``sqrt(e - 1)``, Joreskog 1967), then a
  rotation (geomin, oblimin, promax or varimax, :mod:`.rotation`) and standard errors of the
  rotated loadings and factor correlations as lavaan's ``efa()``: the inverse of the expected
  information bordered by the Jacobian ``H`` of the rotation's stationarity conditions
  (Jennrich 1973),

  .. math::

      \operatorname{vcov}(\hat\theta) = \frac1N\left[\begin{pmatrix} I(\hat\theta) & H' \\
      H & 0\end{pmatrix}^{-1}\right]_{\theta\theta}.

  Iterated principal-axis factoring (``extraction="pa"``) is kept for small samples, without
  standard errors.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._numerics import jacobian, safe_inverse
from ..._results import Decision, Result
from ..._stats import wald
from ...errors import (ConvergenceWarning, CXModelsWarning, EstimationError, IdentificationError,
                       ImproperSolutionWarning, InputError, warn)
from ...provenance import make_provenance
from . import references as R
from . import rotation as rot
from .reliability import collinear_sets

__all__ = ["parallel_analysis", "efa", "ParallelAnalysisResult", "EFAResult"]


def _check(data) -> tuple[np.ndarray, list[str]]:
    """Complete rows of numeric, finite, non-constant items as an array, and notes."""
    V.require_frame(data)
    V.require_unique_columns(data)
    cols = list(data.columns)
    V.require_numeric(data, cols)
    V.require_finite(data, cols)
    if len(cols) < 3:
        raise InputError(f"factor analysis needs at least three items, data has {len(cols)}: {list(map(str, cols))}")
    complete = data.dropna()
    notes = []
    if len(complete) < len(data):
        dropped = data.index[data.isna().any(axis=1)]
        notes.append(f"{len(dropped)} of {len(data)} rows with missing values were excluded (listwise; "
                     f"{V.rows_text(dropped)})")
    if len(complete) <= len(cols):
        raise InputError(f"{len(complete)} complete rows for {len(cols)} items: factor analysis needs more complete "
                         "rows than items (the correlation matrix is singular otherwise)")
    V.require_not_constant(complete, cols, "data (complete rows)")
    X = complete.to_numpy(float)
    sets = collinear_sets(np.corrcoef(X, rowvar=False), [str(c) for c in cols])
    if sets:
        raise InputError(f"the items {sets[0]} are collinear (one is an exact linear combination of the others, "
                         "e.g. a duplicated item or a total score); drop one before factoring")
    return X, notes


def _warn_notes(res, notes):
    for msg in notes:
        res._warnings.append(msg)
        warn(msg, CXModelsWarning)


class ParallelAnalysisResult(Result):
    """Observed eigenvalues against random-data eigenvalues (Horn 1965).

    ``summary()``: one row per factor with the ``observed`` eigenvalue, ``random_mean`` and the
    random quantile ``random_q<NN>``; ``n_factors`` the count to keep; ``decide()`` says so;
    ``plot(ax=None)`` the scree plot against the random quantile.
    """

    def __init__(self, table, n_factors, quantile, n_iter, provenance, notes):
        self._table, self.n_factors, self.quantile, self.n_iter = table, n_factors, quantile, n_iter
        self._provenance = provenance
        self._warnings = []
        self._references = (R.HORN,)
        _warn_notes(self, notes)

    @property
    def params(self) -> pd.Series:
        return self._table["observed"].rename("eigenvalue")

    def decide(self) -> Decision:
        q = f"random_q{round(self.quantile * 100)}"
        return Decision("keep", f"{self.n_factors} factors",
                        f"the first {self.n_factors} observed eigenvalues exceed the {self.quantile:.0%} quantile of "
                        f"eigenvalues of random data of the same size ({self.n_iter} simulations)",
                        {"n_factors": self.n_factors, "observed": self._table["observed"].tolist(),
                         q: self._table[q].tolist()})

    def methods_text(self) -> str:
        return (f"The number of factors ({self.n_factors}) was chosen by parallel analysis ({R.HORN.cite}): factors "
                f"were kept while the observed eigenvalue exceeded the {self.quantile:.0%} quantile of eigenvalues "
                f"from {self.n_iter} random normal data sets of the same size (seed {self._provenance.seed}).")

    def plot(self, ax=None):
        t = self._table
        q = f"random_q{round(self.quantile * 100)}"
        ax = plotting.axes(ax)
        ax.plot(t.index, t["observed"], "o-", color=plotting.color(0), label="observed")
        ax.plot(t.index, t[q], "s--", color=plotting.color(1), label=f"random, {self.quantile:.0%} quantile")
        ax.set_xlabel("factor")
        ax.set_ylabel("eigenvalue")
        ax.legend()
        return ax


def parallel_analysis(data: pd.DataFrame, *, n_iter: int = 200, quantile: float = 0.95, seed=None
                      ) -> ParallelAnalysisResult:
    """Parallel analysis: how many factors to keep.

    Parameters
    ----------
    data : DataFrame
        The items, one column each (numeric; rows with missing values are excluded).
    n_iter : int
        Random data sets simulated.
    quantile : float
        Quantile of the random eigenvalues an observed eigenvalue must exceed.
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).

    Returns
    -------
    ParallelAnalysisResult
    """
    X, notes = _check(data)
    n_iter = V.check_count(n_iter, "n_iter", minimum=1)
    if isinstance(quantile, bool) or not isinstance(quantile, numbers.Real) or not 0 < quantile < 1:
        raise InputError(f"quantile must be a number strictly between 0 and 1 (e.g. 0.95), got {quantile!r}")
    rng, recorded = V.resolve_seed(seed)
    n, p = X.shape
    obs = np.sort(np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)))[::-1]
    sims = np.array([np.sort(np.linalg.eigvalsh(np.corrcoef(rng.normal(size=(n, p)), rowvar=False)))[::-1]
                     for _ in range(n_iter)])
    thresh = np.quantile(sims, quantile, axis=0)
    keep = obs > thresh
    n_factors = int(np.argmin(keep)) if not keep.all() else p
    table = pd.DataFrame({"observed": obs, "random_mean": sims.mean(axis=0),
                          f"random_q{round(quantile * 100)}": thresh},
                         index=pd.RangeIndex(1, p + 1, name="factor"))
    prov = make_provenance("cxmodels.sem.measurement.parallel_analysis", data,
                           {"n_iter": n_iter, "quantile": quantile}, seed=recorded)
    return ParallelAnalysisResult(table, n_factors, quantile, n_iter, prov, notes)



def _principal_axis(Rm, m, max_iter, tol):
    """Iterated principal-axis factoring from squared multiple correlations."""
    h2 = 1 - 1 / np.diag(np.linalg.inv(Rm))
    for it in range(1, max_iter + 1):
        Rr = Rm.copy()
        np.fill_diagonal(Rr, h2)
        vals, vecs = np.linalg.eigh(Rr)
        idx = np.argsort(vals)[::-1][:m]
        L = vecs[:, idx] * np.sqrt(np.clip(vals[idx], 0, None))
        h2_new = (L ** 2).sum(axis=1)
        done = np.max(np.abs(h2_new - h2)) < tol
        h2 = h2_new
        if done:
            return L, it, True
    return L, max_iter, False


def _ml_loadings(Rm, psi, m):
    """Loadings maximising the likelihood for given uniquenesses (Joreskog 1967)."""
    sc = 1 / np.sqrt(psi)
    vals, vecs = np.linalg.eigh(Rm * np.outer(sc, sc))
    idx = np.argsort(vals)[::-1]
    vals, vecs = vals[idx], vecs[:, idx]
    return np.sqrt(psi)[:, None] * vecs[:, :m] * np.sqrt(np.clip(vals[:m] - 1, 0, None)), vals


def _ml_extraction(Rm, m, max_iter, tol):
    """ML factor extraction on a correlation matrix (as R's factanal): the profile deviance in the
    uniquenesses, minimised by L-BFGS-B on [0.005, 1]."""
    from scipy import optimize

    p = len(Rm)

    def f(psi):
        _, vals = _ml_loadings(Rm, psi, m)
        e = vals[m:]
        return -(np.sum(np.log(e) - e) - m + p)

    def g(psi):
        L, _ = _ml_loadings(Rm, psi, m)
        return np.diag(L @ L.T + np.diag(psi) - Rm) / psi ** 2

    start = (1 - 0.5 * m / p) / np.diag(np.linalg.inv(Rm))
    sol = optimize.minimize(f, np.clip(start, 0.005, 1), jac=g, method="L-BFGS-B", bounds=[(0.005, 1.0)] * p,
                            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol * 1e-4})
    L, _ = _ml_loadings(Rm, sol.x, m)
    return L, sol.x, int(sol.nit), bool(sol.success)


def _unpack(x, p, m, orthogonal):
    L = x[:p * m].reshape(m, p).T
    Phi = np.eye(m)
    k = p * m
    if not orthogonal:
        lo = np.tril_indices(m, -1)
        Phi[lo] = x[k:k + len(lo[0])]
        Phi[lo[1], lo[0]] = Phi[lo]
        k += len(lo[0])
    return L, Phi, x[k:]


def _bordered_vcov(L, Phi, theta, n, method, orthogonal):
    """Expected-information vcov of (loadings, factor correlations, uniquenesses), bordered by the
    rotation constraints, as lavaan's ``rotation.se = "bordered"``."""
    p, m = L.shape
    Sigma = L @ Phi @ L.T + np.diag(theta)
    Si = np.linalg.inv(Sigma)
    dS = []
    LP = L @ Phi
    for k in range(m):  # lambda, column-major as lavaan
        for i in range(p):
            d = np.zeros((p, p))
            d[i, :] += LP[:, k]
            d[:, i] += LP[:, k]
            dS.append(d)
    if not orthogonal:
        for k, l in zip(*np.tril_indices(m, -1)):
            dS.append(np.outer(L[:, k], L[:, l]) + np.outer(L[:, l], L[:, k]))
    for i in range(p):
        d = np.zeros((p, p))
        d[i, i] = 1.0
        dS.append(d)
    M = [Si @ d for d in dS]
    info = 0.5 * np.array([[np.sum(a * b.T) for b in M] for a in M])
    x = np.concatenate([L.T.ravel(), Phi[np.tril_indices(m, -1)] if not orthogonal else [], theta])

    def cons(xx):
        L_, Phi_, th_ = _unpack(xx, p, m, orthogonal)
        # lavaan takes the variances as diag(L L') + theta here, without Phi (for an oblique
        # solution that is not the model's variance); matched so that the SEs agree.
        return rot.stationarity(L_, Phi_, (L_ ** 2).sum(axis=1) + th_, method)

    H = jacobian(cons, x, h=1e-6)
    q, r = len(x), H.shape[0]
    E = np.block([[info, H.T], [H, np.zeros((r, r))]])
    try:
        Ei = np.linalg.inv(E)
    except np.linalg.LinAlgError:
        return None
    return Ei[:q, :q] / n


class EFAResult(Result):
    """An exploratory factor analysis: extracted, rotated, with standard errors.

    ``rotation_value``: the rotation criterion at the solution (the best of the random starts).
    ``loadings``: standardized loadings, items x factors (``F1``, ``F2`` ...); ``loadings_se``
    their standard errors; ``factor_correlations`` (``Phi``); ``communality`` and ``uniqueness``
    by item; ``fit``: chi-square, df, p-value, RMSEA, SRMR and log-likelihood of the ML
    extraction.  ``summary()``: one row per loading (``F1 =~ x1``), factor correlation
    (``F1 ~~ F2``) and uniqueness (``x1 ~~ x1``) with ``est`` (on the items' covariance scale, as
    lavaan's ``efa()``), ``se``, ``z``, ``pvalue``, ``ci_lower``, ``ci_upper`` and ``std_all``.
    Flagged: ``converged=False`` when extraction or rotation stop at their iteration caps;
    ``admissible=False`` for a Heywood case (a communality of 1 or more).  ``plot(ax=None)`` draws
    the standardized loadings as a heat map.
    """

    def __init__(self, table, loadings, loadings_se, phi, communality, fit, rotation, extraction, iterations,
                 converged, provenance, notes, rotation_converged=True, rotation_value=np.nan):
        self.rotation_value = float(rotation_value)
        self._table, self.loadings, self.loadings_se = table, loadings, loadings_se
        self.factor_correlations, self.communality, self.fit = phi, communality, fit
        self.uniqueness = (1 - communality).rename("uniqueness")
        self.rotation, self.extraction, self.iterations = rotation, extraction, iterations
        self.n_factors = loadings.shape[1]
        self._provenance = provenance
        self._warnings = []
        works = rot.WORKS.get(rotation, ()) if self.n_factors > 1 else ()
        se = (R.JENNRICH_1973,) if extraction == "ml" and rotation != "promax" else ()
        self._references = (R.FABRIGAR,) + tuple(works) + se
        _warn_notes(self, notes)
        if not converged:
            self._flag(f"factor extraction did not converge in {iterations} iterations; raise max_iter",
                       ConvergenceWarning)
        if not rotation_converged:
            self._flag(f"the {rotation} rotation did not converge (gradient projection stopped at its cap)",
                       ConvergenceWarning)
        # ML bounds the uniquenesses at 0.005 (as factanal): reaching the bound is the Heywood case
        heywood = communality.index[communality >= 1 - 0.0051]
        if len(heywood):
            self._flag(f"the communalities of {list(map(str, heywood))} reach 1 (a Heywood case): the "
                       "solution is improper; try fewer factors or check those items", ImproperSolutionWarning)

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=(t["lhs"] + " " + t["op"] + " " + t["rhs"]).to_numpy(),
                         name="est")

    def methods_text(self) -> str:
        ext = ("maximum likelihood" if self.extraction == "ml" else
               "iterated principal-axis factoring with squared multiple correlations as starting communalities")
        if self.n_factors == 1 or self.rotation is None:
            rt = ", unrotated"
        else:
            cites = " and ".join(w.cite for w in rot.WORKS[self.rotation])
            kind = "orthogonal" if self.rotation in rot.ORTHOGONAL else "oblique"
            rt = f", with the {kind} {self.rotation} rotation ({cites}) as lavaan's efa() computes it"
        se = (f"; standard errors of the rotated solution come from the information matrix bordered by the "
              f"rotation constraints ({R.JENNRICH_1973.cite})"
              if any(r is R.JENNRICH_1973 for r in self._references) else "")
        f = self.fit
        fit = (f" The model fit chi-square({int(f['df'])}) = {f['chisq']:.2f} (p = {f['pvalue']:.3f}), RMSEA = "
               f"{f['rmsea']:.3f}." if self.extraction == "ml" and f["df"] > 0 else "")
        return (f"An exploratory factor analysis ({R.FABRIGAR.cite}) extracted {self.n_factors} factor(s) by "
                f"{ext}{rt}{se}.{fit}")

    def plot(self, ax=None):
        L = self.loadings
        ax = plotting.axes(ax, figsize=(1.2 * L.shape[1] + 3, 0.35 * L.shape[0] + 1.5))
        im = ax.imshow(L.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(range(L.shape[1]))
        ax.set_xticklabels(L.columns)
        ax.set_yticks(range(L.shape[0]))
        ax.set_yticklabels(L.index, fontsize="small")
        ax.grid(False)
        for (i, j), v in np.ndenumerate(L.to_numpy()):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize="x-small")
        ax.figure.colorbar(im, ax=ax, label="standardized loading")
        return ax


def _max_factors(p: int) -> int:
    """The largest m with non-negative degrees of freedom, ((p - m)^2 - (p + m)) / 2 >= 0."""
    m = 0
    while ((p - (m + 1)) ** 2 - (p + m + 1)) >= 0 and m + 1 < p:
        m += 1
    return m


def efa(data: pd.DataFrame, n_factors: int, *, rotation: str | None = "geomin", extraction: str = "ml",
        level: float = 0.95, rstarts: int = 30, seed=None, max_iter: int = 10000, tol: float = 1e-6
        ) -> EFAResult:
    """Exploratory factor analysis as lavaan's ``efa()``: ML extraction, rotation, standard errors.

    Parameters
    ----------
    data : DataFrame
        The items, one column each (numeric; rows with missing values are excluded).
    n_factors : int
        Factors to extract, from 1 to the largest number the items identify (non-negative degrees
        of freedom ``((p - m)^2 - (p + m)) / 2``; see :func:`parallel_analysis`).
    rotation : {"geomin", "oblimin", "promax", "varimax", None}
        lavaan's default is geomin (oblique, ``epsilon = 0.001``); oblimin uses ``gamma = 0``
        (quartimin); promax ``kappa = 4`` (no standard errors, as lavaan); varimax is orthogonal.
    extraction : {"ml", "pa"}
        Maximum likelihood (as lavaan, with standard errors and fit) or iterated principal axes.
    level : float
        Level of the Wald intervals.
    rstarts : int
        Random orthogonal starts of the rotation (the best criterion value is kept; lavaan: 30).
    seed : int, numpy Generator or None
        Seeds the random starts (recorded in the provenance).
    max_iter, tol : int, float
        Iteration cap and tolerance of the extraction.

    Returns
    -------
    EFAResult

    Raises
    ------
    InputError
        An unknown rotation or extraction, a non-numeric item, fewer than three items.
    IdentificationError
        More factors than the items identify.

    References
    ----------
    Jennrich, R. I. (1973). Standard errors for obliquely rotated factor loadings.
    *Psychometrika*, 38(4), 593-604.
    """
    if rotation is not None and (not isinstance(rotation, str) or rotation.lower() not in rot.ROTATIONS):
        raise InputError(f"rotation must be one of {list(rot.ROTATIONS)} or None, got {rotation!r}")
    rotation = rotation.lower() if rotation is not None else None
    if extraction not in ("ml", "pa"):
        raise InputError(f"extraction must be 'ml' (maximum likelihood, as lavaan) or 'pa' (principal axes), "
                         f"got {extraction!r}")
    X, notes = _check(data)
    n, p = X.shape
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise InputError(f"n_factors must be a whole number of at least 1, got {n_factors!r}")
    m = int(n_factors)
    mmax = _max_factors(p)
    if m > mmax:
        raise IdentificationError(f"n_factors={m}: {m} factors are not identified by {p} items: the model would have "
                                  f"{((p - m) ** 2 - (p + m)) // 2} degrees of freedom; at most {mmax} factor(s) "
                                  "can be extracted (see parallel_analysis)")
    V.check_level(level)
    rstarts = V.check_count(rstarts, "rstarts", minimum=1)
    max_iter = V.check_count(max_iter, "max_iter", minimum=1)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise InputError(f"tol must be a number between 0 and 1, got {tol!r}")
    rng, recorded = V.resolve_seed(seed)
    S = np.cov(X, rowvar=False, bias=True)  # ML: divisor N, as lavaan
    sd = np.sqrt(np.diag(S))
    Rm = S / np.outer(sd, sd)
    try:
        if extraction == "ml":
            L0, psi, it, converged = _ml_extraction(Rm, m, max_iter, tol)
        else:
            L0, it, converged = _principal_axis(Rm, m, max_iter, tol)
            psi = np.clip(1 - (L0 ** 2).sum(axis=1), 0, None)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
        raise EstimationError(f"the factors could not be extracted ({exc}); check for nearly collinear items"
                              ) from None
    Lraw, theta = L0 * sd[:, None], psi * sd ** 2
    ov_var = np.diag(Lraw @ Lraw.T) + theta
    rot_ok, rot_value = True, np.nan
    if rotation is not None and m > 1:
        r = rot.rotate(Lraw, rotation, ov_var=ov_var, rstarts=rstarts, rng=rng)
        Lraw, Phi, rot_ok, rot_value = r.loadings, r.phi, r.converged, r.value
    else:
        Phi = np.eye(m)
        Lraw = Lraw * np.where(Lraw.sum(axis=0) < 0, -1.0, 1.0)
    orthogonal = rotation is None or rotation in rot.ORTHOGONAL or m == 1
    # Standard errors (ML only; lavaan gives none for promax).
    q = p * m + (0 if orthogonal else m * (m - 1) // 2) + p
    se = np.full(q, np.nan)
    if extraction == "ml" and rotation != "promax":
        if m == 1:
            vc = _one_factor_vcov(Lraw, theta, n)
        elif rotation is not None:
            vc = _bordered_vcov(Lraw, Phi, theta, n, rotation, orthogonal)
        else:
            vc = None  # an unrotated solution is not identified: no standard errors
        if vc is not None and np.all(np.isfinite(np.diag(vc))) and np.all(np.diag(vc) > -1e-10):
            se = np.sqrt(np.clip(np.diag(vc), 0, None))
        elif m == 1 or rotation is not None:
            notes.append("the standard errors could not be computed (the bordered information matrix is "
                         "singular: an improper or unidentified solution)")
    cols = [str(c) for c in data.columns]
    fac = [f"F{k + 1}" for k in range(m)]
    sd_model = np.sqrt(np.diag(Lraw @ Phi @ Lraw.T) + theta)
    Lstd = Lraw / sd_model[:, None]
    rows = []
    k = 0
    for j in range(m):
        for i in range(p):
            rows.append((fac[j], "=~", cols[i], Lraw[i, j], se[k], Lstd[i, j]))
            k += 1
    if not orthogonal:
        for a, b in zip(*np.tril_indices(m, -1)):
            rows.append((fac[b], "~~", fac[a], Phi[a, b], se[k], Phi[a, b]))
            k += 1
    for i in range(p):
        rows.append((cols[i], "~~", cols[i], theta[i], se[k], theta[i] / sd_model[i] ** 2))
        k += 1
    table = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "std_all"])
    w = wald(table["est"], table["se"].fillna(0.0), level)
    for key in ("z", "pvalue", "ci_lower", "ci_upper"):
        table[key] = np.where(table["se"].notna(), w[key], np.nan)
    table = table[["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]]
    loadings = pd.DataFrame(Lstd, index=cols, columns=fac)
    loadings_se = pd.DataFrame(se[:p * m].reshape(m, p).T / sd_model[:, None], index=cols, columns=fac)
    phi = pd.DataFrame(Phi, index=fac, columns=fac)
    communality = pd.Series(np.diag(Lstd @ Phi @ Lstd.T), index=cols, name="communality")
    fit = _fit_measures(S, Lraw @ Phi @ Lraw.T + np.diag(theta), n, p, m) if extraction == "ml" else \
        pd.Series({"df": float(((p - m) ** 2 - (p + m)) / 2)}, dtype=float)
    prov = make_provenance("cxmodels.sem.measurement.efa", data,
                           {"n_factors": m, "rotation": rotation, "extraction": extraction, "level": level,
                            "rstarts": rstarts, "max_iter": max_iter, "tol": tol}, seed=recorded)
    return EFAResult(table, loadings, loadings_se, phi, communality, fit, rotation, extraction, it, converged,
                     prov, notes, rotation_converged=rot_ok, rotation_value=rot_value)


def _one_factor_vcov(L, theta, n):
    """One factor: the expected information is invertible (the sign is fixed by reflection)."""
    p = len(theta)
    Sigma = L @ L.T + np.diag(theta)
    Si = np.linalg.inv(Sigma)
    dS = []
    for i in range(p):
        d = np.zeros((p, p))
        d[i, :] += L[:, 0]
        d[:, i] += L[:, 0]
        dS.append(d)
    for i in range(p):
        d = np.zeros((p, p))
        d[i, i] = 1.0
        dS.append(d)
    M = [Si @ d for d in dS]
    info = 0.5 * np.array([[np.sum(a * b.T) for b in M] for a in M])
    inv, ok = safe_inverse(info)
    return inv / n if ok else None


def _fit_measures(S, Sigma, n, p, m) -> pd.Series:
    """chi-square (N F_ML, as lavaan), df, p-value, RMSEA, SRMR and the log-likelihood."""
    from scipy import stats

    Si = np.linalg.inv(Sigma)
    F = np.linalg.slogdet(Sigma)[1] + np.trace(S @ Si) - np.linalg.slogdet(S)[1] - p
    chisq = n * F
    df = ((p - m) ** 2 - (p + m)) / 2
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    rmsea = float(np.sqrt(max(chisq - df, 0) / (df * n))) if df > 0 else np.nan
    d = np.sqrt(np.diag(S))
    res = (S - Sigma) / np.outer(d, d)
    srmr = float(np.sqrt(np.mean(res[np.tril_indices(p)] ** 2)))
    logl = -n / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(Sigma)[1] + np.trace(S @ Si))
    return pd.Series({"chisq": chisq, "df": df, "pvalue": pval, "npar": p * m + p - m * (m - 1) / 2,
                      "rmsea": rmsea, "srmr": srmr, "logl": logl})
