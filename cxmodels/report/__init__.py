"""Reports: HTML from results (tables, figures, methods text, provenance) and the
bundled studies behind the ``cxmodels`` command.

``Report.from_results(title, results)`` and ``write_report(results, path)`` turn fitted
results of any domain into one self-contained HTML file (figures embedded as PNG);
``Report`` can also be filled section by section.
"""

from .html import Report, write_report
from .privacy import pseudonymize

__all__ = ["Report", "pseudonymize", "write_report"]
