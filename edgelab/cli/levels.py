"""``edgelab levels``: the seven EI levels of a scenario, one row per level (seed 003 §III-B)."""

from __future__ import annotations

import argparse

import pandas as pd

from edgelab.cli.format import emit

#: Columns printed by the ``table`` format (csv/json carry every column).
TABLE_COLUMNS = (
    "level", "split", "infer_latency_s", "infer_device_energy_j", "infer_wan_bytes",
    "infer_raw_bytes_out", "train_time_s", "train_wan_bytes", "wan_bytes", "raw_bytes_out",
    "device_compute_s", "fits_device", "claim_breaks",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``levels`` subcommand (seed 003 §III-B, Fig. 7) to the edgelab CLI."""
    p = subparsers.add_parser(
        "levels", help="KPIs of the seven EI levels (seed 003 §III-B) for one scenario",
        description="One row per EI level (CI, L1..L6): per-request inference latency and "
                    "device energy, training time and energy, WAN bytes, raw bytes leaving the "
                    "device, memory fit, and where the survey's monotonic claim breaks.")
    p.add_argument("--model", required=True, help="zoo model (edgelab profile --help lists them)")
    p.add_argument("--device", required=True, help="end device (edgelab devices)")
    p.add_argument("--edge", required=True, help="edge node (edgelab devices)")
    p.add_argument("--link", required=True, help="device<->edge link (edgelab links)")
    p.add_argument("--wan", default="wan", help="edge<->cloud link (default: wan)")
    p.add_argument("--cloud", default="a100", help="cloud device (default: a100)")
    p.add_argument("--bandwidth", type=float, default=None, metavar="MBPS",
                   help="device<->edge bandwidth in Mbit/s (default: the link's own)")
    p.add_argument("--wan-bandwidth", type=float, default=None, metavar="MBPS",
                   help="edge<->cloud bandwidth in Mbit/s (default: the WAN link's own)")
    p.add_argument("--samples", type=int, default=10_000, help="training samples (default 10000)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    p.add_argument("--rate", type=float, default=1.0, metavar="HZ",
                   help="inference requests per second (default 1)")
    p.add_argument("--horizon", type=float, default=86_400.0, metavar="S",
                   help="seconds of requests in the totals (default 86400, one day)")
    p.add_argument("--objective", default="latency", choices=("latency", "energy"),
                   help="what the co-inference splits minimise (default latency)")
    p.set_defaults(func=cmd_levels)


def cmd_levels(args: argparse.Namespace) -> int:
    """Run ``edgelab levels`` (seed 003 §III-B); bad input raises ValueError/EdgelabError."""
    from edgelab.levels import Scenario, evaluate

    sc = Scenario(model=args.model, device=args.device, edge=args.edge, cloud=args.cloud,
                  link=args.link, wan=args.wan, bandwidth_mbps=args.bandwidth,
                  wan_mbps=args.wan_bandwidth, train_samples=args.samples, epochs=args.epochs,
                  request_rate_hz=args.rate, horizon_s=args.horizon, objective=args.objective)
    df = evaluate(sc)
    if args.format == "table":
        df = df[list(TABLE_COLUMNS)]
    elif args.format == "json":  # JSON null for "no split", ints otherwise
        df = df.assign(split=pd.Series([None if pd.isna(v) else int(v) for v in df["split"]],
                                       dtype=object))
    emit(df, args.format)
    return 0
