"""Pruning: Han et al.'s magnitude pruning with masks, and structured (channel) pruning that
really shrinks the network (seed 003 §V-C.1, [70]).

* :func:`magnitude_prune` zeroes the smallest weights with ``torch.nn.utils.prune`` (a mask
  multiplies each weight tensor). The network keeps its shape, so a dense CPU kernel does the
  same work: masks save storage once the zeros are encoded (Deep Compression), not time.
* :func:`structured_prune` removes whole channels with Torch-Pruning
  (``tp.pruner.BasePruner`` with group L2 magnitude importance): the convolutions become
  narrower, MACs fall, and the CPU's latency with them.
* :func:`save_pruned` / :func:`load_pruned` store a channel-pruned model so that it reloads
  into an unpruned instance of its class (``tp.state_dict`` keeps the new shapes).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils import prune

from edgelab.inference.compression.common import (
    accuracy,
    count_macs,
    count_params,
    train,
)

__all__ = ["PRUNABLE", "check_amount", "prunable_layers", "magnitude_prune", "remove_masks",
           "han_sweep", "iterative_prune", "structured_prune", "save_pruned", "load_pruned",
           "shrink_table"]

#: Layer types whose weights the pruners act on.
PRUNABLE = (nn.Conv2d, nn.Linear)


def check_amount(name: str, amount: object) -> float:
    """``amount`` as a float in [0, 1), else a one-line ``ValueError`` naming ``name`` (seed 003 §V-C.1)."""
    ok = isinstance(amount, (int, float, np.floating, np.integer)) and not isinstance(amount, bool)
    if not ok or not (0.0 <= float(amount) < 1.0):
        raise ValueError(f"{name} must be a fraction in [0, 1) (the share of weights or channels "
                         f"to remove), got {amount!r}")
    return float(amount)


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every conv and linear layer of ``model``, in definition order (seed 003 §V-C.1)."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, PRUNABLE)]


def magnitude_prune(model: nn.Module, amount: float) -> float:
    """Mask the ``amount`` share of all conv/linear weights with the smallest magnitude, in place
    (one global threshold over the layers, Han et al. [70]; seed 003 §V-C.1).

    Biases are kept. Returns the threshold: the largest magnitude that was removed (0 when
    ``amount`` is 0). The masks stay attached (fine-tuning keeps pruned weights at zero);
    :func:`remove_masks` makes them permanent.
    """
    a = check_amount("amount", amount)
    layers = prunable_layers(model)
    if not layers:
        raise ValueError("model has no Conv2d or Linear layer to prune")
    params = [(m, "weight") for _, m in layers]
    w = torch.cat([m.weight.detach().abs().flatten() for m, _ in params])
    k = int(round(a * w.numel()))
    threshold = float(torch.kthvalue(w, k).values) if k > 0 else 0.0
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=k)
    return threshold


def remove_masks(model: nn.Module) -> nn.Module:
    """Make masks permanent (``weight = weight_orig * mask``) and drop the hooks; returns ``model``
    (seed 003 §V-C.1)."""
    for _, m in prunable_layers(model):
        if prune.is_pruned(m) and hasattr(m, "weight_mask"):
            prune.remove(m, "weight")
    return model


def han_sweep(model: nn.Module, data: Sequence[torch.Tensor], amounts: Sequence[float],
              finetune_epochs: int, *, lr: float = 1e-3, seed: int = 0) -> pd.DataFrame:
    """Prune a trained ``model`` (left untouched) at each amount, with and without fine-tuning
    (Han et al. [70]; seed 003 §V-C.1).

    ``data`` is ``(x_train, y_train, x_test, y_test)``. One row per amount: ``amount``,
    ``threshold`` (largest removed magnitude), ``weights_left`` (non-zero weights and biases),
    ``reduction`` (all weights ÷ those left), ``acc_pruned`` (masks only), ``acc_finetuned``
    (after ``finetune_epochs`` epochs of training with the masks on).
    """
    xtr, ytr, xte, yte = tuple(data)
    total = count_params(model)
    rows = []
    for a in amounts:
        m = copy.deepcopy(model)
        thr = magnitude_prune(m, a)
        acc0 = accuracy(m, xte, yte)
        train(m, xtr, ytr, finetune_epochs, lr=lr, seed=seed)
        remove_masks(m)
        left = count_params(m, nonzero=True)
        rows.append({"amount": float(a), "threshold": thr, "weights_left": left,
                     "reduction": total / left, "acc_pruned": acc0,
                     "acc_finetuned": accuracy(m, xte, yte)})
    return pd.DataFrame(rows)


class _LastLayer:
    """Forward pre-hooks remembering the last module entered (to name where a forward fails)."""

    def __init__(self, model: nn.Module) -> None:
        self.name = "(input)"
        self.handles = [m.register_forward_pre_hook(self._hook(n))
                        for n, m in model.named_modules() if n and not list(m.children())]

    def _hook(self, name: str):  # noqa: ANN202
        def hook(_m: nn.Module, _inp: object) -> None:
            self.name = name
        return hook

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def structured_prune(model: nn.Module, example: torch.Tensor, ratio: float, *,
                     ignored: Sequence[str] | None = None) -> nn.Module:
    """A copy of ``model`` with ``ratio`` of the channels of every prunable layer removed by
    Torch-Pruning (group L2 magnitude importance), not fine-tuned (seed 003 §V-C.1).

    ``ignored`` names layers whose *output* channels are kept (default: the last linear layer,
    which produces the classes). Torch-Pruning follows the dependencies (a conv's output
    channels are the next conv's input channels) through the autograd graph; if the pruned
    model no longer runs (a reshape with a hard-coded size, a functional call Torch-Pruning
    does not follow), a ``ValueError`` names the last layer the forward pass reached.
    """
    import torch_pruning as tp

    r = check_amount("ratio", ratio)
    m = copy.deepcopy(model).eval()
    names = dict(m.named_modules())
    layers = prunable_layers(m)
    if ignored is None:
        linear = [n for n, mod in layers if isinstance(mod, nn.Linear)]
        ignored = linear[-1:] if linear else [layers[-1][0]] if layers else []
    unknown = [n for n in ignored if n not in names]
    if unknown:
        raise ValueError(f"ignored names unknown layers {unknown}; layers: "
                         f"{', '.join(n for n, _ in layers)}")
    if r == 0.0:
        return m
    try:
        pruner = tp.pruner.BasePruner(
            m, example, importance=tp.importance.GroupMagnitudeImportance(p=2),
            pruning_ratio=r, ignored_layers=[names[n] for n in ignored])
        pruner.step()
    except Exception as e:  # noqa: BLE001 - Torch-Pruning raises many kinds
        raise ValueError(f"model: Torch-Pruning cannot trace {type(model).__name__} "
                         f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from e
    hooks = _LastLayer(m)
    try:
        with torch.no_grad():
            m(example)
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"model: Torch-Pruning pruned {type(model).__name__} inconsistently; the "
                         f"forward pass fails after layer {hooks.name!r} "
                         f"({type(e).__name__}); use modules, not hard-coded shapes, there, "
                         f"or list that layer in ignored") from e
    finally:
        hooks.close()
    return m


def save_pruned(model: nn.Module, path: str | os.PathLike[str]) -> Path:
    """Save a channel-pruned model so :func:`load_pruned` can rebuild it (``tp.state_dict``
    stores the pruned shapes beside the weights) (seed 003 §V-C.1). Returns the path."""
    import torch_pruning as tp

    p = Path(path)
    torch.save(tp.state_dict(model), p)
    return p


def load_pruned(model: nn.Module, path: str | os.PathLike[str]) -> nn.Module:
    """Load a model saved by :func:`save_pruned` into ``model``, a fresh *unpruned* instance of
    the same class: its layers are narrowed to the saved shapes first (``tp.load_state_dict``),
    which a plain ``load_state_dict`` cannot do (seed 003 §V-C.1). Returns ``model`` in eval mode."""
    import torch_pruning as tp

    state = torch.load(Path(path), weights_only=False)
    tp.load_state_dict(model, state_dict=state)
    return model.eval()


def shrink_table(models: dict[str, nn.Module], example: torch.Tensor) -> pd.DataFrame:
    """Parameters and MACs of named models (what channel pruning removes) (seed 003 §V-C.1)."""
    return pd.DataFrame([{"model": k, "params": count_params(v), "macs": count_macs(v, example)}
                         for k, v in models.items()])


def iterative_prune(model: nn.Module, amounts: Sequence[float], data: Sequence[torch.Tensor],
                    epochs: int, *, lr: float = 1e-3, seed: int = 0) -> pd.DataFrame:
    """Han et al.'s iterative pruning, in place: prune to each cumulative ``amount`` in turn
    (the share of all conv/linear weights that is zero), fine-tuning ``epochs`` epochs after
    each step (seed 003 §V-C.1, [70]).

    ``amounts`` must increase. ``data`` is ``(x_train, y_train, x_test, y_test)``. Returns one row
    per step: ``amount``, ``threshold``, ``weights``, ``weights_left``, ``reduction`` (weights ÷
    those left; biases not counted, as Han et al. count connections), ``accuracy`` after
    fine-tuning. The masks are made permanent at the end.
    """
    xtr, ytr, xte, yte = tuple(data)
    steps = [check_amount("amounts", a) for a in amounts]
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise ValueError(f"amounts must increase (cumulative sparsity), got {list(amounts)}")
    n = sum(m.weight.numel() for _, m in prunable_layers(model))
    rows = []
    for a in steps:
        remove_masks(model)
        thr = magnitude_prune(model, a)
        train(model, xtr, ytr, epochs, lr=lr, seed=seed)
        left = sum(int(torch.count_nonzero(m.weight)) for _, m in prunable_layers(model))
        rows.append({"amount": a, "threshold": thr, "weights": n, "weights_left": left,
                     "reduction": n / left, "accuracy": accuracy(model, xte, yte)})
    remove_masks(model)
    return pd.DataFrame(rows)
