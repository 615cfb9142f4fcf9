"""Device classes and network links, read from ``data/devices.csv`` and ``data/links.csv``.

Mirrors the tiers of seed 003 §III-A (end devices, edge nodes, cloud) and the links of
seed 001 §II-B. Every number in the CSVs carries a source; this module validates the
tables on load and gives helpful errors on unknown names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from edgelab._paths import data_path
from edgelab._validate import positive
from edgelab.errors import EdgelabError, unknown_name

TIERS = ("end", "edge", "cloud")
DEVICE_COLUMNS = (
    "name", "tier", "kind", "description", "peak_fp32_gflops", "peak_int8_gops",
    "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w", "source", "notes",
)
LINK_COLUMNS = (
    "name", "tier_pair", "tech", "uplink_mbps", "downlink_mbps", "rtt_ms",
    "tx_power_w", "rx_power_w", "source", "notes",
)
_DEVICE_POSITIVE = ("peak_fp32_gflops", "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w")
_LINK_POSITIVE = ("uplink_mbps", "downlink_mbps", "rtt_ms", "tx_power_w", "rx_power_w")

# Share of the vendor peak that a framework reaches, by op kind and processor kind.
# These defaults are modelling assumptions (roofline "attainable" fractions), not
# measurements; `edgelab.hardware.calibrate` fits them for the host CPU and reports the error.
DEFAULT_EFFICIENCY: dict[str, dict[str, float]] = {
    "cpu": {"conv": 0.45, "dwconv": 0.08, "linear": 0.35, "other": 0.25},
    "sbc": {"conv": 0.35, "dwconv": 0.08, "linear": 0.25, "other": 0.2},
    "soc": {"conv": 0.3, "dwconv": 0.06, "linear": 0.2, "other": 0.15},
    "gpu": {"conv": 0.55, "dwconv": 0.1, "linear": 0.4, "other": 0.2},
    "mcu": {"conv": 0.5, "dwconv": 0.4, "linear": 0.5, "other": 0.5},
}
# Fixed cost per layer (kernel launch / interpreter dispatch), seconds.
DEFAULT_LAYER_OVERHEAD_S = {"cpu": 5e-6, "sbc": 2e-5, "soc": 2e-5, "gpu": 1e-5, "mcu": 1e-6}


def _most_specific(table: dict[str, float], keys: tuple[str, ...], default: float) -> float:
    """The entry of the first key present in ``table`` (most specific first), else ``default``."""
    for k in keys:
        if k in table:
            return table[k]
    return default


@dataclass(frozen=True)
class Device:
    """A device class: peak compute, memory and power (seed 003 §III-A).

    ``efficiency`` maps an op family (``conv``, ``dwconv``, ``linear``, ``other``), or a finer
    key of the profile table (its ``op`` kind such as ``bn`` or ``pool``, or its ``module``
    such as ``MaxPool2d``; the finest key present wins) to the share of ``peak_fp32_gflops``
    reached; ``mem_efficiency`` is the share of ``mem_bw_gbps`` (``op_mem_efficiency``
    overrides it per key); ``layer_overhead_s`` is the fixed cost of one layer
    (``op_overhead_s`` overrides it per key) and ``model_overhead_s`` a fixed cost per inference.

    Two optional terms, fitted by :mod:`edgelab.hardware.calibrate` for the host CPU and neutral at
    their defaults (so catalog devices keep the textbook roofline):

    * ``gemm_halfsat``: maps an op kind or family (``conv``, ``dwconv``, ``linear``) to
      ``(M½, N½, K½)``; that kind's efficiency is scaled by ``M/(M+M½) · N/(N+N½) · K/(K+K½)``,
      where ``M × N × K`` is the layer's GEMM (output pixels × output channels × reduction
      depth): small GEMMs fill vector units and caches badly. ``0`` disables a factor; a kind
      without an entry has no such factor.
    * ``roofline_p``: compute and memory time are combined as ``(c^p + m^p)^(1/p)``; ``inf``
      (default) is the roofline's ``max``, ``1`` their sum (no overlap).
    * ``cold_penalty_s``, ``cold_halfsat_s`` and ``cold_hill``: a layer whose kind last ran
      ``τ`` seconds ago (the layers' times in between, :func:`edgelab.hardware.cost.reuse_time`; in
      repeated inference a kind met once last ran one inference ago) pays
      ``cold · τ^h / (τ^h + τ½^h)`` more: meanwhile its kernel's code, data and translations
      left the caches (measured on the host by ``tests/benchmarks/bench_cold.py``: a 1 KB
      ReLU takes 4 µs when ReLU ran just before, 45 µs after 5 ms of a Python loop).
      ``cold`` is ``op_cold_penalty_s[key]`` (module, op kind, then family, as for
      overheads), else ``cold_penalty_s``. ``0`` (default) disables it.
    * ``page_fault_s_per_byte`` and ``page_fault_threshold_bytes``: a layer that allocates
      ``a`` bytes of fresh output pays ``per_byte · a`` once ``a`` passes the threshold (see
      :func:`edgelab.hardware.cost.fault_term`): the allocator hands such blocks back to the operating
      system, so they are page-faulted in on every call. ``0`` (default) disables it.
    """

    name: str
    tier: str
    kind: str
    peak_fp32_gflops: float
    mem_bw_gbps: float
    mem_gb: float
    active_power_w: float
    idle_power_w: float
    peak_int8_gops: float = math.nan
    description: str = ""
    source: str = ""
    efficiency: dict[str, float] = field(default_factory=dict)
    mem_efficiency: float = 0.6
    layer_overhead_s: float = 0.0
    model_overhead_s: float = 0.0
    op_overhead_s: dict[str, float] = field(default_factory=dict)
    op_mem_efficiency: dict[str, float] = field(default_factory=dict)
    gemm_halfsat: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    roofline_p: float = math.inf
    cold_penalty_s: float = 0.0
    cold_halfsat_s: float = 0.0
    cold_hill: float = 1.0
    page_fault_s_per_byte: float = 0.0
    page_fault_threshold_bytes: float = 0.0
    op_cold_penalty_s: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in ("peak_fp32_gflops", "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w"):
            positive(f"{self.name}.{p}", getattr(self, p))
        positive(f"{self.name}.mem_efficiency", self.mem_efficiency)
        positive(f"{self.name}.layer_overhead_s", self.layer_overhead_s, allow_zero=True)
        positive(f"{self.name}.model_overhead_s", self.model_overhead_s, allow_zero=True)
        if self.tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}; got {self.tier!r} for {self.name!r}")
        for k, v in self.efficiency.items():
            positive(f"{self.name}.efficiency[{k!r}]", v)
        for k, v in self.op_overhead_s.items():
            positive(f"{self.name}.op_overhead_s[{k!r}]", v, allow_zero=True)
        for k, v in self.op_mem_efficiency.items():
            positive(f"{self.name}.op_mem_efficiency[{k!r}]", v)
        for op, hs in self.gemm_halfsat.items():
            if len(hs) != 3:
                raise ValueError(f"{self.name}.gemm_halfsat[{op!r}] must be 3 numbers (M, N, K), "
                                 f"got {hs!r}")
            for k, v in zip("MNK", hs, strict=True):
                positive(f"{self.name}.gemm_halfsat[{op!r}][{k}]", v, allow_zero=True)
        positive(f"{self.name}.cold_penalty_s", self.cold_penalty_s, allow_zero=True)
        for k, v in self.op_cold_penalty_s.items():
            positive(f"{self.name}.op_cold_penalty_s[{k!r}]", v, allow_zero=True)
        any_cold = self.cold_penalty_s > 0 or any(v > 0 for v in self.op_cold_penalty_s.values())
        positive(f"{self.name}.cold_halfsat_s", self.cold_halfsat_s, allow_zero=not any_cold)
        positive(f"{self.name}.cold_hill", self.cold_hill)
        positive(f"{self.name}.page_fault_s_per_byte", self.page_fault_s_per_byte, allow_zero=True)
        positive(f"{self.name}.page_fault_threshold_bytes", self.page_fault_threshold_bytes,
                 allow_zero=self.page_fault_s_per_byte == 0)
        p = float(self.roofline_p)
        if math.isnan(p) or p < 1:
            raise ValueError(f"{self.name}.roofline_p must be ≥ 1 (inf = max), got {self.roofline_p!r}")

    def eff(self, op_family: str) -> float:
        """Efficiency for an op family, falling back to the processor kind's default."""
        if op_family in self.efficiency:
            return self.efficiency[op_family]
        defaults = DEFAULT_EFFICIENCY.get(self.kind, DEFAULT_EFFICIENCY["cpu"])
        return defaults.get(op_family, defaults["other"])

    def eff_for(self, op: str, op_family: str, module: str = "") -> float:
        """Efficiency of a layer: its module's entry, else its op kind's, else its family's."""
        e = self.efficiency
        return e[module] if module in e else (e[op] if op in e else self.eff(op_family))

    def mem_eff_for(self, op: str, op_family: str, module: str = "") -> float:
        """Memory efficiency of a layer: module, op kind, family, then ``mem_efficiency``."""
        return _most_specific(self.op_mem_efficiency, (module, op, op_family), self.mem_efficiency)

    def cold_for(self, op: str, op_family: str, module: str = "") -> float:
        """Cache-cold penalty in seconds of a layer: module, op kind, family, then the default."""
        return _most_specific(self.op_cold_penalty_s, (module, op, op_family), self.cold_penalty_s)

    def overhead_for(self, op: str, op_family: str, module: str = "") -> float:
        """Fixed cost in seconds of a layer: module, op kind, family, then the default."""
        return _most_specific(self.op_overhead_s, (module, op, op_family), self.layer_overhead_s)

    def halfsat_for(self, op: str, op_family: str, module: str = "") -> tuple[float, float, float]:
        """GEMM half-saturation sizes ``(M½, N½, K½)`` of a layer; zeros = no penalty."""
        h = self.gemm_halfsat
        for k in (module, op, op_family):
            if k in h:
                return tuple(h[k])  # type: ignore[return-value]
        return (0.0, 0.0, 0.0)

    @property
    def mem_bytes(self) -> float:
        """Memory size in bytes."""
        return self.mem_gb * 1e9


@dataclass(frozen=True)
class Link:
    """A network link: achieved bandwidth, round-trip time and radio power (seed 001 §II-B)."""

    name: str
    tier_pair: str
    uplink_mbps: float
    downlink_mbps: float
    rtt_ms: float
    tx_power_w: float
    rx_power_w: float
    tech: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        for p in _LINK_POSITIVE:
            positive(f"{self.name}.{p}", getattr(self, p))

    def with_bandwidth(self, mbps: float) -> Link:
        """The same link at another (symmetric) bandwidth in Mbit/s."""
        mbps = positive("bandwidth", mbps)
        return Link(self.name, self.tier_pair, mbps, mbps, self.rtt_ms, self.tx_power_w,
                    self.rx_power_w, self.tech, self.source)


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
    """The device catalog as a DataFrame (a copy), one row per device class."""
    return _devices_df().copy()


def links() -> pd.DataFrame:
    """The link catalog as a DataFrame (a copy), one row per link."""
    return _links_df().copy()


def device_names() -> list[str]:
    """Names accepted by :func:`get_device` (catalog order), plus ``host`` once calibrated."""
    from edgelab.hardware import calibrate  # local: calibrate imports cost, which imports catalog

    names = _devices_df()["name"].tolist()
    return names + ["host"] if calibrate.host_device_available() else names


def link_names() -> list[str]:
    """Names accepted by :func:`get_link` (catalog order)."""
    return _links_df()["name"].tolist()


def get_device(name: str | Device) -> Device:
    """Look up a device class by name (seed 003 §III-A); ``host`` is the calibrated host CPU."""
    if isinstance(name, Device):
        return name
    if name == "host":
        from edgelab.hardware import calibrate

        dev = calibrate.load_host_device()
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
