"""Build notebooks/21_early_exit.ipynb (stored without outputs): ``python tools/build_notebook_21.py``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import code, md, parameters, write  # noqa: E402

CELLS = [
    md("""
# Model early exit: BranchyNet, DDNN and Edgent

*Mirrors seed 003 §V-C.3 (Model Early Exit, Fig. 14) and the DDNN and Edgent rows of Table 4;
seed 001 §V-B (collaborative inference).*

A deep network is accurate because it is deep, and slow for the same reason. **Early exit**
adds side classifiers ("exit branches") after some layers: an easy input is classified by an
early branch and never pays for the rest of the network; a hard one goes all the way. The
survey presents three systems built on this idea:

* **BranchyNet** [87] trains the trunk and every branch together with a weighted sum of their
  losses and lets a sample leave at the first branch whose prediction entropy is low enough;
* **DDNN** [88] places the exits on different tiers (end devices, an edge server, the cloud),
  aggregating several devices' outputs by max pooling (MP), average pooling (AP) or
  concatenation (CC), so that most samples never leave the devices;
* **Edgent** [10] picks the exit point *and* the partition point together, to get the most
  accurate answer that still meets a latency deadline at the current bandwidth.

After this chapter you will be able to train a multi-exit network, run real per-sample early
exit, read its accuracy–compute trade-off, compare DDNN's aggregations by accuracy and bytes,
and use Edgent to choose an exit and a split under a deadline.
"""),
    parameters(),
    code("""
import time

import ipywidgets as widgets
import numpy as np
import pandas as pd
import torch

from edgelab.inference import early_exit as ee
from edgelab.datasets import load_digits_split
from edgelab.record import Recorder, reported

torch.set_num_threads(1)  # small models run fastest on one thread, and results are reproducible
rec = Recorder("21_early_exit", out_dir=out_dir)
n_train = 600 if quick else None       # training images (None: all 1,437)
epochs = 5 if quick else 40            # BranchyNet training epochs
ddnn_epochs = 12 if quick else 30      # DDNN training epochs
ddnn_configs = [("max", "concat"), ("avg", "avg")] + ([] if quick else [("concat", "concat"), ("max", "max")])
n_bw = 25 if quick else 200            # points of the bandwidth grid
thresholds = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0]
t0 = time.perf_counter()
"""),
    md("""
## BranchyNet: a network with three exits

The network below is a small CNN for scikit-learn's 8×8 digits (1,797 real images, 80/20 split)
with exits after the first convolution, after the second, and at the end (Fig. 14 of the survey
draws one with five). The first exit is deliberately cheap: it pools the first feature map to
2×2 and classifies with one linear layer. All exits train together with BranchyNet's joint loss
$L = \\sum_i w_i \\, \\mathrm{CE}(\\hat y_i, y)$.
"""),
    code("""
xtr, ytr, xte, yte = load_digits_split(seed=seed, shape="image")
xtr, ytr = xtr[:n_train], ytr[:n_train]
net = ee.digits_branchynet(width=64, seed=seed)
losses = ee.train_multi_exit(net, xtr, ytr, epochs=epochs, seed=seed)
stage_macs, head_macs = net.stage_macs()
exits = pd.DataFrame({
    "exit": range(net.n_exits),
    "accuracy_if_forced": ee.exit_accuracies(net, xte, yte),
    "macs_to_reach": np.cumsum(stage_macs) + head_macs,
})
rec.table("branchynet_exits", exits)
exits
"""),
    md("""
Forcing every test sample through one exit gives that exit's accuracy and cost. Early exit does
better than any single exit by letting *each sample* choose. A sample leaves at exit *i* when
the normalised entropy of exit *i*'s softmax is at most the threshold (0 = certain, 1 =
uniform). The inference below is real: the samples that leave are removed from the batch, so
the later stages never run on them.
"""),
    code("""
sweep = ee.threshold_sweep(net, xte, yte, thresholds)
rec.table("branchynet_threshold_sweep", sweep)
ee.plot_tradeoff(sweep, full_accuracy=float(exits["accuracy_if_forced"].iloc[-1]));
sweep.round(4)
"""),
    md("""
### Reproduction: the cascading network's 20% speed-up

The survey quotes a speed-up of 20% for the cascading network [91], which adds cheap
pooling-and-FC exits to a standard DNN. We measure the same quantity on our network: the
speed-up in MACs per sample (full network ÷ early exit) at the most aggressive threshold whose
accuracy is within half a point of the final exit's.
"""),
    code("""
full_acc = float(exits["accuracy_if_forced"].iloc[-1])
ok = sweep[sweep["accuracy"] >= full_acc - 0.005]
best = ok.loc[ok["avg_macs"].idxmin()]
full_macs = int(stage_macs.sum() + head_macs[-1])
speedup_pct = 100.0 * (full_macs / best["avg_macs"] - 1.0)
row = rec.claim("cascading_early_exit_speedup", speedup_pct, units="%",
                setting=f"digits 3-exit CNN, entropy threshold {best['threshold']:g}, "
                        f"accuracy {best['accuracy']:.3f} vs {full_acc:.3f}, MACs-based")
print(f"reported: {row['reported_value']}   ours: {speedup_pct:.0f}% fewer-MACs speed-up")
"""),
    md("""
Ours is typically far larger than 20%: 8×8 digits are easy, so most samples leave at the first
exit, whereas the cascading network was measured on ImageNet-scale images, where far fewer
samples are easy. The direction (a cheap exit saves compute at almost no accuracy cost) is the
same; the summary table calls that "same direction".

## DDNN: exits on the device, the edge and the cloud

DDNN runs the first layers on several end devices, each seeing the scene from its own sensor
(here: four noisy, partly occluded views of the same digit). Each device binarises its feature
map, so sending it costs one bit per value. The **local aggregator** combines the devices'
class scores and exits if confident; otherwise the devices send their binary features to the
**edge**, which combines them and exits if confident; otherwise the edge forwards to the
**cloud**. The aggregation (MP, AP, CC) is chosen separately for the local and the edge exit.
"""),
    code("""
views_tr = ee.make_views(xtr, 4, seed=seed + 1)
views_te = ee.make_views(xte, 4, seed=seed + 2)
rows = []
for local, edge in ddnn_configs:
    model = ee.DDNN(4, local_aggregation=local, edge_aggregation=edge, seed=seed)
    ee.train_ddnn(model, views_tr, ytr, epochs=ddnn_epochs, seed=seed)
    r = ee.ddnn_inference(model, views_te, yte, thresholds=(0.3, 0.3))
    lat = ee.ddnn_latency(r, model, link="ble", wan="wan")
    rows.append({"local": local, "edge": edge, **r, **lat})
ddnn = pd.DataFrame(rows).drop(columns="n")
rec.table("ddnn_aggregations", ddnn)
ddnn.round(3)
"""),
    md("""
`communication_reduction` is DDNN's own comparison: the bytes end devices send, against every
device uploading its raw 8-bit image. Our images are tiny (64 bytes), so the reduction is a few
times, not the 20× and more of DDNN's 32×32 colour images. The latency columns use the link
catalog: four devices on Bluetooth LE, and the edge on a WAN to the cloud (RTT plus bytes over
bandwidth per hop).

### Reproduction: DDNN's latency reduction

Table 4 credits DDNN with a latency reduction of over 20%. We record the best aggregation's
expected latency reduction against offloading the raw views to the cloud.
"""),
    code("""
best_ddnn = ddnn.loc[ddnn["accuracy"].idxmax()]
row = rec.claim("ddnn_latency_reduction", float(best_ddnn["latency_reduction_pct"]), units="%",
                setting=f"digits, 4 devices on BLE + WAN, {best_ddnn['local']}/{best_ddnn['edge']} "
                        f"aggregation, accuracy {best_ddnn['accuracy']:.3f}")
rec.metric("ddnn_communication_reduction", float(best_ddnn["communication_reduction"]), units="x",
           setting="device bytes vs raw 8-bit views")
print(f"reported: {row['reported_value']}   ours: {best_ddnn['latency_reduction_pct']:.0f}%")
"""),
    md("""
The gain comes entirely from samples answered locally, which skip the WAN round trip. In quick
mode the DDNN is trained for a few epochs on 600 images, few samples exit locally and the gain
can vanish or turn negative (scores plus features cost more than a raw 64-byte image); the
nightly's full mode trains it properly. Try `quick = False`.
"""),
    md("""
## Edgent: exit and partition, chosen together

Edgent asks: given a deadline and the current bandwidth, which exit (how accurate) and which
split point (how much runs on the device) give the most accurate answer in time? For each exit,
the branch model (the stages up to that exit, then its head) is cut at its best point by the
same Neurosurgeon search the partition chapter uses; Edgent then takes the most accurate exit
whose best latency meets the deadline. When nothing meets the deadline it returns the fastest
configuration and says so (`meets_deadline = False`).

The device here is a Cortex-M7 microcontroller and the edge server a Xeon CPU on Wi-Fi whose
bandwidth we sweep; the network is the BranchyNet trained above.
"""),
    code("""
acc = exits["accuracy_if_forced"].to_numpy()
bw = np.logspace(-2, 2, n_bw)
table = ee.edgent_latency(net, "cortex-m7", "edge-server-cpu", "wifi5", bw)
deadlines = [0.002, 0.005, 0.02]
plans = {d: ee.edgent_choose(table, acc, d) for d in deadlines}
ee.plot_edgent(plans);
"""),
    code("""
summary = pd.concat([p.assign(deadline_ms=d * 1e3) for d, p in plans.items()])
rec.table("edgent_plans", summary.iloc[:: max(1, n_bw // 10)].reset_index(drop=True))
final_only = table.latency_s[-1][None, :] <= np.array(deadlines)[:, None]
gain = np.mean([(np.where(p["meets_deadline"], p["accuracy"], 0.0)
                 - np.where(final_only[i], acc[-1], 0.0)).mean() for i, p in enumerate(plans.values())])
row = rec.claim("edgent_accuracy", float(gain), setting="mean accuracy gain over partition-only "
                "(final exit, best split; a miss scores 0), Cortex-M7 + Xeon over Wi-Fi, 0.01–100 Mbit/s")
print(f"reported: {row['reported_value']}   ours: +{gain:.3f} accuracy on average")
"""),
    md("""
At low bandwidth the input cannot reach the server in time, so Edgent exits early on the device;
as bandwidth grows it offloads and uses the final exit. Partition alone (always the final exit)
misses tight deadlines at low bandwidth, which is where Edgent's accuracy gain comes from.

## Explore

Move the deadline and the bandwidth: the table shows Edgent's chosen exit and split.
"""),
    code("""
def explore(deadline_ms=5.0, log10_bw=0.0):
    plan = ee.edgent_choose(table, acc, deadline_ms / 1e3)
    i = int(np.abs(np.log10(bw) - log10_bw).argmin())
    return plan.iloc[[i]]

widgets.interact(explore, deadline_ms=widgets.FloatLogSlider(value=5, base=10, min=-0.5, max=2),
                 log10_bw=widgets.FloatSlider(value=0, min=-2, max=2, step=0.1));
rec.timing("chapter_s", time.perf_counter() - t0)
"""),
    md("""
## Summary

* Early exit trades a little accuracy for a lot of compute, per sample: easy inputs leave early.
  The trade-off is set by one threshold and is measured, not assumed (the MACs column counts
  the layers each sample really ran).
* DDNN moves the exits onto tiers: most samples are answered by the devices, the rest send
  compact binary features rather than raw data. The aggregation matters for accuracy.
* Edgent combines early exit and partition: under a deadline, bandwidth decides both how much
  runs on the device and how deep the network may go.

## Exercises

1. Use the confidence criterion (`criterion="confidence"`) in `threshold_sweep`. Is the
   trade-off curve better or worse than with entropy?
2. Give the first exit more weight in the joint loss (`exit_weights=[2, 1, 1]`). How do the
   exit shares change at threshold 0.3?
3. Change DDNN's `feat_ch` to 8. What happens to accuracy and to the communication reduction?
4. Re-run Edgent with a Raspberry Pi 4 (`"rpi4"`) as the device. Why does early exit stop
   mattering?
5. With `edgelab cost`, find the bandwidth at which offloading the final exit's input to the
   edge server beats running the branch on the Cortex-M7.
"""),
]

if __name__ == "__main__":
    print(write("21_early_exit", CELLS))
