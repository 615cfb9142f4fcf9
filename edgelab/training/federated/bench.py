"""The federated simulator's benchmark workload: FedAvg on 100 digit clients (seed 003 §IV-C.1).

Digits, 80/20 split with seed 0, 100 clients by Dirichlet(0.5), the MLP 64-64-10, FedAvg with
every client each round, 1 local epoch of SGD (lr 0.05, batch 10), 20 rounds. One function runs
it with any engine: ``batched``, ``sequential`` or ``flower`` (Flower simulation, needs the
``edgelab[flower]`` extra), with or without compressed uploads (top-k with error feedback,
seed 003 §IV-C.3) on the batched engine.

Digits has 1 437 training samples: past :data:`DIGITS_MAX_CLIENTS` clients (fewer than one
10-sample batch each on average) ``data="auto"`` switches to seeded synthetic data of the same
shape (64 features, 10 classes) with digits' per-client share at 100 clients
(:data:`SYNTHETIC_PER_CLIENT` samples per client), so that the work per client stays that of the
benchmark workload; the result says which data ran.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

import numpy as np
import torch

from edgelab._validate import choice, integer_in, positive

__all__ = ["BENCH_ENGINES", "BENCH_DATA", "BENCH_COMPRESSORS", "DIGITS_MAX_CLIENTS",
           "SYNTHETIC_PER_CLIENT", "run_fedavg_bench", "synthetic_federation", "peak_rss_mb",
           "bench_data", "BENCH_MEMORY_BUDGET_MB"]

BENCH_ENGINES = ("batched", "sequential", "flower")
BENCH_DATA = ("auto", "digits", "synthetic")
#: Upload compression the benchmark runs: none, top-k with residual error feedback, or QSGD
#: (``levels`` levels, no memory).
BENCH_COMPRESSORS = ("none", "topk", "qsgd")
#: Digits' 1 437 training samples give every one of this many clients at least one 10-sample
#: batch on average.
DIGITS_MAX_CLIENTS = 143
#: The benchmark's bound on the batched engine's stacked tensors per pass, MiB. Smaller than the
#: engine's default (256): at 10 000 clients, passes of a few hundred clients ran faster on the
#: 2-core development machine than passes of a few thousand (the stack stays nearer the CPU
#: caches), and peak RSS fell; at 100 digit clients all fit in one pass either way.
BENCH_MEMORY_BUDGET_MB = 32.0
#: Synthetic samples per client: digits' training samples per client at 100 clients (1437 // 100).
SYNTHETIC_PER_CLIENT = 14


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (``getrusage``; Linux reports KiB,
    macOS bytes) (seed 003 §IV-C.1: the memory a simulation needs)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def bench_data(data: str, clients: int) -> str:
    """The data the benchmark runs for ``data`` (``auto``, ``digits``, ``synthetic``) at
    ``clients`` clients (seed 003 §IV-C.1): ``auto`` is digits up to :data:`DIGITS_MAX_CLIENTS`
    clients, synthetic beyond."""
    choice("data", data, BENCH_DATA)
    if data == "auto":
        return "digits" if clients <= DIGITS_MAX_CLIENTS else "synthetic"
    return data


def synthetic_federation(clients: int, seed: int = 0, per_client: int = SYNTHETIC_PER_CLIENT,
                         alpha: float = 0.5) -> Any:
    """A seeded digits-shaped federation of ``clients`` Dirichlet(``alpha``) clients
    (seed 003 §IV-C.1, the thousands of devices of federated settings).

    ``clients × per_client`` training samples (and a fifth as many test samples): labels uniform
    over 10 classes, features a class centre (N(0, 0.5²) per feature, drawn once) plus N(0, 1)
    noise, all from ``numpy.random.default_rng(seed)``, float32 throughout. Written with numpy,
    not scikit-learn's ``make_classification``, which at 10 000 clients took 8 s and 250 MB more
    peak memory here. Every client holds at least one sample.
    """
    from edgelab.datasets import DataSplit
    from edgelab.training.federated.data_split import split_clients
    from edgelab.training.federated.engine import Federation

    k = integer_in("clients", clients, 1, 10**7)
    m = integer_in("per_client", per_client, 1, 10**6)
    n_train = k * m
    n_test = max(10, n_train // 5)
    rng = np.random.default_rng(int(seed))
    centres = (0.5 * rng.standard_normal((10, 64))).astype(np.float32)
    y = rng.integers(0, 10, n_train + n_test)
    x = rng.standard_normal((n_train + n_test, 64), dtype=np.float32)
    x += centres[y]
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.int64))
    data = DataSplit(xt[:n_train], yt[:n_train], xt[n_train:], yt[n_train:], 10)
    part = split_clients(y[:n_train].astype(np.int64), k, "dirichlet", seed=int(seed), alpha=alpha)
    return Federation(data, part, "digits_mlp")


def run_fedavg_bench(engine: str = "batched", clients: int = 100, rounds: int = 20, seed: int = 0,
                     threads: int | None = 1, *, compressor: str = "none", density: float = 0.01,
                     levels: int = 4,
                     data: str = "auto", memory_budget_mb: float | None = BENCH_MEMORY_BUDGET_MB,
                     communicator: Any = None) -> dict[str, Any]:
    """Run the benchmark workload; returns ``ms_per_client_round`` (warm: rounds after the
    first), ``wall_s`` (this call, data loading included), ``accuracy``, ``peak_rss_mb`` (this
    process) and the settings (seed 003 §IV-C.1). ``threads`` sets ``torch.set_num_threads``
    (None: leave it).

    ``compressor="topk"`` sends each client's update as its top ``density`` share of values and
    int32 indices, with residual error feedback per client; ``"qsgd"`` quantizes it to
    ``levels`` levels of its norm (seed 003 §IV-C.3; batched engine only);
    ``bytes_up_per_client_round`` is then exact, and the compression, decompression and memory
    milliseconds per client-round are given beside it. ``data`` is ``auto`` (digits up to
    :data:`DIGITS_MAX_CLIENTS` clients, else synthetic), ``digits`` or ``synthetic``.
    ``memory_budget_mb`` bounds the batched engine's stacked tensors (it chunks clients).
    ``communicator`` is the communicator to use (``make_communicator("topk", "residual",
    density=density)`` or ``make_communicator("qsgd", "none", s=levels)``, built by the caller:
    the compression package builds on this one); required with a compressor, and it must match.
    """
    choice("engine", engine, BENCH_ENGINES)
    clients = integer_in("clients", clients, 1, 100_000)
    rounds = integer_in("rounds", rounds, 1, 100_000)
    seed = integer_in("seed", seed, 0, 2**32 - 1)
    choice("compressor", compressor, BENCH_COMPRESSORS)
    levels = integer_in("levels", levels, 1, 2**15)
    dens = positive("density", density)
    if dens > 1:
        raise ValueError(f"density must be a fraction in (0, 1], got {density!r}")
    if memory_budget_mb is not None:
        positive("memory_budget_mb", memory_budget_mb)
    kind = bench_data(data, clients)
    if compressor != "none" and engine != "batched":
        raise ValueError(f"compressor {compressor!r} runs on engine 'batched' only, got {engine!r}")
    if kind == "synthetic" and engine == "flower":
        raise ValueError("engine 'flower' runs on digits only; use --data digits (at most "
                         f"{DIGITS_MAX_CLIENTS} clients for one batch each) or another engine")
    if threads is not None:
        torch.set_num_threads(integer_in("threads", threads, 1, 1024))
    t0 = time.perf_counter()
    settings = {"engine": engine, "clients": clients, "rounds": rounds, "seed": seed,
                "partition": "dirichlet", "alpha": 0.5, "model": "digits_mlp", "lr": 0.05,
                "batch_size": 10, "epochs": 1, "fraction": 1.0, "standardize": True,
                "threads": torch.get_num_threads()}
    if engine == "flower":
        from edgelab.training.federated.flower import FlowerSettings, run_flower_simulation

        r = run_flower_simulation(FlowerSettings(n_clients=clients, rounds=rounds, seed=seed))
        return {"ms_per_client_round": r.ms_per_client_round, "wall_s": time.perf_counter() - t0,
                "accuracy": r.accuracy[-1], "ms_per_client_round_all": r.ms_per_client_round,
                "train_s": r.rounds_s, "peak_rss_mb": peak_rss_mb(), "data": kind, **settings}
    from edgelab.training.federated.core import ClientConfig
    from edgelab.training.federated.engine import Federation, simulate
    from edgelab.training.federated.strategies import FedAvg

    if kind == "digits":
        fed = Federation.digits(clients, "dirichlet", seed=seed, alpha=0.5, standardize=True)
    else:
        fed = synthetic_federation(clients, seed)
        settings.update({"standardize": False, "samples_per_client": SYNTHETIC_PER_CLIENT})
    comm = None
    if compressor != "none":
        comm = communicator
        c = getattr(comm, "compressor", None)
        want = ({"density": dens, "memory": "residual"} if compressor == "topk"
                else {"s": levels, "memory": "none"})
        got = {k: (getattr(getattr(comm, "memory", None), "name", None) if k == "memory"
                   else getattr(c, k, None)) for k in want}
        if getattr(c, "name", None) != compressor or got != want:
            args = ", ".join(f"{k}={v!r}" for k, v in want.items() if k != "memory")
            raise ValueError(f"compressor {compressor!r} needs communicator=make_communicator("
                             f"{compressor!r}, {want['memory']!r}, {args})")
        settings.update({"compressor": compressor, **want})
    res = simulate(fed, FedAvg(fraction=1.0), ClientConfig(lr=0.05, epochs=1, batch_size=10),
                   rounds, seed=seed, engine=engine, eval_every=rounds, compression=comm,
                   memory_budget_mb=memory_budget_mb)
    out = {"ms_per_client_round": res.warm_ms_per_client_round, "wall_s": time.perf_counter() - t0,
           "accuracy": res.accuracy, "ms_per_client_round_all": res.ms_per_client_round,
           "train_s": res.train_s, "backend": res.backend, "peak_rss_mb": peak_rss_mb(),
           "data": kind,
           "bytes_up_per_client_round": float(res.history["bytes_up"].sum()
                                              / max(1, res.client_rounds)), **settings}
    if comm is not None:
        h = res.history.iloc[1:] if len(res.history) > 1 else res.history
        cr = max(1, int(h["clients"].sum()))
        out.update({"compress_ms_per_client_round": 1e3 * float(h["compress_s"].sum()) / cr,
                    "decompress_ms_per_client_round": 1e3 * float(h["decompress_s"].sum()) / cr,
                    "memory_ms_per_client_round": 1e3 * float(h["memory_s"].sum()) / cr})
    return out
