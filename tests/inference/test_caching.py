"""Edge caching (edgelab.inference.caching, seed 003 §V-C.4) and cost.search_time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from edgelab.hardware import cost
from edgelab.hardware.catalog import get_device
from edgelab.inference import caching as ca
from edgelab.streams import camera_stream, zipf_probabilities


@pytest.fixture(scope="module")
def costs() -> ca.CacheCosts:
    return ca.cache_costs()


@pytest.fixture(scope="module")
def stream():
    return camera_stream(n_frames=300, n_cameras=2, scene_change_rate=0.1, n_objects=40,
                         noise_levels=(0.1,), seed=0)


def test_search_time_is_linear_and_zero_for_empty() -> None:
    t = cost.search_time(np.array([0, 10, 20]), 1e6, 1e3, "laptop-cpu")
    assert t[0] == 0.0 and t[2] > t[1] > 0
    overhead = get_device("laptop-cpu").layer_overhead_s
    assert np.isclose(t[2] - t[1], t[1] - overhead)  # linear in the entries, plus one overhead
    with pytest.raises(ValueError, match="n_entries"):
        cost.search_time(-1, 1.0, 1.0, "laptop-cpu")


def test_knn_agrees_with_sklearn() -> None:
    rng = np.random.default_rng(0)
    keys, q = rng.random((30, 8)), rng.random(8)
    d, idx = ca.knn(keys, q, 4)
    d2, idx2 = NearestNeighbors(n_neighbors=4, algorithm="brute").fit(keys).kneighbors(q[None])
    assert np.array_equal(idx, idx2[0]) and np.allclose(d, d2[0])


@settings(max_examples=20, deadline=None)
@given(s=st.floats(0.0, 2.0), k=st.integers(0, 50))
def test_popularity_hit_rate_is_the_top_k_mass(s: float, k: int) -> None:
    p = zipf_probabilities(50, s)
    assert np.isclose(ca.popularity_hit_rate(p, k), np.sort(p)[::-1][:k].sum())


def test_cachier_bigger_cache_can_be_slower(costs: ca.CacheCosts) -> None:
    p = zipf_probabilities(1000, 1.2)
    curve = ca.cachier_curve(p, np.arange(0, 1001, 50), costs)
    best = ca.cachier_optimum(p, costs)
    assert 0 < best.size < 1000
    assert curve["latency_s"].iloc[-1] > best.latency_s  # the full cache is slower than the optimum
    assert curve["hit_rate"].is_monotonic_increasing
    # more skew -> the optimum needs fewer entries
    assert ca.cachier_optimum(zipf_probabilities(1000, 2.0), costs).size < best.size


def test_cachier_optimum_grows_with_a_slower_network() -> None:
    p = zipf_probabilities(1000, 1.0)
    slow = ca.cachier_optimum(p, ca.cache_costs(wan="4g"))
    fast = ca.cachier_optimum(p, ca.cache_costs(wan="wan"))
    assert slow.size >= fast.size


@pytest.mark.parametrize("policy", ["lru", "lfu"])
def test_foggycache_threshold_trades_reuse_for_accuracy(stream, costs, policy: str) -> None:
    pred = stream.labels.copy()
    runs = [ca.approximate_cache(stream.frames, pred, stream.labels, 20, th, costs, k=3,
                                 policy=policy) for th in (0.0, 1.5, 6.0)]
    assert runs[0].hit_rate == 0.0 and runs[0].accuracy == 1.0
    assert runs[0].latency_reduction == pytest.approx(1.0, rel=1e-2)
    assert runs[1].hit_rate > 0.5 and runs[1].latency_reduction > 1.5
    assert runs[2].hit_rate >= runs[1].hit_rate and runs[2].accuracy < runs[1].accuracy
    assert all(0 <= r.hit_rate <= 1 for r in runs)


def test_lru_and_lfu_evict_differently(costs) -> None:
    # key 0 is used often, then two new keys arrive: LFU keeps 0, LRU forgets it.
    f = np.array([[0.0], [10.0], [0.0], [0.0], [20.0], [30.0], [0.0]])
    y = np.arange(len(f))
    lru = ca.approximate_cache(f, y, y, 2, 0.5, costs, policy="lru")
    lfu = ca.approximate_cache(f, y, y, 2, 0.5, costs, policy="lfu")
    assert not lru.hits[-1] and lfu.hits[-1]


def test_glimpse_is_stale_after_a_scene_change(stream, costs) -> None:
    c0 = stream.camera(0)
    g = ca.glimpse(stream.frames[c0], stream.labels[c0], stream.labels[c0], 0.15, costs, 1 / 30)
    assert g.hit_rate > 0.5 and g.latency_reduction > 1.0
    assert g.accuracy < 1.0  # the frames before the late result show the old scene


def test_precog_prefetch_hits_on_device(costs) -> None:
    s = camera_stream(n_frames=2000, scene_change_rate=0.3, n_objects=30, zipf_s=1.5, seed=1)
    t = ca.precog(s.object_ids, s.scene_starts(0), 30, 5, 10, costs)
    assert t["device_hit_rate"].iloc[0] == 0.0 and t["device_hit_rate"].iloc[1] > 0.3


def test_shadow_puppets_hash(stream, costs) -> None:
    r = ca.shadow_puppets(stream.frames, stream.labels, stream.labels, 20, 16, 1, costs)
    assert 0 < r.hit_rate < 1 and r.latency_s > 0


@pytest.mark.parametrize(("kw", "name"), [
    ({"capacity": 0}, "capacity"),
    ({"threshold": -1.0}, "threshold"),
    ({"threshold": float("nan")}, "threshold"),
    ({"policy": "fifo"}, "policy"),
    ({"k": 0}, "k"),
    ({"homogeneity": 1.5}, "homogeneity"),
])
def test_bad_cache_input(stream, costs, kw: dict, name: str) -> None:
    args = {"capacity": 5, "threshold": 1.0, "policy": "lru", "k": 1, "homogeneity": 1.0} | kw
    with pytest.raises(ValueError, match=name):
        ca.approximate_cache(stream.frames, stream.labels, stream.labels, costs=costs, **args)


def test_no_frames_is_refused(costs) -> None:
    with pytest.raises(ValueError, match="features"):
        ca.approximate_cache(np.empty((0, 64)), np.empty(0), np.empty(0), 5, 1.0, costs)
    with pytest.raises(ValueError, match="size"):
        ca.popularity_hit_rate(zipf_probabilities(5, 1.0), -1)


def test_lfu_hit_rate_approaches_the_popularity_model() -> None:
    s = camera_stream(n_frames=20000, scene_change_rate=1.0, n_objects=200, zipf_s=1.0, seed=2)
    for k in (5, 20, 60):
        sim = ca.lfu_hit_rate(s.object_ids, k)
        assert abs(sim - ca.popularity_hit_rate(zipf_probabilities(200, 1.0), k)) < 0.05
    assert ca.lfu_hit_rate(s.object_ids, 0) == 0.0
    assert ca.lfu_hit_rate(np.array([1, 2, 1, 3, 1]), 2) == 0.4  # 3 evicts 2, the least used
    with pytest.raises(ValueError, match="requests"):
        ca.lfu_hit_rate(np.array([]), 3)
    with pytest.raises(ValueError, match="size"):
        ca.lfu_hit_rate(np.array([1]), -1)
