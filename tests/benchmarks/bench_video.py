"""Benchmark: the video analytics parts of chapter 24 on this CPU (seed 003 §V-C.4-§V-C.5).

Printed figures, not a timed test (pytest does not collect this file). Runs every part of
``edgelab.inference.video_experiments.VIDEO_BENCH_PARTS`` (the same code as
``edgelab bench video``): the NoScope cascade's frames per second at chapter 24's defaults,
the reference model's alone, and the share of frames reaching the reference model. Timings
move with the machine's load; run it on an idle machine.

    python tests/benchmarks/bench_video.py [--seed 0] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str] | None = None) -> int:
    """Run the parts and print one JSON object per part, then the top-level figures."""
    from edgelab.inference.video_experiments import run_video_bench

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    res = run_video_bench(seed=a.seed, repeats=a.repeats)
    for part in res["parts"]:
        print(json.dumps(part, default=str))
    c = res["parts"][0]
    print(f"cascade {c['cascade_fps']:.0f} frames/s vs reference alone {c['reference_fps']:.0f} "
          f"frames/s (x{c['cascade_fps'] / c['reference_fps']:.1f}); "
          f"{c['to_reference']:.1%} of frames reach the reference model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
