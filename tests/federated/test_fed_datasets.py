"""Datasets: digits split, synthetic generators, the IDX loader (tiny files written here)."""

import gzip
import struct

import numpy as np
import pytest

from edgelab.datasets import (
    IdxFormatError,
    load_digits_split,
    load_idx,
    synthetic_classification,
    synthetic_stream,
    write_idx,
)
from edgelab.errors import EdgelabError


def test_digits_split_shapes_and_range():
    s = load_digits_split(seed=0)
    assert s.x_train.shape == (1437, 64) and s.x_test.shape == (360, 64)
    assert float(s.x_train.min()) >= 0 and float(s.x_train.max()) <= 1
    img = load_digits_split(seed=0, shape="image")
    assert img.x_train.shape == (1437, 1, 8, 8)
    assert (img.y_train == s.y_train).all()
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(test_size=1.0)
    with pytest.raises(ValueError, match="shape"):
        load_digits_split(shape="cube")


@pytest.mark.parametrize("seed,test_size", [(0, 0.2), (3, 0.25)])
def test_digits_split_matches_sklearn(seed, test_size):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    xtr, xte, ytr, yte = train_test_split(d.data / 16.0, d.target, test_size=test_size,
                                          random_state=seed)
    s = load_digits_split(seed=seed, test_size=test_size)
    assert np.allclose(s.x_train.numpy(), xtr) and np.allclose(s.x_test.numpy(), xte)
    assert (s.y_train.numpy() == ytr).all() and (s.y_test.numpy() == yte).all()


def test_synthetic_is_seeded():
    a, b = synthetic_classification(200, seed=1), synthetic_classification(200, seed=1)
    assert (a.x_train == b.x_train).all() and a.n_classes == 10
    batches = list(synthetic_stream(3, batch_size=5, seed=0))
    assert len(batches) == 3 and batches[0][0].shape == (5, 8)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(2 * 3 * 4) % 100).astype(dtype).reshape(2, 3, 4)
    p = write_idx(tmp_path / ("x.idx" + (".gz" if gz else "")), a)
    b = load_idx(p)
    assert b.dtype == np.dtype(dtype) and b.shape == (2, 3, 4) and (a == b).all()


def test_idx_mnist_style_header(tmp_path):
    # hand-written like MNIST's train-labels: magic 0x00000801, count, then bytes
    body = struct.pack(">HBBI", 0, 0x08, 1, 5) + bytes([7, 2, 1, 0, 4])
    p = tmp_path / "labels-idx1-ubyte.gz"
    p.write_bytes(gzip.compress(body))
    assert load_idx(p).tolist() == [7, 2, 1, 0, 4]


@pytest.mark.parametrize("raw,match", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01", "needs"),
])
def test_idx_bad_files(tmp_path, raw, match):
    p = tmp_path / "bad.idx"
    p.write_bytes(raw)
    with pytest.raises(EdgelabError, match=match):
        load_idx(p)
    with pytest.raises(EdgelabError, match="not found"):
        load_idx(tmp_path / "missing.idx")


# ------------------------------------------------------------- bounded IDX reading
def _idx(shape, code=0x08, body=None):
    head = struct.pack(">HBB", 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    n = int(np.prod(shape)) if shape else 1
    return head + (bytes(n) if body is None else body)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_file_names_the_file(tmp_path, gz):
    raw = _idx((4, 5))[:-3]  # header says 20 bytes, 17 are there
    p = tmp_path / ("short.idx" + (".gz" if gz else ""))
    p.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(IdxFormatError, match=r"path: an IDX file whose body matches its header, "
                                             r"got '.*short\.idx.*'.* 17 bytes.*needs 20"):
        load_idx(p)
    with pytest.raises(ValueError):  # IdxFormatError is a ValueError (and an EdgelabError)
        load_idx(p)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_trailing_data_is_rejected(tmp_path, gz):
    raw = _idx((2, 2)) + b"\x00" * 5
    p = tmp_path / "long.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(IdxFormatError, match="long.idx.*needs 4"):
        load_idx(p)


def test_idx_gzip_bomb_stops_at_the_cap(tmp_path, monkeypatch):
    # 64 MiB of zeros compress to ~64 KiB; the header claims just 1,000 bytes
    p = tmp_path / "bomb.idx.gz"
    with gzip.open(p, "wb", compresslevel=9) as f:
        f.write(_idx((1000,)))
        for _ in range(64):
            f.write(bytes(1 << 20))
    assert p.stat().st_size < 1 << 20
    reads = []
    real_read = gzip.GzipFile.read

    def counting_read(self, n=-1):
        data = real_read(self, n)
        reads.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(IdxFormatError, match="bomb.idx.gz.*more than 1000"):
        load_idx(p)
    assert sum(reads) <= 4 + 4 + 1000 + 1  # header, dims, body, one byte past it
    monkeypatch.undo()


@pytest.mark.parametrize("gz", [False, True])
def test_idx_header_over_the_cap_is_rejected_before_reading(tmp_path, gz):
    raw = _idx((10, 10, 10))  # 1,000 bytes of body + 16 of header
    p = tmp_path / "big.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    assert load_idx(p, max_bytes=1016).shape == (10, 10, 10)
    with pytest.raises(IdxFormatError, match=r"at most max_bytes=1015 bytes, got '.*big\.idx'.*"
                                             r"\(10, 10, 10\).*1016 bytes"):
        load_idx(p, max_bytes=1015)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_huge_declared_dims_fail_fast(tmp_path, gz):
    # 255 dimensions of 2**32-1: the product overflows int64; no allocation is attempted
    raw = struct.pack(">HBB", 0, 0x0D, 255) + b"\xff" * (4 * 255) + b"\x00" * 8
    p = tmp_path / "dims.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(IdxFormatError, match=r"max_bytes=1073741824 bytes, got .*dims\.idx.* "
                                             r"255 dimensions\) of float32 "
                                             r"\(over 10\*\*18 bytes\)"):
        load_idx(p)


def test_idx_inconsistent_dims_plain_file(tmp_path):
    p = tmp_path / "dims2.idx"
    p.write_bytes(_idx((3, 3), body=bytes(6)))  # header: 9 bytes of body, 6 there
    with pytest.raises(IdxFormatError, match=r"dims2.idx.*body has 6 bytes, shape \(3, 3\) of "
                                             r"uint8 needs 9"):
        load_idx(p)


def test_idx_corrupt_gzip_names_the_file(tmp_path):
    good = gzip.compress(_idx((50,)))
    p = tmp_path / "corrupt.idx.gz"
    p.write_bytes(good[:-12])  # cut into the deflate stream and trailer
    with pytest.raises(IdxFormatError, match=r"path: a valid gzip file, got '.*corrupt\.idx\.gz'"):
        load_idx(p)


@pytest.mark.parametrize("bad", [3, -1, True, 1.5, "10"])
def test_idx_max_bytes_is_checked(tmp_path, bad):
    p = write_idx(tmp_path / "ok.idx", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="max_bytes: an integer ≥ 4, got"):
        load_idx(p, max_bytes=bad)


def test_write_idx_is_atomic_and_reproducible(tmp_path, monkeypatch):
    from edgelab import _io

    a = np.arange(12, dtype=np.int16).reshape(3, 4)
    p = write_idx(tmp_path / "a.idx.gz", a)
    first = p.read_bytes()
    assert write_idx(p, a).read_bytes() == first  # no timestamp in the gzip header
    def replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(_io.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        write_idx(p, np.zeros(5, np.uint8))
    assert p.read_bytes() == first and sorted(x.name for x in tmp_path.iterdir()) == ["a.idx.gz"]
