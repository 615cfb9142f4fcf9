"""Build notebooks/01_edge_paradigms.ipynb and notebooks/02_dl_primer.ipynb (without outputs).

Run from the repository root::

    python tools/build_notebooks_01_02.py

The chapters' logic lives in :mod:`edgelab.primer`; this script only lays out the cells, so
regenerating a chapter after an edit here is one command. Notebooks are stored without outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import code, md, parameters, write  # noqa: E402

# ----------------------------------------------------------------------------- chapter 01
CH01 = [
    md("""
# Edge computing paradigms, devices and links

*Mirrors seed 001 §II (edge computing overview: A. related paradigms, B. advantages) and
seed 003 §III-A (motivation and benefits of edge intelligence).*

Edge intelligence runs a DNN somewhere along a path from an **end device** (a sensor, a phone,
a camera) through an **edge** node (a server next to the access point, base station or gateway)
to the **cloud** data centre. Where it runs decides its latency, its energy and the bytes it
sends. This chapter introduces the three tiers and the paradigms that put computing at the
edge, then the two tables every later chapter builds on: the device catalog and the link catalog.

After this chapter you will be able to:

* tell cloudlets, fog computing and mobile edge computing apart;
* read the device catalog by tier and compare devices by peak compute, power and GFLOPS/W;
* read the link catalog and compute how long an image or an activation takes to upload;
* check the survey's edge-vs-cloud latency claim against the catalog's round-trip times.
"""),
    parameters(),
    code("""
import ipywidgets as widgets
import numpy as np
import pandas as pd

from edgelab import primer
from edgelab.hardware import cost
from edgelab.hardware.catalog import get_link, link_names
from edgelab.record import Recorder, reported

rec = Recorder("01_edge_paradigms", out_dir=out_dir)
n_sizes = 25 if quick else 200  # points of the payload-size sweep in the explorer
pd.set_option("display.precision", 3)
"""),
    md("""
## Three tiers, three paradigms

Seed 001 §II-A describes three paradigms that move computing from the cloud towards the data:

* **Cloudlet** (Carnegie Mellon University): small clusters with compute and storage deployed
  near mobile users, in buildings or shopping centres, usually virtualised, to bring the cloud's
  resources to mobile devices with low latency. Microsoft's **micro data centres** are a similar,
  small-scale extension of cloud data centres, linked by the backbone network.
* **Fog computing** (Cisco): processing at *fog nodes*, usually at the network gateway; it is
  aligned with the Internet of Things and leans towards the end side.
* **Mobile edge computing** (standardised by ETSI): compute placed inside the radio access
  network, e.g. at base stations, so end devices reach it in one wireless hop.

Seed 003 §III-A (and its Fig. 1, in words: end devices connect by device-to-device links, access
points, base stations or gateways to nearby edge nodes, which connect over the WAN to the cloud)
stresses that edge nodes range from a credit-card-sized computer to a micro data centre with
racks; **physical proximity** to the data is what they share. Seed 001 §II-B lists the
advantages: low latency, energy saving, context awareness, privacy and security.

In edgelab every device has a `tier` (`end`, `edge` or `cloud`) and every link a `tier_pair`
(`end-edge` for radio access and LAN, `edge-cloud` for the WAN).
"""),
    md("""
## The device catalog

Each row is a device class with a source for every number (see `data/CATALOG.md`). Peak compute
is fp32 GFLOP/s of the unit a DNN would run on; efficiency is peak over active power. Power
figures mix scopes (board, module, package, card), so compare within a tier.
"""),
    code("""
devs = primer.catalog_overview()
rec.table("devices", devs)
devs
"""),
    code("""
tiers = primer.tier_summary(devs)
rec.table("tiers", tiers)
tiers
"""),
    code("""
fig = primer.plot_devices(devs)
"""),
    md("""
Peak compute spans about five orders of magnitude, from a microcontroller to a data-centre GPU,
while power spans about three. Phones' GPUs are the most efficient per watt in this catalog:
efficiency, not raw compute, is what the end tier optimises. Memory tells a similar story:
the microcontroller holds kilobytes, less than one AlexNet layer's activation (chapter 02).
"""),
    md("""
## The link catalog

Links are described by achieved up- and downlink bandwidth, round-trip time (RTT) and the end
device's radio power. Bandwidths are achieved throughput where a measurement exists, not PHY peaks.
"""),
    code("""
lks = primer.link_overview()
rec.table("links", lks)
lks
"""),
    code("""
fig = primer.plot_links(lks)
"""),
    md("""
## Time to upload one image or one activation

Sending `b` bytes over a link costs one RTT plus `8·b / uplink bandwidth`
(`edgelab.hardware.cost.transfer_time`). We compare three payloads computed from the zoo: a raw
224×224 RGB image (8-bit), the same image as an fp32 tensor, and AlexNet's activation at the
boundary between its convolutional and fully connected layers (the split point of chapter 2x on
partitioning).
"""),
    code("""
payloads = primer.standard_payloads()
times = primer.upload_times(payloads)
rec.table("upload_times_s", times)
pd.Series(payloads, name="bytes").to_frame()
"""),
    code("""
(times * 1e3).round(1).rename(columns=lambda c: c + " [ms]")
"""),
    code("""
fig = primer.plot_upload_times(times)
"""),
    md("""
The dotted line marks 100 ms. Over Wi-Fi or Ethernet every payload arrives in milliseconds and
the RTT is a visible part of the total; over LTE the raw image alone takes a few hundred
milliseconds; over LoRa or NB-IoT sending any image is out of the question, which is why such
devices must compute locally and send only results.
"""),
    md("""
## Reproduction: edge vs cloud latency (seed 001 §II-B.1)

The survey states the transmission latency between an end user and a cloud server versus an
edge server in words; we read it from `data/reported.csv`. From the catalog, the RTT to an edge
server is the access link's RTT (the server is one hop away), and the RTT to the cloud adds the
WAN link. The claim holds if, over local access links (Wi-Fi 5, Wi-Fi 6, Ethernet), the edge
RTT is below 10 ms and the cloud RTT is between 10 ms and 1 s.
"""),
    code("""
row = reported("edge_vs_cloud_latency")
check = primer.edge_vs_cloud_latency_check()
rtt = primer.edge_vs_cloud_rtt()
rec.table("edge_vs_cloud_rtt", rtt)
rec.metric("edge_rtt_ms", check["edge_ms"], units="ms", setting=check["access"])
rec.metric("cloud_rtt_ms", check["cloud_ms"], units="ms", setting=f"{check['access']} + {check['wan']}")
rec.claim("edge_vs_cloud_latency", int(check["holds"]), setting=f"median over {check['access']}; cloud adds '{check['wan']}'",
          note=f"edge {check['edge_ms']:.1f} ms vs cloud {check['cloud_ms']:.1f} ms (catalog RTTs)")
pd.DataFrame({"reported": [row["reported_value"]],
              "ours": [f"cloud {check['cloud_ms']:.0f} ms; edge {check['edge_ms']:.1f} ms"],
              "holds": [check["holds"]], "source": [f"seed {row['seed_file'][:3]} {row['section_or_table']}"]})
"""),
    code("""
rtt
"""),
    md("""
**Why it holds, and where it does not.** With a local access link the catalog agrees with the
survey: the WAN adds tens of milliseconds that a nearby server avoids. Over cellular links the
edge server at the base station (MEC) still pays the radio access RTT, tens of milliseconds for
5G and LTE as deployed, so "several milliseconds" needs the low-latency radio that 5G promises
rather than the RTTs measured today. The catalog's RTTs are typical values, not measurements of
one network.
"""),
    md("""
## Explorer: payload size and link

Pick a link and a payload size. The explorer prints the upload time to an edge server (access
link) and to the cloud (access link plus WAN, the WAN at its own bandwidth). Small payloads are
RTT-bound; large ones are bandwidth-bound. Where is the crossover for each link?
"""),
    code("""
wan = get_link("wan")
access = [n for n in link_names() if get_link(n).tier_pair == "end-edge"]

def explore(link="4g", kilobytes=150.0):
    lk = get_link(link)
    b = kilobytes * 1e3
    edge = float(cost.transfer_time(b, lk.uplink_mbps, lk.rtt_ms / 1e3))
    cloud = edge + float(cost.transfer_time(b, wan.uplink_mbps, wan.rtt_ms / 1e3))
    rtt_share = lk.rtt_ms / 1e3 / edge
    print(f"{link}: edge {edge * 1e3:9.1f} ms  cloud {cloud * 1e3:9.1f} ms  (RTT is {rtt_share:.0%} of the edge time)")

widgets.interact(explore, link=access,
                 kilobytes=widgets.FloatLogSlider(value=150, base=10, min=-1, max=4, step=4 / n_sizes));
"""),
    md("""
## Summary

* Cloudlets, fog and mobile edge computing all put compute near the data; they differ in where
  (buildings, gateways, base stations) and whom they serve first (mobile users, IoT).
* The catalog spans about five orders of magnitude of compute across the three tiers; end devices
  trade peak compute for efficiency and memory.
* Upload time is RTT plus bytes over bandwidth: local links make edge offloading cheap, while
  low-power IoT radios make sending raw data impractical.
* The catalog's RTTs reproduce the survey's edge-vs-cloud latency gap on local access links;
  cellular access RTTs are the caveat.

## Exercises

1. Add a device to a copy of `data/devices.csv` (e.g. a Coral Edge TPU, with its source) and
   redraw the compute-vs-power plot. Which tier does it belong to, and where does it sit?
2. Using `primer.upload_times`, find the smallest JPEG compression ratio that lets a 224×224
   image reach an edge server over 4G in under 100 ms.
3. At what payload size does the uplink time over 5G equal its RTT? Over Wi-Fi 6?
4. Repeat the latency check with cellular access links (`access=("4g", "5g")`). Which part of the
   survey's claim survives?
5. Seed 001 §II-B.2 says offloading saves the end device's energy. With the radio powers of the
   link catalog, how many joules does uploading the raw image over 4G cost? Compare with running
   AlexNet on a phone (`edgelab.hardware.cost`).
"""),
]


# ----------------------------------------------------------------------------- chapter 02
CH02 = [
    md("""
# A deep-learning primer for the edge: size, compute and energy

*Mirrors seed 003 §II-D (popular deep learning models) and §V-C.1 (model compression, the
energy argument of its reference [72]).*

Seed 003 §II-D measures the cost of a CNN in **weights** (parameters) and **MACs**
(multiply-accumulates per image). Those numbers decide whether a model fits on an end device,
how long it runs, and how much energy it burns. This chapter computes them with edgelab's
profiler, compares them with the survey's figures, and then tests the argument of §V-C.1: in
AlexNet the convolutional layers dominate the energy, while the fully connected layers hold
most of the weights, so pruning weights is not the same as saving energy.

After this chapter you will be able to:

* profile a DNN layer by layer (MACs, FLOPs, weights, activation bytes) and read the plots;
* reproduce the survey's model sizes, and explain where our counts differ;
* estimate a layer's energy from its operations and memory accesses, and say when conv or FC
  layers dominate.
"""),
    parameters(),
    code("""
import ipywidgets as widgets
import pandas as pd

from edgelab import primer
from edgelab.models import SURVEY_MODELS
from edgelab.record import Recorder, reported

rec = Recorder("02_dl_primer", out_dir=out_dir)
models = ["alexnet", "vgg16", "googlenet"] if quick else list(SURVEY_MODELS)  # the §II-D three, or all five
batches = [1, 2, 4, 8, 16, 32, 64] if quick else [2**k for k in range(11)]
energy_batch = 1  # images sharing one fetch of the weights: 1 = edge inference, one image at a time
pd.set_option("display.precision", 3)
"""),
    md("""
## Weights, MACs and FLOPs

A convolution with `C_in` input channels, `C_out` filters of size `k×k` and an output map of
`H×W` pixels holds `C_in·k·k·C_out` weights and performs `C_in·k·k·C_out·H·W` MACs: each weight
is reused at every output pixel. A fully connected layer uses each weight exactly once per image.
One MAC is two FLOPs (a multiply and an add); edgelab keeps the two apart, and adds to FLOPs the
element-wise work (activations, pooling, normalisation) that has no MACs.
The profiler (`edgelab.hardware.profile`) traces each model with `torch.fx` and counts per layer.
"""),
    code("""
zoo = primer.zoo_summary(models)
rec.table("zoo_sizes", zoo)
zoo
"""),
    code("""
fig = primer.plot_zoo(zoo)
"""),
    md("""
VGG-16 is the outlier in both weights and compute; GoogLeNet (and, with `quick = False`,
ResNet-18 and MobileNetV2) buys accuracy with far fewer weights. Note the last column of the table: FLOPs per weight byte is
the reuse that decides whether a model is limited by compute or by memory (chapter on the cost
model).

## Layer by layer

Where do the MACs and the bytes go? Blue bars are convolutions, red ones fully connected layers,
grey ones pooling.
"""),
    code("""
fig = primer.plot_layer_profile("alexnet")
"""),
    code("""
fig = primer.plot_layer_profile("vgg16")
"""),
    md("""
Two patterns matter for the rest of the book. Compute sits in the convolutions, while the FC
layers have few MACs but, as the next section shows, most of the weights. And the activation
leaving a layer shrinks with depth: the early layers produce more bytes than the input image,
the late ones far fewer. That is why splitting a model between device and server (seed 003
§V-C.2) usually cuts after a pooling layer deep in the network.

## Reproduction: the model sizes of seed 003 §II-D

We read the survey's numbers from `data/reported.csv` and put ours beside them; each becomes a
recorded claim. The tolerance is the row's verdict rule.
"""),
    code("""
comp = primer.survey_size_comparison()
for r in comp.itertuples():
    rec.claim(r.claim_id, r.ours, units=r.units, setting=f"{r.model}, {zoo.set_index('model').at[r.model, 'input']}, batch 1",
              note="edgelab.hardware.profile: " + ("MACs of conv and linear layers (FlopCounterMode)" if r.quantity == "macs" else "parameters incl. biases"))
rec.table("survey_sizes", comp)
comp[["claim_id", "ours", "reported_value", "rel_error", "tolerance", "within_tol"]]
"""),
    code("""
fig = primer.plot_survey_comparison(comp)
"""),
    md("""
**Why ours differ where they do.** The differences come from architecture details that the
survey's one-line counts leave implicit:

* **AlexNet** is built as in the original paper, with the two-GPU grouped convolutions in
  conv2, conv4 and conv5, which is what gives the survey's counts; torchvision's single-tower
  variant has other channel counts and no groups, and slightly fewer MACs (see
  `edgelab.models.AlexNet`). The parameter count includes the biases.
* **GoogLeNet** depends on how its stride-2 max-pools round: with floor mode (our default) the
  feature maps are 55, 27, 13 and 6 pixels, the count of Sze et al. that the survey quotes; the
  Caffe reference model rounds up (56, 28, 14, 7) and costs about a tenth more. Its weight count
  excludes the two auxiliary classifiers, which are used only in training.
* **VGG-16** has no such choice: the survey's figures are rounded.
"""),
    code("""
gv = primer.googlenet_pooling_variants()
gv["reported"] = reported("googlenet_macs")["reported_value"]
rec.table("googlenet_pooling", gv)
gv
"""),
    md("""
## Conv vs FC: MACs, weights and energy (seed 003 §V-C.1)

Magnitude-based pruning removes most of AlexNet's weights, yet §V-C.1, after [72], warns that
fewer weights need not mean less energy: in AlexNet the conv layers dominate the energy while
the FC layers hold most of the weights. Energy depends on *operations* and on *memory
accesses*, and a DRAM access costs two orders of magnitude more than a MAC. We use the 45 nm
figures of Horowitz (ISSCC 2014), kept with their source in `data/energy_45nm.csv`:
"""),
    code("""
primer.energy_table()[["op", "bits", "energy_pj", "notes"]]
"""),
    md("""
The model (`edgelab.primer.layer_energy`) charges every MAC an fp32 multiply and add, two
operand reads from a small on-chip SRAM, and DRAM traffic for the weights and the input and
output activations of conv and FC layers. A layer's weights are fetched from DRAM once per
*batch*: with `energy_batch = 1`, edge inference on one image at a time, every FC weight is
fetched for a single use.
"""),
    code("""
shares = primer.conv_fc_shares("alexnet", batch=energy_batch)
rec.table("alexnet_conv_fc_shares", shares)
shares
"""),
    code("""
fig = primer.plot_conv_fc_shares(shares, title=f"AlexNet, batch {energy_batch}")
"""),
    code("""
holds = primer.conv_fc_energy_split_holds(shares)
crossover = primer.energy_crossover_batch("alexnet")
rec.metric("alexnet_energy_crossover_batch", crossover, units="images",
           setting="45 nm energy model, 2 SRAM reads per MAC")
rec.claim("alexnet_conv_fc_energy_split", int(holds), setting=f"AlexNet, 45 nm energy model, batch {energy_batch}",
          note=f"conv {shares.at['conv', 'energy']:.0%} of energy, FC {shares.at['fc', 'weights']:.0%} of weights; "
               f"conv dominates from batch {crossover}")
pd.DataFrame({"reported": [reported("alexnet_conv_fc_energy_split")["reported_value"]],
              "ours": [f"conv layers: {shares.at['conv', 'energy']:.0%} of energy at batch {energy_batch}; "
                       f"FC layers: {shares.at['fc', 'weights']:.0%} of weights"],
              "direction holds": [holds], "holds from batch": [crossover]})
"""),
    md("""
How does the split move as more images share one fetch of the weights?
"""),
    code("""
sweep = primer.energy_vs_batch("alexnet", batches)
rec.table("alexnet_energy_vs_batch", sweep)
fig = primer.plot_energy_vs_batch(sweep)
"""),
    code("""
summary = primer.conv_fc_summary(["alexnet", "vgg16", "googlenet"], batch=energy_batch)
rec.table("conv_fc_summary", summary)
summary
"""),
    md("""
**Why ours differs, and what the survey's argument needs.** The half of the claim about
weights reproduces at once: AlexNet's FC layers hold almost all its weights and almost none of
its MACs. The half about energy depends on how often each FC weight is fetched from DRAM. In our
model, with one image at a time, the FC layers' DRAM traffic outweighs the conv layers'
arithmetic; once a few images share each weight fetch (the crossover batch above), the conv layers
dominate, as [72] reports. [72] models a dataflow accelerator (Eyeriss) that reuses data across
a memory hierarchy; the seed does not state its batch size. Either way the lesson of §V-C.1
stands, and is sharper here: the number of weights is a poor proxy for energy, since the same
weights cost very different energy depending on reuse. In VGG-16 the conv layers dominate even
at batch 1.

## Explorer: reuse and on-chip traffic

Move the batch (images per weight fetch) and the on-chip operand reads per MAC. Which of the two
moves AlexNet's energy split more?
"""),
    code("""
def explore(batch=1, sram_reads_per_mac=2.0):
    s = primer.conv_fc_shares("alexnet", batch=batch, sram_reads_per_mac=sram_reads_per_mac)
    print(f"energy per image {s['energy_j'].sum() * 1e3:.1f} mJ; conv {s.at['conv', 'energy']:.0%}, "
          f"FC {s.at['fc', 'energy']:.0%} of it; FC hold {s.at['fc', 'weights']:.0%} of the weights")

widgets.interact(explore, batch=widgets.IntSlider(value=1, min=1, max=max(batches)),
                 sram_reads_per_mac=widgets.FloatSlider(value=2.0, min=0.0, max=8.0, step=0.5));
"""),
    md("""
## Summary

* Weights and MACs measure different costs: conv layers reuse each weight at every output
  pixel, FC layers use each weight once per image.
* edgelab's profiler reproduces the survey's weights and MACs for AlexNet, VGG-16 and GoogLeNet
  within the stated tolerances; GoogLeNet's count depends on the rounding of its pooling layers.
* In AlexNet the FC layers hold most of the weights and few MACs. Whether the conv layers also
  dominate the energy depends on weight reuse: with one image at a time, fetching FC weights
  from DRAM dominates; with a few images per fetch, the conv layers do.
* So weight count is a poor proxy for energy: energy-aware pruning (EAP [73]) targets the layers
  that consume the energy.

## Exercises

1. Profile ResNet-18 and MobileNetV2 with `edgelab.hardware.profile.profile_model` and plot them with
   `primer.plot_layer_profile`. Where do their MACs sit?
2. Prune 90% of AlexNet's FC weights (assume sparse storage costs nothing extra). By how much
   does the modelled energy per image fall at batch 1? At batch 16?
3. Replace the fp32 costs by 8-bit integer ones (`int_mult`, `int_add` in
   `data/energy_45nm.csv`, and a quarter of the DRAM energy per weight). Does the crossover
   batch move up or down?
4. Build GoogLeNet with `ceil_mode=True` and compare its per-layer output bytes with the
   default model. Which layers change?
5. MobileNetV2 uses depthwise convolutions. Compute its conv vs FC shares. Does the argument of
   [72] apply to it?
"""),
]


def main() -> int:
    print(write("01_edge_paradigms", CH01))
    print(write("02_dl_primer", CH02))
    return 0


if __name__ == "__main__":
    sys.exit(main())
