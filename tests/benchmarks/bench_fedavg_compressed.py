"""Benchmark of compressed uploads in the batched federated engine and of its scale
(seed 003 §IV-C.1, §IV-C.3). Printed figures, not a test.

    PYTHONPATH=. python tests/benchmarks/bench_fedavg_compressed.py [--repeats 3] [--clients 10000]
        [--rounds 5] [--no-scale]

1. Batched: the FedAvg benchmark workload (digits, 100 Dirichlet(0.5) clients, 20 rounds, MLP
   64-64-10, C=1, E=1, B=10, lr 0.05) without compression, with top-k (density 0.01) + error
   feedback and with QSGD (s=4), each a fresh ``edgelab bench fedavg`` process, best of
   ``--repeats``; compression and decompression milliseconds beside the bytes. Target: ms per
   client-round with top-k + EF at most 2× uncompressed.
2. Scale: ``edgelab bench fedavg --clients N --rounds R`` (four fresh processes: 100 and N
   clients, without and with top-k + EF, on seeded synthetic data past 143 clients). Targets:
   ms per client-round at N at most 1.5× the figure at 100, peak RSS under 1.5 GB (1536 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
RSS_LIMIT_MB = 1536.0


def bench(*extra: str) -> dict | list:
    """``edgelab bench fedavg ... --format json`` in a fresh process."""
    out = subprocess.run([sys.executable, "-m", "edgelab", "bench", "fedavg", "--format", "json",
                          *extra], capture_output=True, text=True, env=ENV, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench fedavg {' '.join(extra)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-scale", action="store_true", help="only the 100-client comparison")
    args = ap.parse_args()

    best = {}
    for comp in ("none", "topk", "qsgd"):
        runs = [bench("--compressor", comp) for _ in range(args.repeats)]
        best[comp] = min(runs, key=lambda r: r["ms_per_client_round"])
    ratio = best["topk"]["ms_per_client_round"] / best["none"]["ms_per_client_round"]
    print(f"batched, 100 digit clients, 20 rounds, best of {args.repeats}:")
    for comp, r in best.items():
        print(f"  {comp:<5} {r['ms_per_client_round']:.4f} ms/client-round, accuracy "
              f"{r['accuracy']:.4f}, {r['bytes_up_per_client_round']:.0f} B up per client-round")
    t = best["topk"]
    print(f"  top-k compress / decompress / memory: {t['compress_ms_per_client_round']:.4f} / "
          f"{t['decompress_ms_per_client_round']:.4f} / {t['memory_ms_per_client_round']:.4f} ms")
    q = best["qsgd"]
    print(f"  QSGD (s=4) compress / decompress: {q['compress_ms_per_client_round']:.4f} / "
          f"{q['decompress_ms_per_client_round']:.4f} ms; its run / uncompressed per client-round "
          f"= {q['ms_per_client_round'] / best['none']['ms_per_client_round']:.2f}x")
    checks = [(f"top-k + EF / uncompressed per client-round = {ratio:.2f}x <= 2x", ratio <= 2.0)]
    if not args.no_scale:
        rows = bench("--clients", str(args.clients), "--rounds", str(args.rounds))
        print(f"scale, {args.rounds} rounds (the 100-client reference: at least 20):")
        for r in rows:
            print(f"  {r['clients']:>6} clients {r['compression']:<11} {r['data']:<9} "
                  f"{r['ms_per_client_round']:.4f} ms/client-round ({r['ratio_to_reference']:.2f}x "
                  f"100 clients), peak RSS {r['peak_rss_mb']:.0f} MiB")
        for r in rows:
            if r["clients"] == args.clients:
                checks.append((f"{r['compression']}: {args.clients} / 100 clients per client-round "
                               f"= {r['ratio_to_reference']:.2f}x <= 1.5x",
                               r["ratio_to_reference"] <= 1.5))
            checks.append((f"{r['clients']} clients {r['compression']}: peak RSS "
                           f"{r['peak_rss_mb']:.0f} MiB < {RSS_LIMIT_MB:.0f} MiB",
                           r["peak_rss_mb"] < RSS_LIMIT_MB))
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
