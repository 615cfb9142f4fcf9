"""The digits studies of chapter 12 (seed 003 §IV-C.3, Table 2): small settings, exact bytes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import EdgelabError
from edgelab.training.compression import studies as sd

P = 4810  # digits_mlp parameters
SMALL = sd.Setting(n_clients=4, rounds=12)


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    return sd.run_curves(SMALL, sd.all_compressor_runs())


def test_every_compressor_with_and_without_error_feedback(sweep):
    s = sd.summarize_curves(sweep)
    from edgelab.training.compression import COMPRESSORS

    assert set(s["compressor"]) == {"dense", *COMPRESSORS}
    for comp in ("topk", "randomk", "threshold", "qsgd", "int8", "fp16", "efsignsgd"):
        assert set(s.loc[s["compressor"] == comp, "memory"]) == {"none", "residual"}
    assert set(s.loc[s["compressor"] == "dgc", "memory"]) == {"none", "dgc"}
    assert s.loc[s["compressor"] == "signsgd", "memory"].tolist() == ["none"]
    # exact bytes per client-round from the message formats
    k = math.ceil(0.01 * P)
    by = s.set_index("label")["bytes_per_client_round"]
    assert by["dense SGD"] == 4 * P
    assert by["topk + EF"] == 8 * k  # values + int32 indices
    assert by["randomk"] == 4 * k  # shared seed: values only
    assert by["fp16"] == 2 * P
    assert by["int8"] == P + 8
    assert by["signsgd (majority)"] == math.ceil(P / 8)
    assert by["efsignsgd + EF"] == math.ceil(P / 8) + 4
    assert (sweep.groupby("label")["round"].count() == SMALL.rounds).all()


def test_same_seed_same_tables(sweep):
    again = sd.run_curves(SMALL, sd.all_compressor_runs()[:4])
    cols = [c for c in again.columns if c not in sd.MEASURED]
    first = sweep[sweep["label"].isin(again["label"].unique())].reset_index(drop=True)
    pd.testing.assert_frame_equal(first[cols], again[cols])


def test_momentum_baseline_is_sent_dense_and_reused():
    base = sd.momentum_baseline(SMALL)
    assert (base["bytes_up"] == base["dense_bytes_up"]).all()
    assert base["memory"].iloc[0] == "momentum"
    e = sd.esgd_drop_ratios(SMALL, (0.5, 0.875), reuse=base)
    assert e["drop_ratio"].tolist() == [0.0, 0.5, 0.875]
    assert e["accuracy"].iloc[0] == base["accuracy"].iloc[-1]
    # drop 50 %: half the values plus as many int32 indices = the dense bytes (no saving)
    assert e["ratio"].tolist()[:2] == [1.0, pytest.approx(4 * P / (8 * math.ceil(0.5 * P)))]
    assert e["ratio"].iloc[2] == pytest.approx(4 * P / (8 * math.ceil(0.125 * P)))
    with pytest.raises(ValueError, match=r"drop ratio must be in \[0, 1\)"):
        sd.esgd_drop_ratios(SMALL, (1.0,))


def test_dgc_sweep_counts_indices_and_picks_no_loss():
    sw = sd.dgc_density_sweep(SMALL, (0.01, 0.001), reuse=sd.momentum_baseline(SMALL))
    k = [math.ceil(0.01 * P), math.ceil(0.001 * P)]
    assert sw["msg_values"].tolist() == [4 * k[0], 4 * k[1]]
    assert sw["msg_indices"].tolist() == [4 * k[0], 4 * k[1]]
    assert sw["msg_ratio"].tolist() == [4 * P / (8 * k[0]), 4 * P / (8 * k[1])]
    assert sw["naive_ratio"].tolist() == [100.0, 1000.0]
    assert (sw["msg_ratio"] < sw["naive_ratio"] / 1.9).all()  # indices halve the naive ratio
    assert (sw["run_ratio"] < sw["msg_ratio"]).all()  # warm-up densities cost bytes
    fake = sw.assign(points_lost=[0.5, 3.0])
    assert sd.dgc_no_loss(fake, 1.0)["density"] == 0.01
    assert sd.dgc_no_loss(fake.assign(points_lost=[0.5, 0.9]), 1.0)["density"] == 0.001
    with pytest.raises(ValueError, match="tolerance_points: no density"):
        sd.dgc_no_loss(fake.assign(points_lost=[2.0, 0.0]), 1.0)


def test_resnet50_gradient_bytes():
    r = sd.resnet50_gradient_bytes(0.001)
    n = int(r["n_params"].iloc[0])
    assert 25_000_000 < n < 26_000_000
    k = math.ceil(0.001 * n)
    assert r["bytes"].tolist() == [4 * n, 8 * k]
    assert r["ratio"].iloc[1] == pytest.approx(n / (2 * k))
    assert 490 < r["ratio"].iloc[1] < 510 and r["naive_ratio"].iloc[1] == 1000


def test_convergence_measure_and_rounds_to():
    assert sd.rounds_to([0.1, 0.5, 0.9], 0.5) == 2.0
    assert math.isnan(sd.rounds_to([0.1, 0.2], 0.5))
    assert sd.rounds_to([3.0, 2.0, 1.0], 1.5, above=False) == 3.0
    c = sd.sparsified_convergence(SMALL.with_(rounds=20), density=0.05)
    m = sd.convergence_measure(c).set_index("label")
    assert m.loc["SGD", "rounds_ratio"] == 1.0 and m.loc["SGD", "bytes_ratio"] == 1.0
    assert m.loc["top-k + EF", "bytes_ratio"] == pytest.approx(4 * P / (8 * math.ceil(0.05 * P)))
    with pytest.raises(ValueError, match="reference must be one of the labels"):
        sd.convergence_measure(c, reference="Adam")


def test_qsgd_bits_and_sign_methods():
    q = sd.qsgd_levels(SMALL, (1, 4), target=0.5)
    assert q["s"].tolist() == [0, 1, 4]
    assert q["bits"].iloc[0] == 32.0
    assert q["bits"].iloc[1] < q["bits"].iloc[2] < 8  # more levels, more bits
    hit = q["rounds_to_target"].notna()
    assert (q.loc[hit, "bytes_to_target"] > 0).all()
    s = sd.summarize_curves(sd.sign_methods(SMALL.with_(scheme="shards")))
    assert s["label"].tolist() == ["dense SGD", "signsgd (majority)", "efsignsgd, no memory",
                                   "efsignsgd + EF"]


def test_round_wall_clock_from_the_cost_model(sweep):
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.cost import transfer_time

    s = sd.summarize_curves(sweep)
    w = sd.round_wall_clock(s, P, links=("4g",)).set_index("label")
    lk = get_link("4g")
    up = float(transfer_time(8 * math.ceil(0.01 * P), lk.uplink_mbps, lk.rtt_ms / 1e3))
    down = float(transfer_time(4 * P, lk.downlink_mbps, lk.rtt_ms / 1e3))
    assert w.loc["topk + EF", "round_s"] == pytest.approx(up + down)
    assert w.loc["dense SGD", "speedup"] == 1.0
    assert (w["speedup"].drop("dense SGD") >= 1.0).all()
    with pytest.raises(EdgelabError, match="unknown link"):
        sd.round_wall_clock(s, P, links=("carrier-pigeon",))


def test_bad_setting():
    with pytest.raises(ValueError, match="n_clients"):
        sd.Setting(n_clients=0)
    with pytest.raises(ValueError, match="lr must be"):
        sd.Setting(lr=-1.0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1000, 10**6), density=st.sampled_from([0.1, 0.01, 0.001]))
def test_dgc_message_ratio_is_about_half_the_naive_one(n, density):
    """values + int32 indices: the ratio is n / (2·ceil(density·n)) ≤ 1/(2·density)."""
    from edgelab.training.compression.experiments import byte_table

    b = byte_table(n, [("dgc", {"density": density, "warmup_epochs": 0})]).iloc[0]
    k = math.ceil(density * n)
    assert b["bytes"] == 8 * k
    assert b["ratio"] <= 1 / (2 * density) + 1e-9
    assert np.isclose(b["ratio"], n / (2 * k))


def test_a_diverging_run_stops_instead_of_failing():
    from edgelab.training.compression import make_communicator
    from edgelab.training.compression.experiments import compressed_fedavg

    fed = SMALL.federation()
    comm = lambda: make_communicator("qsgd", "residual", s=1)  # noqa: E731
    h = compressed_fedavg(fed, comm(), 6, client=SMALL.client(), server_lr=1e20,
                          stop_on_divergence=True)
    assert 1 <= len(h) < 6 and np.isfinite(h["bytes_up"]).all()
    with pytest.raises(ValueError, match="finite"):
        compressed_fedavg(fed, comm(), 6, client=SMALL.client(), server_lr=1e20)
