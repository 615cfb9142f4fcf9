"""The JupyterLite bundle in headless Chromium (issue 18 item 3).

A module fixture builds the bundle (``build_lite``: npm's Pyodide, pip's wheels, ``jupyter lite
build``) into a temporary folder and serves it with the standard library's HTTP server on
127.0.0.1 (``.wasm`` as ``application/wasm``, ``.mjs`` as ``text/javascript``). Chromium is
Debian's ``/usr/bin/chromium`` driven by Playwright (never ``playwright install``), with the
flags of ``tests/browser/test_levels_browser.py``; every request the page and its workers make
is recorded.

* ``test_lite_kernel_starts_offline`` (runs in CI and here, with no access to Pyodide's CDN):
  opens chapter 00, waits for an idle Pyodide kernel, runs a new cell printing
  ``sys.platform`` (``emscripten``), then one importing edgelab from the bundled wheel, checks
  that the kernel's working folder holds ``notebooks/chapters.toml`` (``chapter_card`` reads
  it), and drives an ipywidgets slider both ways (kernel sets it, a drag changes the kernel's
  value) with the bundled ipywidgets and lab extension; until the first cell's output no
  request leaves 127.0.0.1, and afterwards only Pyodide's CDN is asked (for the compiled
  packages edgelab's lock entry depends on, which fail here).
* ``test_lite_chapter_00_explorer_online`` (``@pytest.mark.online``, deselected by
  ``make test``; run by the nightly with ``pytest -m online tests/book``): needs Pyodide's CDN
  (numpy, pandas, matplotlib, scipy are on no registry), runs every cell of chapter 00, moves
  the explorer's bandwidth slider and checks that the figure changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from chromium_support import CHROMIUM, FLAGS, require_browser, serve, wait

from edgelab.book.lite import PYODIDE_CDN, build_lite

pytestmark = pytest.mark.browser

CHAPTER = "00_ei_levels"
#: seconds to wait for the lab, the kernel, one cell
LOAD_S, KERNEL_S, CELL_S = 60, 180, 240


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    require_browser()
    base = tmp_path_factory.mktemp("lite")
    res = build_lite(base / "lite", cache_dir=base / "cache")
    print(f"bundle: built in {res.build_s:.1f} s, {res.size_bytes:,} bytes, "
          f"{len(res.vendored)} wheels served locally, {res.cdn_packages} on Pyodide's CDN")
    with serve(res.out_dir) as url:
        yield url, res.summary()


class _Session:
    """Chromium on the bundle with every request (page and workers) recorded."""

    def __init__(self, pw, url: str) -> None:  # noqa: ANN001
        self.url = url
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.requests: list[tuple[float, str]] = []
        self.failed: list[str] = []
        self.done: set[str] = set()
        self.console: list[str] = []
        self.t0 = time.monotonic()
        self.context.on("request", lambda r: self.requests.append(
            (time.monotonic() - self.t0, r.url)))
        self.context.on("requestfinished", lambda r: self.done.add(r.url))
        self.context.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def external(self, until: float | None = None) -> list[str]:
        host = urlsplit(self.url).netloc
        return [u for t, u in self.requests if (until is None or t <= until)
                and urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != host]

    def open_chapter(self) -> tuple[float, float]:
        """Open the chapter; seconds until the notebook shows and until the kernel is idle."""
        self.t0 = time.monotonic()
        self.page.goto(f"{self.url}/lab/index.html?path={CHAPTER}.ipynb")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=LOAD_S * 1000)
        shown = time.monotonic() - self.t0

        def idle() -> bool:  # the indicator reads idle before a kernel exists: wait for its
            # worker to have installed the kernel package (the last wheel it fetches) first
            started = any("pyodide_kernel-" in u for u in self.done)
            state = self.page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute(
                "data-status")
            return started and state == "idle"

        wait(idle, KERNEL_S, "an idle Pyodide kernel")
        return shown, time.monotonic() - self.t0

    def run_new_cell(self, code: str) -> str:
        """Insert a code cell at the top, run it, return its output text."""
        nb = self.page.locator(".jp-Notebook").first
        nb.locator(".jp-Cell").first.locator(".jp-InputPrompt").first.click()  # not an output
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("a")  # insert above, command mode
        self.page.keyboard.press("Enter")  # edit mode
        self.page.keyboard.type(code)
        self.page.keyboard.press("Shift+Enter")
        out = nb.locator(".jp-Cell").first.locator(".jp-OutputArea-output")
        return wait(lambda: out.count() and out.all_inner_texts(), CELL_S,
                    f"the output of {code!r}")

    def close(self) -> None:
        self.browser.close()


def test_lite_kernel_starts_offline(bundle: tuple[str, dict]) -> None:
    from playwright.sync_api import sync_playwright

    url, summary = bundle
    with sync_playwright() as pw:
        s = _Session(pw, url)
        try:
            shown, idle = s.open_chapter()
            out1 = s.run_new_cell("import sys; print(sys.platform)")
            first_output = time.monotonic() - s.t0
            assert "\n".join(out1).strip() == "emscripten"
            assert s.external(first_output) == [], "the kernel's start left 127.0.0.1"
            out2 = s.run_new_cell("import edgelab; print('edgelab', edgelab.__version__)")
            from edgelab import __version__

            assert f"edgelab {__version__}" in "\n".join(out2), out2
            assert any("/static/pyodide/edgelab-" in u for _, u in s.requests)
            # chapter_card reads notebooks/ from the kernel's working folder (the drive)
            out3 = s.run_new_cell("import os; print(os.getcwd(), "
                                  "os.path.exists('notebooks/chapters.toml'))")
            assert "\n".join(out3).strip().endswith("True"), out3
            # the widgets, both ways, with the bundled ipywidgets and the lab extension
            s.run_new_cell("import ipywidgets as w; probe = w.IntSlider(value=3); probe")
            readout = s.page.locator(".widget-readout").first
            wait(lambda: readout.inner_text().strip() == "3", CELL_S, "the slider to show 3")
            s.run_new_cell("probe.value = 7; print('set')")
            wait(lambda: readout.inner_text().strip() == "7", CELL_S, "the slider to show 7")
            handle = s.page.locator(".widget-hslider .noUi-handle").first
            box = handle.bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            s.page.mouse.move(x, y)
            s.page.mouse.down()
            s.page.mouse.move(x + 60, y, steps=8)
            s.page.mouse.up()
            moved = wait(lambda: (t := readout.inner_text().strip()) != "7" and t, CELL_S,
                         "the readout to change after the drag")
            out4 = s.run_new_cell("print(probe.value)")
            assert "\n".join(out4).strip() == moved, (out4, moved)
            assert any("jupyterlab-manager/static/remoteEntry" in u for u in s.done)
            others = [u for u in s.external() if not u.startswith(PYODIDE_CDN)]
            assert others == [], "requests to hosts other than Pyodide's CDN"
            pure = [u for u in s.external() if "-none-any.whl" in u or not u.endswith(".whl")]
            assert pure == [], "the CDN is only for compiled wheels: pure ones are bundled"
            local = [u for _, u in s.requests if u.startswith(url)]
            wheels = sorted({u.rsplit("/", 1)[-1].split("?")[0] for u in local
                             if ".whl" in u})
            print(f"chapter shown {shown:.1f} s, kernel idle {idle:.1f} s, first output "
                  f"{first_output:.1f} s after opening; {len(local)} local requests, wheels "
                  f"{wheels}; Pyodide CDN asked for "
                  f"{sorted(u.rsplit('/', 1)[-1] for u in s.external())}; failed: "
                  f"{len(s.failed)}")
        finally:
            s.close()


def _figure_src(page) -> str:  # noqa: ANN001
    imgs = page.locator(".widget-output img")
    return imgs.first.get_attribute("src") if imgs.count() else ""


@pytest.mark.online
def test_lite_chapter_00_explorer_online(bundle: tuple[str, dict]) -> None:
    """Needs Pyodide's CDN (cdn.jsdelivr.net) for numpy, pandas, matplotlib and scipy: the
    nightly runs it (``pytest -m online tests/book``); ``make test`` deselects it."""
    from playwright.sync_api import sync_playwright

    url, _ = bundle
    with sync_playwright() as pw:
        s = _Session(pw, url)
        try:
            s.open_chapter()
            s.page.get_by_role("menuitem", name="Run", exact=True).click()
            s.page.get_by_text("Run All Cells", exact=True).click()
            handle = s.page.locator(".widget-hslider .noUi-handle").first
            tracebacks = s.page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                has_text="Error")
            # Run All stops at the first failing cell: wait for the slider or an error
            wait(lambda: handle.count() or tracebacks.count(), CELL_S,
                 "the explorer's slider (or a cell's error)")
            if not handle.count():
                text = (tracebacks.first.text_content() or "").strip().splitlines() or [""]
                raise AssertionError(f"a cell failed before the explorer: {text[-1]!r}; "
                                     f"failed requests: {sorted(set(s.failed))[:4]}")
            wait(lambda: s.page.locator(".jp-InputArea-prompt", has_text="[*]").count() == 0,
                 CELL_S, "Run All to finish")
            errors = s.page.locator('[data-mime-type="application/vnd.jupyter.stderr"]',
                                    has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
            before = wait(lambda: _figure_src(s.page), 60, "the explorer's figure")
            handle.scroll_into_view_if_needed()
            box = handle.bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            s.page.mouse.move(x, y)
            s.page.mouse.down()
            s.page.mouse.move(x - 120, y, steps=12)
            s.page.mouse.up()
            after = wait(lambda: (f := _figure_src(s.page)) and f != before and f, 120,
                         "the figure to change after moving the slider")
            assert after != before
        finally:
            s.close()
