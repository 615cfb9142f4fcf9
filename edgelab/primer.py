"""Logic of the two primer chapters: edge paradigms and the catalog (01), the DL primer (02).

Chapter 01 mirrors seed 001 §II (edge computing paradigms and advantages) and seed 003
§III-A (why edge intelligence); chapter 02 mirrors seed 003 §II-D (popular DL models) and
§V-C.1 (model compression, the energy argument of [72]: in AlexNet the convolutional layers
dominate the energy while the fully connected layers hold most of the weights).

Everything here is a small pure function over the catalog (:mod:`edgelab.hardware.catalog`), the
profiler (:mod:`edgelab.hardware.profile`) and the cost model (:mod:`edgelab.hardware.cost`); the chapters only
call it, so a chapter cell stays short. Plotting helpers return a :class:`matplotlib.figure.Figure`.

The energy model of :func:`layer_energy` (documented there) is a deliberately simple
"operations × energy per operation" model with the 45 nm figures of Horowitz (ISSCC 2014),
kept with their source in ``data/energy_45nm.csv``; its formula is
:func:`edgelab.hardware.cost.op_energy`, beside the rest of the physics. Reported numbers and
their tolerances come from :mod:`edgelab.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from edgelab._validate import positive
from edgelab.claims import reported, tolerance
from edgelab.errors import unknown_name
from edgelab.hardware import cost as _cost
from edgelab.hardware.catalog import TIERS, devices, get_link, links, op_energy_pj, op_energy_table
from edgelab.hardware.profile import Profile, profile_model, survey_models, zoo_input_shape

__all__ = [
    "SURVEY_CLAIMS",
    "GROUPS",
    "energy_table",
    "energy_constants",
    "zoo_summary",
    "survey_size_comparison",
    "layer_groups",
    "readable_layer_names",
    "layer_energy",
    "conv_fc_shares",
    "conv_fc_energy_split_holds",
    "energy_vs_batch",
    "energy_crossover_batch",
    "conv_fc_summary",
    "googlenet_pooling_variants",
    "tier_summary",
    "catalog_overview",
    "link_overview",
    "standard_payloads",
    "upload_times",
    "edge_vs_cloud_rtt",
    "edge_vs_cloud_latency_check",
    "plot_zoo",
    "plot_layer_profile",
    "plot_survey_comparison",
    "plot_conv_fc_shares",
    "plot_energy_vs_batch",
    "plot_devices",
    "plot_links",
    "plot_upload_times",
]

#: The six numbers of seed 003 §II-D: claim id → (zoo model, quantity of ``Profile.totals()``).
SURVEY_CLAIMS: dict[str, tuple[str, str]] = {
    "alexnet_weights": ("alexnet", "params"),
    "alexnet_macs": ("alexnet", "macs"),
    "vgg16_weights": ("vgg16", "params"),
    "vgg16_macs": ("vgg16", "macs"),
    "googlenet_weights": ("googlenet", "params"),
    "googlenet_macs": ("googlenet", "macs"),
}

#: Layer groups of the conv-vs-FC argument (seed 003 §V-C.1): profiler family → group.
GROUPS: dict[str, str] = {"conv": "conv", "dwconv": "conv", "linear": "fc"}
_GROUP_ORDER = ("conv", "fc", "other")
_TIER_COLORS = {"end": "tab:green", "edge": "tab:orange", "cloud": "tab:blue"}


# --------------------------------------------------------------------------- energy constants
def energy_table() -> pd.DataFrame:
    """``data/energy_45nm.csv``: energy per operation at 45 nm (Horowitz, ISSCC 2014), with sources.

    Seed 003 §V-C.1 cites [72], whose point rests on memory accesses costing far more than
    arithmetic: a 32-bit DRAM read (640 pJ) is ~140× a 32-bit float multiply-add (4.6 pJ).
    """
    return op_energy_table()


def energy_constants() -> dict[str, float]:
    """Energy per operation in picojoules, keyed by ``op`` (``fp_mult``, ``dram_read``, ...)
    (seed 003 §V-C.1)."""
    return op_energy_pj()


# --------------------------------------------------------------------------- model sizes (§II-D)
def zoo_summary(models: Iterable[str] | None = None) -> pd.DataFrame:
    """Size of each model, computed by the profiler (seed 003 §II-D).

    One row per model: input shape, layers, parameters (weights), MACs, FLOPs (= 2·MACs plus
    the element-wise ops, see :mod:`edgelab.hardware.profile`), weight megabytes (fp32), the peak
    activation (largest input+output of one layer, MB) and FLOPs per weight byte. ``models``
    defaults to the survey's models (``edgelab.models.SURVEY_MODELS``).
    """
    rows = []
    for name in survey_models() if models is None else models:
        p = profile_model(name)
        t = p.totals()
        shape = zoo_input_shape(name)
        rows.append({
            "model": name,
            "input": "x".join(str(s) for s in shape),
            "layers": p.n_layers,
            "params": t["params"],
            "macs": t["macs"],
            "flops": t["flops"],
            "weight_mb": t["weight_bytes"] / 1e6,
            "peak_activation_mb": _cost.peak_activation_bytes(p) / 1e6,
            "flops_per_weight_byte": t["flops"] / max(t["weight_bytes"], 1),
        })
    return pd.DataFrame(rows)


def survey_size_comparison(claims: Iterable[str] = tuple(SURVEY_CLAIMS)) -> pd.DataFrame:
    """Ours vs reported for the §II-D weights and MACs of AlexNet, VGG-16 and GoogLeNet.

    Reported numbers are read from ``data/reported.csv`` via :func:`edgelab.claims.reported`
    (``reported_value`` verbatim, ``reported`` = its number); ``rel_error`` = ours / reported − 1;
    ``within_tol`` applies the row's ``within_rel`` tolerance.
    """
    rows = []
    for cid in claims:
        if cid not in SURVEY_CLAIMS:
            raise unknown_name("§II-D claim", cid, SURVEY_CLAIMS)
        model, qty = SURVEY_CLAIMS[cid]
        row = reported(cid)
        ours = float(profile_model(model).totals()[qty])
        ref = row["reported_low"]
        rel = ours / ref - 1.0 if ref else math.nan
        tol = tolerance(row["verdict_rule"])
        rows.append({
            "claim_id": cid, "model": model, "quantity": qty, "units": row["units"],
            "ours": ours, "reported_value": row["reported_value"], "reported": ref,
            "rel_error": rel, "tolerance": tol, "within_tol": bool(abs(rel) <= tol),
            "source": f"seed {row['seed_file'][:3]} {row['section_or_table']}",
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- conv vs FC (§V-C.1)
def layer_groups(profile: Profile) -> pd.Series:
    """Group of every layer: ``conv`` (incl. depthwise), ``fc`` (linear) or ``other`` (seed 003 §V-C.1)."""
    return profile.table["family"].map(GROUPS).fillna("other").rename("group")


def layer_energy(name: str, batch: int = 1, sram_reads_per_mac: float = 2.0) -> pd.DataFrame:
    """Modelled energy per image of every layer of a zoo model, in joules (seed 003 §V-C.1).

    A simple, stated model with the 45 nm energies of ``data/energy_45nm.csv``:

    * **arithmetic**: every MAC costs a 32-bit float multiply and add (3.7 + 0.9 pJ); every
      other FLOP (bias, activation, pooling, normalisation) one float add (0.9 pJ);
    * **on-chip operands**: each MAC reads ``sram_reads_per_mac`` 32-bit words (default 2: one
      weight, one input) from a small 8 KB SRAM (5 pJ each); partial sums stay in registers;
    * **DRAM**: conv and FC layers read their weights once per *batch* of ``batch`` images
      (so ``weight words / batch`` per image), read their input and write their output once
      (640 pJ per 32-bit word); element-wise layers, pooling and normalisation are assumed
      fused with the layer before them and move nothing to DRAM.

    With ``batch = 1`` (one image at a time: edge inference) every FC weight is fetched from
    DRAM for a single use, which is what makes FC layers expensive; [72] (Yang et al.,
    CVPR 2017) models a dataflow accelerator where weights are reused. Columns: ``group``,
    ``macs``, ``params``, ``e_arith_j``, ``e_sram_j``, ``e_dram_j``, ``energy_j``.
    """
    b = positive("batch", batch)
    s = positive("sram_reads_per_mac", sram_reads_per_mac, allow_zero=True)
    pj = energy_constants()
    p = profile_model(name)
    t = p.table
    grp = layer_groups(p)
    macs = t["macs"].to_numpy(np.float64)
    other_flops = np.maximum(t["flops"].to_numpy(np.float64) - 2.0 * macs, 0.0)
    weighted = grp.isin(["conv", "fc"]).to_numpy()
    e_arith, e_sram, e_dram = _cost.op_energy(
        macs, other_flops, t["weight_bytes"].to_numpy(np.float64),
        (t["input_bytes"] + t["output_bytes"]).to_numpy(np.float64), weighted, b, s, pj)
    out = pd.DataFrame({
        "layer": t["layer"], "op": t["op"], "group": grp, "macs": t["macs"], "params": t["params"],
        "e_arith_j": e_arith, "e_sram_j": e_sram, "e_dram_j": e_dram,
    })
    out["energy_j"] = out[["e_arith_j", "e_sram_j", "e_dram_j"]].sum(axis=1)
    return out


def conv_fc_shares(name: str = "alexnet", batch: int = 1,
                   sram_reads_per_mac: float = 2.0) -> pd.DataFrame:
    """Share of MACs, weights and modelled energy held by conv, FC and other layers (§V-C.1).

    Index ``conv``, ``fc``, ``other``; columns ``macs``, ``weights``, ``energy`` (each sums
    to 1) and ``energy_j`` (absolute, per image). Energy from :func:`layer_energy`.
    """
    e = layer_energy(name, batch=batch, sram_reads_per_mac=sram_reads_per_mac)
    g = e.groupby("group")[["macs", "params", "energy_j"]].sum().reindex(_GROUP_ORDER, fill_value=0)
    g = g.astype(float)
    out = pd.DataFrame({
        "macs": g["macs"] / g["macs"].sum(),
        "weights": g["params"] / g["params"].sum(),
        "energy": g["energy_j"] / g["energy_j"].sum(),
        "energy_j": g["energy_j"],
    })
    out.index.name = "group"
    return out


def conv_fc_energy_split_holds(shares: pd.DataFrame) -> bool:
    """The direction of [72] (seed 003 §V-C.1): conv layers take more energy than FC layers, FC
    hold more weights."""
    return bool(shares.loc["conv", "energy"] > shares.loc["fc", "energy"]
                and shares.loc["fc", "weights"] > shares.loc["conv", "weights"])


def energy_vs_batch(name: str = "alexnet", batches: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
                    sram_reads_per_mac: float = 2.0) -> pd.DataFrame:
    """Conv and FC energy per image (J) and the conv share of energy, for each batch size (§V-C.1)."""
    rows = []
    for b in batches:
        s = conv_fc_shares(name, batch=b, sram_reads_per_mac=sram_reads_per_mac)
        rows.append({"batch": int(b), "conv_j": s.loc["conv", "energy_j"],
                     "fc_j": s.loc["fc", "energy_j"], "other_j": s.loc["other", "energy_j"],
                     "conv_energy_share": s.loc["conv", "energy"],
                     "fc_energy_share": s.loc["fc", "energy"]})
    return pd.DataFrame(rows)


def energy_crossover_batch(name: str = "alexnet", sram_reads_per_mac: float = 2.0,
                           max_batch: int = 4096) -> int | None:
    """Smallest batch at which conv layers take more modelled energy than FC layers (seed 003 §V-C.1).

    ``None`` if FC still dominate at ``max_batch``; 1 if conv dominate even one image at a time.
    Only FC/conv weight traffic depends on the batch, so the answer is found in closed form.
    """
    e = layer_energy(name, batch=1, sram_reads_per_mac=sram_reads_per_mac)
    dram_j = _cost.dram_energy_per_byte(energy_constants())
    w_j, fixed = {}, {}
    for g in ("conv", "fc"):
        rows = e[e["group"] == g]
        w_j[g] = float(profile_model(name).table.loc[rows.index, "weight_bytes"].sum()) * dram_j
        fixed[g] = float(rows["energy_j"].sum()) - w_j[g]
    # conv(b) = fixed_conv + w_conv / b  >  fc(b) = fixed_fc + w_fc / b
    #   <=>  b * gap > wdiff,  gap = fixed_conv - fixed_fc,  wdiff = w_fc - w_conv
    gap, wdiff = fixed["conv"] - fixed["fc"], w_j["fc"] - w_j["conv"]
    if gap <= 0:  # the left side never grows with b: it holds at b = 1 or never
        return 1 if gap > wdiff else None
    b = max(1, math.floor(wdiff / gap) + 1)
    return b if b <= max_batch else None


def conv_fc_summary(models: Iterable[str] = ("alexnet", "vgg16", "googlenet"), batch: int = 1,
                    sram_reads_per_mac: float = 2.0) -> pd.DataFrame:
    """For each model: conv share of MACs, FC share of weights, conv share of modelled energy,
    whether the direction of [72] holds at ``batch``, and the crossover batch (seed 003 §V-C.1)."""
    rows = []
    for m in models:
        s = conv_fc_shares(m, batch=batch, sram_reads_per_mac=sram_reads_per_mac)
        rows.append({"model": m, "conv_mac_share": s.loc["conv", "macs"],
                     "fc_weight_share": s.loc["fc", "weights"],
                     "conv_energy_share": s.loc["conv", "energy"],
                     "energy_per_image_mj": s["energy_j"].sum() * 1e3,
                     "direction_holds": conv_fc_energy_split_holds(s),
                     "crossover_batch": energy_crossover_batch(m, sram_reads_per_mac)})
    return pd.DataFrame(rows)


def googlenet_pooling_variants() -> pd.DataFrame:
    """GoogLeNet's MACs and weights with floor-mode vs ceil-mode stride-2 pooling (§II-D).

    Floor mode (the zoo default) gives 55/27/13/6-pixel maps, the count seed 003 §II-D quotes
    (after Sze et al., Proc. IEEE 2017); Caffe's reference model rounds up (56/28/14/7), as in
    Szegedy et al.'s Table 1. See :class:`edgelab.models.GoogLeNet`.
    """
    import torch

    from edgelab import models as _models
    from edgelab.hardware.profile import profile

    rows = []
    for ceil in (False, True):
        with torch.device("meta"):
            net = _models.GoogLeNet(ceil_mode=ceil).eval()
            x = torch.empty((1, *_models.spec("googlenet").input_shape))
        t = profile(net, x, name=f"googlenet_ceil={ceil}").totals()
        rows.append({"pooling": "ceil (Caffe, paper Table 1)" if ceil else "floor (zoo default)",
                     "macs": t["macs"], "params": t["params"]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- catalog (seed 001 §II)
def catalog_overview() -> pd.DataFrame:
    """Devices by tier (end, edge, cloud) with peak compute, memory, power and GFLOPS/W.

    Peaks are fp32 GFLOP/s, fp16 GFLOP/s and int8 GOP/s where the vendor states them (an empty
    cell is NaN). Efficiency = fp32 peak / active power; the power figures mix scopes (board, module,
    package, card: see ``data/CATALOG.md``), so compare within a tier (seed 003 §III-A).
    """
    d = devices()
    d["gflops_per_w"] = d["peak_fp32_gflops"] / d["active_power_w"]
    d["tier"] = pd.Categorical(d["tier"], categories=list(TIERS), ordered=True)
    cols = ["name", "tier", "kind", "peak_fp32_gflops", "peak_fp16_gflops", "peak_int8_gops",
            "mem_bw_gbps",
            "mem_gb", "active_power_w", "idle_power_w", "gflops_per_w"]
    out = d.sort_values(["tier", "peak_fp32_gflops"])[cols].reset_index(drop=True)
    out["tier"] = out["tier"].astype(str)
    return out


def tier_summary(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per tier: number of devices and the range (min, max) of compute, memory and power (seed 003
    §III-A)."""
    d = catalog_overview() if df is None else df
    g = d.groupby("tier", sort=False)
    out = pd.DataFrame({
        "devices": g["name"].count(),
        "gflops_min": g["peak_fp32_gflops"].min(), "gflops_max": g["peak_fp32_gflops"].max(),
        "mem_gb_min": g["mem_gb"].min(), "mem_gb_max": g["mem_gb"].max(),
        "power_w_min": g["active_power_w"].min(), "power_w_max": g["active_power_w"].max(),
    })
    return out.reindex([t for t in TIERS if t in out.index])


def link_overview() -> pd.DataFrame:
    """Links with achieved up/down bandwidth (Mbit/s), RTT (ms) and radio power (seed 001 §II-B)."""
    cols = ["name", "tier_pair", "tech", "uplink_mbps", "downlink_mbps", "rtt_ms",
            "tx_power_w", "rx_power_w"]
    return links()[cols].sort_values("uplink_mbps").reset_index(drop=True)


def standard_payloads() -> dict[str, int]:
    """Bytes of three payloads an end device might upload (computed, not assumed).

    * a raw 224×224 RGB image, 8 bits per channel;
    * the same image as the fp32 input tensor of VGG-16;
    * AlexNet's activation at the conv/FC boundary (fp32 output of its last pooling layer),
      the split point Neurosurgeon-style partitioning (seed 003 §V-C.2) often picks.
    """
    shape = zoo_input_shape("vgg16")
    raw = int(np.prod(shape))
    t = profile_model("alexnet").table
    pool5 = int(t.loc[t["op"] == "pool", "output_bytes"].iloc[-1])
    return {
        "raw image 224x224x3 uint8": raw,
        "fp32 input tensor (VGG-16)": raw * 4,
        "AlexNet pool5 activation (fp32)": pool5,
    }


def upload_times(payload_bytes: Mapping[str, float] | None = None,
                 link_names: Iterable[str] | None = None,
                 duty_cycle: bool = True) -> pd.DataFrame:
    """Seconds to upload each payload over each link: RTT + bytes / uplink bandwidth.

    Rows are links (uplink order), columns payloads; computed in one broadcast call of
    :func:`edgelab.hardware.cost.transfer_time` (seed 001 §II-B, low latency). A duty-cycled
    link (LoRa, 1 %) holds the sender ``1 / duty_cycle`` times its air time; ``duty_cycle=False``
    ignores that limit (bit rate only), to show what the limit costs.
    """
    pl = dict(payload_bytes) if payload_bytes is not None else standard_payloads()
    lk = link_overview()
    if link_names is not None:
        names = list(link_names)
        for n in names:
            get_link(n)  # helpful error for unknown names
        lk = lk.set_index("name").loc[names].reset_index()
    nbytes = np.array(list(pl.values()), dtype=np.float64)[None, :]
    # a duty-cycled link (LoRa, 1 %) holds the sender 1 / duty_cycle times the air time
    duty = np.array([get_link(n).duty_cycle if duty_cycle else 1.0 for n in lk["name"]],
                    dtype=np.float64)[:, None]
    secs = _cost.transfer_time(nbytes, lk["uplink_mbps"].to_numpy()[:, None],
                               lk["rtt_ms"].to_numpy()[:, None] / 1e3, duty)
    return pd.DataFrame(secs, index=pd.Index(lk["name"], name="link"), columns=list(pl))


def edge_vs_cloud_rtt(wan: str = "wan") -> pd.DataFrame:
    """Round-trip time to an edge server vs the cloud, for every end-edge access link.

    Edge: the access link's RTT (the server sits one hop away, e.g. MEC at the base station or
    a cloudlet on the LAN). Cloud: the access link plus the WAN link's RTT. Seed 001 §II-B.1.
    """
    w = get_link(wan)
    lk = link_overview()
    lk = lk[lk["tier_pair"] == "end-edge"]
    return pd.DataFrame({
        "link": lk["name"].to_numpy(), "tech": lk["tech"].to_numpy(),
        "edge_rtt_ms": lk["rtt_ms"].to_numpy(),
        "cloud_rtt_ms": lk["rtt_ms"].to_numpy() + w.rtt_ms,
    }).sort_values("edge_rtt_ms").reset_index(drop=True)


def edge_vs_cloud_latency_check(access: Sequence[str] = ("wifi5", "wifi6", "ethernet"),
                                wan: str = "wan") -> dict[str, float | bool | str]:
    """Does the catalog agree with seed 001 §II-B.1 (cloud: tens to hundreds of ms; edge: a few)?

    Over the given local access links, ``edge_ms`` is the median access RTT and ``cloud_ms`` the
    median access + WAN RTT. ``holds`` when edge_ms < 10 ms ("several milliseconds") and
    10 ms ≤ cloud_ms < 1000 ms ("tens (or hundreds) of milliseconds").
    """
    w = get_link(wan)
    edge = np.array([get_link(n).rtt_ms for n in access])
    edge_ms, cloud_ms = float(np.median(edge)), float(np.median(edge + w.rtt_ms))
    return {"edge_ms": edge_ms, "cloud_ms": cloud_ms, "ratio": cloud_ms / edge_ms,
            "holds": bool(edge_ms < 10.0 and 10.0 <= cloud_ms < 1000.0),
            "access": ", ".join(access), "wan": wan}


# --------------------------------------------------------------------------- plots
def _null_locator() -> Any:
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _fig(ncols: int = 1, size: tuple[float, float] = (6.0, 4.0)) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=size, layout="constrained")
    return fig, axes


def plot_zoo(summary: pd.DataFrame) -> Any:
    """Parameters vs MACs of each model (log-log), sized by peak activation (seed 003 §II-D)."""
    fig, ax = _fig()
    ax.scatter(summary["params"], summary["macs"], s=40 + 20 * summary["peak_activation_mb"])
    for _, r in summary.iterrows():
        ax.annotate(r["model"], (r["params"], r["macs"]), textcoords="offset points", xytext=(5, 5))
    ax.set(xscale="log", yscale="log", xlabel="weights (parameters)", ylabel="MACs per image",
           title="Model size vs compute (marker area ~ peak activation)")
    ax.grid(True, which="both", alpha=0.3)
    return fig


_OP_SHORT = {"conv": "conv", "linear": "fc", "pool": "pool"}
_OP_COLORS = {"conv": ("tab:blue", "convolution"), "linear": ("tab:red", "fully connected"),
              "pool": ("tab:gray", "pooling")}


def readable_layer_names(ops: Sequence[str]) -> list[str]:
    """Names a student reads in a layer plot: ``conv1``, ``pool1``, ``fc6`` (seed 003 §II-D).

    Weighted layers (conv, linear) are numbered together in order, as AlexNet's layers are in
    the literature (conv1–conv5, then fc6–fc8); pooling layers are numbered on their own; any
    other op keeps its name and its position among all layers.
    """
    names, weighted, pools = [], 0, 0
    for i, op in enumerate(ops):
        if op in ("conv", "linear"):
            weighted += 1
            names.append(f"{_OP_SHORT[op]}{weighted}")
        elif op == "pool":
            pools += 1
            names.append(f"pool{pools}")
        else:
            names.append(f"{op}{i + 1}")
    return names


def plot_layer_profile(name: str, ops: Sequence[str] = ("conv", "linear", "pool")) -> Any:
    """Per-layer MACs and output activation bytes of a zoo model (layers of the given ops) (seed 003
    §II-D, §V-C.2). Bars are coloured by op, with a legend; x labels from
    :func:`readable_layer_names` (``conv1`` ... ``fc8``)."""
    from matplotlib.patches import Patch

    t = profile_model(name).table
    t = t[t["op"].isin(ops)].reset_index(drop=True)
    fig, (a1, a2) = _fig(2, (11.0, 3.8))
    x = np.arange(len(t))
    colors = [_OP_COLORS.get(o, ("tab:gray", o))[0] for o in t["op"]]
    a1.bar(x, t["macs"] / 1e6, color=colors)
    a1.set(ylabel="MACs (millions)", title=f"{name}: compute per layer")
    a2.bar(x, t["output_bytes"] / 1e3, color=colors)
    a2.set(ylabel="output activation (kB, fp32)", yscale="log",
           title=f"{name}: bytes leaving each layer")
    labels = readable_layer_names(list(t["op"]))
    step = max(1, len(t) // 30)
    for a in (a1, a2):
        a.set_xticks(x[::step], labels[::step], rotation=90, fontsize=7)
        a.set_xlabel("layer (in order)")
    present = [o for o in _OP_COLORS if o in set(t["op"])]
    a1.legend(handles=[Patch(color=_OP_COLORS[o][0], label=_OP_COLORS[o][1]) for o in present],
              fontsize=8)
    return fig


def plot_survey_comparison(comp: pd.DataFrame) -> Any:
    """Relative error (%) of ours vs reported for each seed 003 §II-D number, with each row's tolerance."""
    fig, ax = _fig(size=(6.5, 3.5))
    y = np.arange(len(comp))
    err = comp["rel_error"].to_numpy(dtype=float) * 100
    tol = comp["tolerance"].to_numpy(dtype=float) * 100
    ax.barh(y, err, color=np.where(comp["within_tol"], "tab:blue", "tab:red"))
    ax.plot(np.concatenate([-tol, tol]), np.concatenate([y, y]), "|", color="tab:green",
            ms=14, mew=2, label="tolerance (verdict rule)")
    ax.axvline(0.0, color="k", lw=0.8)
    lim = 1.2 * float(np.nanmax(np.concatenate([np.abs(err), tol])))
    ax.set_xlim(-lim, lim)
    ax.set_yticks(y, comp["claim_id"])
    ax.set(xlabel="ours vs reported (%)", title="Seed 003 §II-D: ours vs reported")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=8, frameon=False)
    return fig


def plot_conv_fc_shares(shares: pd.DataFrame, title: str = "AlexNet") -> Any:
    """Stacked bars: share of MACs, weights and modelled energy of conv / FC / other layers (§V-C.1)."""
    fig, ax = _fig(size=(6.0, 3.8))
    cols = ["macs", "weights", "energy"]
    bottom = np.zeros(len(cols))
    colors = {"conv": "tab:blue", "fc": "tab:red", "other": "tab:gray"}
    for g in shares.index:
        vals = shares.loc[g, cols].to_numpy(dtype=float)
        ax.bar(cols, vals, bottom=bottom, label=g, color=colors.get(g))
        bottom += vals
    ax.set(ylabel="share", ylim=(0, 1), title=f"{title}: where MACs, weights and energy go")
    ax.legend()
    return fig


def plot_energy_vs_batch(df: pd.DataFrame) -> Any:
    """Conv vs FC modelled energy per image as the batch that shares one weight fetch grows (§V-C.1)."""
    fig, ax = _fig()
    ax.plot(df["batch"], df["conv_j"] * 1e3, "o-", label="conv layers", color="tab:blue")
    ax.plot(df["batch"], df["fc_j"] * 1e3, "s-", label="FC layers", color="tab:red")
    ax.set(xscale="log", yscale="log", xlabel="images per weight fetch (batch)",
           ylabel="energy per image (mJ)", title="Modelled energy vs weight reuse")
    batches = [int(b) for b in df["batch"]]
    ax.set_xticks(batches, [str(b) for b in batches])  # a count: integer ticks, no 10^k
    ax.xaxis.set_minor_locator(_null_locator())
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 20, not 2x10^1
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    return fig


def plot_devices(df: pd.DataFrame | None = None) -> Any:
    """Peak fp32 compute vs active power, log scales, coloured by tier (seed 003 §III-A)."""
    d = catalog_overview() if df is None else df
    fig, ax = _fig(size=(6.5, 4.5))
    for tier in TIERS:
        s = d[d["tier"] == tier]
        ax.scatter(s["active_power_w"], s["peak_fp32_gflops"], label=tier,
                   color=_TIER_COLORS[tier], s=50)
        for _, r in s.iterrows():
            ax.annotate(r["name"], (r["active_power_w"], r["peak_fp32_gflops"]), fontsize=7,
                        textcoords="offset points", xytext=(4, 3))
    p = np.logspace(-1, 3, 5)
    for eff in (1, 10, 100):
        ax.plot(p, eff * p, ":", color="gray", lw=0.8)
        ax.annotate(f"{eff} GFLOPS/W", (p[-2], eff * p[-2]), fontsize=7, color="gray")
    ax.set(xscale="log", yscale="log", xlabel="active power (W)",
           ylabel="peak fp32 (GFLOP/s)", title="Device catalog: compute vs power")
    ax.legend(title="tier")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def plot_links(df: pd.DataFrame | None = None) -> Any:
    """Uplink bandwidth vs RTT of each link, log scales (seed 001 §II-B)."""
    lk = link_overview() if df is None else df
    fig, ax = _fig(size=(6.5, 4.5))
    for pair, color in (("end-edge", "tab:green"), ("edge-cloud", "tab:blue")):
        s = lk[lk["tier_pair"] == pair]
        ax.scatter(s["rtt_ms"], s["uplink_mbps"], label=pair, color=color, s=50)
        for _, r in s.iterrows():
            ax.annotate(r["name"], (r["rtt_ms"], r["uplink_mbps"]), fontsize=8,
                        textcoords="offset points", xytext=(4, 3))
    ax.set(xscale="log", yscale="log", xlabel="round-trip time (ms)",
           ylabel="uplink bandwidth (Mbit/s)", title="Link catalog: bandwidth vs latency")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    return fig


def plot_upload_times(times: pd.DataFrame) -> Any:
    """Grouped horizontal bars of upload time per link and payload (log scale, seconds) (seed 001
    §II-B)."""
    fig, ax = _fig(size=(7.0, 4.5))
    n = times.shape[1]
    y = np.arange(len(times))
    h = 0.8 / n
    for i, col in enumerate(times.columns):
        ax.barh(y + i * h, times[col], height=h, label=col)
    ax.set_yticks(y + h * (n - 1) / 2, times.index)
    ax.axvline(0.1, color="k", ls=":", lw=0.8, label="100 ms")
    ax.set(xscale="log", ylabel="link", xlabel="upload time (s): RTT + (bytes / uplink) / duty cycle",
           title="Time to upload one payload")
    ax.legend(fontsize=8)
    return fig
