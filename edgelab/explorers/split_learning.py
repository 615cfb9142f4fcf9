"""The split-learning explorer: where to cut a model for training, against FedAvg.

Seed 003 §IV-C.4 (DNN splitting for training). Controls: the digits model, the cut point (layers
on the client), the number of clients and the link. It shows the bytes per epoch of split
learning and of FedAvg against the number of clients with the crossover
(:func:`edgelab.training.split_learning.crossover_clients`), and the simulated seconds of one
epoch (vanilla, SplitFed v1 and v2, FedAvg) for every cut at the chosen number of clients
(:func:`~edgelab.training.split_learning.split_epoch_time`). A thin front end: every number comes
from :mod:`edgelab.training.split_learning` and the cost model.

Every control is a public attribute; ``explorer.result`` holds the current numbers, so a test can
drive it headlessly (``draw=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelab.explorers.base import Explorer
from edgelab.hardware.catalog import link_names
from edgelab.hardware.profile import profile_model
from edgelab.training.split_learning import (
    VARIANTS,
    crossover_clients,
    fedavg_bytes_per_epoch,
    fedavg_epoch_time,
    split_bytes_per_epoch,
    split_epoch_time,
)

__all__ = ["SplitLearningExplorer", "SPLIT_MODELS", "N_TRAIN"]

#: The digits models that can be trained split here (chains).
SPLIT_MODELS = ("digits_mlp", "digits_cnn", "lenet_300_100", "lenet5")
#: Training samples of the digits split (80 % of scikit-learn's 1797).
N_TRAIN = 1437


def _iid_sizes(n: int, k: int) -> np.ndarray:
    return np.diff(np.linspace(0, n, k + 1).round().astype(np.int64))


class SplitLearningExplorer(Explorer):
    """Explore the cut point and the number of clients of split learning (seed 003 §IV-C.4)."""

    def __init__(self, model: str = "digits_cnn", cut: int = 3, clients: int = 100,
                 link: str = "wifi5", *, draw: bool = True) -> None:
        import ipywidgets as w

        self.draw_figures = draw
        self.model = w.Dropdown(options=list(SPLIT_MODELS), value=model, description="model")
        n = profile_model(model).n_layers
        self.cut = w.IntSlider(value=cut, min=1, max=n - 1, description="cut",
                               continuous_update=False)
        self.clients = w.IntSlider(value=clients, min=1, max=N_TRAIN, description="clients",
                                   continuous_update=False)
        self.link = w.Dropdown(options=link_names(), value=link, description="link")
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.model, self.cut, self.clients, self.link)
        self.widget = w.VBox([w.HBox([self.model, self.link]), self.cut, self.clients,
                              self.summary, self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Bytes against clients, the crossover, and epoch seconds per cut (seed 003 §IV-C.4)."""
        p = profile_model(self.model.value)
        n = p.n_layers
        if self.cut.max != n - 1:
            self.cut.max = n - 1
        cut = min(int(self.cut.value), n - 1)
        k = int(self.clients.value)
        q = float(p.cut_bytes()[cut])
        wc = float(p.table["weight_bytes"].iloc[:cut].sum())
        w_all = float(p.table["weight_bytes"].sum())
        ks = np.unique(np.geomspace(1, N_TRAIN, 60).round().astype(int))
        sizes = _iid_sizes(N_TRAIN, k)
        cuts = np.arange(1, n)
        times = {v: [split_epoch_time(self.model.value, int(c), sizes, variant=v,
                                      link=self.link.value).epoch_s for c in cuts]
                 for v in VARIANTS}
        self.result = {
            "cut": cut, "clients": k, "activation_bytes": q, "client_weight_bytes": wc,
            "model_bytes": w_all, "ks": ks,
            "split_bytes": split_bytes_per_epoch(N_TRAIN, ks, q, wc),
            "fedavg_bytes": fedavg_bytes_per_epoch(ks, w_all),
            "crossover": crossover_clients(N_TRAIN, q, wc, w_all),
            "cuts": cuts, "times": times,
            "fedavg_s": fedavg_epoch_time(self.model.value, sizes, link=self.link.value).epoch_s,
            "split_bytes_now": float(split_bytes_per_epoch(N_TRAIN, k, q, wc)),
            "fedavg_bytes_now": float(fedavg_bytes_per_epoch(k, w_all)),
        }

    def describe(self) -> str:
        """The summary line (seed 003 §IV-C.4)."""
        r = self.result
        x = r["crossover"]
        cross = ("split learning never moves fewer bytes at this cut" if x is None else
                 f"split learning moves fewer bytes than FedAvg from {x} clients on")
        return (f"cut {r['cut']}: {r['activation_bytes']:.0f} B of activation per sample, client "
                f"side {r['client_weight_bytes'] / 1e3:.3g} kB of {r['model_bytes'] / 1e3:.3g} kB; "
                f"{cross}. At {r['clients']} clients: split {r['split_bytes_now'] / 1e6:.3g} MB, "
                f"FedAvg {r['fedavg_bytes_now'] / 1e6:.3g} MB per epoch.")

    def figure(self) -> Any:
        """Bytes per epoch against clients; epoch seconds against the cut (seed 003 §IV-C.4)."""
        import matplotlib.pyplot as plt

        r = self.result
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
        ax1.loglog(r["ks"], r["split_bytes"] / 1e6, label=f"split learning, cut {r['cut']}")
        ax1.loglog(r["ks"], r["fedavg_bytes"] / 1e6, label="FedAvg")
        if r["crossover"] is not None:
            ax1.axvline(r["crossover"], color="red", ls="--", lw=1,
                        label=f"crossover: {r['crossover']} clients")
        ax1.set_xlabel("number of clients")
        ax1.set_ylabel("MB per epoch (up + down)")
        ax1.set_title(f"{self.model.value}: bytes per epoch", fontsize=9)
        ax1.legend(fontsize=7)
        for v in VARIANTS:
            ax2.semilogy(r["cuts"], r["times"][v], "o-", ms=3, label=v)
        ax2.axhline(r["fedavg_s"], color="k", ls=":", label="FedAvg")
        ax2.axvline(r["cut"], color="red", ls="--", lw=1)
        ax2.set_xlabel("cut (layers on the client)")
        ax2.set_ylabel("simulated s per epoch")
        ax2.set_title(f"{r['clients']} clients over {self.link.value}", fontsize=9)
        ax2.legend(fontsize=7)
        fig.tight_layout()
        return fig
