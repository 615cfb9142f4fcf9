"""Compressed federated averaging on the batched engine, and accuracy against bytes
(seed 003 §IV-C.3 and Table 2: DGC, eSGD, sparsified SGD with memory).

Each round the sampled clients train locally at once (the batched engine of
:mod:`edgelab.training.federated`), their model updates ``Δ = w_local − w_global`` (a
``(clients, P)`` tensor) go through one :class:`~edgelab.training.compression.communicator.Communicator`
exchange -- memory, compressor, exact bytes -- and the server adds ``server_lr`` × the aggregate.
With no compressor the update is sent dense (float32) and the run is FedAvg exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from edgelab._validate import integer_in, positive
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import transfer_time
from edgelab.training.compression.communicator import Communicator, make_communicator
from edgelab.training.federated.core import ClientConfig, make_trainer
from edgelab.training.federated.engine import Federation
from edgelab.training.federated.strategies import FLOAT_BYTES, FedAvg, check_fraction

__all__ = ["compressed_fedavg", "accuracy_vs_bytes", "upload_seconds", "byte_table"]


def upload_seconds(nbytes: np.ndarray | Sequence[int], link: str) -> float:
    """Simulated seconds until the slowest client's upload of a synchronous round arrives
    (seed 003 §IV-C.3; seed 001 §II-B link model): every client on catalog ``link``'s uplink,
    one RTT each, the cost model's :func:`~edgelab.hardware.cost.transfer_time`."""
    lk = get_link(link)
    t = transfer_time(np.asarray(nbytes, dtype=np.float64), lk.uplink_mbps, lk.rtt_ms / 1e3,
                      lk.duty_cycle)
    return float(np.max(t))


def compressed_fedavg(fed: Federation, comm: Communicator | None, rounds: int = 10, *,
                      fraction: float = 1.0, client: ClientConfig | None = None,
                      server_lr: float = 1.0, seed: int = 0,
                      link: str | None = None) -> pd.DataFrame:
    """FedAvg whose uploads are compressed by ``comm`` (``None``: dense float32) (seed 003 §IV-C.3).

    The round ``r`` (1-based) is the compressor's ``step = r − 1`` (DGC's epochs count rounds
    unless its ``steps_per_epoch`` says otherwise); client ids are the memory rows, so a
    client's residual waits for its next turn. Returns one row per round: ``accuracy``,
    ``loss``, ``clients``, exact ``bytes_up`` (all clients) and ``dense_bytes_up`` (float32),
    their running sums, and host seconds for local training, compression, decompression and
    the memory (compensate + update).
    Downloads (the dense global model) are not counted here. With a catalog ``link``,
    ``sim_upload_s`` and ``sim_dense_upload_s`` give :func:`upload_seconds` of the round's
    compressed and dense uploads.
    """
    rounds = integer_in("rounds", rounds, 1, 10**6)
    if link is not None:
        get_link(link)
    check_fraction("fraction", fraction)
    lr = positive("server_lr", server_lr)
    client = client or ClientConfig()
    strategy = FedAvg(fraction=fraction)
    model = fed.build_model(seed)
    d = fed.data
    trainer = make_trainer("batched", model, d.x_train, d.y_train, fed.client_split.indices)
    params = trainer.spec.flatten(model)
    n_params = int(params.numel())
    sizes = fed.client_split.sizes
    rows: list[dict[str, Any]] = []
    for rnd in range(1, rounds + 1):
        ids = strategy.sample(fed.n_clients, seed, rnd)
        t0 = time.perf_counter()
        local = trainer.train(params, ids, client, seed, rnd)
        train_s = time.perf_counter() - t0
        delta = local - params.unsqueeze(0)
        w = sizes[ids].astype(np.float64)
        if comm is None:
            update = strategy.weights(sizes[ids]) @ delta
            per_client = np.full(len(ids), FLOAT_BYTES * n_params, dtype=np.int64)
            c_s, d_s, m_s = 0.0, 0.0, 0.0
        else:
            ex = comm.exchange(delta, rows=ids, step=rnd - 1, weights=w)
            update, per_client = ex.update, ex.bytes_up
            c_s, d_s, m_s = ex.compress_s, ex.decompress_s, ex.memory_s
        params = params + lr * update
        acc, loss = trainer.evaluate(params, d.x_test, d.y_test)
        row = {"round": rnd, "clients": len(ids), "accuracy": acc, "loss": loss,
               "bytes_up": int(per_client.sum()), "dense_bytes_up": FLOAT_BYTES * n_params * len(ids),
               "train_s": train_s, "compress_s": c_s, "decompress_s": d_s, "memory_s": m_s}
        if link is not None:
            row["sim_upload_s"] = upload_seconds(per_client, link)
            row["sim_dense_upload_s"] = upload_seconds([FLOAT_BYTES * n_params], link)
        rows.append(row)
    hist = pd.DataFrame(rows)
    hist["cum_bytes_up"] = hist["bytes_up"].cumsum()
    hist["cum_dense_bytes_up"] = hist["dense_bytes_up"].cumsum()
    return hist


def accuracy_vs_bytes(fed: Federation, runs: Sequence[tuple[str, str, dict[str, Any]]],
                      rounds: int = 10, *, fraction: float = 1.0,
                      client: ClientConfig | None = None, server_lr: float = 1.0,
                      seed: int = 0, dense: bool = True) -> pd.DataFrame:
    """Final accuracy against uploaded bytes for compressor/memory pairs (seed 003 §IV-C.3, Table 2).

    ``runs`` holds ``(compressor, memory, params)`` triples for
    :func:`~edgelab.training.compression.communicator.make_communicator` (memory ``"none"`` or
    ``"residual"`` to compare with and without error feedback); ``dense`` adds the uncompressed
    FedAvg baseline first. One row per run: ``accuracy``, ``loss`` (last round), ``bytes_up``
    (all rounds and clients, exact), ``ratio`` (dense bytes / bytes) and host milliseconds per
    client-round for compression, decompression and the memory.
    """
    todo: list[tuple[str, str, Communicator | None]] = [("dense", "none", None)] if dense else []
    for comp, mem, params in runs:
        todo.append((comp, mem, make_communicator(comp, mem, **params)))
    out = []
    for comp, mem, comm in todo:
        h = compressed_fedavg(fed, comm, rounds, fraction=fraction, client=client,
                              server_lr=server_lr, seed=seed)
        cr = int(h["clients"].sum())
        out.append({"compressor": comp, "memory": mem if comm is None else comm.memory.name,
                    "accuracy": float(h["accuracy"].iloc[-1]),
                    "loss": float(h["loss"].iloc[-1]),
                    "bytes_up": int(h["bytes_up"].sum()),
                    "ratio": float(h["dense_bytes_up"].sum() / h["bytes_up"].sum()),
                    "compress_ms_per_client_round": 1e3 * float(h["compress_s"].sum()) / cr,
                    "decompress_ms_per_client_round": 1e3 * float(h["decompress_s"].sum()) / cr,
                    "memory_ms_per_client_round": 1e3 * float(h["memory_s"].sum()) / cr,
                    "rounds": rounds})
    return pd.DataFrame(out)




def byte_table(n_params: int, runs: Sequence[tuple[str, dict[str, Any]]], *, step: int = 0,
               seed: int = 0) -> pd.DataFrame:
    """The byte arithmetic of one gradient of ``n_params`` float32 values under each compressor
    (seed 003 §IV-C.3: DGC's 270–600× counts values and indices).

    Every row comes from compressing a seeded N(0, 1) gradient, not from a formula: the parts
    (``values``, ``indices``, ``norms``, ``signs``, ``header`` bytes, 0 where absent), ``bytes``
    in all, ``dense_bytes`` (4·n) and ``ratio``. ``runs`` holds ``(compressor, params)`` pairs.
    """
    n = integer_in("n_params", n_params, 1, 2**31)
    g = torch.randn(n, generator=torch.Generator().manual_seed(int(seed)))
    out = []
    for name, params in runs:
        msg = make_communicator(name, "none" if name != "efsignsgd" else "residual",
                                **params).compressor.compress(g, step=step)
        row: dict[str, Any] = {"compressor": name, "params": ", ".join(
            f"{k}={v}" for k, v in params.items())}
        for part in ("values", "indices", "norms", "signs", "header"):
            row[part] = int(msg.parts[part][0]) if part in msg.parts else 0
        row.update({"bytes": msg.total_bytes, "dense_bytes": msg.dense_bytes, "ratio": msg.ratio,
                    "index_dtype": msg.meta.get("index_dtype", "")})
        out.append(row)
    return pd.DataFrame(out)
