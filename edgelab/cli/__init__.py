"""The ``edgelab`` command line: one subcommand per public function.

Every command takes ``--format table|csv|json``. Every command's errors meet at one boundary
(:func:`main`) and end as one line on stderr, never a traceback:

* bad input (:class:`~edgelab.errors.EdgelabError`, ``ValueError``): exit status 2, the line
  names the parameter and what is allowed;
* a runtime failure (``OSError`` such as a full disk or an unwritable path, a dead kernel, any
  other unexpected exception): exit status 1, the line names what failed and where;
* ``EDGELAB_DEBUG=1`` in the environment or the global ``--debug`` flag prints the traceback
  instead of the one line (same exit status).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from edgelab.cli.format import FORMATS, emit
from edgelab.errors import EdgelabError, ParameterError

#: environment variable that makes the CLI print tracebacks (``1``, ``true``, ``yes``, ``on``)
DEBUG_ENV = "EDGELAB_DEBUG"
#: exit status of bad input (a parameter outside what is allowed)
EXIT_BAD_INPUT = 2
#: exit status of a runtime failure (I/O, a dead kernel, an unexpected exception)
EXIT_FAILURE = 1
#: exit status after Ctrl-C
EXIT_INTERRUPTED = 130
_DEBUG_HINT = f"--debug or {DEBUG_ENV}=1 shows the traceback"

# Modules that add their own subcommands with a ``register(subparsers)`` function.
_PLUGINS = ("edgelab.cli.levels", "edgelab.cli.calibrate", "edgelab.cli.pipeline",
            "edgelab.cli.partition", "edgelab.cli.bench")


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
    from edgelab.hardware import catalog

    df = catalog.devices()
    if args.format == "table":
        df = df.drop(columns=["description", "source", "notes"])
    emit(df, args.format)
    return 0


def _links(args: argparse.Namespace) -> int:
    from edgelab.hardware import catalog

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
    from edgelab.hardware.profile import parse_shape, profile_model

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
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of an error instead of one line (also "
                             f"{DEBUG_ENV}=1); accepted anywhere on the command line")
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

    for name in _PLUGINS:  # a command module that fails to import is an error, never skipped
        try:
            mod = importlib.import_module(name)
        except Exception as e:
            raise ImportError(f"cannot load the command module {name}: {type(e).__name__}: "
                              f"{_first_line(e)}") from e
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


def _first_line(e: BaseException) -> str:
    """The first non-empty line of ``str(e)`` (plain text for a ``KeyError``)."""
    text = str(e.args[0]) if isinstance(e, KeyError) and not isinstance(e, EdgelabError) \
        and e.args else str(e)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _debug_env() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _pop_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove the global ``--debug`` flag from anywhere before a bare ``--``."""
    end = argv.index("--") if "--" in argv else len(argv)
    head = [a for a in argv[:end] if a != "--debug"]
    return head + argv[end:], len(head) != end


def _where(e: BaseException) -> str:
    """``edgelab/module.py:LINE`` of the innermost edgelab frame of ``e`` (else the innermost)."""
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return ""
    pkg = str(Path(__file__).resolve().parent)
    ours = [f for f in frames if str(Path(f.filename).resolve()).startswith(pkg)]
    f = (ours or frames)[-1]
    path = Path(f.filename)
    shown = f"edgelab/{path.resolve().relative_to(pkg)}" if ours else path.name
    return f"{shown}:{f.lineno}"


def exit_status(e: BaseException) -> int:
    """The CLI's exit status for an exception that reached :func:`main`'s boundary.

    2 for bad input (:class:`~edgelab.errors.EdgelabError`, ``ValueError``), 130 for Ctrl-C,
    1 for everything else (I/O errors, dead kernels, unexpected exceptions).
    """
    if isinstance(e, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(e, OSError | UnicodeError):
        return EXIT_FAILURE
    if isinstance(e, EdgelabError | ValueError):
        return EXIT_BAD_INPUT
    return EXIT_FAILURE


def error_line(e: BaseException, command: str = "edgelab") -> str:
    """The one line (no newline) the CLI prints for ``e``; see :func:`exit_status`."""
    code = exit_status(e)
    if code == EXIT_INTERRUPTED:
        return f"edgelab: {command}: interrupted"
    msg = _first_line(e)
    if code == EXIT_BAD_INPUT:
        return f"edgelab: error: {msg or type(e).__name__}"
    if isinstance(e, OSError):
        what = e.strerror or msg or type(e).__name__
        files = [str(x) for x in (e.filename, e.filename2) if x is not None]
        where = " -> ".join(files) if files else _where(e)
        line = f"{command} failed: {type(e).__name__}: {what}"
        line += f": {where}" if files else (f" (at {where})" if where else "")
    else:
        where = _where(e)
        if len(msg) > 300:
            msg = msg[:299] + "…"
        line = f"{command} failed: {type(e).__name__}" + (f": {msg}" if msg else "")
        line += f" (at {where})" if where else ""
    return f"edgelab: error: {line}; {_DEBUG_HINT}"


def _command_name(args: argparse.Namespace | None) -> str:
    if args is None or not getattr(args, "command", None):
        return "edgelab"
    sub = getattr(args, args.command, None)
    return args.command + (f" {sub}" if isinstance(sub, str) else "")


def _check_out_folder(args: argparse.Namespace) -> None:
    """``--out`` of ``edgelab reproduce`` must be a folder (created if missing), not a file."""
    out = getattr(args, "out", None)
    if out is None:
        return
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ParameterError(f"--out must be a folder (created if missing), got {out!r}, "
                             "which is a file")
    for parent in p.absolute().parents:  # a file on the way (a/file/b) can never become a folder
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(f"--out must be a folder (created if missing), got "
                                     f"{out!r}, but {str(parent)!r} is a file")
            break


#: checks the boundary runs before a command's handler, by command name
_PRECHECKS = {"reproduce": _check_out_folder}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edgelab`` console script: the one error boundary of every command.

    Returns the exit status: 0 success, 1 a runtime failure (or what the command reports, such
    as a failed chapter or drift), 2 bad input, 130 interrupted. Errors print one line on
    stderr; with ``--debug`` or ``EDGELAB_DEBUG=1`` the traceback instead.
    """
    arglist, debug = _pop_debug(list(sys.argv[1:] if argv is None else argv))
    debug = debug or _debug_env()
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(arglist)
        check = _PRECHECKS.get(args.command)
        if check is not None:
            check(args)
        return int(args.func(args) or 0)
    except SystemExit:  # argparse's usage errors (one line, status 2), --help, --version
        raise
    except BrokenPipeError:  # `edgelab ... | head`: the reader left; nothing to report
        _quiet_stdout()
        return 0
    except BaseException as e:  # noqa: BLE001 - the one boundary
        if not isinstance(e, Exception | KeyboardInterrupt):
            raise
        code = exit_status(e)
        if debug:
            traceback.print_exception(e, file=sys.stderr)
        else:
            sys.stderr.write(error_line(e, _command_name(args)) + "\n")
        return code


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # redirected to a StringIO in run_captured
        pass


if __name__ == "__main__":
    raise SystemExit(main())
