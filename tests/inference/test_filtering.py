"""Input filtering (edgelab.inference.filtering, seed 003 §V-C.5): NoScope, FFS-VA, ReXCam."""

from __future__ import annotations

import numpy as np
import pytest

from edgelab.inference import filtering as fl
from edgelab.streams import camera_stream


@pytest.fixture(scope="module")
def setup():
    s = camera_stream(n_frames=1500, scene_change_rate=0.03, n_objects=60, noise_levels=(0.1,),
                      seed=0)
    m = fl.train_filter_models(s, None, np.arange(500), seed=0)
    return s, m, fl.filter_costs()


def test_difference_detector() -> None:
    f = np.zeros((3, 64))
    f[2] += 0.5
    d = fl.difference(f)
    assert np.isinf(d[0]) and d[1] == 0.0 and d[2] == pytest.approx(0.5)
    assert np.allclose(fl.difference(f, "reference", np.zeros(64)), [0, 0, 0.5])
    assert fl.pooled(np.ones((2, 64))).shape == (2, 16)


def test_noscope_meets_target_and_skips(setup) -> None:
    s, m, fc = setup
    th = fl.noscope_fit(m, s.frames[500:1000], fc, target_accuracy=0.99)
    r = fl.run_cascade(m, s.frames[1000:], th, fc)
    assert r.skipped > 0.5 and r.speedup_model > 2.0
    assert r.accuracy >= 0.95  # fitted at 0.99 on other frames
    assert r.skipped + r.to_reference == pytest.approx(1.0)
    # all-reference thresholds: nothing skipped, exact, no speed-up beyond the detector's cost
    r0 = fl.run_cascade(m, s.frames[1000:], fl.Thresholds(0.0, 0.0, 1.0), fc)
    assert r0.accuracy == 1.0 and r0.to_reference == pytest.approx(1.0)
    assert r0.speedup_model < 1.0


def test_ffsva_drops_only_and_pipelines(setup) -> None:
    s, m, fc = setup
    th = fl.noscope_fit(m, s.frames[500:1000], fc, target_accuracy=0.99, ffs=True)
    r = fl.ffsva(m, s.frames[1000:], th, fc)
    assert not (r.answers & (r.stage == 1)).any()  # the specialised stage never says yes
    assert r.throughput_gain >= r.speedup_model > 1.0


def test_scene_changes_and_motion_cost_noscope_its_skips() -> None:
    def skipped(**kw) -> float:
        s = camera_stream(n_frames=900, n_objects=60, noise_levels=(0.1,), seed=3, **kw)
        m = fl.train_filter_models(s, None, np.arange(300), seed=0)
        th = fl.Thresholds(0.08, 0.0, 1.0)  # the detector alone
        return fl.run_cascade(m, s.frames[600:], th, fl.filter_costs()).skipped
    calm = skipped(scene_change_rate=0.02)
    assert skipped(scene_change_rate=0.5) < calm
    assert skipped(scene_change_rate=0.02, motion=0.5) < calm


def test_rexcam_cuts_work_and_false_positives() -> None:
    s = camera_stream(n_frames=1000, n_cameras=4, scene_change_rate=0.05, n_objects=100,
                      noise_levels=(0.1,), camera_lag=30, seed=0)
    corr = fl.rexcam_profile(s, 500, 60)
    assert corr.shape == (4, 4, 61) and np.allclose(corr[np.arange(4), np.arange(4), 0], 1.0)
    assert corr[0, 1, 30] > corr[0, 1, 5]  # camera 1 sees camera 0's objects 30 frames later
    r0 = fl.rexcam(s, corr, 500, 0.0, 2.5)
    assert r0.workload_reduction == pytest.approx(1.0) and r0.precision == r0.precision_all
    r = fl.rexcam(s, corr, 500, 0.2, 2.5)
    assert r.workload_reduction > 2.0 and r.precision > r.precision_all


@pytest.mark.parametrize(("th", "name"), [
    (fl.Thresholds(-0.1, 0.0, 1.0), "delta"),
    (fl.Thresholds(0.0, 0.0, 1.5), "c_high"),
    (fl.Thresholds(0.0, 0.8, 0.2), "c_low"),
    (fl.Thresholds(0.0, 0.0, 1.0, "next"), "against"),
])
def test_bad_thresholds(setup, th, name: str) -> None:
    s, m, fc = setup
    with pytest.raises(ValueError, match=name):
        fl.run_cascade(m, s.frames[:10], th, fc)


def test_bad_input(setup) -> None:
    s, m, fc = setup
    with pytest.raises(ValueError, match="frames"):
        fl.run_cascade(m, np.empty((0, 64)), fl.Thresholds(0.0, 0.0, 1.0), fc)
    with pytest.raises(ValueError, match="target_accuracy"):
        fl.noscope_fit(m, s.frames[:50], fc, target_accuracy=1.5)
    with pytest.raises(ValueError, match="query"):
        fl.train_filter_models(s, 12, np.arange(10))
    with pytest.raises(ValueError, match="threshold"):
        fl.rexcam(s, np.zeros((1, 1, 5)), 0, 2.0, 1.0)
