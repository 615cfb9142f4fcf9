"""Neurosurgeon's chain split between a device and a server (seed 003 §V-C.2, Table 4).

The ONE split search that the EI levels (seed 003 §III-B, Levels 1 and 2) and the partition
chapter share. Split ``k`` runs layers ``0..k-1`` (in topological order) on the device, sends
the activations that cross the cut over the link, and runs the rest on the server; ``k = 0`` is
"all on the server", ``k = n_layers`` is "all on the device". :func:`best_split` evaluates every
``k`` with :func:`edgelab.hardware.cost.split_costs` (vectorised over a bandwidth grid) and takes
the argmin of the objective -- the same numbers ``edgelab cost ... --split K`` prints, so the
chosen split is by construction the brute-force optimum over every ``K`` that ``cost`` accepts.

For a DAG (ResNet, GoogLeNet) "split after k layers in topological order" is still well
defined (every tensor that crosses the cut is sent), but it is only a subset of all cuts; the
DAG min-cut (DADS, :mod:`.dag`) searches them all. Pass ``chain_only=True`` to refuse
non-chains. :class:`SplitPlanner` is Neurosurgeon's runtime half: profile once, decide per
bandwidth for many devices. Torch-free.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from edgelab._validate import choice, positive, positive_array
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import (
    SplitCosts,
    air_time,
    device_energy,
    duty_cycled_time,
    split_costs,
)
from edgelab.hardware.profile import Profile
from edgelab.inference.partition.plan import OBJECTIVES, Plan, PlanSweep, describe_tiers


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
    deadline_s: float | None = None,
) -> Plan | PlanSweep:
    """The split minimising end-to-end latency or device energy (Neurosurgeon, seed 003 §V-C.2).

    ``bandwidth_mbps`` is ``None`` (the link's own up/downlink), a scalar or a 1-D grid (one
    optimum per bandwidth, no Python loop). ``allowed`` optionally masks split points
    (boolean, length ``n_layers + 1``; e.g. "the head fits the device's memory"); ``k = 0``
    must stay allowed so that a choice always exists. Ties go to the smallest ``k`` (send
    earlier). ``chain_only=True`` raises ``ValueError`` for a non-chain model.

    ``deadline_s`` (Neurosurgeon's "meet the latency requirement") restricts the choice to the
    splits whose latency is within the deadline; where none is, the fastest split is returned as
    a **best effort**: ``meets_deadline`` is ``False`` there, ``note`` says so and a
    ``UserWarning`` is raised. Without a deadline ``meets_deadline`` is ``True``.

    Returns a :class:`~edgelab.inference.partition.plan.Plan` for one bandwidth (``None`` or a
    scalar) and a :class:`~edgelab.inference.partition.plan.PlanSweep` for a grid.
    """
    objective = choice("objective", objective, OBJECTIVES)
    if chain_only and not profile.is_chain:
        raise ValueError(
            f"model {profile.name!r} is not a chain (it has branches or skip connections); "
            "the chain partitioner only cuts after k layers in topological order. Use the DAG "
            "min-cut partitioner (DADS, edgelab.inference.partition.dads) for arbitrary cuts, or "
            "chain_only=False."
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
    else:
        mask = None
    note = ""
    if deadline_s is None:
        k = np.argmin(values, axis=-1)  # (B,)
        meets = np.ones(k.shape, dtype=bool)
    else:
        deadline_s = positive("deadline_s", deadline_s)
        lat = sc.latency_s if mask is None else np.where(mask[None, :], sc.latency_s, np.inf)
        ok = lat <= deadline_s
        meets = ok.any(axis=-1)
        k = np.where(meets, np.argmin(np.where(ok, values, np.inf), axis=-1),
                     np.argmin(lat, axis=-1))
        if not meets.all():
            fastest = float(lat.min(axis=-1)[~meets].min())
            note = (f"BEST EFFORT: no split meets the {deadline_s * 1e3:.4g} ms deadline at "
                    f"{int((~meets).sum())} of {meets.size} bandwidth(s); the fastest split is "
                    f"returned there (at best {fastest * 1e3:.4g} ms)")
            warnings.warn(f"{profile.name}: {note}", UserWarning, stacklevel=2)
    rows = np.arange(k.shape[0])

    def pick(a: np.ndarray) -> np.ndarray:
        return np.asarray(a)[rows, k]

    n = profile.n_layers
    if bandwidth_mbps is None or np.ndim(bandwidth_mbps) == 0:
        return chain_plan(sc, int(k[0]), objective, bool(meets[0]), deadline_s, note)
    table = pd.DataFrame({
        "bandwidth_mbps": sc.bandwidth_mbps, "split": k,
        "where": [describe_chain(int(kk), n) for kk in k],
        "latency_s": pick(sc.latency_s), "device_energy_j": pick(sc.device_energy_j),
        "uplink_bytes": pick(sc.uplink_bytes), "downlink_bytes": pick(sc.downlink_bytes),
        "meets_deadline": meets})
    return PlanSweep("chain", objective, table, n, sc, deadline_s, note)


def describe_chain(k: int, n_layers: int) -> str:
    """Where each layer runs at chain split ``k``, e.g. ``"device 0-4 | server 5-22"`` (§V-C.2)."""
    return describe_tiers(k, n_layers, n_layers).replace("edge", "server")


def chain_plan(costs: SplitCosts, k: int, objective: str = "latency", meets_deadline: bool = True,
               deadline_s: float | None = None, note: str = "") -> Plan:
    """The :class:`Plan` of chain split ``k`` at the one bandwidth of ``costs`` (a
    :func:`~edgelab.hardware.cost.split_costs` result of shape ``(1, n_layers + 1)``), with
    all-on-device and all-on-server as its alternatives (Neurosurgeon, seed 003 §V-C.2)."""
    n = costs.latency_s.shape[-1] - 1

    def at(a: np.ndarray, j: int) -> float:
        return float(np.asarray(a)[0, j])

    alt = pd.DataFrame({"latency_s": [at(costs.latency_s, n), at(costs.latency_s, 0)],
                        "device_energy_j": [at(costs.device_energy_j, n),
                                            at(costs.device_energy_j, 0)]},
                       index=["all_device", "all_server"])
    return Plan("chain", objective, (k,), np.arange(n) < k, at(costs.latency_s, k),
                at(costs.device_energy_j, k), at(costs.device_s, k), at(costs.transfer_s, k),
                at(costs.server_s, k), at(costs.uplink_bytes, k), at(costs.downlink_bytes, k),
                float(costs.bandwidth_mbps[0]), n, describe_chain(k, n), meets_deadline,
                deadline_s, note, alternatives=alt, costs=costs)


# ============================================================================ fast grid decisions


def _pareto(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of the splits not dominated in (intercept ``a``, slope ``c``), smallest first."""
    idx = np.arange(a.size)
    order = np.lexsort((idx, a, c))
    keep, best = [], np.inf
    for k in order:
        if a[k] < best:
            keep.append(k)
            best = a[k]
    return np.sort(np.array(keep, dtype=np.int64))


class SplitPlanner:
    """Neurosurgeon's decision for many devices and a bandwidth grid, from precomputed tables
    (seed 003 §V-C.2; the runtime half of Neurosurgeon: profile once, decide per bandwidth).

    With a symmetric bandwidth ``b`` every split's latency (and device energy) is a line in
    ``1/b``: ``a_k + c_k / b`` (compute, RTT and waiting in ``a_k``; bytes in ``c_k``). The
    tables ``a`` and ``c`` come from one call of :func:`edgelab.hardware.cost.split_costs`, so the numbers
    are the cost model's; a split dominated in both (``a_j ≤ a_k`` and ``c_j ≤ c_k``) can never
    be the unique optimum and is dropped, which leaves a handful of candidates per device.
    :meth:`decide` then costs ``devices × bandwidths × candidates``. The result equals
    :func:`best_split` at every bandwidth (up to ties within float rounding).
    """

    def __init__(self, profile: Profile, devices: Sequence[Device | str], server: Device | str,
                 link: Link | str) -> None:
        devs = [get_device(d) for d in devices]
        if not devs:
            raise ValueError("devices must name at least one device")
        lk = get_link(link)
        n = profile.n_layers
        sc = split_costs(profile, devs, server, lk, 1.0)  # (D, 1, L+1)
        rtt = np.where(np.arange(n + 1) < n, lk.rtt_ms / 1e3, 0.0)
        dev_s, srv_s = sc.device_s[:, 0, :], sc.server_s[:, 0, :]
        up, down = sc.uplink_bytes[0, 0, :], sc.downlink_bytes[0, 0, :]
        active = np.array([d.active_power_w for d in devs])[:, None]
        idle = np.array([d.idle_power_w for d in devs])[:, None]
        self.devices = [d.name for d in devs]
        self.n_layers = n
        self._a = {"latency": dev_s + rtt + srv_s,
                   "energy": device_energy(active, dev_s, lk, 0.0, 0.0, rtt, idle, srv_s)}
        # seconds on the air at 1 Mbit/s: the slope of each split's line in 1/b (a duty-cycled
        # uplink holds the link 1/duty_cycle times as long, the device idles the difference)
        up_air = air_time(up, 1.0)
        silent = duty_cycled_time(up_air, lk.duty_cycle) - up_air
        self._c = {"latency": np.broadcast_to(air_time(up + down, 1.0) + silent, dev_s.shape),
                   "energy": device_energy(0.0, 0.0, lk, up_air, air_time(down, 1.0), 0.0,
                                           idle, silent) + np.zeros(dev_s.shape)}
        self._front: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for obj in OBJECTIVES:
            fronts = [_pareto(self._a[obj][i], self._c[obj][i]) for i in range(len(devs))]
            width = max(len(f) for f in fronts)
            idx = np.zeros((len(devs), width), dtype=np.int64)
            a = np.full((len(devs), width), np.inf)
            c = np.zeros((len(devs), width))
            for i, f in enumerate(fronts):
                idx[i, :len(f)] = f
                a[i, :len(f)] = self._a[obj][i, f]
                c[i, :len(f)] = self._c[obj][i, f]
            self._front[obj] = (idx, a, c)

    @property
    def candidates(self) -> dict[str, int]:
        """How many splits per device survive the dominance pruning, at most (§V-C.2)."""
        return {obj: int(v[0].shape[1]) for obj, v in self._front.items()}

    def decide(self, bandwidth_mbps: float | np.ndarray,
               objective: str = "latency") -> tuple[np.ndarray, np.ndarray]:
        """Best split and its objective value, each of shape ``(n_devices, n_bandwidths)``
        (Neurosurgeon, seed 003 §V-C.2)."""
        objective = choice("objective", objective, OBJECTIVES)
        bw = positive_array("bandwidth_mbps", np.atleast_1d(bandwidth_mbps))
        if bw.ndim != 1:
            raise ValueError("bandwidth_mbps must be a scalar or a 1-D array")
        idx, a, c = self._front[objective]
        vals = a[:, None, :] + c[:, None, :] / bw[None, :, None]  # (D, B, F)
        j = vals.argmin(axis=-1)
        return np.take_along_axis(idx[:, None, :], j[..., None], -1)[..., 0], vals.min(axis=-1)
