"""Errors edgelab raises at its boundaries.

Every error names the parameter at fault and what is allowed, so the CLI can print
one clear line (exit status 2) and a notebook shows a readable message rather than a
deep traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EdgelabError(Exception):
    """Base class of the errors edgelab raises on bad input."""


class UnknownNameError(EdgelabError, KeyError):
    """A device, link, model or claim name that is not in its catalog."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ProfileError(EdgelabError):
    """A module the profiler cannot trace or run."""


def unknown_name(kind: str, name: object, valid: Iterable[str]) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the valid names and close matches."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownNameError(
        f"unknown {kind} {name!r}.{hint} Valid {kind} names: {', '.join(valid)}"
    )
