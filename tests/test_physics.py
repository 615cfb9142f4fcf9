"""Physics in one place: what ``levels`` and ``training.federated`` report is ``hardware.cost``.

For random scenarios (hypothesis), the latencies and energies that the EI levels model (seed 003
§III-B) and the federated system model (§IV-B.5, §IV-C.2) report equal what composing the
:mod:`edgelab.hardware.cost` functions gives: ``link_rates`` (no bandwidth given means the
link's own), ``air_time`` / ``transfer_time`` / ``exchange_time`` (RTT + bytes / bandwidth),
``device_energy`` (active × compute + radio × air time + idle × waiting), ``split_costs`` and
``model_latency``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgelab import levels
from edgelab.hardware import cost
from edgelab.hardware.catalog import device_names, get_device, get_link, link_names
from edgelab.hardware.profile import profile_model
from edgelab.training.federated import SystemModel
from edgelab.training.federated.system import DEFAULT_DEVICE_MIX, DEFAULT_LINK_MIX, schedule

MODELS = ["digits_mlp", "digits_cnn", "alexnet", "mobilenet_v2"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12

scenarios = st.builds(
    levels.Scenario,
    model=st.sampled_from(MODELS),
    device=st.sampled_from(device_names()),
    edge=st.sampled_from(device_names()),
    cloud=st.sampled_from(device_names()),
    link=st.sampled_from(link_names()),
    wan=st.sampled_from(link_names()),
    bandwidth_mbps=st.one_of(st.none(), st.floats(0.01, 20_000)),
    wan_mbps=st.one_of(st.none(), st.floats(0.1, 20_000)),
    train_samples=st.integers(1, 100_000),
    epochs=st.integers(1, 50),
    request_rate_hz=st.floats(0.0, 100),
    horizon_s=st.floats(0, 1e6),
    train_batch=st.integers(1, 128),
    objective=st.sampled_from(["latency", "energy"]),
)


def _close(ours: object, expected: object) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(expected, dtype=float),
                               rtol=RTOL, atol=0.0)


def _hop(link_name: str, up_bytes: float, down_bytes: float,
         bandwidth: float | None) -> tuple[float, float, float, float]:
    """(seconds, up air time, down air time, RTT s) of one exchange, from the cost functions
    (a duty-cycled uplink, LoRa's 1 %, is held 1 / duty_cycle times its air time)."""
    lk = get_link(link_name)
    up, down = cost.link_rates(lk, bandwidth)
    rtt = lk.rtt_ms / 1e3
    seconds = cost.transfer_time(up_bytes, up, rtt, lk.duty_cycle) + cost.air_time(down_bytes, down)
    return (float(seconds[0]), float(cost.air_time(up_bytes, up)[0]),
            float(cost.air_time(down_bytes, down)[0]), rtt)


def _silence(link_name: str, up_air_s: float) -> float:
    """Seconds a duty-cycled uplink keeps the device silent after ``up_air_s`` on the air."""
    return float(cost.duty_cycled_time(up_air_s, get_link(link_name).duty_cycle)) - up_air_s


@SETTINGS
@given(sc=scenarios)
def test_levels_inference_latency_and_energy_are_the_cost_model(sc):
    df = levels.evaluate(sc).set_index("level")
    p = profile_model(sc.model)
    dev, edge, cloud = get_device(sc.device), get_device(sc.edge), get_device(sc.cloud)
    lk = get_link(sc.link)
    in_b, res_b = float(p.raw_input_bytes), float(p.table["output_bytes"].iloc[-1])
    hop_s, up_s, down_s, rtt = _hop(sc.link, in_b, res_b, sc.bandwidth_mbps)
    wan_s = _hop(sc.wan, in_b, res_b, sc.wan_mbps)[0]

    # CI: input over the link and the WAN, the whole model in the cloud, the device idles
    ci = hop_s + wan_s + cost.model_latency(p, cloud)
    _close(df.loc["CI", "infer_latency_s"], ci)
    quiet = _silence(sc.link, up_s)
    _close(df.loc["CI", "infer_device_energy_j"],
           cost.device_energy(0.0, 0.0, lk, up_s, down_s, rtt, dev.idle_power_w,
                              ci - hop_s + quiet))

    # L1 / L4: input to the edge, then the edge|cloud split the level reports
    k1 = int(df.loc["L1", "split"])
    s1 = cost.split_costs(p, edge, cloud, sc.wan, sc.wan_mbps)
    l1 = hop_s + float(s1.latency_s[0, k1])
    for lv in ("L1", "L4"):
        _close(df.loc[lv, "infer_latency_s"], l1)
        _close(df.loc[lv, "infer_device_energy_j"],
               cost.device_energy(0.0, 0.0, lk, up_s, down_s, rtt, dev.idle_power_w,
                                  float(s1.latency_s[0, k1]) + quiet))

    # L2 / L5: the device|edge split the level reports, at the scenario's bandwidth
    k2 = int(df.loc["L2", "split"])
    s2 = cost.split_costs(p, dev, edge, lk, sc.bandwidth_mbps)
    for lv in ("L2", "L5"):
        _close(df.loc[lv, "infer_latency_s"], s2.latency_s[0, k2])
        _close(df.loc[lv, "infer_device_energy_j"], s2.device_energy_j[0, k2])
        _close(df.loc[lv, "infer_device_compute_s"], s2.device_s[0, k2])

    # L3 / L6: the whole model on the device, active power all along
    local = cost.model_latency(p, dev)
    for lv in ("L3", "L6"):
        _close(df.loc[lv, "infer_latency_s"], local)
        _close(df.loc[lv, "infer_device_energy_j"], dev.active_power_w * local)


@SETTINGS
@given(sc=scenarios)
def test_levels_training_exchanges_are_the_cost_model(sc):
    df = levels.evaluate(sc).set_index("level")
    p = profile_model(sc.model)
    lk = get_link(sc.link)
    data_b = float(sc.train_samples) * float(p.raw_input_bytes)
    up_s, down_s, rtt = _hop(sc.link, data_b, 0.0, sc.bandwidth_mbps)[1:]
    radio = cost.device_energy(0.0, 0.0, lk, up_s, down_s, rtt, 0.0, 0.0)
    for lv in ("CI", "L1", "L2", "L3", "L4", "L5"):  # raw training data leaves the device
        _close(df.loc[lv, "train_device_energy_j"], radio)
    # L4 adds one model exchange (weights up and down) with the cloud per epoch
    w = float(p.table["weight_bytes"].sum())
    sync = sc.epochs * _hop(sc.wan, w, w, sc.wan_mbps)[0]
    # ... against one edge node training alone (L5 with edge_nodes=1: no gossip, no sharing)
    alone = levels.evaluate(sc.replace(edge_nodes=1)).set_index("level")
    np.testing.assert_allclose(df.loc["L4", "train_time_s"] - alone.loc["L5", "train_time_s"], sync,
                               rtol=1e-9, atol=1e-12 * df.loc["L4", "train_time_s"])
    # L5's edge nodes gossip the model with their ring neighbours once per epoch (edge network)
    peers = min(sc.gossip_peers, sc.edge_nodes - 1)
    _close(df.loc["L5", "train_peer_bytes"], 2 * peers * w * sc.epochs)


@SETTINGS
@given(sc=scenarios)
def test_transmission_latency_is_transfer_time(sc):
    p = profile_model(sc.model)
    in_b, res_b = float(p.raw_input_bytes), float(p.table["output_bytes"].iloc[-1])
    t = levels.transmission_latency(sc)
    edge = _hop(sc.link, in_b, res_b, sc.bandwidth_mbps)[0]
    _close(t["to_edge_s"], edge)
    _close(t["to_cloud_s"], edge + _hop(sc.wan, in_b, res_b, sc.wan_mbps)[0])


@SETTINGS
@given(sc=scenarios, bws=st.lists(st.floats(0.01, 20_000), min_size=1, max_size=4))
def test_levels_bandwidth_grid_overrides_both_directions(sc, bws):
    g = levels.bandwidth_grid(sc, np.array(bws))
    p = profile_model(sc.model)
    lk = get_link(sc.link)
    in_b, res_b = float(p.raw_input_bytes), float(p.table["output_bytes"].iloc[-1])
    up, down = cost.link_rates(lk, np.array(bws))  # a grid overrides both directions
    hop = cost.transfer_time(in_b, up, lk.rtt_ms / 1e3, lk.duty_cycle) + cost.air_time(res_b, down)
    wan_s = _hop(sc.wan, in_b, res_b, sc.wan_mbps)[0]
    _close(g["bandwidth_mbps"][0], bws)
    _close(g["infer_latency_s"][0], hop + wan_s + cost.model_latency(p, get_device(sc.cloud)))
    s2 = cost.split_costs(p, get_device(sc.device), get_device(sc.edge), lk, np.array(bws))
    k2 = g["split"][2]
    _close(g["infer_latency_s"][2], s2.latency_s[np.arange(len(bws)), k2])
    _close(g["infer_device_energy_j"][2], s2.device_energy_j[np.arange(len(bws)), k2])


clients = st.integers(1, 12)


@SETTINGS
@given(n=clients, seed=st.integers(0, 10_000), shared=st.booleans(),
       up_bytes=st.floats(0, 1e8), down_bytes=st.floats(0, 1e8), rnd=st.integers(0, 50),
       steps=st.integers(1, 20), batch=st.sampled_from([1, 64]),
       stragglers=st.booleans())
def test_federated_round_times_are_the_cost_model(n, seed, shared, up_bytes, down_bytes, rnd,
                                                  steps, batch, stragglers):
    system = SystemModel.sample(n, shared_uplink=shared, seed=seed)
    ids = np.arange(n)
    st_ = np.full(n, steps)
    bt = np.full(n, batch)
    t = system.client_times(ids, st_, bt, up_bytes, down_bytes, rnd, stragglers=stragglers)
    slow = system.slowdown(rnd) if stragglers else np.ones(n)
    for k in ids:
        lk = get_link(system.links[k])
        up, down = cost.link_rates(lk)  # no bandwidth given: the link's own
        rtt = lk.rtt_ms / 1e3
        _close(t["download_s"].iloc[k], cost.transfer_time(down_bytes, down, rtt)[0])
        _close(t["upload_s"].iloc[k], cost.transfer_time(up_bytes, up, rtt)[0] * slow[k])
        fwd = cost.model_latency(profile_model(system.model, batch=batch), system.devices[k])
        _close(t["compute_s"].iloc[k], steps * (3.0 * fwd) * slow[k])
    ready = t["download_s"] + t["compute_s"]
    _close(t["ready_s"], ready)
    end = schedule(ready.to_numpy(), t["upload_s"].to_numpy(), shared)
    if not shared:
        _close(end, ready + t["upload_s"])
    if stragglers:
        _close(system.round_time(ids, st_, bt, up_bytes, down_bytes, rnd), end.max())


def test_default_mixes_name_catalog_entries():
    for d in DEFAULT_DEVICE_MIX:
        get_device(d)
    for lk in DEFAULT_LINK_MIX:
        assert cost.link_rates(lk)[0][0] == get_link(lk).uplink_mbps
