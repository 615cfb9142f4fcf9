"""Explorers for the chapters: thin ipywidgets front ends over edgelab's functions.

:class:`LevelsExplorer` plays with seed 003 §III-B (Fig. 7): move the device<->edge bandwidth
(log scale, 0.1 Mbit/s to 10 Gbit/s), pick the device class, edge node, cloud, link and model,
select an EI level and an objective, and see the KPI bars per level and latency against
bandwidth per level with the current point marked.

A subclass of :class:`edgelab.explorers.base.Explorer`. Every control is a public attribute,
so a test can set values headlessly and read what was computed (``explorer.result``,
``explorer.curves``, ``explorer.best_level``). Compute per
update is small: the bandwidth sweep is cached until a dropdown changes, and a bandwidth move
evaluates one point (see ``tests/benchmarks/bench_widgets.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edgelab import levels
from edgelab.explorers.base import Explorer
from edgelab.hardware.catalog import device_names, get_link, link_names
from edgelab.hardware.profile import zoo_names

__all__ = ["LevelsExplorer", "OBJECTIVES", "BANDWIDTH_MIN_MBPS", "BANDWIDTH_MAX_MBPS",
           "DEADLINE_S"]

#: objective label -> (column of levels.evaluate, axis label, better when lower)
OBJECTIVES: dict[str, tuple[str, str]] = {
    "latency": ("infer_latency_s", "inference latency per request (s)"),
    "energy": ("infer_device_energy_j", "device energy per request (J)"),
    "WAN bytes": ("wan_bytes", "WAN bytes (training + requests over the horizon)"),
    "privacy": ("raw_bytes_out", "raw bytes leaving the device (training + requests)"),
}
BANDWIDTH_MIN_MBPS = 0.1
BANDWIDTH_MAX_MBPS = 10_000.0
DEADLINE_S = 0.1  # seed 003 §V-B.1: "stringent deadline requirement such as 100-ms latency"


class LevelsExplorer(Explorer):
    """The EI levels explorer (seed 003 §III-B, Fig. 7; KPIs of §IV-B and §V-B).

    ``draw=False`` skips matplotlib (headless tests, benchmarks; ``draw_figures`` turns it
    back on). ``n_points`` is the size of the bandwidth grid of the latency-vs-bandwidth plot.
    """

    def __init__(self, scenario: levels.Scenario | None = None, *, n_points: int = 80,
                 draw: bool = True) -> None:
        import ipywidgets as w

        sc = scenario or levels.Scenario()
        for name in ("device", "edge", "cloud", "link"):
            if not isinstance(getattr(sc, name), str):
                raise ValueError(f"LevelsExplorer needs catalog names; scenario.{name} is an object")
        self._base = sc
        self.draw_figures = draw
        self.grid_mbps = np.logspace(np.log10(BANDWIDTH_MIN_MBPS), np.log10(BANDWIDTH_MAX_MBPS),
                                     int(n_points))
        start_bw = sc.bandwidth_mbps or get_link(sc.link).uplink_mbps
        start_bw = float(np.clip(start_bw, BANDWIDTH_MIN_MBPS, BANDWIDTH_MAX_MBPS))
        self.bandwidth = w.FloatLogSlider(
            value=start_bw, base=10, min=np.log10(BANDWIDTH_MIN_MBPS),
            max=np.log10(BANDWIDTH_MAX_MBPS), step=0.05, description="Mbit/s",
            continuous_update=False, readout_format=".3g")
        self.device = w.Dropdown(options=device_names(), value=sc.device, description="device")
        self.edge = w.Dropdown(options=device_names(), value=sc.edge, description="edge")
        self.cloud = w.Dropdown(options=device_names(), value=sc.cloud, description="cloud")
        self.link = w.Dropdown(options=link_names(), value=sc.link, description="link")
        self.model = w.Dropdown(options=zoo_names(), value=sc.model, description="model")
        self.level = w.ToggleButtons(options=list(levels.LEVEL_IDS), value="L2",
                                     description="level", style={"button_width": "44px"})
        self.objective = w.Dropdown(options=list(OBJECTIVES), value="latency",
                                    description="objective")
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.bandwidth, self.device, self.edge, self.cloud, self.link,
                         self.model, self.level, self.objective)
        self.widget = w.VBox([
            w.HBox([self.model, self.device, self.link]),
            w.HBox([self.edge, self.cloud, self.objective]),
            self.bandwidth, self.level, self.summary, self.output,
        ])
        self.result: pd.DataFrame = pd.DataFrame()
        self.curves: dict[str, np.ndarray] = {}
        self.best_level: str = ""
        self._curve_key: tuple[Any, ...] | None = None
        self.start()

    # ------------------------------------------------------------------ state
    @property
    def scenario(self) -> levels.Scenario:
        """The scenario the controls describe now (seed 003 §III-B)."""
        return self._base.replace(model=self.model.value, device=self.device.value,
                                  edge=self.edge.value, cloud=self.cloud.value,
                                  link=self.link.value, bandwidth_mbps=float(self.bandwidth.value))

    # ------------------------------------------------------------------ compute + draw
    def compute(self) -> None:
        """Recompute ``result``, ``curves`` (cached sweep) and ``best_level`` (seed 003 §III-B)."""
        sc = self.scenario
        self.result = levels.evaluate(sc)
        key = (sc.replace(bandwidth_mbps=None), self.grid_mbps.size)
        if key != self._curve_key:
            sw = levels.sweep_bandwidth(sc.replace(bandwidth_mbps=None), self.grid_mbps,
                                        columns=["infer_latency_s", "feasible"])
            shape = (len(levels.LEVEL_IDS), self.grid_mbps.size)  # level-major rows
            self.curves = {"bandwidth_mbps": self.grid_mbps,
                           "latency_s": sw["infer_latency_s"].to_numpy(float).reshape(shape),
                           "feasible": sw["feasible"].to_numpy(bool).reshape(shape)}
            self._curve_key = key
        col = OBJECTIVES[self.objective.value][0]
        vals = self.result[col].where(self.result["feasible"], np.inf)
        self.best_level = str(self.result["level"].iloc[int(np.argmin(vals.to_numpy()))])

    def describe(self) -> str:
        """The summary line of the selected level (seed 003 §III-B, Fig. 7)."""
        row = self.result.set_index("level").loc[self.level.value]
        flag = "" if row["feasible"] else " <b>(infeasible: does not fit the device)</b>"
        breaks = f"; claim breaks here: {row['claim_breaks']}" if row["claim_breaks"] else ""
        return (
            f"<b>{self.level.value}</b> {row['name']}{flag}: {row['where']}<br>"
            f"latency {row['infer_latency_s'] * 1e3:.1f} ms, device energy "
            f"{row['infer_device_energy_j'] * 1e3:.1f} mJ per request; "
            f"best level for {self.objective.value}: <b>{self.best_level}</b>{breaks}")

    def figure(self) -> Any:
        """A new figure: KPI bars per level, latency vs bandwidth per level (seed 003 §III-B)."""
        import matplotlib.pyplot as plt

        col, label = OBJECTIVES[self.objective.value]
        df = self.result
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(df)))
        bars = ax1.bar(df["level"], df[col].clip(lower=1e-12), color=colors)
        for b, lv, ok in zip(bars, df["level"], df["feasible"], strict=True):
            if not ok:
                b.set_hatch("//")
                b.set_alpha(0.4)
            if lv == self.level.value:
                b.set_edgecolor("red")
                b.set_linewidth(2.5)
        ax1.set_yscale("log")
        ax1.set_ylabel(label, fontsize=8)
        ax1.set_title(f"{self.objective.value} per level (best: {self.best_level})", fontsize=9)
        bw = self.curves["bandwidth_mbps"]
        for i, lv in enumerate(levels.LEVEL_IDS):
            lw = 2.8 if lv == self.level.value else 1.2
            ax2.loglog(bw, self.curves["latency_s"][i], color=colors[i], lw=lw, label=lv)
            ax2.plot([self.bandwidth.value], [df["infer_latency_s"].iloc[i]], "o", color=colors[i])
        ax2.axvline(self.bandwidth.value, color="grey", ls=":", gid="current-bandwidth")
        ax2.axhline(DEADLINE_S, color="red", ls="--", lw=0.8)
        ax2.text(bw[0], DEADLINE_S * 1.1, "100 ms", color="red", fontsize=7)
        ax2.set_xlabel("device<->edge bandwidth (Mbit/s)")
        ax2.set_ylabel("latency per request (s)")
        ax2.set_title(f"{self.model.value} on {self.device.value}, edge {self.edge.value}",
                      fontsize=9)
        ax2.legend(fontsize=7, ncol=2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.92, wspace=0.25)
        return fig
