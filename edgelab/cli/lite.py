"""``edgelab lite --out DIR``: the JupyterLite bundle of the torch-free chapters (issue 18).

Builds :func:`edgelab.book.lite.build_lite` into ``DIR`` (the book serves it as ``<site>/lite``;
``DIR/lab/index.html?path=<stem>.ipynb`` opens a chapter). Bad input (an unknown chapter, a
``--out`` that is a file or a foreign non-empty folder) exits 2 with one line; a failing build
step (npm, pip, ``jupyter lite build``) exits 1 with one line naming it.
"""

from __future__ import annotations

import argparse
from typing import Any

from edgelab.cli.format import emit

__all__ = ["register", "cmd_lite"]


def register(subparsers: Any) -> None:
    """Add the ``lite`` subcommand to the ``edgelab`` parser (issue 18 item 3)."""
    p = subparsers.add_parser(
        "lite", help="build the JupyterLite bundle of the chapters marked lite = true",
        description="Build a static JupyterLite site that runs the torch-free chapters "
                    "(lite = true in notebooks/chapters.toml) in the browser with Pyodide; "
                    "Pyodide's core comes from npm, edgelab is a wheel of this checkout.")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to build into")
    p.add_argument("--chapters", nargs="+", metavar="STEM", default=None,
                   help="only these lite chapters (default: all marked lite = true)")
    p.add_argument("--notebooks", metavar="DIR", default=None, help="the chapters' folder")
    p.add_argument("--cache", metavar="DIR", default=None,
                   help="cache for npm's Pyodide and pip's wheels (default: ~/.cache/edgelab/lite)")
    p.set_defaults(func=cmd_lite)


def cmd_lite(args: argparse.Namespace) -> int:
    """Build the bundle and print what it holds (issue 18 item 3)."""
    from edgelab.book.lite import build_lite

    res = build_lite(args.out, chapters=args.chapters, notebooks_dir=args.notebooks,
                     cache_dir=args.cache)
    emit(res.summary(), args.format)
    return 0
