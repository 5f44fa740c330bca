"""``fit_sem``: covariance-based SEM of satisfaction and loyalty in lavaan syntax."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import EstimationError, IdentificationError, InputError
from ..syntax import split_levels
from . import checks, twolevel
from .core import ESTIMATORS, MISSING, _group_arrays, fit_core
from .ordinal import OrdinalSEMResult, fit_sem_ordinal
from .ordinal_groups import fit_ordinal_groups
from .partable import build
from .result import SEMResult
from .twolevel_result import TwoLevelResult


def _validate(data, v, group, missing, estimator, level):
    V.require_frame(data)
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if missing not in MISSING:
        raise InputError(f"missing must be one of {MISSING}, got {missing!r}")
    V.check_level(level)
    model_vars = v.observed
    checks.require_unique_model_columns(data, model_vars + ([group] if group is not None else []))
    checks.require_latents_not_columns(data, v.latent)
    V.require_columns(data, model_vars, "data (the model's observed variables)")
    if group is not None:
        if not isinstance(group, str):
            raise InputError(f"group must be a column name, got {group!r}")
        V.require_columns(data, [group], "data (the group column)")
        na = data.index[data[group].isna()]
        if len(na):
            raise InputError(f"group column {group!r} has {len(na)} missing values ({V.rows_text(na)})")
    V.require_numeric(data, model_vars)
    V.require_finite(data, model_vars)
    V.require_not_constant(data, model_vars)
    checks.require_variance(data, model_vars)


def _identified_table(model, G, meanstructure, std_lv, fixed_x, group_equal, source: str):
    """The parameter table, its free parameters ``q`` and degrees of freedom, refusing a model with more
    free parameters than sample moments (fixed covariates' moments are not the model's)."""
    table, v, defined = build(model, n_groups=G, meanstructure=meanstructure, std_lv=std_lv,
                              fixed_x=fixed_x, group_equal=group_equal)
    q = int(table["pid"].max() + 1)
    k = lambda n: n * (n + 1) // 2 + (n if meanstructure else 0)
    df = G * (k(len(v.observed)) - k(len(v.exogenous_x))) - q
    if df < 0:
        raise IdentificationError(
            f"the model has {q} free parameters but {source} give only {q + df} sample moments "
            f"({df} degrees of freedom): it is not identified; fix or constrain parameters")
    return table, v, defined, q, df


def fit_sem(model: str, data: pd.DataFrame | None = None, *, estimator: str = "ML",
            missing: str = "listwise", group: str | None = None, group_equal=(), std_lv: bool = False,
            meanstructure: bool | None = None, fixed_x: bool = True, ordered=None, parameterization: str = "delta",
            sampling_weights: str | None = None, cluster: str | None = None,
            sample_cov=None, sample_mean=None, sample_nobs=None,
            level: float = 0.95) -> SEMResult | OrdinalSEMResult | TwoLevelResult:
    """Fit a structural equation model written in lavaan syntax.

    A model with ``level: 1`` / ``level: 2`` blocks and ``cluster=`` is a two-level SEM
    (:func:`fit_sem_twolevel`, returning a ``TwoLevelResult``).

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
    ordered : list of str or True, optional
        Ordinal indicators for DWLS/WLSMV estimation (see :func:`fit_sem_ordinal`); the
        result is then an :class:`OrdinalSEMResult`, with the same surface.  With ``group``
        a multigroup ordinal model (``group_equal=("thresholds", "loadings")`` for invariance).
    parameterization : {"delta", "theta"}
        lavaan's ``parameterization`` of ordinal models: scale factors (delta) or residual
        variances of the latent responses (theta) as parameters; ``"theta"`` with ``group``.
    sampling_weights : str, optional
        Column of sampling (design) weights, as lavaan's ``sampling.weights``: the weights
        are normalised to sum to the number of rows, the sample means and covariances are
        weighted (divisor :math:`\\sum w_i`), and, as lavaan, inference is always robust
        (estimator ``"ML"`` is treated as ``"MLR"``): sandwich standard errors whose meat
        sums the weighted casewise scores :math:`w_i s_i`, and the Yuan-Bentler scaled
        chi-square (Asparouhov 2005, Structural Equation Modeling 12, 411-434).  With
        ``missing="fiml"`` every missing-data pattern's moments and the saturated model's EM
        estimates are weighted.
    cluster : str, optional
        Column naming the cluster of each row (customers nested in stores), as lavaan's
        ``cluster``: the same estimates, with cluster-robust sandwich standard errors and
        scaled test statistics, whose meat sums the scores within clusters and multiplies
        by :math:`C/(C-1)` (Muthen & Satorra 1995, Sociological Methodology 25, 267-316).
        The bread is the observed information for ``"ML"`` and ``"MLR"`` alike (as lavaan);
        ``"ML"``'s scaled test takes the fitted model's information from the unrestricted
        model's at the implied moments (lavaan's ``observed.information = "h1"``).  The mean
        structure is on by default, as in lavaan.
    sample_cov : DataFrame, dict, optional
        Fit to sample statistics instead of ``data`` (lavaan's ``sample.cov``): a covariance
        matrix labelled with the observed variables (unbiased, divisor ``n - 1``, rescaled
        by ``(n - 1)/n`` as lavaan does), a dict ``{group label: matrix}`` for a multigroup
        model, or the output of :func:`cxmodels._engine.group_moments` (means, counts and
        divisor-``W`` covariances per group, used as they are).  ML only: robust standard
        errors and scaled tests need the raw rows.
    sample_mean : Series or dict, optional
        The means (per group), for a mean structure (lavaan's ``sample.mean``).
    sample_nobs : int or dict, optional
        The number of observations (per group) behind ``sample_cov`` (``sample.nobs``).
    level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    SEMResult, OrdinalSEMResult or TwoLevelResult

    Raises
    ------
    InputError
        Data that cannot be fitted as given, with the column and rows named: missing,
        repeated, non-numeric, infinite, constant or nearly constant columns; a latent
        variable named like a data column; a group with no more rows than observed
        variables; linearly dependent items.
    ModelSyntaxError
        The model cannot be read (the message quotes the line).
    IdentificationError
        More free parameters than sample moments.
    EstimationError
        Valid input on which the likelihood cannot be evaluated or maximised.

    References
    ----------
    Bollen, K. A. (1989). *Structural Equations with Latent Variables*. Wiley.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    *Journal of Statistical Software*, 48(2), 1-36.
    """

    if not isinstance(model, str):
        raise InputError(f"model must be a string of lavaan syntax, got {type(model).__name__}")
    if split_levels(model) is not None:  # lavaan's `level: 1` / `level: 2` blocks: a two-level model
        return twolevel.from_fit_sem(model, data, estimator=estimator, missing=missing, group=group,
                                     group_equal=group_equal, std_lv=std_lv, meanstructure=meanstructure,
                                     fixed_x=fixed_x, ordered=ordered, sampling_weights=sampling_weights,
                                     cluster=cluster, sample_cov=sample_cov, sample_mean=sample_mean,
                                     sample_nobs=sample_nobs, level=level)
    if ordered is not None and ordered is not False and ordered is not True and not isinstance(ordered, (list, tuple, str)):
        raise InputError(f"ordered must be True, a column name or a list of column names, got {ordered!r}")
    if sample_cov is not None or sample_mean is not None or sample_nobs is not None:
        return _fit_sample_statistics(model, data, estimator=estimator, missing=missing, group=group,
                                      group_equal=group_equal, std_lv=std_lv, meanstructure=meanstructure,
                                      fixed_x=fixed_x, ordered=ordered, sampling_weights=sampling_weights,
                                      cluster=cluster, sample_cov=sample_cov, sample_mean=sample_mean,
                                      sample_nobs=sample_nobs, level=level)
    if data is None:
        raise InputError("give data (a DataFrame of rows) or sample statistics (sample_cov, sample_nobs)")
    if ordered and (sampling_weights is not None or cluster is not None):
        raise InputError("sampling_weights and cluster are not available with ordered items (WLSMV) yet; "
                         "fit the items as continuous (MLR) or drop those arguments")
    if ordered and group is not None:
        return fit_ordinal_groups(model, data, ordered=ordered, group=group, group_equal=group_equal,
                                  parameterization=parameterization, std_lv=std_lv, level=level)
    if ordered:
        return fit_sem_ordinal(model, data, ordered=ordered, std_lv=std_lv, parameterization=parameterization,
                               level=level)
    estimator = estimator.upper() if isinstance(estimator, str) else estimator
    missing = {"ml": "fiml", "fiml": "fiml", "listwise": "listwise"}.get(missing, missing)
    if isinstance(group_equal, str):
        group_equal = [group_equal]
    fiml = missing == "fiml"
    if meanstructure is None:  # lavaan: on with groups, FIML and clusters
        meanstructure = group is not None or fiml or cluster is not None
    # A first pass with one group finds the variables, to validate the data.
    _, v0, _ = build(model, n_groups=1, meanstructure=meanstructure, std_lv=std_lv, fixed_x=fixed_x)
    _validate(data, v0, group, missing, estimator, level)
    design = checks.design_columns(data, v0.observed, group, sampling_weights, cluster)

    notes: list[str] = []
    work = data[v0.observed + ([group] if group else [])].assign(**design)
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
    if len(work) == 0:
        raise InputError(f"no rows are left after removing rows with missing values in {v0.observed}")
    arrays, group_labels = _group_arrays(work, v0.observed, group)
    weights, clusters = checks.split_design(work, group, group_labels, sampling_weights, cluster)
    checks.require_group_sizes(arrays, group_labels, v0.observed, group, fiml)
    # (under FIML on the complete rows: a dependence there holds wherever the items are observed)
    checks.require_independent_items(arrays, group_labels, v0.observed, group)
    G = len(arrays)
    table, v, defined, q, df = _identified_table(model, G, meanstructure, std_lv, fixed_x, group_equal, "the data")
    n_min = min(len(a) for a in arrays)
    if sum(len(a) for a in arrays) <= q:
        raise InputError(f"{sum(len(a) for a in arrays)} rows cannot identify {q} free parameters")
    if n_min < 2:
        raise InputError("every group needs at least two rows of data")

    try:
        core = fit_core(table, v, arrays, fiml=fiml, meanstructure=meanstructure, weights=weights,
                        clusters=clusters)
    except (FloatingPointError, np.linalg.LinAlgError, ValueError, TypeError) as exc:
        raise EstimationError(
            f"the model could not be estimated on this data ({exc}); the starting values or the "
            "sample covariances give a non-positive-definite matrix: check for nearly collinear or "
            "nearly constant items, and for groups with few rows") from None
    options = dict(estimator=estimator, missing=missing, group=group, group_equal=list(group_equal),
                   std_lv=std_lv, meanstructure=meanstructure, fixed_x=fixed_x, level=level,
                   sampling_weights=sampling_weights, cluster=cluster)
    try:
        return SEMResult(core=core, model_syntax=model, defined=defined, data=data, options=options,
                         group_labels=group_labels, df=df, notes=notes)
    except (np.linalg.LinAlgError, FloatingPointError) as exc:
        raise EstimationError(f"the standard errors or standardized solution could not be computed "
                              f"({exc}); the solution is degenerate") from None



def _fit_sample_statistics(model, data, *, estimator, missing, group, group_equal, std_lv, meanstructure,
                           fixed_x, ordered, sampling_weights, cluster, sample_cov, sample_mean,
                           sample_nobs, level) -> SEMResult:
    """``fit_sem`` on sample statistics (lavaan's ``sample.cov``, ``sample.mean``, ``sample.nobs``)."""
    if data is not None:
        raise InputError("give either data or sample statistics (sample_cov ...), not both")
    if sample_cov is None:
        raise InputError("sample_mean and sample_nobs need sample_cov (the covariance matrix)")
    estimator = estimator.upper() if isinstance(estimator, str) else estimator
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if estimator != "ML":
        raise InputError(f"estimator={estimator!r} needs the raw rows (its robust standard errors and "
                         "scaled test sum casewise scores); with sample statistics only estimator='ML' "
                         "is available: pass data= for MLR")
    for name, value in (("sampling_weights", sampling_weights), ("cluster", cluster), ("ordered", ordered)):
        if value:
            raise InputError(f"{name}= needs the raw rows; with sample statistics, weight the moments "
                             "themselves (cxmodels._engine.group_moments(..., weight=...))")
    if missing not in ("listwise",):
        raise InputError("missing='fiml' needs the raw rows; sample statistics are complete-data moments")
    V.check_level(level)
    if isinstance(group_equal, str):
        group_equal = [group_equal]
    _, v0, _ = build(model, n_groups=1, meanstructure=False, std_lv=std_lv, fixed_x=fixed_x)
    labels, moments, has_means = checks.sample_statistics(sample_cov, sample_mean, sample_nobs, v0.observed)
    G = len(moments)
    if meanstructure is None:
        meanstructure = G > 1
    if meanstructure and not has_means:
        raise InputError("a mean structure (meanstructure=True, or several groups) needs sample_mean")
    table, v, defined, q, df = _identified_table(model, G, meanstructure, std_lv, fixed_x, group_equal,
                                                 "the sample statistics")
    try:
        core = fit_core(table, v, None, fiml=False, meanstructure=meanstructure, moments=moments)
    except (FloatingPointError, np.linalg.LinAlgError, ValueError, TypeError) as exc:
        raise EstimationError(f"the model could not be estimated on these sample statistics ({exc})") from None
    group_name = group if group is not None else ("group" if G > 1 else None)
    options = dict(estimator="ML", missing="listwise", group=group_name, group_equal=list(group_equal),
                   std_lv=std_lv, meanstructure=meanstructure, fixed_x=fixed_x, level=level,
                   sampling_weights=None, cluster=None, sample_statistics=True)
    notes: list[str] = []
    # The provenance fingerprints the statistics fitted (one row per group and moment).
    frames = [pd.DataFrame(np.vstack([m[1], m[0]]), columns=v.observed,
                           index=pd.MultiIndex.from_product([[str(lab)], ["mean"] + list(v.observed)]))
              for lab, m in zip(labels, moments)]
    fitted = pd.concat(frames).assign(n=[m[2] for m in moments for _ in range(len(v.observed) + 1)])
    try:
        return SEMResult(core=core, model_syntax=model, defined=defined, data=fitted, options=options,
                         group_labels=labels, df=df, notes=notes)
    except (np.linalg.LinAlgError, FloatingPointError) as exc:
        raise EstimationError(f"the standard errors or standardized solution could not be computed "
                              f"({exc}); the solution is degenerate") from None
