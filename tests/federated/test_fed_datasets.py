"""Datasets: digits split, synthetic generators, the IDX loader (tiny files written here)."""

import gzip
import struct

import numpy as np
import pytest

from edgelab.datasets import (
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
