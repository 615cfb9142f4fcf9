"""Reported numbers and verdict rules: the data layer that the recorder, chapters and pipeline share.

The surveys' numbers (seed 003 Tables 2 and 4, §II-D, §III-B, §IV-C, §V-C; seed 001 §II)
live in ``data/reported.csv``, one claim per row, read here by :func:`reported`,
:func:`reported_table` and :func:`claim_ids`. Every row carries a ``verdict_rule``, the
verdict stated per row rather than decided afterwards, written in this small grammar::

    rule       := "none"
                | "within_rel:" TOL [":" NEUTRAL]
                | "within_abs:" TOL [":" NEUTRAL]
                | "range" [":" NEUTRAL]
                | "direction:" ("+" | "-")

``reported_low`` / ``reported_high`` of the row are the reference numbers (in the row's
``units``); an empty bound is unbounded.

- ``within_rel:TOL`` -- *matches* if ``|ours - ref| <= TOL * |ref|`` where ``ref`` is
  ``reported_low`` (equal to ``reported_high`` for a point value). With ``NEUTRAL`` (the
  value meaning "no effect", 1 for a factor, 0 for a percentage), a value outside the
  tolerance but on the same side of ``NEUTRAL`` as ``ref`` is *same direction*.
- ``within_abs:TOL`` -- as above with ``|ours - ref| <= TOL``.
- ``range`` -- *matches* if ``low <= ours <= high``. ``range:NEUTRAL`` adds *same direction*
  when ours is outside the range but on the same side of ``NEUTRAL`` as the whole range
  (e.g. ``range:1`` for a reported 3.1-40.7x speedup: ours = 2x is a gain, so same direction).
- ``direction:+`` -- for directional claims. Ours is a boolean (``True`` = the claimed
  direction holds in our reproduction) or a signed number (positive = holds); *matches* if it
  holds, else *differs*. ``direction:-`` expects ``False`` / a negative number.
- ``none`` -- a claim a laptop cannot re-check (forecasts, ImageNet-scale training, garbled
  cells): the verdict is *not checked*.

Every row not marked ``reproducible_here = yes`` says why in ``not_reproducible_reason``, one of
:data:`NOT_REPRODUCIBLE_REASONS`; the column is empty exactly for reproducible rows, and
:func:`validate_reasons` (run whenever the table is read) refuses anything else.

Anything else is *differs*. A value of the wrong kind (a boolean for a numeric rule, NaN)
is refused by :func:`check_value` when the chapter records it. :func:`tolerance` is the
relative tolerance of a ``within_rel`` rule, for tables that show it beside ours.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from edgelab._paths import data_path
from edgelab.errors import EdgelabError, unknown_name

__all__ = [
    "MATCHES", "SAME_DIRECTION", "DIFFERS", "NOT_CHECKED", "VERDICTS", "REPORTED_CSV", "Rule",
    "parse_rule", "check_value", "evaluate", "tolerance", "reported", "reported_table",
    "claim_ids", "NOT_REPRODUCIBLE_REASONS", "REASON_COLUMN", "validate_reasons",
]

#: The reported-results table under ``data/``: one row per survey claim.
REPORTED_CSV = "reported.csv"

MATCHES = "matches"
SAME_DIRECTION = "same direction"
DIFFERS = "differs"
NOT_CHECKED = "not checked"

VERDICTS = (MATCHES, SAME_DIRECTION, DIFFERS, NOT_CHECKED)

#: The column of ``data/reported.csv`` that says why a claim is not reproducible here.
REASON_COLUMN = "not_reproducible_reason"

#: Why a claim is not re-checkable on a laptop (``reproducible_here`` != ``yes``):
#: a market forecast or motivational statistic, ImageNet-scale training, a system tied to
#: hardware we do not have, a theoretical result, a cell too garbled to compare with, or
#: ``chapter-to-come``: a debt, a claim a coming chapter (compression, caching and
#: filtering, gradient compression, decentralised training) turns into a verdict.
NOT_REPRODUCIBLE_REASONS = (
    "forecast",
    "imagenet-scale",
    "specific-hardware",
    "theory",
    "garbled",
    "chapter-to-come",
)


@dataclass(frozen=True)
class Rule:
    """A parsed verdict rule of a survey claim (see the module docstring for the grammar)."""

    kind: str  # "none" | "within_rel" | "within_abs" | "range" | "direction"
    tol: float | None = None
    neutral: float | None = None
    sign: int | None = None  # +1 / -1 for direction rules

    @property
    def numeric(self) -> bool:
        """Whether the rule needs ours to be a real number (not a boolean)."""
        return self.kind in ("within_rel", "within_abs", "range")


def _num(text: str, what: str, rule: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"verdict rule {rule!r}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"verdict rule {rule!r}: {what} must be finite, got {text!r}")
    return v


def parse_rule(text: str) -> Rule:
    """Parse a ``verdict_rule`` cell of ``data/reported.csv`` into a :class:`Rule`; ``ValueError``
    names the grammar."""
    rule = (text or "").strip()
    grammar = "none | within_rel:TOL[:NEUTRAL] | within_abs:TOL[:NEUTRAL] | range[:NEUTRAL] | direction:+|-"
    if rule == "none":
        return Rule("none")
    head, _, rest = rule.partition(":")
    args = rest.split(":") if rest else []
    if head in ("within_rel", "within_abs") and 1 <= len(args) <= 2:
        tol = _num(args[0], "TOL", rule)
        if tol < 0:
            raise ValueError(f"verdict rule {rule!r}: TOL must be >= 0")
        neutral = _num(args[1], "NEUTRAL", rule) if len(args) == 2 else None
        return Rule(head, tol=tol, neutral=neutral)
    if head == "range" and len(args) <= 1:
        neutral = _num(args[0], "NEUTRAL", rule) if args and args[0] != "" else None
        return Rule("range", neutral=neutral)
    if head == "direction" and len(args) == 1 and args[0] in ("+", "-"):
        return Rule("direction", sign=1 if args[0] == "+" else -1)
    raise ValueError(f"unknown verdict rule {text!r}; the grammar is: {grammar}")


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ in ("bool_", "bool")


def check_value(rule: Rule | str, value: object, *, claim_id: str = "") -> None:
    """Raise ``ValueError`` if ``value`` cannot be judged by ``rule`` (wrong kind, NaN), before a
    chapter records it as its reproduction of a survey claim."""
    r = parse_rule(rule) if isinstance(rule, str) else rule
    where = (
        f"claim {claim_id!r} (rule {_rule_text(r)!r})" if claim_id else f"rule {_rule_text(r)!r}"
    )
    if r.kind == "none":
        return
    if r.kind == "direction":
        if _is_bool(value):
            return
        if isinstance(value, numbers.Real) and math.isfinite(float(value)):
            return
        raise ValueError(
            f"{where} is directional: record True/False (does the claimed direction hold?) "
            f"or a signed finite number, got {value!r}"
        )
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where} needs a real number in the claim's units, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{where} needs a finite number, got {value!r}")


def _rule_text(r: Rule) -> str:
    if r.kind == "none":
        return "none"
    if r.kind == "direction":
        return f"direction:{'+' if r.sign == 1 else '-'}"
    if r.kind == "range":
        return "range" if r.neutral is None else f"range:{r.neutral:g}"
    base = f"{r.kind}:{r.tol:g}"
    return base if r.neutral is None else f"{base}:{r.neutral:g}"


def _side(x: float, neutral: float) -> int:
    return (x > neutral) - (x < neutral)


def evaluate(
    rule: Rule | str, ours: object, low: float | None = None, high: float | None = None
) -> tuple[str, str]:
    """Judge ``ours`` against the survey's reported ``[low, high]`` with ``rule``.

    Returns ``(verdict, reason)`` where verdict is one of :data:`VERDICTS` and reason is a
    short human-readable explanation (shown in ``summary.md``).
    """
    r = parse_rule(rule) if isinstance(rule, str) else rule
    low = None if low is None or (isinstance(low, float) and math.isnan(low)) else float(low)
    high = None if high is None or (isinstance(high, float) and math.isnan(high)) else float(high)
    if r.kind == "none":
        return NOT_CHECKED, "not re-checkable here (rule none)"
    try:
        check_value(r, ours)
    except ValueError as e:
        return DIFFERS, str(e)
    if r.kind == "direction":
        v = float(ours) if not _is_bool(ours) else (1.0 if ours else -1.0)
        holds = _side(v, 0.0) == r.sign
        return (
            (MATCHES, "claimed direction holds")
            if holds
            else (DIFFERS, "claimed direction does not hold")
        )
    x = float(ours)  # type: ignore[arg-type]
    if r.kind in ("within_rel", "within_abs"):
        ref = low if low is not None else high
        if ref is None:
            return DIFFERS, "row has no reported number to compare with"
        err = abs(x - ref)
        bound = r.tol * abs(ref) if r.kind == "within_rel" else r.tol
        what = f"|ours-ref|={err:.4g}, allowed {bound:.4g}"
        if err <= bound:
            return MATCHES, what
        if r.neutral is not None and _side(x, r.neutral) == _side(ref, r.neutral) != 0:
            return SAME_DIRECTION, f"{what}; same side of {r.neutral:g} as reported"
        return DIFFERS, what
    # range
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    if lo > hi:
        lo, hi = hi, lo
    what = f"ours={x:.4g}, reported range [{_fmt(low)}, {_fmt(high)}]"
    if lo <= x <= hi:
        return MATCHES, what
    if r.neutral is not None:
        n = r.neutral
        side = 1 if lo >= n and hi > n else (-1 if hi <= n and lo < n else 0)
        if side != 0 and _side(x, n) == side:
            return SAME_DIRECTION, f"{what}; outside but on the same side of {n:g}"
    return DIFFERS, what


def _fmt(v: float | None) -> str:
    return "unbounded" if v is None else f"{v:g}"


def tolerance(rule: Rule | str) -> float:
    """The relative tolerance of a ``within_rel`` rule, else NaN (seed 003 §II-D comparisons).

    ``tolerance("within_rel:0.05")`` is 0.05; a rule of any other kind has no relative
    tolerance to show beside ours.
    """
    r = parse_rule(rule) if isinstance(rule, str) else rule
    return float(r.tol) if r.kind == "within_rel" and r.tol is not None else math.nan


# --------------------------------------------------------------------------- reported.csv
@functools.lru_cache(maxsize=4)
def _load_reported(path: str, mtime_ns: int) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    if "claim_id" not in df.columns:
        raise EdgelabError(f"{path} has no claim_id column")
    dup = df["claim_id"][df["claim_id"].duplicated()].tolist()
    if dup:
        raise EdgelabError(f"{path}: duplicate claim_id(s): {', '.join(dup)}")
    validate_reasons(df, source=path)
    for col in ("reported_low", "reported_high"):
        df[col] = pd.to_numeric(df[col].replace("", float("nan")), errors="raise").astype(float)
    return df


def validate_reasons(table: pd.DataFrame, *, source: str = REPORTED_CSV) -> None:
    """Check the ``not_reproducible_reason`` column of a reported-claims table.

    Every row whose ``reproducible_here`` is not ``yes`` must hold one of
    :data:`NOT_REPRODUCIBLE_REASONS`; a reproducible row must leave it empty. Raises
    :class:`~edgelab.errors.EdgelabError` naming the claim, its value and the allowed values.
    """
    for col in ("claim_id", "reproducible_here", REASON_COLUMN):
        if col not in table.columns:
            raise EdgelabError(f"{source} has no {col} column")
    allowed = ", ".join(NOT_REPRODUCIBLE_REASONS)
    for cid, here, reason in zip(
        table["claim_id"], table["reproducible_here"], table[REASON_COLUMN], strict=True
    ):
        here = str(here).strip()
        reason = str(reason).strip()
        if here == "yes":
            if reason:
                raise EdgelabError(
                    f"{source}: claim {cid!r} is reproducible here, so {REASON_COLUMN} must be "
                    f"empty, got {reason!r}"
                )
        elif not reason:
            raise EdgelabError(
                f"{source}: claim {cid!r} is not reproducible here (reproducible_here="
                f"{here!r}) but has no {REASON_COLUMN}; give one of: {allowed}"
            )
        elif reason not in NOT_REPRODUCIBLE_REASONS:
            raise EdgelabError(
                f"{source}: claim {cid!r} has {REASON_COLUMN}={reason!r}; allowed values: {allowed}"
            )


def _reported_df(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    p = Path(path) if path is not None else data_path(REPORTED_CSV)
    if not p.exists():
        raise EdgelabError(f"reported-results table not found: {p}")
    return _load_reported(str(p), p.stat().st_mtime_ns)


def reported_table(
    claim_ids: Iterable[str] | None = None, *, path: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """``data/reported.csv`` as a DataFrame (all cells verbatim strings, low/high as floats).

    The surveys' reported numbers (seed 003 Tables 2 and 4, seed 001 §II). ``claim_ids``
    selects rows in the given order; an unknown id raises
    :class:`~edgelab.errors.UnknownNameError` listing close matches.
    """
    df = _reported_df(path)
    if claim_ids is None:
        return df.copy()
    ids = list(claim_ids)
    known = set(df["claim_id"])
    for cid in ids:
        if cid not in known:
            raise unknown_name("claim_id", cid, known)
    return df.set_index("claim_id", drop=False).loc[ids].reset_index(drop=True)


def claim_ids(*, path: str | os.PathLike[str] | None = None) -> list[str]:
    """All claim ids of ``data/reported.csv`` in file order (the surveys' reported claims)."""
    return _reported_df(path)["claim_id"].tolist()


def reported(claim_id: str, *, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """One row of ``data/reported.csv`` as a dict (a claim of seed 003 or seed 001).

    Keys are the file's columns: ``reported_value`` is verbatim from the survey (seed 003/001),
    ``reported_low`` / ``reported_high`` are floats (``None`` when empty), plus ``units``,
    ``verdict_rule``, ``reproducible_here`` and the source columns (``seed_file``,
    ``section_or_table``, ...). Notebooks read reported numbers from here, never typed in.
    """
    df = _reported_df(path)
    hit = df.index[df["claim_id"] == claim_id]
    if len(hit) == 0:
        raise unknown_name("claim_id", claim_id, df["claim_id"])
    row = df.loc[hit[0]].to_dict()
    for col in ("reported_low", "reported_high"):
        v = row[col]
        row[col] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return row
