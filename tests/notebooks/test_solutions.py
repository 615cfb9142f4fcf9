"""Every chapter has a solutions notebook apart from the student copy, and it runs (issue 19).

The student copy (``notebooks/<stem>.ipynb``) ends with exercises and hints; the instructor's
copy (``notebooks/solutions/<stem>_solutions.ipynb``) answers each one with code. The pipeline
does not run the solutions (``discover_notebooks`` globs ``notebooks/*.ipynb`` only); this test
does, in quick mode, so that an answer never rots.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*_solutions.ipynb"))
_EXERCISE = re.compile(r"^(\d+)\.\s", re.MULTILINE)


def _exercises(path: Path) -> int:
    """Numbered items under the chapter's last "## Exercises" heading."""
    nb = nbformat.read(str(path), as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    parts = re.split(r"^## Exercises[^\n]*$", md, flags=re.MULTILINE)
    assert len(parts) > 1, f"{path.name} has no '## Exercises' section"
    return len(set(_EXERCISE.findall(parts[-1])))


def test_every_chapter_has_solutions() -> None:
    have = {p.name.removesuffix("_solutions.ipynb") for p in SOLUTIONS}
    missing = [p.stem for p in CHAPTERS if p.stem not in have]
    assert not missing, f"chapters without notebooks/solutions/<stem>_solutions.ipynb: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_each_exercise_has_a_hint_and_an_answer(chapter: Path) -> None:
    n = _exercises(chapter)
    nb = nbformat.read(str(chapter), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises = re.split(r"^## Exercises[^\n]*$", text, flags=re.MULTILINE)[-1]
    assert n >= 2 and exercises.lower().count("hint") >= n, \
        f"{chapter.name}: each exercise needs a hint"
    sol = ROOT / "notebooks" / "solutions" / f"{chapter.stem}_solutions.ipynb"
    snb = nbformat.read(str(sol), as_version=4)
    heads = [c.source for c in snb.cells if c.cell_type == "markdown"
             and re.match(r"^##\s+Exercise\s+\d+", c.source.lstrip())]
    assert len(heads) == n, f"{sol.name}: {len(heads)} '## Exercise N' answers for {n} exercises"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_run_quick(solution: Path, tmp_path: Path) -> None:
    from edgelab.pipeline import run_chapter

    out = tmp_path / "out"
    res = run_chapter(solution, out, {"quick": True, "seed": 0, "out_dir": str(out)},
                      cell_timeout=300)
    assert res.ok, f"{solution.name} failed at {res.describe_failure()}"


def test_solutions_stored_clean() -> None:
    for path in SOLUTIONS:
        nb = nbformat.read(str(path), as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, \
                    f"{path.name}: cell {i} stored with outputs"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_opens_with_its_card(chapter: Path) -> None:
    nb = nbformat.read(str(chapter), as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"][:3]
    assert any(f'chapter_card("{chapter.stem}")' in s for s in code), \
        f'{chapter.name}: one of the first code cells shows chapter_card("{chapter.stem}")'
