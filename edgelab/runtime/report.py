"""What the chapter shows of a sweep (seed 003 §V-C.2): the plot of measured against predicted
over bandwidth per split, the crossover of the predicted curves, and what the model misses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edgelab.hardware.specs import Device
from edgelab.runtime.measure import Emulation, predicted_only

__all__ = ["pick_splits", "crossover", "misses", "plot_measured_vs_predicted"]


def pick_splits(em: Emulation, k: int = 4) -> list[int]:
    """Up to ``k`` splits to draw: all on the server, all on the device, and the offloading
    splits of smallest and largest uplink (seed 003 §V-C.2)."""
    r = em.rows
    n = int(r["split"].max())
    off = r[(r["split"] < n) & (r["split"] > 0)].groupby("split")["uplink_bytes"].first()
    pick = [0, n]
    if len(off):
        pick += [int(off.idxmin()), int(off.idxmax())]
    return sorted(set(pick))[:k]


def crossover(model: str, link: str, device: Device, lo: float = 0.5, hi: float = 200.0,
              n: int = 60) -> pd.DataFrame:
    """Where the predicted best *offloading* split (``k < n_layers``) changes over a log grid of
    bandwidths (Mbit/s): one row per run of the same best split, with its bandwidth range
    (seed 003 §V-C.2: the best split moves with bandwidth)."""
    grid = np.geomspace(lo, hi, n)
    p = predicted_only(model, link, list(grid), device)
    nl = int(p["split"].max())
    best = (p[p["split"] < nl].sort_values(["bandwidth_mbps", "predicted_s", "split"])
            .groupby("bandwidth_mbps", sort=True).first().reset_index())
    local = float(p.loc[p["split"] == nl, "predicted_s"].iloc[0])
    runs = (best["split"] != best["split"].shift()).cumsum()
    out = best.groupby(runs).agg(split=("split", "first"), from_mbps=("bandwidth_mbps", "min"),
                                 to_mbps=("bandwidth_mbps", "max"),
                                 latency_s=("predicted_s", "min"))
    out["all_on_device_s"] = local
    return out.reset_index(drop=True)


def misses(em: Emulation) -> pd.DataFrame:
    """Per bandwidth, the median over offloading splits of: measured - predicted (the
    model's miss), the serialisation term, and the compute the two processes measured against
    what the model predicts for it (seed 003 §V-C.2)."""
    r = em.rows[em.rows["uplink_bytes"] > 0].copy()
    r["miss_s"] = r["measured_s"] - r["predicted_s"]
    return (r.groupby("bandwidth_mbps", sort=True)
            .agg(points=("split", "size"), median_error=("error", "median"),
                 median_miss_s=("miss_s", "median"), median_serialise_s=("serialise_s", "median"),
                 median_compute_s=("device_s", "median"))
            .reset_index())


def plot_measured_vs_predicted(em: Emulation, splits: list[int] | None = None) -> Any:
    """Measured (markers, median of the repeats, bars: IQR) against predicted (lines) latency
    over bandwidth, one colour per split (seed 003 §V-C.2)."""
    import matplotlib.pyplot as plt

    splits = pick_splits(em) if splits is None else splits
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, k in enumerate(splits):
        g = em.rows[em.rows["split"] == k].sort_values("bandwidth_mbps")
        c = f"C{i}"
        ax.plot(g["bandwidth_mbps"], g["predicted_s"] * 1e3, "--", color=c,
                label=f"split {k}: predicted")
        ax.errorbar(g["bandwidth_mbps"], g["measured_s"] * 1e3, yerr=g["iqr_s"] * 1e3 / 2,
                    fmt="o", color=c, label=f"split {k}: measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bandwidth (Mbit/s)")
    ax.set_ylabel("end-to-end latency (ms)")
    ax.set_title(f"{em.model} over an emulated {em.link} link")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
