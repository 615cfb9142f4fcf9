"""The reproduction pipeline (issue 3): run every chapter, compile the summary, compare runs.

``reproduce`` papermills each ``notebooks/*.ipynb`` into ``OUT/runs/`` with the parameters
``quick``, ``seed`` and ``out_dir``; chapters record through :mod:`edgelab.record` into
``OUT/tables/``. :func:`compile_summary` then judges every recorded claim against
``data/reported.csv`` (``OUT/summary.csv`` / ``summary.md``) and regenerates seed 003's
Table 2 (training systems) and Table 4 (inference systems) with an ``edgelab`` column.
:func:`compare_runs` reports the cells that drifted between two OUT folders.

Layout of OUT::

    OUT/tables/<chapter>__<name>.csv|json   deterministic results (byte-identical for a seed)
    OUT/timings/<chapter>.json               timings a chapter recorded (rec.timing)
    OUT/runs/<chapter>.ipynb                 the executed notebook (never the source)
    OUT/runs/<chapter>.json                  manifest: input fingerprint, status, outputs
    OUT/summary.csv, summary.md, summary_uncovered.csv
    OUT/table2_training.csv|md, OUT/table4_inference.csv|md
    OUT/timings.json                         wall times of the pipeline (not deterministic)
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import fnmatch
import hashlib
import io
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edgelab._paths import data_path, repo_root
from edgelab.errors import EdgelabError
from edgelab.record import (
    FLOAT_FORMAT,
    TABLES,
    TIMINGS,
    atomic_write_text,
    read_csv_rows,
    reported_table,
)
from edgelab.verdicts import NOT_CHECKED, VERDICTS, evaluate

__all__ = [
    "ChapterResult",
    "ReproduceResult",
    "CompareReport",
    "CELL_TIMEOUT_S",
    "check_kernel",
    "find_notebooks_dir",
    "discover_notebooks",
    "input_fingerprint",
    "run_chapter",
    "reproduce",
    "compile_summary",
    "regenerate_survey_tables",
    "compare_runs",
    "SUMMARY_COLUMNS",
]

RUNS = "runs"
SUMMARY_COLUMNS = [
    "claim_id",
    "system",
    "metric",
    "reported_value",
    "reported_units",
    "reproduced_value",
    "units",
    "setting",
    "verdict",
    "verdict_rule",
    "reason",
    "chapter",
    "source",
]
SURVEY_TABLES = {
    # file stem -> (prefix of section_or_table, title)
    "table2_training": (
        "Table 2",
        "Table 2 (seed 003): systems and frameworks on EI model training",
    ),
    "table4_inference": (
        "Table 4",
        "Table 4 (seed 003): systems and frameworks on EI model inference",
    ),
}
SURVEY_COLUMNS = [
    "system",
    "architecture",
    "ei_level",
    "technique",
    "reported_effectiveness",
    "edgelab",
    "claim_id",
]


# =========================================================================== results
@dataclass
class ChapterResult:
    """What happened to one chapter: ``status`` is ``ok``, ``failed`` or ``skipped`` (resume)."""

    name: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    cell_index: int | None = None  # index of the failing cell in the *source* notebook
    cell_source: str | None = None  # first line of the failing cell's source
    outputs: dict[str, str] = field(default_factory=dict)  # tables file -> sha256
    retries: int = 0  # re-executions after a kernel stall (at most one)
    kernel_log: str | None = None  # the kernel's stdout/stderr, kept when the chapter failed

    @property
    def ok(self) -> bool:
        """True unless the chapter failed."""
        return self.status != "failed"

    def describe_failure(self) -> str:
        """One line naming the failing cell and the error (for the console and summary.md)."""
        where = f"cell {self.cell_index}" if self.cell_index is not None else "before any cell"
        if self.cell_source:
            where += f" (`{self.cell_source}`)"
        text = f"{where}: {self.error}"
        if self.kernel_log:
            text += f" [kernel log: {self.kernel_log}]"
        return text


@dataclass
class ReproduceResult:
    """The outcome of :func:`reproduce`: one :class:`ChapterResult` per chapter run or skipped."""

    out: Path
    chapters: list[ChapterResult]
    seconds: float

    @property
    def failed(self) -> list[ChapterResult]:
        """The chapters that failed."""
        return [c for c in self.chapters if c.status == "failed"]

    @property
    def exit_status(self) -> int:
        """0 if every chapter ran (or was skipped as unchanged), 1 otherwise."""
        return 1 if self.failed else 0


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


def _source_digest() -> str:
    """sha256 over edgelab's Python sources and data files, so code/data edits invalidate --resume."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    files = sorted(pkg.rglob("*.py"))
    data_dir = data_path("reported.csv").parent
    files += sorted(data_dir.glob("*.csv"))
    for f in files:
        if "__pycache__" in f.parts:
            continue
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def input_fingerprint(
    notebook: str | os.PathLike[str],
    params: dict[str, Any],
    *,
    version: str | None = None,
    source_digest: str | None = None,
) -> dict[str, str]:
    """The inputs that decide whether ``--resume`` may skip a chapter (issue 3, robustness).

    Notebook content hash, edgelab version (plus a digest of its sources and data files, so
    an edit between releases also counts) and the parameters (``out_dir`` excluded).
    """
    nb_hash = hashlib.sha256(Path(notebook).read_bytes()).hexdigest()
    p = {k: v for k, v in params.items() if k != "out_dir"}
    inputs = {
        "notebook_sha256": nb_hash,
        "edgelab_version": version or _edgelab_version(),
        "edgelab_source_sha256": source_digest or _source_digest(),
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
def _kernel_env() -> Iterator[None]:
    """Let the kernel import the same edgelab as this process when it runs from a checkout."""
    root = repo_root()
    old = os.environ.get("PYTHONPATH")
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
    whose kernel stalls (:class:`~edgelab._nbexec.KernelStallError`) is re-executed once, and
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

    from edgelab._nbexec import KernelStallError, execute_notebook

    res = ChapterResult(name=nb_path.stem, status="ok")
    stalled = False
    try:
        with _kernel_env():
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
    """Run every chapter and compile the summary (issue 3, "The command").

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
    version, digest = _edgelab_version(), _source_digest()
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


# =========================================================================== summary
def _fmt_value(v: Any) -> str:
    """A reproduced value as a deterministic CSV cell."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        return FLOAT_FORMAT % v if isinstance(v, float) else str(v)
    return "" if v is None else str(v)


def _short(v: Any) -> str:
    """A reproduced value for humans (4 significant digits)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([[("" if x is None else x) for x in r] for r in rows])
    return buf.getvalue()


def _md_cell(v: Any) -> str:
    return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _load_claims(out: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(chapter, claim_id, record) for every claim in OUT/tables/*__claims.json, sorted."""
    found = []
    for p in sorted((out / TABLES).glob("*__claims.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except ValueError as e:
            raise EdgelabError(f"{p} is not valid JSON: {e}") from None
        chapter = doc.get("chapter") or p.name.split("__")[0]
        for cid, rec in sorted(doc.get("claims", {}).items()):
            found.append((chapter, cid, rec))
    return sorted(found, key=lambda t: (t[1], t[0]))


def _load_manifests(out: Path) -> list[dict[str, Any]]:
    ms = []
    for p in sorted((out / RUNS).glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            ms.append(json.loads(p.read_text(encoding="utf-8")))
    return ms


def compile_summary(
    out: str | os.PathLike[str], *, reported_path: str | os.PathLike[str] | None = None
) -> Path:
    """Build ``OUT/summary.csv``, ``summary.md``, ``summary_uncovered.csv`` and Tables 2/4.

    One row per (claim, chapter) recorded in ``OUT/tables/*__claims.json``: the reported value
    verbatim, ours with units and setting, the verdict by the row's ``verdict_rule`` and the
    rule itself. Reported claims no chapter covers are listed apart and counted. The CSVs are
    deterministic (same tables in, same bytes out). Returns the path of summary.md.
    """
    out = Path(out)
    rep = reported_table(path=reported_path)
    by_id = {r["claim_id"]: r for r in rep.to_dict("records")}
    rows: list[list[Any]] = []
    covered: dict[str, list[dict[str, Any]]] = {}
    for chapter, cid, rec in _load_claims(out):
        value = rec.get("value")
        r = by_id.get(cid)
        if r is None:
            verdict, reason = NOT_CHECKED, "claim_id not in data/reported.csv"
            r = {
                "system": "?",
                "metric": "?",
                "reported_value": "",
                "units": "",
                "verdict_rule": "",
                "section_or_table": "",
                "seed_file": "",
            }
        else:
            low = None if math.isnan(r["reported_low"]) else r["reported_low"]
            high = None if math.isnan(r["reported_high"]) else r["reported_high"]
            verdict, reason = evaluate(r["verdict_rule"], value, low, high)
        row = {
            "claim_id": cid,
            "system": r["system"],
            "metric": r["metric"],
            "reported_value": r["reported_value"],
            "reported_units": r["units"],
            "reproduced_value": _fmt_value(value),
            "units": rec.get("units", ""),
            "setting": rec.get("setting", ""),
            "verdict": verdict,
            "verdict_rule": r["verdict_rule"],
            "reason": reason,
            "chapter": chapter,
            "source": f"{r['seed_file'][:3]} {r['section_or_table']}".strip(),
        }
        rows.append([row[c] for c in SUMMARY_COLUMNS])
        covered.setdefault(cid, []).append({**row, "value": value, "note": rec.get("note", "")})

    atomic_write_text(out / "summary.csv", _csv_text(SUMMARY_COLUMNS, rows))
    uncovered = [r for r in rep.to_dict("records") if r["claim_id"] not in covered]
    unc_cols = [
        "claim_id",
        "system",
        "metric",
        "reported_value",
        "reproducible_here",
        "verdict_rule",
        "source",
    ]
    unc_rows = [
        [
            u["claim_id"],
            u["system"],
            u["metric"],
            u["reported_value"],
            u["reproducible_here"],
            u["verdict_rule"],
            f"{u['seed_file'][:3]} {u['section_or_table']}".strip(),
        ]
        for u in uncovered
    ]
    atomic_write_text(out / "summary_uncovered.csv", _csv_text(unc_cols, unc_rows))
    regenerate_survey_tables(out, rep, covered)

    # ---- summary.md (deterministic too: no times, no absolute paths)
    manifests = _load_manifests(out)
    md: list[str] = ["# edgelab reproduction summary", ""]
    modes = sorted({m.get("inputs", {}).get("parameters", "") for m in manifests} - {""})
    if modes:
        md += ["Parameters: " + "; ".join(f"`{p}`" for p in modes), ""]
    failed = [m for m in manifests if m.get("status") == "failed"]
    md += [f"Chapters: {len(manifests)} ({len(failed)} failed).", ""]
    if manifests:
        per_chapter: dict[str, int] = {}
        for c in (c for cs in covered.values() for c in cs):
            per_chapter[c["chapter"]] = per_chapter.get(c["chapter"], 0) + 1
        md += ["## Chapters", ""]
        md.append(
            _md_table(
                ["chapter", "status", "files in tables/", "claims"],
                [
                    [
                        m["name"],
                        m.get("status", "?"),
                        len(m.get("outputs", {})),
                        per_chapter.get(m["name"], 0),
                    ]
                    for m in manifests
                ],
            )
        )
    if failed:
        md += ["## Failures", ""]
        for m in failed:
            res = ChapterResult(
                name=m["name"],
                status="failed",
                error=m.get("error"),
                cell_index=m.get("cell_index"),
                cell_source=m.get("cell_source"),
            )
            md.append(f"- **{m['name']}** failed at {res.describe_failure()}")
        md.append("")
    counts = {v: sum(1 for r in rows if r[SUMMARY_COLUMNS.index("verdict")] == v) for v in VERDICTS}
    md += [f"## Claims reproduced ({len(rows)})", ""]
    md.append(", ".join(f"{k}: {v}" for k, v in counts.items()) + "\n")
    if rows:
        md.append(
            _md_table(
                ["claim", "system", "metric", "reported", "edgelab", "verdict", "rule", "chapter"],
                [
                    [
                        c["claim_id"],
                        c["system"],
                        c["metric"],
                        c["reported_value"],
                        f"{_short(c['value'])} {c['units']}".strip()
                        + (f" ({c['setting']})" if c["setting"] else ""),
                        c["verdict"],
                        c["verdict_rule"],
                        c["chapter"],
                    ]
                    for cid in sorted(covered)
                    for c in covered[cid]
                ],
            )
        )
    can = [u for u in uncovered if u["reproducible_here"] == "yes"]
    cannot = [u for u in uncovered if u["reproducible_here"] != "yes"]
    md += [
        f"## Reported claims not covered ({len(uncovered)} of {len(rep)}; "
        f"{len(can)} of them re-checkable here)",
        "",
        f"### Re-checkable on a laptop, no chapter yet ({len(can)})",
        "",
    ]
    md += [f"- `{u['claim_id']}`: {u['system']}, {u['metric']}: {u['reported_value']}" for u in can]
    md += ["", f"### Not re-checkable here (rule `none`) ({len(cannot)})", ""]
    md += [
        f"- `{u['claim_id']}`: {u['system']}, {u['metric']}: {u['reported_value']}" for u in cannot
    ]
    md += [
        "",
        "Regenerated survey tables: [Table 2](table2_training.md), [Table 4](table4_inference.md).",
        "",
    ]
    return atomic_write_text(out / "summary.md", "\n".join(md)).resolve()


def regenerate_survey_tables(
    out: str | os.PathLike[str],
    rep: Any | None = None,
    covered: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Path]:
    """Seed 003's Table 2 (training) and Table 4 (inference) with an ``edgelab`` column.

    Rows are those of ``data/reported.csv`` whose ``section_or_table`` starts with
    "Table 2" / "Table 4", with the survey's columns (system, architecture, EI level,
    technique, reported effectiveness); ``edgelab`` holds our value and verdict, or
    "not reproduced yet" ("not re-checkable here" for rule ``none`` rows).
    """
    out = Path(out)
    if rep is None:
        rep = reported_table()
    covered = covered or {}
    written = []
    for stem, (prefix, title) in SURVEY_TABLES.items():
        rows = []
        for r in rep.to_dict("records"):
            if not r["section_or_table"].startswith(prefix):
                continue
            if r["claim_id"] in covered:
                ed = "; ".join(
                    f"{_short(c['value'])} {c['units']}".strip()
                    + (f" ({c['setting']})" if c["setting"] else "")
                    + f": {c['verdict']} [{c['chapter']}]"
                    for c in covered[r["claim_id"]]
                )
            elif r["reproducible_here"] == "yes":
                ed = "not reproduced yet"
            else:
                ed = "not re-checkable here"
            rows.append(
                [
                    r["system"],
                    r["architecture"],
                    r["ei_level"],
                    r["technique"],
                    f"{r['metric']}: {r['reported_value']}",
                    ed,
                    r["claim_id"],
                ]
            )
        written.append(atomic_write_text(out / f"{stem}.csv", _csv_text(SURVEY_COLUMNS, rows)))
        header = [
            "System or framework",
            "Architecture",
            "EI level",
            "Employed technology",
            "Effectiveness (reported)",
            "edgelab",
            "claim",
        ]
        md = (
            f"# {title}\n\nRegenerated by `edgelab reproduce` from data/reported.csv.\n\n"
            + _md_table(header, rows)
        )
        written.append(atomic_write_text(out / f"{stem}.md", md))
    return written


# =========================================================================== compare
@dataclass
class CompareReport:
    """Differences between two OUT folders (see :func:`compare_runs`)."""

    changed: list[str] = field(default_factory=list)  # one line per changed cell / shape
    added: list[str] = field(default_factory=list)  # files only in RUN_B
    removed: list[str] = field(default_factory=list)  # files only in RUN_A
    files_compared: int = 0

    def differs(self, *, strict: bool = False) -> bool:
        """True if a cell changed beyond tolerance or a file was removed (or added, if strict)."""
        return bool(self.changed or self.removed or (strict and self.added))

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        out = [f"compared {self.files_compared} files"]
        out += [f"removed: {f}" for f in self.removed]
        out += [f"added:   {f}" for f in self.added]
        out += [f"changed: {c}" for c in self.changed]
        if not (self.changed or self.removed or self.added):
            out.append("no differences beyond tolerance")
        return out


def _compared_files(run: Path) -> dict[str, Path]:
    files = {}
    for pattern in (
        f"{TABLES}/*.csv",
        f"{TABLES}/*.json",
        "summary.csv",
        "table2_training.csv",
        "table4_inference.csv",
    ):
        for p in run.glob(pattern):
            if not p.name.startswith("."):
                files[p.relative_to(run).as_posix()] = p
    return files


def _num_or_none(s: Any) -> float | None:
    if isinstance(s, bool) or s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    try:
        return float(str(s).strip())
    except ValueError:
        return None


def _cell_equal(a: Any, b: Any, rtol: float, atol: float) -> bool:
    if a == b:
        return True
    x, y = _num_or_none(a), _num_or_none(b)
    if x is None or y is None:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= atol + rtol * abs(y)


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        flat: dict[str, Any] = {}
        for k, v in obj.items():
            flat.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return flat
    if isinstance(obj, list):
        flat = {}
        for i, v in enumerate(obj):
            flat.update(_flatten(v, f"{prefix}[{i}]"))
        return flat
    return {prefix: obj}


def _keyed(
    rows: list[list[str]], header: list[str], key_cols: Sequence[str]
) -> dict[Any, list[str]] | None:
    if not all(k in header for k in key_cols):
        return None
    idx = [header.index(k) for k in key_cols]
    keyed = {}
    for r in rows:
        k = tuple(r[i] if i < len(r) else "" for i in idx)
        if k in keyed:
            return None
        keyed[k] = r
    return keyed


def _read_compared_csv(name: str, path: Path, report: CompareReport) -> list[list[str]] | None:
    """Rows of ``path``, or None after reporting it (by name and path) as unreadable."""
    try:
        return read_csv_rows(path)
    except (UnicodeDecodeError, csv.Error) as e:
        why = f"not UTF-8 text ({e.reason} at byte {e.start})" if isinstance(
            e, UnicodeDecodeError) else str(e)
        report.changed.append(f"{name}: unreadable CSV {path}: {why}")
        return None


def _compare_csv(
    name: str, a: Path, b: Path, rtol: float, atol: float, report: CompareReport
) -> None:
    ra, rb = _read_compared_csv(name, a, report), _read_compared_csv(name, b, report)
    if ra is None or rb is None:
        return
    ha, hb = (ra[0] if ra else []), (rb[0] if rb else [])
    body_a, body_b = ra[1:], rb[1:]
    if ha != hb:
        gone = [c for c in ha if c not in hb]
        new = [c for c in hb if c not in ha]
        report.changed.append(f"{name}: columns changed (removed {gone}, added {new})")
    cols = [c for c in ha if c in hb]
    # summary-like files are aligned on their key, everything else by row position
    ka = (
        _keyed(body_a, ha, ("claim_id", "chapter"))
        if "chapter" in ha
        else _keyed(body_a, ha, ("claim_id",))
    )
    kb = (
        _keyed(body_b, hb, ("claim_id", "chapter"))
        if "chapter" in hb
        else _keyed(body_b, hb, ("claim_id",))
    )
    if ka is not None and kb is not None:
        pairs = [(k, ka[k], kb[k]) for k in ka if k in kb]
        for k in ka:
            if k not in kb:
                report.changed.append(f"{name}: row {'/'.join(k)} removed")
        for k in kb:
            if k not in ka:
                report.changed.append(f"{name}: row {'/'.join(k)} added")
        labelled = [("/".join(k), x, y) for k, x, y in pairs]
    else:
        if len(body_a) != len(body_b):
            report.changed.append(f"{name}: {len(body_a)} rows -> {len(body_b)} rows")
        labelled = [
            (str(i + 1), x, y) for i, (x, y) in enumerate(zip(body_a, body_b, strict=False))
        ]
    for label, x, y in labelled:
        for c in cols:
            i, j = ha.index(c), hb.index(c)
            va = x[i] if i < len(x) else ""
            vb = y[j] if j < len(y) else ""
            if not _cell_equal(va, vb, rtol, atol):
                report.changed.append(f"{name}: row {label}, column {c!r}: {va!r} -> {vb!r}")


def _first(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _compare_json(
    name: str, a: Path, b: Path, rtol: float, atol: float, report: CompareReport
) -> None:
    flat = []
    for p in (a, b):
        try:
            flat.append(_flatten(json.loads(p.read_text(encoding="utf-8"))))
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
            report.changed.append(f"{name}: unreadable JSON {p}: {_first(e)}")
            return
    fa, fb = flat
    for k in sorted(set(fa) | set(fb)):
        if k not in fb:
            report.changed.append(f"{name}: {k} removed")
        elif k not in fa:
            report.changed.append(f"{name}: {k} added")
        elif not _cell_equal(fa[k], fb[k], rtol, atol):
            report.changed.append(f"{name}: {k}: {fa[k]!r} -> {fb[k]!r}")


def compare_runs(
    run_a: str | os.PathLike[str],
    run_b: str | os.PathLike[str],
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
) -> CompareReport:
    """Compare two OUT folders cell by cell (issue 3, "Drift").

    Compared: every ``tables/*.csv`` and ``tables/*.json`` (claims/metrics, leaf by leaf),
    ``summary.csv`` and the regenerated Table 2/4 CSVs. Numbers are equal when
    ``|a - b| <= atol + rtol * |b|``; other cells must match exactly. ``summary.csv``-like
    files are aligned on ``claim_id``/``chapter``, others by row position.
    """
    from edgelab._validate import positive

    a, b = Path(run_a), Path(run_b)
    for p, what in ((a, "run_a (RUN_A)"), (b, "run_b (RUN_B)")):
        if not p.is_dir():
            if p.exists():
                raise EdgelabError(f"{what} must be an OUT folder of edgelab reproduce, got "
                                   f"{str(p)!r}, which is a file")
            raise EdgelabError(f"run folder not found: {p}")
    rtol = positive("rtol (--rtol)", rtol, allow_zero=True)
    atol = positive("atol (--atol)", atol, allow_zero=True)
    fa, fb = _compared_files(a), _compared_files(b)
    if not fa and not fb:
        raise EdgelabError(
            f"neither {a} nor {b} holds tables/ or summary.csv: are these OUT folders?"
        )
    report = CompareReport()
    report.removed = sorted(set(fa) - set(fb))
    report.added = sorted(set(fb) - set(fa))
    for name in sorted(set(fa) & set(fb)):
        report.files_compared += 1
        if fa[name].read_bytes() == fb[name].read_bytes():
            continue
        if name.endswith(".json"):
            _compare_json(name, fa[name], fb[name], rtol, atol, report)
        else:
            _compare_csv(name, fa[name], fb[name], rtol, atol, report)
    return report


def summary_counts(out: str | os.PathLike[str]) -> dict[str, int]:
    """Verdict counts of ``OUT/summary.csv`` (for the CLI's closing line)."""
    path = Path(out) / "summary.csv"
    rows = read_csv_rows(path) if path.exists() else []
    if not rows:
        return {}
    i = rows[0].index("verdict")
    counts: dict[str, int] = {}
    for r in rows[1:]:
        counts[r[i]] = counts.get(r[i], 0) + 1
    return counts
