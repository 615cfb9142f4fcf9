"""The Flower adapter (needs the ``edgelab[flower]`` extra; skipped without flwr)."""

import contextlib
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

pytest.importorskip("flwr")

from edgelab.training.federated import ClientConfig, FedAvg, Federation, simulate  # noqa: E402
from edgelab.training.federated import flower as fl  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# Ray (under Flower) runs in a child process: its gRPC threads and atexit hooks never touch the
# test process, which later forks and starts Jupyter kernels.
CHILD = """\
import sys, torch
from edgelab.training.federated import flower as fl
res = fl.run_flower_simulation(fl.FlowerSettings(n_clients=3, rounds=2, seed=0), num_workers=2)
torch.save({"params": res.params, "accuracy": list(res.accuracy)}, sys.argv[1])
"""
#: Upper bound on the child's run (it takes ~20-40 s on 2 cores); well under pytest-timeout's 600 s.
RUN_BOUND_S = 300.0


def _is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1, or an IPv4-mapped loopback address (``::ffff:127.0.0.1``)."""
    addr = ipaddress.ip_address(ip.split("%")[0])
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or (mapped is not None and mapped.is_loopback)


def _bound_sockets(proc) -> list[tuple[str, str, int]]:
    """``(kind, ip, port)`` of every listening TCP socket and every unconnected bound UDP socket."""
    import psutil

    out = []
    for c in proc.net_connections(kind="inet"):
        if c.type == socket.SOCK_STREAM and c.status == psutil.CONN_LISTEN:
            out.append(("tcp", c.laddr.ip, c.laddr.port))
        elif c.type == socket.SOCK_DGRAM and c.laddr and not c.raddr:
            out.append(("udp", c.laddr.ip, c.laddr.port))
    return out


def _run_watching_sockets(args: list[str], bound_s: float) -> tuple[int, str, dict]:
    """Run ``args``; while it runs, poll the listening sockets of its whole process tree.

    Returns (exit status, stderr, {(pid, name, kind, ip, port)}). On ``bound_s`` the tree is
    killed (children first, each by its pid) and the test fails.
    """
    import psutil

    seen: dict[tuple, str] = {}
    known: dict[int, psutil.Process] = {}
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                 stdin=subprocess.DEVNULL, text=True)
        root = psutil.Process(child.pid)
        deadline = time.monotonic() + bound_s
        try:
            while child.poll() is None:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Flower run did not end within {bound_s:.0f} s")
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    tree = []
                for pr in tree:
                    known.setdefault(pr.pid, pr)
                    try:
                        name = pr.name()
                        for kind, ip, port in _bound_sockets(pr):
                            seen.setdefault((pr.pid, name, kind, ip, port),
                                            " ".join(pr.cmdline())[:200])
                    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                        continue
                time.sleep(0.1)
        finally:
            # on timeout or error: nothing outlives the test
            for pr in reversed(list(known.values())):
                if pr.pid != child.pid:
                    with contextlib.suppress(psutil.Error):
                        if pr.is_running():
                            pr.kill()
            if child.poll() is None:
                child.kill()
                child.wait(10)
        err.seek(0)
        return child.returncode, err.read(), seen


@pytest.fixture(scope="module")
def flower_run(tmp_path_factory):
    """One small Flower simulation (3 clients, 2 rounds) in a child process, watched for sockets."""
    pytest.importorskip("psutil")
    dest = tmp_path_factory.mktemp("flower") / "flower.pt"
    rc, stderr, sockets = _run_watching_sockets([sys.executable, "-c", CHILD, str(dest)],
                                                RUN_BOUND_S)
    return rc, stderr, sockets, dest


def test_flower_simulation_reaches_edgelabs_model(flower_run):
    rc, stderr, _, dest = flower_run
    s = fl.FlowerSettings(n_clients=3, rounds=2, seed=0)
    assert rc == 0, stderr[-3000:]
    res = torch.load(dest)
    ref = simulate(Federation.digits(3, "dirichlet", seed=0, alpha=0.5, standardize=s.standardize), FedAvg(),
                   ClientConfig(lr=s.lr, epochs=s.epochs, batch_size=s.batch_size), s.rounds,
                   seed=0, engine="sequential")
    assert torch.allclose(res["params"], ref.params, atol=1e-5)
    assert res["accuracy"][-1] == pytest.approx(ref.accuracy, abs=1e-3)
    assert len(res["accuracy"]) == 2


def test_flower_simulation_listens_on_loopback_only(flower_run):
    """No socket open to the network: every socket the run's process tree listens on is
    127.0.0.0/8 or ::1."""
    rc, stderr, sockets, _ = flower_run
    assert rc == 0, stderr[-3000:]
    names = {name for _, name, *_ in sockets}
    # the watch saw Ray's servers (else the check below would pass vacuously)
    assert {"gcs_server", "raylet"} <= names, sorted(sockets)
    exposed = sorted(k for k in sockets if not _is_loopback(k[3]))
    assert not exposed, "listening beyond loopback: " + "; ".join(
        f"{name} (pid {pid}) {kind} {ip}:{port}" for pid, name, kind, ip, port in exposed)


@pytest.mark.parametrize("ip,ok", [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
                                   ("::ffff:127.0.0.1", True), ("0.0.0.0", False), ("::", False),
                                   ("192.0.2.2", False), ("::ffff:10.0.0.1", False)])
def test_is_loopback(ip, ok):
    assert _is_loopback(ip) is ok


def test_ray_on_loopback_sets_and_restores_the_switch(monkeypatch):
    monkeypatch.setenv(fl.RAY_LOCAL_ONLY_ENV, "1")
    with fl.ray_on_loopback():
        assert os.environ[fl.RAY_LOCAL_ONLY_ENV] == "0"
    assert os.environ[fl.RAY_LOCAL_ONLY_ENV] == "1"
    monkeypatch.delenv(fl.RAY_LOCAL_ONLY_ENV)
    with fl.ray_on_loopback():
        assert os.environ[fl.RAY_LOCAL_ONLY_ENV] == "0"
    assert fl.RAY_LOCAL_ONLY_ENV not in os.environ
    assert fl.RAY_LOOPBACK_INIT_ARGS["_node_ip_address"] == "127.0.0.1"


def test_module_level_apps_and_app_folder(tmp_path):
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp

    from edgelab.training.federated import flower_app

    assert isinstance(flower_app.client_app, ClientApp)
    assert isinstance(flower_app.server_app, ServerApp)
    p = fl.write_flower_app(tmp_path / "app", n_clients=2, rounds=1)
    text = (p / "pyproject.toml").read_text()
    assert "edgelab.training.federated.flower_app:server_app" in text and "n-clients = 2" in text
    assert "127.0.0.1:8000" in (p / ".flwr" / "config.toml").read_text()
    # Flower's own check that the components exist (static, as `flwr run` does)
    from flwr.supercore.object_ref import validate

    for ref in ("edgelab.training.federated.flower_app:server_app", "edgelab.training.federated.flower_app:client_app"):
        assert validate(ref)[0], ref
    assert fl.FlowerSettings.from_config({"n-clients": 2, "lr": 0.1}).lr == 0.1
