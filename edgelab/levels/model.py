"""The seven levels of edge intelligence as a computable scenario model (seed 003 §III-B, Fig. 7).

(:mod:`edgelab.levels` re-exports everything public here; the survey's frames as tables are
in :mod:`edgelab.levels.frames`.)

Seed 003 rates EI by "the amount and path length of data offloading": Cloud Intelligence (CI),
then Levels 1-6. It claims that as the level rises, transmission latency falls, privacy rises
and WAN cost falls, while the computation latency and energy (on the device side) grow. This
module turns a scenario -- a model, an end device, an edge node, a cloud, the device<->edge
link, the edge<->cloud WAN, a training set, epochs, a request rate -- into those KPIs for
every level, using the foundation cost model (:mod:`edgelab.hardware.cost`) and the one split search
shared with the partition chapter (:func:`edgelab.inference.partition.best_split`).

Placement rules (the survey's definitions, made concrete):

=====  ====================================  =====================================================
level  inference (per request)               training (once)
=====  ====================================  =====================================================
CI     device -> edge -> cloud; cloud runs    centralized in the cloud (Fig. 8a): raw training
       the whole model                        data crosses link and WAN
L1     device sends input to the edge; the    centralized in the cloud
       edge runs layers ``[0, k)`` and the
       cloud the rest (best edge|cloud split)
L2     device runs ``[0, k)``, edge the rest  centralized in the cloud
       (best device|edge split; k = 0 is the
       edge-based mode, Fig. 12a)
L3     on the device                          centralized in the cloud
L4     as L1 (edge-cloud co-inference)        cloud-edge co-training (hybrid, Fig. 8c): raw data
                                              to the edge, the edge trains, one model exchange
                                              (up + down) with the cloud per epoch
L5     as L2 (in-edge co-inference)           all in-edge, decentralised (§IV-A.2): raw data to
                                              the edge, ``edge_nodes`` edge nodes each train on
                                              their share and gossip the model with their ring
                                              neighbours over ``peer_link`` once per epoch
L6     on the device                          on the device, on its own data
=====  ====================================  =====================================================

Cost rules (stated so a reader can check them):

* Inference latency and device energy come from :func:`edgelab.hardware.cost.split_costs`: device
  energy = active power x device compute + radio power x air time + idle power x waiting.
  Every other exchange (input and result over the link and the WAN, training data, model
  syncs) is :func:`edgelab.hardware.cost.exchange_time` (RTT + bytes / bandwidth each way) at
  the rates of :func:`edgelab.hardware.cost.link_rates` (no bandwidth given means the link's
  own), charged by :func:`edgelab.hardware.cost.device_energy` (radio, idle while waiting);
  a duty-cycled link (LoRa) stretches every uplink by
  :func:`edgelab.hardware.cost.duty_cycled_time`.
* Training compute ~= 3 x the forward cost per sample (forward + backward, whose two
  products per layer cost about twice the forward), at mini-batch ``train_batch``: time =
  ``3 x epochs x ceil(samples / batch) x`` roofline latency of one batched forward pass.
  Energy = active power x that time on the device that trains.
* Training data volume ``D = samples x raw input bytes``: the raw data leaves the device at its
  real encoding (:attr:`edgelab.hardware.profile.Profile.raw_input_bytes`, uint8 pixels for the
  zoo's images), as the raw input of every offloaded request does.
  Centralized training ships ``D`` once over the link and once over the WAN (store and
  forward, times added). Co-training (L4) ships ``2 x weight bytes`` over the WAN per epoch.
* Decentralised training (L5, seed 003 §IV-A.2 and §IV-C.6): the ``edge_nodes`` edge nodes
  train in parallel, each on ``1/edge_nodes`` of the data, and once per epoch each sends its
  model to its ``gossip_peers`` ring neighbours (at most ``edge_nodes - 1``) over ``peer_link``
  (:func:`edgelab.training.gossip_cost.gossip_exchange_time`, built on ``cost.transfer_time``);
  ``train_peer_bytes`` is the busiest edge node's bytes (sent + received), which stay on the
  edge network and so are neither WAN bytes nor raw data.
* Training memory on the device (L6): ``3 x weight bytes`` (weights, gradients, momentum) +
  ``batch x`` the sum of all layer activations (kept for the backward pass).
* Totals add the training once and ``request_rate_hz x horizon_s`` inference requests.
* Co-inference keeps at least one layer on the second tier (``k < n``), so L1 always uses the
  cloud and L2 always the edge; L2's device head (weights + peak activation) must fit memory.
* Model deployment after cloud training (``deploy_wan_bytes``) is reported but is not data
  offloading, so it is not part of the survey's claim.

Where the claim breaks, ``claim_breaks`` names the KPIs that move the wrong way at the step
into that level and ``claim_cause`` gives the documented cause (see :data:`CAUSES`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from edgelab._validate import choice, instance, integer_in, positive, positive_array
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import (
    device_energy,
    duty_cycled_time,
    exchange_time,
    fits_memory,
    layer_latency_grid,
    link_rates,
)
from edgelab.hardware.profile import Profile, profile_model
from edgelab.inference.partition import OBJECTIVES, best_split
from edgelab.training.gossip_cost import gossip_exchange_time

__all__ = [
    "LEVELS", "LEVEL_IDS", "CAUSES", "CLAIM_KPIS", "Level", "Scenario", "evaluate",
    "sweep_bandwidth", "deadline_map", "claim_check", "transmission_latency", "link_of",
    "bandwidth_grid",
]


@dataclass(frozen=True)
class Level:
    """One EI level of seed 003 §III-B (Fig. 7): where training and inference happen."""

    id: str
    name: str
    training: str  # cloud | cloud-edge | edge | device
    inference: str  # cloud | edge-cloud | device-edge | device
    training_architecture: str  # seed 003 §IV-A, Fig. 8


LEVELS: tuple[Level, ...] = (
    Level("CI", "Cloud Intelligence", "cloud", "cloud", "centralized"),
    Level("L1", "Cloud-edge co-inference, cloud training", "cloud", "edge-cloud", "centralized"),
    Level("L2", "In-edge co-inference, cloud training", "cloud", "device-edge", "centralized"),
    Level("L3", "On-device inference, cloud training", "cloud", "device", "centralized"),
    Level("L4", "Cloud-edge co-training and inference", "cloud-edge", "edge-cloud", "hybrid"),
    Level("L5", "All in-edge", "edge", "device-edge", "hybrid / decentralized"),
    Level("L6", "All on-device", "device", "device", "on-device (no exchange)"),
)
LEVEL_IDS: tuple[str, ...] = tuple(lv.id for lv in LEVELS)

#: KPIs of the survey's claim: (column, direction as the level rises).
CLAIM_KPIS: tuple[tuple[str, str], ...] = (
    ("wan_bytes", "non-increasing"),
    ("raw_bytes_out", "non-increasing"),
    ("device_compute_s", "non-decreasing"),
    ("device_compute_energy_j", "non-decreasing"),
)

#: The documented causes of a break in the claim, by short key.
CAUSES: dict[str, str] = {
    "l4_inference_leaves_device": (
        "L4 moves inference back to edge-cloud co-inference: per request, raw input leaves the "
        "device again, the WAN carries the activation and the device computes nothing"),
    "updates_exceed_data": (
        "co-training ships 2 x weights per epoch over the WAN, more than the raw training data"),
    "l1_activation_exceeds_input": (
        "the best edge|cloud split sends an activation larger than the raw input over the WAN"),
    "model_does_not_fit": (
        "the model (or its training state) does not fit the device's memory: the level is "
        "infeasible, its numbers are hypothetical"),
}


@dataclass(frozen=True)
class Scenario:
    """An EI deployment to rate by level (seed 003 §III-B).

    ``bandwidth_mbps`` overrides the device<->edge link (symmetric); ``wan_mbps`` the WAN.
    ``objective`` is what the co-inference splits minimise (``latency`` or device ``energy``).
    """

    model: str = "alexnet"
    device: str | Device = "rpi4"
    edge: str | Device = "edge-server-cpu"
    cloud: str | Device = "a100"
    link: str | Link = "wifi5"
    wan: str | Link = "wan"
    bandwidth_mbps: float | None = None
    wan_mbps: float | None = None
    train_samples: int = 10_000
    epochs: int = 5
    request_rate_hz: float = 1.0
    horizon_s: float = 86_400.0
    train_batch: int = 32
    objective: str = "latency"
    edge_nodes: int = 4
    peer_link: str | Link = "ethernet"
    gossip_peers: int = 2

    def __post_init__(self) -> None:
        _profile(self.model)  # validates the model name (cached)
        for d in (self.device, self.edge, self.cloud):
            _dev(d)
        link_of(self.link)
        link_of(self.wan)
        if self.bandwidth_mbps is not None:
            positive("bandwidth_mbps", self.bandwidth_mbps)
        if self.wan_mbps is not None:
            positive("wan_mbps", self.wan_mbps)
        integer_in("train_samples", self.train_samples, 1, 10**12)
        integer_in("epochs", self.epochs, 1, 10**6)
        integer_in("train_batch", self.train_batch, 1, 10**6)
        # bounded so that requests × bytes stays far from float overflow
        positive("request_rate_hz", self.request_rate_hz, allow_zero=True, at_most=1e9)
        positive("horizon_s", self.horizon_s, allow_zero=True, at_most=1e12)

        choice("objective", self.objective, OBJECTIVES)
        integer_in("edge_nodes", self.edge_nodes, 1, 10**4)
        link_of(self.peer_link)
        integer_in("gossip_peers", self.gossip_peers, 1, 10**4)  # capped at edge_nodes - 1

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed, validated again (seed 003 §III-B scenario)."""
        return replace(self, **changes)


# ----------------------------------------------------------------------------- helpers
_MEMO: dict[tuple[object, ...], object] = {}
_MEMO_MAX = 256


def _memo(key: tuple[object, ...], fn: Callable[[], Any]) -> Any:
    """Cache bandwidth-independent results (keys use reprs: Device holds a dict, so no hash)."""
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = fn()
    return _MEMO[key]


def _dev(d: str | Device) -> Device:
    if isinstance(d, str) and d != "host":  # host may be re-calibrated during a session
        return _memo(("device", d), lambda: get_device(d))
    return get_device(d)


def link_of(lk: str | Link) -> Link:
    """The :class:`~edgelab.hardware.catalog.Link` a scenario names (seed 003 §III-B), memoised.

    A catalog name or a ``Link`` (returned validated); unknown names raise with close matches.
    """
    if isinstance(lk, str):
        return _memo(("link", lk), lambda: get_link(lk))
    return get_link(lk)


@lru_cache(maxsize=64)
def _profile(model: str) -> Profile:
    return profile_model(model)


@lru_cache(maxsize=64)
def _batched(model: str, batch: int) -> Profile:
    """The batch-1 profile scaled to a mini-batch (weights are read once per batch)."""
    p = _profile(model)
    t = p.table.copy()
    for c in ("macs", "flops", "input_bytes", "output_bytes"):
        t[c] = t[c] * batch
    return Profile(p.name, t, None, p.input_bytes * batch, p.preds, p.output_layer,
                   p.raw_input_bytes * batch)


def _train_compute_s(model: str, batch: int, devices: Sequence[Device], samples: int,
                     epochs: int) -> np.ndarray:
    """Seconds to train on each device: 3 x forward cost, ceil(samples / batch) steps/epoch."""
    pb = _batched(model, batch)
    fwd = layer_latency_grid(pb, devices).sum(axis=1) + np.array([d.model_overhead_s for d in devices])
    steps = epochs * math.ceil(samples / batch)
    return 3.0 * steps * fwd


def _train_memory_bytes(p: Profile, batch: int) -> float:
    t = p.table
    return float(3 * t["weight_bytes"].sum() + batch * t["output_bytes"].sum())


def _head_fits(p: Profile, dev: Device) -> np.ndarray:
    """For each split k: do the first k layers' weights and activations fit the device?"""
    t = p.table
    w = np.concatenate([[0.0], np.cumsum(t["weight_bytes"].to_numpy(dtype=float))])
    act = (t["input_bytes"] + t["output_bytes"]).to_numpy(dtype=float)
    peak = np.concatenate([[0.0], np.maximum.accumulate(act)])
    return (w + peak) <= dev.mem_bytes


def _hop(link: Link, up_bytes: float | np.ndarray, down_bytes: float | np.ndarray,
         up_mbps: np.ndarray, down_mbps: np.ndarray,
         idle_w: float = 0.0, wait_s: float | np.ndarray = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, sender's energy) of one exchange over ``link``, as cost.split_costs does.

    The energy is the radio's (tx over the up air time, rx over the down air time, half the
    RTT each) plus ``idle_w`` × (``wait_s`` spent waiting for the far side + the silence a
    duty-cycled uplink imposes): the device computes
    nothing during an exchange (:func:`edgelab.hardware.cost.device_energy` with no compute).
    """
    rtt = link.rtt_ms / 1e3
    seconds, up_s, down_s = exchange_time(up_bytes, down_bytes, up_mbps, down_mbps, rtt,
                                          link.duty_cycle)
    silent = duty_cycled_time(up_s, link.duty_cycle) - up_s  # 0 without a duty cycle
    return seconds, device_energy(0.0, 0.0, link, up_s, down_s, rtt, idle_w, wait_s + silent)


def _rates(lk: Link, wn: Link, sc: Scenario,
           bandwidths: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(up, down)`` Mbit/s of the device<->edge link and of the WAN: the grid, else the
    scenario's overrides, else each link's own (:func:`edgelab.hardware.cost.link_rates`)."""
    up1, down1 = link_rates(lk, sc.bandwidth_mbps if bandwidths is None else bandwidths)
    wup, wdown = link_rates(wn, sc.wan_mbps)
    return up1, down1, wup, wdown


def bandwidth_grid(sc: Scenario, bandwidths: np.ndarray | None) -> dict[str, np.ndarray]:
    """Every KPI as an array of shape ``(7 levels, n_bandwidths)`` (seed 003 §III-B, Fig. 7).

    The one computation behind :func:`evaluate`, :func:`sweep_bandwidth`, :func:`deadline_map`
    and :func:`claim_check`: keys are the KPI columns of :func:`evaluate` plus ``split`` and
    ``bandwidth_mbps``. ``bandwidths=None`` uses the scenario's own device<->edge bandwidth
    (its ``bandwidth_mbps``, else the link's rates); a 1-D grid of Mbit/s overrides both
    directions of the link.
    """
    instance("scenario", sc, Scenario, "a Scenario, e.g. edgelab.levels.Scenario(model='alexnet')")
    p = _profile(sc.model)
    dev, edge, cloud = _dev(sc.device), _dev(sc.edge), _dev(sc.cloud)
    lk, wn = link_of(sc.link), link_of(sc.wan)
    n = p.n_layers
    if bandwidths is None:
        bw_arg = sc.bandwidth_mbps
    else:
        bw_arg = positive_array("bandwidth_mbps", np.atleast_1d(bandwidths))
        if bw_arg.ndim != 1:
            raise ValueError("bandwidths must be a 1-D array of Mbit/s")
    up1, down1, wup, wdown = _rates(lk, wn, sc, None if bandwidths is None else bw_arg)
    nb = up1.shape[0]
    in_b = float(p.raw_input_bytes)  # the raw input is sent at its real encoding (uint8)
    res_b = float(p.table["output_bytes"].iloc[-1])
    weights = p.table["weight_bytes"].to_numpy(dtype=float)
    w_total = float(weights.sum())
    ones = np.ones(nb)

    # --- inference, per request ------------------------------------------------------
    hop1_s, _ = _hop(lk, in_b, res_b, up1, down1)  # (B,)
    wan_s, _ = _hop(wn, in_b, res_b, wup, wdown)
    t_cloud = _memo(("t", sc.model, repr(cloud)), lambda: float(
        layer_latency_grid(p, [cloud])[0].sum() + cloud.model_overhead_s))
    ci_lat = hop1_s + wan_s + t_cloud
    _, ci_e = _hop(lk, in_b, res_b, up1, down1, dev.idle_power_w, ci_lat - hop1_s)

    head_fits = _memo(("head", sc.model, repr(dev)), lambda: _head_fits(p, dev))
    not_all_first = np.arange(n + 1) < n  # co-inference: the second tier runs >= 1 layer
    s1 = _memo(("s1", sc.model, repr(edge), repr(cloud), repr(wn), sc.wan_mbps),
               lambda: best_split(p, edge, cloud, wn, sc.wan_mbps, "latency", allowed=not_all_first))
    k1 = int(s1.split)
    l1_lat = hop1_s + float(s1.latency_s)
    _, l1_e = _hop(lk, in_b, res_b, up1, down1, dev.idle_power_w, float(s1.latency_s))
    l1_wan = float(s1.uplink_bytes + s1.downlink_bytes)

    s2 = best_split(p, dev, edge, lk, bw_arg, sc.objective,
                    allowed=head_fits & not_all_first)
    k2 = np.atleast_1d(s2.split)
    rows = np.arange(nb)
    c = s2.costs
    l2_lat = np.atleast_1d(s2.latency_s)
    l2_e = np.atleast_1d(s2.device_energy_j)
    l2_dev = c.device_s[rows, k2]
    l2_up = c.uplink_bytes[rows, k2]
    l2_down = c.downlink_bytes[rows, k2]
    l3_lat = c.device_s[0, n] * ones
    l3_e = dev.active_power_w * l3_lat

    zero = np.zeros(nb)
    inf_lat = np.stack([ci_lat, l1_lat, l2_lat, l3_lat, l1_lat, l2_lat, l3_lat])
    inf_e = np.stack([ci_e, l1_e, l2_e, l3_e, l1_e, l2_e, l3_e])
    inf_dev = np.stack([zero, zero, l2_dev, l3_lat, zero, l2_dev, l3_lat])
    inf_wan = np.stack([(in_b + res_b) * ones, l1_wan * ones, zero, zero, l1_wan * ones, zero, zero])
    l2_raw = np.where(k2 == 0, in_b, 0.0)
    inf_raw = np.stack([in_b * ones, in_b * ones, l2_raw, zero, in_b * ones, l2_raw, zero])
    inf_link = np.stack([in_b * ones, in_b * ones, l2_up, zero, in_b * ones, l2_up, zero])
    inf_link_down = np.stack([res_b * ones, res_b * ones, l2_down, zero, res_b * ones, l2_down, zero])
    split = np.stack([-1 * ones, k1 * ones, k2, n * ones, k1 * ones, k2, n * ones]).astype(int)

    # --- training, once ---------------------------------------------------------------
    data_b = float(sc.train_samples) * in_b
    t_train = _memo(("train", sc.model, sc.train_batch, repr(cloud), repr(edge), repr(dev),
                     sc.train_samples, sc.epochs),
                    lambda: _train_compute_s(sc.model, sc.train_batch, [cloud, edge, dev],
                                             sc.train_samples, sc.epochs))
    up_data_s, up_data_e = _hop(lk, data_b, 0.0, up1, down1)
    wan_data_s, _ = _hop(wn, data_b, 0.0, wup, wdown)
    sync_s = sc.epochs * _hop(wn, w_total, w_total, wup, wdown)[0]
    central_t = up_data_s + wan_data_s + t_train[0]
    # L5: edge_nodes train their shares in parallel and gossip once per epoch (one node alone
    # exchanges nothing)
    k_edge = sc.edge_nodes
    t_share = _memo(("train_share", sc.model, sc.train_batch, repr(edge), sc.train_samples,
                     sc.epochs, k_edge),
                    lambda: float(_train_compute_s(sc.model, sc.train_batch, [edge],
                                                   math.ceil(sc.train_samples / k_edge),
                                                   sc.epochs)[0]))
    pl = link_of(sc.peer_link)
    peers = min(sc.gossip_peers, k_edge - 1)
    gossip_s = (sc.epochs * gossip_exchange_time(w_total, peers, pl.uplink_mbps, pl.rtt_ms / 1e3)
                if k_edge > 1 else 0.0)
    tr_time = np.stack([central_t] * 4 + [up_data_s + t_train[1] + sync_s,
                                          up_data_s + t_share + gossip_s, t_train[2] * ones])
    tr_dev_e = np.stack([up_data_e] * 6 + [dev.active_power_w * t_train[2] * ones])
    trainer_e = np.array([cloud.active_power_w * t_train[0]] * 4
                         + [edge.active_power_w * t_train[1]] * 2 + [0.0])
    tr_energy = tr_dev_e + trainer_e[:, None]
    tr_dev = np.stack([zero] * 6 + [t_train[2] * ones])
    tr_wan = np.stack([data_b * ones] * 4 + [2 * w_total * sc.epochs * ones, zero, zero])
    tr_peer = np.stack([zero] * 5 + [2 * peers * w_total * sc.epochs * ones, zero])
    tr_raw = np.stack([data_b * ones] * 6 + [zero])
    deploy = np.stack([zero, float(weights[:k1].sum()) * ones, w_total * ones, w_total * ones,
                       zero, zero, zero])

    # --- totals and feasibility --------------------------------------------------------
    reqs = sc.request_rate_hz * sc.horizon_s
    dev_compute = tr_dev + reqs * inf_dev
    fits_inf = _memo(("fits", sc.model, repr(dev)), lambda: fits_memory(p, dev))
    fits_train = _memo(("trmem", sc.model, sc.train_batch),
                       lambda: _train_memory_bytes(p, sc.train_batch)) <= dev.mem_bytes
    fits = np.array([True, True, True, fits_inf, True, True, fits_inf and fits_train])
    util = sc.request_rate_hz * inf_dev
    out = {
        "split": split,
        "infer_latency_s": inf_lat, "infer_device_energy_j": inf_e,
        "infer_device_compute_s": inf_dev,
        "infer_device_compute_energy_j": dev.active_power_w * inf_dev,
        "infer_wan_bytes": inf_wan, "infer_uplink_bytes": inf_link,
        "infer_downlink_bytes": inf_link_down, "infer_raw_bytes_out": inf_raw,
        "train_time_s": tr_time, "train_energy_j": tr_energy, "train_device_energy_j": tr_dev_e,
        "train_device_compute_s": tr_dev, "train_wan_bytes": tr_wan, "train_peer_bytes": tr_peer, "train_raw_bytes_out": tr_raw,
        "deploy_wan_bytes": deploy,
        "requests": reqs * np.ones((7, nb)),
        "wan_bytes": tr_wan + reqs * inf_wan,
        "raw_bytes_out": tr_raw + reqs * inf_raw,
        "device_compute_s": dev_compute,
        "device_compute_energy_j": dev.active_power_w * dev_compute,
        "device_energy_j": tr_dev_e + reqs * inf_e,
        "device_utilisation": util,
        "fits_device": np.repeat(fits[:, None], nb, axis=1),
        "feasible": fits[:, None] & (util <= 1.0),
        "bandwidth_mbps": np.broadcast_to(up1, (7, nb)),
    }
    causes = np.full((7, nb), "", dtype=object)
    if reqs > 0:
        causes[4] = _join(causes[4], "l4_inference_leaves_device")
    if 2 * w_total * sc.epochs > data_b:
        causes[4] = _join(causes[4], "updates_exceed_data")
    if k1 < n and float(s1.uplink_bytes) > in_b:
        causes[1] = _join(causes[1], "l1_activation_exceeds_input")
    for i in np.flatnonzero(~fits):
        causes[i] = _join(causes[i], "model_does_not_fit")
    out["claim_cause"] = causes
    out["claim_breaks"] = _breaks(out)
    out["_n_layers"] = np.full((7, nb), n)
    return out


def _join(a: np.ndarray, key: str) -> np.ndarray:
    return np.array([f"{x};{key}" if x else key for x in a], dtype=object)


def _breaks(g: dict[str, np.ndarray], tol: float = 1e-9) -> np.ndarray:
    """KPIs that move against the claim at the step from level i-1 to level i (row i)."""
    out = np.full(g["wan_bytes"].shape, "", dtype=object)
    for col, direction in CLAIM_KPIS:
        a = g[col]
        step = np.diff(a, axis=0)  # (6, B)
        scale = tol * np.maximum(np.abs(a[1:]), np.abs(a[:-1])) + 1e-15
        bad = step > scale if direction == "non-increasing" else step < -scale
        for i, b in zip(*np.nonzero(bad), strict=True):
            out[i + 1, b] = f"{out[i + 1, b]};{col}" if out[i + 1, b] else col
    return out


def _where(level: Level, split: int, n: int) -> str:
    def part(a: str, b: str, k: int) -> str:
        if k <= 0:
            return f"{b}: all {n} layers"
        if k >= n:
            return f"{a}: all {n} layers"
        return f"{a}: layers 1-{k} | {b}: {k + 1}-{n}"

    infer = {"cloud": f"cloud: all {n} layers", "device": f"device: all {n} layers",
             "edge-cloud": part("edge", "cloud", split),
             "device-edge": part("device", "edge", split)}[level.inference]
    return f"train: {level.training} / infer: {infer}"


# ----------------------------------------------------------------------------- public API
_ROW_COLUMNS = (
    "infer_latency_s", "infer_device_energy_j", "infer_device_compute_s",
    "infer_device_compute_energy_j", "infer_wan_bytes", "infer_uplink_bytes",
    "infer_downlink_bytes", "infer_raw_bytes_out", "train_time_s", "train_energy_j",
    "train_device_energy_j", "train_device_compute_s", "train_wan_bytes", "train_peer_bytes",
    "train_raw_bytes_out",
    "deploy_wan_bytes", "requests", "wan_bytes", "raw_bytes_out", "device_compute_s",
    "device_compute_energy_j", "device_energy_j", "device_utilisation", "fits_device",
    "feasible", "claim_breaks", "claim_cause",
)


def evaluate(scenario: Scenario) -> pd.DataFrame:
    """One row per EI level with its KPIs (seed 003 §III-B, Fig. 7; §IV-B and §V-B KPIs).

    Columns: ``level``, ``name``, ``training_at``, ``inference_at``, ``split`` (layers on the
    first side of a co-inference split, NA otherwise), ``where``, the per-request inference
    KPIs (``infer_*``), the one-off training KPIs (``train_*``), totals over
    ``request_rate_hz x horizon_s`` requests (``wan_bytes``, ``raw_bytes_out``,
    ``device_compute_s``, ``device_compute_energy_j``, ``device_energy_j``),
    ``device_utilisation`` (request rate x device compute per request), ``fits_device``,
    ``feasible`` (fits and ``device_utilisation <= 1``), ``claim_breaks`` and ``claim_cause``.
    """
    g = bandwidth_grid(scenario, None)
    n = int(g["_n_layers"][0, 0])
    rows = []
    for i, lv in enumerate(LEVELS):
        k = int(g["split"][i, 0])
        row: dict[str, object] = {
            "level": lv.id, "name": lv.name, "training_at": lv.training,
            "inference_at": lv.inference,
            "split": k if lv.inference in ("edge-cloud", "device-edge") else pd.NA,
            "where": _where(lv, k, n),
        }
        for col in _ROW_COLUMNS:
            v = g[col][i, 0]
            row[col] = v.item() if isinstance(v, np.generic) else v
        rows.append(row)
    df = pd.DataFrame(rows)
    df["split"] = df["split"].astype("Int64")
    return df


def sweep_bandwidth(scenario: Scenario, bandwidths_mbps: Sequence[float] | np.ndarray,
                    columns: Sequence[str] | None = None) -> pd.DataFrame:
    """KPIs of every level over a grid of device<->edge bandwidths (seed 003 §III-B).

    Vectorised: one call of the cost model per tier for the whole grid. Returns a long table
    with ``level``, ``bandwidth_mbps``, ``split`` (NA for levels without a split) and
    ``columns`` (default: every KPI).
    """
    g = bandwidth_grid(scenario, positive_array("bandwidths_mbps", bandwidths_mbps))
    cols = list(columns) if columns is not None else list(_ROW_COLUMNS)
    unknown = [c for c in cols if c not in g]
    if unknown:
        raise ValueError(f"unknown columns {unknown}; valid: {', '.join(_ROW_COLUMNS)}")
    nb = g["bandwidth_mbps"].shape[1]
    coinf = np.array([lv.inference in ("edge-cloud", "device-edge") for lv in LEVELS])
    data: dict[str, Any] = {
        "level": np.repeat(np.array(LEVEL_IDS), nb),
        "bandwidth_mbps": g["bandwidth_mbps"].ravel(),
        "split": pd.array(np.where(coinf[:, None], g["split"], -1).ravel(), dtype="Int64"),
    }
    data["split"][~np.repeat(coinf, nb)] = pd.NA
    for c in cols:
        data[c] = g[c].ravel()
    return pd.DataFrame(data)


def deadline_map(scenario: Scenario, deadline_s: float = 0.1,
                 bandwidths_mbps: Sequence[float] | np.ndarray = (1.0, 10.0, 100.0, 1000.0),
                 devices: Sequence[str] | None = None) -> pd.DataFrame:
    """Which levels meet an inference deadline, by device class and bandwidth (seed 003 §V-B.1).

    The survey's example is the 100 ms deadline of AR/VR and robots. A level counts when its
    per-request latency is within ``deadline_s`` and it is feasible (the model fits). Returns
    one row per (device, bandwidth) with ``feasible_levels`` (comma-separated) and
    ``best_level`` / ``best_latency_s`` (the fastest feasible level, empty if none).
    """
    deadline_s = positive("deadline_s", deadline_s)
    bws = np.atleast_1d(positive_array("bandwidths_mbps", bandwidths_mbps))
    names = list(devices) if devices is not None else [scenario.device]
    rows = []
    for d in names:  # a handful of device classes; the bandwidth axis is vectorised
        g = bandwidth_grid(scenario.replace(device=d), bws)
        ok = (g["infer_latency_s"] <= deadline_s) & g["feasible"]
        lat = np.where(g["feasible"], g["infer_latency_s"], np.inf)
        for j, b in enumerate(bws):
            levels = [LEVEL_IDS[i] for i in range(7) if ok[i, j]]
            best = int(np.argmin(lat[:, j]))
            rows.append({
                "device": d if isinstance(d, str) else d.name, "bandwidth_mbps": float(b),
                "feasible_levels": ",".join(levels), "n_feasible": len(levels),
                "best_level": LEVEL_IDS[best] if ok[best, j] else "",
                "best_latency_s": float(lat[best, j]),
            })
    return pd.DataFrame(rows)


def claim_check(scenario: Scenario, bandwidths_mbps: Sequence[float] | np.ndarray | None = None,
                scope: str = "phases") -> pd.DataFrame:
    """Check Fig. 7's monotonic claim step by step (seed 003 §III-B).

    ``scope="phases"`` checks each phase along its own ladder: per-request inference over
    CI -> L1 -> L2 -> L3 (L4-L6 repeat those placements) and one-off training over
    L3 -> L4 -> L5 -> L6. ``scope="totals"`` checks the whole ladder CI -> L6 on the totals
    (training + all requests). Returns one row per (bandwidth, step, KPI) with ``holds`` and
    the documented ``cause`` at that step.
    """
    scope = choice("scope", scope, ("phases", "totals"))
    bws = (None if bandwidths_mbps is None
           else np.atleast_1d(positive_array("bandwidths_mbps", bandwidths_mbps)))
    g = bandwidth_grid(scenario, bws)
    if scope == "totals":
        ladders = [(range(7), [(c, d) for c, d in CLAIM_KPIS])]
    else:
        inf = [("infer_wan_bytes", "non-increasing"), ("infer_raw_bytes_out", "non-increasing"),
               ("infer_device_compute_s", "non-decreasing"),
               ("infer_device_compute_energy_j", "non-decreasing")]
        tr = [("train_wan_bytes", "non-increasing"), ("train_raw_bytes_out", "non-increasing"),
              ("train_device_compute_s", "non-decreasing")]
        ladders = [(range(0, 4), inf), (range(3, 7), tr)]
    rows = []
    nb = g["bandwidth_mbps"].shape[1]
    for idx, kpis in ladders:
        idx = list(idx)
        for a, b in zip(idx[:-1], idx[1:], strict=True):
            for col, direction in kpis:
                for j in range(nb):
                    x, y = float(g[col][a, j]), float(g[col][b, j])
                    tol = 1e-9 * max(abs(x), abs(y)) + 1e-15
                    holds = y <= x + tol if direction == "non-increasing" else y >= x - tol
                    rows.append({"bandwidth_mbps": float(g["bandwidth_mbps"][0, j]),
                                 "step": f"{LEVEL_IDS[a]}->{LEVEL_IDS[b]}", "kpi": col,
                                 "direction": direction, "before": x, "after": y,
                                 "holds": holds, "cause": g["claim_cause"][b, j]})
    return pd.DataFrame(rows)


def transmission_latency(scenario: Scenario) -> dict[str, float]:
    """Seconds to ship one raw input and its result to the edge vs to the cloud (seed 001 §II-B.1).

    ``to_edge_s``: RTT + bytes over the device<->edge link; ``to_cloud_s`` adds the WAN hop
    (store and forward). Compute is excluded: this is the "transmission latency" of the
    edge-vs-cloud argument (cloud tens of ms, edge a few ms).
    """
    p = _profile(scenario.model)
    lk, wn = link_of(scenario.link), link_of(scenario.wan)
    in_b, res_b = float(p.raw_input_bytes), float(p.table["output_bytes"].iloc[-1])
    up1, down1, wup, wdown = _rates(lk, wn, scenario, None)
    edge_s = float(_hop(lk, in_b, res_b, up1, down1)[0][0])
    return {"to_edge_s": edge_s, "to_cloud_s": edge_s + float(_hop(wn, in_b, res_b, wup, wdown)[0][0])}
