"""The synthetic camera stream (edgelab.streams): rates are what was asked for, seeded, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.datasets import load_digits_arrays
from edgelab.streams import StreamConfig, camera_stream, zipf_probabilities


def _binomial_tol(p: float, n: int, sigmas: float = 5.0) -> float:
    """A tolerance for an observed rate of n Bernoulli(p) trials: 5 standard errors + 1/n."""
    return sigmas * math.sqrt(max(p * (1 - p), 1e-12) / n) + 1.0 / n


def test_shapes_and_order() -> None:
    s = camera_stream(n_frames=50, n_cameras=3, seed=1)
    assert len(s) == 150 and s.frames.shape == (150, 64) and s.frames.dtype == np.float32
    assert s.images().shape == (150, 1, 8, 8)
    assert s.frames.min() >= 0.0 and s.frames.max() <= 1.0
    assert list(s.camera_ids[:6]) == [0, 1, 2, 0, 1, 2]  # time, then camera
    assert list(s.frame_index[:6]) == [0, 0, 0, 1, 1, 1]
    assert np.allclose(s.timestamps, s.frame_index / 30.0)
    assert np.array_equal(s.labels, s.object_labels[s.object_ids])
    x, y = load_digits_arrays()
    assert np.array_equal(s.objects, x[s.digit_index])
    assert np.array_equal(s.object_labels, y[s.digit_index])
    assert np.isclose(s.popularity.sum(), 1.0)


def test_same_seed_same_bytes_other_seed_differs() -> None:
    a, b = camera_stream(n_frames=80, n_cameras=2, seed=3), camera_stream(n_frames=80, n_cameras=2, seed=3)
    assert a.frames.tobytes() == b.frames.tobytes() and np.array_equal(a.object_ids, b.object_ids)
    c = camera_stream(n_frames=80, n_cameras=2, seed=4)
    assert a.frames.tobytes() != c.frames.tobytes()


@settings(max_examples=15, deadline=None)
@given(rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_scene_change_rate_is_what_was_asked(rate: float, seed: int) -> None:
    n = 3000
    s = camera_stream(n_frames=n, scene_change_rate=rate, seed=seed, drift=0.0)
    changes = s.scene_starts(0)[1:].mean()
    assert abs(changes - rate) <= _binomial_tol(rate, n - 1)


@settings(max_examples=10, deadline=None)
@given(zs=st.floats(0.0, 2.0), seed=st.integers(0, 2**16))
def test_zipf_popularity_is_what_was_asked(zs: float, seed: int) -> None:
    # scene_change_rate 1: every frame is a fresh request, so frame counts follow the Zipf law.
    n = 4000
    s = camera_stream(n_frames=n, scene_change_rate=1.0, n_objects=20, zipf_s=zs, seed=seed)
    freq = np.bincount(s.object_ids, minlength=20) / n
    for o in np.argsort(-s.popularity)[:3]:
        p = s.popularity[o]
        assert abs(freq[o] - p) <= _binomial_tol(p, n)


def test_zipf_probabilities() -> None:
    p = zipf_probabilities(4, 1.0)
    assert np.allclose(p, np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (1 + 1 / 2 + 1 / 3 + 1 / 4))
    assert np.allclose(zipf_probabilities(5, 0.0), 0.2)


@settings(max_examples=10, deadline=None)
@given(ov=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_camera_overlap_and_lag(ov: float, seed: int) -> None:
    lag, n = 5, 3000
    s = camera_stream(n_frames=n, n_cameras=2, camera_overlap=ov, camera_lag=lag,
                      scene_change_rate=0.5, seed=seed)
    c0, c1 = s.camera(0), s.camera(1)
    assert s.shared[c0].all()
    starts = s.scene_starts(1)
    n_scenes = int(starts.sum())
    share_rate = s.shared[c1][starts].mean()
    assert abs(share_rate - ov) <= _binomial_tol(ov, n_scenes)
    # camera 1 shows, lag frames later, the object camera 0 showed, wherever it shares
    sh = s.shared[c1][lag:]
    assert np.array_equal(s.object_ids[c1][lag:][sh], s.object_ids[c0][:-lag][sh])


def test_difficulty_drifts_per_block() -> None:
    s = camera_stream(n_frames=40, noise_levels=(0.0, 0.3), difficulty_period=10, drift=0.0,
                      scene_change_rate=0.0, seed=0)
    assert list(s.noise_level[::10]) == [0.0, 0.3, 0.0, 0.3]
    clean = s.objects[s.object_ids]
    assert np.array_equal(s.frames[:10], clean[:10])  # noise 0 and no drift: the clean image
    assert np.abs(s.frames[10:20] - clean[10:20]).mean() > 0.05


def test_temporal_locality_and_motion() -> None:
    still = camera_stream(n_frames=300, scene_change_rate=0.0, noise_levels=(0.05,), seed=2)
    moving = camera_stream(n_frames=300, scene_change_rate=0.0, noise_levels=(0.05,), motion=0.5,
                           seed=2)
    d_still = np.abs(np.diff(still.frames, axis=0)).mean()
    d_moving = np.abs(np.diff(moving.frames, axis=0)).mean()
    assert d_moving > d_still
    assert (still.object_ids == still.object_ids[0]).all()


@pytest.mark.parametrize(("kw", "name"), [
    ({"n_frames": 0}, "n_frames"),
    ({"n_cameras": 0}, "n_cameras"),
    ({"scene_change_rate": 1.5}, "scene_change_rate"),
    ({"scene_change_rate": -0.1}, "scene_change_rate"),
    ({"camera_overlap": 2.0}, "camera_overlap"),
    ({"motion": -1.0}, "motion"),
    ({"n_objects": 0}, "n_objects"),
    ({"n_objects": 5000}, "n_objects"),
    ({"zipf_s": -1.0}, "zipf_s"),
    ({"noise_levels": ()}, "noise_levels"),
    ({"noise_levels": (-0.1,)}, "noise_levels"),
    ({"noise_levels": "loud"}, "noise_levels"),
    ({"difficulty_period": 0}, "difficulty_period"),
    ({"fps": 0.0}, "fps"),
])
def test_bad_input_names_the_parameter(kw: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        camera_stream(**kw)


def test_config_or_keywords_not_both() -> None:
    with pytest.raises(ValueError, match="config"):
        camera_stream(StreamConfig(), n_frames=3)
    with pytest.raises(ValueError, match="config"):
        camera_stream("frames")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="c must be"):
        camera_stream(n_frames=3).camera(1)
