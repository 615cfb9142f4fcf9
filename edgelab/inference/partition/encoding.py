"""Lossy encoding of the transmitted activation: the codec of JALAD [81] and Ko et al. [83]
(seed 003 §V-C.2, Table 4).

:func:`quantize` packs an activation to 1–8 bits per value with per-sample min-max steps;
:class:`QuantizedTensor` is what crosses the link. What it costs and saves: :mod:`.jalad`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

BITS = (1, 2, 4, 8)


@dataclass(frozen=True)
class QuantizedTensor:
    """A tensor quantised to ``bits`` with per-sample min-max uniform steps, packed into bytes
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2).

    ``codes`` is ``uint8`` of shape ``(N, ceil(M · bits / 8))`` for ``N`` samples of ``M``
    values; ``lo`` and ``hi`` (float32, one pair per sample) are sent with it. ``nbytes`` is what
    crosses the link.
    """

    codes: torch.Tensor
    lo: torch.Tensor
    hi: torch.Tensor
    bits: int
    shape: tuple[int, ...]
    dtype: torch.dtype

    @property
    def nbytes(self) -> int:
        """Bytes on the wire: the packed codes plus two float32 per sample (seed 003 §V-C.2)."""
        return int(self.codes.numel() + 4 * (self.lo.numel() + self.hi.numel()))

    def dequantize(self) -> torch.Tensor:
        """The reconstructed tensor: ``lo + code · (hi - lo) / (2^bits - 1)`` (JALAD [81])."""
        n, per = self.shape[0] if self.shape else 1, 8 // self.bits
        m = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        c = self.codes.to(torch.int32)
        mask = (1 << self.bits) - 1
        parts = [(c >> (self.bits * j)) & mask for j in range(per)]
        codes = torch.stack(parts, dim=-1).reshape(n, -1)[:, :m].to(torch.float32)
        step = (self.hi - self.lo) / float(mask)
        x = self.lo[:, None] + codes * step[:, None]
        return x.reshape(self.shape).to(self.dtype)


def quantize(t: torch.Tensor, bits: int) -> QuantizedTensor:
    """Quantise ``t`` to ``bits`` ∈ {1, 2, 4, 8} per sample (dim 0), min-max uniform, packed
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2). A 0-d or 1-d tensor is one sample."""
    if bits not in BITS:
        raise ValueError(f"bits must be one of {', '.join(map(str, BITS))} (32 = no encoding, "
                         f"handled by the caller); got {bits!r}")
    shape = tuple(t.shape) if t.dim() >= 2 else (1, t.numel())
    x = t.detach().reshape(shape[0], -1).to(torch.float32)
    lo, hi = x.min(dim=1).values, x.max(dim=1).values
    levels = (1 << bits) - 1
    scale = torch.where(hi > lo, (hi - lo) / levels, torch.ones_like(hi))
    codes = torch.round((x - lo[:, None]) / scale[:, None]).clamp_(0, levels).to(torch.int32)
    per = 8 // bits
    pad = (-codes.shape[1]) % per
    if pad:
        codes = F.pad(codes, (0, pad))
    codes = codes.reshape(shape[0], -1, per)
    packed = sum(codes[..., j] << (bits * j) for j in range(per)).to(torch.uint8)
    return QuantizedTensor(packed, lo, hi, bits, tuple(t.shape) if t.dim() >= 2 else shape,
                           t.dtype)
