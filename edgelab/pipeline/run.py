"""Running the chapters: discovery, one chapter through papermill, the whole reproduction.

``reproduce`` papermills each ``notebooks/*.ipynb`` into ``OUT/runs/`` with the parameters
``quick``, ``seed`` and ``out_dir`` (see :mod:`edgelab.pipeline` for the layout of OUT), then
compiles the summary (:mod:`edgelab.pipeline.summary`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fnmatch
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from edgelab._paths import data_path, repo_root
from edgelab.errors import EdgelabError
from edgelab.pipeline.results import RUNS, ChapterResult, ReproduceResult
from edgelab.pipeline.summary import compile_summary
from edgelab.record import (
    TABLES,
    TIMINGS,
    atomic_write_text,
)

__all__ = ["ChapterResult", "ReproduceResult", "CELL_TIMEOUT_S", "check_kernel",
           "find_notebooks_dir", "discover_notebooks", "input_fingerprint", "run_chapter",
           "reproduce", "kernel_env", "sources_digest"]


# =========================================================================== discovery
def find_notebooks_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The chapters' folder: ``explicit``, else ``./notebooks``, else ``<repo root>/notebooks``."""
    if explicit is not None:
        p = Path(explicit)
        if not p.is_dir():
            raise EdgelabError(f"notebooks folder not found: {p}")
        return p.resolve()
    candidates = [Path.cwd() / "notebooks"]
    root = repo_root()
    if root is not None:
        candidates.append(root / "notebooks")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise EdgelabError(
        "no notebooks/ folder found in the current directory or the edgelab checkout; "
        "pass --notebooks DIR"
    )


def discover_notebooks(nb_dir: str | os.PathLike[str], only: str | None = None) -> list[Path]:
    """Chapters in ``nb_dir`` (``*.ipynb``, sorted), filtered by ``only``.

    ``only`` is a glob (or comma-separated globs) matched against the file name and its stem,
    so ``--only '02_*'`` and ``--only 02_dl_primer.ipynb`` both work.
    """
    paths = sorted(p for p in Path(nb_dir).glob("*.ipynb") if not p.name.startswith("."))
    if not only:
        return paths
    pats = [s.strip() for s in only.split(",") if s.strip()]
    return [
        p
        for p in paths
        if any(fnmatch.fnmatch(p.name, g) or fnmatch.fnmatch(p.stem, g) for g in pats)
    ]


def _edgelab_version() -> str:
    try:
        import edgelab

        v = getattr(edgelab, "__version__", None)
        if v:
            return str(v)
    except ImportError:  # pragma: no cover
        pass
    try:
        from importlib.metadata import version

        return version("edgelab")
    except Exception:  # noqa: BLE001 - not installed: a source checkout
        return "0+unknown"


def sources_digest() -> str:
    """sha256 over edgelab's Python sources and data files, so code/data edits invalidate --resume.

    Every ``.py`` file of the whole package counts, by its path inside the package (a moved
    module changes the digest too), and every catalog CSV of ``data/``.
    """
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]  # edgelab/, not just edgelab/pipeline/
    files = [(f.relative_to(pkg).as_posix(), f) for f in sorted(pkg.rglob("*.py"))
             if "__pycache__" not in f.parts]
    data_dir = data_path("reported.csv").parent
    files += [(f"data/{f.name}", f) for f in sorted(data_dir.glob("*.csv"))]
    for name, f in files:
        h.update(name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def input_fingerprint(
    notebook: str | os.PathLike[str],
    params: dict[str, Any],
    *,
    version: str | None = None,
    source_digest: str | None = None,
) -> dict[str, str]:
    """The inputs that decide whether ``--resume`` may skip a chapter (a chapter is re-run when any changed).

    Notebook content hash, edgelab version (plus a digest of its sources and data files, so
    an edit between releases also counts) and the parameters (``out_dir`` excluded).
    """
    nb_hash = hashlib.sha256(Path(notebook).read_bytes()).hexdigest()
    p = {k: v for k, v in params.items() if k != "out_dir"}
    inputs = {
        "notebook_sha256": nb_hash,
        "edgelab_version": version or _edgelab_version(),
        "edgelab_source_sha256": source_digest or sources_digest(),
        "parameters": json.dumps(p, sort_keys=True),
    }
    inputs["key"] = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return inputs


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _chapter_outputs(out: Path, name: str) -> dict[str, str]:
    tables = out / TABLES
    if not tables.is_dir():
        return {}
    return {
        p.name: _sha256(p)
        for p in sorted(tables.glob(f"{name}__*"))
        if p.suffix in (".csv", ".json") and not p.name.startswith(".")
    }


def _can_skip(out: Path, name: str, key: str) -> ChapterResult | None:
    """The previous result of ``name`` if ``--resume`` may skip it, else None."""
    manifest = out / RUNS / f"{name}.json"
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if m.get("inputs", {}).get("key") != key or m.get("status") != "ok":
        return None
    if not (out / RUNS / f"{name}.ipynb").exists():
        return None
    outputs = m.get("outputs", {})
    if _chapter_outputs(out, name) != outputs:
        return None  # an output is missing, changed, or a stray one appeared
    return ChapterResult(
        name=name, status="skipped", seconds=float(m.get("seconds", 0.0)), outputs=outputs
    )


# =========================================================================== running
@contextlib.contextmanager
def kernel_env() -> Iterator[None]:
    """The chapters' kernels' environment: the same edgelab as this process when it runs from a
    checkout, and matplotlib's notebook backend whatever ``MPLBACKEND`` this process has (under
    ``Agg`` a kernel shows no inline figures, and the executed chapters, the book's pages, would
    hold none; the numbers do not depend on the backend)."""
    root = repo_root()
    old = os.environ.get("PYTHONPATH")
    backend = os.environ.pop("MPLBACKEND", None)
    parts = old.split(os.pathsep) if old else []
    if root is not None and str(root) not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(root), *parts])
    try:
        yield
    finally:
        if root is not None:
            if old is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old
        if backend is not None:
            os.environ["MPLBACKEND"] = backend


def _clear_chapter(out: Path, name: str) -> None:
    """Remove a chapter's previous tables, timings and leftover temporary files before a run."""
    for folder in (out / TABLES, out / TIMINGS):
        if not folder.is_dir():
            continue
        for p in (
            list(folder.glob(f"{name}__*"))
            + list(folder.glob(f".{name}__*.tmp"))
            + list(folder.glob(f"{name}.json"))
            + list(folder.glob(f".{name}.json.*.tmp"))
        ):
            with contextlib.suppress(OSError):
                p.unlink()


def _source_index(nb: Any, executed_index: int) -> int:
    """Map a cell index of the executed notebook to the source notebook (skip injected cells)."""
    injected = 0
    for cell in nb.cells[:executed_index]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            injected += 1
    return executed_index - injected


def run_chapter(
    notebook: str | os.PathLike[str],
    out: str | os.PathLike[str],
    params: dict[str, Any],
    *,
    inputs: dict[str, str] | None = None,
    kernel: str = "python3",
    cell_timeout: float | None = None,
    echo: Callable[[str], None] | None = None,
) -> ChapterResult:
    """Run one chapter through papermill into ``OUT/runs/<name>.ipynb`` and write its manifest.

    Never raises for a failing notebook: the error, the failing cell (index in the source
    notebook and first line) and the status are returned and stored in the manifest. A chapter
    whose kernel stalls (:class:`~edgelab.pipeline.nbexec.KernelStallError`) is re-executed once, and
    ``echo`` (if given) is told so; a second stall fails it. The kernel's own output goes to
    ``OUT/runs/<name>.kernel.log``, kept only when the chapter failed.
    """
    nb_path = Path(notebook).resolve()
    out = Path(out).resolve()
    name = nb_path.stem
    runs = out / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    partial = runs / f".{name}.partial.ipynb"
    final = runs / f"{name}.ipynb"
    log = runs / f"{name}.kernel.log"
    inputs = inputs or input_fingerprint(nb_path, params)
    t0 = time.perf_counter()
    for attempt in range(2):
        _clear_chapter(out, name)
        res, stalled = _execute_once(nb_path, partial, log, params, kernel, cell_timeout)
        res.retries = attempt
        if not stalled or attempt == 1:
            break
        if echo is not None:
            echo(f"  retry  {name}: {res.error}; re-running the chapter once")
    res.seconds = time.perf_counter() - t0
    if partial.exists():
        os.replace(partial, final)
    if res.ok:
        with contextlib.suppress(OSError):
            log.unlink()
    elif log.exists() and log.stat().st_size:
        res.kernel_log = str(log)
    res.outputs = _chapter_outputs(out, name)
    manifest = {
        "name": name,
        "notebook": nb_path.name,
        "inputs": inputs,
        **{k: v for k, v in asdict(res).items() if k != "name"},
    }
    atomic_write_text(runs / f"{name}.json", json.dumps(manifest, sort_keys=True, indent=2) + "\n")
    return res


def _execute_once(
    nb_path: Path,
    partial: Path,
    log: Path,
    params: dict[str, Any],
    kernel: str,
    cell_timeout: float | None,
) -> tuple[ChapterResult, bool]:
    """One papermill execution of a chapter; returns its result and whether the kernel stalled."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from edgelab.pipeline.nbexec import KernelStallError, execute_notebook

    res = ChapterResult(name=nb_path.stem, status="ok")
    stalled = False
    try:
        with kernel_env():
            execute_notebook(
                str(nb_path),
                str(partial),
                parameters=dict(params),
                kernel_name=kernel,
                progress_bar=False,
                cwd=str(nb_path.parent),
                execution_timeout=cell_timeout,
                log_output=False,
                kernel_log=str(log),
            )
    except PapermillExecutionError as e:
        res.status = "failed"
        res.error = f"{e.ename}: {e.evalue}".strip().rstrip(":")
        try:
            executed = nbformat.read(str(partial), as_version=4)
            # papermill inserted an anchor cell at e.cell_index and a banner at 0 afterwards;
            # e.cell_index refers to the notebook before those insertions.
            executed.cells = [
                c
                for c in executed.cells
                if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
            ]
            res.cell_index = _source_index(executed, e.cell_index)
        except Exception:  # noqa: BLE001 - best effort only
            res.cell_index = e.cell_index
        src = (e.source or "").strip().splitlines()
        res.cell_source = src[0][:120] if src else ""
    except KernelStallError as e:
        stalled = True
        res.status = "failed"
        res.error = f"KernelStallError: {e.reason}"
        res.cell_index = _stalled_source_index(partial, e.cell_index, nb_path)
        res.cell_source = _first_line(nb_path, res.cell_index)
    except Exception as e:  # noqa: BLE001 - kernel died, bad JSON, timeout...: isolate the chapter
        res.status = "failed"
        res.error = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}".rstrip(
            ": "
        )
    return res, stalled


def _stalled_source_index(partial: Path, executed_index: int | None, nb_path: Path) -> int | None:
    """The source-notebook index of the executed cell ``executed_index`` (papermill injects one)."""
    import nbformat

    if executed_index is None:
        return None
    try:
        executed = nbformat.read(str(partial), as_version=4)
        return _source_index(executed, executed_index)
    except Exception:  # noqa: BLE001 - best effort: the partial copy may be missing
        return executed_index


def _first_line(nb_path: Path, index: int | None) -> str | None:
    """The first line of cell ``index`` of the source notebook (for failure lines)."""
    import nbformat

    if index is None:
        return None
    try:
        src = nbformat.read(str(nb_path), as_version=4).cells[index].source.strip().splitlines()
    except Exception:  # noqa: BLE001 - best effort only
        return None
    return src[0][:120] if src else ""


def _run_chapter_job(
    args: tuple[str, str, dict[str, Any], dict[str, str], str, float | None],
    echo: Callable[[str], None] | None = None,
) -> ChapterResult:
    nb, out, params, inputs, kernel, cell_timeout = args
    return run_chapter(
        nb, out, params, inputs=inputs, kernel=kernel, cell_timeout=cell_timeout, echo=echo
    )


#: Default longest run of one cell, by mode: quick chapters take seconds, full ones minutes.
CELL_TIMEOUT_S = {"quick": 300.0, "full": 1800.0}


def check_kernel(kernel: str) -> None:
    """Raise :class:`~edgelab.errors.EdgelabError` unless a Jupyter kernel ``kernel`` exists."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        ksm.get_kernel_spec(kernel)
    except NoSuchKernel:
        names = ", ".join(sorted(ksm.find_kernel_specs())) or "none"
        raise EdgelabError(
            f"--kernel: no Jupyter kernel named {kernel!r}; installed kernels: {names}"
        ) from None


def reproduce(
    out: str | os.PathLike[str] = "out",
    *,
    quick: bool = True,
    seed: int = 0,
    only: str | None = None,
    jobs: int = 1,
    resume: bool = False,
    notebooks_dir: str | os.PathLike[str] | None = None,
    kernel: str = "python3",
    cell_timeout: float | None | str = "auto",
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> ReproduceResult:
    """Run every chapter and compile the summary (the main job, ``edgelab reproduce``).

    One failing chapter does not stop the others; the result's ``exit_status`` is 1 if any
    failed. With ``resume`` a chapter is skipped when its notebook, edgelab version/sources
    and parameters are unchanged and its recorded outputs are intact. ``cell_timeout`` is the
    longest one cell may run, in seconds (``None``: no limit; ``"auto"``: 300 s in quick mode,
    1,800 s in full mode). Raises :class:`~edgelab.errors.EdgelabError` if no chapter matches
    or the kernel does not exist (checked once, before the first chapter).
    """
    from tqdm.auto import tqdm

    if jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {jobs}")
    if cell_timeout == "auto":
        cell_timeout = CELL_TIMEOUT_S["quick" if quick else "full"]
    elif cell_timeout is not None and not (
        isinstance(cell_timeout, int | float) and 0 < cell_timeout < math.inf
    ):
        raise ValueError(
            f"cell_timeout: a number of seconds > 0, None or 'auto', got {cell_timeout!r}"
        )
    check_kernel(kernel)
    t_start = time.perf_counter()
    nb_dir = find_notebooks_dir(notebooks_dir)
    notebooks = discover_notebooks(nb_dir, only)
    if not notebooks:
        raise EdgelabError(
            f"no chapters found in {nb_dir}" + (f" matching --only {only!r}" if only else "")
        )
    out_p = Path(out).resolve()
    (out_p / TABLES).mkdir(parents=True, exist_ok=True)
    (out_p / RUNS).mkdir(parents=True, exist_ok=True)
    say = echo if echo is not None else (lambda s: tqdm.write(s, file=sys.stdout))

    params = {"quick": bool(quick), "seed": int(seed), "out_dir": str(out_p)}
    version, digest = _edgelab_version(), sources_digest()
    todo: list[tuple[Path, dict[str, str]]] = []
    results: dict[str, ChapterResult] = {}
    for nb in notebooks:
        inputs = input_fingerprint(nb, params, version=version, source_digest=digest)
        skipped = _can_skip(out_p, nb.stem, inputs["key"]) if resume else None
        if skipped is not None:
            results[nb.stem] = skipped
        else:
            todo.append((nb, inputs))

    # disable=None: tqdm turns itself off when stderr is not a terminal (CI logs stay clean)
    bar = tqdm(
        total=len(notebooks),
        desc="chapters",
        unit="ch",
        disable=None if progress else True,
        file=sys.stderr,
    )

    def report(r: ChapterResult) -> None:
        results[r.name] = r
        line = f"{r.status:>7}  {r.name}  {r.seconds:7.1f} s"
        if r.retries:
            line += "  (re-run once after a kernel stall)"
        if r.status == "failed":
            line += f"  -- {r.describe_failure()}"
        elif r.status == "skipped":
            line += "  (unchanged; --resume)"
        elif not r.outputs:
            line += f"  (warning: nothing recorded as Recorder({r.name!r}, ...))"
        say(line)
        bar.update(1)

    for nb in notebooks:
        if nb.stem in results:
            report(results[nb.stem])
    jobs_args = [(str(nb), str(out_p), params, inputs, kernel, cell_timeout) for nb, inputs in todo]
    if jobs == 1 or len(jobs_args) <= 1:
        for a in jobs_args:
            bar.set_postfix_str(Path(a[0]).stem)
            report(_run_chapter_job(a, echo=say))
    else:
        # "spawn", not Linux's default fork: a fork of a process that has run threads (a Jupyter
        # client, gRPC inside Ray/Flower) can deadlock in the child on a lock held at fork time.
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=min(jobs, len(jobs_args)), mp_context=ctx) as ex:
            futs = {ex.submit(_run_chapter_job, a): Path(a[0]).stem for a in jobs_args}
            for fut in cf.as_completed(futs):
                name = futs[fut]
                try:
                    report(fut.result())
                except Exception as e:  # noqa: BLE001 - e.g. a worker killed by the OOM killer
                    report(
                        ChapterResult(name=name, status="failed", error=f"{type(e).__name__}: {e}")
                    )
    bar.close()

    chapters = [results[nb.stem] for nb in notebooks]
    compile_summary(out_p)
    total = time.perf_counter() - t_start
    _write_timings(out_p, chapters, total, params)
    return ReproduceResult(out=out_p, chapters=chapters, seconds=total)


def _write_timings(
    out: Path, chapters: Sequence[ChapterResult], total: float, params: dict[str, Any]
) -> None:
    """OUT/timings.json: pipeline wall times plus what chapters recorded with rec.timing()."""
    path = out / "timings.json"
    try:
        prev = json.loads(path.read_text(encoding="utf-8")).get("chapters", {})
    except (OSError, ValueError):
        prev = {}
    for c in chapters:
        entry: dict[str, Any] = {"status": c.status, "seconds": round(c.seconds, 3)}
        rec_t = out / TIMINGS / f"{c.name}.json"
        if rec_t.exists():
            with contextlib.suppress(OSError, ValueError):
                entry["recorded"] = json.loads(rec_t.read_text(encoding="utf-8")).get("timings", {})
        prev[c.name] = entry
    doc = {
        "mode": "quick" if params.get("quick") else "full",
        "seed": params.get("seed"),
        "total_seconds": round(total, 3),
        "chapters": prev,
    }
    atomic_write_text(path, json.dumps(doc, sort_keys=True, indent=2) + "\n")


