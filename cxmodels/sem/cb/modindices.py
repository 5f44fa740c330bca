"""Modification indices: univariate score (Lagrange multiplier) tests for parameters
fixed at zero, with expected parameter changes (Saris, Satorra & Sorbom 1987,
Sociological Methodology 17, 105-129; Sorbom 1989).

For a candidate parameter ``c`` added to the model at 0, with ``g_c`` the gradient of
the discrepancy ``F`` and ``I`` the expected information of the extended model,

.. math::

    MI = N \\frac{(g_c / 2)^2}{I_{cc} - I_{c\\theta} I_{\\theta\\theta}^{-1} I_{\\theta c}},
    \\qquad EPC = -\\frac{g_c / 2}{I_{cc} - I_{c\\theta} I_{\\theta\\theta}^{-1} I_{\\theta c}} .

The extended model reuses the fitted model's machinery: the candidates are appended
to the parameter table as free parameters, evaluated at zero.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .estimate import Discrepancy
from .model import RAMModel


def _candidates(result) -> pd.DataFrame:
    core = result._core
    t, v = core.table, core.variables
    rows = []
    obs = [o for o in v.observed if o not in v.exogenous_x]
    for g in range(core.model.n_groups):
        tg = t[t["group"] == g]
        have = set(zip(tg["lhs"], tg["op"], tg["rhs"])) | set(zip(tg["rhs"], tg["op"], tg["lhs"]))
        for f in v.latent:
            for o in obs:
                if (f, "=~", o) not in have:
                    rows.append((f, "=~", o, g))
        for a, b in combinations(obs, 2):
            if (a, "~~", b) not in have:
                rows.append((a, "~~", b, g))
        for a, b in combinations(v.latent, 2):
            if (a, "~~", b) not in have and (a, "~", b) not in have and (b, "~", a) not in have:
                rows.append((a, "~~", b, g))
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group"])


def modification_indices(result, sort: bool = True, minimum: float = 0.0) -> pd.DataFrame:
    """Modification indices for omitted loadings and (residual) covariances.

    Returns
    -------
    DataFrame
        lhs, op, rhs, (group), mi, epc, sepc_all, pvalue (of the 1-df score test).
    """
    core = result._core
    cand = _candidates(result)
    if cand.empty:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all", "pvalue"])
    q = core.model.n_free
    ext = cand.assign(free=True, value=np.nan, label="", start=None, user=False, exo=False,
                      pid=np.arange(q, q + len(cand)))
    table = pd.concat([core.table, ext], ignore_index=True)
    model = RAMModel(table, core.variables, core.model.n_groups, core.model.meanstructure)
    for g in range(core.model.n_groups):  # carry the fixed.x moments over
        model.groups[g].S0[:] = core.model.groups[g].S0
        model.groups[g].m0[:] = core.model.groups[g].m0
    theta = np.concatenate([core.theta, np.zeros(len(cand))])
    disc = Discrepancy(model, core.data, core.N, core.model.meanstructure)
    _, grad, info = disc.value_grad_info(theta)
    I_tt_inv = np.linalg.pinv(info[:q, :q])
    I_ct = info[q:, :q]
    v = np.diag(info[q:, q:]) - np.einsum("ij,jk,ik->i", I_ct, I_tt_inv, I_ct)
    s = -grad[q:] / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(v > 1e-12, core.N * s ** 2 / v, np.nan)
        epc = np.where(v > 1e-12, s / v, np.nan)
    out = cand.copy()
    out["mi"], out["epc"] = mi, epc
    # Standardized EPC: scale by the model-implied standard deviations.
    sepc = []
    for r, e in zip(cand.itertuples(), epc):
        A, S, m = core.model.matrices(core.theta, r.group)
        B = np.linalg.inv(np.eye(core.model.n) - A)
        sd = np.sqrt(np.diag(B @ S @ B.T))
        i, j = core.model.index[r.lhs], core.model.index[r.rhs]
        if r.op == "=~":
            sepc.append(e * sd[i] / sd[j])
        else:
            sepc.append(e / np.sqrt(S[i, i] * S[j, j]))
    out["sepc_all"] = sepc
    out["pvalue"] = stats.chi2.sf(out["mi"], 1)
    if core.model.n_groups == 1:
        out = out.drop(columns="group")
    else:
        out["group"] = [result.group_labels[g] for g in out["group"]]
    out = out[out["mi"] >= minimum]
    if sort:
        out = out.sort_values("mi", ascending=False)
    return out.reset_index(drop=True)
