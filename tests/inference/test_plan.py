"""One result type for model partition (seed 003 §V-C.2, Table 4; seed 004): every technique
answers with a :class:`Plan` (scalars), a bandwidth grid with a :class:`PlanSweep` (a table)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from edgelab.hardware.cost import split_costs
from edgelab.hardware.profile import profile_model
from edgelab.inference import partition as P


@pytest.fixture(scope="module")
def alexnet():
    return profile_model("alexnet")


def test_chain_plan_is_scalars_and_one_row(alexnet):
    c = P.best_split(alexnet, "rpi4", "t4", "4g", 8.0)
    assert isinstance(c, P.Plan) and c.technique == "chain"
    assert isinstance(c.split, int) and c.splits == (c.split,)
    for name in ("latency_s", "device_energy_j", "device_s", "transfer_s", "server_s",
                 "uplink_bytes", "downlink_bytes", "bandwidth_mbps"):
        assert isinstance(getattr(c, name), float), name
    assert c.device_s + c.transfer_s + c.server_s == pytest.approx(c.latency_s, rel=1e-12)
    assert c.n_device_layers == c.split and c.on_device.shape == (alexnet.n_layers,)
    sc = split_costs(alexnet, "rpi4", "t4", "4g", 8.0)
    assert c.alternatives.loc["all_device", "latency_s"] == sc.latency_s[0, -1]
    assert c.alternatives.loc["all_server", "device_energy_j"] == sc.device_energy_j[0, 0]
    row = c.to_frame()
    assert len(row) == 1 and row["latency_s"].iloc[0] == c.latency_s
    assert row["technique"].iloc[0] == "chain" and row["where"].iloc[0] == c.where


def test_sweep_rows_are_the_one_bandwidth_plans(alexnet):
    bw = np.array([0.3, 3.0, 30.0, 300.0])
    g = P.best_split(alexnet, "rpi4", "t4", "4g", bw, "energy")
    assert isinstance(g, P.PlanSweep) and isinstance(g.to_frame(), pd.DataFrame)
    assert list(g.to_frame()["bandwidth_mbps"]) == list(bw)
    for i, b in enumerate(bw):
        one = P.best_split(alexnet, "rpi4", "t4", "4g", b, "energy")
        assert g.split[i] == one.split and g.device_energy_j[i] == one.device_energy_j
        assert g.where[i] == one.where and g.uplink_bytes[i] == one.uplink_bytes
    t = P.best_three_tier(alexnet, "cortex-m7", "rpi4", "a100", "wifi5", "wan", bw)
    for i, b in enumerate(bw):
        one = P.best_three_tier(alexnet, "cortex-m7", "rpi4", "a100", "wifi5", "wan", b)
        assert (t.k1[i], t.k2[i]) == (one.k1, one.k2) and t.latency_s[i] == one.latency_s


def test_three_tier_and_dag_plans_add_up(alexnet):
    t = P.best_three_tier(alexnet, "cortex-m7", "rpi4", "a100", "wifi5", "wan", 2.0)
    assert t.technique == "three-tier" and t.splits == (t.k1, t.k2) and t.k1 <= t.k2
    assert t.device_s + t.transfer_s + t.server_s == pytest.approx(t.latency_s, rel=1e-12)
    assert "|" in t.where or t.where.startswith(("device", "edge", "cloud"))
    p = profile_model("resnet18")
    d = P.dads(p, "jetson-nano", "a100", "wan", 10.0)
    assert d.technique == "dag" and d.splits == ()
    assert d.device_s + d.transfer_s + d.server_s == pytest.approx(d.latency_s, rel=1e-12)
    assert d.gain_over("best_chain") >= 1 - 1e-12
    assert set(d.alternatives.index) == {"all_device", "all_server", "best_chain"}
    assert d.to_frame()["splits"].iloc[0] == ()


def test_between_devices_plan(alexnet):
    plan = P.between_devices(alexnet, "rpi4", "wifi5", 4, "fused")
    assert plan.technique == "fused" and plan.n_workers == 4 and math.isnan(plan.device_energy_j)
    assert plan.transfer_bytes == pytest.approx(plan.stages["exchanged_bytes"].sum())
    assert plan.speedup == pytest.approx(
        plan.alternatives.loc["single_device", "latency_s"] / plan.latency_s)
    assert plan.latency_s == pytest.approx(plan.device_s + plan.transfer_s, rel=0.05)
