"""Exceptions and warnings shared by every cxmodels domain.

Bad input raises :class:`InputError` (a :class:`ValueError`), so callers that already
catch ``ValueError`` keep working.  Fits that do not converge, or converge to an
improper solution, emit a :class:`ConvergenceWarning` or :class:`ImproperSolutionWarning`
and record the message on the result; they never return quietly.
"""


class InputError(ValueError):
    """Bad input: the message names the column(s), the rows affected and what is expected."""


class ModelSyntaxError(InputError):
    """A model string that cannot be parsed; the message quotes the offending line."""


class IdentificationError(InputError):
    """A model with more free parameters than the data can identify."""


class CXModelsWarning(UserWarning):
    """Base class of the warnings cxmodels emits."""


class ConvergenceWarning(CXModelsWarning):
    """An optimizer stopped before meeting its convergence criterion."""


class ImproperSolutionWarning(CXModelsWarning):
    """A solution outside the admissible region (a Heywood case, a non-positive-definite
    matrix, a standardized coefficient beyond one in magnitude)."""
