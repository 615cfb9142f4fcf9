"""Gossip over real processes: a ring of ranks on ``torch.distributed`` with gloo on 127.0.0.1.

Seed 003 §IV-C.6 (gossip training) and §IV-A.2 (decentralised training). Each rank holds one
node's model, takes the same SGD step as :func:`edgelab.training.gossip.run_gossip` on its own
mini-batch, sends its parameters to both ring neighbours and mixes with the Metropolis weights
(1/3 each on a ring). The in-process simulation with ``algorithm="metropolis"`` on a ring must
give the same parameters (:func:`run_ring`).

Every wait has a bound: the process group gets ``timeout_s`` (gloo's default is 30 minutes),
every receive waits at most ``timeout_s``, and the parent is a watchdog that kills what is left
after ``deadline_s`` and raises a one-line error naming the rank that died.
"""

from __future__ import annotations

import os
import queue as queue_mod
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch

from edgelab._validate import integer_in, positive
from edgelab.errors import EdgelabError, ParameterError

__all__ = ["max_world_size", "RingRun", "run_ring", "GossipProcessError"]


class GossipProcessError(EdgelabError):
    """A rank of a real-process gossip run died or timed out (seed 003 §IV-C.6)."""


def max_world_size() -> int:
    """The most ranks this machine may start: 4 per CPU core, at most 16 (seed 003 §IV-C.6)."""
    return int(min(16, 4 * (os.cpu_count() or 1)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, steps: int, seed: int, lr: float, batch: int,
            timeout_s: float, die_at: int | None, out: object) -> None:
    import torch.distributed as dist

    from edgelab.training.gossip import GossipTask, flatten, local_sgd_step, node_batches

    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world, timeout=timedelta(seconds=timeout_s))
        task = GossipTask.digits(world, seed=seed)
        step_fn = local_sgd_step(task)
        x = flatten(task.model)[None]
        left, right = (rank - 1) % world, (rank + 1) % world
        for t in range(1, steps + 1):
            idx = node_batches(task, batch, seed, t)[rank:rank + 1]
            x = step_fn(x, idx, lr)
            if die_at is not None and t == die_at:
                os._exit(3)
            mine = x[0].contiguous()
            from_l, from_r = torch.empty_like(mine), torch.empty_like(mine)
            works = [dist.isend(mine, left), dist.isend(mine, right),
                     dist.irecv(from_l, left), dist.irecv(from_r, right)]
            for w in works:
                w.wait(timeout=timedelta(seconds=timeout_s))
            x = ((mine + from_l + from_r) / 3.0)[None]
        out.put(("ok", rank, x[0].numpy().copy()))  # type: ignore[attr-defined]
        dist.barrier()
        dist.destroy_process_group()
    except Exception as e:  # reported to the parent, which raises
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        out.put(("error", rank, f"{type(e).__name__}: {msg[:160]}"))  # type: ignore[attr-defined]
        if os.environ.get("EDGELAB_GOSSIP_DEBUG"):
            traceback.print_exc()
        out.close()  # type: ignore[attr-defined]
        out.join_thread()  # type: ignore[attr-defined]  # flush the report before exiting
        os._exit(1)


@dataclass(frozen=True)
class RingRun:
    """What :func:`run_ring` returns: each rank's final parameters ``(world, P)`` and the host
    seconds the run took, start-up included (seed 003 §IV-C.6)."""

    params: torch.Tensor
    wall_s: float


def run_ring(world_size: int = 4, steps: int = 3, *, seed: int = 0, lr: float = 0.1,
             batch_size: int = 16, timeout_s: float = 15.0, deadline_s: float = 180.0,
             die_at: int | None = None, die_rank: int = 1) -> RingRun:
    """Gossip on a real ring of ``world_size`` processes (gloo, 127.0.0.1) (seed 003 §IV-C.6).

    Each step: one SGD step per rank, then Metropolis mixing with both neighbours. ``die_at``
    makes rank ``die_rank`` exit at that step (to test that the others stop within
    ``timeout_s`` with a clear error). Raises :class:`GossipProcessError` naming the rank that
    died or failed; :class:`~edgelab.errors.ParameterError` for a world size this machine
    cannot start (more than :func:`max_world_size`) or below 3 (a ring needs three).
    """
    import multiprocessing as mp

    cap = max_world_size()
    if not isinstance(world_size, int) or isinstance(world_size, bool) or not 3 <= world_size <= cap:
        raise ParameterError(f"world_size must be an integer in [3, {cap}] on this machine "
                             f"({os.cpu_count()} CPUs, 4 ranks per core at most), got {world_size!r}")
    steps = integer_in("steps", steps, 1, 10**4)
    timeout_s = positive("timeout_s", timeout_s, at_most=600)
    deadline_s = positive("deadline_s", deadline_s, at_most=3600)
    if die_at is not None:
        integer_in("die_at", die_at, 1, steps)
        integer_in("die_rank", die_rank, 0, world_size - 1)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_worker, args=(r, world_size, port, steps, seed, lr, batch_size,
                                               timeout_s, die_at if r == die_rank else None, out),
                         daemon=True) for r in range(world_size)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    got: dict[int, object] = {}
    errors: dict[int, str] = {}
    end = t0 + deadline_s
    killed: list[int] = []
    try:
        while len(got) + len(errors) < world_size and time.perf_counter() < end:
            all_done = all(p.exitcode is not None for p in procs)  # read before the queue
            try:
                kind, rank, val = out.get(timeout=0.5)
            except queue_mod.Empty:
                if all_done:  # every rank has exited and flushed: nothing more will come
                    break
                continue
            (got if kind == "ok" else errors)[rank] = val
        for p in procs:
            p.join(timeout=max(0.1, min(timeout_s, end - time.perf_counter())))
    finally:
        for r, p in enumerate(procs):
            if p.is_alive():
                killed.append(r)
                p.kill()
                p.join(timeout=5)
    wall = time.perf_counter() - t0
    silent = [r for r, p in enumerate(procs) if r not in got and r not in errors]
    if errors or silent:
        died = [r for r in silent if procs[r].exitcode not in (None, 0) and r not in killed]
        first = (f"rank {died[0]} died (exit code {procs[died[0]].exitcode})" if died
                 else f"ranks {killed} were stopped by the watchdog at deadline_s={deadline_s:g}"
                 if silent else "a rank failed")
        detail = "; ".join(f"rank {r}: {m}" for r, m in sorted(errors.items()))
        raise GossipProcessError(f"gossip ring of {world_size} ranks stopped after {wall:.1f} s: "
                                 f"{first}; {detail or 'no rank reported'}")
    return RingRun(torch.from_numpy(np.stack([got[r] for r in range(world_size)])), wall)
