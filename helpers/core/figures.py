"""Figures without pyplot: every maths module that draws gets its ``Figure`` from here.

A ``Figure`` with its own Agg canvas is not registered with pyplot, so the inline backend never
shows a second, stale copy of it; :func:`render_png` turns it into PNG bytes for a widget or a
notebook output. Nothing here imports ipywidgets.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

__all__ = ["new_figure", "render_png"]


def new_figure(width: float = 6.4, height: float = 3.6, dpi: int = 100) -> Figure:
    """A matplotlib ``Figure`` with an Agg canvas, not registered with pyplot.

    Not going through ``pyplot`` matters: the inline backend would otherwise show a second, stale
    copy of the figure at the end of the cell.
    """
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (no timestamp metadata, so identical figures give identical bytes).

    ``fig.tight_layout()`` leaves a placeholder layout engine behind, and with any engine set
    ``savefig`` draws the whole figure twice (once to lay it out, once to paint). The layout is
    already done, so we drop the placeholder: the same pixels, a third less time.
    """
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()
