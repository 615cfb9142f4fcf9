"""Device classes and network links as values: the datasheet numbers a cost model needs.

Mirrors the tiers of seed 003 §III-A (end devices, edge nodes, cloud) and the links of seed 001
§II-B. :class:`Device` and :class:`Link` validate themselves on construction; the catalog
(:mod:`edgelab.hardware.catalog`) builds them from the sourced CSVs and the host file
(:mod:`edgelab.hardware.host`) from a calibration. Pure data: no file, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from edgelab._validate import positive

TIERS = ("end", "edge", "cloud")
LINK_POSITIVE = ("uplink_mbps", "downlink_mbps", "rtt_ms", "tx_power_w", "rx_power_w")

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

    ``peak_fp16_gflops`` and ``peak_int8_gops`` are the vendor's dense fp16 / int8 peaks, NaN
    where the vendor states none; the cost model's ``precision="fp16"`` / ``"int8"`` reads them
    (:func:`edgelab.hardware.cost.precision_peak`).

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
    peak_fp16_gflops: float = math.nan
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
        for p in ("peak_fp16_gflops", "peak_int8_gops"):  # optional: NaN (or None) = no figure
            v = getattr(self, p)
            if v is None:  # JSON null, as host.device_to_json writes NaN
                object.__setattr__(self, p, math.nan)
            elif not (isinstance(v, float) and math.isnan(v)):
                positive(f"{self.name}.{p}", v)
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
        """Efficiency for an op family, falling back to the processor kind's default.

        Seed 003 §III-A.
        """
        if op_family in self.efficiency:
            return self.efficiency[op_family]
        defaults = DEFAULT_EFFICIENCY.get(self.kind, DEFAULT_EFFICIENCY["cpu"])
        return defaults.get(op_family, defaults["other"])

    def eff_for(self, op: str, op_family: str, module: str = "") -> float:
        """Efficiency of a layer: its module's entry, else its op kind's, else its family's.

        Seed 003 §III-A.
        """
        e = self.efficiency
        return e[module] if module in e else (e[op] if op in e else self.eff(op_family))

    def mem_eff_for(self, op: str, op_family: str, module: str = "") -> float:
        """Memory efficiency of a layer: module, op kind, family, then ``mem_efficiency``.

        Seed 003 §III-A.
        """
        return _most_specific(self.op_mem_efficiency, (module, op, op_family), self.mem_efficiency)

    def cold_for(self, op: str, op_family: str, module: str = "") -> float:
        """Cache-cold penalty in seconds of a layer: module, op kind, family, then the default.

        Seed 003 §III-B.
        """
        return _most_specific(self.op_cold_penalty_s, (module, op, op_family), self.cold_penalty_s)

    def overhead_for(self, op: str, op_family: str, module: str = "") -> float:
        """Fixed cost in seconds of a layer: module, op kind, family, then the default.

        Seed 003 §III-A.
        """
        return _most_specific(self.op_overhead_s, (module, op, op_family), self.layer_overhead_s)

    def halfsat_for(self, op: str, op_family: str, module: str = "") -> tuple[float, float, float]:
        """GEMM half-saturation sizes ``(M½, N½, K½)`` of a layer; zeros = no penalty.

        Seed 003 §III-B.
        """
        h = self.gemm_halfsat
        for k in (module, op, op_family):
            if k in h:
                return tuple(h[k])  # type: ignore[return-value]
        return (0.0, 0.0, 0.0)

    @property
    def mem_bytes(self) -> float:
        """Memory size in bytes (seed 003 §III-A)."""
        return self.mem_gb * 1e9


@dataclass(frozen=True)
class Link:
    """A network link: achieved bandwidth, round-trip time and radio power (seed 001 §II-B).

    ``duty_cycle`` is the share of time the end device may transmit (0 < d ≤ 1): 0.01 for
    LoRaWAN EU868 (ETSI EN 300 220 sub-band limit), 1.0 where the band is unrestricted.
    """

    name: str
    tier_pair: str
    uplink_mbps: float
    downlink_mbps: float
    rtt_ms: float
    tx_power_w: float
    rx_power_w: float
    tech: str = ""
    source: str = ""
    duty_cycle: float = 1.0

    def __post_init__(self) -> None:
        for p in LINK_POSITIVE:
            positive(f"{self.name}.{p}", getattr(self, p))
        positive(f"{self.name}.duty_cycle", self.duty_cycle, at_most=1.0)

    def with_bandwidth(self, mbps: float) -> Link:
        """The same link at another (symmetric) bandwidth in Mbit/s."""
        mbps = positive("bandwidth", mbps)
        return Link(self.name, self.tier_pair, mbps, mbps, self.rtt_ms, self.tx_power_w,
                    self.rx_power_w, self.tech, self.source, self.duty_cycle)
