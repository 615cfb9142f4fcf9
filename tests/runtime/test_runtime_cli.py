"""``edgelab emulate`` (seed 003 §V-C.2): the JSON it prints and every bad input as one line
with exit status 2. A catalog CPU stands in for the calibrated host (the rows' shape is
checked here; accuracy is the chapter's and `python -m edgelab.runtime.figures`' business)."""

from __future__ import annotations

import dataclasses
import json
import os
import socket

import pytest

from edgelab.cli import run_captured
from edgelab.hardware.catalog import get_device
from edgelab.hardware.host import save_host_device

pytestmark = pytest.mark.timeout(300)


@pytest.fixture()
def host():
    save_host_device(dataclasses.replace(get_device("laptop-cpu"), name="host"))


def test_json_rows_and_headline_figures(host):
    code, out, err = run_captured("emulate", "digits_cnn", "--link", "4g", "--bandwidth", "2",
                                  "8", "--split", "3", "--repeats", "2", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["device"] == "host" and d["link"] == "4g" and d["shaper"] == "user"
    assert [(r["split"], r["bandwidth_mbps"]) for r in d["rows"]] == [(3, 2.0), (3, 8.0)]
    for r in d["rows"]:
        assert {"split", "bandwidth_mbps", "measured_s", "predicted_s", "serialise_s"} <= set(r)
        assert r["measured_s"] > r["serialise_s"] > 0 and r["predicted_s"] > 0.07  # ≥ one RTT
    assert 0.0 <= d["within_20pct"] <= 1.0 and isinstance(d["best_split_agrees"], bool)


@pytest.mark.parametrize("argv,match", [
    (["--link", "4gg"], "unknown link '4gg'"),
    (["--link", "4g", "--bandwidth", "0"], "bandwidth must be a finite number > 0"),
    (["--link", "4g", "--bandwidth", "-3"], "bandwidth must be a finite number > 0"),
    (["--link", "4g", "--split", "11"], r"split must be an integer in \[0, 10\], got 11"),
    (["--link", "4g", "--split", "-1"], r"split must be an integer in \[0, 10\]"),
    (["--link", "4g", "--port", "70000"], r"port must be an integer in \[0, 65535\]"),
    (["--link", "lora"], "duty cycle"),
])
def test_bad_input_is_one_line_exit_2(argv, match):
    import re

    code, out, err = run_captured("emulate", "digits_cnn", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and re.search(match, err), err


def test_port_in_use_is_exit_2(host):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        port = s.getsockname()[1]
        code, _, err = run_captured("emulate", "digits_cnn", "--link", "4g", "--port", str(port))
    finally:
        s.close()
    assert code == 2 and f"{port} is in use" in err and len(err.strip().splitlines()) == 1


def test_kernel_shaper_without_root_says_so_and_falls_back_only_if_asked(host, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, _, err = run_captured("emulate", "digits_cnn", "--link", "4g", "--shaper", "kernel")
    assert code == 2 and "needs root" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_captured("emulate", "digits_cnn", "--link", "4g", "--shaper", "kernel",
                                  "--fallback", "--split", "10", "--repeats", "1",
                                  "--format", "json")
    assert code == 0 and "falling back to the user-space link" in err
    assert json.loads(out)["shaper"] == "user"
