"""Reports: HTML from results (tables, figures, methods text, references, provenance) and the
bundled studies behind the ``cxmodels`` command.

``Report.from_results(title, results)`` and ``write_report(results, path)`` turn fitted
results of any domain into one self-contained HTML file (figures embedded as PNG), reading
only the result contract (``docs/architecture.md``); ``Report`` can also be filled section by
section. The References section lists the union of the results' structured references, and
tables are formatted per column (:func:`~cxmodels.report.html.format_table`).
"""

from .html import Report, write_report
from .privacy import pseudonymize

__all__ = ["Report", "pseudonymize", "write_report"]
