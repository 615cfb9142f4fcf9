"""Benchmark (printed, not a timed test): model compression on this CPU (seed 003 §V-C.1).

Run: ``PYTHONPATH=. python tests/benchmarks/bench_compression.py`` (or
``edgelab bench compression --format json``, the same run). At the chapter's default model and
data (``DigitsConvNet(width=64)`` on 8×8 digits; LeNet-300-100 for Deep Compression), all
ratios from one run, latencies the median of repeats on one thread. Targets (issue 13):

* structured (channel) pruning of half the channels: fp32 speed-up ≥ 2× at ≤ 1 point of accuracy;
* static int8 (fbgemm): speed-up ≥ 1.5× at batch 1 at ≤ 1 point;
* Deep Compression of LeNet-300-100: ≥ 20× at ≤ 1 point;
* and, for the record, the masks of unstructured pruning: no speed-up (``mask_speedup`` ≈ 1 or
  below).
"""

from __future__ import annotations

import json

from edgelab.inference.compression.bench import TARGETS, run_compression_bench


def main() -> int:
    """Run the benchmark once, print the JSON and one verdict line per target."""
    res = run_compression_bench()
    print(json.dumps(res, indent=2))
    drop = TARGETS["max_accuracy_drop_points"]
    checks = [
        ("structured_speedup", res["structured_speedup"] >= TARGETS["structured_speedup"]
         and res["structured_accuracy_drop"] <= drop),
        ("int8_speedup", res["int8_speedup"] >= TARGETS["int8_speedup"]
         and res["int8_accuracy_drop"] <= drop),
        ("deep_compression_ratio", res["deep_compression_ratio"] >= TARGETS["deep_compression_ratio"]
         and res["deep_compression_accuracy_drop"] <= drop),
    ]
    for name, ok in checks:
        print(f"{name}: {res[name]:.2f} -> {'meets' if ok else 'MISSES'} its target")
    print(f"mask_speedup: {res['mask_speedup']:.2f} (masks alone: no speed-up expected)")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
