"""The compression explorer: magnitude pruning and weight sharing of a trained network, as the
pruning ratio and the bit width move (seed 003 §V-C.1; Deep Compression [71]).

A thin front end over :mod:`edgelab.inference.compression`: for the current pruning ratio and
bit width it prunes a copy of the network (masks, no fine-tuning, so it answers in a fraction of
a second), shares its weights with k-means, Huffman-codes them, and shows the accuracy and the
exact compression ratio. ``explorer.result`` holds the numbers (computed headless, ``draw=False``).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from edgelab.explorers.base import Explorer
from edgelab.inference.compression.common import accuracy
from edgelab.inference.compression.deep_compression import compression_table, share_weights
from edgelab.inference.compression.pruning import magnitude_prune, remove_masks


def compress_once(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ratio: float,
                  bits: int) -> dict[str, float]:
    """Prune (masks, no fine-tuning), share with ``bits`` bits and Huffman-code a copy of
    ``model``; its accuracy on ``(x, y)`` and exact ratios (seed 003 §V-C.1)."""
    m = copy.deepcopy(model)
    magnitude_prune(m, ratio)
    remove_masks(m)
    shared = share_weights(m, bits)
    t, _ = compression_table(m, shared)
    tot = t.iloc[-1]
    return {"ratio": float(ratio), "bits": int(bits), "accuracy": accuracy(m, x, y),
            "ratio_pruned": float(tot["ratio_pruned"]), "ratio_shared": float(tot["ratio_shared"]),
            "ratio_huffman": float(tot["ratio_huffman"]), "kbits": float(tot["huffman_bits"]) / 1e3}


class CompressionExplorer(Explorer):
    """Explore pruning ratio × bit width on a trained network (seed 003 §V-C.1)."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, ratio: float = 0.8,
                 bits: int = 5, *, draw: bool = True) -> None:
        import ipywidgets as w

        self.model, self.x, self.y = model, x, y
        self.draw_figures = draw
        self.base_accuracy = accuracy(model, x, y)
        self.ratio = w.FloatSlider(value=ratio, min=0.0, max=0.98, step=0.02,
                                   description="pruned", continuous_update=False)
        self.bits = w.IntSlider(value=bits, min=1, max=8, description="bits",
                                continuous_update=False)
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.ratio, self.bits)
        self.widget = w.VBox([self.ratio, self.bits, self.summary, self.output])
        self.result: dict[str, float] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Prune, share and code at the current controls (seed 003 §V-C.1)."""
        self.result = compress_once(self.model, self.x, self.y, float(self.ratio.value),
                                    int(self.bits.value))

    def describe(self) -> str:
        """The current accuracy and ratio as HTML (seed 003 §V-C.1)."""
        r = self.result
        return (f"accuracy {100 * r['accuracy']:.1f}% (dense {100 * self.base_accuracy:.1f}%), "
                f"compression {r['ratio_huffman']:.1f}× ({r['kbits']:.1f} kbit), no fine-tuning")

    def figure(self) -> Any:
        """Compression ratio after each stage and the accuracy (seed 003 §V-C.1)."""
        import matplotlib.pyplot as plt

        r = self.result
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
        a1.bar(["pruning", "+ sharing", "+ Huffman"],
               [r["ratio_pruned"], r["ratio_shared"], r["ratio_huffman"]], color="tab:blue")
        a1.set_ylabel("compression ratio (×)")
        a2.bar(["dense", "compressed"], [100 * self.base_accuracy, 100 * r["accuracy"]],
               color=["grey", "tab:orange"])
        a2.set_ylim(0, 100)
        a2.set_ylabel("test accuracy (%)")
        fig.suptitle(f"{r['ratio']:.0%} of weights pruned, {r['bits']}-bit sharing (no fine-tuning)")
        fig.tight_layout()
        return fig
