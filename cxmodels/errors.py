"""Exceptions and warnings shared by every cxmodels domain.

Every error a public function raises derives from :class:`CXModelsError`, so a caller can
catch the library's refusals in one clause.  Bad input raises :class:`InputError` (also a
:class:`ValueError`, so code that already catches ``ValueError`` keeps working).  Fits that do
not converge, or converge to an improper or unidentified solution, emit a
:class:`ConvergenceWarning` or :class:`ImproperSolutionWarning`, record the message in the
result's ``warnings`` and set its ``converged`` / ``admissible`` flag; they never return
quietly.  See ``docs/architecture.md``.
"""

import os as _os
import sys as _sys
import warnings as _warnings

_PACKAGE_DIR = _os.path.dirname(_os.path.abspath(__file__)) + _os.sep


class CXModelsError(Exception):
    """Base class of every error cxmodels raises on purpose."""


class InputError(CXModelsError, ValueError):
    """Bad input: the message names the column(s), the rows affected and what is expected."""


class ModelSyntaxError(InputError):
    """A model string that cannot be parsed; the message quotes the offending line."""


class IdentificationError(InputError):
    """A model with more free parameters than the data can identify."""


class EstimationError(CXModelsError, RuntimeError):
    """A fit that cannot be computed at all on valid input (a singular information matrix
    where no estimate exists, every optimizer start failing); the message says why and what
    to change."""


class DependencyError(CXModelsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class CXModelsWarning(UserWarning):
    """Base class of the warnings cxmodels emits."""


class ConvergenceWarning(CXModelsWarning):
    """An optimizer or sampler stopped before meeting its convergence criterion."""


class ImproperSolutionWarning(CXModelsWarning):
    """A solution outside the admissible region (a Heywood case, a non-positive-definite
    matrix, a standardized coefficient beyond one in magnitude) or an unidentified or
    degenerate fit (separation, no events, collinear predictors)."""


def warn(message: str, category=None) -> None:
    """Emit a cxmodels warning at the caller's line.

    The reported location is the first frame outside the cxmodels package (so a warning from
    deep inside a fit points at the user's call, however many library layers lie between);
    ``category`` defaults to :class:`CXModelsWarning`.
    """
    frame, level = _sys._getframe(0), 1
    while frame is not None and _os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    _warnings.warn(message, category or CXModelsWarning, stacklevel=level)
