"""Measure this CPU: the timing protocol behind the host calibration (seed 003 §III-B).

**Protocol** (one thread by default, batch 1, every zoo model):

* a model is timed in ``processes`` separate measurement processes (:func:`run_process`: a
  fresh interpreter runs :func:`measure_in_process`), run one after the other; in each,
  ``warmup`` untimed passes, then ``repeats`` timed passes and the median, each model's passes
  back to back. Each pass times the whole model (``model(x)``) and then each ``torch.fx`` node
  alone: one timed call per node, on the inputs that the previous nodes of the same pass just
  produced (values identical to a capture of the model's own run; view ops such as flatten
  and dropout are timed but the cost model counts them as free).
* the reference latency of a model (and of a layer) is the median of the per-process medians;
  the **noise floor** is the spread ``(max - min) / median`` of those per-process medians.
* the clock is the thread's CPU time (``time.thread_time_ns``) by default, minus the timer's
  own cost: with one intra-op thread all the work runs on the calling thread, so CPU time is
  the latency an idle machine would show, and it does not count time slices lost to other
  processes on a shared machine. ``clock="wall"`` uses ``time.perf_counter_ns`` instead.

The host's peaks (:func:`measure_host_peaks`) are the single-thread 1024³ SGEMM rate and the
64 MiB copy rate. :class:`Measurements` holds the result: one row per layer (with the profile's
FLOPs, bytes and GEMM dims, :func:`layer_frame`) and one per model.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.fx

from edgelab import models as _models
from edgelab.errors import EdgelabError
from edgelab.hardware.cost import FAMILIES, FREE_OPS, gemm_dims
from edgelab.hardware.profile import profile_model
from edgelab.hardware.trace import trace

__all__ = [
    "Measurements", "measure_host_peaks", "measure_model", "measure_models", "measure_in_process",
    "run_process", "layer_frame", "measurements_from_runs", "measure_runs", "measure_protocol",
    "check_models",
]

_SKIP_NODES = ("placeholder", "output", "get_attr")
# What a measurement process runs: the settings arrive as JSON in argv[1], the result leaves
# as one line of JSON on stdout (progress goes to stderr).
_WORKER = ("import json, sys\n"
           "from edgelab.hardware.calibrate.measure import measure_in_process\n"
           "sys.stdout.write(json.dumps(measure_in_process(**json.loads(sys.argv[1]))) + '\\n')\n")


def _median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def _clock(clock: str) -> Callable[[], int]:
    if clock == "thread":
        return time.thread_time_ns
    if clock == "wall":
        return time.perf_counter_ns
    raise ValueError(f"clock must be 'thread' or 'wall', got {clock!r}")


def _timer_overhead_ns(pc: Callable[[], int], n: int = 2000) -> float:
    d = []
    for _ in range(n):
        a = pc()
        b = pc()
        d.append(b - a)
    return _median(d)


def _node_callable(gm: torch.fx.GraphModule, node: torch.fx.Node) -> Callable[..., Any]:
    if node.op == "call_module":
        return gm.get_submodule(str(node.target))
    if node.op == "call_function":
        return node.target  # type: ignore[return-value]
    name = str(node.target)
    return lambda self, *a, **k: getattr(self, name)(*a, **k)


def measure_host_peaks(repeats: int = 15, n: int = 1024, mib: int = 64, threads: int = 1,
                       clock: str = "thread") -> dict[str, float]:
    """The host's large-SGEMM rate (GFLOP/s) and large-copy bandwidth (GB/s, read + write).

    The SGEMM is ``torch.mm`` of two ``n × n`` fp32 matrices (2n³ FLOPs), the copy a
    ``mib`` MiB ``Tensor.copy_``; each the median of ``repeats`` after warm-up. These are the
    host device's ``peak_fp32_gflops`` and ``mem_bw_gbps`` (measured, not a datasheet).

    Seed 003 §III-B.
    """
    torch.set_num_threads(threads)
    pc = _clock(clock)
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    ts = []
    for _ in range(repeats):
        t0 = pc()
        torch.mm(a, b, out=c)
        ts.append(pc() - t0)
    gemm = 2.0 * n ** 3 / (_median(ts) * 1e-9) / 1e9
    src = torch.randn(mib * 2 ** 20 // 4)
    dst = torch.empty_like(src)
    for _ in range(2):
        dst.copy_(src)
    ts = []
    for _ in range(repeats):
        t0 = pc()
        dst.copy_(src)
        ts.append(pc() - t0)
    bw = 2.0 * src.numel() * 4 / (_median(ts) * 1e-9) / 1e9
    return {"gemm_gflops": gemm, "copy_gbps": bw}


def measure_model(name: str, repeats: int = 30, warmup: int = 5, threads: int = 1,
                  clock: str = "thread") -> dict[str, Any]:
    """Time one zoo model in this process (seed 003 §III-B): whole model and each layer.

    Each of ``warmup + repeats`` passes runs ``model(x)`` once (timed), then every node of its
    ``torch.fx`` graph once, each call timed alone, on the inputs the pass just produced. The
    timer's own cost is subtracted. Returns ``{"model", "model_s"`` (median), ``"model_times"``,
    ``"layers": {node name: median seconds}}``.
    """
    return measure_models([name], repeats, warmup, threads, clock)[0]


def measure_models(names: Sequence[str], repeats: int = 30, warmup: int = 5, threads: int = 1,
                   clock: str = "thread", interleave: bool = False) -> list[dict[str, Any]]:
    """Time several zoo models in this process; one :func:`measure_model` result per name
    (seed 003 §III-B).

    By default each model's passes run back to back (steady state: a model's weights stay in
    the caches between passes, as in nn-Meter's protocol). ``interleave=True`` runs pass ``r``
    of every model before pass ``r + 1`` of any: a slow spell of a shared machine then touches
    every model a little, but every pass starts with cold caches. On this host that protocol
    was noisier (per-layer spread 19% against 14%) and is not the default.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be ≥ 1 and warmup ≥ 0, got {repeats}, {warmup}")
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # random weights can produce denormals: time real work
    try:
        pc = _clock(clock)
        oh = _timer_overhead_ns(pc)
        # back to back: one model at a time, so only its weights are alive; else all at once
        groups = [[n] for n in names] if not interleave else [list(names)]
        out = []
        for group in groups:
            runners = [_PassRunner(n, pc, oh) for n in group]
            with torch.inference_mode():
                for r in range(warmup + repeats):
                    for run in runners:
                        run.one_pass(record=r >= warmup)
            out += [run.result() for run in runners]
        return out
    finally:
        torch.set_flush_denormal(False)  # process-wide CPU state: restore it


class _PassRunner:
    """One model's timed passes: the whole model, then each fx node on the pass's own inputs."""

    def __init__(self, name: str, pc: Callable[[], int], timer_ns: float) -> None:
        self.name, self.pc, self.timer_ns = name, pc, timer_ns
        self.model = _models.build(name)
        self.x = _models.example_input(name)
        gm = trace(self.model, name)
        nodes = [n for n in gm.graph.nodes if n.op not in _SKIP_NODES]
        index = {n.name: i for i, n in enumerate(nodes)}
        last_use: dict[str, int] = {}
        for i, n in enumerate(nodes):
            for a in n.all_input_nodes:
                last_use[a.name] = i
        self.drop_after: list[list[str]] = [[] for _ in nodes]
        for k, i in last_use.items():
            if k in index:
                self.drop_after[i].append(k)
        self.placeholder = next(n.name for n in gm.graph.nodes if n.op == "placeholder")
        self.calls = [(n.name, _node_callable(gm, n), n.args, n.kwargs) for n in nodes]
        self.times: dict[str, list[float]] = {n.name: [] for n in nodes}
        self.model_times: list[float] = []

    def one_pass(self, record: bool) -> None:
        pc, oh = self.pc, self.timer_ns
        t0 = pc()
        self.model(self.x)
        dt = max(pc() - t0 - oh, 0.0)
        if record:
            self.model_times.append(dt * 1e-9)
        env: dict[str, Any] = {self.placeholder: self.x}
        for i, (lname, fn, nargs, nkwargs) in enumerate(self.calls):
            look = env.__getitem__
            args = torch.fx.node.map_arg(nargs, lambda a, look=look: look(a.name))
            kwargs = torch.fx.node.map_arg(nkwargs, lambda a, look=look: look(a.name))
            t0 = pc()
            out = fn(*args, **kwargs)
            dt = max(pc() - t0 - oh, 0.0)
            env[lname] = out
            for k in self.drop_after[i]:
                env.pop(k, None)
            if record:
                self.times[lname].append(dt * 1e-9)
        env.clear()

    def result(self) -> dict[str, Any]:
        return {"model": self.name, "model_s": _median(self.model_times),
                "model_times": self.model_times,
                "layers": {k: _median(v) for k, v in self.times.items()}}


def measure_in_process(names: Sequence[str], repeats: int = 30, warmup: int = 5, threads: int = 1,
                       clock: str = "thread", progress: bool = False) -> dict[str, Any]:
    """What one measurement process does (seed 003 §III-B): the host's peaks, then every model.

    Returns ``{"pid", "threads", "peaks": measure_host_peaks(...), "models": measure_models(...)}``
    (JSON-safe); :func:`run_process` runs it in a fresh interpreter.
    """
    torch.set_num_threads(threads)
    out: dict[str, Any] = {"pid": os.getpid(), "threads": threads,
                           "peaks": measure_host_peaks(threads=threads, clock=clock),
                           "models": []}
    if progress:
        sys.stderr.write(f"calibrate:   {', '.join(names)}\n")
    out["models"] = measure_models(names, repeats, warmup, threads, clock)
    return out


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[3])  # the folder that holds edgelab/


def run_process(names: Sequence[str], repeats: int, warmup: int, threads: int, clock: str,
                progress: bool) -> dict[str, Any]:
    """One measurement process of the protocol (seed 003 §III-B): a fresh Python interpreter
    runs :func:`measure_in_process` and hands back its JSON result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([_package_root(), *filter(None, [env.get("PYTHONPATH")])])
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    settings = {"names": list(names), "repeats": repeats, "warmup": warmup, "threads": threads,
                "clock": clock, "progress": progress}
    cmd = [sys.executable, "-c", _WORKER, json.dumps(settings)]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE,
                         text=True, env=env, check=False)
    if res.returncode != 0:
        tail = (res.stderr or "").strip().splitlines()[-1:] or ["see stderr"]
        raise EdgelabError(f"measurement process failed (exit {res.returncode}): {tail[0]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


@dataclass
class Measurements:
    """Reference latencies of a set of models and of their layers, over several processes.

    ``layers``: one row per profiled layer (model, layer, op, family, flops, moved bytes, GEMM
    dims M N K, ``free``, ``measured_s``). ``models``: one row per model (family,
    ``measured_s``, ``spread_pct``, ``process_s`` list, ``oracle_s`` = Σ measured layers).
    ``peaks``: median measured SGEMM GFLOP/s and copy GB/s. ``meta``: the protocol's settings.
    """

    layers: pd.DataFrame
    models: pd.DataFrame
    peaks: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)


def layer_frame(name: str, layer_s: dict[str, float] | None) -> pd.DataFrame:
    """One row per profiled layer of zoo model ``name``: what the fit needs (seed 003 §III-B).

    Columns: ``model``, ``layer``, ``op``, ``family``, ``flops``, ``moved`` (input + output +
    weight bytes), the GEMM dims ``M``, ``N``, ``K``, ``module``, ``free`` (a view,
    :data:`~edgelab.hardware.cost.FREE_OPS`), ``alloc`` (fresh output bytes), ``key`` (the
    parameter key: the family for GEMM layers, else the module) and ``measured_s`` (from
    ``layer_s`` by layer name; NaN where missing or when ``layer_s`` is ``None``).
    """
    prof = profile_model(name)
    t = prof.table
    dims = gemm_dims(prof)
    df = pd.DataFrame({
        "model": name, "layer": t["layer"], "op": t["op"].astype(str),
        "family": t["family"].where(t["family"].isin(FAMILIES), "other"),
        "flops": t["flops"].astype(np.float64),
        "moved": (t["input_bytes"] + t["output_bytes"] + t["weight_bytes"]).astype(np.float64),
        "M": dims[:, 0], "N": dims[:, 1], "K": dims[:, 2],
        "module": t["module"].astype(str),
        "free": t["op"].isin(FREE_OPS),
        "alloc": t["alloc_bytes"].astype(np.float64),
    })
    df["key"] = np.where(df["family"] == "other", df["module"], df["family"])
    df["measured_s"] = [np.nan if layer_s is None else float(layer_s.get(lname, np.nan))
                        for lname in t["layer"]]
    return df


def measurements_from_runs(runs: Sequence[dict[str, Any]], meta: dict[str, Any] | None = None
                           ) -> Measurements:
    """Combine the JSON of several measurement processes into reference latencies.

    The reference of a model and of each layer is the median of the per-process medians; the
    spread ``(max - min) / median`` of those is the noise floor (seed 003 §III-B).
    """
    if not runs:
        raise ValueError("no measurement runs to combine")
    names = [m["model"] for m in runs[0]["models"]]
    lrows, mrows = [], []
    for name in names:
        per = [next(m for m in r["models"] if m["model"] == name) for r in runs]
        layer_names = per[0]["layers"].keys()
        ref = {k: _median([p["layers"][k] for p in per]) for k in layer_names}
        lf = layer_frame(name, ref)
        spread = {k: (max(v) - min(v)) / ref[k] * 100.0 if ref[k] > 0 else np.nan
                  for k in layer_names for v in [[p["layers"][k] for p in per]]}
        lf["spread_pct"] = [spread.get(lname, np.nan) for lname in lf["layer"]]
        lrows.append(lf)
        proc = [float(p["model_s"]) for p in per]
        med = _median(proc)
        mrows.append({
            "model": name, "family": _models.spec(name).family, "n_layers": int((~lf["free"]).sum()),
            "measured_s": med, "spread_pct": 100.0 * (max(proc) - min(proc)) / med,
            "process_s": proc, "oracle_s": float(lf["measured_s"].sum()),
        })
    peaks = {k: _median([r["peaks"][k] for r in runs]) for k in runs[0]["peaks"]}
    return Measurements(pd.concat(lrows, ignore_index=True), pd.DataFrame(mrows), peaks,
                        dict(meta or {}))


def measure_runs(models: Sequence[str] | None = None, repeats: int = 30, processes: int = 3,
                 warmup: int = 5, threads: int = 1, clock: str = "thread", progress: bool = True,
                 ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the measurement processes; return their raw JSON results and the settings.

    The raw results can be saved and scored later (:func:`measurements_from_runs`); seed 003
    §III-B.
    """
    names = check_models(models)
    if processes < 1:
        raise ValueError(f"processes must be ≥ 1, got {processes}")
    if repeats < 1 or warmup < 0 or threads < 1:
        raise ValueError(f"repeats and threads must be ≥ 1 and warmup ≥ 0, got repeats={repeats}, "
                         f"threads={threads}, warmup={warmup}")
    _clock(clock)
    runs = []
    for i in range(processes):
        if progress:
            sys.stderr.write(f"calibrate: process {i + 1}/{processes}: {len(names)} models, "
                             f"{warmup} warm-up + {repeats} timed passes, {threads} thread(s)\n")
        runs.append(run_process(names, repeats, warmup, threads, clock, progress))
    meta = {"repeats": repeats, "processes": processes, "warmup": warmup, "threads": threads,
            "clock": clock, "torch": torch.__version__, "models": list(names)}
    return runs, meta


def measure_protocol(models: Sequence[str] | None = None, repeats: int = 30, processes: int = 3,
            warmup: int = 5, threads: int = 1, clock: str = "thread", progress: bool = True,
            ) -> Measurements:
    """Run the measurement protocol (seed 003 §III-B) in ``processes`` fresh processes.

    Each process (:func:`run_process`, run one after the other) times every model; the
    reference latencies are the medians over processes.
    """
    runs, meta = measure_runs(models, repeats, processes, warmup, threads, clock, progress)
    return measurements_from_runs(runs, meta)


def check_models(models: Sequence[str] | None) -> list[str]:
    """The zoo models to measure, deduplicated in order (``None``: the whole zoo); a string is
    one model; an unknown name raises :class:`~edgelab.errors.UnknownNameError` listing the
    valid ones, before anything is measured (seed 003 §III-B)."""
    if models is None:
        return _models.list_models()
    if isinstance(models, str):
        models = [models]
    names = list(dict.fromkeys(models))
    if not names:
        raise ValueError("models must name at least one zoo model")
    for n in names:
        _models.spec(n)  # raises UnknownNameError listing the valid names
    return names
