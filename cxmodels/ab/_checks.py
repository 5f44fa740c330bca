"""Input checks for the A/B models: every message names the offending variant.

Inputs arrive per variant as a mapping ``{variant: value}``, a pandas Series indexed by
variant, or a sequence (then ``names`` labels them, or they are called A, B, C, ...).
Nothing here modifies what it is given.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validation import require_columns, require_consistent_ids, require_unique_columns, rows_text
from ..errors import InputError


def default_names(k: int) -> list[str]:
    """A, B, C, ... (then V27, V28, ... beyond the alphabet)."""
    return [string.ascii_uppercase[i] if i < 26 else f"V{i + 1}" for i in range(k)]


def as_named(values, names=None, what: str = "values") -> dict[str, object]:
    """Read per-variant input as an ordered ``{name: value}`` dict (values not copied)."""
    if isinstance(values, Mapping):
        out = dict(values)
        if names is not None:
            raise InputError(f"{what} is a mapping, so its keys name the variants; do not also pass names=")
    elif isinstance(values, pd.Series):
        out = dict(zip(map(str, values.index), values.to_numpy()))
        if names is not None:
            out = dict(zip(_check_names(names, len(out), what), out.values()))
    elif isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, (str, bytes)):
        vals = list(values)
        labels = default_names(len(vals)) if names is None else _check_names(names, len(vals), what)
        out = dict(zip(labels, vals))
    else:
        raise InputError(f"{what} must be a mapping of variant -> value, a Series or a sequence, "
                         f"got {type(values).__name__}")
    if len(out) == 0:
        raise InputError(f"{what} holds no variants")
    return {str(k): v for k, v in out.items()}


def _check_names(names, k: int, what: str) -> list[str]:
    names = [str(n) for n in names]
    if len(names) != k:
        raise InputError(f"names has {len(names)} entries but {what} has {k} variants")
    if len(set(names)) != len(names):
        raise InputError(f"names {names} repeat a variant name")
    return names


def same_variants(a: dict, b: dict, what_a: str, what_b: str) -> None:
    """Raise InputError naming the variants present in one input and not the other."""
    if list(a) != list(b):
        if len(a) != len(b):
            raise InputError(f"{what_a} has {len(a)} variants and {what_b} has {len(b)}: lengths must match "
                             f"(variants {list(a)} vs {list(b)})")
        only_a = [k for k in a if k not in b]
        only_b = [k for k in b if k not in a]
        if only_a or only_b:
            raise InputError(f"variant(s) {only_a} appear only in {what_a} and {only_b} only in {what_b}")


def count(value, variant: str, what: str, *, allow_zero: bool = True) -> float:
    """One non-negative finite count for ``variant`` (integers are not required: weights are fine)."""
    if isinstance(value, (str, bytes)):
        raise InputError(f"{what} of variant {variant!r} must be a number, got the text {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} of variant {variant!r} must be a number, got {value!r}") from None
    if not np.isfinite(v):
        raise InputError(f"{what} of variant {variant!r} is {v}; it must be finite")
    if v < 0:
        raise InputError(f"{what} of variant {variant!r} is negative ({v:g}); counts must be >= 0")
    if not allow_zero and v == 0:
        raise InputError(f"variant {variant!r} has no data: {what} is 0")
    return v


def sample(values, variant: str, what: str = "data", *, min_size: int = 1) -> np.ndarray:
    """A 1-D float array of observations for ``variant`` (missing values dropped, with a check)."""
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{what} of variant {variant!r} holds values that are not numbers") from None
    arr = arr[~np.isnan(arr)]
    if np.isinf(arr).any():
        raise InputError(f"{what} of variant {variant!r} has {int(np.isinf(arr).sum())} infinite values")
    if arr.size < min_size:
        if arr.size == 0:
            raise InputError(f"variant {variant!r} has no data in {what}")
        raise InputError(f"variant {variant!r} has {arr.size} observation(s) in {what}; at least {min_size} needed")
    return arr


def groups_from_frame(data: pd.DataFrame, group, value, what: str = "data") -> dict[str, np.ndarray]:
    """Split column ``value`` of ``data`` by column ``group`` into ``{variant: array}``, variants
    sorted (so the result does not depend on the order of the rows).  Variant labels that print
    alike but differ in type (``1`` and ``"1"``) are refused rather than merged or split."""
    if group is None or value is None:
        raise InputError(f"{what} is a DataFrame: name its variant column with group= and its outcome column "
                         f"with value=")
    require_unique_columns(data, what)
    require_columns(data, [group, value], what)
    require_consistent_ids(data, group, what)
    labels = data[group]
    if labels.isna().any():
        raise InputError(f"column {group!r} of {what} has {int(labels.isna().sum())} missing variant labels "
                         f"({rows_text(data.index[labels.isna().to_numpy()])})")
    out = {}
    for name, sub in data.groupby(group, sort=True, observed=True)[value]:
        out[str(name)] = sub.to_numpy()
    if len(out) != labels.map(str).nunique():
        raise InputError(f"column {group!r} of {what} has variant labels that differ but print alike")
    return out


def at_least_two(variants, what: str) -> None:
    """Refuse a comparison of fewer than two variants (P(best) of a lone variant is 1 by construction)."""
    if len(variants) < 2:
        raise InputError(f"{what} compares variants and needs at least two; got {len(variants)} "
                         f"({list(variants)}). P(best) of a lone variant would be 1 whatever the data")


def resolve_control(names: list[str], control) -> str:
    """The control variant: ``control`` if given (must be a variant), else a variant named
    ``"control"`` (any case) if there is one, else the first variant."""
    if control is None:
        named = [n for n in names if n.lower() == "control"]
        return named[0] if named else names[0]
    if str(control) not in names:
        raise InputError(f"control {control!r} is not a variant; variants are {names}")
    return str(control)
