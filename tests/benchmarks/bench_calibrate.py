"""Benchmark: how well the cost model predicts measured latency on this CPU (seed 003 §III-B).

Printed figures, not a timed test (pytest does not collect this file). Runs the full protocol
of :mod:`edgelab.hardware.calibrate` on every zoo model (≥ 10, batch 1, one thread): the reference
latency of a model is the median over 3 processes of the median of 30 runs after warm-up;
each model is scored by a fit that left it out, and by one that left its family out; the
noise floor (spread of the per-process medians) and the oracle (Σ own measured layers) are
printed beside the scores, with the targets and PASS/FAIL. Anchor: nn-Meter, 99.0% within
±10% on a dedicated mobile CPU.

    python tests/benchmarks/bench_calibrate.py [--models M ...] [--repeats 30] [--processes 3]
                                               [--save-raw runs.json] [--from-raw runs.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the accuracy table, the noise floor and the targets."""
    import pandas as pd

    from edgelab.cli.calibrate import TABLE_COLUMNS, format_summary
    from edgelab.hardware import calibrate

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=None)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--clock", choices=("thread", "wall"), default="thread")
    p.add_argument("--save-raw", type=Path, help="also write the measurements (JSON) here")
    p.add_argument("--from-raw", type=Path, help="score measurements saved by --save-raw")
    p.add_argument("--save-device", action="store_true", help="write the host device file")
    a = p.parse_args(argv)

    if a.from_raw:
        raw = json.loads(a.from_raw.read_text())
        meas = calibrate.measurements_from_runs(raw["runs"], raw.get("meta"))
    else:
        runs, meta = calibrate.measure_runs(a.models, repeats=a.repeats, processes=a.processes,
                                            warmup=a.warmup, threads=a.threads, clock=a.clock)
        if a.save_raw:
            a.save_raw.write_text(json.dumps({"runs": runs, "meta": meta}))
        meas = calibrate.measurements_from_runs(runs, meta)
    rep = calibrate.report_from_measurements(meas, progress=True, save=a.save_device)
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        print(rep.table[TABLE_COLUMNS].round(2).to_string(index=False))
    print()
    print(format_summary(rep.summary))
    print()
    print("targets (edgelab.hardware.calibrate.TARGETS):")
    s = rep.summary
    for key, (op, target) in calibrate.TARGETS.items():
        v = s.get(key)
        shown = "n/a" if v is None else (f"{100 * v:.0f}%" if key.endswith("pct") and "within" in key
                                         else f"{v:.1f}%")
        want = f"{100 * target:.0f}%" if "within" in key else f"{target:g}%"
        ok = s["passed"].get(key)
        print(f"  {key:26s} {shown:>8s}  target {op} {want:6s}  "
              f"{'n/a' if ok is None else ('PASS' if ok else 'FAIL')}")
    def num(v: float | None, scale: float = 1.0, fmt: str = ".1f") -> str:
        return "n/a" if v is None else f"{scale * v:{fmt}}%"  # None: not applicable here

    print(f"  noise floor: per-process spread median {num(s['noise_spread_median_pct'])}, "
          f"max {num(s['noise_spread_max_pct'])}; per layer median "
          f"{num(s['layer_noise_spread_median_pct'])}; oracle within ±10% "
          f"{num(s['oracle_within_10pct'], 100, '.0f')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
