"""No reported number is typed into a chapter's prose (issue 12, item 5).

A chapter that needs a survey's number prints it from ``data/reported.csv`` (a code cell with
``edgelab.record.reported``), so the prose and the table cannot drift apart. This test scans
every markdown cell of every chapter (``notebooks/*.ipynb``) for numbers that are also reported
values, and fails naming the chapter, the cell (index and id) and the number.

**Reported values.** For each row of ``data/reported.csv``: ``reported_low``, ``reported_high``
and every number written in ``reported_value`` (e.g. ``86.7`` of "91.2%, 86.7%, 81.5%"). A row's
*kind* is its ``units`` column (``%``, ``x``, ``ms``, ``years``...), or, when that is empty,
``%`` or ``x`` from a ``%`` or an ``x``/``X``/``×`` in ``reported_value``; otherwise unknown.

**Numbers in prose, and the rule that decides a hit** (chosen so ordinary small numbers pass):

* a number is digits with an optional decimal part, not glued to a letter, digit, ``.``, ``,``
  or ``/`` before it, and not followed by more ``.digits`` (so ``§V-C.2``, ``Fig. 7``,
  ``127.0.0.1``, ``1,797`` and ``80/20`` yield no reported-looking number);
* an optional unit right after it: ``%``, ``×``, ``x`` or ``X`` (one space allowed). A ``×``/``x``
  followed by another number is a dimension (``8×8``, ``224 x 224``) and is ignored;
* a **range** is two numbers joined by ``–``, ``-``, ``—`` or ``to`` sharing the unit written after
  the second (``59.5–94.7%``, ``10-100 X``); it is a hit when the pair equals a row's
  ``(reported_low, reported_high)`` of a compatible kind; otherwise each end is tested alone;
* a **single number** is a hit when it equals a reported value of a compatible kind (``%`` with
  ``%``, ``×`` with ``x``; no unit, or a row of unknown kind, with any) **and** it is
  *significant*: it has a decimal point (``40.7``, ``2.17``), or it carries a unit and is at
  least 10 (``20%``, ``100×``).

So integers without a unit (years, section, figure and table numbers, ``100 ms``, ``8-bit``,
``600 per client``) and small factors (``1×``, ``3×``) are never hits on their own; ``1`` counts
only inside a range equal to a reported one (``1–25.1×``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from edgelab.claims import reported_table

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

_NUM = r"\d+(?:\.\d+)?"
_TOKEN = re.compile(
    rf"(?<![\w.,/])(?P<a>{_NUM})"
    rf"(?:\s*(?:–|—|-|\bto\b)\s*(?P<b>{_NUM}))?"
    r"(?!\.?\d)"
    r"(?P<unit>\s?(?:%|×|[xX](?!\w)))?"
)
_DIMENSION = re.compile(r"\s*\d")


@dataclass(frozen=True)
class Reported:
    """The reported numbers of ``data/reported.csv``, by kind (``%``, ``x`` or ``None``)."""

    values: frozenset[tuple[str | None, float]]
    ranges: frozenset[tuple[str | None, float, float]]


def _kind(units: str, text: str) -> str | None:
    u = units.strip().lower()
    if u:
        return u  # "%", "x", or another unit (ms, years, MB) that neither % nor × matches
    if "%" in text:
        return "%"
    if re.search(r"\d\s*[xX×](?!\w)", text):
        return "x"
    return None


def load_reported() -> Reported:
    """Read every reported value (low, high and the numbers in ``reported_value``)."""
    values: set[tuple[str | None, float]] = set()
    ranges: set[tuple[str | None, float, float]] = set()
    for row in reported_table().to_dict("records"):
        kind = _kind(str(row["units"]), str(row["reported_value"]))
        lo, hi = row["reported_low"], row["reported_high"]
        for v in (lo, hi):
            if not math.isnan(v):
                values.add((kind, float(v)))
        if not math.isnan(lo) and not math.isnan(hi) and lo < hi:
            ranges.add((kind, float(lo), float(hi)))
        for m in re.finditer(rf"(?<![\w.])({_NUM})(?!\.?\d)", str(row["reported_value"])):
            values.add((kind, float(m.group(1))))
    return Reported(frozenset(values), frozenset(ranges))


def _compatible(unit: str | None, kind: str | None) -> bool:
    return unit is None or kind is None or unit == kind


def _unit(raw: str | None) -> str | None:
    if not raw:
        return None
    return "%" if raw.strip() == "%" else "x"


def _single_hit(num: str, unit: str | None, rep: Reported) -> bool:
    v = float(num)
    significant = "." in num or (unit is not None and v >= 10)
    return significant and any(_compatible(unit, k) and v == r for k, r in rep.values)


def typed_numbers(text: str, rep: Reported) -> list[str]:
    """The reported numbers typed in ``text`` (markdown), as written, by the module's rule."""
    hits: list[str] = []
    for m in _TOKEN.finditer(text):
        raw_unit = m.group("unit")
        if raw_unit and raw_unit.strip() != "%" and _DIMENSION.match(text, m.end()):
            continue  # 8×8, 224 x 224: a dimension, not a factor
        unit = _unit(raw_unit)
        a, b = m.group("a"), m.group("b")
        if b is not None:
            pair = (float(a), float(b))
            if any(_compatible(unit, k) and pair == (lo, hi) for k, lo, hi in rep.ranges):
                hits.append(m.group(0).strip())
                continue
            hits += [n for n in (a, b) if _single_hit(n, unit, rep)]
        elif _single_hit(a, unit, rep):
            hits.append(m.group(0).strip())
    return hits


@pytest.fixture(scope="module")
def rep() -> Reported:
    return load_reported()


@pytest.mark.parametrize(
    "text",
    [
        "a latency reduction of 3.1× on average and up to 40.7×",
        "device-energy reductions of 59.5–94.7%",
        "MoDNN reported 2.17–4.28× on 2016 phones",
        "the lower end of JALAD's reported 1–25.1×.",
        "### Reproduction: the cascading network's 20% speed-up",
        'Table 2: "reduce communication rounds by 10-100 X"',
        "reducing communication rounds 10-100× against synchronized SGD",
        "the survey reports 10–100× on MNIST",
        "VGG-16 needs 15.5G MACs",
    ],
)
def test_scanner_finds_the_issues_examples(text: str, rep: Reported) -> None:
    """Each prose number that issue 12 names is found."""
    assert typed_numbers(text, rep), text


def test_scanner_names_the_numbers(rep: Reported) -> None:
    """Hits are reported as written: a matching range whole, otherwise each number."""
    assert typed_numbers("3.1× on average and up to 40.7×, and 59.5–94.7%", rep) == [
        "3.1×", "40.7×", "59.5–94.7%"]
    assert typed_numbers("JALAD's 1–25.1×; DDNN over 20%", rep) == ["1–25.1×", "20%"]


@pytest.mark.parametrize(
    "text",
    [
        "seed 003 §V-C.2 (Model Partition, Fig. 13) and Table 4; §IV-C.4, §II-D.1",
        "Proc. IEEE 2019; the 2017 Jetson TK1; Flower 1.41 on 127.0.0.1:8000",
        "a 224×224 RGB image (8-bit), 8×8 digits, 2×2 pooling, 227 x 227 inputs",
        "a 100 ms deadline, 600 per client, 1,797 real images, an 80/20 split",
        "the gain is 1×; training costs about 3× the forward pass; 4–8× fewer bytes",
        "the 10 % largest changes; a random 30 % of clients; prune 90% of the FC weights",
        "EI Levels 4-6; threshold 0.3; α to 0.05; not the 20× of DDNN",
    ],
)
def test_scanner_ignores_ordinary_numbers(text: str, rep: Reported) -> None:
    """Section, figure and year numbers, dimensions, small factors and units are not hits."""
    assert typed_numbers(text, rep) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_reported_number_typed_into_markdown(notebook: Path, rep: Reported) -> None:
    """No markdown cell of the chapter types a number of ``data/reported.csv``."""
    nb = nbformat.read(notebook, as_version=4)
    found = [
        f"{notebook.name} cell {i} (id {cell.get('id', '?')}): {hit}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for hit in typed_numbers(cell.source, rep)
    ]
    assert not found, (
        "reported numbers typed into prose; print them with edgelab.record.reported instead:\n"
        + "\n".join(found)
    )


def test_there_are_chapters_to_scan() -> None:
    """The scan covers the chapters (an empty glob would make it vacuous)."""
    assert len(NOTEBOOKS) >= 6
