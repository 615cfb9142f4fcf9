"""Stall benchmark of notebook execution: printed figures, not a test.

Runs a notebook of ``interact`` cells (the cell kind that stalled ``make reproduce`` and CI) N
times through each execution path, every run a fresh process with a fresh kernel, and prints
runs, stalls, retries, rescued wake-ups and the median seconds of a run::

    python tests/benchmarks/bench_execution.py --runs 300                 # the project's path
    python tests/benchmarks/bench_execution.py --runs 100 --variants stock,no-echo,rearm,edgelab
    python tests/benchmarks/bench_execution.py --runs 3 --chapters       # and each real chapter

Variants (see ``edgelab/pipeline/nbexec.py`` for the mechanism):

* ``stock``    papermill's own engine (nbclient), as before the fix;
* ``no-echo``  only change 1: Output widgets do not echo their outputs to the kernel;
* ``rearm``    only change 2: a send on the shell channel re-arms the asyncio wake-up;
* ``edgelab``  the project's path: :func:`edgelab.pipeline.run_chapter` with all four changes
  (no echo, re-armed sends, bounded waits, stall detection) and its one re-execution.

A run that makes no progress for ``--stall-after`` seconds is killed and counted as a stall
(for ``edgelab`` a stall that reaches the user is a chapter that failed with
:class:`~edgelab.pipeline.nbexec.KernelStallError` after its retry). ``rescued`` counts bounded waits
that found a message whose wake-up had been lost, ``retries`` the chapters re-executed once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("stock", "no-echo", "rearm", "edgelab")

#: The notebook: a parameters cell, then three ``interact`` cells (chapter 01's last cell kind).
CELLS = [
    "quick = True\nseed = 0\nout_dir = 'out'",
    "import ipywidgets as widgets\n\ndef f(a=1):\n    print(a * 2)\n    return a",
    "widgets.interact(f, a=(0, 10));",
    "widgets.interact(f, a=(0, 20));",
    "widgets.interact(f, a=(0, 30));",
]

#: One run, in a child process: ``python -c CHILD VARIANT NOTEBOOK OUT_DIR``; prints JSON.
CHILD = r"""
import json, sys, time
import papermill as pm
from edgelab.pipeline import nbexec as _nbexec
from edgelab.pipeline import run_chapter
variant, nb, out = sys.argv[1:4]
t0 = time.perf_counter()  # imports done: the seconds are the kernel's start, run and shutdown
res = {"variant": variant, "retries": 0, "rescued": 0, "failed": None}
if variant == "edgelab":
    r = run_chapter(nb, out, {"quick": True, "seed": 0, "out_dir": out}, cell_timeout=None)
    res.update(retries=r.retries, rescued=_nbexec.STATS["rescued"],
               failed=None if r.ok else r.error)
else:
    engine = "nbclient"
    if variant != "stock":
        class Client(_nbexec.EdgelabNotebookClient):
            echo_output_widgets = variant != "no-echo"
            rearm_after_send = variant == "rearm"
            bounded_waits = False
            ipc_transport = False

        class Engine(_nbexec.EdgelabEngine):
            client_class = Client

        pm.engines.papermill_engines.register("bench", Engine)
        engine = "bench"
    pm.execute_notebook(nb, out + "/run.ipynb", kernel_name="python3", progress_bar=False,
                        engine_name=engine, log_output=False)
res["seconds"] = time.perf_counter() - t0
print("RESULT " + json.dumps(res))
"""


def make_notebook(folder: Path) -> Path:
    """Write the interact notebook into ``folder``; return its path."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    path = folder / "interact_cells.ipynb"
    nbformat.write(nb, str(path))
    return path


def run_once(variant: str, notebook: Path, stall_after: float) -> dict:
    """One run in a fresh process; ``stalled`` when it made no progress for ``stall_after`` s."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="bench-exec-") as out:
        t0 = time.perf_counter()
        # a new session, so that a stalled run's kernel is killed with it
        proc = subprocess.Popen([sys.executable, "-c", CHILD, variant, str(notebook), out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=stall_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            return {"variant": variant, "stalled": True, "seconds": time.perf_counter() - t0}
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"variant": variant, "stalled": False, "error": stderr.strip()[-500:],
                "seconds": time.perf_counter() - t0}
    res = json.loads(lines[-1][len("RESULT "):])
    res["stalled"] = bool(res.get("failed")) and "stalled" in res["failed"]
    res["process_seconds"] = time.perf_counter() - t0
    return res


def summarise(variant: str, runs: list[dict]) -> dict:
    """Runs, stalls, retries, rescued wake-ups, errors and the median seconds of a good run."""
    good = [r["seconds"] for r in runs if not r["stalled"] and "error" not in r]
    return {
        "variant": variant,
        "runs": len(runs),
        "stalls": sum(r["stalled"] for r in runs),
        "retries": sum(r.get("retries", 0) for r in runs),
        "rescued": sum(r.get("rescued", 0) for r in runs),
        "errors": sum("error" in r for r in runs),
        "median_s": round(statistics.median(good), 2) if good else None,
    }


def bench_chapters(repeats: int) -> list[dict]:
    """Each real chapter ``repeats`` times through ``run_chapter`` (quick mode)."""
    sys.path.insert(0, str(ROOT))
    from edgelab.pipeline import discover_notebooks, find_notebooks_dir, run_chapter

    rows = []
    for nb in discover_notebooks(find_notebooks_dir(ROOT / "notebooks")):
        stats = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="bench-ch-") as out:
                r = run_chapter(nb, out, {"quick": True, "seed": 0, "out_dir": out},
                                cell_timeout=300)
                stats.append(r)
        rows.append({"chapter": nb.stem, "runs": repeats,
                     "failed": sum(not r.ok for r in stats),
                     "retries": sum(r.retries for r in stats),
                     "median_s": round(statistics.median(r.seconds for r in stats), 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line of the benchmark (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="runs per variant (default 20)")
    ap.add_argument("--variants", default="edgelab",
                    help=f"comma-separated, from {','.join(VARIANTS)} (default edgelab)")
    ap.add_argument("--stall-after", type=float, default=30.0,
                    help="kill a run after this many seconds and count a stall (default 30)")
    ap.add_argument("--chapters", action="store_true",
                    help="also run each real chapter --chapter-runs times")
    ap.add_argument("--chapter-runs", type=int, default=3)
    ap.add_argument("--json", metavar="FILE", help="also write every run's record here")
    args = ap.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or args.runs < 1 or not args.stall_after > 0:
        ap.error(f"--variants from {VARIANTS}, --runs >= 1, --stall-after > 0 (got {bad or ''})")

    records: dict[str, list[dict]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="bench-nb-") as d:
        nb = make_notebook(Path(d))
        for i in range(args.runs):
            for v in variants:  # interleaved, so machine drift hits every variant alike
                records[v].append(run_once(v, nb, args.stall_after))
            if (i + 1) % 25 == 0:
                print(f"  {i + 1}/{args.runs} runs: "
                      + ", ".join(f"{v} {sum(r['stalled'] for r in records[v])} stalls"
                                  for v in variants), flush=True)
    rows = [summarise(v, records[v]) for v in variants]
    print(f"\nnotebook of {len(CELLS) - 2} interact cells, {args.runs} runs per variant, "
          f"a run with no result after {args.stall_after:.0f} s counts as a stall")
    print(f"{'variant':<10}{'runs':>6}{'stalls':>8}{'retries':>9}{'rescued':>9}{'errors':>8}"
          f"{'median s':>10}")
    for r in rows:
        print(f"{r['variant']:<10}{r['runs']:>6}{r['stalls']:>8}{r['retries']:>9}"
              f"{r['rescued']:>9}{r['errors']:>8}{r['median_s'] if r['median_s'] else '-':>10}")
    ref = next((r for r in rows if r["variant"] == "stock"), None)
    for r in rows:
        if ref is not None and r is not ref and ref["median_s"] and r["median_s"]:
            print(f"median run time {r['variant']} / stock = {r['median_s'] / ref['median_s']:.2f}")
    target = next((r for r in rows if r["variant"] == "edgelab"), None)
    if target is not None:
        ok = target["stalls"] == 0 and target["errors"] == 0
        print(f"target: 0 stalls reaching the user in {target['runs']} runs of the project's "
              f"path: {'PASS' if ok else 'FAIL'}")
    if args.chapters:
        print("\nreal chapters, quick mode, through edgelab.pipeline.run_chapter:")
        for row in bench_chapters(args.chapter_runs):
            print(f"  {row['chapter']:<24} runs {row['runs']}  failed {row['failed']}  "
                  f"retries {row['retries']}  median {row['median_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": rows, "runs": records}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
