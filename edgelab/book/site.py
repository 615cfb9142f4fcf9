"""The book as a static website: Sphinx + MyST-NB + sphinx-book-theme (issue 18 items 1, 2, 4, 5).

:func:`build_site` reads the notebooks ``edgelab reproduce`` already executed
(``OUT/runs/<stem>.ipynb``) and never executes them again (MyST-NB ``nb_execution_mode =
"off"``). It writes a Sphinx source tree into a temporary folder (``conf.py`` generated here,
the chapter notebooks at its root so that a chapter's page is ``<stem>.html`` and its Binder
button opens ``notebooks/<stem>.ipynb`` of the repository), runs Sphinx in a subprocess with a
bounded timeout into a sibling of ``dest`` and then swaps it in, so ``dest`` is either the old
site or the new one.

Why Sphinx: it is pip-only and builds offline, here and in CI; Jupyter Book 2 (mystmd)
downloads its HTML theme at build time. The site loads nothing from other hosts: widgets show
their static PNG fallback (no widget JavaScript from a CDN), math is not enabled, and
:func:`external_assets` checks the built HTML (:func:`build_site` fails on any).

Launch buttons: Binder (mybinder.org, JupyterLab) when the repository URL is known
(:func:`resolve_repo_url`); no Colab (see the instructors page); chapters whose stanza in
``notebooks/chapters.toml`` has ``lite = true`` link to the JupyterLite bundle at
``lite/lab/index.html?path=<stem>.ipynb`` (built by ``edgelab lite --out SITE/lite``).
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgelab.book.pages import (
    book_chapters,
    claims_page,
    drift_page,
    index_page,
    instructors_page,
    lite_href,
    load_notebook,
    read_times,
    run_mode,
)
from edgelab.errors import EdgelabError
from edgelab.pipeline.results import RUNS, ChapterResult
from edgelab.pipeline.run import find_notebooks_dir

__all__ = ["SiteResult", "build_site", "resolve_repo_url", "external_assets",
           "SPHINX_TIMEOUT_S", "BINDERHUB_URL", "EXTRA_PAGES"]

#: Upper bound of one Sphinx run (16 chapters take well under a minute on 2 cores).
SPHINX_TIMEOUT_S = 900.0
BINDERHUB_URL = "https://mybinder.org"
#: The generated pages besides the chapters, in the order of the table of contents.
EXTRA_PAGES = ("claims", "drift", "instructors")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_NB_LINK = re.compile(r"\]\((\d\d_\w+)\.ipynb\)")
_GITHUB = re.compile(r"^(?:https://|ssh://git@|git@)(github\.com)[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` built: the folder, its HTML pages, the chapters, the time the
    build took and the site's size in bytes."""

    dest: Path
    pages: int
    chapters: tuple[str, ...]
    seconds: float
    bytes: int
    repo_url: str | None = None

    def describe(self) -> str:
        """One line for the CLI."""
        binder = f"Binder buttons for {self.repo_url}" if self.repo_url else "no Binder buttons"
        return (f"built {self.dest}: {self.pages} pages ({len(self.chapters)} chapters), "
                f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s; {binder}")


def resolve_repo_url(repo_url: str | None = None, *, cwd: Path | None = None,
                     env: dict[str, str] | None = None) -> tuple[str | None, str]:
    """The repository the launch buttons point at, and why (issue 18 item 2; never guessed).

    In order: ``repo_url``; ``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY`` when both are set (GitHub
    Actions); ``git remote get-url origin`` in ``cwd`` when it is a GitHub URL (made https);
    else ``None``. Returns ``(url or None, the reason in words)``.
    """
    env = dict(os.environ) if env is None else env
    if repo_url is not None:
        url = repo_url.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+/[^/\s]+/[^/\s]+$", url):
            raise EdgelabError(f"repo_url (--repo-url) must be https://HOST/OWNER/REPO, got "
                               f"{repo_url!r}")
        return url, "given with --repo-url"
    server, repo = env.get("GITHUB_SERVER_URL", "").strip(), env.get("GITHUB_REPOSITORY", "").strip()
    if server and repo:
        return f"{server.rstrip('/')}/{repo}", "GITHUB_SERVER_URL/GITHUB_REPOSITORY"
    try:
        proc = subprocess.run(["git", "remote", "get-url", "origin"], cwd=cwd, capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"no --repo-url, not on GitHub Actions, and git failed ({type(e).__name__})"
    remote = proc.stdout.strip()
    if proc.returncode != 0 or not remote:
        return None, "no --repo-url, not on GitHub Actions, and git has no remote 'origin'"
    m = _GITHUB.match(remote)
    if m is None:
        # the remote itself is not repeated: it may carry a token (https://user:token@host/...)
        return None, "no --repo-url, not on GitHub Actions, and origin is not a GitHub URL"
    return f"https://{m.group(1)}/{m.group(2)}/{m.group(3)}", "git remote get-url origin"


def _conf_py(project: str, repo_url: str | None, branch: str) -> str:
    theme: dict[str, Any] = {
        "show_toc_level": 2, "use_download_button": True, "use_fullscreen_button": False,
        "home_page_in_toc": True,
    }
    if repo_url:
        theme.update({
            "repository_url": repo_url, "repository_branch": branch, "path_to_docs": "notebooks",
            "use_repository_button": True,
            "launch_buttons": {"binderhub_url": BINDERHUB_URL, "notebook_interface": "jupyterlab"},
        })
    conf = {
        "project": project, "author": "edgelab", "copyright": "edgelab authors",
        "extensions": ["myst_nb"], "html_theme": "sphinx_book_theme",
        "html_theme_options": theme, "html_title": project,
        "html_static_path": [], "html_search_language": "en", "html_copy_source": True,
        "nb_execution_mode": "off",
        # widgets: their static PNG fallback, never the widget JavaScript of a CDN
        "nb_ipywidgets_js": {},
        "nb_mime_priority_overrides": [["html", _WIDGET_VIEW, None]],
        "nb_merge_streams": True,
        "myst_heading_anchors": 3,
        "smartquotes": False,  # titles and numbers as the chapters write them
        "suppress_warnings": ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"],
        "exclude_patterns": ["_build"],
        "language": "en",
    }
    lines = ["# Generated by edgelab.book.site.build_site: do not edit (rebuilt every time)."]
    lines += [f"{k} = {v!r}" for k, v in conf.items()]
    return "\n".join(lines) + "\n"


def _failure(runs: Path, stem: str) -> str | None:
    """How a chapter failed in this run (:meth:`ChapterResult.describe_failure` of its manifest
    ``OUT/runs/<stem>.json``), or None when it did not."""
    path = runs / RUNS / f"{stem}.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("status") != "failed":
        return None
    names = {f.name for f in dataclasses.fields(ChapterResult)}
    result = ChapterResult(**{k: v for k, v in manifest.items() if k in names})
    return " ".join(result.describe_failure().split())


def _chapter_copy(nb: dict[str, Any], stem: str, lite: bool,
                  failure: str | None = None) -> dict[str, Any]:
    """The executed notebook as a page: widget state dropped (the PNG fallback shows), a
    JupyterLite link after the title cell when the chapter runs in the browser, and a warning
    when the chapter failed in this run."""
    nb = json.loads(json.dumps(nb))
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):  # papermill's parameters as run, without the run's OUT path
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = "\n".join(ln for ln in src.splitlines()
                                       if not ln.startswith("out_dir ="))
    for cell in nb.get("cells", []):  # the chapter card's links: MyST-NB leaves outputs' as is
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md is not None:
                text = "".join(md) if isinstance(md, list) else md
                out["data"]["text/markdown"] = _NB_LINK.sub(r"](\1.html)", text)
    if lite:
        cell = {"cell_type": "markdown", "metadata": {}, "id": "edgelab-lite-link",
                "source": [f'<p class="edgelab-lite"><a href="{lite_href(stem)}">'
                           "Run in your browser (JupyterLite)</a>: no server, no install.</p>"]}
        nb["cells"].insert(1, cell)
    if failure is not None:
        text = html.escape(failure[:500])
        nb["cells"].insert(1, {
            "cell_type": "markdown", "metadata": {}, "id": "edgelab-failed",
            "source": [f'<p class="edgelab-failed"><strong>This chapter failed in this run:'
                       f"</strong> {text} (the cell index counts the cells of notebooks/{stem}.ipynb). "
                       "Its outputs stop where it failed.</p>"]})
    return nb


_ASSET = re.compile(r"<(script|link|img|iframe|source)\b[^>]*?\b(src|href)=[\"']([^\"']+)[\"']",
                    re.IGNORECASE)


def external_assets(site: Path) -> list[str]:
    """``page: tag URL`` for every script, stylesheet, image or frame of the built HTML that
    would load from another host (the site must work offline). Plain ``<a href>`` links, such as
    the launch buttons, are not assets."""
    found = []
    for page in sorted(site.rglob("*.html")):
        if "lite" in page.relative_to(site).parts[:1]:
            continue
        for m in _ASSET.finditer(page.read_text(encoding="utf-8", errors="replace")):
            tag, _, url = m.groups()
            if tag.lower() == "link" and "stylesheet" not in m.group(0).lower() \
                    and "preload" not in m.group(0).lower() and "icon" not in m.group(0).lower():
                continue
            if re.match(r"^(https?:)?//", url):
                found.append(f"{page.relative_to(site)}: <{tag}> {url}")
    return found


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _run_sphinx(src: Path, out: Path, timeout_s: float) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(src / "_doctrees"),
           str(src), str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Sphinx did not finish within {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        err = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise RuntimeError(f"Sphinx failed (exit {proc.returncode}): "
                           f"{err[-1] if err else 'no output'}")


def _replace(new: Path, dest: Path) -> None:
    """Swap ``new`` in at ``dest`` (both in the same folder): rename, never copy."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        dest.rename(old)
    new.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(runs: Path, dest: Path, *, previous: Path | None = None,
               repo_url: str | None = None, branch: str = "main",
               notebooks_dir: Path | None = None,
               timeout_s: float = SPHINX_TIMEOUT_S) -> SiteResult:
    """Build the book from an OUT folder of ``edgelab reproduce`` into ``dest`` (issue 18).

    ``runs`` is that OUT folder (its ``runs/<stem>.ipynb`` and ``summary.csv``); ``previous`` an
    earlier OUT for the drift page; ``repo_url`` and ``branch`` the repository of the Binder
    buttons (see :func:`resolve_repo_url`: without a known URL the site has no Binder buttons
    and one line on stderr says why). Pages: index (by the survey's parts: seed 003 §III-B
    levels, §IV training, §V inference), one per chapter, claims, drift, instructors, search.
    """
    t0 = time.perf_counter()
    runs, dest = Path(runs), Path(dest)
    if not runs.is_dir():
        raise EdgelabError(f"runs (--runs) must be the OUT folder of `edgelab reproduce`, got "
                           f"{str(runs)!r}, which is not a folder")
    executed = sorted((runs / RUNS).glob("*.ipynb")) if (runs / RUNS).is_dir() else []
    if not executed:
        raise EdgelabError(f"runs (--runs) {str(runs)!r} holds no {RUNS}/*.ipynb: run "
                           f"`edgelab reproduce --quick --out {runs}` first")
    if not (runs / "summary.csv").exists():
        raise EdgelabError(f"runs (--runs) {str(runs)!r} holds no summary.csv: run "
                           f"`edgelab reproduce --quick --out {runs}` first")
    if previous is not None and not Path(previous).is_dir():
        raise EdgelabError(f"previous (--previous) must be an earlier OUT folder, got "
                           f"{str(previous)!r}, which is not a folder")
    if not branch or any(c.isspace() for c in branch):
        raise EdgelabError(f"branch (--branch) must be a git branch name, got {branch!r}")
    if dest.exists() and not dest.is_dir():
        raise EdgelabError(f"dest (--out) must be a folder (created if missing), got "
                           f"{str(dest)!r}, which is a file")
    if dest.resolve() in (runs.resolve(), (runs / RUNS).resolve(), (runs / "tables").resolve()):
        raise EdgelabError(f"dest (--out) must not be the OUT folder or one of its data folders, "
                           f"got {str(dest)!r}")
    nb_dir = find_notebooks_dir(notebooks_dir)
    url, why = resolve_repo_url(repo_url, cwd=nb_dir.parent)
    if url is None:
        print(f"edgelab book: no Binder buttons: {why} (pass --repo-url URL)", file=sys.stderr)

    stems = [p.stem for p in executed]
    chapters = book_chapters(stems, nb_dir)
    unknown = sorted(set(stems) - {c.stem for c in chapters})
    if unknown:
        raise EdgelabError(f"runs (--runs): {unknown} are not chapters of {nb_dir}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.build-", dir=dest.parent))
    try:
        src = work / "src"
        src.mkdir()
        (src / "conf.py").write_text(_conf_py("edgelab", url, branch), encoding="utf-8")
        notebooks: dict[str, dict[str, Any]] = {}
        for ch in chapters:
            nb = load_notebook(runs / RUNS / f"{ch.stem}.ipynb")
            notebooks[ch.stem] = nb
            (src / f"{ch.stem}.ipynb").write_text(
                json.dumps(_chapter_copy(nb, ch.stem, ch.lite, _failure(runs, ch.stem)),
                           indent=1), encoding="utf-8")
        stem_list = [c.stem for c in chapters]
        if not any("image/png" in o.get("data", {}) for nb in notebooks.values()
                   for c in nb.get("cells", []) for o in c.get("outputs", [])):
            print("edgelab book: the executed notebooks hold no figures (was MPLBACKEND=Agg set "
                  "for edgelab reproduce? the kernels need their inline backend)", file=sys.stderr)
        pages = {
            "index": index_page(chapters, extra_pages=EXTRA_PAGES, binder=url,
                                mode=run_mode(notebooks)),
            "claims": claims_page(runs, stem_list),
            "drift": drift_page(runs, None if previous is None else Path(previous)),
            "instructors": instructors_page(chapters, notebooks, read_times(nb_dir)),
        }
        for name, text in pages.items():
            (src / f"{name}.md").write_text(text, encoding="utf-8")
        html = work / "html"
        _run_sphinx(src, html, timeout_s)
        for leftover in (".buildinfo", ".doctrees"):
            p = html / leftover
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
        bad = external_assets(html)
        if bad:
            raise RuntimeError(f"the site would load {len(bad)} assets from other hosts, first: "
                               f"{bad[0]}")
        if not (html / "searchindex.js").exists():
            raise RuntimeError("Sphinx wrote no searchindex.js: the site's search would not work")
        if dest.exists() and (dest / "lite").is_dir():  # keep a JupyterLite bundle built beside
            shutil.move(str(dest / "lite"), str(html / "lite"))
        final = work / "site"
        html.rename(final)
        _replace(final, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n_pages = sum(1 for p in dest.rglob("*.html")
                  if p.relative_to(dest).parts[0] not in ("lite", "_static", "_sources"))
    return SiteResult(dest=dest, pages=n_pages, chapters=tuple(stem_list),
                      seconds=time.perf_counter() - t0, bytes=_folder_bytes(dest), repo_url=url)
