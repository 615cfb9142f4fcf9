"""Energy-aware pruning: prune first the layers where the energy goes (Yang et al., CVPR 2017,
[72]; seed 003 §V-C.1), against pruning first the layers whose weights are smallest.

Both paths remove channels (output neurons of a linear layer) one layer at a time with
Torch-Pruning, ``step`` of that layer's channels per step, and fine-tune after each step; they
differ only in which layer they pick:

* ``order="energy"``: the layer with the most modelled energy per inference (chapter 02's
  operation-energy model, :func:`edgelab.inference.compression.selection.layer_energy`), so
  memory-bound FC layers whose weights come from DRAM go first;
* ``order="magnitude"``: the layer whose weights have the smallest root-mean-square magnitude
  (the layer-level version of Han et al.'s "small weights matter least").

The classifier (the last linear layer) is never pruned, and a layer is not picked once it has
fewer than ``min_channels`` channels left.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from edgelab.inference.compression.common import accuracy, train
from edgelab.inference.compression.pruning import check_amount, prunable_layers
from edgelab.inference.compression.selection import layer_energy, model_energy

__all__ = ["ORDERS", "prune_layer", "pick_layer", "energy_aware_path", "energy_saved_at"]

ORDERS = ("energy", "magnitude")


def prune_layer(model: nn.Module, example: torch.Tensor, layer: str, ratio: float) -> nn.Module:
    """A copy of ``model`` with ``ratio`` of the output channels of ``layer`` removed (lowest L2
    norm first) and the layers that read them narrowed to match (seed 003 §V-C.1)."""
    import torch_pruning as tp

    r = check_amount("ratio", ratio)
    m = copy.deepcopy(model).eval()
    layers = dict(prunable_layers(m))
    if layer not in layers:
        raise ValueError(f"layer {layer!r} is not a conv or linear layer of the model; "
                         f"layers: {', '.join(layers)}")
    target = layers[layer]
    pruner = tp.pruner.BasePruner(
        m, example, importance=tp.importance.GroupMagnitudeImportance(p=2), pruning_ratio=0.0,
        pruning_ratio_dict={target: r},
        ignored_layers=[mod for n, mod in layers.items() if n != layer])
    pruner.step()
    return m


def _out_channels(mod: nn.Module) -> int:
    return int(mod.out_channels if isinstance(mod, nn.Conv2d) else mod.out_features)


def pick_layer(model: nn.Module, example: torch.Tensor, order: str, min_channels: int = 4) -> str | None:
    """The layer ``order`` prunes next (see the module docstring), or ``None`` when no layer has
    ``min_channels`` or more channels left (seed 003 §V-C.1)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    layers = prunable_layers(model)[:-1]  # the classifier keeps its classes
    ok = [(n, m) for n, m in layers if _out_channels(m) >= min_channels]
    if not ok:
        return None
    if order == "energy":
        e = layer_energy(model, example)
        return max(ok, key=lambda nm: float(e.get(nm[0], 0.0)))[0]
    return min(ok, key=lambda nm: float(nm[1].weight.detach().pow(2).mean().sqrt()))[0]


def energy_aware_path(model: nn.Module, data: Sequence[torch.Tensor], order: str, steps: int,
                      *, step: float = 0.3, finetune_epochs: int = 1, seed: int = 0) -> pd.DataFrame:
    """Prune a copy of the trained ``model`` for ``steps`` steps in ``order`` (seed 003 §V-C.1).

    ``data`` is ``(x_train, y_train, x_test, y_test)``. Returns one row per state (step 0 is the
    dense model): ``step``, ``order``, ``layer`` pruned, ``params``, ``energy_j`` (modelled, one
    image), ``accuracy`` after fine-tuning.
    """
    xtr, ytr, xte, yte = tuple(data)
    x1 = xte[:1]
    m = copy.deepcopy(model).eval()
    rows = [{"step": 0, "order": order, "layer": "", "params": sum(p.numel() for p in m.parameters()),
             "energy_j": model_energy(m, x1), "accuracy": accuracy(m, xte, yte)}]
    for k in range(1, int(steps) + 1):
        layer = pick_layer(m, x1, order)
        if layer is None:
            break
        m = prune_layer(m, x1, layer, step)
        train(m, xtr, ytr, finetune_epochs, seed=seed)
        rows.append({"step": k, "order": order, "layer": layer,
                     "params": sum(p.numel() for p in m.parameters()),
                     "energy_j": model_energy(m, x1), "accuracy": accuracy(m, xte, yte)})
    return pd.DataFrame(rows)


def energy_saved_at(path: pd.DataFrame, min_accuracy: float) -> float:
    """The largest share of the dense model's energy a path saves while its accuracy stays at or
    above ``min_accuracy`` (0 when no pruned state does) (seed 003 §V-C.1)."""
    base = float(path["energy_j"].iloc[0])
    ok = path[(path["step"] > 0) & (path["accuracy"] >= min_accuracy)]
    return 0.0 if ok.empty else float(1.0 - ok["energy_j"].min() / base)
