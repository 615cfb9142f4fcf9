"""Tests of edgelab.pipeline and the verdict rules (issue 3: robustness, drift, summary).

Fixture chapters are tiny notebooks generated with nbformat; each papermill run costs ~1-2 s,
so the expensive runs are shared through a module-scoped fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from edgelab.claims import DIFFERS, MATCHES, NOT_CHECKED, SAME_DIRECTION, evaluate, parse_rule
from edgelab.cli import main as cli_main
from edgelab.pipeline import (
    compare_runs,
    compile_summary,
    discover_notebooks,
    input_fingerprint,
    reproduce,
)
from edgelab.pipeline import run as pipeline_run

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
import time
import numpy as np
import pandas as pd
from edgelab.record import Recorder
rec = Recorder("{name}", out_dir=out_dir)
rng = np.random.default_rng(seed)
n = 5 if quick else 50
rec.table("sample", pd.DataFrame({{"x": np.arange(n), "y": rng.normal(size=n)}}))
rec.claim("alexnet_weights", 61_100_840, units="weights", setting="torchvision")
rec.claim("modnn_speedup", 1.5 + float(rng.random()), units="x")
rec.metric("mean_y", float(rng.normal()))
rec.timing("wall", time.perf_counter())  # differs every run: must stay out of tables/
"""


def make_notebook(path: Path, code: str, *, extra_cells: list[str] | None = None) -> Path:
    """A chapter-shaped notebook: title, tagged parameters cell, then ``code`` (and extras)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("quick = True\nseed = 0\nout_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        params,
        nbformat.v4.new_code_cell(code),
    ]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in extra_cells or []]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def good_notebook(folder: Path, name: str) -> Path:
    return make_notebook(folder / f"{name}.ipynb", GOOD.format(name=name))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Two chapters run twice with seed 0: sequentially into A, with --jobs 2 into B."""
    base = tmp_path_factory.mktemp("runs")
    nbs = base / "notebooks"
    good_notebook(nbs, "00_alpha")
    good_notebook(nbs, "01_beta")
    ra = reproduce(base / "A", notebooks_dir=nbs, seed=0, progress=False, echo=lambda s: None)
    rb = reproduce(
        base / "B", notebooks_dir=nbs, seed=0, jobs=2, progress=False, echo=lambda s: None
    )
    assert ra.exit_status == 0 and rb.exit_status == 0, [c.error for c in ra.chapters + rb.chapters]
    return nbs, base / "A", base / "B"


# ============================================================================ verdict rules
@pytest.mark.parametrize(
    "text",
    [
        "",
        "within_rel",
        "within_rel:x",
        "within_rel:-1",
        "range:a",
        "direction:",
        "direction:up",
        "exact",
        "within_rel:0.1:1:2",
    ],
)
def test_parse_rule_rejects_bad_grammar(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(text)


def test_rule_none() -> None:
    assert evaluate("none", 1.0, 2.0, 2.0)[0] == NOT_CHECKED


def test_rule_within_rel() -> None:
    assert evaluate("within_rel:0.05", 61.1e6, 61e6, 61e6)[0] == MATCHES
    assert evaluate("within_rel:0.05", 63.9e6, 61e6, 61e6)[0] == MATCHES  # 4.75 %
    assert evaluate("within_rel:0.05", 70e6, 61e6, 61e6)[0] == DIFFERS
    assert evaluate("within_rel:0.05", 64.06e6, 61e6, 61e6)[0] == DIFFERS  # 5.02 %
    # with a neutral value: a gain of the wrong size is "same direction", a loss differs
    assert evaluate("within_rel:0.25:0", 21.0, 20.0, 20.0)[0] == MATCHES
    assert evaluate("within_rel:0.25:0", 5.0, 20.0, 20.0)[0] == SAME_DIRECTION
    assert evaluate("within_rel:0.25:0", -5.0, 20.0, 20.0)[0] == DIFFERS
    assert evaluate("within_rel:0.05", 1.0, None, None)[0] == DIFFERS  # nothing to compare with


def test_rule_within_abs() -> None:
    assert evaluate("within_abs:0.5", 0.4, 0.0, 0.0)[0] == MATCHES
    assert evaluate("within_abs:0.5", 0.6, 0.0, 0.0)[0] == DIFFERS
    assert evaluate("within_abs:1:10", 12.0, 20.0, 20.0)[0] == SAME_DIRECTION


def test_rule_range() -> None:
    assert evaluate("range:1", 3.1, 3.1, 40.7)[0] == MATCHES  # inclusive bounds
    assert evaluate("range:1", 40.7, 3.1, 40.7)[0] == MATCHES
    assert evaluate("range:1", 2.0, 3.1, 40.7)[0] == SAME_DIRECTION  # a gain, but smaller
    assert evaluate("range:1", 50.0, 3.1, 40.7)[0] == SAME_DIRECTION
    assert evaluate("range:1", 0.8, 3.1, 40.7)[0] == DIFFERS  # a slowdown
    assert evaluate("range", 2.0, 3.1, 40.7)[0] == DIFFERS  # no neutral: no same direction
    assert evaluate("range:0", 70.0, 59.5, 94.7)[0] == MATCHES  # % reduction
    assert evaluate("range:0", 10.0, 59.5, 94.7)[0] == SAME_DIRECTION
    assert evaluate("range:0", -3.0, 59.5, 94.7)[0] == DIFFERS
    # open bounds: "over 20%", and a deadline "100-ms latency" (ours <= 100 ms)
    assert evaluate("range:0", 25.0, 20.0, None)[0] == MATCHES
    assert evaluate("range:0", 15.0, 20.0, float("nan"))[0] == SAME_DIRECTION
    assert evaluate("range", 42.0, None, 100.0)[0] == MATCHES
    assert evaluate("range", 140.0, None, 100.0)[0] == DIFFERS


def test_rule_direction() -> None:
    assert evaluate("direction:+", True)[0] == MATCHES
    assert evaluate("direction:+", False)[0] == DIFFERS
    assert evaluate("direction:+", 0.3)[0] == MATCHES
    assert evaluate("direction:+", 0)[0] == DIFFERS
    assert evaluate("direction:-", -2)[0] == MATCHES
    assert evaluate("direction:-", False)[0] == MATCHES
    assert evaluate("direction:+", "yes")[0] == DIFFERS  # wrong kind is never a match
    assert evaluate("range:1", True, 1.0, 2.0)[0] == DIFFERS


# ============================================================================ discovery
def test_discover_only_glob(tmp_path: Path) -> None:
    for n in ("00_a", "01_b", "02_c"):
        (tmp_path / f"{n}.ipynb").write_text("{}")
    (tmp_path / ".hidden.ipynb").write_text("{}")
    assert [p.stem for p in discover_notebooks(tmp_path)] == ["00_a", "01_b", "02_c"]
    assert [p.stem for p in discover_notebooks(tmp_path, "01_*")] == ["01_b"]
    assert [p.stem for p in discover_notebooks(tmp_path, "00_a.ipynb,02*")] == ["00_a", "02_c"]


def test_reproduce_without_chapters_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "nbs").mkdir()
    code = cli_main(
        ["reproduce", "--notebooks", str(tmp_path / "nbs"), "--out", str(tmp_path / "o")]
    )
    assert code == 2


# ============================================================================ determinism
def test_same_seed_gives_byte_identical_tables(two_runs: tuple[Path, Path, Path]) -> None:
    _, a, b = two_runs
    names = sorted(p.name for p in (a / "tables").iterdir())
    assert names == sorted(p.name for p in (b / "tables").iterdir())
    assert "00_alpha__sample.csv" in names and "01_beta__claims.json" in names
    for n in names:
        assert (a / "tables" / n).read_bytes() == (b / "tables" / n).read_bytes(), n
    for n in (
        "summary.csv",
        "summary_uncovered.csv",
        "summary.md",
        "table2_training.csv",
        "table4_inference.csv",
        "table2_training.md",
        "table4_inference.md",
    ):
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    # timings are recorded, but apart from the tables
    assert (a / "timings" / "00_alpha.json").exists()
    timings = json.loads((a / "timings.json").read_text())
    assert set(timings["chapters"]) == {"00_alpha", "01_beta"}
    # the executed notebooks went to OUT/runs, never over the source
    assert (a / "runs" / "00_alpha.ipynb").exists()
    src = nbformat.read(str(two_runs[0] / "00_alpha.ipynb"), as_version=4)
    assert all(not c.get("outputs") for c in src.cells if c.cell_type == "code")


def test_summary_rows_and_verdicts(two_runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = two_runs
    s = pd.read_csv(a / "summary.csv", dtype=str, keep_default_na=False)
    assert len(s) == 4  # two claims x two chapters
    aw = s[s.claim_id == "alexnet_weights"].iloc[0]
    assert aw.reported_value == "61 million"
    assert aw.verdict == "matches" and aw.verdict_rule == "within_rel:0.05"
    assert aw.setting == "torchvision" and aw.units == "weights"
    assert set(s.chapter) == {"00_alpha", "01_beta"}
    md = (a / "summary.md").read_text()
    assert "not covered" in md and "`fedavg_rounds`" in md
    # every uncovered claim not re-checkable here shows its reason, counted by reason
    assert "- `cisco_edge_data_2021` (forecast):" in md and "| forecast |" in md
    unc = pd.read_csv(a / "summary_uncovered.csv", dtype=str, keep_default_na=False)
    assert (unc.not_reproducible_reason != "").tolist() == (unc.reproducible_here != "yes").tolist()
    t4 = pd.read_csv(a / "table4_inference.csv", dtype=str, keep_default_na=False)
    assert "neurosurgeon_latency" in set(t4.claim_id)
    assert (t4.set_index("claim_id").loc["neurosurgeon_latency", "edgelab"]) == "not reproduced yet"
    t2 = pd.read_csv(a / "table2_training.csv", dtype=str, keep_default_na=False)
    assert "fedavg_rounds" in set(t2.claim_id)


# ============================================================================ compare
def test_compare_identical_runs_exit_0(two_runs: tuple[Path, Path, Path]) -> None:
    _, a, b = two_runs
    assert cli_main(["compare", str(a), str(b)]) == 0


def test_compare_detects_changed_cell(
    two_runs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, a, b = two_runs
    c = tmp_path / "C"
    shutil.copytree(b, c)
    t = c / "tables" / "00_alpha__sample.csv"
    rows = t.read_text().splitlines()
    x, y = rows[2].split(",")
    rows[2] = f"{x},{float(y) * 1.01}"
    t.write_text("\n".join(rows) + "\n")
    assert cli_main(["compare", str(a), str(c)]) == 1
    out = capsys.readouterr().out
    assert "00_alpha__sample.csv: row 2, column 'y'" in out
    # within a loose tolerance it is not drift
    assert cli_main(["compare", str(a), str(c), "--rtol", "0.02"]) == 0


def test_compare_claims_and_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        (d / "tables").mkdir(parents=True)
        (d / "tables" / "c__t.csv").write_text("k,v\nx,1.0\ny,2\n")
        (d / "tables" / "c__claims.json").write_text(json.dumps({"claims": {"q": {"value": 3.0}}}))
    assert not compare_runs(a, b).differs()
    (b / "tables" / "c__claims.json").write_text(json.dumps({"claims": {"q": {"value": 3.5}}}))
    rep = compare_runs(a, b)
    assert rep.differs() and "claims.q.value" in rep.changed[0]
    (b / "tables" / "c__claims.json").write_text(json.dumps({"claims": {"q": {"value": 3.0}}}))
    (b / "tables" / "c__new.csv").write_text("a\n1\n")
    rep = compare_runs(a, b)
    assert rep.added == ["tables/c__new.csv"] and not rep.differs() and rep.differs(strict=True)
    (a / "tables" / "c__gone.csv").write_text("a\n1\n")
    assert compare_runs(a, b).removed == ["tables/c__gone.csv"]
    assert cli_main(["compare", str(a), str(b)]) == 1
    # text cells compare exactly, numbers numerically ("1.0" == "1")
    (b / "tables" / "c__t.csv").write_text("k,v\nx,1\ny,2\n")
    (a / "tables" / "c__gone.csv").unlink()
    assert not compare_runs(a, b).differs()
    (b / "tables" / "c__t.csv").write_text("k,v\nX,1\ny,2\n")
    assert compare_runs(a, b).changed == ["tables/c__t.csv: row 1, column 'k': 'x' -> 'X'"]
    assert cli_main(["compare", str(a), str(tmp_path / "missing")]) == 2


# ============================================================================ resume
def test_input_fingerprint_covers_notebook_version_sources_params(tmp_path: Path) -> None:
    nb = good_notebook(tmp_path, "00_x")
    base = input_fingerprint(
        nb, {"quick": True, "seed": 0, "out_dir": "/a"}, version="1", source_digest="s"
    )
    same = input_fingerprint(
        nb, {"quick": True, "seed": 0, "out_dir": "/b"}, version="1", source_digest="s"
    )
    assert base["key"] == same["key"]  # the output folder is not an input
    for changed in (
        input_fingerprint(nb, {"quick": False, "seed": 0}, version="1", source_digest="s"),
        input_fingerprint(nb, {"quick": True, "seed": 0}, version="2", source_digest="s"),
        input_fingerprint(nb, {"quick": True, "seed": 0}, version="1", source_digest="t"),
    ):
        assert changed["key"] != base["key"]
    make_notebook(nb, GOOD.format(name="00_x") + "\n# edited")
    assert (
        input_fingerprint(nb, {"quick": True, "seed": 0}, version="1", source_digest="s")["key"]
        != base["key"]
    )


def test_resume_skips_unchanged_and_reruns_changed(
    two_runs: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbs0, a, _ = two_runs
    nbs, out = tmp_path / "notebooks", tmp_path / "OUT"
    shutil.copytree(nbs0, nbs)
    shutil.copytree(a, out)
    # pin edgelab's source digest to the one the fixture ran with (the package may be edited
    # while the tests run); a changed digest is covered by the fingerprint test above
    digest = json.loads((out / "runs" / "00_alpha.json").read_text())["inputs"][
        "edgelab_source_sha256"
    ]
    monkeypatch.setattr(pipeline_run, "sources_digest", lambda: digest)
    quiet = {"notebooks_dir": nbs, "progress": False, "echo": lambda s: None}
    res = reproduce(out, resume=True, **quiet)
    assert [c.status for c in res.chapters] == ["skipped", "skipped"]
    before = (out / "tables" / "01_beta__sample.csv").stat().st_mtime_ns
    # change one chapter: only it re-runs
    good = GOOD.format(name="01_beta").replace("n = 5 if quick", "n = 7 if quick")
    make_notebook(nbs / "01_beta.ipynb", good)
    res = reproduce(out, resume=True, **quiet)
    assert [c.status for c in res.chapters] == ["skipped", "ok"]
    assert len(pd.read_csv(out / "tables" / "01_beta__sample.csv")) == 7
    assert (out / "tables" / "01_beta__sample.csv").stat().st_mtime_ns != before
    # other parameters (another seed) re-run everything; a lost output re-runs its chapter
    assert [c.status for c in reproduce(out, resume=True, seed=1, **quiet).chapters] == ["ok", "ok"]
    (out / "tables" / "00_alpha__sample.csv").unlink()
    assert [c.status for c in reproduce(out, resume=True, seed=1, **quiet).chapters] == [
        "ok",
        "skipped",
    ]


# ============================================================================ failure isolation
def test_failing_chapter_is_isolated_and_named(tmp_path: Path) -> None:
    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "00_bad.ipynb", "x = 1", extra_cells=["y = 2\nresult = 1 / 0", "z = 3"])
    good_notebook(nbs, "01_good")
    out = tmp_path / "OUT"
    code = cli_main(
        ["reproduce", "--notebooks", str(nbs), "--out", str(out), "--no-progress"]
    )
    assert code == 1
    assert (out / "tables" / "01_good__sample.csv").exists()  # the other chapter still ran
    md = (out / "summary.md").read_text()
    assert "**00_bad** failed at cell 3 (`y = 2`): ZeroDivisionError: division by zero" in md
    manifest = json.loads((out / "runs" / "00_bad.json").read_text())
    assert manifest["status"] == "failed" and manifest["cell_index"] == 3
    assert (out / "runs" / "00_bad.ipynb").exists()
    # a failed chapter is never skipped by --resume
    res = reproduce(out, notebooks_dir=nbs, resume=True, progress=False, echo=lambda s: None)
    assert [c.status for c in res.chapters] == ["failed", "skipped"]


# ============================================================================ SIGKILL safety
KILL_CHILD = """\
import sys
import numpy as np, pandas as pd
from edgelab.record import Recorder
rec = Recorder("big", out_dir=sys.argv[1])
n = 60_000
i = 0
while True:
    df = pd.DataFrame({"i": np.full(n, i), "v": np.arange(n) * 0.5 + i})
    rec.table("t", df)
    rec.claim("modnn_speedup", 1.0 + i, units="x")
    i += 1
    if i == 1:
        print("written", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_sigkill_leaves_no_half_written_table(tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for delay in (0.05, 0.23, 0.41):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_CHILD, str(out)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        tables = out / "tables"
        for csv_path in tables.glob("*.csv"):
            df = pd.read_csv(csv_path)
            assert len(df) == 60_000 and df["i"].nunique() == 1, csv_path  # one whole version
            assert (df["v"] == df.index * 0.5 + df["i"]).all()
        claims = json.loads((tables / "big__claims.json").read_text())
        assert claims["claims"]["modnn_speedup"]["value"] >= 1
        # leftovers of the killed write are dot-files ending in .tmp, invisible to *.csv/*.json
        for p in tables.iterdir():
            assert p.name in ("big__t.csv", "big__claims.json") or (
                p.name.startswith(".") and p.name.endswith(".tmp")
            ), p.name
    compile_summary(out)  # the summary ignores the temporary files
    assert "modnn_speedup" in (out / "summary.csv").read_text()


def test_kernel_env_gives_kernels_their_inline_backend(monkeypatch):
    """A process with ``MPLBACKEND=Agg`` (the tests, CI) still gets chapters with inline figures:
    the kernels start without it, and the caller's value comes back afterwards."""
    from edgelab.pipeline.run import kernel_env

    monkeypatch.setenv("MPLBACKEND", "Agg")
    with kernel_env():
        assert "MPLBACKEND" not in os.environ
    assert os.environ["MPLBACKEND"] == "Agg"
    monkeypatch.delenv("MPLBACKEND")
    with kernel_env():
        assert "MPLBACKEND" not in os.environ
    assert "MPLBACKEND" not in os.environ
