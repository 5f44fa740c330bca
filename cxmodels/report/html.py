"""A self-contained HTML report: tables, embedded figures, methods and provenance.

Reports never embed customer-level rows: data appear as their shape and SHA-256 in
the provenance appendix.

Two ways to build one:

- by hand, section by section (``heading``, ``text``, ``table``, ``figure``, ``methods``),
  as the bundled studies in :mod:`cxmodels.report.studies` do;
- from fitted results, ``Report.from_results(title, results)`` or
  ``write_report(results, path)``, one section per result (see :meth:`Report.result` for
  what a result needs to offer).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import traceback
from pathlib import Path

import pandas as pd

_CSS = """
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0;display:block;overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
figure{margin:1rem 0} img{max-width:100%}
pre{background:#f6f6f6;padding:.6rem;font-size:.75rem;overflow-x:auto}
.methods{background:#f3f6fa;padding:.8rem;border-left:3px solid #4a6fa5}
.note{color:#7a4b00;background:#fff6e5;padding:.4rem .6rem;border-left:3px solid #e0a030}
.warning{color:#8a1f11;background:#fdecea;padding:.4rem .6rem;border-left:3px solid #c0392b}
"""

#: rows of a result's ``summary()`` shown before the table is cut (with a note saying so)
MAX_SUMMARY_ROWS = 60
#: columns shown before the table is cut
MAX_SUMMARY_COLUMNS = 30


def _describe_error(exc: BaseException) -> str:
    """``TypeName: message`` of an exception, on one line and not too long."""
    msg = " ".join(str(exc).split())
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _as_figure(obj):
    """The matplotlib Figure behind what a plotting method returned (Axes, Figure, array of Axes)."""
    if obj is None:
        return None
    if hasattr(obj, "savefig"):
        return obj
    fig = getattr(obj, "figure", None) or getattr(obj, "fig", None)
    if fig is not None and hasattr(fig, "savefig"):
        return fig
    if isinstance(obj, (list, tuple)) or type(obj).__name__ == "ndarray":
        import numpy as np
        for item in np.ravel(np.asarray(obj, dtype=object)):
            fig = _as_figure(item)
            if fig is not None:
                return fig
    return None


def _references_of(result, methods: str | None) -> list[str]:
    """References a result names: its ``references`` attribute (str or list), else the part of
    its methods text after ``References:``."""
    refs = getattr(result, "references", None)
    if callable(refs):
        try:
            refs = refs()
        except Exception:  # noqa: BLE001 - a broken accessor must not break the report
            refs = None
    if isinstance(refs, str) and refs.strip():
        return [refs.strip()]
    if isinstance(refs, (list, tuple)) and refs:
        return [str(r).strip() for r in refs if str(r).strip()]
    if methods:
        m = re.search(r"References?:\s*(.+)$", methods, flags=re.S)
        if m:
            return [m.group(1).strip()]
    return []


class Report:
    """Collect headings, text, tables and figures; ``write(path)`` gives one HTML file.

    ``Report.from_results(title, results)`` builds a whole report from fitted results.
    """

    def __init__(self, title: str):
        self.title = title
        self._parts: list[str] = []
        self._provenance: list[tuple[str, dict]] = []
        self._references: list[str] = []
        self.n_figures = 0
        #: problems met while building the report (failed plots, missing methods), also shown in it
        self.notes: list[str] = []

    # ------------------------------------------------------------ building blocks
    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str, css_class: str | None = None) -> None:
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def table(self, df: pd.DataFrame | pd.Series, caption: str | None = None, digits: int = 3,
              index: bool = True) -> None:
        frame = df.to_frame() if isinstance(df, pd.Series) else df
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        body = frame.to_html(float_format=lambda x: f"{x:.{digits}f}", na_rep="", border=0, index=index)
        self._parts.append(body.replace(">", ">" + cap, 1))

    def figure(self, fig, caption: str = "") -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        data = base64.b64encode(buf.getvalue()).decode()
        self.n_figures += 1
        self._parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"/>'
                           f"<figcaption>Figure {self.n_figures}. {html.escape(caption)}</figcaption></figure>")

    def methods(self, result) -> None:
        """A result's methods text (its references join the References section) and provenance."""
        text = result.methods_text()
        self.text(text, css_class="methods")
        self.references(_references_of(result, text))
        self.provenance(type(result).__name__, result.provenance.to_dict())

    def provenance(self, name: str, record: dict) -> None:
        self._provenance.append((name, record))

    def references(self, refs) -> None:
        """Add references (a string or a list of strings) to the closing "References" section."""
        for r in [refs] if isinstance(refs, str) else list(refs):
            r = str(r).strip()
            if r and r not in self._references:
                self._references.append(r)

    def note(self, text: str) -> None:
        """A visible note about the report itself (e.g. a figure that could not be drawn)."""
        self.notes.append(text)
        self.text(text, css_class="note")

    # ------------------------------------------------------------ from results
    def result(self, result, *, title: str | None = None, figure: bool = True, level: int = 2) -> None:
        """Add one section for a fitted result.

        What a result needs (duck typing; every item but ``summary`` is optional, and what a
        result lacks is said in the report rather than raised):

        - ``summary()`` -> a tidy DataFrame (or Series) of estimates; the first
          :data:`MAX_SUMMARY_ROWS` rows are shown, with a note when it is longer;
        - ``plot()`` callable without arguments, returning a matplotlib Axes, Figure or array of
          Axes; drawn as an embedded PNG. A plot that raises gives a note, not an error;
        - ``methods_text()`` -> str, shown in the methods box; a trailing ``References: ...``
          (or a ``references`` attribute) is collected into the References section;
        - ``warnings`` -> list of str (attribute or property), listed under the section;
          ``admissible`` / ``converged`` / ``converged_`` set to False are flagged;
        - ``provenance`` -> a :class:`cxmodels.provenance.Provenance` (or a dict), shown in the
          appendix (data by shape, column names and SHA-256 only).

        Data frames are refused: a report shows results, never customer-level rows.
        """
        if isinstance(result, (pd.DataFrame, pd.Series)):
            raise TypeError("Report.result takes a fitted result (with summary(), methods_text(), ...), "
                            f"not a {type(result).__name__}: reports never embed data rows")
        name = type(result).__name__
        prov = getattr(result, "provenance", None)
        method = getattr(prov, "method", None) or (prov.get("method") if isinstance(prov, dict) else None)
        label = title or (f"{name}: {method}" if method else name)
        self.heading(label, level=level)

        # summary table
        summary = getattr(result, "summary", None)
        if callable(summary):
            try:
                tab = summary()
            except Exception as exc:  # noqa: BLE001
                self.note(f"{name}.summary() failed ({_describe_error(exc)}); no table shown.")
            else:
                self._summary_table(tab, name)
        else:
            self.note(f"{name} has no summary() method; no table shown.")

        # one figure
        if figure and callable(getattr(result, "plot", None)):
            self._plot(result, name, label)

        # flags and warnings
        flags = [f"{attr} is False" for attr in ("admissible", "converged", "converged_")
                 if getattr(result, attr, None) is False]
        try:
            warns = list(getattr(result, "warnings", None) or [])
        except Exception as exc:  # noqa: BLE001
            warns = [f"reading {name}.warnings failed ({_describe_error(exc)})"]
        if flags or warns:
            items = "".join(f"<li>{html.escape(str(w))}</li>" for w in [*flags, *warns])
            self._parts.append(f'<div class="warning"><strong>Warnings</strong><ul>{items}</ul></div>')

        # methods text and references
        methods = getattr(result, "methods_text", None)
        text = None
        if callable(methods):
            try:
                text = str(methods())
            except Exception as exc:  # noqa: BLE001
                self.note(f"{name}.methods_text() failed ({_describe_error(exc)}).")
            else:
                self.text(text, css_class="methods")
        else:
            self.note(f"{name} has no methods_text(); describe its method by hand.")
        self.references(_references_of(result, text))

        # provenance
        if prov is None:
            self.provenance(label, {"note": f"{name} records no provenance"})
        else:
            try:
                record = prov.to_dict() if hasattr(prov, "to_dict") else dict(prov)
            except Exception as exc:  # noqa: BLE001
                record = {"note": f"provenance could not be read ({_describe_error(exc)})"}
            self.provenance(label, record)

    def _summary_table(self, tab, name: str) -> None:
        if isinstance(tab, pd.Series):
            tab = tab.to_frame()
        if not isinstance(tab, pd.DataFrame):
            self.note(f"{name}.summary() returned a {type(tab).__name__}, not a DataFrame; no table shown.")
            return
        n_rows, n_cols = tab.shape
        cut = []
        if n_rows > MAX_SUMMARY_ROWS:
            tab = tab.iloc[:MAX_SUMMARY_ROWS]
            cut.append(f"the first {MAX_SUMMARY_ROWS} of {n_rows} rows")
        if n_cols > MAX_SUMMARY_COLUMNS:
            tab = tab.iloc[:, :MAX_SUMMARY_COLUMNS]
            cut.append(f"the first {MAX_SUMMARY_COLUMNS} of {n_cols} columns")
        # a default 0..n-1 index carries no information: leave it out
        plain = isinstance(tab.index, pd.RangeIndex) and tab.index.start == 0 and tab.index.step == 1
        self.table(tab, caption=f"{name}.summary()", index=not plain)
        if cut:
            self.text(f"Table shortened: showing {' and '.join(cut)}; call {name}.summary() for the rest.",
                      css_class="note")

    def _plot(self, result, name: str, label: str) -> None:
        import matplotlib.pyplot as plt

        before = set(plt.get_fignums())
        try:
            out = result.plot()
            fig = _as_figure(out)
            if fig is None:
                self.note(f"The figure of {name} could not be drawn: {name}.plot() returned a "
                          f"{type(out).__name__}, not a matplotlib Axes or Figure.")
            else:
                self.figure(fig, f"{name}.plot()")
        except Exception as exc:  # noqa: BLE001 - a failed plot is reported, not raised
            last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
            self.note(f"The figure of {name} could not be drawn: {name}.plot() raised "
                      f"{_describe_error(exc)}{where}. The rest of this section is unaffected.")
        finally:
            for num in set(plt.get_fignums()) - before:
                plt.close(num)

    @classmethod
    def from_results(cls, title: str, results, *, intro: str | None = None, figures: bool = True) -> "Report":
        """A report with one section per fitted result (any domain), then References and Provenance.

        Parameters
        ----------
        title : str
        results : sequence of results, or a dict ``{section title: result}``
            See :meth:`result` for what each result needs to offer.
        intro : str, optional
            A paragraph under the title.
        figures : bool
            Draw each result's ``plot()`` (default True).
        """
        if isinstance(results, (pd.DataFrame, pd.Series)):
            raise TypeError("from_results takes a list of fitted results, not a data frame: "
                            "reports never embed data rows")
        if not isinstance(results, dict) and hasattr(results, "summary"):
            results = [results]  # a single result
        items = list(results.items()) if isinstance(results, dict) else [(None, r) for r in results]
        rep = cls(title)
        if intro:
            rep.text(intro)
        for sec, res in items:
            rep.result(res, title=sec, figure=figures)
        return rep

    # ------------------------------------------------------------ output
    def to_html(self) -> str:
        prov = "".join(f"<h3>{html.escape(n)}</h3><pre>{html.escape(json.dumps(r, indent=2, default=str))}</pre>"
                       for n, r in self._provenance)
        refs = ""
        if self._references:
            refs = ("<h2>References</h2><ul class='references'>"
                    + "".join(f"<li>{html.escape(r)}</li>" for r in self._references) + "</ul>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{_CSS}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self._parts)}"
                f"{refs}<h2>Provenance</h2><p>Data are identified by shape and SHA-256; no customer-level rows "
                f"are included.</p>{prov}</body></html>")

    def write(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path


def write_report(results, path, *, title: str = "cxmodels report", intro: str | None = None,
                 figures: bool = True) -> Path:
    """Write an HTML report of fitted ``results`` to ``path`` (see :meth:`Report.from_results`).

    Example: ``write_report([fit_sem(model, data), kaplan_meier(df, "tenure", "churned")], "report.html")``.
    """
    return Report.from_results(title, results, intro=intro, figures=figures).write(path)
