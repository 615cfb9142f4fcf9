"""Real partitioned execution: a head and a tail ``nn.Module`` for any valid cut (seed 003
§V-C.2; §IV-C.4: splitting between layers loses no accuracy).

The graph is traced with ``torch.fx``, so the layer order is the profile table's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.fx
from torch import nn

from edgelab._validate import integer_in
from edgelab.inference.partition.encoding import QuantizedTensor, quantize
from edgelab.inference.partition.plan import Plan


def _layer_nodes(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    """The nodes that are layers of the profile table, in the same (topological) order."""
    return [n for n in gm.graph.nodes if n.op not in ("placeholder", "output", "get_attr")]


def _subgraph(gm: torch.fx.GraphModule, inputs: list[torch.fx.Node], keep: set[torch.fx.Node],
              outputs: list[torch.fx.Node | Any], name: str) -> torch.fx.GraphModule:
    g = torch.fx.Graph()
    env: dict[torch.fx.Node, torch.fx.Node] = {}
    for i, n in enumerate(inputs):
        env[n] = g.placeholder(n.name if n.op == "placeholder" else f"{n.name}_in{i}")

    def lookup(a: torch.fx.Node) -> torch.fx.Node:
        if a not in env and a.op == "get_attr":
            env[a] = g.node_copy(a)
        return env[a]

    for n in gm.graph.nodes:
        if n in keep:
            env[n] = g.node_copy(n, lookup)
    g.output(torch.fx.node.map_arg(outputs, lookup))
    g.lint()
    return torch.fx.GraphModule(gm, g, class_name=name)


class SplitModel(nn.Module):
    """A model cut in two real modules, ``head`` (device) and ``tail`` (server) (seed 003 §V-C.2).

    ``head(x)`` returns the tuple of tensors that cross the cut (``sent`` names them);
    ``tail(*sent)`` returns the model's output. ``forward(x)`` runs both, optionally passing the
    sent tensors through a lossy encoder (:func:`quantize`, JALAD), and :meth:`transmit` returns
    what would go over the link. Splitting between layers is exact: with no encoder,
    ``SplitModel(x)`` equals ``model(x)`` (§IV-C.4).
    """

    def __init__(self, head: torch.fx.GraphModule, tail: torch.fx.GraphModule, sent: list[str],
                 on_device: np.ndarray) -> None:
        super().__init__()
        self.head = head
        self.tail = tail
        self.sent = sent
        self.on_device = on_device

    def transmit(self, x: torch.Tensor, bits: int | None = None) -> tuple[list[Any], int]:
        """Run the head; return the payload (tensors, or :class:`QuantizedTensor` with ``bits``)
        and its size in bytes (seed 003 §V-C.2; JALAD [81] with ``bits``)."""
        out = self.head(x)
        if not self.sent:  # everything ran on the device: only the result, nothing sent
            return list(out), 0
        if bits is None:
            return list(out), int(sum(t.numel() * t.element_size() for t in out))
        q = [quantize(t, bits) for t in out]
        return q, int(sum(v.nbytes for v in q))

    def forward(self, x: torch.Tensor, bits: int | None = None) -> Any:  # noqa: D102
        payload, _ = self.transmit(x, bits)
        vals = [v.dequantize() if isinstance(v, QuantizedTensor) else v for v in payload]
        return self.tail(*vals)


def split_model(model: nn.Module, cut: int | np.ndarray | Sequence[bool] | Plan) -> SplitModel:
    """Build the head and tail modules of ``model`` for a cut (seed 003 §V-C.2, §IV-C.4).

    ``cut`` is a chain split ``k`` (the first ``k`` layers of the topological order, as in
    :func:`best_split`; ``0 ≤ k ≤ n_layers``), a boolean ``on_device`` mask over the layers of
    :func:`edgelab.hardware.profile.profile` (any valid DAG cut), or a partition
    :class:`~edgelab.inference.partition.plan.Plan` (e.g. from :func:`dads`). The graph is traced with ``torch.fx``, so the layer order is the profile
    table's. Weights are shared with ``model``, not copied.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    layers = _layer_nodes(gm)
    n = len(layers)
    if isinstance(cut, Plan):
        cut = np.asarray(cut.on_device, dtype=bool)
    if isinstance(cut, int | np.integer) and not isinstance(cut, bool):
        k = integer_in("split", cut, 0, n)
        on_dev = np.arange(n) < k
    else:
        on_dev = np.asarray(cut)
        if on_dev.dtype != bool or on_dev.shape != (n,):
            raise ValueError(f"cut must be a split index in [0, {n}] or a boolean mask of "
                             f"length {n} (one per layer), got {cut!r}")
    placeholders = [nd for nd in gm.graph.nodes if nd.op == "placeholder"]
    out_node = next(nd for nd in gm.graph.nodes if nd.op == "output")
    dev_set = {nd for nd, d in zip(layers, on_dev, strict=True) if d}
    srv_set = set(layers) - dev_set
    for nd in srv_set:
        for u in nd.users:
            if u in dev_set:
                raise ValueError(f"invalid cut: device layer {u.name!r} reads server layer "
                                 f"{nd.name!r} (data would flow back to the device)")
    on_device_side = dev_set | set(placeholders)
    if srv_set:
        sent = [nd for nd in gm.graph.nodes if nd in on_device_side
                and any(u in srv_set or u is out_node for u in nd.users)]
        # a device value read only by the output (no server layer) still has to be sent back
    else:
        sent = list(out_node.all_input_nodes)
    head = _subgraph(gm, placeholders, dev_set, tuple(sent), "Head")
    if srv_set:
        tail = _subgraph(gm, sent, srv_set, out_node.args[0], "Tail")
    else:
        tail = _subgraph(gm, sent, set(), out_node.args[0], "Tail")
    return SplitModel(head, tail, [nd.name if nd.op != "placeholder" else "input" for nd in sent]
                      if srv_set else [], on_dev)


@dataclass(frozen=True)
class SplitEquivalence:
    """Whether splitting a model changes what it computes (seed 003 §IV-C.4, §V-C.2)."""

    n_cuts: int
    identical_predictions: bool  # every cut's argmax equals the whole model's
    max_abs_diff: float  # largest |split output - whole output| over every cut


def split_equivalence(model: nn.Module, x: torch.Tensor,
                      cuts: Sequence[int | np.ndarray] | None = None) -> SplitEquivalence:
    """Run ``model`` split at every cut of ``cuts`` (default: every chain split ``0..n_layers``)
    on ``x`` and compare with the whole model (seed 003 §IV-C.4: splitting between layers loses
    no accuracy; §V-C.2). A cut is a split index or an ``on_device`` mask (e.g. DADS's)."""
    if cuts is None:
        cuts = list(range(len(split_model(model, 0).on_device) + 1))
    with torch.no_grad():
        whole = model(x)
    same, max_diff = True, 0.0
    for cut in cuts:
        sm = split_model(model, cut)
        with torch.no_grad():
            out = sm(x)
        same &= bool((out.argmax(1) == whole.argmax(1)).all())
        max_diff = max(max_diff, float((out - whole).abs().max()))
    return SplitEquivalence(len(cuts), same, max_diff)
