"""JALAD's accuracy side measured on digits-trained stand-ins of AlexNet and VGG-16 (seed 003
§V-C.2, JALAD [81]): same layer chains, real accuracy tables, no accuracy assumed."""

import numpy as np
import pandas as pd
import pytest
import torch

from edgelab import models
from edgelab.hardware.profile import profile_model
from edgelab.inference import partition as P

BW = np.logspace(-1, 3, 25)


@pytest.fixture(scope="module")
def alex_table():
    """A measured table of the AlexNet stand-in, trained for one epoch (cheap, still real)."""
    return P.stand_in_accuracy(["alexnet"], seed=0, epochs=1)["alexnet"]


def _base(t: pd.DataFrame) -> float:
    """The unsplit fp32 accuracy of a jalad_accuracy table."""
    return float(t[(t.split == t.split.max()) & (t.bits == 32)]["accuracy"].iloc[0])


@pytest.mark.parametrize("zoo,stand_in", sorted(models.DIGITS_STAND_INS.items()))
def test_stand_in_has_the_zoo_models_layer_chain(zoo, stand_in):
    big, small = profile_model(zoo), profile_model(stand_in)
    assert small.n_layers == big.n_layers and small.is_chain and big.is_chain
    assert list(small.table["op"]) == list(big.table["op"])
    assert list(small.table["family"]) == list(big.table["family"])
    assert list(small.table["layer"]) == list(big.table["layer"])
    assert small.totals()["macs"] < big.totals()["macs"] / 100  # narrow enough to train fast
    out = models.build(stand_in)(models.example_input(stand_in, batch=3))
    assert out.shape == (3, 10)


def test_digits_at_resizes_and_refuses_colour():
    xtr, ytr, xte, yte = P.digits_at((1, 32, 32))
    assert xtr.shape[1:] == (1, 32, 32) and len(xtr) == len(ytr) and len(xte) == len(yte)
    assert float(xtr.min()) >= -1e-6 and float(xtr.max()) <= 1 + 1e-6
    assert P.digits_at((1, 8, 8))[0].shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="shape"):
        P.digits_at((3, 32, 32))


def test_accuracy_at_32_bits_is_the_unsplit_accuracy_at_every_split():
    net, x, y = P.train_digits_model("digits_vgg16", seed=1, epochs=1, n_train=256)
    with torch.no_grad():
        whole = float((net(x).argmax(1) == y).float().mean())
    df = P.jalad_accuracy(net, x, y, bits=(8,))
    exact = df[df.bits == 32]
    assert list(exact["split"]) == list(range(profile_model("vgg16").n_layers + 1))
    assert (exact["accuracy"] == whole).all() and (exact["agreement"] == 1.0).all()


def test_stand_in_accuracy_is_a_full_measured_table(alex_table):
    n = profile_model("alexnet").n_layers
    assert set(alex_table["split"]) == set(range(n + 1)) and set(alex_table["bits"]) == {32, 8}
    assert alex_table["accuracy"].between(0, 1).all()
    drop = P.accuracy_drop(alex_table, 8)
    eight = alex_table[(alex_table.bits == 8) & (alex_table.split < n)]
    assert drop == pytest.approx(_base(alex_table) - eight["accuracy"].min())
    with pytest.raises(ValueError, match="bits"):
        P.accuracy_drop(alex_table, 4)
    with pytest.raises(ValueError, match="no digits stand-in"):
        P.stand_in_accuracy(["resnet18"], epochs=1)


def test_jalad_speedups_refuses_a_missing_or_short_table(alex_table):
    with pytest.raises(ValueError, match="no measured table for model 'vgg16'"):
        P.jalad_speedups(["alexnet", "vgg16"], "rpi4", "t4", "4g", BW, {"alexnet": alex_table})
    with pytest.raises(ValueError, match="must cover splits"):
        P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", BW,
                         {"alexnet": alex_table[alex_table.split < 10]})
    with pytest.raises(ValueError, match="must cover splits"):  # no 8-bit rows
        P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", BW,
                         {"alexnet": alex_table[alex_table.bits == 32]})


def test_the_plan_never_picks_a_bit_width_beyond_the_budget(alex_table):
    base = _base(alex_table)
    fine = alex_table.assign(accuracy=np.where(alex_table["bits"] == 8, base, alex_table["accuracy"]))
    lossy = alex_table.assign(accuracy=np.where(alex_table["bits"] == 8, base - 0.05,
                                                alex_table["accuracy"]))
    ok = P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", BW, {"alexnet": fine}, max_drop=0.01)
    assert (ok["bits"] == 8).any()  # where 8 bits is free, the plan does use it somewhere
    bad = P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", BW, {"alexnet": lossy}, max_drop=0.01)
    assert (bad["bits"] == 32).all()
    np.testing.assert_allclose(bad["latency_s"], bad["latency_fp32_s"])
    assert (bad["speedup"] <= ok["speedup"] + 1e-12).all()
    # a looser budget admits the lossy encoding again
    loose = P.jalad_speedups(["alexnet"], "rpi4", "t4", "4g", BW, {"alexnet": lossy}, max_drop=0.1)
    pd.testing.assert_series_equal(loose["bits"], ok["bits"])
