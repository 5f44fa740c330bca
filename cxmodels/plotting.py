"""The house style of every cxmodels figure, and the one place matplotlib is set up.

Conventions (``docs/architecture.md``): ``result.plot(ax=None)`` draws the result's main
figure on one Axes and returns it; a multi-panel figure has its own ``plot_*`` method and
returns a Figure.  Both get their Axes or Figure from :func:`axes` / :func:`figure` here,
so sizes, colours, grids and the intervals' shading agree across domains.
"""

from __future__ import annotations

#: Colours, in order, for groups, variants and segments (colour-blind safe, Okabe & Ito 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Transparency of interval bands.
BAND_ALPHA = 0.2

_STYLE = {"grid.alpha": 0.3}


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _style(ax):
    """Apply the house style to one Axes (no spines top/right, a light grid)."""
    ax.grid(True, alpha=_STYLE["grid.alpha"])
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def axes(ax=None, figsize=(6.5, 4.0)):
    """Return ``ax`` styled, or a new styled Axes of ``figsize`` when ``ax`` is None."""
    if ax is None:
        # the figure is made outside rc_context: a figure created inside one is not
        # shown by the inline backend after the first in a notebook kernel
        _, ax = _pyplot().subplots(figsize=figsize)
    return _style(ax)


def figure(nrows: int = 1, ncols: int = 1, figsize=None, **subplot_kw):
    """A new styled Figure with a grid of Axes: ``fig, axs = figure(1, 2)``."""
    import numpy as np

    figsize = figsize or (5.5 * ncols, 3.8 * nrows)
    fig, axs = _pyplot().subplots(nrows, ncols, figsize=figsize, **subplot_kw)
    for a in np.atleast_1d(axs).ravel():
        _style(a)
    return fig, axs


def color(i: int) -> str:
    """The ``i``-th colour of :data:`PALETTE` (cycling)."""
    return PALETTE[i % len(PALETTE)]
