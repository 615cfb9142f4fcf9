"""Drift between two reproductions: :func:`compare_runs` reports the cells that changed."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgelab.errors import EdgelabError
from edgelab.record import (
    TABLES,
    read_csv_rows,
)

__all__ = ["CompareReport", "compare_runs"]


# =========================================================================== compare
@dataclass
class CompareReport:
    """Differences between two OUT folders (see :func:`compare_runs`)."""

    changed: list[str] = field(default_factory=list)  # one line per changed cell / shape
    added: list[str] = field(default_factory=list)  # files only in RUN_B
    removed: list[str] = field(default_factory=list)  # files only in RUN_A
    files_compared: int = 0

    def differs(self, *, strict: bool = False) -> bool:
        """True if a cell changed beyond tolerance or a file was removed (or added, if strict)."""
        return bool(self.changed or self.removed or (strict and self.added))

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        out = [f"compared {self.files_compared} files"]
        out += [f"removed: {f}" for f in self.removed]
        out += [f"added:   {f}" for f in self.added]
        out += [f"changed: {c}" for c in self.changed]
        if not (self.changed or self.removed or self.added):
            out.append("no differences beyond tolerance")
        return out


def _compared_files(run: Path) -> dict[str, Path]:
    files = {}
    for pattern in (
        f"{TABLES}/*.csv",
        f"{TABLES}/*.json",
        "summary.csv",
        "table2_training.csv",
        "table4_inference.csv",
    ):
        for p in run.glob(pattern):
            if not p.name.startswith("."):
                files[p.relative_to(run).as_posix()] = p
    return files


def _num_or_none(s: Any) -> float | None:
    if isinstance(s, bool) or s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    try:
        return float(str(s).strip())
    except ValueError:
        return None


def _cell_equal(a: Any, b: Any, rtol: float, atol: float) -> bool:
    if a == b:
        return True
    x, y = _num_or_none(a), _num_or_none(b)
    if x is None or y is None:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= atol + rtol * abs(y)


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        flat: dict[str, Any] = {}
        for k, v in obj.items():
            flat.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return flat
    if isinstance(obj, list):
        flat = {}
        for i, v in enumerate(obj):
            flat.update(_flatten(v, f"{prefix}[{i}]"))
        return flat
    return {prefix: obj}


def _keyed(
    rows: list[list[str]], header: list[str], key_cols: Sequence[str]
) -> dict[Any, list[str]] | None:
    if not all(k in header for k in key_cols):
        return None
    idx = [header.index(k) for k in key_cols]
    keyed = {}
    for r in rows:
        k = tuple(r[i] if i < len(r) else "" for i in idx)
        if k in keyed:
            return None
        keyed[k] = r
    return keyed


def _read_compared_csv(name: str, path: Path, report: CompareReport) -> list[list[str]] | None:
    """Rows of ``path``, or None after reporting it (by name and path) as unreadable."""
    try:
        return read_csv_rows(path)
    except (UnicodeDecodeError, csv.Error) as e:
        why = f"not UTF-8 text ({e.reason} at byte {e.start})" if isinstance(
            e, UnicodeDecodeError) else str(e)
        report.changed.append(f"{name}: unreadable CSV {path}: {why}")
        return None


def _compare_csv(
    name: str, a: Path, b: Path, rtol: float, atol: float, report: CompareReport
) -> None:
    ra, rb = _read_compared_csv(name, a, report), _read_compared_csv(name, b, report)
    if ra is None or rb is None:
        return
    ha, hb = (ra[0] if ra else []), (rb[0] if rb else [])
    body_a, body_b = ra[1:], rb[1:]
    if ha != hb:
        gone = [c for c in ha if c not in hb]
        new = [c for c in hb if c not in ha]
        report.changed.append(f"{name}: columns changed (removed {gone}, added {new})")
    cols = [c for c in ha if c in hb]
    # summary-like files are aligned on their key, everything else by row position
    ka = (
        _keyed(body_a, ha, ("claim_id", "chapter"))
        if "chapter" in ha
        else _keyed(body_a, ha, ("claim_id",))
    )
    kb = (
        _keyed(body_b, hb, ("claim_id", "chapter"))
        if "chapter" in hb
        else _keyed(body_b, hb, ("claim_id",))
    )
    if ka is not None and kb is not None:
        pairs = [(k, ka[k], kb[k]) for k in ka if k in kb]
        for k in ka:
            if k not in kb:
                report.changed.append(f"{name}: row {'/'.join(k)} removed")
        for k in kb:
            if k not in ka:
                report.changed.append(f"{name}: row {'/'.join(k)} added")
        labelled = [("/".join(k), x, y) for k, x, y in pairs]
    else:
        if len(body_a) != len(body_b):
            report.changed.append(f"{name}: {len(body_a)} rows -> {len(body_b)} rows")
        labelled = [
            (str(i + 1), x, y) for i, (x, y) in enumerate(zip(body_a, body_b, strict=False))
        ]
    for label, x, y in labelled:
        for c in cols:
            i, j = ha.index(c), hb.index(c)
            va = x[i] if i < len(x) else ""
            vb = y[j] if j < len(y) else ""
            if not _cell_equal(va, vb, rtol, atol):
                report.changed.append(f"{name}: row {label}, column {c!r}: {va!r} -> {vb!r}")


def _first(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _compare_json(
    name: str, a: Path, b: Path, rtol: float, atol: float, report: CompareReport
) -> None:
    flat = []
    for p in (a, b):
        try:
            flat.append(_flatten(json.loads(p.read_text(encoding="utf-8"))))
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
            report.changed.append(f"{name}: unreadable JSON {p}: {_first(e)}")
            return
    fa, fb = flat
    for k in sorted(set(fa) | set(fb)):
        if k not in fb:
            report.changed.append(f"{name}: {k} removed")
        elif k not in fa:
            report.changed.append(f"{name}: {k} added")
        elif not _cell_equal(fa[k], fb[k], rtol, atol):
            report.changed.append(f"{name}: {k}: {fa[k]!r} -> {fb[k]!r}")


def compare_runs(
    run_a: str | os.PathLike[str],
    run_b: str | os.PathLike[str],
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
) -> CompareReport:
    """Compare two OUT folders cell by cell: the nightly's drift check.

    Compared: every ``tables/*.csv`` and ``tables/*.json`` (claims/metrics, leaf by leaf),
    ``summary.csv`` and the regenerated Table 2/4 CSVs. Numbers are equal when
    ``|a - b| <= atol + rtol * |b|``; other cells must match exactly. ``summary.csv``-like
    files are aligned on ``claim_id``/``chapter``, others by row position.
    """
    from edgelab._validate import positive

    a, b = Path(run_a), Path(run_b)
    for p, what in ((a, "run_a (RUN_A)"), (b, "run_b (RUN_B)")):
        if not p.is_dir():
            if p.exists():
                raise EdgelabError(f"{what} must be an OUT folder of edgelab reproduce, got "
                                   f"{str(p)!r}, which is a file")
            raise EdgelabError(f"run folder not found: {p}")
    rtol = positive("rtol (--rtol)", rtol, allow_zero=True)
    atol = positive("atol (--atol)", atol, allow_zero=True)
    fa, fb = _compared_files(a), _compared_files(b)
    if not fa and not fb:
        raise EdgelabError(
            f"neither {a} nor {b} holds tables/ or summary.csv: are these OUT folders?"
        )
    report = CompareReport()
    report.removed = sorted(set(fa) - set(fb))
    report.added = sorted(set(fb) - set(fa))
    for name in sorted(set(fa) & set(fb)):
        report.files_compared += 1
        if fa[name].read_bytes() == fb[name].read_bytes():
            continue
        if name.endswith(".json"):
            _compare_json(name, fa[name], fb[name], rtol, atol, report)
        else:
            _compare_csv(name, fa[name], fb[name], rtol, atol, report)
    return report


