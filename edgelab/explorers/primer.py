"""The energy-split explorer of chapter 02: weight reuse and on-chip traffic move AlexNet's split.

Seed 003 §V-C.1 (model compression; the energy argument of its reference [72]: in AlexNet the
convolutional layers dominate the energy while the fully connected layers hold most of the
weights) over the models of §II-D. Move the batch (images that share one fetch of the weights
from DRAM) and the on-chip operand reads per MAC; the explorer shows the energy per image and
the conv / FC shares of MACs, weights and energy, from :func:`edgelab.primer.conv_fc_shares`.

:class:`EnergySplitExplorer` is a subclass of :class:`edgelab.explorers.base.Explorer`,
testable headless (``draw=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from edgelab import primer
from edgelab.explorers.base import Explorer

__all__ = ["EnergySplit", "energy_split", "EnergySplitExplorer"]


@dataclass(frozen=True)
class EnergySplit:
    """Energy per image of a model and the conv / FC shares (seed 003 §V-C.1)."""

    model: str
    batch: int
    sram_reads_per_mac: float
    energy_per_image_j: float
    conv_energy_share: float
    fc_energy_share: float
    fc_weight_share: float
    shares: pd.DataFrame

    def line(self) -> str:
        """One line of text: the energy per image and where it goes."""
        return (f"energy per image {self.energy_per_image_j * 1e3:.1f} mJ; conv "
                f"{self.conv_energy_share:.0%}, FC {self.fc_energy_share:.0%} of it; FC hold "
                f"{self.fc_weight_share:.0%} of the weights")


def energy_split(model: str = "alexnet", batch: int = 1,
                 sram_reads_per_mac: float = 2.0) -> EnergySplit:
    """The modelled energy per image and its conv / FC split (seed 003 §V-C.1, [72])."""
    s = primer.conv_fc_shares(model, batch=batch, sram_reads_per_mac=sram_reads_per_mac)
    return EnergySplit(model=model, batch=int(batch), sram_reads_per_mac=float(sram_reads_per_mac),
                       energy_per_image_j=float(s["energy_j"].sum()),
                       conv_energy_share=float(s.at["conv", "energy"]),
                       fc_energy_share=float(s.at["fc", "energy"]),
                       fc_weight_share=float(s.at["fc", "weights"]), shares=s)


class EnergySplitExplorer(Explorer):
    """Explore how batch and on-chip reads move a model's conv / FC energy split (§V-C.1).

    ``max_batch`` is the top of the batch slider; ``draw=False`` skips matplotlib (headless
    tests). ``split`` is the current :class:`EnergySplit`.
    """

    def __init__(self, model: str = "alexnet", *, batch: int = 1, sram_reads_per_mac: float = 2.0,
                 max_batch: int = 64, draw: bool = True) -> None:
        import ipywidgets as w

        self.model = model
        self.draw_figures = draw
        self.batch = w.IntSlider(value=batch, min=1, max=int(max_batch), description="batch")
        self.sram_reads_per_mac = w.FloatSlider(value=sram_reads_per_mac, min=0.0, max=8.0,
                                                step=0.5, description="SRAM reads/MAC")
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.batch, self.sram_reads_per_mac)
        self.widget = w.VBox([w.HBox([self.batch, self.sram_reads_per_mac]), self.summary,
                              self.output])
        self.split: EnergySplit | None = None
        self.start()

    def compute(self) -> None:
        """Recompute ``split`` for the current batch and reads per MAC (seed 003 §V-C.1)."""
        self.split = energy_split(self.model, int(self.batch.value),
                                  float(self.sram_reads_per_mac.value))

    def describe(self) -> str:
        """The current split as one line of HTML (seed 003 §V-C.1)."""
        assert self.split is not None
        return f"<pre>{self.split.line()}</pre>"

    def figure(self) -> Any:
        """Stacked shares of MACs, weights and energy of conv / FC / other layers (§V-C.1)."""
        s = self.split
        assert s is not None
        return primer.plot_conv_fc_shares(
            s.shares, title=f"{self.model}, batch {s.batch}, {s.sram_reads_per_mac:g} reads/MAC")
