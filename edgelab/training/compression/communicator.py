"""The communicator: memory ∘ compressor for a batch of clients, with exact bytes and timings
(seed 003 §IV-C.3; GRACE's ``Communicator``, Xu et al. 2021).

One :meth:`Communicator.exchange` is one round of gradient (or model-update) exchange: every
client row is compensated by the memory, compressed, "sent", decompressed by the server, the
memory learns what was actually sent, and the server aggregates. Compression and decompression
time is measured beside the bytes (grace#5: a compressor whose time eats the gain).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from edgelab._validate import choice
from edgelab.training.compression.compressors import (
    DGC,
    FP16,
    QSGD,
    Compressor,
    EFSignSGD,
    Int8,
    RandomK,
    SignSGD,
    Threshold,
    TopK,
)
from edgelab.training.compression.memory import MEMORIES, Memory
from edgelab.training.compression.message import Encoded, as_rows, client_rows

__all__ = ["Communicator", "Exchange", "COMPRESSORS", "make_communicator"]

#: Compressor names and classes.
COMPRESSORS: dict[str, type] = {c.name: c for c in (TopK, RandomK, Threshold, QSGD, SignSGD,
                                                    EFSignSGD, Int8, FP16, DGC)}


@dataclass(frozen=True)
class Exchange:
    """One round's result (seed 003 §IV-C.3): the server's ``update`` ``(n,)``, the decompressed
    rows, the message (its ``nbytes`` per client are exact) and host seconds spent compressing,
    decompressing and in the memory (compensate + update)."""

    update: torch.Tensor
    decompressed: torch.Tensor
    message: Encoded
    compress_s: float
    decompress_s: float
    memory_s: float = 0.0

    @property
    def bytes_up(self) -> np.ndarray:
        """Exact bytes each client sent (seed 003 §IV-C.3)."""
        return self.message.nbytes


@dataclass
class Communicator:
    """A compressor and a memory composed (seed 003 §IV-C.3).

    Refuses a memory the compressor cannot use, saying why (e.g. error feedback with unscaled
    signSGD).
    """

    compressor: Compressor
    memory: Memory

    def __post_init__(self) -> None:
        c, m = self.compressor, self.memory
        if m.name not in c.memories:
            why = c.memory_note or f"it works with {', '.join(map(repr, c.memories))}"
            raise ValueError(f"memory {m.name!r} cannot be used with compressor {c.name!r}: {why}")

    def exchange(self, grads: torch.Tensor, *, rows: torch.Tensor | np.ndarray | None = None,
                 step: int = 0, weights: torch.Tensor | np.ndarray | None = None) -> Exchange:
        """Compensate, compress, decompress, update the memory, aggregate (seed 003 §IV-C.3).

        ``grads`` is ``(clients, n)`` (or ``(n,)``); ``rows`` the clients' ids (their memory rows,
        and the seed of per-client noise), default ``0..R−1``; ``weights`` the aggregation
        weights (default equal).
        """
        g = as_rows(grads)
        ids = client_rows(rows, g.shape[0])
        t0 = time.perf_counter()
        p = self.memory.compensate(g, ids)
        t1 = time.perf_counter()
        msg = self.compressor.compress(p, step=step, rows=ids)
        t2 = time.perf_counter()
        dense = self.compressor.decompress(msg)
        t3 = time.perf_counter()
        self.memory.update(p, dense, ids, msg)
        t4 = time.perf_counter()
        w = None if weights is None else torch.as_tensor(np.asarray(weights), dtype=torch.float32)
        return Exchange(self.compressor.aggregate(dense, w), dense, msg, t2 - t1, t3 - t2,
                        (t1 - t0) + (t4 - t3))


def _build(kind: str, table: dict[str, type], name: str, params: dict[str, Any]) -> Any:
    cls = table[name]
    allowed = [f.name for f in dataclasses.fields(cls) if f.init and f.name != "store"]
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise ValueError(f"{kind} {name!r} takes {', '.join(allowed) or 'no parameters'}; got "
                         f"unknown {', '.join(bad)}")
    return cls(**params)


def make_communicator(compressor: str, memory: str = "auto", *,
                      memory_params: dict[str, Any] | None = None,
                      **params: Any) -> Communicator:
    """A :class:`Communicator` by names (seed 003 §IV-C.3).

    ``compressor`` is one of :data:`COMPRESSORS` (``topk``, ``randomk``, ``threshold``, ``qsgd``,
    ``signsgd``, ``efsignsgd``, ``int8``, ``fp16``, ``dgc``) with ``params`` its fields (e.g.
    ``density=0.01``); ``memory`` is ``none``, ``residual`` (error feedback), ``dgc`` or ``auto``
    (the compressor's default: residual for EF-signSGD, dgc for DGC, none otherwise).
    """
    choice("compressor", compressor, tuple(COMPRESSORS))
    choice("memory", memory, ("auto", *MEMORIES))
    comp = _build("compressor", COMPRESSORS, compressor, params)
    mem_name = comp.memories[0] if memory == "auto" else memory
    mem = _build("memory", MEMORIES, mem_name, dict(memory_params or {}))
    return Communicator(comp, mem)
