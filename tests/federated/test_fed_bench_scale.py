"""``edgelab bench fedavg`` at scale: synthetic data past digits' size, top-k + EF uploads, peak
RSS, and the four-run scale table (seed 003 §IV-C.1, §IV-C.3)."""

from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

from edgelab.cli import bench as cli_bench
from edgelab.cli import run_captured as run
from edgelab.training.compression import make_communicator
from edgelab.training.federated.bench import (
    DIGITS_MAX_CLIENTS,
    SYNTHETIC_PER_CLIENT,
    bench_data,
    peak_rss_mb,
    run_fedavg_bench,
    synthetic_federation,
)


def test_synthetic_federation_is_seeded_and_digits_shaped():
    a, b, c = synthetic_federation(300, 4), synthetic_federation(300, 4), synthetic_federation(300, 5)
    assert torch.equal(a.data.x_train, b.data.x_train) and torch.equal(a.data.y_test, b.data.y_test)
    assert not torch.equal(a.data.x_train, c.data.x_train)
    assert a.data.x_train.shape == (300 * SYNTHETIC_PER_CLIENT, 64)
    assert a.data.x_train.dtype == torch.float32 and a.n_clients == 300
    assert a.client_split.sizes.min() >= 1 and a.client_split.sizes.sum() == 300 * SYNTHETIC_PER_CLIENT
    assert set(a.data.y_train.unique().tolist()) == set(range(10))


def test_bench_data_switches_past_digits():
    assert bench_data("auto", 100) == "digits"
    assert bench_data("auto", DIGITS_MAX_CLIENTS) == "digits"
    assert bench_data("auto", DIGITS_MAX_CLIENTS + 1) == "synthetic"
    assert bench_data("synthetic", 10) == "synthetic" and bench_data("digits", 10**4) == "digits"
    with pytest.raises(ValueError, match="data must be one of"):
        bench_data("mnist", 10)


def test_run_bench_topk_on_synthetic_counts_bytes():
    comm = make_communicator("topk", "residual", density=0.01)
    r = run_fedavg_bench(clients=150, rounds=2, compressor="topk", communicator=comm)
    assert r["data"] == "synthetic" and r["compressor"] == "topk"
    assert r["bytes_up_per_client_round"] == 8 * math.ceil(0.01 * 4810)  # values + int32 indices
    assert r["peak_rss_mb"] >= peak_rss_mb() * 0 and r["peak_rss_mb"] > 50
    for k in ("compress_ms_per_client_round", "decompress_ms_per_client_round",
              "memory_ms_per_client_round"):
        assert r[k] >= 0
    with pytest.raises(ValueError, match="needs communicator=make_communicator"):
        run_fedavg_bench(clients=5, rounds=1, compressor="topk")
    with pytest.raises(ValueError, match="runs on engine 'batched' only"):
        run_fedavg_bench("sequential", clients=5, rounds=1, compressor="topk", communicator=comm)


def test_cli_single_run_and_bad_input():
    code, out, _ = run("bench", "fedavg", "--clients", "150", "--rounds", "1", "--no-scale",
                       "--compressor", "topk", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["data"] == "synthetic" and d["clients"] == 150 and "peak_rss_mb" in d
    code, out, _ = run("bench", "fedavg", "--clients", "10", "--rounds", "2", "--compressor",
                       "qsgd", "--levels", "2", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["compressor"] == "qsgd" and d["s"] == 2 and d["data"] == "digits"
    assert d["bytes_up_per_client_round"] == 4 + math.ceil(4810 * 3 / 8)  # norm + 3-bit codes
    for bad in (["--density", "0"], ["--density", "1.5"], ["--memory-budget-mb", "0"],
                ["--engine", "sequential"], ["--compressor", "qsgd", "--levels", "0"]):
        code, _, err = run("bench", "fedavg", "--clients", "5", "--rounds", "1", "--no-scale",
                           "--compressor", "topk", *bad)
        assert code == 2 and len(err.strip().splitlines()) == 1, (bad, err)


def test_scale_table_rows_and_ratios(monkeypatch):
    """The four runs, without spawning: ratios are per compression, to its 100-client run."""
    ms = {(100, "none"): 0.2, (10_000, "none"): 0.25, (100, "topk"): 0.3, (10_000, "topk"): 0.33}

    def fake(args, clients, compressor, data, rounds):
        return {"ms_per_client_round": ms[clients, compressor], "data": data,
                "peak_rss_mb": 400.0 + clients / 100, "accuracy": 0.5,
                "bytes_up_per_client_round": 1.0, "wall_s": 1.0}

    monkeypatch.setattr(cli_bench, "_child", fake)
    args = argparse.Namespace(clients=10_000, rounds=5, data="auto")
    t = cli_bench.scale_table(args)
    assert t["clients"].tolist() == [100, 10_000, 100, 10_000]
    assert t["rounds"].tolist() == [20, 5, 20, 5]  # the reference runs the workload's 20
    assert (t["data"] == "synthetic").all()
    assert t["ratio_to_reference"].round(6).tolist() == [1.0, 1.25, 1.0, 1.1]
    assert t["compression"].tolist() == ["none", "none", "top-k + EF", "top-k + EF"]
