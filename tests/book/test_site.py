"""The book (issue 18): page generators, the site build, launch links, the repo-URL rule, the CLI.

One small OUT (``edgelab reproduce --quick --only '00_*'``, ~15 s) is made once for the module;
the generated pages are checked against the files they come from (``summary.csv``, the
notebooks' exercises and their solutions, ``chapter_times.csv``, ``compare_runs``), and one
site is built from it (Sphinx, a few seconds) to check the chapter page's launch links, the
offline rule and the search index. The Chromium test is tests/book/test_site_browser.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.book import pages
from edgelab.book.pages import (
    PARTS,
    BookChapter,
    book_chapters,
    claims_page,
    course_weeks,
    drift_page,
    exercises,
    index_page,
    instructors_page,
    lite_href,
    load_notebook,
    md_escape,
    read_times,
    run_mode,
)
from edgelab.book.site import build_site, external_assets, resolve_repo_url
from edgelab.cli import run_captured
from edgelab.errors import EdgelabError
from edgelab.pipeline.chapters import chapter_meta

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
REPO = "https://github.com/example-org/edgelab"
STEM = "00_ei_levels"


def _reproduce(out: Path, only: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "edgelab", "reproduce", "--quick", "--only", only, "--out",
         str(out), "--no-progress", "--notebooks", str(NB_DIR)],
        capture_output=True, text=True, timeout=500, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def small_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book") / "out"
    _reproduce(out, "00_*")
    return out


@pytest.fixture(scope="module")
def lite_notebooks(tmp_path_factory) -> Path:
    """A chapters folder with chapter 00 only, whose stanza says ``lite = true``."""
    d = tmp_path_factory.mktemp("nb-lite")
    shutil.copy(NB_DIR / f"{STEM}.ipynb", d)
    shutil.copy(NB_DIR / "chapter_times.csv", d)
    text = (NB_DIR / "chapters.toml").read_text(encoding="utf-8")
    if "lite = true" not in text.split(f"[chapters.{STEM}]")[1].split("[chapters.")[0]:
        text = text.replace(f"[chapters.{STEM}]\n", f"[chapters.{STEM}]\nlite = true\n")
    (d / "chapters.toml").write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def site(small_out, lite_notebooks, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("site") / "site"
    res = build_site(small_out, dest, repo_url=REPO, branch="main", notebooks_dir=lite_notebooks)
    assert res.dest == dest and res.chapters == (STEM,)
    assert res.pages == len(list(dest.glob("*.html"))) and res.bytes > 0 and res.seconds > 0
    return dest


def _table_rows(md: str, header_start: str) -> list[list[str]]:
    """The body rows of the Markdown pipe table whose header starts with ``header_start``."""
    lines = md.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {header_start}"))
    rows = []
    for ln in lines[i + 2:]:
        if not ln.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", ln.strip())[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def _unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


# ------------------------------------------------------------------------- page generators
def test_claims_page_rows_equal_summary_csv(small_out):
    with (small_out / "summary.csv").open(encoding="utf-8", newline="") as f:
        summary = list(csv.DictReader(f))
    assert summary, "chapter 00 records claims"
    md = claims_page(small_out, [STEM])
    rows = _table_rows(md, "claim")
    assert [_unescape(r[0]) for r in rows] == [r["claim_id"] for r in summary]
    assert [_unescape(r[1]) for r in rows] == [r["verdict"] for r in summary]
    assert all(r[4] == f"[{STEM}]({STEM}.ipynb)" for r in rows)  # each claim links its chapter
    why = md.split("## Why each verdict", 1)[1]  # each claim's reason, rule and setting
    for r in summary:
        line = next(ln for ln in why.splitlines() if ln.startswith(f"- **{md_escape(r['claim_id'])}**"))
        assert md_escape(r["verdict_rule"]) in line and md_escape(r["setting"]) in line
        assert md_escape(r["system"]) in line and md_escape(r["metric"]) in line
    counts = {_unescape(v): int(n) for v, n in _table_rows(md, "Verdict")}
    expected: dict[str, int] = {}
    for r in summary:
        expected[r["verdict"]] = expected.get(r["verdict"], 0) + 1
    assert counts == expected and sum(counts.values()) == len(summary)


def test_claims_page_without_the_chapter_does_not_link(small_out):
    rows = _table_rows(claims_page(small_out, []), "claim")
    assert rows and not any("](" in r[4] for r in rows)


def test_instructors_exercise_counts_equal_the_solutions():
    """Every chapter's count on the page equals its solutions notebook's ``## Exercise N``."""
    chapters = book_chapters(None, NB_DIR)
    nbs = {c.stem: load_notebook(NB_DIR / f"{c.stem}.ipynb") for c in chapters}
    md = instructors_page(chapters, nbs, read_times(NB_DIR))
    for c in chapters:
        sol = load_notebook(NB_DIR / "solutions" / f"{c.stem}_solutions.ipynb")
        n = sum(1 for cell in sol["cells"] if cell["cell_type"] == "markdown"
                and re.match(r"^##\s+Exercise\s+\d+", "".join(cell["source"]).lstrip()))
        section = md.split(f"### {pages.md_escape(c.title)}\n")[1]
        assert section.lstrip().startswith(f"{n} exercises."), c.stem
        assert len(exercises(nbs[c.stem])) == n
        first = exercises(nbs[c.stem])[0]
        assert f"1. {pages.md_escape(first)}" in section.split("\n### ")[0]


def test_instructors_run_times_equal_chapter_times_csv():
    chapters = book_chapters(None, NB_DIR)
    nbs = {c.stem: load_notebook(NB_DIR / f"{c.stem}.ipynb") for c in chapters}
    with (NB_DIR / "chapter_times.csv").open(encoding="utf-8", newline="") as f:
        times = {r["stem"]: r for r in csv.DictReader(f)}
    md = instructors_page(chapters, nbs, read_times(NB_DIR))
    rows = {r[0]: (r[1], r[2]) for r in _table_rows(md, "Chapter | Quick")}
    assert rows == {s: (t["quick_s"], t["full_s"]) for s, t in times.items()}
    for machine in {t["machine"] for t in times.values()}:
        assert pages.md_escape(machine) in md
    assert "make reproduce" in md and "make test" in md and "--jobs" in md and "--only" in md
    assert "Binder" in md and "Colab" in md


def test_instructors_weeks_follow_the_rule():
    chapters = book_chapters(None, NB_DIR)
    nbs = {c.stem: load_notebook(NB_DIR / f"{c.stem}.ipynb") for c in chapters}
    md = instructors_page(chapters, nbs, {})
    rows = _table_rows(md, "Week")
    weeks = course_weeks(chapters)
    assert [int(r[0]) for r in rows] == [i for i, w in enumerate(weeks, 1) for _ in w]
    assert [r[2] for r in rows] == [str(c.minutes) for c in chapters]
    assert "not measured" in md  # no times given: says so, invents none


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(PARTS)), st.integers(1, 400)), min_size=1,
                max_size=20))
def test_course_weeks_invariants(spec):
    spec = sorted(spec, key=lambda t: t[0])
    chapters = [BookChapter(stem=f"{p}{i % 10}_c{i}", title="t", survey="s", minutes=m,
                            prerequisites=(), lite=False) for i, (p, m) in enumerate(spec)]
    weeks = course_weeks(chapters, 180)
    assert [c for w in weeks for c in w] == chapters  # every chapter once, in order
    for w in weeks:
        assert len({c.stem[0] for c in w}) == 1  # a week never mixes parts
        assert len(w) == 1 or sum(c.minutes for c in w) <= 180
    for a, b in zip(weeks, weeks[1:], strict=False):  # greedy: the next chapter did not fit
        if a[-1].stem[0] == b[0].stem[0]:
            assert sum(c.minutes for c in a) + b[0].minutes > 180


def test_course_weeks_rejects_a_bad_week():
    with pytest.raises(ValueError, match="week_minutes"):
        course_weeks([], 0)


def test_index_groups_by_part_with_the_survey_sections_of_chapters_toml():
    chapters = book_chapters(None, NB_DIR)
    md = index_page(chapters, extra_pages=("claims",), binder=None)
    meta = chapter_meta(NB_DIR)
    positions = [md.index(f"]({c.stem}.ipynb)") for c in chapters]
    assert positions == sorted(positions)  # file order
    for c in chapters:
        assert pages.md_escape(meta[c.stem]["survey"]) in md
        assert md.index(pages.part_of(c.stem)) < md.index(f"]({c.stem}.ipynb)")
    assert "no Binder buttons" in md
    toctrees = md.count("```{toctree}")
    assert toctrees == len({c.stem[0] for c in chapters}) + 1


def test_run_mode_reads_the_papermill_parameters(small_out):
    nb = load_notebook(small_out / "runs" / f"{STEM}.ipynb")
    assert run_mode({STEM: nb}) == "quick"
    full = json.loads(json.dumps(nb))
    full["metadata"]["papermill"]["parameters"]["quick"] = False
    assert run_mode({"a": full}) == "full" and run_mode({"a": full, "b": nb}) == "mixed"
    assert run_mode({"a": {"metadata": {}}}) == "unknown"
    assert "in full mode" in index_page(book_chapters(None, NB_DIR), mode="full")


def test_drift_page_without_previous_says_so(small_out):
    md = drift_page(small_out, None)
    assert "No previous run was given" in md and "changed:" not in md


def test_drift_page_shows_the_number_that_changed(small_out, tmp_path):
    prev = tmp_path / "prev"
    shutil.copytree(small_out, prev)
    path = prev / "summary.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("reproduced_value")
    j = next(k for k, r in enumerate(rows[1:], 1) if re.match(r"^-?[\d.]+$", r[i]))
    old = rows[j][i]
    rows[j][i] = "987654.321"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    md = drift_page(small_out, prev)
    changed = [ln for ln in md.splitlines() if ln.startswith("changed:")]
    assert len(changed) == 1 and "987654.321" in changed[0] and old in changed[0]
    assert "1 changed" in md
    assert "No cell changed" in drift_page(small_out, small_out)


# ------------------------------------------------------------------------- the built site
def test_site_pages_and_search(site):
    names = {p.name for p in site.glob("*.html")}
    assert {"index.html", f"{STEM}.html", "claims.html", "drift.html", "instructors.html",
            "search.html"} <= names
    assert (site / "searchindex.js").stat().st_size > 0
    assert "edg" in (site / "searchindex.js").read_text(encoding="utf-8")  # "edge", stemmed
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".")]  # no temp left
    assert external_assets(site) == []


def test_chapter_page_has_binder_and_lite_links(site, small_out):
    html = (site / f"{STEM}.html").read_text(encoding="utf-8")
    binder = f"https://mybinder.org/v2/gh/example-org/edgelab/main?urlpath=lab/tree/notebooks/{STEM}.ipynb"
    assert binder in html
    assert f'href="{lite_href(STEM)}"' in html and lite_href(STEM) == \
        f"lite/lab/index.html?path={STEM}.ipynb"
    assert "Run in your browser (JupyterLite)" in html
    assert "colab" not in html.lower()
    imgs = re.findall(r'<img[^>]*src="(_images/[^"]+\.png)"', html)
    assert imgs and all((site / s).stat().st_size > 0 for s in imgs)
    nb = load_notebook(small_out / "runs" / f"{STEM}.ipynb")  # every figure, widgets' included
    assert len(imgs) == sum(1 for c in nb["cells"] for o in c.get("outputs", [])
                            if "image/png" in o.get("data", {}))
    assert "widget-view+json" not in html  # the widgets' PNG fallback, no widget JavaScript


def test_lite_defaults_to_false_and_must_be_a_bool(tmp_path, lite_notebooks):
    d = tmp_path / "nb"
    d.mkdir()
    shutil.copy(NB_DIR / f"{STEM}.ipynb", d)
    toml = (lite_notebooks / "chapters.toml").read_text(encoding="utf-8")
    (d / "chapters.toml").write_text(toml.replace("lite = true\n", ""), encoding="utf-8")
    assert [c.lite for c in book_chapters(None, d)] == [False]
    (d / "chapters.toml").write_text(toml.replace("lite = true", 'lite = "yes"'), encoding="utf-8")
    with pytest.raises(EdgelabError, match="lite must be true or false"):
        book_chapters(None, d)


def test_rebuild_replaces_the_site_and_a_failure_keeps_the_old_one(small_out, tmp_path,
                                                                    monkeypatch):
    dest = tmp_path / "site"
    dest.mkdir()
    (dest / "stale.html").write_text("old", encoding="utf-8")
    (dest / "lite").mkdir()
    (dest / "lite" / "keep.txt").write_text("bundle", encoding="utf-8")
    build_site(small_out, dest, repo_url=REPO)
    assert not (dest / "stale.html").exists() and (dest / "index.html").exists()
    assert (dest / "lite" / "keep.txt").read_text(encoding="utf-8") == "bundle"
    before = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))

    def boom(src, out, timeout_s):  # noqa: ANN001, ANN202
        raise RuntimeError("Sphinx failed (exit 2): broken")

    monkeypatch.setattr("edgelab.book.site._run_sphinx", boom)
    with pytest.raises(RuntimeError, match="Sphinx failed"):
        build_site(small_out, dest, repo_url=REPO)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temp folder left
    code, out, err = run_captured("book", "--runs", str(small_out), "--out", str(dest),
                                  "--repo-url", REPO)
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and "Sphinx" in err


def test_external_assets_finds_a_cdn_script(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script><a href="https://mybinder.org/v2">b</a>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css"><img src="_images/x.png">',
        encoding="utf-8")
    found = external_assets(tmp_path)
    assert len(found) == 2 and "cdn.example.org" in found[0] and "fonts.example.org" in found[1]


# ------------------------------------------------------------------------- the repo-URL rule
def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def test_repo_url_argument_wins_and_is_checked(tmp_path):
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "a/b"}
    assert resolve_repo_url(REPO + "/", cwd=tmp_path, env=env) == (REPO, "given with --repo-url")
    with pytest.raises(EdgelabError, match=r"repo_url \(--repo-url\)"):
        resolve_repo_url("github.com/a", cwd=tmp_path, env={})


def test_repo_url_from_github_actions(tmp_path):
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "owner/repo"}
    url, why = resolve_repo_url(None, cwd=tmp_path, env=env)
    assert url == "https://github.com/owner/repo" and "GITHUB_REPOSITORY" in why


@pytest.mark.parametrize("remote,expected", [
    ("git@github.com:owner/repo.git", "https://github.com/owner/repo"),
    ("https://github.com/owner/repo.git", "https://github.com/owner/repo"),
    ("https://gitlab.example.org/owner/repo.git", None),
])
def test_repo_url_from_git_remote(tmp_path, remote, expected):
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", remote)
    url, why = resolve_repo_url(None, cwd=tmp_path, env={})
    assert url == expected
    assert ("git remote get-url origin" in why) if expected else ("not a GitHub URL" in why)
    assert "gitlab" not in why  # the remote is not echoed (it may carry a token)


def test_repo_url_none_without_a_remote(tmp_path):
    _git(tmp_path, "init", "-q")
    url, why = resolve_repo_url(None, cwd=tmp_path, env={})
    assert url is None and "no remote" in why


def test_build_without_repo_url_says_why_in_one_line(small_out, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("edgelab.book.site.resolve_repo_url",
                        lambda repo_url, cwd=None: (None, "no --repo-url, test"))
    res = build_site(small_out, tmp_path / "site")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["edgelab book: no Binder buttons: no --repo-url, test (pass --repo-url URL)"]
    assert res.repo_url is None
    assert "mybinder.org/v2" not in (tmp_path / "site" / f"{STEM}.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize("argv,needle", [
    (["--runs", "{missing}", "--out", "{tmp}/s"], "runs (--runs)"),
    (["--runs", "{empty}", "--out", "{tmp}/s"], "edgelab reproduce --quick --out"),
    (["--runs", "{out}", "--out", "{tmp}/s", "--repo-url", "nope"], "repo_url (--repo-url)"),
    (["--runs", "{out}", "--out", "{tmp}/s", "--previous", "{missing}"], "previous (--previous)"),
    (["--runs", "{out}", "--out", "{file}"], "dest (--out)"),
    (["--runs", "{out}", "--out", "{out}"], "dest (--out)"),
    (["--runs", "{out}", "--out", "{tmp}/s", "--branch", "a b"], "branch (--branch)"),
    (["--out", "{tmp}/s"], "--runs"),
])
def test_cli_bad_input_is_one_line_and_exit_2(small_out, tmp_path, argv, needle):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    fill = {"missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty"),
            "out": str(small_out), "tmp": str(tmp_path), "file": str(tmp_path / "file")}
    code, out, err = run_captured("book", *[a.format(**fill) for a in argv])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err, err


def test_cli_builds_and_prints_what_it_built(small_out, tmp_path):
    prev = tmp_path / "prev"
    shutil.copytree(small_out, prev)
    code, out, err = run_captured("book", "--runs", str(small_out), "--out", str(tmp_path / "s"),
                                  "--previous", str(prev), "--repo-url", REPO,
                                  "--branch", "nightly")
    assert code == 0, err
    assert re.match(r"^built .+: \d+ pages \(1 chapters\), [\d.]+ MB in [\d.]+ s; Binder buttons "
                    rf"for {re.escape(REPO)}$", out.strip())
    html = (tmp_path / "s" / "drift.html").read_text(encoding="utf-8")
    assert "no differences beyond tolerance" in html
    assert "/edgelab/nightly?urlpath=" in (tmp_path / "s" / f"{STEM}.html").read_text(
        encoding="utf-8")



def test_build_warns_when_the_notebooks_hold_no_figures(small_out, tmp_path, capsys):
    runs = tmp_path / "out"
    shutil.copytree(small_out, runs)
    path = runs / "runs" / f"{STEM}.ipynb"
    nb = load_notebook(path)
    for cell in nb["cells"]:
        cell["outputs"] = [o for o in cell.get("outputs", []) if "image/png" not in
                           o.get("data", {})]
    path.write_text(json.dumps(nb), encoding="utf-8")
    build_site(runs, tmp_path / "site", repo_url=REPO)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hold no figures" in err[0] and "MPLBACKEND" in err[0]
    capsys.readouterr()
    build_site(small_out, tmp_path / "site", repo_url=REPO)
    assert capsys.readouterr().err == ""


def test_a_failed_chapter_says_so_on_its_page(small_out, tmp_path):
    runs = tmp_path / "out"
    shutil.copytree(small_out, runs)
    path = runs / "runs" / f"{STEM}.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(status="failed", error="ValueError: <bad> thing", cell_index=7)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    build_site(runs, tmp_path / "site", repo_url=REPO)
    html = (tmp_path / "site" / f"{STEM}.html").read_text(encoding="utf-8")
    assert "This chapter failed in this run:" in html
    assert "cell 7: ValueError: &lt;bad&gt; thing" in html
    build_site(small_out, tmp_path / "site", repo_url=REPO)
    assert "failed in this run" not in (tmp_path / "site" / f"{STEM}.html").read_text(
        encoding="utf-8")


def test_chapter_page_shows_the_run_parameters_without_the_run_folder():
    """papermill's injected cell says how the chapter ran (quick, seed), never the OUT path of
    the machine that built the book."""
    from edgelab.book.site import _chapter_copy

    nb = {"metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "quick = True\n"},
        {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
         "source": ["# Parameters\n", "quick = False\n", "seed = 0\n", 'out_dir = "/tmp/x"\n']}]}
    page = _chapter_copy(nb, "00_ei_levels", lite=False)
    assert page["cells"][1]["source"] == "# Parameters\nquick = False\nseed = 0"
    assert nb["cells"][1]["source"][3] == 'out_dir = "/tmp/x"\n'  # the run's notebook untouched


def test_claims_page_values_read_like_the_summary():
    """Reported values as the paper's text (their units inside), reproduced ones to 4 digits."""
    from edgelab.book.pages import _value

    assert _unescape(_value("11.0681231068", "x")) == "11.07 x"
    assert _unescape(_value("60965224", "weights")) == "6.097e+07 weights"
    assert _value("", "x") == "–" and _value("true", "") == "true"
