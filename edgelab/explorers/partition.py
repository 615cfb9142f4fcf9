"""The partition explorer: where to cut a network, as bandwidth, device and deadline move.

Seed 003 §V-C.2 (model partition, Fig. 13) and Table 4 (Neurosurgeon): sliders for the
bandwidth (log scale), the device class and the latency deadline, dropdowns for the model, the
server, the link and the objective. It shows the chosen split (:func:`edgelab.inference.partition.
best_split` with the deadline) and a plot of each layer's latency on the device and on the
server, the transfer time of cutting after each layer, and the end-to-end latency of every
split with the deadline. A thin front end: every number comes from :mod:`edgelab.inference.partition`.

Every control is a public attribute; ``explorer.choice`` is the current
:class:`~edgelab.inference.partition.Plan`, so a test can drive it headlessly (``draw=False``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from edgelab.explorers.base import Explorer
from edgelab.hardware.catalog import device_names, get_link, link_names
from edgelab.hardware.cost import layer_latency_grid
from edgelab.hardware.profile import Profile, profile_model
from edgelab.inference.partition import Plan, best_split
from edgelab.models import list_models

BANDWIDTH_MIN_MBPS = 0.01
BANDWIDTH_MAX_MBPS = 10_000.0


class PartitionExplorer(Explorer):
    """Explore Neurosurgeon's split as bandwidth, device class and deadline change (§V-C.2)."""

    def __init__(self, model: str = "alexnet", device: str = "rpi4", server: str = "t4",
                 link: str = "4g", bandwidth_mbps: float = 10.0, deadline_ms: float = 100.0,
                 *, draw: bool = True) -> None:
        import ipywidgets as w

        self.draw_figures = draw
        lo, hi = np.log10(BANDWIDTH_MIN_MBPS), np.log10(BANDWIDTH_MAX_MBPS)
        self.bandwidth = w.FloatLogSlider(value=float(np.clip(bandwidth_mbps, 10 ** lo, 10 ** hi)),
                                          base=10, min=lo, max=hi, step=0.05,
                                          description="Mbit/s", continuous_update=False,
                                          readout_format=".3g")
        self.device = w.SelectionSlider(options=device_names(), value=device,
                                        description="device", continuous_update=False)
        self.deadline = w.FloatLogSlider(value=deadline_ms, base=10, min=0, max=4, step=0.05,
                                         description="deadline ms", continuous_update=False,
                                         readout_format=".3g")
        self.model = w.Dropdown(options=list_models(), value=model, description="model")
        self.server = w.Dropdown(options=device_names(), value=server, description="server")
        self.link = w.Dropdown(options=link_names(), value=link, description="link")
        self.objective = w.Dropdown(options=["latency", "energy"], value="latency",
                                    description="objective")
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.bandwidth, self.device, self.deadline, self.model, self.server,
                         self.link, self.objective)
        self.widget = w.VBox([w.HBox([self.model, self.server, self.link, self.objective]),
                              self.device, self.bandwidth, self.deadline, self.summary,
                              self.output])
        self.choice: Plan | None = None
        self.profile: Profile | None = None
        self.layer_s: np.ndarray = np.zeros((2, 0))
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Recompute the chosen split, the per-layer latencies and the summary line (seed 003
        §V-C.2); no drawing."""
        self.profile = profile_model(self.model.value)
        link = get_link(self.link.value, float(self.bandwidth.value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # shown in the summary instead
            self.choice = best_split(self.profile, self.device.value, self.server.value, link,
                                     None, self.objective.value,
                                     deadline_s=float(self.deadline.value) / 1e3)
        self.layer_s = layer_latency_grid(self.profile, [self.device.value, self.server.value])
        c = self.choice
        k = int(c.split)
        where = ("all on the server" if k == 0 else "all on the device" if k == c.n_layers
                 else f"first {k} of {c.n_layers} layers on the device, cut after "
                      f"<code>{self.profile.table['layer'].iloc[k - 1]}</code>")
        flag = ("" if c.meets_deadline else
                f"<br><b style='color:#b00'>{c.note}</b>")
        self.summary.value = (f"<b>split {k}</b>: {where}; latency {c.latency_s * 1e3:.3g} ms, "
                              f"device energy {c.device_energy_j * 1e3:.3g} mJ, sends "
                              f"{c.uplink_bytes / 1e3:.3g} kB{flag}")

    def figure(self) -> Any:
        """Per-layer latency and transfer time, and latency per split (seed 003 §V-C.2)."""
        import matplotlib.pyplot as plt

        c, p = self.choice, self.profile
        assert c is not None and p is not None
        n = p.n_layers
        ks = np.arange(n + 1)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
        x = np.arange(n)
        ax1.bar(x - 0.2, self.layer_s[0] * 1e3, 0.4, label=f"layer on {self.device.value}")
        ax1.bar(x + 0.2, self.layer_s[1] * 1e3, 0.4, label=f"layer on {self.server.value}")
        tr = np.where(c.costs.transfer_s[0] > 0, c.costs.transfer_s[0] * 1e3, np.nan)
        ax1.plot(ks - 0.5, tr, "k.-", lw=1,
                 label="transfer if cut here")
        ax1.axvline(c.split - 0.5, color="red", ls="--", lw=1.5, label=f"chosen split {c.split}")
        ax1.set_yscale("log")
        ax1.set_xlabel("layer (topological order)")
        ax1.set_ylabel("ms")
        ax1.set_title(f"{p.name}: per-layer latency and transfer time", fontsize=9)
        ax1.legend(fontsize=7)
        ax2.plot(ks, c.costs.latency_s[0] * 1e3, "o-", ms=3, label="end-to-end latency")
        ax2.axhline(self.deadline.value, color="red", ls=":", lw=1, label="deadline")
        ax2.plot([c.split], [c.latency_s * 1e3], "r*", ms=12)
        ax2.set_yscale("log")
        ax2.set_xlabel("split k (layers on the device)")
        ax2.set_ylabel("ms")
        ax2.set_title(f"{self.device.value} | {self.link.value} @ {self.bandwidth.value:.3g} "
                      f"Mbit/s | {self.server.value}", fontsize=9)
        ax2.legend(fontsize=7)
        fig.tight_layout()
        return fig
