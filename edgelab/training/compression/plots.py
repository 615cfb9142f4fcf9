"""Figures of chapter 12 (seed 003 §IV-C.3): accuracy against bytes, loss curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["plot_accuracy_vs_bytes", "plot_curves"]


def plot_accuracy_vs_bytes(curves: pd.DataFrame, labels: Sequence[str] | None = None,
                           ax: Any = None) -> Any:
    """Test accuracy against the megabytes uploaded so far (all clients), one line per run,
    log-scale x (seed 003 §IV-C.3): a run to the upper left is better. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    for label, h in curves.groupby("label", sort=False):
        if labels is not None and label not in labels:
            continue
        ls = "-" if h["memory"].iloc[0] != "none" or label.startswith("dense") else "--"
        ax.plot(h["cum_bytes_up"] / 1e6, 100 * h["accuracy"], ls, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("bytes uploaded so far, all clients (MB, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("accuracy against bytes (dashed: no memory)")
    return ax


def plot_curves(curves: pd.DataFrame, column: str = "loss", ax: Any = None, *,
                ylabel: str = "test loss (cross-entropy, nats)", log: bool = True) -> Any:
    """One column of every run against the round (seed 003 §IV-C.3). Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    for label, h in curves.groupby("label", sort=False):
        ax.plot(h["round"], h[column], label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("round (one SGD step per client)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax
