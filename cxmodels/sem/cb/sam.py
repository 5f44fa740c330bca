r"""Structural-after-measurement (SAM) estimation, as lavaan's ``sam()`` (Rosseel & Loh 2022).

Step 1 fits each latent variable's measurement model on its own (a one-factor CFA with the
residual covariances among its indicators), so a misspecified structural part cannot bias the
loadings.  Step 2 estimates the structural part:

* **local** (lavaan's default): the loadings ``Lambda`` and residual covariances ``Theta`` of
  all blocks give the mapping matrix :math:`M = (\Lambda'\Theta^{-1}\Lambda)^{-1}\Lambda'\Theta^{-1}`
  (``M.method = "ML"``) and the latent covariance matrix
  :math:`\widehat{\operatorname{Var}}(\eta) = M S M' - \lambda^* M \Theta M'` (``S`` the ML
  covariance, divisor N; :math:`\lambda^* = 1` unless the smallest root :math:`\lambda` of
  :math:`|MSM' - \lambda M\Theta M'| = 0` is below :math:`1 + 1/(N-1)`, then
  :math:`\lambda^* = \lambda - 1/(N-1)`, which keeps the matrix positive definite); the
  structural model is fitted by ML to it as a sample covariance matrix with N observations;
* **global**: the structural parameters maximise the likelihood of the whole model with the
  measurement parameters fixed at their step-1 values.

Standard errors are lavaan's ``"twostep"`` ones: with the joint model's expected information
``I`` at the combined estimates (blocks 1: step-1 parameters, 2: structural ones) and the
step-1 covariance :math:`\Sigma_{11}`,

.. math::

    \operatorname{vcov}(\hat\theta_2) = \frac1N I_{22}^{-1}
    + I_{22}^{-1} I_{21} \Sigma_{11} I_{12} I_{22}^{-1}.

Residual covariances between indicators of different latent variables are not estimated by
SAM (lavaan leaves them empty); they are left out of the table and named in a warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from ... import _validation as V
from ..._numerics import jacobian
from ..._results import Result
from ..._stats import wald
from ...errors import (ConvergenceWarning, CXModelsError, CXModelsWarning, EstimationError, IdentificationError,
                       ImproperSolutionWarning, InputError, warn)
from ...provenance import make_provenance
from .. import references as R
from ..expressions import compile_expression
from .model import RAMModel
from .partable import build

__all__ = ["sam", "SAMResult"]

METHODS = ("local", "global")


class SAMResult(Result):
    """A structural-after-measurement fit (see :func:`sam`).

    ``summary()``: lavaan's parameter table (``lhs``, ``op``, ``rhs``, ``est``, ``se``, ``z``,
    ``pvalue``, ``ci_lower``, ``ci_upper``) with ``step`` (1: measurement block, 2: structural);
    ``params``: the estimates named ``"lhs op rhs"`` (``:=`` rows by their name);
    ``reliability``: per latent variable, the share of the mapped scores' variance that is
    true-score variance (local SAM);
    ``latent_covariance``: the step-2 input :math:`\\widehat{\\operatorname{Var}}(\\eta)`;
    ``measurement``: per block, indicators, chi-square and df; ``structural_fit``: fit of the
    structural part (local SAM).  ``plot(ax=None)``: the structural coefficients with intervals.
    """

    def __init__(self, table, method, reliability, veta, measurement, structural_fit, nobs, provenance, notes,
                 converged=True, problems=()):
        self._table, self.method, self.nobs = table, method, nobs
        self.reliability, self.latent_covariance = reliability, veta
        self.measurement, self.structural_fit = measurement, structural_fit
        self._provenance = provenance
        self._warnings = []
        self._references = (R.ROSSEEL_LOH, R.ROSSEEL)
        for n in notes:  # information the reader needs, without clearing a flag
            self._warnings.append(n)
            warn(n, CXModelsWarning)
        if not converged:
            self._flag("the structural part did not converge; estimates are unreliable", ConvergenceWarning)
        for p in problems:
            self._flag(p, ImproperSolutionWarning)

    @property
    def params(self) -> pd.Series:
        t = self._table
        names = np.where(t["op"] == ":=", t["lhs"], t["lhs"] + " " + t["op"] + " " + t["rhs"])
        return pd.Series(t["est"].to_numpy(), index=names, name="est")

    def methods_text(self) -> str:
        how = ("the latent covariance matrix implied by the measurement blocks (an ML mapping matrix, corrected "
               "for measurement error) was the input of an ML fit of the structural part" if self.method == "local"
               else "the structural parameters maximised the likelihood of the whole model with the measurement "
                    "parameters fixed at their step-1 values")
        return (f"The model was estimated on {self.nobs} observations by structural-after-measurement ("
                f"{self.method} SAM; {R.ROSSEEL_LOH.cite}), as lavaan ({R.ROSSEEL.cite}) computes it: each latent "
                f"variable's measurement model was fitted on its own by maximum likelihood, then {how}. Standard "
                "errors of the structural part account for the uncertainty of the measurement part (two-step).")

    def plot(self, ax=None):
        from ... import plotting

        t = self._table[self._table["op"] == "~"]
        ax = plotting.axes(ax)
        y = np.arange(len(t))
        ax.errorbar(t["est"], y, xerr=[t["est"] - t["ci_lower"], t["ci_upper"] - t["est"]], fmt="o",
                    color=plotting.color(0))
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{a} <- {b}" for a, b in zip(t["lhs"], t["rhs"])])
        ax.set_xlabel("structural coefficient")
        return ax


def _key(lhs, op, rhs):
    return (lhs, op, rhs) if op != "~~" else (min(lhs, rhs), op, max(lhs, rhs))


def _smallest_root(A, B):
    """Smallest root of |A - lambda B| = 0 (lavaan's lav_matrix_symmetric_diff_smallest_root); rows
    of ``B`` that are zero (error-free covariates) are profiled out by the Schur complement."""
    zero = np.abs(np.diag(B)) < np.sqrt(np.finfo(float).eps)
    if zero.any():
        p_, n_ = ~zero, zero
        A = A[np.ix_(p_, p_)] - A[np.ix_(p_, n_)] @ np.linalg.solve(A[np.ix_(n_, n_)], A[np.ix_(n_, p_)])
        B = B[np.ix_(p_, p_)]
    return float(linalg.eigh(A, B, eigvals_only=True)[0])


def _information(model: RAMModel, theta: np.ndarray) -> np.ndarray:
    """Expected information (per observation) of normal-theory ML: 1/2 tr(S^-1 dS_a S^-1 dS_b)."""
    Sigma, _, dS, _ = model.jacobian(theta, 0)
    Si = np.linalg.inv(Sigma)
    M = np.einsum("ij,qjk->qik", Si, dS)
    return 0.5 * np.einsum("aij,bji->ab", M, M)


def sam(model: str, data: pd.DataFrame, *, method: str = "local", blocks=None, level: float = 0.95) -> SAMResult:
    """Structural-after-measurement estimation (Rosseel & Loh 2022), as lavaan's ``sam()``.

    Parameters
    ----------
    model : str
        lavaan syntax: measurement part (``=~``, residual covariances) and a structural part
        among the latent variables (``~``, ``~~``), with observed covariates as predictors.
    data : DataFrame
        One row per respondent (rows with missing values are excluded, listwise). Never modified.
    method : {"local", "global"}
        lavaan's ``sam.method``.
    blocks : list of lists of str, optional
        The measurement blocks (lavaan's ``mm.list``): latent variables fitted together in step 1
        (their covariances and the residual covariances among their indicators are estimated
        there).  Default: one block per latent variable.  Every latent variable must be in
        exactly one block.
    level : float
        Level of the Wald intervals.

    Returns
    -------
    SAMResult

    Raises
    ------
    InputError
        An unknown method; a model without latent variables, with a latent variable measured by
        another, or with an observed variable as an outcome of the structural part (observed
        exogenous covariates are supported, as lavaan's error-free single indicators).
    ModelSyntaxError
        A ``:=`` line naming a label the model does not define.
    IdentificationError
        A measurement block that is not identified on its own (a latent variable with two
        indicators and nothing else).

    References
    ----------
    Rosseel, Y., & Loh, W. W. (2022). A structural after measurement approach to structural
    equation modeling. *Psychological Methods*.
    """
    from .fit import fit_sem

    if method not in METHODS:
        raise InputError(f"method must be one of {list(METHODS)}, got {method!r}")
    if not isinstance(model, str):
        raise InputError(f"model must be a string of lavaan syntax, got {type(model).__name__}")
    V.check_level(level)
    table, v, defined = build(model, meanstructure=False)
    labels = {r.label: r for r in table.itertuples() if r.label}
    compiled = []
    for st in defined:  # checked now: an unknown name is a ModelSyntaxError quoting the line
        compiled.append((st.lhs, compile_expression(st.rhs, f"{st.lhs} := {st.rhs}",
                                                    set(labels) | {c[0] for c in compiled}, lineno=st.line), st.rhs))
    if not v.latent:
        raise InputError("the model has no latent variables (=~); sam() needs a measurement part: use fit_sem")
    latent = list(v.latent)
    meas = table[table["op"] == "=~"]
    higher = sorted(set(meas.loc[meas["rhs"].isin(latent), "rhs"]))
    if higher:
        raise InputError(f"latent variables {higher} are indicators of other latent variables; sam() here "
                         "needs every indicator observed (higher-order models: use fit_sem)")
    struct_rows = table[table["op"].isin(["~", "~~"])]
    obs_in_struct = sorted({n for r in struct_rows[struct_rows["op"] == "~"].itertuples() for n in (r.lhs, r.rhs)
                            if n not in latent})
    indicators_all = set(meas["rhs"])
    not_covariate = [n for n in obs_in_struct if n not in v.exogenous_x or n in indicators_all]
    if not_covariate:
        raise InputError(f"observed variables {not_covariate} appear in the structural part as outcomes (or are "
                         "also indicators); sam() here supports observed variables there only as exogenous "
                         "covariates (predictors that nothing predicts)")
    covariates = [n for n in v.exogenous_x if n in obs_in_struct]
    V.require_frame(data)
    V.require_columns(data, v.observed)
    work = data[v.observed]
    notes = []
    incomplete = work.isna().any(axis=1)
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were excluded "
                     f"(listwise; {V.rows_text(work.index[incomplete])})")
        work = work.loc[~incomplete]

    # ---------------------------------------------------------------- step 1: measurement blocks
    mm = _check_blocks(blocks, latent)
    block_of = {f: k for k, b in enumerate(mm) for f in b}
    indicators = {f: list(meas.loc[meas["lhs"] == f, "rhs"]) for f in latent}
    owner = {x: block_of[f] for f, xs in indicators.items() for x in xs}
    cross = [r for r in struct_rows.itertuples() if r.op == "~~" and r.lhs != r.rhs and r.lhs in owner
             and r.rhs in owner and owner[r.lhs] != owner[r.rhs]]
    if cross:
        notes.append("residual covariances between indicators of different measurement blocks ("
                     + ", ".join(f"{r.lhs} ~~ {r.rhs}" for r in cross) + ") are not estimated by SAM "
                     "(each block is fitted on its own; put their latent variables in one block with blocks=)")
    est1, se1, vc1 = {}, {}, []
    block_problems: list[str] = []
    blocks = []
    for block in mm:
        f = ", ".join(block)
        xs = [x for g in block for x in indicators[g]]
        lines = [f"{g} =~ " + " + ".join(indicators[g]) for g in block]
        lines += [f"{r.lhs} ~~ {r.rhs}" for r in struct_rows.itertuples()
                  if r.op == "~~" and r.lhs != r.rhs and r.lhs in xs and r.rhs in xs]
        try:
            with warnings.catch_warnings(record=True) as caught:  # recorded on the SAM result instead
                warnings.simplefilter("always")
                fit = fit_sem("\n".join(lines), work)
        except IdentificationError as exc:
            raise IdentificationError(f"the measurement block of {f} ({', '.join(xs)}) is not identified on its "
                                      f"own ({exc}); sam() fits each latent variable separately, so each block needs "
                                      "non-negative degrees of freedom (e.g. three indicators without residual "
                                      "covariances among them)") from None
        if not fit.converged:
            raise EstimationError(f"the measurement model of {f} did not converge; sam() cannot continue")
        block_problems += [f"measurement block {f}: {w}" for w in fit.warnings] if not fit.admissible else []
        notes += [f"measurement block {f}: {w.message}" for w in caught
                  if fit.admissible and issubclass(w.category, CXModelsWarning)]
        t = fit.estimates(standardized=False)
        vc = fit.vcov()
        keys = [_key(*_split(n)) for n in vc.index]
        vc1.append((keys, vc.to_numpy()))
        for r in t.itertuples():
            est1[_key(r.lhs, r.op, r.rhs)] = r.est
            se1[_key(r.lhs, r.op, r.rhs)] = r.se
        fi_ = fit.fit_indices()
        blocks.append({"latent": f, "indicators": len(xs), "chisq": float(fi_["chisq"]), "df": float(fi_["df"])})
    N = len(work)
    p, m = len(v.observed), len(latent)
    obs = list(v.observed)
    eta = latent + covariates  # observed covariates enter as error-free single indicators (lavaan's dummies)
    L = np.zeros((p, len(eta)))
    Th = np.zeros((p, p))
    for k, f in enumerate(latent):
        for x in indicators[f]:
            L[obs.index(x), k] = est1[_key(f, "=~", x)]
    for k, c in enumerate(covariates):
        L[obs.index(c), m + k] = 1.0
    for (a, op, b), val in est1.items():
        if op == "~~" and a in obs and b in obs:
            i, j = obs.index(a), obs.index(b)
            Th[i, j] = Th[j, i] = val
    X = work.to_numpy(float)
    S = np.cov(X, rowvar=False, bias=True)
    try:
        # covariates have no residual variance: invert the rest, a unit weight for them (as lavaan)
        zero = np.abs(np.diag(Th)) < 1e-6
        Ti = np.zeros_like(Th)
        Ti[np.ix_(~zero, ~zero)] = np.linalg.inv(Th[np.ix_(~zero, ~zero)])
        Ti[zero, zero] = 1.0
        Mg = np.linalg.solve(L.T @ Ti @ L, L.T @ Ti)
    except np.linalg.LinAlgError:
        raise EstimationError("the residual covariance matrix of the measurement blocks is singular (a residual "
                              "variance of zero); sam() cannot map the items to the latent variables") from None
    MSM, MTM = Mg @ S @ Mg.T, Mg @ Th @ Mg.T
    try:
        lam = _smallest_root(MSM, MTM)
    except (np.linalg.LinAlgError, ValueError):  # as lavaan: no shrinkage when the root cannot be found
        lam = np.inf
        notes.append("the smallest root of |MSM' - lambda MTM'| could not be computed (the mapped error "
                     "covariance is not positive definite: check the measurement blocks); no shrinkage applied")
    veta = MSM - (lam - 1 / (N - 1)) * MTM if lam < 1 + 1 / (N - 1) else MSM - MTM
    if lam < 1 + 1 / (N - 1):
        notes.append(f"the corrected latent covariance matrix was not positive definite (smallest root "
                     f"{lam:.3f}); the measurement-error correction was shrunk as lavaan does")
    rel = pd.Series(np.diag(veta)[:m] / np.diag(MSM)[:m], index=latent, name="reliability")

    # ---------------------------------------------------------------- step 2: structural part
    s_lines = []
    step2_rows = []
    for r in table.itertuples():
        if r.op == "~" or (r.op == "~~" and r.lhs in latent and r.rhs in latent):
            step2_rows.append(r)
            if r.op == "~":
                s_lines.append(f"{r.lhs} ~ {r.rhs}")
            elif r.lhs != r.rhs:  # user-given or lavaan's automatic exogenous covariances, spelled out
                s_lines.append(f"{r.lhs} ~~ {r.rhs}")
    # the structural step frees the covariances among all its exogenous variables (lavaan's add.exo.cov)
    exo = [f for f in latent if f not in set(table.loc[table["op"] == "~", "lhs"])] + covariates
    have = {frozenset((a, b)) for a, b in (ln.split(" ~~ ") for ln in s_lines if " ~~ " in ln)}
    s_lines += [f"{a} ~~ {b}" for i, a in enumerate(exo) for b in exo[i + 1:]
                if frozenset((a, b)) not in have and (a in covariates or b in covariates)]
    joint = RAMModel(table, v, 1, False)
    exo_fixed = {}
    for r in table.itertuples():  # covariates' moments are fixed at the sample ones (fixed.x)
        if r.op == "~~" and r.lhs in covariates and r.rhs in covariates:
            exo_fixed[_key(r.lhs, r.op, r.rhs)] = S[obs.index(r.lhs), obs.index(r.rhs)]
            joint.set_fixed(0, r.lhs, "~~", r.rhs, exo_fixed[_key(r.lhs, r.op, r.rhs)])
    theta = np.zeros(joint.n_free)
    pid_of = {}
    for r in table.itertuples():
        if r.pid >= 0:
            pid_of[_key(r.lhs, r.op, r.rhs)] = r.pid
            if _key(r.lhs, r.op, r.rhs) in est1:
                theta[r.pid] = est1[_key(r.lhs, r.op, r.rhs)]
    step2 = sorted({r.pid for r in step2_rows if r.pid >= 0})
    veta_df = pd.DataFrame(veta, index=eta, columns=eta)
    struct_fit = None
    converged = True
    if method == "local":
        syntax = "\n".join(s_lines) if s_lines else "\n".join(f"{a} ~~ {b}" for a in latent for b in latent)
        try:
            fit2 = fit_sem(syntax, sample_cov=veta_df * N / (N - 1), sample_nobs=N, fixed_x=False)
        except CXModelsError as exc:
            raise EstimationError(f"the structural part could not be fitted to the corrected latent covariances "
                                  f"({exc})") from None
        converged = fit2.converged
        for r in fit2.estimates(standardized=False).itertuples():
            k = _key(r.lhs, r.op, r.rhs)
            if k in pid_of and pid_of[k] in step2:
                theta[pid_of[k]] = r.est
        fi2 = fit2.fit_indices()
        struct_fit = pd.Series({k: float(fi2[k]) for k in ("chisq", "df", "cfi", "rmsea", "srmr")}, name="value")
    else:
        theta, converged = _global_step(joint, theta, step2, S, veta_df, latent, table, pid_of)

    # ---------------------------------------------------------------- two-step standard errors
    info = _information(joint, theta)
    step1 = sorted({pid_of[k] for keys, _ in vc1 for k in keys if k in pid_of} - set(step2))
    S11 = np.zeros((len(step1), len(step1)))
    pos = {pid: i for i, pid in enumerate(step1)}
    for keys, vc in vc1:
        idx = [(a, pos[pid_of[k]]) for a, k in enumerate(keys) if k in pid_of and pid_of[k] in pos]
        if idx:
            src, dst = zip(*idx)
            S11[np.ix_(dst, dst)] = vc[np.ix_(src, src)]
    I22 = info[np.ix_(step2, step2)]
    I21 = info[np.ix_(step2, step1)]
    try:
        I22i = np.linalg.inv(I22)
    except np.linalg.LinAlgError:
        raise EstimationError("the information matrix of the structural part is singular: the structural model "
                              "is not identified") from None
    vc2 = I22i / N + I22i @ I21 @ S11 @ I21.T @ I22i
    se2 = dict(zip(step2, np.sqrt(np.clip(np.diag(vc2), 0, None))))

    rows = []
    cross_keys = {_key(r.lhs, r.op, r.rhs) for r in cross}
    seen = set()
    for r in table.itertuples():
        k = _key(r.lhs, r.op, r.rhs)
        if k in cross_keys or k in seen or r.op not in ("=~", "~", "~~"):
            continue
        seen.add(k)
        if r.pid >= 0 and r.pid in se2:
            rows.append((r.lhs, r.op, r.rhs, theta[r.pid], se2[r.pid], 2))
        elif r.pid >= 0:
            rows.append((r.lhs, r.op, r.rhs, theta[r.pid], se1.get(k, np.nan), 1))
        else:
            rows.append((r.lhs, r.op, r.rhs, exo_fixed.get(k, r.value), 0.0, 1))
    if compiled:
        # delta method on the joint covariance (step-1 block, two-step structural block, as lavaan)
        V_all = np.zeros((joint.n_free, joint.n_free))
        V_all[np.ix_(step1, step1)] = S11
        V_all[np.ix_(step2, step2)] = vc2

        def defined_at(th):
            env = {lab: (th[r.pid] if r.pid >= 0 else r.value) for lab, r in labels.items()}
            out_ = []
            for name, expr, _ in compiled:
                env[name] = expr.evaluate(env)
                out_.append(env[name])
            return np.asarray(out_, float)

        J = jacobian(defined_at, theta)
        d_se = np.sqrt(np.clip(np.diag(J @ V_all @ J.T), 0, None))
        rows += [(name, ":=", text, val, sd, 2) for (name, _, text), val, sd in zip(compiled, defined_at(theta), d_se)]
    out = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "step"])
    w = wald(out["est"], out["se"], level)
    for c in ("z", "pvalue", "ci_lower", "ci_upper"):
        out[c] = w[c]
    out = out[["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "step"]]
    problems = block_problems + [f"the variance of {r.lhs} is negative ({r.est:.3g}): an improper solution"
                                 for r in out.itertuples() if r.op == "~~" and r.lhs == r.rhs and r.est < 0]
    prov = make_provenance("cxmodels.sem.cb.sam", data, {"method": method, "level": level, "model": model,
                                                          "blocks": [list(b) for b in mm]})
    return SAMResult(out, method, rel if method == "local" else None, veta_df, pd.DataFrame(blocks), struct_fit, N,
                     prov, notes, converged=converged, problems=problems)


def _check_blocks(blocks, latent):
    """lavaan's ``mm.list``: a partition of the latent variables (default one block each)."""
    if blocks is None:
        return [[f] for f in latent]
    if isinstance(blocks, str) or not all(isinstance(b, (list, tuple)) and b for b in blocks):
        raise InputError("blocks must be a list of non-empty lists of latent variable names, e.g. "
                         f"[{latent[:1]}, {latent[1:]}], got {blocks!r}")
    flat = [f for b in blocks for f in b]
    unknown = sorted(set(flat) - set(latent))
    missing = [f for f in latent if f not in flat]
    twice = sorted({f for f in flat if flat.count(f) > 1})
    if unknown or missing or twice:
        raise InputError(f"blocks must place every latent variable {latent} in exactly one block: "
                         f"unknown {unknown}, missing {missing}, repeated {twice}")
    return [list(b) for b in blocks]


def _split(name: str):
    for op in ("=~", "~~", "~"):
        if op in name:
            a, b = name.split(op, 1)
            return a.strip(), op, b.strip()
    raise ValueError(name)


def _global_step(joint, theta, step2, S, veta, latent, table, pid_of):
    """Global SAM: ML over the structural parameters with the measurement part fixed."""
    theta = theta.copy()
    # start the structural part from the corrected latent covariances (variances, zero paths)
    for r in table.itertuples():
        if r.pid in step2 and r.op == "~~" and r.lhs == r.rhs:
            theta[r.pid] = veta.loc[r.lhs, r.lhs]
    p = len(S)
    ld = np.linalg.slogdet(S)[1]

    def f_and_g(x):
        th = theta.copy()
        th[step2] = x
        Sigma, _, dS, _ = joint.jacobian(th, 0)
        sign, lds = np.linalg.slogdet(Sigma)
        if sign <= 0:
            return 1e10, np.zeros(len(x))
        Si = np.linalg.inv(Sigma)
        F = lds + np.trace(S @ Si) - ld - p
        Wm = Si - Si @ S @ Si
        g = np.einsum("ij,qji->q", Wm, dS[step2])
        return F, g

    sol = optimize.minimize(f_and_g, theta[step2], jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    theta[step2] = sol.x
    return theta, bool(sol.success) or float(np.abs(sol.jac).max()) < 1e-6
