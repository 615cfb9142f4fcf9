"""The JupyterLite bundle: the torch-free chapters, live in the browser (issue 18 item 3).

Seed 003 §III-B and seed 001 §II are the chapters (00, 01) that run without torch: the catalog,
the cost model on the shipped per-layer profiles (``data/profiles/``), the levels and the
explorers. :func:`build_lite` makes a static folder that runs them in the browser with
JupyterLite's Pyodide kernel, served beside the book (``<site>/lite``):

* **contents**: the chapters marked ``lite = true`` in ``notebooks/chapters.toml`` (stored
  without outputs) at the root, so ``lab/index.html?path=<stem>.ipynb`` opens one; and a
  ``notebooks/`` folder with every chapter, ``chapters.toml`` and ``chapter_times.csv``, which
  ``chapter_card`` reads (titles, previous/next, run times) from the kernel's working folder.
* **Pyodide's core** (``pyodide.mjs``, the wasm, the standard library, the lock) from npm
  (``npm pack pyodide@<version>``), in the bundle's ``static/pyodide/``: the kernel loads
  nothing from a CDN to start.
* **a lock file for the bundle** (``static/pyodide/pyodide-lock.json``): the pure-Python
  wheels the kernel installs before the first cell (micropip, IPython and what it needs) and
  the widgets' kernel side (ipywidgets, comm) are vendored from PyPI with pip at the lock's
  versions and served from the bundle; edgelab is a ``py3-none-any`` wheel of this checkout
  (``pip wheel --no-deps``) with ``imports: ["edgelab"]``, so that a cell's ``import edgelab``
  installs it (Pyodide loads the lock's packages named by a cell's imports). Its ``depends``
  name the compiled packages its torch-free part imports (numpy, pandas, scipy, matplotlib)
  and ipywidgets, because Pyodide only sees the cell's own imports, not edgelab's; the compiled
  packages keep Pyodide's CDN as their URL (they are on no registry: see the issue), so a
  browser without access to ``cdn.jsdelivr.net`` starts the kernel and imports edgelab, but
  cannot import numpy.
* the ipywidgets lab extension (``@jupyter-widgets/jupyterlab-manager``), found in the
  environment by ``jupyter lite build``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from edgelab._paths import repo_root
from edgelab._validate import show
from edgelab.errors import EdgelabError, ParameterError, ParameterTypeError, unknown_name
from edgelab.pipeline.chapters import META_FILE, TIMES_FILE
from edgelab.pipeline.run import discover_notebooks, find_notebooks_dir

__all__ = ["PYODIDE_VERSION", "PYODIDE_CDN", "KERNEL_START", "EDGELAB_DEPENDS",
           "CHAPTER_DISTRIBUTIONS", "OPTIONAL_DISTRIBUTIONS",
           "WIDGET_WHEELS", "LiteBuildError", "LiteResult", "lite_chapters", "build_lite",
           "bundle_lock", "wheel_sha256"]

#: the Pyodide release jupyterlite-pyodide-kernel 0.8.6 runs (its PYODIDE_VERSION)
PYODIDE_VERSION = "314.0.6"
#: where Pyodide's compiled packages are served (the kernel's default lock URL's folder)
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
#: what the kernel installs from the lock before the first cell (its worker loads micropip,
#: then ``piplite.install``s ipykernel, comm, pyodide-kernel, jedi and ipython); with their
#: lock dependencies these are vendored
KERNEL_START = ("micropip", "ipython", "jedi")
#: compiled packages (and ipywidgets) that edgelab's torch-free part imports inside functions
EDGELAB_DEPENDS = ("numpy", "pandas", "scipy", "matplotlib", "ipywidgets")
#: the distributions the lite chapters import beyond the kernel's own (measured in a kernel
#: without torch by tests/book/test_torch_free_chapters.py); tests/book/test_lite.py checks that
#: the bundle's lock resolves each from edgelab's entry
CHAPTER_DISTRIBUTIONS = ("cycler", "fonttools", "ipywidgets", "kiwisolver", "matplotlib",
                         "matplotlib-inline", "numpy", "pandas", "pillow", "pyparsing", "scipy")
#: imported only where installed (numpy.f2py tries charset_normalizer): need not be in the lock
OPTIONAL_DISTRIBUTIONS = ("charset-normalizer",)
#: pure-Python wheels not in Pyodide's lock that the kernel side of the widgets needs, at the
#: versions of this environment (the lab extension bundled is this environment's too)
WIDGET_WHEELS = {"comm": (), "ipywidgets": ("comm", "ipython", "traitlets")}
#: seconds any one step (npm pack, pip, jupyter lite build) may take
STEP_TIMEOUT_S = 600
_CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
               "pyodide.js", "pyodide-lock.json")
_LOCK = "pyodide-lock.json"


class LiteBuildError(RuntimeError):
    """A step of the bundle's build failed (npm, pip or ``jupyter lite build``): exit 1."""


@dataclass(frozen=True)
class LiteResult:
    """What :func:`build_lite` made (issue 18 item 3; seed 003 §III-B chapters in the browser).

    ``vendored``: the wheels served from the bundle's ``static/pyodide/``; ``repacked``: those
    whose file from PyPI differs (sha256) from the one Pyodide's lock names at the same version
    (the bundle's lock carries the served file's hash); ``cdn_packages``: lock entries left on
    Pyodide's CDN.
    """

    out_dir: Path
    chapters: tuple[str, ...]
    edgelab_wheel: str
    vendored: tuple[str, ...]
    repacked: tuple[str, ...]
    cdn_packages: int
    build_s: float
    size_bytes: int

    def summary(self) -> dict[str, Any]:
        """The result as plain values (the CLI prints it) (issue 18 item 3)."""
        return {"out_dir": str(self.out_dir), "chapters": list(self.chapters),
                "edgelab_wheel": self.edgelab_wheel, "vendored": len(self.vendored),
                "repacked": list(self.repacked), "cdn_packages": self.cdn_packages,
                "build_s": round(self.build_s, 1), "size_bytes": self.size_bytes,
                "open": "lab/index.html?path=<stem>.ipynb"}


def lite_chapters(notebooks_dir: str | Path | None = None) -> list[str]:
    """Stems of the chapters marked ``lite = true`` in ``notebooks/chapters.toml``, sorted.

    Seed 003 §III-B (chapter 00) and seed 001 §II (chapter 01) are the torch-free ones.
    """
    path = find_notebooks_dir(notebooks_dir) / META_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError) as e:
        raise EdgelabError(f"{path}: cannot read the chapters' frame ({e})") from None
    return sorted(s for s, m in doc.get("chapters", {}).items() if m.get("lite") is True)


def wheel_sha256(path: Path) -> str:
    """Hex sha256 of a file (the hash Pyodide's lock checks) (issue 18 item 3)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503, as Pyodide looks names up


def _pure(entry: dict[str, Any]) -> bool:
    """A lock entry whose wheel is pure Python (PyPI has it as is; Pyodide only repacks it)."""
    return str(entry["file_name"]).endswith("-none-any.whl")


def _closure(packages: dict[str, Any], roots: Sequence[str]) -> list[str]:
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = _canon(todo.pop())
        if name in seen:
            continue
        if name not in packages:
            raise LiteBuildError(f"Pyodide's lock has no package {name!r}")
        seen.append(name)
        todo.extend(packages[name]["depends"])
    return sorted(seen)


def _entry(name: str, wheel: Path, imports: list[str], depends: Sequence[str]) -> dict[str, Any]:
    version = wheel.name.split("-")[1]
    return {"name": name, "version": version, "file_name": wheel.name, "install_dir": "site",
            "sha256": wheel_sha256(wheel), "package_type": "package", "imports": imports,
            "depends": list(depends), "unvendored_tests": False}


def bundle_lock(lock: dict[str, Any], local: dict[str, Path], extra: dict[str, dict[str, Any]]
                ) -> tuple[dict[str, Any], list[str]]:
    """The bundle's lock: Pyodide's, with local wheels served from the bundle (issue 18 item 3).

    Every entry whose wheel is in ``local`` (lock name -> wheel path) keeps its relative
    ``file_name`` and gets the served file's sha256; every other entry points at
    :data:`PYODIDE_CDN`; ``extra`` entries (edgelab, the widgets) are added. Returns the lock
    and the names whose served file differs from the hash Pyodide's lock names.
    """
    out = json.loads(json.dumps(lock))
    repacked = []
    for name, e in out["packages"].items():
        if name in local:
            sha = wheel_sha256(local[name])
            if local[name].name != e["file_name"]:
                raise LiteBuildError(f"{name}: vendored {local[name].name}, the lock names "
                                     f"{e['file_name']}")
            if sha != e["sha256"]:
                repacked.append(name)
            e["sha256"] = sha
        elif "://" not in e["file_name"]:
            e["file_name"] = PYODIDE_CDN + e["file_name"]
    out["packages"].update(extra)
    for name, e in extra.items():
        missing = [d for d in e["depends"] if _canon(d) not in out["packages"]]
        if missing:
            raise LiteBuildError(f"bundle lock: {name} depends on {missing}, not in the lock")
    return out, sorted(repacked)


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    try:
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                             timeout=STEP_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise LiteBuildError(f"{what}: {cmd[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise LiteBuildError(f"{what}: no result after {STEP_TIMEOUT_S} s") from None
    if res.returncode != 0:
        tail = (res.stderr.strip() or res.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise LiteBuildError(f"{what} failed (exit {res.returncode}): {tail[0]}")
    return res.stdout


def _pyodide_core(cache: Path) -> Path:
    """Pyodide's core from npm, extracted once into ``cache`` (``npm pack``, bounded)."""
    core = cache / f"pyodide-{PYODIDE_VERSION}"
    if all((core / f).exists() for f in _CORE_FILES):
        return core
    tgz = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise LiteBuildError("npm not found: Pyodide's core comes from npm "
                                 "(apt-get install -y npm)")
        _run([npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(cache),
              "--silent"], f"npm pack pyodide@{PYODIDE_VERSION}")
    with tempfile.TemporaryDirectory(dir=cache, prefix="extract-") as tmp:
        with tarfile.open(tgz) as tf:
            tf.extractall(tmp, filter="data")
        staged = Path(tmp) / "core"
        staged.mkdir()
        for f in _CORE_FILES:
            shutil.copy2(Path(tmp) / "package" / f, staged / f)
        shutil.rmtree(core, ignore_errors=True)
        os.replace(staged, core)  # a concurrent build sees all the files or none
    return core


def _pip(*args: str, what: str) -> None:
    _run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"], what)


def _download(wheels: Path, pins: dict[str, str]) -> dict[str, Path]:
    """Pure-Python wheels ``name -> version`` from PyPI (pip, cached in ``wheels``)."""
    wheels.mkdir(parents=True, exist_ok=True)
    want = sorted(f"{n}=={v}" for n, v in pins.items())
    have = {p.name.split("-")[0].lower().replace("_", "-") + "==" + p.name.split("-")[1]
            for p in wheels.glob("*.whl")}
    todo = [w for w in want if w.lower().replace("_", "-") not in have]
    if todo:
        _pip("download", "--no-deps", "--only-binary=:all:", "--python-version", "3.14",
             "--platform", "any", "--dest", str(wheels), *todo,
             what=f"pip download {' '.join(todo)}")
    found: dict[str, Path] = {}
    for name, version in pins.items():
        norm = name.lower().replace("-", "_")
        hits = [p for p in wheels.glob("*.whl")
                if p.name.lower().startswith(f"{norm}-{version}-")]
        if len(hits) != 1 or not hits[0].name.endswith("-none-any.whl"):
            raise LiteBuildError(f"pip: no pure-Python wheel of {name}=={version} in {wheels}")
        found[name] = hits[0]
    return found


def _edgelab_wheel(root: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    # the venv's setuptools where it has one (no registry needed), else pip's isolated build
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    _pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(dest), str(root),
         what="pip wheel edgelab")
    hits = sorted(dest.glob("edgelab-*-py3-none-any.whl"))
    if len(hits) != 1:
        raise LiteBuildError(f"pip wheel: expected one edgelab py3-none-any wheel in {dest}, "
                             f"got {[p.name for p in dest.iterdir()]}")
    return hits[0]


def _contents(dest: Path, nb_dir: Path, chapters: Sequence[str]) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "notebooks").mkdir(parents=True)
    for stem in chapters:
        shutil.copy2(nb_dir / f"{stem}.ipynb", dest / f"{stem}.ipynb")
    for nb in discover_notebooks(nb_dir):
        shutil.copy2(nb, dest / "notebooks" / nb.name)
    for name in (META_FILE, TIMES_FILE):
        if (nb_dir / name).exists():
            shutil.copy2(nb_dir / name, dest / "notebooks" / name)


def _check_dest(dest: Any) -> Path:
    if isinstance(dest, bool) or not isinstance(dest, str | os.PathLike) or str(dest) == "":
        raise ParameterTypeError(f"dest (--out) must be a folder path, got {show(dest)}")
    path = Path(dest)
    if path.exists() and not path.is_dir():
        raise ParameterError(f"dest (--out) must be a folder, got the file {path}")
    if path.is_dir() and any(path.iterdir()) and not (path / "jupyter-lite.json").exists():
        raise ParameterError(f"dest (--out) must be empty or a previous bundle "
                             f"(with jupyter-lite.json), got {path}")
    return path


def _check_chapters(chapters: Sequence[str] | None, nb_dir: Path) -> tuple[str, ...]:
    lite = lite_chapters(nb_dir)
    if chapters is None:
        if not lite:
            raise ParameterError(f"chapters: no chapter is marked lite = true in "
                                 f"{nb_dir / META_FILE}")
        return tuple(lite)
    if isinstance(chapters, str | bytes) or not hasattr(chapters, "__iter__"):
        raise ParameterTypeError(f"chapters (--chapters) must be a list of chapter stems, got "
                                 f"{show(chapters)}")
    chosen = tuple(chapters)
    if not chosen:
        raise ParameterError("chapters (--chapters) must name at least one chapter")
    for stem in chosen:
        if stem not in lite:
            raise unknown_name("lite chapter (lite = true in chapters.toml)", stem, lite)
    return chosen


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build_lite(dest: str | os.PathLike[str], *, chapters: Sequence[str] | None = None,
               notebooks_dir: str | Path | None = None, cache_dir: str | Path | None = None
               ) -> LiteResult:
    """Build the JupyterLite bundle of the torch-free chapters into ``dest`` (issue 18 item 3).

    ``chapters`` defaults to those marked ``lite = true`` (seed 003 §III-B chapter 00 and seed
    001 §II chapter 01); any other stem raises :class:`~edgelab.errors.ParameterError`.
    ``cache_dir`` (default ``$XDG_CACHE_HOME/edgelab/lite``, else ``~/.cache/edgelab/lite``)
    keeps npm's Pyodide and pip's wheels between builds (never inside ``dest``, which is
    published); the rest is staged in a temporary folder. Needs a source checkout (the edgelab wheel is built from it), npm
    and pip reaching their registries once, and ``jupyterlite-core`` with
    ``jupyterlite-pyodide-kernel``. A failing step raises :class:`LiteBuildError` naming it.
    """
    started = time.monotonic()
    out = _check_dest(dest)
    nb_dir = find_notebooks_dir(notebooks_dir)
    stems = _check_chapters(chapters, nb_dir)
    root = repo_root()
    if root is None:
        raise LiteBuildError("the edgelab wheel is built from a source checkout; run "
                             "`edgelab lite` from one")
    cache = Path(cache_dir) if cache_dir is not None else _default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edgelab-lite-") as tmp:
        return _build(out, stems, nb_dir, root, cache, Path(tmp), started)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgelab" / "lite"


def _build(out: Path, stems: tuple[str, ...], nb_dir: Path, root: Path, cache: Path,
           work: Path, started: float) -> LiteResult:
    core = _pyodide_core(cache)
    lock = json.loads((core / _LOCK).read_text(encoding="utf-8"))
    pkgs = lock["packages"]
    start = _closure(pkgs, KERNEL_START)
    compiled = [n for n in start if not _pure(pkgs[n])]
    if compiled:
        raise LiteBuildError(f"the kernel's start needs compiled packages {compiled}")
    # edgelab's own dependencies: their pure-Python wheels are served from the bundle too, so
    # only the compiled ones (numpy, pandas, ...) are left to Pyodide's CDN
    own = _closure(pkgs, [d for d in EDGELAB_DEPENDS if _canon(d) in pkgs])
    start = sorted(set(start) | {n for n in own if _pure(pkgs[n])})
    local = _download(cache / "wheels", {pkgs[n]["name"]: pkgs[n]["version"] for n in start})
    by_lock = {n: local[pkgs[n]["name"]] for n in start}
    widgets = _download(cache / "wheels", {n: metadata.version(n) for n in WIDGET_WHEELS})
    wheel = _edgelab_wheel(root, work / "edgelab-wheel")
    extra = {n: _entry(n, widgets[n], [n], deps) for n, deps in WIDGET_WHEELS.items()}
    extra["edgelab"] = _entry("edgelab", wheel, ["edgelab"], EDGELAB_DEPENDS)
    bundle, repacked = bundle_lock(lock, by_lock, extra)

    static = work / "lite" / "static" / "pyodide"  # PyodideAddon's well-known local Pyodide
    static.mkdir(parents=True)
    for f in _CORE_FILES:
        if f != _LOCK:
            shutil.copy2(core / f, static / f)
    served = [*by_lock.values(), *widgets.values(), wheel]
    for p in served:
        shutil.copy2(p, static / p.name)
    (static / _LOCK).write_text(json.dumps(bundle), encoding="utf-8")
    _contents(work / "contents", nb_dir, stems)

    if out.exists():
        shutil.rmtree(out)
    jupyter_lite = Path(sys.executable).with_name("jupyter-lite")
    cmd = [str(jupyter_lite) if jupyter_lite.exists() else "jupyter-lite", "build",
           "--contents", str((work / "contents").resolve()),
           "--output-dir", str(out.resolve()), "--no-sourcemaps"]
    _run(cmd, "jupyter lite build", cwd=work / "lite")
    _verify(out, stems)
    return LiteResult(out_dir=out, chapters=stems, edgelab_wheel=wheel.name,
                      vendored=tuple(sorted(p.name for p in served)),
                      repacked=tuple(repacked),
                      cdn_packages=sum("://" in e["file_name"]
                                       for e in bundle["packages"].values()),
                      build_s=time.monotonic() - started, size_bytes=_du(out))


def _verify(out: Path, stems: Sequence[str]) -> None:
    """The built bundle serves Pyodide locally, has the widgets' extension and the chapters."""
    try:
        cfg = json.loads((out / "jupyter-lite.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as e:
        raise LiteBuildError(f"jupyter lite build wrote no usable jupyter-lite.json ({e})") from None
    data = cfg["jupyter-config-data"]
    kernel = data.get("litePluginSettings", {}).get(
        "@jupyterlite/pyodide-kernel-extension:kernel", {})
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        raise LiteBuildError(f"the bundle's pyodideUrl is {kernel.get('pyodideUrl')!r}, not the "
                             f"vendored ./static/pyodide/pyodide.mjs")
    names = {e["name"] for e in data.get("federated_extensions", [])}
    if "@jupyter-widgets/jupyterlab-manager" not in names:
        raise LiteBuildError("the bundle lacks the ipywidgets lab extension "
                             "(@jupyter-widgets/jupyterlab-manager): install widgetsnbextension")
    missing = [s for s in stems if not (out / "files" / f"{s}.ipynb").exists()]
    if missing or not (out / "static" / "pyodide" / _LOCK).exists():
        raise LiteBuildError(f"the bundle lacks {missing or [_LOCK]}")
