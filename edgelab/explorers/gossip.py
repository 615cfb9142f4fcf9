"""The gossip explorer: a topology, a node count and an algorithm, and how the nodes agree
(seed 003 §IV-C.6, §IV-A.2).

A thin front end over :mod:`edgelab.training.gossip`: for the current controls it draws the
graph (with its spectral gap) and trains digits by gossip for ``steps`` steps in process
(a fraction of a second), showing the consensus distance and the accuracy of the average
model beside all-reduce's. ``explorer.result`` holds the numbers (computed headless,
``draw=False``).
"""

from __future__ import annotations

from typing import Any

from edgelab.explorers.base import Explorer
from edgelab.training.gossip import (
    ALGORITHMS,
    TOPOLOGIES,
    GossipConfig,
    mixing_matrix,
    run_gossip,
    spectral_gap,
    topology,
)


class GossipExplorer(Explorer):
    """Explore topology × nodes × algorithm of gossip training (seed 003 §IV-C.6)."""

    def __init__(self, topology_name: str = "ring", n_nodes: int = 8,
                 algorithm: str = "gossiping_sgd", *, steps: int = 100, seed: int = 0,
                 draw: bool = True) -> None:
        import ipywidgets as w

        self.steps, self.seed = steps, seed
        self.draw_figures = draw
        self.topology = w.Dropdown(options=list(TOPOLOGIES), value=topology_name,
                                   description="topology")
        self.n_nodes = w.IntSlider(value=n_nodes, min=4, max=16, step=2, description="nodes",
                                   continuous_update=False)
        self.algorithm = w.Dropdown(options=[a for a in ALGORITHMS if a != "allreduce"],
                                    value=algorithm, description="algorithm")
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.topology, self.n_nodes, self.algorithm)
        self.widget = w.VBox([w.HBox([self.topology, self.n_nodes, self.algorithm]),
                              self.summary, self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Build the graph and run the algorithm and all-reduce (seed 003 §IV-C.6)."""
        n, name = int(self.n_nodes.value), str(self.topology.value)
        g = topology(name, n, degree=3 if n % 2 == 0 else 2, seed=self.seed)
        cfg = GossipConfig(algorithm=str(self.algorithm.value), topology=name, n_nodes=n,
                           steps=self.steps, eval_every=5, degree=3 if n % 2 == 0 else 2, p=0.5,
                           tau=2)
        run = run_gossip(cfg, seed=self.seed, graph=g)
        ref = run_gossip(GossipConfig(algorithm="allreduce", n_nodes=n, steps=self.steps,
                                      eval_every=5), seed=self.seed)
        self.result = {"graph": g, "gap": spectral_gap(mixing_matrix(g)), "run": run, "ref": ref,
                       "accuracy": run.accuracy, "allreduce_accuracy": ref.accuracy,
                       "consensus": float(run.history["consensus"].iloc[-1]),
                       "busiest_bytes_per_step": run.busiest_bytes_per_step}

    def describe(self) -> str:
        """The current accuracy, consensus and traffic as HTML (seed 003 §IV-C.6)."""
        r = self.result
        return (f"spectral gap {r['gap']:.3f}; accuracy {100 * r['accuracy']:.1f}% "
                f"(all-reduce {100 * r['allreduce_accuracy']:.1f}%), consensus distance "
                f"{r['consensus']:.3g}, busiest node {r['busiest_bytes_per_step'] / 1e3:.1f} kB per step")

    def figure(self) -> Any:
        """The graph, and consensus distance and accuracy against steps (seed 003 §IV-C.6)."""
        import matplotlib.pyplot as plt
        import networkx as nx

        r = self.result
        fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(11, 3.3))
        nx.draw_circular(r["graph"], ax=a0, node_size=120, with_labels=True, font_size=7)
        a0.set_title(f"{self.topology.value}, gap {r['gap']:.2f}")
        h, hr = r["run"].history, r["ref"].history
        a1.plot(h["step"], h["consensus"], label=str(self.algorithm.value))
        a1.set_xlabel("step")
        a1.set_ylabel("consensus distance (L2)")
        a1.legend(fontsize=8)
        a2.plot(h["step"], 100 * h["accuracy"], label=str(self.algorithm.value))
        a2.plot(hr["step"], 100 * hr["accuracy"], "k--", label="all-reduce")
        a2.set_xlabel("step")
        a2.set_ylabel("test accuracy (%)")
        a2.legend(fontsize=8)
        fig.tight_layout()
        return fig
