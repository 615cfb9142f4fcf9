"""Offloading sends the raw input at its real encoding (uint8 pixels), the layers read fp32;
the three-tier search checks memory; a duty-cycled link (LoRa) stretches the uplink."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from edgelab import levels
from edgelab.hardware import cost
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.profile import RAW_BYTES_PER_ELEMENT, profile_from_table, profile_model
from edgelab.inference import partition as P
from edgelab.inference.partition.tiers import range_memory_bytes, tier_fits


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "googlenet", "digits_cnn",
                                  "digits_mlp"])
def test_raw_input_is_one_byte_per_element(name):
    p = profile_model(name)
    numel = p.input_bytes // 4  # the fp32 tensor the first layer reads
    assert RAW_BYTES_PER_ELEMENT == 1
    assert p.raw_input_bytes == numel * RAW_BYTES_PER_ELEMENT
    assert p.cut_bytes()[0] == p.raw_input_bytes  # split 0 sends the image
    # the first layer still reads (and is costed on) the fp32 tensor
    assert p.table["input_bytes"].iloc[0] == p.input_bytes


def test_alexnet_numbers():
    p = profile_model("alexnet")
    assert (p.input_bytes, p.raw_input_bytes) == (618_348, 154_587)  # 3 x 227 x 227 (x 4)
    assert profile_model("alexnet", batch=2).raw_input_bytes == 2 * 154_587


def test_custom_and_stored_profiles_default_to_the_tensor():
    p = profile_model("digits_mlp")
    stored = profile_from_table("m", p.table, p.input_bytes)
    assert stored.raw_input_bytes == p.input_bytes
    given = profile_from_table("m", p.table, p.input_bytes, raw_input_bytes=64)
    assert given.cut_bytes()[0] == 64
    with pytest.raises(ValueError, match="raw_input_bytes must be a whole number"):
        profile_from_table("m", p.table, p.input_bytes, raw_input_bytes=-1)


def test_split_zero_sends_uint8_everywhere():
    p = profile_model("alexnet")
    raw = p.raw_input_bytes
    sc = cost.split_costs(p, "rpi4", "t4", "wifi5", 10.0)
    assert sc.uplink_bytes[0, 0] == raw
    assert sc.transfer_s[0, 0] == pytest.approx(
        get_link("wifi5").rtt_ms / 1e3 + raw * 8 / 10e6 + 4000 * 8 / 10e6)
    assert cost.cost(p, "rpi4", "t4", "wifi5", 10.0, split=0)["uplink_bytes"] == raw
    # chain search: all on the server sends the image
    plan = P.best_split(p, "cortex-m7", "t4", "wifi5", 10.0)
    assert plan.split == 0 and plan.uplink_bytes == raw
    # DAG placement: all on the server
    g = P.placement_cost(p, np.zeros(p.n_layers, dtype=bool), "rpi4", "t4", "wifi5", 10.0)
    assert g.uplink_bytes == raw
    # three tiers: k1 = 0 sends the image to the edge
    tc = P.best_three_tier(p, "cortex-m7", "jetson-orin-nano", "a100", "wifi5", "wan", 10.0)
    assert tc.k1 == 0 and tc.uplink_bytes == raw
    # levels: CI sends the image over the link and the WAN
    ev = levels.evaluate(levels.Scenario(model="alexnet")).set_index("level")
    assert ev.loc["CI", "infer_uplink_bytes"] == raw
    assert ev.loc["CI", "infer_raw_bytes_out"] == raw
    assert ev.loc["CI", "train_raw_bytes_out"] == 10_000 * raw


def test_between_devices_scatters_the_image_at_one_byte():
    p = profile_model("vgg16")
    plan = P.between_devices(p, "rpi4", "wifi5", n_workers=2, scheme="channel")
    first = plan.stages.iloc[0]
    assert first["first"] == "features_0" and first["kind"] == "channel"
    assert first["scatter_bytes"] == p.raw_input_bytes  # the whole image to the other worker


# --------------------------------------------------------------------------- memory fit
def test_range_memory_matches_fits_memory():
    p = profile_model("alexnet")
    need = range_memory_bytes(p)
    n = p.n_layers
    whole = p.table["weight_bytes"].sum() + cost.peak_activation_bytes(p)
    assert need[0, n] == whole
    assert need[3, 3] == 0 and need[5, 2] == 0
    t = p.table
    assert need[1, 4] == t["weight_bytes"].iloc[1:4].sum() + (
        t["input_bytes"] + t["output_bytes"]).iloc[1:4].max()


def test_three_tier_excludes_what_does_not_fit():
    p = profile_model("alexnet")
    m7 = get_device("cortex-m7")
    assert not cost.fits_memory(p, m7)
    fits = tier_fits(p, m7, "jetson-orin-nano", "a100")
    assert not fits[1:, :].any()  # the 320 KB Cortex-M7 holds no AlexNet layer
    for bw in (0.1, 10.0, 1000.0):
        plan = P.best_three_tier(p, m7, "jetson-orin-nano", "a100", "wifi5", "wan", bw)
        assert plan.k1 == 0
        assert "cannot hold any layer" in plan.note and "cortex-m7" in plan.note
        assert math.isfinite(plan.latency_s)
    sweep = P.best_three_tier(p, m7, "jetson-orin-nano", "a100", "wifi5", "wan",
                              np.array([0.1, 1000.0]))
    assert (sweep.k1 == 0).all() and "cannot hold any layer" in sweep.note
    tc = P.three_tier_costs(p, m7, "jetson-orin-nano", "a100", "wifi5", "wan", 10.0)
    assert np.isinf(tc.latency_s[0, 1:, :]).all()
    loose = P.three_tier_costs(p, m7, "jetson-orin-nano", "a100", "wifi5", "wan", 10.0,
                               check_memory=False)
    assert np.isfinite(loose.latency_s[0, 1, 1])
    # a device that holds the model: no note, every ordered pair allowed
    ok = P.best_three_tier(p, "rpi4", "jetson-orin-nano", "a100", "wifi5", "wan", 10.0)
    assert ok.note == ""
    assert tier_fits(p, "rpi4", "jetson-orin-nano", "a100")[np.triu_indices(p.n_layers + 1)].all()


def test_three_tier_when_nothing_fits():
    p = profile_model("alexnet")
    tiny = dataclasses.replace(get_device("cortex-m7"), name="tiny")
    plan = P.best_three_tier(p, tiny, tiny, tiny, "wifi5", "wan", 10.0)
    assert plan.note.startswith("NO PLACEMENT FITS")
    assert math.isfinite(plan.latency_s)


# --------------------------------------------------------------------------- duty cycle
def _lora(duty=0.01):
    return dataclasses.replace(get_link("lora"), duty_cycle=duty)


def test_duty_cycled_time():
    assert cost.duty_cycled_time(2.0, 0.01) == pytest.approx(200.0)
    assert cost.duty_cycled_time(2.0, 1.0) == 2.0
    np.testing.assert_allclose(cost.duty_cycled_time(np.array([1.0, 3.0]), 0.5), [2.0, 6.0])
    for bad in (0.0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="duty_cycle must be in"):
            cost.duty_cycled_time(1.0, bad)
    assert get_link("wifi5").duty_cycle == 1.0  # the default: no duty cycle


def test_transfer_time_and_exchange_honour_the_duty_cycle():
    lk = _lora()
    air = 150_000 * 8 / (lk.uplink_mbps * 1e6)
    t = cost.transfer_time(150_000, lk.uplink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle)
    assert float(t) == pytest.approx(lk.rtt_ms / 1e3 + air / 0.01)
    s, up, down = cost.exchange_time(1000, 0, lk.uplink_mbps, lk.downlink_mbps, 0.0, 0.01)
    assert float(up) == pytest.approx(1000 * 8 / (lk.uplink_mbps * 1e6))  # on the air
    assert float(s) == pytest.approx(float(up) * 100)  # 99 x silence after it


def test_split_costs_with_a_duty_cycled_link():
    p = profile_model("digits_cnn")
    free, lk = _lora(1.0), _lora(0.01)
    a = cost.split_costs(p, "cortex-m7", "edge-server-cpu", free)
    b = cost.split_costs(p, "cortex-m7", "edge-server-cpu", lk)
    air = a.uplink_bytes[0] * 8 / (lk.uplink_mbps * 1e6)
    np.testing.assert_allclose(b.transfer_s[0] - a.transfer_s[0], air * 99, rtol=1e-9)
    # the radio transmits only the air time; the silence is charged at idle power
    dev = get_device("cortex-m7")
    np.testing.assert_allclose(b.device_energy_j[0] - a.device_energy_j[0],
                               dev.idle_power_w * air * 99, rtol=1e-9, atol=1e-15)
    # the searches see it: a tenth of the data at 1 % duty cycle favours computing locally
    assert P.best_split(p, "cortex-m7", "edge-server-cpu", lk).split >= \
        P.best_split(p, "cortex-m7", "edge-server-cpu", free).split
    planner = P.SplitPlanner(p, ["cortex-m7"], "edge-server-cpu", lk)
    for bw in (0.01, 0.3, 5.0):
        k, _ = planner.decide(bw)
        assert int(k[0, 0]) == P.best_split(p, "cortex-m7", "edge-server-cpu", lk, bw).split


def test_dag_and_tiers_and_levels_with_a_duty_cycle():
    p = profile_model("digits_cnn")
    lk = _lora()
    on = np.zeros(p.n_layers, dtype=bool)
    g = P.placement_cost(p, on, "cortex-m7", "edge-server-cpu", lk)
    air = p.raw_input_bytes * 8 / (lk.uplink_mbps * 1e6)
    assert g.transfer_s == pytest.approx(lk.rtt_ms / 1e3 + air / 0.01
                                         + 40 * 8 / (lk.downlink_mbps * 1e6))
    d = P.dads(p, "cortex-m7", "edge-server-cpu", lk)
    assert d.latency_s <= min(d.alternatives["latency_s"]) + 1e-12
    tc = P.three_tier_costs(p, "cortex-m7", "edge-server-cpu", "a100", lk, "wan")
    assert tc.access_s[0, 0] == pytest.approx(g.transfer_s)
    sc = levels.Scenario(model="digits_cnn", device="cortex-m7", link=lk)
    tx = levels.transmission_latency(sc)
    assert tx["to_edge_s"] == pytest.approx(g.transfer_s)


def test_upload_explorer_times_honour_the_duty_cycle(monkeypatch):
    from edgelab.explorers import paradigms

    lk = _lora()
    monkeypatch.setattr(paradigms, "get_link", lambda name: lk if name == "lora" else get_link(name))
    edge, _ = paradigms.upload_times_to("lora", 1.0)
    assert float(edge) == pytest.approx(lk.rtt_ms / 1e3 + 1000 * 8 / (lk.uplink_mbps * 1e6) * 100)

