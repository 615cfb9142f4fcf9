"""The chapter-20 reproductions moved into the package (seed 003 §V-C.2, Table 4; seed 004):
DADS's table, the three-tier table, the split-equivalence check, JALAD's speed-ups and the
between-devices sweep, each checked against the functions it composes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgelab import models
from edgelab.hardware.profile import profile, profile_model
from edgelab.inference import partition as P


def test_dads_table_rows_are_dads():
    df = P.dads_table(["resnet18"], "jetson-nano", "a100", "wan", [1.0, 100.0])
    assert list(df["bandwidth_mbps"]) == [1.0, 100.0]
    p = profile_model("resnet18")
    for _, r in df.iterrows():
        c = P.dads(p, "jetson-nano", "a100", "wan", r["bandwidth_mbps"])
        assert r["dads_ms"] == c.latency_s * 1e3
        assert r["device_layers"] == c.n_device_layers and r["of"] == p.n_layers
        assert r["speedup_vs_edge"] == pytest.approx(c.alternatives.loc["all_device", "latency_s"] / c.latency_s)
        assert r["dads_ms"] <= r["best_chain_ms"] * (1 + 1e-12)
        assert r["min_cut_ms"] > 0


def test_three_tier_table_is_best_three_tier():
    p = profile_model("alexnet")
    bw = np.array([0.5, 5.0, 500.0])
    df = P.three_tier_table(p, "cortex-m7", "rpi4", "a100", "wifi5", "wan", bw)
    tt = P.best_three_tier(p, "cortex-m7", "rpi4", "a100", "wifi5", "wan", bw)
    np.testing.assert_array_equal(df["k1"], tt.k1)
    np.testing.assert_array_equal(df["latency_ms"], tt.latency_s * 1e3)
    two = P.best_split(p, "cortex-m7", "rpi4", "wifi5", bw).latency_s * 1e3
    assert (df["latency_ms"] <= two * (1 + 1e-12)).all()  # two tiers is the pair k2 = n


def test_split_equivalence_every_cut_of_a_chain_and_a_dag_cut():
    torch.manual_seed(0)
    net = models.build("digits_cnn", seed=0).eval()
    x = torch.randn(16, 1, 8, 8)
    eq = P.split_equivalence(net, x)
    assert eq.n_cuts == len(P.split_model(net, 0).on_device) + 1
    assert eq.identical_predictions and eq.max_abs_diff < 1e-5
    resnet = models.build("resnet18", seed=0).eval()
    xr = torch.randn(2, 3, 32, 32)
    cut = P.dads(profile(resnet, xr[:1], name="resnet18"), "jetson-nano", "a100", "wan", 10.0)
    eq_r = P.split_equivalence(resnet, xr, [cut.on_device])
    assert eq_r.n_cuts == 1 and eq_r.max_abs_diff < 1e-4


def test_jalad_speedups_is_jalad_plan_over_models():
    bw = np.array([0.1, 10.0, 1000.0])
    acc = P.stand_in_accuracy(["alexnet"], epochs=1)  # measured on the digits stand-in
    df = P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", bw, acc)
    assert list(df["model"].unique()) == ["alexnet"] and len(df) == len(bw)
    assert (df["speedup"] >= 1.0 - 1e-12).all()
    assert set(df["bits"]) <= {32, 8}
    base = np.minimum(df["all_device_s"], df["all_server_s"])
    np.testing.assert_allclose(df["speedup"], base / df["latency_s"])


def test_between_devices_sweep_and_best_of():
    p = profile_model("alexnet")
    dd = P.between_devices_sweep(p, ["rpi4"], ["wifi5", "ethernet"], ["modnn"], (2, 4))
    assert len(dd) == 4
    plan = P.between_devices(p, "rpi4", "ethernet", 4, "modnn")
    r = dd[(dd.link == "ethernet") & (dd.workers == 4)].iloc[0]
    assert r["latency_s"] == plan.latency_s and r["speedup"] == plan.speedup
    v, setting = P.best_of(dd, "modnn", model="AlexNet")
    assert v == dd["speedup"].max() and setting.startswith("AlexNet, best of 4 settings")


def test_neurosurgeon_gains_against_the_papers_baseline_and_the_better_endpoint():
    g = P.neurosurgeon_gains(["alexnet"], ["rpi4", "jetson-nano"], ["t4"], ["3g", "wifi5"])
    assert len(g) == 4
    # All-on-server (the paper's cloud-only baseline) is one of the splits the search compares,
    # and never better than the better endpoint: the gain against it is at least the other one.
    np.testing.assert_allclose(g["latency_gain_vs_server"], g["all_server_s"] / g["latency_s"])
    assert (g["latency_gain_vs_server"] >= g["latency_gain"] * (1 - 1e-12)).all()
    assert (g["latency_gain"] >= 1.0 - 1e-12).all()
    assert (g["energy_reduction_vs_server_pct"] >= g["energy_reduction_pct"] - 1e-9).all()
    assert (g["energy_reduction_pct"] >= -1e-9).all()
    best = np.minimum(g["all_device_s"], g["all_server_s"])
    np.testing.assert_allclose(g["latency_gain"], best / g["latency_s"])
    # Shipping the raw input over 3G is slower than over Wi-Fi, so cloud-only loses more there.
    slow = g[g["link"] == "3g"].set_index("device")["latency_gain_vs_server"]
    fast = g[g["link"] == "wifi5"].set_index("device")["latency_gain_vs_server"]
    assert (slow >= fast).all()
