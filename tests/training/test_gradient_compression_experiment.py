"""Compressed FedAvg on the batched engine, a tiny digits setting (seed 003 §IV-C.3)."""

from __future__ import annotations

import numpy as np
import pytest

from edgelab.errors import EdgelabError
from edgelab.training.compression import make_communicator
from edgelab.training.compression.experiments import accuracy_vs_bytes, compressed_fedavg
from edgelab.training.federated import FedAvg, Federation, simulate


@pytest.fixture(scope="module")
def fed() -> Federation:
    return Federation.digits(n_clients=10)


def test_uncompressed_is_fedavg_exactly(fed):
    h = compressed_fedavg(fed, None, 3)
    ref = simulate(fed, FedAvg(), rounds=3).history
    assert np.allclose(h["accuracy"], ref["accuracy"])
    assert np.allclose(h["loss"], ref["loss"], rtol=1e-5)
    assert h["bytes_up"].tolist() == ref["bytes_up"].tolist()
    assert (h["bytes_up"] == h["dense_bytes_up"]).all()


def test_topk_bytes_are_exact_and_error_feedback_helps(fed):
    p = 4810  # digits_mlp parameters
    k = int(np.ceil(0.01 * p))
    res = accuracy_vs_bytes(fed, [("topk", "none", {"density": 0.01}),
                                  ("topk", "residual", {"density": 0.01})], rounds=10)
    assert res["compressor"].tolist() == ["dense", "topk", "topk"]
    assert res["memory"].tolist() == ["none", "none", "residual"]
    assert res["bytes_up"].tolist() == [10 * 10 * 4 * p, 10 * 10 * 8 * k, 10 * 10 * 8 * k]
    assert res["ratio"].iloc[1] == pytest.approx(4 * p / (8 * k))
    dense, plain, ef = res["accuracy"].tolist()
    assert ef > plain  # the residual recovers what top-k drops
    assert dense >= ef
    assert (res["compress_ms_per_client_round"].iloc[1:] > 0).all()
    assert res["memory_ms_per_client_round"].iloc[2] > 0 == res["memory_ms_per_client_round"].iloc[0]


def test_partial_participation_keeps_per_client_residuals(fed):
    comm = make_communicator("topk", "residual", density=0.05)
    h = compressed_fedavg(fed, comm, 4, fraction=0.3)
    assert h["clients"].tolist() == [3, 3, 3, 3]
    store = comm.memory.store.tensors["e"]
    touched = (store.abs().sum(dim=1) > 0).nonzero().squeeze(1).tolist()
    sampled = sorted({int(c) for r in range(1, 5) for c in FedAvg(fraction=0.3).sample(10, 0, r)})
    assert touched == sampled


def test_bad_input(fed):
    with pytest.raises(ValueError, match="server_lr must be a finite number > 0"):
        compressed_fedavg(fed, None, 1, server_lr=0)
    with pytest.raises(ValueError, match=r"fraction must be a fraction in \(0, 1\]"):
        compressed_fedavg(fed, None, 1, fraction=2.0)


def test_simulated_upload_time_on_a_catalog_link(fed):
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.cost import transfer_time

    comm = make_communicator("topk", "residual", density=0.01)
    h = compressed_fedavg(fed, comm, 2, link="4g")
    lk = get_link("4g")
    k = int(np.ceil(0.01 * 4810))
    want = float(transfer_time(8 * k, lk.uplink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle))
    dense = float(transfer_time(4 * 4810, lk.uplink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle))
    assert np.allclose(h["sim_upload_s"], want) and np.allclose(h["sim_dense_upload_s"], dense)
    assert want < dense
    # bytes -> seconds by hand: RTT + 8·bytes / (Mbit/s · 1e6), stretched by the duty cycle
    assert want == pytest.approx(lk.rtt_ms / 1e3 + 8 * 8 * k / (lk.uplink_mbps * 1e6) / lk.duty_cycle)
    with pytest.raises(EdgelabError, match="unknown link 'carrier-pigeon'"):
        compressed_fedavg(fed, None, 1, link="carrier-pigeon")


def test_byte_table_from_real_messages():
    from edgelab.training.compression.experiments import byte_table

    t = byte_table(100_000, [("topk", {"density": 0.001}), ("randomk", {"density": 0.001}),
                             ("dgc", {}), ("signsgd", {}), ("qsgd", {"s": 1}),
                             ("threshold", {"tau": 100.0})], step=4).set_index("compressor")
    assert t.loc["topk", ["values", "indices", "bytes"]].tolist() == [400, 400, 800]
    assert t.loc["topk", "ratio"] == pytest.approx(500.0)
    assert t.loc["randomk", "ratio"] == pytest.approx(1000.0)
    assert t.loc["dgc", "bytes"] == 800  # epoch 4: DGC's final density, int32 indices
    assert t.loc["signsgd", "signs"] == 12_500
    assert t.loc["qsgd", ["values", "norms"]].tolist() == [25_000, 4]  # 2 bits a coordinate
    assert t.loc["threshold", "bytes"] == 4 + 8  # nothing above tau: clamped to one value
    assert (t["dense_bytes"] == 400_000).all()
    with pytest.raises(ValueError, match="n_params must be an integer"):
        byte_table(0, [("fp16", {})])
