"""The survey's frames of edge intelligence as tables (seed 003 §III-B Fig. 7, §IV-A Fig. 8, §IV-B,
§V-A Fig. 12, §V-B): the levels, inference modes, training architectures and KPIs, each row
saying whether and how :mod:`edgelab.levels` computes it.
"""

from __future__ import annotations

import pandas as pd

from edgelab.levels.model import LEVELS

__all__ = ["frames"]


def frames() -> dict[str, pd.DataFrame]:
    """The survey's frames as tables (seed 003 §III-B Fig. 7, §IV-A Fig. 8, §IV-B, §V-A Fig. 12, §V-B).

    Keys: ``levels``, ``inference_modes``, ``training_architectures``, ``training_kpis``,
    ``inference_kpis``; each KPI row says whether and how edgelab computes it per level.
    """
    levels = pd.DataFrame([{"level": lv.id, "name": lv.name, "training": lv.training,
                            "inference": lv.inference,
                            "training_architecture": lv.training_architecture}
                           for lv in LEVELS])
    modes = pd.DataFrame([
        ("cloud-based", "§V-A (common baseline)", "device sends input to the cloud, which runs "
         "the model", "CI", "CI: whole model in the cloud"),
        ("device-cloud", "§V-A (common baseline)", "device runs part of the model, the cloud the "
         "rest (Neurosurgeon, JALAD: Table 4 rates them Level 1)", "L1 (Table 4)",
         "not a separate level here: L1 splits edge|cloud; chapter 20 splits device|cloud"),
        ("edge-based", "§V-A.1, Fig. 12(a)", "device sends input to the edge server, which runs "
         "the model and returns the result", "L2, L5", "L2/L5 when the best split is k = 0"),
        ("device-based", "§V-A.2, Fig. 12(b)", "device gets the model from the edge and runs it "
         "locally, no communication", "L3, L6", "L3/L6 (and L2/L5 when k = n)"),
        ("edge-device", "§V-A.3, Fig. 12(c)", "device runs the model up to a layer, sends the "
         "intermediate data, the edge runs the rest", "L2, L5",
         "L2/L5 with 0 < k < n (best_split device|edge)"),
        ("edge-cloud", "§V-A.4, Fig. 12(d)", "device only collects input; the model runs by "
         "edge-cloud synergy", "L1, L4", "L1/L4: best_split edge|cloud over the WAN"),
    ], columns=["mode", "section", "workflow", "levels", "edgelab"])
    archs = pd.DataFrame([
        ("centralized", "§IV-A.1, Fig. 8(a)", "the cloud trains on data gathered from devices",
         "CI, L1, L2, L3", "raw data D over link and WAN once; cloud computes 3x forward per sample"),
        ("decentralized", "§IV-A.2, Fig. 8(b)", "nodes train on local data and exchange updates "
         "with peers, no cloud", "L5 (§IV-A.2); Table 2 rates BlockFL and gossip training L6",
         "L5: edge nodes train their shares and gossip the model with ring neighbours over the "
         "edge network once per epoch (train_peer_bytes; not WAN bytes)"),
        ("hybrid (cloud-edge-device)", "§IV-A.3, Fig. 8(c)", "edge servers train, with each other "
         "or with the cloud", "L4, L5", "L4: edge trains, 2 x weights over the WAN per epoch"),
        ("on-device (Level 6)", "§III-B, Level 6", "training and inference on the device; no data "
         "is offloaded (model updates may be: see decentralized)", "L6",
         "L6: the device trains alone and exchanges nothing; 3x forward per sample; training "
         "memory checked"),
    ], columns=["architecture", "section", "description", "levels", "edgelab"])
    train_kpis = pd.DataFrame([
        ("training loss", "§IV-B.1", "no", "needs real training: see chapter 10 (federated learning)"),
        ("convergence", "§IV-B.2", "no", "decentralized methods only: see chapter 10"),
        ("privacy", "§IV-B.3", "yes", "train_raw_bytes_out: raw training bytes leaving the device"),
        ("communication cost", "§IV-B.4", "yes", "train_wan_bytes (WAN) and the link upload"),
        ("latency", "§IV-B.5", "yes", "train_time_s = upload + 3x forward compute + WAN syncs"),
        ("energy efficiency", "§IV-B.6", "yes", "train_energy_j (trainer + device radio), "
         "train_device_energy_j"),
    ], columns=["kpi", "section", "computed", "how (per level)"])
    inf_kpis = pd.DataFrame([
        ("latency", "§V-B.1", "yes", "infer_latency_s: device + transfers (RTT + bytes/bandwidth)"
         " + server, at the best split; compare with the 100 ms deadline"),
        ("accuracy", "§V-B.2", "no (equal)", "splitting between layers loses no accuracy, so "
         "every level has the model's accuracy; lossy encodings: chapter 20 (JALAD)"),
        ("energy", "§V-B.3", "yes", "infer_device_energy_j: compute + radio + idle waiting"),
        ("privacy", "§V-B.4", "yes", "infer_raw_bytes_out: raw input bytes leaving the device"),
        ("communication overhead", "§V-B.5", "yes", "infer_wan_bytes, infer_uplink_bytes"),
        ("memory footprint", "§V-B.6", "yes", "fits_device: weights + peak activation vs memory"),
    ], columns=["kpi", "section", "computed", "how (per level)"])
    return {"levels": levels, "inference_modes": modes, "training_architectures": archs,
            "training_kpis": train_kpis, "inference_kpis": inf_kpis}
