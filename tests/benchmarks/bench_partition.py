"""Benchmark (printed, not a timed test): partition decisions (seed 003 §V-C.2), the planner
deciding a 1,000-point bandwidth grid for every catalog device.

Run: ``PYTHONPATH=. python tests/benchmarks/bench_partition.py``. Targets:

* the partition decision for a 1,000-point bandwidth grid across every catalog device
  (Neurosurgeon's argmin over every split, all devices × bandwidths × splits at once): ≤ 10 ms;
* the DAG min-cut (DADS) for ResNet-18: ≤ 200 ms.

Medians of repeats, after one warm-up call (profiles are cached; the first call of a process
pays for tracing the model).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from edgelab.hardware.catalog import device_names
from edgelab.hardware.cost import split_costs
from edgelab.hardware.profile import profile_model
from edgelab.inference import partition

REPEATS = 15


def _median_ms(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _verdict(ms: float, target: float) -> str:
    return f"{'PASS' if ms <= target else 'FAIL'} (target ≤ {target:g} ms)"


def main() -> None:
    """Print the medians with PASS/FAIL against the targets."""
    grid = np.logspace(-2, 4, 1000)
    devices = device_names()
    for model in ("alexnet", "vgg16", "resnet18", "googlenet", "mobilenet_v2"):
        p = profile_model(model)

        planner = partition.SplitPlanner(p, devices, "a100", "4g")

        def brute(p=p) -> np.ndarray:
            sc = split_costs(p, devices, "a100", "4g", grid)  # (devices, bandwidths, splits)
            return np.argmin(sc.latency_s, axis=-1)

        ms = _median_ms(lambda planner=planner: planner.decide(grid, "latency"))
        ms_e = _median_ms(lambda planner=planner: planner.decide(grid, "energy"))
        ms_build = _median_ms(lambda p=p: partition.SplitPlanner(p, devices, "a100", "4g"), 5)
        ms_brute = _median_ms(brute, 5)
        print(f"{model:13s} decision, {len(devices)} devices x 1000 bandwidths "
              f"({p.n_layers + 1} splits, ≤{planner.candidates['latency']} candidates): latency "
              f"{ms:6.2f} ms, energy {ms_e:6.2f} ms  {_verdict(max(ms, ms_e), 10)}; "
              f"tables (once per model/server/link) {ms_build:6.2f} ms; "
              f"brute force via split_costs {ms_brute:6.2f} ms")
    p = profile_model("resnet18")
    ms = _median_ms(lambda: partition.dads(p, "jetson-nano", "a100", "wan", 10.0))
    print(f"resnet18      DADS (min-cut + endpoints + chain comparison): {ms:7.2f} ms  "
          f"{_verdict(ms, 200)}")
    from edgelab.hardware.cost import layer_latency_grid

    lat = layer_latency_grid(p, ["jetson-nano", "a100"])
    tc = np.concatenate([[p.input_bytes], p.table["output_bytes"].to_numpy(float)]) * 8 / 10e6
    ms = _median_ms(lambda: partition.min_cut_placement(p.preds, lat[0], lat[1], tc,
                                                        p.output_layer))
    print(f"resnet18      min-cut alone (networkx, {p.n_layers} layers): {ms:7.2f} ms  "
          f"{_verdict(ms, 200)}")
    p = profile_model("googlenet")
    ms = _median_ms(lambda: partition.dads(p, "jetson-nano", "a100", "wan", 10.0), 5)
    print(f"googlenet     DADS ({p.n_layers} layers): {ms:7.2f} ms (no target)")


if __name__ == "__main__":
    main()
