"""The chapters marked ``lite = true`` in notebooks/chapters.toml need no torch (issue 18 item 3).

Offline proof for the JupyterLite bundle, whose Pyodide kernel has no torch: every lite chapter
is executed top to bottom with nbclient, in quick mode, by the venv's ipykernel started with a
``sitecustomize.py`` on ``PYTHONPATH`` that makes ``import torch`` fail. A cell appended to the
executed copy proves the block was active in that kernel; the test fails on any cell error.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from edgelab.book.lite import CHAPTER_DISTRIBUTIONS, OPTIONAL_DISTRIBUTIONS, lite_chapters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
MARKER = "EDGELAB-TORCH-BLOCKED"

#: sitecustomize.py: every ``import torch`` in the kernel (direct or in a library) fails
_SITECUSTOMIZE = "import sys\nsys.modules['torch'] = None\n"

#: put first: the modules the kernel has loaded before the chapter
_BEFORE = "import sys as _sys\n_before = {m.split('.')[0] for m in _sys.modules}"
#: appended to the executed copy: prints MARKER only when torch is blocked and was never
#: loaded, then the top-level modules the chapter loaded
_PROBE = f"""import json
try:
    import torch  # noqa: F401
    print("torch imported")
except ImportError:
    loaded = {{m.split(".")[0] for m, v in _sys.modules.items() if v is not None}}
    print("{MARKER}" if "torch" not in loaded else "torch was loaded")
    print(json.dumps(sorted(loaded - _before)))
"""


def test_lite_chapters_are_00_and_01_at_least():
    assert {"00_ei_levels", "01_edge_paradigms"} <= set(lite_chapters(NOTEBOOKS))


@pytest.fixture(scope="module")
def blocked_kernel(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A kernelspec (in a temp JUPYTER_PATH) whose kernel cannot import torch."""
    base = tmp_path_factory.mktemp("torchless")
    site = base / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    spec_dir = base / "jupyter" / "kernels" / "edgelab-torchless"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "edgelab without torch", "language": "python",
            "env": {"PYTHONPATH": str(site), "EDGELAB_OUT_DIR": str(base / "out"),
                    "MPLBACKEND": "agg"}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return str(base / "jupyter"), base


@pytest.mark.parametrize("stem", lite_chapters(NOTEBOOKS))
def test_lite_chapter_runs_without_torch(stem: str, blocked_kernel: tuple[str, Path],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    jupyter_path, base = blocked_kernel
    monkeypatch.setenv("JUPYTER_PATH", jupyter_path)
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_BEFORE))
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    client = NotebookClient(nb, kernel_name="edgelab-torchless", timeout=300,
                            startup_timeout=120, allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip().splitlines()
    assert probe[0] == MARKER, f"torch was not blocked in the kernel: {probe!r}"
    # what the chapter imported must be what the bundle's lock provides (CHAPTER_DISTRIBUTIONS)
    dists = metadata.packages_distributions()
    used = {re.sub(r"[-_.]+", "-", d).lower() for m in json.loads(probe[1])
            for d in dists.get(m, [])} - {"edgelab"}
    extra = used - set(CHAPTER_DISTRIBUTIONS) - set(OPTIONAL_DISTRIBUTIONS)
    assert not extra, f"{stem} imports {sorted(extra)}: add them to edgelab.book.lite's " \
        f"CHAPTER_DISTRIBUTIONS (and EDGELAB_DEPENDS) so the bundle's lock loads them"
    assert {"numpy", "pandas", "matplotlib", "ipywidgets"} <= used
