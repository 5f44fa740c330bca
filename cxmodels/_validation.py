"""Input checks shared by the domains.

Every check names the offending column(s), the number of rows affected and what was
expected, and raises :class:`cxmodels.errors.InputError`.  No function here modifies
the frame it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import InputError


def rows_text(index: pd.Index, limit: int = 5) -> str:
    """'rows 3, 7, 9, ... (12 rows in all)': the offending rows, for an error message."""
    shown = ", ".join(map(str, list(index[:limit])))
    more = f", ... ({len(index)} rows in all)" if len(index) > limit else ""
    return f"rows {shown}{more}"


def require_frame(data, what: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame, else raise InputError."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise InputError(f"{what} has no rows")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    """Raise InputError naming every column of ``columns`` absent from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {missing}; it has {list(map(str, data.columns))}"
        )


def require_numeric(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    """Raise InputError for any column of ``columns`` that is not numeric.

    The message names the column and the rows whose values cannot be read as numbers.
    """
    for col in columns:
        s = data[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            as_num = pd.to_numeric(s, errors="coerce")
            bad = s.index[as_num.isna() & s.notna()]
            detail = f" ({len(bad)} non-numeric values, {rows_text(bad)})" if len(bad) else ""
            raise InputError(
                f"column {col!r} of {what} must be numeric, has dtype {s.dtype}{detail}"
            )


def require_not_constant(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    """Raise InputError for columns with fewer than two distinct observed values."""
    for col in columns:
        if data[col].nunique(dropna=True) < 2:
            raise InputError(
                f"column {col!r} of {what} is constant ({data[col].nunique(dropna=True)} distinct "
                f"value over {int(data[col].notna().sum())} non-missing rows); it carries no variance"
            )


def require_no_missing(data: pd.DataFrame, columns: Sequence[str], what: str = "data",
                       hint: str = "") -> None:
    """Raise InputError naming each column of ``columns`` that holds missing values."""
    for col in columns:
        na = data.index[data[col].isna()]
        if len(na):
            raise InputError(
                f"column {col!r} of {what} has {len(na)} missing values ({rows_text(na)})" + hint
            )


def require_finite(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    """Raise InputError naming each column holding +-inf."""
    for col in columns:
        vals = data[col].to_numpy(dtype=float, na_value=np.nan)
        bad = data.index[np.isinf(vals)]
        if len(bad):
            raise InputError(f"column {col!r} of {what} has {len(bad)} infinite values ({rows_text(bad)})")


def as_generator(seed) -> np.random.Generator:
    """The one way randomness enters cxmodels: an int seed, a Generator, or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise InputError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")



def require_unique_columns(data: pd.DataFrame, what: str = "data") -> None:
    """Raise InputError when ``data`` has repeated column names (which column is meant is ambiguous)."""
    dup = data.columns[data.columns.duplicated()].unique()
    if len(dup):
        raise InputError(f"{what} has repeated column names {list(map(str, dup))}; "
                         "rename them so each column can be named unambiguously")


def check_level(level: float, what: str = "level") -> float:
    """The interval level, a number strictly between 0 and 1 (``level=0.95``)."""
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < float(level) < 1:
        raise InputError(f"{what} must be a number strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def check_count(value, what: str, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` (``n_boot``, ``draws``, ``chains`` ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{what} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def require_consistent_ids(data: pd.DataFrame, column: str, what: str = "data") -> None:
    """Refuse an id column where two different values print the same (``1`` and ``"1"``,
    ``1`` and ``1.0``): they would silently count as two customers."""
    s = data[column].dropna()
    if s.dtype != object or s.empty:
        return
    kinds = s.map(lambda v: type(v).__name__)
    if kinds.nunique() < 2:
        return
    text = s.map(str)
    distinct = pd.DataFrame({"t": text, "v": s.map(repr)}).drop_duplicates()
    clash = distinct["t"][distinct["t"].duplicated(keep=False)]
    if len(clash):
        rows = s.index[text.isin(clash)]
        raise InputError(
            f"column {column!r} of {what} mixes types ({', '.join(sorted(kinds.unique()))}) and "
            f"values that print alike ({sorted(clash.unique())[:5]}) would count as different "
            f"customers ({rows_text(rows)}); convert the column to one type first")


def resolve_seed(seed):
    """A Generator and the seed to record in provenance: an int as given; None draws one from
    the operating system and records it (so the computation can be re-run); a Generator is
    used as is (its state cannot be recorded, and provenance says so)."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2 ** 32))
    rng = as_generator(seed)
    recorded = int(seed) if isinstance(seed, (int, np.integer)) else "numpy Generator (state not recorded)"
    return rng, recorded
