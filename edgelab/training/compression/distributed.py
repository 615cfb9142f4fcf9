"""Compressed gradient exchange between real processes over ``torch.distributed`` on gloo
(seed 003 §IV-C.3: distributed training whose bottleneck is the gradient exchange).

Each process is one worker with one gradient ``(n,)``. :func:`gloo_exchange` compensates it with
the worker's memory, compresses it, and all-gathers every worker's message as raw bytes: one
all-gather of a small length header (int64 per payload tensor), one of the payloads padded to the
longest. The payload bytes a worker puts on the collective are counted before padding, and equal
the compressor's :attr:`~edgelab.training.compression.message.Encoded.total_bytes` (checked on
every call). Each worker then decompresses every peer's message and aggregates, so all workers
end the round with the same update. A message is never empty (threshold clamps), so the
all-gather cannot hang on a zero-length tensor (grace#16).

:func:`run_gloo` starts a local group of processes on 127.0.0.1 with an explicit timeout and
returns what each worker saw: the updates and the bytes counted at the collective.
:func:`run_ddp` is the production baseline: DDP with torch's own communication hooks
(``allreduce``, ``fp16_compress_hook``, ``powerSGD_hook``) on the same gloo group, with the bytes
each worker hands to ``all_reduce`` counted, and :func:`powersgd_bytes` their exact prediction.
"""

from __future__ import annotations

import datetime
import queue
import socket
import time
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from edgelab._validate import choice, integer_in, positive
from edgelab.training.compression.communicator import Communicator, make_communicator
from edgelab.training.compression.message import Encoded, as_rows

__all__ = ["gloo_exchange", "run_gloo", "to_bytes", "from_bytes", "DDP_HOOKS", "run_ddp",
           "powersgd_bytes"]


def to_bytes(msg: Encoded) -> tuple[torch.Tensor, list[int]]:
    """A message's payload tensors, in name order, as one uint8 buffer and their byte lengths
    (seed 003 §IV-C.3)."""
    parts = [msg.tensors[k].contiguous().reshape(-1).view(torch.uint8) for k in sorted(msg.tensors)]
    return torch.cat(parts), [int(p.numel()) for p in parts]


def from_bytes(buf: torch.Tensor, lengths: list[int], like: Encoded) -> dict[str, torch.Tensor]:
    """Payload tensors from a peer's buffer, with the dtypes and ranks of ``like`` (this worker's
    own message of the same compressor) (seed 003 §IV-C.3)."""
    out, at = {}, 0
    for key, ln in zip(sorted(like.tensors), lengths, strict=True):
        mine = like.tensors[key]
        t = buf[at:at + ln].clone().view(mine.dtype)
        out[key] = t.reshape(1, -1) if mine.dim() == 2 else t.reshape(-1)
        at += ln
    return out


def gloo_exchange(comm: Communicator, grad: torch.Tensor, *, step: int = 0) -> dict[str, Any]:
    """One round of compressed all-gather among the initialised process group (seed 003 §IV-C.3).

    Returns ``update`` (the aggregate every worker computes), ``payload_bytes`` (this worker's
    bytes on the collective, before padding), ``header_bytes`` (the length header it sent) and
    ``message_bytes`` (the compressor's count; equal to ``payload_bytes``).
    """
    rank, world = dist.get_rank(), dist.get_world_size()
    g = as_rows(grad)
    if g.shape[0] != 1:
        raise ValueError(f"grad must be one worker's gradient (n,), got shape {tuple(grad.shape)}")
    ids = torch.tensor([rank])
    p = comm.memory.compensate(g, ids)
    msg = comm.compressor.compress(p, step=step, rows=ids)
    buf, lengths = to_bytes(msg)
    if buf.numel() != msg.total_bytes:
        raise RuntimeError(f"payload {buf.numel()} B differs from the counted {msg.total_bytes} B")
    header = torch.tensor(lengths, dtype=torch.int64)
    headers = [torch.empty_like(header) for _ in range(world)]
    dist.all_gather(headers, header)
    longest = max(int(h.sum()) for h in headers)
    padded = torch.zeros(longest, dtype=torch.uint8)
    padded[:buf.numel()] = buf
    bufs = [torch.empty(longest, dtype=torch.uint8) for _ in range(world)]
    dist.all_gather(bufs, padded)
    dense = torch.cat([comm.compressor.decompress(Encoded(
        msg.compressor, msg.shape, from_bytes(b, h.tolist(), msg), msg.parts, msg.meta))
        for b, h in zip(bufs, headers, strict=True)])
    comm.memory.update(p, dense[rank:rank + 1], ids, msg)
    return {"update": comm.compressor.aggregate(dense), "payload_bytes": int(buf.numel()),
            "header_bytes": int(header.numel() * header.element_size()),
            "message_bytes": msg.total_bytes}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, timeout_s: float, grads: torch.Tensor,
            compressor: str, memory: str, params: dict[str, Any], out: Any) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=timeout_s))
    try:
        comm = make_communicator(compressor, memory, **params)
        res = [gloo_exchange(comm, grads[rank, s], step=s) for s in range(grads.shape[1])]
        out.put((rank, torch.stack([r["update"] for r in res]).numpy(),
                 [r["payload_bytes"] for r in res], [r["message_bytes"] for r in res],
                 [r["header_bytes"] for r in res]))
    finally:
        dist.destroy_process_group()


def run_gloo(grads: torch.Tensor, compressor: str, memory: str = "auto", *,
             timeout_s: float = 30.0, **params: Any) -> dict[str, np.ndarray]:
    """Run ``rounds`` compressed exchanges among ``world`` local processes on gloo
    (seed 003 §IV-C.3).

    ``grads`` is ``(world, rounds, n)``: worker ``w``'s gradient in each round. ``timeout_s``
    bounds every collective (and the wait for the workers). Returns ``updates``
    ``(world, rounds, n)``, and ``payload_bytes``, ``message_bytes``, ``header_bytes``
    ``(world, rounds)``.
    """
    if grads.dim() != 3:
        raise ValueError(f"grads must be (workers, rounds, n), got shape {tuple(grads.shape)}")
    world = integer_in("workers", grads.shape[0], 1, 64)
    t = positive("timeout_s", timeout_s)
    make_communicator(compressor, memory, **params)  # bad names fail here, not in a child
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_worker,
                         args=(r, world, port, t, grads.detach().float(), compressor, memory,
                               params, out), daemon=True) for r in range(world)]
    for pr in procs:
        pr.start()
    rows = _collect(procs, out, world, t)
    return {"updates": np.stack([r[1] for r in rows]),
            "payload_bytes": np.array([r[2] for r in rows], dtype=np.int64),
            "message_bytes": np.array([r[3] for r in rows], dtype=np.int64),
            "header_bytes": np.array([r[4] for r in rows], dtype=np.int64)}


#: torch's DDP communication hooks, the production baseline (seed 003 §IV-C.3).
DDP_HOOKS = ("allreduce", "fp16", "powersgd")


def powersgd_bytes(shapes: list[tuple[int, ...]], rank: int = 1,
                   min_compression_rate: float = 2.0) -> int:
    """Bytes one worker all-reduces per step under torch's ``powerSGD_hook`` once compression
    has started (seed 003 §IV-C.3; Vogels et al. 2019, PowerSGD).

    Mirrors the hook's choice: each gradient is viewed as ``n × m`` (``n`` its first dimension),
    ``r = min(n, m, rank)``; it is compressed to P (n×r) and Q (m×r) when
    ``(n + m)·r·min_compression_rate < n·m``, else sent dense. float32 throughout.
    """
    integer_in("rank", rank, 1, 10**6)
    rate = positive("min_compression_rate", min_compression_rate)
    total = 0
    for shape in shapes:
        numel = int(np.prod(shape)) if len(shape) else 1
        n = int(shape[0]) if len(shape) else 1
        m = numel // n
        r = min(n, m, rank)
        total += (n + m) * r if (n + m) * r * rate < n * m else numel
    return 4 * total


def _ddp_worker(rank: int, world: int, port: int, timeout_s: float, hook: str, steps: int,
                model_name: str, power_rank: int, seed: int, out: Any) -> None:
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    from torch.distributed.algorithms.ddp_comm_hooks import powerSGD_hook as psgd
    from torch.nn.parallel import DistributedDataParallel

    from edgelab.models import build

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=timeout_s))
    counted = [0]
    original = dist.all_reduce

    def counting_all_reduce(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        """``all_reduce`` that first adds the tensor's bytes to the count (seed 003 §IV-C.3)."""
        counted[0] += tensor.numel() * tensor.element_size()
        return original(tensor, *args, **kwargs)

    dist.all_reduce = counting_all_reduce  # type: ignore[assignment]  # this process only
    try:
        model = DistributedDataParallel(build(model_name, seed=seed))
        if hook == "allreduce":
            model.register_comm_hook(None, default_hooks.allreduce_hook)
        elif hook == "fp16":
            model.register_comm_hook(None, default_hooks.fp16_compress_hook)
        else:
            state = psgd.PowerSGDState(process_group=None, matrix_approximation_rank=power_rank,
                                       start_powerSGD_iter=2)
            model.register_comm_hook(state, psgd.powerSGD_hook)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        gen = torch.Generator().manual_seed(seed * 1000 + rank)
        per_step = []
        for _ in range(steps):
            x = torch.randn(32, 64, generator=gen)  # seeded synthetic inputs (digits' 64 pixels)
            y = torch.randint(0, 10, (32,), generator=gen)
            before = counted[0]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            per_step.append(counted[0] - before)
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()
        shapes = [tuple(p.shape) for p in model.parameters()]
        out.put((rank, per_step, flat, shapes))
    finally:
        dist.all_reduce = original  # type: ignore[assignment]
        dist.destroy_process_group()


def _collect(procs: list[Any], out: Any, world: int, t: float) -> list[Any]:
    """The workers' results by rank. Reads before joining (a worker blocks on a full pipe until
    its result is read); stops when every worker has exited, or at the deadline (the watchdog),
    then kills what still runs."""
    rows: list[Any] = []
    deadline = time.monotonic() + 3 * t + 60
    while len(rows) < world and time.monotonic() < deadline:
        try:
            rows.append(out.get(timeout=0.2))
        except queue.Empty:
            if not any(pr.is_alive() for pr in procs) and out.empty():
                break
    for pr in procs:
        pr.join(timeout=t)
    codes = [pr.exitcode for pr in procs]
    for pr in procs:
        if pr.is_alive():
            pr.kill()
    if len(rows) < world or any(c != 0 for c in codes):
        raise RuntimeError(f"gloo workers failed or hung (exit codes {codes}, "
                           f"{len(rows)}/{world} results, timeout {t:g} s)")
    rows.sort(key=lambda r: r[0])
    return rows


def run_ddp(hook: str, *, workers: int = 2, steps: int = 4, model: str = "digits_mlp",
            power_rank: int = 1, seed: int = 0, timeout_s: float = 30.0) -> dict[str, Any]:
    """Train a zoo model for ``steps`` DDP steps on gloo with one of torch's communication hooks
    and count the bytes each worker hands to ``all_reduce`` (seed 003 §IV-C.3).

    ``hook`` is ``allreduce`` (float32), ``fp16`` (``fp16_compress_hook``) or ``powersgd``
    (``powerSGD_hook``, rank ``power_rank``, dense for the first two steps as the hook requires).
    Inputs are seeded synthetic 64-feature batches of 32 per worker (no data set is needed to
    count bytes). Returns ``bytes`` ``(workers, steps)``, the final ``params`` of each worker
    ``(workers, P)`` and the parameter ``shapes``.
    """
    choice("hook", hook, DDP_HOOKS)
    world = integer_in("workers", workers, 1, 64)
    n_steps = integer_in("steps", steps, 1, 10**6)
    integer_in("power_rank", power_rank, 1, 10**6)
    t = positive("timeout_s", timeout_s)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_ddp_worker, args=(r, world, port, t, hook, n_steps, model,
                                                   power_rank, seed, out), daemon=True)
             for r in range(world)]
    for pr in procs:
        pr.start()
    rows = _collect(procs, out, world, t)
    return {"bytes": np.array([r[1] for r in rows], dtype=np.int64),
            "params": np.stack([r[2] for r in rows]), "shapes": rows[0][3]}
