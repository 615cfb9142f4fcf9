"""Model partition across three tiers: device, edge and cloud, two split points (seed 004,
model partition in end-edge-cloud collaboration; seed 003 §V-C.2, Fig. 13).

The cost model of :func:`edgelab.hardware.cost.split_costs` with two cuts, and the memory check
of :func:`edgelab.hardware.cost.fits_memory` on every tier: a pair ``(k1, k2)`` is feasible only
when each tier holds the weights of its layers plus their largest activation
(:func:`tier_fits`). Torch-free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from edgelab._validate import choice, positive
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import (
    air_time,
    device_energy,
    duty_cycled_time,
    layer_latency_grid,
    link_rates,
)
from edgelab.hardware.profile import Profile
from edgelab.inference.partition.plan import (
    OBJECTIVES,
    Plan,
    PlanSweep,
    ThreeTierCosts,
    describe_tiers,
    result_bytes,
)


def range_memory_bytes(profile: Profile) -> np.ndarray:
    """Bytes that layers ``a..b-1`` need on one tier, ``(L+1, L+1)`` indexed ``[a, b]``: their
    weights plus their largest input+output activation (the rule of
    :func:`edgelab.hardware.cost.fits_memory`); 0 for an empty range (``b <= a``). Seed 004;
    seed 003 §III-B."""
    t = profile.table
    n = profile.n_layers
    w = np.concatenate([[0.0], np.cumsum(t["weight_bytes"].to_numpy(dtype=np.float64))])
    act = (t["input_bytes"] + t["output_bytes"]).to_numpy(dtype=np.float64)
    need = np.zeros((n + 1, n + 1))
    for a in range(n):
        peak = np.maximum.accumulate(act[a:])  # largest activation of layers a..b-1
        need[a, a + 1:] = w[a + 1:] - w[a] + peak
    return need


def tier_fits(profile: Profile, device: Device | str, edge: Device | str,
              cloud: Device | str) -> np.ndarray:
    """Which ``(k1, k2)`` pairs fit every tier's memory, boolean ``(L+1, L+1)`` (seed 004).

    The device holds layers ``0..k1-1``, the edge ``k1..k2-1``, the cloud ``k2..``; each needs
    :func:`range_memory_bytes` within its ``mem_gb``. Pairs with ``k1 > k2`` are ``False``.
    """
    dev, edg, cld = get_device(device), get_device(edge), get_device(cloud)
    n = profile.n_layers
    need = range_memory_bytes(profile)
    ks = np.arange(n + 1)
    fit_dev = need[0, :] <= dev.mem_bytes  # over k1
    fit_edge = need <= edg.mem_bytes  # [k1, k2]
    fit_cloud = need[:, n] <= cld.mem_bytes  # over k2
    return (fit_dev[:, None] & fit_edge & fit_cloud[None, :]) & (ks[:, None] <= ks[None, :])


def _fit_note(profile: Profile, fits: np.ndarray, names: tuple[str, str, str]) -> str:
    """Say which tiers cannot hold a layer (or that nothing fits); empty when all can."""
    n = profile.n_layers
    if not fits.any():
        return (f"NO PLACEMENT FITS: no (k1, k2) keeps every tier within its memory for "
                f"{profile.name}; the result is the least-cost placement regardless of memory")
    k1, k2 = np.nonzero(fits)
    said = []
    if (k1 == 0).all():
        said.append(f"the device ({names[0]}) cannot hold any layer of {profile.name} with its "
                    f"memory: every feasible placement runs nothing there")
    if ((k2 - k1) == 0).all():
        said.append(f"the edge ({names[1]}) cannot hold any layer")
    if (k2 == n).all():
        said.append(f"the cloud ({names[2]}) cannot hold any layer")
    return "; ".join(said)


def three_tier_costs(
    profile: Profile,
    device: Device | str,
    edge: Device | str,
    cloud: Device | str,
    link: Link | str,
    wan: Link | str = "wan",
    bandwidth_mbps: float | np.ndarray | None = None,
    wan_mbps: float | None = None,
    *,
    check_memory: bool = True,
) -> ThreeTierCosts:
    """Costs of every device–edge–cloud split pair (seed 004 §model partition; seed 003 Fig. 13).

    The same cost model as :func:`edgelab.hardware.cost.split_costs`, with two cuts: the device sends
    the activations crossing ``k1`` over ``link``, the edge sends those crossing ``k2`` over
    ``wan``, and the result returns the same way. ``k2 = n`` is exactly the two-tier
    device|edge split; the device's energy counts its idle power while the edge, the WAN and
    the cloud work (and while a duty-cycled link keeps it silent). ``bandwidth_mbps``
    (device<->edge) may be a 1-D grid; ``wan_mbps`` is a scalar (default: the WAN link's own).
    Pairs that do not fit a tier's memory (:func:`tier_fits`) hold ``inf`` (unless
    ``check_memory=False``), as do the impossible ``k1 > k2``.
    """
    dev, edg, cld = get_device(device), get_device(edge), get_device(cloud)
    lk, wn = get_link(link), get_link(wan)
    up, down = link_rates(lk, bandwidth_mbps)
    wup, wdown = link_rates(wn, None if wan_mbps is None else positive("wan_mbps", wan_mbps))
    n = profile.n_layers
    lat = layer_latency_grid(profile, [dev, edg, cld])  # (3, L)
    ks = np.arange(n + 1)
    pre = np.concatenate([np.zeros((3, 1)), np.cumsum(lat, axis=1)], axis=1)  # (3, L+1)
    dev_s = pre[0] + np.where(ks > 0, dev.model_overhead_s, 0.0)
    edge_s = pre[1][None, :] - pre[1][:, None] + np.where(ks[None, :] > ks[:, None],
                                                          edg.model_overhead_s, 0.0)
    cloud_s = pre[2][-1] - pre[2] + np.where(ks < n, cld.model_overhead_s, 0.0)
    cut = profile.cut_bytes()
    res = result_bytes(profile)
    sent = ks < n
    up_air = air_time(cut[None, :], up[:, None])
    up_s = duty_cycled_time(up_air, lk.duty_cycle)  # air time + enforced silence
    down_s = air_time(np.where(sent, res, 0.0)[None, :], down[:, None])
    rtt = np.where(sent, lk.rtt_ms / 1e3, 0.0)
    access = rtt[None, :] + up_s + down_s  # (B, L+1) over k1
    wan_up = duty_cycled_time(air_time(cut, wup[0]), wn.duty_cycle)
    wan_s = np.where(sent, wn.rtt_ms / 1e3 + wan_up + air_time(res, wdown[0]),
                     0.0)  # (L+1,) over k2
    bad = (~tier_fits(profile, dev, edg, cld) if check_memory
           else ks[:, None] > ks[None, :])  # k1 > k2, or a tier out of memory
    after = edge_s + wan_s[None, :] + cloud_s[None, :]  # (k1, k2)
    latency = dev_s[None, :, None] + access[:, :, None] + after[None]
    energy = device_energy(dev.active_power_w, dev_s[None, :, None], lk, up_air[:, :, None],
                           down_s[:, :, None], rtt[None, :, None], dev.idle_power_w,
                           after[None] + (up_s - up_air)[:, :, None])
    latency = np.where(bad[None], np.inf, latency)
    energy = np.where(bad[None], np.inf, energy)
    return ThreeTierCosts(latency, energy, dev_s, access, np.where(bad, np.inf, edge_s), wan_s,
                          cloud_s, up)



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
) -> Plan | PlanSweep:
    """The two split points minimising latency or device energy (seed 004; seed 003 Fig. 13).

    Vectorised: every ``(k1, k2)`` pair at every bandwidth of the grid is evaluated by
    :func:`three_tier_costs` and the argmin taken (ties: the smallest ``k1``, then ``k2``) over
    the pairs that fit every tier's memory (:func:`tier_fits`); the result's ``note`` says when a
    tier can hold no layer at all (e.g. AlexNet on a Cortex-M7's 320 KB), or that no pair fits.
    Memory grows as ``n_bandwidths × (n_layers + 1)²``. Returns a
    :class:`~edgelab.inference.partition.plan.Plan` for one bandwidth (``server_s``: edge, WAN
    and cloud compute; the WAN's transfer counts in ``transfer_s``), a
    :class:`~edgelab.inference.partition.plan.PlanSweep` for a grid.
    """
    objective = choice("objective", objective, OBJECTIVES)
    tc = three_tier_costs(profile, device, edge, cloud, link, wan, bandwidth_mbps, wan_mbps)
    devs = (get_device(device), get_device(edge), get_device(cloud))
    fits = tier_fits(profile, *devs)
    note = _fit_note(profile, fits, tuple(d.name for d in devs))
    vals = tc.latency_s if objective == "latency" else tc.device_energy_j
    if not fits.any():  # nothing fits: the least-cost order pair, memory ignored (said in note)
        tc = three_tier_costs(profile, device, edge, cloud, link, wan, bandwidth_mbps, wan_mbps,
                              check_memory=False)
        vals = tc.latency_s if objective == "latency" else tc.device_energy_j
    b, m = vals.shape[0], vals.shape[1]
    flat = vals.reshape(b, -1).argmin(axis=1)
    k1, k2 = np.divmod(flat, m)
    rows = np.arange(b)
    lat, en = tc.latency_s[rows, k1, k2], tc.device_energy_j[rows, k1, k2]
    n = profile.n_layers
    cut, res = profile.cut_bytes(), result_bytes(profile)
    up_b, down_b = cut[k1], np.where(k1 < n, res, 0.0)
    if bandwidth_mbps is None or np.ndim(bandwidth_mbps) == 0:
        a, c = int(k1[0]), int(k2[0])
        dev_s, access = float(tc.device_s[a]), float(tc.access_s[0, a])
        return Plan("three-tier", objective, (a, c), np.arange(n) < a, float(lat[0]), float(en[0]),
                    dev_s, access + float(tc.wan_s[c]), float(tc.edge_s[a, c] + tc.cloud_s[c]),
                    float(up_b[0]),
                    float(down_b[0]), float(tc.bandwidth_mbps[0]), n, describe_tiers(a, c, n),
                    note=note, costs=tc)
    table = pd.DataFrame({
        "bandwidth_mbps": tc.bandwidth_mbps, "k1": k1, "k2": k2,
        "where": [describe_tiers(int(a), int(c), n) for a, c in zip(k1, k2, strict=True)],
        "latency_s": lat, "device_energy_j": en, "uplink_bytes": up_b, "downlink_bytes": down_b,
        "meets_deadline": np.ones(b, dtype=bool)})
    return PlanSweep("three-tier", objective, table, n, tc, note=note)

