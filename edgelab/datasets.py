"""Small real and synthetic data sets, and an MNIST IDX reader; nothing is downloaded.

Seed 003 §IV (training at the edge) and §IV-C.1 (federated learning) need data that lives on
many clients. The real data is scikit-learn's bundled 8×8 digits (1,797 images, shipped inside
scikit-learn); the synthetic generators are seeded Gaussian classes and a drifting stream; and
:func:`load_idx` reads MNIST-format IDX files a reader may already have on disk.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from edgelab._io import atomic_write_bytes
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
    "IdxFormatError",
    "IDX_MAX_BYTES",
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


#: Default bound on an IDX file's (decompressed) size: 1 GiB. MNIST's largest file is 47 MB.
IDX_MAX_BYTES = 1 << 30


class IdxFormatError(EdgelabError, ValueError):
    """An IDX file that is malformed, truncated, or larger than the bound :func:`load_idx` reads."""


def _read_exactly(f: BinaryIO, n: int) -> bytearray:
    """Up to ``n`` bytes from ``f`` (fewer only at end of stream), read in chunks of at most
    16 MiB, so memory follows the data actually there, not a size a header claims."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(n - len(buf), 1 << 24))
        if not chunk:
            break
        buf += chunk
    return buf


def load_idx(path: str | Path, *, max_bytes: int = IDX_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (the MNIST format; ``.gz`` accepted) into a numpy array.

    The header is two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
    0x0D float, 0x0E double), the number of dimensions, then one big-endian uint32 per
    dimension. Returns a native-endian array of that shape. Used for MNIST-sized federated
    experiments (seed 003 §IV-C.1) when the files are already on disk: nothing is downloaded.

    Bounded: the size the header declares must be at most ``max_bytes`` (checked before the
    body is read) and must match the data exactly. A gzip file is decompressed as a stream and
    never past the declared size plus one byte, so a small file that inflates to gigabytes is
    rejected after reading at most ``max_bytes + 1`` bytes. A malformed, truncated, oversized
    or overlong file raises :class:`IdxFormatError` (a ``ValueError``) naming the file.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer) or max_bytes < 4:
        raise ValueError(f"max_bytes: an integer ≥ 4, got {max_bytes!r}")
    p = Path(path)
    if not p.is_file():
        raise EdgelabError(f"IDX file not found: {p}")
    with open(p, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        try:
            if gz:
                with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                    return _parse_idx(f, p, int(max_bytes), None)
            return _parse_idx(raw, p, int(max_bytes), os.fstat(raw.fileno()).st_size)
        except (OSError, EOFError, zlib.error) as e:
            if not gz:
                raise
            raise IdxFormatError(f"path: a valid gzip file, got {str(p)!r} ({e})") from None


def _shape_text(shape: tuple[int, ...]) -> str:
    """A shape for a message: in full up to 6 dimensions, else the first 4 and the count."""
    if len(shape) <= 6:
        return str(tuple(shape))
    return f"({', '.join(map(str, shape[:4]))}, ... {len(shape)} dimensions)"


def _parse_idx(f: BinaryIO, p: Path, max_bytes: int, size: int | None) -> np.ndarray:
    """The array in the IDX stream ``f`` (``size``: its length when known, for a plain file)."""
    name = str(p)
    head = _read_exactly(f, 4)
    if len(head) < 4:
        raise IdxFormatError(f"path: an IDX file (at least a 4-byte header), got {name!r} "
                             f"({len(head)} bytes: too short)")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or code not in _IDX_DTYPES:
        raise IdxFormatError(f"path: an IDX file (magic 0000 then a type byte in "
                             f"{[hex(k) for k in _IDX_DTYPES]}), got {name!r} with bad magic "
                             f"number {bytes(head).hex()}")
    dims = _read_exactly(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxFormatError(f"path: a complete IDX header ({ndim} dimensions, "
                             f"{4 + 4 * ndim} bytes), got {name!r} (truncated IDX header)")
    shape = struct.unpack(f">{ndim}I", dims) if ndim else ()
    dt = _IDX_DTYPES[code]
    header = 4 + 4 * ndim
    body = math.prod(shape) * dt.itemsize  # Python ints: no overflow for any header
    if header + body > max_bytes:
        total = header + body
        size_text = f"{total} bytes" if total < 10**18 else "over 10**18 bytes"
        raise IdxFormatError(f"path: an IDX file of at most max_bytes={max_bytes} bytes, got "
                             f"{name!r} whose header declares shape {_shape_text(shape)} of "
                             f"{dt.name} ({size_text})")
    if size is not None and size != header + body:
        raise IdxFormatError(f"path: an IDX file whose body matches its header, got {name!r}: "
                             f"IDX body has {size - header} bytes, shape {tuple(shape)} of "
                             f"{dt.name} needs {body}")
    data = _read_exactly(f, body)
    extra = len(_read_exactly(f, 1)) if len(data) == body else 0
    if len(data) != body or extra:
        got = f"{len(data)}" if len(data) < body else f"more than {body}"
        raise IdxFormatError(f"path: an IDX file whose body matches its header, got {name!r}: "
                             f"IDX body has {got} bytes, shape {tuple(shape)} of {dt.name} "
                             f"needs {body}")
    arr = np.frombuffer(data, dtype=dt).reshape(shape)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip if the name ends in ``.gz``); the inverse of :func:`load_idx`.

    Handy for tests and for exporting a federated client's shard in the MNIST format (seed 003 §IV-C.1).
    The file is replaced atomically (:func:`edgelab._io.atomic_write_bytes`); a ``.gz`` file is
    byte-for-byte reproducible (no timestamp in its gzip header).
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
    return atomic_write_bytes(p, gzip.compress(body, mtime=0) if p.suffix == ".gz" else body)
