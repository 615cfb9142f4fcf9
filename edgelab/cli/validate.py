"""``edgelab validate``: the catalog devices against published, measured latency.

Seed 003 §III-B: does the cost model predict what real devices do? Every pair of
``data/measured_latency.csv`` is predicted by the catalog as it is and by a fit on the other
pairs of its setup (device, precision, framework; leave one pair out); see
:mod:`edgelab.hardware.validate`. ``--format json`` prints one object whose top level carries
``pairs``, ``devices`` (counts), ``within_1_5x``, ``within_2x``, ``loo_within_1_5x`` and
``loo_within_2x`` (shares 0..1), the median ratios, ``by_device`` and every pair under
``rows``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from edgelab.cli.format import emit, to_json

__all__ = ["register", "cmd_validate", "TABLE_COLUMNS", "PAIR_COLUMNS"]

#: columns of the per-device table (table and csv formats)
TABLE_COLUMNS = ["device", "pairs", "median_ratio", "within_1_5x", "within_2x",
                 "loo_median_ratio", "loo_within_1_5x", "loo_within_2x", "uncovered"]
#: columns of each pair (``--pairs`` and the json ``rows``)
PAIR_COLUMNS = ["device", "model", "input_hw", "batch", "precision", "framework", "latency_ms",
                "priced_as", "raw_ms", "raw_ratio", "loo_ms", "loo_ratio", "source", "locator"]


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand to the ``edgelab`` parser (seed 003 §III-B)."""
    p = subparsers.add_parser(
        "validate",
        help="predict published, measured latencies (data/measured_latency.csv) with the "
             "catalog and with per-setup fits that leave each pair out",
        description="Check the catalog devices against published measured latency: per "
                    "device and overall, the median predicted/measured ratio and the shares "
                    "within 1.5x and 2x, first with the catalog as it is, then leaving each "
                    "pair out of a per-setup fit (seed 003 §III-B).")
    p.add_argument("--device", nargs="+", metavar="NAME", default=None,
                   help="only these catalog devices (default: every device with a pair)")
    p.add_argument("--pairs", action="store_true",
                   help="print every pair instead of the per-device table (table and csv)")
    p.set_defaults(func=cmd_validate)


def _device_table(rep: Any) -> pd.DataFrame:
    overall = {"device": "all", **{k: rep.summary[k] for k in TABLE_COLUMNS if k != "device"}}
    return pd.concat([rep.by_device[TABLE_COLUMNS], pd.DataFrame([overall])], ignore_index=True)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run :func:`edgelab.hardware.validate.validate` and print its tables (seed 003 §III-B)."""
    from edgelab.hardware.validate import TARGETS, validate

    rep = validate(devices=args.device)
    fmt = args.format
    if fmt == "json":
        payload = {**rep.summary, "targets": {k: list(v) for k, v in TARGETS.items()},
                   "meets_targets": rep.meets_targets(),
                   "note": "raw predictions price every layer at the catalog's fp32 peak, also "
                           "for pairs measured in fp16 or int8",
                   "by_device": rep.by_device[TABLE_COLUMNS].to_dict(orient="records"),
                   "setups": rep.setups.to_dict(orient="records"),
                   "rows": rep.pairs[PAIR_COLUMNS].to_dict(orient="records")}
        sys.stdout.write(to_json(payload) + "\n")
        return 0
    table = rep.pairs[PAIR_COLUMNS] if args.pairs else _device_table(rep)
    if fmt == "table" and args.pairs:
        table = table.drop(columns=["source", "locator"])
    emit(table, fmt, float_format="{:.3g}")
    if fmt == "table":
        s = rep.summary
        sys.stdout.write(
            f"\n{s['pairs']} pairs on {s['devices']} devices; ratio = predicted / measured. "
            f"Raw: the catalog as it is, at the pair's precision where the catalog has the "
            f"device's peak for it, else at fp32 (--pairs shows priced_as). loo: fitted on "
            f"the other pairs of the same device, precision and framework; {s['uncovered']} "
            f"pair(s) have no other pair in their setup and count as outside every band.\n")
    return 0
