"""Two-level SEM for continuous indicators: lavaan's ``level: 1`` / ``level: 2`` blocks with
``cluster=`` (customers nested in stores, agents or branches).

The within model explains how customers of one store differ from each other, the between
model how stores differ; the likelihood is the two-level normal one of
:mod:`.twolevel_lik` (McDonald & Goldstein 1989; Muthen 1994), maximised directly as
lavaan does (Rosseel 2021).  ``fit_sem(model, data, cluster="store")`` with a model that has
``level:`` blocks comes here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import EstimationError, IdentificationError, InputError, ModelSyntaxError
from ..syntax import parse, split_levels
from . import checks
from .core import _start_values
from .partable import _number_free, build, classify
from .twolevel_lik import ClusterData, cluster_data, minus2ll
from .twolevel_models import TwoLevelRAM, baseline, optimize_2l, unrestricted
from .twolevel_result import TwoLevelResult


def _statements(model: str, k: int):
    """The relations (no ``:=``) of block ``k`` (0 within, 1 between)."""
    return [s for s in parse(split_levels(model)[k][1]) if s.op != ":="]


def _blocks(model: str, std_lv: bool, fixed_x: bool):
    """The parameter table of both levels (column ``level``), each level's variables, the
    ``:=`` statements."""
    blocks = split_levels(model)
    if blocks is None:
        raise ModelSyntaxError("a two-level model needs 'level: 1' and 'level: 2' blocks (lavaan's syntax)")
    tables, variables, defined = [], [], []
    for level, (_, text) in enumerate(blocks, start=1):
        statements = parse(text)
        defined += [s for s in statements if s.op == ":="]
        rel = [s for s in statements if s.op != ":="]
        t, v, _ = build(rel, n_groups=1, meanstructure=True, std_lv=std_lv, fixed_x=fixed_x)
        if not fixed_x:  # lavaan then frees the covariances of the observed covariates
            t = _free_x_covariances(t, classify(rel, True).exogenous_x)
        tables.append(t.assign(level=level))
        variables.append(v)
    v1, v2 = variables
    latent_both = set(v1.latent) & set(v2.latent)
    if latent_both:
        raise ModelSyntaxError(f"latent variables {sorted(latent_both)} are defined on both levels; give the "
                               "within and the between factor different names (e.g. fw and fb)")
    both = set(v1.observed) & set(v2.observed)
    t1, t2 = tables
    # lavaan: the means of variables measured on both levels belong to the between level
    fix = (t1["op"] == "~1") & t1["lhs"].isin(both) & ~t1["exo"]
    t1.loc[fix, ["free", "value"]] = [False, 0.0]
    table = pd.concat([t1, t2], ignore_index=True)
    table["pid"] = _number_free(table, v1, ())
    return table, v1, v2, defined


def _free_x_covariances(table: pd.DataFrame, xs) -> pd.DataFrame:
    have = {(r.lhs, r.rhs) for r in table.itertuples() if r.op == "~~"}
    rows = [dict(lhs=a, op="~~", rhs=b, group=0, free=True, value=float("nan"), label="", start=None,
                 user=False, exo=False)
            for k, a in enumerate(xs) for b in xs[k + 1:] if (a, b) not in have and (b, a) not in have]
    return pd.concat([table, pd.DataFrame(rows)], ignore_index=True) if rows else table


def _check_data(data, v1, v2, cluster):
    V.require_frame(data)
    if not isinstance(cluster, str):
        raise InputError(f"cluster must be a column name, got {cluster!r}")
    observed = list(dict.fromkeys(v1.observed + v2.observed))
    checks.require_unique_model_columns(data, observed + [cluster])
    checks.require_latents_not_columns(data, v1.latent + v2.latent)
    V.require_columns(data, observed, "data (the model's observed variables)")
    V.require_columns(data, [cluster], "data (the cluster column)")
    if cluster in observed:
        raise InputError(f"the cluster column {cluster!r} is also a variable of the model")
    V.require_numeric(data, observed)
    V.require_finite(data, observed)
    V.require_not_constant(data, observed)
    na = data.index[data[cluster].isna()]
    if len(na):
        raise InputError(f"cluster column {cluster!r} has {len(na)} missing values ({V.rows_text(na)})")
    V.require_consistent_ids(data, cluster)
    return observed


def _complete(data, observed, cluster, notes):
    work = data[observed + [cluster]]
    incomplete = work[observed].isna().any(axis=1)
    if incomplete.any():
        notes.append(f"{int(incomplete.sum())} of {len(work)} rows with missing values were excluded "
                     "(listwise deletion)")
        work = work.loc[~incomplete]
    if len(work) == 0:
        raise InputError(f"no rows are left after removing rows with missing values in {observed}")
    codes = work[cluster]
    C = codes.nunique()
    if C < 2:
        raise InputError(f"cluster column {cluster!r} has a single cluster ({codes.iloc[0]!r}): a between "
                         "level needs several clusters; fit a one-level model instead")
    sizes = codes.value_counts()
    if sizes.max() < 2:
        raise InputError(f"every cluster of {cluster!r} has one row: within and between variation cannot be "
                         "separated; fit a one-level model instead")
    return work


def _check_between_only(work, z, cluster):
    """Variables of level 2 only describe the cluster: they must not vary within one."""
    for var in z:
        spread = work.groupby(cluster, sort=False)[var].nunique()
        bad = spread[spread > 1]
        if len(bad):
            shown = ", ".join(repr(c) for c in bad.index[:5])
            raise InputError(f"{var!r} appears only in the level-2 (between) block, so it must be constant "
                             f"within each cluster of {cluster!r}, but it varies within {len(bad)} clusters "
                             f"({shown}{' ...' if len(bad) > 5 else ''}); model it on level 1 as well, or "
                             "use its cluster mean")


def _check_within_variation(work, cd: ClusterData, cluster):
    """Variables of level 1 need variation within clusters (a cluster-level variable
    belongs to the level-2 block only)."""
    within_var = np.diag(cd.W) / max(cd.N - cd.C, 1)
    total = work[cd.within].var(ddof=0).to_numpy()
    flat = [v for v, a, b in zip(cd.within, within_var, total) if a <= 1e-10 * max(b, 1e-300)]
    if flat:
        raise InputError(f"{flat} are constant within every cluster of {cluster!r} but appear in the level-1 "
                         "(within) block: a cluster-level variable belongs to the level-2 block only")


def _h1(cd: ClusterData):
    """The unrestricted two-level model (lavaan's h1), started from the pooled within
    covariance and the variance of the cluster means less its within share."""
    model = unrestricted(cd)
    X = np.vstack([X for _, X in cd.sizes])
    Sw = cd.W / (cd.N - cd.C)
    xb = X @ cd.P  # cluster means of the level-2 variables
    var_b = np.var(xb, axis=0)
    within_share = np.diag(cd.P.T @ cd.E @ Sw @ cd.E.T @ cd.P) / (cd.N / cd.C)
    Sb = np.diag(np.maximum(var_b - within_share, 0.05 * var_b + 1e-8))
    m = X.mean(axis=0)
    start = []
    for kind, i, j in model.entries:
        if kind == "S1":
            start.append(Sw[i, j])
        elif kind == "S2":
            start.append(Sb[i, j])
        elif kind == "m1":
            start.append(m[i])
        else:
            start.append(cd.P[:, i] @ m)
    return model, optimize_2l(model, np.asarray(start))


def _fixed_x(table, cd, h1mats):
    """lavaan's fixed.x: the covariates' moments fixed at their unrestricted (h1) values."""
    S1, m1, S2, m2 = h1mats
    names = (cd.within, cd.between)
    mats = ((S1, m1), (S2, m2))
    table = table.copy()
    for k in np.flatnonzero(table["exo"].to_numpy()):
        r = table.iloc[k]
        lev = int(r["level"]) - 1
        idx = {n: i for i, n in enumerate(names[lev])}
        S, m = mats[lev]
        table.iat[k, table.columns.get_loc("value")] = (m[idx[r["lhs"]]] if r["op"] == "~1"
                                                        else S[idx[r["lhs"]], idx[r["rhs"]]])
    return table


def _exo_only(mats, exo1, exo2):
    """The unrestricted matrices with everything but the fixed.x covariates' block zeroed."""
    S1, m1, S2, m2 = (np.zeros_like(x) for x in mats)
    for S, m, H, h, e in ((S1, m1, mats[0], mats[1], exo1), (S2, m2, mats[2], mats[3], exo2)):
        S[np.ix_(e, e)] = H[np.ix_(e, e)]
        m[e] = h[e]
    return S1, m1, S2, m2


def fit_sem_twolevel(model: str, data: pd.DataFrame, *, cluster: str, estimator: str = "ML",
                     std_lv: bool = False, fixed_x: bool = True, level: float = 0.95) -> TwoLevelResult:
    """Fit a two-level SEM (lavaan's ``level: 1`` / ``level: 2`` blocks, ``cluster=``).

    The within block models the variation of customers around their cluster's mean, the
    between block the variation of the cluster means.  Variables named only in the
    level-1 block have no between part (their intraclass correlation is zero), variables
    named only in the level-2 block describe the cluster and must be constant within it.
    The likelihood (McDonald & Goldstein 1989; Muthen 1994) is

    .. math::

        -2\\ell = (N - C)\\log|\\Sigma_W| + \\mathrm{tr}(\\Sigma_W^{-1} W) + \\sum_j \\left[
        \\log|\\Sigma_B + \\Sigma_W/n_j| + (\\bar y_j - \\mu)'(\\Sigma_B + \\Sigma_W/n_j)^{-1}
        (\\bar y_j - \\mu) + p \\log n_j\\right] + N p \\log 2\\pi

    (with between-only variables joining ``\\bar y_j``), maximised as lavaan does; standard
    errors come from the observed information (lavaan's default for two-level models);
    the chi-square compares the model with the unrestricted two-level model.

    Parameters
    ----------
    model : str
        lavaan syntax with a ``level: 1`` block and a ``level: 2`` block.
    data : DataFrame
        One row per customer; never modified.  Rows with missing values are dropped.
    cluster : str
        Column naming each row's cluster (store, agent ...).
    estimator : {"ML", "MLR"}
        ``"ML"``: standard errors from the observed information (lavaan's default for
        two-level models).  ``"MLR"``: the same estimates with sandwich standard errors
        whose meat sums the outer products of the clusterwise scores, and the Yuan-Bentler
        scaled chi-square as lavaan's MLR (``yuan.bentler.mplus``: the trace of
        :math:`A^{-1}B` of the unrestricted model less the fitted model's, over ``df``).
    std_lv : bool
        Identify factors by unit variances instead of first loadings.
    fixed_x : bool
        Observed covariates keep their unrestricted-model moments (lavaan's ``fixed.x``).
    level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    TwoLevelResult

    Raises
    ------
    InputError
        A cluster column with one cluster, clusters that all have one row, a level-2
        variable that varies within clusters (named, with the clusters), a cluster-level
        variable in the level-1 block, missing, non-numeric or constant columns.
    ModelSyntaxError
        No two ``level:`` blocks, or a latent variable defined on both levels.
    IdentificationError
        More free parameters than the unrestricted two-level model has.
    EstimationError
        The likelihood cannot be maximised on this data.

    References
    ----------
    McDonald, R. P., & Goldstein, H. (1989). Balanced versus unbalanced designs for linear
    structural relations in two-level data. *British Journal of Mathematical and
    Statistical Psychology*, 42, 215-232.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2), 1-36.
    """
    if not isinstance(model, str):
        raise InputError(f"model must be a string of lavaan syntax, got {type(model).__name__}")
    V.check_level(level)
    est = estimator.upper() if isinstance(estimator, str) else estimator
    if est not in ("ML", "MLR"):
        raise InputError(f"estimator must be 'ML' or 'MLR' for a two-level model, got {estimator!r}")
    table, v1, v2, defined = _blocks(model, std_lv, fixed_x)
    observed = _check_data(data, v1, v2, cluster)
    notes: list[str] = []
    work = _complete(data, observed, cluster, notes)
    cd = cluster_data(work, v1.observed, v2.observed, cluster)
    _check_between_only(work, cd.z, cluster)
    _check_within_variation(work, cd, cluster)
    singletons = sum(len(X) for n, X in cd.sizes if n == 1)
    if singletons:
        notes.append(f"{singletons} of {cd.C} clusters have a single row (they inform the between level only)")
    exo1 = [cd.within.index(n) for n in v1.exogenous_x]
    exo2 = [cd.between.index(n) for n in v2.exogenous_x]
    h1_npar = unrestricted(cd, exo1, exo2).q
    q = int(table["pid"].max() + 1)
    df = h1_npar - q
    if df < 0:
        raise IdentificationError(f"the model has {q} free parameters but the unrestricted two-level model "
                                  f"only {h1_npar} ({df} degrees of freedom): it is not identified")
    try:
        h1_model, h1 = _h1(cd)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
        raise EstimationError(f"the unrestricted two-level model could not be estimated ({exc})") from None
    if not h1.converged:
        raise EstimationError(f"the unrestricted two-level model did not converge ({h1.message}); check for "
                              "variables without between-cluster variance or nearly collinear items")
    h1mats = h1_model.matrices(h1.theta)
    table = _fixed_x(table, cd, h1mats)
    ram = TwoLevelRAM(cd, table, v1, v2)
    S1, m1, S2, m2 = h1mats
    o1 = [cd.within.index(n) for n in v1.observed]
    o2 = [cd.between.index(n) for n in v2.observed]
    start = np.full(q, np.nan)
    for lev, (S, m, o) in enumerate(((S1, m1, o1), (S2, m2 + cd.P.T @ cd.E @ m1, o2)), start=1):
        t = table[table["level"] == lev]
        v = (v1, v2)[lev - 1]
        s = _start_values(t, v, S[np.ix_(o, o)], m[o])
        for pid in t["pid"][t["pid"] >= 0].unique():
            if np.isnan(start[pid]):
                start[pid] = s[pid]
    try:
        fit = optimize_2l(ram, np.nan_to_num(start, nan=0.1))
        free_x = [] if fixed_x else [(cd.within, classify(_statements(model, 0), True).exogenous_x),
                                     (cd.between, classify(_statements(model, 1), True).exogenous_x)]
        fx1, fx2 = ([names.index(n) for n in xs] for names, xs in free_x) if free_x else ((), ())
        base = baseline(cd, exo1, exo2, _exo_only(h1mats, exo1, exo2), fx1, fx2)
        base_start = np.array([h1mats[{"S1": 0, "m1": 1, "S2": 2, "m2": 3}[k]][(i, j) if j >= 0 else i]
                               for k, i, j in base.entries])
        base_fit = optimize_2l(base, base_start)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError, TypeError) as exc:
        raise EstimationError(f"the two-level model could not be estimated on this data ({exc})") from None
    # lavaan's logl with fixed.x is conditional on the covariates: their part is removed
    logl_x = 0.0
    if v1.exogenous_x or v2.exogenous_x:
        cdx = cluster_data(work, v1.exogenous_x, v2.exogenous_x, cluster) if v1.exogenous_x else None
        if cdx is not None:
            logl_x = -minus2ll(cdx, S1[np.ix_(exo1, exo1)], m1[exo1], S2[np.ix_(exo2, exo2)], m2[exo2]) / 2
        else:  # covariates of the between level only
            from scipy.stats import multivariate_normal
            Z = np.vstack([X for _, X in cd.sizes])[:, [cd.py + cd.z.index(n) for n in v2.exogenous_x]]
            logl_x = float(multivariate_normal(m2[exo2], S2[np.ix_(exo2, exo2)]).logpdf(Z).sum())
    options = dict(estimator=est, missing="listwise", cluster=cluster, std_lv=std_lv, fixed_x=fixed_x,
                   meanstructure=True, level=level, twolevel=True)
    try:
        return TwoLevelResult(model_syntax=model, data=data, cd=cd, ram=ram, fit=fit, h1_model=h1_model, h1=h1,
                              base_fit=base_fit, base_model=base, defined=defined, df=df, h1_npar=h1_npar,
                              logl_x=logl_x, options=options, notes=notes,
                              h1_free=unrestricted(cd, exo1, exo2, fixed=h1mats))
    except (np.linalg.LinAlgError, FloatingPointError) as exc:
        raise EstimationError(f"the standard errors could not be computed ({exc}); the solution is degenerate") from None


def from_fit_sem(model: str, data, *, estimator, missing, group, group_equal, std_lv, meanstructure, fixed_x,
                 ordered, sampling_weights, cluster, sample_cov, sample_mean, sample_nobs,
                 level) -> TwoLevelResult:
    """``fit_sem`` on a model with ``level:`` blocks: check that its other options have a
    two-level meaning, then :func:`fit_sem_twolevel`."""
    if cluster is None:
        raise InputError("the model has 'level: 1' / 'level: 2' blocks: give the cluster column "
                         "(fit_sem(model, data, cluster='store'))")
    if sample_cov is not None or sample_mean is not None or sample_nobs is not None:
        raise InputError("a two-level model needs the rows (the cluster of each row); sample statistics "
                         "(sample_cov ...) cannot be used")
    if data is None:
        raise InputError("give data (a DataFrame of rows with the cluster column)")
    refused = {"group": group, "sampling_weights": sampling_weights, "ordered": ordered or None,
               "group_equal": list(group_equal) or None}
    for name, value in refused.items():
        if value is not None:
            raise InputError(f"{name}= is not available with a two-level model yet; drop it "
                             "(two-level models here are single-group, unweighted, continuous)")
    if missing not in ("listwise",):
        raise InputError(f"missing={missing!r}: two-level models here use complete rows (missing='listwise')")
    if meanstructure is False:
        raise InputError("a two-level model always has a mean structure (the cluster means); "
                         "drop meanstructure=False")
    return fit_sem_twolevel(model, data, cluster=cluster, estimator=estimator, std_lv=std_lv, fixed_x=fixed_x,
                            level=level)
