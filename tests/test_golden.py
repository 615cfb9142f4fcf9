"""The nbval golden copies (tests/golden) belong to the chapters as they are now.

``make test`` re-runs each golden copy with ``pytest --nbval-lax tests/golden`` and fails when
a result cell (``# NBVAL_CHECK_OUTPUT``) prints something else. That guards the package; this
test guards the copies themselves: every chapter has one, and its code is the chapter's code
(so editing a chapter without writing its golden copy again, with
``python tests/golden/make_golden.py CHAPTER``, fails here).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MARKER = "# NBVAL_CHECK_OUTPUT\n"


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source.removeprefix(MARKER) for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_golden_copy_matches_its_chapter(chapter: Path) -> None:
    gold = ROOT / "tests" / "golden" / chapter.name
    assert gold.exists(), f"no golden copy: run python tests/golden/make_golden.py {chapter.stem}"
    g = nbformat.read(str(gold), as_version=4)
    src = nbformat.read(str(chapter), as_version=4)
    assert _code(g) == _code(src), (
        f"{chapter.name} changed since its golden copy was written: "
        f"python tests/golden/make_golden.py {chapter.stem}")
    checked = [c for c in g.cells if c.cell_type == "code" and c.source.startswith(MARKER)]
    assert checked, f"{gold.name} checks no result cell"
    assert all(c.outputs for c in checked), "a checked cell has no stored output"
