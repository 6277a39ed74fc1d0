"""The IDX reader and the MNIST loader on small files the tests write (never the network)."""
from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.core import mnist


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any download attempt fails the test unless a test installs its own fake downloader."""
    def forbidden(url, dest, timeout=60.0):
        raise AssertionError(f"the network was touched: {url}")
    monkeypatch.setattr(mnist, "_download", forbidden)


def _fake_mnist(root, split="train", n=12, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    img_stem, lab_stem = mnist.MNIST_FILES[split]
    suffix = ".gz" if gz else ""
    mnist.write_idx(root / f"{img_stem}{suffix}", images)
    mnist.write_idx(root / f"{lab_stem}{suffix}", labels)
    return images, labels


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (1, 1, 1, 2)])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, shape, compress):
    a = (np.arange(int(np.prod(shape))) % 100 - 50 * (np.dtype(dtype).kind != "u")).astype(dtype).reshape(shape)
    path = mnist.write_idx(tmp_path / "a.idx", a, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = mnist.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == shape and np.array_equal(back, a)


def test_header_layout_is_big_endian(tmp_path):
    raw = mnist.write_idx(tmp_path / "x", np.array([[1, 2, 3]], dtype=np.int16)).read_bytes()
    assert raw == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


@given(st.binary(max_size=64))
def test_arbitrary_bytes_parse_or_raise_value_error(raw):
    """Whatever the bytes, the parser returns an array or raises ValueError, nothing else."""
    try:
        out = mnist.parse_idx(raw)
    except ValueError:
        return
    assert isinstance(out, np.ndarray) and out.size >= 1


GOOD = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))


@pytest.mark.parametrize("raw,message", [
    (b"\x00\x00", "too short for an IDX header, expected at least 4 bytes, got 2"),
    (b"PK\x03\x04" + GOOD[4:], "bad magic number, expected .*00 00, got 50 4b"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "unknown IDX type code 0x07, expected one of 0x08"),
    (bytes([0, 0, 0x08, 0]), "declares 0 dimensions, expected at least 1"),
    (GOOD[:9], "header truncated, expected 12 bytes for 2 dimension sizes, got 9"),
    (bytes([0, 0, 0x08, 2, 0, 0, 0, 0, 0, 0, 0, 3]), r"shape \(0, 3\), expected every dimension >= 1"),
    (GOOD[:-2], r"data truncated: shape \(2, 3\) of uint8 needs 6 bytes after the header, got 4"),
    (GOOD + b"\x00", "unexpected trailing bytes.*needs 6 bytes after the header, got 7"),
])
def test_corrupted_files_raise_clear_value_errors(tmp_path, raw, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message):
        mnist.read_idx(path)
    gz = tmp_path / "bad-idx1-ubyte.gz"  # the same problems inside a valid gzip stream
    gz.write_bytes(gzip.compress(raw))
    with pytest.raises(ValueError, match=message):
        mnist.read_idx(gz)


def test_truncated_and_garbled_gzip(tmp_path):
    packed = gzip.compress(GOOD)
    (tmp_path / "short.gz").write_bytes(packed[:-6])
    with pytest.raises(ValueError, match="corrupted gzip data"):
        mnist.read_idx(tmp_path / "short.gz")
    (tmp_path / "garbled.gz").write_bytes(packed[:10] + b"\xff" * 12 + packed[22:])
    with pytest.raises(ValueError, match="corrupted gzip data"):
        mnist.read_idx(tmp_path / "garbled.gz")


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_local_files(tmp_path, gz):
    images, labels = _fake_mnist(tmp_path, "test", gz=gz)
    X, y = mnist.load_mnist("test", root=tmp_path)
    assert X.shape == (12, 28, 28) and X.dtype == np.float64 and 0 <= X.min() and X.max() <= 1
    assert np.allclose(X * 255, images) and np.array_equal(y, labels) and y.dtype == np.int64
    assert mnist.load_mnist("test", root=tmp_path, flatten=True)[0].shape == (12, 784)
    assert mnist.mnist_available(tmp_path, "test") and not mnist.mnist_available(tmp_path, "train")


def test_missing_files_raise_without_touching_the_network(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*Nothing is downloaded unless you ask.*download=True"):
        mnist.load_mnist("train", root=tmp_path)


def test_download_only_when_asked(tmp_path, monkeypatch):
    """download=True fetches missing files (a fake downloader here), checks their MD5, then loads."""
    source = tmp_path / "server"
    source.mkdir()
    _fake_mnist(source, "train", n=5)
    calls = []

    def fake_download(url, dest, timeout=60.0):
        calls.append(url)
        dest.write_bytes((source / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(mnist, "_download", fake_download)
    for stem in mnist.MNIST_FILES["train"]:
        name = f"{stem}.gz"
        monkeypatch.setitem(mnist.MNIST_MD5, name, hashlib.md5((source / name).read_bytes()).hexdigest())
    root = tmp_path / "local"
    X, y = mnist.load_mnist("train", root=root, download=True)
    assert X.shape == (5, 28, 28) and len(calls) == 2 and calls[0].startswith(mnist.MIRRORS[0])
    mnist.load_mnist("train", root=root, download=True)  # files present now: no second download
    assert len(calls) == 2


def test_download_failure_is_a_clear_connection_error(tmp_path, monkeypatch):
    def offline(url, dest, timeout=60.0):
        raise OSError("Name or service not known")

    monkeypatch.setattr(mnist, "_download", offline)
    with pytest.raises(ConnectionError, match="could not download t10k-images-idx3-ubyte.gz.*Are you online"):
        mnist.load_mnist("test", root=tmp_path, download=True)


def test_bad_checksum_is_rejected_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_download", lambda url, dest, timeout=60.0: dest.write_bytes(b"not mnist"))
    with pytest.raises(ConnectionError, match="MD5 .*expected f68b3c2d"):
        mnist.download_mnist(tmp_path, "train")
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()


@pytest.mark.parametrize("images,labels,message", [
    (np.zeros((3, 28, 27), np.uint8), np.zeros(3, np.uint8), r"expected uint8 images of shape \(N, 28, 28\), got uint8 of shape \(3, 28, 27\)"),
    (np.zeros((3, 28, 28), np.int16), np.zeros(3, np.uint8), "expected uint8 images.*got int16"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), r"expected uint8 labels of shape \(N,\), got uint8 of shape \(3, 1\)"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "holds 3 images but .* 4 labels"),
    (np.zeros((3, 28, 28), np.uint8), np.array([0, 1, 12], np.uint8), "expected labels 0-9, got a maximum of 12"),
])
def test_wrong_dimensions_or_contents(tmp_path, images, labels, message):
    img_stem, lab_stem = mnist.MNIST_FILES["train"]
    mnist.write_idx(tmp_path / img_stem, images)
    mnist.write_idx(tmp_path / lab_stem, labels)
    with pytest.raises(ValueError, match=message):
        mnist.load_mnist("train", root=tmp_path)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"split must be one of \['train', 'test'\], got 'val'"):
        mnist.load_mnist("val")
    with pytest.raises(ValueError, match="IDX dtype.*got complex128"):
        mnist.write_idx("unused", np.zeros(3, dtype=complex))
