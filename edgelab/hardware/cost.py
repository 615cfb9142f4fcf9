"""Hardware cost model: per-layer latency and energy on a device, and transfer over a link.

Seed 003 §III-B (Fig. 7) argues that where a DNN runs decides its latency, energy and WAN
bytes; §V-C.2 (model partition) needs the per-layer latency on device and server and the cost
of shipping an activation. The model here is a roofline per layer:

    t_layer = overhead[op] + max(FLOPs / (peak · efficiency[op] · s(M, N, K)),
                                 bytes moved / (memory bandwidth · memory efficiency))
    t_model = Σ t_layer + per-inference overhead

``s(M, N, K) = Π x/(x + x½)`` shrinks the efficiency of small GEMMs (conv, dwconv, linear as
M output pixels × N output channels × K reduction depth), and ``max`` may be softened to
``(c^p + m^p)^(1/p)``; both are neutral (``x½ = 0``, ``p = inf``) for catalog devices and
fitted for the host CPU by :mod:`edgelab.hardware.calibrate` (see ``Device``), as are two more
terms that are off for catalog devices: the cost of page-faulting a large fresh output
(:func:`fault_term`) and a cache-cold penalty that grows with the time since the layer's kind
last ran (:func:`reuse_time`, :func:`cold_term`).
    t_link  = RTT + uplink bytes / uplink bandwidth + downlink bytes / downlink bandwidth

Energy on the end device is active power × compute time + radio power × air time + idle power
× time spent waiting for the server. Everything is vectorised: devices, bandwidths and split
points are array axes combined by broadcasting, never a Python loop per grid point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edgelab._validate import choice, instance, integer_in, positive_array, show
from edgelab.errors import ParameterError, ParameterTypeError
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.profile import Profile

FAMILIES = ("conv", "dwconv", "linear", "other")
#: Op kinds that run no kernel and cost nothing (views: flatten, dropout at inference,
#: identity); the profiler (:mod:`edgelab.hardware.profile`) names them ``reshape``. The host
#: calibration (:mod:`edgelab.hardware.calibrate`) marks the same layers free.
FREE_OPS = ("reshape",)
#: Arithmetic precisions the roofline knows: the catalog column holding each one's peak
#: (GFLOP/s or GOP/s) and the bytes per value relative to fp32 (seed 003 §V-C.2: weights and
#: activations of an fp16 / int8 model are 2× / 4× smaller, so a layer moves that much less).
PRECISIONS: dict[str, tuple[str, float]] = {
    "fp32": ("peak_fp32_gflops", 1.0),
    "fp16": ("peak_fp16_gflops", 0.5),
    "int8": ("peak_int8_gops", 0.25),
}


def check_profile(profile: object, name: str = "profile") -> Profile:
    """Return ``profile`` if it is a :class:`~edgelab.hardware.profile.Profile`, else raise
    :class:`~edgelab.errors.ParameterTypeError` naming ``name`` (a model name is not a profile:
    ``edgelab.hardware.profile.profile_model(name)`` makes one; seed 003 §V-C.2)."""
    hint = (f"a Profile, e.g. edgelab.hardware.profile.profile_model({profile!r})"
            if isinstance(profile, str) else "a Profile (edgelab.hardware.profile.profile_model(name))")
    return instance(name, profile, Profile, hint)


def _device_list(devices: object) -> list[Device]:
    if isinstance(devices, str | Device) or not hasattr(devices, "__iter__"):
        raise ParameterTypeError(f"devices must be a sequence of devices or device names, got "
                                 f"{type(devices).__name__} {show(devices)}")
    return [get_device(d) for d in devices]  # type: ignore[union-attr]


def _family_index(profile: Profile) -> np.ndarray:
    fam = profile.table["family"].to_numpy()
    return np.array([FAMILIES.index(f) if f in FAMILIES else FAMILIES.index("other") for f in fam])


def _device_arrays(devices: Sequence[Device]) -> dict[str, np.ndarray]:
    """Stack device parameters into arrays with a leading device axis."""
    eff = np.array([[d.eff(f) for f in FAMILIES] for d in devices])
    return {
        "peak": np.array([d.peak_fp32_gflops * 1e9 for d in devices]),
        "bw": np.array([d.mem_bw_gbps * 1e9 * d.mem_efficiency for d in devices]),
        "eff": eff,
        "layer_oh": np.array([d.layer_overhead_s for d in devices]),
        "model_oh": np.array([d.model_overhead_s for d in devices]),
        "active_w": np.array([d.active_power_w for d in devices]),
        "idle_w": np.array([d.idle_power_w for d in devices]),
    }


GEMM_FAMILIES = ("conv", "dwconv", "linear")


def gemm_dims(profile: Profile) -> np.ndarray:
    """Each layer's GEMM shape ``(M, N, K)``, shape ``(n_layers, 3)``, all ≥ 1.

    ``N`` is the output's channel (or feature) dimension, ``M`` the other output elements
    (batch × pixels), ``K = MACs / output elements`` the reduction depth (``C_in/groups · k²``
    for a convolution, the input features for a linear layer).
    """
    cached = profile.__dict__.get("_gemm_dims")
    if cached is not None and len(cached) == profile.n_layers:
        return cached
    t = profile.table
    out = np.ones((len(t), 3))
    for i, (shape, macs) in enumerate(zip(t["out_shape"].astype(str), t["macs"], strict=True)):
        first = shape.split(",")[0]
        try:
            d = [int(v) for v in first.split("x")] if first else []
        except ValueError:
            d = []
        n_el = float(np.prod(d)) if d else 0.0
        n = float(d[1]) if len(d) >= 2 else (float(d[0]) if d else 1.0)
        if n_el > 0 and n > 0:
            out[i] = (n_el / n, n, float(macs) / n_el)
    out = np.maximum(out, 1.0)
    profile.__dict__["_gemm_dims"] = out  # a Profile's table is not edited after profiling
    return out


def layer_static(profile: Profile) -> dict[str, np.ndarray | list]:
    """Per-layer arrays of a profile that do not depend on the device (cached on the profile).

    Keys (seed 003 §V-C.2's per-layer cost inputs): ``flops`` and ``moved`` (input + output +
    weight bytes), ``(L,)``; ``keys`` (the distinct ``(op, family, module)`` of the layers) and
    ``which`` (each layer's index into ``keys``); ``free`` (a view, :data:`FREE_OPS`: costs 0);
    ``dims`` (:func:`gemm_dims`); ``alloc`` (fresh output bytes); ``prev`` and ``wrap``
    (:func:`reuse_index`).
    """
    cached = profile.__dict__.get("_layer_static")
    if cached is not None and len(cached["flops"]) == profile.n_layers:
        return cached
    t = profile.table
    ops = t["op"].astype(str).to_numpy()
    fams = np.array([FAMILIES[i] for i in _family_index(profile)])
    mods = (t["module"].astype(str).to_numpy() if "module" in t.columns
            else np.full(len(t), "", dtype=object))
    layer_keys = list(zip(ops, fams, mods, strict=True))
    keys = sorted(set(layer_keys))  # a device's parameters are looked up once per key
    col = {k: i for i, k in enumerate(keys)}
    static = {
        "flops": t["flops"].to_numpy(dtype=np.float64),
        "moved": (t["input_bytes"] + t["output_bytes"] + t["weight_bytes"]).to_numpy(dtype=np.float64),
        "keys": keys,
        "which": np.array([col[k] for k in layer_keys], dtype=np.int64),
        "free": t["op"].isin(FREE_OPS).to_numpy(),
        "dims": gemm_dims(profile),
        "alloc": (t["alloc_bytes"].to_numpy(dtype=np.float64) if "alloc_bytes" in t.columns
                  else np.zeros(len(t))),
    }
    static["prev"], static["wrap"] = reuse_index(static["free"],
                                                 [cost_key(*k) for k in layer_keys])
    profile.__dict__["_layer_static"] = static
    return static


def cost_key(op: str, family: str, module: str = "") -> str:
    """The key that names a layer's fitted parameters: its family for GEMM layers (``conv``,
    ``dwconv``, ``linear``), else its module (``ReLU``, ``BatchNorm2d``, ``add``...) or op
    (seed 003 §III-B)."""
    return family if family in GEMM_FAMILIES else (module or op)


def reuse_index(free: np.ndarray, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Where each layer's kind last ran, in steady-state repeated inference (seed 003 §V-C.2).

    Returns ``(prev, wrap)``: ``prev[i]`` is the last non-free layer of kind ``keys[i]`` run
    before layer ``i``, and ``wrap[i]`` is true when that layer ran in the previous inference
    (``prev[i] >= i``; a kind met once is its own predecessor, one inference ago). Free layers
    (views) run no kernel. :func:`reuse_time` turns this into the time since the kind last ran.
    """
    f = np.asarray(free, dtype=bool)
    if f.ndim != 1 or len(keys) != len(f):
        raise ValueError(f"free and keys must be 1-d and of one length, got {f.shape} and "
                         f"{len(keys)}")
    last = {k: i for i, k in enumerate(keys) if not f[i]}
    prev = np.arange(len(f), dtype=np.int64)
    wrap = np.ones(len(f), dtype=bool)
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        j = seen.get(k)
        if j is None:
            prev[i] = last.get(k, i)
        else:
            prev[i], wrap[i] = j, False
        if not f[i]:
            seen[k] = i
    return prev, wrap


def reuse_time(t: np.ndarray, prev: np.ndarray, wrap: np.ndarray,
               segments: np.ndarray | None = None) -> np.ndarray:
    """Seconds since each layer's kind last ran: the layers' times in between (seed 003 §V-C.2).

    ``t`` is ``(..., L)`` (free layers 0), ``prev`` and ``wrap`` come from :func:`reuse_index`;
    a wrapped layer counts the rest of the previous inference too. When ``t`` concatenates
    several models, ``segments`` ``(L,)`` numbers each layer's model (0, 1, ...), so that a
    wrapped layer counts its own model's inference time.
    """
    t = np.asarray(t, dtype=np.float64)
    cs = np.cumsum(t, axis=-1) - t  # time before layer i
    if segments is None:
        tot = t.sum(axis=-1, keepdims=True)
    else:
        seg = np.asarray(segments, dtype=np.int64)
        rows = t.reshape(-1, t.shape[-1])
        sums = np.stack([np.bincount(seg, weights=r) for r in rows])
        tot = sums[:, seg].reshape(t.shape)
    return cs - cs[..., prev] - t[..., prev] + np.where(wrap, tot, 0.0)


def cold_term(reuse_s: np.ndarray, cold: np.ndarray, halfsat_s: np.ndarray,
              hill: np.ndarray) -> np.ndarray:
    """The cache-cold penalty ``cold · τ^h / (τ^h + τ½^h)`` of layers, in seconds.

    ``reuse_s`` (τ, seconds since the layer's kind last ran, :func:`reuse_time`) and ``cold``
    are ``(D, L)``; ``halfsat_s`` (τ½) and ``hill`` (h) are ``(D,)``. ``cold = 0`` disables it.

    Seed 003 §III-B.
    """
    tau = np.maximum(np.asarray(reuse_s, dtype=np.float64), 0.0)
    hs = np.asarray(halfsat_s, dtype=np.float64)[:, None]
    h = np.asarray(hill, dtype=np.float64)[:, None]
    c = np.asarray(cold, dtype=np.float64)
    share = _hill(tau, np.where(hs > 0, hs, 1.0), h)
    return np.where(c > 0, c * share, 0.0)


def _hill(x: np.ndarray, half: np.ndarray, h: np.ndarray | float) -> np.ndarray:
    """``x^h / (x^h + half^h)`` without overflow (a logistic in log x); 0 where ``x <= 0``."""
    z = h * (np.log(np.maximum(x, 1e-300)) - np.log(half))
    return np.where(x > 0, 0.5 * (1.0 + np.tanh(0.5 * z)), 0.0)


#: Steepness of the fresh-memory threshold (:func:`fault_term`): an allocator either keeps a
#: freed block for reuse or returns it to the operating system.
FAULT_STEEPNESS = 4.0


def fault_term(alloc: np.ndarray, per_byte: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Cost of first touching fresh memory: ``per_byte · a · a^4 / (a^4 + a½^4)``, ``(D, L)``.

    ``alloc`` ``(L,)`` is the bytes of new output memory a layer allocates (the profile's
    ``alloc_bytes``: 0 in place or for a view); ``per_byte`` (s/B) and ``threshold`` (a½, B)
    are ``(D,)``. A block above the allocator's threshold comes straight from the operating
    system and is returned on free, so each call page-faults it in again (on the host, by
    ``tests/benchmarks/bench_cold.py``: a conv with a 12.8 MB output, 6,241 faults and 16.8 ms
    of system time a call). ``per_byte = 0`` disables it.

    Seed 003 §III-B.
    """
    a = np.asarray(alloc, dtype=np.float64)[None, :]
    pb = np.asarray(per_byte, dtype=np.float64)[:, None]
    th = np.asarray(threshold, dtype=np.float64)[:, None]
    share = _hill(a, np.where(th > 0, th, 1.0), FAULT_STEEPNESS)
    return np.where((pb > 0) & (a > 0), pb * a * share, 0.0)


def host_terms(t: np.ndarray, free: np.ndarray, alloc: np.ndarray, prev: np.ndarray,
               wrap: np.ndarray, fault_per_byte: np.ndarray, fault_threshold: np.ndarray,
               cold: np.ndarray, cold_halfsat_s: np.ndarray, cold_hill: np.ndarray,
               segments: np.ndarray | None = None) -> np.ndarray:
    """Roofline times ``t`` ``(D, L)`` plus the fault and cache-cold terms; free layers cost 0.

    :func:`fault_term` first, then :func:`cold_term` on the time since each layer's kind last
    ran (:func:`reuse_time` of those times). Shared by :func:`layer_latency_grid` and the host
    calibration's fit, like :func:`roofline`, so the two cannot drift apart.

    Seed 003 §III-B.
    """
    t = np.where(free, 0.0, t + fault_term(alloc, fault_per_byte, fault_threshold))
    t = t + cold_term(reuse_time(t, prev, wrap, segments), cold, cold_halfsat_s, cold_hill)
    return np.where(free, 0.0, t)


def roofline(flops: np.ndarray, moved: np.ndarray, dims: np.ndarray, eff: np.ndarray,
             overhead: np.ndarray, halfsat: np.ndarray, peak: np.ndarray, bw: np.ndarray,
             p: np.ndarray) -> np.ndarray:
    """The per-layer latency formula on arrays, shape ``(n_devices, n_layers)``, in seconds.

    ``flops`` and ``moved`` (bytes) are ``(L,)``, ``dims`` (GEMM M, N, K) is ``(L, 3)``;
    ``eff``, ``overhead`` and ``bw`` (effective memory bandwidth, B/s) are ``(D, L)``,
    ``halfsat`` is ``(D, L, 3)`` (zeros: no small-GEMM penalty); ``peak`` (FLOP/s) and ``p``
    are ``(D,)``. The cache-cold term (:func:`cold_term`) is added on top of it.
    Shared by :func:`layer_latency_grid` and the host calibration's fit, so the fitted device
    and the formula cannot drift apart.

    Seed 003 §III-B.
    """
    hs = np.asarray(halfsat, dtype=np.float64)
    sat = np.where(hs > 0, dims[None] / (dims[None] + hs), 1.0).prod(axis=2)  # (D, L)
    compute = flops[None, :] / (peak[:, None] * eff * sat)
    memory = moved[None, :] / np.asarray(bw, dtype=np.float64).reshape(len(peak), -1)
    hi = np.maximum(compute, memory)
    lo = np.minimum(compute, memory)
    pp = np.asarray(p, dtype=np.float64)[:, None]
    finite = np.isfinite(pp)
    pf = np.where(finite, pp, 1.0)
    ratio = np.divide(lo, hi, out=np.zeros_like(hi), where=hi > 0)
    combined = hi * np.where(finite, (1.0 + ratio ** pf) ** (1.0 / pf), 1.0)
    return overhead + combined


def precision_peak(device: Device | str, precision: str = "fp32") -> float:
    """Peak arithmetic rate in operations per second of ``device`` at ``precision``.

    ``fp32`` reads ``peak_fp32_gflops``, ``fp16`` ``peak_fp16_gflops`` and ``int8``
    ``peak_int8_gops`` (seed 003 §V-C.2, model compression: quantised layers run on the
    device's low-precision units). A device whose catalog cell for that precision is empty
    (no vendor figure, or the calibrated host) raises :class:`~edgelab.errors.ParameterError`
    (a ``ValueError``) naming the device, the precision and the column.
    """
    precision = choice("precision", precision, tuple(PRECISIONS))
    dev = get_device(device)
    column = PRECISIONS[precision][0]
    peak = float(getattr(dev, column))
    if not np.isfinite(peak) or peak <= 0:
        raise ParameterError(f"device {dev.name!r} has no {precision} peak: catalog column "
                             f"{column} is empty for it; use precision='fp32' or another device")
    return peak * 1e9


def layer_latency_grid(profile: Profile, devices: Sequence[Device | str],
                       precision: str = "fp32") -> np.ndarray:
    """Per-layer latency in seconds, shape ``(n_devices, n_layers)`` (seed 003 §V-C.2).

    Roofline per layer with a per-layer overhead; view-only layers (flatten, dropout) cost 0.
    ``precision`` (``fp32``, ``fp16`` or ``int8``) picks the peak (:func:`precision_peak`) and
    scales the bytes moved by the value size (½ for fp16, ¼ for int8); ``fp32`` is the
    plain roofline. The profile's FLOPs count one op per multiply or add at any precision.
    """
    check_profile(profile)
    precision = choice("precision", precision, tuple(PRECISIONS))
    devs = _device_list(devices)
    s = layer_static(profile)
    keys, which = s["keys"], s["which"]
    eff = np.array([[d.eff_for(o, f, m) for o, f, m in keys] for d in devs])[:, which]  # (D, L)
    oh = np.array([[d.overhead_for(o, f, m) for o, f, m in keys] for d in devs])[:, which]
    bw = np.array([[d.mem_bw_gbps * 1e9 * d.mem_eff_for(o, f, m) for o, f, m in keys]
                   for d in devs])[:, which]
    hs = np.array([[d.halfsat_for(o, f, m) for o, f, m in keys] for d in devs],
                  dtype=np.float64).reshape(len(devs), len(keys), 3)[:, which]  # (D, L, 3)
    if precision == "fp32":  # the plain roofline, bit for bit
        peak, moved = np.array([d.peak_fp32_gflops * 1e9 for d in devs]), s["moved"]
    else:
        peak = np.array([precision_peak(d, precision) for d in devs])
        moved = s["moved"] * PRECISIONS[precision][1]
    lat = roofline(
        s["flops"], moved, s["dims"], eff, oh, hs, peak, bw,
        np.array([d.roofline_p for d in devs], dtype=np.float64),
    )
    lat[:, s["free"]] = 0.0
    faults = np.array([d.page_fault_s_per_byte for d in devs], dtype=np.float64)
    cold = np.array([[d.cold_for(o, f, m) for o, f, m in keys] for d in devs])[:, which]
    if np.any(faults > 0) or np.any(cold > 0):  # catalog devices: plain roofline
        lat = host_terms(lat, s["free"], s["alloc"], s["prev"], s["wrap"], faults,
                         np.array([d.page_fault_threshold_bytes for d in devs], dtype=np.float64),
                         cold, np.array([d.cold_halfsat_s for d in devs], dtype=np.float64),
                         np.array([d.cold_hill for d in devs], dtype=np.float64))
    return lat


def layer_latency(profile: Profile, device: Device | str, precision: str = "fp32") -> np.ndarray:
    """Per-layer latency in seconds of ``profile`` on one device (seed 003 §V-C.2).

    ``precision`` as in :func:`layer_latency_grid`.
    """
    return layer_latency_grid(profile, [device], precision=precision)[0]


def model_latency(profile: Profile, device: Device | str, precision: str = "fp32") -> float:
    """Whole-model latency in seconds on one device: Σ layers + per-inference overhead.

    ``precision`` (``fp32``, ``fp16``, ``int8``) as in :func:`layer_latency_grid`.
    Seed 003 §III-B.
    """
    dev = get_device(device)
    return float(layer_latency(profile, dev, precision=precision).sum() + dev.model_overhead_s)


def air_time(nbytes: np.ndarray | float, bandwidth_mbps: np.ndarray | float) -> np.ndarray:
    """Seconds on the air for ``nbytes`` at ``bandwidth_mbps`` (no RTT); broadcasts (seed 001 §II-B).

    The one place that turns bytes and Mbit/s into seconds. Unvalidated (a hot path): callers
    validate at their boundary, or use :func:`transfer_time`.
    """
    return np.asarray(nbytes) * 8.0 / (np.asarray(bandwidth_mbps) * 1e6)


def duty_cycled_time(air_s: np.ndarray | float, duty_cycle: np.ndarray | float) -> np.ndarray:
    """Seconds a transmission of ``air_s`` on the air occupies a duty-cycled radio: ``air_s /
    duty_cycle``; broadcasts (seed 001 §II-B, links of the end tier).

    The model: a transmitter may be on the air only ``duty_cycle`` of the time, in the long run.
    ETSI EN 300 220 limits LoRa in the EU 868 MHz band to 1 % per sub-band: after an uplink of
    ``t`` s on the air the device must stay silent ``99 t`` s before it may send again, so
    sending a payload that takes ``t`` s on the air takes ``t / 0.01`` s. The radio transmits
    only ``air_s`` (its energy is ``tx_power × air_s``); the rest is enforced silence.
    ``duty_cycle = 1`` (the default of every link) returns ``air_s`` unchanged. Raises
    ``ValueError`` naming ``duty_cycle`` unless it is in ``(0, 1]``.
    """
    d = np.asarray(duty_cycle, dtype=np.float64)
    if not np.all((d > 0) & (d <= 1)):
        raise ValueError(f"duty_cycle must be in (0, 1] (the share of time a radio may "
                         f"transmit), got {show(duty_cycle)}")
    return np.asarray(air_s) / d


def transfer_time(nbytes: np.ndarray | float, bandwidth_mbps: np.ndarray | float,
                  rtt_s: float = 0.0, duty_cycle: np.ndarray | float = 1.0) -> np.ndarray:
    """Seconds to send ``nbytes`` at ``bandwidth_mbps`` plus one RTT; broadcasts its arguments.

    A zero-byte transfer costs exactly ``rtt_s`` (seed 001 §II-B). ``duty_cycle`` (a link's
    ``Link.duty_cycle``, 1 = none) stretches the air time by :func:`duty_cycled_time`.
    """
    nb = positive_array("nbytes", nbytes, allow_zero=True, allow_empty=True)
    bw = positive_array("bandwidth_mbps", bandwidth_mbps)
    rtt = positive_array("rtt_s", rtt_s, allow_zero=True)
    return rtt + duty_cycled_time(air_time(nb, bw), duty_cycle)


def link_rates(link: Link | str,
               bandwidth_mbps: float | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(uplink, downlink)`` Mbit/s as 1-D arrays (seed 001 §II-B).

    No bandwidth given means the link's own rates; a scalar or 1-D grid overrides both
    directions (a symmetric link, as the partition sweeps assume).
    """
    lk = get_link(link)
    if bandwidth_mbps is None:
        return np.array([lk.uplink_mbps]), np.array([lk.downlink_mbps])
    up = positive_array("bandwidth_mbps", np.atleast_1d(bandwidth_mbps))
    if up.ndim != 1:
        raise ValueError("bandwidth_mbps must be a scalar or a 1-D array")
    return up, up


def device_energy(active_w: np.ndarray | float, compute_s: np.ndarray | float, link: Link,
                  up_s: np.ndarray | float, down_s: np.ndarray | float, rtt_s: np.ndarray | float,
                  idle_w: np.ndarray | float, wait_s: np.ndarray | float) -> np.ndarray:
    """Device energy in joules: active power × compute + radio power × air time + idle × waiting.

    The radio transmits for the uplink air time and receives for the downlink's, and each
    direction is charged half the round trip (seed 003 §V-B.3, Neurosurgeon's energy model).
    Broadcasts its arguments.
    """
    return (active_w * compute_s
            + link.tx_power_w * (up_s + rtt_s / 2)
            + link.rx_power_w * (down_s + rtt_s / 2)
            + idle_w * wait_s)


def peak_activation_bytes(profile: Profile) -> int:
    """Largest input+output activation of any layer: a lower bound on working memory.

    Seed 003 §III-B.
    """
    t = check_profile(profile).table
    return int((t["input_bytes"] + t["output_bytes"]).max())


def fits_memory(profile: Profile, device: Device | str) -> bool:
    """Whether weights plus the peak activation fit in the device's memory (seed 003 §III-B)."""
    dev = get_device(device)
    need = check_profile(profile).table["weight_bytes"].sum() + peak_activation_bytes(profile)
    return bool(need <= dev.mem_bytes)


@dataclass(frozen=True)
class SplitCosts:
    """Costs of every split point, as arrays broadcast over ``(..., bandwidth, split)``.

    Split ``k`` runs the first ``k`` layers on the device, sends the activations that cross
    the cut over the link, and runs the rest on the server (``k = 0``: all on the server, the
    raw input is sent at its real encoding, :attr:`Profile.raw_input_bytes`; ``k = n_layers``:
    all on the device, nothing sent). ``transfer_s`` includes the silence a duty-cycled link
    imposes (:func:`duty_cycled_time`), which ``device_energy_j`` charges at idle power.
    """

    device_s: np.ndarray
    transfer_s: np.ndarray
    server_s: np.ndarray
    latency_s: np.ndarray
    device_energy_j: np.ndarray
    uplink_bytes: np.ndarray
    downlink_bytes: np.ndarray
    bandwidth_mbps: np.ndarray


def split_costs(
    profile: Profile,
    device: Device | str | Sequence[Device | str],
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None = None,
) -> SplitCosts:
    """Latency and device energy of every split point (Neurosurgeon, seed 003 §V-C.2).

    ``device`` may be one device or a sequence (adds a leading axis); ``bandwidth_mbps`` a
    scalar or 1-D grid (overrides the link's up- and downlink; default: the link's own). The
    result arrays have shape ``([n_devices,] n_bandwidths, n_layers + 1)``.
    """
    check_profile(profile)
    many = not isinstance(device, Device | str)
    devs = _device_list(device) if many else [get_device(device)]
    srv = get_device(server)
    lk = get_link(link)
    up, down = link_rates(lk, bandwidth_mbps)
    n = profile.n_layers
    dev_lat = layer_latency_grid(profile, devs)  # (D, L)
    srv_lat = layer_latency(profile, srv)  # (L,)
    a = _device_arrays(devs)
    zeros = np.zeros((len(devs), 1))
    dev_cum = np.concatenate([zeros, np.cumsum(dev_lat, axis=1)], axis=1)  # (D, L+1)
    dev_cum = dev_cum + np.where(np.arange(n + 1) > 0, a["model_oh"][:, None], 0.0)
    srv_tail = np.concatenate([np.cumsum(srv_lat[::-1])[::-1], [0.0]])  # (L+1,)
    srv_tail = srv_tail + np.where(np.arange(n + 1) < n, srv.model_overhead_s, 0.0)
    up_bytes = profile.cut_bytes()  # (L+1,)
    result_bytes = float(profile.table["output_bytes"].iloc[-1])
    down_bytes = np.where(np.arange(n + 1) < n, result_bytes, 0.0)
    rtt = np.where(np.arange(n + 1) < n, lk.rtt_ms / 1e3, 0.0)
    up_air = air_time(up_bytes[None, :], up[:, None])  # (B, L+1)
    up_s = duty_cycled_time(up_air, lk.duty_cycle)  # air time + enforced silence
    down_s = air_time(down_bytes[None, :], down[:, None])
    transfer = rtt[None, :] + up_s + down_s  # (B, L+1)
    dev_s = dev_cum[:, None, :]  # (D, 1, L+1)
    srv_s = np.broadcast_to(srv_tail, (1, 1, n + 1))
    latency = dev_s + transfer[None] + srv_s
    silent = up_s - up_air  # 0 without a duty cycle: the device idles while it may not send
    energy = device_energy(a["active_w"][:, None, None], dev_s, lk, up_air[None], down_s[None],
                           rtt[None, None, :], a["idle_w"][:, None, None], srv_s + silent[None])
    shape = latency.shape
    out = SplitCosts(
        device_s=np.broadcast_to(dev_s, shape), transfer_s=np.broadcast_to(transfer[None], shape),
        server_s=np.broadcast_to(srv_s, shape), latency_s=latency, device_energy_j=energy,
        uplink_bytes=np.broadcast_to(up_bytes, shape), downlink_bytes=np.broadcast_to(down_bytes, shape),
        bandwidth_mbps=up,
    )
    if many:
        return out
    return SplitCosts(**{k: (v[0] if k != "bandwidth_mbps" else v) for k, v in out.__dict__.items()})


def cost(
    profile: Profile,
    device: Device | str,
    server: Device | str | None = None,
    link: Link | str | None = None,
    bandwidth_mbps: float | None = None,
    split: int | None = None,
) -> dict[str, float | int | str]:
    """Cost of one configuration (seed 003 §III-B, §V-C.2).

    Without ``server``/``link``: the whole model on ``device``. With them: the first ``split``
    layers on ``device``, the crossing activations over ``link``, the rest on ``server``.
    Returns ``latency_s`` and ``device_energy_j`` plus the breakdown.
    """
    check_profile(profile)
    dev = get_device(device)
    n = profile.n_layers
    if split is not None:
        split = integer_in("split", split, 0, n)
    base: dict[str, float | int | str] = {
        "model": profile.name, "device": dev.name, "n_layers": n,
        "macs": int(profile.table["macs"].sum()), "flops": int(profile.table["flops"].sum()),
    }
    if server is None and link is None:
        if split is not None and split != n:
            raise ValueError(f"split needs --server and --link; without them the whole model "
                             f"({n} layers) runs on the device, got split={split}")
        lat = model_latency(profile, dev)
        return {**base, "split": n, "latency_s": lat, "device_energy_j": lat * dev.active_power_w,
                "device_compute_s": lat, "transfer_s": 0.0, "server_compute_s": 0.0,
                "uplink_bytes": 0, "downlink_bytes": 0, "fits_memory": fits_memory(profile, dev)}
    if server is None or link is None:
        raise ValueError("server and link must be given together (the split sends activations "
                         "from the device over the link to the server)")
    if split is None:
        raise ValueError(f"split is required with a server and link: an integer in [0, {n}] "
                         "(layers run on the device)")
    k = integer_in("split", split, 0, n)
    srv = get_device(server)
    lk = get_link(link)
    sc = split_costs(profile, dev, srv, lk, bandwidth_mbps)
    return {
        **base, "server": srv.name, "link": lk.name,
        "bandwidth_mbps": float(sc.bandwidth_mbps[0]), "split": k,
        "latency_s": float(sc.latency_s[0, k]), "device_energy_j": float(sc.device_energy_j[0, k]),
        "device_compute_s": float(sc.device_s[0, k]), "transfer_s": float(sc.transfer_s[0, k]),
        "server_compute_s": float(sc.server_s[0, k]),
        "uplink_bytes": int(sc.uplink_bytes[0, k]), "downlink_bytes": int(sc.downlink_bytes[0, k]),
        "fits_memory": fits_memory(profile, dev),
    }


def per_layer_table(profile: Profile, device: Device | str):  # -> pd.DataFrame
    """The profile table with latency and energy of each layer on ``device`` appended.

    Seed 003 §V-C.2.
    """
    check_profile(profile)
    dev = get_device(device)
    t = profile.table.copy()
    t["latency_s"] = layer_latency(profile, dev)
    t["energy_j"] = t["latency_s"] * dev.active_power_w
    return t


# --------------------------------------------------------------------------- appended: exchanges
def exchange_time(up_bytes: np.ndarray | float, down_bytes: np.ndarray | float,
                  up_mbps: np.ndarray | float, down_mbps: np.ndarray | float,
                  rtt_s: np.ndarray | float,
                  duty_cycle: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One request/response exchange over a link: ``(seconds, uplink air time, downlink air time)``.

    ``seconds = RTT + up bytes / uplink + down bytes / downlink`` (in that order, as
    :func:`split_costs` adds them); the two air times are what :func:`device_energy` charges the
    radio for (seed 001 §II-B, seed 003 §V-B.3). ``duty_cycle`` (the link's, 1 = none) stretches
    the uplink by :func:`duty_cycled_time` in ``seconds``; the uplink air time returned stays
    the time on the air. Broadcasts its arguments; unvalidated, like :func:`air_time`.
    """
    up_s = air_time(up_bytes, up_mbps)
    down_s = air_time(down_bytes, down_mbps)
    return rtt_s + duty_cycled_time(up_s, duty_cycle) + down_s, up_s, down_s


# --------------------------------------------------------------------------- appended: op energy
#: Bytes of one operand word in the operation-energy model (fp32 everywhere in the zoo).
BYTES_PER_WORD = 4


def op_energy(macs: np.ndarray, other_flops: np.ndarray, weight_bytes: np.ndarray,
              activation_bytes: np.ndarray, weighted: np.ndarray, batch: float,
              sram_reads_per_mac: float,
              pj: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-layer ``(arithmetic, SRAM, DRAM)`` energy in joules per image (seed 003 §V-C.1).

    The "operations × energy per operation" model with the 45 nm energies ``pj`` (picojoules,
    keyed ``fp_mult``, ``fp_add``, ``sram_read``, ``dram_read``: Horowitz, ISSCC 2014): every
    MAC a float multiply and add, every other FLOP one add; ``sram_reads_per_mac`` 32-bit SRAM
    reads per MAC; ``weighted`` layers (conv, FC) read their weights from DRAM once per
    ``batch`` and their input and output once, other layers move nothing to DRAM.
    """
    w_words = weight_bytes / BYTES_PER_WORD
    act_words = activation_bytes / BYTES_PER_WORD
    e_arith = (macs * (pj["fp_mult"] + pj["fp_add"]) + other_flops * pj["fp_add"]) * 1e-12
    e_sram = macs * sram_reads_per_mac * pj["sram_read"] * 1e-12
    e_dram = np.where(weighted, w_words / batch + act_words, 0.0) * pj["dram_read"] * 1e-12
    return e_arith, e_sram, e_dram


def dram_energy_per_byte(pj: dict[str, float]) -> float:
    """Joules to read one byte from DRAM in the operation-energy model (seed 003 §V-C.1)."""
    return pj["dram_read"] * 1e-12 / BYTES_PER_WORD


# --------------------------------------------------------------------------- appended: training steps
#: Backward pass ≈ this many forward passes (gradients w.r.t. inputs and weights: one each);
#: the assumption behind "one SGD step ≈ 3 × forward" (seed 003 §IV-B.5).
BACKWARD_PER_FORWARD = 2.0
#: One SGD step ≈ this many forward passes (forward + backward): the one training-cost factor
#: every training technique uses (split learning, transfer, pipeline parallelism).
TRAINING_STEP_PER_FORWARD = 1.0 + BACKWARD_PER_FORWARD


def training_step_time(profile: Profile, device: Device | str, n_frozen: int = 0) -> float:
    """Seconds of one SGD step of ``profile``'s batch on ``device`` (seed 003 §IV-C.5).

    Forward through every layer, backward (:data:`BACKWARD_PER_FORWARD` × forward) through the
    layers after the first ``n_frozen``: a frozen prefix (transfer learning's feature extractor)
    needs no backward at all, since nothing before it is trained. ``n_frozen = 0`` gives
    ``3 × model_latency``'s layer sum plus the per-inference overhead once.
    """
    check_profile(profile)
    n_frozen = integer_in("n_frozen", n_frozen, 0, profile.n_layers)
    dev = get_device(device)
    lat = layer_latency(profile, dev)
    return float(lat.sum() + BACKWARD_PER_FORWARD * lat[n_frozen:].sum() + dev.model_overhead_s)


# --------------------------------------------------------------------------- appended: head memory
def head_memory_bytes(profile: Profile) -> np.ndarray:
    """Device memory of running the first ``k`` layers, for ``k = 0 … n_layers`` (seed 003 §IV-C.4).

    Weights of the first ``k`` layers plus the largest input + output activation among them (the
    working-memory lower bound of :func:`peak_activation_bytes`, restricted to the head); ``k = 0``
    holds nothing. ``k = n_layers`` equals the whole model's weights + peak activation.
    """
    t = check_profile(profile).table
    w = np.concatenate([[0.0], np.cumsum(t["weight_bytes"].to_numpy(dtype=np.float64))])
    act = (t["input_bytes"] + t["output_bytes"]).to_numpy(dtype=np.float64)
    peak = np.concatenate([[0.0], np.maximum.accumulate(act)])
    return w + peak


# --------------------------------------------------------------------------- appended: all-reduce (issue 16)
def ring_allreduce_time(nbytes: np.ndarray | float, n_workers: int,
                        bandwidth_mbps: np.ndarray | float, latency_s: np.ndarray | float = 0.0
                        ) -> np.ndarray:
    """Seconds of a ring all-reduce of ``nbytes`` over ``n_workers`` (seed 003 §IV-C.4, data
    parallel training).

    ``2 (N − 1)`` steps (reduce-scatter, then all-gather), each sending ``nbytes / N`` over one
    link of ``bandwidth_mbps`` and paying ``latency_s`` (the link's RTT: one message and its
    acknowledgement): ``2 (N − 1) · (latency_s + air_time(nbytes / N))``. One worker sends nothing
    (0 s). Broadcasts ``nbytes``, ``bandwidth_mbps`` and ``latency_s``; raises ``ValueError``
    naming the parameter for a negative size, a worker count below 1 or a bandwidth ≤ 0.
    """
    nb = positive_array("nbytes", nbytes, allow_zero=True, allow_empty=True)
    n = integer_in("n_workers", n_workers, 1, 1_000_000)
    bw = positive_array("bandwidth_mbps", bandwidth_mbps)
    lat = positive_array("latency_s", latency_s, allow_zero=True)
    return 2 * (n - 1) * (lat + air_time(nb / n, bw))


# --------------------------------------------------------------------------- appended: cache lookup
def search_time(n_entries: np.ndarray | float, macs_per_entry: float, bytes_per_entry: float,
                device: Device | str) -> np.ndarray:
    """Seconds to compare one query with ``n_entries`` cached entries on ``device`` by brute force.

    The edge-caching lookup of seed 003 §V-C.4 (Cachier, FoggyCache): every entry costs
    ``macs_per_entry`` multiply-accumulates (2 FLOPs each) and ``bytes_per_entry`` bytes read
    from memory; the scan is a roofline, ``max(FLOPs / peak, bytes / (bandwidth × memory
    efficiency))``, plus the device's per-layer overhead when there is anything to scan (an
    empty cache costs 0 s). Broadcasts over ``n_entries``. Raises ``ValueError`` naming the
    parameter for a negative or non-finite size.
    """
    n = positive_array("n_entries", n_entries, allow_zero=True, allow_empty=True)
    macs = float(positive_array("macs_per_entry", macs_per_entry, allow_zero=True))
    nbytes = float(positive_array("bytes_per_entry", bytes_per_entry, allow_zero=True))
    dev = get_device(device)
    compute = 2.0 * n * macs / precision_peak(dev, "fp32")
    memory = n * nbytes / (dev.mem_bw_gbps * 1e9 * dev.mem_efficiency)
    return np.where(n > 0, np.maximum(compute, memory) + dev.layer_overhead_s, 0.0)
