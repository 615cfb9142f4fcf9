"""The gradient-compression experiments on digits behind chapter 12 (seed 003 §IV-C.3, Table 2).

Every study is distributed mini-batch SGD on the batched FL engine: each round every client
takes **one** SGD step on a mini-batch of its own data and uploads that step (through a
:class:`~edgelab.training.compression.communicator.Communicator`), the server applies the
weighted mean. That is the setting of DGC, eSGD and sparsified SGD with memory (one gradient
exchange per iteration), not FedAvg's several local epochs. One *epoch* is
``ceil(samples per client / batch)`` rounds (what DGC's warm-up schedule counts).

All studies are seeded: the same :class:`Setting` gives the same tables, byte for byte (the
measured host seconds are returned apart, never in the deterministic tables).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from edgelab._validate import integer_in, positive
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import transfer_time
from edgelab.training.compression.communicator import Communicator, make_communicator
from edgelab.training.compression.experiments import byte_table, compressed_fedavg
from edgelab.training.federated.core import ClientConfig
from edgelab.training.federated.engine import Federation

__all__ = [
    "Setting", "Run", "MEASURED", "all_compressor_runs", "run_curves", "summarize_curves",
    "esgd_drop_ratios", "dgc_density_sweep", "momentum_baseline", "dgc_no_loss", "qsgd_levels", "sign_methods",
    "sparsified_convergence", "convergence_measure", "round_wall_clock", "resnet50_gradient_bytes",
    "rounds_to",
]

#: Columns holding host seconds (measured, different on every run): kept out of recorded tables.
MEASURED = ("train_s", "compress_s", "decompress_s", "memory_s", "compress_ms_per_client_round",
            "decompress_ms_per_client_round", "memory_ms_per_client_round")

#: A run: a label, the compressor, the memory and the compressor's parameters (``None``: dense).
Run = tuple[str, str, str, dict[str, Any]]


@dataclass(frozen=True)
class Setting:
    """Distributed mini-batch SGD on digits (seed 003 §IV-C.3): ``n_clients`` workers, one
    step of ``batch_size`` samples each per round at learning rate ``lr``, for ``rounds`` rounds;
    pixels standardised; ``scheme`` splits the training set (``iid``, ``shards`` …)."""

    n_clients: int = 8
    scheme: str = "iid"
    lr: float = 0.1
    batch_size: int = 32
    rounds: int = 300
    seed: int = 0

    def __post_init__(self) -> None:
        integer_in("n_clients", self.n_clients, 1, 10**5)
        integer_in("batch_size", self.batch_size, 1, 10**6)
        integer_in("rounds", self.rounds, 1, 10**6)
        positive("lr", self.lr)

    def federation(self) -> Federation:
        """The digits federation of this setting (seed 003 §IV-C.1)."""
        return Federation.digits(n_clients=self.n_clients, scheme=self.scheme, seed=self.seed,
                                 standardize=True)

    def client(self) -> ClientConfig:
        """One SGD step per round on a mini-batch (seed 003 §IV-C.3)."""
        return ClientConfig(lr=self.lr, batch_size=self.batch_size, steps=1)

    def steps_per_epoch(self, fed: Federation) -> int:
        """Rounds in which a client sees its data once: ceil(mean local size / batch) (seed 003 §IV-C.3)."""
        return max(1, math.ceil(float(np.mean(fed.client_split.sizes)) / self.batch_size))

    def with_(self, **kw: Any) -> Setting:
        """A copy with some fields replaced (seed 003 §IV-C.3)."""
        return replace(self, **kw)


def _communicator(comp: str, mem: str, params: dict[str, Any]) -> Communicator | None:
    if comp == "dense":
        return None
    if comp == "momentum":
        # DGC at density 1, no warm-up, no masking is momentum SGD exactly (u = m·u + g, all sent)
        return make_communicator("dgc", "dgc", density=1.0, start_density=1.0, warmup_epochs=0,
                                 memory_params={"masking": False, **params})
    p = dict(params)
    mp = p.pop("memory_params", None)
    return make_communicator(comp, mem, memory_params=mp, **p)


def run_curves(setting: Setting, runs: Sequence[Run], *, link: str | None = None,
               fed: Federation | None = None, reuse: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every round of every run, long format (seed 003 §IV-C.3, Table 2).

    ``runs`` are ``(label, compressor, memory, params)``; compressor ``"dense"`` is
    uncompressed SGD and ``"momentum"`` uncompressed momentum SGD (``params``: DGC memory's
    ``momentum``), both sent as float32. A ``server_lr`` in ``params`` is the server's step
    (signSGD's majority vote is ±1 per coordinate: its step size lives there). Columns: ``label``, ``compressor``, ``memory``, the per-round
    history of :func:`~edgelab.training.compression.experiments.compressed_fedavg` (accuracy,
    loss, exact bytes, cumulative bytes, host seconds in :data:`MEASURED`); a run that diverges
    (its model stops being finite) ends at its last finite round. A label already in
    ``reuse`` (curves of the same setting) is taken from there instead of run again.
    """
    fed = fed or setting.federation()
    out = []
    for label, comp, mem, params in runs:
        if reuse is not None and (reuse["label"] == label).any():
            out.append(reuse[reuse["label"] == label])
            continue
        p = dict(params)
        server_lr = float(p.pop("server_lr", 1.0))
        h = compressed_fedavg(fed, _communicator(comp, mem, p), setting.rounds,
                              client=setting.client(), seed=setting.seed, link=link,
                              server_lr=server_lr, stop_on_divergence=True)
        if comp == "momentum":  # sent dense: float32 values, no indices
            h["bytes_up"] = h["dense_bytes_up"]
            h["cum_bytes_up"] = h["cum_dense_bytes_up"]
            if link is not None:
                h["sim_upload_s"] = h["sim_dense_upload_s"]
        h.insert(0, "memory", {"dense": "none", "momentum": "momentum"}.get(comp, mem))
        h.insert(0, "compressor", comp)
        h.insert(0, "label", label)
        out.append(h)
    return pd.concat(out, ignore_index=True)


def summarize_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """One row per run: final accuracy and loss, ``rounds_run`` (fewer than the setting's when
    the run diverged), exact bytes (all rounds and clients), bytes per client-round, ``ratio``
    (dense ÷ sent) and host ms per client-round (seed 003 §IV-C.3)."""
    rows = []
    for label, h in curves.groupby("label", sort=False):
        cr = float(h["clients"].sum())
        rows.append({
            "label": label, "compressor": h["compressor"].iloc[0], "memory": h["memory"].iloc[0],
            "accuracy": float(h["accuracy"].iloc[-1]), "loss": float(h["loss"].iloc[-1]),
            "rounds_run": int(h["round"].iloc[-1]), "bytes_up": int(h["bytes_up"].sum()),
            "bytes_per_client_round": float(h["bytes_up"].sum()) / cr,
            "ratio": float(h["dense_bytes_up"].sum() / h["bytes_up"].sum()),
            "compress_ms_per_client_round": 1e3 * float(h["compress_s"].sum()) / cr,
            "decompress_ms_per_client_round": 1e3 * float(h["decompress_s"].sum()) / cr,
            "memory_ms_per_client_round": 1e3 * float(h["memory_s"].sum()) / cr,
        })
    return pd.DataFrame(rows)


def all_compressor_runs(density: float = 0.01, s: int = 4, tau: float = 0.01,
                        dgc_steps_per_epoch: int = 1) -> list[Run]:
    """Dense SGD, then every compressor without and with error feedback where it can use it
    (seed 003 §IV-C.3, Table 2): top-k, random-k, threshold, QSGD (``s`` levels), signSGD
    (majority vote: no memory, it cannot use one), EF-signSGD, int8, fp16, and DGC (its own
    momentum-correcting memory, or none)."""
    runs: list[Run] = [("dense SGD", "dense", "none", {})]
    per = {"topk": {"density": density}, "randomk": {"density": density}, "threshold": {"tau": tau},
           "qsgd": {"s": s}, "int8": {}, "fp16": {}}
    for comp, p in per.items():
        runs.append((f"{comp}", comp, "none", p))
        runs.append((f"{comp} + EF", comp, "residual", p))
    runs.append(("signsgd (majority)", "signsgd", "none", {}))
    runs.append(("efsignsgd, no memory", "efsignsgd", "none", {}))
    runs.append(("efsignsgd + EF", "efsignsgd", "residual", {}))
    dgc = {"density": density, "steps_per_epoch": dgc_steps_per_epoch}
    runs.append(("dgc sparsifier only", "dgc", "none", dgc))
    runs.append(("dgc (momentum correction)", "dgc", "dgc", dgc))
    return runs


def esgd_drop_ratios(setting: Setting, drops: Sequence[float] = (0.5, 0.75, 0.875), *,
                     reuse: pd.DataFrame | None = None) -> pd.DataFrame:
    """eSGD's accuracy at gradient drop ratios (seed 003 §IV-C.3 and Table 2, Tao and Li [54]).

    eSGD sends the important coordinates and keeps the rest in a momentum residual; we model
    it as magnitude selection (top-k at density 1 − drop) with momentum residual accumulation
    (DGC's memory, no warm-up). Rows: the momentum-SGD baseline (drop 0), then one per drop
    ratio: ``accuracy``, ``loss``, exact ``bytes_up``, ``ratio``. ``reuse``: see :func:`run_curves`.
    """
    runs: list[Run] = [("momentum SGD", "momentum", "none", {})]
    for d in drops:
        if not 0 <= d < 1:
            raise ValueError(f"drop ratio must be in [0, 1), got {d!r}")
        runs.append((f"drop {d:.1%}", "dgc", "dgc", {"density": 1 - d, "warmup_epochs": 0}))
    s = summarize_curves(run_curves(setting, runs, reuse=reuse))
    s.insert(1, "drop_ratio", [0.0, *map(float, drops)])
    return s.drop(columns=[c for c in MEASURED if c in s])


def dgc_density_sweep(setting: Setting, densities: Sequence[float] = (0.01, 0.003, 0.001), *,
                      fed: Federation | None = None,
                      reuse: pd.DataFrame | None = None) -> pd.DataFrame:
    """DGC at decreasing final densities against momentum SGD (seed 003 §IV-C.3, Table 2, [53]).

    DGC runs with its memory (momentum correction, momentum-factor masking) and its warm-up
    (4 epochs, density 0.25^(e+1)). One row per density: ``accuracy``, ``points_lost``
    (baseline − ours, in accuracy points), the bytes of one message at the final density
    (``msg_values``, ``msg_indices``, ``msg_bytes``: exact, int32 indices), ``msg_ratio``
    (float32 bytes ÷ message bytes: the paper's measure), ``naive_ratio`` (1/density, values
    only, no indices) and ``run_ratio`` (all bytes of the run, warm-up included). ``reuse``:
    see :func:`run_curves` (e.g. the momentum-SGD baseline of :func:`momentum_baseline`).
    """
    fed = fed or setting.federation()
    spe = setting.steps_per_epoch(fed)
    runs: list[Run] = [("momentum SGD", "momentum", "none", {})]
    for d in densities:
        runs.append((f"dgc {d:g}", "dgc", "dgc", {"density": float(d), "steps_per_epoch": spe}))
    s = summarize_curves(run_curves(setting, runs, fed=fed, reuse=reuse))
    base = s.iloc[0]
    n = sum(p.numel() for p in fed.build_model(setting.seed).parameters())
    rows = []
    for d, (_, r) in zip(densities, s.iloc[1:].iterrows(), strict=True):
        b = byte_table(n, [("dgc", {"density": float(d), "warmup_epochs": 0})]).iloc[0]
        rows.append({"density": float(d), "accuracy": r["accuracy"],
                     "baseline_accuracy": base["accuracy"],
                     "points_lost": 100 * (base["accuracy"] - r["accuracy"]),
                     "msg_values": int(b["values"]), "msg_indices": int(b["indices"]),
                     "msg_bytes": int(b["bytes"]), "dense_bytes": int(b["dense_bytes"]),
                     "msg_ratio": float(b["ratio"]), "naive_ratio": 1.0 / float(d),
                     "run_ratio": float(r["ratio"])})
    return pd.DataFrame(rows)


def dgc_no_loss(sweep: pd.DataFrame, tolerance_points: float = 1.0) -> pd.Series:
    """The row of :func:`dgc_density_sweep` with the smallest density whose accuracy is within
    ``tolerance_points`` of the baseline, scanning from the largest density and stopping at the
    first loss (seed 003 §IV-C.3: "without losing accuracy"). Raises if even the largest loses."""
    tol = positive("tolerance_points", tolerance_points, allow_zero=True)
    ok = None
    for _, r in sweep.sort_values("density", ascending=False).iterrows():
        if r["points_lost"] > tol + 1e-9:
            break
        ok = r
    if ok is None:
        raise ValueError(f"tolerance_points: no density kept the accuracy within {tol} points; "
                         f"allowed: a larger tolerance or larger densities")
    return ok


def momentum_baseline(setting: Setting) -> pd.DataFrame:
    """The curves of uncompressed momentum SGD (m = 0.9), the baseline of DGC and eSGD
    (seed 003 §IV-C.3), to pass as ``reuse`` (see :func:`run_curves`)."""
    return run_curves(setting, [("momentum SGD", "momentum", "none", {})])


def rounds_to(curve: pd.Series | np.ndarray, target: float, *, above: bool = True) -> float:
    """First 1-based round at which ``curve`` reaches ``target`` (≥ when ``above``, else ≤);
    NaN when it never does (seed 003 §IV-C.1)."""
    c = np.asarray(curve, dtype=np.float64)
    hit = np.flatnonzero(c >= target if above else c <= target)
    return float(hit[0] + 1) if hit.size else float("nan")


def qsgd_levels(setting: Setting, levels: Sequence[int] = (1, 2, 4, 16),
                target: float = 0.9, *, error_feedback: bool = False) -> pd.DataFrame:
    """QSGD bits per coordinate against rounds to a target accuracy (seed 003 §IV-C.3, Table 2).

    One row per ``s`` (plus dense SGD first): ``bits`` (per coordinate, exact, from one message's
    bytes minus its norm), ``bytes_per_client_round``, ``rounds_to_target`` (NaN: never),
    ``bytes_to_target`` (all clients, uploaded until that round) and the final accuracy.
    """
    t = positive("target", target)
    mem = "residual" if error_feedback else "none"
    runs: list[Run] = [("dense SGD", "dense", "none", {})]
    runs += [(f"qsgd s={s}", "qsgd", mem, {"s": int(s)}) for s in levels]
    curves = run_curves(setting, runs)
    rows = []
    for (label, h), s in zip(curves.groupby("label", sort=False), [None, *levels], strict=True):
        r = rounds_to(h["accuracy"], t)
        n_params = int(h["dense_bytes_up"].iloc[0] // (4 * h["clients"].iloc[0]))
        per = float(h["bytes_up"].iloc[0]) / float(h["clients"].iloc[0])
        rows.append({"label": label, "s": 0 if s is None else int(s),
                     "bits": 8 * per / n_params,
                     "bytes_per_client_round": per, "rounds_to_target": r,
                     "bytes_to_target": float(h["cum_bytes_up"].iloc[int(r) - 1]) if r == r else float("nan"),
                     "accuracy": float(h["accuracy"].iloc[-1])})
    return pd.DataFrame(rows)


def sign_methods(setting: Setting) -> pd.DataFrame:
    """signSGD with majority vote and EF-signSGD with and without error feedback, beside dense
    SGD, on the clients of ``setting`` (give it a non-IID ``scheme``) (seed 003 §IV-C.3). Long
    format, every round (see :func:`run_curves`)."""
    runs: list[Run] = [("dense SGD", "dense", "none", {}),
                       ("signsgd (majority)", "signsgd", "none", {}),
                       ("efsignsgd, no memory", "efsignsgd", "none", {}),
                       ("efsignsgd + EF", "efsignsgd", "residual", {})]
    return run_curves(setting, runs)


def sparsified_convergence(setting: Setting, density: float = 0.01) -> pd.DataFrame:
    """SGD, top-k with error feedback and top-k without, every round (seed 003 §IV-C.3:
    sparsified SGD with memory, Stich et al. [55]). Long format (see :func:`run_curves`)."""
    runs: list[Run] = [("SGD", "dense", "none", {}),
                       ("top-k + EF", "topk", "residual", {"density": density}),
                       ("top-k, no memory", "topk", "none", {"density": density})]
    return run_curves(setting, runs)


def convergence_measure(curves: pd.DataFrame, reference: str = "SGD",
                        at: float = 0.5) -> pd.DataFrame:
    """How far each run's test-loss curve is from the reference's (seed 003 §IV-C.3).

    The target is the test loss the reference reaches at fraction ``at`` of the rounds;
    ``rounds_ratio`` is each run's rounds to that loss ÷ the reference's (1 = the same rate;
    NaN: never), ``final_loss_ratio`` its last loss ÷ the reference's last, and
    ``bytes_ratio`` the reference's bytes ÷ the run's.
    """
    ref = curves[curves["label"] == reference]
    if ref.empty:
        raise ValueError(f"reference must be one of the labels {sorted(set(curves['label']))}; "
                         f"got {reference!r}")
    n = len(ref)
    i = max(1, int(round(at * n)))
    target = float(ref["loss"].iloc[i - 1])
    r_ref = rounds_to(ref["loss"], target, above=False)
    rows = []
    for label, h in curves.groupby("label", sort=False):
        r = rounds_to(h["loss"], target, above=False)
        rows.append({"label": label, "target_loss": target, "rounds_to_target": r,
                     "rounds_ratio": r / r_ref,
                     "final_loss_ratio": float(h["loss"].iloc[-1] / ref["loss"].iloc[-1]),
                     "bytes_ratio": float(ref["bytes_up"].sum() / h["bytes_up"].sum())})
    return pd.DataFrame(rows)


def round_wall_clock(summary: pd.DataFrame, n_params: int,
                     links: Sequence[str] = ("lora", "nb-iot", "3g", "4g", "wifi5")) -> pd.DataFrame:
    """Simulated seconds of one synchronous round's communication per compressor on catalog
    links (seed 003 §IV-C.3; seed 001 §II-B link model): the dense float32 model down
    (``downlink_mbps``), the mean compressed upload of ``summary`` (bytes per client-round) up,
    one RTT each, from :func:`~edgelab.hardware.cost.transfer_time`. Local compute is not
    included. Long format: ``label``, ``link``, ``down_s``, ``up_s``, ``round_s``, ``speedup``
    (the dense round ÷ this one)."""
    n = integer_in("n_params", n_params, 1, 2**40)
    rows = []
    for link in links:
        lk = get_link(link)
        down = float(transfer_time(4.0 * n, lk.downlink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle))
        dense_up = float(transfer_time(4.0 * n, lk.uplink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle))
        for _, r in summary.iterrows():
            up = float(transfer_time(float(r["bytes_per_client_round"]), lk.uplink_mbps,
                                     lk.rtt_ms / 1e3, lk.duty_cycle))
            rows.append({"label": r["label"], "link": link, "down_s": down, "up_s": up,
                         "round_s": down + up, "speedup": (down + dense_up) / (down + up)})
    return pd.DataFrame(rows)


def resnet50_gradient_bytes(density: float = 0.001, seed: int = 0) -> pd.DataFrame:
    """The bytes of one ResNet-50 gradient, dense and at DGC's final density (seed 003 Table 2,
    DGC [53]: "from 97MB to 0.35MB").

    The zoo's ``resnet50`` gives the parameter count; the sparse row comes from a real DGC
    message of that many values (values + int32 indices). Columns: ``n_params``, ``bytes``,
    ``mib`` (2^20 bytes), ``mb`` (10^6 bytes), ``ratio`` (dense ÷ this), ``naive_ratio``
    (1/density).
    """
    from edgelab.models import build

    n = sum(p.numel() for p in build("resnet50", seed=seed).parameters())
    b = byte_table(n, [("dgc", {"density": float(density), "warmup_epochs": 0})],
                   seed=seed).iloc[0]
    rows = [{"message": "dense float32", "n_params": n, "values": 4 * n, "indices": 0,
             "bytes": 4 * n},
            {"message": f"DGC density {density:g}", "n_params": n, "values": int(b["values"]),
             "indices": int(b["indices"]), "bytes": int(b["bytes"])}]
    df = pd.DataFrame(rows)
    df["mib"] = df["bytes"] / 2**20
    df["mb"] = df["bytes"] / 1e6
    df["ratio"] = 4 * n / df["bytes"]
    df["naive_ratio"] = [1.0, 1.0 / float(density)]
    return df
