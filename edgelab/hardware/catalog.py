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
    "GRADES", "SOURCE_COLUMNS", "catalog_sources", "numeric_cells", "graded_share",
    "op_energy_table", "op_energy_pj",
]
DEVICE_COLUMNS = (
    "name", "tier", "kind", "description", "peak_fp32_gflops", "peak_fp16_gflops", "peak_int8_gops",
    "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w", "source", "notes",
)
LINK_COLUMNS = (
    "name", "tier_pair", "tech", "uplink_mbps", "downlink_mbps", "rtt_ms", "duty_cycle",
    "tx_power_w", "rx_power_w", "source", "notes",
)
#: How a catalog number was obtained, best first: read off a measurement, stated by a vendor or a
#: standard (up to a unit conversion), computed from such numbers, or an estimate.
GRADES = ("measured", "datasheet", "derived", "estimate")
SOURCE_COLUMNS = ("table", "name", "column", "value", "grade", "source", "locator", "derivation")
_DEVICE_NUMERIC = ("peak_fp32_gflops", "peak_fp16_gflops", "peak_int8_gops", "mem_bw_gbps", "mem_gb",
                   "active_power_w", "idle_power_w")
_LINK_NUMERIC = ("uplink_mbps", "downlink_mbps", "rtt_ms", "duty_cycle", "tx_power_w", "rx_power_w")
_DEVICE_POSITIVE = ("peak_fp32_gflops", "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w")
_LINK_POSITIVE = (*LINK_POSITIVE, "duty_cycle")


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


def _optional(r: pd.Series, column: str) -> float:
    """A numeric cell that may be empty (no vendor figure): NaN when empty."""
    v = pd.to_numeric(r[column], errors="coerce")
    return float(v) if pd.notna(v) else math.nan


def _device_from_row(r: pd.Series) -> Device:
    return Device(
        name=r["name"], tier=r["tier"], kind=r["kind"],
        peak_fp32_gflops=float(r["peak_fp32_gflops"]), mem_bw_gbps=float(r["mem_bw_gbps"]),
        mem_gb=float(r["mem_gb"]), active_power_w=float(r["active_power_w"]),
        idle_power_w=float(r["idle_power_w"]),
        peak_int8_gops=_optional(r, "peak_int8_gops"),
        peak_fp16_gflops=_optional(r, "peak_fp16_gflops"),
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
            tech=str(r["tech"]), source=str(r["source"]), duty_cycle=float(r["duty_cycle"]),
        )
    return link if bandwidth_mbps is None else link.with_bandwidth(bandwidth_mbps)


def numeric_cells() -> pd.DataFrame:
    """Every non-empty numeric cell of both catalogs: ``table``, ``name``, ``column``, ``value``.

    The cells :func:`catalog_sources` must cover one to one (seed 003 §III-A).
    """
    parts = []
    for table, df, cols in (("devices", _devices_df(), _DEVICE_NUMERIC), ("links", _links_df(), _LINK_NUMERIC)):
        long = df.melt(id_vars="name", value_vars=list(cols), var_name="column", value_name="value")
        long = long[pd.to_numeric(long["value"], errors="coerce").notna()]
        parts.append(long.assign(table=table, value=pd.to_numeric(long["value"]).astype(float)))
    return pd.concat(parts, ignore_index=True)[["table", "name", "column", "value"]]


@lru_cache(maxsize=1)
def _sources_df() -> pd.DataFrame:
    df = pd.read_csv(data_path("catalog_sources.csv"), dtype={"value": str}, keep_default_na=False)
    missing = [c for c in SOURCE_COLUMNS if c not in df.columns]
    if missing:
        raise EdgelabError(f"catalog_sources.csv: missing columns {missing}")
    bad = df[~df["grade"].isin(GRADES)]
    if len(bad):
        raise EdgelabError(f"catalog_sources.csv: grade must be one of {GRADES}: "
                           f"{bad[['table', 'name', 'column']].values.tolist()}")
    nosrc = df[df["source"].str.strip() == ""]
    if len(nosrc):
        raise EdgelabError(f"catalog_sources.csv: rows without a source: "
                           f"{nosrc[['table', 'name', 'column']].values.tolist()}")
    key = ["table", "name", "column"]
    dup = df[df.duplicated(key)]
    if len(dup):
        raise EdgelabError(f"catalog_sources.csv: duplicate cells {dup[key].values.tolist()}")
    cells = numeric_cells()
    both = cells.merge(df.assign(v=pd.to_numeric(df["value"], errors="coerce")), on=key, how="outer",
                       indicator=True)
    orphan = both[both["_merge"] != "both"]
    if len(orphan):
        raise EdgelabError("catalog_sources.csv must have exactly one row per numeric catalog cell; "
                           f"unmatched: {orphan[key + ['_merge']].values.tolist()}")
    differ = both[~((both["value_x"] - both["v"]).abs() <= 1e-12 * both["value_x"].abs())]
    if len(differ):
        raise EdgelabError(f"catalog_sources.csv: value differs from the catalog cell for "
                           f"{differ[key].values.tolist()}")
    return df


def catalog_sources() -> pd.DataFrame:
    """Provenance of every numeric catalog cell (a copy), one row per cell (seed 003 §III-A).

    Columns ``table, name, column, value, grade, source, locator, derivation``: ``grade`` is one
    of :data:`GRADES`, ``source`` a URL or full citation, ``locator`` the page, table or section,
    and ``derivation`` the arithmetic of a ``derived`` cell. Loading checks that the rows match
    the catalogs' numeric cells one to one and value for value.
    """
    return _sources_df().copy()


def graded_share(grades: tuple[str, ...] = ("measured", "datasheet")) -> float:
    """Share of the catalogs' numeric cells whose grade is in ``grades`` (seed 003 §III-A).

    The default is the share read directly off a measurement or a vendor/standard document.
    """
    bad = [g for g in grades if g not in GRADES]
    if bad or not grades:
        raise ValueError(f"grades must be a non-empty subset of {GRADES}; got {grades!r}")
    return float(_sources_df()["grade"].isin(grades).mean())


# --------------------------------------------------------------------- energy per operation
@lru_cache(maxsize=1)
def _op_energy_df() -> pd.DataFrame:
    df = pd.read_csv(data_path("energy_45nm.csv"))
    missing = {"op", "bits", "energy_pj", "source"} - set(df.columns)
    if missing:
        raise EdgelabError(f"energy_45nm.csv: missing columns {sorted(missing)}")
    if (df["source"].fillna("").str.strip() == "").any():
        raise EdgelabError("energy_45nm.csv: every row needs a source")
    if not (pd.to_numeric(df["energy_pj"], errors="coerce") > 0).all():
        raise EdgelabError("energy_45nm.csv: column energy_pj must be > 0")
    return df


def op_energy_table() -> pd.DataFrame:
    """``data/energy_45nm.csv``: energy per operation at 45 nm (Horowitz, ISSCC 2014), with
    sources: the constants of the operation-energy model (seed 003 §V-C.1, its reference [72])."""
    return _op_energy_df().copy()


def op_energy_pj() -> dict[str, float]:
    """Energy per operation in picojoules keyed by ``op`` (``fp_mult``, ``dram_read``, ...), the
    ``pj`` argument of :func:`edgelab.hardware.cost.op_energy` (seed 003 §V-C.1)."""
    df = _op_energy_df()
    return {str(o): float(e) for o, e in zip(df["op"], df["energy_pj"], strict=True)}
