"""What a chapter calls to record its results: tables, metrics, claims and timings.

The recording side of the reproduction (every chapter puts seed 003's and seed 001's claims
beside measured numbers); the reported numbers and verdict rules live in
:mod:`edgelab.claims`, and :func:`reported`, :func:`reported_table` and :func:`claim_ids` are
re-exported here so a chapter imports one module.

A chapter's ``parameters`` cell holds ``quick = True``, ``seed = 0``, ``out_dir = None``; then::

    from edgelab.record import Recorder, reported
    rec = Recorder("02_dl_primer", out_dir=out_dir)
    rec.table("zoo_sizes", df)                       # OUT/tables/02_dl_primer__zoo_sizes.csv
    rec.metric("vgg16_macs", 1.55e10, units="MACs")  # OUT/tables/02_dl_primer__metrics.json
    rec.claim("vgg16_macs", value=1.55e10, units="MACs", setting="224x224, batch 1")
    rec.timing("profile_s", 0.12)                    # OUT/timings/02_dl_primer.json
    rec.claim("x_gain", 0.4, full_mode_only=True)    # quick summary: "run full mode to check ..."
    reported("vgg16_macs")["reported_value"]         # '15.5G MACs', verbatim from the survey

Everything under ``OUT/tables/`` is deterministic (fixed float format, sorted JSON keys), so
two runs with the same seed give byte-identical files; timings live apart in ``OUT/timings/``.
Every file is written atomically (temporary file in the same folder, fsync, ``os.replace``),
so a run killed with SIGKILL leaves either the old file or the new one, never half of one.
Temporary files start with ``.`` and end with ``.tmp``: no ``*.csv`` / ``*.json`` glob sees them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from edgelab._io import atomic_write_bytes, atomic_write_text
from edgelab._validate import positive
from edgelab.claims import (
    REPORTED_CSV,
    check_value,
    claim_ids,
    parse_rule,
    reported,
    reported_table,
)
from edgelab.tables import FormattedTable

__all__ = [
    "Recorder",
    "reported",
    "reported_table",
    "claim_ids",
    "REPORTED_CSV",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_out_dir",
    "FLOAT_FORMAT",
    "TABLES",
    "TIMINGS",
]

#: printf format of floats in recorded tables: 12 significant digits, so last-bit noise
#: does not change the bytes and ``edgelab compare``'s default rtol (1e-6) is far coarser.
FLOAT_FORMAT = "%.12g"
#: sub-folder of OUT for deterministic outputs / for timings.
TABLES = "tables"
TIMINGS = "timings"
#: environment variable giving the default OUT when a chapter passes ``out_dir=None``.
OUT_ENV = "EDGELAB_OUT_DIR"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------- formatting
def _plain(value: Any) -> Any:
    """JSON-ready, deterministic version of ``value`` (numpy scalars, floats rounded to 12 s.f.)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
        r = float(FLOAT_FORMAT % v)
        return int(r) if r.is_integer() and abs(r) < 2**53 else r
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    return str(value)


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(_plain(obj), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def table_to_csv(df: pd.DataFrame, *, index: bool | None = None) -> str:
    """CSV text of ``df`` with the fixed float format; index written only if meaningful."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame or Series, got {type(df).__name__}")
    if index is None:
        idx = df.index
        index = not (
            isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None
        )
    return df.to_csv(index=index, float_format=FLOAT_FORMAT, lineterminator="\n")


# --------------------------------------------------------------------------- names
def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name) or "__" in name:
        raise ValueError(
            f"{kind} {name!r} is not a valid name: use letters, digits, '_', '.', '-' "
            "(no double underscore, which separates chapter and table in file names)"
        )
    return name


# --------------------------------------------------------------------------- units
_UNIT_ALIASES = {
    "weights": "weights",
    "weight": "weights",
    "params": "weights",
    "parameters": "weights",
    "macs": "macs",
    "mac": "macs",
    "multiply-adds": "macs",
    "multiply-accumulates": "macs",
    "x": "x",
    "×": "x",
    "times": "x",
    "factor": "x",
    "%": "%",
    "percent": "%",
    "pct": "%",
    "ms": "ms",
    "milliseconds": "ms",
    "millisecond": "ms",
}


def _norm_units(u: str) -> str:
    u = (u or "").strip().lower()
    return _UNIT_ALIASES.get(u, u)


def units_agree(ours: str, reported_units: str) -> bool:
    """Whether two unit strings name the same unit (aliases such as params/weights agree).

    An empty string on either side agrees with anything (directional claims have no unit).
    """
    a, b = _norm_units(ours), _norm_units(reported_units)
    return not a or not b or a == b


# --------------------------------------------------------------------------- Recorder
def default_out_dir() -> Path:
    """OUT when a chapter passes ``out_dir=None``: ``$EDGELAB_OUT_DIR`` or ``./edgelab-out``."""
    env = os.environ.get(OUT_ENV)
    return Path(env) if env else Path.cwd() / "edgelab-out"


class Recorder:
    """Records one chapter's tables, metrics, claims and timings under ``OUT``.

    ``chapter`` should be the notebook's file stem (``"02_dl_primer"``): the pipeline relies
    on it to attribute outputs and to clear them before a re-run. ``out_dir=None`` means
    :func:`default_out_dir` (``./edgelab-out``, gitignored) so an interactive run also gets files.
    ``quick`` (optional) is the chapter's mode, stored in the claims JSON so the summary knows
    it without a pipeline manifest; ``None`` leaves it to the manifest of ``edgelab reproduce``.
    """

    def __init__(
        self,
        chapter: str,
        out_dir: str | os.PathLike[str] | None = None,
        *,
        quick: bool | None = None,
    ) -> None:
        self.chapter = _check_name("chapter", chapter)
        if quick is not None and not isinstance(quick, (bool, np.bool_)):
            raise ValueError(f"quick must be True, False or None, got {quick!r}")
        self.quick = None if quick is None else bool(quick)
        self.out_dir = Path(out_dir) if out_dir not in (None, "") else default_out_dir()
        self.tables_dir = self.out_dir / TABLES
        self.timings_dir = self.out_dir / TIMINGS
        self._metrics: dict[str, dict[str, Any]] = {}
        self._claims: dict[str, dict[str, Any]] = {}
        self._timings: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"Recorder({self.chapter!r}, out_dir={str(self.out_dir)!r})"

    def path(self, name: str, suffix: str = ".csv") -> Path:
        """Where ``name`` of this chapter is written: ``OUT/tables/<chapter>__<name><suffix>``."""
        return self.tables_dir / f"{self.chapter}__{name}{suffix}"

    def table(self, name: str, df: pd.DataFrame | FormattedTable, *,
              index: bool | None = None) -> Path:
        """Write ``df`` as ``OUT/tables/<chapter>__<name>.csv`` (atomic, fixed float format).

        ``index=None`` writes the index only when it carries information (named or not
        0..n-1). ``metrics`` and ``claims`` are reserved names. Returns the path written.
        A :class:`~edgelab.tables.FormattedTable` (what a chapter shows) is written as its raw
        numbers: recorded tables stay machine-readable, formatting is for display only.
        """
        if isinstance(df, FormattedTable):
            df = df.raw
        _check_name("table", name)
        if name in ("metrics", "claims"):
            raise ValueError(f"table name {name!r} is reserved for rec.{name[:-1]}()")
        return atomic_write_text(self.path(name), table_to_csv(df, index=index))

    def metric(
        self, name: str, value: Any, *, units: str = "", setting: str = "", note: str = ""
    ) -> None:
        """Record a named number (or short value) into ``OUT/tables/<chapter>__metrics.json``."""
        _check_name("metric", name)
        self._metrics[name] = {
            "value": _plain(value),
            "units": units,
            "setting": setting,
            "note": note,
        }
        atomic_write_text(
            self.path("metrics", ".json"),
            dumps_json({"chapter": self.chapter, "metrics": self._metrics}),
        )

    def claim(
        self,
        claim_id: str,
        value: Any,
        *,
        units: str = "",
        setting: str = "",
        note: str = "",
        full_mode_only: bool = False,
    ) -> dict[str, Any]:
        """Record our value for a claim of ``data/reported.csv`` (a row of the summary).

        ``claim_id`` must exist in ``data/reported.csv`` (else
        :class:`~edgelab.errors.UnknownNameError` with close matches). The value must suit the
        row's ``verdict_rule``: a finite number in the row's ``units`` for ``within_*`` /
        ``range`` rules, a boolean or signed number for ``direction:`` rules. Units that do
        not agree with the row's units raise a warning (the summary notes it too). Written to
        ``OUT/tables/<chapter>__claims.json``. Returns the reported row, for display.

        ``full_mode_only=True`` marks a claim whose quick-mode value cannot decide it (too
        little training in seconds): a quick run's summary then says "run full mode to check this claim" instead of
        a verdict, a full run's summary gives the verdict as usual. Stored as
        ``"full_mode_only": true`` in the claim's record (absent when False).
        """
        if not isinstance(full_mode_only, (bool, np.bool_)):
            raise ValueError(f"full_mode_only must be True or False, got {full_mode_only!r}")
        row = reported(claim_id)
        check_value(parse_rule(row["verdict_rule"]), value, claim_id=claim_id)
        if units and not units_agree(units, row["units"]):
            warnings.warn(
                f"claim {claim_id!r}: units {units!r} differ from the reported units "
                f"{row['units']!r}; the verdict compares raw numbers",
                stacklevel=2,
            )
        self._claims[claim_id] = {
            "value": _plain(value),
            "units": units or row["units"],
            "setting": setting,
            "note": note,
        }
        if full_mode_only:
            self._claims[claim_id]["full_mode_only"] = True
        doc: dict[str, Any] = {"chapter": self.chapter, "claims": self._claims}
        if self.quick is not None:
            doc["quick"] = self.quick
        atomic_write_text(self.path("claims", ".json"), dumps_json(doc))
        return row

    def timing(self, name: str, seconds: float) -> None:
        """Record a wall time in seconds into ``OUT/timings/<chapter>.json`` (never into tables).

        ``seconds`` must be a finite number ≥ 0 (NaN would make the file invalid JSON).
        """
        _check_name("timing", name)
        self._timings[name] = positive("seconds", seconds, allow_zero=True)
        atomic_write_text(
            self.timings_dir / f"{self.chapter}.json",
            json.dumps(
                {"chapter": self.chapter, "timings": self._timings}, sort_keys=True, indent=2,
                allow_nan=False,
            )
            + "\n",
        )


def read_csv_rows(path: str | os.PathLike[str]) -> list[list[str]]:
    """All rows of a CSV file as lists of strings (no type inference; used by compare/tests)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(io.StringIO(f.read())))
