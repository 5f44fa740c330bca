"""The result surface every domain shares (see DESIGN.md, "Conventions").

A result keeps one tidy table of estimates (lavaan's parameter table is the model);
``summary()``, ``params``, plots and ``methods_text()`` are read from it.
"""

from __future__ import annotations

import pandas as pd

from .provenance import Provenance


class Result:
    """Base class: ``summary()``, ``params``, ``provenance``, ``methods_text()``, ``warnings``.

    Subclasses set ``_table`` (tidy DataFrame), ``_provenance`` and ``_warnings`` and
    implement :meth:`methods_text`.
    """

    _table: pd.DataFrame
    _provenance: Provenance
    _warnings: list[str]

    def summary(self) -> pd.DataFrame:
        """The tidy table of estimates (a copy: editing it does not change the result)."""
        return self._table.copy()

    @property
    def params(self):
        """Point estimates: a Series named by parameter (domains may return a tidy frame)."""
        return self._table["est"].copy()

    @property
    def provenance(self) -> Provenance:
        """Library and dependency versions, data shape and SHA-256, seed, options, time."""
        return self._provenance

    @property
    def warnings(self) -> list[str]:
        """Every warning raised while fitting (non-convergence, improper solutions)."""
        return list(self._warnings)

    def methods_text(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._provenance.method}>"
