"""The federated simulation loop: sample, train locally, aggregate, account bytes and time.

Seed 003 §IV-C.1 (FedAvg, FedSGD, SSGD) and §IV-B.5 (training latency). :func:`simulate` runs
``rounds`` rounds of a :class:`~edgelab.training.federated.strategies.Strategy` over a
:class:`Federation` with either engine (``"batched"`` or ``"sequential"``), and returns a
:class:`FedResult` whose ``history`` has one row per round: accuracy, loss, bytes up and down,
simulated seconds (when a :class:`~edgelab.training.federated.system.SystemModel` is given) and host
wall-clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._validate import choice, integer_in, positive
from edgelab.datasets import DataSplit, load_digits_split
from edgelab.training.federated.core import (
    DEFAULT_MEMORY_BUDGET_MB,
    ENGINES,
    ClientConfig,
    ParamSpec,
    make_trainer,
    steps_per_client,
)
from edgelab.training.federated.data_split import ClientSplit, split_clients
from edgelab.training.federated.strategies import SSGD, FedAvg, Strategy
from edgelab.training.federated.system import SystemModel

__all__ = ["Federation", "RoundPlan", "Selector", "RandomSelector", "FedResult", "simulate",
           "rounds_to_target", "CompressedUpload", "UploadCommunicator", "compressed_update",
           "exchange_rows"]


@dataclass
class Federation:
    """A federated task: a train/test split, its split over clients, a zoo model name (seed 003 §IV-C.1)."""

    data: DataSplit
    client_split: ClientSplit
    model_name: str = "digits_mlp"

    @classmethod
    def digits(cls, n_clients: int = 100, scheme: str = "dirichlet", seed: int = 0,
               model: str = "digits_mlp", test_size: float = 0.2, standardize: bool = False,
               **scheme_kw: float) -> Federation:
        """Digits (80/20 by default, split seed ``seed``) over ``n_clients`` clients (seed 003 §IV-C.1).

        ``scheme`` is ``iid``, ``dirichlet`` (``alpha=0.5``), ``shards`` or ``quantity``;
        ``standardize`` scales pixels with the training set's mean and deviation.
        """
        shape = "image" if model == "digits_cnn" else "flat"
        data = load_digits_split(seed=seed, test_size=test_size, shape=shape,
                                 standardize=standardize)
        part = split_clients(data.y_train.numpy(), n_clients, scheme, seed=seed, **scheme_kw)
        return cls(data, part, model)

    @property
    def n_clients(self) -> int:
        """Number of clients (seed 003 §IV-C.1)."""
        return self.client_split.n_clients

    def build_model(self, seed: int = 0) -> nn.Module:
        """A fresh zoo model with seeded initial weights (seed 003 §IV-C.1)."""
        from edgelab.models import build

        return build(self.model_name, seed=seed)


@dataclass(frozen=True)
class RoundPlan:
    """Who trains in a round, whose update is aggregated, and the simulated round time (seed 003 §IV-C.1)."""

    trained: np.ndarray
    aggregated: np.ndarray
    sim_s: float = float("nan")


class Selector(Protocol):
    """Chooses the clients of a round (seed 003 §IV-C.2: random, or FedCS by deadline)."""

    def plan(self, rnd: int, fed: Federation, strategy: Strategy, cfg: ClientConfig,
             up_bytes: int, down_bytes: int, seed: int) -> RoundPlan:
        """The round's :class:`RoundPlan` (seed 003 §IV-C.1)."""
        ...


def _batches(sizes: np.ndarray, cfg: ClientConfig) -> np.ndarray:
    return sizes if cfg.batch_size is None else np.minimum(sizes, cfg.batch_size)


@dataclass
class RandomSelector:
    """The strategy's random sample; the round lasts until the slowest client reports
    (synchronous FedAvg with stragglers) when a ``system`` is given (seed 003 §IV-C.2)."""

    system: SystemModel | None = None

    def plan(self, rnd: int, fed: Federation, strategy: Strategy, cfg: ClientConfig,
             up_bytes: int, down_bytes: int, seed: int) -> RoundPlan:
        """Sample with ``strategy.sample``; time the round with the system model (seed 003 §IV-C.1)."""
        ids = strategy.sample(fed.n_clients, seed, rnd)
        sim = float("nan")
        if self.system is not None:
            n = fed.client_split.sizes[ids]
            sim = self.system.round_time(ids, steps_per_client(n, cfg), _batches(n, cfg),
                                         up_bytes, down_bytes, rnd)
        return RoundPlan(ids, ids, sim)


@dataclass
class FedResult:
    """What :func:`simulate` returns: per-round ``history`` and the final model (seed 003 §IV-C.1)."""

    history: pd.DataFrame
    params: torch.Tensor
    spec: ParamSpec
    engine: str
    backend: str
    strategy: str
    train_s: float
    client_rounds: int
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Test accuracy after the last evaluated round (seed 003 §IV-C.1)."""
        return float(self.history["accuracy"].dropna().iloc[-1])

    @property
    def ms_per_client_round(self) -> float:
        """Host milliseconds of local training + aggregation per client per round (seed 003 §IV-C.1)."""
        return 1e3 * self.train_s / max(1, self.client_rounds)

    @property
    def warm_ms_per_client_round(self) -> float:
        """As :attr:`ms_per_client_round` but without the first round (warm-up) (seed 003 §IV-C.1)."""
        h = self.history.iloc[1:] if len(self.history) > 1 else self.history
        return 1e3 * float(h["train_s"].sum()) / max(1, int(h["clients"].sum()))

    def rounds_to(self, target: float) -> float:
        """First round whose test accuracy ≥ ``target`` (NaN if never reached) (seed 003 §IV-C.1)."""
        return rounds_to_target(self.history, target)


def rounds_to_target(history: pd.DataFrame, target: float) -> float:
    """First round with ``accuracy ≥ target`` in a history (seed 003 Table 2, FedAvg row); NaN if none."""
    hit = history.loc[history["accuracy"] >= target, "round"]
    return float(hit.iloc[0]) if len(hit) else float("nan")


@runtime_checkable
class UploadCommunicator(Protocol):
    """What the engine needs of a gradient communicator (seed 003 §IV-C.3): a ``compressor``
    with ``name`` and ``aggregate``, a ``memory`` with ``name``, and ``transmit``. It is
    :class:`edgelab.training.compression.communicator.Communicator` (made by
    ``make_communicator``); the engine names only this shape, so that the compression package
    can build on the engine without a cycle."""

    compressor: Any
    memory: Any

    def transmit(self, grads: torch.Tensor, *, rows: Any = None,
                 step: int = 0) -> tuple[torch.Tensor, Any, tuple[float, float, float]]:
        """Compensate, compress, decompress, update the memory (seed 003 §IV-C.3)."""
        ...


@dataclass(frozen=True)
class CompressedUpload:
    """What :func:`compressed_update` returns for one round (seed 003 §IV-C.3): the new global
    model, the exact bytes each client sent ``(K,)`` and host seconds spent compressing,
    decompressing and in the memory."""

    params: torch.Tensor
    bytes_up: np.ndarray
    compress_s: float
    decompress_s: float
    memory_s: float


def exchange_rows(n_params: int, memory_budget_mb: float | None) -> int | None:
    """Client rows per compressed exchange under ``memory_budget_mb`` (about four float32 copies
    of a row are alive at once: compensated, encoded, decompressed, residual); ``None`` when
    unbounded (seed 003 §IV-C.3)."""
    if memory_budget_mb is None:
        return None
    return max(1, int(memory_budget_mb * 2**20 // (16 * max(1, n_params))))


def compressed_update(comm: UploadCommunicator, global_flat: torch.Tensor, local: torch.Tensor,
                      clients: np.ndarray, weights: torch.Tensor, *, step: int,
                      server_lr: float = 1.0, chunk_rows: int | None = None) -> CompressedUpload:
    """Compressed FedAvg aggregation (seed 003 §IV-C.3 on §IV-C.1's loop).

    Each client uploads its update ``Δ = w_local − w_global`` through ``comm`` (memory rows are
    the client ids ``clients``, so each client keeps its own residual), the stacked rows are
    sent ``chunk_rows`` at a time (``None``: all at once; the result is the same), and the server
    adds ``server_lr`` × the compressor's aggregate of the decompressed rows (weighted mean, or
    signSGD's majority vote). ``local`` ``(K, P)`` is overwritten (it becomes the decompressed
    updates).
    """
    delta = local.sub_(global_flat.unsqueeze(0))
    ids = torch.as_tensor(np.asarray(clients, dtype=np.int64))
    k = delta.shape[0]
    step_rows = k if chunk_rows is None else chunk_rows
    nbytes = np.zeros(k, dtype=np.int64)
    c_s = d_s = m_s = 0.0
    for lo in range(0, k, step_rows):
        hi = min(k, lo + step_rows)
        dense, msg, (c, d, m) = comm.transmit(delta[lo:hi], rows=ids[lo:hi], step=step)
        delta[lo:hi] = dense
        nbytes[lo:hi] = msg.nbytes
        c_s, d_s, m_s = c_s + c, d_s + d, m_s + m
    update = comm.compressor.aggregate(delta, weights)
    return CompressedUpload(global_flat + server_lr * update, nbytes, c_s, d_s, m_s)


def simulate(fed: Federation, strategy: Strategy | None = None, client: ClientConfig | None = None,
             rounds: int = 20, *, seed: int = 0, engine: str = "batched",
             system: SystemModel | None = None, selector: Selector | None = None,
             eval_every: int = 1, target_accuracy: float | None = None,
             stop_at_target: bool = False, time_budget_s: float | None = None,
             compression: UploadCommunicator | None = None, server_lr: float = 1.0,
             memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB) -> FedResult:
    """Run federated training and return its per-round history (seed 003 §IV-C.1, Table 2).

    ``strategy`` defaults to :class:`FedAvg` with every client; ``client`` to SGD lr 0.05, batch
    10, one epoch. ``engine`` is ``"batched"`` (all sampled clients at once) or ``"sequential"``
    (the reference loop); for the same seed both give the same model up to float rounding.
    ``system`` adds simulated seconds per round from the cost model; ``selector`` replaces the
    strategy's random sampling (e.g. :class:`~edgelab.training.federated.fedcs.FedCSSelector`).
    ``stop_at_target`` ends at the first round reaching ``target_accuracy``; ``time_budget_s``
    ends once the simulated time is spent.

    ``compression`` (a :class:`~edgelab.training.compression.communicator.Communicator`, seed 003
    §IV-C.3) compresses every client's upload ``Δ`` with its memory (error feedback per client
    id) and the server adds ``server_lr`` × the aggregate (:func:`compressed_update`);
    ``bytes_up`` is then the exact encoded bytes, and the history gains ``dense_bytes_up``,
    ``compress_s``, ``decompress_s`` and ``memory_s`` (host seconds, inside ``train_s``). The
    system model times a round's upload with the previous round's largest message (dense in
    round 1). Not with :class:`~edgelab.training.federated.strategies.SSGD`, whose own top-k
    it would repeat. ``memory_budget_mb`` bounds the batched engine's stacked tensors (it
    trains and compresses in chunks of clients when needed; the model is the same).
    """
    strategy = strategy or FedAvg()
    client = client or ClientConfig()
    rounds = integer_in("rounds", rounds, 1, 10**6)
    eval_every = integer_in("eval_every", eval_every, 1, 10**6)
    choice("engine", engine, ENGINES)
    if target_accuracy is not None:
        t = positive("target_accuracy", target_accuracy)
        if t > 1:
            raise ValueError(f"target_accuracy must be in (0, 1], got {target_accuracy!r}")
    if stop_at_target and target_accuracy is None:
        raise ValueError("stop_at_target needs target_accuracy")
    budget = None if time_budget_s is None else positive("time_budget_s", time_budget_s)
    if budget is not None and system is None and selector is None:
        raise ValueError("time_budget_s needs a system model (simulated time)")
    if system is not None and system.n_clients != fed.n_clients:
        raise ValueError(f"system describes {system.n_clients} clients, the federation has "
                         f"{fed.n_clients}")
    selector = selector or RandomSelector(system)
    if compression is not None:
        if not isinstance(compression, UploadCommunicator):
            raise ValueError(f"compression must be a Communicator (make_communicator), got "
                             f"{type(compression).__name__}")
        if isinstance(strategy, SSGD):
            raise ValueError("compression cannot be combined with strategy 'ssgd' (it already "
                             "sends a top-k of each update); use FedAvg with compressor 'topk'")
    server_lr = positive("server_lr", server_lr)

    model = fed.build_model(seed)
    d = fed.data
    trainer = make_trainer(engine, model, d.x_train, d.y_train, fed.client_split.indices,
                           memory_budget_mb=memory_budget_mb)
    spec = trainer.spec
    params = spec.flatten(model)
    cfg = strategy.client_config(client)
    up_b, down_b = strategy.upload_bytes(spec.numel), strategy.download_bytes(spec.numel)
    sizes = fed.client_split.sizes
    rows: list[dict[str, object]] = []
    train_s, client_rounds, sim_total, wall0 = 0.0, 0, 0.0, time.perf_counter()
    for rnd in range(1, rounds + 1):
        plan = selector.plan(rnd, fed, strategy, cfg, up_b, down_b, seed)
        agg = np.asarray(plan.aggregated, dtype=np.int64)
        t0 = time.perf_counter()
        comp: CompressedUpload | None = None
        if len(agg):
            local = trainer.train(params, agg, cfg, seed, rnd)
            if compression is None:
                params = strategy.aggregate(params, local, sizes[agg])
            else:
                comp = compressed_update(compression, params, local, agg,
                                         strategy.weights(sizes[agg]), step=rnd - 1,
                                         server_lr=server_lr,
                                         chunk_rows=exchange_rows(spec.numel, memory_budget_mb))
                params = comp.params
        dt = time.perf_counter() - t0
        train_s += dt
        client_rounds += len(agg)
        sim_total += 0.0 if np.isnan(plan.sim_s) else plan.sim_s
        acc = loss = float("nan")
        if rnd % eval_every == 0 or rnd == rounds:
            acc, loss = trainer.evaluate(params, d.x_test, d.y_test)
        row: dict[str, object] = {
            "round": rnd, "clients": len(agg), "trained": len(plan.trained),
            "accuracy": acc, "loss": loss,
            "bytes_up": int(len(agg) * up_b), "bytes_down": int(len(plan.trained) * down_b),
            "train_s": dt, "sim_round_s": plan.sim_s, "sim_time_s": sim_total,
            "wall_s": time.perf_counter() - wall0}
        if compression is not None:
            row.update({"bytes_up": 0 if comp is None else int(comp.bytes_up.sum()),
                        "dense_bytes_up": int(len(agg) * spec.nbytes),
                        "compress_s": 0.0 if comp is None else comp.compress_s,
                        "decompress_s": 0.0 if comp is None else comp.decompress_s,
                        "memory_s": 0.0 if comp is None else comp.memory_s})
            if comp is not None and len(comp.bytes_up):
                up_b = int(comp.bytes_up.max())  # the next round's plan times this upload
        rows.append(row)
        if stop_at_target and acc >= target_accuracy:  # type: ignore[operator]
            break
        if budget is not None and sim_total >= budget:
            break
    hist = pd.DataFrame(rows)
    hist["cum_bytes"] = (hist["bytes_up"] + hist["bytes_down"]).cumsum()
    if hist["sim_round_s"].isna().all():
        hist["sim_time_s"] = np.nan
    return FedResult(hist, params, spec, engine, getattr(trainer, "backend", "autograd"),
                     strategy.name, train_s, client_rounds,
                     {"rounds": rounds, "seed": seed, "engine": engine, "strategy": strategy.name,
                      "fraction": strategy.fraction, "lr": cfg.lr, "epochs": cfg.epochs,
                      "batch_size": cfg.batch_size, "clients": fed.n_clients,
                      "partition": fed.client_split.scheme, **{f"partition_{k}": v for k, v in
                                                            fed.client_split.params.items()
                                                            if k not in ("n_clients", "seed")},
                      **({} if compression is None else {
                          "compressor": compression.compressor.name,
                          "memory": compression.memory.name, "server_lr": server_lr})})
