"""Sphinx configuration for the cxmodels documentation.

Build locally with ``pip install -e ".[docs]" && python -m sphinx -b html docs docs/_build/html``;
``tests/test_docs.py`` builds it with ``-W --keep-going`` (every warning is an error).
Nothing here reaches the network, at build time or when a page is read: no intersphinx, the
notebooks are rendered from their stored outputs (they are executed by
``tests/test_notebooks.py``), and MathJax is bundled (see "formulas offline" below).
"""

from __future__ import annotations

import filecmp
import importlib
import importlib.util
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the working tree, also when it is not installed

import cxmodels  # noqa: E402

project = "cxmodels"
author = "cxmodels developers"
copyright = "cxmodels developers"
release = version = cxmodels.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

# -- formulas offline -------------------------------------------------------------------------
# MathJax 3 comes from the sphinx-mathjax-offline package (in the `docs` and `test` extras),
# which copies it into _static/mathjax and points mathjax_path there: the site renders its
# formulas without a network. Without the package Sphinx would load MathJax from a CDN, and
# offline every formula would show as raw TeX; tests/test_docs.py fails in that case.
if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
html_theme = "alabaster"
html_theme_options = {"description": "Customer-experience analytics for researchers", "fixed_sidebar": True}
html_title = f"cxmodels {release}"

# -- MyST / MyST-NB -----------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # render stored outputs; tests/test_notebooks.py executes them
nb_merge_streams = True

# -- autodoc / napoleon ---------------------------------------------------------------------
# napoleon (numpy style) rather than numpydoc: numpydoc adds autosummary tables of class
# members that need generated stub pages (over a hundred warnings on this code base), while
# napoleon renders the same numpydoc sections without them. No warning is suppressed.
autodoc_default_options = {"members": True, "member-order": "bysource", "undoc-members": False}
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autoclass_content = "both"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# "Attributes" sections become field lists, not attribute entries: many result classes list
# in that section attributes that are also properties documented by autodoc, which would be
# described twice ("duplicate object description").
napoleon_use_ivar = True
napoleon_preprocess_types = False


# -- notebooks: ../notebooks/*.ipynb are rendered from a copy under docs/notebooks/ -----------
def _sync_notebooks() -> None:
    """Copy ``../notebooks/*.ipynb`` into ``docs/notebooks/`` (gitignored), dropping stale copies."""
    src_dir, dst_dir = ROOT / "notebooks", DOCS / "notebooks"
    dst_dir.mkdir(exist_ok=True)
    wanted = {p.name: p for p in src_dir.glob("*.ipynb")}
    for old in dst_dir.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        dst = dst_dir / name
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            shutil.copy2(src, dst)


_sync_notebooks()

# -- lazily exported names --------------------------------------------------------------
# cxmodels.datasets and cxmodels.ab export some names through a module ``__getattr__`` (so
# ``import cxmodels`` stays fast). autodoc only sees names in a module's ``__dict__``, so
# resolve every name in ``__all__`` once here; whatever a module exports then appears.
PUBLIC_MODULES = ["cxmodels.sem", "cxmodels.churn", "cxmodels.clv", "cxmodels.ab", "cxmodels.metrics",
                  "cxmodels.report", "cxmodels.datasets", "cxmodels.provenance", "cxmodels.errors",
                  "cxmodels.chain", "cxmodels.drivers"]


def _resolve_lazy_exports() -> None:
    for modname in PUBLIC_MODULES:
        if importlib.util.find_spec(modname) is None:
            continue
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue  # autodoc reports the failed import itself (a warning, so an error with -W)
        for name in getattr(module, "__all__", ()):
            if name not in vars(module):
                try:
                    setattr(module, name, getattr(module, name))
                except (ImportError, AttributeError):
                    continue  # left out of the page; tests/test_docs.py names it


_resolve_lazy_exports()

# -- cxmodels.chain: document it when it exists; say so when it does not ----------------------
HAVE_CHAIN = importlib.util.find_spec("cxmodels.chain") is not None


def _chain_source(app, docname, source):
    if docname == "api/chain" and not HAVE_CHAIN:
        source[0] = (
            "# cxmodels.chain\n\n"
            "`cxmodels.chain` (the value chain linking the four domains) is not part of this build.\n"
        )


def setup(app):
    app.connect("source-read", _chain_source)
