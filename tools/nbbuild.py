"""Helpers to lay out a chapter notebook with nbformat (stored without outputs, stable ids)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
PARAMETERS = "quick = True\nseed = 0\nout_dir = None"


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell."""
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    """A code cell."""
    return new_code_cell(text.strip("\n"))


def parameters(extra: str = "") -> nbformat.NotebookNode:
    """The one cell tagged ``parameters`` (papermill injects its values after it)."""
    cell = new_code_cell(PARAMETERS + (("\n" + extra.strip("\n")) if extra else ""))
    cell.metadata["tags"] = ["parameters"]
    return cell


def write(name: str, cells: list[nbformat.NotebookNode]) -> Path:
    """Write ``notebooks/<name>.ipynb`` with stable cell ids, so a rebuild is byte-identical."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    path = NB_DIR / f"{name}.ipynb"
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path
