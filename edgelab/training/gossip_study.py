"""The gossip chapter's experiments as tables and figures (seed 003 §IV-C.6, Table 2; Gaia).

Each function returns a ``pandas.DataFrame`` (one row per setting) that the chapter records and
formats; the plots take those tables. Everything is seeded and computed by
:mod:`edgelab.training.gossip`, :mod:`edgelab.training.gaia` and the cost model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from edgelab.training.gaia import gaia_times, run_gaia
from edgelab.training.gossip import (
    ALGORITHMS,
    TOPOLOGIES,
    DivergedError,
    GossipConfig,
    GossipResult,
    allreduce_time,
    gossip_crossover_bytes,
    gossip_exchange_time,
    gossipgrad_matrix,
    iteration_time,
    mixing_matrix,
    run_compressed_gossip,
    run_gossip,
    spectral_gap,
    topology,
)

__all__ = ["compressed_table", "topology_table", "compare_algorithms", "iteration_table", "crossover_table",
           "gossipgrad_complexity", "gossipgrad_efficiency", "gaia_table", "plot_consensus",
           "plot_iteration_time"]


def topology_table(n: int = 8, degree: int = 3, seed: int = 0) -> pd.DataFrame:
    """Per topology: edges, degree, spectral gap of the Metropolis matrix (seed 003 §IV-C.6)."""
    rows = []
    for name in TOPOLOGIES:
        g = topology(name, n, degree=degree, seed=seed)
        rows.append({"topology": name, "nodes": n, "edges": g.number_of_edges(),
                     "max_degree": max(d for _, d in g.degree()),
                     "spectral_gap": spectral_gap(mixing_matrix(g))})
    return pd.DataFrame(rows)


def compare_algorithms(n: int = 8, steps: int = 300, *, topology_name: str = "ring",
                       p: float = 0.25, tau: int = 4, target: float = 0.9, seed: int = 0,
                       eval_every: int = 5, scheme: str = "iid") -> tuple[pd.DataFrame, dict[str, GossipResult]]:
    """Every algorithm on the same digits split: a summary row each and the runs (seed 003 §IV-C.6).

    Columns: accuracy of the average model and its gap to all-reduce, mean node accuracy,
    final consensus distance, steps to ``target`` accuracy, model messages per step, and bytes
    per step at the busiest node.
    """
    runs = {a: run_gossip(GossipConfig(algorithm=a, topology=topology_name, n_nodes=n,
                                       steps=steps, p=p, tau=tau, eval_every=eval_every,
                                       scheme=scheme), seed=seed) for a in ALGORITHMS}
    ref = runs["allreduce"].accuracy
    rows = []
    for a, r in runs.items():
        last = r.history.iloc[-1]
        rows.append({"algorithm": a, "accuracy": r.accuracy, "vs_allreduce": r.accuracy - ref,
                     "node_accuracy": float(last["node_accuracy"]),
                     "consensus": float(last["consensus"]), "steps_to_target": r.steps_to(target),
                     "messages_per_step": float(last["messages"]) / steps,
                     "busiest_bytes_per_step": r.busiest_bytes_per_step})
    return pd.DataFrame(rows), runs


def iteration_table(model: str = "resnet18", device: str = "a100", link: str = "ethernet",
                    ns: Sequence[int] = (4, 8, 16, 32), batch: int = 32) -> pd.DataFrame:
    """Simulated seconds per iteration: 1-peer gossip, ring gossip (2 peers) and ring all-reduce,
    per number of nodes (seed 003 §IV-C.6, Gossiping SGD's claim)."""
    rows = []
    for n in ns:
        one = iteration_time(model, device, link, n, peers=1, batch=batch)
        two = iteration_time(model, device, link, n, peers=2, batch=batch)
        rows.append({"nodes": n, "compute_s": one["compute_s"], "gossip_1peer_s": one["gossip_s"],
                     "gossip_ring_s": two["gossip_s"], "allreduce_s": one["allreduce_s"],
                     "speedup_1peer": one["speedup"], "speedup_ring": two["speedup"]})
    return pd.DataFrame(rows)


def crossover_table(link_bw_rtt: dict[str, tuple[float, float]], ns: Sequence[int] = (4, 8, 16),
                    peers: Sequence[int] = (1, 2, 4)) -> pd.DataFrame:
    """Model bytes above which a ``peers``-partner gossip exchange is slower than a ring
    all-reduce (``inf``: never), per link and node count (seed 003 §IV-C.6)."""
    rows = []
    for name, (bw, rtt) in link_bw_rtt.items():
        for n in ns:
            for k in peers:
                rows.append({"link": name, "nodes": n, "peers": k,
                             "crossover_bytes": gossip_crossover_bytes(n, k, bw, rtt)})
    return pd.DataFrame(rows)


def gossipgrad_complexity(ps: Sequence[int] = (4, 16, 64, 256)) -> pd.DataFrame:
    """Per node and step: GossipGraD's messages (one partner) against an all-reduce's rounds
    (recursive doubling: log2 p; ring: 2(p-1)), and whether log2 p rotations average exactly
    (seed 003 §IV-C.6, GossipGraD)."""
    rows = []
    for p in ps:
        k = int(math.log2(p))
        w = gossipgrad_matrix(p, 0)
        prod = np.eye(p)
        for t in range(k):
            prod = gossipgrad_matrix(p, t) @ prod
        rows.append({"nodes": p, "gossipgrad_messages": int((w > 0).sum(1).max() - 1),
                     "allreduce_rounds_doubling": k, "allreduce_steps_ring": 2 * (p - 1),
                     "exact_average_after_log2p": bool(np.allclose(prod, 1.0 / p))})
    return pd.DataFrame(rows)


def gossipgrad_efficiency(model: str = "resnet50", device: str = "a100", link: str = "ethernet",
                          batch: int = 32, target: float = 0.99) -> dict[str, float]:
    """GossipGraD's compute efficiency in the cost model: one partner per step, communication
    overlapped with compute, ``compute / max(compute, exchange)``; and the bandwidth (Mbit/s)
    at which it reaches ``target`` (seed 003 §IV-C.6, Table 2)."""
    from edgelab.hardware.catalog import get_link

    t = iteration_time(model, device, link, 2, peers=1, batch=batch)
    lk = get_link(link)
    rtt = lk.rtt_ms / 1e3
    eff = t["compute_s"] / max(t["compute_s"], t["gossip_comm_s"])
    # exchange = rtt + bytes·8 / (bw·1e6) ≤ compute / target
    room = t["compute_s"] / target - rtt
    need = t["model_bytes"] * 8 / (room * 1e6) if room > 0 else math.inf
    return {"model_bytes": t["model_bytes"], "compute_s": t["compute_s"],
            "exchange_s": t["gossip_comm_s"], "efficiency": eff, "bandwidth_needed_mbps": need,
            "link_mbps": lk.uplink_mbps}


def gaia_table(thresholds: Sequence[float] = (0.0, 0.01, 0.05), *, n_dc: int = 4,
               steps: int = 300, model: str = "digits_mlp", device: str = "edge-server-cpu",
               seed: int = 0) -> pd.DataFrame:
    """Per significance threshold: digits accuracy, share of parameters sent, and the cost
    model's seconds per iteration and speed-ups for ``model`` on ``device`` (seed 003 Table 2, Gaia)."""
    rows = []
    for thr in thresholds:
        r = run_gaia(n_dc, steps, threshold=thr, seed=seed)
        t = gaia_times(model, device, n_dc, r.sent_fraction)
        rows.append({"threshold": thr, "accuracy": r.accuracy, "sent_fraction": r.sent_fraction,
                     "baseline_wan_s": t["baseline_wan_s"], "baseline_lan_s": t["baseline_lan_s"],
                     "gaia_wan_s": t["gaia_wan_s"], "gaia_speedup": t["gaia_speedup"],
                     "gaia_vs_lan": t["gaia_vs_lan"]})
    return pd.DataFrame(rows)


def plot_consensus(runs: dict[str, GossipResult]) -> Any:
    """Accuracy of the average model and consensus distance against steps, one line per
    algorithm (seed 003 §IV-C.6)."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, r in runs.items():
        h = r.history
        a1.plot(h["step"], 100 * h["accuracy"], label=name)
        a2.plot(h["step"], h["consensus"].clip(lower=1e-8), label=name)
    a1.set_xlabel("step")
    a1.set_ylabel("test accuracy of the average model (%)")
    a2.set_xlabel("step")
    a2.set_ylabel("consensus distance (L2, parameter units)")
    a2.set_yscale("log")
    a2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_iteration_time(nbytes: np.ndarray, n: int, bw_mbps: float, rtt_s: float,
                        peers: Sequence[int] = (1, 2, 7)) -> Any:
    """Communication seconds per iteration against model size: gossip with ``peers``
    partners and ring all-reduce over ``n`` nodes (seed 003 §IV-C.6)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(nbytes / 1e6, [allreduce_time(b, n, bw_mbps, rtt_s) for b in nbytes], "k-",
            label=f"ring all-reduce ({n} nodes)")
    for k in peers:
        ax.plot(nbytes / 1e6, [gossip_exchange_time(b, k, bw_mbps, rtt_s) for b in nbytes],
                label=f"gossip, {k} peer{'s' if k > 1 else ''}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size (MB, float32)")
    ax.set_ylabel("communication per iteration (s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def compressed_table(compressors: Sequence[object], config: GossipConfig, seed: int = 0) -> pd.DataFrame:
    """Full-precision gossip and difference-compressed gossip (DCD-PSGD) with each of issue 15's
    ``compressors``: accuracy, gap to full precision, bytes per step at the busiest node and the
    reduction, or ``diverged`` (seed 003 §IV-C.3, Tang et al. [56])."""
    ref = run_gossip(config, seed=seed)
    rows = [{"compressor": "none (float32)", "diverged": False, "accuracy": ref.accuracy,
             "vs_full": 0.0, "busiest_bytes_per_step": ref.busiest_bytes_per_step,
             "reduction": 1.0}]
    for c in compressors:
        label = getattr(c, "name", "?") + "".join(
            f" {k}={v}" for k, v in getattr(c, "__dict__", {}).items() if k in ("s", "density"))
        try:
            r = run_compressed_gossip(c, config, seed=seed)
        except DivergedError:
            rows.append({"compressor": label, "diverged": True, "accuracy": float("nan"),
                         "vs_full": float("nan"), "busiest_bytes_per_step": float("nan"),
                         "reduction": float("nan")})
            continue
        rows.append({"compressor": label, "diverged": False, "accuracy": r.accuracy,
                     "vs_full": r.accuracy - ref.accuracy,
                     "busiest_bytes_per_step": r.busiest_bytes_per_step,
                     "reduction": ref.busiest_bytes_per_step / r.busiest_bytes_per_step})
    return pd.DataFrame(rows)
