"""``edgelab partition``: the best split of a model between a device and a server.

Neurosurgeon's search (seed 003 §V-C.2) over every split ``K`` that ``edgelab cost --split K``
accepts, with the same numbers: the chosen split is the argmin of the objective over them.
"""

from __future__ import annotations

import argparse
import sys

from edgelab.cli.format import emit


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``partition`` subcommand (seed 003 §V-C.2, Neurosurgeon) to the edgelab CLI."""
    p = subparsers.add_parser(
        "partition", help="best device|server split of a model (Neurosurgeon, seed 003 §V-C.2)",
        description="Evaluate every split K (layers run on the device, 0..n_layers) as "
                    "`edgelab cost --split K` does and print the best one for the objective.")
    p.add_argument("model", help="a zoo model name (see `edgelab models`)")
    p.add_argument("--device", required=True, help="end device (see `edgelab devices`)")
    p.add_argument("--server", required=True, help="server device for the layers after the split")
    p.add_argument("--link", required=True, help="device<->server link (see `edgelab links`)")
    p.add_argument("--bandwidth", type=float, default=None, metavar="MBPS",
                   help="override the link's bandwidth, Mbit/s (default: the link's own)")
    p.add_argument("--objective", default="latency", choices=("latency", "energy"),
                   help="minimise end-to-end latency or device energy (default latency)")
    p.add_argument("--deadline", type=float, default=None, metavar="S",
                   help="latency deadline in seconds: minimise the objective among the splits "
                        "that meet it; if none does, print the fastest as a best effort")
    p.add_argument("--input", help="input shape CxHxW (default: the paper's)")
    p.set_defaults(func=cmd_partition)


def cmd_partition(args: argparse.Namespace) -> int:
    """Run ``edgelab partition`` (seed 003 §V-C.2); bad input raises ValueError/EdgelabError."""
    import warnings

    from edgelab.hardware import cost
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.profile import parse_shape, profile_model
    from edgelab.inference.partition import best_split

    shape = parse_shape(args.input) if args.input else None
    p = profile_model(args.model, input_shape=shape)
    link = get_link(args.link, args.bandwidth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note is printed below instead
        c = best_split(p, args.device, args.server, link, None, args.objective,
                       deadline_s=args.deadline)
    res = cost.cost(p, args.device, server=args.server, link=link, split=int(c.split))
    out = {
        "model": p.name, "device": res["device"], "server": res["server"], "link": res["link"],
        "bandwidth_mbps": res["bandwidth_mbps"], "objective": c.objective, "split": int(c.split),
        "n_layers": p.n_layers, "latency_s": res["latency_s"],
        "device_energy_j": res["device_energy_j"],
        "cut_after": (p.table["layer"].iloc[int(c.split) - 1] if c.split > 0 else "input"),
        "all_device_latency_s": float(c.alternatives.loc["all_device", "latency_s"]),
        "all_server_latency_s": float(c.alternatives.loc["all_server", "latency_s"]),
        "all_device_energy_j": float(c.alternatives.loc["all_device", "device_energy_j"]),
        "all_server_energy_j": float(c.alternatives.loc["all_server", "device_energy_j"]),
        "deadline_s": args.deadline, "meets_deadline": bool(c.meets_deadline),
        "note": c.note,
        "breakdown": {k: res[k] for k in ("device_compute_s", "transfer_s", "server_compute_s",
                                          "uplink_bytes", "downlink_bytes", "fits_memory")},
    }
    if args.format == "json":
        emit(out, "json")
        return 0
    flat = {k: v for k, v in out.items() if k not in ("breakdown", "note") and v is not None}
    flat.update(out["breakdown"])
    emit(flat, args.format)
    if c.note:
        sys.stderr.write(f"edgelab: note: {c.note}\n")
    return 0
