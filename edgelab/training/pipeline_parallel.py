"""Pipeline parallelism for training: stage partitioning, GPipe / 1F1B schedules, PipeDream's
weight stashing, and the speed-up against one device and against data parallelism.

Seed 003 §IV-C.4 (DNN splitting for training; PipeDream [61] in Table 2) and seed 002's
model and pipeline parallelism for all-in-edge training. A chain of layers is cut into ``S``
contiguous **stages**, one per device; a mini-batch is cut into ``M`` **micro-batches** that flow
through the stages, so that the devices work at the same time.

* :func:`partition_stages` places the cuts from the cost model (:mod:`edgelab.hardware.cost`):
  stage ``s`` costs ``3 ×`` the roofline latency of its layers on its device per micro-batch
  (forward + backward ≈ 2 × forward, as :mod:`edgelab.training.federated.system` counts) and a
  cut costs one exchange over the link (the activation forward, its gradient back:
  :func:`~edgelab.hardware.cost.exchange_time`). Transfers overlap with compute, as in
  PipeDream's planner, so the pipeline runs at the pace of its slowest stage or cut (the
  *bottleneck*). An exact dynamic programme minimises it; :func:`partition_brute_force` checks it.
* :func:`simulate_schedule` plays GPipe (all forwards, then all backwards, then a flush) and 1F1B
  (PipeDream-Flush: one forward, one backward in the steady state) event by event;
  :func:`bubble_fraction` is the closed form ``(S − 1) / (M + S − 1)`` both share for equal stages.
* :func:`stashed_training` simulates PipeDream's asynchronous schedule in process: stage ``s``
  computes micro-batch ``t`` with the weights of ``S − 1 − s`` updates ago, stashed so that its
  forward and backward use the same version, and its gradient updates the current weights.
* :func:`speedups` compares the throughput of a pipeline over ``S`` devices with one device and
  with ``S``-way data parallelism (ring all-reduce of the weights,
  :func:`~edgelab.hardware.cost.ring_allreduce_time`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from edgelab._validate import choice, integer_in, positive, show
from edgelab.errors import ParameterError
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.cost import (
    TRAINING_STEP_PER_FORWARD,
    exchange_time,
    layer_latency_grid,
    ring_allreduce_time,
)
from edgelab.hardware.profile import Profile, profile_model

__all__ = [
    "TRAIN_FACTOR", "SCHEDULES", "StagePlan", "ScheduleResult", "stage_costs", "partition_stages",
    "partition_brute_force", "bubble_fraction", "simulate_schedule", "speedups",
    "stashed_training", "staleness_sweep", "plot_schedule",
]

#: Forward + backward ≈ 3 × forward (backward ≈ 2 × forward), as the federated system model counts.
TRAIN_FACTOR = TRAINING_STEP_PER_FORWARD  # from the cost model: forward + backward
#: Schedules :func:`simulate_schedule` plays.
SCHEDULES = ("gpipe", "1f1b")
#: Most devices a plan spans (seed 003's PipeDream row used 4 machines).
MAX_STAGES = 4


@dataclass(frozen=True)
class StagePlan:
    """One partition of a profile's layers into contiguous stages (seed 003 §IV-C.4).

    ``cuts`` has ``S + 1`` entries from 0 to ``n_layers``: stage ``s`` runs layers
    ``cuts[s]:cuts[s+1]`` on ``devices[s]``. Times are seconds per micro-batch of ``micro_batch``
    samples: ``compute_s[s]`` forward + backward of stage ``s``, ``forward_s[s]`` its forward
    alone, ``transfer_s[s]`` the exchange over cut ``s`` (activation out, gradient back),
    ``cut_bytes[s]`` the activation bytes crossing it one way.
    """

    model: str
    devices: tuple[str, ...]
    link: str
    micro_batch: int
    cuts: tuple[int, ...]
    compute_s: np.ndarray
    forward_s: np.ndarray
    transfer_s: np.ndarray
    cut_bytes: np.ndarray

    @property
    def n_stages(self) -> int:
        """Number of stages ``S`` (seed 003 §IV-C.4)."""
        return len(self.devices)

    @property
    def bottleneck_s(self) -> float:
        """Seconds per micro-batch of the slowest stage or cut: the steady-state pace (§IV-C.4)."""
        return float(max(self.compute_s.max(), self.transfer_s.max(initial=0.0)))

    def table(self) -> pd.DataFrame:
        """One row per stage: device, layers, compute and outgoing transfer (seed 003 §IV-C.4)."""
        out = np.append(self.transfer_s, 0.0)
        return pd.DataFrame({
            "stage": range(self.n_stages), "device": list(self.devices),
            "first_layer": list(self.cuts[:-1]), "n_layers": np.diff(self.cuts),
            "compute_s": self.compute_s, "transfer_out_s": out,
            "bytes_out": np.append(self.cut_bytes, 0.0),
        })


def _check_devices(devices: Sequence[str], n_layers: int) -> tuple[str, ...]:
    if isinstance(devices, str) or len(devices) < 1:
        raise ParameterError(f"devices must be a list of 1 to {MAX_STAGES} catalog devices, one "
                             f"per stage, got {show(devices)}")
    if len(devices) > n_layers:
        raise ParameterError(f"devices: {len(devices)} pipeline stages need at least as many "
                             f"layers, the model has {n_layers}: use at most {n_layers} stages")
    if len(devices) > MAX_STAGES:
        raise ParameterError(f"devices: at most {MAX_STAGES} stages are planned, got {len(devices)}")
    return tuple(get_device(d).name for d in devices)


def _resolve(model: str | Profile, micro_batch: int) -> Profile:
    if isinstance(model, Profile):
        return model
    micro_batch = integer_in("micro_batch", micro_batch, 1, 4096)
    return profile_model(model, batch=micro_batch)


def stage_costs(model: str | Profile, devices: Sequence[str], link: str,
                micro_batch: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cost tables of every possible stage and cut (seed 003 §IV-C.4, priced by §V-C.2's model).

    Returns ``(cum, transfer, cut_bytes, overhead)``: ``cum[s, k]`` forward seconds of layers
    ``0..k-1`` on ``devices[s]`` (``(S, n + 1)``), ``transfer[k]`` the exchange time of cut
    ``k`` over ``link`` (one RTT, the activation up, its gradient down), ``cut_bytes[k]`` its
    one-way bytes, ``overhead[s]`` the per-call overhead of ``devices[s]``.
    """
    prof = _resolve(model, micro_batch)
    devs = _check_devices(devices, prof.n_layers)
    lat = layer_latency_grid(prof, devs)  # (S, L) forward seconds
    cum = np.concatenate([np.zeros((len(devs), 1)), np.cumsum(lat, axis=1)], axis=1)
    lk = get_link(link)
    nbytes = prof.cut_bytes()
    t, _, _ = exchange_time(nbytes, nbytes, lk.uplink_mbps, lk.downlink_mbps, lk.rtt_ms / 1e3,
                            lk.duty_cycle)
    overhead = np.array([get_device(d).model_overhead_s for d in devs])
    return cum, np.asarray(t, dtype=np.float64), nbytes, overhead


def _plan(prof: Profile, devs: tuple[str, ...], link: str, micro_batch: int,
          cuts: Sequence[int], cum: np.ndarray, transfer: np.ndarray, nbytes: np.ndarray,
          overhead: np.ndarray) -> StagePlan:
    c = np.asarray(cuts)
    fwd = np.array([cum[s, c[s + 1]] - cum[s, c[s]] for s in range(len(devs))])
    comp = TRAIN_FACTOR * fwd + overhead
    return StagePlan(prof.name, devs, get_link(link).name, micro_batch, tuple(int(k) for k in c),
                     comp, fwd + overhead / TRAIN_FACTOR, transfer[c[1:-1]], nbytes[c[1:-1]])


def partition_stages(model: str | Profile, devices: Sequence[str], link: str = "ethernet",
                     micro_batch: int = 1) -> StagePlan:
    """The contiguous partition that minimises the bottleneck (seed 003 §IV-C.4, PipeDream [61]).

    ``devices`` (1 to 4 catalog names) hold the stages in order; ``link`` joins neighbours. An
    exact dynamic programme over (stage, last layer): ``best[s, j] = min_i max(best[s-1, i],
    transfer[i], compute_s(i, j))``, ``O(S · n²)``. Raises ``ParameterError`` when there are more
    stages than layers.
    """
    prof = _resolve(model, micro_batch)
    devs = _check_devices(devices, prof.n_layers)
    cum, transfer, nbytes, oh = stage_costs(prof, devs, link, micro_batch)
    n, S = prof.n_layers, len(devs)
    # comp[s, i, j]: stage s running layers i..j-1 (valid for i < j)
    comp = TRAIN_FACTOR * (cum[:, None, :] - cum[:, :, None]) + oh[:, None, None]
    valid = np.arange(n + 1)[:, None] < np.arange(n + 1)[None, :]
    best = np.where(valid[0], comp[0, 0], np.inf)  # best[j]: stage 0 over 0..j-1
    arg = np.zeros((S, n + 1), dtype=np.int64)
    for s in range(1, S):
        cand = np.maximum(np.maximum(best[:, None], transfer[:, None]), comp[s])  # (i, j)
        cand = np.where(valid, cand, np.inf)
        arg[s] = np.argmin(cand, axis=0)
        best = cand[arg[s], np.arange(n + 1)]
    cuts = [n]
    for s in range(S - 1, 0, -1):
        cuts.append(int(arg[s, cuts[-1]]))
    cuts.append(0)
    return _plan(prof, devs, link, micro_batch, cuts[::-1], cum, transfer, nbytes, oh)


def partition_brute_force(model: str | Profile, devices: Sequence[str], link: str = "ethernet",
                          micro_batch: int = 1) -> StagePlan:
    """Every contiguous partition tried; the one with the smallest bottleneck (first on ties).

    The check of :func:`partition_stages` (seed 003 §IV-C.4); ``C(n-1, S-1)`` partitions.
    """
    prof = _resolve(model, micro_batch)
    devs = _check_devices(devices, prof.n_layers)
    cum, transfer, nbytes, oh = stage_costs(prof, devs, link, micro_batch)
    best, best_cuts = np.inf, None
    for inner in itertools.combinations(range(1, prof.n_layers), len(devs) - 1):
        cuts = (0, *inner, prof.n_layers)
        p = _plan(prof, devs, link, micro_batch, cuts, cum, transfer, nbytes, oh)
        if p.bottleneck_s < best:
            best, best_cuts = p.bottleneck_s, cuts
    assert best_cuts is not None
    return _plan(prof, devs, link, micro_batch, best_cuts, cum, transfer, nbytes, oh)


# --------------------------------------------------------------------------- schedules
def bubble_fraction(n_stages: int, n_micro: int) -> float:
    """Idle share of a GPipe or 1F1B mini-batch with equal stages: ``(S − 1) / (M + S − 1)``.

    Seed 003 §IV-C.4 (pipeline parallelism; GPipe and PipeDream-Flush share this bubble).
    Raises ``ParameterError`` for fewer than one stage or micro-batch.
    """
    S = integer_in("n_stages", n_stages, 1, 1024)
    M = integer_in("n_micro (micro-batches)", n_micro, 1, 1_000_000)
    return (S - 1) / (M + S - 1)


@dataclass(frozen=True)
class ScheduleResult:
    """A simulated mini-batch (seed 003 §IV-C.4): the makespan, the idle share of the stages'
    time, the most micro-batches whose activations one stage holds at once, and every op
    (``stage, kind, micro, start, end``)."""

    schedule: str
    makespan_s: float
    bubble: float
    peak_in_flight: int
    ops: pd.DataFrame


def _order(schedule: str, s: int, S: int, M: int) -> list[tuple[str, int]]:
    if schedule == "gpipe":
        return [("F", m) for m in range(M)] + [("B", m) for m in range(M)]
    warm = min(S - 1 - s, M)
    seq = [("F", m) for m in range(warm)]
    for i in range(M - warm):
        seq += [("F", warm + i), ("B", i)]
    return seq + [("B", m) for m in range(M - warm, M)]


def simulate_schedule(forward_s: Sequence[float], backward_s: Sequence[float], n_micro: int,
                      schedule: str = "1f1b",
                      transfer_s: Sequence[float] | None = None) -> ScheduleResult:
    """Play one mini-batch of ``n_micro`` micro-batches through the stages (seed 003 §IV-C.4).

    ``forward_s[s]`` / ``backward_s[s]``: seconds of one micro-batch's forward / backward on stage
    ``s``; ``transfer_s[s]``: one-way seconds over cut ``s`` (a delay that occupies no stage).
    ``schedule`` is ``gpipe`` (all forwards, then all backwards) or ``1f1b`` (PipeDream-Flush).
    Each stage runs its ops in the schedule's order as soon as their inputs have arrived.
    """
    schedule = choice("schedule", schedule, SCHEDULES)
    f = np.asarray(forward_s, dtype=np.float64)
    b = np.asarray(backward_s, dtype=np.float64)
    S = len(f)
    if S < 1 or b.shape != f.shape or np.any(f < 0) or np.any(b < 0) or not np.all(np.isfinite(f + b)):
        raise ParameterError(f"forward_s and backward_s must be equal-length lists of finite "
                             f"seconds ≥ 0 (one per stage), got {show(forward_s)}, {show(backward_s)}")
    M = integer_in("n_micro (micro-batches)", n_micro, 1, 100_000)
    c = np.zeros(max(S - 1, 0)) if transfer_s is None else np.asarray(transfer_s, dtype=np.float64)
    if c.shape != (S - 1,) or np.any(c < 0):
        raise ParameterError(f"transfer_s must hold {S - 1} seconds ≥ 0 (one per cut), got {show(transfer_s)}")
    orders = [_order(schedule, s, S, M) for s in range(S)]
    done: dict[tuple[str, int, int], float] = {}
    pos, free, rows = [0] * S, [0.0] * S, []
    while any(pos[s] < len(orders[s]) for s in range(S)):
        progressed = False
        for s in range(S):
            while pos[s] < len(orders[s]):
                kind, m = orders[s][pos[s]]
                if kind == "F":
                    dep = [] if s == 0 else [done.get(("F", s - 1, m), None)]
                    lag = 0.0 if s == 0 else c[s - 1]
                else:
                    dep = [done.get(("F", s, m))] + ([] if s == S - 1 else [done.get(("B", s + 1, m))])
                    lag = 0.0 if s == S - 1 else c[s]
                if any(d is None for d in dep):
                    break
                ready = max([free[s]] + [d + (lag if i or kind == "F" else 0.0)
                                         for i, d in enumerate(dep)])
                end = ready + (f[s] if kind == "F" else b[s])
                done[(kind, s, m)], free[s] = end, end
                rows.append((s, kind, m, ready, end))
                pos[s] += 1
                progressed = True
        if not progressed:  # pragma: no cover - both orders are deadlock-free
            raise RuntimeError(f"schedule {schedule} deadlocked")
    ops = pd.DataFrame(rows, columns=["stage", "kind", "micro", "start", "end"])
    makespan = float(ops["end"].max())
    busy = float(M * (f + b).sum())
    bubble = 1.0 - busy / (S * makespan) if makespan > 0 else 0.0
    peak = 0
    for s in range(S):
        live = 0
        for kind, _ in orders[s]:
            live += 1 if kind == "F" else -1
            peak = max(peak, live)
    return ScheduleResult(schedule, makespan, bubble, peak, ops)


# --------------------------------------------------------------------------- speed-ups
def speedups(model: str, devices: Sequence[str], link: str = "ethernet", micro_batch: int = 32,
             n_micro: int = 4) -> dict[str, float]:
    """Throughput of pipelines over ``devices`` against one device and data parallelism.

    Seed 003 §IV-C.4 and Table 2 (PipeDream [61]: 2.5× over one machine, 3× over data parallel
    training, 4 machines). Seconds per sample of:

    * ``single_s``: ``devices[0]`` trains alone, ``3 ×`` its forward latency on ``micro_batch``;
    * ``data_parallel_s``: each of the ``S`` devices trains ``micro_batch`` samples, then a ring
      all-reduce of the weights over ``link`` (not overlapped with the backward pass);
    * ``pipedream_s``: the asynchronous pipeline's steady state, one micro-batch per bottleneck;
    * ``gpipe_s`` / ``one_f_one_b_s``: ``n_micro`` micro-batches per flush (simulated schedule).

    Returns these and the ratios ``pipedream_vs_single``, ``pipedream_vs_data_parallel``,
    ``data_parallel_vs_single``, ``gpipe_vs_single``. Throughput only: the statistical
    efficiency (PipeDream's "time to converge") is not in it.
    """
    plan = partition_stages(model, devices, link, micro_batch)
    prof = profile_model(model, batch=plan.micro_batch)
    S = plan.n_stages
    fwd1 = layer_latency_grid(prof, [plan.devices[0]])[0].sum() + get_device(plan.devices[0]).model_overhead_s
    single = TRAIN_FACTOR * fwd1 / plan.micro_batch
    lk = get_link(link)
    weight_bytes = float(prof.table["weight_bytes"].sum())
    ar = float(ring_allreduce_time(weight_bytes, S, lk.uplink_mbps, lk.rtt_ms / 1e3))
    dp_compute = max(TRAIN_FACTOR * (layer_latency_grid(prof, [d])[0].sum() + get_device(d).model_overhead_s)
                     for d in plan.devices)
    dp = (dp_compute + ar) / (S * plan.micro_batch)
    pd_s = plan.bottleneck_s / plan.micro_batch
    back = plan.compute_s - plan.forward_s
    one_way = plan.transfer_s / 2.0
    gp = simulate_schedule(plan.forward_s, back, n_micro, "gpipe", one_way).makespan_s
    ofob = simulate_schedule(plan.forward_s, back, n_micro, "1f1b", one_way).makespan_s
    per = n_micro * plan.micro_batch
    return {"single_s": single, "data_parallel_s": dp, "pipedream_s": pd_s,
            "gpipe_s": gp / per, "one_f_one_b_s": ofob / per,
            "pipedream_vs_single": single / pd_s, "pipedream_vs_data_parallel": dp / pd_s,
            "data_parallel_vs_single": single / dp, "gpipe_vs_single": single / (gp / per),
            "allreduce_s": ar, "weight_bytes": weight_bytes, "n_stages": float(S)}


# --------------------------------------------------------------------------- weight stashing
def _mlp(depth: int, width: int, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    d_in = 64
    for _ in range(depth - 1):
        layers += [nn.Linear(d_in, width), nn.ReLU()]
        d_in = width
    layers.append(nn.Linear(d_in, 10))
    return nn.Sequential(*layers)


def stashed_training(n_stages: int, *, staleness: str = "pipedream", epochs: int = 2,
                     micro_batch: int = 16, lr: float = 0.2, depth: int = 4, width: int = 64,
                     seed: int = 0) -> dict[str, float]:
    """Train a ``depth``-layer MLP on the 8×8 digits under PipeDream's asynchronous pipeline.

    Seed 003 §IV-C.4 (PipeDream [61], weight stashing). Pixels are standardised with the
    training split's statistics. The linear layers are cut into
    ``n_stages`` contiguous stages. With ``staleness="pipedream"``, stage ``s`` computes
    micro-batch ``t`` (forward and backward, the same stashed version) with the weights after
    update ``t − (S − 1 − s)``, the version PipeDream's 1F1B steady state gives it, and its
    gradient updates the current weights (plain SGD, one update per micro-batch).
    ``staleness="none"`` is the synchronous baseline (every stage current: GPipe / PipeDream-Flush
    with one micro-batch per update). Returns ``accuracy`` on the held-out 20 % and ``max_delay``.
    Raises ``ParameterError`` when there are more stages than linear layers.
    """
    import torch
    from torch.func import functional_call

    from edgelab.datasets import load_digits_split

    depth = integer_in("depth", depth, 1, 16)
    S = integer_in("n_stages", n_stages, 1, 16)
    if S > depth:
        raise ParameterError(f"n_stages: {S} pipeline stages need at least as many layers, the "
                             f"MLP has {depth} linear layers: use at most {depth} stages")
    staleness = choice("staleness", staleness, ("pipedream", "none"))
    epochs = integer_in("epochs", epochs, 1, 1000)
    micro_batch = integer_in("micro_batch", micro_batch, 1, 4096)
    lr = positive("lr", lr)
    split = load_digits_split(seed=seed, standardize=True)
    xtr, ytr = torch.as_tensor(split.x_train, dtype=torch.float32), torch.as_tensor(split.y_train)
    xte, yte = torch.as_tensor(split.x_test, dtype=torch.float32), torch.as_tensor(split.y_test)
    net = _mlp(depth, width, seed)
    names = [n for n, _ in net.named_parameters()]
    layer_of = {n: i for i, lin in enumerate(k for k, m in net.named_children()
                                              if isinstance(m, torch.nn.Linear)) for n in names
                if n.startswith(f"{lin}.")}
    bounds = np.array_split(np.arange(depth), S)
    stage_of = {n: next(s for s, b in enumerate(bounds) if layer_of[n] in b) for n in names}
    delay = {n: (S - 1 - stage_of[n]) if staleness == "pipedream" else 0 for n in names}
    current = {n: p.detach().clone() for n, p in net.named_parameters()}
    history = [current]  # history[-1 - d]: the weights d updates ago
    g = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest and the same on every machine
    try:
        current = _stash_loop(net, names, delay, history, xtr, ytr, epochs, micro_batch, lr, g, loss_fn)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        acc = (functional_call(net, current, (xte,)).argmax(1) == yte).float().mean().item()
    return {"n_stages": float(S), "max_delay": float(max(delay.values())), "accuracy": float(acc)}


def _stash_loop(net, names, delay, history, xtr, ytr, epochs, micro_batch, lr, g, loss_fn):
    import torch
    from torch.func import functional_call

    keep = max(delay.values()) + 1
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), micro_batch):
            idx = perm[i:i + micro_batch]
            stash = {n: history[-1 - min(delay[n], len(history) - 1)][n].detach().requires_grad_(True)
                     for n in names}
            loss = loss_fn(functional_call(net, stash, (xtr[idx],)), ytr[idx])
            grads = torch.autograd.grad(loss, [stash[n] for n in names])
            current = {n: history[-1][n] - lr * gr for n, gr in zip(names, grads, strict=True)}
            history = (history + [current])[-keep:]
    return history[-1]


def staleness_sweep(stages: Sequence[int] = (1, 2, 4), *, epochs: int = 2, seed: int = 0,
                    **kw: float) -> pd.DataFrame:
    """Accuracy of synchronous and PipeDream-stashed training per stage count (seed 003 §IV-C.4).

    One row per stage count: ``accuracy_sync``, ``accuracy_stashed``, their difference in points
    and the largest delay in updates.
    """
    rows = []
    sync = stashed_training(1, staleness="none", epochs=epochs, seed=seed, **kw)  # no stage is stale
    for S in stages:
        st = sync if S == 1 else stashed_training(S, staleness="pipedream", epochs=epochs, seed=seed, **kw)
        rows.append({"n_stages": int(S), "max_delay": int(st["max_delay"]),
                     "accuracy_sync": sync["accuracy"], "accuracy_stashed": st["accuracy"],
                     "drop_points": 100 * (sync["accuracy"] - st["accuracy"])})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- plots
def plot_schedule(result: ScheduleResult, ax=None, title: str | None = None):  # -> Axes
    """Gantt chart of a simulated schedule: one row per stage, forwards light, backwards dark,
    the micro-batch number on each box (seed 003 §IV-C.4). Returns the matplotlib axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6))
    ops = result.ops
    S = int(ops["stage"].max()) + 1
    scale, unit = (1e3, "ms") if result.makespan_s < 10 else (1.0, "s")
    for kind, colour, label in (("F", "tab:blue", "forward"), ("B", "tab:orange", "backward")):
        g = ops[ops["kind"] == kind]
        ax.barh(S - 1 - g["stage"], (g["end"] - g["start"]) * scale, left=g["start"] * scale,
                color=colour, edgecolor="white", label=label, height=0.8)
        for _, r in g.iterrows():
            w = (r["end"] - r["start"]) * scale
            if w > result.makespan_s * scale / 60:
                ax.text((r["start"] * scale) + w / 2, S - 1 - r["stage"], str(int(r["micro"])),
                        ha="center", va="center", fontsize=7, color="white")
    ax.set_yticks(range(S), [f"stage {s}" for s in range(S - 1, -1, -1)])
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title or f"{result.schedule}: idle share (bubble) {result.bubble:.1%}")
    ax.legend(loc="lower right", fontsize=8)
    return ax
