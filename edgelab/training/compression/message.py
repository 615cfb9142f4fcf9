"""The wire format of a compressed gradient and its exact size (seed 003 §IV-C.3).

A compressor turns a stacked ``(clients × parameters)`` float32 tensor into an :class:`Encoded`
message: the tensors that would travel (in their wire dtypes) plus the exact bytes each client
row costs, split into parts (``values``, ``indices``, ``norms``, ``signs``, ``header``). The
counts are not estimates: :func:`wire_bytes` recomputes them from the tensors' own storage, and
the tests check both agree. Indices are int32 by default (the usual wire format, and the reason
a 0.1 % top-k costs about 500×, not 1000×: every value drags a 4-byte index along); ``"smallest"``
uses the smallest of uint8/int16/int32/int64 that holds the index range ``[0, n)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from edgelab._validate import choice

__all__ = ["Encoded", "INDEX_DTYPES", "index_dtype", "pack_bits", "unpack_bits", "wire_bytes", "part_bytes",
           "pack_codes", "unpack_codes",
           "as_rows", "client_rows", "FLOAT_BYTES"]

FLOAT_BYTES = 4
#: Index encodings: a fixed int32, or the smallest integer type that holds the range.
INDEX_DTYPES = ("int32", "smallest")
_LADDER = ((torch.uint8, 2**8), (torch.int16, 2**15), (torch.int32, 2**31), (torch.int64, 2**63))


def index_dtype(n: int, encoding: str = "int32") -> torch.dtype:
    """The wire dtype of an index into ``n`` coordinates (seed 003 §IV-C.3, Lin et al. 2018 DGC).

    ``"int32"`` always gives ``torch.int32`` (a ValueError past 2³¹ coordinates);
    ``"smallest"`` the first of uint8 (n ≤ 256), int16 (n ≤ 32 768), int32, int64 that holds
    ``n − 1``. (torch has no general uint16, so 32 769–65 536 coordinates take int32.)
    """
    choice("index_dtype", encoding, INDEX_DTYPES)
    if encoding == "int32":
        if n > 2**31:
            raise ValueError(f"index_dtype 'int32' holds at most 2**31 coordinates, got n={n}; "
                             "use 'smallest'")
        return torch.int32
    return next(dt for dt, cap in _LADDER if n <= cap)


def as_rows(g: torch.Tensor) -> torch.Tensor:
    """``g`` as a 2-D float32 ``(rows, n)`` tensor: a 1-D gradient is one row (seed 003 §IV-C.3).

    Raises a ValueError for other ranks, an empty tensor, or non-finite values.
    """
    if not isinstance(g, torch.Tensor):
        raise ValueError(f"gradient must be a torch.Tensor, got {type(g).__name__}")
    if g.dim() == 1:
        g = g.unsqueeze(0)
    if g.dim() != 2:
        raise ValueError(f"gradient must be 1-D (n,) or 2-D (clients, n), got shape {tuple(g.shape)}")
    if g.numel() == 0:
        raise ValueError(f"gradient must hold at least one value, got shape {tuple(g.shape)}")
    g = g.detach().to(torch.float32)
    if not bool(torch.isfinite(g).all()):
        raise ValueError("gradient must be finite, got NaN or infinity")
    return g


def client_rows(rows: torch.Tensor | np.ndarray | list[int] | None, n_rows: int) -> torch.Tensor:
    """Client ids of a batch as int64 ``(n_rows,)``; ``None`` means ``0..n_rows−1``
    (seed 003 §IV-C.3). Ids must be distinct and ≥ 0 (one state row per client)."""
    if rows is None:
        return torch.arange(n_rows, dtype=torch.int64)
    r = torch.as_tensor(np.asarray(rows), dtype=torch.int64).reshape(-1)
    if r.numel() != n_rows:
        raise ValueError(f"rows must name one client per gradient row ({n_rows}), got {r.numel()}")
    if r.numel() and int(r.min()) < 0:
        raise ValueError(f"rows must be client ids ≥ 0, got {int(r.min())}")
    if torch.unique(r).numel() != r.numel():
        raise ValueError("rows must be distinct client ids (one memory row per client)")
    return r


def pack_bits(bits: torch.Tensor) -> torch.Tensor:
    """Pack a boolean ``(rows, m)`` tensor 8 per byte, MSB first, into ``(rows, ⌈m/8⌉)`` uint8
    (seed 003 §IV-C.3; the wire format of signSGD, Bernstein et al. 2018)."""
    rows, m = bits.shape
    b = torch.nn.functional.pad(bits.to(torch.uint8), (0, (-m) % 8)).view(rows, -1, 8)
    out = b[:, :, 0] << 7
    for j in range(1, 8):  # eight shifts over all rows at once
        out |= b[:, :, j] << (7 - j)
    return out


def unpack_bits(packed: torch.Tensor, m: int) -> torch.Tensor:
    """Inverse of :func:`pack_bits`: the first ``m`` bits of each row as bool (seed 003 §IV-C.3)."""
    rows = packed.shape[0]
    bits = torch.stack([(packed >> (7 - j)) & 1 for j in range(8)], dim=2)
    return bits.view(rows, -1)[:, :m].bool()


def pack_codes(code: torch.Tensor, b: int) -> torch.Tensor:
    """Pack non-negative ``b``-bit integer codes ``(rows, n)`` into ``(rows, ⌈n·b/8⌉)`` uint8,
    the bit stream MSB first as :func:`pack_bits` would (seed 003 §IV-C.3: QSGD's wire format).

    When ``b`` divides 8 the codes are shifted into bytes directly (8/b shifts); otherwise
    through a ``(rows, n, b)`` bit tensor. Both give the same bytes.
    """
    rows, n = code.shape
    if 8 % b == 0:
        per = 8 // b
        c = torch.nn.functional.pad(code.to(torch.uint8), (0, (-n) % per)).view(rows, -1, per)
        out = c[:, :, 0] << (8 - b)
        for j in range(1, per):
            out |= c[:, :, j] << (8 - b * (j + 1))
        return out
    bits = torch.stack([((code >> sh) & 1).bool() for sh in range(b - 1, -1, -1)], dim=2)
    return pack_bits(bits.view(rows, n * b))


def unpack_codes(packed: torch.Tensor, n: int, b: int) -> torch.Tensor:
    """Inverse of :func:`pack_codes`: ``(rows, n)`` int32 codes (seed 003 §IV-C.3)."""
    rows = packed.shape[0]
    if 8 % b == 0:
        per, mask = 8 // b, (1 << b) - 1
        parts = [(packed >> (8 - b * (j + 1))) & mask for j in range(per)]
        return torch.stack(parts, dim=2).view(rows, -1)[:, :n].to(torch.int32)
    bits = unpack_bits(packed, n * b).view(rows, n, b)
    code = torch.zeros(rows, n, dtype=torch.int32)
    for j in range(b):
        code = (code << 1) | bits[:, :, j].to(torch.int32)
    return code


@dataclass(frozen=True)
class Encoded:
    """A compressed batch of gradients as it travels (seed 003 §IV-C.3; GRACE's design).

    ``tensors`` hold the wire payload in wire dtypes; ``parts`` the exact bytes per client row
    of each part (``values``, ``indices``, ``norms``, ``signs``, ``header``), int64 arrays of
    shape ``(rows,)``; ``meta`` what both sides know without sending it (``k``, a shared seed
    and step, the coordinate count). ``shape`` is ``(rows, n)`` of the dense input.
    """

    compressor: str
    shape: tuple[int, int]
    tensors: dict[str, torch.Tensor]
    parts: dict[str, np.ndarray]
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def nbytes(self) -> np.ndarray:
        """Exact bytes each client row sends, all parts together, ``(rows,)`` int64 (seed 003 §IV-C.3)."""
        out = np.zeros(self.shape[0], dtype=np.int64)
        for v in self.parts.values():
            out += np.asarray(v, dtype=np.int64)
        return out

    @property
    def total_bytes(self) -> int:
        """Bytes of the whole batch (seed 003 §IV-C.3)."""
        return int(self.nbytes.sum())

    @property
    def dense_bytes(self) -> int:
        """Bytes of the same rows sent as float32 (seed 003 §IV-C.3)."""
        return FLOAT_BYTES * self.shape[0] * self.shape[1]

    @property
    def ratio(self) -> float:
        """Compression ratio: dense float32 bytes / encoded bytes (seed 003 §IV-C.3, DGC's 270–600×)."""
        return self.dense_bytes / self.total_bytes


def wire_bytes(msg: Encoded) -> int:
    """Bytes of the payload tensors' own storage (numel × element size), summed (seed 003 §IV-C.3).

    Independent of :attr:`Encoded.parts`; the two must agree for every compressor.
    """
    return int(sum(t.numel() * t.element_size() for t in msg.tensors.values()))


def part_bytes(per_row: int | np.ndarray, rows: int) -> np.ndarray:
    """``per_row`` bytes broadcast to an int64 ``(rows,)`` array (seed 003 §IV-C.3)."""
    return np.broadcast_to(np.asarray(per_row, dtype=np.int64), (rows,)).copy()
