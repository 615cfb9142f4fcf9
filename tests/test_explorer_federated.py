"""The federated explorer, headless: move the controls, check the run and the figure (seed 003 §IV-C.1)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from edgelab.explorers.base import Explorer  # noqa: E402
from edgelab.explorers.federated import FederatedExplorer, plot_sweep  # noqa: E402
from edgelab.training.federated.experiments import sweep  # noqa: E402

SMALL = {"n_clients": 8, "rounds": 3, "seed": 0}


@pytest.fixture(scope="module")
def explorer():
    return FederatedExplorer(alpha=0.5, clients_per_round=4, draw=False, **SMALL)


def test_is_an_explorer_with_public_controls(explorer):
    assert isinstance(explorer, Explorer)
    assert explorer.control_names() == ["alpha", "clients_per_round", "local_epochs"]
    assert explorer.clients_per_round.max == SMALL["n_clients"]
    assert explorer.n_updates == 1


def test_first_run_is_the_sweep(explorer):
    ref = sweep(0.5, 4, 1, n_clients=8, rounds=3, seed=0)
    h = explorer.history
    assert list(h["round"]) == list(ref["round"]) and len(h) == SMALL["rounds"]
    np.testing.assert_array_equal(h["accuracy"].to_numpy(), ref["accuracy"].to_numpy())
    np.testing.assert_array_equal(h["cum_bytes"].to_numpy(), ref["cum_bytes"].to_numpy())
    assert explorer.final_accuracy() == float(ref["accuracy"].iloc[-1])
    assert explorer.total_mb() == pytest.approx(float(ref["cum_bytes"].iloc[-1]) / 1e6)
    assert "final accuracy" in explorer.summary.value


def test_more_clients_per_round_send_more_bytes(explorer):
    before = explorer.total_mb()
    n = explorer.n_updates
    explorer.clients_per_round.value = 8
    assert explorer.n_updates == n + 1
    assert explorer.total_mb() == pytest.approx(2 * before)


def test_set_updates_once(explorer):
    n = explorer.n_updates
    explorer.set(alpha=10.0, local_epochs=2)
    assert explorer.n_updates == n + 1
    ref = sweep(10.0, explorer.clients_per_round.value, 2, n_clients=8, rounds=3, seed=0)
    np.testing.assert_array_equal(explorer.history["accuracy"].to_numpy(),
                                  ref["accuracy"].to_numpy())


def test_figure_shows_accuracy_and_bytes(explorer):
    fig = explorer.figure()
    acc, mb = fig.axes
    assert len(acc.get_lines()) == 1 and len(mb.get_lines()) == 1
    np.testing.assert_allclose(mb.get_lines()[0].get_ydata(),
                               explorer.history["cum_bytes"].to_numpy() / 1e6)
    assert "final accuracy" in fig._suptitle.get_text()
    plt.close(fig)


def test_draws_into_its_output(monkeypatch):
    import edgelab.explorers.base as base

    drawn = []
    monkeypatch.setattr(base, "render_png", lambda out, fig: drawn.append((out, fig)))
    ex = FederatedExplorer(draw=True, **SMALL)
    ex.local_epochs.value = 2
    assert ex.n_updates == 2 and len(drawn) == 2
    assert all(out is ex.output for out, _ in drawn)
    assert [len(fig.axes) for _, fig in drawn] == [2, 2]
    for _, fig in drawn:
        plt.close(fig)


def test_plot_sweep_into_given_axes():
    h = sweep(0.5, 2, 1, n_clients=4, rounds=2, seed=0)
    fig, (a, b) = plt.subplots(1, 2)
    assert plot_sweep(h, a, b, label="x") is fig
    assert a.get_lines()[0].get_label() == "x"
    plt.close(fig)


def test_bad_control_and_bad_value(explorer):
    with pytest.raises(ValueError, match="unknown controls"):
        explorer.set(colour="red")
    with pytest.raises(ValueError, match="rounds"):
        FederatedExplorer(n_clients=4, rounds=0, draw=False)
