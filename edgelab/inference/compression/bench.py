"""The compression benchmark behind ``edgelab bench compression`` (seed 003 §V-C.1).

At the chapter's default model, data and training (the :class:`DigitsConvNet` of width 64 on
8×8 digits, 6 epochs, 3 of fine-tuning after pruning; LeNet-300-100, 60 epochs, for Deep
Compression), one run measures:

* ``structured_speedup``: fp32 latency at batch 1, unpruned ÷ 50 % channel-pruned and
  fine-tuned; ``structured_accuracy_drop`` in points;
* ``mask_speedup``: fp32 latency, dense ÷ the same model with 90 % of its weights masked by
  ``torch.nn.utils.prune`` (the masks give no speed-up);
* ``int8_speedup`` (batch 1) and ``int8_speedup_batch256``, ``int8_accuracy_drop``;
* ``deep_compression_ratio``: dense bits ÷ Huffman-coded bits of LeNet-300-100, at the
  sparsest step of iterative pruning within 1 point of the dense accuracy, then 5-bit sharing.

Targets (issue 13): structured ≥ 2× at ≤ 1 point, int8 ≥ 1.5× at ≤ 1 point, Deep Compression
≥ 20× at ≤ 1 point. Latencies are medians of repeats on one thread (``measure_latency``).
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from edgelab import models as _models
from edgelab.datasets import load_digits_split
from edgelab.inference.compression.common import accuracy, digits_convnet, measure_latency, train
from edgelab.inference.compression.deep_compression import HAN_STEPS, deep_compress
from edgelab.inference.compression.pruning import (
    magnitude_prune,
    remove_masks,
    structured_prune,
)
from edgelab.inference.compression.quantization import default_engine, quantize_int8

__all__ = ["TARGETS", "HAN_STEPS", "deep_compress", "run_compression_bench"]  # re-exported

#: Training of LeNet-300-100, as in the chapter (iterative pruning: 3 epochs a step, 1 for sharing).
LENET_EPOCHS = 60
#: The benchmark's targets (minimum ratios, maximum accuracy drop in points).
TARGETS = {"structured_speedup": 2.0, "int8_speedup": 1.5, "deep_compression_ratio": 20.0,
           "max_accuracy_drop_points": 1.0}


def run_compression_bench(seed: int = 0, width: int = 64, epochs: int = 6, repeats: int = 50
                          ) -> dict[str, Any]:
    """Run the benchmark of the module docstring once; all ratios come from this one run (seed 003 §V-C.1)."""
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = tuple(load_digits_split(seed=seed, shape="image"))
        xtr, ytr, xte, yte = data
        x1, xb = xte[:1], xte[:256]
        torch.manual_seed(seed)
        dense = digits_convnet(width, seed=seed)
        train(dense, xtr, ytr, epochs, seed=seed)
        acc = accuracy(dense, xte, yte)
        t_dense = measure_latency(dense, x1, repeats)
        pruned = structured_prune(dense, x1, 0.5)
        train(pruned, xtr, ytr, max(1, epochs // 2), seed=seed)  # as the chapter: 3 epochs
        t_pruned = measure_latency(pruned, x1, repeats)
        masked = copy.deepcopy(dense)
        magnitude_prune(masked, 0.9)
        t_masked = measure_latency(masked, x1, repeats)
        remove_masks(masked)
        q = quantize_int8(dense, xtr[:256])
        t_q = measure_latency(q, x1, repeats)
        tb_dense = measure_latency(dense, xb, max(5, repeats // 5))
        tb_q = measure_latency(q, xb, max(5, repeats // 5))
        lenet = _models.build("lenet_300_100", seed=seed)
        train(lenet, xtr, ytr, LENET_EPOCHS, seed=seed)
        dc = deep_compress(lenet, data, prune_epochs=3, share_epochs=1, seed=seed)
        total = dc["table"].iloc[-1]
        res = {
            "structured_speedup": t_dense / t_pruned,
            "structured_accuracy_drop": 100.0 * (acc - accuracy(pruned, xte, yte)),
            "mask_speedup": t_dense / t_masked,
            "int8_speedup": t_dense / t_q,
            "int8_speedup_batch256": tb_dense / tb_q,
            "int8_accuracy_drop": 100.0 * (acc - accuracy(q, xte, yte)),
            "deep_compression_ratio": float(total["ratio_huffman"]),
            "deep_compression_accuracy_drop": 100.0 * (dc["dense_accuracy"] - dc["accuracy"]),
            "deep_compression_sparsity": dc["amount"],
            "fp32_latency_ms": 1e3 * t_dense,
            "accuracy": acc,
            "int8_engine": default_engine(),
            "model": f"DigitsConvNet(width={width}), {epochs} epochs; LeNet-300-100 for Deep Compression",
            "seed": seed,
            "repeats": repeats,
        }
    finally:
        torch.set_num_threads(threads)
    drop = TARGETS["max_accuracy_drop_points"]
    res["meets_targets"] = bool(
        res["structured_speedup"] >= TARGETS["structured_speedup"]
        and res["structured_accuracy_drop"] <= drop
        and res["int8_speedup"] >= TARGETS["int8_speedup"] and res["int8_accuracy_drop"] <= drop
        and res["deep_compression_ratio"] >= TARGETS["deep_compression_ratio"]
        and res["deep_compression_accuracy_drop"] <= drop)
    res["wall_s"] = time.perf_counter() - t0
    return res
