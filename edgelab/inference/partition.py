"""Model partition: where to cut a DNN between a device and a server.

This module starts with the ONE split search that the EI levels (seed 003 §III-B, Levels 1
and 2) and the partition chapter share: Neurosurgeon's chain optimum (seed 003 §V-C.2).
Split ``k`` runs layers ``0..k-1`` (in topological order) on the device, sends the activations
that cross the cut over the link, and runs the rest on the server; ``k = 0`` is "all on the
server", ``k = n_layers`` is "all on the device". :func:`best_split` evaluates every ``k``
with :func:`edgelab.hardware.cost.split_costs` (vectorised over a bandwidth grid) and takes the argmin
of the objective -- the same numbers ``edgelab cost ... --split K`` prints, so the chosen split
is by construction the brute-force optimum over every ``K`` that ``cost`` accepts.

For a DAG (ResNet, GoogLeNet) "split after k layers in topological order" is still well
defined (every tensor that crosses the cut is sent), but it is only a subset of all cuts; the
DAG min-cut (DADS) searches them all. Pass ``chain_only=True`` to refuse non-chains.

The rest of the module covers the other partition techniques of seed 003 §V-C.2 and Table 4,
and of seed 004 (model partition in end-edge-cloud collaboration), all on the same cost model:

* :func:`best_three_tier`: device, edge and cloud, two split points (seed 004);
* :func:`dads`: the DAG min-cut of Hu et al. [80] (DADS) on the ``torch.fx`` graph, exact for
  the sequential cost model, with :func:`placement_cost` as its brute-force reference;
* :func:`split_model`: real partitioned execution, a head and a tail ``nn.Module`` built from the
  ``torch.fx`` graph for any valid cut (§IV-C.4: splitting between layers loses no accuracy);
* :func:`quantize` / :func:`jalad_accuracy` / :func:`lossy_split_costs` / :func:`jalad_plan`:
  lossy encoding of the transmitted activation (JALAD [81], Ko et al. [83]);
* :func:`between_devices` / :func:`distributed_forward`: partition between 2–4 devices (MoDNN
  [85], MeDNN [84], DeepThings [86]), spatial tiles with halos or output-channel splits, costed
  with the same per-layer model and executed for real on tensors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from edgelab._validate import choice, integer_in, positive, positive_array
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import SplitCosts, layer_latency_grid, model_latency, split_costs
from edgelab.hardware.profile import Profile

OBJECTIVES = ("latency", "energy")

__all__ = [
    "OBJECTIVES", "SCHEMES", "SplitChoice", "best_split", "SplitPlanner", "ThreeTierChoice", "three_tier_costs",
    "best_three_tier", "PlacementCost", "placement_cost", "is_valid_placement",
    "min_cut_placement", "DagChoice", "dads", "SplitModel", "split_model", "QuantizedTensor",
    "quantize", "jalad_accuracy", "lossy_split_costs", "jalad_plan", "train_digits_cnn",
    "DevicePlan", "between_devices", "distributed_forward", "neurosurgeon_gains",
]


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
) -> SplitChoice:
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
        meets_deadline=bool(meets[0]) if scalar else meets,
        deadline_s=deadline_s,
        note=note,
    )


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
                   "energy": active * dev_s + (lk.tx_power_w + lk.rx_power_w) * rtt / 2
                   + idle * srv_s}
        self._c = {"latency": np.broadcast_to((up + down) * 8.0 / 1e6, dev_s.shape),
                   "energy": np.broadcast_to((lk.tx_power_w * up + lk.rx_power_w * down)
                                             * 8.0 / 1e6, dev_s.shape)}
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


# ============================================================================ three tiers


def _bandwidths(link: Link, bandwidth_mbps: float | np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(uplink, downlink) Mbit/s as 1-D arrays, exactly as :func:`edgelab.hardware.cost.split_costs`."""
    if bandwidth_mbps is None:
        return np.array([link.uplink_mbps]), np.array([link.downlink_mbps])
    up = positive_array("bandwidth_mbps", np.atleast_1d(bandwidth_mbps))
    if up.ndim != 1:
        raise ValueError("bandwidth_mbps must be a scalar or a 1-D array")
    return up, up


def _result_bytes(profile: Profile) -> float:
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


def three_tier_costs(
    profile: Profile,
    device: Device | str,
    edge: Device | str,
    cloud: Device | str,
    link: Link | str,
    wan: Link | str = "wan",
    bandwidth_mbps: float | np.ndarray | None = None,
    wan_mbps: float | None = None,
) -> ThreeTierCosts:
    """Costs of every device–edge–cloud split pair (seed 004 §model partition; seed 003 Fig. 13).

    The same cost model as :func:`edgelab.hardware.cost.split_costs`, with two cuts: the device sends
    the activations crossing ``k1`` over ``link``, the edge sends those crossing ``k2`` over
    ``wan``, and the result returns the same way. ``k2 = n`` is exactly the two-tier
    device|edge split; the device's energy counts its idle power while the edge, the WAN and
    the cloud work. ``bandwidth_mbps`` (device<->edge) may be a 1-D grid; ``wan_mbps`` is a
    scalar (default: the WAN link's own).
    """
    dev, edg, cld = get_device(device), get_device(edge), get_device(cloud)
    lk, wn = get_link(link), get_link(wan)
    up, down = _bandwidths(lk, bandwidth_mbps)
    wup, wdown = _bandwidths(wn, None if wan_mbps is None else positive("wan_mbps", wan_mbps))
    n = profile.n_layers
    lat = layer_latency_grid(profile, [dev, edg, cld])  # (3, L)
    ks = np.arange(n + 1)
    pre = np.concatenate([np.zeros((3, 1)), np.cumsum(lat, axis=1)], axis=1)  # (3, L+1)
    dev_s = pre[0] + np.where(ks > 0, dev.model_overhead_s, 0.0)
    edge_s = pre[1][None, :] - pre[1][:, None] + np.where(ks[None, :] > ks[:, None],
                                                          edg.model_overhead_s, 0.0)
    cloud_s = pre[2][-1] - pre[2] + np.where(ks < n, cld.model_overhead_s, 0.0)
    cut = profile.cut_bytes()
    res = _result_bytes(profile)
    sent = ks < n
    up_s = cut[None, :] * 8.0 / (up[:, None] * 1e6)
    down_s = np.where(sent, res, 0.0)[None, :] * 8.0 / (down[:, None] * 1e6)
    rtt = np.where(sent, lk.rtt_ms / 1e3, 0.0)
    access = rtt[None, :] + up_s + down_s  # (B, L+1) over k1
    wan_s = np.where(sent, wn.rtt_ms / 1e3 + cut * 8.0 / (wup[0] * 1e6) + res * 8.0 / (wdown[0] * 1e6),
                     0.0)  # (L+1,) over k2
    bad = ks[:, None] > ks[None, :]  # k1 > k2
    after = edge_s + wan_s[None, :] + cloud_s[None, :]  # (k1, k2)
    latency = dev_s[None, :, None] + access[:, :, None] + after[None]
    energy = (dev.active_power_w * dev_s[None, :, None]
              + lk.tx_power_w * (up_s + rtt[None, :] / 2)[:, :, None]
              + lk.rx_power_w * (down_s + rtt[None, :] / 2)[:, :, None]
              + dev.idle_power_w * after[None])
    latency = np.where(bad[None], np.inf, latency)
    energy = np.where(bad[None], np.inf, energy)
    return ThreeTierCosts(latency, energy, dev_s, access, np.where(bad, np.inf, edge_s), wan_s,
                          cloud_s, up)


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


def best_three_tier(
    profile: Profile,
    device: Device | str,
    edge: Device | str,
    cloud: Device | str,
    link: Link | str,
    wan: Link | str = "wan",
    bandwidth_mbps: float | np.ndarray | None = None,
    wan_mbps: float | None = None,
    objective: str = "latency",
) -> ThreeTierChoice:
    """The two split points minimising latency or device energy (seed 004; seed 003 Fig. 13).

    Vectorised: every ``(k1, k2)`` pair at every bandwidth of the grid is evaluated by
    :func:`three_tier_costs` and the argmin taken (ties: the smallest ``k1``, then ``k2``).
    Memory grows as ``n_bandwidths × (n_layers + 1)²``.
    """
    objective = choice("objective", objective, OBJECTIVES)
    tc = three_tier_costs(profile, device, edge, cloud, link, wan, bandwidth_mbps, wan_mbps)
    vals = tc.latency_s if objective == "latency" else tc.device_energy_j
    b, m = vals.shape[0], vals.shape[1]
    flat = vals.reshape(b, -1).argmin(axis=1)
    k1, k2 = np.divmod(flat, m)
    rows = np.arange(b)
    lat, en = tc.latency_s[rows, k1, k2], tc.device_energy_j[rows, k1, k2]
    scalar = bandwidth_mbps is None or np.ndim(bandwidth_mbps) == 0
    if scalar:
        return ThreeTierChoice(int(k1[0]), int(k2[0]), float(lat[0]), float(en[0]), objective,
                               profile.n_layers, tc.bandwidth_mbps, tc)
    return ThreeTierChoice(k1, k2, lat, en, objective, profile.n_layers, tc.bandwidth_mbps, tc)


# ============================================================================ DAG min-cut (DADS)


def _consumers(profile: Profile) -> list[list[int]]:
    """``cons[p + 1]``: layers reading producer ``p`` (``p = -1`` is the input); the model
    output counts as a consumer at index ``n`` (as in :meth:`Profile.cut_bytes`)."""
    n = profile.n_layers
    cons: list[list[int]] = [[] for _ in range(n + 1)]
    for i, ps in enumerate(profile.preds):
        for p in ps:
            cons[p + 1].append(i)
    if profile.output_layer >= 0:
        cons[profile.output_layer + 1].append(n)
    return cons


def is_valid_placement(profile: Profile, on_device: np.ndarray) -> bool:
    """Whether no data flows back from the server to the device (seed 003 §V-C.2).

    ``on_device`` is a boolean array of length ``n_layers``. Valid placements are those in
    which every layer reading a server layer's output also runs on the server; every prefix
    in topological order ("split after k layers") is one.
    """
    d = np.asarray(on_device, dtype=bool)
    if d.shape != (profile.n_layers,):
        raise ValueError(f"on_device must be a boolean array of length n_layers = "
                         f"{profile.n_layers}, got shape {d.shape}")
    return all(not (d[i] and any(p >= 0 and not d[p] for p in ps))
               for i, ps in enumerate(profile.preds))


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


def _dag_weights(profile: Profile, device: Device | str, server: Device | str, link: Link | str,
                 bandwidth_mbps: float | None) -> dict[str, Any]:
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    up, down = _bandwidths(lk, bandwidth_mbps)
    if up.size != 1:
        raise ValueError("bandwidth_mbps must be a scalar here (one min-cut per bandwidth)")
    lat = layer_latency_grid(profile, [dev, srv])
    sizes = np.concatenate([[profile.input_bytes],
                            profile.table["output_bytes"].to_numpy(dtype=np.float64)])
    return {"dev": dev, "srv": srv, "lk": lk, "up": float(up[0]), "down": float(down[0]),
            "d": lat[0], "s": lat[1], "sizes": sizes, "cons": _consumers(profile),
            "res": _result_bytes(profile)}


def _placement_cost(w: dict[str, Any], on_device: np.ndarray) -> PlacementCost:
    d = on_device
    dev, srv, lk = w["dev"], w["srv"], w["lk"]
    any_dev, any_srv = bool(d.any()), bool((~d).any())
    dev_s = float(w["d"][d].sum()) + (dev.model_overhead_s if any_dev else 0.0)
    srv_s = float(w["s"][~d].sum()) + (srv.model_overhead_s if any_srv else 0.0)
    on_dev_ext = np.concatenate([[True], d, [not any_srv]])  # index q+1 for producer/consumer q
    up_b = sum(float(w["sizes"][q]) for q, cs in enumerate(w["cons"])
               if on_dev_ext[q] and any(not on_dev_ext[c + 1] for c in cs))
    down_b = w["res"] if any_srv else 0.0
    rtt = lk.rtt_ms / 1e3 if any_srv else 0.0
    up_s, down_s = up_b * 8.0 / (w["up"] * 1e6), down_b * 8.0 / (w["down"] * 1e6)
    transfer = rtt + up_s + down_s
    energy = (dev.active_power_w * dev_s + lk.tx_power_w * (up_s + rtt / 2)
              + lk.rx_power_w * (down_s + rtt / 2) + dev.idle_power_w * srv_s)
    return PlacementCost(dev_s + transfer + srv_s, energy, dev_s, transfer, srv_s, up_b, down_b)


def placement_cost(
    profile: Profile,
    on_device: np.ndarray,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | None = None,
) -> PlacementCost:
    """Latency and device energy of running the layers marked ``on_device`` on the device and
    the rest on the server (seed 003 §V-C.2; the objective DADS [80] minimises).

    Layers run one after another (no overlap of device, link and server), as in
    :func:`edgelab.hardware.cost.split_costs`; every activation produced on the device (or the input)
    that a server layer reads is sent once. For the prefix placement "first ``k`` layers on the
    device" the result equals ``split_costs(...)[k]``. Raises ``ValueError`` for a placement
    that sends data back from the server to the device.
    """
    d = np.asarray(on_device, dtype=bool)
    if not is_valid_placement(profile, d):
        raise ValueError("invalid placement: a layer on the device reads a server layer's "
                         "output (data would flow back); every successor of a server layer "
                         "must run on the server")
    return _placement_cost(_dag_weights(profile, device, server, link, bandwidth_mbps), d)


def min_cut_placement(
    preds: Sequence[Sequence[int]],
    device_cost: np.ndarray,
    server_cost: np.ndarray,
    transfer_cost: np.ndarray,
    output: int,
) -> np.ndarray:
    """DADS's s–t min-cut (Hu et al. [80], seed 003 §V-C.2): the placement minimising
    ``Σ_device device_cost + Σ_server server_cost + Σ_sent transfer_cost`` with ``output`` on
    the server and no data flowing back. Returns ``on_device`` (boolean, one per layer).

    ``transfer_cost[q]`` is the cost of sending producer ``q - 1``'s output (``q = 0``: the
    input), paid once however many server layers read it: DADS's auxiliary node per producer.
    Source = device, sink = server; ``s→v`` costs ``server_cost[v]``, ``v→t`` costs
    ``device_cost[v]``, ``u→a_u`` costs ``transfer_cost[u]``, ``a_u→v`` and the reverse edges
    ``v→u`` are infinite (so a server layer's successors stay on the server).
    """
    import networkx as nx

    n = len(preds)
    g = nx.DiGraph()
    g.add_edge("s", "in")  # no capacity attribute = infinite: the input is on the device
    for v in range(n):
        g.add_edge("s", v, capacity=float(server_cost[v]))
        g.add_edge(v, "t", capacity=float(device_cost[v]))
    del g[output]["t"]["capacity"]  # no capacity = infinite: the output runs on the server
    cons: list[list[int]] = [[] for _ in range(n + 1)]
    for v, ps in enumerate(preds):
        for p in ps:
            cons[p + 1].append(v)
            if p >= 0:
                g.add_edge(v, p)  # v on the device forces p on the device
    for q, cs in enumerate(cons):
        if not cs:
            continue
        u = "in" if q == 0 else q - 1
        a = ("aux", q)
        g.add_edge(u, a, capacity=float(transfer_cost[q]))
        for c in cs:
            g.add_edge(a, c)
    _, (src_side, _) = nx.minimum_cut(g, "s", "t")
    return np.array([v in src_side for v in range(n)], dtype=bool)


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


def dads(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | None = None,
    objective: str = "latency",
) -> DagChoice:
    """DADS: the optimal device/server placement of a DAG model by min-cut (seed 003 §V-C.2).

    Hu et al. [80] show that for DAGs (ResNet, GoogLeNet) the best cut is not in general a
    prefix of a topological order; they find it with an s–t min-cut. Under edgelab's sequential
    cost model (:func:`placement_cost`) the min-cut of :func:`min_cut_placement`, compared with
    the two trivial placements (the per-inference overheads and the RTT are fixed costs that a
    cut cannot express), is the exact optimum over every valid placement; the tests check it
    against brute force on random small DAGs. One bandwidth per call.
    """
    objective = choice("objective", objective, OBJECTIVES)
    w = _dag_weights(profile, device, server, link, bandwidth_mbps)
    dev, srv, lk = w["dev"], w["srv"], w["lk"]
    n = profile.n_layers
    bits = w["sizes"] * 8.0 / (w["up"] * 1e6)
    if objective == "latency":
        dc, sc, tc = w["d"], w["s"], bits
    else:
        dc, sc, tc = dev.active_power_w * w["d"], dev.idle_power_w * w["s"], lk.tx_power_w * bits
    out = profile.output_layer if profile.output_layer >= 0 else n - 1
    key = "latency_s" if objective == "latency" else "device_energy_j"
    cands = [np.ones(n, dtype=bool), np.zeros(n, dtype=bool),
             min_cut_placement(profile.preds, dc, sc, tc, out)]
    costs = [_placement_cost(w, c) for c in cands]
    i = int(np.argmin([getattr(c, key) for c in costs]))
    chain = best_split(profile, dev, srv, lk, None if bandwidth_mbps is None else bandwidth_mbps,
                       objective)
    chain_mask = np.arange(n) < chain.split
    layers = profile.table["layer"].tolist()
    ext = np.concatenate([[True], cands[i], [not (~cands[i]).any()]])
    sent = [("input" if q == 0 else layers[q - 1]) for q, cs in enumerate(w["cons"])
            if ext[q] and any(not ext[c + 1] for c in cs)]
    return DagChoice(cands[i], costs[i], objective, costs[0], costs[1], int(chain.split),
                     _placement_cost(w, chain_mask), layers, sent)


# ============================================================================ real partitioned execution


def _layer_nodes(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    """The nodes that are layers of the profile table, in the same (topological) order."""
    return [n for n in gm.graph.nodes if n.op not in ("placeholder", "output", "get_attr")]


def _subgraph(gm: torch.fx.GraphModule, inputs: list[torch.fx.Node], keep: set[torch.fx.Node],
              outputs: list[torch.fx.Node | Any], name: str) -> torch.fx.GraphModule:
    g = torch.fx.Graph()
    env: dict[torch.fx.Node, torch.fx.Node] = {}
    for i, n in enumerate(inputs):
        env[n] = g.placeholder(n.name if n.op == "placeholder" else f"{n.name}_in{i}")

    def lookup(a: torch.fx.Node) -> torch.fx.Node:
        if a not in env and a.op == "get_attr":
            env[a] = g.node_copy(a)
        return env[a]

    for n in gm.graph.nodes:
        if n in keep:
            env[n] = g.node_copy(n, lookup)
    g.output(torch.fx.node.map_arg(outputs, lookup))
    g.lint()
    return torch.fx.GraphModule(gm, g, class_name=name)


class SplitModel(nn.Module):
    """A model cut in two real modules, ``head`` (device) and ``tail`` (server) (seed 003 §V-C.2).

    ``head(x)`` returns the tuple of tensors that cross the cut (``sent`` names them);
    ``tail(*sent)`` returns the model's output. ``forward(x)`` runs both, optionally passing the
    sent tensors through a lossy encoder (:func:`quantize`, JALAD), and :meth:`transmit` returns
    what would go over the link. Splitting between layers is exact: with no encoder,
    ``SplitModel(x)`` equals ``model(x)`` (§IV-C.4).
    """

    def __init__(self, head: torch.fx.GraphModule, tail: torch.fx.GraphModule, sent: list[str],
                 on_device: np.ndarray) -> None:
        super().__init__()
        self.head = head
        self.tail = tail
        self.sent = sent
        self.on_device = on_device

    def transmit(self, x: torch.Tensor, bits: int | None = None) -> tuple[list[Any], int]:
        """Run the head; return the payload (tensors, or :class:`QuantizedTensor` with ``bits``)
        and its size in bytes (seed 003 §V-C.2; JALAD [81] with ``bits``)."""
        out = self.head(x)
        if not self.sent:  # everything ran on the device: only the result, nothing sent
            return list(out), 0
        if bits is None:
            return list(out), int(sum(t.numel() * t.element_size() for t in out))
        q = [quantize(t, bits) for t in out]
        return q, int(sum(v.nbytes for v in q))

    def forward(self, x: torch.Tensor, bits: int | None = None) -> Any:  # noqa: D102
        payload, _ = self.transmit(x, bits)
        vals = [v.dequantize() if isinstance(v, QuantizedTensor) else v for v in payload]
        return self.tail(*vals)


def split_model(model: nn.Module, cut: int | np.ndarray | Sequence[bool] | DagChoice) -> SplitModel:
    """Build the head and tail modules of ``model`` for a cut (seed 003 §V-C.2, §IV-C.4).

    ``cut`` is a chain split ``k`` (the first ``k`` layers of the topological order, as in
    :func:`best_split`; ``0 ≤ k ≤ n_layers``), a boolean ``on_device`` mask over the layers of
    :func:`edgelab.hardware.profile.profile` (any valid DAG cut), or a :class:`DagChoice` from
    :func:`dads`. The graph is traced with ``torch.fx``, so the layer order is the profile
    table's. Weights are shared with ``model``, not copied.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    layers = _layer_nodes(gm)
    n = len(layers)
    if isinstance(cut, DagChoice):
        cut = cut.on_device
    if isinstance(cut, int | np.integer) and not isinstance(cut, bool):
        k = integer_in("split", cut, 0, n)
        on_dev = np.arange(n) < k
    else:
        on_dev = np.asarray(cut)
        if on_dev.dtype != bool or on_dev.shape != (n,):
            raise ValueError(f"cut must be a split index in [0, {n}] or a boolean mask of "
                             f"length {n} (one per layer), got {cut!r}")
    placeholders = [nd for nd in gm.graph.nodes if nd.op == "placeholder"]
    out_node = next(nd for nd in gm.graph.nodes if nd.op == "output")
    dev_set = {nd for nd, d in zip(layers, on_dev, strict=True) if d}
    srv_set = set(layers) - dev_set
    for nd in srv_set:
        for u in nd.users:
            if u in dev_set:
                raise ValueError(f"invalid cut: device layer {u.name!r} reads server layer "
                                 f"{nd.name!r} (data would flow back to the device)")
    on_device_side = dev_set | set(placeholders)
    if srv_set:
        sent = [nd for nd in gm.graph.nodes if nd in on_device_side
                and any(u in srv_set or u is out_node for u in nd.users)]
        # a device value read only by the output (no server layer) still has to be sent back
    else:
        sent = list(out_node.all_input_nodes)
    head = _subgraph(gm, placeholders, dev_set, tuple(sent), "Head")
    if srv_set:
        tail = _subgraph(gm, sent, srv_set, out_node.args[0], "Tail")
    else:
        tail = _subgraph(gm, sent, set(), out_node.args[0], "Tail")
    return SplitModel(head, tail, [nd.name if nd.op != "placeholder" else "input" for nd in sent]
                      if srv_set else [], on_dev)


# ============================================================================ lossy encoding (JALAD)

BITS = (1, 2, 4, 8)


@dataclass(frozen=True)
class QuantizedTensor:
    """A tensor quantised to ``bits`` with per-sample min-max uniform steps, packed into bytes
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2).

    ``codes`` is ``uint8`` of shape ``(N, ceil(M · bits / 8))`` for ``N`` samples of ``M``
    values; ``lo`` and ``hi`` (float32, one pair per sample) are sent with it. ``nbytes`` is what
    crosses the link.
    """

    codes: torch.Tensor
    lo: torch.Tensor
    hi: torch.Tensor
    bits: int
    shape: tuple[int, ...]
    dtype: torch.dtype

    @property
    def nbytes(self) -> int:
        """Bytes on the wire: the packed codes plus two float32 per sample (seed 003 §V-C.2)."""
        return int(self.codes.numel() + 4 * (self.lo.numel() + self.hi.numel()))

    def dequantize(self) -> torch.Tensor:
        """The reconstructed tensor: ``lo + code · (hi - lo) / (2^bits - 1)`` (JALAD [81])."""
        n, per = self.shape[0] if self.shape else 1, 8 // self.bits
        m = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        c = self.codes.to(torch.int32)
        mask = (1 << self.bits) - 1
        parts = [(c >> (self.bits * j)) & mask for j in range(per)]
        codes = torch.stack(parts, dim=-1).reshape(n, -1)[:, :m].to(torch.float32)
        step = (self.hi - self.lo) / float(mask)
        x = self.lo[:, None] + codes * step[:, None]
        return x.reshape(self.shape).to(self.dtype)


def quantize(t: torch.Tensor, bits: int) -> QuantizedTensor:
    """Quantise ``t`` to ``bits`` ∈ {1, 2, 4, 8} per sample (dim 0), min-max uniform, packed
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2). A 0-d or 1-d tensor is one sample."""
    if bits not in BITS:
        raise ValueError(f"bits must be one of {', '.join(map(str, BITS))} (32 = no encoding, "
                         f"handled by the caller); got {bits!r}")
    shape = tuple(t.shape) if t.dim() >= 2 else (1, t.numel())
    x = t.detach().reshape(shape[0], -1).to(torch.float32)
    lo, hi = x.min(dim=1).values, x.max(dim=1).values
    levels = (1 << bits) - 1
    scale = torch.where(hi > lo, (hi - lo) / levels, torch.ones_like(hi))
    codes = torch.round((x - lo[:, None]) / scale[:, None]).clamp_(0, levels).to(torch.int32)
    per = 8 // bits
    pad = (-codes.shape[1]) % per
    if pad:
        codes = F.pad(codes, (0, pad))
    codes = codes.reshape(shape[0], -1, per)
    packed = sum(codes[..., j] << (bits * j) for j in range(per)).to(torch.uint8)
    return QuantizedTensor(packed, lo, hi, bits, tuple(t.shape) if t.dim() >= 2 else shape,
                           t.dtype)


def train_digits_cnn(seed: int = 0, epochs: int = 20, n_train: int | None = None,
                     lr: float = 0.01) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Train the zoo's digits CNN on scikit-learn digits; returns ``(model, x_test, y_test)``
    (the trained network JALAD's accuracy cost is measured on; seed 003 §V-C.2)."""
    from edgelab import models
    from edgelab.datasets import load_digits_split

    epochs = integer_in("epochs", epochs, 1, 10_000)
    xtr, ytr, xte, yte = load_digits_split(seed=seed, shape="image")
    if n_train is not None:
        xtr, ytr = xtr[:integer_in("n_train", n_train, 1, len(xtr))], ytr[:n_train]
    net = models.build("digits_cnn", seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=positive("lr", lr))
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval(), xte, yte


def jalad_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   splits: Sequence[int] | None = None,
                   bits: Sequence[int] = (8, 4, 2)) -> pd.DataFrame:
    """Accuracy and bytes sent when the activation at each split is quantised (JALAD [81]).

    Runs the real head and tail (:func:`split_model`) on ``x`` for every split in ``splits``
    (default: all ``0..n_layers``) and every bit width (plus ``32``: no encoding). Columns:
    ``split, bits, accuracy, agreement`` (share of predictions equal to the unsplit model's),
    ``bytes_per_sample``, ``fp32_bytes_per_sample`` and ``reduction`` (× fewer bytes).
    """
    gm = torch.fx.symbolic_trace(model)
    n = len(_layer_nodes(gm))
    ks = list(range(n + 1)) if splits is None else [integer_in("split", k, 0, n) for k in splits]
    for b in bits:
        if b not in BITS:
            raise ValueError(f"bits must be in {BITS}; got {b!r}")
    with torch.no_grad():
        ref = model(x).argmax(1)
    rows = []
    for k in ks:
        sm = split_model(gm, k)
        with torch.no_grad():
            payload, full = sm.transmit(x)
            for b in (32, *bits):
                if b == 32 or not sm.sent:
                    out, nb = sm.tail(*payload), full
                else:
                    q = [quantize(t, b) for t in payload]
                    out, nb = sm.tail(*[v.dequantize() for v in q]), sum(v.nbytes for v in q)
                pred = out.argmax(1)
                rows.append({"split": k, "bits": b, "accuracy": float((pred == y).float().mean()),
                             "agreement": float((pred == ref).float().mean()),
                             "bytes_per_sample": nb / len(x),
                             "fp32_bytes_per_sample": full / len(x)})
    df = pd.DataFrame(rows)
    df["reduction"] = np.where(df["bytes_per_sample"] > 0,
                               df["fp32_bytes_per_sample"] / df["bytes_per_sample"].where(
                                   df["bytes_per_sample"] > 0, 1.0), 1.0)
    return df


def lossy_split_costs(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None = None,
    bits: int = 8,
) -> SplitCosts:
    """:func:`edgelab.hardware.cost.split_costs` with the crossing activation quantised to ``bits``
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2); ``bits = 32`` is the lossless original.

    The uplink carries ``ceil(bytes · bits / 32)`` plus 8 bytes (min and max) per cut, assuming
    float32 activations; encoding on the device and decoding on the server are charged one pass
    over the activation at each side's effective memory bandwidth. Energy follows the same
    terms (active power while encoding, idle while the server decodes, radio power on the air).
    """
    sc = split_costs(profile, device, server, link, bandwidth_mbps)
    if bits == 32:
        return sc
    if bits not in BITS:
        raise ValueError(f"bits must be 32 (no encoding) or one of {BITS}; got {bits!r}")
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    up, _ = _bandwidths(lk, bandwidth_mbps)
    cut = profile.cut_bytes()
    new_up = np.where(cut > 0, np.ceil(cut * bits / 32.0) + 8.0, 0.0)
    passes = cut * (1.0 + bits / 32.0)
    enc = passes / (dev.mem_bw_gbps * 1e9 * dev.mem_efficiency)
    dec = passes / (srv.mem_bw_gbps * 1e9 * srv.mem_efficiency)
    old_up_s = sc.uplink_bytes * 8.0 / (up[:, None] * 1e6)
    new_up_s = new_up[None, :] * 8.0 / (up[:, None] * 1e6)
    device_s = sc.device_s + enc[None, :]
    server_s = sc.server_s + dec[None, :]
    transfer = sc.transfer_s - old_up_s + new_up_s
    energy = (sc.device_energy_j + dev.active_power_w * enc[None, :]
              + dev.idle_power_w * dec[None, :] - lk.tx_power_w * (old_up_s - new_up_s))
    shape = sc.latency_s.shape
    return SplitCosts(device_s=device_s, transfer_s=transfer, server_s=server_s,
                      latency_s=device_s + transfer + server_s, device_energy_j=energy,
                      uplink_bytes=np.broadcast_to(new_up, shape),
                      downlink_bytes=sc.downlink_bytes, bandwidth_mbps=sc.bandwidth_mbps)


def jalad_plan(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None,
    accuracy: pd.DataFrame,
    max_drop: float = 0.01,
) -> pd.DataFrame:
    """JALAD's decision: the split and bit width of least latency whose accuracy is within
    ``max_drop`` of the unencoded model's (JALAD [81]; seed 003 §V-C.2, Table 4).

    ``accuracy`` is a :func:`jalad_accuracy` table covering every split ``0..n_layers`` (of the
    model ``profile`` describes). JALAD solves this as an integer linear programme; with one
    split and one bit width to choose, enumerating them all is exact. One row per bandwidth,
    with the lossless Neurosurgeon optimum (``split_fp32``, ``latency_fp32_s``) beside it.
    """
    positive("max_drop", max_drop, allow_zero=True)
    n = profile.n_layers
    need = {"split", "bits", "accuracy"}
    if not need <= set(accuracy.columns):
        raise ValueError(f"accuracy must be a jalad_accuracy() table with columns {sorted(need)}")
    acc = accuracy.set_index(["split", "bits"])["accuracy"]
    missing = [k for k in range(n + 1) if (k, 32) not in acc.index]
    if missing:
        raise ValueError(f"accuracy table lacks splits {missing[:5]} (the model has {n} layers: "
                         "measure every split 0..n_layers with jalad_accuracy)")
    base = float(acc.loc[(n, 32)])
    bits_list = sorted({int(b) for b in accuracy["bits"]}, reverse=True)
    lats, oks = [], []
    for b in bits_list:
        sc = lossy_split_costs(profile, device, server, link, bandwidth_mbps, b)
        a = np.array([acc.get((k, b), np.nan) for k in range(n + 1)], dtype=float)
        a[n] = base  # nothing is sent at k = n
        oks.append(np.nan_to_num(a, nan=-1.0) >= base - max_drop)
        lats.append(sc.latency_s)
    lat = np.where(np.array(oks)[:, None, :], np.array(lats), np.inf)  # (nb, B, L+1)
    nb_, b_, m_ = lat.shape
    flat = lat.transpose(1, 0, 2).reshape(b_, -1).argmin(axis=1)
    bi, k = np.divmod(flat, m_)
    rows = np.arange(b_)
    fp32 = lats[bits_list.index(32)] if 32 in bits_list else split_costs(
        profile, device, server, link, bandwidth_mbps).latency_s
    return pd.DataFrame({
        "bandwidth_mbps": np.atleast_1d(split_costs(profile, device, server, link,
                                                    bandwidth_mbps).bandwidth_mbps),
        "split": k, "bits": np.array(bits_list)[bi],
        "accuracy": [float(base if kk == n else acc.loc[(kk, bits_list[bb])])
                     for kk, bb in zip(k, bi, strict=True)],
        "latency_s": lat[bi, rows, k],
        "split_fp32": fp32.argmin(axis=1), "latency_fp32_s": fp32.min(axis=1),
        "all_device_s": fp32[:, n], "all_server_s": fp32[:, 0],
    })


# ============================================================================ between devices

#: Partition schemes between devices (seed 003 §V-C.2): MoDNN's 1-D spatial split of each conv
#: layer biased by device speed (FC layers split by output neuron); MeDNN's greedy per-layer
#: choice of a 2-D grid; DeepThings' fused tiles (a 2-D grid through all leading conv layers,
#: no exchange in between); and an output-channel split of conv and FC layers.
SCHEMES = ("modnn", "mednn", "fused", "channel")

_POINTWISE = (nn.ReLU, nn.ReLU6, nn.BatchNorm2d, nn.LocalResponseNorm, nn.Dropout, nn.Identity,
              nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.SiLU, nn.GELU, nn.LeakyReLU, nn.ELU)
_PER_CHANNEL = (nn.ReLU, nn.ReLU6, nn.BatchNorm2d, nn.Dropout, nn.Identity, nn.Sigmoid, nn.Tanh,
                nn.Hardswish, nn.SiLU, nn.GELU, nn.LeakyReLU, nn.ELU, nn.MaxPool2d, nn.AvgPool2d)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, tuple | list) else (int(v), int(v))


def _window(mod: nn.Module) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], float] | None:
    """((k, s, p, d) along H, (k, s, p, d) along W, padding value) of a sliding-window layer."""
    if isinstance(mod, nn.Conv2d):
        if mod.padding_mode != "zeros" or isinstance(mod.padding, str):
            return None
        k, s, p, d = (_pair(v) for v in (mod.kernel_size, mod.stride, mod.padding, mod.dilation))
        return (k[0], s[0], p[0], d[0]), (k[1], s[1], p[1], d[1]), 0.0
    if isinstance(mod, nn.MaxPool2d | nn.AvgPool2d):
        if mod.ceil_mode:
            return None
        if isinstance(mod, nn.AvgPool2d) and (mod.divisor_override is not None or (
                not mod.count_include_pad and _pair(mod.padding) != (0, 0))):
            return None
        k = _pair(mod.kernel_size)
        s = _pair(mod.stride if mod.stride is not None else mod.kernel_size)
        p = _pair(mod.padding)
        d = _pair(getattr(mod, "dilation", 1))
        fill = -math.inf if isinstance(mod, nn.MaxPool2d) else 0.0
        return (k[0], s[0], p[0], d[0]), (k[1], s[1], p[1], d[1]), fill
    return None


def _in_range(o0: int, o1: int, g: tuple[int, int, int, int]) -> tuple[int, int]:
    """Input rows ``[a, b)`` (unclipped: may reach into the padding) that output rows
    ``[o0, o1)`` of a window ``(k, s, p, d)`` read."""
    k, s, p, d = g
    return o0 * s - p, (o1 - 1) * s - p + d * (k - 1) + 1


def _out_size(n: int, g: tuple[int, int, int, int]) -> int:
    k, s, p, d = g
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@dataclass
class _Stage:
    kind: str  # "tile", "channel" or "whole"
    layers: list[int]
    grid: tuple[int, int] = (1, 1)


def _chain_layers(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    nodes = _layer_nodes(gm)
    prev = next(n for n in gm.graph.nodes if n.op == "placeholder")
    for n in nodes:
        if n.all_input_nodes != [prev]:
            raise ValueError(f"partition between devices needs a chain model; layer {n.name!r} "
                             "reads more than the previous layer. Split the DAG between device "
                             "and server with dads() instead, or pass a chain (e.g. its features)")
        prev = n
    return nodes


def _module(gm: torch.fx.GraphModule, node: torch.fx.Node) -> nn.Module | None:
    return gm.get_submodule(node.target) if node.op == "call_module" else None


def _stages(gm: torch.fx.GraphModule, scheme: str) -> list[_Stage]:
    """Group a chain's layers into stages split between the workers, or run by the owner."""
    nodes = _chain_layers(gm)
    mods = [_module(gm, n) for n in nodes]
    stages: list[_Stage] = []
    cur: _Stage | None = None
    for i, m in enumerate(mods):
        win = m is not None and _window(m) is not None
        if scheme == "channel":
            starts = isinstance(m, nn.Conv2d | nn.Linear)
            absorbs = isinstance(m, _PER_CHANNEL) and (not isinstance(m, nn.MaxPool2d | nn.AvgPool2d)
                                                      or _window(m) is not None)
            if starts:
                cur = _Stage("channel", [i])
                stages.append(cur)
            elif cur is not None and absorbs and cur.kind == "channel":
                cur.layers.append(i)
            else:
                cur = None
                stages.append(_Stage("whole", [i]))
            continue
        if isinstance(m, nn.Linear) and scheme in ("modnn", "mednn"):
            cur = _Stage("channel", [i])
            stages.append(cur)
        elif win and (scheme != "fused" or cur is None or cur.kind != "tile"):
            cur = _Stage("tile", [i])
            stages.append(cur)
        elif (win or isinstance(m, _POINTWISE)) and cur is not None and cur.kind == "tile":
            cur.layers.append(i)
        elif isinstance(m, nn.ReLU | nn.ReLU6 | nn.Dropout | nn.Identity) and cur is not None \
                and cur.kind == "channel":
            cur.layers.append(i)
        else:
            cur = None
            stages.append(_Stage("whole", [i]))
    if scheme == "fused":  # DeepThings fuses the leading conv stack only; the rest on the owner
        first = next((j for j, s in enumerate(stages) if s.kind == "tile"), None)
        for j, s in enumerate(stages):
            if s.kind != "whole" and j != first:
                s.kind = "whole"
    return stages


def _splits(n: int, shares: np.ndarray) -> np.ndarray:
    """Boundaries ``0 = b0 ≤ … ≤ bk = n`` splitting ``n`` rows in proportion to ``shares``."""
    b = np.round(np.concatenate([[0.0], np.cumsum(shares) / np.sum(shares)]) * n).astype(int)
    b[-1] = n
    return np.maximum.accumulate(b)


def _tiles(h: int, w: int, grid: tuple[int, int], shares: np.ndarray | None) -> list[tuple[int, int, int, int]]:
    """Tiles ``(r0, r1, c0, c1)`` of an ``h × w`` output, row-major; 1-D row bands follow
    ``shares`` (MoDNN's biased partition), grids are equal."""
    r, c = grid
    rs = _splits(h, shares if (shares is not None and c == 1) else np.ones(r))
    cs = _splits(w, np.ones(c))
    return [(rs[i], rs[i + 1], cs[j], cs[j + 1]) for i in range(r) for j in range(c)]


def _tile_ranges(geoms: list[Any], sizes: list[tuple[int, int]],
                 tile: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """Backward pass of a tile through a stack: the unclipped input ranges of every layer.

    ``geoms[l]`` is ``_window`` of layer ``l`` (``None``: pointwise), ``sizes[l]`` its input
    ``(H, W)``. Returns per layer ``(a, b, c, d)``: input rows ``[a, b)``, columns ``[c, d)``.
    """
    r0, r1, c0, c1 = tile
    out: list[tuple[int, int, int, int]] = []
    for geo, (h, w) in zip(reversed(geoms), reversed(sizes), strict=True):
        if geo is None:
            a, b, c, d = r0, r1, c0, c1
        else:
            (a, b), (c, d) = _in_range(r0, r1, geo[0]), _in_range(c0, c1, geo[1])
        out.append((a, b, c, d))
        r0, r1, c0, c1 = max(a, 0), min(b, h), max(c, 0), min(d, w)
    return out[::-1]


def _stack_sizes(mods: list[nn.Module], h: int, w: int) -> list[tuple[int, int]]:
    sizes = []
    for m in mods:
        sizes.append((h, w))
        geo = _window(m)
        if geo is not None:
            h, w = _out_size(h, geo[0]), _out_size(w, geo[1])
    sizes.append((h, w))
    return sizes


def _run_window(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a window layer with its padding already applied (padding 0)."""
    if isinstance(m, nn.Conv2d):
        return F.conv2d(x, m.weight, m.bias, m.stride, 0, m.dilation, m.groups)
    if isinstance(m, nn.MaxPool2d):
        return F.max_pool2d(x, m.kernel_size, m.stride, 0, m.dilation)
    return F.avg_pool2d(x, m.kernel_size, m.stride, 0)


def _run_tile(mods: list[nn.Module], x: torch.Tensor, tile: tuple[int, int, int, int]) -> torch.Tensor:
    """Compute one output tile of a stack of layers from the full input ``x`` (real tensors)."""
    h, w = x.shape[-2:]
    sizes = _stack_sizes(mods, h, w)
    ranges = _tile_ranges([_window(m) for m in mods], sizes[:-1], tile)
    a, b, c, d = ranges[0]
    t = x[..., max(a, 0):min(b, h), max(c, 0):min(d, w)]  # what the worker receives
    for m, (a, b, c, d), (hh, ww) in zip(mods, ranges, sizes[:-1], strict=True):
        geo = _window(m)
        if geo is None:
            t = m(t)
            continue
        pads = (max(0, -c), max(0, d - ww), max(0, -a), max(0, b - hh))
        if any(pads):
            t = F.pad(t, pads, value=geo[2])
        t = _run_window(m, t)
    return t


def _channel_chunks(m: nn.Module, n: int) -> list[tuple[int, int]]:
    out_ch = m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
    g = m.groups if isinstance(m, nn.Conv2d) else 1
    if g > 1 and g >= n:  # whole groups per worker
        gb = _splits(g, np.ones(n)) * (out_ch // g)
    else:
        gb = _splits(out_ch, np.ones(n))
    return [(int(gb[i]), int(gb[i + 1])) for i in range(n)]


def _run_channels(mods: list[nn.Module], x: torch.Tensor, c0: int, c1: int) -> torch.Tensor:
    """Output channels ``[c0, c1)`` of a conv/FC layer and its per-channel followers."""
    m = mods[0]
    if isinstance(m, nn.Linear):
        t = F.linear(x, m.weight[c0:c1], None if m.bias is None else m.bias[c0:c1])
    else:
        og = m.out_channels // m.groups
        ig = m.in_channels // m.groups
        parts = []
        o = c0
        while o < c1:  # one call per run of whole groups, or per partial group
            g0 = o // og
            if o % og == 0 and c1 - o >= og:
                g1 = g0 + (c1 - o) // og
                hi = g1 * og
                ng = g1 - g0
            else:
                hi = min(c1, (g0 + 1) * og)
                ng, g1 = 1, g0 + 1
            xin = x[:, g0 * ig:g1 * ig]
            wts = m.weight[o:hi]
            if ng == 1 and hi - o < og:
                parts.append(F.conv2d(xin, wts, None, m.stride, m.padding, m.dilation, 1))
            else:
                parts.append(F.conv2d(xin, wts, None, m.stride, m.padding, m.dilation, ng))
            o = hi
        t = torch.cat(parts, 1)
        if m.bias is not None:
            t = t + m.bias[c0:c1].reshape(1, -1, 1, 1)
    for f in mods[1:]:
        if isinstance(f, nn.BatchNorm2d):
            t = F.batch_norm(t, f.running_mean[c0:c1], f.running_var[c0:c1],
                             None if f.weight is None else f.weight[c0:c1],
                             None if f.bias is None else f.bias[c0:c1], False, 0.0, f.eps)
        else:
            t = f(t)
    return t


@dataclass(frozen=True)
class DevicePlan:
    """A partition of a chain model between 2–4 devices and its cost (MoDNN [85], MeDNN [84],
    DeepThings [86]; seed 003 §V-C.2).

    ``stages`` has one row per stage: ``kind`` (``tile``: spatial tiles with halos, ``channel``:
    output channels, ``whole``: the owner alone), its layers, grid, compute and exchange time.
    ``latency_s`` = Σ stages (exchange does not overlap compute) + the owner's per-inference
    overhead; ``speedup = single_s / latency_s`` against the owner (worker 0) alone.
    """

    scheme: str
    devices: list[str]
    link: str
    bandwidth_mbps: float
    shares: np.ndarray
    stages: pd.DataFrame
    single_s: float
    latency_s: float
    compute_s: float
    exchange_s: float
    exchanged_bytes: float
    specs: list[_Stage]

    @property
    def speedup(self) -> float:
        """Single-device latency ÷ distributed latency (seed 003 §V-C.2, MoDNN's metric)."""
        return self.single_s / self.latency_s

    @property
    def n_workers(self) -> int:
        """Number of devices computing, the owner included."""
        return len(self.devices)


def _input_hw(profile: Profile, mod: nn.Module) -> tuple[int, int]:
    """The model input's ``(H, W)`` from its byte count and the first layer's output shape."""
    first = [int(v) for v in str(profile.table["out_shape"].iloc[0]).split(",")[0].split("x")]
    n_b = first[0]
    cin = getattr(mod, "in_channels", None) or first[1]
    hw = profile.input_bytes // 4 // n_b // cin
    geo = _window(mod)
    cands = [(h, hw // h) for h in range(1, hw + 1) if hw % h == 0]
    if geo is not None:
        cands = [(h, w) for h, w in cands
                 if (_out_size(h, geo[0]), _out_size(w, geo[1])) == (first[-2], first[-1])]
    else:
        cands = [(h, w) for h, w in cands if (h, w) == (first[-2], first[-1])]
    if not cands:
        raise ValueError(f"cannot infer the input size of {profile.name!r} from its profile")
    return min(cands, key=lambda hw_: abs(hw_[0] - hw_[1]))


def _shape_of(profile: Profile, i: int) -> list[int]:
    return [int(v) for v in str(profile.table["out_shape"].iloc[i]).split(",")[0].split("x")]


def _factor_grids(n: int) -> list[tuple[int, int]]:
    return [(r, n // r) for r in range(1, n + 1) if n % r == 0]


def between_devices(
    profile: Profile,
    devices: str | Sequence[str],
    link: Link | str = "wifi5",
    n_workers: int | None = None,
    scheme: str = "modnn",
    bandwidth_mbps: float | None = None,
    grid: tuple[int, int] | None = None,
    fuse_layers: int | None = None,
) -> DevicePlan:
    """Partition a chain model between devices and cost it (seed 003 §V-C.2: MoDNN [85],
    MeDNN [84], DeepThings [86]).

    ``devices`` is one device class with ``n_workers`` (2–4 identical workers) or a list of
    device names (heterogeneous; the first is the owner holding the input and the result).
    Per stage (see :data:`SCHEMES`), each worker's compute is its share of each layer's
    latency on its own device (the per-layer overhead is paid in full), and the owner scatters
    the inputs each other worker needs (tiles with their halo rows and columns, or the whole
    input for a channel split) and gathers their outputs over one shared ``link``
    (transfers serialise, one RTT per stage). MoDNN's rows and the channel split follow the
    devices' speeds (BODP, the biased one-dimensional partition); grids are equal.
    ``grid`` fixes the tile grid of ``fused`` (default: the most square). DeepThings fuses
    only the first layers (deeper tiles need ever wider halos, recomputed by every worker):
    ``fuse_layers`` fixes how many; by default the depth of least latency is searched.
    """
    scheme = choice("scheme", scheme, SCHEMES)
    if isinstance(devices, str):
        nw = integer_in("n_workers", 2 if n_workers is None else n_workers, 1, 64)
        devs = [get_device(devices)] * nw
    else:
        devs = [get_device(d) for d in devices]
        if n_workers is not None and n_workers != len(devs):
            raise ValueError(f"n_workers={n_workers} but {len(devs)} devices were given")
        if not devs:
            raise ValueError("devices must name at least one device")
    nw = len(devs)
    lk = get_link(link)
    bw = positive("bandwidth_mbps", bandwidth_mbps) if bandwidth_mbps is not None else lk.uplink_mbps
    gm = profile.graph
    if gm is None:
        raise ValueError(f"profile {profile.name!r} has no torch.fx graph")
    if not profile.is_chain:
        raise ValueError(f"model {profile.name!r} is not a chain; partition between devices "
                         "splits chain models (MoDNN, DeepThings). Use dads() for a DAG between "
                         "device and server")
    stages = _stages(gm, scheme)
    nodes = _layer_nodes(gm)
    mods = [_module(gm, n) for n in nodes]
    lat = layer_latency_grid(profile, devs)  # (W, L)
    t = profile.table
    oh = np.array([[d.overhead_for(o, f, m) for o, f, m in zip(t["op"].astype(str), t["family"],
                   t["module"].astype(str), strict=True)] for d in devs])
    oh = np.minimum(oh, lat)
    speed = 1.0 / np.array([model_latency(profile, d) for d in devs])
    shares = speed / speed.sum()
    elt = 4  # float32 bytes

    def evaluate(stages: list[_Stage]) -> tuple[list[dict[str, Any]], float, float, float]:
        return _evaluate_stages(stages, profile, nodes, mods, lat, oh, shares, scheme, grid, lk,
                                bw, nw, elt)

    if scheme == "fused":
        first = next((j for j, s_ in enumerate(stages) if s_.kind == "tile"), None)
        if first is not None:
            fused = stages[first].layers
            cuts = [i for i in range(1, len(fused) + 1)
                    if i == len(fused) or _window(mods[fused[i]]) is not None]
            if fuse_layers is not None:
                depth = integer_in("fuse_layers", fuse_layers, 1, len(fused))
                cuts = [depth]
            best = None
            for c in cuts:
                cand = (stages[:first] + [_Stage("tile", fused[:c])]
                        + [_Stage("whole", [j]) for j in fused[c:]] + stages[first + 1:])
                res = evaluate(cand)
                if best is None or res[1] + res[2] < best[1][1] + best[1][2]:
                    best = (cand, res)
            stages, (rows, compute_total, exchange_total, bytes_total) = best
        else:
            rows, compute_total, exchange_total, bytes_total = evaluate(stages)
    else:
        rows, compute_total, exchange_total, bytes_total = evaluate(stages)
    latency = compute_total + exchange_total + devs[0].model_overhead_s
    return DevicePlan(scheme, [d.name for d in devs], lk.name, float(bw), shares,
                      pd.DataFrame(rows), model_latency(profile, devs[0]), latency, compute_total,
                      exchange_total, bytes_total, stages)


def _evaluate_stages(stages: list[_Stage], profile: Profile, nodes: list[torch.fx.Node],
                     mods: list[nn.Module | None], lat: np.ndarray, oh: np.ndarray,
                     shares: np.ndarray, scheme: str, grid: tuple[int, int] | None, lk: Link,
                     bw: float, nw: int, elt: int) -> tuple[list[dict[str, Any]], float, float, float]:
    """Cost every stage of a between-devices plan (see :func:`between_devices`)."""
    rows = []
    compute_total = exchange_total = bytes_total = 0.0
    for si, st in enumerate(stages):
        first, last = st.layers[0], st.layers[-1]
        in_shape = ([_shape_of(profile, first - 1)] if first > 0 else [None])[0]
        out_shape = _shape_of(profile, last)
        nb = out_shape[0]
        remote_in = remote_out = 0.0
        if st.kind == "whole" or nw == 1:
            comp = float(lat[0, st.layers].sum())
            st.grid = (1, 1)
        elif st.kind == "channel":
            chunks = _channel_chunks(mods[first], nw) if scheme != "modnn" and scheme != "channel" \
                else None
            out_ch = out_shape[1]
            if chunks is None:  # biased by speed
                b = _splits(mods[first].out_channels if isinstance(mods[first], nn.Conv2d)
                            else mods[first].out_features, shares)
                if isinstance(mods[first], nn.Conv2d) and mods[first].groups > 1:
                    b = np.array([0] + [c1 for _, c1 in _channel_chunks(mods[first], nw)])
                chunks = [(int(b[i]), int(b[i + 1])) for i in range(nw)]
            total_out = mods[first].out_channels if isinstance(mods[first], nn.Conv2d) \
                else mods[first].out_features
            st.grid = (nw, 1)
            per = []
            in_bytes = (profile.input_bytes if first == 0 else float(np.prod(in_shape)) * elt)
            for wi, (c0, c1) in enumerate(chunks):
                frac = (c1 - c0) / total_out
                per.append(float(sum(oh[wi, j] + (lat[wi, j] - oh[wi, j]) * frac
                                     for j in st.layers)) if c1 > c0 else 0.0)
                if wi > 0 and c1 > c0:
                    remote_in += in_bytes
                    remote_out += float(np.prod(out_shape)) * elt * (c1 - c0) / out_ch * (
                        out_ch / total_out if out_ch == total_out else 1.0)
            comp = max(per)
        else:  # tile
            smods = [mods[j] for j in st.layers]
            if first == 0:
                h, w = _input_hw(profile, smods[0])
                cin = getattr(smods[0], "in_channels", 1)
            else:
                cin, h, w = in_shape[1], in_shape[-2], in_shape[-1]
            sizes = _stack_sizes(smods, h, w)
            ho, wo = sizes[-1]
            if scheme == "modnn":
                options = [(nw, 1)]
            elif scheme == "mednn":
                options = _factor_grids(nw)
            else:
                options = [grid] if grid is not None else [min(_factor_grids(nw),
                                                               key=lambda g: (abs(g[0] - g[1]), -g[0]))]
            best = None
            for gr in options:
                if gr[0] * gr[1] != nw:
                    raise ValueError(f"grid {gr} must have n_workers = {nw} tiles")
                tiles = _tiles(ho, wo, gr, shares if scheme == "modnn" else None)
                per, rin, rout = [], 0.0, 0.0
                for wi, tile in enumerate(tiles):
                    if tile[1] <= tile[0] or tile[3] <= tile[2]:
                        per.append(0.0)
                        continue
                    rng = _tile_ranges([_window(m) for m in smods], sizes[:-1], tile)
                    c_time = 0.0
                    for li, j in enumerate(st.layers):
                        a, b_, c, d = rng[li + 1] if li + 1 < len(rng) else tile
                        hh, ww = sizes[li + 1]
                        o_el = (min(b_, hh) - max(a, 0)) * (min(d, ww) - max(c, 0))
                        frac = o_el / float(hh * ww)
                        c_time += oh[wi, j] + (lat[wi, j] - oh[wi, j]) * frac
                    per.append(c_time)
                    if wi > 0:
                        a, b_, c, d = rng[0]
                        rin += nb * cin * (min(b_, h) - max(a, 0)) * (min(d, w) - max(c, 0)) * elt
                        rout += nb * out_shape[1] * (tile[1] - tile[0]) * (tile[3] - tile[2]) * elt
                tot = max(per) + (lk.rtt_ms / 1e3 + (rin + rout) * 8.0 / (bw * 1e6)
                                  if rin + rout > 0 else 0.0)
                if best is None or tot < best[0]:
                    best = (tot, gr, max(per), rin, rout)
            _, st.grid, comp, remote_in, remote_out = best
        moved = remote_in + remote_out
        exch = (lk.rtt_ms / 1e3 + moved * 8.0 / (bw * 1e6)) if moved > 0 else 0.0
        compute_total += comp
        exchange_total += exch
        bytes_total += moved
        rows.append({"stage": si, "kind": st.kind, "first": nodes[first].name,
                     "last": nodes[last].name, "n_layers": len(st.layers),
                     "grid": f"{st.grid[0]}x{st.grid[1]}", "compute_s": comp, "exchange_s": exch,
                     "exchanged_bytes": moved, "owner_alone_s": float(lat[0, st.layers].sum())})
    return rows, compute_total, exchange_total, bytes_total


def distributed_forward(model: nn.Module, x: torch.Tensor, plan: DevicePlan) -> torch.Tensor:
    """Execute ``plan`` on real tensors: every split stage computes each worker's tile (with its
    halo) or channel slice separately and the owner reassembles them (MoDNN [85], MeDNN [84],
    DeepThings [86]; seed 003 §V-C.2). The result equals ``model(x)`` up to float rounding.

    ``model`` must trace to the same chain as the profile the plan was made from (same layer
    names; ``x`` may have another batch size or image size for tiles).
    """
    gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    nodes = _chain_layers(gm)
    names = [n.name for n in nodes]
    plan_names = [plan.stages["first"].iloc[0]]
    if names[0] not in plan_names:
        raise ValueError("the plan was made for another model (layer names differ)")
    mods = [_module(gm, n) for n in nodes]
    nw = plan.n_workers
    t = x
    with torch.no_grad():
        for st in plan.specs:
            smods = [mods[j] for j in st.layers]
            if st.kind == "whole" or nw == 1:
                for j in st.layers:
                    t = mods[j](t) if mods[j] is not None else _call(nodes[j], t)
            elif st.kind == "channel":
                m = smods[0]
                total = m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
                if plan.scheme in ("modnn", "channel") and not (
                        isinstance(m, nn.Conv2d) and m.groups > 1):
                    b = _splits(total, plan.shares)
                    chunks = [(int(b[i]), int(b[i + 1])) for i in range(nw)]
                else:
                    chunks = _channel_chunks(m, nw)
                t = torch.cat([_run_channels(smods, t, c0, c1) for c0, c1 in chunks if c1 > c0], 1)
            else:
                sizes = _stack_sizes(smods, t.shape[-2], t.shape[-1])
                ho, wo = sizes[-1]
                tiles = _tiles(ho, wo, st.grid, plan.shares if plan.scheme == "modnn" else None)
                r, c = st.grid
                rows_ = []
                for i in range(r):
                    cols = [_run_tile(smods, t, tile) for tile in tiles[i * c:(i + 1) * c]
                            if tile[3] > tile[2] and tile[1] > tile[0]]
                    if cols:
                        rows_.append(torch.cat(cols, -1))
                t = torch.cat(rows_, -2)
    return t


def _call(node: torch.fx.Node, t: torch.Tensor) -> torch.Tensor:
    """Run a call_function / call_method node of a chain on its single tensor input."""
    args = torch.fx.node.map_arg(node.args, lambda _a: t)
    kwargs = torch.fx.node.map_arg(node.kwargs, lambda _a: t)
    if node.op == "call_function":
        return node.target(*args, **kwargs)
    return getattr(args[0], node.target)(*args[1:], **kwargs)


# ============================================================================ reproduction helper


def neurosurgeon_gains(
    models: Sequence[str],
    devices: Sequence[str],
    servers: Sequence[str],
    links: Sequence[str],
) -> pd.DataFrame:
    """Neurosurgeon's gains for every model × device × server × link (seed 003 §V-C.2, Table 4).

    One row per combination, at the link's own bandwidth: the latency-optimal and the
    energy-optimal split, ``latency_gain`` (the better of all-on-device and all-on-server ÷ the
    best split's latency, ≥ 1), ``energy_reduction_pct`` (device energy saved against the better
    endpoint, ≥ 0), and the same two against all-on-server alone (``*_vs_server``: the "status
    quo" cloud-only baseline of the Neurosurgeon paper). ``fits_device`` says whether the whole
    model fits the device's memory (all-on-device is only a real option when it does).
    """
    from edgelab.hardware.cost import fits_memory
    from edgelab.hardware.profile import profile_model

    rows = []
    for m in models:
        p = profile_model(m)
        n = p.n_layers
        fits = {d: fits_memory(p, d) for d in devices}
        for srv in servers:
            for lk in links:
                sc = split_costs(p, list(devices), srv, lk)
                lat, en = sc.latency_s[:, 0, :], sc.device_energy_j[:, 0, :]
                for i, d in enumerate(devices):
                    kl, ke = int(np.argmin(lat[i])), int(np.argmin(en[i]))
                    base_l, base_e = min(lat[i, 0], lat[i, n]), min(en[i, 0], en[i, n])
                    rows.append({
                        "model": m, "device": d, "server": srv, "link": lk, "n_layers": n,
                        "split_latency": kl, "latency_s": float(lat[i, kl]),
                        "all_device_s": float(lat[i, n]), "all_server_s": float(lat[i, 0]),
                        "latency_gain": float(base_l / lat[i, kl]),
                        "latency_gain_vs_server": float(lat[i, 0] / lat[i, kl]),
                        "split_energy": ke, "device_energy_j": float(en[i, ke]),
                        "energy_reduction_pct": float(100.0 * (1.0 - en[i, ke] / base_e)),
                        "energy_reduction_vs_server_pct": float(100.0 * (1.0 - en[i, ke] / en[i, 0])),
                        "fits_device": bool(fits[d]),
                    })
    return pd.DataFrame(rows)
