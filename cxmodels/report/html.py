"""A self-contained HTML report: tables, embedded figures, methods and provenance.

Reports never embed customer-level rows: data appear as their shape and SHA-256 in
the provenance appendix.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd

_CSS = """
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}
th,td{border-bottom:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
figure{margin:1rem 0} img{max-width:100%}
pre{background:#f6f6f6;padding:.6rem;font-size:.75rem;overflow-x:auto}
.methods{background:#f3f6fa;padding:.8rem;border-left:3px solid #4a6fa5}
"""


class Report:
    """Collect headings, text, tables and figures; ``write(path)`` gives one HTML file."""

    def __init__(self, title: str):
        self.title = title
        self._parts: list[str] = []
        self._provenance: list[tuple[str, dict]] = []
        self.n_figures = 0

    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str, css_class: str | None = None) -> None:
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def table(self, df: pd.DataFrame | pd.Series, caption: str | None = None, digits: int = 3) -> None:
        frame = df.to_frame() if isinstance(df, pd.Series) else df
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        body = frame.to_html(float_format=lambda x: f"{x:.{digits}f}", na_rep="", border=0)
        self._parts.append(body.replace(">", ">" + cap, 1))

    def figure(self, fig, caption: str = "") -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        data = base64.b64encode(buf.getvalue()).decode()
        self.n_figures += 1
        self._parts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"/>'
                           f"<figcaption>Figure {self.n_figures}. {html.escape(caption)}</figcaption></figure>")

    def methods(self, result) -> None:
        self.text(result.methods_text(), css_class="methods")
        self.provenance(type(result).__name__, result.provenance.to_dict())

    def provenance(self, name: str, record: dict) -> None:
        self._provenance.append((name, record))

    def to_html(self) -> str:
        prov = "".join(f"<h3>{html.escape(n)}</h3><pre>{html.escape(json.dumps(r, indent=2, default=str))}</pre>"
                       for n, r in self._provenance)
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{_CSS}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self._parts)}"
                f"<h2>Provenance</h2><p>Data are identified by shape and SHA-256; no customer-level rows "
                f"are included.</p>{prov}</body></html>")

    def write(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path
