"""int8 post-training quantization on the CPU (seed 003 §V-C.1; seed 004, seed 002).

**Why this one small shim exists.** PyTorch's eager-mode quantization
(``torch.ao.quantization``: ``QuantStub``, ``fuse_modules``, ``prepare``, ``convert``) still
ships in torch 2.13 but is deprecated in favour of torchao. On the machine this package was
written on (x86, AVX2, no VNNI), torchao's eager int8 path was 10-30× *slower* than fp32 and
quantizes only ``nn.Linear``, while the eager ``torch.ao`` path with the fbgemm engine ran a
small CNN faster than fp32 (issue 13 of the project's tracker: measured, not assumed). So the
fast path is the deprecated one, and every use of it lives here: when it is removed from torch,
only this file changes. Its deprecation warnings are silenced inside the shim only.

:func:`quantize_int8` is static quantization: weights per-channel int8, activations int8 with
scales observed on calibration data; conv+ReLU and linear+ReLU pairs are fused first.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["IMPLEMENTED_BITS", "available_engines", "default_engine", "check_engine",
           "check_bits", "fusable_pairs", "Int8Model", "quantize_int8"]

#: Integer bit widths this module implements (int8 only: the CPU kernels are int8).
IMPLEMENTED_BITS = (8,)


def available_engines() -> tuple[str, ...]:
    """The quantized engines this build of torch has on this platform (seed 003 §V-C.1)."""
    return tuple(e for e in torch.backends.quantized.supported_engines if e != "none")


def default_engine() -> str:
    """fbgemm where it exists (the fastest int8 CPU path measured on x86), else the first
    available engine (qnnpack on ARM) (seed 003 §V-C.1)."""
    engines = available_engines()
    if not engines:
        raise ValueError("engine: this build of torch has no quantized engine")
    return "fbgemm" if "fbgemm" in engines else engines[0]


def check_engine(engine: object) -> str:
    """``engine`` if this platform has it, else a one-line ``ValueError`` listing the ones it has (seed 003 §V-C.1)."""
    engines = available_engines()
    if not isinstance(engine, str) or engine not in engines:
        raise ValueError(f"engine {engine!r} is not available on this platform; available: "
                         f"{', '.join(engines) or 'none'}")
    return engine


def check_bits(bits: object) -> int:
    """``bits`` if int quantization implements it here (8), else a one-line ``ValueError`` (seed 003 §V-C.1)."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in IMPLEMENTED_BITS:
        raise ValueError(f"bits must be one of {list(IMPLEMENTED_BITS)} for int quantization "
                         f"(the CPU kernels are int8; Deep Compression's weight sharing takes "
                         f"1-8 bits), got {bits!r}")
    return bits


def fusable_pairs(model: nn.Module) -> list[list[str]]:
    """Names of ``[conv or linear, ReLU]`` pairs that follow each other among a module's
    children, recursively (what eager mode can fuse) (seed 003 §V-C.1)."""
    pairs: list[list[str]] = []

    def walk(mod: nn.Module, prefix: str) -> None:
        kids = list(mod.named_children())
        for (a, ma), (b, mb) in zip(kids, kids[1:], strict=False):
            if isinstance(ma, (nn.Conv2d, nn.Linear)) and isinstance(mb, nn.ReLU):
                pairs.append([prefix + a, prefix + b])
        for n, c in kids:
            walk(c, f"{prefix}{n}.")

    walk(model, "")
    return pairs


class Int8Model(nn.Module):
    """A quantized model between a quantize and a dequantize stub; its forward selects its
    engine (torch keeps one global engine) (seed 003 §V-C.1)."""

    def __init__(self, model: nn.Module, engine: str) -> None:
        super().__init__()
        from torch.ao.quantization import DeQuantStub, QuantStub

        self.engine = engine
        self.quant = QuantStub()
        self.model = model
        self.dequant = DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if torch.backends.quantized.engine != self.engine:
            torch.backends.quantized.engine = self.engine
        return self.dequant(self.model(self.quant(x)))


def quantize_int8(model: nn.Module, calibration: torch.Tensor, *, engine: str | None = None,
                  bits: int = 8, fuse: Sequence[Sequence[str]] | None = None) -> Int8Model:
    """Static int8 quantization of a copy of ``model`` (seed 003 §V-C.1).

    ``calibration`` inputs set the activation scales; ``engine`` is one of
    :func:`available_engines` (default :func:`default_engine`); ``fuse`` the module pairs to
    fuse (default :func:`fusable_pairs`). The model must be built from modules (no functional
    calls between layers), as eager mode requires.
    """
    check_bits(bits)
    eng = check_engine(default_engine() if engine is None else engine)
    from torch.ao import quantization as tq

    m = copy.deepcopy(model).eval()
    pairs = fusable_pairs(m) if fuse is None else [list(p) for p in fuse]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notices (see the module docstring)
        prev = torch.backends.quantized.engine
        torch.backends.quantized.engine = eng
        try:
            if pairs:
                tq.fuse_modules(m, pairs, inplace=True)
            q = Int8Model(m, eng).eval()
            q.qconfig = tq.get_default_qconfig(eng)
            tq.prepare(q, inplace=True)
            with torch.no_grad():
                q(calibration)
            tq.convert(q, inplace=True)
        finally:
            torch.backends.quantized.engine = prev
    return q
