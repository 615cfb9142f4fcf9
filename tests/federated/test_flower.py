"""The Flower adapter (needs the ``edgelab[flower]`` extra; skipped without flwr)."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("flwr")

from edgelab.federated import ClientConfig, FedAvg, Federation, simulate  # noqa: E402
from edgelab.federated import flower as fl  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# Ray (under Flower) runs in a child process: its gRPC threads and atexit hooks never touch the
# test process, which later forks and starts Jupyter kernels.
CHILD = """\
import sys, torch
from edgelab.federated import flower as fl
res = fl.run_flower_simulation(fl.FlowerSettings(n_clients=3, rounds=2, seed=0), num_workers=2)
torch.save({"params": res.params, "accuracy": list(res.accuracy)}, sys.argv[1])
"""


def test_flower_simulation_reaches_edgelabs_model(tmp_path):
    s = fl.FlowerSettings(n_clients=3, rounds=2, seed=0)
    dest = tmp_path / "flower.pt"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(dest)], cwd=ROOT, capture_output=True,
                          text=True, timeout=420, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = torch.load(dest)
    ref = simulate(Federation.digits(3, "dirichlet", seed=0, alpha=0.5, standardize=s.standardize), FedAvg(),
                   ClientConfig(lr=s.lr, epochs=s.epochs, batch_size=s.batch_size), s.rounds,
                   seed=0, engine="sequential")
    assert torch.allclose(res["params"], ref.params, atol=1e-5)
    assert res["accuracy"][-1] == pytest.approx(ref.accuracy, abs=1e-3)
    assert len(res["accuracy"]) == 2


def test_module_level_apps_and_app_folder(tmp_path):
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp

    from edgelab.federated import flower_app

    assert isinstance(flower_app.client_app, ClientApp)
    assert isinstance(flower_app.server_app, ServerApp)
    p = fl.write_flower_app(tmp_path / "app", n_clients=2, rounds=1)
    text = (p / "pyproject.toml").read_text()
    assert "edgelab.federated.flower_app:server_app" in text and "n-clients = 2" in text
    assert "127.0.0.1:8000" in (p / ".flwr" / "config.toml").read_text()
    # Flower's own check that the components exist (static, as `flwr run` does)
    from flwr.supercore.object_ref import validate

    for ref in ("edgelab.federated.flower_app:server_app", "edgelab.federated.flower_app:client_app"):
        assert validate(ref)[0], ref
    assert fl.FlowerSettings.from_config({"n-clients": 2, "lr": 0.1}).lr == 0.1
