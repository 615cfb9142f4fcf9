"""Errors edgelab raises at its boundaries.

Every error names the parameter at fault and what is allowed, so the CLI can print
one clear line (exit status 2) and a notebook shows a readable message rather than a
deep traceback.

* :class:`EdgelabError` and its subclasses are bad input: the CLI exits with status 2.
* :class:`ParameterError` is a ``ValueError`` (a value out of range) and
  :class:`ParameterTypeError` a ``TypeError`` (a value of the wrong kind, e.g. a boolean where a
  number is expected, or a model name where a profile is expected). Both are
  :class:`EdgelabError`, so the CLI tells them from an internal ``TypeError`` (a bug: exit 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EdgelabError(Exception):
    """Base class of the errors edgelab raises on bad input."""


class ParameterError(EdgelabError, ValueError):
    """A parameter whose value is outside what is allowed (message: ``<name> must be …, got …``)."""


class ParameterTypeError(EdgelabError, TypeError, ValueError):
    """A parameter of the wrong type (a boolean where a number is expected, a name where a
    profile is expected). Also a ``ValueError``, so code that caught ``ValueError`` from the
    validators before this class existed still catches it."""


class UnknownNameError(EdgelabError, KeyError):
    """A device, link, model or claim name that is not in its catalog."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ProfileError(EdgelabError):
    """A module the profiler cannot trace or run."""


class InputShapeError(ProfileError, ParameterError):
    """A zoo model that cannot run on the input shape asked for (``input_shape``/``--input``)."""


def unknown_name(kind: str, name: object, valid: Iterable[str]) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the valid names and close matches."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownNameError(
        f"unknown {kind} {name!r}.{hint} Valid {kind} names: {', '.join(valid)}"
    )
