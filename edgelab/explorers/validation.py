"""Predicted against measured latency of the catalog devices (chapter 01; seed 003 §III-B).

A static figure, not a widget: :func:`plot_predicted_vs_measured` draws what
:func:`edgelab.hardware.validate.validate` computed, raw catalog and leave-one-out side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelab.hardware.validate import BANDS, ValidationReport

__all__ = ["plot_predicted_vs_measured"]

_MARKERS = {"fp32": "o", "fp16": "s", "int8": "^"}


def plot_predicted_vs_measured(report: ValidationReport) -> Any:
    """Two log-log panels, predicted against measured latency (ms) of every pair: the catalog
    as it is and the leave-one-out fits; one colour per device, one marker per precision, the
    y = x line and the widest band of :data:`~edgelab.hardware.validate.BANDS` shaded.

    Seed 003 §III-B. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    p = report.pairs
    devices = sorted(p["device"].unique())
    colors = dict(zip(devices, plt.get_cmap("tab10").colors, strict=False))
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.8), layout="constrained", sharey=True)
    vals = np.concatenate([p["latency_ms"], p["raw_ms"], p["loo_ms"].dropna()])
    lo, hi = float(vals.min()) / 2, float(vals.max()) * 2
    line = np.array([lo, hi])
    band = max(BANDS)
    for ax, col, title in ((axes[0], "raw_ms", "catalog as it is (fp32 peak)"),
                           (axes[1], "loo_ms", "fitted per setup, leave one pair out")):
        ax.fill_between(line, line / band, line * band, color="0.9", label=f"within {band:g}×")
        ax.plot(line, line, "k-", lw=0.8, label="y = x")
        for d in devices:
            for prec, g in p[(p["device"] == d) & p[col].notna()].groupby("precision"):
                ax.scatter(g["latency_ms"], g[col], color=colors[d], s=36,
                           marker=_MARKERS.get(str(prec), "o"), edgecolor="k", linewidth=0.4,
                           label=f"{d} ({prec})")
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), title=title,
               xlabel="measured latency (ms)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("predicted latency (ms)")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[1].legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
