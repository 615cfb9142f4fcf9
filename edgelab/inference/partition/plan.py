"""The result type of model partition (seed 003 §V-C.2, Table 4; seed 004).

Every partition technique -- Neurosurgeon's chain split, three tiers, DADS's DAG placement and the
partition between devices -- answers with one :class:`Plan`: the split(s), where each layer
runs, latency, device energy, bytes sent, and ``to_frame()``. Scalars are scalars. Over a
bandwidth grid the answer is a :class:`PlanSweep`, whose table (one row per bandwidth) is a
DataFrame. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from edgelab.hardware.profile import Profile

#: The objectives a partition planner minimises (seed 003 §V-C.2): end-to-end latency or the
#: device's energy.
OBJECTIVES = ("latency", "energy")


def result_bytes(profile: Profile) -> float:
    """Bytes of the model's result, returned from the server to the device (seed 003 §V-C.2)."""
    return float(profile.table["output_bytes"].iloc[-1])


@dataclass(frozen=True)
class ThreeTierCosts:
    """Latency and device energy of every ``(k1, k2)`` pair, shape ``(B, L+1, L+1)`` (seed 004).

    Layers ``0..k1-1`` run on the device, ``k1..k2-1`` on the edge, ``k2..`` in the cloud.
    Pairs with ``k1 > k2`` are impossible and hold ``inf``.
    """

    latency_s: np.ndarray
    device_energy_j: np.ndarray
    device_s: np.ndarray  # (L+1,) over k1
    access_s: np.ndarray  # (B, L+1) device<->edge transfer over k1
    edge_s: np.ndarray  # (L+1, L+1)
    wan_s: np.ndarray  # (L+1,) edge<->cloud transfer over k2
    cloud_s: np.ndarray  # (L+1,) over k2
    bandwidth_mbps: np.ndarray



@dataclass(frozen=True)
class PlacementCost:
    """Cost of one device/server placement of a DAG's layers (seed 003 §V-C.2, DADS [80])."""

    latency_s: float
    device_energy_j: float
    device_s: float
    transfer_s: float
    server_s: float
    uplink_bytes: float
    downlink_bytes: float


def describe_tiers(k1: int, k2: int, n_layers: int) -> str:
    """Where each layer runs, e.g. ``"device 0-4 | edge 5-11 | cloud 12-22"`` (seed 004)."""
    parts = [(name, lo, hi) for name, lo, hi in
             (("device", 0, k1), ("edge", k1, k2), ("cloud", k2, n_layers)) if hi > lo]
    return " | ".join(f"{nm} {lo}-{hi - 1}" for nm, lo, hi in parts)


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class Plan:
    """One partition decision at one bandwidth and its cost (seed 003 §V-C.2, Table 4; seed 004).

    ``technique`` is ``"chain"`` (Neurosurgeon), ``"three-tier"`` (seed 004), ``"dag"`` (DADS
    [80]) or a between-devices scheme (``"modnn"``, ``"mednn"``, ``"fused"``, ``"channel"``;
    MoDNN [85], MeDNN [84], DeepThings [86]). ``splits`` holds the cut(s): ``(k,)`` for a chain,
    ``(k1, k2)`` for three tiers, ``()`` where a cut is not a prefix (DAG, between devices);
    ``on_device`` marks the layers run on the (first) device. ``where`` says it in words.

    Times: ``device_s`` (compute on the device(s)), ``transfer_s`` (every transfer with its RTT)
    and ``server_s`` (compute past the device: edge, WAN and cloud for three tiers) add up to
    ``latency_s`` (between devices, plus the owner's per-inference overhead). Device energy is
    ``nan`` where a technique does not model it (between devices).

    ``alternatives`` (indexed by name: ``all_device``, ``all_server``, ``best_chain``,
    ``single_device``) holds the placements a technique compares against, with their
    ``latency_s`` and ``device_energy_j``; ``stages`` the per-stage table between devices;
    ``costs`` every candidate's costs (:class:`~edgelab.hardware.cost.SplitCosts` or
    :class:`ThreeTierCosts`, one bandwidth) for plots.
    """

    technique: str
    objective: str
    splits: tuple[int, ...]
    on_device: np.ndarray
    latency_s: float
    device_energy_j: float
    device_s: float
    transfer_s: float
    server_s: float
    uplink_bytes: float
    downlink_bytes: float
    bandwidth_mbps: float
    n_layers: int
    where: str
    meets_deadline: bool = True
    deadline_s: float | None = None
    note: str = ""
    alternatives: pd.DataFrame = field(default_factory=_empty)
    stages: pd.DataFrame = field(default_factory=_empty)
    costs: Any = None
    sent_layers: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    link: str = ""
    shares: np.ndarray = field(default_factory=lambda: np.ones(1))
    specs: tuple[Any, ...] = ()

    @property
    def split(self) -> int:
        """The first cut: a chain's ``k``, three tiers' ``k1`` (layers on the device; §V-C.2)."""
        return self.splits[0] if self.splits else int(self.on_device.sum())

    @property
    def k1(self) -> int:
        """Layers on the device (three tiers, seed 004)."""
        return self.splits[0]

    @property
    def k2(self) -> int:
        """Layers on the device and the edge together (three tiers, seed 004)."""
        return self.splits[1]

    @property
    def transfer_bytes(self) -> float:
        """Bytes sent both ways, activation up and result down (§V-C.2)."""
        return self.uplink_bytes + self.downlink_bytes

    @property
    def n_device_layers(self) -> int:
        """How many layers run on the device (seed 003 §V-C.2)."""
        return int(np.asarray(self.on_device).sum())

    def _objective_key(self) -> str:
        return "latency_s" if self.objective == "latency" else "device_energy_j"

    def gain_over(self, alternative: str) -> float:
        """The ``alternative``'s objective ÷ this plan's (≥ 1 when the plan is at least as good;
        DADS over ``best_chain`` > 1 where a non-prefix cut wins; §V-C.2)."""
        key = self._objective_key()
        return float(self.alternatives.loc[alternative, key] / getattr(self, key))

    @property
    def speedup(self) -> float:
        """Single-device latency ÷ this plan's (between devices, MoDNN's metric; §V-C.2)."""
        return float(self.alternatives.loc["single_device", "latency_s"] / self.latency_s)

    @property
    def n_workers(self) -> int:
        """Number of devices computing, the owner included (between devices)."""
        return len(self.devices)

    def to_frame(self) -> pd.DataFrame:
        """One row: the scalars of the plan (seed 003 §V-C.2)."""
        return pd.DataFrame([{
            "technique": self.technique, "objective": self.objective,
            "splits": self.splits, "where": self.where, "bandwidth_mbps": self.bandwidth_mbps,
            "latency_s": self.latency_s, "device_energy_j": self.device_energy_j,
            "device_s": self.device_s, "transfer_s": self.transfer_s, "server_s": self.server_s,
            "uplink_bytes": self.uplink_bytes, "downlink_bytes": self.downlink_bytes,
            "meets_deadline": self.meets_deadline, "deadline_s": self.deadline_s,
            "note": self.note,
        }])


@dataclass(frozen=True)
class PlanSweep:
    """Partition decisions over a bandwidth grid (seed 003 §V-C.2, Neurosurgeon; seed 004).

    ``table`` has one row per bandwidth: ``bandwidth_mbps``, the split(s) (``split``, or ``k1``
    and ``k2``), ``where``, ``latency_s``, ``device_energy_j``, ``uplink_bytes``,
    ``downlink_bytes`` and ``meets_deadline``. The column properties (``split``, ``latency_s``,
    ...) return that column as an array; ``costs`` holds every candidate at every bandwidth, so
    a plot can show every split and not only the best.
    """

    technique: str
    objective: str
    table: pd.DataFrame
    n_layers: int
    costs: Any
    deadline_s: float | None = None
    note: str = ""

    def _col(self, name: str) -> np.ndarray:
        return self.table[name].to_numpy()

    @property
    def bandwidth_mbps(self) -> np.ndarray:
        """The bandwidth grid (Mbit/s)."""
        return self._col("bandwidth_mbps")

    @property
    def split(self) -> np.ndarray:
        """The chosen split per bandwidth (three tiers: ``k1``; §V-C.2)."""
        return self._col("split" if "split" in self.table else "k1")

    @property
    def k1(self) -> np.ndarray:
        """Layers on the device per bandwidth (three tiers, seed 004)."""
        return self._col("k1")

    @property
    def k2(self) -> np.ndarray:
        """Layers on the device and the edge per bandwidth (three tiers, seed 004)."""
        return self._col("k2")

    @property
    def where(self) -> list[str]:
        """Where each layer runs, per bandwidth."""
        return self.table["where"].tolist()

    @property
    def latency_s(self) -> np.ndarray:
        """End-to-end latency per bandwidth (s)."""
        return self._col("latency_s")

    @property
    def device_energy_j(self) -> np.ndarray:
        """Device energy per bandwidth (J)."""
        return self._col("device_energy_j")

    @property
    def uplink_bytes(self) -> np.ndarray:
        """Bytes sent up per bandwidth."""
        return self._col("uplink_bytes")

    @property
    def downlink_bytes(self) -> np.ndarray:
        """Bytes sent down per bandwidth."""
        return self._col("downlink_bytes")

    @property
    def meets_deadline(self) -> np.ndarray:
        """Whether the chosen split meets the deadline, per bandwidth."""
        return self._col("meets_deadline")

    def to_frame(self) -> pd.DataFrame:
        """The table, one row per bandwidth (seed 003 §V-C.2)."""
        return self.table.copy()
