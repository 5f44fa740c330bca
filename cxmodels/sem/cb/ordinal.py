"""Ordinal indicators: DWLS estimation with robust standard errors and the
mean-and-variance adjusted (WLSMV) test, as lavaan's ``estimator="WLSMV"``.

Likert items are treated as coarsened normal responses ``y*`` (Muthen 1984,
Psychometrika 49, 115-132).  The sample statistics are the thresholds ``tau`` and the
polychoric correlations ``r`` (:mod:`cxmodels.sem.cb.polychoric`), stacked as ``s`` with
asymptotic covariance ``Gamma``.  Under the delta parameterization the model's
``Sigma*`` has a unit diagonal, so its implied correlations are the off-diagonal of
``Lambda Psi Lambda' + Theta_offdiag`` and the residual variances follow as
``1 - diag(Lambda Psi Lambda')``.  The estimates minimise

.. math::

    F_{DWLS}(\\theta) = (s - \\sigma(\\theta))^T W_D (s - \\sigma(\\theta)),\\qquad
    W_D = \\operatorname{diag}(\\Gamma)^{-1},

by Levenberg-Marquardt on the weighted residuals ``W_D^{1/2} (s - sigma(theta))``
(:func:`scipy.optimize.least_squares`, ``method="lm"``).  Standard errors are the sandwich
``(D'WD)^{-1} D'W Gamma W D (D'WD)^{-1} / (N - 1)`` with ``D = d sigma / d theta``; the test
statistic ``T = (N - 1) F`` (lavaan's convention) is scaled and shifted (Asparouhov & Muthen 2010, "Simple second
order chi-square correction"): with ``U = W - W D (D'WD)^{-1} D' W``,
``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)`` and
``T_ss = a T + b``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ... import _validation as V
from ..._numerics import jacobian
from ..._stats import wald
from ...errors import (ConvergenceWarning, EstimationError, IdentificationError, ImproperSolutionWarning,
                       InputError)
from ...provenance import make_provenance
from .. import references as R
from ..expressions import compile_expression
from . import checks
from . import fit_indices as fi
from .base import SEMBase
from .core import _start_values
from .model import RAMModel
from .partable import build


class OrdinalSEMResult(SEMBase):
    """A DWLS/WLSMV fit (see :func:`fit_sem_ordinal`), with the surface of every SEM result
    (:class:`~cxmodels.sem.cb.base.SEMBase`): ``estimates()``/``summary()``, ``params``,
    ``fit_indices()``, ``plot()``, ``to_lavaan()``, ``provenance``, ``warnings``, flags,
    ``references`` and ``methods_text()``; ``reliability()`` and ``htmt()`` read the
    polychoric correlations."""

    def __init__(self, table, fit, model_syntax, options, notes, provenance, nobs, items, polychoric,
                 converged: bool, problems: list[str]):
        self._items, self._polychoric = items, polychoric
        self._table, self._fit, self.model_syntax = table, fit, model_syntax
        self.options, self._warnings, self._provenance, self.nobs = dict(options), list(notes), provenance, nobs
        self.group_labels = [None]
        self._references = (R.OLSSON, R.MUTHEN_1997, R.ASPAROUHOV_MUTHEN, R.ROSSEEL, R.HU_BENTLER)
        if not converged:
            self._flag("DWLS did not converge; estimates are unreliable", ConvergenceWarning, admissible=False)
        for p in problems:
            self._flag(p, ImproperSolutionWarning)

    _defined: list = []

    def _rows(self) -> pd.DataFrame:
        return self._table[self._table["op"] != ":="]

    @property
    def _core(self):
        """What :class:`~cxmodels.sem.cb.bootstrap.BootstrapResult` reads to name the rows of its
        draws (the table and the number of groups; an ordinal fit has no ML core)."""
        from types import SimpleNamespace
        labels = list(self.group_labels)
        groups = [labels.index(g) for g in self._rows()["group"]] if "group" in self._rows() else 0
        return SimpleNamespace(table=self._rows().assign(group=groups), model=SimpleNamespace(n_groups=len(labels)))

    def _row_values(self, theta) -> np.ndarray:
        """A bootstrap replicate is stored as the values of the table's rows (``:=`` excluded)."""
        return np.asarray(theta, float)

    def _defined_values(self, theta) -> np.ndarray:
        return _defined_values(self._defined, list(self._rows()["label"]), theta) if self._defined else np.zeros(0)

    def bootstrap(self, n_boot: int = 1000, *, seed=None, level: float | None = None, interval: str = "percentile",
                  progress=None):
        """Nonparametric bootstrap of the WLSMV fit (respondents resampled, thresholds, polychorics and
        estimates recomputed), with the ``:=`` parameters; returns a
        :class:`~cxmodels.sem.cb.bootstrap.BootstrapResult` (Efron & Tibshirani 1993)."""
        import warnings as _w

        from ..._progress import Progress
        from ...errors import CXModelsError
        from .bootstrap import BootstrapResult, _check_interval

        n_boot = V.check_count(n_boot, "n_boot", minimum=1)
        level = V.check_level(self.options["level"] if level is None else level)
        interval = _check_interval(interval)
        rng, recorded = V.resolve_seed(seed)
        n_rows = len(self._rows())
        draws, failed = [], 0
        bar = Progress(n_boot, "bootstrap (WLSMV)", progress)
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            for _ in range(n_boot):
                try:
                    rep = self._refit(self._resample(rng))
                    vals = rep._rows()["est"].to_numpy(float)
                    if rep.converged and len(vals) == n_rows:
                        draws.append(vals)
                    else:
                        failed += 1
                except CXModelsError:  # e.g. a category absent from the resample
                    failed += 1
                bar.update(1)
        theta = np.asarray(draws).reshape(len(draws), n_rows)
        return BootstrapResult(self, theta, n_boot, failed, recorded, level, interval)

    def _resample(self, rng) -> pd.DataFrame:
        """Respondents drawn with replacement."""
        idx = rng.integers(0, len(self._items), len(self._items))
        return self._items.iloc[idx].reset_index(drop=True)

    def _refit(self, frame: pd.DataFrame):
        return fit_sem_ordinal(self.model_syntax, frame, ordered=list(frame.columns), std_lv=self.options["std_lv"])

    def fit_indices(self) -> fi.FitIndices:
        """Fit indices of the WLSMV fit (lavaan's names; ``*_scaled`` are the mean-and-variance
        adjusted versions)."""
        return fi.FitIndices(self._fit.copy(), name="value", dtype=float)

    def _blocks(self) -> dict[str, list[str]]:
        t = self._table
        out: dict[str, list[str]] = {}
        for r in t[(t["op"] == "=~") & t["rhs"].isin(self._items.columns)].itertuples():
            out.setdefault(r.lhs, []).append(r.rhs)
        return out

    def reliability(self) -> pd.DataFrame:
        """alpha (ordinal alpha, from the polychoric correlations; Zumbo et al. 2007), rho_c,
        ave and rho_a per factor from the standardized loadings."""
        from ..measurement import reliability as rel
        t, Rm = self._table, self._polychoric
        rows = {}
        for f, xs in self._blocks().items():
            l = t[(t["op"] == "=~") & (t["lhs"] == f)].set_index("rhs").loc[xs, "std_all"].to_numpy()
            Rb = Rm.loc[xs, xs].to_numpy()
            k = len(xs)
            alpha = k / (k - 1) * (1 - k / Rb.sum()) if k > 1 else 1.0
            w = np.linalg.solve(Rb, l) if k > 1 else l
            w = w / np.sqrt(w @ Rb @ w)
            ww = np.outer(w, w)
            rho_a = ((w @ w) ** 2 * (w @ (Rb - np.diag(np.diag(Rb))) @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w)
                     if k > 1 else 1.0)
            rows[f] = {"alpha": alpha, "rho_c": rel.composite_reliability(l), "ave": rel.ave(l), "rho_a": rho_a}
        return pd.DataFrame.from_dict(rows, orient="index")

    def htmt(self) -> pd.DataFrame:
        """HTMT on the polychoric correlations."""
        blocks = self._blocks()
        cols = [c for b in blocks for c in blocks[b]]
        Rm = np.abs(self._polychoric.loc[cols, cols].to_numpy())
        from ..measurement.reliability import htmt_from_corr
        return pd.DataFrame(htmt_from_corr(Rm, [len(v) for v in blocks.values()]), index=list(blocks),
                            columns=list(blocks))

    def methods_text(self) -> str:
        f = self._fit
        return (f"The model was estimated on {self.nobs} observations treating the items as ordinal: "
                f"polychoric correlations and thresholds as in {R.OLSSON.cite}, then diagonally weighted least "
                f"squares with robust standard errors and the mean-and-variance adjusted chi-square (WLSMV) of "
                f"{R.MUTHEN_1997.cite} and {R.ASPAROUHOV_MUTHEN.cite}, as lavaan, the R package of "
                f"{R.ROSSEEL.cite}, computes them. "
                f"Fit: scaled chi-square({int(f['df'])}) = {f['chisq_scaled']:.2f}, CFI = {f['cfi_scaled']:.3f}, "
                f"TLI = {f['tli_scaled']:.3f}, RMSEA = {f['rmsea_scaled']:.3f}, SRMR = {f['srmr']:.3f}, judged "
                f"against the cutoffs of {R.HU_BENTLER.cite}.")


def _compile_defined(defined, labels: set[str]):
    """``[(name, Expression, text)]`` for the ``:=`` lines; an unknown name is a ModelSyntaxError
    that quotes the line (:mod:`cxmodels.sem.expressions`, never ``eval``)."""
    out, known = [], set(labels)
    for s in defined:
        out.append((s.lhs, compile_expression(s.rhs, f"{s.lhs} := {s.rhs}", known, lineno=s.line), s.rhs))
        known.add(s.lhs)
    return out


def _defined_values(compiled, labels, row_values) -> np.ndarray:
    """Defined parameters from the table's row values (a label names its first row)."""
    env = {}
    for lab, val in zip(labels, row_values):
        if lab and lab not in env:
            env[lab] = val
    out = []
    for name, expr, _ in compiled:
        env[name] = expr.evaluate(env)
        out.append(env[name])
    return np.asarray(out, dtype=float)


def _offdiag_pairs(labels: list[str], names: list[str]):
    idx = {n: i for i, n in enumerate(names)}
    pairs = []
    for lab in labels:
        if "~~" in lab:
            a, b = lab.split("~~")
            pairs.append((idx[a.strip()], idx[b.strip()]))
    return np.asarray(pairs, dtype=int)


def fit_sem_ordinal(model: str, data: pd.DataFrame, *, ordered, group=None, group_equal=(),
                    parameterization: str = "delta", std_lv: bool = False,
                    level: float = 0.95, tol: float = 1e-12, max_iter: int = 2000) -> OrdinalSEMResult:
    """Fit a SEM with ordinal (Likert) indicators by DWLS / WLSMV (lavaan's defaults).

    Parameters
    ----------
    model : str
        lavaan syntax; every observed variable must be listed in ``ordered``.
    data : DataFrame
        Integer-coded ordinal items (categories are the sorted distinct values).
    ordered : list of str or True
        The ordinal indicators (``True``: every observed variable of the model).
    group, group_equal
        Not used here: a multigroup ordinal model is
        :func:`cxmodels.sem.cb.ordinal_groups.fit_ordinal_groups`, reached through ``fit_sem``.
    parameterization : {"delta"}
        lavaan's ``parameterization``; one-group fits use the delta one (the theta one is
        available in multigroup fits).

    Returns
    -------
    OrdinalSEMResult
    """
    from .polychoric import ordinal_stats

    if group is not None:
        # the multigroup fit lives in ordinal_groups (which builds on this module): fit_sem dispatches
        raise InputError("multigroup ordinal models are fitted by fit_sem(model, data, ordered=..., group=...)")
    if parameterization != "delta":
        raise InputError(f"parameterization={parameterization!r}: one-group ordinal fits use the delta "
                         "parameterization (lavaan's default; the theta one is available with group=)")
    table, v, defined = build(model, meanstructure=False, std_lv=std_lv)
    # ':=' lines may use the model's labels (checked now, before the polychorics are estimated)
    compiled = _compile_defined(defined, set(table["label"][table["label"].astype(bool)]))
    V.require_frame(data)
    V.check_level(level)
    checks.require_unique_model_columns(data, v.observed)
    checks.require_latents_not_columns(data, v.latent)
    V.require_columns(data, v.observed)
    if isinstance(ordered, str):
        ordered = [ordered]
    ordered = list(v.observed) if ordered is True else list(ordered)
    not_ordinal = [o for o in v.observed if o not in ordered]
    if not_ordinal or v.exogenous_x:
        raise InputError(f"observed variables {not_ordinal or v.exogenous_x} are not declared ordered; with "
                         "ordinal estimation every observed variable must be an ordinal indicator")
    work = data[v.observed]
    incomplete = work.isna().any(axis=1)
    notes = []
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were excluded (listwise)")
        work = work.loc[~incomplete]
    if len(work) <= len(v.observed):
        raise InputError(f"{len(work)} complete rows cannot estimate polychoric correlations among "
                         f"{len(v.observed)} ordinal items; more rows than items are needed")
    try:
        st = ordinal_stats(work, ordered=v.observed)
    except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
        raise EstimationError(f"the polychoric correlations could not be estimated ({exc}); check for items "
                              "with a category that almost nobody chose") from None
    N = st.n
    # Delta parameterization: residual variances of the y* are not free parameters.
    t = table.copy()
    resid = (t["op"] == "~~") & (t["lhs"] == t["rhs"]) & t["lhs"].isin(v.observed)
    t.loc[resid, "free"] = False
    t.loc[resid, "value"] = 0.0
    free = t["free"].to_numpy()
    old = t["pid"].to_numpy()
    remap = {p: k for k, p in enumerate(sorted(set(old[free & (old >= 0)])))}
    t["pid"] = [remap[p] if f and p >= 0 else -1 for p, f in zip(old, free)]
    model_ram = RAMModel(t, v, 1, False)
    q_m = model_ram.n_free
    th_labels = [lab for lab in st.labels if "|" in lab]
    n_tau = len(th_labels)
    pairs = _offdiag_pairs(st.labels, st.columns)
    perm = [st.columns.index(o) for o in v.observed]  # model order -> stats order
    inv = np.argsort(perm)
    s = np.concatenate([np.concatenate([st.thresholds[c] for c in st.columns]),
                        st.correlation.to_numpy()[pairs[:, 0], pairs[:, 1]]])
    W = st.wls_weight_diag.copy()
    capped = ""
    if not np.all(np.isfinite(W)):
        # A statistic with zero sampling variance (e.g. two binary items that agree
        # perfectly): give it a large finite weight instead of an infinite one.
        bad = [lab for lab, w in zip(st.labels, W) if not np.isfinite(w)]
        capped = f"statistics {bad} have zero sampling variance; their DWLS weight was capped"
        W[~np.isfinite(W)] = 1e6 * np.max(W[np.isfinite(W)])
    Gamma = st.nacov

    def sigma_and_jac(theta):
        Sig, _, dS, _ = model_ram.jacobian(theta[:q_m], 0)
        Sig = Sig[np.ix_(inv, inv)]
        dS = dS[:, inv][:, :, inv]
        sig = np.concatenate([theta[q_m:], Sig[pairs[:, 0], pairs[:, 1]]])
        D = np.zeros((len(s), len(theta)))
        D[:n_tau, q_m:] = np.eye(n_tau)
        D[n_tau:, :q_m] = dS[:, pairs[:, 0], pairs[:, 1]].T
        return sig, D, Sig

    # Start: loadings from the polychoric correlations, as for continuous data.
    R_model = st.correlation.loc[v.observed, v.observed].to_numpy()
    theta = np.concatenate([_start_values(t, v, R_model, np.zeros(len(v.observed))),
                            s[:n_tau]])
    if len(s) < len(theta):
        raise IdentificationError(f"the model has {len(theta)} free parameters but the data give only {len(s)} "
                                  "thresholds and polychoric correlations: it is not identified")
    # Levenberg-Marquardt on the weighted residuals; the damping copes with the start
    # (regressions at 0), where some directions are locally unidentified.
    sw = np.sqrt(W)
    try:
        sol = optimize.least_squares(lambda th: sw * (s - sigma_and_jac(th)[0]), theta,
                                     jac=lambda th: -sw[:, None] * sigma_and_jac(th)[1], method="lm",
                                     xtol=tol, ftol=tol, gtol=tol, max_nfev=max_iter)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"DWLS estimation failed ({exc}); the polychoric correlation matrix may be "
                              "degenerate (items that agree perfectly, or a category nobody chose)") from None
    theta, converged = sol.x, bool(sol.status > 0) and bool(np.all(np.isfinite(sol.x)))
    sig, D, Sig = sigma_and_jac(theta)
    r = s - sig
    F = float(r @ (W * r))
    DW = D.T * W
    try:
        bread = np.linalg.inv(DW @ D)
    except np.linalg.LinAlgError:
        raise EstimationError("the DWLS information matrix is singular: the model is not identified on "
                              "these items (fix or constrain parameters)") from None
    # lavaan scales the DWLS statistic and covariance by N - 1 (as for Wishart likelihoods).
    vcov = bread @ (DW @ Gamma @ DW.T) @ bread / (N - 1)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    df = len(s) - len(theta)
    T = (N - 1) * F
    U = np.diag(W) - DW.T @ bread @ DW
    UG = U @ Gamma
    tr1, tr2 = np.trace(UG), np.trace(UG @ UG)
    a = np.sqrt(df / tr2) if df > 0 else np.nan
    b = df - a * tr1 if df > 0 else np.nan
    T_ss = a * T + b if df > 0 else 0.0
    # Baseline: thresholds free, correlations zero.
    rho = s[n_tau:]
    Tb = (N - 1) * float(rho @ (W[n_tau:] * rho))
    dfb = len(rho)
    Db = np.zeros((len(s), n_tau))
    Db[:n_tau] = np.eye(n_tau)
    DWb = Db.T * W
    Ub = np.diag(W) - DWb.T @ np.linalg.inv(DWb @ Db) @ DWb
    UGb = Ub @ Gamma
    ab = np.sqrt(dfb / np.trace(UGb @ UGb))
    Tb_ss = ab * Tb + (dfb - ab * np.trace(UGb))
    # Table.
    A, S_, _ = model_ram.matrices(theta[:q_m], 0)
    B = np.linalg.inv(np.eye(model_ram.n) - A)
    full = B @ S_ @ B.T
    resid_var = 1 - np.diag(full)[: len(v.observed)]
    sd_all = np.sqrt(np.concatenate([np.ones(len(v.observed)), np.diag(full)[len(v.observed):]]))
    idx = model_ram.index
    latent = set(v.latent)
    rows, row_pid = [], []
    for rr in t.itertuples():
        if rr.op == "~1":
            continue
        free_ = rr.pid >= 0
        est = theta[rr.pid] if free_ else (resid_var[idx[rr.lhs]] if (rr.op == "~~" and rr.lhs == rr.rhs
                                                                       and rr.lhs in v.observed) else rr.value)
        se = se_free[rr.pid] if free_ else 0.0
        i, j = (idx[rr.rhs], idx[rr.lhs]) if rr.op == "=~" else (idx[rr.lhs], idx.get(rr.rhs, 0))
        if rr.op == "=~":
            std_all = est * sd_all[j] / sd_all[i]
        elif rr.op == "~":
            std_all = est * sd_all[j] / sd_all[i]
        elif rr.lhs == rr.rhs:
            std_all = est / sd_all[i] ** 2
        else:
            std_all = est / np.sqrt(S_[i, i] * S_[j, j]) if rr.lhs in latent else \
                est / np.sqrt(resid_var[i] * resid_var[j])
        # (not named std_lv: that is the function's argument, recorded in the options below)
        std_lv_k = std_all if rr.lhs in latent and (rr.op != "=~") else (
            est * sd_all[j] if rr.op == "=~" else est)
        row_pid.append(rr.pid if free_ else -1)
        rows.append(dict(lhs=rr.lhs, op=rr.op, rhs=rr.rhs, label=rr.label, free=free_, est=est, se=se,
                         std_lv=std_lv_k, std_all=std_all))
    for k, lab in enumerate(th_labels):
        var, tk = lab.split("|")
        row_pid.append(q_m + k)
        rows.append(dict(lhs=var, op="|", rhs=tk, label="", free=True, est=theta[q_m + k],
                         se=se_free[q_m + k], std_lv=theta[q_m + k], std_all=theta[q_m + k]))
    tab = pd.DataFrame(rows)
    if compiled:
        # delta method: the defined values as functions of the free parameters
        row_pid = np.asarray(row_pid)
        fixed_vals = tab["est"].to_numpy(float)
        labels = list(tab["label"])

        def defined_at(th):
            vals = np.where(row_pid >= 0, th[np.clip(row_pid, 0, None)], fixed_vals)
            return _defined_values(compiled, labels, vals)

        d_est = defined_at(theta)
        J = jacobian(defined_at, theta)
        d_se = np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None))
        tab = pd.concat([tab, pd.DataFrame({"lhs": [c[0] for c in compiled], "op": ":=",
                                            "rhs": [c[2] for c in compiled], "label": [c[0] for c in compiled],
                                            "free": False, "est": d_est, "se": d_se, "std_lv": np.nan,
                                            "std_all": np.nan})], ignore_index=True)
    for col, values in wald(tab["est"], tab["se"], level).items():
        tab[col] = values
    tab = tab[["lhs", "op", "rhs", "label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
               "std_lv", "std_all"]]
    R_obs = st.correlation.loc[v.observed, v.observed].to_numpy()
    Sig_model = Sig[np.ix_(perm, perm)]
    np.fill_diagonal(Sig_model, 1.0)
    il = np.tril_indices(len(R_obs))  # lavaan averages over the diagonal (zero residuals) too
    srmr = float(np.sqrt(np.mean((R_obs - Sig_model)[il] ** 2)))
    fit = pd.Series({
        "npar": len(theta), "nobs": N, "chisq": T, "df": df,
        "pvalue": float(stats.chi2.sf(T, df)) if df > 0 else np.nan,
        "chisq_scaled": T_ss, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(T_ss, df)) if df > 0 else np.nan,
        "chisq_scaling_factor": 1 / a if df > 0 else np.nan, "chisq_shift_parameter": b,
        "baseline_chisq": Tb, "baseline_df": dfb, "baseline_chisq_scaled": Tb_ss,
        "cfi": fi.cfi(T, df, Tb, dfb), "tli": fi.tli(T, df, Tb, dfb),
        "cfi_scaled": fi.cfi(T_ss, df, Tb_ss, dfb), "tli_scaled": fi.tli(T_ss, df, Tb_ss, dfb),
        "rmsea": fi.rmsea(T, df, N), "rmsea_scaled": fi.rmsea(T_ss, df, N), "srmr": srmr,
    }, dtype=float)
    lo, hi = fi.rmsea_ci(T, df, N)
    fit["rmsea_ci_lower"], fit["rmsea_ci_upper"] = lo, hi
    problems = []
    if (resid_var < 0).any():
        bad = [o for o, rv in zip(v.observed, resid_var) if rv < 0]
        problems.append(f"negative residual variance for {bad}: a Heywood case")
    if capped:
        problems.append(capped)
    options = dict(estimator="WLSMV", ordered=v.observed, std_lv=std_lv, level=level)
    prov = make_provenance("cxmodels.sem.fit_sem (ordinal, WLSMV)", data, {"model": model, **options})
    res = OrdinalSEMResult(tab, fit, model, options, notes, prov, N, work, st.correlation, converged, problems)
    res._defined = compiled
    return res
