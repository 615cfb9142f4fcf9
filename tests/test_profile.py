"""The per-layer profiler: hand-computed small layers and the survey's reported models."""

import numpy as np
import pytest
import torch
from torch import nn

from edgelab.errors import ProfileError
from edgelab.hardware.profile import parse_shape, profile, profile_model


def test_conv_and_linear_hand_counts():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(8 * 4 * 4, 10))
    p = profile(m, torch.zeros(1, 3, 8, 8))
    t = p.table.set_index("op")
    conv = p.table.iloc[0]
    assert conv["macs"] == 8 * 8 * 8 * 3 * 3 * 3  # H·W·Cout·k·k·Cin
    assert conv["flops"] == 2 * conv["macs"] + 8 * 8 * 8  # + bias add per output
    assert conv["params"] == 8 * 3 * 9 + 8
    assert conv["weight_bytes"] == 4 * conv["params"]
    assert conv["input_bytes"] == 3 * 8 * 8 * 4 and conv["output_bytes"] == 8 * 8 * 8 * 4
    assert t.loc["act", "flops"] == 8 * 8 * 8 and t.loc["act", "macs"] == 0
    assert t.loc["pool", "flops"] == 8 * 4 * 4 * 4  # one op per window element
    lin = p.table.iloc[-1]
    assert lin["macs"] == 128 * 10 and lin["flops"] == 2 * 128 * 10 + 10
    assert t.loc["reshape", "flops"] == 0
    assert p.is_chain


def test_batchnorm_and_residual_add_are_counted():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1, bias=False)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            return self.bn(self.conv(x)) + x

    p = profile(Block().eval(), torch.zeros(1, 4, 5, 5))
    ops = p.table.set_index("op")
    assert ops.loc["bn", "flops"] == 2 * 4 * 25
    assert ops.loc["add", "flops"] == 4 * 25
    assert not p.is_chain
    assert p.preds[-1] == [-1, 1]  # the add reads the input and the bn


@pytest.mark.parametrize("name,weights,macs", [
    ("alexnet", 61e6, 724e6), ("vgg16", 138e6, 15.5e9), ("googlenet", 7e6, 1.43e9)])
def test_reproduces_seed_003_section_II_D(name, weights, macs):
    t = profile_model(name).totals()
    assert abs(t["params"] / weights - 1) < 0.05
    assert abs(t["macs"] / macs - 1) < 0.05
    assert t["flops"] > 2 * t["macs"]  # FLOPs are not MACs


def test_cut_bytes_chain_and_dag():
    p = profile_model("alexnet")
    cb = p.cut_bytes()
    assert cb[0] == p.raw_input_bytes == p.input_bytes // 4 and cb[-1] == 0  # uint8 image
    assert cb[5] == p.table["output_bytes"].iloc[4]
    r = profile_model("resnet18")
    cbr = r.cut_bytes()
    assert len(cbr) == r.n_layers + 1 and (cbr[:-1] > 0).all()
    # Inside a residual block two tensors cross the cut: more than the single output.
    assert (cbr[1:-1] > r.table["output_bytes"].to_numpy()[:-1]).any()


def test_untraceable_module_is_named():
    class Dyn(nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow defeats torch.fx
                return x
            return -x

    with pytest.raises(ProfileError, match="Dyn"):
        profile(Dyn(), torch.ones(1, 2))


def test_bad_shapes():
    with pytest.raises(ValueError, match="--input"):
        parse_shape("3xfoo")
    with pytest.raises(ProfileError, match="alexnet"):
        profile_model("alexnet", input_shape=(3, 16, 16))
    with pytest.raises(ValueError, match="batch"):
        profile_model("alexnet", batch=0)


def test_meta_profile_matches_real():
    from edgelab import models
    real = profile(models.build("digits_cnn"), models.example_input("digits_cnn"))
    meta = profile_model("digits_cnn")
    cols = ["macs", "flops", "params", "output_bytes"]
    assert np.array_equal(real.table[cols].to_numpy(), meta.table[cols].to_numpy())


def test_alloc_bytes_counts_fresh_output_memory_only():
    """A convolution allocates its output; an in-place ReLU and a view allocate nothing."""
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.ReLU(), nn.Flatten(),
                      nn.Dropout(0.5)).eval()  # dropout at inference is the identity
    t = profile(m, torch.randn(1, 3, 8, 8)).table
    out = 4 * 6 * 6 * 4
    assert t["output_bytes"].tolist() == [out] * 5
    assert t["alloc_bytes"].tolist() == [out, 0, out, 0, 0]


def test_profile_from_table_defaults_to_a_chain_and_names_missing_columns():
    from edgelab.errors import ParameterError
    from edgelab.hardware.profile import profile_from_table

    live = profile_model("alexnet")
    stored = profile_from_table("alexnet", live.table.astype({"macs": float}), live.input_bytes,
                                raw_input_bytes=live.raw_input_bytes)
    assert stored.is_chain and stored.graph is None and stored.output_layer == live.n_layers - 1
    assert stored.table["macs"].dtype == np.int64
    assert np.array_equal(stored.cut_bytes(), live.cut_bytes())  # alexnet is a chain
    with pytest.raises(ParameterError, match="flops"):
        profile_from_table("x", live.table.drop(columns=["flops"]), 4)
