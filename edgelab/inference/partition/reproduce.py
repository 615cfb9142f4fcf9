"""Reproductions of the partition papers' headline numbers (seed 003 §V-C.2, Table 4).

:func:`neurosurgeon_gains` (Neurosurgeon's latency and energy gains over every model × device ×
server × link), :func:`three_tier_table` (seed 004's two cuts against one) and :func:`dads_table`
(DADS [80] against the endpoints and the best chain split). Torch only through the profiler; the
reproductions that run a model live beside their technique (:func:`.execution.split_equivalence`,
:func:`.jalad.jalad_speedups`, :func:`.devices.between_devices_sweep`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from edgelab.hardware.cost import fits_memory, split_costs
from edgelab.hardware.profile import Profile, profile_model
from edgelab.inference.partition.chain import best_split
from edgelab.inference.partition.dag import dads
from edgelab.inference.partition.tiers import best_three_tier


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


def dads_table(models: Sequence[str], device: str, server: str, link: str,
               bandwidths: Sequence[float]) -> pd.DataFrame:
    """DADS [80] against the trivial placements and the best chain split (seed 003 §V-C.2).

    One row per model × bandwidth: how many layers :func:`~edgelab.inference.partition.dads`
    keeps on the device (``device_layers`` of ``of``), the first layers whose outputs cross the
    cut (``sent``), the latency of DADS's placement, of all on the device (``all_edge_ms``), all
    on the server (``all_cloud_ms``) and the best chain split, the wall time of the min-cut search
    (``min_cut_ms``, not a model number), and the speed-ups of DADS over both endpoints.
    """
    rows = []
    for name in models:
        p = profile_model(name)
        for b in bandwidths:
            t = time.perf_counter()
            c = dads(p, device, server, link, b)
            rows.append({"model": name, "bandwidth_mbps": b, "device_layers": c.n_device_layers,
                         "of": p.n_layers, "sent": ", ".join(c.sent_layers[:3]),
                         "dads_ms": c.latency_s * 1e3,
                         "all_edge_ms": c.alternatives.loc["all_device", "latency_s"] * 1e3,
                         "all_cloud_ms": c.alternatives.loc["all_server", "latency_s"] * 1e3,
                         "best_chain_ms": c.alternatives.loc["best_chain", "latency_s"] * 1e3,
                         "min_cut_ms": (time.perf_counter() - t) * 1e3})
    df = pd.DataFrame(rows)
    df["speedup_vs_edge"] = df["all_edge_ms"] / df["dads_ms"]
    df["speedup_vs_cloud"] = df["all_cloud_ms"] / df["dads_ms"]
    return df


def three_tier_table(profile: Profile, device: str, edge: str, cloud: str, link: str,
                     wan: str, bandwidth_mbps: np.ndarray) -> pd.DataFrame:
    """The best device–edge–cloud split pair per bandwidth beside the device|edge split alone
    (seed 004; seed 003 §V-C.2, Fig. 13): ``k1``, ``k2``, ``where``, ``latency_ms`` and
    ``device_edge_only_ms``."""
    tt = best_three_tier(profile, device, edge, cloud, link, wan, bandwidth_mbps)
    two = best_split(profile, device, edge, link, bandwidth_mbps)
    return pd.DataFrame({"bandwidth_mbps": bandwidth_mbps, "k1": tt.k1, "k2": tt.k2,
                         "where": tt.where, "latency_ms": tt.latency_s * 1e3,
                         "device_edge_only_ms": two.latency_s * 1e3})
