"""Input checks for the CLV domain: summaries (frequency, recency, T, monetary_value).

Every failure raises :class:`cxmodels.errors.InputError` (a ``ValueError``) naming the
column(s), the customers affected and what is expected.  Nothing is clipped or dropped
silently, and the caller's frame is never modified.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import require_unique_columns
from ..errors import InputError


def customers_text(labels, limit: int = 5) -> str:
    """``"customers 12, 40, 77, ... (n in all)"`` for the first ``limit`` labels."""
    labels = list(labels)
    shown = ", ".join(map(str, labels[:limit]))
    more = f", ... ({len(labels)} customers in all)" if len(labels) > limit else ""
    return f"customers {shown}{more}"


def _fail(index: pd.Index, mask: np.ndarray, message: str) -> None:
    if mask.any():
        bad = index[mask]
        raise InputError(f"{message}: {customers_text(bad)}")


def summary_arrays(data, *, monetary: bool = False, what: str = "data") -> dict[str, np.ndarray]:
    """Validated float arrays ``frequency``, ``recency``, ``T`` (and ``monetary_value``).

    ``data`` is a DataFrame with those columns (lifetimes' names), indexed by customer.
    Checks: columns present, numeric, finite, non-negative, integer frequency,
    ``recency <= T``, ``recency == 0`` when ``frequency == 0``, positive
    ``monetary_value`` for repeat buyers when ``monetary`` is requested.
    """
    rfm = data
    if not isinstance(rfm, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame with columns frequency, recency, T; "
                         f"got {type(rfm).__name__}")
    cols = ["frequency", "recency", "T"] + (["monetary_value"] if monetary else [])
    missing = [c for c in cols if c not in rfm.columns]
    if missing:
        raise InputError(f"{what} lacks column(s) {missing}; it has {list(map(str, rfm.columns))} "
                         "(build it with cxmodels.clv.rfm_summary)")
    if len(rfm) == 0:
        raise InputError(f"{what} has no rows")
    require_unique_columns(rfm[[c for c in rfm.columns if c in cols]], what)
    if rfm.index.has_duplicates:
        dup = rfm.index[rfm.index.duplicated(keep=False)].unique()
        raise InputError(f"{what} has duplicate customers in its index: {customers_text(dup)}")
    out: dict[str, np.ndarray] = {}
    for c in cols:
        s = rfm[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s) \
                or not pd.api.types.is_numeric_dtype(s):
            raise InputError(f"column {c!r} of {what} must be numeric, has dtype {s.dtype}")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        _fail(rfm.index, ~np.isfinite(v), f"column {c!r} of {what} has missing or infinite values")
        _fail(rfm.index, v < 0, f"column {c!r} of {what} has negative values")
        out[c] = v
    x, tx, T = out["frequency"], out["recency"], out["T"]
    _fail(rfm.index, x != np.round(x), f"column 'frequency' of {what} must hold whole numbers of repeat purchases")
    _fail(rfm.index, tx > T * (1 + 1e-12) + 1e-12,
          f"column 'recency' of {what} exceeds column 'T' (the last purchase cannot come after the end of observation)")
    _fail(rfm.index, (x == 0) & (tx > 0),
          f"columns 'frequency', 'recency' of {what}: recency must be 0 for customers without repeat purchases")
    out["recency"] = np.minimum(tx, T)  # only rounding-level excess reaches here
    if monetary:
        m = out["monetary_value"]
        _fail(rfm.index, (x > 0) & (m <= 0),
              f"column 'monetary_value' of {what} must be positive for repeat buyers (frequency > 0)")
    return out


def positive_horizon(t, name: str = "t") -> np.ndarray:
    """``t`` as a float array of non-negative finite values, else InputError."""
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a non-negative number or array of numbers, got {t!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be non-negative and finite, got {t!r}")
    return arr


def row_weights(weights, n: int):
    """Counts of identical customers, one per row (None: every row once), checked."""
    if weights is None:
        return None
    try:
        weights = np.asarray(weights, float)
    except (TypeError, ValueError):
        weights = np.array([np.nan])
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise InputError(f"weights must be {n} non-negative finite numbers, one per row of data")
    return weights
