"""Benchmark (printed, not a timed test): the multi-tenancy allocator (seed 003 §V-C.7).

Run: ``PYTHONPATH=. python tests/benchmarks/bench_tenancy.py [--tenants 10] [--seeds 5]``.
For each seed, a Mainstream instance of ``--tenants`` applications
(:func:`edgelab.inference.multi_tenancy.random_problem`: the block costs of ``digits_cnn`` on a
Cortex-M7 from the cost model, seeded synthetic accuracies, budgets at a quarter of what every
tenant at full rate and without sharing would need) is solved greedily (Mainstream's scheduler)
and exactly (scipy ``milp``). Printed: the mean accuracy of each, the greedy-vs-optimal gap in
points, and each solver's wall time on this CPU (a measurement: it varies with the load).
The integrator wires :func:`edgelab.inference.multi_tenancy.tenancy_benchmark` into
``edgelab bench video``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str] | None = None) -> int:
    """Run the allocator benchmark on several seeds and print one JSON line per seed."""
    from edgelab.inference.multi_tenancy import tenancy_benchmark

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tenants", type=int, default=10)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--tightness", type=float, default=0.25)
    a = p.parse_args(argv)
    gaps = []
    for seed in range(a.seeds):
        r = tenancy_benchmark(a.tenants, seed=seed, tightness=a.tightness)
        gaps.append(r.gap_points)
        print(json.dumps({"seed": seed, **asdict(r)}))
    print(f"greedy-vs-optimal gap over {a.seeds} seeds: mean {sum(gaps) / len(gaps):.3f} points, "
          f"max {max(gaps):.3f} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
