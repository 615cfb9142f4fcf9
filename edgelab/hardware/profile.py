"""Per-layer profile of a DNN: MACs, FLOPs, parameters and bytes, with its ``torch.fx`` graph.

Seed 003 §II-D counts a network's cost in weights and multiply-accumulates (MACs); §V-C.2
(model partition) needs, for every layer, the activation that would cross the network if the
model were split after it. This module builds that table for any traceable ``nn.Module``.

Counting rules (stated, so that nobody mixes MACs and FLOPs):

* ``macs``: multiply-accumulates of convolutions and matrix products, from
  ``torch.utils.flop_counter.FlopCounterMode`` (which reports 2 FLOPs per MAC), halved.
* ``flops``: everything, in floating-point operations: ``2 × macs`` plus explicit counts for
  what ``FlopCounterMode`` leaves at zero (bias add 1/elem, batch norm 2/elem at inference,
  activations 1/elem, pooling one op per window element, LRN ~(2·size+3)/elem,
  elementwise add/mul 1/elem, softmax 3/elem). Reshape, concatenation and dropout count 0.
* ``input_bytes``, ``output_bytes``: the tensors a layer reads and writes; ``output_bytes`` is
  what crosses the network on a split after the layer. ``alloc_bytes``: the part of the output
  in fresh memory (0 for an in-place ReLU or a view), which the host cost model charges for
  page faults when it is large (:func:`edgelab.hardware.cost.fault_term`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.fx
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from edgelab import models as _models
from edgelab._validate import integer_in, show
from edgelab.errors import InputShapeError, ParameterError, ParameterTypeError, ProfileError

COLUMNS = [
    "layer", "op", "family", "module", "out_shape", "macs", "flops", "params",
    "weight_bytes", "input_bytes", "output_bytes", "alloc_bytes",
]

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


@dataclass
class Profile:
    """A model's per-layer table (``table``), its ``torch.fx`` graph and the DAG edges.

    ``preds[i]`` lists the layer indices whose outputs layer ``i`` reads (``-1`` is the model
    input). Layers are in topological order, so "split after k layers" is well defined for DAGs
    too (seed 003 §V-C.2; DADS generalises this to arbitrary cuts).
    """

    name: str
    table: pd.DataFrame
    graph: torch.fx.GraphModule | None
    input_bytes: int
    preds: list[list[int]] = field(default_factory=list)
    output_layer: int = -1

    @property
    def n_layers(self) -> int:
        """Number of layers (rows of the table)."""
        return len(self.table)

    @property
    def is_chain(self) -> bool:
        """True when every layer reads only the layer before it (a chain, as Neurosurgeon assumes)."""
        return all(p == [i - 1] for i, p in enumerate(self.preds))

    def totals(self) -> dict[str, float]:
        """Whole-model totals: MACs, FLOPs, params, weight bytes."""
        t = self.table
        return {"macs": int(t["macs"].sum()), "flops": int(t["flops"].sum()),
                "params": int(t["params"].sum()), "weight_bytes": int(t["weight_bytes"].sum())}

    def cut_bytes(self) -> np.ndarray:
        """Bytes that cross the network for each split ``k`` in ``0..n_layers``.

        Split ``k`` runs layers ``0..k-1`` on the first device and the rest on the second; the
        bytes sent are every activation (or the input) produced before the cut and read after it.
        ``k = n_layers`` sends nothing.
        """
        n = self.n_layers
        out_b = self.table["output_bytes"].to_numpy(dtype=np.float64)
        last_use = np.full(n + 1, -1, dtype=np.int64)  # index p+1 for producer p (input = 0)
        for i, ps in enumerate(self.preds):
            for p in ps:
                last_use[p + 1] = max(last_use[p + 1], i)
        if self.output_layer >= 0:
            last_use[self.output_layer + 1] = n  # the result is needed "after" the model
        sizes = np.concatenate([[self.input_bytes], out_b])
        diff = np.zeros(n + 2)
        # producer p (position p+1 in sizes) is live across cuts k in [p+1, last_use[p]]
        for q in range(n + 1):
            lo, hi = q, last_use[q]  # cut k crosses if producer index < k <= consumer index
            if hi >= lo:
                diff[lo] += sizes[q]
                diff[hi + 1] -= sizes[q]
        crossing = np.cumsum(diff)[: n + 1]
        crossing[n] = 0.0
        return crossing


def _trace(model: nn.Module, name: str) -> torch.fx.GraphModule:
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as e:  # fx raises many kinds of errors on dynamic control flow
        raise ProfileError(
            f"cannot trace module {name!r} ({type(model).__name__}) with torch.fx: "
            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}. "
            "Make data-dependent control flow static, or wrap the offending submodule as a leaf."
        ) from None


def profile(model: nn.Module, example_input: torch.Tensor, name: str | None = None) -> Profile:
    """Per-layer profile of ``model`` on ``example_input`` (seed 003 §II-D, §V-C.2).

    Works for DAG models (residual, inception): the table is in topological order and the
    ``torch.fx`` graph is kept on the result for the partition algorithms.
    """
    name = name or type(model).__name__
    if not isinstance(model, nn.Module):
        raise ProfileError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(example_input, torch.Tensor):
        raise ProfileError(f"example_input must be a torch.Tensor, got {type(example_input).__name__}")
    gm = _trace(model, name)
    rec = _Recorder(gm)
    try:
        with torch.no_grad():
            rec.run(example_input)
    except Exception as e:
        raise ProfileError(
            f"module {name!r} ({type(model).__name__}) failed on an input of shape "
            f"{tuple(example_input.shape)}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    table = pd.DataFrame(rec.rows, columns=COLUMNS)
    for c in ("macs", "flops", "params", "weight_bytes", "input_bytes", "output_bytes",
              "alloc_bytes"):
        table[c] = table[c].astype("int64")
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
    return Profile(name=name, table=table, graph=gm, input_bytes=int(example_input.numel()
                   * example_input.element_size()), preds=preds, output_layer=output_layer)


@lru_cache(maxsize=32)
def _zoo_profile(name: str, batch: int, input_shape: tuple[int, ...] | None) -> Profile:
    shape = input_shape or _models.spec(name).input_shape
    with torch.device("meta"):
        model = _models.spec(name).build().eval()
        x = torch.empty((batch, *shape))
    return profile(model, x, name=name)


#: largest batch :func:`profile_model` accepts
MAX_BATCH = 1_000_000
#: largest input (batch × C × H × W elements) :func:`profile_model` accepts: beyond it the
#: per-layer byte and FLOP counts would overflow int64 on the large zoo models
MAX_INPUT_ELEMENTS = 2**36
#: largest single input dimension (C, H or W)
MAX_DIM = 2**20


def profile_model(name: str, batch: int = 1, input_shape: tuple[int, ...] | None = None) -> Profile:
    """Profile a zoo model by name (cached; runs on the ``meta`` device, so it costs no compute).

    ``input_shape`` is (C, H, W); the default is the paper's input size. Raises
    :class:`~edgelab.errors.ParameterError` naming ``batch`` or ``input_shape`` (the CLI's
    ``--batch``/``--input``) when they are out of range or the model cannot run on that input
    (e.g. VGG's classifier is sized for 224×224).
    """
    if not isinstance(name, str):
        raise ParameterTypeError(f"name must be a zoo model name (str), got "
                                 f"{type(name).__name__} {show(name)}")
    spec = _models.spec(name)  # validates the name
    batch = integer_in("batch", batch, 1, MAX_BATCH)
    if input_shape is not None:
        want = len(spec.input_shape)
        if isinstance(input_shape, str | bytes) or not hasattr(input_shape, "__len__"):
            raise ParameterTypeError(
                f"input_shape (--input) must be {want} positive integers (C, H, W), got "
                f"{show(input_shape)}")
        if len(input_shape) != want:
            raise ParameterError(
                f"input_shape (--input) must be {want} positive integers (C, H, W), got "
                f"{show(input_shape)}")
        input_shape = tuple(integer_in("input_shape (--input)", v, 1, MAX_DIM)
                            for v in input_shape)
        if batch * math.prod(input_shape) > MAX_INPUT_ELEMENTS:
            raise ParameterError(
                f"input_shape (--input) × batch must be at most {MAX_INPUT_ELEMENTS:,} elements, "
                f"got {batch} × {'x'.join(map(str, input_shape))}")
        if input_shape == tuple(spec.input_shape):
            input_shape = None  # the default: one cache entry
    try:
        p = _zoo_profile(name, batch, input_shape)
    except ProfileError as e:
        if input_shape is None:
            raise
        default = "x".join(map(str, spec.input_shape))
        raise InputShapeError(
            f"input_shape (--input): model {name!r} cannot run on "
            f"{'x'.join(map(str, input_shape))}: use its input size {default} (its layers are sized "
            f"for it; VGG's classifier, e.g., needs exactly 224x224). Profiler said: "
            f"{str(e).split(': ', 1)[-1]}") from None
    return Profile(p.name, p.table.copy(), p.graph, p.input_bytes, [list(x) for x in p.preds],
                   p.output_layer)


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse ``"3x224x224"`` into ``(3, 224, 224)``; raise ``ValueError`` naming ``--input``."""
    try:
        shape = tuple(int(v) for v in str(text).lower().replace("×", "x").split("x"))
    except ValueError:
        raise ParameterError(
            f"--input must look like CxHxW (e.g. 3x224x224), got {text!r}") from None
    if not shape or min(shape) < 1:
        raise ParameterError(f"--input must be positive integers CxHxW, got {text!r}")
    if max(shape) > MAX_DIM:
        raise ParameterError(f"--input must be positive integers CxHxW, each ≤ {MAX_DIM:,}, "
                             f"got {text!r}")
    return shape
