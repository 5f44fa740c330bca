"""Reports: HTML from results (tables, figures, methods text, provenance) and the
bundled studies behind the ``cxmodels`` command."""

from .html import Report

__all__ = ["Report"]
