"""``edgelab bench``: benchmark workloads (seed 003 §IV-C.1, federated learning).

``edgelab bench fedavg [--engine batched|sequential|flower] [--clients N] [--rounds R]
[--seed S] [--threads T] [--format table|csv|json]`` runs the federated benchmark workload and
prints ``ms_per_client_round``, ``wall_s`` and ``accuracy`` at the top level (plus settings).

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

from edgelab.cli.format import emit


def cmd_bench_fedavg(args: argparse.Namespace) -> int:
    """Handler of ``edgelab bench fedavg``: the FedAvg benchmark workload (seed 003 §IV-C.1)."""
    from edgelab._validate import integer_in
    from edgelab.training.federated.bench import run_fedavg_bench

    threads = integer_in("--threads", args.threads, 0, 1024)  # 0: torch's default
    res = run_fedavg_bench(args.engine, args.clients, args.rounds, args.seed,
                           threads=threads if threads > 0 else None)
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
    from edgelab.training.federated.bench import BENCH_ENGINES

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
    f.set_defaults(func=cmd_bench_fedavg)
    c = sub.add_parser("compression", help="structured pruning, masks, int8 and Deep Compression "
                                           "on digits, measured on this CPU (seed 003 §V-C.1)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--repeats", type=int, default=50,
                   help="timed passes per latency (median; one thread)")
    c.set_defaults(func=cmd_bench_compression)
    v = sub.add_parser("video", help="the NoScope cascade's frames per second on this CPU and "
                                     "the share of frames reaching the reference model "
                                     "(seed 003 §V-C.5)")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--repeats", type=int, default=3, help="timed passes (best of)")
    v.set_defaults(func=cmd_bench_video)
