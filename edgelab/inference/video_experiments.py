"""The experiments of chapter 24 (caching and filtering on the camera stream), seed 003 §V-C.4-§V-C.5.

Each function runs one section of the chapter at its fixed settings and returns plain tables and
numbers, so the chapter, the benchmark (``edgelab bench video``) and the tests share one code
path. The claim settings do not depend on ``quick``: quick mode only thins the sweeps drawn in
the plots, so quick and full mode give the same verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edgelab import _validate as V
from edgelab.inference import caching as ca
from edgelab.inference import filtering as fl
from edgelab.streams import StreamConfig, camera_stream, zipf_probabilities

__all__ = [
    "CACHE_STREAM", "FILTER_STREAM", "REXCAM_STREAM", "cachier_experiment", "cascade_benchmark",
    "edge_cache_experiment", "filtering_experiment", "plot_cachier", "plot_foggy",
    "rexcam_experiment", "robustness_experiment",
]

#: the caching stream: three cameras that share objects, popular objects come back
CACHE_STREAM = StreamConfig(n_frames=400, n_cameras=3, scene_change_rate=0.1, n_objects=100,
                            zipf_s=1.0, camera_lag=10, camera_overlap=0.8, noise_levels=(0.1,))
#: the filtering stream: one fixed camera (NoScope's setting), a scene every 30 frames on average
FILTER_STREAM = StreamConfig(n_frames=1500, n_cameras=1, scene_change_rate=1 / 30, n_objects=60,
                             zipf_s=1.0, noise_levels=(0.1,))
#: the cross-camera stream: four cameras in a row, objects walk from one to the next
REXCAM_STREAM = StreamConfig(n_frames=1000, n_cameras=4, scene_change_rate=0.05, n_objects=100,
                             zipf_s=1.0, camera_lag=30, camera_overlap=0.8, noise_levels=(0.1,))
#: Cachier's catalogue of objects in the cloud (a Zipf law over it)
CATALOGUE = 1000
#: FoggyCache thresholds tried (Euclidean distance between 64-pixel frames in [0, 1])
FOGGY_THRESHOLDS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


def _stream(cfg: StreamConfig, seed: int, **changes: Any) -> Any:
    from dataclasses import replace

    return camera_stream(replace(cfg, seed=seed, **changes))


def cachier_experiment(quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Cachier's latency against cache size, request skew and bandwidth (seed 003 §V-C.4).

    Returns ``curve`` (latency and throughput against size at Zipf 1.0), ``lfu_check`` (the
    model's hit rate against an LFU cache simulated on Zipf requests), ``skew`` and
    ``bandwidth`` (the optimum size against the Zipf exponent and the WAN bandwidth), and the
    claims' numbers at Zipf 1.0: ``responsiveness`` (latency without cache ÷ at the optimum) and
    ``throughput`` (throughput at the optimum ÷ without cache).
    """
    costs = ca.cache_costs()
    p = zipf_probabilities(CATALOGUE, 1.0)
    sizes = np.arange(0, CATALOGUE + 1, 50 if quick else 10)
    curve = ca.cachier_curve(p, sizes, costs)
    best = ca.cachier_optimum(p, costs)
    none = ca.cachier_curve(p, np.array([0]), costs).iloc[0]
    skews = np.array([0.6, 0.8, 1.0, 1.2, 1.5, 2.0]) if quick else np.round(np.arange(0.5, 2.05, 0.1), 2)
    skew = pd.DataFrame([{"zipf_s": s, **vars(ca.cachier_optimum(zipf_probabilities(CATALOGUE, s),
                                                                  costs))} for s in skews])
    rows = []
    for wan in ("wan", "4g", "3g"):
        c = ca.cache_costs(wan=wan)
        rows.append({"wan_link": wan, "wan_s": c.wan_s, **vars(ca.cachier_optimum(p, c))})
    # the model's hit rate against an LFU cache simulated on a stream of Zipf requests
    req = _stream(CACHE_STREAM, seed, n_frames=4000 if quick else 20000, n_cameras=1,
                  scene_change_rate=1.0, n_objects=CATALOGUE, zipf_s=1.0).object_ids
    check = pd.DataFrame([{"size": k, "model_hit_rate": float(ca.popularity_hit_rate(
        zipf_probabilities(CATALOGUE, 1.0), k)), "lfu_hit_rate": ca.lfu_hit_rate(req, k)}
        for k in (10, 50, best.size)])
    return {"costs": costs, "curve": curve, "best": best, "skew": skew, "lfu_check": check,
            "bandwidth": pd.DataFrame(rows),
            "responsiveness": float(none["latency_s"]) / best.latency_s,
            "throughput": best.throughput_rps / float(none["throughput_rps"])}


def edge_cache_experiment(quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """FoggyCache, Glimpse, Precog and Shadow Puppets on the caching stream (seed 003 §V-C.4).

    The recognition model is the reference SVM of :mod:`edgelab.inference.filtering` (its
    predictions are what a miss returns). FoggyCache's threshold is the largest of
    :data:`FOGGY_THRESHOLDS` whose accuracy loss stays within 1 point; LRU and LFU are compared
    there. ``quick`` only drops the LFU sweep.
    """
    s = _stream(CACHE_STREAM, seed)
    models = fl.train_filter_models(s, None, np.arange(len(s)), seed=seed)
    pred = models.reference.predict(s.frames)
    costs = ca.cache_costs()
    capacity = 30
    runs = []
    for pol in ("lru",) if quick else ("lru", "lfu"):
        for th in FOGGY_THRESHOLDS:
            r = ca.approximate_cache(s.frames, pred, s.labels, capacity, th, costs, k=3, policy=pol)
            runs.append({"policy": pol, "threshold": th, "hit_rate": r.hit_rate,
                         "accuracy": r.accuracy, "accuracy_loss": r.accuracy_loss,
                         "latency_s": r.latency_s, "energy_j": r.energy_j,
                         "latency_reduction": r.latency_reduction,
                         "energy_reduction": r.energy_reduction})
    sweep = pd.DataFrame(runs)
    lru = sweep[sweep["policy"] == "lru"]
    ok = lru[lru["accuracy_loss"] <= 0.01]
    th = float(ok["threshold"].max()) if len(ok) else FOGGY_THRESHOLDS[0]
    fog = {pol: ca.approximate_cache(s.frames, pred, s.labels, capacity, th, costs, k=3,
                                     policy=pol) for pol in ("lru", "lfu")}
    cachier_key = ca.approximate_cache(s.frames, pred, s.labels, capacity, th, costs, k=3,
                                       entry_macs=costs.entry_macs, entry_bytes=costs.entry_bytes)
    sp = ca.shadow_puppets(s.frames, pred, s.labels, capacity, 16, 1, costs, seed=seed)
    c0 = s.camera(0)
    gl = ca.glimpse(s.frames[c0], pred[c0], s.labels[c0], 0.15, costs, 1 / s.config.fps)
    pre_stream = _stream(CACHE_STREAM, seed, n_frames=3000, n_cameras=1, scene_change_rate=0.3)
    pre = ca.precog(pre_stream.object_ids, pre_stream.scene_starts(0), CACHE_STREAM.n_objects,
                    10, 30, costs)
    rows = [("no cache", 0.0, fog["lru"].accuracy_no_cache, fog["lru"].latency_no_cache_s,
             fog["lru"].energy_no_cache_j)]
    for name, r in (("FoggyCache (LRU)", fog["lru"]), ("FoggyCache (LFU)", fog["lfu"]),
                    ("Cachier-style key (descriptors)", cachier_key),
                    ("Shadow Puppets (16-bit hash)", sp)):
        rows.append((name, r.hit_rate, r.accuracy, r.latency_s, r.energy_j))
    table = pd.DataFrame(rows, columns=["system", "hit_rate", "accuracy", "latency_s", "energy_j"])
    return {"stream": s, "pred": pred, "sweep": sweep, "threshold": th, "capacity": capacity, "table": table,
            "foggy": fog["lru"], "lfu": fog["lfu"], "cachier_key": cachier_key, "shadow": sp,
            "glimpse": gl, "precog": pre,
            "precog_speedup": float(pre["latency_s"].iloc[0] / pre["latency_s"].iloc[1]),
            "shadow_speedup": cachier_key.latency_s / sp.latency_s}


def plot_cachier(curve: pd.DataFrame, skew: pd.DataFrame) -> Any:
    """Cachier's U-shaped latency against cache size, and the optimum against skew (§V-C.4)."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.3))
    a1.plot(curve["size"], 1e3 * curve["latency_s"], label="expected latency")
    i = int(curve["latency_s"].to_numpy().argmin())
    a1.axvline(curve["size"].iloc[i], color="grey", ls=":", label="best size on this grid")
    a1.set_xlabel("edge cache size (objects)")
    a1.set_ylabel("latency per request (ms)")
    a1.legend()
    a2.plot(skew["zipf_s"], skew["size"], marker="o", label="latency-optimal size")
    a2.set_xlabel("request skew (Zipf exponent)")
    a2.set_ylabel("optimal cache size (objects)")
    a2.legend()
    fig.tight_layout()
    return fig


def plot_foggy(sweep: pd.DataFrame) -> Any:
    """FoggyCache: hit rate and accuracy against the distance threshold (§V-C.4)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.3))
    for pol, g in sweep.groupby("policy"):
        ax.plot(g["threshold"], 100 * g["hit_rate"], marker="o", label=f"hit rate ({pol.upper()})")
        ax.plot(g["threshold"], 100 * g["accuracy"], marker="s", ls="--",
                label=f"accuracy ({pol.upper()})")
    ax.set_xlabel("reuse threshold (Euclidean distance, pixels in [0, 1])")
    ax.set_ylabel("%")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class _Split:
    train: np.ndarray
    fit: np.ndarray
    test: np.ndarray


def _split(n: int) -> _Split:
    a, b = n // 3, 2 * n // 3
    return _Split(np.arange(a), np.arange(a, b), np.arange(b, n))


def filtering_experiment(quick: bool = True, seed: int = 0, target_accuracy: float = 0.99,
                         **stream_changes: Any) -> dict[str, Any]:
    """NoScope and FFS-VA on the fixed-camera stream (seed 003 §V-C.5).

    The first third of the frames trains the specialised model, the second chooses the
    thresholds at ``target_accuracy`` (against the reference model), the last third is
    measured. ``stream_changes`` override :data:`FILTER_STREAM` fields (scene changes, motion).
    """
    target_accuracy = V.positive("target_accuracy", target_accuracy, at_most=1)
    s = _stream(FILTER_STREAM, seed, **stream_changes)
    sp = _split(len(s))
    models = fl.train_filter_models(s, None, sp.train, seed=seed)
    costs = fl.filter_costs()
    th = fl.noscope_fit(models, s.frames[sp.fit], costs, target_accuracy)
    th_ffs = fl.noscope_fit(models, s.frames[sp.fit], costs, target_accuracy, ffs=True)
    ns = fl.run_cascade(models, s.frames[sp.test], th, costs)
    ff = fl.ffsva(models, s.frames[sp.test], th_ffs, costs)
    return {"stream": s, "models": models, "costs": costs, "noscope": ns, "ffsva": ff,
            "table": fl.cascade_table([ns, ff])}


def rexcam_experiment(quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """ReXCam on the four-camera stream, against searching every camera (seed 003 §V-C.5).

    Profile on the first half, 50 queries on the second; the re-identification distance is 2.5
    (it confuses similar writings of a digit). The claim setting is the filter threshold 0.2;
    quick mode sweeps fewer thresholds.
    """
    s = _stream(REXCAM_STREAM, seed)
    half = s.config.n_frames // 2
    corr = fl.rexcam_profile(s, half, 2 * s.config.camera_lag)
    thresholds = (0.0, 0.05, 0.1, 0.2, 0.3) if quick else (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25,
                                                            0.3, 0.4)
    runs = {t: fl.rexcam(s, corr, half, t, 2.5) for t in sorted({*thresholds, 0.2})}
    table = pd.DataFrame([vars(r) for r in runs.values()])
    return {"stream": s, "corr": corr, "table": table, "claim": runs[0.2]}


def robustness_experiment(quick: bool = True, seed: int = 0) -> pd.DataFrame:
    """Where the techniques break (seed 003 §V-C.4-§V-C.5): scene changes and a moving camera.

    For each stream variant: NoScope's skipped share, accuracy and modelled speed-up, and
    FoggyCache's hit rate and accuracy at the chapter's threshold.
    """
    variants = [("fixed camera", {}), ("a scene every 3 frames", {"scene_change_rate": 1 / 3}),
                ("moving camera", {"motion": 0.3})]
    if not quick:
        variants.append(("noisier frames", {"noise_levels": (0.25,)}))
    rows = []
    costs = ca.cache_costs()
    for name, ch in variants:
        f = filtering_experiment(quick, seed, **ch)
        s, pred = f["stream"], f["models"].reference.predict(f["stream"].frames)
        fog = ca.approximate_cache(s.frames, pred, s.labels, 30, 1.5, costs, k=3)
        rows.append({"stream": name, "noscope_skipped": f["noscope"].skipped,
                     "noscope_accuracy": f["noscope"].accuracy,
                     "noscope_speedup": f["noscope"].speedup_model,
                     "foggy_hit_rate": fog.hit_rate, "foggy_accuracy": fog.accuracy})
    return pd.DataFrame(rows)


def cascade_benchmark(seed: int = 0, repeats: int = 3) -> dict[str, float]:
    """The NoScope cascade at the chapter's defaults, timed on this CPU (seed 003 §V-C.5).

    Frames per second of the whole cascade (detector, specialised model, reference model on the
    frames that reach it; the best of ``repeats`` runs over the test third) and of the
    reference model alone, and the share of frames reaching the reference model.
    """
    repeats = V.integer_in("repeats", repeats, 1, 100)
    f = filtering_experiment(True, seed)
    s, models, costs = f["stream"], f["models"], f["costs"]
    frames = s.frames[_split(len(s)).test]
    th = f["noscope"].thresholds
    best_c, best_r = np.inf, np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fl.cascade(models, frames, th)
        t1 = time.perf_counter()
        models.reference.predict(frames)
        best_c, best_r = min(best_c, t1 - t0), min(best_r, time.perf_counter() - t1)
    return {"frames": float(len(frames)), "cascade_fps": len(frames) / best_c,
            "reference_fps": len(frames) / best_r,
            "to_reference": f["noscope"].to_reference, "skipped": f["noscope"].skipped,
            "speedup_model": f["noscope"].speedup_model, "device": costs.device}


def cascade_part(seed: int = 0, repeats: int = 3) -> dict[str, Any]:
    """The ``cascade`` part of ``edgelab bench video``: :func:`cascade_benchmark`'s figures."""
    r = cascade_benchmark(seed, repeats)
    return {"part": "cascade", "cascade_fps": r["cascade_fps"],
            "reference_fps": r["reference_fps"], "to_reference": r["to_reference"],
            "frames": r["frames"], "speedup_model": r["speedup_model"],
            "model_device": r["device"]}


def tenancy_part(seed: int = 0, repeats: int = 3) -> dict[str, Any]:
    """The ``tenancy`` part of ``edgelab bench video``: the multi-tenancy allocator on 10
    tenants, greedy against the exact optimum (scipy ``milp``), with each solver's time (the
    best of ``repeats``; seed 003 §V-C.7)."""
    from edgelab.inference.multi_tenancy import tenancy_benchmark

    runs = [tenancy_benchmark(10, seed) for _ in range(V.integer_in("repeats", repeats, 1, 100))]
    r = runs[0]
    return {"part": "tenancy", "tenants": r.n_tenants, "tenant_options": r.n_options,
            "greedy_accuracy": r.greedy_accuracy, "optimal_accuracy": r.optimal_accuracy,
            "greedy_gap_points": r.gap_points,
            "greedy_solve_s": min(b.greedy_solve_s for b in runs),
            "milp_solve_s": min(b.milp_solve_s for b in runs)}


#: The parts of ``edgelab bench video``, each a function ``(seed, repeats) -> dict`` with a
#: ``part`` name; their other keys are also lifted to the top level of the result.
VIDEO_BENCH_PARTS: list[Any] = [cascade_part, tenancy_part]


def run_video_bench(seed: int = 0, repeats: int = 3) -> dict[str, Any]:
    """``edgelab bench video``: every part of :data:`VIDEO_BENCH_PARTS` (seed 003 §V-C.4-§V-C.8).

    Timings are wall clock on this CPU (best of ``repeats``) and move with the machine's load.
    """
    seed = V.integer_in("seed", seed, 0, 2**32 - 1)
    repeats = V.integer_in("repeats", repeats, 1, 100)
    parts = [fn(seed, repeats) for fn in VIDEO_BENCH_PARTS]
    out: dict[str, Any] = {"seed": seed, "repeats": repeats}
    for p in parts:
        out.update({k: v for k, v in p.items() if k != "part"})
    out["parts"] = parts
    return out
