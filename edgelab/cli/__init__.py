"""The ``edgelab`` command line: one subcommand per public function.

One module per command group (:data:`COMMAND_MODULES`: the catalogs and the cost model of seed
003 §II-D and §III, the EI levels of §III-B, calibration, the reproduction pipeline, partition
of §V-C.2, the benchmarks of §IV-C.1); every handler is named ``cmd_<command>``. This module
keeps the parser assembly (:func:`build_parser`), which adds ``--format table|csv|json`` to
every command that prints a table, the entry point :func:`main` and :func:`run_captured`.

Every command's errors meet at one boundary (:func:`main`) and end as one line on stderr, never
a traceback:

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

from edgelab.cli.format import FORMATS
from edgelab.errors import EdgelabError

#: environment variable that makes the CLI print tracebacks (``1``, ``true``, ``yes``, ``on``)
DEBUG_ENV = "EDGELAB_DEBUG"
#: exit status of bad input (a parameter outside what is allowed)
EXIT_BAD_INPUT = 2
#: exit status of a runtime failure (I/O, a dead kernel, an unexpected exception)
EXIT_FAILURE = 1
#: exit status after Ctrl-C
EXIT_INTERRUPTED = 130
_DEBUG_HINT = f"--debug or {DEBUG_ENV}=1 shows the traceback"

#: The command modules, one per command group, in the order of ``edgelab --help``. Each has a
#: ``register(subparsers)`` that adds its subcommands, whose handlers are named ``cmd_<command>``.
COMMAND_MODULES = ("edgelab.cli.hardware", "edgelab.cli.levels", "edgelab.cli.calibrate",
                   "edgelab.cli.pipeline", "edgelab.cli.partition", "edgelab.cli.bench",
                   "edgelab.cli.validate", "edgelab.cli.emulate",
                   "edgelab.cli.book", "edgelab.cli.lite")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"edgelab: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def add_format(p: argparse.ArgumentParser) -> None:
    """Add the shared ``--format`` option to a subcommand parser (called only by
    :func:`build_parser`, for every subcommand that prints a table or an object)."""
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="output format (json and csv print nothing else on stdout)")


def _leaf_commands(p: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The subcommand parsers under ``p`` that run a handler (``bench fedavg``, not ``bench``)."""
    actions = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        return [p] if p.get_default("func") is not None else []
    seen: dict[int, argparse.ArgumentParser] = {}
    for child in actions[0].choices.values():
        for leaf in _leaf_commands(child):
            seen.setdefault(id(leaf), leaf)
    return list(seen.values())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``edgelab`` command: every module of :data:`COMMAND_MODULES`
    adds its subcommands, then ``--format`` is added to each one that prints a table (every
    subcommand but those whose parser sets ``output="text"``, such as ``reproduce``)."""
    from edgelab import __version__

    parser = _Parser(prog="edgelab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"edgelab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of an error instead of one line (also "
                             f"{DEBUG_ENV}=1); accepted anywhere on the command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:  # a command module that fails to import is an error, never skipped
        try:
            mod = importlib.import_module(name)
        except Exception as e:
            raise ImportError(f"cannot load the command module {name}: {type(e).__name__}: "
                              f"{_first_line(e)}") from e
        mod.register(sub)
    for leaf in _leaf_commands(parser):
        if leaf.get_default("output") != "text":
            add_format(leaf)
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
    pkg = str(Path(__file__).resolve().parent.parent)  # the edgelab package
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
