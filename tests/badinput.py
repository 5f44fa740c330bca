"""The bad-input corpus shared by tests/test_bad_inputs_*.py.

``variants(frame, columns)`` yields (name, bad_frame) pairs built from a good frame: the
obvious ways real data goes wrong.  ``assert_clean(fn, *args, **kwargs)`` calls a public
function and asserts that only cxmodels' own errors (or its documented warnings) come out and
that no argument was modified.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from cxmodels.errors import CXModelsError, CXModelsWarning


def variants(frame: pd.DataFrame, columns) -> list[tuple[str, pd.DataFrame]]:
    """Bad versions of ``frame``, each spoiling ``columns`` (a list of column names) in one way."""
    cols = list(columns)
    out = [("empty", frame.iloc[:0].copy()), ("one_row", frame.iloc[:1].copy())]
    for c in cols:
        f = frame.copy()
        f[c] = np.nan
        out.append((f"all_nan[{c}]", f))
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            f = frame.copy()
            f[c] = f[c].astype(float)
            f.iloc[: max(1, len(f) // 10), f.columns.get_loc(c)] = np.inf
            out.append((f"inf[{c}]", f))
            f = frame.copy()
            f[c] = f[c].astype(object)
            f.iloc[0, f.columns.get_loc(c)] = "n/a"
            out.append((f"text_in_numbers[{c}]", f))
            f = frame.copy()
            f[c] = f[c] > f[c].median()
            out.append((f"bool[{c}]", f))
        f = frame.copy()
        f[c] = f[c].astype(str).astype("category")
        out.append((f"categorical_text[{c}]", f))
    f = frame.copy()
    f.index = [0] * len(f)
    out.append(("duplicated_index", f))
    f = frame.copy()
    f = pd.concat([f, f[[cols[0]]]], axis=1)
    out.append(("non_unique_columns", f))
    return out


def _snapshot(obj):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True)
    try:
        return copy.deepcopy(obj)
    except Exception:  # noqa: BLE001 - objects that cannot be copied are not compared
        return None


def _same(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.shape == b.shape and list(a.columns) == list(b.columns) \
            and a.index.equals(b.index) and a.dtypes.astype(str).tolist() == b.dtypes.astype(str).tolist() \
            and a.astype(object).where(a.notna(), None).equals(b.astype(object).where(b.notna(), None))
    if isinstance(a, pd.Series):
        return a.equals(b) and a.index.equals(b.index)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (int, float, str, bytes, bool, tuple, list, dict, type(None))):
        try:
            return bool(a == b)
        except Exception:  # noqa: BLE001 - containers of arrays: not compared
            return True
    return True  # results, models and other objects: not data, not compared


def assert_clean(fn, *args, **kwargs):
    """Call ``fn``; only a CXModelsError may be raised, only CXModelsWarnings (or none) emitted,
    and no argument may change.  Returns the result, or the raised CXModelsError."""
    before = [_snapshot(a) for a in args] + [_snapshot(v) for v in kwargs.values()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except CXModelsError as exc:
            out = exc
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"{getattr(fn, '__name__', fn)} let a foreign error escape: "
                                 f"{type(exc).__module__}.{type(exc).__name__}: {exc}") from exc
    after = list(args) + list(kwargs.values())
    for b, a in zip(before, after):
        if b is not None:
            assert _same(b, a), f"{getattr(fn, '__name__', fn)} modified its input"
    foreign = [w for w in caught if not issubclass(w.category, CXModelsWarning)
               and not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    assert not foreign, f"{getattr(fn, '__name__', fn)} emitted foreign warnings: " + \
        "; ".join(f"{w.category.__name__}: {w.message}" for w in foreign[:3])
    return out
