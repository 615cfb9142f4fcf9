"""``edgelab emulate``: run a split model over a real socket and a shaped link, beside the cost
model (Neurosurgeon's latency, seed 003 §V-C.2; links of seed 001 §II-B).

``--format json`` prints one object: ``rows`` (``split``, ``bandwidth_mbps``, ``measured_s``,
``predicted_s``, ``serialise_s`` and the breakdown), the top-level ``within_20pct`` (share of
the points at ≥ 1 Mbit/s within ±20 % of the prediction) and ``best_split_agrees``.
"""

from __future__ import annotations

import argparse
import sys

from edgelab.cli.format import emit


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``emulate`` subcommand (seed 003 §V-C.2) to the edgelab CLI."""
    p = subparsers.add_parser(
        "emulate", help="split inference over a real socket and shaped link, measured against "
                        "the cost model (seed 003 §V-C.2)",
        description="Run the first K layers of MODEL in this process and the rest in a server "
                    "process on 127.0.0.1, through an emulated link, and print measured beside "
                    "predicted latency for the calibrated host device.")
    p.add_argument("model", help="a zoo model name (see `edgelab models`)")
    p.add_argument("--link", required=True, help="catalog link whose RTT (and default rates) "
                                                 "are emulated (see `edgelab links`)")
    p.add_argument("--bandwidth", type=float, nargs="+", default=None, metavar="MBPS",
                   help="symmetric bandwidths to sweep, Mbit/s (default: the link's own)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--split", type=int, default=None, metavar="K",
                   help="layers run on the device, 0..n_layers")
    g.add_argument("--all-splits", action="store_true", help="every split 0..n_layers (default)")
    p.add_argument("--repeats", type=int, default=5, help="timed round trips per point (≥ 1)")
    p.add_argument("--warmup", type=int, default=1, help="untimed round trips per point (≥ 0)")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="uniform one-way jitter, ms")
    p.add_argument("--loss", type=float, default=0.0,
                   help="share of TCP segments lost, each costing one RTT (0 ≤ loss < 1)")
    p.add_argument("--port", type=int, default=0, help="server port on 127.0.0.1 (0: any free)")
    p.add_argument("--shaper", choices=("user", "kernel"), default="user",
                   help="user-space link (default) or the kernel tbf shaper (root only)")
    p.add_argument("--fallback", action="store_true",
                   help="with --shaper kernel: use the user-space link when the kernel shaper "
                        "cannot run here (otherwise that is an error)")
    p.add_argument("--seed", type=int, default=0, help="model weights, image, jitter and loss")
    p.add_argument("--calibrate-with", nargs="+", default=None, metavar="M",
                   help="zoo models to calibrate the host device on when none is saved "
                        "(default: MODEL and digits_cnn)")
    p.set_defaults(func=cmd_emulate)


def cmd_emulate(args: argparse.Namespace) -> int:
    """Run ``edgelab emulate`` (seed 003 §V-C.2); bad input raises ValueError/EdgelabError."""
    from edgelab._validate import integer_in, positive
    from edgelab.hardware.profile import profile_model
    from edgelab.runtime.kernel import kernel_shaper_missing
    from edgelab.runtime.link import link_spec
    from edgelab.runtime.measure import emulate_splits
    from edgelab.runtime.server import LOCALHOST, check_port_free

    integer_in("port", args.port, 0, 65535)
    link_spec(args.link)  # an unknown link fails before anything starts
    if args.bandwidth is not None:
        for b in args.bandwidth:
            positive("bandwidth", b)
    n = profile_model(args.model).n_layers
    splits = None if args.split is None else [integer_in("split", args.split, 0, n)]
    shaper = args.shaper
    if shaper == "kernel":
        why = kernel_shaper_missing()
        if why is not None:
            if not args.fallback:
                from edgelab.runtime.kernel import KernelShaperUnavailable

                raise KernelShaperUnavailable(why)
            sys.stderr.write(f"edgelab: note: {why}; falling back to the user-space link\n")
            shaper = "user"
    if shaper == "user":
        check_port_free(LOCALHOST, args.port)
    em = emulate_splits(args.model, args.link, args.bandwidth, splits, repeats=args.repeats,
                        warmup=args.warmup, seed=args.seed, jitter_s=args.jitter_ms / 1e3,
                        loss=args.loss, port=args.port, calibrate_with=args.calibrate_with,
                        shaper=shaper)
    if args.format == "json":
        emit(em.as_json(), "json")
        return 0
    emit(em.rows, args.format)
    if args.format == "table":
        sys.stdout.write(f"within ±20 % at ≥ 1 Mbit/s: {em.within_20pct:.0%} of points; "
                         f"best split agrees: {em.best_split_agrees}\n")
    return 0
