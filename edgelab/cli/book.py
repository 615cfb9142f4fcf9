"""``edgelab book``: the chapters as a website (issue 18; :func:`edgelab.book.site.build_site`).

Builds the book from the notebooks an ``edgelab reproduce`` run already executed (never
executing them again): a page per chapter with its figures and launch buttons, the claims
summary, the drift report against an earlier run, the instructor's page and search. Prints
prose, not a table (``output="text"``). Bad input (an OUT without ``runs/*.ipynb``, a bad
``--repo-url``) raises :class:`~edgelab.errors.EdgelabError` (one line, exit 2); a Sphinx
failure raises ``RuntimeError`` (one line, exit 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "cmd_book"]


def register(subparsers: Any) -> None:
    """Add the ``book`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "book",
        help="build the book (a static website) from an edgelab reproduce OUT folder",
        description=(
            "Build the chapters' executed notebooks in OUT/runs/ into a Sphinx + MyST-NB site "
            "in SITE (replaced atomically): one page per chapter with its figures and launch "
            "buttons, the claims summary, the drift report (with --previous), the instructor's "
            "page and search. Nothing is executed again; the site works offline."
        ),
    )
    p.add_argument("--runs", metavar="OUT", required=True,
                   help="the OUT folder of `edgelab reproduce` (its runs/*.ipynb and summary.csv)")
    p.add_argument("--out", metavar="SITE", required=True, help="folder of the built site")
    p.add_argument("--previous", metavar="PREV", default=None,
                   help="an earlier OUT folder: the drift page compares it with --runs")
    p.add_argument("--repo-url", metavar="URL", default=None,
                   help="repository of the Binder buttons (default: $GITHUB_SERVER_URL/"
                        "$GITHUB_REPOSITORY on GitHub Actions, else a GitHub `origin` remote, "
                        "else no Binder buttons)")
    p.add_argument("--branch", metavar="B", default="main",
                   help="branch the Binder buttons open (default main)")
    p.add_argument("--notebooks", metavar="DIR", default=None,
                   help="chapters folder (default: ./notebooks, else the checkout's notebooks/)")
    p.set_defaults(func=cmd_book, output="text")


def cmd_book(args: argparse.Namespace) -> int:
    """Handler of ``edgelab book``: build the site and print what it built."""
    from edgelab.book.site import build_site

    res = build_site(Path(args.runs), Path(args.out),
                     previous=None if args.previous is None else Path(args.previous),
                     repo_url=args.repo_url, branch=args.branch,
                     notebooks_dir=None if args.notebooks is None else Path(args.notebooks))
    print(res.describe())
    return 0
