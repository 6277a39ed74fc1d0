"""Notebook 09's explorers: the sliding dot product, a 3×3 kernel editor on a real photograph,
the geometry of padding / stride / dilation, and a trained CNN's feature maps.

Each figure is built once; a control move only updates image data, texts and patches in place,
and the parts that did not move (axes, titles, the input image) are blitted from a
:class:`~helpers.ui.backdrop.Backdrop` instead of being drawn again. A title that changes is set
with ``y=1.0`` (where a bare axes puts it anyway): placed automatically, it would be placed against
the extent of an axis that the Backdrop has hidden, which can be stale.
The chapter's static figures (filter gallery, learned filters, confusion matrix, gradient flow)
are in the same module, as functions returning a ``Figure``.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from helpers.cnn import conv
from helpers.core.data import load_digits, load_sample_photo
from helpers.core.checks import check_array, check_choice
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, float_slider, int_slider
from helpers.core.figures import OKABE_ITO, SEQUENTIAL_CMAP, new_figure

__all__ = ["KERNELS", "SlidingDotProduct", "KernelEditor", "ConvGeometry", "FeatureMapExplorer",
           "filter_gallery", "mosaic", "filters_figure", "confusion_figure", "gradient_flow_figure"]

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "blur (box)": np.full((3, 3), 1 / 9),
    "blur (Gaussian)": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "vertical edges (Sobel x)": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "horizontal edges (Sobel y)": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
    "all edges (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=float),
    "zero (build your own)": np.zeros((3, 3)),
}


def _filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Same-size 2-D cross-correlation of one gray image with one 3×3 kernel (zero padding)."""
    return conv.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]  # (H, W)


def _display_limits(y: np.ndarray, kernel_sum: float) -> tuple[float, float]:
    """Zero-sum kernels (edge detectors) are shown symmetric around 0 (mid-gray = no edge);
    others between the 1st and 99th percentile, so a few extreme pixels do not wash it out."""
    if abs(kernel_sum) < 1e-9:
        top = float(np.percentile(np.abs(y), 99))
        return (-top, top) if top > 1e-12 else (-1.0, 1.0)
    lo, hi = (float(v) for v in np.percentile(y, [1, 99]))
    return (lo, hi) if hi - lo > 1e-12 else (lo - 1.0, hi + 1.0)


def _matrix_texts(ax: Any, shape: tuple[int, int], fontsize: int = 9) -> list:
    return [ax.text(j, i, "", ha="center", va="center", fontsize=fontsize)
            for i in range(shape[0]) for j in range(shape[1])]


def _spines(*axes: Any) -> list:
    """The frames of ``axes``: dynamic in a Backdrop when an image fills the axes, so that (as in a
    full draw) the frame is drawn over the image's edge, not under it."""
    return [spine for ax in axes for spine in ax.spines.values()]


def _bare(ax: Any, title: str = "") -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


# ----------------------------------------------------------------------------- 1. sliding dot product
class SlidingDotProduct(App):
    """Step a 3×3 kernel across a real 8×8 digit: the window, the nine products, their sum, and the
    output map filled in up to the current position (stride 1, no padding: 6×6 outputs)."""

    def __init__(self, digit_index: int = 3) -> None:
        images, _ = load_digits()
        self.image = images[digit_index]                 # (8, 8) in [0, 1]
        self.fig = new_figure(9.6, 2.8)
        self.ax_in, self.ax_k, self.ax_prod, self.ax_out = self.fig.subplots(1, 4)
        self.ax_in.imshow(self.image, cmap="gray_r", vmin=0, vmax=1)
        self.window = Rectangle((-0.5, -0.5), 3, 3, fill=False, ec=OKABE_ITO["vermillion"], lw=2.5)
        self.ax_in.add_patch(self.window)
        self.k_img = self.ax_k.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-4, vmax=4)
        self.p_img = self.ax_prod.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-4, vmax=4)
        self.o_img = self.ax_out.imshow(np.full((6, 6), np.nan), cmap="RdBu_r", vmin=-3, vmax=3)
        self.cursor = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec=OKABE_ITO["vermillion"], lw=2.5)
        self._rdbu = self.o_img.get_cmap()
        self.ax_out.add_patch(self.cursor)
        self.k_txt, self.p_txt = _matrix_texts(self.ax_k, (3, 3)), _matrix_texts(self.ax_prod, (3, 3))
        for ax, title in ((self.ax_in, "input x (8×8 digit)"), (self.ax_k, "kernel w"),
                          (self.ax_prod, "window ⊙ kernel"), (self.ax_out, "output y (6×6)")):
            _bare(ax, title)
        self.fig.tight_layout()
        # the digit, the kernel and the titles drawn once per kernel: a position move redraws the
        # window, the products and the output map
        self.backdrop = Backdrop(self.fig, [self.window, self.cursor, self.p_img, self.o_img, *self.p_txt,
                                            *_spines(self.ax_in, self.ax_prod, self.ax_out)])
        self._kernel: str | None = None

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"position": int_slider(0, 0, 35, "kernel position", unit="step"),
                "kernel": dropdown(list(KERNELS)[:-1], "vertical edges (Sobel x)", "kernel")}

    def update(self, position: int = 0, kernel: str = "vertical edges (Sobel x)") -> str:
        check_choice(kernel, "kernel", list(KERNELS))
        w = KERNELS[kernel]
        out = conv.conv2d(self.image[None, None], w[None, None])[0, 0]   # (6, 6)
        i, j = divmod(int(np.clip(position, 0, 35)), 6)
        window = self.image[i:i + 3, j:j + 3]
        products = window * w
        self.window.set_xy((j - 0.5, i - 0.5))
        self.cursor.set_xy((j - 0.5, i - 0.5))
        if kernel != self._kernel:                            # the kernel panel is static between changes
            self.backdrop.restore()
            self.k_img.set_data(w)
            for txt, v in zip(self.k_txt, w.ravel()):
                txt.set_text(f"{v:.2g}")
            self.backdrop.capture()
            self._kernel = kernel
        # coloured here (the images' colour map and limits; NaN transparent), so the figure draws
        # ready pixels
        self.p_img.set_data(self._rdbu((products + 4) / 8, bytes=True))          # (3, 3, 4)
        shown = np.full(36, np.nan)
        shown[:6 * i + j + 1] = out.ravel()[:6 * i + j + 1]   # positions visited so far, in reading order
        top = max(float(np.abs(out).max()), 1e-9)
        self.o_img.set_data(self._rdbu((shown.reshape(6, 6) + top) / (2 * top), bytes=True))  # (6, 6, 4)
        for txt, v in zip(self.p_txt, products.ravel()):
            txt.set_text(f"{v:.2f}")
        return (f"position {position} → y[{i}, {j}] = sum of the 9 products = {products.sum():.2f} "
                f"(the window's pixels weighted by the kernel)")


# ----------------------------------------------------------------------------- 2. kernel editor
class KernelEditor(App):
    """Pick a classic 3×3 kernel, then nudge any of its nine weights, and see the photograph filtered.

    The kernel used is ``preset + edits``: with every edit at 0 it is the preset itself; start from
    "zero (build your own)" to set all nine weights with the sliders.
    """

    def __init__(self, photo: str = "china", size: int = 200) -> None:
        self.photo = load_sample_photo(photo, gray=True, size=size)      # (H, W) in [0, 1]
        # Each photo pixel is drawn as a whole number of screen pixels (one for the default 213×213
        # photo), with no resampling (interpolation "none": the renderer places the pixels as
        # they are): every pixel is shown sharp, and the frame stays small (a photograph is sent
        # in full colour, so its pixel count is what a frame costs to encode).
        h, w = self.photo.shape
        zoom = max(1, round(200 / max(h, w)))
        ph, pw, k = zoom * h, zoom * w, 120                            # panel sizes in pixels
        margin, gap, top = 10, 30, 28                                  # top: room for the titles
        width, height = 2 * margin + 2 * pw + 2 * gap + k, top + max(ph, k) + margin
        self.fig = new_figure(width / 100, height / 100, dpi=100)

        def place(x: int, size: tuple[int, int]) -> Any:   # an axes at pixel column x, centred vertically
            y = margin + (max(ph, k) - size[1]) / 2
            return self.fig.add_axes((x / width, y / height, size[0] / width, size[1] / height))

        self.ax_in = place(margin, (pw, ph))
        self.ax_out = place(margin + pw + gap, (pw, ph))
        self.ax_k = place(margin + 2 * (pw + gap), (k, k))
        self.ax_in.imshow(self.photo, cmap="gray", vmin=0, vmax=1, interpolation="none")
        self.out_img = self.ax_out.imshow(self.photo, cmap="gray", interpolation="none")
        self.k_img = self.ax_k.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-4, vmax=4, interpolation="nearest")
        self._gray, self._rdbu = self.out_img.get_cmap(), self.k_img.get_cmap()
        self.k_txt = _matrix_texts(self.ax_k, (3, 3))
        _bare(self.ax_in, "photograph")
        _bare(self.ax_out, "filtered")
        _bare(self.ax_k, "kernel")
        # the photograph and the titles drawn once: a move redraws the filtered image and the kernel
        self.backdrop = Backdrop(self.fig, [self.out_img, self.k_img, *self.k_txt, *_spines(self.ax_out, self.ax_k)])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        edits = {f"e{i}{j}": float_slider(0.0, -3.0, 3.0, 0.25, f"edit w[{i},{j}]", fmt="+.2f")
                 for i in range(3) for j in range(3)}
        return {"preset": dropdown(list(KERNELS), "vertical edges (Sobel x)", "preset kernel"), **edits}

    def update(self, preset: str = "vertical edges (Sobel x)", e00: float = 0.0, e01: float = 0.0,
               e02: float = 0.0, e10: float = 0.0, e11: float = 0.0, e12: float = 0.0, e20: float = 0.0,
               e21: float = 0.0, e22: float = 0.0) -> str:
        check_choice(preset, "preset", list(KERNELS))
        edits = np.array([[e00, e01, e02], [e10, e11, e12], [e20, e21, e22]], dtype=float)
        kernel = KERNELS[preset] + edits
        total = float(kernel.sum())
        y = _filter(self.photo, kernel)
        lo, hi = _display_limits(y, total)
        # coloured here (the gray map, clipped to [lo, hi]), so the figure draws ready pixels
        self.out_img.set_data(self._gray((y - lo) / (hi - lo), bytes=True))   # (H, W, 4) uint8
        self.k_img.set_data(self._rdbu((kernel + 4) / 8, bytes=True))          # (3, 3, 4), on [-4, 4]
        for txt, v in zip(self.k_txt, kernel.ravel()):
            txt.set_text(f"{v:.2g}")
        name = preset + (" + your edits" if np.any(edits) else "")
        if not np.any(kernel):
            return f"{name}: the kernel is all zeros, so the output is blank; move an edit slider"
        if abs(total) < 1e-9:
            meaning = "weights sum to 0: flat regions give 0, only changes (edges) respond"
        elif abs(total - 1) < 1e-9:
            meaning = "weights sum to 1: flat regions keep their brightness"
        else:
            meaning = f"weights sum to {total:.2f}: flat regions are scaled by {total:.2f}"
        return f"{name}: {meaning}; output range [{y.min():.2f}, {y.max():.2f}]"


def filter_gallery(photo: np.ndarray | None = None,
                   names: tuple[str, ...] = ("blur (Gaussian)", "sharpen", "vertical edges (Sobel x)",
                                             "horizontal edges (Sobel y)", "all edges (Laplacian)")) -> Figure:
    """The photograph and its convolution with each named kernel of :data:`KERNELS`."""
    photo = load_sample_photo("china", size=200) if photo is None else check_array(photo, "photo", ndim=2)
    for n in names:
        check_choice(n, "kernel name", list(KERNELS))
    fig = new_figure(1.35 * (len(names) + 1), 1.9)
    axes = fig.subplots(1, len(names) + 1)
    axes[0].imshow(photo, cmap="gray", vmin=0, vmax=1)
    _bare(axes[0], "photograph")
    for ax, n in zip(axes[1:], names):
        y = _filter(photo, KERNELS[n])
        lo, hi = _display_limits(y, float(KERNELS[n].sum()))
        ax.imshow(y, cmap="gray", vmin=lo, vmax=hi)
        _bare(ax, n.replace(" (", "\n("))
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- 3. geometry
def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


_VERMILLION, _BLUE = _rgb(OKABE_ITO["vermillion"]), _rgb(OKABE_ITO["blue"])  # first and second output
_PURPLE = _rgb(OKABE_ITO["purple"])                                           # read by both


def _rgba_bytes(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) colours in [0, 1] -> (H, W, 4) opaque uint8, converted exactly as matplotlib converts
    a float image (so the pixels are the same), which it then draws without resampling floats."""
    return (np.dstack([rgb, np.ones(rgb.shape[:2])]) * 255).astype(np.uint8)


class ConvGeometry(App):
    """Input size, kernel, stride, padding and dilation: which input pixels the first two outputs
    read (vermillion, then blue; purple where their windows overlap), and the output size from the
    formula."""

    def __init__(self) -> None:
        self.fig = new_figure(7.5, 3.3)
        self.ax_in, self.ax_out = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        # Each image fills its square axes whatever its size (the axes have no ticks, so the
        # limits are never seen): the axes never change and only the images and titles are redrawn.
        self.in_img = self.ax_in.imshow(np.ones((3, 3, 3)), interpolation="nearest", extent=(0, 1, 1, 0))
        self.out_img = self.ax_out.imshow(np.ones((3, 3, 3)), interpolation="nearest", extent=(0, 1, 1, 0))
        _bare(self.ax_in, "padded input")   # placeholder titles: tight_layout keeps room for them
        _bare(self.ax_out, "output")
        self.fig.tight_layout()
        self.backdrop = Backdrop(self.fig, [self.in_img, self.out_img, self.ax_in.title, self.ax_out.title,
                                            *_spines(self.ax_in, self.ax_out)])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"size": int_slider(7, 3, 12, "input size n", unit="px"),
                "kernel": int_slider(3, 1, 5, "kernel size k", unit="px"),
                "stride": int_slider(2, 1, 3, "stride s", unit="px"),
                "padding": int_slider(1, 0, 3, "padding p", unit="px"),
                "dilation": int_slider(1, 1, 3, "dilation d", unit="px")}

    @staticmethod
    def _grid(n: int, lines: bool = True) -> np.ndarray:
        rgb = np.ones((n, n, 3))
        if lines:  # a checkerboard so single pixels can be counted
            rgb[(np.add.outer(np.arange(n), np.arange(n)) % 2) == 1] = 0.93
        return rgb

    def update(self, size: int = 7, kernel: int = 3, stride: int = 2, padding: int = 1, dilation: int = 1) -> str:
        n_pad, span = size + 2 * padding, dilation * (kernel - 1) + 1
        grid = self._grid(n_pad)
        inside = np.zeros((n_pad, n_pad), dtype=bool)
        inside[padding:padding + size, padding:padding + size] = True
        grid[~inside] = 0.8                                   # the padding ring in gray
        formula = f"⌊({size} + 2·{padding} − {dilation}·({kernel}−1) − 1)/{stride}⌋ + 1"
        if span > n_pad:
            self.in_img.set_data(_rgba_bytes(grid))
            self.out_img.set_data(_rgba_bytes(np.ones((1, 1, 3))))
            self.ax_in.set_title(f"padded input {n_pad}×{n_pad} (gray: padding)", fontsize=9, y=1.0)
            self.ax_out.set_title("no output", fontsize=9, y=1.0)
            return (f"no output: the dilated kernel spans {span} pixels but the padded input has only "
                    f"{n_pad}; shrink the kernel or dilation, or pad more")
        n_out = conv.conv_output_size(size, kernel, stride, padding, dilation)
        taps = np.arange(kernel) * dilation
        first = np.zeros((n_pad, n_pad), dtype=bool)
        first[np.ix_(taps, taps)] = True
        second = np.zeros_like(first)
        if n_out > 1:
            second[np.ix_(taps, stride + taps)] = True
        grid[first] = _VERMILLION
        grid[second] = _BLUE
        grid[first & second] = _PURPLE                          # pixels both outputs read
        out = self._grid(n_out)
        out[0, 0] = _VERMILLION
        if n_out > 1:
            out[0, 1] = _BLUE
        self.in_img.set_data(_rgba_bytes(grid))                # (n_pad, n_pad, 4)
        self.out_img.set_data(_rgba_bytes(out))                # (n_out, n_out, 4)
        self.ax_in.set_title(f"padded input {n_pad}×{n_pad} (gray: padding)", fontsize=9, y=1.0)
        self.ax_out.set_title(f"output {n_out}×{n_out}", fontsize=9, y=1.0)
        return f"n_out = {formula} = {n_out}; each output reads {kernel}×{kernel} pixels spread over {span}×{span}"


# ----------------------------------------------------------------------------- 4. feature maps
def mosaic(maps: np.ndarray, columns: int = 8) -> np.ndarray:
    """Tile (M, h, w) maps into one image, each scaled to [0, 1] by its own maximum, with NaN
    (blank) one-pixel gaps. An all-zero map stays 0. Shape: -> (rows·(h+1)−1, columns·(w+1)−1)."""
    maps = check_array(maps, "maps", ndim=3)
    M, h, w = maps.shape
    rows = -(-M // columns)
    top = np.abs(maps).max(axis=(1, 2), keepdims=True)
    scaled = maps / np.where(top > 0, top, 1.0)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for m in range(M):
        r, c = divmod(m, columns)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = scaled[m]
    return out


class FeatureMapExplorer(App):
    """Pick a test digit and a layer: the input, every channel's feature map, and the predicted
    probabilities of a trained :class:`helpers.cnn.models.DigitsCNN`.

    Without arguments it trains a small CNN for two epochs (about a second) so the explorer works
    on its own; the notebook passes its own trained model and test images.
    """

    def __init__(self, model: Any = None, images: np.ndarray | None = None, labels: np.ndarray | None = None) -> None:
        import torch

        from helpers.cnn import models as cnn
        from helpers.core.data import load_digits_images

        if model is None or images is None or labels is None:
            split = load_digits_images()
            torch.manual_seed(0)
            model = cnn.DigitsCNN(c1=8, c2=16)
            cnn.fit(model, split.X_train, split.y_train, epochs=2, lr=1e-2, progress=False)
            images, labels = split.X_test, split.y_test
        self.images = check_array(images, "images", ndim=4)
        self.labels = check_array(labels, "labels", ndim=1, shape=(len(self.images),), dtype="int")
        with torch.no_grad():
            x = torch.as_tensor(self.images, dtype=torch.float32)
            model.eval()
            self.maps = [m.numpy() for m in model.feature_maps(x)]             # per layer (N, C, h, w)
            self.probs = torch.softmax(model(x), dim=1).numpy()                 # (N, 10)
        self.fig = new_figure(8.4, 2.8)
        self.ax_in, self.ax_maps, self.ax_p = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 3.2, 1.6]})
        self.in_img = self.ax_in.imshow(self.images[0, 0], cmap="gray_r")
        self.map_img = self.ax_maps.imshow(mosaic(self.maps[0][0]), cmap="magma", vmin=0, vmax=1)
        self.bars = self.ax_p.barh(np.arange(10), np.zeros(10), color="lightgray", edgecolor="black", lw=0.5)
        self.ax_p.set(xlim=(0, 1), yticks=range(10), xlabel="probability")
        self.ax_p.invert_yaxis()
        _bare(self.ax_in, "input")
        _bare(self.ax_maps)
        self.fig.tight_layout()
        # axes, ticks and titles drawn once: a move redraws the two images, the maps' title and frame
        # and the bars. The maps' panel changes shape with the layer's mosaic, but all it has
        # besides those is a white background on the white figure, so nothing static moves.
        self.backdrop = Backdrop(self.fig, [self.in_img, self.map_img, self.ax_maps.title, *self.bars,
                                            *_spines(self.ax_in, self.ax_maps, self.ax_p)])
        self.backdrop.capture()
        self._shape: tuple[int, ...] | None = None

    def layer_names(self) -> list[str]:
        """One label per conv layer, e.g. "conv 2 (32 maps of 8×8)"."""
        return [f"conv {i + 1} ({m.shape[1]} maps of {m.shape[2]}×{m.shape[3]})" for i, m in enumerate(self.maps)]

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"index": int_slider(0, 0, len(self.images) - 1, "test image", unit="#"),
                "layer": dropdown(self.layer_names(), self.layer_names()[0], "layer")}

    def update(self, index: int = 0, layer: str = "conv 1") -> str:
        matches = [i for i, name in enumerate(self.layer_names()) if name.startswith(str(layer))]
        if not matches:
            raise ValueError(f"layer must be one of {self.layer_names()}, got {layer!r}")
        index, layer = int(np.clip(index, 0, len(self.images) - 1)), matches[0]
        self.in_img.set_data(self.images[index, 0])
        self.in_img.set_clim(self.images[index].min(), self.images[index].max())
        maps = self.maps[layer][index]                                          # (C, h, w)
        tiles = mosaic(maps)
        self.map_img.set_data(tiles)
        self.ax_maps.set_title(f"conv {layer + 1}: {maps.shape[0]} feature maps (ReLU outputs)", fontsize=9, y=1.0)
        if tiles.shape != self._shape:   # another mosaic shape: fit the panel to it (aspect 1)
            self.map_img.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
            self.ax_maps.apply_aspect()    # what a full draw would do first; a blit does not
            self._shape = tiles.shape
        p = self.probs[index]
        pred, true = int(p.argmax()), int(self.labels[index])
        for k, bar in enumerate(self.bars):
            bar.set_width(p[k])
            # the true class in blue, a wrong prediction in vermillion with hatching (not colour alone)
            bar.set_facecolor(OKABE_ITO["blue"] if k == true else (OKABE_ITO["vermillion"] if k == pred else "lightgray"))
            bar.set_hatch("//" if k == pred and k != true else "")
        strongest = int(maps.mean(axis=(1, 2)).argmax())
        verdict = "correct" if pred == true else "WRONG"
        return (f"test image {index}: true {true}, predicted {pred} (p = {p[pred]:.2f}, {verdict}); "
                f"the most active of the {maps.shape[0]} maps is #{strongest}")


# ----------------------------------------------------------------------------- static figures
def filters_figure(weight: np.ndarray, columns: int = 8) -> Figure:
    """A first conv layer's kernels (C_out, 1, k, k), each on a symmetric blue-red scale."""
    weight = check_array(weight, "weight", ndim=4)
    tiles = mosaic(weight[:, 0], columns)   # each kernel scaled by its own max |w|
    rows, cols = -(-len(weight) // columns), min(columns, len(weight))
    fig = new_figure(1.6 + 0.75 * cols * weight.shape[3] / 3, 0.7 + 0.75 * rows * weight.shape[2] / 3)
    ax = fig.add_subplot()
    im = ax.imshow(tiles, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(im, ax=ax, fraction=0.03, label="w / max|w|")
    _bare(ax, f"the {len(weight)} learned {weight.shape[2]}×{weight.shape[3]} kernels of the first layer")
    fig.tight_layout()
    return fig


def confusion_figure(matrix: np.ndarray, title: str = "confusion matrix (test set)") -> Figure:
    """Counts M[true, predicted] with the numbers written in; the diagonal holds the correct ones.

    The colour (a sequential map on a log scale, with its colour bar) shows the size of each count;
    the numbers carry it exactly, and a mistake (off the diagonal) is framed.
    """
    from matplotlib.colors import SymLogNorm

    matrix = check_array(matrix, "matrix", ndim=2, dtype="int")
    K = matrix.shape[0]
    fig = new_figure(4.8, 4.0)
    ax = fig.add_subplot()
    norm = SymLogNorm(linthresh=1, vmin=0, vmax=max(int(matrix.max()), 2))
    im = ax.imshow(matrix, cmap=SEQUENTIAL_CMAP, norm=norm)
    fig.colorbar(im, ax=ax, fraction=0.046, label="test digits (log scale)")
    for (t, p), v in np.ndenumerate(matrix):
        if v:
            bright = norm(v) > 0.6  # viridis is light at the top: dark text there
            ax.text(p, t, str(v), ha="center", va="center", fontsize=9, color="black" if bright else "white")
            if t != p:
                ax.add_patch(Rectangle((p - 0.5, t - 0.5), 1, 1, fill=False, ec=OKABE_ITO["orange"], lw=2))
    ax.set(xticks=range(K), yticks=range(K), xlabel="predicted class", ylabel="true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def gradient_flow_figure(norms: dict[str, np.ndarray], losses: dict[str, list[float]]) -> Figure:
    """Left: gradient norm of each convolution's weights (input → output) at initialisation, log
    scale. Right: the training loss of each network. One line per name in both panels."""
    fig = new_figure(8.4, 3.0)
    ax_g, ax_l = fig.subplots(1, 2)
    for name, g in norms.items():
        g = check_array(g, f"norms[{name!r}]", ndim=1)
        ax_g.semilogy(np.arange(1, len(g) + 1), np.maximum(g, 1e-30), marker=".", label=name)
        ax_l.plot(np.asarray(losses[name], dtype=float), lw=1, label=name)
    ax_g.set(xlabel="convolution layer (1 = next to the input)", ylabel="‖∂ℒ/∂W‖ at initialisation")
    ax_g.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_l.axhline(np.log(10), color="gray", ls=":", lw=1, label="chance: ln 10")
    ax_l.set(xlabel="training step", ylabel="cross-entropy loss")
    for ax in (ax_g, ax_l):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig
