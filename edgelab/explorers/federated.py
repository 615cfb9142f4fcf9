"""The federated explorer widget (seed 003 §IV-C.1): α, clients per round, local epochs →
accuracy and bytes curves. Thin: it calls :func:`edgelab.training.federated.experiments.sweep`."""

from __future__ import annotations

from typing import Any

__all__ = ["explorer", "plot_sweep"]


def plot_sweep(history: Any, ax_acc: Any = None, ax_bytes: Any = None, label: str = "") -> Any:
    """Accuracy per round and cumulative MB per round of one :func:`sweep` history (seed 003 §IV-C.1)."""
    import matplotlib.pyplot as plt

    if ax_acc is None or ax_bytes is None:
        _, (ax_acc, ax_bytes) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax_acc.plot(history["round"], history["accuracy"], marker=".", label=label or None)
    ax_acc.set(xlabel="round", ylabel="test accuracy", ylim=(0, 1))
    ax_bytes.plot(history["round"], history["cum_bytes"] / 1e6, marker=".", label=label or None)
    ax_bytes.set(xlabel="round", ylabel="MB sent (up + down)")
    return ax_acc.figure


def explorer(n_clients: int = 50, rounds: int = 15, seed: int = 0) -> Any:
    """An ipywidgets explorer of FedAvg on Dirichlet(α) clients (seed 003 §IV-C.1).

    Sliders: α (log scale: small = non-IID), clients per round, local epochs. Each change
    re-runs :func:`~edgelab.training.federated.experiments.sweep` (about a second) and redraws accuracy
    and bytes against rounds.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from edgelab.training.federated.experiments import sweep

    alpha = w.FloatLogSlider(value=0.5, base=10, min=-2, max=2, step=0.25, description="α",
                             continuous_update=False)
    per_round = w.IntSlider(value=10, min=1, max=n_clients, description="clients/round",
                            continuous_update=False)
    epochs = w.IntSlider(value=1, min=1, max=10, description="local epochs",
                         continuous_update=False)
    out = w.Output()

    def redraw(*_: Any) -> None:
        with out:
            out.clear_output(wait=True)
            h = sweep(alpha.value, per_round.value, epochs.value, n_clients=n_clients,
                      rounds=rounds, seed=seed)
            fig = plot_sweep(h, label=f"α={alpha.value:.2g}")
            fig.suptitle(f"final accuracy {h['accuracy'].iloc[-1]:.3f}, "
                         f"{h['cum_bytes'].iloc[-1] / 1e6:.1f} MB", fontsize=10)
            plt.show()

    for c in (alpha, per_round, epochs):
        c.observe(redraw, names="value")
    box = w.VBox([w.HBox([alpha, per_round, epochs]), out])
    display(box)
    redraw()
    return box
