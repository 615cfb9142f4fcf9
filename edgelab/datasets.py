"""Small real and synthetic data sets, and an MNIST IDX reader; nothing is downloaded.

Seed 003 §IV (training at the edge) and §IV-C.1 (federated learning) need data that lives on
many clients. The real data is scikit-learn's bundled 8×8 digits (1,797 images, shipped inside
scikit-learn); the synthetic generators are seeded Gaussian classes and a drifting stream; and
:func:`load_idx` reads MNIST-format IDX files a reader may already have on disk.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from edgelab._validate import choice, integer_in, positive
from edgelab.errors import EdgelabError

__all__ = [
    "DataSplit",
    "load_digits_arrays",
    "load_digits_split",
    "synthetic_classification",
    "synthetic_stream",
    "load_idx",
    "write_idx",
]

SHAPES = ("flat", "image")


@dataclass(frozen=True)
class DataSplit:
    """Train and test tensors: ``x`` float32 in [0, 1], ``y`` int64 class labels (seed 003 §IV-C.1)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int

    def __iter__(self):  # allows ``xtr, ytr, xte, yte = split``
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))


def _digits_csv() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if p.is_file():
            return p
    return None


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    # Read scikit-learn's bundled file directly: importing sklearn.datasets costs ~1-2 s,
    # a large share of a quick chapter. Same parsing as sklearn.datasets.load_digits.
    path = _digits_csv()
    if path is not None:
        raw = np.loadtxt(path, delimiter=",")
        data, target = raw[:, :-1], raw[:, -1].astype(np.int64)
    else:  # pragma: no cover - a scikit-learn without the csv file
        from sklearn.datasets import load_digits

        d = load_digits()
        data, target = d.data, d.target.astype(np.int64)
    x, y = (data / 16.0).astype(np.float32), target
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits as ``(X, y)``: X float32 (1797, 64) scaled to [0, 1].

    The raw pixels are integers 0..16 (seed 003 §II-D uses digits-sized models), so X = pixels / 16.
    Read once per process; each call returns fresh copies.
    """
    x, y = _digits()
    return x.copy(), y.copy()


def load_digits_split(seed: int = 0, test_size: float = 0.2, shape: str = "flat",
                      standardize: bool = False) -> DataSplit:
    """Digits split into train/test exactly as ``sklearn.model_selection.train_test_split``
    (shuffled, ``random_state=seed``, not stratified) (seed 003 §IV-C.1).

    ``test_size`` is the test fraction in (0, 1); ``shape`` is ``"flat"`` (N×64) or ``"image"``
    (N×1×8×8). The split is computed here (a permutation from ``RandomState(seed)``, the first
    ⌈test_size·N⌉ for test), which avoids importing scikit-learn; a test checks it matches.
    ``standardize=True`` scales each pixel to zero mean and unit variance with the *training*
    set's statistics (as scikit-learn's ``StandardScaler``; constant pixels are left centred).
    """
    t = positive("test_size", test_size)
    if not t < 1:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    choice("shape", shape, SHAPES)
    x, y = load_digits_arrays()
    n_test = int(np.ceil(t * len(y)))
    perm = np.random.RandomState(int(seed)).permutation(len(y))
    te, tr = perm[:n_test], perm[n_test:]
    xtr, xte, ytr, yte = x[tr], x[te], y[tr], y[te]
    if standardize:
        mu, sd = xtr.mean(0), xtr.std(0)
        sd = np.where(sd > 0, sd, 1.0).astype(np.float32)
        xtr, xte = ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)
    if shape == "image":
        xtr, xte = xtr.reshape(-1, 1, 8, 8), xte.reshape(-1, 1, 8, 8)
    return DataSplit(torch.from_numpy(np.ascontiguousarray(xtr)), torch.from_numpy(ytr),
                     torch.from_numpy(np.ascontiguousarray(xte)), torch.from_numpy(yte), 10)


def synthetic_classification(n_samples: int = 2000, n_features: int = 64, n_classes: int = 10,
                             class_sep: float = 1.0, seed: int = 0,
                             test_size: float = 0.2) -> DataSplit:
    """Seeded Gaussian classes squashed into [0, 1] (seed 003 §IV-C.1, a stand-in for client data).

    Each class has a random mean (scaled by ``class_sep``) and unit covariance; features pass
    through a logistic so that they lie in [0, 1] like the digits pixels.
    """
    c = integer_in("n_classes", n_classes, 2, 10**5)
    n = integer_in("n_samples", n_samples, 2 * c, 10**8)
    d = integer_in("n_features", n_features, 1, 10**6)
    sep = positive("class_sep", class_sep)
    t = positive("test_size", test_size)
    if not t < 1:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, sep, size=(c, d))
    y = rng.integers(0, c, size=n)
    x = means[y] + rng.normal(size=(n, d))
    x = (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
    n_test = max(1, int(round(t * n)))
    perm = rng.permutation(n)
    te, tr = perm[:n_test], perm[n_test:]
    return DataSplit(torch.from_numpy(x[tr]), torch.from_numpy(y[tr].astype(np.int64)),
                     torch.from_numpy(x[te]), torch.from_numpy(y[te].astype(np.int64)), c)


def synthetic_stream(n_batches: int = 10, batch_size: int = 32, n_features: int = 8,
                     n_classes: int = 2, drift: float = 0.1,
                     seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(x, y)`` batches from Gaussian classes whose means drift each batch (seed 003 §IV-A).

    A stand-in for the data an end device sees over time: ``drift`` is the standard deviation
    of the random walk of every class mean per batch.
    """
    nb = integer_in("n_batches", n_batches, 1, 10**7)
    b = integer_in("batch_size", batch_size, 1, 10**7)
    d = integer_in("n_features", n_features, 1, 10**6)
    c = integer_in("n_classes", n_classes, 2, 10**5)
    dr = positive("drift", drift, allow_zero=True)
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 2.0, size=(c, d))
    for _ in range(nb):
        y = rng.integers(0, c, size=b)
        x = means[y] + rng.normal(size=(b, d))
        yield torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
        means = means + rng.normal(0.0, dr, size=means.shape)


# ----------------------------------------------------------------------------- IDX (MNIST)
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}


def _open_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise EdgelabError(f"{path}: not a valid gzip file ({e})") from None
    return raw


def load_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format; ``.gz`` accepted) into a numpy array.

    The header is two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
    0x0D float, 0x0E double), the number of dimensions, then one big-endian uint32 per
    dimension. Returns a native-endian array of that shape. Used for MNIST-sized federated
    experiments (seed 003 §IV-C.1) when the files are already on disk: nothing is downloaded.
    """
    p = Path(path)
    if not p.is_file():
        raise EdgelabError(f"IDX file not found: {p}")
    data = _open_bytes(p)
    if len(data) < 4:
        raise EdgelabError(f"{p}: too short to be an IDX file ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _IDX_DTYPES:
        raise EdgelabError(f"{p}: bad IDX magic number {data[:4].hex()} (expected 0000 then a "
                           f"type byte in {[hex(k) for k in _IDX_DTYPES]})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise EdgelabError(f"{p}: truncated IDX header ({ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4:header]) if ndim else ()
    dt = _IDX_DTYPES[code]
    count = int(np.prod(shape, dtype=np.int64)) if ndim else 1
    need = header + count * dt.itemsize
    if len(data) != need:
        raise EdgelabError(f"{p}: IDX body has {len(data) - header} bytes, shape {tuple(shape)} "
                           f"of {dt.name} needs {need - header}")
    arr = np.frombuffer(data, dtype=dt, count=count, offset=header).reshape(shape)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip if the name ends in ``.gz``); the inverse of :func:`load_idx`.

    Handy for tests and for exporting a federated client's shard in the MNIST format (seed 003 §IV-C.1).
    """
    a = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("=").str: k for k, v in _IDX_DTYPES.items()}
    key = a.dtype.newbyteorder("=").str
    if key not in codes:
        raise ValueError(f"array dtype must be one of uint8, int8, int16, int32, float32, "
                         f"float64 for IDX; got {a.dtype}")
    code = codes[key]
    body = struct.pack(">HBB", 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    body += a.astype(_IDX_DTYPES[code]).tobytes()
    p = Path(path)
    p.write_bytes(gzip.compress(body) if p.suffix == ".gz" else body)
    return p
