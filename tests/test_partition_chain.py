"""The chain split search (Neurosurgeon, seed 003 §V-C.2) equals the brute-force argmin."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgelab.hardware import cost
from edgelab.hardware.catalog import device_names, link_names
from edgelab.hardware.profile import profile_model
from edgelab.inference.partition import best_split

MODELS = ["digits_mlp", "digits_cnn", "alexnet", "vgg16", "resnet18"]


def brute_force(p, device, server, link, bw, objective):
    key = "latency_s" if objective == "latency" else "device_energy_j"
    vals = [cost.cost(p, device, server, link, bandwidth_mbps=bw, split=k)[key]
            for k in range(p.n_layers + 1)]
    return int(np.argmin(vals)), float(np.min(vals))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(MODELS), device=st.sampled_from(device_names()),
       server=st.sampled_from(device_names()), link=st.sampled_from(link_names()),
       bw=st.floats(0.01, 20_000), objective=st.sampled_from(["latency", "energy"]))
def test_best_split_is_brute_force_argmin(model, device, server, link, bw, objective):
    p = profile_model(model)
    choice = best_split(p, device, server, link, bw, objective)
    k, v = brute_force(p, device, server, link, bw, objective)
    assert choice.split == k
    got = choice.latency_s if objective == "latency" else choice.device_energy_j
    assert got == pytest.approx(v, rel=1e-12)
    ref = cost.cost(p, device, server, link, bandwidth_mbps=bw, split=k)
    assert choice.uplink_bytes == ref["uplink_bytes"]
    assert choice.device_energy_j == pytest.approx(ref["device_energy_j"], rel=1e-12)


def test_grid_matches_pointwise():
    p = profile_model("alexnet")
    grid = np.logspace(-1, 4, 25)
    many = best_split(p, "rpi4", "t4", "4g", grid, "latency")
    assert many.split.shape == (25,) and many.costs.latency_s.shape == (25, p.n_layers + 1)
    for i, b in enumerate(grid):
        one = best_split(p, "rpi4", "t4", "4g", float(b), "latency")
        assert one.split == many.split[i]
        assert one.latency_s == pytest.approx(many.latency_s[i], rel=1e-12)
    # more bandwidth never makes the optimum slower (latency is non-increasing in bandwidth)
    assert np.all(np.diff(many.latency_s) <= 1e-12)


def test_default_bandwidth_uses_link():
    p = profile_model("digits_cnn")
    c = best_split(p, "cortex-m7", "edge-server-cpu", "ble")
    k, v = brute_force(p, "cortex-m7", "edge-server-cpu", "ble", None, "latency")
    assert (c.split, c.latency_s) == (k, pytest.approx(v))
    assert isinstance(c.split, int) and isinstance(c.latency_s, float)
    assert c.transfer_bytes == c.uplink_bytes + c.downlink_bytes


def test_allowed_mask_respected():
    p = profile_model("alexnet")
    mask = np.zeros(p.n_layers + 1, dtype=bool)
    mask[[0, 5]] = True
    c = best_split(p, "h100", "cortex-m7", "ethernet", 1000.0, allowed=mask)
    assert c.split in (0, 5)


def test_bad_input():
    p = profile_model("alexnet")
    with pytest.raises(ValueError, match="objective"):
        best_split(p, "rpi4", "t4", "4g", objective="speed")
    with pytest.raises(ValueError, match="bandwidth_mbps"):
        best_split(p, "rpi4", "t4", "4g", bandwidth_mbps=0)
    with pytest.raises(KeyError, match="Valid device names"):
        best_split(p, "rpi9", "t4", "4g")
    with pytest.raises(ValueError, match="allowed"):
        best_split(p, "rpi4", "t4", "4g", allowed=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="DAG"):
        best_split(profile_model("resnet18"), "rpi4", "t4", "4g", chain_only=True)
    best_split(profile_model("vgg16"), "rpi4", "t4", "4g", chain_only=True)  # a chain is fine
