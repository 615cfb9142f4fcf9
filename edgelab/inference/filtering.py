"""Input filtering for video analytics (seed 003 §V-C.5, Fig. 16; Table 4's NoScope and FFS-VA rows).

On the synthetic camera stream of :mod:`edgelab.streams`, a *binary query* ("does this frame show
digit ``q``?", NoScope's kind of query) is answered by an expensive **reference model** (an RBF
support-vector machine on all 64 pixels, trained on the digits that are not in the stream's
object pool). The filters decide which frames it must see:

* **NoScope** [97] (:func:`noscope_fit`, :func:`run_cascade`): a *difference detector* (mean
  absolute pixel difference to the previous frame, or to a reference frame) reuses the last
  answer for frames that barely changed; a tiny *specialised model* (logistic regression on 4×4
  average-pooled frames, trained on this stream's frames labelled by the reference model) answers
  the confident frames (probability below ``c_low`` or above ``c_high``); the rest go to the
  reference model. The thresholds are chosen by cost on a training part of the stream, the
  cheapest that keeps the accuracy against the reference model at a target.
* **FFS-VA** [100] (:func:`ffsva`): stages in series that only *drop* frames (difference
  detector, the specialised model's ``p < c_low``, a small generic 10-class model that is sure the
  frame shows another digit); the survivors go to the reference model. The stages run as a
  pipeline, so throughput is set by the slowest stage.
* **ReXCam** [99] (:func:`rexcam_profile`, :func:`rexcam`): a spatio-temporal correlation of
  cameras learned on a profiling part; after the target was last seen at camera ``i``, only the
  (camera, delay) pairs likely to see it next are searched, with a fall-back to all cameras.

Speed-ups are given twice: measured on this CPU (wall clock of the models above; noisy) and from
the cost model on a catalog device with zoo stand-ins for the reference and specialised models
(:class:`FilterCosts`), since the digits models take microseconds anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from edgelab import _validate as V
from edgelab.datasets import load_digits_arrays
from edgelab.errors import ParameterError
from edgelab.hardware import cost
from edgelab.hardware.profile import profile_model
from edgelab.streams import VideoStream

__all__ = [
    "CascadeRun", "FilterCosts", "FilterModels", "ReXCamRun", "Thresholds", "difference",
    "cascade", "ffsva", "filter_costs", "noscope_fit", "pooled", "rexcam", "rexcam_profile", "run_cascade",
    "train_filter_models",
]


def _frames(frames: np.ndarray, name: str = "frames") -> np.ndarray:
    f = np.asarray(frames, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] == 0 or f.shape[1] != 64:
        raise ParameterError(f"{name} must be a non-empty (frames, 64) array (a stream with "
                             f"frames), got shape {f.shape}")
    return f


def pooled(frames: np.ndarray) -> np.ndarray:
    """8×8 frames average-pooled to 4×4 (16 features): the specialised model's cheap input (§V-C.5)."""
    f = _frames(frames)
    return f.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)


def difference(frames: np.ndarray, against: str = "previous",
               reference: np.ndarray | None = None) -> np.ndarray:
    """NoScope's difference detector: mean absolute pixel difference per frame (seed 003 §V-C.5).

    ``against="previous"``: to the frame before (the first frame gets ``inf``: always changed);
    ``"reference"``: to a fixed ``reference`` frame (e.g. the mean of a training part).
    """
    f = _frames(frames)
    against = V.choice("against", against, ("previous", "reference"))
    if against == "previous":
        return np.concatenate([[np.inf], np.abs(np.diff(f, axis=0)).mean(axis=1)])
    if reference is None:
        raise ParameterError("reference must be a 64-pixel frame when against='reference'")
    r = np.asarray(reference, dtype=np.float64).ravel()
    if r.shape != (64,):
        raise ParameterError(f"reference must be a 64-pixel frame, got shape {r.shape}")
    return np.abs(f - r).mean(axis=1)


@dataclass(frozen=True)
class FilterModels:
    """The models of the filters (seed 003 §V-C.5): reference (10 classes), specialised (binary
    for ``query``, on 4×4 pooled frames), generic (10 classes, Gaussian naive Bayes on 64 pixels)."""

    query: int
    reference: SVC
    specialised: LogisticRegression
    generic: GaussianNB

    def reference_answer(self, frames: np.ndarray) -> np.ndarray:
        """The reference model's answer to the query, per frame."""
        return self.reference.predict(_frames(frames)) == self.query

    def specialised_proba(self, frames: np.ndarray) -> np.ndarray:
        """The specialised model's probability that the frame shows the query digit."""
        return self.specialised.predict_proba(pooled(frames))[:, 1]


def train_filter_models(stream: VideoStream, query: int | None, train_frames: np.ndarray,
                        seed: int = 0) -> FilterModels:
    """Train the reference, specialised and generic models (seed 003 §V-C.5, NoScope's recipe).

    The reference SVM and the generic model learn from the digits that are *not* in the stream's
    object pool; the specialised model learns from ``train_frames`` (positions in the stream)
    labelled by the reference model, as NoScope specialises to its stream. ``query`` is a digit,
    or ``None`` for the digit the reference model sees most often in the training frames.
    """
    if query is not None:
        query = V.integer_in("query", query, 0, 9)
    x, y = load_digits_arrays()
    keep = np.ones(len(x), dtype=bool)
    keep[stream.digit_index] = False
    ref = SVC(gamma="scale", random_state=seed).fit(x[keep], y[keep])
    gen = GaussianNB().fit(x[keep], y[keep])
    tr = stream.frames[np.asarray(train_frames)]
    if len(tr) == 0:
        raise ParameterError("train_frames must name at least one frame of the stream")
    pred = ref.predict(tr)
    if query is None:
        query = int(np.bincount(pred, minlength=10).argmax())
    lab = pred == query
    if lab.all() or not lab.any():
        raise ParameterError(f"the training frames hold only one answer to query {query}; "
                             "choose another query or a longer stream")
    spec = LogisticRegression(solver="liblinear", random_state=seed).fit(pooled(tr), lab)
    return FilterModels(query, ref, spec, gen)


@dataclass(frozen=True)
class FilterCosts:
    """Cost-model seconds per frame of each filter stage on ``device`` (seed 003 §V-C.5).

    ``reference_model`` / ``specialised_model`` are zoo stand-ins (ImageNet-sized reference,
    a tiny low-resolution specialised net, as NoScope's); the difference detector reads two
    frames of the reference model's input and subtracts them; ``generic_model`` stands for
    FFS-VA's tiny detector.
    """

    device: str
    reference_model: str
    specialised_model: str
    generic_model: str
    dd_s: float
    specialised_s: float
    generic_s: float
    reference_s: float
    active_w: float


@lru_cache(maxsize=64)
def filter_costs(device: str = "t4", reference_model: str = "resnet50",
                 specialised_model: str = "mobilenet_v2_0.3_r80",
                 generic_model: str = "mobilenet_v2_0.5") -> FilterCosts:
    """Price the filter stages with the cost model (seed 003 §V-C.5)."""
    from edgelab.hardware.catalog import get_device

    dev = get_device(device)
    ref = profile_model(reference_model)
    px = ref.input_bytes / 4
    return FilterCosts(
        dev.name, reference_model, specialised_model, generic_model,
        dd_s=float(cost.search_time(1, px, 2 * ref.input_bytes, dev)),
        specialised_s=cost.model_latency(profile_model(specialised_model), dev),
        generic_s=cost.model_latency(profile_model(generic_model), dev),
        reference_s=cost.model_latency(ref, dev), active_w=dev.active_power_w)


@dataclass(frozen=True)
class Thresholds:
    """NoScope's thresholds (seed 003 §V-C.5): difference ``delta``, specialised ``c_low``/``c_high``."""

    delta: float
    c_low: float
    c_high: float
    against: str = "previous"


@dataclass(frozen=True)
class CascadeRun:
    """One filter cascade over frames (seed 003 §V-C.5).

    ``answers`` per frame; ``stage`` per frame: 0 reused by the difference detector, 1 answered
    (or dropped) by the specialised model, 2 by the generic model (FFS-VA), 3 by the reference.
    ``accuracy`` against the reference model's answers; ``skipped`` the share of frames the
    reference model never saw. ``speedup_model``: cost-model seconds of the reference on every
    frame ÷ the cascade's (``costs.device``); ``speedup_measured``: the same on this CPU's wall
    clock (noisy); ``throughput_gain``: pipelined throughput ÷ the reference's (FFS-VA).
    """

    name: str
    thresholds: Thresholds
    answers: np.ndarray
    stage: np.ndarray
    accuracy: float
    skipped: float
    to_reference: float
    latency_s: float
    reference_latency_s: float
    speedup_model: float
    speedup_measured: float
    throughput_gain: float


def _check_thresholds(th: Thresholds) -> Thresholds:
    V.positive("delta", th.delta, allow_zero=True, at_most=1)
    V.positive("c_low", th.c_low, allow_zero=True, at_most=1)
    V.positive("c_high", th.c_high, allow_zero=True, at_most=1)
    if th.c_low > th.c_high:
        raise ParameterError(f"c_low must be ≤ c_high, got c_low={th.c_low}, c_high={th.c_high}")
    V.choice("against", th.against, ("previous", "reference"))
    return th


def _stages(diff: np.ndarray, proba: np.ndarray, ref_ans: np.ndarray, th: Thresholds,
            generic_other: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Answers and deciding stage per frame, given precomputed detector outputs."""
    n = len(diff)
    reused = (diff <= th.delta) & (np.arange(n) > 0)
    stage = np.full(n, 3, dtype=np.int64)
    own = ref_ans.astype(bool).copy()
    low = proba < th.c_low
    own[low], stage[low] = False, 1
    if generic_other is None:
        high = ~low & (proba > th.c_high)
        own[high], stage[high] = True, 1
    else:
        gen = ~low & generic_other
        own[gen], stage[gen] = False, 2
    # a reused frame carries the answer of the last frame that was not reused
    src = np.maximum.accumulate(np.where(reused, 0, np.arange(n)))
    ans = own[src]
    stage[reused] = 0
    return ans, stage


def noscope_fit(models: FilterModels, frames: np.ndarray, costs: FilterCosts,
                target_accuracy: float = 0.99, deltas: np.ndarray | None = None,
                against: str = "previous", ffs: bool = False) -> Thresholds:
    """NoScope's cost-based optimiser on training frames (seed 003 §V-C.5).

    For each difference threshold in ``deltas`` (default: 0 and the 10th … 90th percentiles of
    the training differences) and each pair of specialised thresholds from a grid of
    probabilities (``c_low ≤ 0.5 ≤ c_high``), simulate the cascade on ``frames`` and keep the
    cheapest (cost-model seconds per frame) whose accuracy against the reference model is
    ≥ ``target_accuracy``. The all-reference cascade (``c_low = 0``, ``c_high = 1``,
    ``delta = 0``) always qualifies. ``ffs=True`` fits FFS-VA's drop-only stages instead:
    ``c_high`` is then the generic model's confidence needed to drop a frame (1 = never).
    """
    f = _frames(frames)
    target = V.positive("target_accuracy", target_accuracy, at_most=1)
    ref = models.reference_answer(f)
    proba = models.specialised_proba(f)
    diff = difference(f, against, f.mean(axis=0))
    if deltas is None:
        finite = diff[np.isfinite(diff)]
        deltas = np.concatenate([[0.0], np.percentile(finite, np.arange(10, 100, 10))]) \
            if len(finite) else np.array([0.0])
    deltas = V.positive_array("deltas", deltas, allow_zero=True)
    grid = np.array([0.0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98,
                     0.99, 0.999, 1.0])
    lows, highs = grid[grid <= 0.5], grid[grid >= 0.5]
    gp = models.generic.predict_proba(f) if ffs else None
    best, best_cost = Thresholds(0.0, 0.0, 1.0, against), np.inf
    for d in deltas:
        for lo in lows:
            for hi in highs:
                th = Thresholds(float(d), float(lo), float(hi), against)
                other = None
                if gp is not None:
                    other = (gp.argmax(axis=1) != models.query) & (gp.max(axis=1) >= hi) & (hi < 1)
                ans, stage = _stages(diff, proba, ref, th, generic_other=other)
                if np.mean(ans == ref) < target:
                    continue
                c = _seconds(stage, costs, ffs).mean()
                if c < best_cost - 1e-15:
                    best, best_cost = th, c
    return best


def _seconds(stage: np.ndarray, costs: FilterCosts, ffs: bool = False) -> np.ndarray:
    """Cost-model seconds per frame: every frame pays the detector, later stages add on."""
    s = np.full(len(stage), costs.dd_s)
    s = s + np.where(stage >= 1, costs.specialised_s, 0.0)
    if ffs:
        s = s + np.where(stage >= 2, costs.generic_s, 0.0)
    return s + np.where(stage >= 3, costs.reference_s, 0.0)


def _measure(fn, *args) -> float:  # noqa: ANN001 - a callable and its arguments
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def run_cascade(models: FilterModels, frames: np.ndarray, th: Thresholds, costs: FilterCosts,
                reference_frame: np.ndarray | None = None) -> CascadeRun:
    """Run NoScope's cascade on ``frames`` with thresholds ``th`` (seed 003 §V-C.5).

    Measured: the wall clock of the detector on all frames, the specialised model on the frames
    it sees and the reference model on the rest (each stage batched), against the reference
    model on all frames.
    """
    f = _frames(frames)
    th = _check_thresholds(th)
    t_ref_all = _measure(models.reference.predict, f)
    ref = models.reference_answer(f)
    ans, stage, t_cascade = cascade(models, f, th, reference_frame)
    return _run("noscope", th, ans, stage, ref, costs, t_ref_all, t_cascade)


def cascade(models: FilterModels, frames: np.ndarray, th: Thresholds,
            reference_frame: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """NoScope's cascade as it runs (seed 003 §V-C.5): ``(answers, stage, wall seconds)``.

    The detector runs on every frame, the specialised model on the frames the detector passes,
    the reference model on the frames the specialised model is unsure of (each stage batched).
    """
    f = _frames(frames)
    th = _check_thresholds(th)
    t0 = time.perf_counter()
    ref_frame = f.mean(axis=0) if reference_frame is None else reference_frame
    diff = difference(f, th.against, ref_frame)
    passed = np.flatnonzero((diff > th.delta) | (np.arange(len(f)) == 0))
    proba = np.zeros(len(f))
    if len(passed):
        proba[passed] = models.specialised_proba(f[passed])
    ans, stage = _stages(diff, proba, np.zeros(len(f), dtype=bool), th)
    need = np.flatnonzero(stage == 3)
    if len(need):
        own = models.reference.predict(f[need]) == models.query
        ans, stage = _stages(diff, proba, _scatter(len(f), need, own), th)
    return ans, stage, time.perf_counter() - t0


def _scatter(n: int, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[idx] = values
    return out


def _run(name: str, th: Thresholds, ans: np.ndarray, stage: np.ndarray, ref: np.ndarray,
         costs: FilterCosts, t_ref_all: float, t_cascade: float, ffs: bool = False) -> CascadeRun:
    secs = _seconds(stage, costs, ffs)
    lat = float(secs.mean())
    if ffs:
        shares = [1.0, float((stage >= 1).mean()), float((stage >= 2).mean()),
                  float((stage >= 3).mean())]
        per = [costs.dd_s, costs.specialised_s, costs.generic_s, costs.reference_s]
        bottleneck = max(s * t for s, t in zip(shares, per, strict=True))
    else:
        bottleneck = lat
    return CascadeRun(name, th, ans, stage, float(np.mean(ans == ref)),
                      float(np.mean(stage < 3)), float(np.mean(stage == 3)), lat,
                      costs.reference_s, costs.reference_s / lat, t_ref_all / max(t_cascade, 1e-12),
                      costs.reference_s / bottleneck)


def ffsva(models: FilterModels, frames: np.ndarray, th: Thresholds,
          costs: FilterCosts) -> CascadeRun:
    """FFS-VA's multi-stage filter, pipelined (seed 003 §V-C.5, [100]).

    Stage 1 (SDD): the difference detector reuses the last answer for unchanged frames; stage 2
    (SNM): the specialised model *drops* frames with ``p < c_low`` (it never answers yes);
    stage 3 (a small generic model, in place of T-YOLO): drops frames it classifies as another
    digit with probability ≥ ``th.c_high`` (1: never). Fit ``th`` with
    ``noscope_fit(..., ffs=True)``. T-YOLO's "fewer target objects than a
    threshold" collapses onto "target absent" here: a frame shows one digit. The survivors go to
    the reference model. Latency is the sum of the stages a frame passes; throughput is the
    pipeline's, set by the stage with the most work per input frame.
    """
    f = _frames(frames)
    th = _check_thresholds(th)
    t_ref_all = _measure(models.reference.predict, f)
    ref = models.reference_answer(f)
    t0 = time.perf_counter()
    diff = difference(f, th.against, f.mean(axis=0))
    proba = models.specialised_proba(f)
    gp = models.generic.predict_proba(f)
    other = (gp.argmax(axis=1) != models.query) & (gp.max(axis=1) >= th.c_high) & (th.c_high < 1)
    ans, stage = _stages(diff, proba, ref, th, generic_other=other)
    t_cascade = time.perf_counter() - t0
    t_cascade += _measure(models.reference.predict, f[stage == 3]) if (stage == 3).any() else 0.0
    return _run("ffs-va", th, ans, stage, ref, costs, t_ref_all, t_cascade, ffs=True)


def rexcam_profile(stream: VideoStream, frames_upto: int, max_delay: int) -> np.ndarray:
    """ReXCam's spatio-temporal model from a profiling part (seed 003 §V-C.5, [99]).

    ``corr[i, j, d]``: the share of frames of camera ``i`` (time ``t < frames_upto``) whose
    object is on camera ``j`` at time ``t + d``, for delays ``d = 0 … max_delay``. Profiled from
    the stream's object ids (ReXCam profiles with identities from historical video).
    """
    C, T = stream.config.n_cameras, stream.config.n_frames
    up = V.integer_in("frames_upto", frames_upto, 2, T)
    md = V.integer_in("max_delay", max_delay, 0, up - 1)
    ids = stream.object_ids.reshape(T, C).T[:, :up]  # (C, up)
    corr = np.zeros((C, C, md + 1))
    for d in range(md + 1):
        corr[:, :, d] = (ids[:, None, : up - d] == ids[None, :, d:]).mean(axis=2)
    return corr


@dataclass(frozen=True)
class ReXCamRun:
    """ReXCam against searching every camera (seed 003 §V-C.5), pooled over the queries.

    ``searched`` is the share of the (camera, frame) pairs of the query windows that ReXCam
    searched; ``workload_reduction`` its inverse; precision and recall of the
    re-identifications, for ReXCam and for searching all (``*_all``); the gain in points.
    """

    threshold: float
    n_queries: int
    searched: float
    workload_reduction: float
    precision: float
    recall: float
    precision_all: float
    recall_all: float
    precision_gain_points: float


def _pr(det: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = float((det & truth).sum())
    return tp / max(float(det.sum()), 1.0), tp / max(float(truth.sum()), 1.0)


def rexcam(stream: VideoStream, corr: np.ndarray, start: int, threshold: float,
           reid_distance: float, n_queries: int = 50) -> ReXCamRun:
    """ReXCam's cross-camera filter over query windows (seed 003 §V-C.5, [99]).

    A query is a scene start at or after frame ``start`` on any camera: its object is the
    target, seen at (camera ``i``, time ``t0``). The window is the next ``W`` frames of every
    camera (``W`` = the profile's largest delay). The re-identification model says a frame
    shows the target when its Euclidean pixel distance to the target's clean image is below
    ``reid_distance``. ReXCam searches camera ``j`` at ``d`` frames after the last sighting at
    camera ``i`` iff ``corr[i, j, d] ≥ threshold``; a sighting moves the reference point. The
    baseline searches every camera at every frame of the window. Truth: ``object_ids``.
    """
    C, T = stream.config.n_cameras, stream.config.n_frames
    thr = V.positive("threshold", threshold, allow_zero=True, at_most=1)
    start = V.integer_in("start", start, 0, T - 2)
    tau = V.positive("reid_distance", reid_distance)
    nq = V.integer_in("n_queries", n_queries, 1, 10**6)
    if corr.ndim != 3 or corr.shape[:2] != (C, C) or corr.shape[2] < 2:
        raise ParameterError(f"corr must be a ({C}, {C}, delays ≥ 2) profile of this stream's cameras")
    W = corr.shape[2] - 1
    ids = stream.object_ids.reshape(T, C)
    fr = stream.frames.reshape(T, C, 64)
    firsts = np.concatenate([np.ones((1, C), dtype=bool), ids[1:] != ids[:-1]])
    qt, qc = np.nonzero(firsts[start: T - W])
    order = np.lexsort((qc, qt))[:nq]
    det_all, det_rx, truth_all, n_searched, n_total = [], [], [], 0, 0
    for t0, i in zip(qt[order] + start, qc[order], strict=True):
        target = ids[t0, i]
        win = slice(t0 + 1, t0 + 1 + W)
        match = np.sqrt(((fr[win] - stream.objects[target]) ** 2).sum(axis=2)) < tau  # (W, C)
        truth = ids[win] == target
        searched = np.zeros_like(match)
        last_c, last_t = int(i), 0
        for d in range(W):
            searched[d] = corr[last_c, :, d + 1 - last_t] >= thr
            hit = np.flatnonzero(searched[d] & match[d])
            if len(hit):
                last_c, last_t = int(hit[0]), d + 1
        det_all.append(match.ravel())
        det_rx.append((searched & match).ravel())
        truth_all.append(truth.ravel())
        n_searched += int(searched.sum())
        n_total += searched.size
    if not det_all:
        raise ParameterError("no query fits the stream after start: use a longer stream, a "
                             "smaller start or a shorter profile")
    truth = np.concatenate(truth_all)
    p, r = _pr(np.concatenate(det_rx), truth)
    p0, r0 = _pr(np.concatenate(det_all), truth)
    share = n_searched / n_total
    return ReXCamRun(thr, len(det_all), share, 1.0 / max(share, 1e-12), p, r, p0, r0,
                     100.0 * (p - p0))


def cascade_table(runs: list[CascadeRun]) -> pd.DataFrame:
    """One row per cascade run: skipped share, to-reference share, accuracy, speed-ups (§V-C.5)."""
    return pd.DataFrame([{"system": r.name, "delta": r.thresholds.delta,
                          "c_low": r.thresholds.c_low, "c_high": r.thresholds.c_high,
                          "skipped": r.skipped, "to_reference": r.to_reference,
                          "accuracy": r.accuracy, "speedup_model": r.speedup_model,
                          "throughput_gain": r.throughput_gain,
                          "speedup_measured": r.speedup_measured} for r in runs])
