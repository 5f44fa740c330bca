r"""Multigroup ordinal models by DWLS / WLSMV, as lavaan's ``cfa(..., ordered=, group=)`` with
the delta (default) or theta parameterization.

Per group ``g`` the statistics are the thresholds and polychoric correlations of that group
(:func:`~cxmodels.sem.cb.polychoric.ordinal_stats`).  With scale factors
:math:`\delta_{gj} = 1/\operatorname{sd}(y^*_{gj})`, latent means :math:`\alpha_g` and
:math:`\Sigma_g = \Lambda_g\Psi_g\Lambda_g' + \Theta_g^{\text{off}}` the model implies

.. math::

    \tau^*_{gjk} = \delta_{gj}(\tau_{gjk} - \lambda_{gj}'\alpha_g),\qquad
    \rho_{gij} = \delta_{gi}\delta_{gj}\Sigma_{g,ij},

and the residual variances follow as :math:`1/\delta_{gj}^2 - (\Lambda_g\Psi_g\Lambda_g')_{jj}`.
``group_equal=()`` (configural): every parameter per group, :math:`\delta = 1`,
:math:`\alpha = 0`.  ``group_equal=("thresholds", "loadings")`` (Wu & Estabrook 2016's
invariance of thresholds and loadings, lavaan's ``group.equal``): thresholds and loadings shared,
:math:`\delta` and :math:`\alpha` fixed (1, 0) in the first group and free in the others.
The estimates minimise :math:`\sum_g (N_g/N)\, r_g' W_g r_g` (``W_g`` the diagonal DWLS weights);
standard errors are the sandwich :math:`A^{-1} B A^{-1}/N` with :math:`A = \sum_g (N_g/N) D_g'W_gD_g`
and :math:`B = \sum_g (N_g/N) D_g'W_g\Gamma_gW_gD_g`; the test is mean-and-variance adjusted
as for one group.  Under ``parameterization="theta"`` the residual variances of ``y*`` are the
parameters (fixed at 1 where the scale is set) and :math:`\delta_{gj} = \Sigma^*_{g,jj}{}^{-1/2}`
with :math:`\Sigma^*_g = \Lambda_g\Psi_g\Lambda_g' + \Theta_g`.  Nested fits are compared by
:func:`satorra_2000`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ... import _validation as V
from ..._numerics import jacobian
from ..._stats import wald
from ...errors import EstimationError, IdentificationError, InputError
from ...provenance import make_provenance
from . import checks
from . import fit_indices as fi
from .core import _start_values
from .model import RAMModel
from .ordinal import OrdinalSEMResult, _compile_defined, _defined_values
from .partable import build

__all__ = ["fit_ordinal_groups", "OrdinalGroupsResult", "satorra_2000", "GROUP_EQUAL_ORDINAL"]

#: The invariance levels supported for ordinal items.
GROUP_EQUAL_ORDINAL = ((), ("loadings", "thresholds"))


def _pairs(labels, names):
    idx = {n: i for i, n in enumerate(names)}
    return np.asarray([(idx[a.strip()], idx[b.strip()]) for a, b in
                       (lab.split("~~") for lab in labels if "~~" in lab)], dtype=int)


def _check_categories(work, items, group, labels):
    """Every item must show the same categories in every group (thresholds are compared)."""
    for x in items:
        cats = {g: set(pd.unique(work.loc[work[group] == g, x])) for g in labels}
        union = set().union(*cats.values())
        for g, c in cats.items():
            missing = [x.item() if hasattr(x, "item") else x for x in sorted(union - c)]
            if missing:
                raise InputError(f"item {x!r}: categories {missing} are observed in other groups but not in group "
                                 f"{g!r} (column {group!r}); thresholds cannot be compared. Merge the sparse "
                                 "categories (e.g. recode the top two into one) before fitting")


def fit_ordinal_groups(model: str, data: pd.DataFrame, *, group: str, ordered=True, group_equal=(),
                       parameterization: str = "delta", std_lv: bool = False,
                       level: float = 0.95, tol: float = 1e-10, max_iter: int = 5000):
    """Multigroup DWLS/WLSMV fit (see the module docstring); called by
    :func:`~cxmodels.sem.cb.fit.fit_sem` when ``ordered`` and ``group`` are given."""
    V.require_frame(data)
    V.check_level(level)
    from .polychoric import ordinal_stats

    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    eq = tuple(sorted(group_equal))
    if eq not in GROUP_EQUAL_ORDINAL:
        raise InputError(f"with ordinal items group_equal must be () (configural) or ('thresholds', 'loadings') "
                         f"(lavaan's group.equal for ordinal invariance), got {list(group_equal)}")
    equal = bool(eq)
    if parameterization not in ("delta", "theta"):
        raise InputError(f"parameterization must be 'delta' or 'theta' (lavaan's), got {parameterization!r}")
    theta_p = parameterization == "theta"

    _, v, defined = build(model, meanstructure=False, std_lv=std_lv)
    if isinstance(ordered, str):
        ordered = [ordered]
    not_ordinal = [] if ordered is True else [o for o in v.observed if o not in list(ordered)]
    if not_ordinal or v.exogenous_x:
        raise InputError(f"observed variables {not_ordinal or v.exogenous_x} are not declared ordered; with "
                         "ordinal estimation every observed variable must be an ordinal indicator")
    V.require_columns(data, [group], "data")
    checks.require_unique_model_columns(data, v.observed + [group])
    work = data[v.observed + [group]]
    notes = []
    incomplete = work.isna().any(axis=1)
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were excluded (listwise; "
                     f"{V.rows_text(work.index[incomplete])})")
        work = work.loc[~incomplete]
    labels = list(pd.unique(work[group]))
    if len(labels) < 2:
        raise InputError(f"column {group!r} has {len(labels)} group(s) in the complete rows; a multigroup model "
                         "needs at least two")
    G = len(labels)
    _check_categories(work, v.observed, group, labels)
    sts = []
    for g in labels:
        wg = work.loc[work[group] == g, v.observed]
        if len(wg) <= len(v.observed):
            raise InputError(f"group {g!r} has {len(wg)} complete rows for {len(v.observed)} ordinal items; "
                             "polychoric correlations need more rows than items")
        try:
            sts.append(ordinal_stats(wg, ordered=v.observed))
        except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
            raise EstimationError(f"the polychoric correlations of group {g!r} could not be estimated ({exc})"
                                  ) from None
    table, v, _ = build(model, n_groups=G, meanstructure=False, std_lv=std_lv,
                        group_equal=["loadings"] if equal else [])
    compiled = _compile_defined(defined, set(table["label"][table["label"].astype(bool)]))
    t = table.copy()
    resid = (t["op"] == "~~") & (t["lhs"] == t["rhs"]) & t["lhs"].isin(v.observed)
    # delta: the residual variances follow from the unit variances of y*; theta: they are
    # parameters, fixed at 1 where the scale is set (every group, or the first with invariance)
    fix = resid & ((t["group"] == 0) | (not equal)) if theta_p else resid
    t.loc[fix, "free"] = False
    t.loc[fix, "value"] = 1.0 if theta_p else 0.0
    free = t["free"].to_numpy()
    old = t["pid"].to_numpy()
    remap = {p: k for k, p in enumerate(sorted(set(old[free & (old >= 0)])))}
    t["pid"] = [remap[p] if f and p >= 0 else -1 for p, f in zip(old, free)]
    ram = RAMModel(t, v, G, False)
    q_m = ram.n_free
    p, m = len(v.observed), len(v.latent)
    obs_idx = [ram.index[o] for o in v.observed]
    lat_idx = [ram.index[f] for f in v.latent]
    st0 = sts[0]
    th_labels = [lab for lab in st0.labels if "|" in lab]
    n_tau = len(th_labels)
    pairs = _pairs(st0.labels, st0.columns)
    perm = [st0.columns.index(o) for o in v.observed]
    inv = np.argsort(perm)
    # item of each threshold, in the model's order of items
    th_item = np.array([v.observed.index(lab.split("|")[0]) for lab in th_labels])
    n_th_par = n_tau if equal else G * n_tau
    k_ex = m + (0 if theta_p else p)  # latent means (and, under delta, scale factors) per later group
    s_list = [np.concatenate([np.concatenate([st.thresholds[c] for c in st.columns]),
                              st.correlation.to_numpy()[pairs[:, 0], pairs[:, 1]]]) for st in sts]
    W_list = []
    for st in sts:
        W = st.wls_weight_diag.copy()
        if not np.all(np.isfinite(W)):
            W[~np.isfinite(W)] = 1e6 * np.max(W[np.isfinite(W)])
            notes.append("statistics with zero sampling variance had their DWLS weight capped")
        W_list.append(W)
    Ns = np.array([st.n for st in sts], float)
    N = Ns.sum()
    # lavaan weights the groups by (N_g - 1)/(N - G) and scales by N - G (its Wishart-style
    # convention for WLS, the N - 1 of one group)
    wg = (Ns - 1) / (N - G)
    N = N - G

    def split(theta):
        th_r = theta[:q_m]
        tau = theta[q_m:q_m + n_th_par]
        ex = theta[q_m + n_th_par:]
        return th_r, tau, ex

    def group_sigma(theta, g):
        th_r, tau, ex = split(theta)
        A, S_, _ = ram.matrices(th_r, g)
        B = np.linalg.inv(np.eye(ram.n) - A)
        C = B[: ram.p]
        Sig_m = C @ S_ @ C.T
        Sig = Sig_m[np.ix_(inv, inv)]  # stats order
        tau_g = tau if equal else tau[g * n_tau:(g + 1) * n_tau]
        if equal and g > 0:
            base = (g - 1) * k_ex
            alpha = ex[base:base + m]
            delta = ex[base + m:base + m + p] if not theta_p else None
        else:
            alpha, delta = np.zeros(m), (np.ones(p) if not theta_p else None)
        if theta_p:
            delta = 1 / np.sqrt(np.clip(np.diag(Sig_m), 1e-12, None))
        mu = C[:, lat_idx] @ alpha  # model order of items
        d_stats = delta[perm]
        corr = d_stats[pairs[:, 0]] * d_stats[pairs[:, 1]] * Sig[pairs[:, 0], pairs[:, 1]]
        taus = delta[th_item] * (tau_g - mu[th_item])
        return np.concatenate([taus, corr])

    def residuals(theta):
        return np.concatenate([np.sqrt(wg[g] * W_list[g]) * (s_list[g] - group_sigma(theta, g)) for g in range(G)])

    # starts: loadings from the first group's polychorics, thresholds from the data
    R0 = st0.correlation.loc[v.observed, v.observed].to_numpy()
    theta0 = np.nan_to_num(_start_values(t, v, R0, np.zeros(p)), nan=0.05)
    tau0 = s_list[0][:n_tau] if equal else np.concatenate([s[:n_tau] for s in s_list])
    for r in t[resid & (t["pid"] >= 0)].itertuples():  # theta: residual variances start at 1
        theta0[r.pid] = 1.0
    ex0 = np.tile(np.concatenate([np.zeros(m), np.ones(p if not theta_p else 0)]), G - 1) if equal else np.zeros(0)
    theta = np.concatenate([theta0, tau0, ex0])
    n_stats = G * len(s_list[0])
    if n_stats < len(theta):
        raise IdentificationError(f"the model has {len(theta)} free parameters but the groups give only {n_stats} "
                                  "thresholds and polychoric correlations: it is not identified")
    try:
        sol = optimize.least_squares(residuals, theta, jac=lambda th: jacobian(residuals, th, h=1e-7),
                                     method="lm", xtol=tol, ftol=tol, gtol=tol, max_nfev=max_iter)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"DWLS estimation failed ({exc}); check for groups with sparse categories") from None
    theta = sol.x
    converged = bool(sol.status > 0) and bool(np.all(np.isfinite(theta)))
    # sandwich and scaled test on the stacked groups
    Ds = [jacobian(lambda th: group_sigma(th, g), theta, h=1e-7) for g in range(G)]
    A_ = sum(wg[g] * (Ds[g].T * W_list[g]) @ Ds[g] for g in range(G))
    B_ = sum(wg[g] * (Ds[g].T * W_list[g]) @ sts[g].nacov @ (W_list[g][:, None] * Ds[g]) for g in range(G))
    try:
        Ai = np.linalg.inv(A_)
    except np.linalg.LinAlgError:
        raise EstimationError("the DWLS information matrix is singular: the multigroup model is not identified "
                              "(fix or constrain parameters)") from None
    vcov = Ai @ B_ @ Ai / N
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    r_all = [s_list[g] - group_sigma(theta, g) for g in range(G)]
    F = float(sum(wg[g] * r_all[g] @ (W_list[g] * r_all[g]) for g in range(G)))
    T = N * F
    df = n_stats - len(theta)
    Wst = np.concatenate([wg[g] * W_list[g] for g in range(G)])
    D = np.vstack(Ds)
    Gam = _block_diag([sts[g].nacov / wg[g] for g in range(G)])
    DW = D.T * Wst
    U = np.diag(Wst) - DW.T @ Ai @ DW
    UG = U @ Gam
    tr1, tr2 = np.trace(UG), np.trace(UG @ UG)
    a = np.sqrt(df / tr2) if df > 0 else np.nan
    b = df - a * tr1 if df > 0 else np.nan
    T_ss = a * T + b if df > 0 else 0.0
    # baseline: thresholds free per group, correlations zero
    Tb = N * float(sum(wg[g] * s_list[g][n_tau:] @ (W_list[g][n_tau:] * s_list[g][n_tau:]) for g in range(G)))
    dfb = G * (len(s_list[0]) - n_tau)
    Db = _block_diag([np.vstack([np.eye(n_tau), np.zeros((len(s_list[0]) - n_tau, n_tau))]) for _ in range(G)])
    DWb = Db.T * Wst
    Ub = np.diag(Wst) - DWb.T @ np.linalg.inv(DWb @ Db) @ DWb
    UGb = Ub @ Gam
    ab = np.sqrt(dfb / np.trace(UGb @ UGb))
    Tb_ss = ab * Tb + (dfb - ab * np.trace(UGb))
    srmr_terms = []
    for g in range(G):
        Rg = sts[g].correlation.to_numpy()
        Mg = np.eye(p)
        sig = group_sigma(theta, g)[n_tau:]
        Mg[pairs[:, 0], pairs[:, 1]] = Mg[pairs[:, 1], pairs[:, 0]] = sig
        il = np.tril_indices(p)
        srmr_terms.append(Ns[g] / Ns.sum() * np.sqrt(np.mean((Rg - Mg)[il] ** 2)))
    fit = pd.Series({
        "npar": len(theta), "nobs": N, "ngroups": G, "chisq": T, "df": df,
        "pvalue": float(stats.chi2.sf(T, df)) if df > 0 else np.nan,
        "chisq_scaled": T_ss, "df_scaled": df, "pvalue_scaled": float(stats.chi2.sf(T_ss, df)) if df > 0 else np.nan,
        "chisq_scaling_factor": 1 / a if df > 0 else np.nan, "chisq_shift_parameter": b,
        "baseline_chisq": Tb, "baseline_df": dfb, "baseline_chisq_scaled": Tb_ss,
        "cfi": fi.cfi(T, df, Tb, dfb), "tli": fi.tli(T, df, Tb, dfb),
        "cfi_scaled": fi.cfi(T_ss, df, Tb_ss, dfb), "tli_scaled": fi.tli(T_ss, df, Tb_ss, dfb),
        "rmsea": fi.rmsea(T, df, N) * np.sqrt(G), "rmsea_scaled": fi.rmsea(T_ss, df, N) * np.sqrt(G),
        "srmr": float(sum(srmr_terms)),
    }, dtype=float)
    # table
    th_r, tau, ex = split(theta)
    rows = []
    problems = []
    for g, lab in enumerate(labels):
        A, S_, _ = ram.matrices(th_r, g)
        B = np.linalg.inv(np.eye(ram.n) - A)
        full = B @ S_ @ B.T
        if equal and g > 0:
            base = (g - 1) * k_ex
            alpha, delta = ex[base:base + m], (ex[base + m:base + m + p] if not theta_p else None)
            a_pid = q_m + n_th_par + base
        else:
            alpha, delta, a_pid = np.zeros(m), (np.ones(p) if not theta_p else None), None
        if theta_p:  # the scale factors follow from the model's variances of y*
            delta = 1 / np.sqrt(np.clip(np.diag(full)[obs_idx], 1e-12, None))
            resid_var = np.array([S_[ram.index[o], ram.index[o]] for o in v.observed])
        else:
            resid_var = 1 / delta ** 2 - np.diag(full)[obs_idx]
        if (resid_var < 0).any():
            bad = [o for o, rv in zip(v.observed, resid_var) if rv < 0]
            problems.append(f"negative residual variance for {bad} in group {lab!r}: a Heywood case")
        for rr in t[t["group"] == g].itertuples():
            if rr.op == "~1":
                continue
            is_free = rr.pid >= 0
            if rr.op == "~~" and rr.lhs == rr.rhs and rr.lhs in v.observed and not theta_p:
                est, s_e = resid_var[v.observed.index(rr.lhs)], 0.0
            else:
                est = theta[rr.pid] if is_free else rr.value
                s_e = se[rr.pid] if is_free else 0.0
            std_all = np.nan
            if rr.op == "=~":
                std_all = est * np.sqrt(full[ram.index[rr.lhs], ram.index[rr.lhs]]) * delta[v.observed.index(rr.rhs)]
            derived = rr.op == "~~" and rr.lhs == rr.rhs and rr.lhs in v.observed and not theta_p
            rows.append(dict(lhs=rr.lhs, op=rr.op, rhs=rr.rhs, group=lab, label=rr.label, free=is_free, est=est,
                             se=s_e, std_lv=np.nan, std_all=std_all, pid=rr.pid if is_free and not derived else -1))
        for j, o in enumerate(v.observed):
            k = a_pid + m + j if a_pid is not None and not theta_p else None
            rows.append(dict(lhs=o, op="~*~", rhs=o, group=lab, label="", free=k is not None, est=delta[j],
                             se=se[k] if k is not None else 0.0, std_lv=np.nan, std_all=np.nan,
                             pid=k if k is not None else -1))
        for j, f in enumerate(v.latent):
            k = a_pid + j if a_pid is not None else None
            rows.append(dict(lhs=f, op="~1", rhs="", group=lab, label="", free=k is not None, est=alpha[j],
                             se=se[k] if k is not None else 0.0, std_lv=np.nan, std_all=np.nan,
                             pid=k if k is not None else -1))
        for k, labt in enumerate(th_labels):
            var, tk = labt.split("|")
            pid = q_m + (k if equal else g * n_tau + k)
            rows.append(dict(lhs=var, op="|", rhs=tk, group=lab, label="", free=True, est=theta[pid], se=se[pid],
                             std_lv=np.nan, std_all=np.nan, pid=pid))
    tab = pd.DataFrame(rows)
    row_pid = tab.pop("pid").to_numpy()
    if compiled:
        # delta method: the defined values as functions of the free parameters
        fixed_vals = tab["est"].to_numpy(float)
        row_labels = list(tab["label"])

        def defined_at(th):
            return _defined_values(compiled, row_labels, np.where(row_pid >= 0, th[np.clip(row_pid, 0, None)],
                                                                  fixed_vals))

        J = jacobian(defined_at, theta)
        tab = pd.concat([tab, pd.DataFrame({
            "lhs": [c[0] for c in compiled], "op": ":=", "rhs": [c[2] for c in compiled], "group": None,
            "label": [c[0] for c in compiled], "free": False, "est": defined_at(theta),
            "se": np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None)), "std_lv": np.nan, "std_all": np.nan})],
            ignore_index=True)
    for col, values in wald(tab["est"], tab["se"], level).items():
        tab[col] = values
    tab = tab[["lhs", "op", "rhs", "group", "label", "free", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
               "std_lv", "std_all"]]
    options = dict(estimator="WLSMV", ordered=v.observed, group=group, group_equal=list(group_equal),
                   std_lv=std_lv, level=level, parameterization=parameterization)
    prov = make_provenance("cxmodels.sem.fit_sem (ordinal multigroup, WLSMV)", data, {"model": model, **options})
    res = OrdinalGroupsResult(tab, fit, model, options, notes, prov, int(N), work, sts[0].correlation, converged,
                              problems, group_labels=labels)
    # what the Satorra (2000) difference test between nested fits needs
    res._defined = compiled
    res._wls = {"D": Ds, "W": W_list, "Gamma": [st.nacov for st in sts], "n": Ns, "T": T, "df": df}
    return res


def satorra_2000(m1, m0) -> tuple[float, int, float]:
    """Scaled-and-shifted difference test of nested WLSMV fits (Satorra 2000; lavaan's
    ``lavTestLRT`` default, ``A.method = "delta"``): ``m1`` the less restricted fit, ``m0`` the
    more restricted one.  With ``Pi`` the stacked Jacobians of ``m1``, ``P`` its information
    ``sum_g f_g Pi_g' W_g Pi_g``, ``A`` the orthogonal complement of ``ginv(Pi_1) Pi_0`` and
    ``U = W Pi P^-1 A' (A P^-1 A')^- A P^-1 Pi' W``:  ``T_d = a (T_0 - T_1) + b`` with
    ``a = sqrt(m / tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)``, ``m = df_0 - df_1``.

    Returns ``(T_d, m, p-value)``.
    """
    w1, w0 = m1._wls, m0._wls
    m = int(w0["df"] - w1["df"])
    if m <= 0:
        raise InputError("the second model must be more restricted (more degrees of freedom) than the first")
    fg = w1["n"] / w1["n"].sum()
    D1, D0 = np.vstack(w1["D"]), np.vstack(w0["D"])
    H = np.linalg.pinv(D1) @ D0
    u, sv, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(sv > sv.max() * 1e-8))
    A = u[:, rank:].T  # orthogonal complement of the columns of H
    P = sum(fg[g] * (w1["D"][g].T * w1["W"][g]) @ w1["D"][g] for g in range(len(fg)))
    Pi = np.linalg.inv(P)
    PAAPAAP = Pi @ A.T @ np.linalg.pinv(A @ Pi @ A.T) @ A @ Pi
    V_all = np.concatenate(w1["W"])
    U = (V_all[:, None] * D1) @ PAAPAAP @ (D1.T * V_all)
    G_all = _block_diag([fg[g] * w1["Gamma"][g] for g in range(len(fg))])
    UG = U @ G_all
    tr1, tr2 = np.trace(UG), np.trace(UG @ UG)
    a = np.sqrt(m / tr2)
    b = m - a * tr1
    Td = (w0["T"] - w1["T"]) * a + b
    return float(Td), m, float(stats.chi2.sf(Td, m))


def _block_diag(mats):
    n = sum(M.shape[0] for M in mats)
    k = sum(M.shape[1] for M in mats)
    out = np.zeros((n, k))
    i = j = 0
    for M in mats:
        out[i:i + M.shape[0], j:j + M.shape[1]] = M
        i, j = i + M.shape[0], j + M.shape[1]
    return out


class OrdinalGroupsResult(OrdinalSEMResult):
    """A multigroup DWLS/WLSMV fit (:func:`~cxmodels.sem.cb.ordinal_groups.fit_ordinal_groups`): the
    surface of :class:`OrdinalSEMResult`; the table has a ``group`` column and, per group, the
    scale factors (``~*~``) and latent means (``~1``) of the delta parameterization."""

    def __init__(self, *args, group_labels, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_labels = list(group_labels)

    @property
    def params(self) -> pd.Series:
        t = self._table
        keep = t[t["free"] | (t["op"] == ":=")]
        return pd.Series(keep["est"].to_numpy(), index=[r.lhs if r.op == ":=" else f"{r.lhs} {r.op} {r.rhs}".strip()
                                                        + f"@{r.group}" for r in keep.itertuples()], name="est")

    def _resample(self, rng) -> pd.DataFrame:
        """Respondents drawn with replacement within each group (the group sizes are kept)."""
        g = self.options["group"]
        parts = []
        for lab in self.group_labels:
            rows = self._items[self._items[g] == lab]
            parts.append(rows.iloc[rng.integers(0, len(rows), len(rows))])
        return pd.concat(parts, ignore_index=True)

    def _refit(self, frame: pd.DataFrame):
        return fit_ordinal_groups(self.model_syntax, frame, group=self.options["group"],
                                  group_equal=self.options["group_equal"], std_lv=self.options["std_lv"],
                                  parameterization=self.options["parameterization"])

    def reliability(self) -> pd.DataFrame:
        raise InputError("reliability() of a multigroup ordinal model is not available; fit each group on its own")

    def htmt(self) -> pd.DataFrame:
        raise InputError("htmt() of a multigroup ordinal model is not available; fit each group on its own")

    def methods_text(self) -> str:
        eq = self.options.get("group_equal") or []
        inv = ("with thresholds and loadings held equal across groups" if eq else "with every parameter free in "
               "each group (configural)")
        return super().methods_text() + (f" The model was fitted to {len(self.group_labels)} groups "
                                         f"({', '.join(map(str, self.group_labels))}) {inv}, under the delta "
                                         "parameterization.")
