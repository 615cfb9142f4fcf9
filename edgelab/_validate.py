"""Validation helpers used at the package boundary (scikit-learn style).

Every helper names the parameter in its message (``<name> must be <what is allowed>, got
<value>``) and raises :class:`~edgelab.errors.ParameterError` (a ``ValueError``) for a value out
of range, or :class:`~edgelab.errors.ParameterTypeError` (a ``TypeError``) for a value of the
wrong kind: a boolean where a number is expected, a string where a profile is expected.
Infinite, NaN and huge numbers (``10**400``) are out of range, never an ``OverflowError``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from edgelab.errors import ParameterError, ParameterTypeError

#: longest repr of a bad value quoted in a message
_REPR_MAX = 80


def show(value: Any) -> str:
    """``repr(value)``, shortened to a readable length for one-line messages."""
    try:
        r = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        r = f"<{type(value).__name__}>"
    r = " ".join(r.split())
    return r if len(r) <= _REPR_MAX else r[: _REPR_MAX - 1] + "…"


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _as_float(name: str, value: Any, what: str) -> float:
    """``float(value)`` for a real number; TypeError for booleans and non-numbers."""
    if _is_bool(value):
        raise ParameterTypeError(f"{name} must be {what}, got a boolean {value!r}")
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ParameterTypeError(f"{name} must be {what}, got {show(value)}") from None
    if not isinstance(value, numbers.Real) and not (
            isinstance(value, np.ndarray) and value.ndim == 0
            and np.issubdtype(value.dtype, np.number)):
        raise ParameterTypeError(f"{name} must be {what}, got {type(value).__name__} {show(value)}")
    try:
        return float(value)
    except OverflowError:  # an int beyond float range: 10**400
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        raise ParameterTypeError(f"{name} must be {what}, got {show(value)}") from None


def positive(name: str, value: Any, *, allow_zero: bool = False,
             at_most: float | None = None) -> float:
    """Return ``value`` as a float, or raise naming ``name``.

    Allowed: a finite real number > 0 (>= 0 when ``allow_zero``), and ≤ ``at_most`` when given.
    Booleans and non-numbers raise :class:`~edgelab.errors.ParameterTypeError`; NaN,
    infinities, huge integers and values out of range raise
    :class:`~edgelab.errors.ParameterError`.
    """
    bound = "≥ 0" if allow_zero else "> 0"
    if at_most is not None:
        bound += f" and ≤ {at_most:g}"
    v = _as_float(name, value, f"a finite number {bound}")
    if (not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero)
            or (at_most is not None and v > at_most)):
        raise ParameterError(f"{name} must be a finite number {bound}, got {show(value)}")
    return v


def finite(name: str, value: Any) -> float:
    """Return ``value`` as a finite float (any sign), or raise naming ``name``."""
    v = _as_float(name, value, "a finite number")
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be a finite number, got {show(value)}")
    return v


def positive_array(name: str, value: Any, *, allow_zero: bool = False,
                   allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array whose every element is finite and > 0 (or ≥ 0).

    An empty array is refused unless ``allow_empty`` (an empty grid would silently return an
    empty result); booleans are a :class:`~edgelab.errors.ParameterTypeError`.
    """
    bound = "≥ 0" if allow_zero else "> 0"
    if _is_bool(value) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise ParameterTypeError(f"{name} must be finite numbers {bound}, got booleans {show(value)}")
    if isinstance(value, list | tuple) and any(_is_bool(v) for v in value):
        raise ParameterTypeError(f"{name} must be finite numbers {bound}, got booleans {show(value)}")
    if isinstance(value, str):
        raise ParameterTypeError(f"{name} must be finite numbers {bound}, got {show(value)}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise ParameterError(f"{name} must be finite numbers {bound}, got {show(value)}") from None
    except (TypeError, ValueError):
        raise ParameterTypeError(f"{name} must be numbers, got {show(value)}") from None
    if arr.size == 0 and not allow_empty:
        raise ParameterError(f"{name} must hold at least one number {bound}, got an empty grid")
    bad = ~np.isfinite(arr) | (arr < 0) | ((arr == 0) & (not allow_zero))
    if bad.any():
        first = arr[bad].ravel()[0]
        raise ParameterError(f"{name} must be finite numbers {bound}, got {first!r}")
    return arr


def integer_in(name: str, value: Any, lo: int, hi: int) -> int:
    """Return ``value`` as an int in ``[lo, hi]`` or raise naming ``name``.

    A float with an integral value is accepted (``3.0``); booleans and non-numbers raise
    :class:`~edgelab.errors.ParameterTypeError`; fractions, NaN, infinities and out-of-range
    values raise :class:`~edgelab.errors.ParameterError`.
    """
    what = f"an integer in [{lo}, {hi}]"
    if _is_bool(value):
        raise ParameterTypeError(f"{name} must be {what}, got a boolean {value!r}")
    if not isinstance(value, int | np.integer):
        v = _as_float(name, value, what)
        if not math.isfinite(v) or v != int(v):
            raise ParameterError(f"{name} must be {what}, got {show(value)}")
        value = int(v)
    if not lo <= int(value) <= hi:
        raise ParameterError(f"{name} must be {what}, got {show(value)}")
    return int(value)


def choice(name: str, value: Any, allowed: list[str] | tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming them."""
    try:
        ok = value in allowed
    except (TypeError, ValueError):  # an array or unhashable value compared against strings
        ok = False
    if not ok:
        raise ParameterError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {show(value)}")
    return value


def instance(name: str, value: Any, cls: type | tuple[type, ...], what: str) -> Any:
    """Return ``value`` if it is an instance of ``cls``, else raise
    :class:`~edgelab.errors.ParameterTypeError` saying ``what`` is expected."""
    if not isinstance(value, cls):
        raise ParameterTypeError(f"{name} must be {what}, got {type(value).__name__} {show(value)}")
    return value
