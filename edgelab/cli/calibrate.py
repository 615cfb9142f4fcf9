"""``edgelab calibrate``: measure this CPU, fit the "host" device, print the accuracy table.

Seed 003 §III-B: does the cost model predict this CPU? Progress goes to stderr; ``--format json`` prints
only one JSON object on stdout, whose top level carries ``within_10pct``, ``within_20pct``,
``family_within_20pct`` (shares 0..1), ``layer_median_ape`` and ``model_median_ape``
(percent), the rest of the summary, and the per-model rows under ``models``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from edgelab.cli.format import FORMATS, emit, to_json

#: columns of the accuracy table (table and csv formats)
TABLE_COLUMNS = [
    "model", "family", "n_layers", "measured_ms", "spread_pct", "oracle_ms", "pred_loo_ms",
    "err_loo_pct", "pred_family_ms", "err_family_pct", "layer_ape_loo_pct",
    "layer_ape_family_pct", "err_loo_us", "sub_ms",
]


def register(subparsers: Any) -> None:
    """Add the ``calibrate`` subcommand to the ``edgelab`` parser (seed 003 §III-B)."""
    p = subparsers.add_parser(
        "calibrate",
        help="measure per-layer and whole-model latency on this CPU, fit the 'host' device "
             "and print how well the cost model predicts it (leave-one-out)",
        description="Measure this CPU, fit the host device and print the accuracy table "
                    "(leave one model out and one family out; seed 003 §III-B).")
    p.add_argument("--models", nargs="+", metavar="M", default=None,
                   help="zoo models to measure (default: all; at least 2)")
    p.add_argument("--repeats", type=int, default=30, help="timed passes per process (≥ 1)")
    p.add_argument("--processes", type=int, default=3,
                   help="separate measurement processes (≥ 1; the reference is their median)")
    p.add_argument("--warmup", type=int, default=5, help="untimed passes per process")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (≥ 1)")
    p.add_argument("--clock", choices=("thread", "wall"), default="thread",
                   help="thread CPU time (default; robust on a shared machine) or wall clock")
    p.add_argument("--no-save", action="store_true",
                   help="do not write the host device file")
    p.set_defaults(func=cmd_calibrate)


def _check(args: argparse.Namespace) -> None:
    for name, lo in (("repeats", 1), ("processes", 1), ("warmup", 0), ("threads", 1)):
        v = getattr(args, name, None)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"--{name} must be an integer ≥ {lo}, got {v!r}")
    if args.models is not None and len(set(args.models)) < 2:
        raise ValueError("--models needs at least 2 models: each is scored by a fit "
                         "that leaves it out")
    fmt = getattr(args, "format", "table")
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run :func:`edgelab.hardware.calibrate.run_calibration` and print the accuracy table.

    Seed 003 §III-B.
    """
    from edgelab.hardware import calibrate

    _check(args)
    if args.models is not None:
        calibrate.check_models(args.models)  # unknown names fail before any measurement
    rep = calibrate.run_calibration(
        models=args.models, repeats=args.repeats, processes=args.processes,
        warmup=getattr(args, "warmup", 5), threads=args.threads, progress=True,
        clock=getattr(args, "clock", "thread"), save=not getattr(args, "no_save", False))
    table = rep.table[[c for c in TABLE_COLUMNS if c in rep.table.columns]]
    if args.format == "json":
        payload = {**rep.summary, "models": table.to_dict(orient="records")}
        if rep.path is not None:
            payload["host_device_path"] = str(rep.path)
        sys.stdout.write(to_json(payload) + "\n")
        return 0
    emit(table, args.format, na_rep="n/a")  # a figure with no model to score it: not applicable
    if args.format == "table":
        sys.stdout.write(format_summary(rep.summary) + "\n")
    return 0


def format_summary(s: dict[str, Any]) -> str:
    """The headline figures beside the noise floor and the targets, one per line.

    Seed 003 §III-B.
    """
    def pct(v: Any) -> str:
        return "n/a" if v is None else f"{100 * v:.0f}%"

    def num(v: Any, unit: str = "%") -> str:
        return "n/a" if v is None else f"{v:.1f}{unit}"

    passed = s.get("passed", {})

    def mark(k: str) -> str:
        ok = passed.get(k)
        return "" if ok is None else ("  PASS" if ok else "  FAIL")

    lines = [
        f"models: {s.get('n_models')} ({s.get('n_scored_relative')} scored in %, "
        f"{s.get('n_sub_ms')} sub-ms in µs); layers: {s.get('n_layers')}; "
        f"{s.get('processes')} processes × {s.get('repeats')} repeats, {s.get('threads')} "
        f"thread(s), clock={s.get('clock')}",
        f"noise floor: per-process spread median {num(s.get('noise_spread_median_pct'))}, "
        f"max {num(s.get('noise_spread_max_pct'))}; per layer median "
        f"{num(s.get('layer_noise_spread_median_pct'))}; oracle (Σ own measured layers): "
        f"{pct(s.get('oracle_within_10pct'))} within ±10%, median error "
        f"{num(s.get('oracle_model_median_ape'))}",
        f"leave one model out:  within ±10% {pct(s.get('within_10pct'))} (target ≥ 75%)"
        f"{mark('within_10pct')}; within ±20% {pct(s.get('within_20pct'))} (≥ 90%)"
        f"{mark('within_20pct')}; median error {num(s.get('model_median_ape'))} (≤ 8%)"
        f"{mark('model_median_ape')}; layer median error {num(s.get('layer_median_ape'))} "
        f"(≤ 10%){mark('layer_median_ape')}",
        f"leave family out:     within ±20% {pct(s.get('family_within_20pct'))} (≥ 80%)"
        f"{mark('family_within_20pct')}; median error {num(s.get('family_model_median_ape'))}; "
        f"layer median error {num(s.get('family_layer_median_ape'))} (≤ 15%)"
        f"{mark('family_layer_median_ape')}",
        f"sub-ms models (leave one out): median |error| {num(s.get('sub_ms_median_abs_err_us'), ' µs')}, "
        f"max {num(s.get('sub_ms_max_abs_err_us'), ' µs')}; family out max "
        f"{num(s.get('sub_ms_family_max_abs_err_us'), ' µs')}",
        f"host peak (measured 1024³ SGEMM): {num(s.get('peak_gemm_gflops'), ' GFLOP/s')}; "
        f"copy bandwidth {num(s.get('copy_gbps'), ' GB/s')}; anchor: nn-Meter 99.0% within ±10%",
    ]
    return "\n".join(lines)
