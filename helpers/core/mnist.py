"""MNIST from its original IDX files, read locally; downloaded only when explicitly asked.

The course runs offline on scikit-learn's 8×8 digits. If you want the real 28×28 MNIST (LeCun,
Bottou, Bengio & Haffner, 1998), put the four standard files in ``data/mnist/`` (gzipped or not)::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

or call ``load_mnist(download=True)`` on a machine that is online. Nothing here touches the
network unless ``download=True``.

The IDX format: two zero bytes, a data-type code, the number of dimensions ``ndim``; then
``ndim`` big-endian uint32 sizes; then the values, big-endian, in C order.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from helpers.core.data import DATA_DIR
from helpers.core.checks import check_array, check_choice, check_type

__all__ = ["IDX_DTYPES", "MNIST_DIR", "MNIST_FILES", "MNIST_MD5", "MIRRORS", "parse_idx", "read_idx",
           "write_idx", "mnist_available", "download_mnist", "load_mnist"]

IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
MNIST_DIR = DATA_DIR / "mnist"
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
MNIST_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of one (uncompressed) IDX file into an array in native byte order.

    Raises:
        ValueError: naming what was expected and what was found, for a truncated header, a bad
            magic number, an unknown type code, a zero dimension, or data shorter or longer than
            the header declares.
    """
    check_type(raw, "raw", (bytes, bytearray, memoryview), "the bytes of an IDX file")
    if len(raw) < 4:
        raise ValueError(f"{name}: too short for an IDX header, expected at least 4 bytes, got {len(raw)}")
    if raw[:2] != b"\x00\x00":
        raise ValueError(f"{name}: bad magic number, expected the file to start with bytes 00 00, "
                         f"got {raw[:2].hex(' ')} (not an IDX file, or still compressed?)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02x}, expected one of "
                         f"{', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}")
    if ndim == 0:
        raise ValueError(f"{name}: the header declares 0 dimensions, expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: header truncated, expected {header} bytes for {ndim} dimension sizes, got {len(raw)}")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    if 0 in shape:
        raise ValueError(f"{name}: the header declares shape {shape}, expected every dimension >= 1")
    dtype = IDX_DTYPES[code]
    want = int(np.prod(shape, dtype=object)) * dtype.itemsize
    got = len(raw) - header
    if got != want:
        problem = "data truncated" if got < want else "unexpected trailing bytes"
        raise ValueError(f"{name}: {problem}: shape {shape} of {dtype.name} needs {want} bytes after the "
                         f"header, got {got}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)  # the declared shape, C order
    return data.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gzipped or raw (recognised by its first bytes, not by its name)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path.name}: corrupted gzip data, expected a complete gzip stream "
                             f"({type(exc).__name__}: {exc})") from None
    return parse_idx(raw, path.name)


def write_idx(path: str | Path, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzipped if ``compress``, by default if the name ends in .gz)."""
    path = Path(path)
    array = check_array(array, "array", dtype="any")
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"array must have an IDX dtype (uint8, int8, int16, int32, float32, float64), got {array.dtype}")
    if array.ndim > 255:
        raise ValueError(f"array must have at most 255 dimensions, got {array.ndim}")
    raw = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
           + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes())
    if compress if compress is not None else path.suffix == ".gz":
        raw = gzip.compress(raw, mtime=0)
    path.write_bytes(raw)
    return path


def _find(root: Path, stem: str) -> Path | None:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def mnist_available(root: str | Path | None = None, split: str = "train") -> bool:
    """Whether both IDX files of ``split`` are present under ``root`` (default ``data/mnist``)."""
    check_choice(split, "split", list(MNIST_FILES))
    root = MNIST_DIR if root is None else Path(root)
    return all(_find(root, stem) is not None for stem in MNIST_FILES[split])


def _download(url: str, dest: Path, timeout: float = 60.0) -> None:
    """The module's only network access: fetch ``url`` into ``dest`` (via a temporary file)."""
    from urllib.request import urlopen

    tmp = dest.with_suffix(dest.suffix + ".part")
    with urlopen(url, timeout=timeout) as response:
        tmp.write_bytes(response.read())
    tmp.replace(dest)


def download_mnist(root: str | Path | None = None, split: str = "train") -> list[Path]:
    """Download ``split``'s two gzipped IDX files into ``root``, trying each mirror and checking MD5.

    Raises:
        ConnectionError: if no mirror delivered a file with the expected checksum (offline?).
    """
    check_choice(split, "split", list(MNIST_FILES))
    root = MNIST_DIR if root is None else Path(root)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem in MNIST_FILES[split]:
        name, errors = f"{stem}.gz", []
        dest = root / name
        for mirror in MIRRORS:
            try:
                _download(mirror + name, dest)
            except OSError as exc:  # URLError, timeouts and refused connections are OSErrors
                errors.append(f"{mirror}: {exc}")
                continue
            digest = hashlib.md5(dest.read_bytes()).hexdigest()
            if digest == MNIST_MD5[name]:
                break
            errors.append(f"{mirror}: MD5 {digest}, expected {MNIST_MD5[name]}")
            dest.unlink()
        else:
            raise ConnectionError(f"could not download {name} ({'; '.join(errors)}). Are you online? "
                                  f"Otherwise copy the IDX files into {root}")
        paths.append(dest)
    return paths


def load_mnist(split: str = "train", root: str | Path | None = None, download: bool = False,
               flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training (60,000) or test (10,000) handwritten digits from local IDX files.

    Args:
        split: "train" or "test".
        root: the folder holding the files (default ``data/mnist``).
        download: fetch missing files from a mirror first. Without it nothing touches the network
            and missing files raise a ``FileNotFoundError`` that says what to do.
        flatten: return images as (N, 784) rows instead of (N, 28, 28).

    Returns:
        images float64 in [0, 1], shape (N, 28, 28) or (N, 784); labels int64, shape (N,).
    """
    check_choice(split, "split", list(MNIST_FILES))
    root = MNIST_DIR if root is None else Path(root)
    if not mnist_available(root, split):
        if not download:
            raise FileNotFoundError(
                f"MNIST {split} files not found in {root}: expected {' and '.join(MNIST_FILES[split])} "
                "(optionally .gz). Nothing is downloaded unless you ask: call "
                f"load_mnist({split!r}, download=True) while online, or copy the files there.")
        download_mnist(root, split)
    img_path, lab_path = (_find(root, stem) for stem in MNIST_FILES[split])
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"{img_path.name}: expected uint8 images of shape (N, 28, 28), "
                         f"got {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{lab_path.name}: expected uint8 labels of shape (N,), got {labels.dtype} of shape {labels.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{img_path.name} holds {len(images)} images but {lab_path.name} {len(labels)} labels; "
                         "expected the same number")
    if labels.max() > 9:
        raise ValueError(f"{lab_path.name}: expected labels 0-9, got a maximum of {labels.max()}")
    X = images.astype(np.float64) / 255.0
    return (X.reshape(len(X), -1) if flatten else X), labels.astype(np.int64)  # (N, 784) or (N, 28, 28)
