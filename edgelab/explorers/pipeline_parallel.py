"""The pipeline explorer: stages and micro-batches of a pipeline-parallel training step (seed 003
§IV-C.4, PipeDream [61]; chapter 15).

A thin front end over :mod:`edgelab.training.pipeline_parallel`: for the current model, number
of stages (copies of one catalog device joined by one catalog link), micro-batches and schedule
it places the stages with the cost model, plays one mini-batch and draws the schedule.
``explorer.result`` holds the numbers (computed headless, ``draw=False``).
"""

from __future__ import annotations

from typing import Any

from edgelab.explorers.base import Explorer
from edgelab.training.pipeline_parallel import (
    SCHEDULES,
    bubble_fraction,
    partition_stages,
    plot_schedule,
    simulate_schedule,
)


def pipeline_step(model: str, device: str, link: str, n_stages: int, n_micro: int,
                  schedule: str, micro_batch: int = 8) -> dict[str, Any]:
    """Plan ``n_stages`` stages of ``model`` and play one mini-batch of ``n_micro`` micro-batches
    (seed 003 §IV-C.4): the plan, the simulated schedule and the closed-form bubble."""
    plan = partition_stages(model, [device] * int(n_stages), link, micro_batch)
    res = simulate_schedule(plan.forward_s, plan.compute_s - plan.forward_s, int(n_micro),
                            schedule, plan.transfer_s / 2)
    return {"plan": plan, "schedule": res, "closed_form_bubble": bubble_fraction(int(n_stages), int(n_micro))}


class PipelineExplorer(Explorer):
    """Explore stages × micro-batches × schedule of a pipeline (seed 003 §IV-C.4)."""

    def __init__(self, model: str = "vgg16", device: str = "t4", link: str = "ethernet",
                 n_stages: int = 4, n_micro: int = 4, schedule: str = "1f1b",
                 micro_batch: int = 8, *, draw: bool = True) -> None:
        import ipywidgets as w

        self.model, self.device, self.link, self.micro_batch = model, device, link, micro_batch
        self.draw_figures = draw
        self.n_stages = w.IntSlider(value=n_stages, min=1, max=4, description="stages",
                                    continuous_update=False)
        self.n_micro = w.IntSlider(value=n_micro, min=1, max=16, description="micro-batches",
                                   continuous_update=False)
        self.schedule = w.Dropdown(options=list(SCHEDULES), value=schedule, description="schedule")
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.n_stages, self.n_micro, self.schedule)
        self.widget = w.VBox([self.n_stages, self.n_micro, self.schedule, self.summary, self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Plan and play the current configuration (seed 003 §IV-C.4)."""
        self.result = pipeline_step(self.model, self.device, self.link, int(self.n_stages.value),
                                    int(self.n_micro.value), str(self.schedule.value),
                                    self.micro_batch)

    def describe(self) -> str:
        """Bottleneck, makespan and bubble as HTML (seed 003 §IV-C.4)."""
        r, p = self.result["schedule"], self.result["plan"]
        return (f"{p.n_stages} × {p.devices[0]} over {p.link}, cuts after layers "
                f"{list(p.cuts[1:-1])}: bottleneck {p.bottleneck_s * 1e3:.1f} ms per micro-batch, "
                f"mini-batch {r.makespan_s * 1e3:.1f} ms, bubble {r.bubble:.1%} "
                f"(equal stages: {self.result['closed_form_bubble']:.1%}), "
                f"at most {r.peak_in_flight} micro-batches of activations held")

    def figure(self) -> Any:
        """The schedule's Gantt chart (seed 003 §IV-C.4)."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 2.8))
        plot_schedule(self.result["schedule"], ax=ax,
                      title=f"{self.model}, {self.schedule.value}: bubble {self.result['schedule'].bubble:.1%}")
        fig.tight_layout()
        return fig
