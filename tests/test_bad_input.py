"""Bad-input matrix (every parameter of the CLI and the API): one line, never a traceback.

Every CLI case runs ``edgelab ...`` in-process through :func:`edgelab.cli.run_captured` and
asserts the exit status (2: bad input, 1: runtime failure), that stderr is exactly one line
without "Traceback", and that the line names the parameter. Every API case asserts the
exception type and a message fragment naming the parameter. A few cases run the real
``edgelab`` console script in a subprocess. All cases fail at validation: nothing is measured
or executed, so the matrix runs in seconds.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgelab import _validate, cli, levels
from edgelab.cli import run_captured
from edgelab.errors import EdgelabError, ParameterError, ParameterTypeError, UnknownNameError
from edgelab.hardware import cost
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.profile import parse_shape, profile_model
from edgelab.inference import partition
from edgelab.record import Recorder, dumps_json

INF, NAN = float("inf"), float("nan")
HUGE = 10**400  # beyond float range: must be a ValueError, never an OverflowError
LEVELS = ("levels", "--model", "alexnet", "--device", "rpi4", "--edge", "t4", "--link", "wifi5")
COST = ("cost", "alexnet", "--device", "rpi4")
SPLIT = ("cost", "alexnet", "--device", "rpi4", "--server", "a100", "--link", "wifi5")
PART = ("partition", "alexnet", "--device", "rpi4", "--server", "a100", "--link", "wifi5")
CAL = ("calibrate", "--models", "digits_mlp", "digits_cnn", "--no-save")
BENCH = ("bench", "fedavg")


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Files and folders the CLI cases refer to as {file}, {run}, {binrun}, {empty}, {missing}."""
    root = tmp_path_factory.mktemp("bad_input")
    a_file = root / "a-file.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    binary = root / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01binary")
    run = root / "run"
    (run / "tables").mkdir(parents=True)
    (run / "summary.csv").write_text("claim_id,value\nx,1\n", encoding="utf-8")
    binrun = root / "binrun"
    (binrun / "tables").mkdir(parents=True)
    (binrun / "summary.csv").write_bytes(b"\xff\xd8\xff\xe0 jpeg, not csv")
    empty = root / "empty"
    empty.mkdir()
    return {"file": str(a_file), "bin": str(binary), "run": str(run), "binrun": str(binrun),
            "empty": str(empty), "missing": str(root / "missing")}


def _one_line(err: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, f"stderr is not one line: {err!r}"
    assert "Traceback" not in err
    assert err.startswith("edgelab: error: ")


# (argv, exit status, fragment of the one stderr line)
CLI_CASES: list[tuple[tuple[str, ...], int, str]] = [
    # global
    ((), 2, "command"),
    (("nosuchcommand",), 2, "invalid choice"),
    (("devices", "--format", "xml"), 2, "--format"),
    (("models", "--format", "yaml"), 2, "--format"),
    # profile
    (("profile",), 2, "model"),
    (("profile", "nosuchnet"), 2, "model"),
    (("profile", "alexnet", "--batch", "0"), 2, "batch"),
    (("profile", "alexnet", "--batch", "-3"), 2, "batch"),
    (("profile", "alexnet", "--batch", "99999999999999999999"), 2, "batch"),
    (("profile", "alexnet", "--batch", "abc"), 2, "--batch"),
    (("profile", "alexnet", "--batch", "1.5"), 2, "--batch"),
    (("profile", "alexnet", "--input", "3x1000000000x1000000000"), 2, "--input"),
    (("profile", "alexnet", "--input", "3xfoo"), 2, "--input"),
    (("profile", "alexnet", "--input", "0x224x224"), 2, "--input"),
    (("profile", "alexnet", "--input", "3x-1x224"), 2, "--input"),
    (("profile", "alexnet", "--input", "x"), 2, "--input"),
    (("profile", "alexnet", "--input", "3x224"), 2, "input_shape"),
    (("profile", "alexnet", "--input", "3x224x224x2"), 2, "input_shape"),
    (("profile", "vgg16", "--input", "3x300x300"), 2, "--input"),
    (("profile", "vgg16", "--input", "3x300x300"), 2, "3x224x224"),
    (("profile", "alexnet", "--input", "3x8x8"), 2, "--input"),
    (("profile", "digits_mlp", "--input", "1x1x1"), 2, "1x8x8"),
    (("profile", "alexnet", "--input", "3x4096x4096", "--batch", "100000"), 2, "--input"),
    (("profile", "alexnet", "--format", "xml"), 2, "--format"),
    # cost
    (("cost", "alexnet"), 2, "--device"),
    ((*COST[:3], "nosuchdevice"), 2, "device"),
    (("cost", "nosuchnet", "--device", "rpi4"), 2, "model"),
    ((*COST, "--split", "3"), 2, "split"),
    ((*COST, "--split", "abc"), 2, "--split"),
    ((*COST, "--bandwidth", "5"), 2, "--bandwidth"),
    ((*COST, "--bandwidth", "abc"), 2, "--bandwidth"),
    ((*COST, "--link", "nosuchlink", "--server", "a100", "--split", "2"), 2, "link"),
    ((*COST, "--server", "a100", "--split", "2"), 2, "link"),
    ((*COST, "--input", "3x8x8"), 2, "--input"),
    ((*SPLIT,), 2, "split"),
    ((*SPLIT, "--split", "99"), 2, "split"),
    ((*SPLIT, "--split", "-1"), 2, "split"),
    ((*SPLIT, "--split", "2", "--bandwidth", "0"), 2, "bandwidth"),
    ((*SPLIT, "--split", "2", "--bandwidth", "-5"), 2, "bandwidth"),
    ((*SPLIT, "--split", "2", "--bandwidth", "inf"), 2, "bandwidth"),
    ((*SPLIT, "--split", "2", "--bandwidth", "nan"), 2, "bandwidth"),
    ((*SPLIT, "--split", "2", "--bandwidth", "1e400"), 2, "bandwidth"),
    ((*SPLIT[:5], "nosuchserver", *SPLIT[6:], "--split", "2"), 2, "device"),
    # partition
    (("partition", "alexnet", "--device", "rpi4", "--link", "wifi5"), 2, "--server"),
    (("partition", "nosuchnet", *PART[2:]), 2, "model"),
    ((*PART[:-1], "nosuchlink"), 2, "link"),
    ((*PART, "--objective", "speed"), 2, "--objective"),
    ((*PART, "--deadline", "0"), 2, "deadline"),
    ((*PART, "--deadline", "-1"), 2, "deadline"),
    ((*PART, "--deadline", "inf"), 2, "deadline"),
    ((*PART, "--deadline", "nan"), 2, "deadline"),
    ((*PART, "--bandwidth", "0"), 2, "bandwidth"),
    ((*PART, "--bandwidth", "1e999"), 2, "bandwidth"),
    ((*PART, "--input", "3x8x8"), 2, "--input"),
    # levels
    ((*LEVELS[:-2],), 2, "--link"),
    ((*LEVELS, "--epochs", "0"), 2, "epochs"),
    ((*LEVELS, "--epochs", "99999999999"), 2, "epochs"),
    ((*LEVELS, "--samples", "0"), 2, "train_samples"),
    ((*LEVELS, "--samples", "1e3"), 2, "--samples"),
    ((*LEVELS, "--rate", "-1"), 2, "request_rate_hz"),
    ((*LEVELS, "--rate", "nan"), 2, "request_rate_hz"),
    ((*LEVELS, "--horizon", "inf"), 2, "horizon_s"),
    ((*LEVELS, "--horizon", "1e13"), 2, "horizon_s"),
    ((*LEVELS, "--rate", "1e300"), 2, "request_rate_hz"),
    ((*LEVELS, "--bandwidth", "inf"), 2, "bandwidth_mbps"),
    ((*LEVELS, "--bandwidth", "0"), 2, "bandwidth_mbps"),
    ((*LEVELS, "--wan-bandwidth", "-1"), 2, "wan_mbps"),
    ((*LEVELS, "--objective", "speed"), 2, "--objective"),
    ((*LEVELS[:6], "nosuchdevice", *LEVELS[7:]), 2, "device"),
    ((*LEVELS, "--wan", "nosuchlink"), 2, "link"),
    ((*LEVELS, "--cloud", "nosuchcloud"), 2, "device"),
    # calibrate: every case fails before measuring
    (("calibrate", "--models", "alexnet"), 2, "--models"),
    (("calibrate", "--models", "alexnet", "alexnet"), 2, "--models"),
    (("calibrate", "--models", "alexnet", "nosuchnet"), 2, "model"),
    ((*CAL, "--repeats", "0"), 2, "--repeats"),
    ((*CAL, "--processes", "0"), 2, "--processes"),
    ((*CAL, "--warmup", "-1"), 2, "--warmup"),
    ((*CAL, "--threads", "0"), 2, "--threads"),
    ((*CAL, "--threads", "x"), 2, "--threads"),
    ((*CAL, "--clock", "cpu"), 2, "--clock"),
    ((*CAL, "--format", "xml"), 2, "--format"),
    # bench
    (("bench",), 2, "bench"),
    ((*BENCH, "--threads", "-1"), 2, "--threads"),
    ((*BENCH, "--threads", "5000"), 2, "--threads"),
    ((*BENCH, "--clients", "0"), 2, "clients"),
    ((*BENCH, "--rounds", "0"), 2, "rounds"),
    ((*BENCH, "--rounds", "1000000000"), 2, "rounds"),
    ((*BENCH, "--seed", "-1"), 2, "seed"),
    ((*BENCH, "--engine", "nope"), 2, "--engine"),
    # reproduce: every case fails before a chapter runs
    (("reproduce", "--out", "{file}"), 2, "--out"),
    (("reproduce", "--out", "{file}/sub"), 2, "--out"),
    (("reproduce", "--jobs", "0"), 2, "--jobs"),
    (("reproduce", "--cell-timeout", "-1"), 2, "--cell-timeout"),
    (("reproduce", "--seed", "x"), 2, "--seed"),
    (("reproduce", "--quick", "--full"), 2, "--full"),
    # compare
    (("compare", "{run}"), 2, "RUN_B"),
    (("compare", "{run}", "{missing}"), 2, "run folder not found"),
    (("compare", "{run}", "{bin}"), 2, "run_b"),
    (("compare", "{file}", "{run}"), 2, "run_a"),
    (("compare", "{empty}", "{empty}"), 2, "OUT folders"),
    (("compare", "{run}", "{run}", "--rtol", "-1"), 2, "--rtol"),
    (("compare", "{run}", "{run}", "--atol", "nan"), 2, "--atol"),
    (("compare", "{run}", "{run}", "--rtol", "inf"), 2, "rtol"),
]


def _fill(argv: tuple[str, ...], places: dict[str, str]) -> list[str]:
    return [a.format(**places) for a in argv]


@pytest.mark.parametrize(("argv", "code", "fragment"), CLI_CASES,
                         ids=[" ".join(a) or "<none>" for a, _, _ in CLI_CASES])
def test_cli_bad_input(argv: tuple[str, ...], code: int, fragment: str,
                       places: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGELAB_DEBUG", raising=False)
    got, out, err = run_captured(*_fill(argv, places))
    assert got == code, (got, err)
    _one_line(err)
    assert fragment in err


def test_cli_reproduce_out_unwritable_is_a_runtime_failure(tmp_path: Path) -> None:
    """A path that cannot be created is exit 1 with what failed and where, in one line."""
    target = "/proc/edgelab-x" if Path("/proc/self").exists() else None
    if target is None:
        pytest.skip("needs /proc (Linux)")
    got, out, err = run_captured("reproduce", "--out", target, "--no-progress")
    assert got == 1
    _one_line(err)
    assert "reproduce failed" in err and target in err


def test_cli_unwritable_cache_is_a_runtime_failure(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """EDGELAB_CACHE under a file: exit 1 before measuring, naming the path and the way out."""
    from edgelab.hardware import calibrate

    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("EDGELAB_CACHE", str(blocker / "cache"))
    monkeypatch.setattr(calibrate.measure, "run_process", lambda *a, **k: pytest.fail("measured"))
    got, out, err = run_captured("calibrate", "--models", "digits_mlp", "digits_cnn")
    assert got == 1
    _one_line(err)
    assert "EDGELAB_CACHE" in err and str(blocker) in err


def test_cli_compare_binary_table_names_the_file(places: dict[str, str]) -> None:
    """A binary summary.csv is reported by path (drift: exit 1), not as a codec error."""
    got, out, err = run_captured("compare", places["run"], places["binrun"])
    assert got == 1 and err == ""
    assert "unreadable CSV" in out and str(Path(places["binrun"]) / "summary.csv") in out
    assert "codec can't decode" not in out


# ----------------------------------------------------------------------------- runtime failures
@pytest.mark.parametrize(("exc", "fragments"), [
    (RuntimeError("the kernel died"), ("devices failed", "RuntimeError", "the kernel died",
                                       "edgelab/")),
    (OSError(errno.ENOSPC, "No space left on device", "/out/x.csv"),
     ("devices failed", "No space left on device", "/out/x.csv")),
    (PermissionError(errno.EACCES, "Permission denied", "/root/x"), ("Permission denied",
                                                                     "/root/x")),
    (MemoryError(), ("MemoryError",)),
    (OverflowError("int too large"), ("OverflowError",)),
    (TypeError("internal bug"), ("TypeError", "internal bug")),
    (KeyError("col"), ("KeyError", "col")),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ("UnicodeDecodeError",)),
    (RuntimeError("line one\nline two\n" + "x" * 2000), ("line one",)),
])
def test_cli_runtime_failure_is_one_line_exit_1(exc: BaseException, fragments: tuple[str, ...],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from edgelab.hardware import catalog

    monkeypatch.delenv("EDGELAB_DEBUG", raising=False)

    def boom() -> None:
        raise exc

    monkeypatch.setattr(catalog, "devices", boom)
    got, out, err = run_captured("devices")
    assert got == 1
    _one_line(err)
    assert "line two" not in err and len(err) < 600
    for f in fragments:
        assert f in err
    assert "EDGELAB_DEBUG=1" in err


def test_cli_interrupt_is_one_line_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgelab.hardware import catalog

    def boom() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "devices", boom)
    got, out, err = run_captured("devices")
    assert got == 130 and err.count("\n") == 1 and "interrupted" in err


@pytest.mark.parametrize("how", ["env", "flag-first", "flag-last"])
def test_debug_shows_the_traceback(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["profile", "vgg16", "--input", "3x300x300"]
    if how == "env":
        monkeypatch.setenv("EDGELAB_DEBUG", "1")
    else:
        monkeypatch.delenv("EDGELAB_DEBUG", raising=False)
        argv = ["--debug", *argv] if how == "flag-first" else [*argv, "--debug"]
    got, out, err = run_captured(*argv)
    assert got == 2  # same status as without --debug
    assert "Traceback (most recent call last)" in err and "InputShapeError" in err


def test_default_shows_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGELAB_DEBUG", "0")
    got, out, err = run_captured("profile", "vgg16", "--input", "3x300x300")
    assert got == 2
    _one_line(err)


def test_a_command_module_that_fails_to_import_is_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES",
                        (*cli.COMMAND_MODULES, "edgelab.cli_nosuchplugin"))
    got, out, err = run_captured("devices")
    assert got == 1
    _one_line(err)
    assert "edgelab.cli_nosuchplugin" in err


# ----------------------------------------------------------------------------- real processes
def _edgelab() -> list[str]:
    exe = shutil.which("edgelab", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "edgelab"]


#: (argv, EDGELAB_DEBUG, exit status, fragment of stderr) for the real console script
SUBPROCESS_CASES: list[tuple[tuple[str, ...], str, int, str]] = [
    (("profile", "vgg16", "--input", "3x300x300"), "", 2, "3x224x224"),
    (("reproduce", "--out", "{file}"), "", 2, "--out"),
    (("bench", "fedavg", "--threads", "-1"), "", 2, "--threads"),
    (("bench", "fedavg", "--threads", "-1"), "1", 2, "Traceback (most recent call last)"),
]


@pytest.mark.parametrize(("argv", "debug", "code", "fragment"), SUBPROCESS_CASES,
                         ids=[f"{' '.join(a)}{' debug' if d else ''}"
                              for a, d, _, _ in SUBPROCESS_CASES])
def test_subprocess(argv: tuple[str, ...], debug: str, code: int, fragment: str,
                    places: dict[str, str]) -> None:
    """The real ``edgelab`` script: one line and the exit status; EDGELAB_DEBUG=1: traceback."""
    env = {k: v for k, v in os.environ.items() if k != "EDGELAB_DEBUG"}
    if debug:
        env["EDGELAB_DEBUG"] = debug
    r = subprocess.run([*_edgelab(), *_fill(argv, places)], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == code, r.stderr
    assert fragment in r.stderr
    if not debug:
        _one_line(r.stderr)


# ----------------------------------------------------------------------------- API
@pytest.fixture(scope="module")
def prof() -> Any:
    return profile_model("alexnet")


@pytest.fixture(scope="module")
def scenario() -> levels.Scenario:
    return levels.Scenario(model="alexnet", device="rpi4", edge="t4", link="wifi5")


def _sc(**kw: Any) -> levels.Scenario:
    return levels.Scenario(**{"model": "alexnet", "device": "rpi4", "edge": "t4",
                              "link": "wifi5", **kw})


# (id, call taking (profile, scenario), exception type, message fragment)
API_CASES: list[tuple[str, Any, type[BaseException], str]] = [
    # cost
    ("cost-name-for-profile", lambda p, s: cost.cost("alexnet", "rpi4"), TypeError, "profile"),
    ("cost-none-profile", lambda p, s: cost.cost(None, "rpi4"), TypeError, "profile"),
    ("cost-unknown-device", lambda p, s: cost.cost(p, "nosuch"), KeyError, "device"),
    ("cost-split-inf", lambda p, s: cost.cost(p, "rpi4", split=INF), ValueError, "split"),
    ("cost-split-nan", lambda p, s: cost.cost(p, "rpi4", split=NAN), ValueError, "split"),
    ("cost-split-bool", lambda p, s: cost.cost(p, "rpi4", split=True), TypeError, "split"),
    ("cost-split-str", lambda p, s: cost.cost(p, "rpi4", split="two"), TypeError, "split"),
    ("cost-split-huge", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", split=HUGE),
     ValueError, "split"),
    ("cost-split-frac", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", split=2.5),
     ValueError, "split"),
    ("cost-server-no-link", lambda p, s: cost.cost(p, "rpi4", "a100", split=2), ValueError,
     "link"),
    ("cost-bw-huge", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", HUGE, 2), ValueError,
     "bandwidth_mbps"),
    ("cost-bw-inf", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", INF, 2), ValueError,
     "bandwidth_mbps"),
    ("cost-bw-nan", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", NAN, 2), ValueError,
     "bandwidth_mbps"),
    ("cost-bw-empty", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", [], 2), ValueError,
     "bandwidth_mbps"),
    ("cost-bw-bool", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", True, 2), TypeError,
     "bandwidth_mbps"),
    ("cost-bw-str", lambda p, s: cost.cost(p, "rpi4", "a100", "wifi5", "fast", 2), TypeError,
     "bandwidth_mbps"),
    ("split-costs-name", lambda p, s: cost.split_costs("alexnet", "rpi4", "a100", "wifi5"),
     TypeError, "profile"),
    ("split-costs-empty-grid", lambda p, s: cost.split_costs(p, "rpi4", "a100", "wifi5", []),
     ValueError, "bandwidth_mbps"),
    ("split-costs-2d-grid", lambda p, s: cost.split_costs(p, "rpi4", "a100", "wifi5",
                                                          [[1, 2], [3, 4]]),
     ValueError, "bandwidth_mbps"),
    ("split-costs-neg-grid", lambda p, s: cost.split_costs(p, "rpi4", "a100", "wifi5", [5, -1]),
     ValueError, "bandwidth_mbps"),
    ("split-costs-bool-grid", lambda p, s: cost.split_costs(p, "rpi4", "a100", "wifi5",
                                                            [True, False]),
     TypeError, "bandwidth_mbps"),
    ("layer-latency-name", lambda p, s: cost.layer_latency("alexnet", "rpi4"), TypeError,
     "profile"),
    ("model-latency-int", lambda p, s: cost.model_latency(42, "rpi4"), TypeError, "profile"),
    ("grid-devices-str", lambda p, s: cost.layer_latency_grid(p, "rpi4"), TypeError, "devices"),
    ("per-layer-name", lambda p, s: cost.per_layer_table("alexnet", "rpi4"), TypeError,
     "profile"),
    ("fits-memory-name", lambda p, s: cost.fits_memory("alexnet", "rpi4"), TypeError, "profile"),
    ("transfer-bw-zero", lambda p, s: cost.transfer_time(100, 0), ValueError, "bandwidth_mbps"),
    ("transfer-bw-bool", lambda p, s: cost.transfer_time(100, True), TypeError, "bandwidth_mbps"),
    ("transfer-bw-huge", lambda p, s: cost.transfer_time(100, [HUGE]), ValueError,
     "bandwidth_mbps"),
    ("transfer-rtt-neg", lambda p, s: cost.transfer_time(100, 10, rtt_s=-1), ValueError, "rtt_s"),
    ("transfer-bytes-neg", lambda p, s: cost.transfer_time(-1, 10), ValueError, "nbytes"),
    # profile
    ("profile-batch-0", lambda p, s: profile_model("alexnet", batch=0), ValueError, "batch"),
    ("profile-batch-inf", lambda p, s: profile_model("alexnet", batch=INF), ValueError, "batch"),
    ("profile-batch-huge", lambda p, s: profile_model("alexnet", batch=10**30), ValueError,
     "batch"),
    ("profile-batch-frac", lambda p, s: profile_model("alexnet", batch=1.5), ValueError, "batch"),
    ("profile-batch-bool", lambda p, s: profile_model("alexnet", batch=True), TypeError, "batch"),
    ("profile-shape-2d", lambda p, s: profile_model("alexnet", input_shape=(3, 224)), ValueError,
     "input_shape"),
    ("profile-shape-str", lambda p, s: profile_model("alexnet", input_shape="3x224x224"),
     TypeError, "input_shape"),
    ("profile-shape-int", lambda p, s: profile_model("alexnet", input_shape=224), TypeError,
     "input_shape"),
    ("profile-shape-zero", lambda p, s: profile_model("alexnet", input_shape=(3, 0, 224)),
     ValueError, "input_shape"),
    ("profile-shape-inf", lambda p, s: profile_model("alexnet", input_shape=(3, INF, 224)),
     ValueError, "input_shape"),
    ("profile-shape-huge", lambda p, s: profile_model("alexnet", input_shape=(3, 10**9, 10**9)),
     ValueError, "input_shape"),
    ("profile-vgg-300", lambda p, s: profile_model("vgg16", input_shape=(3, 300, 300)),
     ValueError, "input_shape"),
    ("profile-name-int", lambda p, s: profile_model(123), TypeError, "name"),
    ("profile-name-unknown", lambda p, s: profile_model("nosuchnet"), KeyError, "model"),
    ("parse-shape-text", lambda p, s: parse_shape("3xfoo"), ValueError, "--input"),
    ("parse-shape-huge", lambda p, s: parse_shape("3x99999999x2"), ValueError, "--input"),
    # levels
    ("scenario-epochs-inf", lambda p, s: _sc(epochs=INF), ValueError, "epochs"),
    ("scenario-epochs-bool", lambda p, s: _sc(epochs=True), TypeError, "epochs"),
    ("scenario-epochs-huge", lambda p, s: _sc(epochs=HUGE), ValueError, "epochs"),
    ("scenario-samples-0", lambda p, s: _sc(train_samples=0), ValueError, "train_samples"),
    ("scenario-batch-frac", lambda p, s: _sc(train_batch=2.5), ValueError, "train_batch"),
    ("scenario-bw-huge", lambda p, s: _sc(bandwidth_mbps=HUGE), ValueError, "bandwidth_mbps"),
    ("scenario-bw-nan", lambda p, s: _sc(bandwidth_mbps=NAN), ValueError, "bandwidth_mbps"),
    ("scenario-bw-bool", lambda p, s: _sc(bandwidth_mbps=False), TypeError, "bandwidth_mbps"),
    ("scenario-wan-str", lambda p, s: _sc(wan_mbps="fast"), TypeError, "wan_mbps"),
    ("scenario-rate-neg", lambda p, s: _sc(request_rate_hz=-1), ValueError, "request_rate_hz"),
    ("scenario-horizon-inf", lambda p, s: _sc(horizon_s=INF), ValueError, "horizon_s"),
    ("scenario-objective", lambda p, s: _sc(objective="speed"), ValueError, "objective"),
    ("scenario-objective-list", lambda p, s: _sc(objective=["latency"]), ValueError, "objective"),
    ("scenario-device", lambda p, s: _sc(device="nosuch"), KeyError, "device"),
    ("scenario-link", lambda p, s: _sc(link="nosuch"), KeyError, "link"),
    ("evaluate-not-scenario", lambda p, s: levels.evaluate("alexnet"), TypeError, "scenario"),
    ("sweep-empty", lambda p, s: levels.sweep_bandwidth(s, []), ValueError, "bandwidths_mbps"),
    ("sweep-inf", lambda p, s: levels.sweep_bandwidth(s, [1, INF]), ValueError,
     "bandwidths_mbps"),
    ("sweep-huge", lambda p, s: levels.sweep_bandwidth(s, [HUGE]), ValueError,
     "bandwidths_mbps"),
    ("sweep-bool", lambda p, s: levels.sweep_bandwidth(s, [True]), TypeError, "bandwidths_mbps"),
    ("sweep-text", lambda p, s: levels.sweep_bandwidth(s, "10"), TypeError, "bandwidths_mbps"),
    ("deadline-map-0", lambda p, s: levels.deadline_map(s, deadline_s=0), ValueError,
     "deadline_s"),
    ("deadline-map-empty", lambda p, s: levels.deadline_map(s, bandwidths_mbps=[]), ValueError,
     "bandwidths_mbps"),
    ("claim-check-empty", lambda p, s: levels.claim_check(s, []), ValueError, "bandwidths_mbps"),
    ("claim-check-scope", lambda p, s: levels.claim_check(s, scope="all"), ValueError, "scope"),
    # partition
    ("best-split-name", lambda p, s: partition.best_split("alexnet", "rpi4", "a100", "wifi5"),
     TypeError, "profile"),
    ("best-split-objective", lambda p, s: partition.best_split(p, "rpi4", "a100", "wifi5",
                                                               objective="speed"),
     ValueError, "objective"),
    ("best-split-deadline", lambda p, s: partition.best_split(p, "rpi4", "a100", "wifi5",
                                                              deadline_s=-1),
     ValueError, "deadline_s"),
    ("best-split-empty-grid", lambda p, s: partition.best_split(p, "rpi4", "a100", "wifi5", []),
     ValueError, "bandwidth_mbps"),
    # catalog
    ("link-bw-zero", lambda p, s: get_link("wifi5", 0), ValueError, "bandwidth"),
    ("link-bw-huge", lambda p, s: get_link("wifi5", HUGE), ValueError, "bandwidth"),
    ("link-bw-bool", lambda p, s: get_link("wifi5", True), TypeError, "bandwidth"),
    ("device-unknown", lambda p, s: get_device("nosuch"), KeyError, "device"),
    # record
    ("timing-nan", lambda p, s: Recorder("bad_input_t").timing("t", NAN), ValueError, "seconds"),
    ("timing-inf", lambda p, s: Recorder("bad_input_t").timing("t", INF), ValueError, "seconds"),
    ("timing-neg", lambda p, s: Recorder("bad_input_t").timing("t", -1.0), ValueError, "seconds"),
    ("timing-bool", lambda p, s: Recorder("bad_input_t").timing("t", True), TypeError, "seconds"),
    ("timing-text", lambda p, s: Recorder("bad_input_t").timing("t", "1s"), TypeError, "seconds"),
    ("timing-name", lambda p, s: Recorder("bad_input_t").timing("a b", 1.0), ValueError,
     "timing"),
    ("recorder-chapter", lambda p, s: Recorder("a__b"), ValueError, "chapter"),
    # validators
    ("positive-huge", lambda p, s: _validate.positive("x", HUGE), ValueError, "x must"),
    ("positive-bool", lambda p, s: _validate.positive("x", True), TypeError, "x must"),
    ("positive-none", lambda p, s: _validate.positive("x", None), TypeError, "x must"),
    ("integer-inf", lambda p, s: _validate.integer_in("n", INF, 1, 5), ValueError, "n must"),
    ("integer-nan", lambda p, s: _validate.integer_in("n", NAN, 1, 5), ValueError, "n must"),
    ("integer-huge", lambda p, s: _validate.integer_in("n", HUGE, 1, 5), ValueError, "n must"),
    ("integer-huge-float", lambda p, s: _validate.integer_in("n", 1e300, 1, 5), ValueError,
     "n must"),
    ("integer-np-bool", lambda p, s: _validate.integer_in("n", np.bool_(True), 0, 5), TypeError,
     "n must"),
    ("array-empty", lambda p, s: _validate.positive_array("bw", []), ValueError, "bw must"),
    ("array-bool", lambda p, s: _validate.positive_array("bw", np.array([True])), TypeError,
     "bw must"),
    ("array-ragged", lambda p, s: _validate.positive_array("bw", [[1], [1, 2]]), TypeError,
     "bw must"),
    ("choice-unhashable", lambda p, s: _validate.choice("objective", {"a": 1}, ("latency",)),
     ValueError, "objective"),
    # federated bench: fails at validation, before loading data
    ("bench-engine", lambda p, s: _bench(engine="nope"), ValueError, "engine"),
    ("bench-clients", lambda p, s: _bench(clients=0), ValueError, "clients"),
    ("bench-seed-neg", lambda p, s: _bench(seed=-1), ValueError, "seed"),
    ("bench-threads-bool", lambda p, s: _bench(threads=True), TypeError, "threads"),
    # calibrate: fails before measuring
    ("calibrate-one-model", lambda p, s: _calibrate(models=["alexnet"]), ValueError, "models"),
    ("calibrate-str-model", lambda p, s: _calibrate(models="alexnet"), ValueError, "models"),
    ("calibrate-repeats", lambda p, s: _calibrate(repeats=0), ValueError, "repeats"),
    ("calibrate-threads-bool", lambda p, s: _calibrate(threads=True), TypeError, "threads"),
    ("calibrate-clock", lambda p, s: _calibrate(clock="cpu"), ValueError, "clock"),
    # compare
    ("compare-rtol-neg", lambda p, s: _compare(rtol=-1), ValueError, "rtol"),
    ("compare-rtol-nan", lambda p, s: _compare(rtol=NAN), ValueError, "rtol"),
    ("compare-atol-bool", lambda p, s: _compare(atol=True), TypeError, "atol"),
]


def _bench(**kw: Any) -> Any:
    from edgelab.training.federated.bench import run_fedavg_bench

    return run_fedavg_bench(**{"threads": None, **kw})


def _calibrate(**kw: Any) -> Any:
    from edgelab.hardware import calibrate

    return calibrate.run_calibration(**{"models": ["digits_mlp", "digits_cnn"], "save": False,
                                        "progress": False, **kw})


def _compare(**kw: Any) -> Any:
    from edgelab.pipeline import compare_runs

    here = Path(__file__).parent
    return compare_runs(here, here, **kw)


@pytest.mark.parametrize(("call", "exc", "fragment"), [c[1:] for c in API_CASES],
                         ids=[c[0] for c in API_CASES])
def test_api_bad_input(call: Any, exc: type[BaseException], fragment: str, prof: Any,
                       scenario: levels.Scenario, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGELAB_OUT_DIR", str(tmp_path))
    with pytest.raises(exc) as info:
        call(prof, scenario)
    err = info.value
    assert not isinstance(err, OverflowError | AttributeError)
    assert fragment in str(err)
    if isinstance(err, TypeError):  # a validation TypeError, never an internal one
        assert isinstance(err, EdgelabError), type(err)
    if isinstance(err, KeyError):
        assert isinstance(err, UnknownNameError)


def test_matrix_size() -> None:
    """The matrix covers the CLI and the API broadly: at least 200 cases in all."""
    assert len(CLI_CASES) + len(API_CASES) >= 200


def test_validation_errors_are_both_value_and_type_errors_where_compatible() -> None:
    """A wrong type is a TypeError, and still a ValueError for callers that caught that."""
    with pytest.raises(ParameterTypeError) as info:
        _validate.positive("x", True)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert issubclass(ParameterError, ValueError) and not issubclass(ParameterError, TypeError)


def test_json_writes_never_hold_nan(tmp_path: Path) -> None:
    """Recorder's JSON writes are strict JSON: NaN is null, never a bare NaN."""
    text = dumps_json({"a": NAN, "b": [1.0, NAN], "c": np.float64("nan")})
    assert "NaN" not in text and '"a": null' in text
    rec = Recorder("bad_input_t", tmp_path)
    rec.metric("m", NAN)
    rec.timing("t", 1.5)
    for p in tmp_path.rglob("*.json"):
        body = p.read_text(encoding="utf-8")
        assert "NaN" not in body and "Infinity" not in body
    assert math.isfinite(1.5)
