"""Term labels on figures: a CJK font when one is installed, else a readable fallback."""

from __future__ import annotations

import contextlib
import functools
import re
import warnings

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
               "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Arial Unicode MS", "Droid Sans Fallback")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in _CANDIDATES if n in names), None)


def term_labels(terms) -> tuple[list[str], dict]:
    """Labels and text properties for ``terms``: Chinese terms need a CJK font; without one they
    are shown as ``term 12`` (their row in the result's table) rather than as empty boxes."""
    terms = [str(t) for t in terms]
    if not any(_CJK.search(t) for t in terms):
        return terms, {}
    font = cjk_font()
    if font:
        return terms, {"fontfamily": font}
    return [t if not _CJK.search(t) else f"term {i}" for i, t in enumerate(terms)], {}


@contextlib.contextmanager
def quiet():
    """A context that silences matplotlib's missing-glyph warnings (labels are handled above)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        yield
