"""Validation helpers used at the package boundary (scikit-learn style)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` naming ``name``.

    Allowed: a finite real number > 0 (>= 0 when ``allow_zero``).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    bound = "≥ 0" if allow_zero else "> 0"
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def positive_array(name: str, value: Any, *, allow_zero: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array whose every element is finite and > 0 (or ≥ 0)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {value!r}") from None
    bad = ~np.isfinite(arr) | (arr < 0) | ((arr == 0) & (not allow_zero))
    if bad.any():
        first = arr[bad].ravel()[0]
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite numbers {bound}; got {first!r}")
    return arr


def integer_in(name: str, value: Any, lo: int, hi: int) -> int:
    """Return ``value`` as an int in ``[lo, hi]`` or raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        try:
            if float(value) != int(value):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}") from None
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


def choice(name: str, value: Any, allowed: list[str] | tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` naming them."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value
