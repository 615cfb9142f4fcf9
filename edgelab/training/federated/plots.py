"""Figures of the federated chapter (seed 003 §IV-C): client data splits, FedCS curves, τ curves."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_client_splits", "plot_selection", "plot_tau"]


def plot_client_splits(parts: dict[str, Any], max_clients: int = 20) -> Any:
    """Per-client label histograms as heatmaps (rows: the first ``max_clients`` clients,
    columns: classes, colour: share of the client's samples) (seed 003 §IV-C.1, non-IID data).
    ``parts`` maps a title to a ClientSplit. The panels share the client axis (labelled once,
    integer ticks) so that no label runs into a neighbouring panel."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(parts), figsize=(2.4 * len(parts) + 1.2, 3.4), squeeze=False,
                             sharey=True, layout="constrained")
    im = None
    for i, (ax, (title, part)) in enumerate(zip(axes[0], parts.items(), strict=True)):
        h = part.histogram().to_numpy()[:max_clients].astype(float)
        share = h / h.sum(axis=1, keepdims=True)
        im = ax.imshow(share, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("class (digit)")
        ax.set_xticks(range(0, h.shape[1], 2))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if i == 0:
            ax.set_ylabel("client (index)")
    fig.colorbar(im, ax=axes[0].tolist(), label="share of client's samples", shrink=0.9)
    return fig


def plot_selection(curves: Any, deadline_s: float | None = None) -> Any:
    """Test accuracy against simulated time, one line per selection method (seed 003 §IV-C.2)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, g in curves.groupby("method", sort=False):
        ax.plot(g["sim_time_s"], g["accuracy"], marker=".", label=name)
    title = "FedCS vs random selection"
    if deadline_s:
        title += f" (deadline {deadline_s:g} s)"
    ax.set(xlabel="simulated time (s)", ylabel="test accuracy", title=title, ylim=(0, 1))
    ax.legend()
    fig.tight_layout()
    return fig


def plot_tau(runs: dict[str, Any]) -> Any:
    """Test loss against resource spent, fixed τ against adaptive τ (seed 003 §IV-C.2)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, h in runs.items():
        ax.plot(h["spent_s"], h["test_loss"], lw=2.5 if name.startswith("adaptive") else 1.2,
                label=name)
    ax.set(xlabel="resource spent (simulated s)", ylabel="test loss (log scale)", yscale="log",
           title="Aggregation frequency under a budget")
    from matplotlib.ticker import FormatStrFormatter, LogLocator

    ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 3.0, 5.0)))  # a few labelled ticks per decade
    for fmt in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        fmt(FormatStrFormatter("%.2g"))  # plain numbers, not powers of ten
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
