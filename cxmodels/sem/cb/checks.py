"""Input checks specific to covariance-based SEM (the general ones are in
:mod:`cxmodels._validation`).  Each raises :class:`~cxmodels.errors.InputError` naming the
columns, groups and rows, and what to do; none modifies the data.

Why these: maximum likelihood needs a positive-definite sample covariance matrix in every
group (its log-determinant enters the discrepancy), so an item with (almost) no variance,
items that are exact linear combinations of each other, or a group with no more rows than
observed variables leave the likelihood undefined (Bollen 1989, ch. 4; lavaan refuses or
warns on the same inputs: Rosseel 2012).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _validation as V
from ...errors import InputError

#: An item whose standard deviation is below this share of its mean magnitude varies only in
#: digits that carry no information (e.g. 1 and 1.0000001).
NEAR_CONSTANT = 1e-6
#: Smallest eigenvalue of a correlation matrix (relative to its largest) below which the
#: items are treated as linearly dependent.
SINGULAR = 1e-10


def require_unique_model_columns(data: pd.DataFrame, columns) -> None:
    """Refuse repeated column names among those the model uses (which one is meant?)."""
    dup = data.columns[data.columns.duplicated()].unique()
    clash = [c for c in dup if c in set(columns)]
    if clash:
        raise InputError(f"data has repeated column names {list(map(str, clash))} used by the model; "
                         "rename them so each column can be named unambiguously")


def require_latents_not_columns(data: pd.DataFrame, latent) -> None:
    """Refuse a latent variable named like a column of ``data`` (as lavaan does): the model
    would treat an observed column as unobserved, or the reader would think it is observed."""
    clash = [f for f in latent if f in set(data.columns)]
    if clash:
        raise InputError(f"latent variable(s) {clash} have the name of a column of data; a latent "
                         "variable is not observed: rename it in the model (e.g. "
                         f"'{clash[0]}_f =~ ...') or drop the column")


def require_variance(data: pd.DataFrame, columns) -> None:
    """Refuse nearly constant items: ``sd <= NEAR_CONSTANT * |mean|``."""
    for col in columns:
        x = data[col].to_numpy(dtype=float, na_value=np.nan)
        x = x[~np.isnan(x)]
        if len(x) < 2:
            continue
        sd, centre = float(np.std(x)), float(np.abs(np.mean(x)))
        if sd <= NEAR_CONSTANT * centre:
            raise InputError(
                f"column {col!r} is nearly constant (standard deviation {sd:.3g} around a mean of "
                f"{np.mean(x):.6g}, over {len(x)} non-missing rows): it carries no usable variance, so "
                "the model cannot be estimated; drop the item or check how it was coded")


def _name(label, group) -> str:
    return f"group {label!r} of column {group!r}" if group is not None else "the data"


def require_group_sizes(arrays, labels, observed, group, fiml: bool) -> None:
    """Every group needs more (complete) rows than observed variables."""
    p = len(observed)
    for Y, lab in zip(arrays, labels):
        n = int(np.sum(~np.isnan(Y).any(axis=1))) if not fiml else len(Y)
        if n <= p:
            raise InputError(
                f"{_name(lab, group)} has {n} {'complete ' if not fiml else ''}rows but the model has "
                f"{p} observed variables: its sample covariance matrix is singular, so the likelihood "
                "is not defined; each group needs more rows than observed variables (merge or drop "
                "small groups)")


def require_independent_items(arrays, labels, observed, group) -> None:
    """Refuse linearly dependent items (a singular sample covariance matrix), naming them."""
    for Y, lab in zip(arrays, labels):
        Y = Y[~np.isnan(Y).any(axis=1)]
        if len(Y) <= Y.shape[1]:  # too few complete rows to tell (FIML); the fit is flagged instead
            continue
        sd = Y.std(axis=0)
        if np.any(sd == 0):
            const = [o for o, s in zip(observed, sd) if s == 0]
            raise InputError(f"item(s) {const} are constant in {_name(lab, group)}: their variance is "
                             "zero there, so the model cannot be estimated in that group")
        R = np.corrcoef(Y, rowvar=False)
        w, V_ = np.linalg.eigh(R)
        if w[0] <= SINGULAR * w[-1]:
            v = np.abs(V_[:, 0])
            involved = [o for o, a in zip(observed, v) if a > 0.05 * v.max()]
            raise InputError(
                f"items {involved} are linearly dependent in {_name(lab, group)} (one is an exact "
                "combination of the others, e.g. a sum score or a duplicated column): the sample "
                "covariance matrix is singular, so the likelihood is not defined; drop one of them")


def sampling_weights_values(data: pd.DataFrame, column) -> np.ndarray:
    """The weights in ``column`` as floats, refused (rows named) when any is missing,
    infinite or negative, or when none is positive: a weight says how many population
    members a respondent stands for, so it must be a finite number of at least 0."""
    if not isinstance(column, str):
        raise InputError(f"sampling_weights must be the name of a column of data, got {column!r}")
    V.require_columns(data, [column], "data (the sampling weights column)")
    V.require_numeric(data, [column])
    w = data[column].to_numpy(dtype=float, na_value=np.nan)
    for bad, what in ((np.isnan(w), "missing"), (np.isinf(w), "infinite"), (w < 0, "negative")):
        if bad.any():
            raise InputError(f"sampling weights column {column!r} has {int(bad.sum())} {what} value(s) "
                             f"({V.rows_text(data.index[bad])}); every weight must be a finite number "
                             "of at least 0: fix or drop those rows")
    if not (w > 0).any():
        raise InputError(f"sampling weights column {column!r} is zero in every row: no respondent "
                         "counts, so there is nothing to fit")
    return w


def cluster_codes(data: pd.DataFrame, column) -> np.ndarray:
    """Integer codes of the clusters in ``column`` (order of first appearance), refused when a
    value is missing (which cluster is the row in?) or when there is one cluster only (a
    cluster-robust variance needs at least two: its correction is ``C / (C - 1)``)."""
    if not isinstance(column, str):
        raise InputError(f"cluster must be the name of a column of data, got {column!r}")
    V.require_columns(data, [column], "data (the cluster column)")
    na = data[column].isna().to_numpy()
    if na.any():
        raise InputError(f"cluster column {column!r} has {int(na.sum())} missing value(s) "
                         f"({V.rows_text(data.index[na])}); every row must belong to a cluster: "
                         "fill them in or drop those rows")
    codes, uniques = pd.factorize(data[column], sort=False)
    if len(uniques) < 2:
        raise InputError(f"cluster column {column!r} holds a single cluster ({uniques[0]!r}): "
                         "cluster-robust standard errors need at least two clusters (many more "
                         "in practice, say 30 or more); drop cluster= for independent rows")
    return codes


def _square(x, name, names=None) -> tuple[np.ndarray, list | None]:
    if isinstance(x, pd.DataFrame):
        if list(x.index) != list(x.columns):
            raise InputError(f"{name} must have the same row and column labels, in the same order")
        names, M = [str(c) for c in x.columns], x.to_numpy(dtype=float)
    else:
        try:
            M = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a square numeric matrix (a DataFrame with variable "
                             f"names), got {type(x).__name__}") from None
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise InputError(f"{name} must be a square matrix, got shape {M.shape}")
    if not np.isfinite(M).all():
        raise InputError(f"{name} has missing or infinite entries")
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(M).max()))):
        raise InputError(f"{name} is not symmetric")
    return M, names


def sample_statistics(sample_cov, sample_mean, sample_nobs, observed):
    """Per-group ``(labels, [(S, ybar, n)], rescaled)`` from lavaan-style sample statistics.

    ``sample_cov`` is a covariance DataFrame (one group) or a dict ``{group label: DataFrame}``;
    ``sample_mean`` a Series or a dict of them (None: no mean structure); ``sample_nobs`` an
    int or a dict of ints.  Or ``sample_cov`` is the output of
    :func:`cxmodels._engine.group_moments` (``{label: {"n", "weight", "mean", "cov"}}``), whose
    covariances already have divisor ``W``.  Covariances given directly are taken as unbiased
    (divisor ``n - 1``) and rescaled by ``(n - 1) / n``, as lavaan's ``sample.cov.rescale``.
    """
    single = not isinstance(sample_cov, dict)
    from_engine = (not single and len(sample_cov) > 0
                   and all(isinstance(m, dict) and {"n", "mean", "cov"} <= set(m) for m in sample_cov.values()))
    if from_engine:
        if sample_mean is not None or sample_nobs is not None:
            raise InputError("with the output of group_moments as sample_cov, leave sample_mean and "
                             "sample_nobs unset: they are read from it")
        labels = list(sample_cov)
        covs = [sample_cov[k]["cov"] for k in labels]
        means = [sample_cov[k]["mean"] for k in labels]
        nobs = [sample_cov[k]["n"] for k in labels]
    else:
        labels = [None] if single else list(sample_cov)
        if not labels:
            raise InputError("sample_cov is an empty dict")
        covs = [sample_cov] if single else [sample_cov[k] for k in labels]

        def per_group(x, name):
            if x is None:
                return [None] * len(labels)
            if single:
                return [x]
            if not isinstance(x, dict) or set(x) != set(labels):
                raise InputError(f"{name} must be a dict with the same group labels as sample_cov "
                                 f"({labels}), got {x!r:.80}")
            return [x[k] for k in labels]
        means = per_group(sample_mean, "sample_mean")
        if sample_nobs is None:
            raise InputError("sample_nobs (the number of observations behind sample_cov) is required")
        nobs = per_group(sample_nobs, "sample_nobs")
    out = []
    for lab, C, m, n in zip(labels, covs, means, nobs):
        where = "" if lab is None else f" (group {lab!r})"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
            raise InputError(f"sample_nobs{where} must be an integer of at least 2, got {n!r}")
        M, names = _square(C, f"sample_cov{where}")
        if names is None:
            if M.shape[0] != len(observed):
                raise InputError(f"sample_cov{where} is {M.shape[0]} x {M.shape[0]} but the model has "
                                 f"{len(observed)} observed variables; pass a DataFrame labelled with them")
            names = list(observed)
        missing = [o for o in observed if o not in names]
        if missing:
            raise InputError(f"sample_cov{where} lacks the model's observed variable(s) {missing}")
        idx = [names.index(o) for o in observed]
        S = M[np.ix_(idx, idx)]
        if np.linalg.eigvalsh(S).min() <= SINGULAR * max(np.abs(S).max(), 1e-300):
            raise InputError(f"sample_cov{where} is not positive definite over {list(observed)}: the "
                             "likelihood is not defined (check for a duplicated or constant variable)")
        if not from_engine:
            S = S * (n - 1) / n
        if m is None:
            ybar = np.zeros(len(observed))
        else:
            if isinstance(m, pd.Series):
                lacking = [o for o in observed if o not in m.index]
                if lacking:
                    raise InputError(f"sample_mean{where} lacks the model's observed variable(s) {lacking}")
                ybar = m[observed].to_numpy(dtype=float)
            else:
                ybar = np.asarray(m, dtype=float).ravel()
                if len(ybar) != len(observed):
                    raise InputError(f"sample_mean{where} has {len(ybar)} values for {len(observed)} "
                                     "observed variables; pass a Series labelled with them")
            if not np.isfinite(ybar).all():
                raise InputError(f"sample_mean{where} has missing or infinite entries")
        out.append((S, ybar, int(n)))
    return labels, out, any(m is not None for m in means)


#: Columns carried beside the items through listwise deletion (names no data frame uses).
WEIGHT_COLUMN, CLUSTER_COLUMN = "\0sampling_weight", "\0cluster"


def design_columns(data: pd.DataFrame, observed, group, sampling_weights, cluster) -> dict:
    """Checked sampling weights and cluster codes, as extra columns to carry along the rows."""
    out = {}
    for name, col in (("sampling_weights", sampling_weights), ("cluster", cluster)):
        if col is None:
            continue
        if isinstance(col, str) and (col in observed or col == group):
            raise InputError(f"{name} column {col!r} is also a variable of the model or the group "
                             "column; a design column cannot be both")
        if isinstance(col, str):
            require_unique_model_columns(data, [col])
    if sampling_weights is not None:
        out[WEIGHT_COLUMN] = sampling_weights_values(data, sampling_weights)
    if cluster is not None:
        out[CLUSTER_COLUMN] = cluster_codes(data, cluster)
    if sampling_weights is not None and cluster is not None and sampling_weights == cluster:
        raise InputError("sampling_weights and cluster name the same column")
    return out


def split_design(work: pd.DataFrame, group, labels, sampling_weights, cluster):
    """Per group: the weights normalised to sum to the total number of rows (lavaan's
    ``sampling.weights.normalization = "total"``) and the cluster codes, renumbered from 0.
    Refuses a group whose weights are all zero or that holds a single cluster."""
    def pieces(col):
        if group is None:
            return [work[col].to_numpy()]
        return [work.loc[work[group] == lab, col].to_numpy() for lab in labels]

    weights = clusters = None
    if sampling_weights is not None:
        total = float(work[WEIGHT_COLUMN].sum())
        if not total > 0:
            raise InputError(f"sampling weights column {sampling_weights!r} is zero in every row left "
                             "after removing incomplete rows: nothing to fit")
        weights = [w.astype(float) * len(work) / total for w in pieces(WEIGHT_COLUMN)]
        for w, lab in zip(weights, labels):
            if not (w > 0).any():
                raise InputError(f"sampling weights column {sampling_weights!r} is zero in every row of "
                                 f"{_name(lab, group)}: that group has nothing to fit")
    if cluster is not None:
        clusters = []
        for c, lab in zip(pieces(CLUSTER_COLUMN), labels):
            codes, uniques = pd.factorize(c, sort=False)
            if len(uniques) < 2:
                raise InputError(f"{_name(lab, group)} has a single cluster of column {cluster!r} (after "
                                 "removing incomplete rows): cluster-robust standard errors need at "
                                 "least two clusters per group")
            clusters.append(codes)
    return weights, clusters
