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

by damped Gauss-Newton.  Standard errors are the sandwich
``(D'WD)^{-1} D'W Gamma W D (D'WD)^{-1} / (N - 1)`` with ``D = d sigma / d theta``; the test
statistic ``T = (N - 1) F`` (lavaan's convention) is scaled and shifted (Asparouhov & Muthen 2010, "Simple second
order chi-square correction"): with ``U = W - W D (D'WD)^{-1} D' W``,
``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)`` and
``T_ss = a T + b``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import _validation as V
from ..._stats import wald
from ...errors import ConvergenceWarning, InputError
from ...provenance import make_provenance
from . import fit_indices as fi
from .core import _start_values
from .model import RAMModel
from .partable import build


class OrdinalSEMResult:
    """A DWLS/WLSMV fit (see :func:`fit_sem_ordinal`): the same surface as SEMResult's
    ``estimates()``, ``fit_indices()``, ``params``, ``provenance``, ``methods_text()``."""

    def __init__(self, table, fit, model_syntax, options, warnings_, provenance, nobs, items=None, polychoric=None):
        self._items, self._polychoric = items, polychoric
        self._table, self._fit, self.model_syntax = table, fit, model_syntax
        self.options, self._warnings, self._provenance, self.nobs = options, warnings_, provenance, nobs
        self.admissible = not warnings_

    def estimates(self, standardized: bool = True) -> pd.DataFrame:
        out = self._table.copy()
        return out if standardized else out.drop(columns=["std_lv", "std_all"])

    def summary(self) -> pd.DataFrame:
        return self.estimates()

    def fit_indices(self) -> pd.Series:
        return self._fit.copy()

    @property
    def params(self) -> pd.Series:
        t = self._table[self._table["free"]]
        return pd.Series(t["est"].to_numpy(), index=[f"{a} {o} {b}" for a, o, b in zip(t.lhs, t.op, t.rhs)])

    @property
    def provenance(self):
        return self._provenance

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)

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
        t, R = self._table, self._polychoric
        rows = {}
        for f, xs in self._blocks().items():
            l = t[(t["op"] == "=~") & (t["lhs"] == f)].set_index("rhs").loc[xs, "std_all"].to_numpy()
            Rb = R.loc[xs, xs].to_numpy()
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
        R = np.abs(self._polychoric.loc[cols, cols].to_numpy())
        from ..measurement.reliability import _htmt_from_corr
        return pd.DataFrame(_htmt_from_corr(R, [len(v) for v in blocks.values()]), index=list(blocks), columns=list(blocks))

    def plot(self, standardized: bool = True, ax=None, **kwargs):
        from ..diagram.path import path_diagram
        return path_diagram(self.estimates(), standardized=standardized, ax=ax, **kwargs)

    def methods_text(self) -> str:
        f = self._fit
        return (f"The model was estimated on {self.nobs} observations treating the items as ordinal: "
                "polychoric correlations and thresholds (Olsson, 1979), diagonally weighted least squares "
                "with robust standard errors and the mean-and-variance adjusted chi-square (WLSMV; Muthen, "
                "du Toit & Spisic, 1997; Asparouhov & Muthen, 2010), as in lavaan (Rosseel, 2012). "
                f"Fit: scaled chi-square({int(f['df'])}) = {f['chisq_scaled']:.2f}, CFI = {f['cfi_scaled']:.3f}, "
                f"TLI = {f['tli_scaled']:.3f}, RMSEA = {f['rmsea_scaled']:.3f}, SRMR = {f['srmr']:.3f}.")


def _offdiag_pairs(labels: list[str], names: list[str]):
    idx = {n: i for i, n in enumerate(names)}
    pairs = []
    for lab in labels:
        if "~~" in lab:
            a, b = lab.split("~~")
            pairs.append((idx[a.strip()], idx[b.strip()]))
    return np.asarray(pairs, dtype=int)


def fit_sem_ordinal(model: str, data: pd.DataFrame, *, ordered, group=None, std_lv: bool = False,
                    level: float = 0.95, tol: float = 1e-10, max_iter: int = 200) -> OrdinalSEMResult:
    """Fit a SEM with ordinal (Likert) indicators by DWLS / WLSMV (lavaan's defaults).

    Parameters
    ----------
    model : str
        lavaan syntax; every observed variable must be listed in ``ordered``.
    data : DataFrame
        Integer-coded ordinal items (categories are the sorted distinct values).
    ordered : list of str or True
        The ordinal indicators (``True``: every observed variable of the model).
    group : None
        Multigroup ordinal models are not supported yet.

    Returns
    -------
    OrdinalSEMResult
    """
    from .polychoric import ordinal_stats

    if group is not None:
        raise InputError("multigroup models with ordinal indicators are not implemented yet; "
                         "fit groups separately or treat the items as continuous with estimator='MLR'")
    table, v, defined = build(model, meanstructure=False, std_lv=std_lv)
    if defined:
        raise InputError("':=' defined parameters are not supported with ordinal indicators yet")
    V.require_frame(data)
    V.require_columns(data, v.observed)
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
    st = ordinal_stats(work, ordered=v.observed)
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
    if not np.all(np.isfinite(W)):
        # A statistic with zero sampling variance (e.g. two binary items that agree
        # perfectly): give it a large finite weight instead of an infinite one.
        bad = [lab for lab, w in zip(st.labels, W) if not np.isfinite(w)]
        notes.append(f"statistics {bad} have zero sampling variance; their DWLS weight was capped")
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
    # Levenberg-Marquardt: Gauss-Newton steps damped where the start (regressions at 0)
    # leaves directions locally unidentified.
    converged, mu = False, 1e-3
    sig, D, _ = sigma_and_jac(theta)
    r = s - sig
    f_old = float(r @ (W * r))
    for it in range(max_iter):
        DW = D.T * W
        JtJ = DW @ D
        g = DW @ r
        while True:
            step = np.linalg.solve(JtJ + mu * (np.diag(np.diag(JtJ)) + 1e-12 * np.eye(len(g))), g)
            sig_new, D_new, _ = sigma_and_jac(theta + step)
            f_new = float((s - sig_new) @ (W * (s - sig_new)))
            if f_new <= f_old or mu > 1e10:
                break
            mu *= 10
        theta, D, r = theta + step, D_new, s - sig_new
        mu = max(mu / 10, 1e-12)
        done = abs(f_old - f_new) < tol and np.max(np.abs(step)) < 1e-7
        f_old = f_new
        if done:
            converged = True
            break
    if not converged:
        notes.append("DWLS did not converge; estimates are unreliable")
        import warnings
        warnings.warn(notes[-1], ConvergenceWarning, stacklevel=2)
    sig, D, Sig = sigma_and_jac(theta)
    r = s - sig
    F = float(r @ (W * r))
    DW = D.T * W
    bread = np.linalg.inv(DW @ D)
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
    rows = []
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
        std_lv = std_all if rr.lhs in latent and (rr.op != "=~") else (
            est * sd_all[j] if rr.op == "=~" else est)
        rows.append(dict(lhs=rr.lhs, op=rr.op, rhs=rr.rhs, label=rr.label, free=free_, est=est, se=se,
                         std_lv=std_lv, std_all=std_all))
    for k, lab in enumerate(th_labels):
        var, tk = lab.split("|")
        rows.append(dict(lhs=var, op="|", rhs=tk, label="", free=True, est=theta[q_m + k],
                         se=se_free[q_m + k], std_lv=theta[q_m + k], std_all=theta[q_m + k]))
    tab = pd.DataFrame(rows)
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
    if (resid_var < 0).any():
        bad = [o for o, rv in zip(v.observed, resid_var) if rv < 0]
        notes.append(f"negative residual variance for {bad}: a Heywood case")
    options = dict(estimator="WLSMV", ordered=v.observed, std_lv=std_lv, level=level)
    prov = make_provenance("cxmodels.sem.fit_sem (ordinal, WLSMV)", data, {"model": model, **options})
    return OrdinalSEMResult(tab, fit, model, options, notes, prov, N, items=work, polychoric=st.correlation)
