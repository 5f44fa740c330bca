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
