"""Notebook execution that cannot stall (edgelab._nbexec) and the pipeline's use of it.

The mechanism is in ``edgelab/pipeline/nbexec.py``'s docstring; ``tests/benchmarks/bench_execution.py``
measures it over hundreds of runs. These tests pin each piece: the lost wake-up itself on real
ZeroMQ sockets, its re-arming, bounded waits, stall detection, the one re-execution, quiet IPC
kernels and the up-front kernel check.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from queue import Empty

import nbformat
import pytest
import zmq
import zmq.asyncio

from edgelab import _nbexec, pipeline
from edgelab.cli import run_captured
from edgelab.errors import EdgelabError

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC,
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(path))
    return path


# ============================================================================ the root cause
async def _reply_after_shadow_send(rearm: bool, folder: str) -> bool:
    """A DEALER awaits a reply; the reply lands, then a send on a synchronous shadow of the
    same socket (what ``jupyter_client.Session.send`` does) runs before the event loop looks.
    Returns whether the await was woken within 2 s."""
    ctx = zmq.asyncio.Context()
    router = zmq.Context.instance().socket(zmq.ROUTER)
    dealer = ctx.socket(zmq.DEALER)
    try:
        url = f"ipc://{folder}/s"
        router.bind(url)
        dealer.connect(url)
        await dealer.send(b"hello")
        ident, _ = router.recv_multipart()
        waiting = asyncio.ensure_future(dealer.poll(timeout=None))
        await asyncio.sleep(0.05)  # the poll is registered with the loop
        router.send_multipart([ident, b"execute_reply"])
        time.sleep(0.2)  # the reply is in the DEALER's pipe; the loop has not run
        zmq.Socket.shadow(dealer.underlying).send(b"comm_msg")  # processes the wake-up
        if rearm:
            dealer.get(zmq.EVENTS)  # what _nbexec does after every shell send
        try:
            await asyncio.wait_for(waiting, 2.0)
            return True
        except TimeoutError:
            assert dealer.poll(timeout=0).result() == zmq.POLLIN  # the reply *is* there
            return False
    finally:
        dealer.close(linger=0)
        router.close(linger=0)
        ctx.term()


def test_a_shadow_send_swallows_the_wake_up_and_a_rearm_restores_it() -> None:
    with tempfile.TemporaryDirectory(prefix="edgelab-z", dir="/tmp") as d:
        assert asyncio.run(_reply_after_shadow_send(rearm=False, folder=d)) is False
        assert asyncio.run(_reply_after_shadow_send(rearm=True, folder=d)) is True


# ============================================================================ bounded waits
class FakeChannel:
    """get_msg that misses ``misses`` polls (sleeping through each), then answers."""

    def __init__(self, misses: int) -> None:
        self.misses = misses
        self.calls: list[float | None] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.calls.append(timeout)
        if timeout is None:
            raise AssertionError("an unbounded wait reached the socket")
        if self.misses:
            self.misses -= 1
            await asyncio.sleep(timeout)
            raise Empty
        return {"msg_id": "reply"}


def test_an_unbounded_wait_becomes_bounded_slices() -> None:
    ch = FakeChannel(misses=3)
    get = _nbexec.repolling(ch.get_msg, slice_s=0.02)
    assert asyncio.run(get()) == {"msg_id": "reply"}
    assert ch.calls == [0.02] * 4  # three empty slices, then the reply


def test_a_bounded_wait_is_sliced_too_and_still_times_out() -> None:
    ch = FakeChannel(misses=100)
    get = _nbexec.repolling(ch.get_msg, slice_s=0.02)
    t0 = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(get(timeout=0.1))
    assert 0.09 <= time.monotonic() - t0 < 1.0
    assert max(ch.calls) <= 0.02 and len(ch.calls) >= 4


def test_on_empty_runs_after_each_empty_slice_and_may_raise() -> None:
    seen = []

    def on_empty() -> None:
        seen.append(1)
        if len(seen) == 2:
            raise _nbexec.KernelStallError(3, "test")

    get = _nbexec.repolling(FakeChannel(misses=10).get_msg, slice_s=0.01, on_empty=on_empty)
    with pytest.raises(_nbexec.KernelStallError, match="cell 3"):
        asyncio.run(get())
    assert len(seen) == 2


def test_bad_slice() -> None:
    with pytest.raises(ValueError, match="slice_s"):
        _nbexec.repolling(FakeChannel(0).get_msg, slice_s=0)


# ============================================================================ stall detection
def _status(msg_id: str, state: str) -> dict:
    return {"msg_type": "status", "parent_header": {"msg_id": msg_id},
            "content": {"execution_state": state}}


def test_idle_without_a_reply_is_a_stall_after_the_grace() -> None:
    w = _nbexec.CellWatch(reply_grace_s=10, start_grace_s=60)
    w.cell_index = 4
    w.check(now=1e9)  # nothing in flight: never a stall
    w.sent("m1", now=0.0)
    w.status(_status("m1", "busy"), now=0.1)
    w.status(_status("other", "idle"), now=0.2)  # another request's idle is ignored
    w.check(now=50.0)  # busy for 50 s: a long cell, not a stall
    w.status(_status("m1", "idle"), now=51.0)
    w.check(now=60.0)
    with pytest.raises(_nbexec.KernelStallError, match="cell 4.*idle 11 s ago") as e:
        w.check(now=62.0)
    assert e.value.cell_index == 4


def test_a_cell_never_started_is_a_stall() -> None:
    w = _nbexec.CellWatch(reply_grace_s=10, start_grace_s=60)
    w.sent("m1", now=0.0)
    w.check(now=59.0)
    with pytest.raises(_nbexec.KernelStallError, match="did not start the cell within 61 s"):
        w.check(now=61.0)
    w.sent("m2", now=100.0)  # a new cell resets the watch
    w.check(now=101.0)


def test_cell_watch_rejects_bad_graces() -> None:
    with pytest.raises(ValueError, match="reply_grace_s"):
        _nbexec.CellWatch(reply_grace_s=0)


#: A cell that makes the kernel drop its own ``execute_reply`` while ``flag`` is missing, as a
#: lost reply would: the kernel goes idle and the client never hears back.
DROP_REPLY = """\
import os
k = get_ipython().kernel
send = k.session.send
def dropping_send(stream, msg_or_type, *args, **kwargs):
    kind = msg_or_type if isinstance(msg_or_type, str) else msg_or_type["header"]["msg_type"]
    if kind == "execute_reply" and not os.path.exists(FLAG):
        open(FLAG, "w").close()
        return None
    return send(stream, msg_or_type, *args, **kwargs)
k.session.send = dropping_send"""


def test_a_stalled_chapter_is_rerun_once_and_then_fails_naming_the_cell(tmp_path: Path) -> None:
    """A kernel that goes idle without replying is detected in seconds and re-run once."""
    flag = tmp_path / "dropped"
    nb = _notebook(tmp_path / "00_x.ipynb", "quick = True\nseed = 0\nout_dir = 'o'",
                   f"FLAG = {str(flag)!r}\n" + DROP_REPLY, "b = 2")
    said: list[str] = []
    t0 = time.monotonic()
    res = pipeline.run_chapter(nb, tmp_path / "out", {}, cell_timeout=600, echo=said.append)
    assert time.monotonic() - t0 < 120  # the grace, not the 600 s cell timeout
    assert res.ok and res.retries == 1 and flag.exists()
    assert len(said) == 1 and said[0].startswith("  retry  00_x: KernelStallError: the kernel "
                                                 "went idle") and "re-running" in said[0]
    manifest = json.loads((tmp_path / "out" / "runs" / "00_x.json").read_text())
    assert manifest["retries"] == 1 and manifest["status"] == "ok"

    flag.unlink()  # the re-run drops its reply too (a second flag it never finds): fails
    nb2 = _notebook(tmp_path / "01_y.ipynb", "quick = True\nseed = 0\nout_dir = 'o'",
                    f"FLAG = {str(tmp_path / 'never' / 'x')!r}\n"
                    + DROP_REPLY.replace("open(FLAG, \"w\").close()", "pass"))
    res = pipeline.run_chapter(nb2, tmp_path / "out", {}, cell_timeout=600)
    assert not res.ok and res.retries == 1
    assert res.describe_failure().startswith("cell 1 (`FLAG = ")
    assert "KernelStallError: the kernel went idle" in res.describe_failure()


# ============================================================================ real kernels
def test_interact_cells_run_quietly_over_ipc_without_echo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Widget cells run; Output widgets keep their outputs without echoing them to the kernel;
    the kernel uses IPC sockets, and its own stderr goes to the kernel log, not the console."""
    private_tmp = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))  # short: socket paths
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    src = _notebook(
        tmp_path / "in.ipynb", "x = 1",
        "import ipywidgets as w\nfrom ipykernel import get_connection_info\n"
        "def f(k=2):\n    print('k =', k * x)\n"
        "w.interact(f, k=(1, 5));",
        "print(get_connection_info(unpack=True)['transport'])")
    dst, log = tmp_path / "out.ipynb", tmp_path / "kernel.log"
    before = _nbexec.STATS["echo_dropped"]
    _nbexec.execute_notebook(str(src), str(dst), parameters={"x": 3}, kernel_name="python3",
                             progress_bar=False, execution_timeout=120, kernel_log=str(log))
    out = nbformat.read(str(dst), as_version=4)
    widget = [o for o in out.cells[-2].outputs if o.output_type == "display_data"]
    assert widget and "application/vnd.jupyter.widget-view+json" in widget[0].data
    assert _nbexec.STATS["echo_dropped"] > before
    states = out.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"].get("outputs") for m in states.values()
               if m["model_name"] == "OutputModel"]
    assert outputs and "k = 6" in json.dumps(outputs)  # the captured print is kept
    assert out.cells[-1].outputs[0]["text"].strip() == "ipc"
    assert log.exists() and "TCP" not in log.read_text()
    assert list(private_tmp.iterdir()) == []  # the IPC folder and its sockets are removed
    private_tmp.rmdir()


def test_reproduce_checks_the_kernel_once_up_front(tmp_path: Path) -> None:
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "00_a.ipynb", "quick = True")
    with pytest.raises(EdgelabError, match="--kernel: no Jupyter kernel named 'nosuch'"):
        pipeline.reproduce(tmp_path / "o", notebooks_dir=nbs, kernel="nosuch", progress=False)
    assert not (tmp_path / "o" / "runs").exists() or not any((tmp_path / "o" / "runs").iterdir())
    code, out, err = run_captured("reproduce", "--notebooks", str(nbs), "--out",
                                  str(tmp_path / "o"), "--kernel", "nosuch", "--no-progress")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "python3" in err and "Traceback" not in err


def test_cell_timeout_defaults_by_mode() -> None:
    assert pipeline.CELL_TIMEOUT_S == {"quick": 300.0, "full": 1800.0}
    with pytest.raises(ValueError, match="cell_timeout"):
        pipeline.reproduce("o", cell_timeout=float("inf"))


def _unshare_works() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs `unshare -n` (root); CI runs as root")
def test_a_chapter_runs_with_no_network_at_all(tmp_path: Path) -> None:
    """In a network namespace whose loopback is down, TCP kernels cannot start; IPC ones do."""
    import subprocess
    import sys

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "00_a.ipynb", "quick = True\nseed = 0\nout_dir = 'o'",
              "import socket\ns = socket.socket()\ntry:\n    s.connect(('127.0.0.1', 9))\n"
              "except OSError as e:\n    print('no network:', e.errno)")
    root = Path(__file__).resolve().parents[1]
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "PYTHONPATH": str(root), "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "edgelab", "reproduce", "--notebooks", str(nbs),
         "--out", str(tmp_path / "o"), "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "ok  00_a" in proc.stdout and proc.stderr == ""
    out = nbformat.read(str(tmp_path / "o" / "runs" / "00_a.ipynb"), as_version=4)
    assert "no network" in out.cells[-1].outputs[0]["text"]
