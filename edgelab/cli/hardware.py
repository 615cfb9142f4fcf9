"""``edgelab devices|links|models|profile|cost``: the catalogs, the zoo and the cost model.

Seed 003 §II-D (the models), §III-A (devices and links of the three tiers) and §III-B with
§V-C.2 (latency and device energy of a model run on a device, or split between a device and a
server). Each handler prints one table or object in the shared ``--format``.
"""

from __future__ import annotations

import argparse
import sys

from edgelab.cli.format import emit

__all__ = ["register", "cmd_devices", "cmd_links", "cmd_models", "cmd_profile", "cmd_cost"]


def cmd_devices(args: argparse.Namespace) -> int:
    """Handler of ``edgelab devices``: the device catalog (seed 003 §III-A)."""
    from edgelab.hardware import catalog

    df = catalog.devices()
    if args.format == "table":
        df = df.drop(columns=["description", "source", "notes"])
    emit(df, args.format)
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    """Handler of ``edgelab links``: the link catalog (seed 003 §III-A)."""
    from edgelab.hardware import catalog

    df = catalog.links()
    if args.format == "table":
        df = df.drop(columns=["source", "notes"])
    emit(df, args.format)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """Handler of ``edgelab models``: the model zoo (seed 003 §II-D)."""
    import pandas as pd

    from edgelab import models

    rows = [{"name": s.name, "family": s.family, "input": "x".join(map(str, s.input_shape)),
             "paper": s.paper} for s in models.ZOO.values()]
    emit(pd.DataFrame(rows), args.format)
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    """Handler of ``edgelab profile``: per-layer MACs, FLOPs, parameters, bytes (seed 003 §II-D)."""
    from edgelab.hardware.profile import parse_shape, profile_model

    shape = parse_shape(args.input) if args.input else None
    p = profile_model(args.model, batch=args.batch, input_shape=shape)
    if args.format == "json":
        emit({"model": p.name, "totals": p.totals(), "layers": p.table.to_dict(orient="records")},
             "json")
        return 0
    emit(p.table, args.format)
    if args.format == "table":
        t = p.totals()
        sys.stdout.write(f"total: {t['macs']:,} MACs, {t['flops']:,} FLOPs, "
                         f"{t['params']:,} parameters, {t['weight_bytes'] / 1e6:.1f} MB weights\n")
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    """Handler of ``edgelab cost``: latency and device energy, whole or split (seed 003 §V-C.2)."""
    from edgelab.hardware import cost
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.profile import parse_shape, profile_model

    shape = parse_shape(args.input) if args.input else None
    p = profile_model(args.model, input_shape=shape)
    if args.bandwidth is not None and args.link is None:
        raise ValueError("--bandwidth needs --link (it overrides that link's bandwidth)")
    link = get_link(args.link, args.bandwidth) if args.link else None
    res = cost.cost(p, args.device, server=args.server, link=link, split=args.split)
    if args.per_layer:
        layers = cost.per_layer_table(p, args.device)
        if args.format == "json":
            emit({**res, "layers": layers.to_dict(orient="records")}, "json")
            return 0
        emit(layers, args.format)
        if args.format == "csv":
            return 0
    emit(res, args.format)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``devices``, ``links``, ``models``, ``profile`` and ``cost`` (seed 003 §II-D, §III)."""
    p = subparsers.add_parser("devices", help="the device catalog (data/devices.csv)")
    p.set_defaults(func=cmd_devices)
    p = subparsers.add_parser("links", help="the link catalog (data/links.csv)")
    p.set_defaults(func=cmd_links)
    p = subparsers.add_parser("models", help="the model zoo")
    p.set_defaults(func=cmd_models)

    p = subparsers.add_parser("profile",
                              help="per-layer MACs, FLOPs, parameters and bytes of a model")
    p.add_argument("model", help="a zoo model name (see `edgelab models`)")
    p.add_argument("--input", help="input shape CxHxW (default: the paper's)")
    p.add_argument("--batch", type=int, default=1)
    p.set_defaults(func=cmd_profile)

    p = subparsers.add_parser("cost", help="latency and energy of a model on a device, or split "
                                           "between a device and a server")
    p.add_argument("model")
    p.add_argument("--device", required=True, help="end device (see `edgelab devices`)")
    p.add_argument("--server", help="server device for the layers after --split")
    p.add_argument("--link", help="link between device and server (see `edgelab links`)")
    p.add_argument("--bandwidth", type=float, help="override the link's bandwidth, Mbit/s")
    p.add_argument("--split", type=int, help="layers run on the device (0..n_layers)")
    p.add_argument("--input", help="input shape CxHxW (default: the paper's)")
    p.add_argument("--per-layer", action="store_true",
                   help="also list each layer's cost on --device")
    p.set_defaults(func=cmd_cost)
