"""The compression chapter's figures: accuracy against size and latency, pruning sweeps and
Deep Compression's stages (seed 003 §V-C.1). Each returns a matplotlib figure."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["plot_candidates", "plot_pruning", "plot_stages", "plot_energy_paths"]


def _fig(ncols: int = 1, size: tuple[float, float] = (6.0, 4.0)) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(size[0] * ncols, size[1]), squeeze=False)
    return fig, axes[0]


def plot_candidates(df: pd.DataFrame, chosen: pd.Series | None = None) -> Any:
    """Accuracy against stored size (kB) and measured latency (µs) of every combination, the
    Pareto front ringed and the chosen one starred (seed 003 §V-C.1)."""
    fig, (a1, a2) = _fig(2, (5.0, 3.8))
    colors = {"fp32": "tab:blue", "int8": "tab:orange"}
    for ax, col, scale, label in ((a1, "storage_bytes", 1e-3, "stored weights (kB, log)"),
                                  (a2, "latency_s", 1e6, "measured latency, batch 1 (µs)")):
        for prec, g in df.groupby("precision", sort=False):
            ax.scatter(g[col] * scale, 100 * g["accuracy"], color=colors.get(str(prec), "grey"),
                       label=str(prec), zorder=3)
            for _, r in g.iterrows():
                ax.annotate(f"{r['ratio']:.0%}", (r[col] * scale, 100 * r["accuracy"]),
                            textcoords="offset points", xytext=(4, 3), fontsize=8)
        if "pareto" in df:
            p = df[df["pareto"]]
            ax.scatter(p[col] * scale, 100 * p["accuracy"], s=160, facecolors="none",
                       edgecolors="black", label="Pareto front", zorder=2)
        if chosen is not None:
            ax.scatter([chosen[col] * scale], [100 * chosen["accuracy"]], marker="*", s=260,
                       color="tab:green", label="chosen", zorder=4)
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    a1.set_xscale("log")
    a1.legend(fontsize=8, title="labels: channels pruned", title_fontsize=8)
    fig.tight_layout()
    return fig


def plot_pruning(sweep: pd.DataFrame, dense_accuracy: float, oneshot: pd.DataFrame | None = None) -> Any:
    """Accuracy against the reduction in weights: iterative pruning with fine-tuning, and
    one-shot masks without it (seed 003 §V-C.1)."""
    fig, (ax,) = _fig(1, (6.0, 3.8))
    ax.plot(sweep["reduction"], 100 * sweep["accuracy"], "o-", label="pruned + fine-tuned")
    if oneshot is not None:
        ax.plot(oneshot["reduction"], 100 * oneshot["acc_pruned"], "s--", color="tab:red",
                label="masks only, no fine-tuning")
    ax.axhline(100 * dense_accuracy, color="grey", ls=":", label="dense")
    ax.axhline(100 * dense_accuracy - 1, color="black", ls="--", lw=0.8, label="dense − 1 point")
    ax.set_xscale("log")
    ax.set_xlabel("reduction in weights (all ÷ non-zero, log)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_stages(tables: dict[str, pd.DataFrame]) -> Any:
    """Compression ratio after each Deep Compression stage, one bar group per model (seed 003 §V-C.1)."""
    fig, (ax,) = _fig(1, (6.0, 3.6))
    stages = ("pruned", "shared", "huffman")
    width = 0.8 / max(1, len(tables))
    for i, (name, t) in enumerate(tables.items()):
        tot = t[t["layer"] == "total"].iloc[0]
        xs = [j + i * width for j in range(len(stages))]
        ax.bar(xs, [tot[f"ratio_{s}"] for s in stages], width, label=name)
    ax.set_xticks([j + width * (len(tables) - 1) / 2 for j in range(len(stages))],
                  ["pruning", "+ weight sharing", "+ Huffman"])
    ax.set_ylabel("compression ratio (dense bits ÷ bits)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_energy_paths(paths: pd.DataFrame, min_accuracy: float | None = None) -> Any:
    """Accuracy against modelled energy per image along each pruning order (energy-aware
    pruning; seed 003 §V-C.1)."""
    fig, (ax,) = _fig(1, (6.0, 3.8))
    for order, g in paths.groupby("order", sort=False):
        ax.plot(g["energy_j"] * 1e6, 100 * g["accuracy"], "o-", label=f"{order} order")
    if min_accuracy is not None:
        ax.axhline(100 * min_accuracy, color="black", ls="--", lw=0.8, label="dense − 1 point")
    ax.invert_xaxis()
    ax.set_xlabel("modelled energy per image (µJ), falling as layers are pruned →")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
