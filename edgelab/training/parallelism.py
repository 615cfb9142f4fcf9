"""Data against model parallelism over the zoo and the catalog links (seed 003 §IV-C.4).

PipeDream's motivation, as seed 003 §IV-C.4 quotes it (``data_vs_model_parallelism``): data
parallelism suffers a heavy communication overhead, model parallelism a severe
under-utilisation, and pipelining fixes both. Here, per zoo model and catalog link, for ``S``
workers and one sample's worth of work:

* **data parallel** bytes per sample: each worker sends ``2 (S − 1) / S ×`` the weight bytes in a
  ring all-reduce per step of ``S × micro_batch`` samples; its time adds
  :func:`~edgelab.hardware.cost.ring_allreduce_time` to the compute;
* **model parallel** bytes per sample: the activations crossing the ``S − 1`` cuts of the
  balanced partition (:func:`~edgelab.training.pipeline_parallel.partition_stages`) forward and
  their gradients back; without pipelining one stage works at a time, so its utilisation is
  ``Σ compute / (S × Σ (compute + transfer))``;
* **pipelined**: the same bytes, utilisation ``Σ compute / (S × bottleneck)`` in the steady state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from edgelab._validate import integer_in
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import layer_latency_grid, ring_allreduce_time
from edgelab.hardware.profile import profile_model
from edgelab.training.pipeline_parallel import TRAIN_FACTOR, partition_stages

__all__ = ["compare_parallelism", "directional_check"]


def compare_parallelism(models: Sequence[str], device: str = "t4", links: Sequence[str] = ("ethernet",),
                        n_workers: int = 4, micro_batch: int = 8) -> pd.DataFrame:
    """One row per (model, link): bytes, seconds per sample and utilisation of data parallelism,
    model parallelism and pipelining over ``n_workers`` copies of ``device`` (seed 003 §IV-C.4).

    Columns: ``weight_bytes``, ``n_layers``, ``dp_bytes_per_sample``, ``mp_bytes_per_sample``,
    ``comm_ratio`` (data ÷ model parallel bytes), ``dp_s``, ``mp_s`` (unpipelined), ``pipe_s``
    (seconds per sample), ``dp_comm_share`` (all-reduce share of a data-parallel step),
    ``mp_utilisation`` and ``pipe_utilisation``.
    """
    S = integer_in("n_workers", n_workers, 2, 4)
    rows = []
    for m in models:
        prof = profile_model(m, batch=micro_batch)
        wb = float(prof.table["weight_bytes"].sum())
        fwd = float(layer_latency_grid(prof, [device])[0].sum())
        for ln in links:
            lk = get_link(ln)
            plan = partition_stages(prof, [device] * S, lk.name, micro_batch)
            ar = float(ring_allreduce_time(wb, S, lk.uplink_mbps, lk.rtt_ms / 1e3))
            step = TRAIN_FACTOR * fwd + ar
            comp, trans = float(plan.compute_s.sum()), float(plan.transfer_s.sum())
            dp_b = 2 * (S - 1) / S * wb / micro_batch  # per worker per step of S·b samples, ×S / (S·b)
            mp_b = 2 * float(plan.cut_bytes.sum()) / micro_batch
            rows.append({
                "model": m, "link": lk.name, "weight_bytes": wb, "n_layers": prof.n_layers,
                "dp_bytes_per_sample": dp_b, "mp_bytes_per_sample": mp_b,
                "comm_ratio": dp_b / mp_b if mp_b > 0 else np.inf,
                "dp_s": step / (S * micro_batch), "mp_s": (comp + trans) / micro_batch,
                "pipe_s": plan.bottleneck_s / micro_batch, "dp_comm_share": ar / step,
                "mp_utilisation": comp / (S * (comp + trans)),
                "pipe_utilisation": comp / (S * plan.bottleneck_s),
            })
    return pd.DataFrame(rows)


def directional_check(table: pd.DataFrame) -> dict[str, float | bool]:
    """Read seed 003 §IV-C.4's directional claim off :func:`compare_parallelism`'s table.

    ``rho_weights_vs_comm_ratio``: Spearman correlation between a model's weight bytes and the
    data- ÷ model-parallel byte ratio (positive: data parallelism's communication grows with the
    model); ``mp_underutilised``: every unpipelined model-parallel utilisation ≤ ``1 / S`` plus
    the transfer share, i.e. below half; ``pipelining_fixes``: pipelining's utilisation beats
    model parallelism's and its bytes beat data parallelism's on the largest model.
    ``holds`` is all three.
    """
    per_model = table.groupby("model").agg(weight_bytes=("weight_bytes", "first"),
                                           comm_ratio=("comm_ratio", "mean"))
    rho = float(spearmanr(per_model["weight_bytes"], per_model["comm_ratio"]).statistic)
    under = bool((table["mp_utilisation"] < 0.5).all())
    big = per_model["weight_bytes"].idxmax()
    b = table[table["model"] == big]
    fixes = bool((table["pipe_utilisation"] > table["mp_utilisation"]).all()
                 and (b["mp_bytes_per_sample"] < b["dp_bytes_per_sample"]).all())
    return {"rho_weights_vs_comm_ratio": rho, "mp_underutilised": under, "pipelining_fixes": fixes,
            "largest_model": str(big), "holds": bool(rho > 0 and under and fixes)}
