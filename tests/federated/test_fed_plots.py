"""Figures of chapters 10 and 11 (issue 19): readable panels, integer ticks on counts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from edgelab.explorers.federated import FederatedExplorer, plot_sweep  # noqa: E402
from edgelab.training.federated import Federation, plots  # noqa: E402


def _integer_ticks(axis) -> bool:
    lo, hi = axis.get_view_interval()
    ticks = [t for t in axis.get_ticklocs() if min(lo, hi) <= t <= max(lo, hi)]
    return bool(ticks) and all(float(t).is_integer() for t in ticks)


def test_client_splits_share_one_labelled_client_axis_with_integer_ticks():
    feds = {"IID": Federation.digits(20, "iid", seed=0),
            "Dirichlet α=0.5": Federation.digits(20, "dirichlet", seed=0, alpha=0.5),
            "shards": Federation.digits(20, "shards", seed=0, shards_per_client=2)}
    fig = plots.plot_client_splits({k: f.client_split for k, f in feds.items()})
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 3
    assert [ax.get_ylabel() for ax in panels] == ["client (index)", "", ""]  # labelled once
    assert all(ax.get_xlabel() == "class (digit)" for ax in panels)
    assert all(_integer_ticks(ax.yaxis) for ax in panels)
    fig.canvas.draw()  # constrained layout: no panel's labels run into its neighbour
    boxes = [ax.get_tightbbox(fig.canvas.get_renderer()) for ax in panels]
    assert all(a.x1 <= b.x0 + 1 for a, b in zip(boxes, boxes[1:], strict=False))
    plt.close(fig)


def test_sweep_rounds_have_integer_ticks():
    h = FederatedExplorer(n_clients=10, clients_per_round=3, rounds=7, draw=False).history
    fig = plot_sweep(h)
    assert all(_integer_ticks(ax.xaxis) for ax in fig.axes)
    plt.close(fig)


@pytest.mark.parametrize("end", ["min", "max"])
def test_every_alpha_on_the_slider_runs(end):
    ex = FederatedExplorer(n_clients=50, rounds=2, draw=False)
    ex.set(alpha=10.0 ** getattr(ex.alpha, end))
    assert 0 <= ex.final_accuracy() <= 1


def test_tau_plot_labels_loss_with_plain_numbers():
    import pandas as pd

    runs = {"fixed τ=1": pd.DataFrame({"spent_s": [1.0, 2.0, 3.0], "test_loss": [2.0, 0.9, 0.3]}),
            "adaptive τ": pd.DataFrame({"spent_s": [1.0, 2.0, 3.0], "test_loss": [1.5, 0.6, 0.25]})}
    fig = plots.plot_tau(runs)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels() + ax.get_yticklabels(minor=True) if t.get_text()]
    assert labels and not any("10^" in t or "times" in t for t in labels)
    assert ax.get_xlabel().endswith("(simulated s)") and ax.get_legend() is not None
    plt.close(fig)
