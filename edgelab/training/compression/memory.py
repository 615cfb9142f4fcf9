"""Memories: what a client keeps between rounds so that compression error is not lost
(seed 003 §IV-C.3: "sparsified SGD with memory", DGC's momentum correction).

GRACE's split (Xu et al. 2021): a memory ``compensate``\\ s the fresh gradient before the
compressor sees it and ``update``\\ s itself from what the compressor actually sent. State is
one row per client id, kept in a dense ``(clients, n)`` tensor that grows on demand, so a batch
of clients is compensated and updated with one indexed operation (no loop over clients).

* :class:`NoMemory` -- nothing is kept;
* :class:`ResidualMemory` -- error feedback: ``e ← (β·e + γ·g) − decompress(compress(β·e + γ·g))``
  (Stich et al. 2018; Karimireddy et al. 2019);
* :class:`DGCMemory` -- Deep Gradient Compression's local accumulation with momentum correction,
  local gradient clipping and momentum-factor masking (Lin et al. 2018 [53]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

import torch

from edgelab._validate import positive
from edgelab.training.compression.message import Encoded

__all__ = ["Memory", "NoMemory", "ResidualMemory", "DGCMemory", "MEMORIES"]


@dataclass
class _Store:
    """Per-client state rows, grown on demand (seed 003 §IV-C.3)."""

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)

    def table(self, key: str, rows: torch.Tensor, n: int) -> torch.Tensor:
        """The whole ``(clients, n)`` table of ``key``, grown to hold ``rows``."""
        t = self.tensors.get(key)
        need = int(rows.max()) + 1
        if t is not None and t.shape[1] != n:
            raise ValueError(f"gradient size changed from {t.shape[1]} to {n} between rounds")
        if t is None or t.shape[0] < need:
            grown = torch.zeros(max(need, 0 if t is None else t.shape[0]), n)
            if t is not None:
                grown[: t.shape[0]] = t
            self.tensors[key] = t = grown
        return t

    def get(self, key: str, rows: torch.Tensor, n: int) -> torch.Tensor:
        """A copy of the rows ``rows`` of ``key``."""
        return self.table(key, rows, n).index_select(0, rows)

    def set(self, key: str, rows: torch.Tensor, value: torch.Tensor) -> None:
        """Write ``value`` into the rows ``rows`` of ``key``."""
        self.table(key, rows, value.shape[1]).index_copy_(0, rows, value)


@runtime_checkable
class Memory(Protocol):
    """Compensate a gradient before compression, update from what was sent (seed 003 §IV-C.3)."""

    name: ClassVar[str]

    def compensate(self, g: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """The ``(R, n)`` tensor the compressor should encode for clients ``rows`` (seed 003 §IV-C.3)."""
        ...

    def update(self, compensated: torch.Tensor, decompressed: torch.Tensor, rows: torch.Tensor,
               msg: Encoded) -> None:
        """Learn from the message actually sent (seed 003 §IV-C.3)."""
        ...


@dataclass
class NoMemory:
    """No memory: the compressor sees the raw gradient (seed 003 §IV-C.3)."""

    name: ClassVar[str] = "none"

    def compensate(self, g: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``g`` unchanged (seed 003 §IV-C.3)."""
        return g

    def update(self, compensated: torch.Tensor, decompressed: torch.Tensor, rows: torch.Tensor,
               msg: Encoded) -> None:
        """Nothing to keep (seed 003 §IV-C.3)."""


@dataclass
class ResidualMemory:
    """Error feedback (seed 003 §IV-C.3, sparsified SGD with memory; Stich et al. 2018).

    ``compensate``: ``p = β·e + γ·g``; ``update``: ``e = p − decompress(compress(p))``. With the
    defaults β = γ = 1 nothing a client computed is ever dropped, only delayed.
    """

    beta: float = 1.0
    gamma: float = 1.0
    store: _Store = field(default_factory=_Store, repr=False)
    name: ClassVar[str] = "residual"

    def __post_init__(self) -> None:
        positive("beta", self.beta, allow_zero=True)
        positive("gamma", self.gamma)

    def residual(self, rows: torch.Tensor, n: int) -> torch.Tensor:
        """The stored residual of clients ``rows`` (zeros before their first round) (seed 003 §IV-C.3)."""
        return self.store.get("e", rows, n)

    def compensate(self, g: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``β·e + γ·g`` for every row at once (seed 003 §IV-C.3)."""
        e = self.residual(rows, g.shape[1])  # a fresh copy: safe to update in place
        if self.beta != 1.0:
            e.mul_(self.beta)
        return e.add_(g, alpha=self.gamma)

    def update(self, compensated: torch.Tensor, decompressed: torch.Tensor, rows: torch.Tensor,
               msg: Encoded) -> None:
        """``e = p − sent`` (seed 003 §IV-C.3)."""
        self.store.set("e", rows, compensated - decompressed)


@dataclass
class DGCMemory:
    """DGC's client state (seed 003 §IV-C.3 and Table 2; Lin et al. 2018 [53]).

    * local gradient clipping: a row whose L2 norm exceeds ``clip_norm`` is scaled down to it
      before accumulation (the paper scales the threshold by N^(-1/2) for N workers; pass the
      scaled value);
    * momentum correction: ``u ← m·u + g``, ``v ← v + u``; ``v`` is what gets sparsified, so the
      server applies the aggregate without momentum of its own;
    * after sending, the sent coordinates of ``v`` are zeroed (local accumulation keeps the rest)
      and, with ``masking``, those of ``u`` too (momentum-factor masking).
    """

    momentum: float = 0.9
    clip_norm: float | None = None
    masking: bool = True
    store: _Store = field(default_factory=_Store, repr=False)
    name: ClassVar[str] = "dgc"

    def __post_init__(self) -> None:
        m = positive("momentum", self.momentum, allow_zero=True)
        if m >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.clip_norm is not None:
            positive("clip_norm", self.clip_norm)

    def clip(self, g: torch.Tensor) -> torch.Tensor:
        """Rows scaled to L2 norm ≤ ``clip_norm`` (unchanged without it) (seed 003 §IV-C.3)."""
        if self.clip_norm is None:
            return g
        norm = g.norm(dim=1, keepdim=True)
        return g * torch.clamp(self.clip_norm / torch.clamp(norm, min=1e-30), max=1.0)

    def compensate(self, g: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Clip, then ``u = m·u + g``, ``v = v + u``; returns ``v`` (seed 003 §IV-C.3)."""
        n = g.shape[1]
        u = self.momentum * self.store.get("u", rows, n) + self.clip(g)
        v = self.store.get("v", rows, n) + u
        self.store.set("u", rows, u)
        self.store.set("v", rows, v)
        return v

    def update(self, compensated: torch.Tensor, decompressed: torch.Tensor, rows: torch.Tensor,
               msg: Encoded) -> None:
        """Zero the sent coordinates of ``v`` (and of ``u`` with masking) (seed 003 §IV-C.3)."""
        if "indices" not in msg.tensors:
            raise ValueError(f"memory 'dgc' needs a sparse message with indices, got compressor "
                             f"{msg.compressor!r}")
        sent = torch.zeros(msg.shape, dtype=torch.bool).scatter_(
            1, msg.tensors["indices"].long(), True)
        self.store.set("v", rows, compensated.masked_fill(sent, 0.0))
        if self.masking:
            n = compensated.shape[1]
            self.store.set("u", rows, self.store.get("u", rows, n).masked_fill(sent, 0.0))


#: Memory names and classes.
MEMORIES: dict[str, type] = {"none": NoMemory, "residual": ResidualMemory, "dgc": DGCMemory}
