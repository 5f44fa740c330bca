"""Covariance-based SEM: ``fit_sem`` (ML, MLR, FIML, multigroup).

The engine is this package's own (RAM matrices with analytic derivatives, Fisher
scoring); the parameter table, defaults, standard errors and fit indices follow
lavaan 0.6 (Rosseel 2012), against which ``tests/test_sem_lavaan_parity.py`` checks
every number.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _validation as V
from ..errors import ConvergenceWarning, IdentificationError, InputError
from .estimate import (Discrepancy, GroupData, casewise_scores, em_saturated, make_blocks,
                       minimize, numerical_hessian)
from .model import RAMModel
from .partable import Variables, build

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


def fit_core(table: pd.DataFrame, v: Variables, arrays: list[np.ndarray], *, fiml: bool,
             meanstructure: bool, theta0: np.ndarray | None = None) -> Core:
    """Fit a compiled parameter table to per-group data arrays (rows complete unless ``fiml``)."""
    G = len(arrays)
    model = RAMModel(table, v, G, meanstructure)
    blocks, N = make_blocks(arrays, fiml)
    # fixed.x: exogenous covariates take their sample moments.
    for g, Y in enumerate(arrays):
        xi = [v.observed.index(x) for x in v.exogenous_x]
        if xi:
            X = Y[:, xi]
            S = np.cov(X[~np.isnan(X).any(axis=1)], rowvar=False, bias=True).reshape(len(xi), len(xi))
            means = np.nanmean(X, axis=0)
            for a, xa in enumerate(v.exogenous_x):
                model.set_fixed(g, xa, "~1", "", means[a])
                for b, xb in enumerate(v.exogenous_x):
                    model.set_fixed(g, xa, "~~", xb, S[a, b])
    disc = Discrepancy(model, blocks, N, meanstructure)
    if theta0 is None:
        Y0 = np.vstack(arrays)
        S0 = pd.DataFrame(Y0).cov(ddof=0).to_numpy()
        theta0 = _start_values(table, v, S0, np.nanmean(Y0, axis=0))
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
    """The unrestricted model (every variance, covariance and mean free)."""
    rows = []
    obs = v.observed
    for g in range(n_groups):
        for a in range(len(obs)):
            for b in range(a, len(obs)):
                rows.append(dict(lhs=obs[a], op="~~", rhs=obs[b], group=g, free=True, value=np.nan,
                                 label="", start=None, user=False, exo=False))
        if meanstructure:
            for o in obs:
                rows.append(dict(lhs=o, op="~1", rhs="", group=g, free=True, value=np.nan,
                                 label="", start=None, user=False, exo=False))
    t = pd.DataFrame(rows)
    t["pid"] = np.arange(len(t))
    return t


def _validate(data, model_vars: list[str], group, missing, estimator, ordered):
    V.require_frame(data)
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if missing not in MISSING:
        raise InputError(f"missing must be one of {MISSING}, got {missing!r}")
    V.require_columns(data, model_vars, "data (the model's observed variables)")
    if group is not None:
        V.require_columns(data, [group], "data (the group column)")
        nmiss = int(data[group].isna().sum())
        if nmiss:
            raise InputError(f"group column {group!r} has {nmiss} missing values")
    V.require_numeric(data, model_vars)
    V.require_finite(data, model_vars)
    V.require_not_constant(data, model_vars)


def fit_sem(model: str, data: pd.DataFrame, *, estimator: str = "ML", missing: str = "listwise",
            group: str | None = None, group_equal=(), std_lv: bool = False,
            meanstructure: bool | None = None, fixed_x: bool = True, ordered=None,
            level: float = 0.95):
    """Fit a structural equation model written in lavaan syntax.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, ``~ 1``, labels, fixed values, ``:=``).
    data : DataFrame
        One row per respondent; columns named as the model's observed variables.
        Never modified.
    estimator : {"ML", "MLR"}
        ``"ML"``: normal-theory maximum likelihood with standard errors from the
        expected information (lavaan's default).  ``"MLR"``: the same estimates with
        Huber-White sandwich standard errors (observed information as the bread, as
        lavaan) and the Yuan-Bentler scaled chi-square (Yuan & Bentler 2000,
        Sociological Methodology 30, 165-200), robust to the non-normality of Likert items.
    missing : {"listwise", "fiml"}
        ``"fiml"``: full-information ML using every observed value under MAR (Arbuckle
        1996); standard errors from the observed information, as lavaan's ``missing="ml"``.
    group : str, optional
        Column naming groups for a multigroup model.
    group_equal : sequence of str
        Parameters held equal across groups (lavaan's ``group.equal``): "loadings",
        "intercepts", "residuals", "regressions", "lv.variances", "lv.covariances", "means".
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.
    meanstructure : bool, optional
        Model means; defaults to True with ``group`` or ``missing="fiml"`` (as lavaan).
    fixed_x : bool
        Treat observed exogenous covariates as fixed (their moments are not modelled).
    ordered : list of str, optional
        Ordinal indicators for DWLS/WLSMV estimation (see :func:`fit_sem_ordinal`).
    level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    SEMResult

    References
    ----------
    Bollen, K. A. (1989). *Structural Equations with Latent Variables*. Wiley.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2), 1-36.
    """
    from .result import SEMResult  # late import: result imports this module

    if ordered:
        from .ordinal import fit_sem_ordinal
        return fit_sem_ordinal(model, data, ordered=ordered, group=group, std_lv=std_lv, level=level)
    estimator = estimator.upper() if isinstance(estimator, str) else estimator
    missing = {"ml": "fiml", "fiml": "fiml", "listwise": "listwise"}.get(missing, missing)
    if isinstance(group_equal, str):
        group_equal = [group_equal]
    fiml = missing == "fiml"
    if meanstructure is None:
        meanstructure = group is not None or fiml
    # A first pass with one group finds the variables, to validate the data.
    _, v0, _ = build(model, n_groups=1, meanstructure=meanstructure, std_lv=std_lv, fixed_x=fixed_x)
    _validate(data, v0.observed, group, missing, estimator, ordered)

    notes: list[str] = []
    work = data[v0.observed + ([group] if group else [])]
    if not fiml:
        incomplete = work[v0.observed].isna().any(axis=1)
        if incomplete.any():
            notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were "
                         "excluded (listwise deletion); missing='fiml' uses them")
            work = work.loc[~incomplete]
    else:
        empty = work[v0.observed].isna().all(axis=1)
        if empty.any():
            notes.append(f"{int(empty.sum())} rows with every variable missing were excluded")
            work = work.loc[~empty]
        if v0.exogenous_x and work[v0.exogenous_x].isna().any().any():
            raise InputError(f"exogenous covariates {v0.exogenous_x} have missing values; with fixed_x "
                             "they must be complete (or model them: fixed_x=False)")
    arrays, group_labels = _group_arrays(work, v0.observed, group)
    G = len(arrays)
    table, v, defined = build(model, n_groups=G, meanstructure=meanstructure, std_lv=std_lv,
                              fixed_x=fixed_x, group_equal=group_equal)
    q = int(table["pid"].max() + 1)
    p, px = len(v.observed), len(v.exogenous_x)
    moments = lambda k: k * (k + 1) // 2 + (k if meanstructure else 0)
    df = G * (moments(p) - moments(px)) - q
    if df < 0:
        raise IdentificationError(
            f"the model has {q} free parameters but the data give only {q + df} sample moments "
            f"({df} degrees of freedom): it is not identified; fix or constrain parameters")
    n_min = min(len(a) for a in arrays)
    if sum(len(a) for a in arrays) <= q:
        raise InputError(f"{sum(len(a) for a in arrays)} rows cannot identify {q} free parameters")
    if n_min < 2:
        raise InputError("every group needs at least two rows of data")

    core = fit_core(table, v, arrays, fiml=fiml, meanstructure=meanstructure)
    if not core.converged:
        msg = f"the optimizer did not converge ({core.message}); estimates are unreliable"
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        notes.append(msg)
    options = dict(estimator=estimator, missing=missing, group=group, group_equal=list(group_equal),
                   std_lv=std_lv, meanstructure=meanstructure, fixed_x=fixed_x, level=level)
    return SEMResult(core=core, model_syntax=model, defined=defined, data=data, options=options,
                     group_labels=group_labels, df=df, notes=notes)


def _saturated_moments(core: Core):
    """Unrestricted per-group moments: the sample moments, or EM estimates under FIML."""
    out = []
    for gd in core.data:
        if np.isnan(gd.Y).any():
            out.append(em_saturated(gd.Y))
        else:
            out.append((np.cov(gd.Y, rowvar=False, bias=True), gd.Y.mean(axis=0)))
    return out


def robust_pieces(core: Core, observed: bool = False):
    """``A`` (expected, or with ``observed`` the observed, information per observation) and
    ``B`` (mean outer product of casewise scores): the bread and meat of the sandwich."""
    A = observed_information(core) if observed else core.info()
    scores = casewise_scores(core.model, core.data, core.theta)
    B = scores.T @ scores / core.N
    return A, B


def observed_information(core: Core) -> np.ndarray:
    """Half the Hessian of ``F`` (observed information per observation), numerically."""
    return 0.5 * numerical_hessian(core.grad, core.theta)
