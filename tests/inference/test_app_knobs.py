"""Application knobs (seed 003 §V-C.8): Chameleon's profiling strategies, VideoEdge's placement."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import EdgelabError
from edgelab.inference import app_knobs as ak
from edgelab.models import build


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=80), st.sampled_from([30.0, 10.0, 5.0, 1.0]))
def test_held_predictions_analyse_every_stride_th_frame(pred, fps):
    p = np.array(pred)
    h = ak.held_predictions(p, fps, 30.0)
    stride = int(30 / fps)
    assert len(h) == len(p)
    assert np.array_equal(h[::stride], p[::stride])
    assert all(h[i] == h[i - i % stride] for i in range(len(h)))


def test_at_resolution_keeps_the_shape_and_the_mean():
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ak.at_resolution(x, 8), x)
    y = ak.at_resolution(x, 4)
    assert y.shape == x.shape and torch.allclose(y.mean((1, 2, 3)), x.mean((1, 2, 3)), atol=1e-6)
    with pytest.raises(ValueError, match="resolution"):
        ak.at_resolution(x, 0)


def test_config_space_costs_from_the_cost_model():
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.cost import air_time, model_latency
    from edgelab.hardware.profile import profile

    models = {"digits_mlp": build("digits_mlp")}
    cs = ak.config_space(models, "rpi4", "wifi5", frame_rates=(10.0,), resolutions=(4,))
    lat = model_latency(profile(models["digits_mlp"], torch.zeros(1, 1, 8, 8)), "rpi4")
    assert cs["cost"].iloc[0] == pytest.approx(10 * (lat + air_time(16, get_link("wifi5").uplink_mbps)))
    full = ak.config_space(models, "rpi4", "wifi5")
    assert full["cost"].is_monotonic_increasing and len(full) == 15


def _toy():
    """Two 'models': 'good' is always right, 'cheap' right only while the stream is easy."""
    labels = np.tile(np.repeat(np.arange(10), 6), 4)  # 240 frames, a new digit every 6 frames
    n = len(labels)
    hard = np.arange(n) >= n // 2
    preds = {("good", 8): labels.copy(), ("cheap", 8): np.where(hard, (labels + 1) % 10, labels)}
    configs = pd.DataFrame({"fps": [30.0, 30.0], "resolution": [8, 8], "model": ["cheap", "good"],
                            "cost": [0.1, 1.0]})
    return preds, configs, labels


def test_periodic_profiling_follows_the_drift_and_one_time_does_not():
    preds, configs, labels = _toy()
    cams = [np.arange(len(labels))]
    once = ak.run_strategy("one-time", preds, configs, cams, labels, 30.0, interval=60, window=10)
    per = ak.run_strategy("periodic", preds, configs, cams, labels, 30.0, interval=60, window=10)
    assert once.accuracy == pytest.approx(0.5) and per.accuracy == pytest.approx(1.0)
    assert per.profiling_cost_s > once.profiling_cost_s
    assert list(per.choices["model"]) == ["cheap", "cheap", "good", "good"]


def test_chameleon_followers_profile_less():
    preds, configs, labels = _toy()
    preds = {k: np.concatenate([v, v, v]) for k, v in preds.items()}
    labels3 = np.concatenate([labels] * 3)
    n = len(labels)
    cams = [np.arange(c * n, (c + 1) * n) for c in range(3)]
    cfg = pd.concat([configs.iloc[:1].assign(fps=10.0, cost=0.05), configs], ignore_index=True)
    cfg = cfg.sort_values("cost").reset_index(drop=True)
    per = ak.run_strategy("periodic", preds, cfg, cams, labels3, 30.0, interval=60, window=12)
    ch = ak.run_strategy("chameleon", preds, cfg, cams, labels3, 30.0, interval=60, window=12, top_k=1)
    assert ch.profiling_cost_s < per.profiling_cost_s
    assert ch.accuracy <= per.accuracy + 1e-12


def test_bad_knob_input():
    preds, configs, labels = _toy()
    with pytest.raises(EdgelabError, match="strategy"):
        ak.run_strategy("sometimes", preds, configs, [np.arange(10)], labels, 30.0)
    with pytest.raises(ValueError, match="no frames"):
        ak.run_strategy("periodic", preds, configs, [np.arange(0)], labels, 30.0)
    with pytest.raises(ValueError, match="no frames"):
        ak.predictions({"m": build("digits_mlp")}, torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError, match="alpha"):
        ak.choose(np.ones(2), configs, 1.5)


def test_placement_meets_deadline_and_camera_budget():
    models = {"digits_mlp": build("digits_mlp"), "lenet5": build("lenet5")}
    acc = {("digits_mlp", 8, 30.0): 0.8, ("lenet5", 8, 30.0): 0.9}
    sp = ak.placement_space(models, acc)
    assert "lenet5" not in set(sp[sp["tier"] == "camera"]["model"])  # does not fit the MCU
    cam = ak.best_placement(sp, 1.0, 1.0, ("camera",))
    anywhere = ak.best_placement(sp, 1.0, 1.0)
    assert cam["model"] == "digits_mlp" and anywhere["accuracy"] == 0.9
    assert anywhere["tier"] in ("edge", "cloud") and anywhere["camera_busy"] == 0
    with pytest.raises(ak.NoFeasibleKnobs, match="the fastest is digits_mlp"):
        ak.best_placement(sp, 1e-9, 1.0)
