"""Model selection (seed 003 §V-C.6): big/little, the premodel, model × device under budgets."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import EdgelabError
from edgelab.inference import model_selection as ms


def _outputs(seed: int = 0, n: int = 200) -> ms.ZooOutputs:
    """Hand-made outputs of three models: the bigger, the more often right."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    probs = []
    for p_right in (0.6, 0.8, 0.95):
        logits = rng.normal(size=(n, 10))
        right = rng.random(n) < p_right
        logits[np.arange(n), y] += np.where(right, 4.0, -4.0)
        e = np.exp(logits)
        probs.append(e / e.sum(1, keepdims=True))
    return ms.ZooOutputs(("small", "mid", "big"), np.stack(probs), y,
                         latency_s=np.array([1e-3, 3e-3, 1e-2]),
                         energy_j=np.array([1e-3, 3e-3, 1e-2]),
                         macs=np.array([10, 30, 100]), device="rpi4")


def test_big_little_ends_are_the_two_models():
    out = _outputs()
    lo = ms.big_little(out, "small", "big", 0.0)
    hi = ms.big_little(out, "small", "big", 1.0)
    assert lo.big_share == 0.0 and lo.accuracy == pytest.approx(out.accuracy[0])
    assert hi.big_share == 1.0 and hi.accuracy == pytest.approx(out.accuracy[2])
    assert hi.latency_s == pytest.approx(1e-3 + 1e-2)


@settings(max_examples=25, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_big_little_share_and_latency_grow_with_threshold(a, b):
    out = _outputs()
    r1, r2 = (ms.big_little(out, "small", "big", t) for t in sorted((a, b)))
    assert r1.big_share <= r2.big_share
    assert r1.latency_s <= r2.latency_s + 1e-15
    assert r2.latency_s == pytest.approx(1e-3 + r2.big_share * 1e-2)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_threshold_outside_range_is_refused(bad):
    with pytest.raises(ValueError, match="threshold"):
        ms.big_little(_outputs(), "small", "big", bad)


def test_unknown_model_names_the_valid_ones():
    with pytest.raises(EdgelabError, match="small"):
        ms.big_little(_outputs(), "tiny", "big", 0.5)


def test_oracle_picks_the_cheapest_right_model():
    out = _outputs()
    pick = ms.oracle_choice(out)
    c = out.correct
    for i in range(len(pick)):
        if c[:, i].any():
            assert c[pick[i], i] and not c[:pick[i], i].any()
        else:
            assert pick[i] == int(np.argmax(out.accuracy))


def test_premodel_that_learns_the_oracle_matches_the_oracle():
    out = _outputs()
    feats = np.eye(3)[ms.oracle_choice(out)] + 0.0  # features that reveal the label
    pm = ms.fit_premodel(feats, ms.oracle_choice(out), k=1)
    r = ms.evaluate_premodel(pm, feats, out, n_references=len(feats))
    assert r.accuracy == pytest.approx(r.oracle_accuracy)
    assert r.baseline == "big" and r.accuracy >= r.baseline_accuracy
    assert r.latency_reduction_x > 1 and sum(r.choice_share.values()) == pytest.approx(1.0)
    assert r.premodel_latency_s > 0


def test_cheap_features_shape_and_noise_raises_edge_energy():
    x = torch.zeros(4, 1, 8, 8)
    x[:, :, 2:6, 3:5] = 1.0
    f0 = ms.cheap_features(x)
    f1 = ms.cheap_features(ms.add_noise(x, 0.3, seed=1))
    assert f0.shape == (4, len(ms.FEATURES))
    assert (f1[:, ms.FEATURES.index("noise_energy")] > f0[:, ms.FEATURES.index("noise_energy")]).all()


def test_mixed_difficulty_is_seeded():
    x = torch.rand(50, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    a, la = ms.mixed_difficulty(x, seed=4)
    b, lb = ms.mixed_difficulty(x, seed=4)
    assert torch.equal(a, b) and np.array_equal(la, lb) and set(la) <= {0.0, 0.2, 0.4}
    assert float(a.min()) >= 0 and float(a.max()) <= 1


def _configs() -> pd.DataFrame:
    return pd.DataFrame({"model": ["a", "b", "a", "b"], "device": ["d1", "d1", "d2", "d2"],
                         "accuracy": [0.8, 0.9, 0.8, 0.9], "latency_s": [1.0, 2.0, 0.5, 1.0],
                         "energy_j": [1.0, 2.0, 3.0, 6.0]})


def test_select_config_under_budgets():
    c = _configs()
    assert ms.select_config(c, max_latency_s=1.0)["device"] == "d2"  # b on d2, 0.9
    assert ms.select_config(c, max_latency_s=1.0, max_energy_j=2.0)["model"] == "a"
    e = ms.select_config(c, min_accuracy=0.85, objective="energy")
    assert (e["model"], e["device"]) == ("b", "d1")


def test_budget_no_configuration_meets_names_the_cheapest():
    with pytest.raises(ms.NoFeasibleConfig, match=r"cheapest is a on d1 \(1 J"):
        ms.select_config(_configs(), max_latency_s=0.1)
    with pytest.raises(ValueError, match="max_latency_s"):
        ms.select_config(_configs(), max_latency_s=-1)


def test_budget_sweep_accuracy_never_falls_as_budget_grows():
    s = ms.budget_sweep(_configs(), [0.1, 0.5, 1.0, 2.0])
    assert np.isnan(s["accuracy"].iloc[0])
    acc = s["accuracy"].iloc[1:].to_numpy()
    assert (np.diff(acc) >= 0).all()


def test_zoo_outputs_and_configurations_use_the_cost_model():
    from edgelab.hardware.cost import cost
    from edgelab.hardware.profile import profile
    from edgelab.models import build

    models = {n: build(n, seed=0) for n in ("digits_mlp", "digits_cnn")}
    x = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    y = torch.zeros(8, dtype=torch.long)
    out = ms.zoo_outputs(models, x, y, "rpi4")
    ref = cost(profile(models["digits_cnn"], x[:1]), "rpi4")
    assert out.latency_s[1] == pytest.approx(ref["latency_s"])
    assert out.probs.shape == (2, 8, 10) and out.macs[0] < out.macs[1]
    profs = {n: profile(m, x[:1], name=n) for n, m in models.items()}
    cf = ms.configurations({"digits_mlp": 0.9, "digits_cnn": 0.95}, profs, ("rpi4", "cortex-m7"))
    assert set(cf["device"]) == {"rpi4", "cortex-m7"}
    with pytest.raises(EdgelabError, match="lenet5"):
        ms.configurations({"lenet5": 0.9}, profs, ("rpi4",))


def test_premodel_cost_is_a_gemm():
    c = ms.premodel_cost(7, 100, "rpi4")
    assert c["macs"] == 700 and c["latency_s"] > 0


def test_explorer_headless_follows_its_controls():
    from edgelab.explorers.video_selection import VideoSelectionExplorer
    from edgelab.inference import multi_tenancy as mt

    out = _outputs()
    prob = mt.random_problem(2, seed=0)
    ex = VideoSelectionExplorer(out, prob, "small", "big", threshold=0.0, draw=False)
    assert ex.result["big_little"].big_share == 0.0
    ex.set(threshold=1.0)
    assert ex.result["big_little"].big_share == 1.0
    ex.set(budget_share=0.25)
    r = ex.result
    assert r["budget"] == pytest.approx(prob.compute_budget * 0.25)
    assert np.isnan(r["optimal"]) or r["optimal"] >= r["greedy"] - 1e-9
    assert "big/little" in ex.describe()
