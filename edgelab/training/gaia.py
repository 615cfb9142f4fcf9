"""Gaia: significance-filtered synchronisation between data centres over a WAN.

Seed 003 Table 2 (Gaia [50]: "aggregation frequency control; ASP model", geo-distributed
training over WANs). Each of ``K`` data centres keeps a full copy of the model and applies its
own updates at once. Updates for the other data centres accumulate per parameter and are sent
only when *significant*: ``|accumulated update| > threshold × |parameter|`` (Gaia's
significance filter); the rest waits. ``threshold = 0`` sends every update every iteration,
which is the baseline (the same system synchronising everything, as on a LAN).

:func:`run_gaia` simulates the ``K`` data centres in one process over stacked parameters
``(K, P)`` (the layout of :mod:`edgelab.training.gossip`), with digits split over them, and
reports accuracy and the share of parameters sent. :func:`gaia_times` prices an iteration with
:mod:`edgelab.hardware.cost`:

* baseline (BSP, every iteration waits for the exchange):
  ``compute + transfer_time((K-1) × 4P bytes, link)``, on the WAN and on the LAN;
* Gaia (approximate synchronous parallel: significant updates stream in the background, the
  WAN's round trip is hidden): ``max(compute, (K-1) × sent × 8 bytes / WAN bandwidth)``,
  8 bytes = a 4-byte index and a 4-byte value per sent parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import torch

from edgelab._validate import integer_in, positive
from edgelab.training.gossip import (
    FLOAT_BYTES,
    GossipTask,
    _evaluate,
    flatten,
    local_sgd_step,
    node_batches,
)

__all__ = ["GaiaResult", "run_gaia", "gaia_times", "SPARSE_ENTRY_BYTES"]

#: Bytes per sent parameter in a sparse update: a 4-byte index and a 4-byte float32 value.
SPARSE_ENTRY_BYTES = 8


@dataclass
class GaiaResult:
    """What :func:`run_gaia` returns (seed 003 Table 2, Gaia).

    ``history``: per evaluated step the accuracy of the data centres' average model, the mean
    accuracy of their own copies, and the cumulative share of parameters sent;
    ``sent_fraction`` is the mean share of the ``P`` parameters each data centre sent per
    iteration (1 for the baseline).
    """

    history: pd.DataFrame
    params: torch.Tensor
    threshold: float
    sent_fraction: float
    numel: int
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Final accuracy of the average model (seed 003 Table 2, Gaia)."""
        return float(self.history["accuracy"].iloc[-1])


def run_gaia(n_dc: int = 4, steps: int = 200, *, threshold: float = 0.01, lr: float = 0.05,
             batch_size: int = 16, scheme: str = "iid", eval_every: int = 20,
             seed: int = 0) -> GaiaResult:
    """Train digits over ``n_dc`` data centres with Gaia's significance filter (seed 003 Table 2).

    Every step each data centre takes one SGD step on its own mini-batch and applies it to its
    copy; then every data centre sends the entries of its accumulated update that exceed
    ``threshold`` × the parameter's magnitude, and every other data centre adds them.
    ``threshold = 0`` is the baseline that sends everything. Same seed, same result.
    """
    n_dc = integer_in("n_dc", n_dc, 2, 256)
    steps = integer_in("steps", steps, 1, 10**6)
    threshold = positive("threshold", threshold, allow_zero=True, at_most=10.0)
    positive("lr", lr)
    eval_every = integer_in("eval_every", eval_every, 1, 10**6)
    torch.manual_seed(seed)
    task = GossipTask.digits(n_dc, scheme=scheme, seed=seed)
    step_fn = local_sgd_step(task)
    x0 = flatten(task.model)
    p = x0.numel()
    x = x0.repeat(n_dc, 1)
    unsent = torch.zeros_like(x)
    sent_total = 0.0
    rows = []
    for t in range(1, steps + 1):
        idx = node_batches(task, batch_size, seed, t)
        new = step_fn(x, idx, lr)
        unsent += new - x
        x = new
        send = unsent.abs() > threshold * x.abs() if threshold > 0 else torch.ones_like(x, dtype=torch.bool)
        out = torch.where(send, unsent, torch.zeros_like(unsent))
        unsent -= out
        x = x + out.sum(0, keepdim=True) - out  # every data centre adds the others' updates
        sent_total += float(send.sum()) / (n_dc * p)
        if t % eval_every == 0 or t == steps:
            acc = _evaluate(task.model, torch.cat([x.mean(0, keepdim=True), x]), task.x_test,
                            task.y_test)
            rows.append({"step": t, "accuracy": float(acc[0]), "dc_accuracy": float(acc[1:].mean()),
                         "sent_fraction": sent_total / t})
    return GaiaResult(pd.DataFrame(rows), x, threshold, sent_total / steps, p,
                      {"n_dc": n_dc, "steps": steps, "lr": lr, "batch_size": batch_size,
                       "seed": seed})


def gaia_times(model: str, device: str, n_dc: int, sent_fraction: float, *, wan: str = "wan",
               lan: str = "ethernet", batch: int = 32) -> dict[str, float]:
    """Seconds per iteration of the baseline on the WAN and on the LAN and of Gaia on the WAN,
    with the speed-ups ``gaia_speedup`` (baseline WAN / Gaia WAN) and ``gaia_vs_lan``
    (baseline LAN / Gaia WAN: above 1 means Gaia on the WAN runs faster than the baseline on
    a LAN) (seed 003 Table 2, Gaia; the cost rules are in the module docstring).
    """
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.cost import air_time, model_latency, transfer_time
    from edgelab.hardware.profile import profile_model

    n_dc = integer_in("n_dc", n_dc, 2, 10**4)
    f = positive("sent_fraction", sent_fraction, allow_zero=True, at_most=1.0)
    numel = float(profile_model(model).table["weight_bytes"].sum()) / FLOAT_BYTES
    compute = 3.0 * model_latency(profile_model(model, batch=batch), device)
    w, ln = get_link(wan), get_link(lan)
    dense = (n_dc - 1) * FLOAT_BYTES * numel
    base_wan = compute + float(transfer_time(dense, w.uplink_mbps, w.rtt_ms / 1e3))
    base_lan = compute + float(transfer_time(dense, ln.uplink_mbps, ln.rtt_ms / 1e3))
    sparse = (n_dc - 1) * SPARSE_ENTRY_BYTES * numel * f
    gaia = max(compute, float(air_time(sparse, w.uplink_mbps)))
    return {"compute_s": compute, "baseline_wan_s": base_wan, "baseline_lan_s": base_lan,
            "gaia_wan_s": gaia, "gaia_speedup": base_wan / gaia, "gaia_vs_lan": base_lan / gaia,
            "dense_bytes": dense, "sparse_bytes": sparse}

