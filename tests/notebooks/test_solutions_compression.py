"""The solutions notebook of chapter 23 (model compression) runs in quick mode and answers every
exercise of the chapter (issue 19: solutions live apart from the student copy, checked by the tests)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "notebooks" / "23_compression.ipynb"
SOLUTIONS = ROOT / "notebooks" / "solutions" / "23_compression_solutions.ipynb"


def _exercises(nb: nbformat.NotebookNode) -> int:
    text = next(c.source for c in nb.cells if c.cell_type == "markdown" and "## Exercises" in c.source)
    return len(re.findall(r"^\d+\. ", text.split("## Exercises", 1)[1], flags=re.M))


def test_solutions_answer_every_exercise():
    nb = nbformat.read(str(SOLUTIONS), as_version=4)
    answers = [c for c in nb.cells if c.cell_type == "markdown" and re.match(r"## \d+\. ", c.source)]
    assert len(answers) == _exercises(nbformat.read(str(CHAPTER), as_version=4)) == 5
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_solutions_run_in_quick_mode(tmp_path):
    from edgelab.pipeline import run_chapter

    out = tmp_path / "out"
    res = run_chapter(SOLUTIONS, out, {"quick": True, "seed": 0, "out_dir": str(out)},
                      cell_timeout=300)
    assert res.ok, f"{SOLUTIONS.name} failed at {res.describe_failure()}"
