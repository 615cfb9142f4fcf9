"""``edgelab reproduce`` and ``edgelab compare``: the reproduction pipeline on the command line.

``reproduce`` runs every chapter and puts the surveys' reported numbers beside the measured ones
(and regenerates seed 003's Tables 2 and 4); ``compare`` reports the cells that changed between
two reproductions. Both print prose, not a table, so they take no ``--format``
(``output="text"``). Each handler returns the exit status; bad input raises
:class:`~edgelab.errors.EdgelabError` or ``ValueError`` (the CLI's boundary prints one line,
exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from edgelab.errors import ParameterError

__all__ = ["register", "cmd_reproduce", "cmd_compare", "cmd_chapters", "check_out_folder"]


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {v}")
    return v


def _non_negative_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def register(subparsers: Any) -> None:
    """Add the ``reproduce`` and ``compare`` subcommands to an argparse subparsers object."""
    p = subparsers.add_parser(
        "reproduce",
        help="run every chapter through papermill and compile the summary",
        description=(
            "Run each notebooks/*.ipynb into OUT/runs/ with the parameters quick, seed and "
            "out_dir; then compile OUT/summary.csv|md (reported vs reproduced, with verdicts) "
            "and regenerate seed 003's Tables 2 and 4. Exit status 1 if any chapter failed."
        ),
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="small sweeps, seconds per chapter (default)",
    )
    mode.add_argument(
        "--full", dest="quick", action="store_false", help="the full sweeps (the nightly run)"
    )
    p.add_argument(
        "--only",
        metavar="GLOB",
        default=None,
        help="run only chapters whose name matches GLOB (comma-separated globs allowed)",
    )
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default: ./out)")
    p.add_argument(
        "--jobs",
        metavar="N",
        type=_positive_int,
        default=1,
        help="run N chapters in parallel processes (default 1)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip chapters whose notebook, edgelab version and parameters are "
        "unchanged and whose outputs exist",
    )
    p.add_argument(
        "--seed", metavar="S", type=int, default=0, help="the chapters' seed (default 0)"
    )
    p.add_argument(
        "--notebooks",
        metavar="DIR",
        default=None,
        help="chapters folder (default: ./notebooks, else the checkout's notebooks/)",
    )
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    p.add_argument(
        "--cell-timeout",
        metavar="SECONDS",
        type=_non_negative_float,
        default=None,
        help="fail a chapter whose single cell runs longer than this (default 300 in quick "
        "mode, 1800 in full mode; 0 = no limit). A kernel that stalls is detected in seconds "
        "whatever this is, and its chapter re-run once",
    )
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar (per-chapter lines are still printed)",
    )
    p.set_defaults(func=cmd_reproduce, output="text")

    c = subparsers.add_parser(
        "compare",
        help="report cells that changed between two reproduce outputs (exit 1 if any)",
        description=(
            "Compare every CSV (and claims/metrics JSON) in RUN_A/tables and RUN_B/tables plus "
            "summary.csv cell by cell: numbers within atol + rtol*|b| are equal, text must match. "
            "Exit 1 if a cell changed beyond tolerance or a file disappeared, else 0."
        ),
    )
    c.add_argument("run_a", metavar="RUN_A", help="the earlier OUT folder")
    c.add_argument("run_b", metavar="RUN_B", help="the later OUT folder")
    c.add_argument(
        "--rtol", type=_non_negative_float, default=1e-6, help="relative tolerance (default 1e-6)"
    )
    c.add_argument(
        "--atol", type=_non_negative_float, default=0.0, help="absolute tolerance (default 0)"
    )
    c.add_argument(
        "--strict",
        action="store_true",
        help="also fail when RUN_B has files RUN_A lacks (e.g. a new chapter)",
    )
    c.set_defaults(func=cmd_compare, output="text")

    ch = subparsers.add_parser(
        "chapters",
        help="the chapters in order, with survey section, session, reading and run time",
        description=(
            "One row per chapter: the survey section it mirrors, the session it is written for, "
            "its reading time (from its words) and its run times measured by edgelab reproduce. "
            "With --record-times QUICK_OUT FULL_OUT, first write notebooks/chapter_times.csv "
            "from the OUT folders of a quick and a full run."
        ),
    )
    ch.add_argument("--record-times", nargs=2, metavar=("QUICK_OUT", "FULL_OUT"), default=None,
                    help="OUT folders of `edgelab reproduce --quick` and `--full`")
    ch.add_argument("--machine", metavar="TEXT", default=None,
                    help="how the runs were made, for the card (default: this machine's CPU "
                         "count and architecture)")
    ch.add_argument("--notebooks", metavar="DIR", default=None,
                    help="chapters folder (default: ./notebooks, else the checkout's notebooks/)")
    ch.set_defaults(func=cmd_chapters)


def check_out_folder(out: str) -> None:
    """``--out`` of ``edgelab reproduce`` must be a folder (created if missing), not a file."""
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


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Handler of ``edgelab reproduce``; returns 0 if every chapter ran, 1 otherwise."""
    from edgelab.pipeline import reproduce, summary_counts

    check_out_folder(args.out)
    res = reproduce(
        args.out,
        quick=args.quick,
        seed=args.seed,
        only=args.only,
        jobs=args.jobs,
        resume=args.resume,
        notebooks_dir=args.notebooks,
        kernel=args.kernel,
        cell_timeout="auto" if args.cell_timeout is None else (args.cell_timeout or None),
        progress=args.progress,
    )
    counts = summary_counts(res.out)
    verdicts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no claims recorded"
    n_fail = len(res.failed)
    print(
        f"{len(res.chapters)} chapters ({n_fail} failed) in {res.seconds:.1f} s; {verdicts}. "
        f"Summary: {res.out / 'summary.md'}"
    )
    for c in res.failed:
        print(f"FAILED {c.name}: {c.describe_failure()}", file=sys.stderr)
    return res.exit_status


def cmd_compare(args: argparse.Namespace) -> int:
    """Handler of ``edgelab compare``; returns 1 on drift beyond tolerance, else 0."""
    from edgelab.pipeline import compare_runs

    report = compare_runs(args.run_a, args.run_b, rtol=args.rtol, atol=args.atol)
    for line in report.lines():
        print(line)
    return 1 if report.differs(strict=args.strict) else 0


def cmd_chapters(args: argparse.Namespace) -> int:
    """Handler of ``edgelab chapters``: the chapters' frame as a table (optionally recording
    the run times of a quick and a full reproduction first)."""
    import math

    import pandas as pd

    from edgelab.cli.format import emit
    from edgelab.pipeline.chapters import chapter_card, chapter_index, record_times

    if args.record_times:
        path = record_times(*args.record_times, notebooks_dir=args.notebooks,
                            machine=args.machine)
        print(f"wrote {path}", file=sys.stderr)
    rows = []
    for stem, title in chapter_index(args.notebooks):
        c = chapter_card(stem, args.notebooks)
        rows.append({"chapter": stem, "title": title, "survey": c.survey,
                     "session_min": c.minutes, "reading_min": c.reading_min,
                     "quick_s": math.nan if c.quick_s is None else c.quick_s,
                     "full_s": math.nan if c.full_s is None else c.full_s})
    emit(pd.DataFrame(rows), args.format, na_rep="-", float_format="{:.0f}")
    return 0
