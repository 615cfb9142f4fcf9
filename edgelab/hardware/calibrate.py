"""Calibrate the cost model against this machine: measure, fit a "host" device, score honestly.

Seed 003 §III-B (Fig. 7) argues quantitatively that where a DNN runs decides its latency; the
numbers only mean something if the cost model (:mod:`edgelab.hardware.cost`) predicts measured latency.
This module is issue 2, items 6 (``calibrate``) and 9 (the accuracy benchmark). Its anchor is
nn-Meter (Zhang et al., MobiSys 2021): 99.0% of models within ±10% on a dedicated mobile CPU,
with kernel-level fusion detection; we use a plain per-layer roofline, on a shared machine.

**Protocol** (one thread by default, batch 1, every zoo model):

* a model is timed in ``processes`` separate ``python -m edgelab.hardware.calibrate --measure ...``
  processes, run one after the other; in each, ``warmup`` untimed passes, then ``repeats``
  timed passes and the median, each model's passes back to back. Each pass times the whole model (``model(x)``) and then each
  ``torch.fx`` node alone: one timed call per node, on the inputs that the previous nodes of
  the same pass just produced (values identical to a capture of the model's own run; view
  ops such as flatten and dropout are timed but the cost model counts them as free).
* the reference latency of a model (and of a layer) is the median of the per-process medians;
  the **noise floor** is the spread ``(max - min) / median`` of those per-process medians.
* the clock is the thread's CPU time (``time.thread_time_ns``) by default, minus the timer's
  own cost: with one intra-op thread all the work runs on the calling thread, so CPU time is
  the latency an idle machine would show, and it does not count time slices lost to other
  processes on a shared machine. ``clock="wall"`` uses ``time.perf_counter_ns`` instead.

**Fit** (seed 003 §III-B's cost model, :func:`edgelab.hardware.cost.roofline`). Per layer::

    t0 = overhead[op] + ((c)^p + (m)^p)^(1/p) + fault · a · a⁴ / (a⁴ + a½⁴)
    c  = FLOPs / (peak · eff[op] · s(M) s(N) s(K)),  s(x) = x / (x + x½)   (conv, dwconv, linear)
    m  = bytes moved / (mem_bw · mem_eff[op])
    a  = bytes of fresh output memory the layer allocates (0 in place)
    t  = t0 + cold[op] · τ^h / (τ^h + τ½^h)
    τ  = Σ t0 of the layers run since a layer of the same kind last ran (in steady-state
         repeated inference: a kind met once last ran one inference ago)
    t_model = Σ t + model_overhead

``peak`` is the measured single-thread SGEMM rate (1024³ ``torch.mm``, median) and
``mem_bw`` the measured 64 MiB copy rate; the fit finds ``eff`` per op kind (conv, dwconv,
linear, bn, act, pool, lrn, add, cat, ... shrunk toward their family), ``overhead`` per op
kind (shrunk toward a shared value), ``mem_eff``, the half-saturation sizes ``(M½, N½, K½)``,
the fresh-memory cost ``fault`` per byte and its threshold ``a½``, the cache-cold penalty
``cold`` per op kind (shrunk toward a shared value), its half-saturation time ``τ½`` and
exponent ``h``, by least squares on log(predicted / measured) with a soft-L1 loss (relative
error: a fit on absolute error would get the small layers badly wrong); then
``model_overhead`` on whole-model log error. Weak priors (the catalog's CPU defaults) pin a
parameter that no training layer informs, e.g. depthwise convolutions when all MobileNets are
held out.

Why these two terms (``python tests/benchmarks/bench_cold.py`` on this 2-core VM; one run):

* **cold**: an in-place ReLU on 1 KB of hot data takes 3.9 µs when ReLU ran just before,
  11.6 µs after 1 ms of a Python busy loop that touches no tensor, 45 µs after 5 ms and 68 µs
  after 20 ms (17.6×). The kernel's code, data and address translations leave the caches
  with *time* (a shared host's other tenants, a migrated vCPU), not with the bytes this process
  streams. So ReLU right after one of VGG's 40 ms convolutions costs 3-5× a ReLU of the same
  size in MnasNet, where a ReLU runs every few hundred µs.
* **fault**: a 3→64 convolution with a 12.8 MB output page-faults 6,241 times a call (16.8 ms
  of system time, 2 faults per 4 KiB of output); a 64→128 one with a 6.4 MB output, none:
  glibc returns blocks that large to the kernel on free, so each call faults them in again.

**Scoring**: every model is predicted by a fit that never saw it (leave one model out) and
by a fit that never saw its family (leave one family out); models under 1 ms (the digits
nets) are scored apart in absolute microseconds. The "oracle" predictor, each model's own
measured layer times summed, shows how far per-layer additivity alone can go.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.fx

from edgelab import models as _models
from edgelab._io import atomic_write_text
from edgelab._validate import choice, integer_in, show
from edgelab.errors import EdgelabError, ParameterError
from edgelab.hardware.catalog import DEFAULT_EFFICIENCY, Device
from edgelab.hardware.cost import (
    FAMILIES,
    GEMM_FAMILIES,
    gemm_dims,
    host_terms,
    reuse_index,
    roofline,
)
from edgelab.hardware.profile import _trace, profile_model

__all__ = [
    "CalibrationReport",
    "Measurements",
    "FitResult",
    "measure_host_peaks",
    "measure_model",
    "measure_models",
    "measure",
    "measure_runs",
    "measurements_from_runs",
    "report_from_measurements",
    "fit_host",
    "score",
    "run_calibration",
    "host_device_path",
    "host_device_available",
    "load_host_device",
    "save_host_device",
    "TARGETS",
]

#: The targets of issue 2, item 9 (shares 0..1, errors in percent).
TARGETS: dict[str, tuple[str, float]] = {
    "layer_median_ape": ("<=", 10.0),
    "family_layer_median_ape": ("<=", 15.0),
    "within_10pct": (">=", 0.75),
    "within_20pct": (">=", 0.90),
    "model_median_ape": ("<=", 8.0),
    "family_within_20pct": (">=", 0.80),
}
SUB_MS_S = 1e-3  # models faster than this are scored in absolute microseconds
_SKIP_NODES = ("placeholder", "output", "get_attr")
_FREE_OPS = ("reshape",)
# Op kinds the cost model treats as "other" keep their own efficiency and overhead, shrunk
# toward the family; weak priors in log space (a standard deviation of 1 = a factor e).
_PRIOR_SD = 1.0
_HALFSAT0 = 16.0  # prior centre of the GEMM half-saturation sizes (log-space sd 2)
_ROOFLINE_P = 1.0  # host: compute and memory time add (see _Design)
# Prior centres of the cache-cold term (log-space sd 2, 2 and 0.5): a few tens of µs once a
# layer's kind last ran about a millisecond ago (see Device.cold_penalty_s).
_COLD0_S = 2e-5
_COLD0_TAU_S = 1e-3
_HILL0 = 1.0
# ... and of the fresh-memory term (log-space sd 2 and 1): about 0.6 ns a byte (2.4 µs a 4 KiB
# page fault under a hypervisor) above a few MB (glibc's mmap threshold grows up to 32 MiB).
_FAULT0_S_PER_B = 6e-10
_FAULT0_BYTES = 8e6
_SOFT_SCALE = 0.1
# The per-inference overhead (one Python call into the model) is a few µs: a weak prior (log-space
# sd 2) keeps a fit without small models from hiding its large models' error there.
_MODEL_OH0_S = 1e-5
_PRIOR_SD_MODEL_OH = 2.0
# An unseen kind borrows the fit of the kernel it runs as: ReLU6 is torch's hardtanh on [0, 6],
# an elementwise clamp with ReLU's memory traffic.
_KERNEL_ALIAS = {"ReLU6": "ReLU", "Hardtanh": "ReLU"}  # soft-L1 loss: residuals beyond ~10% count linearly, not quadratically


# ----------------------------------------------------------------------------- measurement


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
    """Time several zoo models in this process; one :func:`measure_model` result per name.

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
        gm = _trace(self.model, name)
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


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[1])


def _run_process(names: Sequence[str], repeats: int, warmup: int, threads: int, clock: str,
                 progress: bool) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([_package_root(), *filter(None, [env.get("PYTHONPATH")])])
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, "-m", "edgelab.hardware.calibrate", "--measure", *names, "--repeats",
           str(repeats), "--warmup", str(warmup), "--threads", str(threads), "--clock", clock]
    if progress:
        cmd.append("--progress")
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


def _layer_frame(name: str, layer_s: dict[str, float] | None) -> pd.DataFrame:
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
        "free": t["op"].isin(_FREE_OPS),
        "alloc": t["alloc_bytes"].astype(np.float64),
    })
    df["key"] = np.where(df["family"] == "other", df["module"], df["family"])
    df["measured_s"] = [np.nan if layer_s is None else float(layer_s.get(lname, np.nan))
                        for lname in t["layer"]]
    return df


def measurements_from_runs(runs: Sequence[dict[str, Any]], meta: dict[str, Any] | None = None
                           ) -> Measurements:
    """Combine the JSON of several measurement processes into reference latencies."""
    if not runs:
        raise ValueError("no measurement runs to combine")
    names = [m["model"] for m in runs[0]["models"]]
    lrows, mrows = [], []
    for name in names:
        per = [next(m for m in r["models"] if m["model"] == name) for r in runs]
        layer_names = per[0]["layers"].keys()
        ref = {k: _median([p["layers"][k] for p in per]) for k in layer_names}
        lf = _layer_frame(name, ref)
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
    """Run the measurement processes; return their raw JSON results and the settings."""
    names = _check_models(models)
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
        runs.append(_run_process(names, repeats, warmup, threads, clock, progress))
    meta = {"repeats": repeats, "processes": processes, "warmup": warmup, "threads": threads,
            "clock": clock, "torch": torch.__version__, "models": list(names)}
    return runs, meta


def measure(models: Sequence[str] | None = None, repeats: int = 30, processes: int = 3,
            warmup: int = 5, threads: int = 1, clock: str = "thread", progress: bool = True,
            ) -> Measurements:
    """Run the measurement protocol of issue 2 item 9 in ``processes`` fresh processes.

    Each process (``python -m edgelab.hardware.calibrate --measure ...``, run one after the other)
    times every model; the reference latencies are the medians over processes.
    """
    runs, meta = measure_runs(models, repeats, processes, warmup, threads, clock, progress)
    return measurements_from_runs(runs, meta)


def _check_models(models: Sequence[str] | None) -> list[str]:
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


# ----------------------------------------------------------------------------- fit


@dataclass
class _Design:
    """Parameter layout of the fit.

    ``keys`` are the parameter keys of the layers: the family for conv / dwconv / linear, the
    module (``BatchNorm2d``, ``ReLU6``, ``MaxPool2d``, ``add``, ...) for the "other" family,
    whose op kind (``act``, ``pool``, ...) is ``key_op``. θ (all in log space): efficiency per
    family; a base overhead; a memory efficiency; then, for efficiency, overhead and memory
    efficiency alike, a shrunk offset per "other" op kind and a shrunk offset per key on top
    of it (so an unseen ``ReLU6`` falls back to what ``ReLU`` taught about ``act``); the GEMM
    half-saturation sizes per GEMM family. Compute and memory time add up (p = 1): on this
    CPU a layer barely overlaps them, and a fitted p made the fit ill-conditioned.
    """

    keys: list[str]
    key_family: list[str]
    key_op: list[str]

    def __post_init__(self) -> None:
        self.n_fam = len(FAMILIES)
        self.ops = sorted({o for o, k in zip(self.key_op, self.keys, strict=True) if o != k})
        i = self.n_fam
        self.i_ohbase, self.i_mem = i, i + 1
        i += 2
        self.i_op: dict[str, dict[str, int]] = {}
        self.i_key: dict[str, dict[str, int]] = {}
        for what in ("eff", "oh", "mem"):
            self.i_op[what] = {o: i + j for j, o in enumerate(self.ops)}
            i += len(self.ops)
            self.i_key[what] = {k: i + j for j, k in enumerate(self.keys)}
            i += len(self.keys)
        self.i_hs = {f: i + 3 * j for j, f in enumerate(GEMM_FAMILIES)}
        i += 3 * len(GEMM_FAMILIES)
        # cache-cold penalty (s), its half-saturation time (s) and its Hill exponent
        self.i_cold, self.i_coldb, self.i_hill = i, i + 1, i + 2
        self.i_fault, self.i_faultb = i + 3, i + 4  # fresh-memory cost (s/B) and threshold (B)
        i += 5
        self.i_ckey = {k: i + j for j, k in enumerate(self.keys)}  # its shrunk offset per key
        self.size = i + len(self.keys)

    def theta0(self) -> np.ndarray:
        th = np.zeros(self.size)
        d = DEFAULT_EFFICIENCY["cpu"]
        th[: self.n_fam] = np.log([min(1.0, 2 * d[f]) for f in FAMILIES])
        th[self.i_ohbase] = math.log(1e-5)
        for j in self.i_hs.values():
            th[j:j + 3] = math.log(_HALFSAT0)
        th[self.i_cold] = math.log(_COLD0_S)
        th[self.i_coldb] = math.log(_COLD0_TAU_S)
        th[self.i_hill] = math.log(_HILL0)
        th[self.i_fault] = math.log(_FAULT0_S_PER_B)
        th[self.i_faultb] = math.log(_FAULT0_BYTES)
        return th

    def _offset(self, th: np.ndarray, what: str, k: str, op: str) -> float:
        j = self.i_op[what].get(op)
        return float(th[self.i_key[what][k]] + (th[j] if j is not None else 0.0))

    def unpack(self, th: np.ndarray) -> dict[str, Any]:
        fam_eff = {f: math.exp(th[i]) for i, f in enumerate(FAMILIES)}
        base = math.exp(th[self.i_ohbase])
        mem = math.exp(th[self.i_mem])
        eff, oh, me = dict(fam_eff), {}, {}
        for o in self.ops:  # op-kind level: what an unseen module of that kind falls back to
            f = self.key_family[self.key_op.index(o)]
            eff[o] = fam_eff[f] * math.exp(th[self.i_op["eff"][o]])
            oh[o] = base * math.exp(th[self.i_op["oh"][o]])
            me[o] = mem * math.exp(th[self.i_op["mem"][o]])
        for k, f, o in zip(self.keys, self.key_family, self.key_op, strict=True):
            eff[k] = fam_eff[f] * math.exp(self._offset(th, "eff", k, o))
            oh[k] = base * math.exp(self._offset(th, "oh", k, o))
            me[k] = mem * math.exp(self._offset(th, "mem", k, o))
        return {"efficiency": eff, "layer_overhead_s": base, "op_overhead_s": oh,
                "mem_efficiency": mem, "op_mem_efficiency": me,
                "gemm_halfsat": {f: tuple(float(v) for v in np.exp(th[j:j + 3]))
                                 for f, j in self.i_hs.items()},
                "roofline_p": _ROOFLINE_P,
                "cold_penalty_s": math.exp(th[self.i_cold]),
                "cold_halfsat_s": math.exp(th[self.i_coldb]),
                "cold_hill": math.exp(th[self.i_hill]),
                "page_fault_s_per_byte": math.exp(th[self.i_fault]),
                "page_fault_threshold_bytes": math.exp(th[self.i_faultb]),
                "op_cold_penalty_s": {k: math.exp(th[self.i_cold] + th[j])
                                      for k, j in self.i_ckey.items()}}

    def priors(self, th: np.ndarray) -> np.ndarray:
        d = DEFAULT_EFFICIENCY["cpu"]
        conv = FAMILIES.index("conv")
        rel = [th[FAMILIES.index(f)] - th[conv] - math.log(d[f] / d["conv"])
               for f in FAMILIES if f != "conv"]
        offsets = [th[i] for w in ("eff", "oh", "mem")
                   for i in (*self.i_op[w].values(), *self.i_key[w].values())]
        hs = [(th[j + k] - math.log(_HALFSAT0)) / 2.0 for j in self.i_hs.values() for k in range(3)]
        cold = [(th[self.i_cold] - math.log(_COLD0_S)) / 2.0,
                (th[self.i_coldb] - math.log(_COLD0_TAU_S)) / 2.0,
                (th[self.i_hill] - math.log(_HILL0)) / 0.5,
                (th[self.i_fault] - math.log(_FAULT0_S_PER_B)) / 2.0,
                (th[self.i_faultb] - math.log(_FAULT0_BYTES)) / 1.0,
                *(th[j] / _PRIOR_SD for j in self.i_ckey.values())]
        return np.concatenate([np.array(rel + offsets) / _PRIOR_SD, hs, cold])


@dataclass
class FitResult:
    """A fitted host device and the settings it came from."""

    device: Device
    params: dict[str, Any]
    trained_on: list[str]
    cost: float


def _arrays(layers: pd.DataFrame, design: _Design) -> dict[str, np.ndarray]:
    key_index = {k: i for i, k in enumerate(design.keys)}
    return {
        "flops": layers["flops"].to_numpy(np.float64),
        "moved": layers["moved"].to_numpy(np.float64),
        "dims": layers[["M", "N", "K"]].to_numpy(np.float64),
        "hsfam": np.array([GEMM_FAMILIES.index(f) if f in GEMM_FAMILIES else -1
                           for f in layers["family"]], dtype=np.int64),
        "key": np.array([key_index[k] for k in layers["key"]], dtype=np.int64),
        "free": layers["free"].to_numpy(bool),
        "alloc": layers["alloc"].to_numpy(np.float64),
        **_reuse_arrays(layers),
    }


def _reuse_arrays(layers: pd.DataFrame) -> dict[str, np.ndarray]:
    """:func:`~edgelab.hardware.cost.reuse_index` per model of a frame that concatenates models."""
    n = len(layers)
    prev, wrap = np.arange(n, dtype=np.int64), np.ones(n, dtype=bool)
    seg = np.zeros(n, dtype=np.int64)
    models = layers["model"].to_numpy()
    free, keys = layers["free"].to_numpy(bool), layers["key"].tolist()
    for j, name in enumerate(dict.fromkeys(models)):
        idx = np.flatnonzero(models == name)
        if idx[-1] - idx[0] + 1 != len(idx):
            raise ValueError(f"the layers of {name!r} must be contiguous")
        p, w = reuse_index(free[idx], keys[idx[0]:idx[-1] + 1])
        prev[idx], wrap[idx], seg[idx] = p + idx[0], w, j
    return {"prev": prev, "wrap": wrap, "seg": seg}


def _predict_layers(th: np.ndarray, design: _Design, arr: dict[str, np.ndarray], peak: float,
                    bw: float) -> np.ndarray:
    p = design.unpack(th)
    eff = np.array([p["efficiency"][k] for k in design.keys])[arr["key"]]
    oh = np.array([p["op_overhead_s"][k] for k in design.keys])[arr["key"]]
    mem = np.array([p["op_mem_efficiency"][k] for k in design.keys])[arr["key"]]
    cold = np.array([p["op_cold_penalty_s"][k] for k in design.keys])[arr["key"]]
    hs_tab = np.array([p["gemm_halfsat"][f] for f in GEMM_FAMILIES] + [(0.0, 0.0, 0.0)])
    hs = hs_tab[arr["hsfam"]]  # index -1 picks the zero row
    t = roofline(arr["flops"], arr["moved"], arr["dims"], eff[None], oh[None], hs[None],
                 np.array([peak]), bw * mem[None], np.array([p["roofline_p"]]))[0]
    return host_terms(t[None], arr["free"], arr["alloc"], arr["prev"], arr["wrap"],
                      np.array([p["page_fault_s_per_byte"]]),
                      np.array([p["page_fault_threshold_bytes"]]), cold[None],
                      np.array([p["cold_halfsat_s"]]), np.array([p["cold_hill"]]),
                      arr["seg"])[0]


def _design_for(layers: pd.DataFrame) -> _Design:
    pairs = (layers[["key", "family", "op"]].drop_duplicates("key")
             .sort_values(["family", "key"]))
    keys = pairs["key"].tolist()
    fams = pairs["family"].tolist()
    ops = [o if f == "other" else k for k, f, o in zip(keys, fams, pairs["op"], strict=True)]
    for f in GEMM_FAMILIES:  # so that a held-out model's unseen family falls back to priors
        if f not in keys:
            keys.append(f)
            fams.append(f)
            ops.append(f)
    return _Design(keys, fams, ops)


def host_device(params: dict[str, Any], peaks: dict[str, float], model_overhead_s: float,
                name: str = "host", threads: int = 1) -> Device:
    """Build the "host" :class:`~edgelab.hardware.catalog.Device` from fitted parameters and peaks."""
    mem_gb = 8.0
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return Device(
        name=name, tier="edge", kind="cpu",
        description=f"this machine's CPU, calibrated with {threads} thread(s) at batch 1 "
                    "(see edgelab.hardware.calibrate)",
        source="measured by edgelab.hardware.calibrate: peak = median single-thread 1024^3 SGEMM rate, "
               "memory bandwidth = 64 MiB copy rate; power assumed equal to laptop-cpu",
        peak_fp32_gflops=float(peaks["gemm_gflops"]), mem_bw_gbps=float(peaks["copy_gbps"]),
        mem_gb=float(mem_gb), active_power_w=28.0, idle_power_w=2.0,
        efficiency={k: float(v) for k, v in params["efficiency"].items()},
        mem_efficiency=float(params["mem_efficiency"]),
        layer_overhead_s=float(params["layer_overhead_s"]),
        model_overhead_s=float(model_overhead_s),
        op_overhead_s={k: float(v) for k, v in params["op_overhead_s"].items()},
        op_mem_efficiency={k: float(v) for k, v in params["op_mem_efficiency"].items()},
        gemm_halfsat={k: tuple(float(x) for x in v)  # type: ignore[misc]
                      for k, v in params["gemm_halfsat"].items()},
        roofline_p=float(params["roofline_p"]),
        cold_penalty_s=float(params.get("cold_penalty_s", 0.0)),
        cold_halfsat_s=float(params.get("cold_halfsat_s", 0.0)),
        cold_hill=float(params.get("cold_hill", 1.0)),
        page_fault_s_per_byte=float(params.get("page_fault_s_per_byte", 0.0)),
        page_fault_threshold_bytes=float(params.get("page_fault_threshold_bytes", 0.0)),
        op_cold_penalty_s={k: float(v) for k, v in params.get("op_cold_penalty_s", {}).items()},
    )


def _fit_model_overhead(pred_sum: np.ndarray, measured: np.ndarray) -> float:
    """Per-inference overhead ≥ 0 minimising the robust log error of whole models."""
    from scipy.optimize import minimize_scalar

    if len(measured) == 0:
        return 0.0

    def loss(log_mo: float) -> float:
        r = np.log((pred_sum + math.exp(log_mo)) / measured) / _SOFT_SCALE
        prior = ((log_mo - math.log(_MODEL_OH0_S)) / _PRIOR_SD_MODEL_OH) ** 2
        return float(np.sum(2 * (np.sqrt(1 + r * r) - 1)) + prior)

    lo, hi = math.log(1e-9), math.log(max(1e-6, float(np.min(measured))))
    res = minimize_scalar(loss, bounds=(lo, hi), method="bounded")
    return float(math.exp(res.x)) if loss(res.x) < loss(lo) else 0.0


def _alias_unseen(th: np.ndarray, design: _Design, seen: set[str]) -> np.ndarray:
    """Give a kind the training data never showed the fitted offsets of its nearest kernel.

    Without this an unseen kind falls back to its op kind's shared value (``act`` for
    ``ReLU6``), which on this host is 1.9× off for ReLU6 when every MobileNet is held out.
    """
    th = np.array(th, dtype=np.float64)
    for k, a in _KERNEL_ALIAS.items():
        if k in design.i_ckey and a in design.i_ckey and k not in seen and a in seen:
            for w in ("eff", "oh", "mem"):
                th[design.i_key[w][k]] = th[design.i_key[w][a]]
            th[design.i_ckey[k]] = th[design.i_ckey[a]]
    return th


def fit_host(meas: Measurements, exclude: Sequence[str] = (), design: _Design | None = None
             ) -> FitResult:
    """Fit the host device on every measured model except ``exclude`` (seed 003 §III-B).

    Stage 1 fits the per-layer parameters on log(predicted / measured) of every non-free
    layer of the training models (soft-L1 loss, weak priors); stage 2 fits the per-inference
    overhead on the training models' whole-model log error.
    """
    from scipy.optimize import least_squares

    excl = set(exclude)
    train = [m for m in meas.models["model"] if m not in excl]
    if not train:
        raise ValueError("fit_host needs at least one training model")
    design = design or _design_for(meas.layers)
    lay = meas.layers[meas.layers["model"].isin(train) & ~meas.layers["free"]
                      & (meas.layers["measured_s"] > 0)]
    arr = _arrays(lay, design)
    y = np.log(lay["measured_s"].to_numpy(np.float64))
    peak = meas.peaks["gemm_gflops"] * 1e9
    bw = meas.peaks["copy_gbps"] * 1e9
    n_data = len(y)

    def resid(th: np.ndarray) -> np.ndarray:
        pred = _predict_layers(th, design, arr, peak, bw)
        r = (np.log(pred) - y) / _SOFT_SCALE
        rho = np.sqrt(2 * (np.sqrt(1 + r * r) - 1)) * np.sign(r)  # soft-L1, as plain residuals
        return np.concatenate([rho, design.priors(th)])

    th0 = design.theta0()
    lo = np.full(design.size, -30.0)
    hi = np.full(design.size, 30.0)
    hi[: design.n_fam] = math.log(1.5)  # efficiency at most 1.5 × the measured SGEMM rate
    res = least_squares(resid, th0, bounds=(lo, hi), x_scale=1.0, max_nfev=400 * design.size)
    theta = _alias_unseen(res.x, design, set(lay["key"]))
    params = design.unpack(theta)
    lay_all = meas.layers[meas.layers["model"].isin(train)]
    pred_all = _predict_layers(theta, design, _arrays(lay_all, design), peak, bw)
    sums = pd.Series(pred_all, index=lay_all.index).groupby(lay_all["model"]).sum()
    mm = meas.models.set_index("model").loc[train]
    mo = _fit_model_overhead(sums.loc[train].to_numpy(), mm["measured_s"].to_numpy(np.float64))
    dev = host_device(params, meas.peaks, mo, threads=int(meas.meta.get("threads", 1)))
    return FitResult(dev, {**params, "model_overhead_s": mo, "theta": theta.tolist()}, train,
                     float(res.cost) / max(n_data, 1))


def predict(fit: FitResult, meas: Measurements, model: str) -> tuple[np.ndarray, float]:
    """Predicted per-layer latencies (s) and whole-model latency of ``model`` under ``fit``."""
    lay = meas.layers[meas.layers["model"] == model]
    design = _design_for(meas.layers)
    th = np.asarray(fit.params["theta"])
    t = _predict_layers(th, design, _arrays(lay, design), meas.peaks["gemm_gflops"] * 1e9,
                        meas.peaks["copy_gbps"] * 1e9)
    return t, float(t.sum() + fit.params["model_overhead_s"])


# ----------------------------------------------------------------------------- scoring


def _ape(pred: pd.Series, meas: pd.Series) -> pd.Series:
    return 100.0 * (pred / meas - 1.0).abs()


def score(meas: Measurements, progress: bool = False) -> tuple[pd.DataFrame, dict[str, Any],
                                                              pd.DataFrame]:
    """Leave-one-model-out and leave-one-family-out scores (issue 2, item 9).

    Returns ``(table, summary, layers)``: ``table`` one row per model, ``summary`` the figures
    of :class:`CalibrationReport`, ``layers`` every layer with its held-out predictions.
    """
    design = _design_for(meas.layers)
    mt = meas.models.set_index("model")
    names = list(mt.index)
    layers = meas.layers.copy()
    layers["pred_loo_s"] = np.nan
    layers["pred_family_s"] = np.nan
    rows: dict[str, dict[str, Any]] = {n: {} for n in names}
    for n in names:
        if progress:
            sys.stderr.write(f"calibrate: fit without {n}\n")
        f = fit_host(meas, exclude=[n], design=design)
        t, tot = predict(f, meas, n)
        layers.loc[layers["model"] == n, "pred_loo_s"] = t
        rows[n]["pred_loo_s"] = tot
    for fam in sorted(set(mt["family"])):
        members = list(mt.index[mt["family"] == fam])
        if len(members) == len(names):
            continue
        if progress:
            sys.stderr.write(f"calibrate: fit without family {fam} ({', '.join(members)})\n")
        f = fit_host(meas, exclude=members, design=design)
        for n in members:
            t, tot = predict(f, meas, n)
            layers.loc[layers["model"] == n, "pred_family_s"] = t
            rows[n]["pred_family_s"] = tot
    table = pd.DataFrame({
        "model": names,
        "family": mt["family"].to_numpy(),
        "n_layers": mt["n_layers"].to_numpy(),
        "measured_ms": mt["measured_s"].to_numpy() * 1e3,
        "spread_pct": mt["spread_pct"].to_numpy(),
        "oracle_ms": mt["oracle_s"].to_numpy() * 1e3,
        "pred_loo_ms": [rows[n].get("pred_loo_s", np.nan) * 1e3 for n in names],
        "pred_family_ms": [rows[n].get("pred_family_s", np.nan) * 1e3 for n in names],
    })
    m = table["measured_ms"]
    table["err_loo_pct"] = 100.0 * (table["pred_loo_ms"] / m - 1)
    table["err_family_pct"] = 100.0 * (table["pred_family_ms"] / m - 1)
    table["err_oracle_pct"] = 100.0 * (table["oracle_ms"] / m - 1)
    table["err_loo_us"] = 1e3 * (table["pred_loo_ms"] - m)
    table["err_family_us"] = 1e3 * (table["pred_family_ms"] - m)
    scored = ~layers["free"] & (layers["measured_s"] > 0)
    lay_ape = _ape(layers["pred_loo_s"], layers["measured_s"]).where(scored)
    lay_fape = _ape(layers["pred_family_s"], layers["measured_s"]).where(scored)
    layers["ape_loo_pct"] = lay_ape
    layers["ape_family_pct"] = lay_fape
    table["layer_ape_loo_pct"] = [float(lay_ape[layers["model"] == n].median()) for n in names]
    table["layer_ape_family_pct"] = [float(lay_fape[layers["model"] == n].median())
                                     for n in names]
    table["sub_ms"] = table["measured_ms"] < SUB_MS_S * 1e3
    summary = _summary(table, lay_ape, lay_fape, meas)
    return table, summary, layers


def _share(x: pd.Series, tol: float) -> float:
    x = x.dropna()
    return float((x.abs() <= tol).mean()) if len(x) else float("nan")


def _summary(table: pd.DataFrame, lay_ape: pd.Series, lay_fape: pd.Series,
             meas: Measurements) -> dict[str, Any]:
    big = table[~table["sub_ms"]]
    small = table[table["sub_ms"]]
    fam_scored = big["err_family_pct"].dropna()
    s: dict[str, Any] = {
        "n_models": int(len(table)),
        "n_scored_relative": int(len(big)),
        "n_sub_ms": int(len(small)),
        "n_layers": int(lay_ape.notna().sum()),
        "within_10pct": _share(big["err_loo_pct"], 10),
        "within_20pct": _share(big["err_loo_pct"], 20),
        "model_median_ape": float(big["err_loo_pct"].abs().median()),
        "family_within_10pct": _share(fam_scored, 10),
        "family_within_20pct": _share(fam_scored, 20),
        "family_model_median_ape": float(fam_scored.abs().median()),
        "layer_median_ape": float(lay_ape.median()),
        "family_layer_median_ape": float(lay_fape.median()),
        "sub_ms_median_abs_err_us": float(small["err_loo_us"].abs().median()),
        "sub_ms_max_abs_err_us": float(small["err_loo_us"].abs().max()),
        "sub_ms_family_max_abs_err_us": float(small["err_family_us"].abs().max()),
        "oracle_within_10pct": _share(big["err_oracle_pct"], 10),
        "oracle_within_20pct": _share(big["err_oracle_pct"], 20),
        "oracle_model_median_ape": float(big["err_oracle_pct"].abs().median()),
        "noise_spread_median_pct": float(big["spread_pct"].median()),
        "noise_spread_max_pct": float(big["spread_pct"].max()),
        # the same spread for each layer (its per-process medians): the floor under layer_median_ape
        "layer_noise_spread_median_pct": float(
            meas.layers.loc[lay_ape.notna(), "spread_pct"].median())
        if "spread_pct" in meas.layers else None,
        "peak_gemm_gflops": float(meas.peaks["gemm_gflops"]),
        "copy_gbps": float(meas.peaks["copy_gbps"]),
    }
    # a figure that cannot be computed for this model set (no family to leave out, no sub-ms
    # model, no model >= 1 ms) is not applicable: None (JSON null, "n/a" in the table), never NaN
    for k, v in s.items():
        if isinstance(v, float) and not math.isfinite(v):
            s[k] = None
    s.update({k: v for k, v in meas.meta.items() if k in ("repeats", "processes", "warmup",
                                                          "threads", "clock")})
    s["targets"] = {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()}
    s["passed"] = {k: _passes(s.get(k), op, v) for k, (op, v) in TARGETS.items()}
    return s


def _passes(value: Any, op: str, target: float) -> bool | None:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return bool(value <= target) if op == "<=" else bool(value >= target)


# ----------------------------------------------------------------------------- host device file


def host_device_path() -> Path:
    """Where the calibrated host device lives: ``$EDGELAB_CACHE/host_device.json`` or
    ``~/.cache/edgelab/host_device.json``."""
    root = os.environ.get("EDGELAB_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "edgelab"
    return base / "host_device.json"


def _device_to_json(dev: Device) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(dev):
        v = getattr(dev, f.name)
        if isinstance(v, tuple):
            v = list(v)
        if isinstance(v, float) and math.isinf(v):
            v = "inf"
        if isinstance(v, float) and math.isnan(v):
            v = None
        out[f.name] = v
    return out


def _device_from_json(d: dict[str, Any]) -> Device:
    names = {f.name for f in fields(Device)}
    kw = {k: v for k, v in d.items() if k in names}
    if kw.get("roofline_p") == "inf":
        kw["roofline_p"] = math.inf
    if kw.get("peak_int8_gops") is None:
        kw["peak_int8_gops"] = math.nan
    if "gemm_halfsat" in kw:
        kw["gemm_halfsat"] = {k: tuple(float(x) for x in v) for k, v in kw["gemm_halfsat"].items()}
    return Device(**kw)


def check_host_device_writable(path: Path | None = None) -> Path:
    """Check, before any measurement, that the host device file can be written.

    Creates the folder if needed and writes and removes a probe file there. Raises ``OSError``
    naming the path (and ``EDGELAB_CACHE``/``--no-save`` as the ways out) when it cannot.
    Returns the path the host device will be written to.
    """
    path = Path(path) if path is not None else host_device_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OSError(e.errno, f"cannot write the host device file ({e.strerror or e}); set "
                               "EDGELAB_CACHE to a writable folder or pass --no-save",
                      str(path)) from e
    return path


def save_host_device(dev: Device, extra: dict[str, Any] | None = None,
                     path: Path | None = None) -> Path:
    """Write the host device as JSON atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path) if path is not None else host_device_path()
    payload = {"device": _device_to_json(dev), "calibration": extra or {},
               "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False, default=_json_default)
    return atomic_write_text(path, text + "\n")


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def load_host_device(path: Path | None = None) -> Device | None:
    """The calibrated host device, or ``None`` when no (valid) calibration file exists."""
    path = Path(path) if path is not None else host_device_path()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return _device_from_json(payload["device"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def host_device_available(path: Path | None = None) -> bool:
    """Whether a valid calibrated host device can be loaded (``edgelab calibrate`` writes it)."""
    return load_host_device(path) is not None


# ----------------------------------------------------------------------------- report


@dataclass
class CalibrationReport:
    """What :func:`run_calibration` returns.

    ``summary``: the headline figures (shares 0..1 and errors in percent): ``within_10pct``,
    ``within_20pct``, ``model_median_ape`` (leave one model out, models ≥ 1 ms),
    ``family_within_20pct``, ``layer_median_ape``, ``family_layer_median_ape``, the sub-ms
    models' absolute errors in µs, the oracle's and noise floor's figures, ``n_models``.
    ``table``: one row per model (measured, oracle, predicted leave-one-out and family-out,
    errors, spread). ``layers``: every layer with its held-out predictions. ``device``: the host
    device fitted on all models (what ``get_device("host")`` returns once saved).
    """

    summary: dict[str, Any]
    table: pd.DataFrame
    layers: pd.DataFrame
    device: Device
    measurements: Measurements
    path: Path | None = None


def run_calibration(models: Sequence[str] | None = None, repeats: int = 30, processes: int = 3,
                    warmup: int = 5, threads: int = 1, progress: bool = True,
                    clock: str = "thread", save: bool = True) -> CalibrationReport:
    """Measure, fit and score the host CPU device (issue 2 items 6 and 9; seed 003 §III-B).

    Runs the protocol of :func:`measure` on ``models`` (default: the whole zoo), scores the
    cost model leaving one model out and one family out (:func:`score`), fits the "host"
    device on all models and, when ``save``, writes it atomically to
    :func:`host_device_path` so that ``get_device("host")`` finds it; that folder is checked
    to be writable before measuring (:func:`check_host_device_writable`).
    """
    if len(_check_models(models)) < 2:
        raise ParameterError(f"models must name at least 2 zoo models (each is scored by a fit "
                             f"that leaves it out), got {show(models)}")
    integer_in("repeats", repeats, 1, 10**6)
    integer_in("processes", processes, 1, 1000)
    integer_in("warmup", warmup, 0, 10**6)
    integer_in("threads", threads, 1, 1024)
    choice("clock", clock, ("thread", "wall"))
    if save:
        check_host_device_writable()
    meas = measure(models, repeats=repeats, processes=processes, warmup=warmup,
                   threads=threads, clock=clock, progress=progress)
    return report_from_measurements(meas, progress=progress, save=save)


def report_from_measurements(meas: Measurements, progress: bool = False, save: bool = True
                             ) -> CalibrationReport:
    """Score and fit from existing :class:`Measurements` (see :func:`run_calibration`)."""
    if len(meas.models) >= 2:
        table, summary, layers = score(meas, progress=progress)
    else:
        table, summary, layers = _insample_only(meas)
    full = fit_host(meas)
    path = None
    if save:
        extra = {"summary": summary, "meta": meas.meta, "peaks": meas.peaks}
        path = save_host_device(full.device, extra)
        if progress:
            sys.stderr.write(f"calibrate: wrote the host device to {path}\n")
    return CalibrationReport(summary, table, layers, full.device, meas, path)


def _insample_only(meas: Measurements) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    raise ValueError("calibration needs at least 2 models (one is held out at a time); "
                     f"got {list(meas.models['model'])}")


def _main(argv: Sequence[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m edgelab.hardware.calibrate",
                                description="measure zoo models in this process, print JSON")
    p.add_argument("--measure", nargs="+", required=True, metavar="MODEL")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--clock", choices=("thread", "wall"), default="thread")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    out: dict[str, Any] = {"pid": os.getpid(), "threads": a.threads,
                           "peaks": measure_host_peaks(threads=a.threads, clock=a.clock),
                           "models": []}
    if a.progress:
        sys.stderr.write(f"calibrate:   {', '.join(a.measure)}\n")
    out["models"] = measure_models(a.measure, a.repeats, a.warmup, a.threads, a.clock)
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
