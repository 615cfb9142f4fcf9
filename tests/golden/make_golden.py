"""Write the nbval golden copies of the chapters (run on purpose, when a result should change).

    python tests/golden/make_golden.py            # every chapter
    python tests/golden/make_golden.py 20_partition

Each chapter runs twice in quick mode (seed 0) through the pipeline's own execution path
(:func:`edgelab.pipeline.run_chapter`). A code cell whose outputs are the same text in both
runs, after the sanitisers of ``sanitize.cfg``, is a *result cell*: its golden copy starts with
``# NBVAL_CHECK_OUTPUT``, and ``pytest --nbval-lax tests/golden`` (part of ``make test``)
re-runs the copy and fails when such a cell prints something else, until the copy is written
again on purpose. Cells whose outputs differ between two runs (wall-clock timings) are not
checked, nor are cells with a line starting ``# measured`` (a measurement that two runs may
print alike by chance). The injected parameters cell writes into a fresh temporary folder.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MARKER = "# NBVAL_CHECK_OUTPUT"
#: The parameters cell of a golden copy: quick mode, seed 0, a fresh output folder.
PARAMETERS = ("import tempfile\n"
              "quick = True\n"
              "seed = 0\n"
              "out_dir = tempfile.mkdtemp(prefix='edgelab-nbval-')")


def sanitizers() -> list[tuple[re.Pattern[str], str]]:
    """The (regex, replacement) pairs of ``sanitize.cfg`` (nbval's format: regex, replace)."""
    lines = [ln for ln in (HERE / "sanitize.cfg").read_text().splitlines()
             if ln.strip() and not ln.startswith("[")]
    pairs = []
    for i in range(0, len(lines), 2):
        regex = lines[i].split(":", 1)[1].strip()
        replace = lines[i + 1].split(":", 1)[1].strip()
        pairs.append((re.compile(regex), replace))
    return pairs


def output_text(cell: nbformat.NotebookNode, subs: list[tuple[re.Pattern[str], str]]) -> str:
    """The text a result cell shows: streams, tables, markdown and errors.

    Figures and widgets are not results: their PNG bytes and widget ids change with the
    matplotlib backend and the run (nbval skips images), so a cell that displays one is never
    checked (returns "").
    """
    parts = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if any(k.startswith("image/") or "widget" in k for k in data):
            return ""
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            for key in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if key in o.get("data", {}):
                    parts.append(o.data[key])
        elif o.output_type == "error":
            parts.append(o.ename + o.evalue)
    text = "".join(parts)
    for regex, repl in subs:
        text = regex.sub(repl, text)
    return text


def is_measured(cell: nbformat.NotebookNode) -> bool:
    """Whether the cell says it prints a measurement (a line starting ``# measured``): wall-clock
    figures vary from run to run, and two runs that agree by chance must not make it a result."""
    return any(ln.strip().lower().startswith("# measured") for ln in cell.source.splitlines())


def is_injected(cell: nbformat.NotebookNode) -> bool:
    """Whether papermill added this cell (the injected parameters)."""
    return "injected-parameters" in cell.get("metadata", {}).get("tags", [])


def golden(chapter: Path) -> nbformat.NotebookNode:
    """The golden copy of one chapter (see the module docstring)."""
    sys.path.insert(0, str(ROOT))
    from edgelab.pipeline import run_chapter

    runs = []
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="edgelab-golden-") as out:
            res = run_chapter(chapter, out, {"quick": True, "seed": 0, "out_dir": out},
                              cell_timeout=300)
            if not res.ok:
                raise SystemExit(f"{chapter.name} failed: {res.describe_failure()}")
            runs.append(nbformat.read(str(Path(out) / "runs" / chapter.name), as_version=4))
    subs = sanitizers()
    a, b = runs
    a.cells = [c for c in a.cells if not is_injected(c)]
    b.cells = [c for c in b.cells if not is_injected(c)]
    for ca, cb in zip(a.cells, b.cells, strict=True):
        if ca.cell_type != "code":
            continue
        if "parameters" in ca.metadata.get("tags", []):
            ca.source = PARAMETERS
            ca.outputs = []
            continue
        text = output_text(ca, subs)
        if is_measured(ca):  # two runs may print the same time by chance: never a result
            continue
        if text.strip() and text == output_text(cb, subs):
            ca.source = MARKER + "\n" + ca.source
    a.metadata.pop("papermill", None)
    for c in a.cells:
        c.metadata.pop("papermill", None)
        c.metadata.pop("execution", None)
        for o in c.get("outputs", []):  # nbval never compares images: keep the copies small
            for key in [k for k in o.get("data", {}) if k.startswith("image/")]:
                del o.data[key]
    return a


def main(argv: list[str]) -> int:
    """Write ``tests/golden/<chapter>.ipynb`` for the chapters named (default: all)."""
    chapters = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if argv:
        chapters = [c for c in chapters if c.stem in argv]
    for ch in chapters:
        nb = golden(ch)
        nbformat.write(nb, str(HERE / ch.name))
        checked = sum(c.cell_type == "code" and c.source.startswith(MARKER) for c in nb.cells)
        print(f"{ch.stem}: {checked} result cells checked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
