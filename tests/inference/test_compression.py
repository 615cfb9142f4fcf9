"""Model compression (seed 003 §V-C.1): structure, sizes, accuracy, exact bits and bad input.

No timing is asserted here (latency is measured by the benchmark and the chapter); tests check
what does not depend on the machine: shapes, MACs, parameter counts, lossless coding, the bits
counted, and one-line errors naming the parameter and what is allowed.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from edgelab import models
from edgelab.datasets import load_digits_split
from edgelab.inference import compression as cz
from edgelab.inference.compression import deep_compression as dc
from edgelab.inference.compression import pruning, quantization, selection
from edgelab.inference.compression.distillation import distill, distillation_loss


@pytest.fixture(scope="module")
def data():
    torch.set_num_threads(1)
    return tuple(load_digits_split(seed=0, shape="image"))


@pytest.fixture(scope="module")
def cnn(data):
    m = cz.digits_convnet(16, seed=0)
    cz.train(m, data[0], data[1], 6, lr=3e-3, seed=0)
    return m


@pytest.fixture(scope="module")
def lenet(data):
    m = models.build("lenet_300_100", seed=0)
    cz.train(m, data[0], data[1], 20, seed=0)
    return m


# ------------------------------------------------------------------------------- models
def test_lenets_have_the_papers_layers_for_8x8_digits():
    l3 = models.build("lenet_300_100")
    assert [m.out_features for m in l3.modules() if isinstance(m, nn.Linear)] == [300, 100, 10]
    assert cz.count_params(l3) == 64 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
    l5 = models.build("lenet5")
    convs = [m for m in l5.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [20, 50] and convs[0].kernel_size == (5, 5)
    assert l5(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert cz.count_params(l5) == 520 + 25050 + 100500 + 5010


def test_trained_models_are_accurate(cnn, lenet, data):
    assert cz.accuracy(cnn, data[2], data[3]) > 0.85
    assert cz.accuracy(lenet, data[2], data[3]) > 0.9


# ------------------------------------------------------------------------------- masks
def test_magnitude_prune_zeroes_the_share_and_keeps_shapes(lenet):
    m = copy.deepcopy(lenet)
    thr = pruning.magnitude_prune(m, 0.9)
    pruning.remove_masks(m)
    w = torch.cat([x.weight.detach().flatten() for _, x in pruning.prunable_layers(m)])
    assert int((w == 0).sum()) == round(0.9 * w.numel())
    assert float(w.abs()[w != 0].min()) >= thr > 0
    assert ({k: v.shape for k, v in m.state_dict().items()}
            == {k: v.shape for k, v in lenet.state_dict().items()})
    assert cz.count_macs(m, torch.zeros(1, 1, 8, 8)) == cz.count_macs(lenet, torch.zeros(1, 1, 8, 8))


def test_finetuning_keeps_masks_and_restores_accuracy(lenet, data):
    sweep = pruning.han_sweep(lenet, data, [0.9], finetune_epochs=5)
    r = sweep.iloc[0]
    assert r["acc_finetuned"] > r["acc_pruned"]
    assert r["weights_left"] < 0.12 * cz.count_params(lenet)


def test_iterative_prune_reaches_each_amount(lenet, data):
    m = copy.deepcopy(lenet)
    t = pruning.iterative_prune(m, [0.5, 0.8], data, 1)
    assert list(t["reduction"].round(6)) == [2.0, 5.0]
    assert cz.count_params(m, nonzero=True) < 0.25 * cz.count_params(lenet)
    with pytest.raises(ValueError, match="amounts must increase"):
        pruning.iterative_prune(m, [0.8, 0.5], data, 1)


# ------------------------------------------------------------------------------- channels
def test_structured_prune_really_shrinks_and_runs(cnn, data):
    x = data[2][:1]
    p = pruning.structured_prune(cnn, x, 0.5)
    assert p.conv1.out_channels == 8 and p.conv2.out_channels == 16 and p.fc.out_features == 10
    assert cz.count_macs(p, x) < cz.count_macs(cnn, x) / 3
    assert cz.count_params(p) < cz.count_params(cnn) / 3
    assert p(data[2]).shape == (len(data[3]), 10)
    assert cnn.conv1.out_channels == 16  # the original is untouched


def test_pruned_model_saves_and_reloads(cnn, data, tmp_path):
    p = pruning.structured_prune(cnn, data[2][:1], 0.5)
    with pytest.raises(RuntimeError):
        cz.DigitsConvNet(16).load_state_dict(p.state_dict())  # the failure users report
    path = pruning.save_pruned(p, tmp_path / "p.pt")
    r = pruning.load_pruned(cz.DigitsConvNet(16), path)
    with torch.no_grad():
        assert torch.equal(r(data[2]), p(data[2]))


class _HardReshape(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(4)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x)).reshape(x.shape[0], 32))


def test_untraceable_model_names_the_layer():
    with pytest.raises(ValueError, match=r"after layer 'pool'") as e:
        pruning.structured_prune(_HardReshape(), torch.zeros(1, 1, 8, 8), 0.5)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("amount", [-0.1, 1.0, 1.5, "half", True, float("nan")])
def test_bad_pruning_amount(cnn, amount):
    with pytest.raises(ValueError, match=r"must be a fraction in \[0, 1\)"):
        pruning.magnitude_prune(copy.deepcopy(cnn), amount)
    with pytest.raises(ValueError, match=r"ratio must be a fraction in \[0, 1\)"):
        pruning.structured_prune(cnn, torch.zeros(1, 1, 8, 8), amount)


# ------------------------------------------------------------------------------- int8
def test_int8_keeps_accuracy_and_divides_storage(cnn, data):
    q = quantization.quantize_int8(cnn, data[0][:256])
    assert abs(cz.accuracy(q, data[2], data[3]) - cz.accuracy(cnn, data[2], data[3])) <= 0.02
    assert cz.serialized_bytes(cnn) / cz.serialized_bytes(q) > 2.5
    assert quantization.fusable_pairs(cnn) == [["conv1", "relu1"], ["conv2", "relu2"],
                                               ["conv3", "relu3"]]


def test_bad_engine_lists_the_available_ones(cnn, data):
    with pytest.raises(ValueError) as e:
        quantization.quantize_int8(cnn, data[0][:8], engine="tpu")
    msg = str(e.value)
    assert "engine 'tpu' is not available" in msg and "\n" not in msg
    for eng in quantization.available_engines():
        assert eng in msg


@pytest.mark.parametrize("bits", [4, 16, 0, 8.0, True])
def test_bad_quantization_bits(cnn, data, bits):
    with pytest.raises(ValueError, match=r"bits must be one of \[8\]"):
        quantization.quantize_int8(cnn, data[0][:8], bits=bits)


# ------------------------------------------------------------------------------- Deep Compression
def _shared_lenet(lenet, amount=0.9, bits=5):
    m = copy.deepcopy(lenet)
    pruning.magnitude_prune(m, amount)
    pruning.remove_masks(m)
    return m, dc.share_weights(m, bits)


def test_weight_sharing_uses_at_most_2_to_the_bits_values(lenet):
    m, shared = _shared_lenet(lenet, bits=3)
    for name, mod in pruning.prunable_layers(m):
        vals = torch.unique(mod.weight)
        assert len(vals) <= 2 ** 3 and 0.0 in vals.tolist()
        assert np.array_equal(shared[name].weights(), mod.weight.detach().numpy())


def test_exact_bits_by_hand_on_a_tiny_layer():
    codes = np.array([[0, 3, 0, 0], [1, 0, 0, 2]])  # non-zero at flat positions 1, 4, 7
    s = dc.SharedLayer("l", np.array([0.0, -1.0, 0.5, 2.0], dtype=np.float32), codes, 2)
    w = torch.from_numpy(s.weights())
    e = dc.encode_layer("l", w, n_bias=2, shared=s, index_bits=2)
    # gaps 2, 3, 3 fit in 2 bits (span 4): 3 stored entries, no filler
    assert e.stored == 3 and e.nonzero == 3
    assert e.dense_bits == 32 * 8 + 32 * 2
    assert e.pruned_bits == 3 * (32 + 2) + 64
    assert e.shared_bits == 3 * (2 + 2) + 32 * 4 + 64
    # Huffman of codes {3, 1, 2}: lengths 1+2+2 = 5; gaps-1 {1, 2, 2}: lengths 1+1+1... exact
    assert e.lengths[0] == 5 and e.lengths[1] == 3
    assert e.huffman_bits == 5 + 3 + 8 * 4 + 8 * 4 + 32 * 4 + 64
    assert np.array_equal(dc.decode_layer(e, s.codebook, (2, 4)), s.weights())


def test_long_gaps_get_fillers():
    codes = np.zeros(40, dtype=np.int64)
    codes[[0, 39]] = 1
    s = dc.SharedLayer("l", np.array([0.0, 1.0], dtype=np.float32), codes, 1)
    e = dc.encode_layer("l", s.weights(), 0, s, index_bits=3)  # span 8: 39 = 8*4 + 7
    assert e.nonzero == 2 and e.stored == 2 + 4
    assert np.array_equal(dc.decode_layer(e, s.codebook, (40,)), s.weights())


def test_compression_table_is_lossless_and_ratios_grow(lenet):
    m, shared = _shared_lenet(lenet)
    table, encs = dc.compression_table(m, shared)
    layers = dict(pruning.prunable_layers(m))
    for e in encs:
        w = layers[e.name].weight.detach().numpy()
        assert np.array_equal(dc.decode_layer(e, shared[e.name].codebook, w.shape), w)
    tot = table.iloc[-1]
    assert tot["layer"] == "total" and tot["dense_bits"] == 32 * cz.count_params(lenet)
    assert 1 < tot["ratio_pruned"] < tot["ratio_shared"] < tot["ratio_huffman"]


def test_deep_compress_meets_twenty_times_within_a_point(lenet, data):
    r = dc.deep_compress(lenet, data, prune_epochs=3, share_epochs=1)
    assert r["amount"] >= 0.75
    assert r["dense_accuracy"] - r["accuracy"] <= 0.01 + 1e-9
    assert r["table"].iloc[-1]["ratio_huffman"] >= 20


@pytest.mark.parametrize("bits", [0, 9, 2.5, "4"])
def test_bad_sharing_bits(lenet, bits):
    with pytest.raises(ValueError, match=r"bits must be an integer in 1\.\.8"):
        dc.share_weights(copy.deepcopy(lenet), bits)


# ------------------------------------------------------------------------------- distillation
def test_distillation_loss_and_training(cnn, data):
    s = torch.randn(4, 10, generator=torch.Generator().manual_seed(0)) * 10
    y = torch.tensor([0, 1, 2, 3])
    assert float(distillation_loss(s, s, y, 4.0, 1.0)) == 0.0
    assert float(distillation_loss(s, s.flip(1), y, 4.0, 1.0)) > 0.0
    student = cz.digits_convnet(4, seed=0)
    losses = distill(cnn, student, data[0], data[1], 2, seed=0)
    assert len(losses) == 2 and losses[1] < losses[0]
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        distill(cnn, student, data[0], data[1], 1, alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        distill(cnn, student, data[0], data[1], 1, temperature=0)


# ------------------------------------------------------------------------------- selection
def _toy_candidates() -> pd.DataFrame:
    return pd.DataFrame({
        "ratio": [0.0, 0.0, 0.5, 0.5], "precision": ["fp32", "int8", "fp32", "int8"],
        "accuracy": [0.97, 0.97, 0.95, 0.96], "latency_s": [4.0, 2.0, 2.0, 1.5],
        "storage_bytes": [400, 100, 100, 25], "energy_j": [4.0, 1.5, 1.0, 0.4]})


def test_pareto_and_select():
    df = _toy_candidates()
    assert selection.pareto(df).tolist() == [False, True, False, True]
    assert selection.select(df, selection.Budget(min_accuracy=0.965)).name == 1
    assert selection.select(df, selection.Budget(min_accuracy=0.95)).name == 3
    assert selection.select(df, selection.Budget(max_storage_bytes=10)) is None
    with pytest.raises(ValueError, match="objective must be one of"):
        selection.select(df, selection.Budget(), objective="speed")
    with pytest.raises(ValueError, match="max_device_latency_s needs a device_latency_s column"):
        selection.select(df, selection.Budget(max_device_latency_s=1.0))
    df["device_latency_s"] = [3.0, 2.0, 2.5, 0.5]
    assert selection.select(df, selection.Budget(max_device_latency_s=1.0)).name == 3


def test_candidates_and_energy(cnn, data):
    df, built = selection.build_candidates(cnn, data, [0.0, 0.5], finetune_epochs=1, repeats=2,
                                           device="rpi4")
    assert df["device_latency_s"].isna().tolist() == [False, True, False, True]  # no int8 peak
    assert df["device_latency_s"].iloc[2] < df["device_latency_s"].iloc[0]
    assert list(zip(df["ratio"], df["precision"], strict=True)) == [
        (0.0, "fp32"), (0.0, "int8"), (0.5, "fp32"), (0.5, "int8")]
    assert set(built) == {(0.0, "fp32"), (0.0, "int8"), (0.5, "fp32"), (0.5, "int8")}
    fp = df[df["precision"] == "fp32"]["energy_j"].to_numpy()
    assert fp[1] < fp[0] / 2
    x = data[2][:1]
    assert selection.model_energy(cnn, x, "int8") < selection.model_energy(cnn, x, "fp32")
    with pytest.raises(ValueError, match="precision must be one of fp32, int8"):
        selection.model_energy(cnn, x, "int4")


# ------------------------------------------------------------------------------- latency helper
def test_measure_latency_restores_threads(cnn, data):
    torch.set_num_threads(2)
    try:
        t = cz.measure_latency(cnn, data[2][:1], repeats=3, warmup=1)
        assert t > 0 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    with pytest.raises(ValueError, match="repeats"):
        cz.measure_latency(cnn, data[2][:1], repeats=0)


# ------------------------------------------------------------------------------- explorer, CLI
def test_explorer_computes_headless(lenet, data):
    from edgelab.explorers.compression import CompressionExplorer

    ex = CompressionExplorer(lenet, data[2], data[3], ratio=0.5, bits=4, draw=False)
    r0 = dict(ex.result)
    assert r0["bits"] == 4 and r0["ratio_huffman"] > r0["ratio_pruned"] > 1
    ex.set(ratio=0.9, bits=2)
    assert ex.result["ratio_huffman"] > r0["ratio_huffman"] and ex.n_updates == 2
    assert "compression" in ex.describe()
    fig = ex.figure()
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="unknown controls"):
        ex.set(width=3)


def test_bench_compression_cli_json(monkeypatch):
    import json

    from edgelab.cli import run_captured
    from edgelab.inference.compression import bench

    real = bench.run_compression_bench
    monkeypatch.setattr(bench, "run_compression_bench",
                        lambda seed=0, repeats=50: real(seed=seed, width=8, epochs=1, repeats=2))
    code, out, err = run_captured("bench", "compression", "--repeats", "2", "--format", "json")
    assert code == 0, err
    res = json.loads(out)
    for key in ("structured_speedup", "structured_accuracy_drop", "mask_speedup", "int8_speedup",
                "int8_accuracy_drop", "deep_compression_ratio"):
        assert isinstance(res[key], float), key
    assert res["deep_compression_ratio"] > 1 and isinstance(res["meets_targets"], bool)
    code, _, err = run_captured("bench", "compression", "--repeats", "0")
    assert code != 0 and "--repeats" in err


# ------------------------------------------------------------------------------- energy-aware
def test_energy_aware_orders_pick_different_layers():
    from edgelab.inference.compression import energy_aware as ea

    l5 = models.build("lenet5", seed=0)
    x = torch.zeros(1, 1, 8, 8)
    e = selection.layer_energy(l5, x)
    assert list(e.index) == ["conv1", "conv2", "fc1", "fc2"] and e.idxmax() == "fc1"
    assert ea.pick_layer(l5, x, "energy") == "fc1"  # weights read from DRAM for one image
    assert ea.pick_layer(l5, x, "magnitude") == "conv2"  # largest fan-in, smallest init weights
    p = ea.prune_layer(l5, x, "fc1", 0.3)
    assert p.fc1.out_features == 350 and p.fc2.in_features == 350 and p.conv2.out_channels == 50
    assert selection.model_energy(p, x) < selection.model_energy(l5, x)
    with pytest.raises(ValueError, match="order must be one of energy, magnitude"):
        ea.pick_layer(l5, x, "random")
    with pytest.raises(ValueError, match="layer 'fc9' is not a conv or linear layer"):
        ea.prune_layer(l5, x, "fc9", 0.3)


def test_energy_saved_at():
    from edgelab.inference.compression.energy_aware import energy_saved_at

    path = pd.DataFrame({"step": [0, 1, 2, 3], "energy_j": [10.0, 6.0, 4.0, 2.0],
                         "accuracy": [0.98, 0.975, 0.972, 0.9]})
    assert energy_saved_at(path, 0.97) == pytest.approx(0.6)
    assert energy_saved_at(path, 0.99) == 0.0


def test_energy_aware_path_runs(lenet, data):
    from edgelab.inference.compression.energy_aware import energy_aware_path

    m = models.build("lenet5", seed=0)
    cz.train(m, data[0], data[1], 2, seed=0)
    path = energy_aware_path(m, data, "energy", steps=2, finetune_epochs=1)
    assert list(path["step"]) == [0, 1, 2] and path["layer"].iloc[1] == "fc1"
    assert path["energy_j"].is_monotonic_decreasing and path["params"].is_monotonic_decreasing
