"""A self-contained HTML report: tables, embedded figures, methods, references and provenance.

Reports never embed customer-level rows: data appear as their shape and SHA-256 in the
provenance appendix.

Two ways to build one:

- by hand, section by section (``heading``, ``text``, ``table``, ``figure``, ``methods``),
  as the bundled studies in :mod:`cxmodels.report.studies` do;
- from fitted results, ``Report.from_results(title, results)`` or
  ``write_report(results, path)``, one section per result.

A report reads only the result contract (``docs/architecture.md``, "The result contract"):
``summary()``, ``plot(ax=None)``, ``warnings``, ``converged``, ``admissible``,
``methods_text()``, ``references`` and ``provenance``.

How numbers are shown (:func:`format_table`): p-values as ``<0.001`` or with three decimals;
degrees of freedom, counts and any column of whole numbers as integers; column and row labels
that are whole floats without ``.0``; missing values as an en dash, with a note under the
table saying what a dash means. The References section lists the union of the results'
:class:`~cxmodels.references.Reference` objects, one ``<li>`` per work, so that every work a
methods paragraph cites is listed.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
import re
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from ..references import Reference, ref, unique

_CSS = """
*{box-sizing:border-box}
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45;
     overflow-wrap:break-word}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
.table-box{max-width:100%;overflow-x:auto;margin:1rem 0}
table{border-collapse:collapse;font-size:.85rem}
caption{text-align:left;font-style:italic;padding-bottom:.3rem;caption-side:top}
th,td{border-bottom:1px solid #ccc;padding:.2rem .5rem;text-align:right;vertical-align:top}
td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
td.txt,th.txt{text-align:left;min-width:8rem;max-width:28rem;overflow-wrap:anywhere}
th:first-child,td:first-child{text-align:left}
.table-note{font-size:.8rem;color:#555;margin:.2rem 0 1rem 0}
figure{margin:1rem 0;max-width:100%} img{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:.6rem;font-size:.75rem;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.methods{background:#f3f6fa;padding:.8rem;border-left:3px solid #4a6fa5}
.note{color:#7a4b00;background:#fff6e5;padding:.4rem .6rem;border-left:3px solid #e0a030}
.warning{color:#8a1f11;background:#fdecea;padding:.4rem .6rem;border-left:3px solid #c0392b}
ol.references li{margin-bottom:.3rem}
"""

#: rows of a result's ``summary()`` shown before the table is cut (with a note saying so)
MAX_SUMMARY_ROWS = 60
#: columns shown before the table is cut
MAX_SUMMARY_COLUMNS = 30
#: lists of numbers longer than this are shown in provenance as first, last, count (and step)
MAX_LIST = 12
#: what a blank cell shows
DASH = "\u2013"
#: the default note under a table with blank cells
BLANK_NOTE = f"{DASH} : not defined or not estimated for this row."

_P_NAME = re.compile(r"(^|[_\s.-])(p|pval|pvalue|p_value|p-value|p>\|z\||pr\(>.*\))($|[_\s.-])", re.I)
_INT_NAME = re.compile(r"^(df|dof|df_.*|.*_df|n|nobs|n_.*|npar|count|counts|.*_count|events|at_risk|"
                       r"observed|size|rank)$", re.I)


def _describe_error(exc: BaseException) -> str:
    """``TypeName: message`` of an exception, on one line and not too long."""
    msg = " ".join(str(exc).split())
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


# ---------------------------------------------------------------------------- number formats
def _is_blank(x) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, numbers.Number) and not isinstance(x, bool) and math.isnan(x))
    except (TypeError, ValueError):
        return False


def _is_number(x) -> bool:
    return isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_))


def format_p(p) -> str:
    """A p-value: ``<0.001`` below one in a thousand, else three decimals (never ``0.000``)."""
    if _is_blank(p):
        return DASH
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_label(x) -> str:
    """A row or column label: whole floats without ``.0`` (``90`` not ``90.0``), blanks as a dash."""
    if isinstance(x, tuple):
        return " / ".join(format_label(v) for v in x)
    if _is_blank(x):
        return DASH
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)


def _kind_of(name) -> str | None:
    """``"p"`` or ``"int"`` from a column or row name, else None."""
    name = format_label(name).strip()
    if _P_NAME.search(name):
        return "p"
    if _INT_NAME.match(name):
        return "int"
    return None


def _format_number(x, kind: str | None, digits: int) -> str:
    if _is_blank(x):
        return DASH
    if not _is_number(x):
        return str(x)
    x = float(x)
    if math.isinf(x):
        return "\u221e" if x > 0 else "\u2212\u221e"
    if kind == "p":
        return format_p(x)
    if kind == "int" and x.is_integer():
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    mag = abs(x)
    if mag != 0 and (mag >= 1e7 or mag < 10 ** -(digits + 1)):
        return f"{x:.{digits}g}"
    return f"{x:,.{digits}f}" if mag >= 10_000 else f"{x:.{digits}f}"


def _column_kind(name, values: pd.Series) -> str | None:
    kind = _kind_of(name)
    if kind:
        return kind
    nums = [v for v in values if not _is_blank(v)]
    if nums and all(_is_number(v) for v in nums):
        if pd.api.types.is_integer_dtype(values.dtype) or all(float(v).is_integer() for v in nums):
            return "int"   # a column of whole numbers (counts, sizes) is shown as integers
    return None


def format_table(frame: pd.DataFrame, digits: int = 3, formats: dict | None = None) -> pd.DataFrame:
    """The strings a report shows for ``frame``: one format per column (see module docstring).

    Parameters
    ----------
    frame : DataFrame
    digits : int
        Decimals of ordinary numbers.
    formats : dict, optional
        ``{column: "p" | "int" | callable}`` overriding the format found from names and values.

    A one-column frame (a Series of named quantities, such as fit indices) is formatted by
    row name instead: ``df`` as an integer, ``pvalue`` as a p-value.
    """
    formats = dict(formats or {})
    out = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=object)
    by_row = frame.shape[1] == 1 and not isinstance(frame.index, pd.RangeIndex)
    for j, col in enumerate(frame.columns):
        values = frame.iloc[:, j]
        fmt = formats.get(col, None if by_row else _column_kind(col, values))
        for i, v in enumerate(values):
            kind = fmt
            if by_row and col not in formats:
                kind = _kind_of(frame.index[i])
            out.iat[i, j] = kind(v) if callable(kind) else _format_number(v, kind, digits)
    return out


def _render_table(frame: pd.DataFrame, caption: str | None, index: bool, digits: int, formats,
                  note: str | None) -> str:
    shown = format_table(frame, digits, formats)
    blanks = (shown == DASH).to_numpy().any()
    text_cols = [not all(_is_number(v) or _is_blank(v) for v in frame.iloc[:, j]) for j in range(frame.shape[1])]
    rows = []
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    names = list(frame.index.names) if index else []
    head = "".join(f"<th class='txt'>{html.escape(format_label(n) if n is not None else '')}</th>" for n in names)
    head += "".join(f"<th{' class=txt' if t else ''}>{html.escape(format_label(c))}</th>"
                    for c, t in zip(frame.columns, text_cols))
    for i in range(len(frame)):
        cells = ""
        if index:
            lab = frame.index[i]
            labs = lab if isinstance(lab, tuple) else (lab,)
            cells += "".join(f"<th class='txt'>{html.escape(format_label(v))}</th>" for v in labs)
        cells += "".join(f"<td class='{'txt' if t else 'num'}'>{html.escape(str(shown.iat[i, j]))}</td>"
                         for j, t in enumerate(text_cols))
        rows.append(f"<tr>{cells}</tr>")
    body = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    out = f"<div class='table-box'>{body}</div>"
    if blanks or note:
        out += f"<p class='table-note'>{html.escape(note or BLANK_NOTE)}</p>"
    return out


# ---------------------------------------------------------------------------- provenance
def _compact(value, indent: int = 0) -> str:
    """Provenance as indented text: mappings one key a line, lists of scalars on one line
    (long numeric grids as first values, last value, count and step)."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for k, v in value.items():
            if _is_block(v):
                lines.append(f"{pad}{k}:\n{_compact(v, indent + 1)}")
            else:
                lines.append(f"{pad}{k}: {_compact(v, indent + 1)}")
        return "\n".join(lines)
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        if not _is_block(items):
            if len(items) > MAX_LIST and all(_is_number(v) for v in items):
                arr = np.asarray(items, dtype=float)
                step = np.diff(arr)
                how = f", step {_scalar(step[0])}" if np.allclose(step, step[0]) else ""
                return (f"[{_scalar(arr[0])}, {_scalar(arr[1])}, ..., {_scalar(arr[-1])}] "
                        f"({len(items)} values from {_scalar(arr.min())} to {_scalar(arr.max())}{how})")
            return "[" + ", ".join(_scalar(v) for v in items) + "]"
        return "\n".join(f"{pad}- " + _compact(v, indent + 1).lstrip() for v in items)
    return _scalar(value)


def _is_block(v) -> bool:
    """Whether ``v`` is printed on lines of its own (a non-empty mapping, a list holding containers)."""
    if isinstance(v, dict):
        return bool(v)
    if isinstance(v, (list, tuple)):
        return any(isinstance(i, (dict, list, tuple)) for i in v)
    return False


def _scalar(v) -> str:
    if _is_blank(v):
        return "none"
    if isinstance(v, (float, np.floating)):
        return format_label(float(f"{float(v):.6g}"))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def _as_figure(obj):
    """The Figure behind what a plotting method returned (an Axes or a Figure)."""
    if hasattr(obj, "savefig"):
        return obj
    fig = getattr(obj, "figure", None)
    return fig if hasattr(fig, "savefig") else None


class Report:
    """Collect headings, text, tables and figures; ``write(path)`` gives one HTML file.

    ``Report.from_results(title, results)`` builds a whole report from fitted results.
    """

    def __init__(self, title: str):
        self.title = title
        self._parts: list[str] = []
        self._provenance: list[tuple[str, object]] = []
        self._references: list[Reference] = []
        self._methods_seen: set[str] = set()
        self.n_figures = 0
        #: problems met while building the report (failed plots), also shown in it
        self.notes: list[str] = []

    # ------------------------------------------------------------ building blocks
    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str, css_class: str | None = None) -> None:
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def table(self, df: pd.DataFrame | pd.Series, caption: str | None = None, digits: int = 3,
              index: bool | None = None, formats: dict | None = None, note: str | None = None) -> None:
        """A table, each column in its own number format (:func:`format_table`).

        ``index`` None shows the row labels unless they are the default 0..n-1 (which carry no
        information). ``note`` is printed under the table; a table with blank cells gets a
        note saying what the dash means (:data:`BLANK_NOTE` unless ``note`` says why those
        cells are blank).
        """
        frame = df.to_frame() if isinstance(df, pd.Series) else df
        if index is None:
            plain = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1
            index = not plain
        self._parts.append(_render_table(frame, caption, index, digits, formats, note))

    def figure(self, fig, caption: str = "") -> None:
        fig = _as_figure(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        data = base64.b64encode(buf.getvalue()).decode()
        self.n_figures += 1
        self._parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"/>'
                           f"<figcaption>Figure {self.n_figures}. {html.escape(caption)}</figcaption></figure>")

    def methods(self, result, name: str | None = None, provenance=None) -> None:
        """A result's methods paragraph (once per report), its references and its provenance.

        ``provenance`` replaces the result's own, e.g. ``result.provenance.with_step("bootstrap",
        seed=seed, n_boot=n)`` for a later computation the report shows.
        """
        self._methods_text(result.methods_text())
        self.references(result.references)
        self.provenance(name or type(result).__name__, provenance if provenance is not None else result.provenance)

    def _methods_text(self, text: str) -> None:
        # a paragraph already shown (two results of one method) is not repeated, and one that
        # quotes an earlier paragraph whole (an intervention describing its chain) points to it
        key = " ".join(str(text).split())
        if not key or key in self._methods_seen:
            return
        for seen in sorted(self._methods_seen, key=len, reverse=True):
            if len(seen) > 80 and seen in key:
                key = key.replace(seen, "(described in the methods paragraph above)")
        self._methods_seen.add(" ".join(str(text).split()))
        self.text(key, css_class="methods")

    def provenance(self, name: str, record) -> None:
        """Add a :class:`~cxmodels.provenance.Provenance` (or a plain mapping) to the appendix."""
        self._provenance.append((name, record))

    def references(self, refs) -> None:
        """Add works to the References section: :class:`~cxmodels.references.Reference` objects
        (an APA string is turned into one)."""
        for r in [refs] if isinstance(refs, (str, Reference)) else list(refs):
            r = r if isinstance(r, Reference) else ref(str(r))
            if r not in self._references:
                self._references.append(r)

    def note(self, text: str) -> None:
        """A visible note about the report itself (e.g. a figure that could not be drawn)."""
        self.notes.append(text)
        self.text(text, css_class="note")

    # ------------------------------------------------------------ from results
    def result(self, result, *, title: str | None = None, figure: bool = True, level: int = 2) -> None:
        """Add one section for a fitted result (a :class:`cxmodels._results.Result`).

        The section shows ``summary()`` (the first :data:`MAX_SUMMARY_ROWS` rows, with a note
        when it is longer), the figure of ``plot()`` (a result without a single-axes plot has
        none; a plot that fails gives a note, not an error), the ``warnings`` and the
        ``converged``/``admissible`` flags, ``methods_text()`` (its ``references`` join the
        References section) and ``provenance`` (in the appendix: data by shape, column names
        and SHA-256 only).

        Data frames are refused: a report shows results, never customer-level rows.
        """
        if isinstance(result, (pd.DataFrame, pd.Series)):
            raise TypeError("Report.result takes a fitted result (with summary(), methods_text(), ...), "
                            f"not a {type(result).__name__}: reports never embed data rows")
        name = type(result).__name__
        prov = result.provenance
        label = title or f"{name}: {prov.method}"
        self.heading(label, level=level)
        self._summary_table(result.summary(), name)
        if figure:
            self._plot(result, name)
        flags = []
        if not result.converged:
            flags.append("The fit did not converge (converged is False).")
        if not result.admissible:
            flags.append("The solution is not admissible: improper, unidentified or degenerate "
                         "(admissible is False).")
        warns = list(result.warnings)
        if flags or warns:
            items = "".join(f"<li>{html.escape(str(w))}</li>" for w in [*flags, *warns])
            self._parts.append(f'<div class="warning"><strong>Warnings</strong><ul>{items}</ul></div>')
        self._methods_text(result.methods_text())
        self.references(result.references)
        self.provenance(label, prov)

    def _summary_table(self, tab, name: str) -> None:
        if isinstance(tab, pd.Series):
            tab = tab.to_frame()
        n_rows, n_cols = tab.shape
        cut = []
        if n_rows > MAX_SUMMARY_ROWS:
            tab = tab.iloc[:MAX_SUMMARY_ROWS]
            cut.append(f"the first {MAX_SUMMARY_ROWS} of {n_rows} rows")
        if n_cols > MAX_SUMMARY_COLUMNS:
            tab = tab.iloc[:, :MAX_SUMMARY_COLUMNS]
            cut.append(f"the first {MAX_SUMMARY_COLUMNS} of {n_cols} columns")
        self.table(tab, caption=f"{name}.summary()")
        if cut:
            self.text(f"Table shortened: showing {' and '.join(cut)}; call {name}.summary() for the rest.",
                      css_class="note")

    def _plot(self, result, name: str) -> None:
        import matplotlib.pyplot as plt

        before = set(plt.get_fignums())
        try:
            out = result.plot()
            fig = _as_figure(out)
            if fig is None:
                self.note(f"The figure of {name} could not be drawn: {name}.plot() returned a "
                          f"{type(out).__name__}, not a matplotlib Axes.")
            else:
                self.figure(fig, f"{name}.plot()")
        except NotImplementedError:
            pass  # the contract's default: this result has no single-axes figure
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
            Each a :class:`cxmodels._results.Result` (see :meth:`result`).
        intro : str, optional
            A paragraph under the title.
        figures : bool
            Draw each result's ``plot()`` (default True).
        """
        if isinstance(results, (pd.DataFrame, pd.Series)):
            raise TypeError("from_results takes a list of fitted results, not a data frame: "
                            "reports never embed data rows")
        if not isinstance(results, (dict, list, tuple)):
            results = [results]  # a single result
        items = list(results.items()) if isinstance(results, dict) else [(None, r) for r in results]
        rep = cls(title)
        if intro:
            rep.text(intro)
        for sec, res in items:
            rep.result(res, title=sec, figure=figures)
        return rep

    # ------------------------------------------------------------ output
    def _provenance_html(self) -> str:
        out = []
        for name, record in self._provenance:
            rec = record.to_dict() if hasattr(record, "to_dict") else dict(record)
            out.append(f"<h3>{html.escape(name)}</h3><pre>{html.escape(_compact(rec))}</pre>")
        return "".join(out)

    def to_html(self) -> str:
        refs = ""
        if self._references:
            refs = ("<h2>References</h2><ol class='references'>"
                    + "".join(f"<li>{html.escape(r.text)}</li>" for r in unique(self._references)) + "</ol>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{html.escape(self.title)}</title>"
                f"<style>{_CSS}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self._parts)}"
                f"{refs}<h2>Provenance</h2><p>Data are identified by shape and SHA-256; no customer-level rows "
                f"are included.</p>{self._provenance_html()}</body></html>")

    def write(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path


def write_report(results, path, *, title: str = "cxmodels report", intro: str | None = None,
                 figures: bool = True) -> Path:
    """Write an HTML report of fitted ``results`` to ``path`` (see :meth:`Report.from_results`).

    Example: ``write_report([fit_sem(model, data), cox(data, "tenure", "churned", ["sat"])], "report.html")``.
    """
    return Report.from_results(title, results, intro=intro, figures=figures).write(path)
