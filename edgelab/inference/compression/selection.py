"""AdaDeep-style selection: choose the combination of compression techniques that meets an
accuracy, latency, storage and energy budget, and the Pareto front of all combinations
(AdaDeep [75], seed 003 §V-C.1 and Table 4).

AdaDeep learns its choice with deep reinforcement learning because its space is large. Ours is
small (channel-pruning ratios × fp32 or int8), so the selection here is **exhaustive**: every
combination is built, fine-tuned and measured, and the budgets filter them. Latency is
*measured* on this host (batch 1, one thread), so it varies from run to run; storage is the
bytes of the saved weights; energy is the operation-energy model of chapter 02 (45 nm energies
of ``data/energy_45nm.csv``, :func:`edgelab.hardware.cost.op_energy`), with int8 moving a
quarter of the bytes through SRAM and DRAM and its arithmetic still charged at the fp32
price, because the table has no 8-bit arithmetic energies (an upper bound for int8).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._paths import data_path
from edgelab.hardware.catalog import get_device
from edgelab.hardware.cost import model_latency, op_energy
from edgelab.hardware.profile import profile
from edgelab.inference.compression.common import (
    accuracy,
    count_params,
    measure_latency,
    serialized_bytes,
    train,
)
from edgelab.inference.compression.pruning import check_amount, structured_prune
from edgelab.inference.compression.quantization import quantize_int8

__all__ = ["PRECISIONS", "Budget", "energy_pj", "layer_energy", "model_energy", "build_candidates", "pareto",
           "select", "OBJECTIVES"]

PRECISIONS = ("fp32", "int8")
OBJECTIVES = ("energy_j", "storage_bytes", "latency_s")


@functools.lru_cache(maxsize=1)
def energy_pj() -> dict[str, float]:
    """Energy per operation at 45 nm in picojoules, from ``data/energy_45nm.csv`` (seed 003 §V-C.1)."""
    df = pd.read_csv(data_path("energy_45nm.csv"))
    return {str(o): float(e) for o, e in zip(df["op"], df["energy_pj"], strict=True)}


def _energy_terms(model: nn.Module, example: torch.Tensor
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-layer arithmetic, SRAM and DRAM joules of a batch (chapter 02's model), with the
    profile table and the mask of weighted (conv/linear) layers."""
    t = profile(model, example).table
    macs = t["macs"].to_numpy(np.float64)
    other = np.maximum(t["flops"].to_numpy(np.float64) - 2.0 * macs, 0.0)
    weighted = t["family"].isin(["conv", "dwconv", "linear"]).to_numpy()
    ar, sr, dr = op_energy(macs, other, t["weight_bytes"].to_numpy(np.float64),
                           (t["input_bytes"] + t["output_bytes"]).to_numpy(np.float64),
                           weighted, float(example.shape[0]), 2.0, energy_pj())
    return t, weighted, ar, sr, dr


def layer_energy(model: nn.Module, example: torch.Tensor) -> pd.Series:
    """Modelled fp32 joules of one inference per conv and linear layer, by layer name (chapter
    02's operation-energy model; seed 003 §V-C.1)."""
    t, weighted, ar, sr, dr = _energy_terms(model, example)
    e = pd.Series((ar + sr + dr) / example.shape[0], index=t["layer"].to_numpy(), name="energy_j")
    return e[weighted]


def model_energy(model: nn.Module, example: torch.Tensor, precision: str = "fp32") -> float:
    """Modelled joules of one inference (chapter 02's operation-energy model; seed 003 §V-C.1).

    ``precision="int8"`` divides the SRAM and DRAM terms by 4 (8-bit words) and keeps the
    arithmetic at the fp32 price (see the module docstring).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    _, _, ar, sr, dr = _energy_terms(model, example)
    scale = 0.25 if precision == "int8" else 1.0
    return float(ar.sum() + scale * (sr.sum() + dr.sum())) / example.shape[0]


@dataclass(frozen=True)
class Budget:
    """What a deployment allows: minimum accuracy (fraction), maximum latency measured on this
    host (s), maximum latency modelled on the candidates' catalog device (s, column
    ``device_latency_s``), storage (bytes) and energy per inference (J); ``None`` is no limit
    (seed 003 §V-C.1)."""

    min_accuracy: float | None = None
    max_latency_s: float | None = None
    max_storage_bytes: float | None = None
    max_energy_j: float | None = None
    max_device_latency_s: float | None = None

    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Which rows of a candidates table meet every budget (seed 003 §V-C.1)."""
        ok = pd.Series(True, index=df.index)
        for col, lim, ge in (("accuracy", self.min_accuracy, True),
                             ("latency_s", self.max_latency_s, False),
                             ("storage_bytes", self.max_storage_bytes, False),
                             ("energy_j", self.max_energy_j, False),
                             ("device_latency_s", self.max_device_latency_s, False)):
            if lim is not None:
                if col not in df:
                    raise ValueError("max_device_latency_s needs a device_latency_s column: "
                                     "build the candidates with device=...")
                ok &= (df[col] >= lim) if ge else (df[col] <= lim)
        return ok


def build_candidates(model: nn.Module, data: Sequence[torch.Tensor], ratios: Sequence[float],
                     precisions: Sequence[str] = PRECISIONS, *, finetune_epochs: int = 2,
                     repeats: int = 30, device: str | None = None,
                     seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Every combination of a channel-pruning ratio and a precision, built from the trained
    ``model``, fine-tuned and measured (seed 003 §V-C.1).

    ``data`` is ``(x_train, y_train, x_test, y_test)``. Returns the table (``ratio``,
    ``precision``, ``params``, ``accuracy``, ``latency_s`` measured at batch 1,
    ``storage_bytes``, ``energy_j``) and the models keyed ``(ratio, precision)``. With a catalog
    ``device``, ``device_latency_s`` is the cost model's latency there at batch 1
    (:func:`edgelab.hardware.cost.model_latency` at the candidate's precision; NaN for int8 on a
    device whose catalog has no int8 peak).
    """
    xtr, ytr, xte, yte = tuple(data)
    for p in precisions:
        if p not in PRECISIONS:
            raise ValueError(f"precisions must be among {', '.join(PRECISIONS)}, got {p!r}")
    x1 = xte[:1]
    dev = None if device is None else get_device(device)
    rows, built = [], {}
    for r in ratios:
        r = check_amount("ratios", r)
        m = structured_prune(model, x1, r)
        if r > 0:
            train(m, xtr, ytr, finetune_epochs, seed=seed)
        for p in precisions:
            q = m if p == "fp32" else quantize_int8(m, xtr[:256])
            built[(r, p)] = q
            rows.append({"ratio": r, "precision": p, "params": count_params(m),
                         "accuracy": accuracy(q, xte, yte),
                         "latency_s": measure_latency(q, x1, repeats),
                         "storage_bytes": serialized_bytes(q),
                         "energy_j": model_energy(m, x1, p)})
            if dev is not None:
                ok = p == "fp32" or np.isfinite(dev.peak_int8_gops)
                rows[-1]["device_latency_s"] = (model_latency(profile(m, x1), dev, precision=p)
                                                if ok else float("nan"))
    return pd.DataFrame(rows), built


def pareto(df: pd.DataFrame, costs: Sequence[str] = ("latency_s", "storage_bytes", "energy_j"),
           gain: str = "accuracy") -> pd.Series:
    """Which candidates no other candidate dominates (at least as accurate and no costlier in
    every cost, strictly better in one) (seed 003 §V-C.1)."""
    a = df[gain].to_numpy()
    c = df[list(costs)].to_numpy(np.float64)
    keep = []
    for i in range(len(df)):
        ge = (a >= a[i]) & np.all(c <= c[i], axis=1)
        gt = (a > a[i]) | np.any(c < c[i], axis=1)
        keep.append(not np.any(ge & gt))
    return pd.Series(keep, index=df.index, name="pareto")


def select(df: pd.DataFrame, budget: Budget, objective: str = "energy_j") -> pd.Series | None:
    """The candidate meeting ``budget`` with the lowest ``objective`` (ties: the more accurate),
    or ``None`` when no candidate meets it (exhaustive search; seed 003 §V-C.1)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    ok = df[budget.mask(df)]
    if ok.empty:
        return None
    return ok.sort_values([objective, "accuracy"], ascending=[True, False]).iloc[0]
