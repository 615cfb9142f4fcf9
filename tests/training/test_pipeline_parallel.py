"""Pipeline parallelism (seed 003 §IV-C.4): stage partitioning, schedules, weight stashing,
speed-ups, data against model parallelism, and bad input. In process; the real gloo runs are in
test_pipeline_parallel_gloo.py."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import ParameterError
from edgelab.hardware.cost import air_time, ring_allreduce_time
from edgelab.hardware.profile import profile_model
from edgelab.training import parallelism as par
from edgelab.training import pipeline_parallel as pp


@pytest.mark.parametrize(("model", "devices", "link"), [
    ("alexnet", ["t4", "t4"], "ethernet"),
    ("alexnet", ["t4", "jetson-nano", "rpi4"], "wifi5"),
    ("lenet5", ["rpi4", "rpi4", "rpi4", "rpi4"], "ethernet"),
    ("digits_cnn", ["jetson-nano", "t4", "rpi5"], "4g"),
])
def test_dp_partition_equals_brute_force(model, devices, link):
    dp = pp.partition_stages(model, devices, link, micro_batch=4)
    bf = pp.partition_brute_force(model, devices, link, micro_batch=4)
    assert dp.bottleneck_s == pytest.approx(bf.bottleneck_s, rel=1e-12)
    assert dp.cuts[0] == 0 and dp.cuts[-1] == profile_model(model, batch=4).n_layers
    assert all(b > a for a, b in zip(dp.cuts[:-1], dp.cuts[1:], strict=True))  # every stage has a layer


def test_plan_costs_compose_the_cost_model():
    plan = pp.partition_stages("alexnet", ["t4", "t4"], "ethernet", micro_batch=2)
    prof = profile_model("alexnet", batch=2)
    k = plan.cuts[1]
    assert plan.cut_bytes[0] == prof.cut_bytes()[k]
    from edgelab.hardware.catalog import get_link
    lk = get_link("ethernet")
    want = lk.rtt_ms / 1e3 + air_time(prof.cut_bytes()[k], lk.uplink_mbps) + air_time(
        prof.cut_bytes()[k], lk.downlink_mbps)
    assert plan.transfer_s[0] == pytest.approx(want)
    # one stage = the whole model on one device, 3x its forward latency
    one = pp.partition_stages("alexnet", ["t4"], "ethernet", micro_batch=2)
    from edgelab.hardware.cost import model_latency
    fwd = model_latency(prof, "t4")
    assert one.compute_s[0] == pytest.approx(3 * fwd, rel=1e-9)
    assert plan.compute_s.sum() == pytest.approx(3 * fwd + 3 * 0 + plan.compute_s.sum() - 3 * fwd)
    assert plan.bottleneck_s < one.bottleneck_s  # two GPUs beat one
    t = plan.table()
    assert list(t["n_layers"]) == list(np.diff(plan.cuts)) and len(t) == 2


def test_slow_link_keeps_the_model_on_fewer_cuts_cost():
    fast = pp.partition_stages("alexnet", ["t4", "t4"], "ethernet", micro_batch=8)
    slow = pp.partition_stages("alexnet", ["t4", "t4"], "3g", micro_batch=8)
    # over 3G the cut transfer dominates: the bottleneck is the link, far above the fast LAN's
    assert slow.bottleneck_s > fast.bottleneck_s
    assert slow.bottleneck_s == pytest.approx(slow.transfer_s.max()) or slow.transfer_s.max() < slow.compute_s.max()


def test_more_stages_than_layers_is_refused():
    prof = profile_model("digits_mlp")
    with pytest.raises(ParameterError, match="devices: .* stages need at least as many layers"):
        pp.partition_stages(prof, ["t4"] * (prof.n_layers + 1))
    with pytest.raises(ParameterError, match="at most 4 stages"):
        pp.partition_stages("alexnet", ["t4"] * 5)
    with pytest.raises(ParameterError, match="n_stages: 5 pipeline stages"):
        pp.stashed_training(5, depth=4, epochs=1)


@pytest.mark.parametrize("bad", [0, -1, 0.5])
def test_micro_batches_below_one_are_refused(bad):
    with pytest.raises(ParameterError, match="n_micro"):
        pp.bubble_fraction(2, bad)
    with pytest.raises(ParameterError, match="n_micro"):
        pp.simulate_schedule([1.0, 1.0], [2.0, 2.0], bad)


@settings(max_examples=40, deadline=None)
@given(S=st.integers(1, 6), M=st.integers(1, 24), f=st.floats(0.01, 5), r=st.floats(0.5, 3),
       sched=st.sampled_from(pp.SCHEDULES))
def test_simulator_matches_closed_form_bubble_for_equal_stages(S, M, f, r, sched):
    res = pp.simulate_schedule([f] * S, [f * r] * S, M, sched)
    assert res.bubble == pytest.approx(pp.bubble_fraction(S, M), abs=1e-9)
    assert res.makespan_s == pytest.approx((M + S - 1) * f * (1 + r), rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(S=st.integers(2, 4), M=st.integers(1, 12), seed=st.integers(0, 1000))
def test_schedules_respect_dependencies_and_memory(S, M, seed):
    rng = np.random.default_rng(seed)
    f, b, c = rng.uniform(0.1, 1, S), rng.uniform(0.1, 2, S), rng.uniform(0, 0.3, S - 1)
    for sched in pp.SCHEDULES:
        res = pp.simulate_schedule(f, b, M, sched, c)
        ops = res.ops.set_index(["kind", "stage", "micro"])
        for s in range(1, S):
            for m in range(M):
                assert ops.loc[("F", s, m), "start"] >= ops.loc[("F", s - 1, m), "end"] + c[s - 1] - 1e-12
                assert ops.loc[("B", s - 1, m), "start"] >= ops.loc[("B", s, m), "end"] + c[s - 1] - 1e-12
        for s in range(S):  # a stage runs one op at a time
            g = res.ops[res.ops["stage"] == s].sort_values("start")
            assert (g["start"].to_numpy()[1:] >= g["end"].to_numpy()[:-1] - 1e-12).all()
        assert res.makespan_s >= M * max(f + b) - 1e-12
    g = pp.simulate_schedule(f, b, M, "gpipe", c)
    o = pp.simulate_schedule(f, b, M, "1f1b", c)
    assert g.peak_in_flight == M and o.peak_in_flight == min(S, M)  # 1F1B holds fewer activations


def test_ring_allreduce_time():
    assert float(ring_allreduce_time(1e6, 1, 100.0, 0.01)) == 0.0
    t = float(ring_allreduce_time(4e6, 4, 100.0, 0.001))
    assert t == pytest.approx(6 * (0.001 + 1e6 * 8 / 100e6))
    with pytest.raises(ValueError, match="n_workers"):
        ring_allreduce_time(1e6, 0, 100.0)
    with pytest.raises(ValueError, match="bandwidth_mbps"):
        ring_allreduce_time(1e6, 2, 0.0)


@settings(max_examples=25, deadline=None)
@given(nb=st.floats(0, 1e9), n=st.integers(2, 64), bw=st.floats(1, 1e5))
def test_ring_allreduce_bandwidth_term_tends_to_twice_the_bytes(nb, n, bw):
    # the air time is 2 (N-1)/N of sending the whole buffer once: below 2x, at least 1x
    t = float(ring_allreduce_time(nb, n, bw, 0.0))
    once = float(air_time(nb, bw))
    assert once - 1e-12 <= t <= 2 * once + 1e-12


def test_speedups_vgg16_four_gpus():
    s = pp.speedups("vgg16", ["t4"] * 4, "ethernet", micro_batch=32, n_micro=4)
    assert 1 < s["pipedream_vs_single"] <= 4 + 1e-9  # at most linear in the devices
    assert s["pipedream_vs_data_parallel"] > 1  # VGG-16's weights make the all-reduce heavy
    assert s["gpipe_s"] >= s["pipedream_s"]  # the flush costs GPipe its bubble
    assert s["pipedream_vs_single"] == pytest.approx(s["single_s"] / s["pipedream_s"])


def test_speedups_are_deterministic():
    a = pp.speedups("alexnet", ["t4", "t4"], "ethernet", micro_batch=8)
    b = pp.speedups("alexnet", ["t4", "t4"], "ethernet", micro_batch=8)
    assert a == b


def test_stashing_sync_is_plain_sgd_and_staleness_costs_little():
    one = pp.stashed_training(1, staleness="pipedream", epochs=1)
    sync = pp.stashed_training(1, staleness="none", epochs=1)
    assert one == sync  # one stage has no delay: the two modes are the same computation
    df = pp.staleness_sweep((1, 4))
    assert list(df["max_delay"]) == [0, 3]
    assert (df["accuracy_sync"] > 0.9).all() and (df["accuracy_stashed"] > 0.85).all()
    assert df["drop_points"].iloc[0] == 0.0  # one stage: nothing is stale
    again = pp.staleness_sweep((1, 4))
    pd.testing.assert_frame_equal(df, again)  # seeded: byte-identical


def test_compare_parallelism_direction():
    t = par.compare_parallelism(["lenet5", "alexnet", "vgg16"], links=["ethernet", "wifi5"])
    assert set(t["link"]) == {"ethernet", "wifi5"} and len(t) == 6
    v = t[t["model"] == "vgg16"].iloc[0]
    assert v["dp_bytes_per_sample"] > v["mp_bytes_per_sample"]
    assert (t["pipe_utilisation"] <= 1 + 1e-9).all() and (t["mp_utilisation"] <= 0.25 + 1e-9).all()
    d = par.directional_check(t)
    assert d["largest_model"] == "vgg16" and isinstance(d["holds"], bool)
    with pytest.raises(ValueError, match="n_workers"):
        par.compare_parallelism(["lenet5"], n_workers=9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), S=st.integers(2, 4),
       devs=st.lists(st.sampled_from(["t4", "rpi4", "jetson-nano", "laptop-cpu"]), min_size=4, max_size=4),
       link=st.sampled_from(["ethernet", "wifi5", "4g"]))
def test_dp_is_exact_on_random_chains(seed, n, S, devs, link):
    from hypothesis import assume

    from edgelab.hardware.profile import profile_from_table

    assume(S <= n)
    rng = np.random.default_rng(seed)
    base = profile_model("alexnet").table.head(n).copy()
    for c in ("macs", "flops", "output_bytes"):
        base[c] = (base[c] * rng.uniform(0.05, 20, n)).astype("int64")
    prof = profile_from_table("random_chain", base, input_bytes=int(base["input_bytes"].iloc[0]))
    dp = pp.partition_stages(prof, devs[:S], link)
    bf = pp.partition_brute_force(prof, devs[:S], link)
    assert dp.bottleneck_s == pytest.approx(bf.bottleneck_s, rel=1e-12)
