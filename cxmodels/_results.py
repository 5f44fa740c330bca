"""The result contract every public fit returns (``docs/architecture.md``, "The result contract").

A result keeps one tidy table of estimates; ``summary()``, ``params``, plots and
``methods_text()`` are read from it.  Every result also carries its ``provenance`` (one
:class:`~cxmodels.provenance.Provenance`, with the seed), the ``warnings`` raised while
fitting, the flags ``converged`` and ``admissible``, and the structured ``references`` its
methods text cites.  ``plot(ax=None)`` returns a matplotlib Axes; multi-panel figures live
under their own ``plot_*`` names and return a Figure.  Where a result makes a decision,
``decide()`` returns a :class:`Decision`.  The report reads nothing but this surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import ConvergenceWarning, ImproperSolutionWarning, warn
from .provenance import Provenance
from .references import Reference


@dataclass(frozen=True)
class Decision:
    """What a result recommends, and why.

    Attributes
    ----------
    action : str
        A short verb phrase from the result's documented set (``"adopt"``,
        ``"keep_control"``, ``"ship"``, ``"hold"``, ``"inconclusive"`` ...).
    variant : str or None
        The option chosen, where there is one.
    reason : str
        One sentence a reader can act on.
    criteria : dict
        The numbers the rule compared (thresholds, probabilities, expected losses).
    """

    action: str
    variant: str | None
    reason: str
    criteria: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        head = self.action + (f" {self.variant}" if self.variant and self.action == "adopt" else "")
        return f"{head}: {self.reason}"


class Result:
    """Base class of every public result (see module docstring).

    Subclasses set ``_table`` (tidy DataFrame with an ``est`` column, or override
    :attr:`params`), ``_provenance`` and ``_warnings``, list their works in
    ``_references`` (a tuple of :class:`~cxmodels.references.Reference`) and implement
    :meth:`methods_text`.  Problems found while fitting go through :meth:`_flag`, which
    warns, records the message and clears ``converged`` or ``admissible``.
    """

    _table: pd.DataFrame
    _provenance: Provenance
    _warnings: list[str]
    _references: tuple[Reference, ...] = ()
    _converged: bool = True
    _admissible: bool = True

    # --- the surface -------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The tidy table of estimates (a copy: editing it does not change the result)."""
        return self._table.copy()

    @property
    def params(self) -> pd.Series:
        """Point estimates: a Series indexed by parameter name."""
        return self._table["est"].copy()

    @property
    def provenance(self) -> Provenance:
        """Library and dependency versions, data shape and SHA-256, seed, options, time."""
        return self._provenance

    @property
    def warnings(self) -> list[str]:
        """Every warning raised while fitting (non-convergence, improper or degenerate fits)."""
        return list(getattr(self, "_warnings", []))

    @property
    def converged(self) -> bool:
        """False when an optimizer or sampler did not meet its convergence criterion."""
        return bool(self._converged)

    @converged.setter
    def converged(self, value: bool) -> None:
        self._converged = bool(value)

    @property
    def admissible(self) -> bool:
        """False for an improper, unidentified or degenerate solution (see ``warnings``)."""
        return bool(self._admissible)

    @admissible.setter
    def admissible(self, value: bool) -> None:
        self._admissible = bool(value)

    @property
    def references(self) -> tuple[Reference, ...]:
        """The works :meth:`methods_text` cites, as structured references."""
        return tuple(self._references)

    def methods_text(self) -> str:  # pragma: no cover - abstract
        """A methods paragraph naming the method, its options and the works it rests on."""
        raise NotImplementedError

    def plot(self, ax=None, **kwargs):
        """The result's main figure on one Axes (created when ``ax`` is None); returns the Axes."""
        raise NotImplementedError(f"{type(self).__name__} has no single-axes plot")

    # --- for subclasses ----------------------------------------------------------------
    def _flag(self, message: str, category=ImproperSolutionWarning, *, converged: bool | None = None,
              admissible: bool | None = None) -> None:
        """Warn, record ``message`` in ``warnings`` and set the result's flags.

        With neither flag given, a :class:`ConvergenceWarning` clears ``converged`` and any
        other category clears ``admissible``.
        """
        if not hasattr(self, "_warnings") or self._warnings is None:
            self._warnings = []
        self._warnings.append(message)
        if converged is None and admissible is None:
            if issubclass(category, ConvergenceWarning):
                converged = False
            else:
                admissible = False
        if converged is not None:
            self._converged = bool(converged)
        if admissible is not None:
            self._admissible = bool(admissible)
        warn(message, category)  # at the user's line, not inside the library

    def _note(self, message: str, category=None) -> None:
        """Warn and record ``message`` in ``warnings`` without touching the flags: a caution
        about the data or the reading of a result, not a defect of the fit."""
        if not hasattr(self, "_warnings") or self._warnings is None:
            self._warnings = []
        self._warnings.append(message)
        warn(message, category)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._provenance.method}>"
