"""Engines agree; strategies aggregate and count bytes as documented (seed 003 §IV-C.1)."""

import numpy as np
import pytest
import torch

from edgelab.training.federated import (
    SSGD,
    ClientConfig,
    FedAvg,
    Federation,
    FedProx,
    FedSGD,
    client_plan,
    simulate,
    steps_per_client,
)
from edgelab.training.federated.core import BatchedTrainer, SequentialTrainer


@pytest.fixture(scope="module")
def fed():
    return Federation.digits(12, "dirichlet", seed=0, alpha=0.5)


def test_client_plan_is_seeded_and_covers_each_epoch():
    cfg = ClientConfig(epochs=2, batch_size=4)
    p = client_plan(10, cfg, 0, 1, 3)
    assert p.shape == (6, 4)
    assert np.array_equal(p, client_plan(10, cfg, 0, 1, 3))
    assert not np.array_equal(p, client_plan(10, cfg, 0, 2, 3))
    for e in range(2):
        ep = p[3 * e:3 * e + 3]
        assert sorted(ep[ep >= 0].tolist()) == list(range(10))
    assert client_plan(10, ClientConfig(batch_size=4, steps=7), 0, 1, 3).shape == (7, 4)
    assert client_plan(10, ClientConfig(batch_size=None), 0, 1, 3).shape == (1, 10)
    assert list(steps_per_client([10, 3], cfg)) == [6, 2]


@pytest.mark.parametrize("strategy,cfg", [
    (FedAvg(fraction=0.5), ClientConfig(lr=0.05, epochs=2, batch_size=7)),
    (FedSGD(fraction=1.0), ClientConfig(lr=0.5)),
    (FedProx(fraction=0.75, mu=0.1), ClientConfig(lr=0.05, batch_size=5)),
    (SSGD(fraction=0.5, upload_fraction=0.2), ClientConfig(lr=0.05)),
])
def test_batched_and_sequential_engines_agree(fed, strategy, cfg):
    a = simulate(fed, strategy, cfg, 3, seed=1, engine="batched")
    b = simulate(fed, strategy, cfg, 3, seed=1, engine="sequential")
    assert a.backend == "matmul"
    assert torch.allclose(a.params, b.params, atol=1e-5, rtol=1e-4)
    assert np.allclose(a.history["accuracy"], b.history["accuracy"], atol=1e-2)


def test_torch_func_backend_agrees_with_matmul_and_cnn_runs():
    fed = Federation.digits(6, "iid", seed=0)
    d = fed.data
    model = fed.build_model(0)
    mm = BatchedTrainer(model, d.x_train, d.y_train, fed.client_split.indices)
    fn = BatchedTrainer(model, d.x_train, d.y_train, fed.client_split.indices, backend="func")
    assert (mm.backend, fn.backend) == ("matmul", "func")
    w0 = mm.spec.flatten(model)
    cfg = ClientConfig(batch_size=16)
    assert torch.allclose(mm.train(w0, [0, 2, 5], cfg, 0, 1), fn.train(w0, [0, 2, 5], cfg, 0, 1), atol=1e-5)
    cnn = Federation.digits(4, "iid", seed=0, model="digits_cnn")
    a = simulate(cnn, FedAvg(), ClientConfig(batch_size=32), 1, engine="batched")
    b = simulate(cnn, FedAvg(), ClientConfig(batch_size=32), 1, engine="sequential")
    assert a.backend == "func" and torch.allclose(a.params, b.params, atol=1e-5)


def test_fedsgd_is_one_step_along_the_weighted_mean_gradient(fed):
    d = fed.data
    model = fed.build_model(0)
    tr = SequentialTrainer(model, d.x_train, d.y_train, fed.client_split.indices)
    w0 = tr.spec.flatten(model)
    ids = np.arange(fed.n_clients)
    _, g = tr.loss_grad(w0.repeat(len(ids), 1), ids)
    n = fed.client_split.sizes
    expected = w0 - 0.3 * (torch.from_numpy(n / n.sum()).float() @ g)
    r = simulate(fed, FedSGD(), ClientConfig(lr=0.3), 1)
    assert torch.allclose(r.params, expected, atol=1e-5)


def test_ssgd_with_full_sharing_is_fedavg(fed):
    a = simulate(fed, SSGD(upload_fraction=1.0), ClientConfig(), 2)
    b = simulate(fed, FedAvg(), ClientConfig(), 2)
    assert torch.allclose(a.params, b.params, atol=1e-6)


def test_ssgd_changes_only_shared_coordinates():
    w = torch.zeros(10)
    local = torch.arange(1.0, 21.0).reshape(2, 10)
    new = SSGD(upload_fraction=0.2).aggregate(w, local, np.array([1, 1]))
    assert (new != 0).sum() == 2 and new[9] == pytest.approx((10 + 20) / 2)


def test_byte_accounting(fed):
    p = fed.build_model(0)
    n_params = sum(x.numel() for x in p.parameters())
    r = simulate(fed, FedAvg(fraction=0.5), ClientConfig(), 2)
    h = r.history
    assert (h["clients"] == 6).all()
    assert (h["bytes_up"] == 6 * 4 * n_params).all() and (h["bytes_down"] == 6 * 4 * n_params).all()
    assert h["cum_bytes"].iloc[-1] == 2 * 2 * 6 * 4 * n_params
    s = simulate(fed, SSGD(fraction=0.5, upload_fraction=0.1), ClientConfig(), 1)
    k = int(np.ceil(0.1 * n_params))
    assert s.history["bytes_up"].iloc[0] == 6 * k * 8


def test_simulated_time_from_system_model(fed):
    from edgelab.training.federated import SystemModel

    sysm = SystemModel.sample(fed.n_clients, straggler_prob=0.0, seed=0)
    r = simulate(fed, FedAvg(), ClientConfig(), 2, system=sysm)
    t = r.history["sim_round_s"]
    assert (t > 0).all() and r.history["sim_time_s"].iloc[-1] == pytest.approx(t.sum())
    slow = SystemModel.sample(fed.n_clients, straggler_prob=1.0, straggler_slowdown=(5, 5), seed=0)
    r2 = simulate(fed, FedAvg(), ClientConfig(), 2, system=slow)
    assert (r2.history["sim_round_s"] > t).all()


def test_stop_at_target_and_rounds_to(fed):
    r = simulate(fed, FedAvg(), ClientConfig(lr=0.1, epochs=5), 50, target_accuracy=0.5,
                 stop_at_target=True)
    assert r.rounds_to(0.5) == len(r.history)


@pytest.mark.parametrize("kw,match", [({"engine": "gpu"}, "engine"), ({"rounds": 0}, "rounds"),
                                      ({"target_accuracy": 1.5}, "target_accuracy"),
                                      ({"time_budget_s": 10}, "system")])
def test_simulate_bad_input(fed, kw, match):
    args = {"rounds": 1, **kw}
    with pytest.raises(ValueError, match=match):
        simulate(fed, **args)


def test_client_config_bad_input():
    with pytest.raises(ValueError, match="lr"):
        ClientConfig(lr=0)
    with pytest.raises(ValueError, match="batch_size"):
        ClientConfig(batch_size=0)
    with pytest.raises(ValueError, match="mu"):
        FedProx(mu=0)
