"""Compressed uploads inside the batched federated engine: exact bytes, one residual per client,
chunked = unchunked, and SSGD's share count without float noise (seed 003 §IV-C.1, §IV-C.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.training.compression import make_communicator
from edgelab.training.federated.core import ClientConfig, make_trainer
from edgelab.training.federated.engine import (
    Federation,
    compressed_update,
    exchange_rows,
    simulate,
)
from edgelab.training.federated.strategies import SSGD, FedAvg

CFG = ClientConfig(lr=0.05, epochs=1, batch_size=10)
TIMING = ["train_s", "wall_s", "compress_s", "decompress_s", "memory_s"]


@pytest.fixture
def one_thread():
    """torch at one thread (the benchmark's setting): a lone client's matmul is then not split
    across threads, so a chunk of one client sums exactly as a full batch does."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fed():
    return Federation.digits(20, "dirichlet", seed=0, alpha=0.5, standardize=True)


def test_ssgd_shares_without_float_noise():
    assert SSGD(upload_fraction=0.07).n_shared(100) == 7  # 0.07*100 = 7.000000000000001
    assert SSGD(upload_fraction=0.1).n_shared(4810) == 481
    assert SSGD(upload_fraction=0.001).n_shared(4810) == 5  # 4.81 -> 5
    assert SSGD(upload_fraction=1e-9).n_shared(10) == 1


@settings(max_examples=200, deadline=None)
@given(percent=st.integers(1, 100), m=st.integers(1, 500))
def test_ssgd_shares_exact_percentages(percent, m):
    """upload_fraction = p/100 of P = 100·m parameters shares exactly p·m."""
    assert SSGD(upload_fraction=percent / 100).n_shared(100 * m) == percent * m


@settings(max_examples=100, deadline=None)
@given(frac=st.floats(1e-6, 1.0), p=st.integers(1, 10**6))
def test_ssgd_shares_cover_the_fraction(frac, p):
    k = SSGD(upload_fraction=frac).n_shared(p)
    assert 1 <= k <= p
    assert k >= frac * p - 1e-6 and k - 1 < frac * p + 1e-6


def test_full_density_topk_is_fedavg(fed):
    dense = simulate(fed, FedAvg(), CFG, rounds=3, seed=1)
    comm = make_communicator("topk", "residual", density=1.0)
    comp = simulate(fed, FedAvg(), CFG, rounds=3, seed=1, compression=comm)
    torch.testing.assert_close(comp.params, dense.params, atol=1e-5, rtol=0)
    p = dense.spec.numel
    # k = P values + P int32 indices: twice the dense bytes, counted exactly
    assert (comp.history["bytes_up"] == comp.history["clients"] * 8 * p).all()
    assert (comp.history["dense_bytes_up"] == dense.history["bytes_up"]).all()
    assert list(dense.history.columns) == ["round", "clients", "trained", "accuracy", "loss",
                                           "bytes_up", "bytes_down", "train_s", "sim_round_s",
                                           "sim_time_s", "wall_s", "cum_bytes"]
    assert "compressor" not in dense.settings and comp.settings["compressor"] == "topk"


def test_topk_bytes_are_exact_and_training_learns(fed):
    comm = make_communicator("topk", "residual", density=0.01)
    res = simulate(fed, FedAvg(), CFG, rounds=4, seed=0, compression=comm)
    p = res.spec.numel
    k = math.ceil(0.01 * p)
    assert (res.history["bytes_up"] == res.history["clients"] * 8 * k).all()
    assert res.accuracy > 0.3  # ten classes: chance is 0.1
    assert (res.history[["compress_s", "decompress_s", "memory_s"]] >= 0).all().all()


def test_each_client_keeps_its_own_residual(fed):
    """A round with 5 of 20 clients: their residual rows are Δ − sent; the others stay zero."""
    model = fed.build_model(0)
    d = fed.data
    tr = make_trainer("batched", model, d.x_train, d.y_train, fed.client_split.indices)
    g = tr.spec.flatten(model)
    ids = np.array([2, 5, 11, 17, 19])
    local = tr.train(g, ids, CFG, 0, 1)
    delta = local - g
    comm = make_communicator("topk", "residual", k=30)
    w = FedAvg().weights(fed.client_split.sizes[ids])
    out = compressed_update(comm, g, local.clone(), ids, w, step=0)
    e = comm.memory.store.tensors["e"].clone()
    for row, cid in enumerate(ids):
        kept = delta[row].abs().topk(30).indices
        want = delta[row].clone()
        want[kept] = 0
        torch.testing.assert_close(e[cid], want, atol=0, rtol=0)
    others = np.setdiff1d(np.arange(e.shape[0]), ids)
    assert float(e[torch.from_numpy(others)].abs().sum()) == 0.0
    assert (out.bytes_up == 8 * 30).all()
    # the next round of client 5 alone is compensated by its own residual only
    again = compressed_update(comm, g, local[1:2].clone(), ids[1:2], torch.ones(1), step=1)
    p5 = delta[1] + e[5]
    kept = p5.abs().topk(30).indices
    want = torch.zeros_like(p5)
    want[kept] = p5[kept]
    torch.testing.assert_close(again.params, g + want, atol=1e-7, rtol=0)
    assert again.bytes_up.tolist() == [8 * 30]


@pytest.mark.parametrize(("name", "memory", "params"), [
    ("topk", "residual", {"density": 0.02}),
    ("qsgd", "none", {"s": 4}),
    ("threshold", "residual", {"tau": 0.01}),
])
def test_chunked_equals_unchunked(fed, one_thread, name, memory, params):
    """A budget so small that every pass holds one client gives the same model, bytes and
    accuracy as one pass."""
    runs = []
    for budget in (None, 0.2):
        comm = make_communicator(name, memory, **params)
        runs.append(simulate(fed, FedAvg(fraction=0.6), CFG, rounds=3, seed=2, compression=comm,
                             memory_budget_mb=budget))
    one, chunked = runs
    assert torch.equal(one.params, chunked.params)
    a, b = one.history.drop(columns=TIMING), chunked.history.drop(columns=TIMING)
    assert a.equals(b)
    assert exchange_rows(one.spec.numel, 0.2) < 12  # really chunked: 12 clients a round


def test_chunked_training_equals_one_pass(fed, one_thread):
    model = fed.build_model(3)
    d = fed.data
    ids = np.arange(fed.n_clients)
    outs = []
    for budget in (None, 0.1, 1e-6):
        tr = make_trainer("batched", model, d.x_train, d.y_train, fed.client_split.indices,
                          memory_budget_mb=budget)
        g = tr.spec.flatten(model)
        outs.append(tr.train(g, ids, CFG, 0, 4))
        if budget is not None:
            steps = np.array([-(-n // 10) for n in fed.client_split.sizes])
            assert len(tr.chunks(steps, 10)) > 1
    assert torch.equal(outs[0], outs[1]) and torch.equal(outs[0], outs[2])


def test_chunked_training_close_at_two_threads(fed):
    """At several threads torch may split a lone client's matmul: equal up to float rounding."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model = fed.build_model(3)
        d = fed.data
        outs = []
        for budget in (None, 1e-6):
            tr = make_trainer("batched", model, d.x_train, d.y_train, fed.client_split.indices,
                              memory_budget_mb=budget)
            outs.append(tr.train(tr.spec.flatten(model), np.arange(fed.n_clients), CFG, 0, 4))
        torch.testing.assert_close(outs[0], outs[1], atol=1e-6, rtol=1e-5)
    finally:
        torch.set_num_threads(before)


def test_compression_bad_input(fed):
    comm = make_communicator("topk", "residual", k=3)
    with pytest.raises(ValueError, match="cannot be combined with strategy 'ssgd'"):
        simulate(fed, SSGD(), CFG, rounds=1, compression=comm)
    with pytest.raises(ValueError, match="compression must be a Communicator"):
        simulate(fed, FedAvg(), CFG, rounds=1, compression="topk")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="server_lr must be"):
        simulate(fed, FedAvg(), CFG, rounds=1, compression=comm, server_lr=0)
    with pytest.raises(ValueError, match="memory_budget_mb must be"):
        simulate(fed, FedAvg(), CFG, rounds=1, memory_budget_mb=-1)
