"""Split learning, SplitFed and Arden's knob (seed 003 §IV-C.4): exact cuts, exact bytes,
SplitFed v1 = FedAvg, the byte crossover against its closed form, cost-model times, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from edgelab.datasets import DataSplit, load_digits_split
from edgelab.hardware.cost import head_memory_bytes, peak_activation_bytes
from edgelab.hardware.profile import profile_model
from edgelab.models import build
from edgelab.training.federated import (
    ClientConfig,
    FedAvg,
    Federation,
    SystemModel,
    iid,
    simulate,
)
from edgelab.training.split_learning import (
    LABEL_BYTES,
    Perturbation,
    arden_costs,
    check_clients,
    crossover_clients,
    crossover_clients_closed_form,
    fedavg_bytes_per_epoch,
    fedavg_epoch_time,
    n_layers,
    shallow_cut,
    split_bytes_per_epoch,
    split_epoch_time,
    split_net,
    train_split,
)


@pytest.fixture(scope="module")
def fed() -> Federation:
    """600 training digits over 4 clients (a subset keeps the tests short on 2 cores)."""
    d = load_digits_split(seed=0)
    small = DataSplit(d.x_train[:600], d.y_train[:600], d.x_test, d.y_test, d.n_classes)
    return Federation(small, iid(small.y_train.numpy(), 4, seed=0), "digits_mlp")


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
def test_every_cut_is_exact_and_sends_the_profiled_bytes(name: str) -> None:
    model = build(name, seed=0)
    x = torch.randn(5, 1, 8, 8)
    prof = profile_model(name)
    n = n_layers(model)
    assert n == prof.n_layers
    for cut in range(1, n):
        net = split_net(model, cut)
        h = net.head(x)
        assert torch.equal(net.tail(h), model(x))
        assert h.numel() * h.element_size() == 5 * prof.cut_bytes()[cut]
        assert net.client_weight_bytes() == prof.table["weight_bytes"].iloc[:cut].sum()


@pytest.mark.parametrize("cut", [0, -1, 4, 99])
def test_cut_outside_the_model_names_the_range(cut: int) -> None:
    with pytest.raises(ValueError, match=r"cut.*\[1, 3\]|cut"):
        split_net(build("digits_mlp"), cut)
    try:
        split_net(build("digits_mlp"), cut)
    except ValueError as e:
        assert "cut" in str(e) and "3" in str(e)


def test_a_non_chain_model_is_refused() -> None:
    class Skip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.b(self.a(x)) + x

    with pytest.raises(ValueError, match="not a chain"):
        split_net(Skip(), 1)


def test_splitfed_v1_is_fedavg_step_for_step(fed: Federation) -> None:
    sfl = train_split(fed, "sflv1", cut=2, epochs=2)
    fa = simulate(fed, FedAvg(), ClientConfig(), rounds=2, engine="sequential")
    assert torch.allclose(sfl.params, fa.params, atol=1e-6)
    assert sfl.accuracy == pytest.approx(fa.accuracy)


def test_history_bytes_equal_the_closed_form(fed: Federation) -> None:
    for variant in ("vanilla", "sflv1", "sflv2"):
        r = train_split(fed, variant, cut=2, epochs=1)
        h = r.history.iloc[0]
        n = len(fed.data.y_train)
        q = 64 * 4  # fc1's 64 float32 outputs per sample
        wc = r.settings["client_weight_bytes"]
        assert wc == (64 * 64 + 64) * 4
        assert h["activation_bytes"] == h["gradient_bytes"] == n * q
        assert h["label_bytes"] == n * LABEL_BYTES
        assert h["bytes_total"] == split_bytes_per_epoch(n, fed.n_clients, q, wc)


def test_split_learning_learns_and_is_repeatable(fed: Federation) -> None:
    a = train_split(fed, "vanilla", cut=1, epochs=2, seed=3)
    b = train_split(fed, "vanilla", cut=1, epochs=2, seed=3)
    assert a.history.equals(b.history) and torch.equal(a.params, b.params)
    assert a.accuracy > 0.6
    v2 = train_split(fed, "sflv2", cut=2, epochs=2).history
    assert v2["train_loss"].iloc[1] < v2["train_loss"].iloc[0] and v2["accuracy"].iloc[1] > 0.1


def test_arden_noise_costs_accuracy_and_is_seeded(fed: Federation) -> None:
    clean = train_split(fed, "vanilla", cut=2, epochs=1)
    p = Perturbation(noise_scale=5.0, nullify=0.5)
    noisy = train_split(fed, "vanilla", cut=2, epochs=1, perturbation=p)
    again = train_split(fed, "vanilla", cut=2, epochs=1, perturbation=p)
    assert noisy.history.equals(again.history)
    assert noisy.accuracy < clean.accuracy
    assert noisy.history["bytes_total"].equals(clean.history["bytes_total"])


def test_perturbation_nullifies_the_share_it_is_told() -> None:
    h = torch.ones(200, 50)
    g = torch.Generator().manual_seed(0)
    out = Perturbation(nullify=0.3).apply(h, g)
    assert abs(float((out == 0).float().mean()) - 0.3) < 0.02
    lap = Perturbation(noise_scale=2.0).apply(torch.zeros(200_000), g)
    assert float(lap.abs().mean()) == pytest.approx(2.0, rel=0.02)  # E|Laplace(b)| = b


@pytest.mark.parametrize("kw, name", [({"noise_scale": -0.1}, "noise_scale"),
                                      ({"nullify": 1.0}, "nullify"), ({"nullify": -0.2}, "nullify")])
def test_bad_perturbation_names_the_parameter(kw: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Perturbation(**kw)


@pytest.mark.parametrize("k", [0, -3, 1.5, 2000])
def test_bad_client_counts_are_refused(k: object) -> None:
    with pytest.raises(ValueError, match="n_clients"):
        check_clients(k, 1437)


def test_time_model_refuses_no_clients_and_empty_clients() -> None:
    with pytest.raises(ValueError, match="n_clients"):
        split_epoch_time("digits_mlp", 2, [])
    with pytest.raises(ValueError, match="sizes"):
        fedavg_epoch_time("digits_mlp", [10, 0])


def test_bad_variant_and_cut_in_time_model() -> None:
    with pytest.raises(ValueError, match="variant"):
        split_epoch_time("digits_mlp", 2, [10, 10], variant="sflv3")
    with pytest.raises(ValueError, match="cut"):
        split_epoch_time("digits_mlp", 4, [10, 10])


@given(n=st.integers(1, 5000), q=st.integers(1, 10_000), wc=st.integers(0, 50_000),
       extra=st.integers(-20_000, 200_000), lab=st.sampled_from([0, 4, 8]))
def test_crossover_matches_the_closed_form(n: int, q: int, wc: int, extra: int, lab: int) -> None:
    w = max(1, wc + extra)
    k = crossover_clients(n, q, wc, w, label_bytes=lab, max_clients=10_000)
    kstar = crossover_clients_closed_form(n, q, wc, w, label_bytes=lab)
    expect = math.floor(kstar) + 1 if math.isfinite(kstar) else None
    if expect is not None and expect > 10_000:
        expect = None
    assert k == expect
    if k is not None:
        assert split_bytes_per_epoch(n, k, q, wc, lab) < fedavg_bytes_per_epoch(k, w)
        assert k == 1 or split_bytes_per_epoch(n, k - 1, q, wc, lab) >= fedavg_bytes_per_epoch(k - 1, w)


def test_time_model_orders_the_schedules() -> None:
    sizes = [40, 30, 30, 20]
    t = {v: split_epoch_time("digits_cnn", 3, sizes, variant=v) for v in ("vanilla", "sflv1", "sflv2")}
    assert t["sflv1"].epoch_s < t["sflv2"].epoch_s <= t["vanilla"].epoch_s
    per = [split_epoch_time("digits_cnn", 3, [s]).epoch_s for s in sizes]
    assert t["vanilla"].epoch_s == pytest.approx(sum(per))
    assert t["sflv1"].epoch_s == pytest.approx(max(per))
    assert all(x.client_energy_j > 0 for x in t.values())


def test_fedavg_time_is_the_federated_system_model_at_batch_64() -> None:
    sizes = np.array([200, 130, 64])
    ours = fedavg_epoch_time("digits_cnn", sizes, batch_size=64, client_device="rpi4", link="4g")
    sysm = SystemModel("digits_cnn", ("rpi4",) * 3, ("4g",) * 3, straggler_prob=0.0)
    steps = -(-sizes // 64)
    theirs = sysm.round_time(range(3), steps, np.minimum(sizes, 64), 54824, 54824)
    assert ours.epoch_s == pytest.approx(theirs, rel=1e-9)


def test_shallow_cut_and_head_memory() -> None:
    p = profile_model("digits_cnn")
    assert shallow_cut(p) == 3  # conv1, relu1, pool1
    mem = head_memory_bytes(p)
    assert mem[0] == 0 and np.all(np.diff(mem) >= 0)
    assert mem[-1] == p.table["weight_bytes"].sum() + peak_activation_bytes(p)


def test_arden_costs_are_the_cost_model_ratios() -> None:
    df = arden_costs(("digits_cnn", "lenet5"))
    assert list(df["cut"]) == [3, 3]
    r = df.iloc[0]
    assert r["memory_reduction_%"] == pytest.approx(100 * (1 - r["arden_memory_B"] / r["local_memory_B"]))
    assert 0 < r["memory_reduction_%"] < 100
    assert r["time_reduction_%"] == pytest.approx(100 * (1 - r["arden_latency_s"] / r["local_latency_s"]))
