"""The roofline cost model: properties (hypothesis) and consistency between its functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.hardware import catalog, cost
from edgelab.hardware.profile import profile_model

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
    assert sc.uplink_bytes[0, 0] == p.raw_input_bytes == p.input_bytes // 4  # uint8 image
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


def test_reuse_index_and_time_follow_steady_state_inference():
    free = np.array([False, False, True, False, False, False])  # a flatten at index 2
    keys = ["conv", "ReLU", "Flatten", "conv", "ReLU", "pool"]
    prev, wrap = cost.reuse_index(free, keys)
    # conv#0 and ReLU#1 last ran in the previous inference (their last occurrences 3 and 4);
    # the free Flatten never ran; pool, met once, is its own predecessor
    assert prev.tolist() == [3, 4, 2, 0, 1, 5]
    assert wrap.tolist() == [True, True, True, False, False, True]
    t = np.array([5.0, 7.0, 0.0, 3.0, 2.0, 1.0])
    tau = cost.reuse_time(t, prev, wrap)
    # conv#3: ReLU#1 (7) ran since conv#0; ReLU#1: ReLU#4's successor (1) + conv#0 (5);
    # pool: everything else of one inference (17)
    assert tau.tolist() == [3.0, 6.0, 18.0, 7.0, 3.0, 17.0]
    two = cost.reuse_time(np.stack([t, 2 * t]), prev, wrap)  # (devices, layers)
    assert np.array_equal(two, np.stack([tau, 2 * tau]))
    assert cost.reuse_index(np.array([], dtype=bool), [])[0].tolist() == []
    with pytest.raises(ValueError, match="one length"):
        cost.reuse_index(np.zeros(3, dtype=bool), ["a"])
    assert cost.cost_key("conv", "dwconv", "Conv2d") == "dwconv"
    assert cost.cost_key("act", "other", "ReLU6") == "ReLU6"
    assert cost.cost_key("add", "other", "") == "add"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.booleans(),
                          st.floats(0.0, 1e-2, allow_nan=False)), min_size=1, max_size=12))
def test_reuse_time_is_the_time_between_runs_of_a_kind(layers):
    """τ is never negative and never more than one inference; without repeats it is T - t."""
    keys = [k for k, _, _ in layers]
    free = np.array([f for _, f, _ in layers])
    t = np.where(free, 0.0, np.array([x for _, _, x in layers]))
    prev, wrap = cost.reuse_index(free, keys)
    tau = cost.reuse_time(t, prev, wrap)
    assert (tau >= -1e-12).all() and (tau <= t.sum() + 1e-12).all()
    for i, k in enumerate(keys):
        if not free[i] and keys.count(k) == 1:
            assert tau[i] == pytest.approx(t.sum() - t[i], abs=1e-12)


def test_cold_and_fault_terms_saturate_and_switch_off():
    """cold · τ^h / (τ^h + τ½^h) and per_byte · a · a⁴ / (a⁴ + a½⁴); 0 disables each."""
    tau = np.array([[0.0, 1e-3, 1.0]] * 2)
    cold = np.array([[0.0, 0.0, 0.0], [8e-5, 8e-5, 8e-5]])
    c = cost.cold_term(tau, cold, np.array([1e-3, 1e-3]), np.array([2.0, 2.0]))
    assert c[0].tolist() == [0.0, 0.0, 0.0]
    assert c[1, 0] == 0.0 and c[1, 1] == pytest.approx(4e-5)
    assert c[1, 2] == pytest.approx(8e-5, rel=1e-5)
    f = cost.fault_term(np.array([0.0, 8e6, 8e8]), np.array([0.0, 1e-9]), np.array([0.0, 8e6]))
    assert f[0].tolist() == [0.0, 0.0, 0.0]
    assert f[1, 0] == 0.0 and f[1, 1] == pytest.approx(0.5 * 8e6 * 1e-9)
    assert f[1, 2] == pytest.approx(0.8, rel=1e-6)


def test_device_cold_and_fault_fields_validated_and_used():
    base = catalog.get_device("laptop-cpu")
    assert base.cold_penalty_s == 0 and base.cold_for("act", "other", "ReLU") == 0
    assert base.page_fault_s_per_byte == 0
    with pytest.raises(ValueError, match="cold_penalty_s"):
        catalog.Device(**{**base.__dict__, "cold_penalty_s": -1.0})
    with pytest.raises(ValueError, match="cold_halfsat_s"):
        catalog.Device(**{**base.__dict__, "op_cold_penalty_s": {"ReLU": 1e-5}})
    with pytest.raises(ValueError, match="cold_hill"):
        catalog.Device(**{**base.__dict__, "cold_hill": 0.0})
    with pytest.raises(ValueError, match="page_fault_threshold_bytes"):
        catalog.Device(**{**base.__dict__, "page_fault_s_per_byte": 1e-9})
    dev = catalog.Device(**{**base.__dict__, "cold_penalty_s": 5e-5, "cold_halfsat_s": 1e-3,
                            "cold_hill": 1.5, "op_cold_penalty_s": {"ReLU": 2e-5}})
    assert dev.cold_for("act", "other", "ReLU") == 2e-5
    assert dev.cold_for("conv", "conv", "Conv2d") == 5e-5
    prof = profile_model("vgg11")
    t0 = cost.layer_latency(prof, base)
    extra = cost.layer_latency(prof, dev) - t0
    static = cost.layer_static(prof)
    used = ~static["free"]
    relu = (prof.table["module"] == "ReLU").to_numpy()
    tau = cost.reuse_time(t0, static["prev"], static["wrap"])
    want = np.where(relu, 2e-5, 5e-5) / (1.0 + (1e-3 / tau) ** 1.5)
    assert np.allclose(extra[used], want[used])
    assert (extra[static["free"]] == 0).all()
    # ReLU after a convolution of several ms is nearly fully cold; the fault term only touches
    # layers that allocate: ReLU is in place and allocates nothing
    assert np.median(extra[relu]) > 0.9 * 2e-5
    fdev = catalog.Device(**{**base.__dict__, "page_fault_s_per_byte": 1e-9,
                             "page_fault_threshold_bytes": 4e6})
    fx = cost.layer_latency(prof, fdev) - t0
    alloc = prof.table["alloc_bytes"].to_numpy(np.float64)
    assert (alloc[relu] == 0).all() and (fx[relu] == 0).all()
    assert np.allclose(fx, 1e-9 * alloc / (1 + (4e6 / np.maximum(alloc, 1)) ** 4))
