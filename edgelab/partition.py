"""Model partition: where to cut a DNN between a device and a server.

This module starts with the ONE split search that the EI levels (seed 003 §III-B, Levels 1
and 2) and the partition chapter share: Neurosurgeon's chain optimum (seed 003 §V-C.2).
Split ``k`` runs layers ``0..k-1`` (in topological order) on the device, sends the activations
that cross the cut over the link, and runs the rest on the server; ``k = 0`` is "all on the
server", ``k = n_layers`` is "all on the device". :func:`best_split` evaluates every ``k``
with :func:`edgelab.cost.split_costs` (vectorised over a bandwidth grid) and takes the argmin
of the objective -- the same numbers ``edgelab cost ... --split K`` prints, so the chosen split
is by construction the brute-force optimum over every ``K`` that ``cost`` accepts.

For a DAG (ResNet, GoogLeNet) "split after k layers in topological order" is still well
defined (every tensor that crosses the cut is sent), but it is only a subset of all cuts; the
DAG min-cut (DADS) searches them all. Pass ``chain_only=True`` to refuse non-chains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgelab._validate import choice
from edgelab.catalog import Device, Link
from edgelab.cost import SplitCosts, split_costs
from edgelab.profile import Profile

OBJECTIVES = ("latency", "energy")

__all__ = ["OBJECTIVES", "SplitChoice", "best_split"]


@dataclass(frozen=True)
class SplitChoice:
    """The chosen split point(s) and their costs (seed 003 §V-C.2, Neurosurgeon).

    With a scalar (or default) bandwidth, ``split`` is an ``int`` and the costs are floats;
    with a 1-D bandwidth grid they are arrays of shape ``(n_bandwidths,)``. ``costs`` holds the
    per-split arrays of :func:`edgelab.cost.split_costs`, shape ``(n_bandwidths, n_layers + 1)``,
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

    @property
    def transfer_bytes(self) -> float | np.ndarray:
        """Bytes sent both ways at the chosen split, activation up and result down (§V-C.2)."""
        return self.uplink_bytes + self.downlink_bytes


def best_split(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None = None,
    objective: str = "latency",
    *,
    allowed: np.ndarray | None = None,
    chain_only: bool = False,
) -> SplitChoice:
    """The split minimising end-to-end latency or device energy (Neurosurgeon, seed 003 §V-C.2).

    ``bandwidth_mbps`` is ``None`` (the link's own up/downlink), a scalar or a 1-D grid (one
    optimum per bandwidth, no Python loop). ``allowed`` optionally masks split points
    (boolean, length ``n_layers + 1``; e.g. "the head fits the device's memory"); ``k = 0``
    must stay allowed so that a choice always exists. Ties go to the smallest ``k`` (send
    earlier). ``chain_only=True`` raises ``ValueError`` for a non-chain model.
    """
    objective = choice("objective", objective, OBJECTIVES)
    if chain_only and not profile.is_chain:
        raise ValueError(
            f"model {profile.name!r} is not a chain (it has branches or skip connections); "
            "the chain partitioner only cuts after k layers in topological order. Use the DAG "
            "min-cut partitioner (DADS) for arbitrary cuts, or chain_only=False."
        )
    sc = split_costs(profile, device, server, link, bandwidth_mbps)
    values = sc.latency_s if objective == "latency" else sc.device_energy_j  # (B, L+1)
    if allowed is not None:
        mask = np.asarray(allowed, dtype=bool)
        if mask.shape != (profile.n_layers + 1,):
            raise ValueError(f"allowed must be a boolean array of length n_layers + 1 = "
                             f"{profile.n_layers + 1}, got shape {mask.shape}")
        if not mask[0]:
            raise ValueError("allowed[0] (all on the server) must be True so a split always exists")
        values = np.where(mask[None, :], values, np.inf)
    k = np.argmin(values, axis=-1)  # (B,)
    rows = np.arange(k.shape[0])

    def pick(a: np.ndarray) -> np.ndarray:
        return np.asarray(a)[rows, k]

    scalar = bandwidth_mbps is None or np.ndim(bandwidth_mbps) == 0

    def out(a: np.ndarray) -> float | np.ndarray:
        return float(a[0]) if scalar else a

    return SplitChoice(
        split=int(k[0]) if scalar else k,
        latency_s=out(pick(sc.latency_s)),
        device_energy_j=out(pick(sc.device_energy_j)),
        uplink_bytes=out(pick(sc.uplink_bytes)),
        downlink_bytes=out(pick(sc.downlink_bytes)),
        objective=objective,
        n_layers=profile.n_layers,
        bandwidth_mbps=sc.bandwidth_mbps,
        costs=sc,
    )
