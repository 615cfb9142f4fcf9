"""The early-exit explorer: Edgent's choice of exit and split as the deadline and the bandwidth
move (seed 003 §V-C.3; Edgent [10]).

A thin front end over :func:`edgelab.inference.early_exit.edgent_choose`: a log slider for the
latency deadline, a slider for the bandwidth (log10 Mbit/s) over the grid of an
:func:`~edgelab.inference.early_exit.edgent_latency` search. ``explorer.row`` is the chosen
configuration at the current bandwidth (one row of Edgent's plan), ``explorer.plan`` the plan
over the whole grid; both are computed headless (``draw=False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from edgelab.explorers.base import Explorer
from edgelab.inference.early_exit import EdgentPlan, edgent_choose, plot_edgent


class EarlyExitExplorer(Explorer):
    """Explore Edgent's exit and split as the deadline and the bandwidth change (§V-C.3)."""

    def __init__(self, table: EdgentPlan, exit_accuracy: Sequence[float],
                 deadline_ms: float = 5.0, log10_bw: float = 0.0, *, draw: bool = True) -> None:
        import ipywidgets as w

        self.table = table
        self.exit_accuracy = np.asarray(exit_accuracy, dtype=float)
        self.draw_figures = draw
        lo, hi = np.log10(table.bandwidth_mbps.min()), np.log10(table.bandwidth_mbps.max())
        self.deadline_ms = w.FloatLogSlider(value=deadline_ms, base=10, min=-0.5, max=2,
                                            description="deadline ms", continuous_update=False)
        self.log10_bw = w.FloatSlider(value=float(np.clip(log10_bw, lo, hi)), min=float(lo),
                                      max=float(hi), step=0.1, description="log10 Mbit/s",
                                      continuous_update=False)
        self.output = w.Output()
        self.table_view = w.HTML()
        self.controls = (self.deadline_ms, self.log10_bw)
        self.widget = w.VBox([self.deadline_ms, self.log10_bw, self.table_view, self.output])
        self.plan: pd.DataFrame = pd.DataFrame()
        self.row: pd.DataFrame = pd.DataFrame()
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Edgent's plan at the current deadline and its row at the current bandwidth (§V-C.3)."""
        self.plan = edgent_choose(self.table, self.exit_accuracy,
                                  float(self.deadline_ms.value) / 1e3).to_frame()
        i = int(np.abs(np.log10(self.table.bandwidth_mbps) - self.log10_bw.value).argmin())
        self.row = self.plan.iloc[[i]]
        self.table_view.value = self.row.to_html(index=False)

    def figure(self) -> Any:
        """The chosen exit and accuracy against bandwidth, the current bandwidth marked (§V-C.3)."""
        fig = plot_edgent({float(self.deadline_ms.value) / 1e3: self.plan})
        for ax in fig.axes:
            ax.axvline(float(self.row["bandwidth_mbps"].iloc[0]), color="red", ls=":", lw=1)
        return fig
