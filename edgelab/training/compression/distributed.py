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

from edgelab._validate import integer_in, positive
from edgelab.training.compression.communicator import Communicator, make_communicator
from edgelab.training.compression.message import Encoded, as_rows

__all__ = ["gloo_exchange", "run_gloo", "to_bytes", "from_bytes"]


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
    rows: list[Any] = []
    deadline = time.monotonic() + 3 * t + 60
    # read before joining (a worker blocks on a full pipe until its result is read); stop
    # early when every worker has exited, at the deadline at the latest (the watchdog)
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
    return {"updates": np.stack([r[1] for r in rows]),
            "payload_bytes": np.array([r[2] for r in rows], dtype=np.int64),
            "message_bytes": np.array([r[3] for r in rows], dtype=np.int64),
            "header_bytes": np.array([r[4] for r in rows], dtype=np.int64)}
