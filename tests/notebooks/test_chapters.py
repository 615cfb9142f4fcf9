"""Every chapter runs in quick mode, and notebooks are stored clean (issue 3, "Tests").

``test_chapter_runs_quick`` is parametrized over ``notebooks/*.ipynb``, so a chapter added
later is picked up without editing this file (no notebook yet: the parameter set is empty and
pytest reports it as skipped). ``test_notebooks_stored_without_outputs`` checks every notebook
in the working tree (a superset of those in git): no outputs, no execution counts, and exactly
one cell tagged ``parameters`` assigning ``quick``, ``seed`` and ``out_dir``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PARAMETERS = {"quick", "seed", "out_dir"}


def _assigned_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_quick(notebook: Path, tmp_path: Path) -> None:
    """Run the chapter as ``edgelab reproduce --quick`` does; it must record tables."""
    from edgelab.pipeline import run_chapter

    out = tmp_path / "out"
    # a hung cell fails the test (quick chapters take seconds); a stalled kernel is re-run once
    res = run_chapter(notebook, out, {"quick": True, "seed": 0, "out_dir": str(out)},
                      cell_timeout=300)
    assert res.ok, f"{notebook.name} failed at {res.describe_failure()}"
    written = sorted(p.name for p in (out / "tables").glob(f"{notebook.stem}__*"))
    assert written, f"{notebook.name} ran but recorded no tables under OUT/tables/"
    assert not list((out / "tables").glob("*.tmp")), "a temporary file was left behind"


def test_notebooks_stored_without_outputs() -> None:
    """Notebooks carry no outputs and exactly one tagged parameters cell (quick, seed, out_dir)."""
    problems: list[str] = []
    for path in NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.get("outputs"):
                problems.append(f"{path.name}: cell {i} has outputs")
            if cell.get("execution_count") is not None:
                problems.append(f"{path.name}: cell {i} has an execution count")
        tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        if len(tagged) != 1:
            problems.append(
                f"{path.name}: {len(tagged)} cells tagged 'parameters' (need exactly 1)"
            )
        elif tagged[0].cell_type != "code":
            problems.append(f"{path.name}: the 'parameters' cell is not a code cell")
        else:
            missing = PARAMETERS - _assigned_names(tagged[0].source)
            if missing:
                problems.append(f"{path.name}: parameters cell does not set {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_notebooks_are_normalised() -> None:
    """The .ipynb is the chapter's one source, edited in JupyterLab: stored normalised.

    nbformat 4.5 with a unique id on every cell (ids stay as stored, so diffs stay small), no
    metadata beyond the kernel's and cell tags (no execution timings, no papermill records).
    """
    problems: list[str] = []
    for path in NOTEBOOKS:
        raw = nbformat.read(str(path), as_version=4)
        if (raw.nbformat, raw.nbformat_minor) < (4, 5):
            problems.append(f"{path.name}: nbformat {raw.nbformat}.{raw.nbformat_minor} < 4.5")
        if extra := set(raw.metadata) - {"kernelspec", "language_info"}:
            problems.append(f"{path.name}: notebook metadata {sorted(extra)}")
        ids = [c.get("id") for c in raw.cells]
        if None in ids or len(set(ids)) != len(ids):
            problems.append(f"{path.name}: cell ids missing or repeated")
        for i, c in enumerate(raw.cells):
            if extra := set(c.metadata) - {"tags"}:
                problems.append(f"{path.name}: cell {i} metadata {sorted(extra)}")
    assert not problems, "\n".join(problems)


def test_index_lists_every_chapter() -> None:
    """notebooks/README.md (the hand-kept chapter index) names every chapter notebook."""
    index = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if p.name not in index]
    assert not missing, f"add these chapters to notebooks/README.md: {missing}"
