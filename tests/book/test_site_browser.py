"""The built book in a real browser (issue 18 item 1): headless Chromium opens every page.

The session's quick reproduction of every chapter (``quick_reproduction`` of tests/conftest.py,
``--jobs 2``, ~90 s on an idle 2-core machine, shared with the verdict test) is built into a
site (:func:`edgelab.book.site.build_site`). The site is served by the standard library's
``http.server`` on 127.0.0.1 in a thread; Playwright drives Debian's ``/usr/bin/chromium``
(never ``playwright install``). Every chapter page and the index, claims, drift and
instructors pages must answer 200 with their title, every ``<img>`` must decode
(``naturalWidth > 0``), every same-origin link outside ``lite/`` (the JupyterLite bundle is
built by another command) must answer 200, no request may go to another host, and the search
page must find "Neurosurgeon".

Skips, with the reason, when chromium or playwright is missing; with
``EDGELAB_REQUIRE_BROWSER`` set (CI), that is a failure instead.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from chromium_support import CHROMIUM, FLAGS, require_browser, serve, wait

from edgelab.book.pages import book_chapters
from edgelab.book.site import build_site

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
REPO = "https://github.com/example-org/edgelab"


@pytest.fixture(scope="session")
def built_site(request, tmp_path_factory) -> tuple[Path, Path]:
    """The site of the session's quick reproduction of every chapter (tests/conftest.py's
    ``quick_reproduction``, shared with the verdict test; not modified here)."""
    require_browser()
    # EDGELAB_BOOK_TEST_OUT: while developing, an existing OUT of every chapter instead of a run
    if os.environ.get("EDGELAB_BOOK_TEST_OUT"):
        out = Path(os.environ["EDGELAB_BOOK_TEST_OUT"])
    else:
        # the shared run's kernels have their inline backend (tests/conftest.py), so figures
        out, result = request.getfixturevalue("quick_reproduction")
        assert not result.failed, [c.describe_failure() for c in result.failed]
    res = build_site(out, tmp_path_factory.mktemp("site-browser") / "site", repo_url=REPO,
                     notebooks_dir=NB_DIR)
    print(res.describe())
    return res.dest, out


@pytest.fixture(scope="session")
def served(built_site):
    with serve(built_site[0]) as url:
        yield url + "/"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _wait_strict(pred, timeout: float, what: str):  # noqa: ANN001, ANN202
    return wait(pred, timeout, what, retry_errors=False)


def _png_outputs(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return sum(1 for c in nb["cells"] for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def test_every_page_loads_decodes_and_links_in_chromium(built_site, served):
    from playwright.sync_api import sync_playwright

    chapters = book_chapters(None, NB_DIR)
    figures = {f"{c.stem}.html": _png_outputs(built_site[1] / "runs" / f"{c.stem}.ipynb")
               for c in chapters}
    assert sum(figures.values()) > len(chapters), (  # the chapters plot: the kernels made PNGs
        "the executed notebooks hold few figures: did the shared quick_reproduction run with "
        "MPLBACKEND=Agg (tests/conftest.py must unset it for the kernels)?")
    pages = [(f"{c.stem}.html", c.title) for c in chapters] + [
        ("index.html", "edgelab"), ("claims.html", "Claims"), ("drift.html", "Drift"),
        ("instructors.html", "For instructors")]
    origin = urlparse(served).netloc
    foreign: list[str] = []
    checked: dict[str, int] = {}
    n_images = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.set_default_timeout(30_000)
            page.on("request", lambda r: foreign.append(r.url)
                    if urlparse(r.url).scheme in ("http", "https")
                    and urlparse(r.url).netloc != origin else None)
            for name, title in pages:
                resp = page.goto(served + name, wait_until="load")
                assert resp is not None and resp.status == 200, name
                assert title in page.title(), (name, page.title())
                # every image decoded (lazy ones are forced to load first)
                page.evaluate("() => document.querySelectorAll('img').forEach(i => {"
                              "i.loading = 'eager'; i.scrollIntoView(); })")
                _wait_strict(lambda: page.evaluate(
                    "() => Array.from(document.images).every(i => i.complete)"), 30,
                    f"the images of {name} to load")
                broken = page.evaluate(
                    "() => Array.from(document.images).filter(i => i.naturalWidth === 0)"
                    ".map(i => i.getAttribute('src'))")
                assert broken == [], (name, broken)
                n_images += page.evaluate("() => document.images.length")
                if name in figures:  # every figure of the executed notebook is on its page
                    shown = page.evaluate("() => document.querySelectorAll('.cell_output img')"
                                          ".length")
                    assert shown == figures[name], (name, shown, figures[name])
                hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'))"
                                      ".map(a => a.href)")
                for href in hrefs:
                    u = urlparse(href)
                    if u.netloc != origin or u.path.lstrip("/").startswith("lite/"):
                        continue
                    target = urljoin(href, u.path)
                    if target not in checked:
                        checked[target] = _status(target)
                    assert checked[target] == 200, (name, href, checked[target])
            # search works offline: Sphinx's searchindex.js in the page, no server
            page.goto(served + "search.html?q=Neurosurgeon", wait_until="load")
            _wait_strict(lambda: "Search finished" in page.evaluate(
                "() => document.querySelector('.search-summary')?.textContent || ''"), 60,
                "the search for Neurosurgeon to finish")
            hits = page.locator("#search-results ul.search li a").evaluate_all(
                "els => els.map(e => e.getAttribute('href'))")
            assert any(h.startswith("20_partition.html") for h in hits), hits
        finally:
            browser.close()
    assert foreign == [], f"requests to other hosts: {foreign[:5]}"
    assert n_images > 0 and len(checked) > len(pages)
    print(f"{len(pages)} pages, {n_images} images decoded, {len(checked)} internal links "
          f"answered 200, search found {len(hits)} pages for Neurosurgeon")
