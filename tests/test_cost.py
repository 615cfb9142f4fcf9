"""The roofline cost model: properties (hypothesis) and consistency between its functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab import catalog, cost
from edgelab.profile import profile_model

DEVICES = catalog.device_names()
LINKS = catalog.link_names()
MODELS = ["digits_cnn", "alexnet", "resnet18", "mobilenet_v2_0.5"]
bw = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), dev=st.sampled_from(DEVICES), srv=st.sampled_from(DEVICES),
       link=st.sampled_from(LINKS), b1=bw, b2=bw)
def test_latency_never_rises_with_bandwidth(model, dev, srv, link, b1, b2):
    lo, hi = sorted([b1, b2])
    sc = cost.split_costs(profile_model(model), dev, srv, link, np.array([lo, hi]))
    assert (sc.latency_s[1] <= sc.latency_s[0] + 1e-12).all()
    assert (sc.device_energy_j[1] <= sc.device_energy_j[0] + 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), dev=st.sampled_from(DEVICES), srv=st.sampled_from(DEVICES),
       link=st.sampled_from(LINKS), b=bw)
def test_costs_never_negative(model, dev, srv, link, b):
    sc = cost.split_costs(profile_model(model), dev, srv, link, b)
    for arr in (sc.latency_s, sc.device_energy_j, sc.device_s, sc.server_s, sc.transfer_s):
        assert np.isfinite(arr).all() and (arr >= 0).all()


@given(rtt=st.floats(min_value=0, max_value=10), b=bw)
def test_zero_bytes_cost_exactly_rtt(rtt, b):
    assert cost.transfer_time(0, b, rtt) == rtt


def test_transfer_broadcasts():
    t = cost.transfer_time(np.array([0, 1e6]), np.array([[1.0], [8.0]]), 0.01)
    assert t.shape == (2, 2)
    assert t[0, 1] == pytest.approx(0.01 + 8.0)  # 1 MB at 1 Mbit/s
    assert t[1, 1] == pytest.approx(0.01 + 1.0)


def test_split_costs_consistent_with_cost_and_whole_model():
    p = profile_model("alexnet")
    n = p.n_layers
    sc = cost.split_costs(p, "rpi4", "t4", "wifi5")
    for k in (0, 3, n - 1, n):
        c = cost.cost(p, "rpi4", "t4", "wifi5", split=k)
        assert c["latency_s"] == pytest.approx(sc.latency_s[0, k])
        assert c["device_energy_j"] == pytest.approx(sc.device_energy_j[0, k])
    assert sc.latency_s[0, n] == pytest.approx(cost.model_latency(p, "rpi4"))
    assert sc.uplink_bytes[0, 0] == p.input_bytes
    assert sc.server_s[0, n] == 0 and sc.device_s[0, 0] == 0


def test_split_costs_vectorised_over_devices():
    p = profile_model("resnet18")
    grid = np.logspace(-1, 4, 50)
    many = cost.split_costs(p, DEVICES, "a100", "5g", grid)
    assert many.latency_s.shape == (len(DEVICES), 50, p.n_layers + 1)
    one = cost.split_costs(p, DEVICES[2], "a100", "5g", grid)
    np.testing.assert_allclose(many.latency_s[2], one.latency_s)


def test_roofline_bounds():
    p = profile_model("vgg16")
    d = catalog.get_device("t4")
    lat = cost.layer_latency(p, d)
    flops = p.table["flops"].to_numpy()
    assert (lat >= flops / (d.peak_fp32_gflops * 1e9) - 1e-15).all()  # never beats peak
    faster = cost.model_latency(p, "h100")
    assert faster < cost.model_latency(p, "t4") < cost.model_latency(p, "rpi4")


def test_fits_memory():
    assert not cost.fits_memory(profile_model("vgg16"), "cortex-m7")
    assert cost.fits_memory(profile_model("digits_mlp"), "cortex-m7")
    assert cost.fits_memory(profile_model("vgg16"), "a100")


def test_cost_input_errors():
    p = profile_model("alexnet")
    with pytest.raises(ValueError, match="split"):
        cost.cost(p, "rpi4", "t4", "4g", split=p.n_layers + 1)
    with pytest.raises(ValueError, match="split is required"):
        cost.cost(p, "rpi4", "t4", "4g")
    with pytest.raises(ValueError, match="together"):
        cost.cost(p, "rpi4", server="t4")
    with pytest.raises(ValueError, match="bandwidth_mbps"):
        cost.split_costs(p, "rpi4", "t4", "4g", [1.0, -2.0])
    with pytest.raises(ValueError, match="nbytes"):
        cost.transfer_time(-1, 1.0)


def test_reuse_bytes_counts_streaming_since_the_kind_last_ran():
    moved = np.array([5.0, 7.0, 1.0, 3.0, 2.0])
    free = np.array([False, False, True, False, False])  # a flatten at index 2
    keys = ["conv", "ReLU", "Flatten", "conv", "ReLU"]
    # conv#3: 7 (ReLU) since conv#0; ReLU#4: 3 (conv#3) since ReLU#1; first of a kind: all before
    assert cost.reuse_bytes(moved, free, keys).tolist() == [0.0, 5.0, 12.0, 7.0, 3.0]
    assert cost.reuse_bytes(np.array([]), np.array([], dtype=bool), []).tolist() == []
    with pytest.raises(ValueError, match="one length"):
        cost.reuse_bytes(np.ones(3), np.zeros(3, dtype=bool), ["a"])
    assert cost.cost_key("conv", "dwconv", "Conv2d") == "dwconv"
    assert cost.cost_key("act", "other", "ReLU6") == "ReLU6"
    assert cost.cost_key("add", "other", "") == "add"


def test_cache_cold_term_adds_a_saturating_penalty():
    """A layer whose kind last ran b bytes ago pays cold · b / (b + half); 0 disables it."""
    args = (np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.ones((2, 3)), np.ones((2, 2)),
            np.full((2, 2), 1e-6), np.zeros((2, 2, 3)), np.array([1e9, 1e9]),
            np.ones((2, 2)), np.array([np.inf, np.inf]))
    reuse = np.array([0.0, 4e6])
    cold = np.array([[0.0, 0.0], [8e-5, 2e-5]])  # (devices, layers)
    t = cost.roofline(*args, reuse, cold, np.array([0.0, 4e6]))
    assert t[0].tolist() == [1e-6, 1e-6]  # device 0: term off
    assert t[1, 0] == pytest.approx(1e-6) and t[1, 1] == pytest.approx(1e-6 + 1e-5)
    assert np.array_equal(cost.roofline(*args), t[[0, 0]])


def test_device_cold_fields_validated_and_used():
    base = catalog.get_device("laptop-cpu")
    assert base.cold_penalty_s == 0 and base.cold_for("act", "other", "ReLU") == 0
    with pytest.raises(ValueError, match="cold_penalty_s"):
        catalog.Device(**{**base.__dict__, "cold_penalty_s": -1.0})
    with pytest.raises(ValueError, match="cold_halfsat_bytes"):
        catalog.Device(**{**base.__dict__, "op_cold_penalty_s": {"ReLU": 1e-5}})
    dev = catalog.Device(**{**base.__dict__, "cold_penalty_s": 5e-5, "cold_halfsat_bytes": 1e6,
                            "op_cold_penalty_s": {"ReLU": 2e-5}})
    assert dev.cold_for("act", "other", "ReLU") == 2e-5
    assert dev.cold_for("conv", "conv", "Conv2d") == 5e-5
    prof = profile_model("vgg11")
    extra = cost.layer_latency(prof, dev) - cost.layer_latency(prof, base)
    static = cost._layer_static(prof)
    used = ~static["free"]
    relu = (prof.table["module"] == "ReLU").to_numpy()
    per_layer = np.where(relu, 2e-5, 5e-5)
    assert static["reuse"].max() > 1e8  # VGG's first Linear streams its 400 MB of weights
    want = per_layer * static["reuse"] / (static["reuse"] + 1e6)
    assert np.allclose(extra[used], want[used])
    assert (extra[static["free"]] == 0).all()
