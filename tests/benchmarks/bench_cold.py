"""Benchmark: the two effects behind the host cost model's cold and fault terms (seed 003 §III-B).

Printed figures, not a timed test (pytest does not collect this file). One thread, the
thread's CPU clock (as :mod:`edgelab.hardware.calibrate` measures), medians of repeated calls.

1. **Cold kernels.** An in-place ReLU on a fresh copy of a tensor (its data hot in cache), timed
   right after ReLU ran, and after ``d`` ms of a Python busy loop that touches no tensor. The
   ratio to back-to-back shows that a kernel goes cold with *time*, not with the bytes this
   process streams: what :func:`edgelab.hardware.cost.cold_term` models with τ, the time since a
   layer's kind last ran.
2. **Fresh-memory faults.** Minor page faults and system time per call of convolutions whose
   output is 12.8 MB and 6.4 MB: what :func:`edgelab.hardware.cost.fault_term` models.

    python tests/benchmarks/bench_cold.py [--repeats 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time


def _spin(seconds: float) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        pass


def cold_relu(numel: int, idle_ms: list[float], repeats: int) -> list[float]:
    """Median µs of an in-place ReLU on a fresh copy of ``numel`` floats after each idle time."""
    import torch

    relu = torch.nn.ReLU(inplace=True)
    src = torch.randn(numel)
    out = []
    with torch.inference_mode():
        for d in idle_ms:
            ts = []
            for _ in range(repeats):
                _spin(d / 1e3)
                x = src.clone()
                t0 = time.thread_time_ns()
                relu(x)
                ts.append(time.thread_time_ns() - t0)
            out.append(statistics.median(ts) / 1e3)
    return out


def conv_faults(cin: int, cout: int, hw: int, repeats: int) -> tuple[float, float, float]:
    """(median ms, median minor page faults, median system ms) of one 3×3 convolution call."""
    import torch

    conv = torch.nn.Conv2d(cin, cout, 3, padding=1).eval()
    x = torch.randn(1, cin, hw, hw)
    ts, fl, sy = [], [], []
    with torch.inference_mode():
        for _ in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_THREAD)
            t0 = time.thread_time_ns()
            y = conv(x)
            ts.append(time.thread_time_ns() - t0)
            r1 = resource.getrusage(resource.RUSAGE_THREAD)
            fl.append(r1.ru_minflt - r0.ru_minflt)
            sy.append(r1.ru_stime - r0.ru_stime)
            del y
    return (statistics.median(ts) / 1e6, statistics.median(fl), statistics.median(sy) * 1e3)


def main(argv: list[str] | None = None) -> int:
    """Print both tables."""
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=60)
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error(f"--repeats must be ≥ 1, got {a.repeats}")
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    idle = [0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0]
    print(f"1. in-place ReLU after d ms of a Python busy loop (µs, median of {a.repeats}; "
          "ratio to d = 0)")
    print("   size      " + "".join(f"{d:>9g}ms" for d in idle))
    for numel in (256, 102_400):
        us = cold_relu(numel, idle, a.repeats)
        print(f"   {numel * 4 / 1e3:6.0f} KB " + "".join(f"{u:9.1f}  " for u in us))
        print("   ratio    " + "".join(f"{u / us[0]:9.1f}× " for u in us))
    print()
    n = max(5, a.repeats // 6)
    print(f"2. one 3×3 convolution call (median of {n}): fresh output memory page-faults")
    print("   conv            output   time ms   minor faults   system ms   faults × 4 KiB / output")
    for cin, cout, hw in ((3, 64, 224), (64, 64, 224), (64, 128, 112)):
        ms, faults, sys_ms = conv_faults(cin, cout, hw, n)
        out_b = cout * hw * hw * 4
        print(f"   {cin:3d}→{cout:<3d} {hw}²  {out_b / 1e6:7.1f} MB {ms:9.1f} {faults:14.0f} "
              f"{sys_ms:11.1f} {faults * 4096 / out_b:12.2f}")
    print(f"\n   (pid {os.getpid()}, torch {torch.__version__}, 1 thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
