"""One real pipeline-parallel training run: ``torch.distributed.pipelining`` on gloo, 127.0.0.1.

Seed 003 §IV-C.4 (pipeline parallelism, PipeDream [61]; seed 002's pipeline parallelism for
in-edge training). ``world_size`` processes each hold one stage of a deep MLP on the 8×8 digits
and train it with torch's GPipe or 1F1B schedule (``ScheduleGPipe`` / ``Schedule1F1B``; torch's
1F1B is the synchronous PipeDream-Flush). Each rank first times its own stage's forward and
backward on one micro-batch alone; the parent feeds those times to
:func:`~edgelab.training.pipeline_parallel.simulate_schedule` and sets the modelled mini-batch
beside the measured one.

Safety: the process group is a ``FileStore`` (no TCP store listens) and gloo binds the loopback
interface (``GLOO_SOCKET_IFNAME=lo``), every collective has ``timeout_s``, and the parent is a
watchdog: when a rank dies, the others stop within ``timeout_s`` (their receive times out or
finds the peer gone) and :class:`PipelineRunError` names who died and what the others saw; past
the overall deadline every rank is killed.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from edgelab._validate import choice, integer_in, positive
from edgelab.errors import EdgelabError, ParameterError
from edgelab.training.pipeline_parallel import SCHEDULES, simulate_schedule

__all__ = ["GlooPipelineRun", "PipelineRunError", "run_gloo_pipeline", "max_world_size"]

#: Exit code of a rank told to die mid-run (``fail_rank``).
DIE_CODE = 17


class PipelineRunError(EdgelabError, RuntimeError):
    """A rank of a real pipeline run died or hung; the message names each rank's fate."""


@dataclass(frozen=True)
class GlooPipelineRun:
    """A finished real run (seed 003 §IV-C.4): per-stage measured forward / backward seconds of
    one micro-batch, the measured seconds of each mini-batch step, the modelled step and the
    last loss."""

    schedule: str
    world_size: int
    n_micro: int
    forward_s: tuple[float, ...]
    backward_s: tuple[float, ...]
    step_s: tuple[float, ...]
    modelled_step_s: float
    losses: tuple[float, ...]

    @property
    def measured_step_s(self) -> float:
        """Median measured mini-batch step, the first (warm-up) step left out (seed 003 §IV-C.4)."""
        return float(np.median(self.step_s[1:] if len(self.step_s) > 1 else self.step_s))

    @property
    def measured_over_modelled(self) -> float:
        """Measured ÷ modelled step time (1 = the schedule model explains the run; §IV-C.4)."""
        return self.measured_step_s / self.modelled_step_s


def max_world_size() -> int:
    """Most pipeline ranks this machine starts: one per CPU core, at most 4 (seed 003 §IV-C.4)."""
    return max(1, min(4, os.cpu_count() or 1))


def _stage_module(rank: int, world: int, depth: int, width: int, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    dims = [64] + [width] * (depth - 1) + [10]
    layers = [nn.Linear(dims[i], dims[i + 1]) for i in range(depth)]
    mine = np.array_split(np.arange(depth), world)[rank]
    mods: list[nn.Module] = []
    for i in mine:
        mods.append(layers[i])
        if i < depth - 1:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def _time_stage(mod, x, last: bool, y, reps: int = 5) -> tuple[float, float, object]:
    import torch

    fw, bw = [], []
    for _ in range(reps):
        xi = x.detach().requires_grad_(True)
        t0 = time.perf_counter()
        out = mod(xi)
        t1 = time.perf_counter()
        if last:
            torch.nn.functional.cross_entropy(out, y).backward()
        else:
            out.backward(torch.ones_like(out))
        t2 = time.perf_counter()
        fw.append(t1 - t0)
        bw.append(t2 - t1)
    mod.zero_grad()
    return float(np.median(fw)), float(np.median(bw)), out.detach()


def _worker(rank: int, cfg: dict) -> None:  # runs in a spawned process
    out = Path(cfg["dir"])
    try:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"
        import torch
        import torch.distributed as dist
        from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

        from edgelab.datasets import load_digits_split

        torch.set_num_threads(1)
        world, M = cfg["world"], cfg["n_micro"]
        store = dist.FileStore(str(out / "store"), world)
        dist.init_process_group("gloo", store=store, rank=rank, world_size=world,
                                timeout=timedelta(seconds=cfg["timeout_s"]))
        mod = _stage_module(rank, world, cfg["depth"], cfg["width"], cfg["seed"])
        split = load_digits_split(seed=cfg["seed"])
        n = M * cfg["micro_batch"]
        x = torch.as_tensor(split.x_train[:n], dtype=torch.float32)
        y = torch.as_tensor(split.y_train[:n])
        # time this stage alone on one micro-batch (its input: the previous stages' output)
        h = x[: cfg["micro_batch"]]
        for r in range(rank):
            with torch.no_grad():
                h = _stage_module(r, world, cfg["depth"], cfg["width"], cfg["seed"])(h)
        f_s, b_s, _ = _time_stage(mod, h, rank == world - 1, y[: cfg["micro_batch"]])
        stage = PipelineStage(mod, rank, world, torch.device("cpu"))
        cls = ScheduleGPipe if cfg["schedule"] == "gpipe" else Schedule1F1B
        sched = cls(stage, n_microbatches=M, loss_fn=torch.nn.functional.cross_entropy)
        opt = torch.optim.SGD(mod.parameters(), lr=0.05)
        steps, losses = [], []
        for step in range(cfg["steps"]):
            dist.barrier()
            if rank == cfg["fail_rank"] and step == cfg["fail_step"]:
                os._exit(DIE_CODE)  # die mid-run, inside the step, without a goodbye
            t0 = time.perf_counter()
            opt.zero_grad()
            if rank == 0:
                sched.step(x)
            elif rank == world - 1:
                ls: list = []
                sched.step(target=y, losses=ls)
                losses.append(float(torch.stack(ls).detach().mean()))
            else:
                sched.step()
            opt.step()
            steps.append(time.perf_counter() - t0)
        dist.barrier()
        (out / f"rank{rank}.json").write_text(json.dumps(
            {"forward_s": f_s, "backward_s": b_s, "step_s": steps, "losses": losses}))
        dist.destroy_process_group()
    except BaseException as e:  # noqa: BLE001 - reported to the parent, then re-raised
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        (out / f"rank{rank}.err").write_text(f"{type(e).__name__}: {first}\n{traceback.format_exc()}")
        raise


def run_gloo_pipeline(schedule: str = "gpipe", *, world_size: int = 2, n_micro: int = 4,
                      micro_batch: int = 64, steps: int = 6, depth: int = 8, width: int = 512,
                      timeout_s: float = 20.0, start_s: float = 120.0, seed: int = 0,
                      fail_rank: int | None = None, fail_step: int = 1) -> GlooPipelineRun:
    """Train a ``depth``-layer MLP for ``steps`` mini-batches over ``world_size`` real processes.

    Seed 003 §IV-C.4. ``schedule`` is ``gpipe`` or ``1f1b``; each step pushes ``n_micro``
    micro-batches of ``micro_batch`` digits. ``timeout_s`` bounds every gloo wait; ``start_s``
    bounds the start (importing torch in a spawned process takes seconds on a loaded machine).
    ``fail_rank`` makes that rank exit at the start of step ``fail_step`` (a test of the
    watchdog). Raises ``ParameterError`` for a world size this machine cannot start
    (:func:`max_world_size`), more stages than layers or fewer than one micro-batch, and
    :class:`PipelineRunError` when a rank dies or the run passes its deadline.
    """
    import multiprocessing as mp

    schedule = choice("schedule", schedule, SCHEDULES)
    cap = max_world_size()
    world = integer_in("world_size", world_size, 2, 64)
    if world > cap:
        raise ParameterError(f"world_size: this machine starts at most {cap} pipeline ranks "
                             f"(one per CPU core, at most 4), got {world}")
    depth = integer_in("depth", depth, 1, 64)
    if world > depth:
        raise ParameterError(f"world_size: {world} pipeline stages need at least as many layers, "
                             f"the MLP has {depth}: use at most {depth} stages")
    M = integer_in("n_micro (micro-batches)", n_micro, 1, 64)
    cfg = {"schedule": schedule, "world": world, "n_micro": M,
           "micro_batch": integer_in("micro_batch", micro_batch, 1, 256),
           "steps": integer_in("steps", steps, 1, 100), "depth": depth,
           "width": integer_in("width", width, 1, 4096),
           "timeout_s": positive("timeout_s", timeout_s), "seed": int(seed),
           "fail_rank": -1 if fail_rank is None else integer_in("fail_rank", fail_rank, 0, world - 1),
           "fail_step": integer_in("fail_step", fail_step, 0, 100)}
    if cfg["micro_batch"] * M > 1437:
        raise ParameterError("micro_batch × n_micro must be at most 1437 (the digits training split)")
    start_s = positive("start_s", start_s)
    with tempfile.TemporaryDirectory(prefix="edgelab-pipe-") as d:
        cfg["dir"] = d
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(r, cfg), daemon=True) for r in range(world)]
        for p in procs:
            p.start()
        _watch(procs, Path(d), start_s + cfg["steps"] * cfg["timeout_s"], cfg["timeout_s"])
        res = [json.loads((Path(d) / f"rank{r}.json").read_text()) for r in range(world)]
    f = [r["forward_s"] for r in res]
    b = [r["backward_s"] for r in res]
    step = np.median(np.array([r["step_s"] for r in res]), axis=0)  # ranks agree after the barrier
    modelled = simulate_schedule(f, b, M, schedule).makespan_s
    return GlooPipelineRun(schedule, world, M, tuple(f), tuple(b), tuple(float(s) for s in step),
                           float(modelled), tuple(res[-1]["losses"]))


def _watch(procs: list, d: Path, deadline_s: float, timeout_s: float) -> None:
    """Wait for every rank, at most ``deadline_s``; once one fails, the others get ``timeout_s``
    plus a grace period to stop on their own. Then kill what is left and report (§IV-C.4)."""
    t0 = time.monotonic()
    first_fail: float | None = None
    while any(p.is_alive() for p in procs):
        now = time.monotonic()
        if first_fail is None and any(p.exitcode not in (None, 0) for p in procs):
            first_fail = now
        if now - t0 > deadline_s or (first_fail is not None and now - first_fail > timeout_s + 15):
            break
        time.sleep(0.1)
    hung = [r for r, p in enumerate(procs) if p.is_alive()]
    for p in procs:
        if p.is_alive():
            p.kill()
        p.join(5)
    if not hung and all(p.exitcode == 0 for p in procs):
        return
    fates = []
    for r, p in enumerate(procs):
        err = d / f"rank{r}.err"
        if r in hung:
            fates.append(f"rank {r} hung and was killed")
        elif p.exitcode == DIE_CODE:
            fates.append(f"rank {r} died mid-run (exit code {DIE_CODE})")
        elif p.exitcode != 0:
            why = err.read_text().splitlines()[0] if err.exists() else "no message"
            fates.append(f"rank {r} stopped with exit code {p.exitcode}: {why[:200]}")
        else:
            fates.append(f"rank {r} finished")
    raise PipelineRunError(f"pipeline run failed after {time.monotonic() - t0:.0f} s: "
                           + "; ".join(fates))
