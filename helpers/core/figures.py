"""Figures without pyplot: every maths module that draws gets its ``Figure`` from here.

A ``Figure`` with its own Agg canvas is not registered with pyplot, so the inline backend never
shows a second, stale copy of it; :func:`render_png` turns it into PNG bytes for a widget or a
notebook output. Nothing here imports ipywidgets.
"""
from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from helpers.core.checks import check_range, check_type

__all__ = ["new_figure", "render_png", "show_figure", "FigureWithAlt", "OKABE_ITO", "PALETTE", "LINESTYLES",
           "MARKERS", "CLASS_COLOURS", "COURSE_STYLE", "apply_style", "SEQUENTIAL_CMAP", "DIVERGING_CMAP",
           "MIN_FONT_PT"]

# The course's colour-blind-safe palette (Okabe & Ito, 2008), in the order series should use it.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000"}
PALETTE = list(OKABE_ITO.values())
# Where colour carries meaning, a line style or marker carries it too (series i uses entry i).
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 1, 2))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
# Ten class colours (digits have ten): the palette without yellow (too pale on white), then two
# more that stay apart from it for most colour-vision types (Tol's wine and grey).
CLASS_COLOURS = [c for c in PALETTE if c != OKABE_ITO["yellow"]] + ["#882255", "#999999", "#44AA99"]
# Colour maps: sequential (perceptually uniform, readable in grey) for ordered quantities such as
# depth, time or magnitude; diverging for signed quantities centred on zero.
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
MIN_FONT_PT = 9  # no text in a course figure is smaller

# The one course style: type no smaller than 9 pt, the palette with a line style per series (so a
# series is told apart without colour), light grids. Applied by new_figure and setup_notebook.
COURSE_STYLE = {
    "font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "xtick.labelsize": 9,
    "ytick.labelsize": 9, "legend.fontsize": 9, "legend.title_fontsize": 9, "figure.titlesize": 11,
    "image.cmap": SEQUENTIAL_CMAP, "axes.grid": False, "grid.alpha": 0.3, "lines.linewidth": 1.6,
}


def apply_style(force: bool = False) -> None:
    """Set matplotlib's defaults to the course style (idempotent; cheap after the first call)."""
    global _STYLED
    if _STYLED and not force:
        return
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(COURSE_STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE) + cycler(linestyle=LINESTYLES)
    _STYLED = True


_STYLED = False


def new_figure(width: float = 6.4, height: float = 3.6, dpi: int = 100) -> Figure:
    """A matplotlib ``Figure`` with an Agg canvas, not registered with pyplot.

    Not going through ``pyplot`` matters: the inline backend would otherwise show a second, stale
    copy of the figure at the end of the cell.
    """
    check_range(width, "width", 0.0, None, low_inclusive=False)
    check_range(height, "height", 0.0, None, low_inclusive=False)
    check_range(dpi, "dpi", 1, None, integer=True)
    apply_style()
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (no timestamp metadata, so identical figures give identical bytes).

    ``fig.tight_layout()`` leaves a placeholder layout engine behind, and with any engine set
    ``savefig`` draws the whole figure twice (once to lay it out, once to paint). The layout is
    already done, so we drop the placeholder: the same pixels, a third less time.
    """
    check_type(fig, "fig", Figure, "a matplotlib Figure")
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()


class FigureWithAlt:
    """A figure for a notebook output: a 2x-resolution PNG shown at its nominal size, stored with a
    one-sentence text alternative as its ``text/plain`` (what a screen reader, a code host without
    images and nbval's text comparison see).

    Made by :func:`show_figure`; the notebook displays it as a cell's last expression.
    """

    def __init__(self, fig: Figure, alt: str, scale: int = 2) -> None:
        if not isinstance(fig, Figure):
            raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
        if not isinstance(alt, str) or len(alt.strip()) < 10:
            raise ValueError(f"alt must be a sentence saying what the figure shows, got {alt!r}")
        if scale not in (1, 2, 3):
            raise ValueError(f"scale must be 1, 2 or 3, got {scale!r}")
        self.fig, self.alt, self.scale = fig, alt.strip(), scale
        dpi = fig.dpi
        fig.set_dpi(dpi * scale)
        try:
            self.png = render_png(fig)
        finally:
            fig.set_dpi(dpi)
        self.width = int(round(fig.get_figwidth() * dpi))

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": f"Figure: {self.alt}"}
        return data, {"image/png": {"width": self.width, "alt": self.alt}}


def show_figure(fig: Figure, alt: str, scale: int = 2) -> FigureWithAlt:
    """Wrap ``fig`` for display with its text alternative ``alt`` (see :class:`FigureWithAlt`).

    Example:
        >>> fig = new_figure(2, 1)
        >>> out = show_figure(fig, "An empty figure, two inches wide.")
        >>> out._repr_mimebundle_()[0]["text/plain"]
        'Figure: An empty figure, two inches wide.'
    """
    return FigureWithAlt(fig, alt, scale)
