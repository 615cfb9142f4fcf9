"""Partition beyond the chain split (seed 003 §V-C.2, Table 4; §IV-C.4; seed 004): three tiers,
DADS = brute force, real head/tail execution, JALAD, between-devices splits, bad input, CLI."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
import torch
import torch.fx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from edgelab import models
from edgelab.cli import run_captured as _run
from edgelab.hardware.catalog import device_names, link_names
from edgelab.hardware.cost import split_costs
from edgelab.hardware.profile import profile, profile_model
from edgelab.inference import partition as P


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# ----------------------------------------------------------------------------- three tiers


def _three_tier_loop(p, dev, edge, cloud, link, wan, bw):
    """Reference: one pair at a time from the two-tier split_costs pieces."""
    n = p.n_layers
    de = split_costs(p, dev, edge, link, bw)  # device | edge
    ec = split_costs(p, edge, cloud, wan)  # edge | cloud
    from edgelab.hardware.catalog import get_device
    from edgelab.hardware.cost import layer_latency
    e = get_device(edge)
    el = layer_latency(p, e)
    d = get_device(dev)
    out = np.full((n + 1, n + 1), np.inf)
    for k1 in range(n + 1):
        for k2 in range(k1, n + 1):
            seg = el[k1:k2].sum() + (e.model_overhead_s if k2 > k1 else 0.0)
            after = seg + ec.transfer_s[0, k2] + ec.server_s[0, k2]
            out[k1, k2] = de.device_s[0, k1] + de.transfer_s[0, k1] + after
    del d
    return out


@pytest.mark.parametrize("model", ["digits_cnn", "alexnet", "resnet18"])
def test_three_tier_matches_loop_and_two_tier(model):
    p = profile_model(model)
    tc = P.three_tier_costs(p, "rpi4", "jetson-orin-nano", "a100", "4g", "wan", 7.0)
    ref = _three_tier_loop(p, "rpi4", "jetson-orin-nano", "a100", "4g", "wan", 7.0)
    np.testing.assert_allclose(tc.latency_s[0], ref, rtol=1e-12)
    # k2 = n is the two-tier device|edge split, latency and energy
    two = split_costs(p, "rpi4", "jetson-orin-nano", "4g", 7.0)
    np.testing.assert_allclose(tc.latency_s[0, :, -1], two.latency_s[0], rtol=1e-12)
    np.testing.assert_allclose(tc.device_energy_j[0, :, -1], two.device_energy_j[0], rtol=1e-12)
    best = P.best_three_tier(p, "rpi4", "jetson-orin-nano", "a100", "4g", "wan", 7.0)
    assert best.k1 <= best.k2 and best.latency_s == pytest.approx(np.min(ref), rel=1e-12)
    assert best.latency_s <= P.best_split(p, "rpi4", "jetson-orin-nano", "4g", 7.0).latency_s


def test_three_tier_grid_and_where():
    p = profile_model("alexnet")
    grid = np.logspace(-1, 3, 9)
    many = P.best_three_tier(p, "cortex-m7", "rpi4", "a100", "wifi5", "wan", grid, objective="energy")
    for i, b in enumerate(grid):
        one = P.best_three_tier(p, "cortex-m7", "rpi4", "a100", "wifi5", "wan", float(b),
                                objective="energy")
        assert (one.k1, one.k2) == (many.k1[i], many.k2[i])
    assert isinstance(many.where, list) and all(isinstance(w, str) for w in many.where)
    assert "cloud" in " ".join(many.where)


# ----------------------------------------------------------------------------- DADS


@st.composite
def dag_modules(draw):
    """A random small DAG module: linear / relu / concatenation nodes, one output."""
    n = draw(st.integers(2, 7))
    root = nn.Module()
    g = torch.fx.Graph()
    nodes = [g.placeholder("x")]
    w0 = draw(st.sampled_from([4, 16, 64, 256]))
    widths = [w0]
    for i in range(n):
        kinds = ["linear", "relu"] + (["cat"] if len(nodes) > 2 else [])
        kind = draw(st.sampled_from(kinds)) if len(nodes) > 1 else "linear"
        if kind == "cat":
            a, b = draw(st.lists(st.integers(0, len(nodes) - 1), min_size=2, max_size=2,
                                 unique=True))
            nd = g.call_function(torch.cat, ([nodes[a], nodes[b]],), {"dim": 1})
            w = widths[a] + widths[b]
        else:
            a = draw(st.integers(0, len(nodes) - 1))
            if kind == "linear":
                w = draw(st.sampled_from([4, 32, 128, 512]))
                root.add_module(f"l{i}", nn.Linear(widths[a], w))
                nd = g.call_module(f"l{i}", (nodes[a],))
            else:
                w = widths[a]
                nd = g.call_function(torch.relu, (nodes[a],))
        nodes.append(nd)
        widths.append(w)
    sinks = [nd for nd in nodes[1:] if not nd.users]
    out = sinks[0] if len(sinks) == 1 else g.call_function(torch.cat, (sinks,), {"dim": 1})
    g.output(out)
    gm = torch.fx.GraphModule(root, g)
    return gm, torch.randn(1, w0)


def _brute_force(p, key, *where):
    best = np.inf
    for bits in itertools.product([True, False], repeat=p.n_layers):
        d = np.array(bits)
        if P.is_valid_placement(p, d):
            best = min(best, getattr(P.placement_cost(p, d, *where), key))
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mod=dag_modules(), device=st.sampled_from(device_names()),
       server=st.sampled_from(device_names()), link=st.sampled_from(link_names()),
       bw=st.floats(0.001, 10_000), objective=st.sampled_from(["latency", "energy"]))
def test_dads_equals_brute_force_on_random_dags(mod, device, server, link, bw, objective):
    gm, x = mod
    p = profile(gm, x, name="dag")
    c = P.dads(p, device, server, link, bw, objective)
    key = "latency_s" if objective == "latency" else "device_energy_j"
    assert P.is_valid_placement(p, c.on_device)
    best = _brute_force(p, key, device, server, link, bw)
    assert getattr(c, key) == pytest.approx(best, rel=1e-9, abs=1e-15)
    assert getattr(c, key) <= c.alternatives.loc["best_chain", key] * (1 + 1e-12)
    # the chosen cut runs for real and equals the whole module
    sm = P.split_model(gm, c)
    with torch.no_grad():
        torch.testing.assert_close(sm(x), gm(x), rtol=0, atol=0)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_min_cut_placement_is_exact_for_arbitrary_costs(data):
    n = data.draw(st.integers(1, 8))
    preds = [sorted(set(data.draw(st.lists(st.integers(-1, i - 1), min_size=1, max_size=2))))
             for i in range(n)]
    arr = st.lists(st.floats(0, 10), min_size=n, max_size=n)
    dc, sc = np.array(data.draw(arr)), np.array(data.draw(arr))
    tc = np.array(data.draw(st.lists(st.floats(0, 10), min_size=n + 1, max_size=n + 1)))
    out = n - 1
    on = P.min_cut_placement(preds, dc, sc, tc, out)

    def value(d):
        ext = np.concatenate([[True], d])
        sent = sum(tc[q] for q in range(n + 1)
                   if ext[q] and any((q - 1) in preds[v] and not d[v] for v in range(n)))
        return dc[d].sum() + sc[~d].sum() + sent

    best = np.inf
    for bits in itertools.product([True, False], repeat=n):
        d = np.array(bits)
        if d[out] or any(d[v] and any(p >= 0 and not d[p] for p in preds[v]) for v in range(n)):
            continue
        best = min(best, value(d))
    assert not on[out]
    assert value(on) == pytest.approx(best, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("model", ["resnet18", "googlenet"])
def test_dads_on_real_dags(model):
    p = profile_model(model)
    assert not p.is_chain
    for dev, srv, link, bw in [("rpi4", "t4", "wifi5", 100.0), ("jetson-nano", "a100", "wan", 1.0),
                               ("snapdragon-845", "edge-server-cpu", "4g", 20.0)]:
        for obj in ("latency", "energy"):
            c = P.dads(p, dev, srv, link, bw, obj)
            key = "latency_s" if obj == "latency" else "device_energy_j"
            assert P.is_valid_placement(p, c.on_device)
            v = getattr(c, key)
            assert v <= c.alternatives.loc["all_device", key] + 1e-15
            assert v <= c.alternatives.loc["all_server", key] + 1e-15
            assert v <= c.alternatives.loc["best_chain", key] * (1 + 1e-12)
            assert c.gain_over("best_chain") >= 1 - 1e-12
    # random costs on the real graph: the min-cut is a valid cut (often not a prefix)
    rng = np.random.default_rng(0)
    for _ in range(5):
        on = P.min_cut_placement(p.preds, rng.random(p.n_layers), rng.random(p.n_layers),
                                 rng.random(p.n_layers + 1), p.output_layer)
        assert P.is_valid_placement(p, on) and not on[p.output_layer]


def test_placement_cost_prefix_equals_split_costs():
    for model in ("alexnet", "resnet18", "googlenet"):
        p = profile_model(model)
        sc = split_costs(p, "rpi4", "t4", "wifi5", 37.0)
        for k in range(0, p.n_layers + 1, 7):
            pc = P.placement_cost(p, np.arange(p.n_layers) < k, "rpi4", "t4", "wifi5", 37.0)
            assert pc.latency_s == pytest.approx(sc.latency_s[0, k], rel=1e-12)
            assert pc.device_energy_j == pytest.approx(sc.device_energy_j[0, k], rel=1e-12)
            assert pc.uplink_bytes == sc.uplink_bytes[0, k]


# ----------------------------------------------------------------------------- real execution


@pytest.mark.parametrize("model,shape", [("digits_cnn", (1, 8, 8)), ("resnet18", (3, 48, 48)),
                                         ("googlenet", (3, 64, 64))])
def test_head_tail_equals_whole_model(model, shape):
    net = models.build(model)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        ref = net(x)
    p = profile(net, x[:1], name=model)
    ks = range(p.n_layers + 1) if p.n_layers < 20 else [0, 1, 2, 5, p.n_layers // 3,
                                                         p.n_layers // 2, p.n_layers - 1, p.n_layers]
    for k in ks:
        sm = P.split_model(net, k)
        with torch.no_grad():
            torch.testing.assert_close(sm(x), ref, rtol=0, atol=0)
        _, nbytes = sm.transmit(x[:1])
        assert nbytes == p.cut_bytes()[k]
        assert int(sm.on_device.sum()) == k
    c = P.dads(p, "rpi4", "t4", "wifi5", 50.0)
    with torch.no_grad():
        torch.testing.assert_close(P.split_model(net, c)(x), ref, rtol=0, atol=0)


def test_split_model_bad_input():
    net = models.build("digits_cnn")
    with pytest.raises(ValueError, match=r"split must be an integer in \[0, 10\]"):
        P.split_model(net, 11)
    with pytest.raises(ValueError, match=r"split must be an integer in \[0, 10\]"):
        P.split_model(net, -1)
    bad = np.zeros(10, dtype=bool)
    bad[5] = True  # layer 5 on the device reads layer 4 on the server
    with pytest.raises(ValueError, match="flow back"):
        P.split_model(net, bad)
    with pytest.raises(ValueError, match="boolean mask"):
        P.split_model(net, np.ones(3, dtype=bool))
    p = profile_model("digits_cnn")
    with pytest.raises(ValueError, match="invalid placement"):
        P.placement_cost(p, bad, "rpi4", "t4", "wifi5")


# ----------------------------------------------------------------------------- JALAD


def test_quantize_roundtrip_and_bytes():
    x = torch.randn(3, 16, 5, 5) * 4
    for bits in (1, 2, 4, 8):
        q = P.quantize(x, bits)
        y = q.dequantize()
        assert y.shape == x.shape and y.dtype == x.dtype
        step = (x.reshape(3, -1).amax(1) - x.reshape(3, -1).amin(1)) / (2 ** bits - 1)
        err = (y - x).abs().reshape(3, -1).amax(1)
        assert torch.all(err <= step / 2 + 1e-5)
        assert q.nbytes == 3 * (int(np.ceil(400 * bits / 8)) + 8)
    const = P.quantize(torch.full((2, 7), 3.5), 4).dequantize()
    assert torch.all(const == 3.5)
    with pytest.raises(ValueError, match="bits"):
        P.quantize(x, 3)


def test_jalad_accuracy_and_costs():
    net, xte, yte = P.train_digits_cnn(seed=0, epochs=4)
    df = P.jalad_accuracy(net, xte, yte, bits=(8, 4))
    n = 10
    assert set(df["split"]) == set(range(n + 1))
    exact = df[df.bits == 32].set_index("split")
    assert (exact["agreement"] == 1.0).all()  # splitting alone changes nothing
    assert exact["accuracy"].iloc[0] > 0.85  # a trained network
    eight = df[df.bits == 8].set_index("split")
    assert (exact["accuracy"] - eight["accuracy"]).max() <= 0.01
    assert (eight["reduction"].iloc[:n] > 3.4).all()  # ~4x fewer bytes (+8 B per sample)
    p = profile_model("digits_cnn")
    base = split_costs(p, "cortex-m7", "edge-server-cpu", "ble", 0.5)
    assert P.lossy_split_costs(p, "cortex-m7", "edge-server-cpu", "ble", 0.5, 32) is not None
    np.testing.assert_array_equal(
        P.lossy_split_costs(p, "cortex-m7", "edge-server-cpu", "ble", 0.5, 32).latency_s,
        base.latency_s)
    lossy = P.lossy_split_costs(p, "cortex-m7", "edge-server-cpu", "ble", 0.5, 8)
    assert np.all(lossy.uplink_bytes[0, 1:n] < base.uplink_bytes[0, 1:n] / 3.4)
    assert lossy.uplink_bytes[0, 0] == base.uplink_bytes[0, 0] == 64  # the uint8 image as is
    assert np.all(lossy.latency_s[0, 1:n] < base.latency_s[0, 1:n])
    assert lossy.latency_s[0, 0] == pytest.approx(base.latency_s[0, 0], rel=1e-12)
    assert lossy.latency_s[0, n] == base.latency_s[0, n]
    grid = np.logspace(-2, 2, 9)
    plan = P.jalad_plan(p, "cortex-m7", "edge-server-cpu", "ble", grid, df, max_drop=0.01)
    assert len(plan) == 9 and np.all(plan["latency_s"] <= plan["latency_fp32_s"] * (1 + 1e-12))
    assert np.all(plan["accuracy"] >= exact["accuracy"].loc[n] - 0.01)
    with pytest.raises(ValueError, match="lacks splits"):
        P.jalad_plan(p, "cortex-m7", "edge-server-cpu", "ble", grid, df[df.split < 5])


# ----------------------------------------------------------------------------- between devices


@pytest.mark.parametrize("model,shape", [("digits_cnn", (1, 8, 8)), ("alexnet", (3, 227, 227))])
def test_between_devices_real_execution_equals_model(model, shape):
    net = models.build(model)
    x = torch.randn(1, *shape)
    with torch.no_grad():
        ref = net(x)
    p = profile(net, x, name=model)
    for scheme in P.SCHEMES:
        for nw in (2, 3, 4):
            plan = P.between_devices(p, "rpi4", "wifi5", nw, scheme)
            out = P.distributed_forward(net, x, plan)
            assert (out - ref).abs().max().item() <= 1e-5, (scheme, nw)
            assert plan.speedup > 0 and plan.n_workers == nw
            assert (plan.stages["kind"] != "whole").any()


def test_between_devices_vgg_features_and_heterogeneous():
    feats = models.build("vgg16").features
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ref = feats(x)
    p = profile(feats, x, name="vgg16_features")
    for scheme in ("modnn", "mednn", "fused", "channel"):
        plan = P.between_devices(p, ["jetson-nano", "rpi4", "rpi4"], "ethernet", scheme=scheme)
        assert (P.distributed_forward(feats, x, plan) - ref).abs().max().item() <= 1e-5
    plan = P.between_devices(p, ["jetson-nano", "rpi4"], "ethernet", scheme="modnn")
    assert plan.shares[0] > plan.shares[1]  # biased toward the faster device
    stem = models.build("googlenet").stem  # LRN and max-pool with padding
    xs = torch.randn(1, 3, 40, 40)
    ps = profile(stem, xs, name="stem")
    for scheme in P.SCHEMES:
        plan = P.between_devices(ps, "rpi4", "ethernet", 4, scheme)
        with torch.no_grad():
            assert (P.distributed_forward(stem, xs, plan) - stem(xs)).abs().max().item() <= 1e-5


def test_between_devices_speedup_model():
    p = profile_model("vgg16")
    slow = P.between_devices(p, "cortex-m7", "ethernet", 4, "modnn")
    assert 3.0 < slow.speedup < 4.0  # compute-bound: close to 4 workers
    fast = P.between_devices(p, "snapdragon-845", "wifi5", 4, "modnn")
    assert fast.speedup < 1.0  # exchange-bound: a slowdown
    fused = P.between_devices(p, "rpi4", "wifi5", 4, "fused")
    assert fused.speedup > P.between_devices(p, "rpi4", "wifi5", 4, "modnn").speedup
    assert fused.latency_s == pytest.approx(fused.device_s + fused.transfer_s, rel=1e-12)
    one = P.between_devices(p, "rpi4", "wifi5", 1, "modnn")
    assert one.speedup == pytest.approx(1.0, rel=1e-9)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_messages():
    p = profile_model("resnet18")
    with pytest.raises(ValueError, match="DADS"):
        P.best_split(p, "rpi4", "t4", "4g", chain_only=True)
    with pytest.raises(ValueError, match="dads"):
        P.between_devices(p, "rpi4", "wifi5", 2)
    with pytest.raises(ValueError, match="scheme"):
        P.between_devices(profile_model("alexnet"), "rpi4", "wifi5", 2, "magic")
    with pytest.raises(ValueError, match="objective"):
        P.dads(p, "rpi4", "t4", "4g", objective="speed")
    with pytest.raises(ValueError, match="scalar"):
        P.dads(p, "rpi4", "t4", "4g", np.array([1.0, 2.0]))


def test_deadline_best_effort_is_labelled():
    p = profile_model("alexnet")
    with pytest.warns(UserWarning, match="BEST EFFORT"):
        c = P.best_split(p, "rpi4", "t4", "4g", 10.0, "energy", deadline_s=1e-4)
    assert c.meets_deadline is False and "BEST EFFORT" in c.note
    fastest = P.best_split(p, "rpi4", "t4", "4g", 10.0, "latency")
    assert c.split == fastest.split
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = P.best_split(p, "rpi4", "t4", "4g", 10.0, "energy", deadline_s=10.0)
    assert ok.meets_deadline is True and ok.note == ""
    assert ok.split == P.best_split(p, "rpi4", "t4", "4g", 10.0, "energy").split
    grid = np.logspace(-2, 3, 30)
    with pytest.warns(UserWarning):
        g = P.best_split(p, "rpi4", "t4", "4g", grid, "latency", deadline_s=0.1)
    assert g.meets_deadline.dtype == bool and (~g.meets_deadline).any() and g.meets_deadline.any()
    assert np.all(g.latency_s[g.meets_deadline] <= 0.1)
    with pytest.raises(ValueError, match="deadline_s"):
        P.best_split(p, "rpi4", "t4", "4g", deadline_s=0)


def test_split_planner_equals_best_split():
    grid = np.logspace(-2, 4, 200)
    for model in ("alexnet", "resnet18"):
        p = profile_model(model)
        planner = P.SplitPlanner(p, device_names(), "a100", "4g")
        for obj in ("latency", "energy"):
            k, v = planner.decide(grid, obj)
            for i, d in enumerate(device_names()):
                ref = P.best_split(p, d, "a100", "4g", grid, obj)
                got = ref.latency_s if obj == "latency" else ref.device_energy_j
                np.testing.assert_allclose(v[i], got, rtol=1e-12)


# ----------------------------------------------------------------------------- CLI




@pytest.mark.parametrize("model,device,server,link,bw,objective", [
    ("alexnet", "rpi4", "t4", "4g", "20", "latency"),
    ("alexnet", "jetson-nano", "t4", "wifi5", "200", "latency"),
    ("digits_cnn", "cortex-m7", "edge-server-cpu", "ble", "0.5", "energy"),
    ("resnet18", "snapdragon-845", "a100", "5g", "50", "energy"),
])
def test_cli_partition_is_argmin_of_cli_cost(model, device, server, link, bw, objective):
    common = ["--device", device, "--server", server, "--link", link, "--bandwidth", bw]
    code, out, _ = _run("partition", model, *common, "--objective", objective, "--format", "json")
    assert code == 0
    res = json.loads(out)
    key = "latency_s" if objective == "latency" else "device_energy_j"
    assert {"split", "latency_s", "device_energy_j", "breakdown"} <= set(res)
    vals = []
    for k in range(res["n_layers"] + 1):
        c, o, _ = _run("cost", model, *common, "--split", str(k), "--format", "json")
        assert c == 0
        vals.append(json.loads(o))
    code, _, err = _run("cost", model, *common, "--split", str(res["n_layers"] + 1))
    assert code == 2 and "split" in err  # nothing beyond n_layers is accepted
    k = int(np.argmin([v[key] for v in vals]))
    assert res["split"] == k
    assert res["latency_s"] == vals[k]["latency_s"]
    assert res["device_energy_j"] == vals[k]["device_energy_j"]
    assert res["breakdown"]["uplink_bytes"] == vals[k]["uplink_bytes"]


def test_cli_partition_formats_and_errors():
    code, out, _ = _run("partition", "alexnet", "--device", "rpi4", "--server", "t4", "--link",
                        "4g", "--format", "csv")
    assert code == 0 and out.startswith("key,value")
    code, out, err = _run("partition", "alexnet", "--device", "rpi4", "--server", "t4", "--link",
                          "4g", "--deadline", "0.001", "--format", "json")
    res = json.loads(out)
    assert code == 0 and res["meets_deadline"] is False and "BEST EFFORT" in res["note"]
    code, _, err = _run("partition", "alexnet", "--device", "rpi9", "--server", "t4", "--link", "4g")
    assert code == 2 and "rpi4" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run("partition", "alexnet", "--device", "rpi4", "--server", "t4", "--link",
                        "4g", "--bandwidth", "0")
    assert code == 2 and "bandwidth" in err


# ----------------------------------------------------------------------------- widget


def test_partition_explorer_headless():
    from edgelab.explorers.partition import PartitionExplorer

    ex = PartitionExplorer("alexnet", device="rpi4", server="t4", link="4g", draw=False)
    n0 = ex.n_updates
    ex.set(bandwidth=1000.0, device="jetson-nano", deadline=5000.0)
    assert ex.n_updates == n0 + 1
    ref = P.best_split(profile_model("alexnet"), "jetson-nano", "t4",
                       __import__("edgelab.hardware.catalog", fromlist=["get_link"]).get_link("4g", 1000.0))
    assert ex.choice.split == ref.split and "split" in ex.summary.value
    ex.deadline.value = 1.0  # impossible: labelled
    assert ex.choice.meets_deadline is False and "BEST EFFORT" in ex.summary.value
    import matplotlib.pyplot as plt

    plt.close(ex.figure())


def test_dads_min_cut_is_exact_where_float_preflow_was_not():
    """A 6-node DAG on which networkx's preflow-push with float capacities returned all-server
    (device energy 1.94 mJ) although l0, l1 on the device cost 1.76 mJ (found by hypothesis)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l0, self.l1 = nn.Linear(4, 128), nn.Linear(128, 128)
            self.l2, self.l3 = nn.Linear(4, 4), nn.Linear(4, 4)

        def forward(self, x):
            return torch.cat([self.l1(self.l0(x)), self.l2(x), self.l3(x), torch.relu(x)], 1)

    gm = torch.fx.symbolic_trace(Net())
    p = profile(gm, torch.randn(1, 4), name="dag")
    c = P.dads(p, "t4", "cortex-m7", "ble", 1760.5625, "energy")
    best = _brute_force(p, "device_energy_j", "t4", "cortex-m7", "ble", 1760.5625)
    assert c.on_device.tolist() == [True, True, False, False, False, False]
    assert c.device_energy_j == pytest.approx(best, rel=1e-12)
