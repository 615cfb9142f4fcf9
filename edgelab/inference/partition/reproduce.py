"""Reproductions of the partition papers' headline numbers (seed 003 §V-C.2, Table 4).

:func:`neurosurgeon_gains` (Neurosurgeon's latency and energy gains over every model × device ×
server × link). Torch only through the profiler.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from edgelab.hardware.cost import fits_memory, split_costs
from edgelab.hardware.profile import profile_model


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
