"""The JupyterLite bundle's build, checked without a browser (issue 18 item 3).

A module fixture runs ``build_lite`` (npm's Pyodide, pip's wheels, ``jupyter lite build``; the
registries must be reachable, as in CI); the tests read the built folder: the lock that makes
``import edgelab`` install the bundled wheel, the locally served wheels and their hashes, the
widgets' lab extension, the contents. ``edgelab lite`` answers bad input with one line and exit
2, a failing build step with one line and exit 1.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from edgelab.book.lite import (
    CHAPTER_DISTRIBUTIONS,
    EDGELAB_DEPENDS,
    PYODIDE_CDN,
    PYODIDE_VERSION,
    LiteBuildError,
    LiteResult,
    build_lite,
    bundle_lock,
    lite_chapters,
)
from edgelab.cli import run_captured

ROOT = Path(__file__).resolve().parents[2]


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiteResult, dict]:
    base = tmp_path_factory.mktemp("lite")
    res = build_lite(base / "lite", cache_dir=base / "cache")
    lock = json.loads((res.out_dir / "static/pyodide/pyodide-lock.json").read_text("utf-8"))
    return res, lock


def test_pins_match_the_kernel():
    from jupyterlite_pyodide_kernel import constants

    assert PYODIDE_VERSION == constants.PYODIDE_VERSION
    assert PYODIDE_CDN == constants.PYODIDE_CDN_URL + "/"


def test_edgelab_installs_from_the_bundle_on_import(built):
    res, lock = built
    e = lock["packages"]["edgelab"]
    assert e["imports"] == ["edgelab"] and e["file_name"] == res.edgelab_wheel
    assert e["file_name"].endswith("-py3-none-any.whl") and "://" not in e["file_name"]
    assert set(e["depends"]) == set(EDGELAB_DEPENDS)
    wheel = res.out_dir / "static/pyodide" / e["file_name"]
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == e["sha256"]
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "edgelab/data/profiles/index.json" in names and "edgelab/data/devices.csv" in names


def test_every_lock_entry_is_served_here_or_by_pyodides_cdn(built):
    res, lock = built
    static = res.out_dir / "static/pyodide"
    for name, e in lock["packages"].items():
        if "://" in e["file_name"]:
            assert e["file_name"].startswith(PYODIDE_CDN), name
        else:
            path = static / e["file_name"]
            assert path.exists(), f"{name}: {e['file_name']} is not in the bundle"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == e["sha256"], name
        for d in e["depends"]:
            assert _canon(d) in lock["packages"], f"{name} depends on {d}, not in the lock"
    local = {n for n, e in lock["packages"].items() if "://" not in e["file_name"]}
    assert {"micropip", "ipython", "jedi", "comm", "ipywidgets", "edgelab"} <= local
    assert all(lock["packages"][n]["file_name"].endswith("none-any.whl") for n in local)
    for f in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip"):
        assert (static / f).stat().st_size > 0


def test_the_chapters_imports_are_in_edgelabs_closure(built):
    _, lock = built
    pk = lock["packages"]
    seen, todo = set(), ["edgelab", "ipython"]
    while todo:
        n = _canon(todo.pop())
        if n not in seen:
            seen.add(n)
            todo.extend(pk[n]["depends"])
    missing = [d for d in CHAPTER_DISTRIBUTIONS if _canon(d) not in seen]
    assert not missing, f"the lite chapters import {missing}, which import edgelab won't load"


def test_bundle_config_widgets_and_contents(built):
    res, _ = built
    cfg = json.loads((res.out_dir / "jupyter-lite.json").read_text("utf-8"))["jupyter-config-data"]
    kernel = cfg["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert "@jupyter-widgets/jupyterlab-manager" in {e["name"] for e in cfg["federated_extensions"]}
    assert (res.out_dir / "extensions/@jupyter-widgets/jupyterlab-manager").is_dir()
    assert res.chapters == tuple(lite_chapters(ROOT / "notebooks"))
    for stem in res.chapters:
        served = json.loads((res.out_dir / "files" / f"{stem}.ipynb").read_text("utf-8"))
        assert served == json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text("utf-8"))
        assert all(not c.get("outputs") for c in served["cells"])
    assert (res.out_dir / "files/notebooks/chapters.toml").exists()
    assert res.size_bytes > 0 and res.build_s > 0
    print(f"bundle: {res.size_bytes:,} bytes, built in {res.build_s:.1f} s; wheels served: "
          f"{len(res.vendored)}; repacked vs Pyodide's lock: {list(res.repacked)}")


def test_bundle_lock_points_elsewhere_at_the_cdn_and_checks_depends(tmp_path: Path):
    whl = tmp_path / "a-1.0-py3-none-any.whl"
    whl.write_bytes(b"wheel")
    lock = {"info": {}, "packages": {
        "a": {"name": "a", "file_name": whl.name, "sha256": "0" * 64, "depends": []},
        "b": {"name": "b", "file_name": "b-2.0-cp314-cp314-x.whl", "sha256": "1", "depends": []}}}
    extra = {"c": {"name": "c", "file_name": "c.whl", "sha256": "2", "depends": ["a", "b"]}}
    out, repacked = bundle_lock(lock, {"a": whl}, extra)
    assert out["packages"]["a"]["file_name"] == whl.name and repacked == ["a"]
    assert out["packages"]["a"]["sha256"] == hashlib.sha256(b"wheel").hexdigest()
    assert out["packages"]["b"]["file_name"] == PYODIDE_CDN + "b-2.0-cp314-cp314-x.whl"
    assert lock["packages"]["b"]["file_name"] == "b-2.0-cp314-cp314-x.whl"  # input untouched
    with pytest.raises(LiteBuildError, match="depends on"):
        bundle_lock(lock, {}, {"c": {**extra["c"], "depends": ["nope"]}})


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path):
    code, out, err = run_captured("lite", "--out", str(tmp_path / "x"), "--chapters", "02_dl_primer")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "02_dl_primer" in err and "00_ei_levels" in err
    afile = tmp_path / "f"
    afile.write_text("x")
    code, _, err = run_captured("lite", "--out", str(afile))
    assert code == 2 and "--out" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("x")
    code, _, err = run_captured("lite", "--out", str(tmp_path / "busy"))
    assert code == 2 and "empty or a previous bundle" in err
    assert (tmp_path / "busy" / "keep.txt").exists()


def test_cli_failing_step_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no npm on PATH, an empty cache
    code, out, err = run_captured("lite", "--out", str(tmp_path / "b"),
                                  "--cache", str(tmp_path / "cache"))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "npm not found" in err
