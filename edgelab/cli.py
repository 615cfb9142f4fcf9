"""The ``edgelab`` command line: one subcommand per public function.

Every command takes ``--format table|csv|json``; bad input exits with status 2 and one clear
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from edgelab.cli_format import FORMATS, emit
from edgelab.errors import EdgelabError

# Modules that add their own subcommands with a ``register(subparsers)`` function.
_PLUGINS = ("edgelab.cli_levels", "edgelab.cli_calibrate", "edgelab.cli_pipeline",
            "edgelab.cli_partition", "edgelab.cli_bench")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"edgelab: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def add_format(p: argparse.ArgumentParser) -> None:
    """Add the shared ``--format`` option to a subcommand parser."""
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="output format (json and csv print nothing else on stdout)")


def _devices(args: argparse.Namespace) -> int:
    from edgelab import catalog

    df = catalog.devices()
    if args.format == "table":
        df = df.drop(columns=["description", "source", "notes"])
    emit(df, args.format)
    return 0


def _links(args: argparse.Namespace) -> int:
    from edgelab import catalog

    df = catalog.links()
    if args.format == "table":
        df = df.drop(columns=["source", "notes"])
    emit(df, args.format)
    return 0


def _models(args: argparse.Namespace) -> int:
    import pandas as pd

    from edgelab import models

    rows = [{"name": s.name, "family": s.family, "input": "x".join(map(str, s.input_shape)),
             "paper": s.paper} for s in models.ZOO.values()]
    emit(pd.DataFrame(rows), args.format)
    return 0


def _profile(args: argparse.Namespace) -> int:
    from edgelab.profile import parse_shape, profile_model

    shape = parse_shape(args.input) if args.input else None
    p = profile_model(args.model, batch=args.batch, input_shape=shape)
    if args.format == "json":
        emit({"model": p.name, "totals": p.totals(), "layers": p.table.to_dict(orient="records")},
             "json")
    else:
        emit(p.table, args.format)
        if args.format == "table":
            t = p.totals()
            sys.stdout.write(f"total: {t['macs']:,} MACs, {t['flops']:,} FLOPs, "
                             f"{t['params']:,} parameters, {t['weight_bytes'] / 1e6:.1f} MB weights\n")
    return 0


def _cost(args: argparse.Namespace) -> int:
    from edgelab import cost
    from edgelab.catalog import get_link
    from edgelab.profile import parse_shape, profile_model

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
        emit(layers if args.format == "csv" else layers, args.format)
        if args.format == "csv":
            return 0
    emit(res, args.format)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``edgelab`` command."""
    from edgelab import __version__

    parser = _Parser(prog="edgelab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"edgelab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("devices", help="the device catalog (data/devices.csv)")
    add_format(p)
    p.set_defaults(func=_devices)
    p = sub.add_parser("links", help="the link catalog (data/links.csv)")
    add_format(p)
    p.set_defaults(func=_links)
    p = sub.add_parser("models", help="the model zoo")
    add_format(p)
    p.set_defaults(func=_models)

    p = sub.add_parser("profile", help="per-layer MACs, FLOPs, parameters and bytes of a model")
    p.add_argument("model", help="a zoo model name (see `edgelab models`)")
    p.add_argument("--input", help="input shape CxHxW (default: the paper's)")
    p.add_argument("--batch", type=int, default=1)
    add_format(p)
    p.set_defaults(func=_profile)

    p = sub.add_parser("cost", help="latency and energy of a model on a device, or split "
                                    "between a device and a server")
    p.add_argument("model")
    p.add_argument("--device", required=True, help="end device (see `edgelab devices`)")
    p.add_argument("--server", help="server device for the layers after --split")
    p.add_argument("--link", help="link between device and server (see `edgelab links`)")
    p.add_argument("--bandwidth", type=float, help="override the link's bandwidth, Mbit/s")
    p.add_argument("--split", type=int, help="layers run on the device (0..n_layers)")
    p.add_argument("--input", help="input shape CxHxW (default: the paper's)")
    p.add_argument("--per-layer", action="store_true", help="also list each layer's cost on --device")
    add_format(p)
    p.set_defaults(func=_cost)

    for name in _PLUGINS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        mod.register(sub)
    return parser


def run_captured(*argv: str) -> tuple[int, str, str]:
    """Run ``edgelab ARGV...`` in this process; return (exit status, stdout, stderr).

    For tests and notebooks: usage errors (argparse's ``SystemExit``) become a status too.
    """
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 2
    return code, out.getvalue(), err.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edgelab`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (EdgelabError, ValueError, KeyError) as e:
        msg = str(e) if not isinstance(e, KeyError) or isinstance(e, EdgelabError) else str(e.args[0])
        sys.stderr.write(f"edgelab: error: {msg.splitlines()[0] if msg else type(e).__name__}\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
