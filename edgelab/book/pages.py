"""The book's generated pages, as MyST Markdown text (issue 18; read by :mod:`edgelab.book.site`).

Every page is a pure function of files the pipeline already wrote, so a test can check a page
against its source without building the site:

* :func:`index_page`: what edgelab is, how to read the book and the table of contents, grouped
  by the survey's parts (seed 003 §IV model training, §V model inference) with each chapter's
  survey section read from ``notebooks/chapters.toml``;
* :func:`claims_page`: reported against reproduced claims, from ``OUT/summary.csv``;
* :func:`drift_page`: :func:`edgelab.pipeline.compare.compare_runs` of an earlier OUT against
  this one, or a page that says no earlier run was given;
* :func:`instructors_page`: chapters mapped to a course's weeks (:func:`course_weeks`), their
  exercises (:func:`exercises`), their measured run times (``notebooks/chapter_times.csv``) and
  how to run the suite on a lab machine.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgelab.errors import EdgelabError
from edgelab.pipeline.chapters import TIMES_FILE, chapter_index, chapter_meta

__all__ = ["BookChapter", "PARTS", "WEEK_MINUTES", "LITE_PATH", "CLAIM_COLUMNS",
           "book_chapters", "part_of", "exercises", "course_weeks", "read_times", "claims_rows",
           "index_page", "run_mode", "claims_page", "drift_page", "instructors_page", "lite_href",
           "md_escape", "load_notebook"]

#: The survey's parts, by the first digit of a chapter's stem: (title, what it covers). The
#: section titles are seed 003's headings IV and V; part I gathers the chapters that lay the
#: ground (each chapter's own sections are read from chapters.toml).
PARTS: dict[str, tuple[str, str]] = {
    "0": ("Part I: Foundations",
          "the levels of edge intelligence, edge paradigms and the deep-learning primer"),
    "1": ("Part II: Edge intelligence model training (seed 003 §IV)",
          "federated, compressed, split, gossip and pipelined training"),
    "2": ("Part III: Edge intelligence model inference (seed 003 §V)",
          "partition, early exit, compression, caching, filtering, selection and measurement"),
}
#: Class minutes in one course week: two 90-minute sessions (see :func:`course_weeks`).
WEEK_MINUTES = 180
#: Where the JupyterLite bundle of ``edgelab lite --out SITE/lite`` opens a chapter, relative to
#: the site's root (the chapter pages sit at the root).
LITE_PATH = "lite/lab/index.html?path={stem}.ipynb"
#: The claims page's columns (from ``OUT/summary.csv``).
CLAIM_COLUMNS = ("claim", "verdict", "reported", "reproduced", "chapter")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|$~])")


def md_escape(text: Any) -> str:
    """``text`` as one line of Markdown that renders literally (CommonMark backslash escapes)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


@dataclass(frozen=True)
class BookChapter:
    """One chapter as the book shows it (from the executed notebook and chapters.toml)."""

    stem: str
    title: str
    survey: str
    minutes: int
    prerequisites: tuple[str, ...]
    lite: bool


def book_chapters(stems: Sequence[str] | None = None,
                  notebooks_dir: str | Path | None = None) -> list[BookChapter]:
    """The chapters of ``notebooks/`` in the pipeline's (file) order, optionally only ``stems``.

    ``lite`` is the stanza's ``lite`` key of ``notebooks/chapters.toml`` (default false): the
    chapter runs in the JupyterLite bundle (issue 18 item 3). Implements the table of contents
    of the book (seed 003's structure: §III-B levels, §IV training, §V inference).
    """
    meta = chapter_meta(notebooks_dir)
    wanted = None if stems is None else set(stems)
    out = []
    for stem, title in chapter_index(notebooks_dir):
        if wanted is not None and stem not in wanted:
            continue
        m = meta.get(stem)
        if m is None:
            raise EdgelabError(f"notebooks/chapters.toml has no [chapters.{stem}] stanza")
        lite = m.get("lite", False)
        if not isinstance(lite, bool):
            raise EdgelabError(f"notebooks/chapters.toml: [chapters.{stem}] lite must be true or "
                               f"false, got {lite!r}")
        out.append(BookChapter(stem=stem, title=title, survey=str(m["survey"]),
                               minutes=int(m["minutes"]),
                               prerequisites=tuple(str(p) for p in m["prerequisites"]),
                               lite=lite))
    return out


def part_of(stem: str) -> str:
    """The part title of a chapter (by the first digit of its stem; see :data:`PARTS`)."""
    key = stem[:1]
    if key not in PARTS:
        raise EdgelabError(f"chapter {stem!r}: its first digit must be one of {sorted(PARTS)}")
    return PARTS[key][0]


def lite_href(stem: str) -> str:
    """The JupyterLite link of a chapter, relative to the site root (see :data:`LITE_PATH`)."""
    return LITE_PATH.format(stem=stem)


def exercises(nb: Mapping[str, Any]) -> list[str]:
    """The first line of each numbered exercise under a notebook's last ``## Exercises`` heading.

    The chapters' convention (notebooks/README.md): the markdown after that heading holds items
    that start a line with ``N.``; an item's continuation lines and its ``Hint:`` are not part of
    its first line. Each number counts once.
    """
    md = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", [])
                   if c.get("cell_type") == "markdown")
    parts = re.split(r"^## Exercises[^\n]*$", md, flags=re.MULTILINE)
    if len(parts) < 2:
        return []
    first: dict[str, str] = {}
    for m in re.finditer(r"(?m)^(\d+)\.\s+(.*)$", parts[-1]):
        first.setdefault(m.group(1), m.group(2).strip())
    return list(first.values())


def course_weeks(chapters: Sequence[BookChapter],
                 week_minutes: int = WEEK_MINUTES) -> list[list[BookChapter]]:
    """Chapters packed into course weeks: the rule of the instructor's page.

    In file order (the book's order), a week takes chapters while their class sessions
    (``minutes`` in chapters.toml) add up to at most ``week_minutes``, and a new part of the
    book (:data:`PARTS`) starts a new week. A chapter longer than a week gets a week of its own.
    """
    if week_minutes < 1:
        raise ValueError(f"week_minutes must be >= 1, got {week_minutes}")
    weeks: list[list[BookChapter]] = []
    used = 0
    for ch in chapters:
        if (not weeks or used + ch.minutes > week_minutes
                or weeks[-1][-1].stem[:1] != ch.stem[:1]):
            weeks.append([])
            used = 0
        weeks[-1].append(ch)
        used += ch.minutes
    return weeks


def read_times(notebooks_dir: Path) -> dict[str, dict[str, str]]:
    """``stem -> {quick_s, full_s, machine}`` from ``notebooks/chapter_times.csv`` (measured by
    ``edgelab reproduce``, recorded by ``edgelab chapters --record-times``); empty if absent."""
    path = notebooks_dir / TIMES_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {r["stem"]: r for r in csv.DictReader(f)}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _toctree(caption: str, entries: Sequence[str]) -> list[str]:
    return ["```{toctree}", f":caption: {caption}", ":maxdepth: 1", "", *entries, "```", ""]


def run_mode(notebooks: Mapping[str, Mapping[str, Any]]) -> str:
    """``quick``, ``full`` or ``mixed``: the mode the executed notebooks ran in (their papermill
    parameter ``quick``), or ``unknown`` when a notebook does not say."""
    modes = set()
    for nb in notebooks.values():
        params = nb.get("metadata", {}).get("papermill", {}).get("parameters", {})
        quick = params.get("quick")
        modes.add("unknown" if not isinstance(quick, bool) else "quick" if quick else "full")
    if len(modes) == 1:
        return modes.pop()
    return "unknown" if "unknown" in modes else "mixed"


def index_page(chapters: Sequence[BookChapter], *, extra_pages: Sequence[str] = (),
               binder: str | None = None, mode: str = "quick") -> str:
    """The book's front page: what edgelab is, how to read it and the table of contents grouped
    by the survey's parts (seed 003 §IV, §V), each chapter with its survey section; ``mode`` is
    the mode the notebooks ran in (:func:`run_mode`)."""
    lines = [
        "# edgelab: the edge-intelligence surveys, reproduced", "",
        "edgelab is a PyTorch teaching and benchmark package for the edge-intelligence surveys "
        "(seed 003 is Zhou et al., *Edge Intelligence: Paving the Last Mile of Artificial "
        "Intelligence With Edge Computing*, Proc. IEEE 2019). Each chapter below is one "
        "notebook: it explains a section of the survey, computes it with the package's cost "
        "model and real PyTorch runs, and puts the numbers the papers reported beside the "
        "numbers reproduced here.", "",
        "## How to read this book", "",
        ("* The chapter pages show the notebooks as `edgelab reproduce` executed them, in "
         f"{mode} mode: the figures and tables are that run's outputs, not re-executed for the "
         "site."),
        "* Each chapter opens with its card: the survey section it mirrors, what it assumes, "
        "its session length and its measured run time.",
        "* The [claims](claims.md) page lists every reported claim against its reproduced value "
        "and verdict; the [drift](drift.md) page shows what changed since the previous run; the "
        "[instructors](instructors.md) page maps the chapters to a course's weeks.",
    ]
    if binder:
        lines.append("* To run a chapter, use the launch button (rocket icon) at the top of its "
                     "page: Binder opens the chapter's notebook from the repository.")
    else:
        lines.append("* This build has no Binder buttons (no repository URL was known when it "
                     "was built); run the chapters locally with `make reproduce`.")
    if any(c.lite for c in chapters):
        lines.append("* Chapters marked *runs in your browser* open in JupyterLite, with no "
                     "server and no install.")
    lines += ["", "## Contents", ""]
    for key, (title, what) in PARTS.items():
        part = [c for c in chapters if c.stem[:1] == key]
        if not part:
            continue
        lines += [f"### {title}", "", f"{what.capitalize()}.", ""]
        rows = [[f"[{md_escape(c.title)}]({c.stem}.ipynb)", md_escape(c.survey)
                 + (" (runs in your browser)" if c.lite else "")] for c in part]
        lines += _table(["Chapter", "Survey section"], rows) + [""]
        lines += _toctree(title, [c.stem for c in part])
    if extra_pages:
        lines += _toctree("Results and teaching", list(extra_pages))
    return "\n".join(lines)


def claims_rows(runs: Path) -> list[dict[str, str]]:
    """The rows of ``OUT/summary.csv`` (every recorded claim, judged), as dicts."""
    path = Path(runs) / "summary.csv"
    if not path.exists():
        raise EdgelabError(f"{path} not found: run `edgelab reproduce --quick --out {runs}` first")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _value(value: str, units: str) -> str:
    """A reproduced value for the page: numbers to 4 significant digits (as summary.md), units."""
    if not value:
        return "–"
    try:
        value = f"{float(value):.4g}"
    except ValueError:
        pass
    return md_escape(f"{value} {units}".strip())


def claims_page(runs: Path, chapter_stems: Sequence[str]) -> str:
    """Reported against reproduced claims (from ``OUT/summary.csv``), with the count of each
    verdict; each claim links to its chapter's page when that chapter is in the book."""
    rows = claims_rows(runs)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    have = set(chapter_stems)
    # the table needs the page's width: no "on this page" column (pydata-sphinx-theme metadata)
    lines = ["---", "html_theme.sidebar_secondary.remove: true", "---", "",
             "# Claims: reported against reproduced", "",
             f"Every claim a chapter recorded ({len(rows)} rows of `summary.csv`, written by "
             "`edgelab reproduce`), judged by its verdict rule against the value the paper "
             "reported (`data/reported.csv`). Below the table, each claim's *why* (the verdict "
             "rule's reading), *rule* (its grammar is in `data/README.md`) and *setting* (what "
             "the chapter measured).",
             "", "## Verdicts", ""]
    lines += _table(["Verdict", "Claims"],
                    [[md_escape(v), str(n)] for v, n in sorted(counts.items())]) + [""]
    lines += ["## Claims", ""]
    body, details = [], []
    for r in rows:
        ch = r.get("chapter", "")
        link = f"[{ch}]({ch}.ipynb)" if ch in have else md_escape(ch)
        body.append([md_escape(r["claim_id"]), md_escape(r["verdict"]),
                     md_escape(r["reported_value"]) or "–",  # the paper's text, units inside
                     _value(r["reproduced_value"], r.get("units", "")), link])
        details.append(f"- **{md_escape(r['claim_id'])}**, {md_escape(r['system'])}, "
                       f"{md_escape(r['metric'])} ({md_escape(r['verdict'])}): "
                       f"{md_escape(r.get('reason', '')) or '–'} *Rule:* "
                       f"{md_escape(r.get('verdict_rule', '')) or '–'}. *Setting:* "
                       f"{md_escape(r.get('setting', '')) or '–'}.")
    lines += _table(CLAIM_COLUMNS, body) + ["", "## Why each verdict", ""] + details
    return "\n".join(lines) + "\n"


def drift_page(runs: Path, previous: Path | None) -> str:
    """The drift report (:func:`edgelab.pipeline.compare.compare_runs` of ``previous`` against
    ``runs``, as ``edgelab compare`` prints it), or a page saying no previous run was given."""
    from edgelab.pipeline.compare import compare_runs

    lines = ["# Drift since the previous run", ""]
    if previous is None:
        lines += ["No previous run was given to this build (`edgelab book --previous PREV`), "
                  "so there is nothing to compare: this page reports no drift because none was "
                  "measured, not because none happened.", ""]
        return "\n".join(lines)
    report = compare_runs(previous, runs)
    verdict = ("Cells changed beyond tolerance or files disappeared"
               if report.differs() else "No cell changed beyond tolerance")
    lines += [f"`edgelab compare PREVIOUS THIS` over the tables and `summary.csv` of the two runs "
              f"(relative tolerance 1e-6): **{verdict}**; {len(report.changed)} changed, "
              f"{len(report.added)} added, {len(report.removed)} removed, "
              f"{report.files_compared} files compared.", "", "```text", *report.lines(), "```",
              ""]
    return "\n".join(lines)


def _chapter_refs(prerequisites: Sequence[str]) -> list[str]:
    found: list[str] = []
    for p in prerequisites:
        for m in re.finditer(r"chapters? ((?:\d\d(?:,? (?:and )?)?)+)", p):
            found += re.findall(r"\d\d", m.group(1))
    return sorted(set(found))


def instructors_page(chapters: Sequence[BookChapter], notebooks: Mapping[str, Mapping[str, Any]],
                     times: Mapping[str, Mapping[str, str]], *,
                     week_minutes: int = WEEK_MINUTES) -> str:
    """The instructor's view: weeks (:func:`course_weeks`), each chapter's exercises (from its
    ``## Exercises`` cell), its measured quick and full run times and how to run the suite."""
    order = [c.stem[:2] for c in chapters]
    later = {c.stem: [r for r in _chapter_refs(c.prerequisites)
                      if r in order and order.index(r) > order.index(c.stem[:2])]
             for c in chapters}
    forward = [f"{stem[:2]} names {', '.join(refs)}" for stem, refs in later.items() if refs]
    lines = ["# For instructors", "",
             "## The chapters as a course", "",
             f"The rule: the chapters in file order (the order of the book), packed into weeks "
             f"of at most {week_minutes} minutes of class (two 90-minute sessions), where each "
             f"chapter takes the session length of its `minutes` in `notebooks/chapters.toml`, "
             f"and each part of the book starts a new week. The last column lists the chapters "
             f"that a chapter's prerequisites (in `chapters.toml`) name.", ""]
    if forward:
        lines += ["Prerequisites that name a later chapter (a tool used as a black box there "
                  "and worked out later, or one the chapter introduces for later use): "
                  + "; ".join(forward) + ".", ""]
    rows = []
    for i, week in enumerate(course_weeks(chapters, week_minutes), 1):
        for ch in week:
            refs = ", ".join(_chapter_refs(ch.prerequisites)) or "–"
            rows.append([str(i), f"[{md_escape(ch.title)}]({ch.stem}.ipynb)", str(ch.minutes),
                         refs])
    lines += _table(["Week", "Chapter", "Session (min)", "Chapters its prerequisites name"],
                    rows) + [""]
    lines += ["## Exercises", "",
              "Each chapter ends with numbered exercises, each with a hint; the solutions are "
              "in `notebooks/solutions/<chapter>_solutions.ipynb` in the repository (not on "
              "this site).", ""]
    for ch in chapters:
        ex = exercises(notebooks[ch.stem])
        lines += [f"### {md_escape(ch.title)}", "", f"{len(ex)} exercises.", ""]
        lines += [f"{n}. {md_escape(text)}" for n, text in enumerate(ex, 1)] + [""]
    lines += ["## Run times", ""]
    machines = sorted({t.get("machine", "") for s, t in times.items()
                       if s in {c.stem for c in chapters}} - {""})
    if machines:
        lines += ["Measured by `edgelab reproduce` and recorded in `notebooks/chapter_times.csv` "
                  "on " + "; ".join(md_escape(m) for m in machines) + ".", ""]
    rows = []
    for ch in chapters:
        t = times.get(ch.stem)
        rows.append([ch.stem, md_escape(t["quick_s"]) if t else "not measured",
                     md_escape(t["full_s"]) if t else "not measured"])
    lines += _table(["Chapter", "Quick mode (s)", "Full mode (s)"], rows) + [""]
    lines += [
        "## Running the suite on a lab machine", "",
        "On a fresh clone with Python 3.11 and pip, the README's two commands:", "",
        "```bash",
        "make reproduce   # every chapter in quick mode; tables and summary into out/",
        "make test        # ruff, the import contract, the test suite and the notebooks",
        "```", "",
        "Both build `.venv` with the pinned versions. On a machine with more cores, run "
        "chapters in parallel and pick chapters by name:", "",
        "```bash",
        ".venv/bin/edgelab reproduce --quick --jobs 4 --out out",
        ".venv/bin/edgelab reproduce --quick --only '2*' --out out   # the inference part",
        ".venv/bin/edgelab reproduce --full --out out-full            # the nightly's full mode",
        "```", "",
        "Without a local install, each chapter page's launch button opens it on Binder "
        "(mybinder.org), which installs `binder/requirements.txt`: the versions `make test` "
        "installs.", "",
        "## Why there is no Colab button", "",
        "Each chapter would have to pip-install the pinned torch==2.13.0 in its first cell, "
        "replacing Colab's own CUDA build of torch and breaking its torchvision and torchaudio, "
        "or else run on a torch that CI never tested. Binder runs what CI tested, and the "
        "torch-free chapters run in JupyterLite in the browser with no install.", ""]
    return "\n".join(lines)


def load_notebook(path: Path) -> dict[str, Any]:
    """A notebook file as JSON (the executed copies under ``OUT/runs``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
