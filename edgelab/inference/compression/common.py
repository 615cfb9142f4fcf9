"""What every compression technique shares: the chapter's CNN, training, accuracy, size and
measured latency (seed 003 §V-C.1).

Latency is measured as ``edgelab calibrate`` measures it (:mod:`edgelab.hardware.calibrate.measure`):
one intra-op thread, warm-up passes, then the median of timed passes on the thread's CPU clock.
Timing belongs in benchmarks and measured tables, never in a test assertion.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.hardware.profile import profile

__all__ = ["DigitsConvNet", "digits_convnet", "train", "accuracy", "measure_latency",
           "count_params", "count_macs", "fp32_bytes", "serialized_bytes", "set_seed"]


class DigitsConvNet(nn.Module):
    """The chapter's CNN for 1×8×8 digits: three 3×3 convolutions (``width``, 2·``width``,
    2·``width`` channels) with ReLU, two 2×2 max pools and one FC layer (seed 003 §V-C.1).

    Wide enough (about 7 M MACs at ``width=64``) that arithmetic, not per-layer overhead, sets
    its CPU latency, so removing channels shows up on the clock. Modules only (no functional
    calls), in execution order, so eager-mode int8 can fuse conv+ReLU and insert its stubs.
    """

    def __init__(self, width: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        w = integer_in("width", width, 1, 4096)
        self.conv1 = nn.Conv2d(1, w, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(2 * w, 2 * w, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.pool3 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * w * 2 * 2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.relu1(self.conv1(x))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.pool3(self.relu3(self.conv3(x)))
        return self.fc(self.flatten(x))


def set_seed(seed: int) -> torch.Generator:
    """Seed torch's global generator and return a fresh seeded one (seed 003 §V-C.1)."""
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def digits_convnet(width: int = 64, seed: int = 0) -> DigitsConvNet:
    """A :class:`DigitsConvNet` with seeded initial weights, in eval mode (seed 003 §V-C.1)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return DigitsConvNet(width).eval()


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, *, lr: float = 1e-3,
          batch_size: int = 64, seed: int = 0,
          loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
          after_step: Callable[[], None] | None = None) -> list[float]:
    """Train ``model`` in place with Adam and return the mean loss of each epoch (seed 003 §V-C.1).

    ``loss_fn(logits, y, idx)`` replaces cross-entropy (distillation passes the batch indices
    to look up the teacher's logits); ``after_step`` runs after every optimiser step (weight
    sharing projects the weights back onto the shared values there). Masks of
    ``torch.nn.utils.prune`` stay applied: pruned weights get no gradient through the mask.
    """
    n_epochs = integer_in("epochs", epochs, 0, 100_000)
    positive("lr", lr)
    bs = integer_in("batch_size", batch_size, 1, 1 << 20)
    g = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    losses = []
    for _ in range(n_epochs):
        perm = torch.randperm(len(y), generator=g)
        total = 0.0
        for i in range(0, len(y), bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            out = model(x[idx])
            loss = (nn.functional.cross_entropy(out, y[idx]) if loss_fn is None
                    else loss_fn(out, y[idx], idx))
            loss.backward()
            opt.step()
            if after_step is not None:
                after_step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(y))
    model.eval()
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy of ``model`` on ``(x, y)`` as a fraction (seed 003 §V-C.1)."""
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


@torch.no_grad()
def measure_latency(model: nn.Module, x: torch.Tensor, repeats: int = 30,
                    warmup: int = 5) -> float:
    """Median seconds of ``model(x)`` on one thread, as ``edgelab calibrate`` measures
    (warm-up passes, then ``repeats`` passes timed on the thread's CPU clock) (seed 003 §V-C.1).

    The thread count is restored afterwards. The result is a measurement: it varies from run
    to run and machine to machine, so record it with ``rec.timing`` or as a ratio.
    """
    n = integer_in("repeats", repeats, 1, 1_000_000)
    w = integer_in("warmup", warmup, 0, 1_000_000)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model.eval()
        for _ in range(w):
            model(x)
        ts = []
        for _ in range(n):
            t0 = time.thread_time_ns()
            model(x)
            ts.append(time.thread_time_ns() - t0)
    finally:
        torch.set_num_threads(threads)
    return float(statistics.median(ts)) * 1e-9


def count_params(model: nn.Module, *, nonzero: bool = False) -> int:
    """Number of weights and biases of ``model``; ``nonzero=True`` counts only those that are
    not zero (what magnitude pruning leaves) (seed 003 §V-C.1)."""
    total = 0
    for name, t in model.state_dict().items():
        if name.endswith("_mask") or not torch.is_tensor(t) or not t.is_floating_point():
            continue
        if name.endswith("_orig"):  # a pruned weight: the effective value is orig * mask
            t = t * model.state_dict()[name[:-5] + "_mask"]
        total += int(torch.count_nonzero(t)) if nonzero else t.numel()
    return total


def count_macs(model: nn.Module, example: torch.Tensor) -> int:
    """Multiply-accumulates of one forward pass on ``example`` (edgelab's profiler) (seed 003 §II-D)."""
    return int(profile(model, example).table["macs"].sum())


def fp32_bytes(model: nn.Module) -> int:
    """Bytes of the model's weights and biases stored densely as fp32 (seed 003 §V-C.1)."""
    return 4 * count_params(model)


def serialized_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())`` (what a device would store; includes
    quantization scales and packing) (seed 003 §V-C.1)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return len(buf.getvalue())


def _as_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()
