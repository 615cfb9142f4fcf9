"""Readable numbers and tables for the chapters: units in headers, three significant figures.

Display only: the recorded tables (:meth:`edgelab.record.Recorder.table`) keep raw numbers, so
results stay machine-readable; what a student reads goes through :func:`format_table` or the
scalar helpers :func:`fmt_bytes`, :func:`fmt_seconds`, :func:`fmt_si`, :func:`fmt_share`
(seed 003 §III-B and §V-C.2 compare latencies, energies and bytes across orders of magnitude;
``6.183480e+09`` hides that comparison, ``6.18 GB`` shows it).

Conventions (stated once, the same everywhere):

* **Engineering rounding**: ``sig`` (default 3) significant figures, trailing zeros kept
  (``1.00 kB``), never scientific notation; values of ``10**sig`` and more are grouped
  (``12,300``).
* **Bytes are decimal**: 1 kB = 1,000 B, 1 MB = 10**6 B, 1 GB = 10**9 B (SI, as link rates in
  Mbit/s are), not KiB/MiB.
* **Seconds** go from ns, µs, ms and s to min, h and d (1 min = 60 s, 1 h = 3,600 s,
  1 d = 86,400 s), each unit above the second from two of itself (119 s, then 2.00 min).
* **Shares** (fractions in ``[0, 1]``) are shown as percent.
* Other units take an SI prefix (``mJ``, ``GFLOP``, ``Mbit/s``); a unit that already carries a
  scale of its own (``"x"``, ``"%"``, ``"dB"``) is shown as is.
* In a table every column gets **one** scale, chosen from the median magnitude of its values,
  and the unit goes into the header (``latency (ms)``): numbers in a column compare at a glance.
* Integers without a unit (split indices, layer counts, seeds) are exact, never rounded.
* Text is never truncated.

Deterministic: the same frame gives the same text and HTML (the golden notebooks compare text).
"""

from __future__ import annotations

import hashlib
import html
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FormattedTable",
    "format_table",
    "fmt_bytes",
    "fmt_number",
    "fmt_seconds",
    "fmt_share",
    "fmt_si",
    "infer_unit",
    "column_scale",
]

#: SI prefixes from 1e-15 to 1e18, by power of 1000.
_PREFIXES = {-5: "f", -4: "p", -3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G",
             4: "T", 5: "P", 6: "E"}
#: Time units above the second: (name, seconds), largest first.
_LONG_TIMES = (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0))
#: Units that take an SI prefix; any other unit is shown unscaled.
SCALABLE = ("s", "B", "J", "W", "Hz", "FLOP", "FLOPs", "MAC", "MACs", "bit/s", "bit", "")
#: Shown for a missing value (NaN, None, pd.NA).
NA_REP = "–"


def _check_sig(sig: int) -> int:
    if isinstance(sig, bool) or not isinstance(sig, numbers.Integral) or not 1 <= sig <= 15:
        raise ValueError(f"sig must be an integer from 1 to 15 (significant figures), got {sig!r}")
    return int(sig)


def _as_float(value: Any, name: str) -> float | None:
    """``value`` as a float, ``None`` if missing; ``ValueError`` naming ``name`` otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    return None if math.isnan(v) else v


def _round_sig(v: float, sig: int) -> float:
    """``v`` rounded to ``sig`` significant figures (0 stays 0)."""
    if v == 0 or not math.isfinite(v):
        return v
    return float(f"{v:.{sig - 1}e}")


def fmt_number(value: float, sig: int = 3) -> str:
    """A plain number with ``sig`` significant figures, no exponent (seed 003 §III-B tables).

    ``0.000123456 -> "0.000123"``, ``1.0 -> "1.00"``, ``12345.6 -> "12,300"``; NaN -> ``"–"``,
    infinities -> ``"∞"``/``"-∞"``.
    """
    sig = _check_sig(sig)
    v = _as_float(value, "value")
    if v is None:
        return NA_REP
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    r = _round_sig(v, sig)
    if r == 0:
        return "0"
    exp = math.floor(math.log10(abs(r)))
    decimals = max(sig - 1 - exp, 0)
    return f"{r:,.{decimals}f}"


def _prefix_power(v: float) -> int:
    """The power of 1000 that brings ``|v|`` (after rounding) into ``[1, 1000)``."""
    if v == 0 or not math.isfinite(v):
        return 0
    return max(min(math.floor(math.log10(abs(v)) / 3), max(_PREFIXES)), min(_PREFIXES))


def _scaled(v: float, sig: int) -> tuple[float, int]:
    """``(mantissa, power)`` with ``v = mantissa · 1000**power`` and the rounded mantissa in
    ``[1, 1000)`` (so ``999.96`` becomes ``1.00 k``, not ``1,000``)."""
    p = _prefix_power(v)
    m = _round_sig(v / 1000.0 ** p, sig)
    if abs(m) >= 1000 and p < max(_PREFIXES):
        p += 1
        m = _round_sig(v / 1000.0 ** p, sig)
    return m, p


def fmt_si(value: float, unit: str = "", sig: int = 3) -> str:
    """``value`` with an SI prefix and ``sig`` significant figures (seed 003 §II-D counts).

    ``fmt_si(6.18348e9, "FLOP") -> "6.18 GFLOP"``, ``fmt_si(0.0123, "J") -> "12.3 mJ"``,
    ``fmt_si(724e6) -> "724 M"``. Prefixes from f (1e-15) to E (1e18); decimal, like every
    SI prefix.
    """
    sig = _check_sig(sig)
    v = _as_float(value, "value")
    if v is None:
        return NA_REP
    if math.isinf(v):
        return f"{'∞' if v > 0 else '-∞'} {unit}".rstrip()
    m, p = _scaled(v, sig)
    if p == 0 and v == int(v) and abs(v) < 10 ** sig:  # a whole count below 1000: exact
        return f"{int(v)} {unit}".rstrip()
    return f"{fmt_number(m, sig)} {_PREFIXES[p]}{unit}".rstrip()


def fmt_bytes(nbytes: float, sig: int = 3) -> str:
    """Bytes in decimal units: ``154587 -> "155 kB"``, ``6.18348e9 -> "6.18 GB"`` (1 kB =
    1,000 B; seed 003 §V-C.2 compares the bytes a split sends)."""
    return fmt_si(nbytes, "B", sig)


def _time_unit(seconds: float) -> tuple[str, float]:
    """The time unit for ``seconds``: ``(name, seconds per unit)``. Each unit above the second
    starts at two of itself (2 min, 2 h, 2 d), below the second the SI prefixes apply."""
    a = abs(seconds)
    for name, size in _LONG_TIMES:
        if a >= 2 * size:
            return name, size
    if a >= 1 or a == 0:
        return "s", 1.0
    p = _prefix_power(a)
    return f"{_PREFIXES[p]}s", 1000.0 ** p


def fmt_seconds(seconds: float, sig: int = 3) -> str:
    """Seconds in the unit that suits them: ns, µs, ms, s, then min, h and d (each from two of
    itself: ``119 s``, ``2.00 min``).

    ``0.0123 -> "12.3 ms"``, ``13634.1 -> "3.79 h"``, ``221.0 -> "3.68 min"`` (seed 003 §V-B.1
    latency requirements are in ms).
    """
    sig = _check_sig(sig)
    v = _as_float(seconds, "seconds")
    if v is None:
        return NA_REP
    if math.isinf(v):
        return f"{'∞' if v > 0 else '-∞'} s"
    if abs(v) < 1:
        return fmt_si(v, "s", sig)
    name, size = _time_unit(v)
    return f"{fmt_number(v / size, sig)} {name}"


def fmt_share(share: float, sig: int = 3) -> str:
    """A fraction as percent: ``0.0123 -> "1.23 %"``, ``1.0 -> "100 %"`` (seed 003 §V-C.3
    shares of samples answered early)."""
    sig = _check_sig(sig)
    v = _as_float(share, "share")
    if v is None:
        return NA_REP
    return f"{fmt_number(v * 100.0, sig)} %"


# --------------------------------------------------------------------------- unit inference
#: Column-name suffixes and the unit they imply: (suffix, unit, factor to the base unit).
_SUFFIXES: tuple[tuple[str, str, float], ...] = (
    ("_bytes", "B", 1.0), ("_kb", "B", 1e3), ("_mb", "B", 1e6), ("_gb", "B", 1e9),
    # the catalog's conventions (data/CATALOG.md): link rates in Mbit/s, memory bandwidth
    # (``mem_bw_gbps``) in GB/s
    ("_mbps", "bit/s", 1e6), ("_gbps", "B/s", 1e9), ("_kbps", "bit/s", 1e3),
    ("_us", "s", 1e-6), ("_ms", "s", 1e-3), ("_s", "s", 1.0),
    ("_j", "J", 1.0), ("_mj", "J", 1e-3), ("_w", "W", 1.0), ("_hz", "Hz", 1.0),
    ("_share", "share", 1.0), ("_fraction", "share", 1.0), ("_frac", "share", 1.0),
    ("_pct", "%", 1.0), ("_percent", "%", 1.0),
    ("_gflops", "FLOP/s", 1e9), ("_gops", "OP/s", 1e9),
)
_WHOLE_NAMES: dict[str, tuple[str, float]] = {
    "bytes": ("B", 1.0), "macs": ("MACs", 1.0), "flops": ("FLOP", 1.0), "params": ("", 1.0),
    "weights": ("", 1.0), "share": ("share", 1.0), "seconds": ("s", 1.0),
    "latency": ("s", 1.0),
}


def infer_unit(column: str) -> tuple[str, str, float] | None:
    """``(label, unit, factor)`` implied by a column name, or ``None`` (seed 003 §V-C.2 tables).

    ``"latency_s" -> ("latency", "s", 1.0)``, ``"mem_gb" -> ("mem", "B", 1e9)``,
    ``"uplink_bytes" -> ("uplink", "B", 1.0)``, ``"local_share" -> ("local", "share", 1.0)``,
    ``"macs" -> ("macs", "MACs", 1.0)``. ``factor`` converts the column to the base unit.
    """
    name = str(column)
    low = name.lower()
    if low in _WHOLE_NAMES:
        unit, factor = _WHOLE_NAMES[low]
        return name, unit, factor
    for suffix, unit, factor in _SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return name[: -len(suffix)], unit, factor
    if low.endswith("_macs"):
        return name[:-5], "MACs", 1.0
    if low.endswith("_flops"):
        return name[:-6], "FLOP", 1.0
    if low.endswith("_params"):
        return name[:-7], "", 1.0
    return None


def column_scale(values: Iterable[float], unit: str) -> tuple[str, float]:
    """The one scale of a table column: ``(unit shown in the header, divisor)``.

    Chosen from the median magnitude of the finite non-zero values: seconds take ns ... d
    (:func:`fmt_seconds`), bytes and other :data:`SCALABLE` units an SI prefix, ``share`` is
    percent (divisor 0.01); any other unit is unscaled (seed 003 §III-B tables).
    """
    v = np.asarray([float(x) for x in values if x is not None and x is not pd.NA], dtype=float)
    v = np.abs(v[np.isfinite(v) & (v != 0)])
    if unit == "share":
        return "%", 0.01
    if unit not in SCALABLE or v.size == 0:
        return unit, 1.0
    med = float(np.median(v))
    if unit == "s":
        if med >= 1:
            name, size = _time_unit(med)
            return name, size
        p = _prefix_power(med)
        return f"{_PREFIXES[p]}s", 1000.0 ** p
    _, p = _scaled(med, 3)
    return f"{_PREFIXES[p]}{unit}", 1000.0 ** p


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class FormattedTable:
    """A table ready to read: ``frame`` (strings, headers with units) and ``raw`` (the numbers).

    Renders in Jupyter (:meth:`_repr_html_`) and as text (``str``/``repr``), never truncating
    text; ``raw`` is the frame it was made from, for anything that needs the numbers
    (:meth:`edgelab.record.Recorder.table` writes ``raw`` when given a ``FormattedTable``).
    Seed 003 §III-B and §V-C.2 tables.
    """

    frame: pd.DataFrame
    raw: pd.DataFrame
    text_columns: tuple[str, ...] = ()
    index: bool = False
    caption: str = ""
    units: dict[str, str] = field(default_factory=dict)

    def to_string(self) -> str:
        """The table as plain text, every cell in full, numbers right-aligned (§III-B)."""
        frame = self.frame.copy()
        for c in self.text_columns:  # text reads left to right: pad it on the right
            width = max([len(str(c))] + [len(v) for v in frame[c].astype(str)])
            frame[c] = frame[c].astype(str).str.ljust(width)
        with pd.option_context("display.max_colwidth", None, "display.max_rows", None,
                               "display.max_columns", None, "display.width", None):
            text = frame.to_string(index=self.index)
        return f"{self.caption}\n{text}" if self.caption else text

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return self.to_string()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.to_string())

    def to_html(self) -> str:
        """The table as HTML: numbers right-aligned, text left-aligned and wrapped, in full."""
        text_cols = set(self.text_columns)
        digest = hashlib.sha1(self.to_string().encode()).hexdigest()[:10]
        cls = f"edgelab-table-{digest}"
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self._header())
        rows = []
        for idx, row in zip(self.frame.index, self.frame.itertuples(index=False), strict=True):
            cells = [f'<th style="text-align:left">{html.escape(str(idx))}</th>'] if self.index else []
            for col, v in zip(self.frame.columns, row, strict=True):
                align = ("text-align:left;white-space:pre-wrap" if col in text_cols
                         else "text-align:right;white-space:nowrap")
                cells.append(f'<td style="{align}">{html.escape(str(v))}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (f'<table class="dataframe {cls}">{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _header(self) -> list[str]:
        names = [str(c) for c in self.frame.columns]
        if self.index:
            names = [str(self.frame.index.name or "")] + names
        return names

    def __len__(self) -> int:
        return len(self.frame)


def _is_text(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _label(name: str) -> str:
    return str(name).replace("_", " ").strip()


def _format_column(s: pd.Series, unit: str, factor: float, sig: int) -> tuple[list[str], str]:
    """Cells and header unit of one numeric column (see :func:`format_table`)."""
    vals = [None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
            else float(v) * factor for v in s.tolist()]
    shown, div = column_scale([v for v in vals if v is not None], unit)
    whole = div == 1 and all(v is None or (math.isfinite(v) and v == int(v) and abs(v) < 10 ** sig)
                             for v in vals)
    cells = []
    for v in vals:
        if v is None:
            cells.append(NA_REP)
        elif math.isinf(v):
            cells.append("∞" if v > 0 else "-∞")
        elif whole:  # whole numbers below 10**sig in their own unit (bytes, counts): exact
            cells.append(str(int(v)))
        else:
            cells.append(fmt_number(v / div, sig))
    return cells, shown


def _plain_cells(s: pd.Series, sig: int) -> list[str]:
    """Cells of a numeric column without a unit: integers exact, floats ``sig`` figures with
    an SI letter from 10**6 on."""
    out = []
    integer = pd.api.types.is_integer_dtype(s)
    for v in s.tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out.append(NA_REP)
        elif isinstance(v, bool | np.bool_):
            out.append(str(bool(v)))
        elif integer or (isinstance(v, numbers.Integral)):
            out.append(f"{int(v):,}" if abs(int(v)) >= 10_000 else str(int(v)))
        elif abs(float(v)) >= 1e6 and math.isfinite(float(v)):
            out.append(fmt_si(float(v), "", sig))
        else:
            out.append(fmt_number(float(v), sig))
    return out


def format_table(
    df: pd.DataFrame | pd.Series,
    units: Mapping[str, str | tuple[str, float] | None] | None = None,
    text_columns: Iterable[str] | None = None,
    *,
    sig: int = 3,
    infer: bool = True,
    labels: Mapping[str, str] | None = None,
    index: bool | None = None,
    caption: str = "",
) -> FormattedTable:
    """``df`` ready to read: one scale and unit per numeric column, in its header (§III-B).

    ``units`` maps a column to its unit: ``"s"`` (seconds, shown ns ... d), ``"B"`` (bytes,
    decimal kB/MB/GB), ``"share"`` (a fraction, shown in %), any :data:`SCALABLE` unit (an SI
    prefix), another unit string (shown unscaled, e.g. ``"x"``, ``"%"``), a pair
    ``(unit, factor)`` whose factor converts the column to that unit (``("B", 1e9)`` for GB),
    or ``None`` (no unit: integers exact, floats rounded). With ``infer`` a column not in
    ``units`` takes the unit its name implies (:func:`infer_unit`: ``latency_s``,
    ``uplink_bytes``, ``mem_gb``, ``local_share``, ``macs``...), and its header drops the
    suffix: ``latency_s`` becomes ``latency (ms)``. ``labels`` renames headers (before the
    unit is added). ``text_columns`` (default: every non-numeric column) are shown in full,
    left-aligned. ``index`` shows the index (default: only when it is not ``0..n-1``).

    Display only: the raw frame is kept in :attr:`FormattedTable.raw`, and recorded tables
    keep raw numbers. Raises ``ValueError`` naming ``units``, ``text_columns`` or ``labels``
    for a column that is not in ``df``.
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame or Series, got {type(df).__name__}")
    sig = _check_sig(sig)
    units = dict(units or {})
    labels = dict(labels or {})
    cols = [str(c) for c in df.columns]
    for what, keys in (("units", units), ("labels", labels)):
        bad = [k for k in keys if k not in cols]
        if bad:
            raise ValueError(f"{what}: no column {bad} in the table; columns: {cols}")
    if text_columns is None:
        text = tuple(c for c in df.columns if _is_text(df[c]))
    else:
        text = tuple(text_columns)
        bad = [k for k in text if k not in df.columns]
        if bad:
            raise ValueError(f"text_columns: no column {bad} in the table; columns: {cols}")
    if index is None:
        idx = df.index
        index = not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
                     and idx.name is None)
    out: dict[str, list[str]] = {}
    shown_units: dict[str, str] = {}
    for c in df.columns:
        s = df[c]
        name = str(c)
        if c in text or not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            header = labels.get(name, name)
            cells = [NA_REP if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
                     else str(v) for v in s.tolist()]
        else:
            spec: str | tuple[str, float] | None
            label = name
            if name in units:
                spec = units[name]
            elif infer and (found := infer_unit(name)) is not None:
                label, unit_, factor_ = found
                spec = (unit_, factor_)
            else:
                spec = None
            if spec is None:
                header = labels.get(name, name)
                cells = _plain_cells(s, sig)
            else:
                unit, factor = (spec, 1.0) if isinstance(spec, str) else (str(spec[0]), float(spec[1]))
                cells, shown = _format_column(s, unit, factor, sig)
                base = labels.get(name, _label(label) if label != name else name)
                header = f"{base} ({shown})" if shown else base
                shown_units[name] = shown
        while header in out:  # two columns with one label: keep both
            header += " "
        out[header] = cells
    frame = pd.DataFrame(out, index=df.index)
    text_headers = tuple(h for h, c in zip(out, df.columns, strict=True) if c in text)
    return FormattedTable(frame, df, text_headers, bool(index), caption, shown_units)
