"""DADS: the DAG min-cut placement between device and server (Hu et al. [80]; seed 003 §V-C.2).

For DAG models (ResNet, GoogLeNet) the best cut is not in general a prefix of a topological
order; :func:`dads` finds it with an s–t min-cut (:func:`min_cut_placement`), with
:func:`placement_cost` as its brute-force reference. Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from edgelab._validate import choice
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import (
    air_time,
    device_energy,
    duty_cycled_time,
    layer_latency_grid,
    link_rates,
)
from edgelab.hardware.profile import Profile
from edgelab.inference.partition.chain import best_split
from edgelab.inference.partition.plan import OBJECTIVES, PlacementCost, Plan, result_bytes


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



def _dag_weights(profile: Profile, device: Device | str, server: Device | str, link: Link | str,
                 bandwidth_mbps: float | None) -> dict[str, Any]:
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    up, down = link_rates(lk, bandwidth_mbps)
    if up.size != 1:
        raise ValueError("bandwidth_mbps must be a scalar here (one min-cut per bandwidth)")
    lat = layer_latency_grid(profile, [dev, srv])
    sizes = np.concatenate([[profile.raw_input_bytes],  # the raw input at its real encoding
                            profile.table["output_bytes"].to_numpy(dtype=np.float64)])
    return {"dev": dev, "srv": srv, "lk": lk, "up": float(up[0]), "down": float(down[0]),
            "d": lat[0], "s": lat[1], "sizes": sizes, "cons": _consumers(profile),
            "res": result_bytes(profile)}


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
    up_air, down_s = float(air_time(up_b, w["up"])), float(air_time(down_b, w["down"]))
    up_s = float(duty_cycled_time(up_air, lk.duty_cycle))  # air time + enforced silence
    transfer = rtt + up_s + down_s
    energy = float(device_energy(dev.active_power_w, dev_s, lk, up_air, down_s, rtt,
                                 dev.idle_power_w, srv_s + (up_s - up_air)))
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

    The costs are scaled to integers (the largest finite total to 2**52) before the flow:
    networkx's default preflow-push is not exact on floating-point capacities (it returned a
    cut worse than another valid one on a 6-node DAG whose costs spanned 1e-9 to 1e-3), while
    on integers every max-flow algorithm is exact; the rounding moves each cost by at most
    2**-53 of the total.
    """
    import networkx as nx

    n = len(preds)
    dc, sc, tc = (np.asarray(a, dtype=np.float64) for a in (device_cost, server_cost,
                                                             transfer_cost))
    total = float(dc.sum() + sc.sum() + tc.sum())
    scale = 2.0 ** 52 / total if total > 0 else 1.0

    def cap(x: float) -> int:
        return int(round(float(x) * scale))

    g = nx.DiGraph()
    g.add_edge("s", "in")  # no capacity attribute = infinite: the input is on the device
    for v in range(n):
        g.add_edge("s", v, capacity=cap(sc[v]))
        g.add_edge(v, "t", capacity=cap(dc[v]))
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
        g.add_edge(u, a, capacity=cap(tc[q]))
        for c in cs:
            g.add_edge(a, c)
    _, (src_side, _) = nx.minimum_cut(g, "s", "t")
    return np.array([v in src_side for v in range(n)], dtype=bool)



def dads(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | None = None,
    objective: str = "latency",
) -> Plan:
    """DADS: the optimal device/server placement of a DAG model by min-cut (seed 003 §V-C.2).

    Hu et al. [80] show that for DAGs (ResNet, GoogLeNet) the best cut is not in general a
    prefix of a topological order; they find it with an s–t min-cut. Under edgelab's sequential
    cost model (:func:`placement_cost`) the min-cut of :func:`min_cut_placement`, compared with
    the two trivial placements (the per-inference overheads and the RTT are fixed costs that a
    cut cannot express), is the exact optimum over every valid placement; the tests check it
    against brute force on random small DAGs. One bandwidth per call.

    Returns a :class:`~edgelab.inference.partition.plan.Plan` (``technique="dag"``):
    ``on_device`` marks the layers run on the device, ``sent_layers`` the device layers whose
    outputs cross the cut (``"input"``: the input), and ``alternatives`` the two trivial
    placements (``all_device``, ``all_server``) and ``best_chain``, the best "split after k
    layers in topological order" (Neurosurgeon on the same DAG; its ``split``), which DADS can
    only match or beat (``gain_over("best_chain") >= 1``).
    """
    objective = choice("objective", objective, OBJECTIVES)
    w = _dag_weights(profile, device, server, link, bandwidth_mbps)
    dev, srv, lk = w["dev"], w["srv"], w["lk"]
    n = profile.n_layers
    bits = air_time(w["sizes"], w["up"])
    held = duty_cycled_time(bits, lk.duty_cycle)  # air time + a duty-cycled link's silence
    if objective == "latency":
        dc, sc, tc = w["d"], w["s"], held
    else:
        dc, sc = dev.active_power_w * w["d"], dev.idle_power_w * w["s"]
        tc = lk.tx_power_w * bits + dev.idle_power_w * (held - bits)
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
    best_chain = _placement_cost(w, chain_mask)
    alts = {"all_device": costs[0], "all_server": costs[1], "best_chain": best_chain}
    alt = pd.DataFrame({"latency_s": [c.latency_s for c in alts.values()],
                        "device_energy_j": [c.device_energy_j for c in alts.values()],
                        "split": [n, 0, int(chain.split)]}, index=list(alts))
    c = costs[i]
    n_dev = int(cands[i].sum())
    where = (f"{n_dev} of {n} layers on the device; sends "
             f"{', '.join(sent) if sent else 'nothing but the result'}")
    return Plan("dag", objective, (), cands[i], c.latency_s, c.device_energy_j, c.device_s,
                c.transfer_s, c.server_s, c.uplink_bytes, c.downlink_bytes, w["up"], n, where,
                alternatives=alt, sent_layers=tuple(sent))
