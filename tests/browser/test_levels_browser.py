"""End to end in a real browser: JupyterLab + headless Chromium run the levels chapter
(seed 003 §III-B explorer).

Starts JupyterLab on 127.0.0.1 (``--allow-root``, no token) serving a temporary copy of
``notebooks/00_ei_levels.ipynb``, opens it in headless Chromium driven by Playwright (Debian's
``/usr/bin/chromium``; never ``playwright install``), waits until the server reports an idle
kernel for the notebook (the toolbar reads idle before any kernel exists), runs all cells,
drags the bandwidth slider and checks that the explorer's figure changes. The server is
stopped with SIGTERM to its own process (its shutdown API answers 403 without a token).

Skips, with the reason, when chromium, playwright or jupyterlab is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from chromium_support import CHROMIUM, FLAGS, require_browser, wait

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "00_ei_levels.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - localhost only
        return json.loads(r.read().decode())


@pytest.fixture
def lab(tmp_path):
    require_browser("jupyterlab", "ipywidgets", "ipykernel")
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    shutil.copy(NOTEBOOK, nbdir / NOTEBOOK.name)  # never let autosave write outputs into the repo
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "EDGELAB_OUT_DIR": str(tmp_path / "out"),
    })
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={nbdir}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=nbdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: proc.poll() is None and _get(f"{url}/api/status"), 90, "JupyterLab to start")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # the shutdown API answers 403 without a token
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _kernel_state(url: str) -> str | None:
    for s in _get(f"{url}/api/sessions"):
        if s.get("path", "").endswith(NOTEBOOK.name) and s.get("kernel"):
            return _get(f"{url}/api/kernels/{s['kernel']['id']}").get("execution_state")
    return None


def _figure_src(page) -> str:  # noqa: ANN001
    imgs = page.locator(".widget-output img")
    return imgs.first.get_attribute("src") if imgs.count() else ""


def test_levels_chapter_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab}/lab/tree/{NOTEBOOK.name}")
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            # the toolbar reads idle before a kernel exists: ask the server instead
            wait(lambda: _kernel_state(lab) == "idle", 120, "an idle kernel for the notebook")
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            handle = page.locator(".widget-hslider .noUi-handle").first
            handle.wait_for(state="attached", timeout=180_000)
            # every code cell done: no "[*]" prompt left and the kernel idle
            wait(lambda: _kernel_state(lab) == "idle" and page.locator(
                ".jp-InputArea-prompt", has_text="[*]").count() == 0, 180, "Run All to finish")
            errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]',
                                  has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
            before = wait(lambda: _figure_src(page), 60, "the explorer's figure")
            readout_before = page.locator(".widget-hslider .widget-readout").first.inner_text()
            after = None
            # A cold first run (fresh virtual environment: font caches, first imports) can
            # drop the first drag; drag again, the other way, before calling it a failure.
            for attempt, dx in enumerate((-120, 120)):
                handle.scroll_into_view_if_needed()
                box = handle.bounding_box()
                assert box is not None
                x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(x + dx, y, steps=12)
                page.mouse.up()
                try:
                    after = wait(lambda: (s := _figure_src(page)) and s != before and s, 60,
                                  "the figure to change after moving the slider")
                    break
                except AssertionError:
                    readout = page.locator(".widget-hslider .widget-readout").first.inner_text()
                    print(f"drag {attempt + 1}: readout {readout_before} -> {readout}, "
                          "figure unchanged")
                    if attempt == 1:
                        raise
            assert after != before
            readout_after = page.locator(".widget-hslider .widget-readout").first.inner_text()
            assert readout_after != readout_before
            print(f"slider {readout_before} -> {readout_after} Mbit/s; figure changed "
                  f"({len(before)} -> {len(after)} chars of PNG data)")
        finally:
            browser.close()
