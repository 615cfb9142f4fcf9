"""The model-selection and tenancy explorer: big/little's confidence threshold and the
compute budget of a multi-tenant device (seed 003 §V-C.6, §V-C.7).

A thin front end over :mod:`edgelab.inference.model_selection` and
:mod:`edgelab.inference.multi_tenancy`: for the current threshold it runs big/little on the
zoo's stored outputs (no inference: it answers at once) and for the current compute budget it
solves the tenants' allocation greedily and exactly. ``explorer.result`` holds the numbers
(computed headless, ``draw=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelab.explorers.base import Explorer
from edgelab.inference.model_selection import ZooOutputs, big_little, big_little_sweep
from edgelab.inference.multi_tenancy import (
    NoFeasibleAllocation,
    TenancyProblem,
    solve_greedy,
    solve_milp,
)


def tenancy_at(problem: TenancyProblem, compute_budget: float) -> dict[str, float]:
    """Greedy and exact mean accuracy of ``problem`` at another compute budget; NaN where no
    allocation fits (seed 003 §V-C.7)."""
    q = TenancyProblem(problem.tenants, problem.options, problem.stem_s, problem.stem_bytes,
                       float(compute_budget), problem.memory_budget_bytes)
    try:
        return {"greedy": solve_greedy(q).accuracy, "optimal": solve_milp(q).accuracy}
    except NoFeasibleAllocation:
        return {"greedy": float("nan"), "optimal": float("nan")}


class VideoSelectionExplorer(Explorer):
    """Explore big/little's threshold and a multi-tenant device's compute budget
    (seed 003 §V-C.6, §V-C.7)."""

    def __init__(self, outputs: ZooOutputs, problem: TenancyProblem, little: str, big: str,
                 threshold: float = 0.8, budget_share: float = 1.0, *, draw: bool = True) -> None:
        import ipywidgets as w

        self.outputs, self.problem = outputs, problem
        self.draw_figures = draw
        self.curve = big_little_sweep(outputs, little, big, np.linspace(0, 1, 21))
        self.budgets = problem.compute_budget * np.geomspace(0.25, 4.0, 9)
        self.little = w.Dropdown(options=list(outputs.names), value=little, description="little")
        self.big = w.Dropdown(options=list(outputs.names), value=big, description="big")
        self.threshold = w.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.05,
                                       description="threshold", continuous_update=False)
        self.budget_share = w.FloatLogSlider(value=budget_share, base=2, min=-2, max=2, step=0.25,
                                             description="budget ×", continuous_update=False)
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.little, self.big, self.threshold, self.budget_share)
        self.widget = w.VBox([self.little, self.big, self.threshold, self.budget_share,
                              self.summary, self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Big/little at the threshold, the allocation at the budget (seed 003 §V-C.6-7)."""
        lit, big = str(self.little.value), str(self.big.value)
        self.curve = big_little_sweep(self.outputs, lit, big, np.linspace(0, 1, 21))
        bl = big_little(self.outputs, lit, big, float(self.threshold.value))
        budget = self.problem.compute_budget * float(self.budget_share.value)
        self.result = {"big_little": bl, "budget": budget, **tenancy_at(self.problem, budget)}

    def describe(self) -> str:
        """The current accuracy, latency and allocation as HTML (seed 003 §V-C.6-7)."""
        bl, r = self.result["big_little"], self.result
        ten = ("no allocation fits" if np.isnan(r["optimal"]) else
               f"greedy {100 * r['greedy']:.1f}%, optimal {100 * r['optimal']:.1f}%")
        return (f"big/little: accuracy {100 * bl.accuracy:.1f}%, {bl.latency_s * 1e6:.0f} µs per "
                f"input (cost model), big model asked for {bl.big_share:.0%}; tenants at "
                f"{r['budget'] * 1e3:.2f} ms/s of compute: {ten}")

    def figure(self) -> Any:
        """Accuracy against latency of big/little, and tenant accuracy against budget."""
        import matplotlib.pyplot as plt

        bl, out = self.result["big_little"], self.outputs
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
        a1.plot(self.curve["latency_s"] * 1e6, 100 * self.curve["accuracy"], "-", color="grey",
                label="big/little, all thresholds")
        a1.plot(out.latency_s * 1e6, 100 * out.accuracy, "s", color="tab:blue", label="single models")
        a1.plot([bl.latency_s * 1e6], [100 * bl.accuracy], "o", color="tab:red", ms=9,
                label=f"threshold {bl.threshold:.2f}")
        a1.set_xlabel(f"latency per input (µs, cost model, {out.device})")
        a1.set_ylabel("accuracy (%)")
        a1.legend(fontsize=7)
        pts = [tenancy_at(self.problem, b) for b in self.budgets]
        a2.plot(self.budgets * 1e3, [100 * p["optimal"] for p in pts], "o-", label="optimal (MILP)")
        a2.plot(self.budgets * 1e3, [100 * p["greedy"] for p in pts], "x--", label="greedy")
        a2.axvline(self.result["budget"] * 1e3, color="tab:red", lw=1, label="current budget")
        a2.set_xscale("log")
        a2.set_xlabel("compute budget (ms of device time per s)")
        a2.set_ylabel("mean tenant accuracy (%)")
        a2.legend(fontsize=7)
        fig.tight_layout()
        return fig
