"""Build notebooks/20_partition.ipynb (stored without outputs): ``python tools/build_notebook_20.py``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import code, md, parameters, write  # noqa: E402

CELLS = [
    md("""
# Model partition: Neurosurgeon, DADS, JALAD, MoDNN and DeepThings

*Mirrors seed 003 §V-C.2 (Model Partition, Fig. 13) and the Neurosurgeon and JALAD rows of
Table 4; §IV-C.4 (DNN splitting loses no accuracy); seed 004 (Wang et al., "End-Edge-Cloud
Collaborative Computing for Deep Learning", 2024), whose abstract names model partition as one
of the key enabling technologies of end-edge-cloud collaboration.*

A DNN's layers do not all have to run in the same place. **Model partition** runs the first
layers on the end device and ships the intermediate activation to a server that runs the rest
(or splits each layer among several nearby devices). The survey divides it in two:

* **between device and server**: Neurosurgeon [79] picks the one split point that minimises
  latency or device energy from per-layer estimates; JALAD [81] and Ko et al. [83] also
  compress the activation with lossy encoding; for networks that are DAGs rather than chains
  (ResNet, GoogLeNet), Hu et al. [80] (DADS) find the cut with a graph **min-cut**; seed 004
  adds a third tier (device–edge–cloud, two cut points);
* **between devices**: MoDNN [85] splits every layer across 2–4 phones on Wi-Fi Direct, MeDNN
  [84] with a greedy 2-D partition, DeepThings [86] with fused tiles that run several layers per
  tile without exchanging data in between.

After this chapter you will be able to find the best split of a network for a device, a link
and a deadline, explain why it moves with bandwidth, cut a DAG by min-cut, run the two halves
for real, price lossy encoding in accuracy and bytes, and estimate what splitting layers
across several devices buys.
"""),
    parameters(),
    code("""
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from edgelab import models
from edgelab.inference import partition as P
from edgelab.hardware.profile import profile, profile_model
from edgelab.record import Recorder, reported

torch.set_num_threads(1)  # small models run fastest on one thread, and results are reproducible
torch.manual_seed(seed)
rec = Recorder("20_partition", out_dir=out_dir)
ns_models = ["alexnet", "vgg16"] if quick else ["alexnet", "vgg16", "resnet18", "googlenet", "mobilenet_v2"]
ns_devices = ["rpi4", "jetson-nano", "snapdragon-845"] + ([] if quick else ["cortex-m7", "snapdragon-8gen2"])
ns_servers = ["t4"] if quick else ["t4", "a100"]
ns_links = ["3g", "4g", "wifi5"] + ([] if quick else ["5g"])
n_bw = 40 if quick else 400             # points of the bandwidth grids
epochs = 5 if quick else 30             # digits CNN training epochs (JALAD, real splits)
dd_devices = ["rpi4", "jetson-nano"] if quick else ["rpi4", "jetson-nano", "snapdragon-845"]
dd_links = ["wifi5", "ethernet"] if quick else ["wifi5", "wifi6", "ethernet"]
t0 = time.perf_counter()
"""),
    md("""
## Neurosurgeon: one split point

Split `k` runs layers `0..k-1` on the device, sends the activations that cross the cut, and
runs the rest on the server; `k = 0` is "all on the server", `k = n` "all on the device". The
latency of a split is device compute + transfer (RTT, activation up, result down) + server
compute, all from edgelab's per-layer roofline cost model; device energy is active power while
computing, radio power on the air and idle power while waiting. Neurosurgeon evaluates every
`k` and takes the best. The shape of AlexNet explains the result: the first convolutions are
expensive and their outputs *larger* than the input, while after the last pooling layer the
activation is small.
"""),
    code("""
p = profile_model("alexnet")
bw = np.logspace(-1, 3, n_bw)
choice = P.best_split(p, "rpi4", "t4", "4g", bw)           # one optimum per bandwidth, vectorised
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
ax1.bar(range(p.n_layers + 1), p.cut_bytes() / 1e3)
ax1.set(yscale="log", xlabel="split k", ylabel="kB sent", title="AlexNet: bytes crossing each cut")
ax2.semilogx(bw, choice.split, drawstyle="steps-post", label="best split k")
ax2.set(xlabel="4G bandwidth (Mbit/s)", ylabel="split k", title="rpi4 | 4G | T4: where to cut")
ax3 = ax2.twinx()
ax3.loglog(bw, choice.latency_s * 1e3, "C1", label="latency")
ax3.set_ylabel("latency (ms)")
fig.tight_layout()
"""),
    md("""
At low bandwidth nothing is worth sending: all on the device. As bandwidth grows the best cut
moves to the small activation after the convolutions, then to the input (all on the server).
The same search with a deadline returns the least-energy split that meets it, or, when none
does, the fastest one, clearly labelled as a best effort:
"""),
    code("""
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    tight = P.best_split(p, "rpi4", "t4", "4g", 10.0, "energy", deadline_s=0.005)
print(tight.split, tight.meets_deadline, "|", tight.note)
ok = P.best_split(p, "rpi4", "t4", "4g", 10.0, "energy", deadline_s=0.5)
print(ok.split, ok.meets_deadline, f"{ok.latency_s * 1e3:.1f} ms, {ok.device_energy_j:.3f} J")
"""),
    md("""
### Reproduction: Neurosurgeon's latency and energy gains

Table 4 credits Neurosurgeon with a latency reduction of 3.1× on average and up to 40.7×,
and device-energy reductions of 59.5–94.7%. We compute, for each model, device class, server
and link (at the link's own bandwidth), the gain of the best split over the **better of**
all-on-device and all-on-server, keeping only devices that can hold the whole model. We also
report the gain over all-on-server alone, the "status quo" cloud-only baseline that the
Neurosurgeon paper compares with.
"""),
    code("""
gains = P.neurosurgeon_gains(ns_models, ns_devices, ns_servers, ns_links)
fit = gains[gains["fits_device"]]
rec.table("neurosurgeon_gains", gains)
summary = fit.groupby("model")[["latency_gain", "latency_gain_vs_server", "energy_reduction_pct",
                                "energy_reduction_vs_server_pct"]].agg(["mean", "max"])
summary.round(2)
"""),
    code("""
setting = (f"{len(fit)} settings: {', '.join(ns_models)} on {', '.join(ns_devices)} with "
           f"{', '.join(ns_servers)} over {', '.join(ns_links)}; mean over settings; baseline = "
           "better of all-on-device and all-on-server")
lat_gain, en_red = float(fit["latency_gain"].mean()), float(fit["energy_reduction_pct"].mean())
row_l = rec.claim("neurosurgeon_latency", lat_gain, units="x", setting=setting)
row_e = rec.claim("neurosurgeon_energy", en_red, units="%", setting=setting)
for name, col in [("latency_gain_max", "latency_gain"), ("latency_gain_vs_server_mean", "latency_gain_vs_server"),
                  ("latency_gain_vs_server_max", "latency_gain_vs_server"),
                  ("energy_reduction_vs_server_pct_mean", "energy_reduction_vs_server_pct")]:
    agg = fit[col].max() if name.endswith("max") else fit[col].mean()
    rec.metric(f"neurosurgeon_{name}", float(agg), setting=setting)
print(f"latency: reported {row_l['reported_value']}; ours {lat_gain:.2f}x on average "
      f"(max {fit['latency_gain'].max():.2f}x; vs all-on-server {fit['latency_gain_vs_server'].mean():.1f}x "
      f"on average, max {fit['latency_gain_vs_server'].max():.0f}x)")
print(f"energy:  reported {row_e['reported_value']}; ours {en_red:.1f}% on average "
      f"(vs all-on-server {fit['energy_reduction_vs_server_pct'].mean():.0f}%)")
"""),
    md("""
Against the *better* endpoint, a split rarely wins by much: in most settings the best split is
one of the two endpoints (gain 1×), and where a middle cut wins (AlexNet on Wi-Fi, after the
last pooling layer) it wins by tens of percent. Against all-on-server, the baseline of the
Neurosurgeon paper, the gains are the large ones the survey quotes, because a slow uplink makes
shipping the raw input expensive. Our devices are also much faster than the 2017 Jetson TK1
mobile board, which favours all-on-device. The direction agrees; the size depends on the
baseline.

## Three tiers: device, edge and cloud

Seed 004 generalises the split to end–edge–cloud: two cut points `k1 ≤ k2` (device runs
`0..k1-1`, the edge `k1..k2-1`, the cloud the rest). Every pair is evaluated at once, over the
whole bandwidth grid. Here a microcontroller-class device talks to a Raspberry Pi 4 as its edge
over Wi-Fi, and the edge to an A100 over the WAN (the MCU could not hold AlexNet's weights; the
cost model shows why it should not try anyway).
"""),
    code("""
tt = P.best_three_tier(p, "cortex-m7", "rpi4", "a100", "wifi5", "wan", bw)
three = pd.DataFrame({"bandwidth_mbps": bw, "k1": tt.k1, "k2": tt.k2, "where": tt.where,
                      "latency_ms": tt.latency_s * 1e3,
                      "device_edge_only_ms": P.best_split(p, "cortex-m7", "rpi4", "wifi5", bw).latency_s * 1e3})
rec.table("three_tier", three.iloc[:: max(1, n_bw // 10)])
three.iloc[:: max(1, n_bw // 8)].round(3)
"""),
    md("""
At the lowest bandwidths everything stays on the device. Then the device runs AlexNet's first
block (up to the first max-pool) and the edge only relays its output to the cloud; with more
bandwidth the device hands the raw input to the edge, which runs that block and sends the pooled
activation to the cloud. Both are cuts the two-tier device|edge search cannot express, and both
beat it.

## DADS: cutting a DAG with a min-cut

ResNet-18 and GoogLeNet are DAGs: a "split after k layers" cut is only one of many. DADS
builds a flow graph (source = the device, sink = the server; cutting `s→v` pays `v`'s server
time, `v→t` its device time, and an auxiliary node per activation makes its transfer be paid
once however many server layers read it) and takes the minimum cut, which is the optimal
placement. The tests check it against brute force on random small DAGs. Here an edge device
(Jetson Nano) partitions with a cloud A100 over the WAN.
"""),
    code("""
rows = []
for name in ["resnet18", "googlenet"]:
    pd_ = profile_model(name)
    for b in [1.0, 10.0, 100.0]:
        t = time.perf_counter()
        c = P.dads(pd_, "jetson-nano", "a100", "wan", b)
        rows.append({"model": name, "bandwidth_mbps": b, "device_layers": c.n_device_layers,
                     "of": pd_.n_layers, "sent": ", ".join(c.sent_layers[:3]),
                     "dads_ms": c.cost.latency_s * 1e3, "all_edge_ms": c.all_device.latency_s * 1e3,
                     "all_cloud_ms": c.all_server.latency_s * 1e3,
                     "best_chain_ms": c.best_chain.latency_s * 1e3,
                     "min_cut_ms": (time.perf_counter() - t) * 1e3})
dads_df = pd.DataFrame(rows)
dads_df["speedup_vs_edge"] = dads_df["all_edge_ms"] / dads_df["dads_ms"]
dads_df["speedup_vs_cloud"] = dads_df["all_cloud_ms"] / dads_df["dads_ms"]
rec.table("dads", dads_df.drop(columns="min_cut_ms"))
for name, g in dads_df.groupby("model"):
    rec.metric(f"dads_{name}_speedup_vs_all_edge", float(g["speedup_vs_edge"].mean()), units="x",
               setting="jetson-nano | wan | a100, mean over 1, 10, 100 Mbit/s")
    rec.metric(f"dads_{name}_speedup_vs_all_cloud", float(g["speedup_vs_cloud"].mean()), units="x",
               setting="jetson-nano | wan | a100, mean over 1, 10, 100 Mbit/s")
dads_df.round(3)
"""),
    md("""
For these two networks and this pair of machines the optimum is an endpoint: their activations
stay as large as the input until the last blocks, so a middle cut sends as much as the input
while leaving most of the compute on the slow side. The min-cut *proves* this, in
milliseconds, over every valid cut (not only the prefixes of one topological order), and
finds non-prefix cuts where they exist: the random DAGs of the tests have many. DADS's gain is
against the wrong endpoint: up to ~100× against all-cloud at 1 Mbit/s.

## Real partitioned execution: splitting loses no accuracy

A cut is not only bookkeeping: `split_model` builds a **head** and a **tail** module from the
`torch.fx` graph, the head returns the tensors that cross, the tail takes them. We train the
digits CNN (scikit-learn's 8×8 digits, 80/20 split) and run every split on the test set, then
the DADS cut of ResNet-18 on random images.
"""),
    code("""
net, xte, yte = P.train_digits_cnn(seed=seed, epochs=epochs)
with torch.no_grad():
    whole = net(xte)
same, max_diff = True, 0.0
n_digits = len(P.split_model(net, 0).on_device)
for k in range(n_digits + 1):
    sm = P.split_model(net, k)
    with torch.no_grad():
        out = sm(xte)
    same &= bool((out.argmax(1) == whole.argmax(1)).all())
    max_diff = max(max_diff, float((out - whole).abs().max()))
resnet = models.build("resnet18", seed=seed)
xr = torch.randn(2, 3, 64, 64)
cut = P.dads(profile(resnet, xr[:1], name="resnet18"), "jetson-nano", "a100", "wan", 10.0)
rsplit = P.split_model(resnet, cut)
with torch.no_grad():
    max_diff = max(max_diff, float((rsplit(xr) - resnet(xr)).abs().max()))
print(f"digits CNN: {n_digits + 1} splits, predictions identical: {same}; test accuracy "
      f"{float((whole.argmax(1) == yte).float().mean()):.3f}; max |split - whole| = {max_diff:.1e}")
row = rec.claim("splitting_accuracy", same, setting=f"digits CNN, all {n_digits + 1} splits, "
                f"{len(xte)} test images; ResNet-18 DADS cut; max abs diff {max_diff:.1e}")
print(f"reported: {row['reported_value']}   ours: {same}")
"""),
    md("""
## JALAD: lossy encoding of the activation

Quantising the activation to 8 or 4 bits (per sample, min-max uniform, packed) cuts the bytes
4–8×. What does it cost in accuracy? We measure it on the trained digits CNN at every split,
with the real head and tail.
"""),
    code("""
jal = P.jalad_accuracy(net, xte, yte, bits=(8, 4, 2))
rec.table("jalad_accuracy", jal)
pivot = jal.pivot(index="split", columns="bits", values="accuracy")
pivot["kB_fp32"] = jal[jal.bits == 32].set_index("split")["bytes_per_sample"] / 1e3
pivot.round(3)
"""),
    md("""
8 bits costs nothing measurable; 4 bits almost nothing; 2 bits breaks some splits. JALAD
chooses the split and the bit width together, to minimise latency within an accuracy budget.
Its latency effect is largest where the activation is large and the link slow; below, the
8-bit encoding (lossless on the digits CNN at every split, an assumption for AlexNet and VGG-16,
whose 8-bit activations are known to cost little accuracy) on the cost model for AlexNet and
VGG-16 on a Raspberry Pi 4 with a T4 over a 4G link of varying bandwidth.
"""),
    code("""
drop8 = float((jal[jal.bits == 32].set_index("split")["accuracy"]
               - jal[jal.bits == 8].set_index("split")["accuracy"]).max())
jal_rows = []
for name in ["alexnet", "vgg16"]:
    pm = profile_model(name)
    acc_table = pd.concat([pd.DataFrame({"split": range(pm.n_layers + 1), "bits": b, "accuracy": 1.0})
                           for b in (32, 8)])
    plan = P.jalad_plan(pm, "rpi4", "t4", "4g", bw, acc_table, max_drop=0.01)
    base = np.minimum(plan["all_device_s"], plan["all_server_s"])
    jal_rows.append(plan.assign(model=name, speedup=base / plan["latency_s"]))
jal_plan = pd.concat(jal_rows)
rec.table("jalad_plan", jal_plan.iloc[:: max(1, n_bw // 10)])
jal_gain = float(jal_plan["speedup"].max())
row = rec.claim("jalad_latency_reduction", jal_gain, units="x",
                setting=f"AlexNet/VGG-16, rpi4 | 4G 0.1–1000 Mbit/s | T4; best split + 8-bit encoding "
                        f"(max accuracy drop on the digits CNN {drop8:.3f}) vs the better of all-on-device "
                        "and all-on-server fp32; max over the bandwidth grid")
print(f"reported: {row['reported_value']}   ours: 1.0x to {jal_gain:.1f}x "
      f"(median {jal_plan['speedup'].median():.2f}x)")
fig, ax = plt.subplots(figsize=(6, 3.2))
for name, g in jal_plan.groupby("model"):
    ax.semilogx(g["bandwidth_mbps"], g["speedup"], label=f"{name}: split + 8-bit")
    ax.semilogx(g["bandwidth_mbps"], np.minimum(g["all_device_s"], g["all_server_s"]) / g["latency_fp32_s"],
                ls=":", label=f"{name}: split, fp32")
ax.set(xlabel="4G bandwidth (Mbit/s)", ylabel="speed-up over best endpoint")
ax.legend(fontsize=7);
"""),
    md("""
Encoding helps in a window of bandwidths: where the fp32 activation is just too expensive to
send, the 8-bit one is not. Outside it one endpoint wins and the gain is 1×, the lower end of
JALAD's reported 1–25.1×.

## Between devices: MoDNN, MeDNN and DeepThings

Several devices can share each layer. MoDNN splits every convolution's output rows among the
workers in proportion to their speed (each worker needs its rows plus a **halo** of input rows
for the kernel), and splits fully connected layers by output neuron; the group owner scatters
inputs and gathers outputs at every layer. MeDNN chooses a 2-D grid greedily per layer.
DeepThings fuses the first layers into tiles that each worker runs to the end without
exchanging anything (the halos grow with depth, so only the first layers are fused). Speed-up
= one device alone ÷ (per stage: the slowest worker's compute + the exchange over one shared
link). First, the split execution on real tensors equals the whole model:
"""),
    code("""
alex = models.build("alexnet", seed=seed)
xa = torch.randn(1, 3, 227, 227)
pa = profile(alex, xa, name="alexnet")
with torch.no_grad():
    ref = alex(xa)
errs = {}
for scheme in (["modnn", "fused"] if quick else list(P.SCHEMES)):
    plan = P.between_devices(pa, "rpi4", "wifi5", 4, scheme)
    errs[scheme] = float((P.distributed_forward(alex, xa, plan) - ref).abs().max())
rec.metric("between_devices_max_abs_error", max(errs.values()), setting="AlexNet 227x227, 4 workers")
errs
"""),
    code("""
rows = []
pv = profile_model("vgg16")
for d in dd_devices:
    for lk in dd_links:
        for scheme in ["modnn", "mednn", "fused"]:
            for nw in (2, 3, 4):
                plan = P.between_devices(pv, d, lk, nw, scheme)
                rows.append({"device": d, "link": lk, "scheme": scheme, "workers": nw,
                             "single_s": plan.single_s, "latency_s": plan.latency_s,
                             "exchange_s": plan.exchange_s, "speedup": plan.speedup})
dd = pd.DataFrame(rows)
rec.table("between_devices", dd)
dd.pivot_table(index=["device", "link"], columns=["scheme", "workers"], values="speedup").round(2)
"""),
    code("""
def best_of(scheme):
    g = dd[dd.scheme == scheme]
    r = g.loc[g["speedup"].idxmax()]
    return float(r["speedup"]), (f"VGG-16, best of {len(g)} settings ({r['workers']} x {r['device']} over "
                                 f"{r['link']}); on Wi-Fi 5 with 4 x rpi4: "
                                 f"{float(g[(g.link == 'wifi5') & (g.device == 'rpi4') & (g.workers == 4)]['speedup'].iloc[0]):.2f}x")
for claim, scheme in [("modnn_speedup", "modnn"), ("mednn_speedup", "mednn")]:
    v, s = best_of(scheme)
    row = rec.claim(claim, v, units="x", setting=s)
    print(f"{claim}: reported {row['reported_value']}   ours: up to {v:.2f}x  ({s})")
rec.metric("deepthings_fused_speedup_max", float(dd[dd.scheme == "fused"]["speedup"].max()), units="x",
           setting="VGG-16, fused tiles, best setting")
"""),
    md("""
Layer-by-layer partition pays an exchange at every layer: VGG-16's early activations are
megabytes, so on Wi-Fi the exchange costs more than the compute it saves, and only a fast
wired link gives a speed-up. MoDNN reported 2.17–4.28× on 2016 phones, which took seconds per
VGG-16 inference (compute-bound, as our slowest settings are); today's devices are fast
relative to Wi-Fi. Fused tiles exchange once, which is why DeepThings' scheme helps on
Wi-Fi where the layer-wise ones do not.

## Explore

Move the bandwidth, the device class and the deadline: the explorer shows the chosen split,
each layer's latency on the device and the server, the transfer time of cutting after each
layer, and the latency of every split against the deadline.
"""),
    code("""
from edgelab.explorers.partition import PartitionExplorer

explorer = PartitionExplorer("alexnet", device="rpi4", server="t4", link="4g", bandwidth_mbps=10,
                             deadline_ms=100)
explorer
"""),
    code("""
rec.timing("chapter_s", time.perf_counter() - t0)
"""),
    md("""
## Summary

* Where to cut depends on the network's shape (where activations are small), the device's and
  server's speed and the link. Neurosurgeon's exhaustive search over split points is cheap and
  exact for a chain; against the better endpoint the gain is usually modest, against
  cloud-only it is large.
* A DAG is cut optimally by a min-cut (DADS); for ResNet-18 and GoogLeNet the best cut is
  between blocks.
* Splitting between layers is exact: the head and tail together compute the same outputs.
  Lossy encoding (JALAD) trades a little accuracy for 4–8× fewer bytes.
* Splitting layers across devices (MoDNN, MeDNN) pays an exchange per layer; fused tiles
  (DeepThings) exchange once.

## Exercises

1. With `P.best_split(p, "cortex-m7", "edge-server-cpu", "ble")`, which split wins and why?
   Check that `edgelab partition alexnet --device cortex-m7 --server edge-server-cpu --link ble
   --format json` agrees with `edgelab cost ... --split K`.
2. Change the objective to `"energy"`. At which bandwidths do the latency- and energy-optimal
   splits differ?
3. Use `P.best_three_tier` with a slower edge (`"rpi4"` as the edge). When is the edge skipped
   (`k1 == k2`)?
4. In `P.jalad_accuracy`, which split tolerates 2-bit encoding best? Relate it to the ReLU
   before it.
5. Give `P.between_devices` a heterogeneous list, e.g. `["rpi4", "jetson-nano"]`. How does the
   biased partition divide the rows, and what speed-up does it reach?
"""),
]

if __name__ == "__main__":
    print(write("20_partition", CELLS))
