"""Reports: HTML from results (tables, figures, methods text, provenance) and the
bundled studies behind the ``cxmodels`` command."""

from .html import Report
from .privacy import pseudonymize

__all__ = ["Report", "pseudonymize"]
