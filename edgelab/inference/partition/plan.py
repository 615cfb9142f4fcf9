"""The result types of model partition (seed 003 §V-C.2, Table 4; seed 004).

Torch-free: the planner modules (:mod:`.chain`, :mod:`.tiers`, :mod:`.dag`) return these, and
they hold only numbers, arrays and tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgelab.hardware.cost import SplitCosts
from edgelab.hardware.profile import Profile

#: The objectives a partition planner minimises (seed 003 §V-C.2): end-to-end latency or the
#: device's energy.
OBJECTIVES = ("latency", "energy")


def result_bytes(profile: Profile) -> float:
    """Bytes of the model's result, returned from the server to the device (seed 003 §V-C.2)."""
    return float(profile.table["output_bytes"].iloc[-1])


@dataclass(frozen=True)
class SplitChoice:
    """The chosen split point(s) and their costs (seed 003 §V-C.2, Neurosurgeon).

    With a scalar (or default) bandwidth, ``split`` is an ``int`` and the costs are floats;
    with a 1-D bandwidth grid they are arrays of shape ``(n_bandwidths,)``. ``costs`` holds the
    per-split arrays of :func:`edgelab.hardware.cost.split_costs`, shape ``(n_bandwidths, n_layers + 1)``,
    so a plot can show every split and not only the best one.
    """

    split: int | np.ndarray
    latency_s: float | np.ndarray
    device_energy_j: float | np.ndarray
    uplink_bytes: float | np.ndarray
    downlink_bytes: float | np.ndarray
    objective: str
    n_layers: int
    bandwidth_mbps: np.ndarray
    costs: SplitCosts
    meets_deadline: bool | np.ndarray = True
    deadline_s: float | None = None
    note: str = ""

    @property
    def transfer_bytes(self) -> float | np.ndarray:
        """Bytes sent both ways at the chosen split, activation up and result down (§V-C.2)."""
        return self.uplink_bytes + self.downlink_bytes



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
class ThreeTierChoice:
    """The best device–edge–cloud split pair (seed 004): ``k1`` layers on the device, ``k2 - k1``
    on the edge, the rest in the cloud; scalars for a scalar bandwidth, arrays for a grid."""

    k1: int | np.ndarray
    k2: int | np.ndarray
    latency_s: float | np.ndarray
    device_energy_j: float | np.ndarray
    objective: str
    n_layers: int
    bandwidth_mbps: np.ndarray
    costs: ThreeTierCosts

    @property
    def where(self) -> str | list[str]:
        """A readable description, e.g. ``"device 0-4 | edge 5-11 | cloud 12-22"`` (seed 004)."""
        def one(a: int, b: int) -> str:
            parts = [(name, lo, hi) for name, lo, hi in
                     (("device", 0, a), ("edge", a, b), ("cloud", b, self.n_layers)) if hi > lo]
            return " | ".join(f"{nm} {lo}-{hi - 1}" for nm, lo, hi in parts)
        if np.ndim(self.k1) == 0:
            return one(int(self.k1), int(self.k2))
        return [one(int(a), int(b)) for a, b in zip(self.k1, self.k2, strict=True)]



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


@dataclass(frozen=True)
class DagChoice:
    """DADS's placement of a DAG between device and server (seed 003 §V-C.2, Hu et al. [80]).

    ``on_device`` marks the layers run on the device; ``cost`` is their :class:`PlacementCost`;
    ``all_device`` and ``all_server`` are the two trivial placements for comparison, and
    ``best_chain`` the best "split after k layers in topological order" (Neurosurgeon on the
    same DAG), which DADS can only match or beat.
    """

    on_device: np.ndarray
    cost: PlacementCost
    objective: str
    all_device: PlacementCost
    all_server: PlacementCost
    best_chain_split: int
    best_chain: PlacementCost
    layers: list[str]
    sent_layers: list[str]  # device layers whose outputs cross the cut ("input": the input)

    @property
    def n_device_layers(self) -> int:
        """How many layers run on the device (seed 003 §V-C.2)."""
        return int(self.on_device.sum())

    @property
    def gain_over_chain(self) -> float:
        """Best chain split's objective ÷ DADS's (≥ 1; > 1 where a non-prefix cut wins)."""
        key = "latency_s" if self.objective == "latency" else "device_energy_j"
        return float(getattr(self.best_chain, key) / getattr(self.cost, key))
