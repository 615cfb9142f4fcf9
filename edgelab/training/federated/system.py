"""Simulated wall-clock of a federated round from edgelab's cost model.

Seed 003 §IV-B.5 (training latency = computation latency + communication latency) and §IV-C.2
(FedCS, "capacity-limited edge computing"). Each client has a device class from
``data/devices.csv`` and a link from ``data/links.csv``. Per round and client:

    download_s = RTT + model bytes / downlink      (cost.transfer_time at the link's own rates)
    compute_s  = local steps × 3 × roofline latency of one mini-batch forward (cost.model_latency)
    upload_s   = RTT + update bytes / uplink       (cost.transfer_time)

Every piece of physics is a :mod:`edgelab.hardware.cost` function (``link_rates``,
``transfer_time``, ``model_latency``); this module only draws and schedules clients.

The factor 3 counts backward ≈ 2 × forward. A seeded fraction of clients straggle each round:
their compute and upload are slowed by a factor drawn from ``straggler_slowdown``. Uploads go in
parallel (each client on its own link) or, with ``shared_uplink=True``, one after another on a
shared channel, as in FedCS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from edgelab._validate import positive
from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.cost import (
    TRAINING_STEP_PER_FORWARD,
    link_rates,
    model_latency,
    transfer_time,
)

__all__ = ["SystemModel", "DEFAULT_DEVICE_MIX", "DEFAULT_LINK_MIX", "schedule"]

#: Client device classes of a phone/IoT federation and their shares (an assumption to vary).
DEFAULT_DEVICE_MIX: dict[str, float] = {
    "snapdragon-8gen2": 0.2, "snapdragon-845": 0.3, "rpi4": 0.2, "jetson-nano": 0.1, "cortex-m7": 0.2,
}
#: Client uplinks and their shares (an assumption to vary).
DEFAULT_LINK_MIX: dict[str, float] = {"wifi5": 0.3, "4g": 0.4, "3g": 0.2, "nb-iot": 0.1}


@lru_cache(maxsize=256)
def _forward_s(model: str, device: str, batch: int) -> float:
    from edgelab.hardware.profile import profile_model

    return model_latency(profile_model(model, batch=batch), device)


def _step_s(model: str, device: str, batch: int) -> float:
    """Seconds of one SGD step on ``batch`` samples: 3 × forward, linear between batch 1 and 64."""
    if batch in (1, 64):
        return TRAINING_STEP_PER_FORWARD * _forward_s(model, device, batch)
    t1, t64 = _forward_s(model, device, 1), _forward_s(model, device, 64)
    return TRAINING_STEP_PER_FORWARD * (t1 + (batch - 1) * (t64 - t1) / 63.0)


@lru_cache(maxsize=64)
def _link(name: str) -> tuple[float, float, float]:
    """``(uplink, downlink, RTT s)`` of a catalog link at its own rates (no override)."""
    lk = get_link(name)
    up, down = link_rates(lk)
    return float(up[0]), float(down[0]), lk.rtt_ms / 1e3


def _mix(name: str, mix: Mapping[str, float], valid_lookup) -> tuple[list[str], np.ndarray]:
    if not mix:
        raise ValueError(f"{name} must name at least one entry")
    names = list(mix)
    for n in names:
        valid_lookup(n)
    p = np.array([positive(f"{name}[{n!r}]", mix[n]) for n in names])
    return names, p / p.sum()


def schedule(ready_s: np.ndarray, upload_s: np.ndarray, shared_uplink: bool) -> np.ndarray:
    """When each client's upload ends, in the given order (seed 003 §IV-C.2, FedCS Fig. 9).

    ``ready_s`` is download + compute; with a shared uplink each upload starts when the client is
    ready and the previous upload has ended.
    """
    ready = np.asarray(ready_s, dtype=np.float64)
    up = np.asarray(upload_s, dtype=np.float64)
    if not shared_uplink:
        return ready + up
    end = np.empty_like(ready)
    t = 0.0
    for i in range(len(ready)):
        t = max(t, ready[i]) + up[i]
        end[i] = t
    return end


@dataclass(frozen=True)
class SystemModel:
    """Device class, link and straggling of every client (seed 003 §IV-B.5, §IV-C.2)."""

    model: str
    devices: tuple[str, ...]
    links: tuple[str, ...]
    straggler_prob: float = 0.1
    straggler_slowdown: tuple[float, float] = (2.0, 10.0)
    shared_uplink: bool = False
    seed: int = 0

    @classmethod
    def sample(cls, n_clients: int, model: str = "digits_mlp",
               device_mix: Mapping[str, float] | None = None,
               link_mix: Mapping[str, float] | None = None, straggler_prob: float = 0.1,
               straggler_slowdown: tuple[float, float] = (2.0, 10.0), shared_uplink: bool = False,
               seed: int = 0) -> SystemModel:
        """Draw each client's device and link from the mixes (seeded) (seed 003 §IV-C.2)."""
        dn, dp = _mix("device_mix", device_mix or DEFAULT_DEVICE_MIX, get_device)
        ln, lp = _mix("link_mix", link_mix or DEFAULT_LINK_MIX, get_link)
        rng = np.random.default_rng([int(seed), 31337])
        devs = tuple(dn[i] for i in rng.choice(len(dn), size=n_clients, p=dp))
        lks = tuple(ln[i] for i in rng.choice(len(ln), size=n_clients, p=lp))
        return cls(model, devs, lks, straggler_prob, straggler_slowdown, shared_uplink, seed)

    def __post_init__(self) -> None:
        if len(self.devices) != len(self.links):
            raise ValueError("devices and links must have one entry per client")
        p = positive("straggler_prob", self.straggler_prob, allow_zero=True)
        if p > 1:
            raise ValueError(f"straggler_prob must be in [0, 1], got {p}")
        lo, hi = self.straggler_slowdown
        if not 1 <= positive("straggler_slowdown", lo) <= positive("straggler_slowdown", hi):
            raise ValueError("straggler_slowdown must be (lo, hi) with 1 ≤ lo ≤ hi")

    @property
    def n_clients(self) -> int:
        """Number of clients described (seed 003 §IV-C.2)."""
        return len(self.devices)

    def table(self) -> pd.DataFrame:
        """One row per client: device, link, uplink/downlink Mbit/s, RTT ms (seed 003 §IV-C.2)."""
        rows = []
        for k, (d, lk) in enumerate(zip(self.devices, self.links, strict=True)):
            link = get_link(lk)
            rows.append({"client": k, "device": d, "link": lk, "uplink_mbps": link.uplink_mbps,
                         "downlink_mbps": link.downlink_mbps, "rtt_ms": link.rtt_ms})
        return pd.DataFrame(rows)

    def slowdown(self, rnd: int) -> np.ndarray:
        """Per-client slowdown factor in round ``rnd`` (1 for non-stragglers), seeded (seed 003 §IV-C.2)."""
        rng = np.random.default_rng([int(self.seed), int(rnd), 4242])
        lo, hi = self.straggler_slowdown
        hit = rng.random(self.n_clients) < self.straggler_prob
        f = rng.uniform(lo, hi, size=self.n_clients)
        return np.where(hit, f, 1.0)

    def client_times(self, clients: Sequence[int], steps: Sequence[int], batch: Sequence[int],
                     up_bytes: float, down_bytes: float, rnd: int = 0,
                     stragglers: bool = True) -> pd.DataFrame:
        """Download, compute and upload seconds of ``clients`` in round ``rnd`` (seed 003 §IV-B.5).

        ``steps[i]`` local steps of mini-batches of ``batch[i]`` samples; ``stragglers=False``
        gives the estimate a server would plan with (FedCS).
        """
        ids = np.asarray(clients, dtype=np.int64)
        slow = self.slowdown(rnd)[ids] if stragglers else np.ones(len(ids))
        rates = np.array([_link(self.links[k]) for k in ids], dtype=np.float64).reshape(-1, 3)
        up_mbps, down_mbps, rtt = rates[:, 0], rates[:, 1], rates[:, 2]
        if len(ids):
            down = transfer_time(down_bytes, down_mbps, rtt)
            up = transfer_time(up_bytes, up_mbps, rtt)
        else:
            down = up = np.zeros(0)
        comp = [int(steps[i]) * _step_s(self.model, self.devices[k], int(batch[i]))
                for i, k in enumerate(ids)]
        df = pd.DataFrame({"client": ids, "download_s": down,
                           "compute_s": np.array(comp, dtype=np.float64) * slow,
                           "upload_s": up * slow})
        df["ready_s"] = df["download_s"] + df["compute_s"]
        return df

    def round_time(self, clients: Sequence[int], steps: Sequence[int], batch: Sequence[int],
                   up_bytes: float, down_bytes: float, rnd: int = 0) -> float:
        """Seconds until the last client's update arrives (synchronous round, seed 003 §IV-B.5)."""
        t = self.client_times(clients, steps, batch, up_bytes, down_bytes, rnd)
        return float(schedule(t["ready_s"].to_numpy(), t["upload_s"].to_numpy(),
                              self.shared_uplink).max())
