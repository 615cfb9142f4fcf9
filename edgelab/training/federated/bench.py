"""The federated simulator's benchmark workload: FedAvg on 100 digit clients (seed 003 §IV-C.1).

Digits, 80/20 split with seed 0, 100 clients by Dirichlet(0.5), the MLP 64-64-10, FedAvg with
every client each round, 1 local epoch of SGD (lr 0.05, batch 10), 20 rounds. One function runs
it with any engine: ``batched``, ``sequential`` or ``flower`` (Flower simulation, needs the
``edgelab[flower]`` extra).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from edgelab._validate import choice, integer_in

__all__ = ["BENCH_ENGINES", "run_fedavg_bench"]

BENCH_ENGINES = ("batched", "sequential", "flower")


def run_fedavg_bench(engine: str = "batched", clients: int = 100, rounds: int = 20, seed: int = 0,
                     threads: int | None = 1) -> dict[str, Any]:
    """Run the benchmark workload; returns ``ms_per_client_round`` (warm: rounds after the
    first), ``wall_s`` (this call, data loading included), ``accuracy`` and the settings
    (seed 003 §IV-C.1). ``threads`` sets ``torch.set_num_threads`` (None: leave it)."""
    choice("engine", engine, BENCH_ENGINES)
    clients = integer_in("clients", clients, 1, 100_000)
    rounds = integer_in("rounds", rounds, 1, 100_000)
    seed = integer_in("seed", seed, 0, 2**32 - 1)
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
                "train_s": r.rounds_s, **settings}
    from edgelab.training.federated.core import ClientConfig
    from edgelab.training.federated.engine import Federation, simulate
    from edgelab.training.federated.strategies import FedAvg

    fed = Federation.digits(clients, "dirichlet", seed=seed, alpha=0.5, standardize=True)
    res = simulate(fed, FedAvg(fraction=1.0), ClientConfig(lr=0.05, epochs=1, batch_size=10),
                   rounds, seed=seed, engine=engine, eval_every=rounds)
    return {"ms_per_client_round": res.warm_ms_per_client_round, "wall_s": time.perf_counter() - t0,
            "accuracy": res.accuracy, "ms_per_client_round_all": res.ms_per_client_round,
            "train_s": res.train_s, "backend": res.backend, **settings}
