"""A small TOML encoder for the files edgelab writes (a Flower App's TOML files).

Only what those files need: bare or quoted keys and scalar values (booleans, integers, finite
floats, strings). Strings are TOML basic strings with every character the specification does
not allow raw (``"``, ``\\``, control characters) escaped, so an argument can never end the
string or start a new key. The standard library reads TOML (``tomllib``) but does not write it,
and ``tomli_w`` is only present with Flower's extra, so this stays dependency-free.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

__all__ = ["toml_key", "toml_string", "toml_value"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                  "\r": "\\r"}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (double quotes, escapes as the TOML 1.0 spec lists).

    Raises ``TypeError`` for a non-string and ``ValueError`` for a lone surrogate (not valid
    Unicode, so not representable in a UTF-8 TOML file).
    """
    if not isinstance(text, str):
        raise TypeError(f"value: a string, got {type(text).__name__} {text!r}")
    out = []
    for ch in text:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError(f"value: a string of Unicode scalar values, got {text!r}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """``key`` bare when TOML allows it (``A-Za-z0-9_-``), else as a quoted key."""
    if isinstance(key, str) and _BARE_KEY.fullmatch(key):
        return key
    return toml_string(key)


def toml_value(value: Any) -> str:
    """A scalar as TOML: ``true``/``false``, an integer, a finite float, or a basic string.

    Raises ``ValueError`` for NaN or infinite floats (a run config must not carry them) and
    ``TypeError`` for other types.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"value: a finite number, got {value!r}")
        return repr(v)  # Python's repr of a finite float is a valid TOML float
    if isinstance(value, str):
        return toml_string(value)
    raise TypeError(f"value: a bool, int, float or str, got {type(value).__name__} {value!r}")
