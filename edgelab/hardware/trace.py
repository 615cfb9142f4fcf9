"""The ``torch.fx`` tracer behind the per-layer profile: it runs a model node by node.

Seed 003 §II-D counts a network's cost in weights and multiply-accumulates; §V-C.2 (model
partition) needs them for every layer. This is the one module of :mod:`edgelab.hardware` that
imports torch at module level: it traces a ``nn.Module`` with ``torch.fx``, runs the graph under
``FlopCounterMode`` and returns one row per node (the counting rules are stated in
:mod:`edgelab.hardware.profile`, which turns the rows into a :class:`~edgelab.hardware.profile.Profile`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from edgelab import models as _models
from edgelab.errors import ProfileError

__all__ = ["Trace", "trace", "trace_module", "trace_zoo_model"]

_ACT = (nn.ReLU, nn.ReLU6, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Hardswish, nn.LeakyReLU,
        nn.Hardsigmoid, nn.ELU)
_ACT_FN = {torch.relu, torch.nn.functional.relu, torch.nn.functional.relu6, torch.sigmoid,
           torch.tanh, torch.nn.functional.gelu, torch.nn.functional.silu}
_ADD_FN = {"add", "mul", "sub", "truediv", "iadd", "imul"}


def _numel(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.numel()
    if isinstance(x, list | tuple):
        return sum(_numel(v) for v in x)
    return 0


def _tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, list | tuple):
        return [t for v in x for t in _tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensors(v)]
    return []


def _alloc_bytes(out: Any, inputs: Any) -> int:
    """Bytes of the output tensors that do not share storage with an input (fresh memory):
    0 for an in-place op (``ReLU(inplace=True)``) or a view (flatten, dropout at inference)."""
    seen = {t.untyped_storage()._cdata for t in _tensors(inputs)}  # works on "meta" too
    return sum(t.numel() * t.element_size() for t in _tensors(out)
               if t.untyped_storage()._cdata not in seen)


def _nbytes(x: Any) -> int:
    return sum(t.numel() * t.element_size() for t in _tensors(x))


def _shape(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return "x".join(str(d) for d in x.shape)
    if isinstance(x, list | tuple):
        return ",".join(_shape(v) for v in x)
    return ""


def _classify(node: torch.fx.Node, mod: nn.Module | None, out: Any, inputs: list[Any]) -> tuple[str, str, int]:
    """Return (op, family, extra FLOPs not seen by FlopCounterMode) for one node."""
    n_out = _numel(out)
    n_in = _numel(inputs[0]) if inputs else 0
    if mod is not None:
        if isinstance(mod, nn.Conv2d | nn.Conv1d | nn.Conv3d):
            depthwise = mod.groups > 1 and mod.groups == mod.in_channels
            bias = n_out if mod.bias is not None else 0
            return ("dwconv" if depthwise else "conv"), ("dwconv" if depthwise else "conv"), bias
        if isinstance(mod, nn.Linear):
            return "linear", "linear", (n_out if mod.bias is not None else 0)
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            return "bn", "other", 2 * n_out
        if isinstance(mod, _ACT):
            return "act", "other", n_out
        if isinstance(mod, nn.MaxPool2d | nn.AvgPool2d | nn.MaxPool1d | nn.AvgPool1d):
            k = mod.kernel_size if isinstance(mod.kernel_size, tuple) else (mod.kernel_size,) * 2
            return "pool", "other", n_out * math.prod(k)
        if isinstance(mod, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d | nn.AdaptiveAvgPool1d):
            return "pool", "other", max(n_in, n_out)
        if isinstance(mod, nn.LocalResponseNorm):
            return "lrn", "other", (2 * mod.size + 3) * n_out
        if isinstance(mod, nn.Dropout | nn.Identity | nn.Flatten):
            return "reshape", "other", 0
        if isinstance(mod, nn.Softmax | nn.LogSoftmax):
            return "softmax", "other", 3 * n_out
        return type(mod).__name__.lower(), "other", 0
    target = node.target
    name = getattr(target, "__name__", str(target))
    if target in _ACT_FN or name in {"relu", "relu_", "sigmoid", "tanh"}:
        return "act", "other", n_out
    if name in _ADD_FN:
        return "add", "other", n_out
    if name in {"cat", "stack"}:
        return "cat", "other", 0
    if name in {"flatten", "view", "reshape", "getitem", "getattr", "size", "contiguous",
                "permute", "transpose", "squeeze", "unsqueeze", "chunk", "split"}:
        return "reshape", "other", 0
    if name in {"adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "mean"}:
        return "pool", "other", max(n_in, n_out)
    if name in {"softmax", "log_softmax"}:
        return "softmax", "other", 3 * n_out
    return name, "other", n_out


class _Recorder(torch.fx.Interpreter):
    """Runs the graph node by node, counting each node's FLOPs and bytes."""

    def __init__(self, gm: torch.fx.GraphModule) -> None:
        super().__init__(gm)
        self.rows: list[dict[str, Any]] = []
        self.node_out: dict[str, Any] = {}

    def run_node(self, n: torch.fx.Node) -> Any:
        if n.op in ("placeholder", "output", "get_attr"):
            out = super().run_node(n)
            self.node_out[n.name] = out
            return out
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        inputs = [a for a in torch.fx.node.map_aggregate((args, kwargs), lambda v: v)[0]
                  if isinstance(a, torch.Tensor | list | tuple)] if args else []
        counter = FlopCounterMode(display=False)
        with counter:
            out = getattr(self, n.op)(n.target, args, kwargs)
        mod = self.fetch_attr(n.target) if n.op == "call_module" else None
        op, family, extra = _classify(n, mod, out, list(args))
        counted = counter.get_total_flops()
        params = sum(p.numel() for p in mod.parameters()) if mod is not None else 0
        pbytes = sum(p.numel() * p.element_size() for p in mod.parameters()) if mod is not None else 0
        in_bytes = sum(_nbytes(a) for a in args if isinstance(a, torch.Tensor | list | tuple))
        del inputs
        self.rows.append({
            "layer": n.name, "op": op, "family": family,
            "module": type(mod).__name__ if mod is not None else getattr(n.target, "__name__", str(n.target)),
            "out_shape": _shape(out), "macs": counted // 2, "flops": counted + extra,
            "params": params, "weight_bytes": pbytes, "input_bytes": in_bytes,
            "output_bytes": _nbytes(out), "alloc_bytes": _alloc_bytes(out, (args, kwargs)),
        })
        self.node_out[n.name] = out
        return out


def trace(model: nn.Module, name: str) -> torch.fx.GraphModule:
    """``torch.fx.symbolic_trace`` of ``model`` (seed 003 §V-C.2), or a :class:`ProfileError`
    naming ``name`` and how to make the module traceable."""
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as e:  # fx raises many kinds of errors on dynamic control flow
        raise ProfileError(
            f"cannot trace module {name!r} ({type(model).__name__}) with torch.fx: "
            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}. "
            "Make data-dependent control flow static, or wrap the offending submodule as a leaf."
        ) from None


@dataclass
class Trace:
    """What one traced run of a model gives (seed 003 §II-D, §V-C.2): a row per layer (the
    keys of :data:`edgelab.hardware.profile.COLUMNS`), the graph, each layer's predecessors
    (``-1``: the model input), the layer that produces the output, the input tensor's bytes
    and its number of elements (which, at the raw encoding's bytes per element, is what sending
    the raw input costs: :attr:`edgelab.hardware.profile.Profile.raw_input_bytes`)."""

    rows: list[dict[str, Any]]
    graph: torch.fx.GraphModule
    preds: list[list[int]]
    output_layer: int
    input_bytes: int
    input_numel: int = 0


def trace_module(model: nn.Module, example_input: torch.Tensor, name: str) -> Trace:
    """Trace ``model`` and run it node by node on ``example_input`` (seed 003 §II-D, §V-C.2).

    Raises :class:`~edgelab.errors.ProfileError` naming ``name`` when the model is not a module,
    the input not a tensor, the module cannot be traced, or it fails on that input.
    """
    if not isinstance(model, nn.Module):
        raise ProfileError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(example_input, torch.Tensor):
        raise ProfileError(f"example_input must be a torch.Tensor, got {type(example_input).__name__}")
    gm = trace(model, name)
    rec = _Recorder(gm)
    try:
        with torch.no_grad():
            rec.run(example_input)
    except Exception as e:
        raise ProfileError(
            f"module {name!r} ({type(model).__name__}) failed on an input of shape "
            f"{tuple(example_input.shape)}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    index = {r["layer"]: i for i, r in enumerate(rec.rows)}
    preds: list[list[int]] = []
    output_layer = -1
    for node in gm.graph.nodes:
        if node.op == "output":
            srcs = [a.name for a in node.all_input_nodes]
            output_layer = index.get(srcs[0], -1) if srcs else -1
        if node.name not in index:
            continue
        ps = sorted({index.get(a.name, -1) for a in node.all_input_nodes
                     if a.op != "get_attr"})
        preds.append(ps)
    return Trace(rec.rows, gm, preds, output_layer,
                 int(example_input.numel() * example_input.element_size()),
                 int(example_input.numel()))


def trace_zoo_model(name: str, batch: int, input_shape: tuple[int, ...] | None) -> Trace:
    """:func:`trace_module` of a zoo model built on the ``meta`` device (no compute, no weights
    in memory; seed 003 §II-D); ``input_shape`` ``None`` is the model's paper input size."""
    shape = input_shape or _models.spec(name).input_shape
    with torch.device("meta"):
        model = _models.spec(name).build().eval()
        x = torch.empty((batch, *shape))
    return trace_module(model, x, name=name)
