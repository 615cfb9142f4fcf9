"""Transfer learning across tiers (seed 003 §IV-C.5) and the training-step physics it is priced with."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgelab.explorers.split_learning import SplitLearningExplorer
from edgelab.hardware.cost import (
    BACKWARD_PER_FORWARD,
    layer_latency,
    model_latency,
    training_step_time,
)
from edgelab.hardware.profile import profile_model
from edgelab.training.split_learning import crossover_clients
from edgelab.training.transfer import (
    TARGET_CLASSES,
    scratch_accuracy,
    student,
    train_teacher,
    transfer_sweep,
    transfer_task,
    weighted_layers,
)


@pytest.fixture(scope="module")
def task():
    return transfer_task(n_per_class=5, seed=0)


@pytest.fixture(scope="module")
def teacher(task):
    return train_teacher(task, epochs=3, seed=0)


def test_task_is_base_and_few_target_samples(task) -> None:
    assert set(task.y_base.tolist()) == {0, 1, 2, 3, 4}
    assert sorted(np.bincount(task.y_few.numpy(), minlength=10)[5:].tolist()) == [5] * 5
    assert set(task.y_test.tolist()) == set(TARGET_CLASSES)
    again = transfer_task(n_per_class=5, seed=0)
    assert torch.equal(again.x_few, task.x_few)


@pytest.mark.parametrize("n", [0, -1, 500])
def test_bad_sample_counts_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="n_per_class"):
        transfer_task(n_per_class=n)


def test_student_copies_and_freezes_the_first_k_layers(teacher) -> None:
    names = weighted_layers(teacher)
    assert names == ["conv1", "conv2", "fc1", "fc2"]
    s = student(teacher, "digits_cnn", 2, freeze=True)
    for name, p in s.named_parameters():
        layer = name.split(".")[0]
        if layer in names[:2]:
            assert not p.requires_grad and torch.equal(p, dict(teacher.named_parameters())[name])
        else:
            assert p.requires_grad
    with pytest.raises(ValueError, match="k"):
        student(teacher, "digits_cnn", 4, freeze=True)


def test_training_step_time_is_forward_plus_twice_the_trainable_backward() -> None:
    p = profile_model("digits_cnn", batch=16)
    lat = layer_latency(p, "rpi4")
    full = training_step_time(p, "rpi4")
    oh = model_latency(p, "rpi4") - lat.sum()
    assert full == pytest.approx((1 + BACKWARD_PER_FORWARD) * lat.sum() + oh)
    ts = [training_step_time(p, "rpi4", k) for k in range(p.n_layers + 1)]
    assert all(a >= b for a, b in zip(ts, ts[1:], strict=False))
    assert ts[-1] == pytest.approx(model_latency(p, "rpi4"))
    with pytest.raises(ValueError, match="n_frozen"):
        training_step_time(p, "rpi4", p.n_layers + 1)


def test_sweep_prices_frozen_layers_cheaper_and_transfer_beats_scratch(task, teacher) -> None:
    df = transfer_sweep(task, teacher, epochs=5, seeds=(1,))
    assert list(df["mode"]) == ["scratch", "frozen", "fine-tuned"] * 1 + ["frozen", "fine-tuned"] * 2
    scratch = df.iloc[0]
    frozen = df[df["mode"] == "frozen"]
    assert (frozen["train_energy_J"] < scratch["train_energy_J"]).all()
    assert np.all(np.diff(frozen["train_MACs"].to_numpy()) < 0)
    tuned = df[df["mode"] == "fine-tuned"]
    assert np.allclose(tuned["train_energy_J"], scratch["train_energy_J"])
    assert df.loc[df["k"] > 0, "accuracy"].max() > scratch["accuracy"]
    assert df.equals(transfer_sweep(task, teacher, epochs=5, seeds=(1,)))


def test_split_explorer_headless() -> None:
    ex = SplitLearningExplorer(draw=False)
    r = ex.result
    assert r["crossover"] == crossover_clients(1437, r["activation_bytes"], r["client_weight_bytes"],
                                               r["model_bytes"])
    ex.set(model="digits_mlp", cut=3)
    assert ex.cut.max == 3 and ex.result["cut"] == 3
    assert "clients" in ex.describe()
    assert ex.figure() is not None


def test_scratch_accuracy_is_seeded_and_learns(task) -> None:
    a = scratch_accuracy(task, "digits_mlp", epochs=5, seeds=(1, 2))
    assert a == scratch_accuracy(task, "digits_mlp", epochs=5, seeds=(1, 2))
    assert 0.2 < a <= 1.0  # five classes: chance is 0.2
