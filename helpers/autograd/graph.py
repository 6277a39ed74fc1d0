r"""Draw the computational graph an autograd :class:`~helpers.autograd.tensor.Tensor` has recorded (notebook 04).

Plain matplotlib, no graphviz: :func:`trace` walks from the output back to the leaves,
:func:`layout` puts every node in a column (leaves on the left, the output on the right) and a
row, and :class:`GraphDrawing` draws one box per node, with its value (forward pass) and, after
``backward()``, its gradient :math:`\partial L/\partial\,\text{node}` (backward pass), and an arrow
per edge. ``GraphDrawing.update`` rewrites the box texts of a graph with the same structure in
place, which is what the chapter's slider app does on every move. With ``fixed_boxes=True`` the
boxes and arrows do not depend on the values (each box is wide enough for any value), so a slider
app can draw them once (:class:`helpers.ui.backdrop.Backdrop`) and redraw only the texts.
"""
from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text

from helpers.autograd.tensor import Tensor
from helpers.core.checks import check_type
from helpers.core.figures import OKABE_ITO, new_figure

__all__ = ["trace", "layout", "node_label", "GraphDrawing", "draw_graph"]

# Light tints of the course palette for the box faces; the edge style tells the kinds apart
# without colour too: parameters solid, constants dashed, the output thick.
_COLOURS = {"param": to_rgba(OKABE_ITO["sky"], 0.35), "const": to_rgba("grey", 0.18),
            "op": to_rgba(OKABE_ITO["orange"], 0.3), "root": to_rgba(OKABE_ITO["green"], 0.3)}
_EDGES = {"param": dict(ls="-", lw=1.0), "const": dict(ls="--", lw=1.0), "op": dict(ls="-", lw=1.0),
          "root": dict(ls="-", lw=2.2)}


def trace(root: Tensor) -> tuple[list[Tensor], list[tuple[int, int]]]:
    """All nodes of ``root``'s graph (parents before children, deterministic order) and the edges
    as ``(parent index, child index)`` pairs."""
    if not isinstance(root, Tensor):
        raise ValueError(f"trace needs a Tensor, got {type(root).__name__}")
    order: list[Tensor] = []
    index: dict[int, int] = {}
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:  # iterative post-order depth-first search
        node, expanded = stack.pop()
        if expanded:
            if id(node) not in index:
                index[id(node)] = len(order)
                order.append(node)
            continue
        if id(node) in index:
            continue
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node._parents))
    edges = [(index[id(p)], index[id(n)]) for n in order for p in n._parents]
    return order, edges


def layout(nodes: list[Tensor], edges: list[tuple[int, int]]) -> np.ndarray:
    """(x, y) positions, shape (len(nodes), 2): x is the column, y the row.

    An operation sits one column right of its latest input; a leaf sits just left of its first
    user; leaves are stacked top to bottom in the order they are used, and each operation is
    placed at the mean height of its inputs, then columns are spread to avoid overlaps.
    """
    check_type(nodes, "nodes", (list, tuple), "a list of Tensors (from trace)")
    check_type(edges, "edges", (list, tuple), "a list of (parent, child) index pairs (from trace)")
    n = len(nodes)
    for edge in edges:
        if len(edge) != 2 or not all(isinstance(i, (int, np.integer)) and 0 <= i < n for i in edge):
            raise ValueError(f"edges must be (parent, child) index pairs into nodes (0 <= i < {n}), got {edge!r}")
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for p, c in edges:
        parents[c].append(p)
        children[p].append(c)
    col = np.zeros(n)
    for i in range(n):  # nodes are in topological order
        if parents[i]:
            col[i] = max(col[p] for p in parents[i]) + 1
    for i in range(n):
        if not parents[i] and children[i]:
            col[i] = min(col[c] for c in children[i]) - 1
    row = np.zeros(n)
    leaves = [i for i in range(n) if not parents[i]]
    for rank, i in enumerate(leaves):
        row[i] = -rank
    for i in range(n):
        if parents[i]:
            row[i] = np.mean([row[p] for p in parents[i]])
    for c in np.unique(col):  # at least one row apart within a column, keeping the order
        members = sorted(np.flatnonzero(col == c), key=lambda i: -row[i])
        for above, below in zip(members, members[1:]):
            row[below] = min(row[below], row[above] - 1.0)
    return np.column_stack([col, row])


def _fmt(a: np.ndarray | None) -> str:
    if a is None:
        return "–"
    return f"{float(a.reshape(())) + 0.0:.3g}" if a.size == 1 else f"shape {a.shape}"  # + 0.0: no "-0"


def node_label(node: Tensor, show_grad: bool = True) -> str:
    """Box text: the name or operation, the value and (if present) the gradient."""
    if not isinstance(node, Tensor):
        raise TypeError(f"node must be a helpers.autograd Tensor, got {type(node).__name__}")
    return _label(node, show_grad, _fmt)


def _label(node: Tensor, show_grad: bool, fmt) -> str:
    head = f"{node.name} ({node.op})" if node.name and node.op else (node.name or node.op or "const")
    text = f"{head}\n= {fmt(node.data)}"
    if show_grad and node.requires_grad:
        text += f"\n∂L: {fmt(node.grad)}"
    return text


# The widest texts ``_fmt`` writes for a number from 1e-99 to 1e99 in size (3 significant digits;
# the digits of the course font all have one width). A fixed box is sized for the widest of them.
_WIDE_NUMBERS = ("-0.000888", "-8.88e-88", "-8.88e+88", "-888")


def _template_label(node: Tensor, show_grad: bool, number: str) -> str:
    """``node``'s box text with every number replaced by ``number`` (a shape stays as it is)."""
    return _label(node, show_grad, lambda a: number if a is None or a.size == 1 else _fmt(a))


class _Labels(Artist):
    """Draws a list of texts (not themselves in the axes) line by line, as ``Text.draw`` and the
    Agg renderer would: the same glyph bitmaps at the same places, so the same pixels.

    It skips what they redo for every text on every frame, which was most of a slider frame of
    the neuron graph's 14 three-line labels: the layout of a label (measuring each line) is kept
    per label string, and on an Agg canvas the rendered bitmap of a line is kept per line string
    (a box's title line, and the values a move did not change, are then not rasterised again).
    Unrotated plain text only (what the graph draws); anything else goes through the renderer.
    """

    _MAX_CACHED = 4096

    def __init__(self, texts: list[Text]) -> None:
        super().__init__()
        self.texts = texts
        self.set_zorder(texts[0].get_zorder() if texts else 3)
        self._layouts: dict[tuple, Any] = {}
        self._bitmaps: dict[tuple, tuple[np.ndarray, float, float]] = {}

    def _draw_line(self, renderer: Any, gc: Any, x: float, y: float, line: str, prop: Any, font_key: int) -> None:
        """``RendererAgg.draw_text`` for an unrotated line, with the line's bitmap cached."""
        flags = get_hinting_flag()
        key = (line, font_key, renderer.dpi, gc.get_antialiased(), flags, mpl.rcParams["text.kerning_factor"])
        if key not in self._bitmaps:
            if len(self._bitmaps) > self._MAX_CACHED:
                self._bitmaps.clear()
            font = renderer._prepare_font(prop)
            font.set_text(line, 0, flags=flags)
            font.draw_glyphs_to_bitmap(antialiased=gc.get_antialiased())
            xo, yo = font.get_bitmap_offset()
            self._bitmaps[key] = (np.array(font.get_image()), xo / 64.0, (yo + font.get_descent()) / 64.0)
        image, xo, yo = self._bitmaps[key]
        renderer._renderer.draw_text_image(image, round(x + xo), round(y + yo) + 1, 0, gc)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        canvas_h = renderer.get_canvas_width_height()[1]
        for text in self.texts:
            label = text.get_text()
            if not label or not text.get_visible():
                continue
            prop = text.get_fontproperties()
            font_key = hash(prop)
            key = (label, renderer.dpi, font_key, text.get_rotation(), text.get_horizontalalignment(),
                   text.get_verticalalignment(), text._multialignment, text._linespacing)
            if key not in self._layouts:
                if len(self._layouts) > self._MAX_CACHED:
                    self._layouts.clear()
                self._layouts[key] = text._get_layout(renderer)[1]   # [(line, (w, h, d), x, y)]
            posx, posy = text.get_transform().transform(text.get_unitless_position())
            gc = renderer.new_gc()
            gc.set_foreground(text.get_color())
            gc.set_alpha(text.get_alpha())
            gc.set_antialiased(text.get_antialiased())
            text._set_gc_clip(gc)
            fast = type(renderer) is RendererAgg and text.get_rotation() == 0
            for line, _, x, y in self._layouts[key]:
                x, y = x + posx, y + posy
                y = canvas_h - y if renderer.flipy() else y
                clean_line, ismath = text._preprocess_math(line)
                if fast and not ismath:
                    self._draw_line(renderer, gc, x, y, clean_line, prop, font_key)
                else:
                    renderer.draw_text(gc, x, y, clean_line, prop, text.get_rotation(), ismath=ismath)
            gc.restore()
        self.stale = False


class GraphDrawing:
    """A figure of ``root``'s graph whose box texts can be updated in place.

    Args:
        root: the output tensor (call ``backward()`` first to show gradients).
        show_grad: print each node's gradient under its value.
        width, height: figure size in inches.
        fixed_boxes: draw each box (and so each arrow) at a fixed size, wide enough for any value
            from 1e-99 to 1e99, instead of fitting it to the current text. Then only ``texts``
            change on :meth:`update`, and ``dynamic`` lists them for a
            :class:`~helpers.ui.backdrop.Backdrop`.

    Attributes:
        texts: one text per node (the label shown), in ``nodes`` order.
        boxes: the artists the boxes are drawn by (the texts themselves unless ``fixed_boxes``).
        dynamic: the artists :meth:`update` changes (with ``fixed_boxes``, one artist that draws all
            the labels).
    """

    def __init__(self, root: Tensor, show_grad: bool = True, width: float = 8.0, height: float = 3.6,
                 fixed_boxes: bool = False) -> None:
        self.show_grad = show_grad
        self.nodes, self.edges = trace(root)
        pos = layout(self.nodes, self.edges)
        # about 1.3 in per column and 0.62 in per row keep 9-pt boxes of three lines apart
        n_cols, n_rows = np.ptp(pos[:, 0]) + 1, np.ptp(pos[:, 1]) + 1
        self.fig: Figure = new_figure(max(width, 1.3 * n_cols + 0.4), max(height, 0.62 * n_rows + 0.5))
        self.ax = self.fig.add_axes((0.01, 0.01, 0.98, 0.98))
        self.ax.set_axis_off()
        self.ax.set(xlim=(pos[:, 0].min() - 0.6, pos[:, 0].max() + 0.6),
                    ylim=(pos[:, 1].min() - 0.6, pos[:, 1].max() + 0.6))
        self.texts, self.boxes = [], []
        number = ""
        if fixed_boxes:  # the widest number, measured in the font the labels use
            font = self.ax.text(0, 0, "", fontsize=9).get_fontproperties()
            renderer = self.fig.canvas.get_renderer()
            number = max(_WIDE_NUMBERS, key=lambda s: renderer.get_text_width_height_descent(s, font, ismath=False)[0])
            self.ax.texts[-1].remove()
        for i, node in enumerate(self.nodes):
            kind = "root" if node is root else ("op" if node._parents else
                                                ("param" if node.requires_grad else "const"))
            bbox = dict(boxstyle="round,pad=0.3", fc=_COLOURS[kind], ec="#555555", **_EDGES[kind])
            label = node_label(node, show_grad)
            if fixed_boxes:  # an invisible template text carries the box; the label is drawn over it
                self.boxes.append(self.ax.text(*pos[i], _template_label(node, show_grad, number), ha="center",
                                               va="center", fontsize=9, color="none", bbox=bbox))
                text = Text(*pos[i], label, ha="center", va="center", fontsize=9, transform=self.ax.transData)
                text.set_figure(self.fig)
                text.set_clip_path(self.ax.patch)   # as for a text of the axes
                self.texts.append(text)
            else:
                self.texts.append(self.ax.text(*pos[i], label, ha="center", va="center", fontsize=9, bbox=bbox))
                self.boxes.append(self.texts[-1])
        # fixed boxes: one artist draws every label (what a Backdrop redraws on a move)
        self.dynamic = [self.ax.add_artist(_Labels(self.texts))] if fixed_boxes else list(self.texts)
        for p, c in self.edges:  # from the right edge of a box to the left edge of the next, wherever they are
            self.ax.annotate("", xy=(0, 0.5), xycoords=self.boxes[c], xytext=(1, 0.5), textcoords=self.boxes[p],
                             arrowprops=dict(arrowstyle="-|>", color="#777777", lw=1, shrinkA=5, shrinkB=5))

    def update(self, root: Tensor) -> None:
        """Show the values and gradients of a new graph with the same structure (in place)."""
        nodes, edges = trace(root)
        if len(nodes) != len(self.nodes) or edges != self.edges:
            raise ValueError(f"update needs a graph with the same structure: expected {len(self.nodes)} nodes "
                             f"and {len(self.edges)} edges, got {len(nodes)} and {len(edges)}")
        self.nodes = nodes
        for text, node in zip(self.texts, nodes):
            text.set_text(node_label(node, self.show_grad))


def draw_graph(root: Tensor, show_grad: bool = True, width: float = 8.0, height: float = 3.6) -> Figure:
    """The figure of ``root``'s computational graph (display it as a cell's last expression)."""
    return GraphDrawing(root, show_grad, width, height).fig
