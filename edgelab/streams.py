"""A synthetic, seeded camera stream built from scikit-learn's 8×8 digits (seed 003 §V-C.4-§V-C.8).

Seed 001 §IV names video analytics as the dominant edge application, and seed 003 §V-C.4
(edge caching), §V-C.5 (input filtering) and §V-C.8 (application knobs) all exploit properties of
real camera feeds: a scene stays for a while (temporal locality), popular objects come back
(repeated requests), cameras that watch the same street see the same objects a little later
(cross-camera correlation) and how hard the frames are drifts over the day. None of the surveyed
systems ships its videos, so :func:`camera_stream` makes a small stand-in with each of these
properties as a documented, tunable parameter:

* a *world* sequence of objects: at each frame a scene change happens with probability
  ``scene_change_rate``; a new scene shows an object drawn from a pool of ``n_objects`` digit
  images with Zipf popularity (``P(rank k) ∝ k^-zipf_s``; ``zipf_s = 0`` is uniform);
* camera ``c`` sees the world ``c * camera_lag`` frames after camera 0 (objects walk from camera
  0 to camera 1 …); for each scene, a camera ``c > 0`` shows the world's object with probability
  ``camera_overlap`` and an object of its own (same Zipf law) otherwise;
* a frame is the object's clean image plus a drift field (a per-pixel random walk with step
  ``drift``, reset at each scene change, kept within ±``drift_cap``), a pan of the camera (with
  probability ``motion`` per frame the view moves one pixel, up to ±2 pixels) and Gaussian noise
  whose standard deviation is ``noise_levels[k % len(noise_levels)]`` in the ``k``-th block of
  ``difficulty_period`` frames (the drifting difficulty), clipped to [0, 1].

Frames are ordered by time, then camera (the order in which a multi-camera feed arrives).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgelab import _validate as V
from edgelab.datasets import load_digits_arrays
from edgelab.errors import ParameterError

__all__ = ["StreamConfig", "VideoStream", "camera_stream", "zipf_probabilities"]

#: number of images in scikit-learn's digits (the largest possible object pool)
N_DIGITS = 1797
#: the largest pan of a moving camera, in pixels
MAX_PAN = 2


@dataclass(frozen=True)
class StreamConfig:
    """The parameters of :func:`camera_stream` (seed 003 §V-C.4-§V-C.8; seed 001 §IV).

    n_frames: frames per camera (≥ 1).
    n_cameras: cameras (≥ 1).
    scene_change_rate: probability in [0, 1] that a new scene starts at a frame (frame 0 always
        starts one); the mean scene length is ``1 / scene_change_rate`` frames.
    n_objects: size of the object pool (distinct digit images, 1 … 1797).
    zipf_s: Zipf exponent (≥ 0) of the objects' popularity; 0 is uniform.
    camera_lag: frames (≥ 0) by which camera ``c`` trails camera ``c - 1``.
    camera_overlap: probability in [0, 1] that a camera ``c > 0`` shows the world's object in a
        scene (the cross-camera correlation); camera 0 always does.
    noise_levels: Gaussian pixel noise std (each ≥ 0) per difficulty block, cycled.
    difficulty_period: frames (≥ 1) per difficulty block; ``None`` is one block.
    drift: std (≥ 0) of the per-frame, per-pixel random-walk step of the drift field.
    drift_cap: largest absolute value (≥ 0) of the drift field.
    motion: probability in [0, 1] per frame that the camera pans by one pixel.
    fps: frames per second (> 0) of every camera, for the timestamps.
    seed: the random seed; the same seed gives byte-identical streams.
    """

    n_frames: int = 600
    n_cameras: int = 1
    scene_change_rate: float = 0.05
    n_objects: int = 50
    zipf_s: float = 1.0
    camera_lag: int = 10
    camera_overlap: float = 0.8
    noise_levels: tuple[float, ...] = (0.1,)
    difficulty_period: int | None = None
    drift: float = 0.01
    drift_cap: float = 0.1
    motion: float = 0.0
    fps: float = 30.0
    seed: int = 0

    def __post_init__(self) -> None:
        V.integer_in("n_frames", self.n_frames, 1, 10**7)
        V.integer_in("n_cameras", self.n_cameras, 1, 1000)
        V.positive("scene_change_rate", self.scene_change_rate, allow_zero=True, at_most=1)
        V.integer_in("n_objects", self.n_objects, 1, N_DIGITS)
        V.positive("zipf_s", self.zipf_s, allow_zero=True, at_most=100)
        V.integer_in("camera_lag", self.camera_lag, 0, 10**6)
        V.positive("camera_overlap", self.camera_overlap, allow_zero=True, at_most=1)
        levels = self.noise_levels
        if isinstance(levels, str | bytes) or not hasattr(levels, "__len__"):
            raise ParameterError(f"noise_levels must be a sequence of numbers ≥ 0, got {V.show(levels)}")
        arr = V.positive_array("noise_levels", list(levels), allow_zero=True)
        object.__setattr__(self, "noise_levels", tuple(float(v) for v in arr))
        if self.difficulty_period is not None:
            V.integer_in("difficulty_period", self.difficulty_period, 1, 10**7)
        V.positive("drift", self.drift, allow_zero=True, at_most=1)
        V.positive("drift_cap", self.drift_cap, allow_zero=True, at_most=1)
        V.positive("motion", self.motion, allow_zero=True, at_most=1)
        V.positive("fps", self.fps, at_most=1e6)
        V.integer_in("seed", self.seed, 0, 2**32 - 1)


@dataclass(frozen=True)
class VideoStream:
    """The frames of :func:`camera_stream`, ordered by time then camera (seed 003 §V-C.4-§V-C.8).

    ``frames`` (N, 64) float32 in [0, 1]; ``labels`` the digit class of each frame;
    ``object_ids`` the index of the shown object in the pool (what a cache keys on);
    ``camera_ids``, ``frame_index`` (time step), ``timestamps`` (s); ``scene_ids`` a number unique
    to a (camera, scene); ``shared`` whether the frame shows the world's object;
    ``noise_level`` the noise std in force; ``objects`` / ``object_labels`` the clean pool and
    ``digit_index`` each object's row in :func:`edgelab.datasets.load_digits_arrays` (train
    models on the other rows); ``popularity`` the Zipf probability of each object.
    """

    config: StreamConfig
    frames: np.ndarray
    labels: np.ndarray
    object_ids: np.ndarray
    camera_ids: np.ndarray
    frame_index: np.ndarray
    timestamps: np.ndarray
    scene_ids: np.ndarray
    shared: np.ndarray
    noise_level: np.ndarray
    objects: np.ndarray
    object_labels: np.ndarray
    digit_index: np.ndarray
    popularity: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def camera(self, c: int) -> np.ndarray:
        """Positions (into every array) of camera ``c``'s frames, in time order."""
        V.integer_in("c", c, 0, self.config.n_cameras - 1)
        return np.flatnonzero(self.camera_ids == c)

    def images(self) -> np.ndarray:
        """The frames as (N, 1, 8, 8) float32, the zoo's image layout."""
        return self.frames.reshape(-1, 1, 8, 8)

    def scene_starts(self, c: int = 0) -> np.ndarray:
        """Boolean per frame of camera ``c``: True where a new scene starts (frame 0 included)."""
        s = self.scene_ids[self.camera(c)]
        return np.concatenate([[True], s[1:] != s[:-1]])


def zipf_probabilities(n: int, s: float) -> np.ndarray:
    """``P(rank k) ∝ k^-s`` for ranks 1 … n (seed 003 §V-C.4: repeated, skewed requests)."""
    n = V.integer_in("n", n, 1, 10**7)
    s = V.positive("s", s, allow_zero=True, at_most=100)
    w = np.arange(1, n + 1, dtype=np.float64) ** -s
    return w / w.sum()


def _shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Pan (…, 8, 8) images by (dy, dx) pixels, filling with 0 (black) where nothing is seen."""
    out = np.zeros_like(img)
    h, w = img.shape[-2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = img[..., ys, xs]
    return out


def _pan_walk(steps: np.ndarray) -> np.ndarray:
    """The camera's (dy, dx) offset per frame: a walk of the given steps kept within ±MAX_PAN."""
    out = np.zeros_like(steps)
    cur = np.zeros(2, dtype=steps.dtype)
    for t in np.flatnonzero(steps.any(axis=1)):
        out[t:] = cur = np.clip(cur + steps[t], -MAX_PAN, MAX_PAN)
    return out


def camera_stream(config: StreamConfig | None = None, **kwargs: object) -> VideoStream:
    """Generate the synthetic multi-camera stream described in the module docstring.

    Seed 003 §V-C.4 (repeated requests for caching), §V-C.5 (temporal and cross-camera
    redundancy for input filtering) and §V-C.8 (drifting content for Chameleon); seed 001 §IV.
    Pass a :class:`StreamConfig` or its fields as keywords (not both).
    """
    if config is None:
        config = StreamConfig(**kwargs)  # type: ignore[arg-type]
    elif kwargs:
        raise ParameterError("camera_stream takes a config or keyword fields, not both")
    if not isinstance(config, StreamConfig):
        raise ParameterError(f"config must be a StreamConfig, got {V.show(config)}")
    cfg = config
    rng = np.random.default_rng(cfg.seed)
    x_all, y_all = load_digits_arrays()
    digit_index = np.sort(rng.choice(N_DIGITS, size=cfg.n_objects, replace=False))
    objects, object_labels = x_all[digit_index], y_all[digit_index]
    popularity = zipf_probabilities(cfg.n_objects, cfg.zipf_s)
    rank_to_object = rng.permutation(cfg.n_objects)  # which object is the k-th most popular
    obj_pop = np.empty(cfg.n_objects)
    obj_pop[rank_to_object] = popularity

    C, T = cfg.n_cameras, cfg.n_frames
    L = T + (C - 1) * cfg.camera_lag
    starts = rng.random(L) < cfg.scene_change_rate
    starts[0] = True
    world_seg = np.cumsum(starts) - 1
    n_seg = int(world_seg[-1]) + 1
    world_obj = rank_to_object[rng.choice(cfg.n_objects, size=n_seg, p=popularity)]
    own_obj = rank_to_object[rng.choice(cfg.n_objects, size=(C, n_seg), p=popularity)]
    shares = rng.random((C, n_seg)) < cfg.camera_overlap
    shares[0] = True

    N = T * C
    frames = np.empty((N, 64), dtype=np.float32)
    obj_ids = np.empty(N, dtype=np.int64)
    scene_ids = np.empty(N, dtype=np.int64)
    shared = np.empty(N, dtype=bool)
    cam_ids = np.tile(np.arange(C, dtype=np.int64), T)
    t_idx = np.repeat(np.arange(T, dtype=np.int64), C)
    period = cfg.difficulty_period or T
    levels = np.asarray(cfg.noise_levels)
    noise_level = levels[(t_idx // period) % len(levels)]

    noise = rng.standard_normal((N, 64)).astype(np.float64)
    steps = rng.standard_normal((N, 64)) * cfg.drift
    pan_moves = rng.random(N) < cfg.motion
    pan_dirs = rng.integers(-1, 2, size=(N, 2))
    for c in range(C):
        w = np.arange(T) + (C - 1 - c) * cfg.camera_lag  # the world time camera c sees
        seg = world_seg[w]
        sh = shares[c, seg]
        obj = np.where(sh, world_obj[seg], own_obj[c, seg])
        pos = np.arange(T) * C + c
        obj_ids[pos], shared[pos], scene_ids[pos] = obj, sh, seg * C + c
        # drift: a per-pixel random walk restarted at each scene change, clipped to ±drift_cap
        st = steps[pos]
        st[np.concatenate([[True], seg[1:] != seg[:-1]])] = 0.0
        walk = np.cumsum(st, axis=0)
        first = np.maximum.accumulate(np.where(np.concatenate([[True], seg[1:] != seg[:-1]]),
                                               np.arange(T), 0))
        d = np.clip(walk - walk[first], -cfg.drift_cap, cfg.drift_cap)
        # pan: a walk of one-pixel moves, clipped to ±MAX_PAN
        pan = _pan_walk(pan_dirs[pos] * pan_moves[pos, None])
        img = objects[obj].reshape(T, 8, 8).copy()
        for dy, dx in {(int(a), int(b)) for a, b in pan if a or b}:
            sel = (pan[:, 0] == dy) & (pan[:, 1] == dx)
            img[sel] = _shift(img[sel], dy, dx)
        frames[pos] = np.clip(img.reshape(T, 64) + d + noise_level[pos, None] * noise[pos],
                              0.0, 1.0)

    return VideoStream(
        config=cfg, frames=frames, labels=object_labels[obj_ids].astype(np.int64),
        object_ids=obj_ids, camera_ids=cam_ids, frame_index=t_idx,
        timestamps=t_idx / float(cfg.fps), scene_ids=scene_ids, shared=shared,
        noise_level=noise_level.astype(np.float64), objects=objects,
        object_labels=object_labels.astype(np.int64), digit_index=digit_index,
        popularity=obj_pop,
    )
