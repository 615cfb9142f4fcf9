"""Transfer learning across tiers: a teacher trained on a base task, its first layers reused on
the device for a target task with few samples (seed 003 §IV-C.5; seed 004: knowledge transfer
across end, edge and cloud).

Seed 003 §IV-C.5: "we first train a base network (teacher network) on a base data set, and then
[...] repurpose the learned features [...] to the second target network (student network) to be
trained on a target data set"; "transfer learning regards the shallow layers of a pretrained DNN
on one data set as a generic feature extractor". The set-up here: scikit-learn's digits, base
task = digits 0-4 (the teacher, trained in the cloud on all of them), target task = digits 5-9
with ``n_per_class`` samples per class and a few epochs on the device. A student copies the
teacher's first ``k`` weighted layers (``k = 0``: from scratch) and either freezes them
(``freeze=True``, a fixed feature extractor) or fine-tunes them; the remaining layers start
from the seeded initialisation.

The device's training energy is priced with :func:`edgelab.hardware.cost.training_step_time`
(forward through all layers, backward ≈ 2 × forward through the layers after the frozen
prefix: an assumption, :data:`~edgelab.hardware.cost.BACKWARD_PER_FORWARD`) × the device's
active power. Training MACs are counted the same way (forward MACs + 2 × trainable MACs).
The teacher's training happens in the cloud and is not charged to the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.datasets import DataSplit, load_digits_split
from edgelab.hardware.catalog import get_device
from edgelab.hardware.cost import BACKWARD_PER_FORWARD, training_step_time

__all__ = ["TransferTask", "transfer_task", "weighted_layers", "train_model", "train_teacher",
           "student", "TransferRun", "transfer_sweep", "scratch_accuracy", "BASE_CLASSES", "TARGET_CLASSES"]

BASE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)


@dataclass(frozen=True)
class TransferTask:
    """Base and target data (seed 003 §IV-C.5): ``x_base``/``y_base`` (digits 0-4, all training
    samples), ``x_few``/``y_few`` (digits 5-9, ``n_per_class`` each), ``x_test``/``y_test``
    (digits 5-9 of the test split). Labels keep their digit (a 10-way output)."""

    x_base: torch.Tensor
    y_base: torch.Tensor
    x_few: torch.Tensor
    y_few: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_per_class: int


def transfer_task(n_per_class: int = 10, seed: int = 0, shape: str = "image") -> TransferTask:
    """The digits base/target split with ``n_per_class`` target samples per class, seeded
    (seed 003 §IV-C.5)."""
    n = integer_in("n_per_class", n_per_class, 1, 100)
    d: DataSplit = load_digits_split(seed=seed, shape=shape)
    ytr = d.y_train.numpy()
    base = np.isin(ytr, BASE_CLASSES)
    rng = np.random.default_rng([int(seed), 5309])
    few = []
    for c in TARGET_CLASSES:
        idx = np.flatnonzero(ytr == c)
        if len(idx) < n:
            raise ValueError(f"n_per_class must be at most {len(idx)} (digit {c} has "
                             f"{len(idx)} training samples), got {n_per_class!r}")
        few.append(rng.choice(idx, size=n, replace=False))
    fi = torch.from_numpy(np.sort(np.concatenate(few)))
    te = np.isin(d.y_test.numpy(), TARGET_CLASSES)
    return TransferTask(d.x_train[torch.from_numpy(base)], d.y_train[torch.from_numpy(base)],
                        d.x_train[fi], d.y_train[fi], d.x_test[torch.from_numpy(te)],
                        d.y_test[torch.from_numpy(te)], n)


def weighted_layers(model: nn.Module) -> list[str]:
    """Names of the modules that hold weights, in forward order (seed 003 §IV-C.5)."""
    return [name for name, m in model.named_modules()
            if name and not list(m.children()) and any(True for _ in m.parameters(recurse=False))]


def train_model(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, *,
                lr: float = 0.05, batch_size: int = 16, seed: int = 0) -> nn.Module:
    """Mini-batch SGD (momentum 0.9) on the trainable parameters, seeded (seed 003 §IV-C.5)."""
    epochs = integer_in("epochs", epochs, 1, 10**5)
    b = integer_in("batch_size", batch_size, 1, 10**6)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        return model
    opt = torch.optim.SGD(params, lr=positive("lr", lr), momentum=0.9)
    rng = np.random.default_rng([int(seed), 2718])
    model.train()
    for _ in range(epochs):
        perm = torch.from_numpy(rng.permutation(len(y)))
        for i in range(0, len(y), b):
            idx = perm[i:i + b]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    return model


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train_teacher(task: TransferTask, model: str = "digits_cnn", epochs: int = 20,
                  seed: int = 0) -> nn.Module:
    """The teacher: zoo ``model`` trained on the base task (digits 0-4) (seed 003 §IV-C.5)."""
    from edgelab.models import build

    return train_model(build(model, seed=seed), task.x_base, task.y_base, epochs, seed=seed)


def student(teacher: nn.Module, model: str, k: int, freeze: bool, seed: int = 1) -> nn.Module:
    """A fresh zoo ``model`` (seeded) whose first ``k`` weighted layers are the teacher's,
    frozen or not (seed 003 §IV-C.5). ``k`` is in ``[0, n_weighted − 1]``: the last layer, the
    classifier of the base task, is always retrained."""
    from edgelab.models import build

    s = build(model, seed=seed)
    names = weighted_layers(s)
    k = integer_in("k", k, 0, len(names) - 1)
    tm = dict(teacher.named_modules())
    sm = dict(s.named_modules())
    for name in names[:k]:
        sm[name].load_state_dict(tm[name].state_dict())
        for p in sm[name].parameters():
            p.requires_grad_(not freeze)
    return s


def _n_frozen_layers(model_name: str, model: nn.Module, k: int) -> int:
    """Profile layers before the first trainable weighted layer (its input needs no gradient)."""
    from edgelab.hardware.profile import profile_model

    prof = profile_model(model_name)
    names = weighted_layers(model)
    if k == 0:
        return 0
    first_trainable = names[k]
    rows = list(prof.table["layer"])
    key = first_trainable.replace(".", "_")
    return rows.index(key) if key in rows else 0


@dataclass(frozen=True)
class TransferRun:
    """One student (seed 003 §IV-C.5): ``k`` layers transferred, frozen or fine-tuned."""

    k: int
    freeze: bool
    accuracy: float
    train_macs: float
    train_s: float
    train_energy_j: float


def transfer_sweep(task: TransferTask, teacher: nn.Module, model: str = "digits_cnn",
                   epochs: int = 10, *, device: str = "snapdragon-845", batch_size: int = 16,
                   seeds: tuple[int, ...] = (1,)) -> pd.DataFrame:
    """Every ``k`` (0 … n_weighted − 1) frozen and fine-tuned, trained on the few target samples
    (seed 003 §IV-C.5): target-task accuracy (mean over ``seeds``), training MACs and the
    device's simulated training time and energy (:func:`~edgelab.hardware.cost.training_step_time`
    × steps; energy = active power × time). ``k = 0`` is training from scratch on the device."""
    from edgelab.hardware.profile import profile_model

    b = integer_in("batch_size", batch_size, 1, 10**6)
    epochs = integer_in("epochs", epochs, 1, 10**5)
    prof_b = profile_model(model, batch=b)
    fwd_macs = prof_b.table["macs"].to_numpy(dtype=np.float64)
    n_train = len(task.y_few)
    steps = epochs * -(-n_train // b)
    dev = get_device(device)
    rows = []
    n_w = len(weighted_layers(teacher))
    for k in range(n_w):
        for freeze in ((False,) if k == 0 else (True, False)):
            accs = []
            for s in seeds:
                net = student(teacher, model, k, freeze, seed=s)
                train_model(net, task.x_few, task.y_few, epochs, batch_size=b, seed=s)
                accs.append(_accuracy(net, task.x_test, task.y_test))
            nf = _n_frozen_layers(model, net, k) if freeze else 0
            step_s = training_step_time(prof_b, dev, nf)
            macs = fwd_macs.sum() + BACKWARD_PER_FORWARD * fwd_macs[nf:].sum()
            rows.append({"k": k, "mode": "scratch" if k == 0 else ("frozen" if freeze else "fine-tuned"),
                         "accuracy": float(np.mean(accs)), "train_MACs": float(macs * steps),
                         "train_s": step_s * steps, "train_energy_J": step_s * steps * dev.active_power_w})
    return pd.DataFrame(rows)


def scratch_accuracy(task: TransferTask, model: str = "digits_mlp", epochs: int = 10, *,
                     batch_size: int = 16, seeds: tuple[int, ...] = (1,)) -> float:
    """Mean target-task accuracy of zoo ``model`` trained from scratch on the few target samples
    with the same budget as :func:`transfer_sweep` (seed 003 §IV-C.5): a different network as
    the device's alternative to transfer, beside the claim's baseline (the same network)."""
    from edgelab.models import build

    accs = []
    for s in seeds:
        net = train_model(build(model, seed=s), task.x_few, task.y_few, epochs, batch_size=batch_size,
                          seed=s)
        accs.append(_accuracy(net, task.x_test, task.y_test))
    return float(np.mean(accs))
