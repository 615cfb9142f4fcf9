"""Physics in one place (seed 003 §V-C.2 and §V-C.3): the latency and device energy that the
partition planners (chain, three tiers, DAG placement) and early exit (Edgent, DDNN) report equal
what composing :mod:`edgelab.hardware.cost` (``air_time``, ``transfer_time``, ``link_rates``,
``device_energy``, ``layer_latency``) gives, for random bandwidths, devices, links and splits.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.cost import air_time, device_energy, layer_latency, link_rates, transfer_time
from edgelab.hardware.profile import profile, profile_model
from edgelab.inference import early_exit as ee
from edgelab.inference import partition as P
from edgelab.inference.partition import (
    best_split,
    best_three_tier,
    dads,
    is_valid_placement,
    placement_cost,
)

DEVICES = ("cortex-m7", "rpi4", "jetson-nano", "jetson-orin-nano", "snapdragon-845", "laptop-cpu")
SERVERS = ("edge-server-cpu", "t4", "a100", "h100")
LINKS = ("3g", "4g", "wifi5", "wifi6", "5g", "ethernet", "wan")
PROFILES = {m: profile_model(m) for m in ("alexnet", "resnet18")}
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

bandwidths = st.one_of(st.none(), st.floats(0.05, 5000.0, allow_nan=False))
REL = 1e-12


def _rates(link: str, bw: float | None) -> tuple[float, float]:
    up, down = link_rates(link, bw)
    return float(up[0]), float(down[0])


def _chain_cost(p, device, server, link, bw, k):
    """Latency and device energy of split ``k``, composed from the cost functions."""
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    n = p.n_layers
    up, down = _rates(link, bw)
    dev_s = float(layer_latency(p, dev)[:k].sum()) + (dev.model_overhead_s if k > 0 else 0.0)
    srv_s = float(layer_latency(p, srv)[k:].sum()) + (srv.model_overhead_s if k < n else 0.0)
    rtt = lk.rtt_ms / 1e3 if k < n else 0.0
    res = float(p.table["output_bytes"].iloc[-1]) if k < n else 0.0
    up_s, down_s = float(air_time(p.cut_bytes()[k], up)), float(air_time(res, down))
    lat = dev_s + float(transfer_time(p.cut_bytes()[k], up, rtt)) + down_s + srv_s
    e = float(device_energy(dev.active_power_w, dev_s, lk, up_s, down_s, rtt, dev.idle_power_w,
                            srv_s))
    return lat, e


@SETTINGS
@given(model=st.sampled_from(sorted(PROFILES)), device=st.sampled_from(DEVICES),
       server=st.sampled_from(SERVERS), link=st.sampled_from(LINKS), bw=bandwidths,
       objective=st.sampled_from(("latency", "energy")))
def test_chain_split_is_composed_physics(model, device, server, link, bw, objective):
    p = PROFILES[model]
    c = best_split(p, device, server, link, bw, objective)
    lat, e = _chain_cost(p, device, server, link, bw, c.split)
    assert c.latency_s == pytest.approx(lat, rel=REL)
    assert c.device_energy_j == pytest.approx(e, rel=REL)
    assert c.uplink_bytes == p.cut_bytes()[c.split]


@SETTINGS
@given(model=st.sampled_from(sorted(PROFILES)), device=st.sampled_from(DEVICES),
       edge=st.sampled_from(("jetson-orin-nano", "edge-server-cpu", "t4")),
       cloud=st.sampled_from(("a100", "h100")), link=st.sampled_from(LINKS), bw=bandwidths,
       wan_bw=st.one_of(st.none(), st.floats(1.0, 2000.0)),
       objective=st.sampled_from(("latency", "energy")))
def test_three_tiers_are_composed_physics(model, device, edge, cloud, link, bw, wan_bw, objective):
    p = PROFILES[model]
    t = best_three_tier(p, device, edge, cloud, link, "wan", bw, wan_bw, objective)
    dev, edg, cld, lk, wn = (get_device(device), get_device(edge), get_device(cloud),
                             get_link(link), get_link("wan"))
    n, k1, k2 = p.n_layers, t.k1, t.k2
    up, down = _rates(link, bw)
    wup, wdown = _rates("wan", wan_bw)
    res = float(p.table["output_bytes"].iloc[-1])
    cut = p.cut_bytes()
    dev_s = float(layer_latency(p, dev)[:k1].sum()) + (dev.model_overhead_s if k1 > 0 else 0.0)
    edge_s = float(layer_latency(p, edg)[k1:k2].sum()) + (edg.model_overhead_s if k2 > k1 else 0.0)
    cloud_s = float(layer_latency(p, cld)[k2:].sum()) + (cld.model_overhead_s if k2 < n else 0.0)
    rtt = lk.rtt_ms / 1e3 if k1 < n else 0.0
    up_s = float(air_time(cut[k1], up))
    down_s = float(air_time(res if k1 < n else 0.0, down))
    wan_s = (float(transfer_time(cut[k2], wup, wn.rtt_ms / 1e3)) + float(air_time(res, wdown))
             if k2 < n else 0.0)
    after = edge_s + wan_s + cloud_s
    assert t.latency_s == pytest.approx(dev_s + rtt + up_s + down_s + after, rel=REL)
    e = float(device_energy(dev.active_power_w, dev_s, lk, up_s, down_s, rtt, dev.idle_power_w,
                            after))
    assert t.device_energy_j == pytest.approx(e, rel=REL)


@SETTINGS
@given(model=st.sampled_from(sorted(PROFILES)), device=st.sampled_from(DEVICES),
       server=st.sampled_from(SERVERS), link=st.sampled_from(LINKS),
       bw=st.floats(0.05, 5000.0), objective=st.sampled_from(("latency", "energy")),
       k=st.integers(0, 10_000))
def test_dag_placement_is_composed_physics(model, device, server, link, bw, objective, k):
    p = PROFILES[model]
    n = p.n_layers
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    # a chain prefix: its placement cost equals the chain split composed by hand
    k = k % (n + 1)
    prefix = np.arange(n) < k
    assert is_valid_placement(p, prefix)
    pc = placement_cost(p, prefix, device, server, link, bw)
    lat, e = _chain_cost(p, device, server, link, bw, k)
    assert pc.latency_s == pytest.approx(lat, rel=1e-9)
    assert pc.device_energy_j == pytest.approx(e, rel=1e-9)
    # DADS's choice: its reported cost is the composition over its own placement
    g = dads(p, device, server, link, bw, objective)
    d = g.on_device
    any_srv = bool((~d).any())
    dev_s = float(layer_latency(p, dev)[d].sum()) + (dev.model_overhead_s if d.any() else 0.0)
    srv_s = float(layer_latency(p, srv)[~d].sum()) + (srv.model_overhead_s if any_srv else 0.0)
    rtt = lk.rtt_ms / 1e3 if any_srv else 0.0
    up_s = float(air_time(g.uplink_bytes, bw))
    down_s = float(air_time(g.downlink_bytes, bw))
    assert g.latency_s == pytest.approx(dev_s + rtt + up_s + down_s + srv_s, rel=1e-9)
    e = float(device_energy(dev.active_power_w, dev_s, lk, up_s, down_s, rtt, dev.idle_power_w,
                            srv_s))
    assert g.device_energy_j == pytest.approx(e, rel=1e-9)


BRANCHY = ee.digits_branchynet(width=8, seed=0)
BRANCH_PROFILES = [profile(BRANCHY.branch(i), torch.zeros((1, *BRANCHY.input_shape)),
                           name=f"exit{i}") for i in range(BRANCHY.n_exits)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(device=st.sampled_from(DEVICES), server=st.sampled_from(SERVERS),
       link=st.sampled_from(LINKS), bws=st.lists(st.floats(0.05, 5000.0), min_size=1, max_size=4))
def test_edgent_latency_is_composed_physics(device, server, link, bws):
    table = ee.edgent_latency(BRANCHY, device, server, link, np.array(bws))
    for i, p in enumerate(BRANCH_PROFILES):
        for j, bw in enumerate(bws):
            lat, _ = _chain_cost(p, device, server, link, bw, int(table.split.iloc[i, j]))
            assert table.latency_s.iloc[i, j] == pytest.approx(lat, rel=REL)


@SETTINGS
@given(n_devices=st.integers(1, 6), link=st.sampled_from(LINKS), bw=bandwidths,
       edge_share=st.floats(0.0, 0.5), cloud_share=st.floats(0.0, 0.5))
def test_ddnn_latency_is_composed_physics(n_devices, link, bw, edge_share, cloud_share):
    model = ee.DDNN(n_devices=n_devices)
    got = ee.ddnn_latency({"edge_share": edge_share, "cloud_share": cloud_share}, model, link,
                          "wan", bw)
    lk, wn = get_link(link), get_link("wan")
    up, _ = _rates(link, bw)
    wup, _ = _rates("wan", None)
    b = model.bytes_per_device()
    rtt, wrtt = lk.rtt_ms / 1e3, wn.rtt_ms / 1e3
    k = n_devices
    ddnn = (float(transfer_time(k * b["scores"], up, rtt))
            + (edge_share + cloud_share) * float(transfer_time(k * b["features"], up, rtt))
            + cloud_share * float(transfer_time(128 * 4, wup, wrtt)))
    raw = float(transfer_time(k * 64.0, up, rtt)) + float(transfer_time(k * 64.0, wup, wrtt))
    assert got["ddnn_latency_s"] == pytest.approx(ddnn, rel=REL)
    assert got["offload_latency_s"] == pytest.approx(raw, rel=REL)


@SETTINGS
@given(model=st.sampled_from(sorted(PROFILES)), device=st.sampled_from(DEVICES),
       server=st.sampled_from(SERVERS), link=st.sampled_from(LINKS), bw=bandwidths,
       bits=st.sampled_from((1, 2, 4, 8)), k=st.integers(0, 10_000))
def test_lossy_split_is_composed_physics(model, device, server, link, bw, bits, k):
    """JALAD's encoded split (seed 003 §V-C.2): the smaller uplink on the air, the encoding and
    decoding passes as compute, energy from ``device_energy``."""
    p = PROFILES[model]
    k = k % (p.n_layers + 1)
    lossy = P.lossy_split_costs(p, device, server, link, bw, bits)
    base = P.lossy_split_costs(p, device, server, link, bw, 32)
    dev, lk = get_device(device), get_link(link)
    up, down = _rates(link, bw)
    rtt = lk.rtt_ms / 1e3 if k < p.n_layers else 0.0
    up_s = float(air_time(lossy.uplink_bytes[0, k], up))
    down_s = float(air_time(lossy.downlink_bytes[0, k], down))
    dev_s, srv_s = float(lossy.device_s[0, k]), float(lossy.server_s[0, k])
    assert dev_s >= base.device_s[0, k] and srv_s >= base.server_s[0, k]
    assert lossy.latency_s[0, k] == pytest.approx(dev_s + rtt + up_s + down_s + srv_s, rel=1e-9)
    e = float(device_energy(dev.active_power_w, dev_s, lk, up_s, down_s, rtt, dev.idle_power_w,
                            srv_s))
    assert lossy.device_energy_j[0, k] == pytest.approx(e, rel=REL)
