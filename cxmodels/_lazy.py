"""The one idiom for heavy and optional imports.

Heavy dependencies that are always installed (pymc, lifelines, matplotlib) are imported
inside the function that needs them with a plain ``import`` statement, so that
``import cxmodels`` stays fast.  Optional dependencies (DuckDB, ...) go through
:func:`optional_import`, which turns a missing package into a
:class:`~cxmodels.errors.DependencyError` naming the extra that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import DependencyError


def optional_import(name: str, extra: str, purpose: str = "") -> ModuleType:
    """Import ``name`` or raise :class:`DependencyError` saying ``pip install "cxmodels[extra]"``.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"duckdb"``.
    extra : str
        The optional-dependency group of ``pyproject.toml`` that provides it.
    purpose : str
        What needs it, for the message (e.g. ``"rfm_summary on a DuckDB relation"``).
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        raise DependencyError(
            f"{name} is needed{what} but is not installed; install it with "
            f"pip install \"cxmodels[{extra}]\"") from exc
