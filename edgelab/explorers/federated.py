"""The federated explorer: non-IID-ness, participation and local work against accuracy and bytes.

Seed 003 §IV-C.1 (FedAvg on unbalanced, non-IID clients): a log slider for the Dirichlet α of
the client split (small α: each client sees few classes), sliders for the clients sampled per
round and the local epochs. Each change re-runs one FedAvg simulation
(:func:`edgelab.training.federated.experiments.sweep`, about a second) and redraws test accuracy
and cumulative bytes against rounds. A thin front end: every number comes from
:mod:`edgelab.training.federated`.

Every control is a public attribute; ``explorer.history`` is the current run's history, so a
test can drive it headlessly (``draw=False``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from edgelab.explorers.base import Explorer
from edgelab.training.federated.experiments import sweep

__all__ = ["FederatedExplorer", "plot_sweep"]


def plot_sweep(history: pd.DataFrame, ax_acc: Any = None, ax_bytes: Any = None,
               label: str = "") -> Any:
    """Accuracy per round and cumulative MB per round of one :func:`sweep` history (seed 003
    §IV-C.1). Draws into ``ax_acc`` and ``ax_bytes`` if given, else a new figure; returns it."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if ax_acc is None or ax_bytes is None:
        _, (ax_acc, ax_bytes) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    ax_acc.plot(history["round"], history["accuracy"], marker=".", label=label or None)
    ax_acc.set(xlabel="round", ylabel="test accuracy", ylim=(0, 1))
    ax_bytes.plot(history["round"], history["cum_bytes"] / 1e6, marker=".", label=label or None)
    ax_bytes.set(xlabel="round", ylabel="MB sent (up + down)")
    for ax in (ax_acc, ax_bytes):  # rounds are counts: integer ticks
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax_acc.figure


class FederatedExplorer(Explorer):
    """Explore FedAvg on Dirichlet(α) clients as α, participation and local epochs change (§IV-C.1).

    ``n_clients`` clients, ``rounds`` rounds per run, ``seed`` for the split and the run. The
    controls are ``alpha`` (log scale), ``clients_per_round`` and ``local_epochs``; ``history``
    is the current run's per-round table (``round``, ``accuracy``, ``cum_bytes``, ...).
    """

    def __init__(self, alpha: float = 0.5, clients_per_round: int = 10, local_epochs: int = 1,
                 *, n_clients: int = 50, rounds: int = 15, seed: int = 0,
                 draw: bool = True) -> None:
        import ipywidgets as w

        self.n_clients, self.rounds, self.seed = int(n_clients), int(rounds), int(seed)
        self.draw_figures = draw
        self.alpha = w.FloatLogSlider(value=alpha, base=10, min=-1, max=2, step=0.25,
                                      description="α", continuous_update=False)
        self.clients_per_round = w.IntSlider(value=min(int(clients_per_round), self.n_clients),
                                             min=1, max=self.n_clients,
                                             description="clients/round",
                                             continuous_update=False)
        self.local_epochs = w.IntSlider(value=local_epochs, min=1, max=10,
                                        description="local epochs", continuous_update=False)
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.alpha, self.clients_per_round, self.local_epochs)
        self.widget = w.VBox([w.HBox(list(self.controls)), self.summary, self.output])
        self.history: pd.DataFrame = pd.DataFrame()
        self.start()

    def compute(self) -> None:
        """Run FedAvg with the current controls and keep its history (no drawing) (§IV-C.1)."""
        self.history = sweep(float(self.alpha.value), int(self.clients_per_round.value),
                             int(self.local_epochs.value), n_clients=self.n_clients,
                             rounds=self.rounds, seed=self.seed)
        self.summary.value = f"<b>{self.title()}</b>"

    def final_accuracy(self) -> float:
        """Test accuracy after the last round of the current run (seed 003 §IV-C.1)."""
        return float(self.history["accuracy"].iloc[-1])

    def total_mb(self) -> float:
        """Megabytes sent up and down over the whole current run (seed 003 §IV-C.1)."""
        return float(self.history["cum_bytes"].iloc[-1]) / 1e6

    def title(self) -> str:
        """One line on the current run: final accuracy and bytes (seed 003 §IV-C.1)."""
        return f"final accuracy {self.final_accuracy():.3f}, {self.total_mb():.1f} MB"

    def figure(self) -> Any:
        """Accuracy and cumulative MB against rounds for the current run (seed 003 §IV-C.1)."""
        fig = plot_sweep(self.history, label=f"α={float(self.alpha.value):.2g}")
        fig.suptitle(self.title(), fontsize=10)
        return fig
