"""Overall model fit of a PLS path model: SRMR, d_ULS and d_G with bootstrap-based inference.

The fit of a PLS model is judged by the distance between the empirical indicator correlation
matrix ``S`` and the one the fitted model implies, ``Sigma`` (Dijkstra & Henseler 2015,
MIS Quarterly 39(2), 297-316; Henseler et al. 2014; as cSEM's ``fit()``/``testOMF()``,
ADANCO and SmartPLS compute it)::

    Sigma = Lambda' V Lambda + Theta,   Theta = I - diag(Lambda' V Lambda)

with ``Lambda`` the loadings (consistent loadings under PLSc), and within the block of a
composite (a ``<~`` block, or every block with ``composite=True``) the empirical
correlations ``S`` kept (a composite's indicators are not restricted).  ``V`` is the
construct correlation matrix (disattenuated under PLSc) for the **saturated** model, and for
the **estimated** model the one the inner model implies::

    V = (I - B)^{-1} Psi (I - B)^{-T},  Psi = [Phi 0; 0 diag(1 - R^2)],  diag(V) := 1

with ``B`` the path coefficients and ``Phi`` the correlations of the exogenous constructs.
The distances are::

    SRMR  = sqrt( sum_{i <= j} (s_ij - sigma_ij)^2 / (K (K + 1) / 2) )
    d_ULS = 1/2 sum_{i, j} (s_ij - sigma_ij)^2          (squared Euclidean distance)
    d_G   = 1/2 sum_k (ln phi_k)^2,  phi_k the eigenvalues of S^{-1} Sigma  (geodesic)

d_G uses the natural logarithm as Dijkstra & Henseler (2015) define it; cSEM's
``calculateDG`` uses the base-10 logarithm, so its values are ours divided by
``ln(10)^2 = 5.3019``.

Inference is the bootstrap of Bollen & Stine (1992) in Beran & Srivastava's (1985) form:
the standardized data are transformed so that their correlation matrix is exactly the
model-implied one, ``X* = Z S^{-1/2} Sigma^{1/2}`` (the null hypothesis of exact fit holds
in the transformed data), respondents are resampled from ``X*`` (with their sampling weights
in weighted PLS) and the model is re-estimated; the 95% and 99% quantiles of each distance
over the replicates (HI95, HI99) are its critical values.  The saturated and the estimated
model are each tested against their own transformed data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg

from ... import _validation as V
from ... import plotting
from ..._progress import Progress
from ..._results import Decision, Result
from ...errors import CXModelsError, ConvergenceWarning, EstimationError, ImproperSolutionWarning, InputError
from ..measurement import references as MR
from . import references as R
from .engine import prepare, standardize_columns

__all__ = ["pls_fit_indices", "PLSFitResult", "implied_correlations", "distances", "inadmissible", "bollen_stine"]

INDICES = ("srmr", "d_uls", "d_g")
MODELS = ("saturated", "estimated")


def implied_correlations(engine, Z: np.ndarray, w: np.ndarray, Y: np.ndarray, *, saturated: bool,
                         composite: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The empirical ``S`` and model-implied ``Sigma`` indicator correlation matrices of one
    fit (formulas in the module docstring); weighted when the engine has sampling weights."""
    sp = engine.spec
    S = engine._corr(Z)
    loads = engine.loadings(Z, Y, w)
    Lam = engine.mask * loads[:, None]          # K x J, one loading per row
    C = engine.construct_correlations(Z, Y, w)
    if not saturated:
        B, r2 = engine.paths(Y, Z, w)
        endo = engine.P.sum(axis=1) > 0
        Psi = np.where(np.outer(~endo, ~endo), C, 0.0)
        Psi[endo, endo] = 1 - r2[endo]
        A = np.linalg.inv(np.eye(len(B)) - B)
        C = A @ Psi @ A.T
        np.fill_diagonal(C, 1.0)
    Sigma = Lam @ C @ Lam.T
    np.fill_diagonal(Sigma, 1.0)
    for j, c in enumerate(sp.constructs):
        if composite or sp.modes[c] == "B":
            sl = engine.slices[c]
            Sigma[sl, sl] = S[sl, sl]
    return S, Sigma


def distances(S: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """``[SRMR, d_ULS, d_G]`` between two correlation matrices; d_G is NaN when ``Sigma`` is
    not positive definite (or ``S`` is singular)."""
    D = S - Sigma
    K = len(S)
    srmr = np.sqrt(np.sum(np.tril(D) ** 2) / (K * (K + 1) / 2))
    d_uls = 0.5 * np.sum(D ** 2)
    try:
        phi = linalg.eigh(Sigma, S, eigvals_only=True)
        d_g = 0.5 * np.sum(np.log(phi) ** 2) if np.all(phi > 0) else np.nan
    except (linalg.LinAlgError, ValueError):
        d_g = np.nan
    return np.array([srmr, d_uls, d_g])


def _values(engine, Z, w, Y, composite) -> np.ndarray:
    """The six distances: saturated then estimated model, SRMR, d_ULS, d_G each."""
    out = []
    for sat in (True, False):
        S, Sigma = implied_correlations(engine, Z, w, Y, saturated=sat, composite=composite)
        out.append(distances(S, Sigma))
    return np.concatenate(out)


def inadmissible(engine, Z, w, Y) -> str | None:
    """Why a fit is inadmissible by cSEM's ``verify()`` rules (None when it is not): a
    loading above 1 in absolute value, a reliability (rho_A under PLSc) above 1, or a
    construct or saturated model-implied correlation matrix that is not positive definite."""
    names = engine.spec.constructs
    loads = engine.loadings(Z, Y, w)
    if np.any(np.abs(loads) > 1 + 1e-10):
        return f"a loading above 1 in absolute value ({engine.cols[int(np.argmax(np.abs(loads)))]!r})"
    if engine.consistent:
        ra = engine.rho_a(Z, w)
        if np.any(ra > 1 + 1e-10):
            return f"a reliability rho_A above 1 ({names[int(np.argmax(ra))]!r})"
    for what, M in (("construct", engine.construct_correlations(Z, Y, w)),
                    ("saturated model-implied indicator", implied_correlations(engine, Z, w, Y, saturated=True)[1])):
        if not np.all(np.isfinite(M)):
            return f"an undefined {what} correlation matrix"
        low = np.linalg.eigvalsh((M + M.T) / 2).min()
        if low <= 0:
            return f"a {what} correlation matrix that is not positive definite (smallest eigenvalue {low:.3g})"
    return None


def _sqrtm(M: np.ndarray, power: float, what: str) -> np.ndarray:
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    if vals.min() <= 1e-12 * max(vals.max(), 1e-300):
        raise EstimationError(f"the {what} indicator correlation matrix is not positive definite (smallest "
                              f"eigenvalue {vals.min():.3g}), so the data cannot be transformed for the "
                              "Bollen-Stine bootstrap; check the model for collinear items or an improper fit")
    return (vecs * vals ** power) @ vecs.T


def bollen_stine(Zs: np.ndarray, S: np.ndarray, Sigma: np.ndarray, what: str = "model") -> np.ndarray:
    """Standardized data ``Zs`` with correlation ``S`` transformed to have correlation
    ``Sigma`` exactly: ``Zs S^{-1/2} Sigma^{1/2}`` (Beran & Srivastava 1985; Bollen & Stine
    1992).  With sampling weights, ``Zs`` and ``S`` are the weighted ones and the weighted
    correlation of the result is ``Sigma``."""
    return Zs @ _sqrtm(S, -0.5, "empirical") @ _sqrtm(Sigma, 0.5, f"{what}'s implied")


def pls_fit_indices(result, n_boot: int = 0, *, seed=None, level: float = 0.95, composite: bool = False,
                    progress=None) -> "PLSFitResult":
    """SRMR, d_ULS and d_G of the saturated and estimated model, with bootstrap critical values.

    ``result.fit_indices(...)`` calls this (the name of CB-SEM's ``fit_indices()``).

    Parameters
    ----------
    result : PLSResult
    n_boot : int
        Bollen-Stine bootstrap replicates for the critical values HI95 and HI99 (0: the
        distances only; cSEM's ``testOMF`` uses 499, SmartPLS 5000).
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).
    level : float
        Level of the test in :meth:`PLSFitResult.decide` (the ``level`` quantile of the
        bootstrap distribution is the critical value; also reported as ``hi_level``).
    composite : bool
        Treat every block as a composite (its within-block correlations unrestricted, as
        SmartPLS's "composite model" SRMR) instead of ``=~`` blocks as common factors
        (``Lambda Lambda'`` within the block) and ``<~`` blocks as composites (cSEM's rule).
    progress : bool or None
        Progress bar (None: on for a terminal).

    Returns
    -------
    PLSFitResult

    References
    ----------
    Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path modeling.
    *MIS Quarterly*, 39(2), 297-316.  Bollen, K. A., & Stine, R. A. (1992). Bootstrapping
    goodness-of-fit measures in structural equation models. *Sociological Methods &
    Research*, 21(2), 205-229.
    """
    n_boot = V.check_count(n_boot, "n_boot", minimum=0)
    if n_boot == 1:
        raise InputError("n_boot must be 0 (no bootstrap) or at least 2 replicates, got 1")
    level = V.check_level(level)
    if not isinstance(composite, (bool, np.bool_)):
        raise InputError(f"composite must be True or False, got {composite!r}")
    eng, d = result._engine, result.case_weights
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            est = _values(eng, result._Z, result.weights_, result._Y, composite)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
        raise EstimationError(f"the model-implied correlation matrix cannot be computed for this fit ({exc})") from exc
    draws = np.empty((0, 6))
    failed = 0
    recorded = None
    if n_boot:
        rng, recorded = V.resolve_seed(seed)
        Zs = standardize_columns(result._X, d)
        transformed = []
        for k, sat in enumerate((True, False)):
            S, Sigma = implied_correlations(eng, result._Z, result.weights_, result._Y, saturated=sat,
                                            composite=composite)
            transformed.append(bollen_stine(Zs, S, Sigma, f"{MODELS[k]} model"))
        rows = []
        bar = Progress(n_boot, "PLS model fit bootstrap", progress)
        N = result.nobs
        for _ in range(n_boot):
            idx = rng.integers(0, N, N)
            db = None if d is None else d[idx]
            out = []
            for k, Xt in enumerate(transformed):
                v = _replicate(result, Xt[idx], db, composite)
                out.append(v[3 * k:3 * k + 3] if v is not None else None)
            if any(v is None for v in out):
                failed += 1
            else:
                rows.append(np.concatenate(out))
            bar.update()
        if len(rows) < 2:
            raise EstimationError(f"{failed} of {n_boot} model-fit bootstrap replicates failed (constant resampled "
                                  "items, collinear construct scores or no convergence); no critical value exists")
        draws = np.asarray(rows)
        result._provenance = result.provenance.with_step("fit_indices", seed=recorded, n_boot=n_boot, level=level,
                                                         composite=bool(composite), n_failed=failed)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        why = inadmissible(eng, result._Z, result.weights_, result._Y)
    return PLSFitResult(result, est, draws, n_boot, failed, recorded, level, composite, why)


def _replicate(result, X: np.ndarray, d, composite) -> np.ndarray | None:
    """The six distances on one resample of transformed data, or None when the refit fails."""
    eng = result._engine if d is None else result._engine.with_case_weights(d)
    if (d is not None and not np.any(d > 0)) or np.any((X if d is None else X[d > 0]).std(axis=0) == 0):
        return None
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Z = prepare(X, result.options["standardize"], eng.case_weights)
            w, Y, _, ok = eng.run(Z, result.weights_)
            # inadmissible replicates are dropped, as cSEM's testOMF does by default
            v = _values(eng, Z, w, Y, composite) if ok and inadmissible(eng, Z, w, Y) is None else None
    except (CXModelsError, np.linalg.LinAlgError, FloatingPointError, ValueError):
        return None
    return v if v is not None and np.all(np.isfinite(v[[0, 1, 3, 4]])) else None


class PLSFitResult(Result):
    """Overall model fit of a PLS path model (:func:`pls_fit_indices`).

    ``summary()``: one row per model (``saturated``, ``estimated``) and index (``srmr``,
    ``d_uls``, ``d_g``) with the value ``est`` and, after a bootstrap, the critical values
    ``hi95``, ``hi99`` and ``hi_level`` (the ``level`` quantile) and ``fits`` (``est <=
    hi_level``).  ``params`` is ``est`` indexed ``"model index"``.  ``decide()`` reports the
    test of exact fit of the estimated model; ``plot(ax=None, index="d_uls")`` draws the
    bootstrap distribution of an index with its value and critical values.

    Attributes
    ----------
    draws : ndarray (n_ok, 6)
        Bootstrap distances (saturated SRMR, d_ULS, d_G, estimated SRMR, d_ULS, d_G).
    n_boot, n_failed : int
        Replicates asked for, and dropped (failed or inadmissible, see :func:`inadmissible`).
    seed : int or None
    level : float
    composite : bool
    """

    def __init__(self, result, est, draws, n_boot, n_failed, seed, level, composite, inadmissible=None):
        import dataclasses
        self.draws, self.n_boot, self.n_failed, self.seed = draws, n_boot, n_failed, seed
        self.level, self.composite = level, composite
        self.nobs = result.nobs
        self._weighted = result.case_weights is not None
        self._consistent = bool(result.options["consistent"])
        self._warnings = []
        self._references = (MR.DIJKSTRA_HENSELER_MISQ, R.HENSELER_2014) + (
            (R.BOLLEN_STINE, R.BERAN_SRIVASTAVA, R.EFRON_TIBSHIRANI) if n_boot else ())
        self._provenance = dataclasses.replace(result.provenance, seed=seed)
        rows = []
        for k, (m, i) in enumerate((m, i) for m in MODELS for i in INDICES):
            row = {"model": m, "index": i, "est": est[k]}
            if n_boot:
                col = draws[:, k]
                col = col[np.isfinite(col)]
                q = np.quantile(col, [0.95, 0.99, level]) if len(col) else [np.nan] * 3
                row.update(hi95=q[0], hi99=q[1], hi_level=q[2], fits=bool(est[k] <= q[2]))
            rows.append(row)
        self._table = pd.DataFrame(rows)
        if inadmissible is not None:
            self._flag(f"the fit is inadmissible ({inadmissible}), so the test of exact fit is not valid (cSEM's "
                       "testOMF refuses such a fit); under PLSc this usually means a construct with a weak block",
                       ImproperSolutionWarning)
        if not np.isfinite(est[2]) or not np.isfinite(est[5]):
            self._flag("d_G is undefined because a model-implied indicator correlation matrix is not positive "
                       "definite (or the empirical one is singular); the model implies impossible correlations",
                       ImproperSolutionWarning)
        if n_failed:
            self._flag(f"{n_failed} of {n_boot} model-fit bootstrap replicates failed (a constant resampled item, "
                       "collinear construct scores, no convergence, or an inadmissible solution: a loading or "
                       "reliability above 1, a construct or implied correlation matrix that is not positive "
                       "definite) and were dropped", ConvergenceWarning)

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{m} {i}" for m, i in zip(t["model"], t["index"])])

    def decide(self) -> Decision:
        """The bootstrap test of exact fit of the estimated model (Dijkstra & Henseler 2015):
        ``"retain"`` the model when SRMR, d_ULS and d_G all lie at or below their ``level``
        critical values, ``"reject"`` when any exceeds it, ``"inconclusive"`` without a
        bootstrap."""
        t = self._table[self._table["model"] == "estimated"].set_index("index")
        if not self.n_boot:
            return Decision("inconclusive", None, "no bootstrap was run, so there are no critical values; call "
                            "fit_indices(n_boot=499) or more", {"est": t["est"].to_dict()})
        crit = {i: {"est": float(t.loc[i, "est"]), "critical": float(t.loc[i, "hi_level"])} for i in INDICES}
        over = [i for i in INDICES if not crit[i]["est"] <= crit[i]["critical"]]
        crit["level"] = self.level
        if over:
            return Decision("reject", None, f"the estimated model's {', '.join(over)} exceed{'s' if len(over) == 1 else ''} "
                            f"the {self.level:.0%} bootstrap critical value: the model does not fit exactly", crit)
        return Decision("retain", None, f"SRMR, d_ULS and d_G of the estimated model are within their {self.level:.0%} "
                        "bootstrap critical values: no evidence against exact fit", crit)

    def methods_text(self) -> str:
        t = self._table.set_index(["model", "index"])["est"]
        kind = ("every block treated as a composite" if self.composite
                else "reflective blocks as common factors and formative blocks as composites")
        text = (f"Overall model fit was assessed by the SRMR ({R.HENSELER_2014.cite}) and the unweighted least squares "
                f"(d_ULS) and geodesic (d_G) distances between the empirical and the model-implied indicator "
                f"correlation matrices ({MR.DIJKSTRA_HENSELER_MISQ.cite}), {kind}"
                + (", with consistent loadings and disattenuated construct correlations" if self._consistent else "")
                + (", using weighted correlations" if self._weighted else "")
                + f". SRMR was {t[('saturated', 'srmr')]:.3f} for the saturated and {t[('estimated', 'srmr')]:.3f} "
                f"for the estimated model.")
        if self.n_boot:
            text += (f" Critical values (HI95, HI99) came from {self.n_boot} bootstrap replicates of the data "
                     f"transformed to fit the model exactly ({R.BOLLEN_STINE.cite}; {R.BERAN_SRIVASTAVA.cite}; "
                     f"{R.EFRON_TIBSHIRANI.cite}; seed {self.seed}); {self.n_boot - self.n_failed} replicates were used.")
        return text

    def plot(self, ax=None, *, index: str = "d_uls", model: str = "estimated"):
        """The bootstrap distribution of ``index`` for ``model`` with the observed value and
        HI95/HI99 (without a bootstrap: the six values as bars).  Returns the Axes."""
        if index not in INDICES:
            raise InputError(f"index must be one of {INDICES}, got {index!r}")
        if model not in MODELS:
            raise InputError(f"model must be one of {MODELS}, got {model!r}")
        ax = plotting.axes(ax, figsize=(6, 4))
        t = self._table
        if not self.n_boot:
            sub = t[t["index"] == index]
            ax.bar(sub["model"], sub["est"], color=plotting.color(0))
            ax.set_ylabel(index)
            ax.set_title(f"PLS model fit: {index}")
            return ax
        k = MODELS.index(model) * 3 + INDICES.index(index)
        row = t.iloc[k]
        col = self.draws[:, k]
        ax.hist(col[np.isfinite(col)], bins=30, color=plotting.color(0), alpha=0.6)
        ax.axvline(row["est"], color=plotting.color(1), lw=1.5, label="observed")
        ax.axvline(row["hi95"], color="grey", ls="--", lw=1, label="HI95")
        ax.axvline(row["hi99"], color="grey", ls=":", lw=1, label="HI99")
        ax.set_xlabel(f"{index} ({model} model)")
        ax.set_ylabel("bootstrap replicates")
        ax.legend(frameon=False)
        return ax
