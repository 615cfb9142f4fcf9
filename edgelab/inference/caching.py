"""Edge caching of recognition results (seed 003 §V-C.4; Table 4's Cachier and FoggyCache rows).

Five systems, on the synthetic camera stream of :mod:`edgelab.streams`:

* **Cachier** [93]: the edge server keeps a recognition cache of the most popular objects; a miss
  goes on to the cloud. Its expected-latency model, :func:`cachier_curve`: looking up a bigger
  cache takes longer (a brute-force scan priced by :func:`edgelab.hardware.cost.search_time`)
  while each extra entry saves less (Zipf popularity), so latency is U-shaped in the cache size
  and a bigger cache can be *slower*. :func:`cachier_optimum` finds the best size.
* **FoggyCache** [95]: approximate reuse across devices: the key is a feature vector, a query
  reuses the result of its nearest cached neighbours (scikit-learn ``NearestNeighbors``) when they
  are within a distance ``threshold`` and agree (homogenised kNN); LRU or LFU replacement
  (:func:`approximate_cache`).
* **Glimpse** [92]: recognise only trigger frames and carry ("track") the last result in between;
  the result of a trigger frame comes back one round trip late, so the frames before it reuse a
  stale result (:func:`glimpse`).
* **Precog** [94]: a small cache on the device, prefetched from the edge with a first-order
  Markov chain of object transitions (:func:`precog`).
* **Shadow Puppets** [96]: a compact learned hash as the lookup key instead of the full feature
  (:func:`shadow_puppets`, a PCA sign hash; its lookup is a Hamming scan).

Accuracy comes from running models on the stream; latency and device energy come from the cost
model (:mod:`edgelab.hardware.cost`) with a stand-in recognition model from the zoo, whose name
every result carries: the 8×8 digit models themselves take microseconds on any device.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from edgelab import _validate as V
from edgelab.errors import ParameterError
from edgelab.hardware import cost
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.profile import profile_model

__all__ = [
    "CacheCosts", "CacheRun", "CachierPoint", "approximate_cache", "cache_costs", "cachier_curve",
    "cachier_optimum", "glimpse", "knn", "lfu_hit_rate", "precog", "shadow_puppets", "popularity_hit_rate",
]

POLICIES = ("lru", "lfu")


@dataclass(frozen=True)
class CacheCosts:
    """Cost-model prices of one request (seed 003 §V-C.4), in seconds and joules.

    ``device``/``edge``/``cloud`` and ``link`` (device-edge) / ``wan`` (edge-cloud) are catalog
    names; ``model`` the zoo stand-in for the recognition DNN; ``frame_bytes`` its input.
    ``local_s``/``local_j``: the model on the device. ``edge_model_s``/``cloud_model_s``: on the
    servers. ``up_s``/``wan_s``: sending the frame (plus one RTT and the small result back) from
    the device to the edge, and from the edge to the cloud. ``entry_macs``/``entry_bytes``: the
    price of comparing a query with one cached entry; ``search(n, where)`` prices a scan.
    """

    device: str
    edge: str
    cloud: str
    link: str
    wan: str
    model: str
    frame_bytes: int
    local_s: float
    local_j: float
    edge_model_s: float
    cloud_model_s: float
    up_s: float
    up_j: float
    wan_s: float
    active_w: float
    entry_macs: float
    entry_bytes: float

    def search(self, n_entries: np.ndarray | float, where: str = "edge") -> np.ndarray:
        """Seconds to scan ``n_entries`` cached entries on the device, edge or cloud."""
        dev = {"device": self.device, "edge": self.edge, "cloud": self.cloud}[where]
        return cost.search_time(n_entries, self.entry_macs, self.entry_bytes, dev)


@lru_cache(maxsize=64)
def cache_costs(device: str = "snapdragon-845", edge: str = "laptop-cpu", cloud: str = "a100",
                link: str = "wifi5", wan: str = "wan", model: str = "mobilenet_v2",
                bandwidth_mbps: float | None = None, descriptors: int = 500,
                descriptor_dim: int = 64) -> CacheCosts:
    """Price the pieces of a cached recognition with the cost model (seed 003 §V-C.4).

    ``bandwidth_mbps`` overrides the device-edge link's rates in both directions. A cached entry
    is ``descriptors`` feature descriptors of ``descriptor_dim`` floats (an assumption, in the
    spirit of the SURF-style matching of Cachier; the survey gives none): comparing a query with
    one entry costs ``descriptors² × descriptor_dim`` MACs and reads the entry's bytes.
    """
    descriptors = V.integer_in("descriptors", descriptors, 1, 100_000)
    descriptor_dim = V.integer_in("descriptor_dim", descriptor_dim, 1, 100_000)
    prof = profile_model(model)
    lk, wl = get_link(link), get_link(wan)
    up_mbps, down_mbps = cost.link_rates(lk, bandwidth_mbps)
    result_bytes = 64
    up_s, up_air, down_air = cost.exchange_time(prof.input_bytes, result_bytes, up_mbps[0],
                                                down_mbps[0], lk.rtt_ms / 1e3, lk.duty_cycle)
    wan_s, _, _ = cost.exchange_time(prof.input_bytes, result_bytes, wl.uplink_mbps,
                                     wl.downlink_mbps, wl.rtt_ms / 1e3, wl.duty_cycle)
    dev = get_device(device)
    local_s = cost.model_latency(prof, dev)
    up_j = float(cost.device_energy(dev.active_power_w, 0.0, lk, up_air, down_air,
                                    lk.rtt_ms / 1e3, 0.0, 0.0))
    return CacheCosts(
        device=dev.name, edge=get_device(edge).name, cloud=get_device(cloud).name, link=lk.name,
        wan=wl.name, model=model, frame_bytes=int(prof.input_bytes), local_s=local_s,
        local_j=local_s * dev.active_power_w, edge_model_s=cost.model_latency(prof, edge),
        cloud_model_s=cost.model_latency(prof, cloud), up_s=float(up_s), up_j=up_j,
        wan_s=float(wan_s), active_w=dev.active_power_w,
        entry_macs=float(descriptors**2 * descriptor_dim),
        entry_bytes=float(descriptors * descriptor_dim * 4),
    )


def popularity_hit_rate(popularity: np.ndarray, size: np.ndarray | int) -> np.ndarray:
    """Hit rate of a cache holding the ``size`` most popular objects: Σ of the top popularities.

    Seed 003 §V-C.4 (Cachier keeps the most frequently requested objects).
    """
    p = np.sort(V.positive_array("popularity", popularity, allow_zero=True))[::-1]
    k = np.asarray(size)
    if np.any(k < 0):
        raise ParameterError(f"size must be ≥ 0 entries, got {V.show(size)}")
    cum = np.concatenate([[0.0], np.cumsum(p)])
    return cum[np.minimum(k, len(p)).astype(int)]


@dataclass(frozen=True)
class CachierPoint:
    """Cachier's expected latency at one cache size (seed 003 §V-C.4), seconds and req/s."""

    size: int
    hit_rate: float
    lookup_s: float
    latency_s: float
    throughput_rps: float


def cachier_curve(popularity: np.ndarray, sizes: np.ndarray, costs: CacheCosts) -> pd.DataFrame:
    """Cachier's expected latency and throughput against the edge cache size (seed 003 §V-C.4).

    A request sends the frame to the edge (``up_s``), the edge extracts the feature
    (``edge_model_s``) and scans its ``size`` entries; a miss (probability ``1 − hit``) goes on
    to the cloud (``wan_s``, ``cloud_model_s``, and a scan of the cloud's whole catalogue of
    ``len(popularity)`` objects). Size 0 is "no cache": every request goes to the cloud.
    Throughput is the rate of the bottleneck stage: the edge (feature + scan) or the WAN link
    (the frames of the misses), ``1 / max(edge_s, (1 − hit) × wan_s)``.
    """
    sizes = np.asarray(V.positive_array("sizes", sizes, allow_zero=True), dtype=np.int64)
    hit = popularity_hit_rate(popularity, sizes)
    lookup = costs.search(sizes, "edge")
    miss_s = costs.wan_s + costs.cloud_model_s + float(costs.search(len(popularity), "cloud"))
    latency = costs.up_s + costs.edge_model_s + lookup + (1 - hit) * miss_s
    edge_stage = costs.edge_model_s + lookup
    thr = 1.0 / np.maximum(edge_stage, (1 - hit) * costs.wan_s)
    return pd.DataFrame({"size": sizes, "hit_rate": hit, "lookup_s": lookup,
                         "latency_s": latency, "throughput_rps": thr})


def cachier_optimum(popularity: np.ndarray, costs: CacheCosts,
                    max_size: int | None = None) -> CachierPoint:
    """The cache size with the least expected latency, searched over every size (seed 003 §V-C.4)."""
    n = len(popularity) if max_size is None else V.integer_in("max_size", max_size, 0, 10**7)
    curve = cachier_curve(popularity, np.arange(n + 1), costs)
    r = curve.iloc[int(curve["latency_s"].to_numpy().argmin())]
    return CachierPoint(int(r["size"]), float(r["hit_rate"]), float(r["lookup_s"]),
                        float(r["latency_s"]), float(r["throughput_rps"]))


def lfu_hit_rate(requests: np.ndarray, size: int) -> float:
    """Hit rate of Cachier's exact-match edge cache with LFU replacement on a request sequence.

    Seed 003 §V-C.4 (Cachier keeps the least frequently used out, "LFS" in the survey's text).
    ``requests`` are object ids in arrival order; a request hits when its object is cached; on a
    miss the object is inserted, evicting the cached object with the fewest requests so far
    (ties: the one cached longest). Size 0 never hits. On a Zipf stream this approaches
    :func:`popularity_hit_rate` of the same size.
    """
    req = np.asarray(requests)
    if req.ndim != 1 or len(req) == 0:
        raise ParameterError(f"requests must be a non-empty sequence of object ids, got shape {req.shape}")
    size = V.integer_in("size", size, 0, 10**7)
    counts: dict[int, int] = {}
    cached: dict[int, int] = {}  # object -> insertion step
    hits = 0
    for step, o in enumerate(req.tolist()):
        counts[o] = counts.get(o, 0) + 1
        if o in cached:
            hits += 1
        elif size:
            if len(cached) >= size:
                victim = min(cached, key=lambda c: (counts[c], cached[c]))
                del cached[victim]
            cached[o] = step
    return hits / len(req)


@dataclass(frozen=True)
class CacheRun:
    """One cache simulated over a stream (seed 003 §V-C.4): what it reused and what it cost.

    ``hits`` and ``predictions`` are per frame; accuracies are against the true labels; the
    latencies and energies (mean per frame, from :class:`CacheCosts`) are for the cache and for
    running the model on every frame ("no cache"). ``*_reduction`` = no cache ÷ cache.
    """

    name: str
    capacity: int
    threshold: float
    policy: str
    hits: np.ndarray
    predictions: np.ndarray
    hit_rate: float
    accuracy: float
    accuracy_no_cache: float
    accuracy_loss: float
    latency_s: float
    latency_no_cache_s: float
    energy_j: float
    energy_no_cache_j: float
    latency_reduction: float
    energy_reduction: float


def _check_common(features: np.ndarray, model_pred: np.ndarray, labels: np.ndarray,
                  capacity: int, threshold: float, policy: str) -> tuple[np.ndarray, str]:
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] == 0:
        raise ParameterError(f"features must be a non-empty (frames, dims) array, got shape {f.shape}")
    if len(model_pred) != len(f) or len(labels) != len(f):
        raise ParameterError("model_pred and labels must have one entry per frame of features")
    V.integer_in("capacity", capacity, 1, 10**6)
    V.positive("threshold", threshold, allow_zero=True, at_most=1e6)
    return f, V.choice("policy", policy, POLICIES)


def _result(name: str, capacity: int, threshold: float, policy: str, hits: np.ndarray,
            pred: np.ndarray, model_pred: np.ndarray, labels: np.ndarray, hit_s: np.ndarray,
            miss_s: float, active_w: float, miss_j: float) -> CacheRun:
    lat = np.where(hits, hit_s, hit_s + miss_s)
    energy = np.where(hits, hit_s * active_w, hit_s * active_w + miss_j)
    acc, acc0 = float(np.mean(pred == labels)), float(np.mean(model_pred == labels))
    lat0, e0 = miss_s, miss_j
    return CacheRun(name, capacity, float(threshold), policy, hits, pred, float(hits.mean()), acc,
                    acc0, acc0 - acc, float(lat.mean()), lat0, float(energy.mean()), e0,
                    lat0 / float(lat.mean()), e0 / float(energy.mean()))


def knn(keys: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the ``k`` nearest rows of ``keys`` to ``query``, nearest first.

    The brute-force Euclidean search of scikit-learn's ``NearestNeighbors(algorithm="brute")``
    (the tests check they agree, ties apart), written out because the cache asks one query at a
    time and ``kneighbors``' per-call overhead (tens of ms here) would dominate a stream
    (seed 003 §V-C.4, FoggyCache's kNN lookup).
    """
    d = np.sqrt(((keys - query) ** 2).sum(axis=1))
    k = min(k, len(d))
    idx = np.argpartition(d, k - 1)[:k] if k < len(d) else np.arange(len(d))
    idx = idx[np.lexsort((idx, d[idx]))]
    return d[idx], idx


def approximate_cache(features: np.ndarray, model_pred: np.ndarray, labels: np.ndarray,
                      capacity: int, threshold: float, costs: CacheCosts, k: int = 1,
                      policy: str = "lru", homogeneity: float = 1.0,
                      entry_macs: float | None = None,
                      entry_bytes: float | None = None) -> CacheRun:
    """FoggyCache's approximate reuse, frame by frame (seed 003 §V-C.4, FoggyCache [95]).

    For each frame (in stream order, one cache shared by every camera: the cross-device reuse)
    the ``k`` nearest cached keys are found by :func:`knn` (Euclidean, brute force);
    the frame *hits* when the nearest is within ``threshold`` and at least ``homogeneity`` of the
    neighbours within ``threshold`` carry the same result (H-kNN); it then reuses their majority
    result. On a miss the model's prediction ``model_pred[i]`` is used and inserted; a full cache
    evicts its least recently (``lru``) or least frequently (``lfu``, ties: the oldest) used
    entry. Costs: every frame pays a scan of the cache on the device; a miss also runs the model
    locally (``costs.local_s``/``local_j``). A scan costs ``entry_macs`` MACs and ``entry_bytes``
    bytes per entry (default: the key's length and its float32 bytes; pass ``costs.entry_macs``
    / ``costs.entry_bytes`` to price Cachier's descriptor matching instead).
    """
    f, policy = _check_common(features, model_pred, labels, capacity, threshold, policy)
    k = V.integer_in("k", k, 1, 1000)
    homogeneity = V.positive("homogeneity", homogeneity, allow_zero=True, at_most=1)
    model_pred = np.asarray(model_pred)
    keys = np.empty((capacity, f.shape[1]))
    vals = np.empty(capacity, dtype=model_pred.dtype)
    uses = np.zeros(capacity, dtype=np.int64)
    order: OrderedDict[int, None] = OrderedDict()  # slot -> None, least recent first
    n = 0
    hits = np.zeros(len(f), dtype=bool)
    pred = model_pred.copy()
    sizes = np.zeros(len(f))
    for i, x in enumerate(f):
        sizes[i] = n
        if n:
            d, idx = knn(keys[:n], x, k)
            near = idx[d <= threshold]
            if len(near):
                v, c = np.unique(vals[near], return_counts=True)
                if c.max() / len(near) >= homogeneity:
                    hits[i], pred[i] = True, v[c.argmax()]
                    for s in near:
                        uses[s] += 1
                        order.move_to_end(int(s))
                    continue
        if n < capacity:
            slot, n = n, n + 1
        elif policy == "lru":
            slot = next(iter(order))
        else:
            live = list(order)  # oldest first, so argmin picks the oldest of the least used
            slot = live[int(np.argmin(uses[live]))]
        keys[slot], vals[slot], uses[slot] = x, model_pred[i], 1
        order.pop(slot, None)
        order[slot] = None
    macs = f.shape[1] if entry_macs is None else entry_macs
    nbytes = f.shape[1] * 4 if entry_bytes is None else entry_bytes
    hit_s = cost.search_time(sizes, macs, nbytes, costs.device)
    return _result("foggycache", capacity, threshold, policy, hits, pred, model_pred,
                   np.asarray(labels), hit_s, costs.local_s, costs.active_w, costs.local_j)


def glimpse(frames: np.ndarray, model_pred: np.ndarray, labels: np.ndarray, trigger: float,
            costs: CacheCosts, frame_interval_s: float) -> CacheRun:
    """Glimpse's active cache: recognise trigger frames on the edge, track in between (seed 003 §V-C.4).

    A frame is a *trigger* when its mean absolute pixel difference to the last trigger frame
    exceeds ``trigger`` (the first frame always is): it goes to the edge (``up_s + edge_model_s``).
    Every other frame reuses ("tracks") the last result that has *come back*: a trigger's result
    arrives ``ceil(latency / frame_interval_s)`` frames later, so the frames in between show the
    stale result of the previous scene. No cache = every frame to the edge, with its result on
    time. Per-frame device cost: a pixel difference, plus the exchange for a trigger.
    """
    f, _ = _check_common(frames, model_pred, labels, 1, trigger, "lru")
    fi = V.positive("frame_interval_s", frame_interval_s)
    model_pred = np.asarray(model_pred)
    offload_s = costs.up_s + costs.edge_model_s
    delay = int(np.ceil(offload_s / fi - 1e-9))
    trig = np.zeros(len(f), dtype=bool)
    last = None
    for i, x in enumerate(f):
        if last is None or np.abs(x - last).mean() > trigger:
            trig[i], last = True, x
    pred = np.empty_like(model_pred)
    shown = model_pred[0]
    pending: list[tuple[int, object]] = []
    for i in range(len(f)):
        if trig[i]:
            pending.append((i + delay, model_pred[i]))
        while pending and pending[0][0] <= i:
            shown = pending.pop(0)[1]
        pred[i] = shown
    diff_s = cost.search_time(np.ones(len(f)), f.shape[1], f.shape[1] * 4, costs.device)
    return _result("glimpse", 1, trigger, "lru", ~trig, pred, model_pred, np.asarray(labels),
                   diff_s, offload_s, costs.active_w, costs.up_j)


def _markov(seq: np.ndarray, n_objects: int, alpha: float = 1.0) -> np.ndarray:
    """Transition matrix of ``seq`` with add-``alpha`` smoothing towards the overall frequency."""
    counts = np.zeros((n_objects, n_objects))
    np.add.at(counts, (seq[:-1], seq[1:]), 1.0)
    freq = np.bincount(seq, minlength=n_objects) + 1e-9
    prior = freq / freq.sum()
    return (counts + alpha * prior) / (counts.sum(axis=1, keepdims=True) + alpha)


def precog(object_ids: np.ndarray, scene_starts: np.ndarray, n_objects: int, device_size: int,
           edge_size: int, costs: CacheCosts, train_frac: float = 0.5,
           markov: bool = True) -> pd.DataFrame:
    """Precog's device cache prefetched by a Markov chain, against Cachier alone (seed 003 §V-C.4).

    The first ``train_frac`` of the scenes fit a first-order Markov chain of object transitions
    (scene to scene); on the rest, at each scene change, the ``device_size`` objects most likely
    to come next (``markov=False``: the most frequent ones) are prefetched onto the device. A
    scene's request hits the device cache (a local scan), else the edge cache of the
    ``edge_size`` most frequent objects (Cachier), else the cloud. Returns one row per system:
    device hit rate, edge hit rate and mean latency per scene request.
    """
    ids = np.asarray(object_ids)
    starts = np.asarray(scene_starts, dtype=bool)
    if len(ids) == 0 or len(ids) != len(starts):
        raise ParameterError("object_ids and scene_starts must be non-empty and of equal length")
    V.integer_in("device_size", device_size, 1, n_objects)
    V.integer_in("edge_size", edge_size, 0, n_objects)
    V.positive("train_frac", train_frac, at_most=0.99)
    seq = ids[starts]
    cut = max(2, int(len(seq) * train_frac))
    if cut >= len(seq):
        raise ParameterError("the stream has too few scenes for Precog: lower train_frac or "
                             "raise scene_change_rate / n_frames")
    train, test = seq[:cut], seq[cut:]
    freq = np.bincount(train, minlength=n_objects)
    edge_set = set(np.argsort(-freq, kind="stable")[:edge_size].tolist())
    trans = _markov(train, n_objects)
    prev = np.concatenate([[train[-1]], test[:-1]])
    miss_s = costs.wan_s + costs.cloud_model_s + float(costs.search(n_objects, "cloud"))
    edge_s = costs.up_s + costs.edge_model_s + float(costs.search(edge_size, "edge"))
    dev_s = costs.local_s + float(costs.search(device_size, "device"))
    rows = []
    for name, use_dev in (("Cachier (edge cache only)", False), ("Precog (device + edge)", True)):
        on_dev = np.zeros(len(test), dtype=bool)
        if use_dev:
            for j, (p, o) in enumerate(zip(prev, test, strict=True)):
                score = trans[p] if markov else freq
                on_dev[j] = o in np.argsort(-score, kind="stable")[:device_size]
        on_edge = np.array([o in edge_set for o in test]) & ~on_dev
        lat = np.where(on_dev, dev_s, np.where(on_edge, edge_s, edge_s + miss_s))
        if use_dev:  # a device miss first paid the local lookup
            lat = np.where(on_dev, lat, lat + dev_s)
        rows.append({"system": name, "device_hit_rate": float(on_dev.mean()),
                     "edge_hit_rate": float(on_edge.mean()), "latency_s": float(lat.mean())})
    return pd.DataFrame(rows)


def shadow_puppets(features: np.ndarray, model_pred: np.ndarray, labels: np.ndarray,
                   capacity: int, bits: int, threshold_bits: int, costs: CacheCosts,
                   fit_frames: int = 200, seed: int = 0) -> CacheRun:
    """Shadow Puppets' compact hash codes as the cache key (seed 003 §V-C.4, [96]).

    Cachier's key is a full feature; Shadow Puppets learns a small model that maps an input to a
    short hash code. Here the small model is a PCA fitted on the first ``fit_frames`` frames,
    keeping ``bits`` components, and the code is their signs; the cache is
    :func:`approximate_cache` over the codes with a Hamming threshold of ``threshold_bits``.
    The lookup is priced as ``bits`` one-bit compares per entry, i.e. ``bits / 32`` MACs and
    ``bits / 8`` bytes per entry; hashing costs a ``bits × dims`` projection.
    """
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) == 0:
        raise ParameterError(f"features must be a non-empty (frames, dims) array, got shape {f.shape}")
    bits = V.integer_in("bits", bits, 1, f.shape[1])
    threshold_bits = V.integer_in("threshold_bits", threshold_bits, 0, bits)
    fit_frames = V.integer_in("fit_frames", fit_frames, bits, 10**7)
    pca = PCA(n_components=bits, random_state=seed).fit(f[:fit_frames])
    codes = (pca.transform(f) > 0).astype(np.float64)
    # Euclidean distance between 0/1 codes is sqrt(Hamming), so the threshold is sqrt(bits).
    run = approximate_cache(codes, model_pred, labels, capacity, float(np.sqrt(threshold_bits)),
                            costs, entry_macs=bits / 32, entry_bytes=bits / 8)
    hash_s = float(cost.search_time(1, bits * f.shape[1], bits * f.shape[1] * 4, costs.device))
    lat = run.latency_s + hash_s
    energy = run.energy_j + hash_s * costs.active_w
    return CacheRun("shadow_puppets", capacity, float(threshold_bits), run.policy, run.hits,
                    run.predictions, run.hit_rate, run.accuracy, run.accuracy_no_cache,
                    run.accuracy_loss, lat, run.latency_no_cache_s, energy, run.energy_no_cache_j,
                    run.latency_no_cache_s / lat, run.energy_no_cache_j / energy)
