"""Application knobs of video analytics: frame rate × resolution × model, chosen by profiling
(Chameleon [104]) and placed over camera, edge and cloud (VideoEdge [38]) (seed 003 §V-C.8).

A *configuration* is a frame rate (frames analysed per second of a camera's native rate; the
others reuse the last answer), a resolution (the frame is shrunk to r×r by area averaging and
enlarged back to 8×8, what a lower camera resolution loses) and a zoo model. Its *cost*, in
busy-seconds per second of video, is what the cost model charges: ``fps × (model latency on the
device + the r×r-byte frame's air time on the uplink)`` (:func:`edgelab.hardware.cost.air_time`).

Chameleon profiles configurations against the most expensive one (the *golden* configuration,
because online there are no labels) on a short window at the start of each interval, and picks
the cheapest whose agreement with the golden one reaches ``alpha``. Profiling costs: every
profiled configuration runs on the window. Chameleon's two savings are kept apart here:
periodic re-profiling (the best configuration changes as the stream's difficulty drifts) and
cross-camera reuse (a leader camera profiles every configuration, the followers only the
leader's top ``k``). We compare with a profile made once at the start, and with every camera
re-profiling everything.

VideoEdge adds *where* a configuration runs: on the camera, at the edge (the frame crosses the
uplink) or in the cloud (uplink then WAN), under a per-frame latency deadline and a budget of
camera compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.errors import ParameterError, unknown_name
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.cost import air_time, model_latency, transfer_time
from edgelab.hardware.profile import profile

__all__ = ["FRAME_RATES", "RESOLUTIONS", "KnobsRun", "NoFeasibleKnobs", "at_resolution",
           "predictions", "config_space", "held_predictions", "window_agreement", "choose",
           "run_strategy", "compare_strategies", "config_accuracy", "plot_intervals", "placement_space", "best_placement"]

FRAME_RATES = (30.0, 10.0, 5.0, 2.0, 1.0)
RESOLUTIONS = (8, 6, 4)
STRATEGIES = ("one-time", "periodic", "chameleon")


class NoFeasibleKnobs(ParameterError):
    """No configuration meets the constraints; the message names the cheapest one."""


def at_resolution(x: torch.Tensor, resolution: int) -> torch.Tensor:
    """8×8 frames (N×1×8×8) shrunk to ``resolution``² by area averaging and enlarged back to
    8×8 (nearest): what a camera at that resolution delivers to an 8×8 model (seed 003 §V-C.8)."""
    r = integer_in("resolution", resolution, 1, 8)
    if r == 8:
        return x
    small = nn.functional.interpolate(x, size=(r, r), mode="area")
    return nn.functional.interpolate(small, size=(8, 8), mode="nearest")


@torch.no_grad()
def predictions(models: dict[str, nn.Module], frames: torch.Tensor,
                resolutions: tuple[int, ...] = RESOLUTIONS) -> dict[tuple[str, int], np.ndarray]:
    """Each model's top-1 class on every frame at every resolution (seed 003 §V-C.8)."""
    if len(frames) == 0:
        raise ParameterError("frames: the stream has no frames")
    return {(n, r): m.eval()(at_resolution(frames, r)).argmax(-1).numpy()
            for n, m in models.items() for r in resolutions}


def config_space(models: dict[str, nn.Module], device: str, link: str,
                 frame_rates: tuple[float, ...] = FRAME_RATES,
                 resolutions: tuple[int, ...] = RESOLUTIONS) -> pd.DataFrame:
    """Every (fps, resolution, model) with its cost in busy-seconds per second: model latency
    on ``device`` plus the frame's uplink air time on ``link``, times fps (cost model)
    (seed 003 §V-C.8). Sorted by cost; the last row is the golden (most expensive) one."""
    lk = get_link(link)
    lat = {n: model_latency(profile(m, torch.zeros(1, 1, 8, 8), name=n), device)
           for n, m in models.items()}
    rows = [{"fps": float(f), "resolution": int(r), "model": n,
             "cost": float(f * (lat[n] + air_time(r * r, lk.uplink_mbps)))}
            for f in frame_rates for r in resolutions for n in models]
    return pd.DataFrame(rows).sort_values(["cost", "model"], kind="stable").reset_index(drop=True)


def held_predictions(pred: np.ndarray, fps: float, native_fps: float) -> np.ndarray:
    """Answers of a camera analysed at ``fps`` of its ``native_fps``: every ``native/fps``-th
    frame is analysed, the frames between keep the last answer (seed 003 §V-C.8)."""
    stride = max(1, int(round(positive("native_fps", native_fps) / positive("fps", fps))))
    idx = (np.arange(len(pred)) // stride) * stride
    return np.asarray(pred)[idx]


def window_agreement(preds: dict[tuple[str, int], np.ndarray], configs: pd.DataFrame,
                     rows: np.ndarray, native_fps: float, reference: np.ndarray) -> np.ndarray:
    """Per configuration (row of ``configs``), the share of the frames ``rows`` (one camera, in
    time order) where its held answer equals ``reference`` (the golden answers, or labels)
    (seed 003 §V-C.8)."""
    out = np.empty(len(configs))
    for i, (f, r, n) in enumerate(zip(configs["fps"], configs["resolution"], configs["model"], strict=False)):
        out[i] = (held_predictions(preds[(n, r)][rows], f, native_fps) == reference).mean()
    return out


def choose(agreement: np.ndarray, configs: pd.DataFrame, alpha: float,
           candidates: np.ndarray | None = None) -> int:
    """The cheapest configuration (among ``candidates``, default all) whose agreement reaches
    ``alpha`` (in [0, 1]); the most expensive candidate if none does (seed 003 §V-C.8)."""
    a = positive("alpha", alpha, allow_zero=True)
    if a > 1:
        raise ParameterError(f"alpha must be an agreement in [0, 1], got {alpha!r}")
    cand = np.arange(len(configs)) if candidates is None else np.asarray(candidates)
    ok = cand[agreement[cand] >= a]
    cost = configs["cost"].to_numpy()
    return int(ok[np.argmin(cost[ok])]) if len(ok) else int(cand[np.argmax(cost[cand])])


@dataclass(frozen=True)
class KnobsRun:
    """One strategy over every camera and interval (seed 003 §V-C.8): accuracy against the
    labels (fraction of frames), inference and profiling cost (busy-seconds), the choices."""

    strategy: str
    accuracy: float
    inference_cost_s: float
    profiling_cost_s: float
    choices: pd.DataFrame

    @property
    def total_cost_s(self) -> float:
        """Inference plus profiling."""
        return self.inference_cost_s + self.profiling_cost_s


def run_strategy(strategy: str, preds: dict[tuple[str, int], np.ndarray], configs: pd.DataFrame,
                 cameras: list[np.ndarray], labels: np.ndarray, native_fps: float,
                 interval: int = 300, window: int = 30, alpha: float = 0.9,
                 top_k: int = 3) -> KnobsRun:
    """Run ``strategy`` (``one-time``, ``periodic`` or ``chameleon``) over the cameras (each an
    array of frame positions in time order) in intervals of ``interval`` frames, profiling on
    the first ``window`` frames of an interval (seed 003 §V-C.8)."""
    if strategy not in STRATEGIES:
        raise unknown_name("strategy", strategy, STRATEGIES)
    iv = integer_in("interval", interval, 1, 10**7)
    w = integer_in("window", window, 1, iv)
    k = integer_in("top_k", top_k, 1, 10**6)
    if not cameras or min(len(c) for c in cameras) == 0:
        raise ParameterError("cameras: the stream has no frames")
    cost = configs["cost"].to_numpy()
    golden = len(configs) - 1
    gf, gr, gm = configs.iloc[golden][["fps", "resolution", "model"]]
    n_iv = int(np.ceil(max(len(c) for c in cameras) / iv))
    right, frames, inf_cost, prof_cost, rows = 0, 0, 0.0, 0.0, []
    current = [golden] * len(cameras)
    for t in range(n_iv):
        leader_top = None
        for c, pos in enumerate(cameras):
            seg = pos[t * iv:(t + 1) * iv]
            if len(seg) == 0:
                continue
            prof = seg[:w]
            profile_now = strategy != "one-time" or t == 0
            if profile_now:
                cand = np.arange(len(configs))
                if strategy == "chameleon" and c > 0 and leader_top is not None:
                    cand = np.union1d(leader_top, [golden])
                ref = held_predictions(preds[(gm, gr)][prof], gf, native_fps)
                agree = window_agreement(preds, configs, prof, native_fps, ref)
                current[c] = choose(agree, configs, alpha, cand)
                prof_cost += float(cost[cand].sum()) * len(prof) / native_fps
                if c == 0:
                    ok = cand[agree[cand] >= alpha]
                    leader_top = ok[np.argsort(cost[ok], kind="stable")[:k]] if len(ok) else cand[-1:]
            f, r, m = configs.iloc[current[c]][["fps", "resolution", "model"]]
            held = held_predictions(preds[(m, r)][seg], f, native_fps)
            right += int((held == labels[seg]).sum())
            frames += len(seg)
            inf_cost += float(cost[current[c]]) * len(seg) / native_fps
            rows.append({"interval": t, "camera": c, "config": current[c], "fps": f,
                         "resolution": r, "model": m,
                         "accuracy": float((held == labels[seg]).mean())})
    return KnobsRun(strategy, right / frames, inf_cost, prof_cost, pd.DataFrame(rows))


def compare_strategies(preds: dict[tuple[str, int], np.ndarray], configs: pd.DataFrame,
                       cameras: list[np.ndarray], labels: np.ndarray, native_fps: float,
                       **kwargs: float) -> pd.DataFrame:
    """One row per strategy (one-time, periodic, chameleon) with accuracy and costs; the
    golden configuration everywhere, unprofiled, is the first row; ``attrs["runs"]`` holds each
    strategy's :class:`KnobsRun` (seed 003 §V-C.8)."""
    golden = configs.iloc[-1]
    pos = np.concatenate(cameras)
    held = np.concatenate([held_predictions(preds[(golden["model"], golden["resolution"])][c],
                                            golden["fps"], native_fps) for c in cameras])
    rows = [{"strategy": "golden", "accuracy": float((held == labels[pos]).mean()),
             "inference_cost_s": float(golden["cost"]) * len(pos) / native_fps,
             "profiling_cost_s": 0.0}]
    runs = {}
    for s in STRATEGIES:
        r = runs[s] = run_strategy(s, preds, configs, cameras, labels, native_fps, **kwargs)
        rows.append({"strategy": s, "accuracy": r.accuracy, "inference_cost_s": r.inference_cost_s,
                     "profiling_cost_s": r.profiling_cost_s})
    out = pd.DataFrame(rows)
    out["total_cost_s"] = out["inference_cost_s"] + out["profiling_cost_s"]
    out.attrs["runs"] = runs
    return out


def config_accuracy(preds: dict[tuple[str, int], np.ndarray], cameras: list[np.ndarray],
                    labels: np.ndarray, native_fps: float,
                    frame_rates: tuple[float, ...] = FRAME_RATES) -> dict[tuple[str, int, float], float]:
    """Accuracy against the labels of every (model, resolution, fps) over all cameras' frames
    (answers held between analysed frames) (seed 003 §V-C.8)."""
    pos = np.concatenate(cameras)
    return {(n, int(r), float(f)): float(np.mean(np.concatenate(
        [held_predictions(p[c], f, native_fps) for c in cameras]) == labels[pos]))
        for (n, r), p in preds.items() for f in frame_rates}


def plot_intervals(runs: dict[str, KnobsRun], noise: np.ndarray | None = None) -> Any:
    """Accuracy of each strategy per profiling interval (mean over cameras), with the stream's
    noise level on a second axis (seed 003 §V-C.8)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for (name, r), mk in zip(runs.items(), "osD^", strict=False):
        g = r.choices.groupby("interval")["accuracy"].mean()
        ax.plot(g.index, 100 * g.to_numpy(), marker=mk, label=name)
    ax.set_xlabel("profiling interval (index)")
    ax.set_ylabel("accuracy (%)")
    if noise is not None:
        ax2 = ax.twinx()
        ax2.step(np.arange(len(noise)), noise, where="mid", color="grey", ls=":",
                 label="noise std")
        ax2.set_ylabel("noise std of the frames (grey, dotted)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- VideoEdge placement

#: where a configuration may run: (tier, device, links the frame crosses)
TIERS = (("camera", "cortex-m7", ()), ("edge", "jetson-orin-nano", ("wifi5",)),
         ("cloud", "a100", ("wifi5", "wan")))


def placement_space(models: dict[str, nn.Module], accuracy: dict[tuple[str, int, float], float],
                    tiers: tuple[tuple[str, str, tuple[str, ...]], ...] = TIERS) -> pd.DataFrame:
    """Every (fps, resolution, model, tier) with the configuration's measured ``accuracy``
    (keyed by model, resolution, fps), per-frame latency (transfers incl. round trips, then
    the model on the tier's device; cost model) and the camera's busy-seconds per second;
    models that do not fit a device's memory are left out (seed 003 §V-C.8, VideoEdge)."""
    from edgelab.hardware.cost import fits_memory

    rows = []
    for tier, dev, links in tiers:
        d = get_device(dev)
        for n, m in models.items():
            prof = profile(m, torch.zeros(1, 1, 8, 8), name=n)
            if not fits_memory(prof, d):
                continue
            lat = model_latency(prof, d)
            for (mn, r, f), acc in accuracy.items():
                if mn != n:
                    continue
                move = sum(float(transfer_time(r * r, get_link(lk).uplink_mbps,
                                               get_link(lk).rtt_ms / 1e3)) for lk in links)
                rows.append({"tier": tier, "device": d.name, "model": n, "resolution": int(r),
                             "fps": float(f), "accuracy": float(acc), "latency_s": lat + move,
                             "camera_busy": float(f * lat) if not links else 0.0})
    return pd.DataFrame(rows)


def best_placement(space: pd.DataFrame, deadline_s: float, camera_budget: float,
                   tiers: tuple[str, ...] | None = None) -> pd.Series:
    """The most accurate configuration (ties: least latency) whose per-frame latency meets
    ``deadline_s`` and whose camera load stays within ``camera_budget`` busy-seconds per
    second, over ``tiers`` (default all). Raises :class:`NoFeasibleKnobs` naming the fastest
    configuration when none qualifies (seed 003 §V-C.8)."""
    dl = positive("deadline_s", deadline_s)
    cb = positive("camera_budget", camera_budget, allow_zero=True)
    s = space if tiers is None else space[space["tier"].isin(tiers)]
    if s.empty:
        raise ParameterError(f"tiers: none of {tiers} is in the placement space")
    ok = s[(s["latency_s"] <= dl) & (s["camera_busy"] <= cb)]
    if ok.empty:
        f = s.sort_values(["latency_s", "camera_busy"]).iloc[0]
        raise NoFeasibleKnobs(
            f"budget: no configuration meets a {dl:.3g} s deadline and {cb:.3g} busy-s/s of "
            f"camera; the fastest is {f['model']} at {f['resolution']}x{f['resolution']}, "
            f"{f['fps']:g} fps on the {f['tier']} ({f['latency_s']:.3g} s per frame, camera "
            f"{f['camera_busy']:.3g} s/s)")
    return ok.sort_values(["accuracy", "latency_s"], ascending=[False, True]).iloc[0]
