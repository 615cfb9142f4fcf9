"""Device classes and network links, read from ``data/devices.csv`` and ``data/links.csv``.

Mirrors the tiers of seed 003 §III-A (end devices, edge nodes, cloud) and the links of
seed 001 §II-B. Every number in the CSVs carries a source; this module validates the
tables on load and gives helpful errors on unknown names. The values themselves
(:class:`Device`, :class:`Link`) live in :mod:`edgelab.hardware.specs`; the device name
``host`` resolves to the calibrated host CPU through :mod:`edgelab.hardware.host`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd

from edgelab._paths import data_path
from edgelab.errors import EdgelabError, unknown_name
from edgelab.hardware import host
from edgelab.hardware.specs import (
    DEFAULT_EFFICIENCY,
    DEFAULT_LAYER_OVERHEAD_S,
    LINK_POSITIVE,
    TIERS,
    Device,
    Link,
)

__all__ = [
    "TIERS", "DEVICE_COLUMNS", "LINK_COLUMNS", "DEFAULT_EFFICIENCY", "DEFAULT_LAYER_OVERHEAD_S",
    "Device", "Link", "devices", "links", "device_names", "link_names", "get_device", "get_link",
]
DEVICE_COLUMNS = (
    "name", "tier", "kind", "description", "peak_fp32_gflops", "peak_int8_gops",
    "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w", "source", "notes",
)
LINK_COLUMNS = (
    "name", "tier_pair", "tech", "uplink_mbps", "downlink_mbps", "rtt_ms",
    "tx_power_w", "rx_power_w", "source", "notes",
)
_DEVICE_POSITIVE = ("peak_fp32_gflops", "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w")
_LINK_POSITIVE = LINK_POSITIVE


def _check_table(df: pd.DataFrame, columns: tuple[str, ...], numeric: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise EdgelabError(f"{what}: missing columns {missing}")
    if df["name"].duplicated().any():
        raise EdgelabError(f"{what}: duplicate names {df['name'][df['name'].duplicated()].tolist()}")
    for c in numeric:
        bad = df[~(pd.to_numeric(df[c], errors="coerce") > 0)]
        if len(bad):
            raise EdgelabError(f"{what}: column {c} must be > 0 for {bad['name'].tolist()}")
    nosrc = df[df["source"].fillna("").str.strip() == ""]
    if len(nosrc):
        raise EdgelabError(f"{what}: rows without a source: {nosrc['name'].tolist()}")


@lru_cache(maxsize=1)
def _devices_df() -> pd.DataFrame:
    df = pd.read_csv(data_path("devices.csv"))
    _check_table(df, DEVICE_COLUMNS, _DEVICE_POSITIVE, "devices.csv")
    bad = df[~df["tier"].isin(TIERS)]
    if len(bad):
        raise EdgelabError(f"devices.csv: tier must be one of {TIERS}: {bad['name'].tolist()}")
    return df


@lru_cache(maxsize=1)
def _links_df() -> pd.DataFrame:
    df = pd.read_csv(data_path("links.csv"))
    _check_table(df, LINK_COLUMNS, _LINK_POSITIVE, "links.csv")
    return df


def devices() -> pd.DataFrame:
    """The device catalog as a DataFrame (a copy), one row per device class (seed 003 §III-A)."""
    return _devices_df().copy()


def links() -> pd.DataFrame:
    """The link catalog as a DataFrame (a copy), one row per link (seed 001 §II-B)."""
    return _links_df().copy()


def device_names() -> list[str]:
    """Names accepted by :func:`get_device` (catalog order), plus ``host`` once calibrated.

    Seed 003 §III-A.
    """
    names = _devices_df()["name"].tolist()
    return names + ["host"] if host.host_device_available() else names


def link_names() -> list[str]:
    """Names accepted by :func:`get_link` (catalog order; seed 001 §II-B)."""
    return _links_df()["name"].tolist()


def get_device(name: str | Device) -> Device:
    """Look up a device class by name (seed 003 §III-A); ``host`` is the calibrated host CPU."""
    if isinstance(name, Device):
        return name
    if name == "host":
        dev = host.load_host_device()
        if dev is not None:
            return dev
    if not isinstance(name, str) or name not in _catalog_devices():
        raise unknown_name("device", name, device_names())
    return _catalog_devices()[name]


@lru_cache(maxsize=1)
def _catalog_devices() -> dict[str, Device]:
    """Every catalog row as a :class:`Device`, built once (devices are immutable)."""
    return {r["name"]: _device_from_row(r) for _, r in _devices_df().iterrows()}


def _device_from_row(r: pd.Series) -> Device:
    int8 = pd.to_numeric(r["peak_int8_gops"], errors="coerce")
    return Device(
        name=r["name"], tier=r["tier"], kind=r["kind"],
        peak_fp32_gflops=float(r["peak_fp32_gflops"]), mem_bw_gbps=float(r["mem_bw_gbps"]),
        mem_gb=float(r["mem_gb"]), active_power_w=float(r["active_power_w"]),
        idle_power_w=float(r["idle_power_w"]),
        peak_int8_gops=float(int8) if pd.notna(int8) else math.nan,
        description=str(r["description"]), source=str(r["source"]),
        layer_overhead_s=DEFAULT_LAYER_OVERHEAD_S.get(r["kind"], 1e-5),
    )


def get_link(name: str | Link, bandwidth_mbps: float | None = None) -> Link:
    """Look up a link by name (seed 001 §II-B); optionally override its bandwidth (Mbit/s)."""
    if isinstance(name, Link):
        link = name
    else:
        df = _links_df()
        row = df[df["name"] == name]
        if row.empty:
            raise unknown_name("link", name, link_names())
        r = row.iloc[0]
        link = Link(
            name=r["name"], tier_pair=r["tier_pair"], uplink_mbps=float(r["uplink_mbps"]),
            downlink_mbps=float(r["downlink_mbps"]), rtt_ms=float(r["rtt_ms"]),
            tx_power_w=float(r["tx_power_w"]), rx_power_w=float(r["rx_power_w"]),
            tech=str(r["tech"]), source=str(r["source"]),
        )
    return link if bandwidth_mbps is None else link.with_bandwidth(bandwidth_mbps)
