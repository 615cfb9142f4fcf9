"""The instructor's frame of every chapter: what it mirrors, what it assumes, how long it takes.

Each chapter opens with :func:`chapter_card`, which shows

* the survey section it mirrors and the title (its first heading),
* its prerequisites (hand-written in ``notebooks/chapters.toml``: the chapters and ideas it
  assumes, and where each idea it uses is introduced),
* its time: the reading time, computed from the words of its markdown at
  :data:`READING_WPM` words a minute, and the run times in quick and full mode *measured* by
  ``edgelab reproduce`` and recorded in ``notebooks/chapter_times.csv`` by
  ``edgelab chapters --record-times QUICK_OUT FULL_OUT`` (so a number in the card always has the
  command that made it),
* the previous and the next chapter (the pipeline's order: file names sorted).

Solutions to each chapter's exercises live apart from the student copy, in
``notebooks/solutions/<stem>_solutions.ipynb`` (the pipeline does not run them; the tests do).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgelab._io import atomic_write_text
from edgelab.errors import EdgelabError, unknown_name
from edgelab.pipeline.run import discover_notebooks, find_notebooks_dir

__all__ = ["READING_WPM", "META_FILE", "TIMES_FILE", "SOLUTIONS_DIR", "ChapterCard",
           "chapter_meta", "chapter_card", "chapter_index", "reading_minutes",
           "record_times", "solution_path", "machine_description"]

#: Words a minute for technical reading (the usual 200–250 for prose; the low end, since the
#: chapters are dense with numbers).
READING_WPM = 200
META_FILE = "chapters.toml"
TIMES_FILE = "chapter_times.csv"
SOLUTIONS_DIR = "solutions"
_TIME_COLUMNS = ("stem", "quick_s", "full_s", "machine")


def _nb_dir(notebooks_dir: str | Path | None) -> Path:
    return find_notebooks_dir(notebooks_dir)


def chapter_meta(notebooks_dir: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The hand-written part of every chapter's frame, from ``notebooks/chapters.toml``.

    One table per chapter stem with ``survey`` (the section it mirrors), ``prerequisites`` (a
    list of strings) and ``minutes`` (the length of the class session it is written for).
    """
    path = _nb_dir(notebooks_dir) / META_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EdgelabError(f"chapter frame file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise EdgelabError(f"{path}: not valid TOML ({e})") from None
    chapters = doc.get("chapters", {})
    for stem, meta in chapters.items():
        for key in ("survey", "prerequisites", "minutes"):
            if key not in meta:
                raise EdgelabError(f"{path}: chapter {stem!r} lacks {key!r}")
    return chapters


def _notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _title(nb: dict[str, Any]) -> str:
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            for line in "".join(c["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def reading_minutes(nb: dict[str, Any], wpm: int = READING_WPM) -> int:
    """Minutes to read a notebook's markdown at ``wpm`` words a minute (rounded up)."""
    words = sum(len("".join(c["source"]).split()) for c in nb["cells"]
                if c["cell_type"] == "markdown")
    return max(1, math.ceil(words / wpm))


def _times(nb_dir: Path) -> dict[str, dict[str, str]]:
    path = nb_dir / TIMES_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {r["stem"]: r for r in csv.DictReader(f)}


def solution_path(stem: str, notebooks_dir: str | Path | None = None) -> Path:
    """Where the solutions notebook of chapter ``stem`` lives (apart from the student copy)."""
    return _nb_dir(notebooks_dir) / SOLUTIONS_DIR / f"{stem}_solutions.ipynb"


@dataclass(frozen=True)
class ChapterCard:
    """One chapter's frame; shows as Markdown in a notebook and as text elsewhere."""

    stem: str
    title: str
    survey: str
    prerequisites: tuple[str, ...]
    minutes: int
    reading_min: int
    quick_s: float | None
    full_s: float | None
    machine: str
    previous: tuple[str, str] | None
    next: tuple[str, str] | None
    extra: dict[str, Any] = field(default_factory=dict)

    def _run_text(self) -> str:
        if self.quick_s is None or self.full_s is None:
            return "not measured yet (run `edgelab chapters --record-times QUICK_OUT FULL_OUT`)"
        return (f"quick mode {self.quick_s:.0f} s, full mode {self.full_s:.0f} s "
                f"(measured by `edgelab reproduce` on {self.machine})")

    def lines(self, markdown: bool = False) -> list[str]:
        """The card as lines of text (``markdown``: bold labels and chapter links)."""
        def label(text: str) -> str:
            return f"**{text}:**" if markdown else f"{text}:"

        def ref(pair: tuple[str, str] | None) -> str:
            if pair is None:
                return "none"
            stem, title = pair
            return f"[{stem}: {title}]({stem}.ipynb)" if markdown else f"{stem}: {title}"

        return [
            f"{label('Mirrors')} {self.survey}",
            f"{label('Session')} about {self.minutes} min; reading about {self.reading_min} min; "
            f"run time {self._run_text()}",
            f"{label('Assumes')} " + ("; ".join(self.prerequisites) or "nothing beyond Python"),
            f"{label('Previous')} {ref(self.previous)} · {label('Next')} {ref(self.next)}",
        ]

    def _repr_markdown_(self) -> str:
        return "\n\n".join(self.lines(markdown=True))

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)


def chapter_index(notebooks_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """``(stem, title)`` of every chapter in the pipeline's order."""
    nb_dir = _nb_dir(notebooks_dir)
    return [(p.stem, _title(_notebook(p))) for p in discover_notebooks(nb_dir)]


def chapter_card(stem: str, notebooks_dir: str | Path | None = None) -> ChapterCard:
    """The frame of chapter ``stem`` (see the module docstring): survey section, assumptions,
    session, reading and measured run time, previous and next chapter."""
    nb_dir = _nb_dir(notebooks_dir)
    index = chapter_index(nb_dir)
    stems = [s for s, _ in index]
    if stem not in stems:
        raise unknown_name("chapter", stem, stems)
    meta = chapter_meta(nb_dir)
    if stem not in meta:
        raise EdgelabError(f"{nb_dir / META_FILE}: no entry for chapter {stem!r}")
    m = meta[stem]
    i = stems.index(stem)
    t = _times(nb_dir).get(stem, {})

    def num(key: str) -> float | None:
        v = t.get(key, "")
        return float(v) if v not in ("", None) else None

    return ChapterCard(
        stem=stem, title=index[i][1], survey=str(m["survey"]),
        prerequisites=tuple(str(p) for p in m["prerequisites"]), minutes=int(m["minutes"]),
        reading_min=reading_minutes(_notebook(nb_dir / f"{stem}.ipynb")),
        quick_s=num("quick_s"), full_s=num("full_s"), machine=str(t.get("machine", "")),
        previous=index[i - 1] if i > 0 else None,
        next=index[i + 1] if i + 1 < len(index) else None,
    )


def _chapter_seconds(out: Path, mode: str) -> dict[str, float]:
    path = out / "timings.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EdgelabError(f"{path} not found: pass the OUT folder of an `edgelab reproduce` run")\
            from None
    except ValueError as e:
        raise EdgelabError(f"{path}: not valid JSON ({e})") from None
    if doc.get("mode") != mode:
        raise EdgelabError(f"{path}: a {doc.get('mode')!r} run, expected a {mode!r} run")
    return {name: float(c["seconds"]) for name, c in doc.get("chapters", {}).items()
            if c.get("status") == "ok"}


def machine_description() -> str:
    """A short description of this machine for the times file (CPU count and architecture)."""
    return f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}"


def record_times(quick_out: str | Path, full_out: str | Path,
                 notebooks_dir: str | Path | None = None, machine: str | None = None) -> Path:
    """Write ``notebooks/chapter_times.csv`` from a quick and a full ``edgelab reproduce`` run.

    Only chapters that ran (status ``ok``, not skipped from a previous run) in both are
    recorded; the file is written atomically. Returns its path.
    """
    nb_dir = _nb_dir(notebooks_dir)
    quick = _chapter_seconds(Path(quick_out), "quick")
    full = _chapter_seconds(Path(full_out), "full")
    stems = [s for s, _ in chapter_index(nb_dir)]
    missing = [s for s in stems if s not in quick or s not in full]
    if missing:
        raise EdgelabError(f"chapters without a completed quick and full run: {missing}; run "
                           "`edgelab reproduce --quick` and `--full` without --resume")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_TIME_COLUMNS)
    desc = machine or machine_description()
    for s in stems:
        w.writerow([s, f"{quick[s]:.1f}", f"{full[s]:.1f}", desc])
    path = nb_dir / TIMES_FILE
    atomic_write_text(path, buf.getvalue())
    return path
