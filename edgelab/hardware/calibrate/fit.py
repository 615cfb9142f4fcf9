"""Fit the cost model to this CPU: the "host" device (seed 003 §III-B).

The model is seed 003 §III-B's roofline (:func:`edgelab.hardware.cost.roofline`, with
:func:`edgelab.hardware.cost.host_terms` on top: the fit and ``get_device("host")`` share the
formula, so they cannot drift apart). Per layer::

    t0 = overhead[op] + ((c)^p + (m)^p)^(1/p) + fault · a · a⁴ / (a⁴ + a½⁴)
    c  = FLOPs / (peak · eff[op] · s(M) s(N) s(K)),  s(x) = x / (x + x½)   (conv, dwconv, linear)
    m  = bytes moved / (mem_bw · mem_eff[op])
    a  = bytes of fresh output memory the layer allocates (0 in place)
    t  = t0 + cold[op] · τ^h / (τ^h + τ½^h)
    τ  = Σ t0 of the layers run since a layer of the same kind last ran (in steady-state
         repeated inference: a kind met once last ran one inference ago)
    t_model = Σ t + model_overhead

``peak`` is the measured single-thread SGEMM rate (1024³ ``torch.mm``, median) and
``mem_bw`` the measured 64 MiB copy rate; the fit finds ``eff`` per op kind (conv, dwconv,
linear, bn, act, pool, lrn, add, cat, ... shrunk toward their family), ``overhead`` per op
kind (shrunk toward a shared value), ``mem_eff``, the half-saturation sizes ``(M½, N½, K½)``,
the fresh-memory cost ``fault`` per byte and its threshold ``a½``, the cache-cold penalty
``cold`` per op kind (shrunk toward a shared value), its half-saturation time ``τ½`` and
exponent ``h``, by least squares on log(predicted / measured) with a soft-L1 loss (relative
error: a fit on absolute error would get the small layers badly wrong); then
``model_overhead`` on whole-model log error. Weak priors (the catalog's CPU defaults) pin a
parameter that no training layer informs, e.g. depthwise convolutions when all MobileNets are
held out. Why the cold and fault terms exist is told in :mod:`edgelab.hardware.calibrate`.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edgelab.hardware.calibrate.measure import Measurements
from edgelab.hardware.cost import FAMILIES, GEMM_FAMILIES, host_terms, reuse_index, roofline
from edgelab.hardware.specs import DEFAULT_EFFICIENCY, Device

__all__ = ["Design", "FitResult", "KERNEL_ALIAS", "design_for", "host_device", "alias_unseen",
           "fit_host", "predict"]

# Op kinds the cost model treats as "other" keep their own efficiency and overhead, shrunk
# toward the family; weak priors in log space (a standard deviation of 1 = a factor e).
_PRIOR_SD = 1.0
_HALFSAT0 = 16.0  # prior centre of the GEMM half-saturation sizes (log-space sd 2)
_ROOFLINE_P = 1.0  # host: compute and memory time add (see Design)
# Prior centres of the cache-cold term (log-space sd 2, 2 and 0.5): a few tens of µs once a
# layer's kind last ran about a millisecond ago (see Device.cold_penalty_s).
_COLD0_S = 2e-5
_COLD0_TAU_S = 1e-3
_HILL0 = 1.0
# ... and of the fresh-memory term (log-space sd 2 and 1): about 0.6 ns a byte (2.4 µs a 4 KiB
# page fault under a hypervisor) above a few MB (glibc's mmap threshold grows up to 32 MiB).
_FAULT0_S_PER_B = 6e-10
_FAULT0_BYTES = 8e6
# soft-L1 loss: residuals beyond ~10% (log scale 0.1) count linearly, not quadratically
_SOFT_SCALE = 0.1
# The per-inference overhead (one Python call into the model) is a few µs: a weak prior (log-space
# sd 2) keeps a fit without small models from hiding its large models' error there.
_MODEL_OH0_S = 1e-5
_PRIOR_SD_MODEL_OH = 2.0
#: An unseen kind borrows the fit of the kernel it runs as: ReLU6 is torch's hardtanh on
#: [0, 6], an elementwise clamp with ReLU's memory traffic (:func:`alias_unseen`).
KERNEL_ALIAS = {"ReLU6": "ReLU", "Hardtanh": "ReLU"}


@dataclass
class Design:
    """Parameter layout of the fit (seed 003 §III-B's cost model, fitted to this CPU).

    ``keys`` are the parameter keys of the layers: the family for conv / dwconv / linear, the
    module (``BatchNorm2d``, ``ReLU6``, ``MaxPool2d``, ``add``, ...) for the "other" family,
    whose op kind (``act``, ``pool``, ...) is ``key_op``. θ (all in log space): efficiency per
    family; a base overhead; a memory efficiency; then, for efficiency, overhead and memory
    efficiency alike, a shrunk offset per "other" op kind and a shrunk offset per key on top
    of it (so an unseen ``ReLU6`` falls back to what ``ReLU`` taught about ``act``); the GEMM
    half-saturation sizes per GEMM family. Compute and memory time add up (p = 1): on this
    CPU a layer barely overlaps them, and a fitted p made the fit ill-conditioned.
    """

    keys: list[str]
    key_family: list[str]
    key_op: list[str]

    def __post_init__(self) -> None:
        self.n_fam = len(FAMILIES)
        self.ops = sorted({o for o, k in zip(self.key_op, self.keys, strict=True) if o != k})
        i = self.n_fam
        self.i_ohbase, self.i_mem = i, i + 1
        i += 2
        self.i_op: dict[str, dict[str, int]] = {}
        self.i_key: dict[str, dict[str, int]] = {}
        for what in ("eff", "oh", "mem"):
            self.i_op[what] = {o: i + j for j, o in enumerate(self.ops)}
            i += len(self.ops)
            self.i_key[what] = {k: i + j for j, k in enumerate(self.keys)}
            i += len(self.keys)
        self.i_hs = {f: i + 3 * j for j, f in enumerate(GEMM_FAMILIES)}
        i += 3 * len(GEMM_FAMILIES)
        # cache-cold penalty (s), its half-saturation time (s) and its Hill exponent
        self.i_cold, self.i_coldb, self.i_hill = i, i + 1, i + 2
        self.i_fault, self.i_faultb = i + 3, i + 4  # fresh-memory cost (s/B) and threshold (B)
        i += 5
        self.i_ckey = {k: i + j for j, k in enumerate(self.keys)}  # its shrunk offset per key
        self.size = i + len(self.keys)

    def theta0(self) -> np.ndarray:
        """The starting θ: the catalog's CPU efficiencies (doubled, at most 1) and the priors'
        centres (seed 003 §III-B)."""
        th = np.zeros(self.size)
        d = DEFAULT_EFFICIENCY["cpu"]
        th[: self.n_fam] = np.log([min(1.0, 2 * d[f]) for f in FAMILIES])
        th[self.i_ohbase] = math.log(1e-5)
        for j in self.i_hs.values():
            th[j:j + 3] = math.log(_HALFSAT0)
        th[self.i_cold] = math.log(_COLD0_S)
        th[self.i_coldb] = math.log(_COLD0_TAU_S)
        th[self.i_hill] = math.log(_HILL0)
        th[self.i_fault] = math.log(_FAULT0_S_PER_B)
        th[self.i_faultb] = math.log(_FAULT0_BYTES)
        return th

    def _offset(self, th: np.ndarray, what: str, k: str, op: str) -> float:
        j = self.i_op[what].get(op)
        return float(th[self.i_key[what][k]] + (th[j] if j is not None else 0.0))

    def unpack(self, th: np.ndarray) -> dict[str, Any]:
        """θ as the host device's parameters (seed 003 §III-B): ``efficiency``, overheads,
        memory efficiencies per family, op kind and key, the half-saturation sizes, the
        cache-cold and fresh-memory terms (the keyword arguments :func:`host_device` reads)."""
        fam_eff = {f: math.exp(th[i]) for i, f in enumerate(FAMILIES)}
        base = math.exp(th[self.i_ohbase])
        mem = math.exp(th[self.i_mem])
        eff, oh, me = dict(fam_eff), {}, {}
        for o in self.ops:  # op-kind level: what an unseen module of that kind falls back to
            f = self.key_family[self.key_op.index(o)]
            eff[o] = fam_eff[f] * math.exp(th[self.i_op["eff"][o]])
            oh[o] = base * math.exp(th[self.i_op["oh"][o]])
            me[o] = mem * math.exp(th[self.i_op["mem"][o]])
        for k, f, o in zip(self.keys, self.key_family, self.key_op, strict=True):
            eff[k] = fam_eff[f] * math.exp(self._offset(th, "eff", k, o))
            oh[k] = base * math.exp(self._offset(th, "oh", k, o))
            me[k] = mem * math.exp(self._offset(th, "mem", k, o))
        return {"efficiency": eff, "layer_overhead_s": base, "op_overhead_s": oh,
                "mem_efficiency": mem, "op_mem_efficiency": me,
                "gemm_halfsat": {f: tuple(float(v) for v in np.exp(th[j:j + 3]))
                                 for f, j in self.i_hs.items()},
                "roofline_p": _ROOFLINE_P,
                "cold_penalty_s": math.exp(th[self.i_cold]),
                "cold_halfsat_s": math.exp(th[self.i_coldb]),
                "cold_hill": math.exp(th[self.i_hill]),
                "page_fault_s_per_byte": math.exp(th[self.i_fault]),
                "page_fault_threshold_bytes": math.exp(th[self.i_faultb]),
                "op_cold_penalty_s": {k: math.exp(th[self.i_cold] + th[j])
                                      for k, j in self.i_ckey.items()}}

    def priors(self, th: np.ndarray) -> np.ndarray:
        """The weak priors as extra residuals (seed 003 §III-B): family efficiencies relative to
        conv as in the catalog, shrunk offsets, half-saturation sizes and the cold and fault
        terms near their prior centres."""
        d = DEFAULT_EFFICIENCY["cpu"]
        conv = FAMILIES.index("conv")
        rel = [th[FAMILIES.index(f)] - th[conv] - math.log(d[f] / d["conv"])
               for f in FAMILIES if f != "conv"]
        offsets = [th[i] for w in ("eff", "oh", "mem")
                   for i in (*self.i_op[w].values(), *self.i_key[w].values())]
        hs = [(th[j + k] - math.log(_HALFSAT0)) / 2.0 for j in self.i_hs.values() for k in range(3)]
        cold = [(th[self.i_cold] - math.log(_COLD0_S)) / 2.0,
                (th[self.i_coldb] - math.log(_COLD0_TAU_S)) / 2.0,
                (th[self.i_hill] - math.log(_HILL0)) / 0.5,
                (th[self.i_fault] - math.log(_FAULT0_S_PER_B)) / 2.0,
                (th[self.i_faultb] - math.log(_FAULT0_BYTES)) / 1.0,
                *(th[j] / _PRIOR_SD for j in self.i_ckey.values())]
        return np.concatenate([np.array(rel + offsets) / _PRIOR_SD, hs, cold])


@dataclass
class FitResult:
    """A fitted host device and the settings it came from (seed 003 §III-B): ``params`` (the
    unpacked θ, ``model_overhead_s`` and ``theta``), the models it was ``trained_on`` and the
    mean robust ``cost`` per layer."""

    device: Device
    params: dict[str, Any]
    trained_on: list[str]
    cost: float


def _arrays(layers: pd.DataFrame, design: Design) -> dict[str, np.ndarray]:
    key_index = {k: i for i, k in enumerate(design.keys)}
    return {
        "flops": layers["flops"].to_numpy(np.float64),
        "moved": layers["moved"].to_numpy(np.float64),
        "dims": layers[["M", "N", "K"]].to_numpy(np.float64),
        "hsfam": np.array([GEMM_FAMILIES.index(f) if f in GEMM_FAMILIES else -1
                           for f in layers["family"]], dtype=np.int64),
        "key": np.array([key_index[k] for k in layers["key"]], dtype=np.int64),
        "free": layers["free"].to_numpy(bool),
        "alloc": layers["alloc"].to_numpy(np.float64),
        **_reuse_arrays(layers),
    }


def _reuse_arrays(layers: pd.DataFrame) -> dict[str, np.ndarray]:
    """:func:`~edgelab.hardware.cost.reuse_index` per model of a frame that concatenates models."""
    n = len(layers)
    prev, wrap = np.arange(n, dtype=np.int64), np.ones(n, dtype=bool)
    seg = np.zeros(n, dtype=np.int64)
    models = layers["model"].to_numpy()
    free, keys = layers["free"].to_numpy(bool), layers["key"].tolist()
    for j, name in enumerate(dict.fromkeys(models)):
        idx = np.flatnonzero(models == name)
        if idx[-1] - idx[0] + 1 != len(idx):
            raise ValueError(f"the layers of {name!r} must be contiguous")
        p, w = reuse_index(free[idx], keys[idx[0]:idx[-1] + 1])
        prev[idx], wrap[idx], seg[idx] = p + idx[0], w, j
    return {"prev": prev, "wrap": wrap, "seg": seg}


def _predict_layers(th: np.ndarray, design: Design, arr: dict[str, np.ndarray], peak: float,
                    bw: float) -> np.ndarray:
    p = design.unpack(th)
    eff = np.array([p["efficiency"][k] for k in design.keys])[arr["key"]]
    oh = np.array([p["op_overhead_s"][k] for k in design.keys])[arr["key"]]
    mem = np.array([p["op_mem_efficiency"][k] for k in design.keys])[arr["key"]]
    cold = np.array([p["op_cold_penalty_s"][k] for k in design.keys])[arr["key"]]
    hs_tab = np.array([p["gemm_halfsat"][f] for f in GEMM_FAMILIES] + [(0.0, 0.0, 0.0)])
    hs = hs_tab[arr["hsfam"]]  # index -1 picks the zero row
    t = roofline(arr["flops"], arr["moved"], arr["dims"], eff[None], oh[None], hs[None],
                 np.array([peak]), bw * mem[None], np.array([p["roofline_p"]]))[0]
    return host_terms(t[None], arr["free"], arr["alloc"], arr["prev"], arr["wrap"],
                      np.array([p["page_fault_s_per_byte"]]),
                      np.array([p["page_fault_threshold_bytes"]]), cold[None],
                      np.array([p["cold_halfsat_s"]]), np.array([p["cold_hill"]]),
                      arr["seg"])[0]


def design_for(layers: pd.DataFrame) -> Design:
    """The :class:`Design` of a layer frame (:func:`~edgelab.hardware.calibrate.measure.layer_frame`
    rows of one or more models): its keys sorted by family, plus every GEMM family so that a
    held-out model's unseen family falls back to the priors (seed 003 §III-B)."""
    pairs = (layers[["key", "family", "op"]].drop_duplicates("key")
             .sort_values(["family", "key"]))
    keys = pairs["key"].tolist()
    fams = pairs["family"].tolist()
    ops = [o if f == "other" else k for k, f, o in zip(keys, fams, pairs["op"], strict=True)]
    for f in GEMM_FAMILIES:  # so that a held-out model's unseen family falls back to priors
        if f not in keys:
            keys.append(f)
            fams.append(f)
            ops.append(f)
    return Design(keys, fams, ops)


def host_device(params: dict[str, Any], peaks: dict[str, float], model_overhead_s: float,
                name: str = "host", threads: int = 1) -> Device:
    """Build the "host" :class:`~edgelab.hardware.specs.Device` from fitted parameters and peaks
    (seed 003 §III-B); power is assumed equal to the catalog's laptop CPU."""
    mem_gb = 8.0
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return Device(
        name=name, tier="edge", kind="cpu",
        description=f"this machine's CPU, calibrated with {threads} thread(s) at batch 1 "
                    "(see edgelab.hardware.calibrate)",
        source="measured by edgelab.hardware.calibrate: peak = median single-thread 1024^3 SGEMM rate, "
               "memory bandwidth = 64 MiB copy rate; power assumed equal to laptop-cpu",
        peak_fp32_gflops=float(peaks["gemm_gflops"]), mem_bw_gbps=float(peaks["copy_gbps"]),
        mem_gb=float(mem_gb), active_power_w=28.0, idle_power_w=2.0,
        efficiency={k: float(v) for k, v in params["efficiency"].items()},
        mem_efficiency=float(params["mem_efficiency"]),
        layer_overhead_s=float(params["layer_overhead_s"]),
        model_overhead_s=float(model_overhead_s),
        op_overhead_s={k: float(v) for k, v in params["op_overhead_s"].items()},
        op_mem_efficiency={k: float(v) for k, v in params["op_mem_efficiency"].items()},
        gemm_halfsat={k: tuple(float(x) for x in v)  # type: ignore[misc]
                      for k, v in params["gemm_halfsat"].items()},
        roofline_p=float(params["roofline_p"]),
        cold_penalty_s=float(params.get("cold_penalty_s", 0.0)),
        cold_halfsat_s=float(params.get("cold_halfsat_s", 0.0)),
        cold_hill=float(params.get("cold_hill", 1.0)),
        page_fault_s_per_byte=float(params.get("page_fault_s_per_byte", 0.0)),
        page_fault_threshold_bytes=float(params.get("page_fault_threshold_bytes", 0.0)),
        op_cold_penalty_s={k: float(v) for k, v in params.get("op_cold_penalty_s", {}).items()},
    )


def _fit_model_overhead(pred_sum: np.ndarray, measured: np.ndarray) -> float:
    """Per-inference overhead ≥ 0 minimising the robust log error of whole models."""
    from scipy.optimize import minimize_scalar

    if len(measured) == 0:
        return 0.0

    def loss(log_mo: float) -> float:
        r = np.log((pred_sum + math.exp(log_mo)) / measured) / _SOFT_SCALE
        prior = ((log_mo - math.log(_MODEL_OH0_S)) / _PRIOR_SD_MODEL_OH) ** 2
        return float(np.sum(2 * (np.sqrt(1 + r * r) - 1)) + prior)

    lo, hi = math.log(1e-9), math.log(max(1e-6, float(np.min(measured))))
    res = minimize_scalar(loss, bounds=(lo, hi), method="bounded")
    return float(math.exp(res.x)) if loss(res.x) < loss(lo) else 0.0


def alias_unseen(th: np.ndarray, design: Design, seen: set[str]) -> np.ndarray:
    """Give a kind the training data never showed the fitted offsets of its nearest kernel
    (seed 003 §III-B's cost model, :data:`KERNEL_ALIAS`); returns a copy of ``th``.

    Without this an unseen kind falls back to its op kind's shared value (``act`` for
    ``ReLU6``), which on this host is 1.9× off for ReLU6 when every MobileNet is held out.
    """
    th = np.array(th, dtype=np.float64)
    for k, a in KERNEL_ALIAS.items():
        if k in design.i_ckey and a in design.i_ckey and k not in seen and a in seen:
            for w in ("eff", "oh", "mem"):
                th[design.i_key[w][k]] = th[design.i_key[w][a]]
            th[design.i_ckey[k]] = th[design.i_ckey[a]]
    return th


def fit_host(meas: Measurements, exclude: Sequence[str] = (), design: Design | None = None
             ) -> FitResult:
    """Fit the host device on every measured model except ``exclude`` (seed 003 §III-B).

    Stage 1 fits the per-layer parameters on log(predicted / measured) of every non-free
    layer of the training models (soft-L1 loss, weak priors); stage 2 fits the per-inference
    overhead on the training models' whole-model log error.
    """
    from scipy.optimize import least_squares

    excl = set(exclude)
    train = [m for m in meas.models["model"] if m not in excl]
    if not train:
        raise ValueError("fit_host needs at least one training model")
    design = design or design_for(meas.layers)
    lay = meas.layers[meas.layers["model"].isin(train) & ~meas.layers["free"]
                      & (meas.layers["measured_s"] > 0)]
    arr = _arrays(lay, design)
    y = np.log(lay["measured_s"].to_numpy(np.float64))
    peak = meas.peaks["gemm_gflops"] * 1e9
    bw = meas.peaks["copy_gbps"] * 1e9
    n_data = len(y)

    def resid(th: np.ndarray) -> np.ndarray:
        pred = _predict_layers(th, design, arr, peak, bw)
        r = (np.log(pred) - y) / _SOFT_SCALE
        rho = np.sqrt(2 * (np.sqrt(1 + r * r) - 1)) * np.sign(r)  # soft-L1, as plain residuals
        return np.concatenate([rho, design.priors(th)])

    th0 = design.theta0()
    lo = np.full(design.size, -30.0)
    hi = np.full(design.size, 30.0)
    hi[: design.n_fam] = math.log(1.5)  # efficiency at most 1.5 × the measured SGEMM rate
    res = least_squares(resid, th0, bounds=(lo, hi), x_scale=1.0, max_nfev=400 * design.size)
    theta = alias_unseen(res.x, design, set(lay["key"]))
    params = design.unpack(theta)
    lay_all = meas.layers[meas.layers["model"].isin(train)]
    pred_all = _predict_layers(theta, design, _arrays(lay_all, design), peak, bw)
    sums = pd.Series(pred_all, index=lay_all.index).groupby(lay_all["model"]).sum()
    mm = meas.models.set_index("model").loc[train]
    mo = _fit_model_overhead(sums.loc[train].to_numpy(), mm["measured_s"].to_numpy(np.float64))
    dev = host_device(params, meas.peaks, mo, threads=int(meas.meta.get("threads", 1)))
    return FitResult(dev, {**params, "model_overhead_s": mo, "theta": theta.tolist()}, train,
                     float(res.cost) / max(n_data, 1))


def predict(fit: FitResult, meas: Measurements, model: str) -> tuple[np.ndarray, float]:
    """Predicted per-layer latencies (s) and whole-model latency of ``model`` under ``fit``
    (seed 003 §III-B)."""
    lay = meas.layers[meas.layers["model"] == model]
    design = design_for(meas.layers)
    th = np.asarray(fit.params["theta"])
    t = _predict_layers(th, design, _arrays(lay, design), meas.peaks["gemm_gflops"] * 1e9,
                        meas.peaks["copy_gbps"] * 1e9)
    return t, float(t.sum() + fit.params["model_overhead_s"])
