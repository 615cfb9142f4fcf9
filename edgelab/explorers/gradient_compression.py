"""The gradient-compression explorer: pick a compressor, its ratio and error feedback, and
watch accuracy against uploaded bytes (seed 003 §IV-C.3, Table 2).

A thin front end over :mod:`edgelab.training.compression.studies`: for the current controls it
runs a short distributed SGD on digits (a few clients, a few dozen rounds, so it answers in
about a second) beside the same run uncompressed, and shows accuracy against the megabytes
uploaded and the exact bytes of one message, part by part. ``explorer.result`` holds the
numbers (computed headless, ``draw=False``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from edgelab.explorers.base import Explorer
from edgelab.training.compression.experiments import byte_table
from edgelab.training.compression.studies import Setting, run_curves, summarize_curves

__all__ = ["GradientCompressionExplorer", "explore_once", "EXPLORER_COMPRESSORS"]

#: Compressors the explorer offers, and the parameter its slider sets (``None``: no slider).
EXPLORER_COMPRESSORS: dict[str, str | None] = {
    "topk": "density", "randomk": "density", "dgc": "density", "qsgd": "s", "efsignsgd": None,
    "signsgd": None, "int8": None, "fp16": None}

_MEMORY = {"dgc": "dgc", "signsgd": "none"}  # what "error feedback on" means for each


def _params(compressor: str, value: float) -> dict[str, Any]:
    knob = EXPLORER_COMPRESSORS[compressor]
    p: dict[str, Any] = {}
    if knob == "density":
        p["density"] = float(value)
    elif knob == "s":
        p["s"] = max(1, int(round(1 / float(value))))
    if compressor == "signsgd":
        p["server_lr"] = 0.003
    return p


def explore_once(setting: Setting, compressor: str, value: float,
                 error_feedback: bool) -> dict[str, Any]:
    """One compressed run and the dense run of ``setting`` (seed 003 §IV-C.3): their curves,
    final accuracy, bytes per client-round and the parts of one message of the model's size.

    ``value`` is the density for sparsifiers and 1/s for QSGD (ignored by the others).
    ``error_feedback`` picks the residual memory (DGC: its momentum-correcting memory;
    signSGD's majority vote cannot use one and runs without).
    """
    if compressor not in EXPLORER_COMPRESSORS:
        raise ValueError(f"compressor must be one of {', '.join(EXPLORER_COMPRESSORS)}; got "
                         f"{compressor!r}")
    mem = _MEMORY.get(compressor, "residual") if error_feedback else "none"
    if compressor == "signsgd":
        mem = "none"
    params = _params(compressor, value)
    label = f"{compressor} ({mem})"
    curves = run_curves(setting, [("dense SGD", "dense", "none", {}),
                                  (label, compressor, mem, params)])
    s = summarize_curves(curves).set_index("label")
    n = int(curves["dense_bytes_up"].iloc[0] // (4 * curves["clients"].iloc[0]))
    msg = byte_table(n, [(compressor, {k: v for k, v in params.items() if k != "server_lr"}
                          | ({"warmup_epochs": 0} if compressor == "dgc" else {}))]).iloc[0]
    return {"compressor": compressor, "memory": mem, "params": params, "label": label,
            "curves": curves, "accuracy": float(s.loc[label, "accuracy"]),
            "dense_accuracy": float(s.loc["dense SGD", "accuracy"]),
            "bytes_per_client_round": float(s.loc[label, "bytes_per_client_round"]),
            "ratio": float(s.loc[label, "ratio"]), "message": msg}


class GradientCompressionExplorer(Explorer):
    """Explore compressor × ratio × error feedback on digits (seed 003 §IV-C.3)."""

    def __init__(self, setting: Setting | None = None, compressor: str = "topk",
                 density: float = 0.01, error_feedback: bool = True, *,
                 draw: bool = True) -> None:
        import ipywidgets as w

        self.setting = setting or Setting(n_clients=4, rounds=40)
        self.draw_figures = draw
        self.compressor = w.Dropdown(options=list(EXPLORER_COMPRESSORS), value=compressor,
                                     description="compressor")
        self.density = w.SelectionSlider(
            options=[0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001], value=density,
            description="density / 1/s", continuous_update=False)
        self.error_feedback = w.Checkbox(value=error_feedback, description="error feedback")
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.compressor, self.density, self.error_feedback)
        self.widget = w.VBox([w.HBox([self.compressor, self.error_feedback]), self.density,
                              self.summary, self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Run the chosen compressor and the dense baseline (seed 003 §IV-C.3)."""
        self.result = explore_once(self.setting, str(self.compressor.value),
                                   float(self.density.value), bool(self.error_feedback.value))

    def describe(self) -> str:
        """Accuracy and bytes of the current run as HTML (seed 003 §IV-C.3)."""
        r = self.result
        m = r["message"]
        parts = ", ".join(f"{p} {int(m[p])} B" for p in ("values", "indices", "norms", "signs",
                                                           "header") if int(m[p]))
        return (f"{r['label']}: accuracy {100 * r['accuracy']:.1f}% (dense "
                f"{100 * r['dense_accuracy']:.1f}%); one message {int(m['bytes'])} B = {parts}; "
                f"{r['ratio']:.1f}× fewer bytes than float32")

    def figure(self) -> Any:
        """Accuracy against megabytes uploaded, and the parts of one message (seed 003 §IV-C.3)."""
        import matplotlib.pyplot as plt

        r = self.result
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
        for label, h in r["curves"].groupby("label", sort=False):
            a1.plot(h["cum_bytes_up"] / 1e6, 100 * h["accuracy"], label=label)
        a1.set_xscale("log")
        a1.set_xlabel("bytes uploaded, all clients (MB, log scale)")
        a1.set_ylabel("test accuracy (%)")
        a1.legend(fontsize=8)
        m = r["message"]
        parts = pd.Series({p: int(m[p]) for p in ("values", "indices", "norms", "signs", "header")
                           if int(m[p])})
        a2.bar(parts.index, parts.to_numpy(), color="tab:blue", label="compressed")
        a2.axhline(int(m["dense_bytes"]), color="grey", ls="--", label="float32 gradient")
        a2.set_yscale("log")
        a2.set_ylabel("bytes in one message (log scale)")
        a2.legend(fontsize=8)
        fig.suptitle(f"{r['label']}, {r['params']}")
        fig.tight_layout()
        return fig
