"""The wire format of the runtime: length-prefixed frames of raw tensor bytes (seed 003 §V-C.2).

A split DNN sends the activations that cross the cut from the device to the server (Neurosurgeon,
seed 003 §V-C.2); a federated round sends model updates (§IV-B). Both travel here as frames:

    header  = magic b"EL" | version u8 | flags u8 | dtype u8 | ndim u8 | nbytes u64 | ndim x u32
    payload = nbytes raw bytes, C order, little endian (the tensor's own memory)

all integers big endian. ``flags`` bit 0 says that another tensor of the same message follows
(a DAG cut sends several tensors), bit 1 marks an error frame (payload: a UTF-8 message).
Nothing received is unpickled or ``torch.load``-ed: the decoder checks the magic, version,
dtype code, rank, every dimension and that ``nbytes`` equals the element count times the item
size and stays under a cap, *before* reading the payload. Every read has a deadline.
"""

from __future__ import annotations

import math
import socket
import struct
import time
from dataclasses import dataclass

import numpy as np
import torch

from edgelab.errors import EdgelabError

__all__ = [
    "MAGIC", "VERSION", "DTYPES", "MAX_NDIM", "DEFAULT_MAX_FRAME_BYTES", "FrameError",
    "FrameHeader", "encode_header", "decode_header", "header_size", "encode_tensor",
    "encode_message", "decode_payload", "recv_exact", "read_message", "send_error",
    "message_wire_bytes",
]

MAGIC = b"EL"
VERSION = 1
FLAG_MORE = 1
FLAG_ERROR = 2
_FIXED = struct.Struct("!2sBBBBQ")  # magic, version, flags, dtype, ndim, nbytes
#: dtype codes on the wire (a closed list: nothing else is accepted)
DTYPES: dict[int, torch.dtype] = {1: torch.float32, 2: torch.float16, 3: torch.int64,
                                  4: torch.int32, 5: torch.uint8, 6: torch.int8,
                                  7: torch.float64, 8: torch.bfloat16}
_CODES = {v: k for k, v in DTYPES.items()}
MAX_NDIM = 8
#: default cap on one frame's payload: 64 MiB
DEFAULT_MAX_FRAME_BYTES = 64 * 2**20
#: most tensors in one message
MAX_TENSORS = 64


class FrameError(EdgelabError, ValueError):
    """A frame that breaks the wire format (bad magic, dtype, shape, size) or a peer that
    stopped or timed out mid-frame (seed 003 §V-C.2)."""


@dataclass(frozen=True)
class FrameHeader:
    """What a header announces (seed 003 §V-C.2): flags, dtype, shape and the payload size."""

    flags: int
    dtype: torch.dtype | None  # None on an error frame
    shape: tuple[int, ...]
    nbytes: int

    @property
    def more(self) -> bool:
        """Whether another tensor of the same message follows."""
        return bool(self.flags & FLAG_MORE)

    @property
    def is_error(self) -> bool:
        """Whether the payload is an error message from the peer."""
        return bool(self.flags & FLAG_ERROR)


def header_size(ndim: int) -> int:
    """Bytes of a header for a tensor of rank ``ndim`` (seed 003 §V-C.2)."""
    return _FIXED.size + 4 * ndim


def encode_header(dtype: torch.dtype | None, shape: tuple[int, ...], nbytes: int,
                  flags: int = 0) -> bytes:
    """The header of one frame (seed 003 §V-C.2); ``dtype=None`` for an error frame."""
    code = 0 if dtype is None else _CODES.get(dtype)
    if code is None:
        raise FrameError(f"dtype must be one of {', '.join(str(d) for d in _CODES)}, got {dtype}")
    if len(shape) > MAX_NDIM:
        raise FrameError(f"tensor rank must be at most {MAX_NDIM}, got {len(shape)}")
    return _FIXED.pack(MAGIC, VERSION, flags, code, len(shape), nbytes) + struct.pack(
        f"!{len(shape)}I", *shape)


def decode_header(fixed: bytes, dims: bytes | None = None,
                  max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> FrameHeader:
    """Check and decode a header (seed 003 §V-C.2). ``fixed`` is the first
    :func:`header_size`\\ (0) bytes; ``dims`` the ``4 * ndim`` bytes after them (``None``: check the
    fixed part alone, before reading the shape; the shape is then left empty).

    Raises :class:`FrameError` naming what is wrong: magic, version, flags, dtype, rank, a
    dimension, a size over ``max_frame_bytes`` or a size that does not match the shape.
    """
    if len(fixed) != _FIXED.size:
        raise FrameError(f"frame header must be {_FIXED.size} bytes, got {len(fixed)}")
    magic, version, flags, code, ndim, nbytes = _FIXED.unpack(fixed)
    if magic != MAGIC:
        raise FrameError(f"frame magic must be {MAGIC!r}, got {magic!r}")
    if version != VERSION:
        raise FrameError(f"frame version must be {VERSION}, got {version}")
    if flags & ~(FLAG_MORE | FLAG_ERROR):
        raise FrameError(f"frame flags must use bits 0-1 only, got {flags:#x}")
    if ndim > MAX_NDIM:
        raise FrameError(f"frame rank must be at most {MAX_NDIM}, got {ndim}")
    if nbytes > max_frame_bytes:
        raise FrameError(f"frame payload of {nbytes} bytes is over the cap of "
                         f"{max_frame_bytes} bytes (max_frame_bytes)")
    if flags & FLAG_ERROR:
        if code != 0 or ndim != 0:
            raise FrameError("an error frame must have dtype code 0 and rank 0")
        return FrameHeader(flags, None, (), nbytes)
    if code not in DTYPES:
        raise FrameError(f"frame dtype code must be one of {sorted(DTYPES)}, got {code}")
    if dims is None:
        return FrameHeader(flags, DTYPES[code], (), nbytes)
    if len(dims) != 4 * ndim:
        raise FrameError(f"frame shape must be {4 * ndim} bytes for rank {ndim}, got {len(dims)}")
    shape = struct.unpack(f"!{ndim}I", dims)
    dtype = DTYPES[code]
    expect = math.prod(shape) * dtype.itemsize
    if expect != nbytes:
        raise FrameError(f"frame payload must be {expect} bytes for shape {shape} of {dtype}, "
                         f"header says {nbytes}")
    return FrameHeader(flags, dtype, tuple(shape), nbytes)


def _raw(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def encode_tensor(t: torch.Tensor, more: bool = False) -> bytes:
    """One frame: the header and the tensor's raw bytes (seed 003 §V-C.2)."""
    if not isinstance(t, torch.Tensor):
        raise FrameError(f"payload must be a torch.Tensor, got {type(t).__name__}")
    raw = _raw(t)
    return encode_header(t.dtype, tuple(t.shape), len(raw), FLAG_MORE if more else 0) + raw


def encode_message(tensors: list[torch.Tensor] | tuple[torch.Tensor, ...]) -> bytes:
    """A message: one frame per tensor, each but the last flagged ``more`` (seed 003 §V-C.2)."""
    if not 1 <= len(tensors) <= MAX_TENSORS:
        raise FrameError(f"a message must hold 1 to {MAX_TENSORS} tensors, got {len(tensors)}")
    return b"".join(encode_tensor(t, i < len(tensors) - 1) for i, t in enumerate(tensors))


def message_wire_bytes(tensors: list[torch.Tensor] | tuple[torch.Tensor, ...]) -> tuple[int, int]:
    """``(payload bytes, header bytes)`` of :func:`encode_message` without encoding it."""
    payload = sum(t.numel() * t.element_size() for t in tensors)
    return int(payload), int(sum(header_size(t.dim()) for t in tensors))


def decode_payload(header: FrameHeader, payload: bytes | bytearray) -> torch.Tensor:
    """The tensor of a checked header and its payload, a copy owned by torch (seed 003 §V-C.2)."""
    if len(payload) != header.nbytes:
        raise FrameError(f"frame payload must be {header.nbytes} bytes, got {len(payload)}")
    if header.dtype is None:
        raise FrameError("an error frame carries no tensor")
    buf = bytearray(payload)
    if header.dtype == torch.bfloat16:
        arr = np.frombuffer(buf, dtype="<i2")
        return torch.from_numpy(arr.copy()).view(torch.bfloat16).reshape(header.shape)
    if header.nbytes == 0:
        return torch.empty(header.shape, dtype=header.dtype)
    return torch.frombuffer(buf, dtype=header.dtype).reshape(header.shape)


def recv_exact(sock: socket.socket, n: int, deadline: float) -> bytearray:
    """Read exactly ``n`` bytes before ``deadline`` (``time.monotonic()``; seed 003 §V-C.2).

    Raises :class:`FrameError` if the peer closes or the deadline passes mid-read: a client
    that dies mid-frame costs the server at most the remaining time, never a hang.
    """
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FrameError(f"read timed out with {got} of {n} bytes received")
        sock.settimeout(left)
        try:
            k = sock.recv_into(view[got:], n - got)
        except TimeoutError as e:
            raise FrameError(f"read timed out with {got} of {n} bytes received") from e
        except OSError as e:
            raise FrameError(f"connection failed mid-frame ({e})") from e
        if k == 0:
            raise FrameError(f"peer closed the connection with {got} of {n} bytes received")
        got += k
    return buf


def read_message(sock: socket.socket, timeout_s: float,
                 max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 stats: dict[str, float] | None = None) -> list[torch.Tensor]:
    """Read one message (1 to ``MAX_TENSORS`` frames) within ``timeout_s`` (seed 003 §V-C.2).

    An error frame from the peer raises :class:`FrameError` with its text. ``stats``, when
    given, receives ``decode_s`` (seconds spent turning payloads into tensors, the
    deserialisation term) and ``wire_bytes`` (headers and payloads read).
    """
    deadline = time.monotonic() + timeout_s
    out: list[torch.Tensor] = []
    while True:
        fixed = bytes(recv_exact(sock, _FIXED.size, deadline))
        head = decode_header(fixed, max_frame_bytes=max_frame_bytes)
        dims = b""
        if not head.is_error:
            dims = bytes(recv_exact(sock, 4 * fixed[5], deadline)) if fixed[5] else b""
            head = decode_header(fixed, dims, max_frame_bytes)
        payload = recv_exact(sock, head.nbytes, deadline)
        if head.is_error:
            raise FrameError("peer reported: " + payload.decode("utf-8", "replace"))
        t0 = time.perf_counter()
        out.append(decode_payload(head, payload))
        if stats is not None:
            stats["decode_s"] = stats.get("decode_s", 0.0) + time.perf_counter() - t0
            stats["wire_bytes"] = stats.get("wire_bytes", 0.0) + len(fixed) + len(dims) + len(payload)
        if not head.more:
            return out
        if len(out) >= MAX_TENSORS:
            raise FrameError(f"a message must hold at most {MAX_TENSORS} tensors")


def send_error(sock: socket.socket, message: str) -> None:
    """Send an error frame (best effort: a peer that has gone is ignored; seed 003 §V-C.2)."""
    data = message.encode("utf-8")[:4096]
    try:
        sock.sendall(encode_header(None, (), len(data), FLAG_ERROR) + data)
    except OSError:
        pass
