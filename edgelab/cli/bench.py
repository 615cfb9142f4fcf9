"""``edgelab bench``: benchmark workloads (seed 003 §IV-C.1, federated learning).

``edgelab bench fedavg [--engine batched|sequential|flower] [--clients N] [--rounds R]
[--seed S] [--threads T] [--format table|csv|json]`` runs the federated benchmark workload and
prints ``ms_per_client_round``, ``wall_s``, ``accuracy`` and ``peak_rss_mb`` at the top level
(plus settings). ``--compressor topk [--density D]`` compresses the uploads (top-k with error
feedback, seed 003 §IV-C.3), ``--compressor qsgd [--levels S]`` quantizes them (QSGD); ``--data auto|digits|synthetic`` picks the data (auto: synthetic past
143 clients, where digits has less than a batch per client); ``--memory-budget-mb`` bounds the
engine's stacked tensors. With ``--clients`` above 100 on the batched engine (``--scale``, the
default; ``--no-scale`` runs one configuration) it runs four fresh processes, 100 and N clients,
without and with top-k + EF, on the same data, and prints one row each: ms per client-round, its
ratio to 100 clients, peak RSS.

``edgelab bench compression [--seed S] [--format table|csv|json]`` measures model compression
on the chapter's default model and data (seed 003 §V-C.1): ``structured_speedup``,
``structured_accuracy_drop``, ``mask_speedup``, ``int8_speedup``, ``int8_accuracy_drop`` and
``deep_compression_ratio`` at the top level, from one run.

``edgelab bench video [--seed S] [--repeats R] [--format table|csv|json]`` runs the video parts
(seed 003 §V-C.4-§V-C.5): ``cascade_fps`` (NoScope's whole cascade on this CPU),
``reference_fps`` and ``to_reference`` (the share of frames reaching the reference model) at
chapter 24's defaults, one entry per part under ``parts``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pandas as pd

from edgelab.cli.format import emit

#: Clients of the reference run a scale run is compared with (the benchmark workload's), and its
#: least rounds (the workload's 20: a 100-client run of 5 rounds is too short to time).
REFERENCE_CLIENTS = 100
REFERENCE_ROUNDS = 20


def _child(args: argparse.Namespace, clients: int, compressor: str, data: str,
           rounds: int) -> dict[str, Any]:
    """One configuration in a fresh process (its own peak RSS), as JSON (seed 003 §IV-C.1)."""
    cmd = [sys.executable, "-m", "edgelab", "bench", "fedavg", "--no-scale", "--format", "json",
           "--engine", args.engine, "--clients", str(clients), "--rounds", str(rounds),
           "--seed", str(args.seed), "--threads", str(args.threads), "--compressor", compressor,
           "--density", repr(args.density), "--data", data,
           "--memory-budget-mb", repr(args.memory_budget_mb)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False,
                         timeout=args.child_timeout_s)
    if out.returncode != 0:
        raise RuntimeError(f"bench fedavg --clients {clients} --compressor {compressor} failed: "
                           f"{out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout)


def scale_table(args: argparse.Namespace) -> pd.DataFrame:
    """Four fresh runs: reference and ``--clients``, without and with top-k + EF, on the data
    ``--data`` picks for ``--clients`` (seed 003 §IV-C.1, §IV-C.3); the reference runs at least
    :data:`REFERENCE_ROUNDS` rounds. One row each with
    ``ms_per_client_round``, ``ratio_to_reference`` (per client-round, same compression) and
    ``peak_rss_mb``."""
    from edgelab.training.federated.bench import bench_data

    data = bench_data(args.data, args.clients)
    rows = []
    for compressor in ("none", "topk"):
        ref = None
        for clients in (REFERENCE_CLIENTS, args.clients):
            rounds = max(args.rounds, REFERENCE_ROUNDS) if clients == REFERENCE_CLIENTS else args.rounds
            r = _child(args, clients, compressor, data, rounds)
            ref = ref or r["ms_per_client_round"]
            rows.append({"clients": clients, "compression": "top-k + EF" if compressor == "topk"
                         else "none", "data": r["data"], "rounds": rounds,
                         "ms_per_client_round": r["ms_per_client_round"],
                         "ratio_to_reference": r["ms_per_client_round"] / ref,
                         "peak_rss_mb": r["peak_rss_mb"], "accuracy": r["accuracy"],
                         "bytes_up_per_client_round": r["bytes_up_per_client_round"],
                         "wall_s": r["wall_s"]})
    return pd.DataFrame(rows)


def cmd_bench_fedavg(args: argparse.Namespace) -> int:
    """Handler of ``edgelab bench fedavg``: the FedAvg benchmark workload (seed 003 §IV-C.1)."""
    from edgelab._validate import integer_in, positive
    from edgelab.training.federated.bench import run_fedavg_bench

    threads = integer_in("--threads", args.threads, 0, 1024)  # 0: torch's default
    budget = positive("--memory-budget-mb", args.memory_budget_mb)
    if args.scale and args.engine == "batched" and args.clients > REFERENCE_CLIENTS:
        positive("--child-timeout-s", args.child_timeout_s)
        emit(scale_table(args), args.format)
        return 0
    comm = None
    if args.compressor != "none":
        from edgelab.training.compression import make_communicator

        comm = (make_communicator("topk", "residual", density=args.density)
                if args.compressor == "topk" else make_communicator("qsgd", "none", s=args.levels))
    res = run_fedavg_bench(args.engine, args.clients, args.rounds, args.seed,
                           threads=threads if threads > 0 else None, compressor=args.compressor,
                           density=args.density, levels=args.levels, data=args.data,
                           memory_budget_mb=budget, communicator=comm)
    emit(res, args.format)
    return 0


def cmd_bench_compression(args: argparse.Namespace) -> int:
    """Handler of ``edgelab bench compression``: pruning, int8 and Deep Compression (seed 003 §V-C.1)."""
    from edgelab._validate import integer_in
    from edgelab.inference.compression.bench import run_compression_bench

    repeats = integer_in("--repeats", args.repeats, 1, 100_000)
    emit(run_compression_bench(seed=args.seed, repeats=repeats), args.format)
    return 0


def cmd_bench_video(args: argparse.Namespace) -> int:
    """Handler of ``edgelab bench video``: the video analytics parts (seed 003 §V-C.4-§V-C.5)."""
    from edgelab.inference.video_experiments import run_video_bench

    emit(run_video_bench(seed=args.seed, repeats=args.repeats), args.format)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench`` and its ``fedavg`` sub-subcommand to the ``edgelab`` parser (seed 003 §IV-C.1)."""
    from edgelab.training.federated.bench import (
        BENCH_COMPRESSORS,
        BENCH_DATA,
        BENCH_ENGINES,
        BENCH_MEMORY_BUDGET_MB,
    )

    p = subparsers.add_parser("bench", help="benchmark workloads (printed figures, not tests)")
    sub = p.add_subparsers(dest="bench", required=True, parser_class=type(p))
    f = sub.add_parser("fedavg", help="FedAvg on digits, 100 Dirichlet(0.5) clients, 20 rounds "
                                      "(seed 003 §IV-C.1)")
    f.add_argument("--engine", choices=BENCH_ENGINES, default="batched",
                   help="batched (all clients at once), sequential (reference loop) or flower "
                        "(Flower simulation; needs edgelab[flower])")
    f.add_argument("--clients", type=int, default=100)
    f.add_argument("--rounds", type=int, default=20)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: tiny kernels; 0 leaves torch's default)")
    f.add_argument("--compressor", choices=BENCH_COMPRESSORS, default="none",
                   help="upload compression: none, or top-k with error feedback (batched engine)")
    f.add_argument("--density", type=float, default=0.01,
                   help="top-k's share of values kept, in (0, 1] (default 0.01)")
    f.add_argument("--levels", type=int, default=4,
                   help="QSGD's quantization levels s >= 1 (default 4)")
    f.add_argument("--data", choices=BENCH_DATA, default="auto",
                   help="digits, seeded synthetic (same shape), or auto: synthetic past "
                        "143 clients (less than one batch of digits each)")
    f.add_argument("--memory-budget-mb", type=float, default=BENCH_MEMORY_BUDGET_MB,
                   help="bound on the batched engine's stacked tensors per pass (MiB); it "
                        f"chunks clients (default {BENCH_MEMORY_BUDGET_MB:g})")
    f.add_argument("--scale", action=argparse.BooleanOptionalAction, default=True,
                   help="above 100 clients (batched): compare with 100 clients, without and "
                        "with top-k + EF, each in a fresh process (default on)")
    f.add_argument("--child-timeout-s", type=float, default=1800.0,
                   help="bound on each fresh process of a scale run (seconds)")
    f.set_defaults(func=cmd_bench_fedavg)
    c = sub.add_parser("compression", help="structured pruning, masks, int8 and Deep Compression "
                                           "on digits, measured on this CPU (seed 003 §V-C.1)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--repeats", type=int, default=50,
                   help="timed passes per latency (median; one thread)")
    c.set_defaults(func=cmd_bench_compression)
    v = sub.add_parser("video", help="the NoScope cascade's frames per second on this CPU and "
                                     "the share of frames reaching the reference model "
                                     "(seed 003 §V-C.5); the multi-tenancy allocator's "
                                     "greedy-vs-optimal gap and solve times for 10 tenants "
                                     "(§V-C.7)")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--repeats", type=int, default=3, help="timed passes (best of)")
    v.set_defaults(func=cmd_bench_video)
