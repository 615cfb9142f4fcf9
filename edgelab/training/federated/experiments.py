"""The chapter's experiments as functions (seed 003 §IV-C.1, Table 2): short cells call these.

* :func:`fedavg_vs_fedsgd` -- rounds to a target accuracy, IID and non-IID (Table 2, FedAvg row:
  "Reduce communication rounds by 10-100 X as compared to synchronized stochastic gradient descent");
* :func:`ssgd_vs_local` -- SSGD against training solely on one's own data (Table 2, SSGD row:
  "the model accuracy beyond training solely");
* :func:`sweep` -- one run for the explorer widget (α, clients per round, local epochs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from edgelab._validate import integer_in, positive
from edgelab.training.federated.core import ClientConfig, make_trainer
from edgelab.training.federated.engine import Federation, simulate
from edgelab.training.federated.strategies import SSGD, FedAvg, FedSGD, check_fraction

__all__ = ["fedavg_vs_fedsgd", "ssgd_vs_local", "local_only_accuracy", "sweep"]


def fedavg_vs_fedsgd(feds: dict[str, Federation], target: float = 0.9, *, fraction: float = 0.25,
                     fedavg_lrs: Sequence[float] = (0.1,), fedavg_epochs: Sequence[int] = (20,),
                     batch_size: int = 10, fedsgd_lrs: Sequence[float] = (0.5, 1.0),
                     max_rounds: int = 400, seed: int = 0) -> pd.DataFrame:
    """Rounds to reach ``target`` test accuracy, FedAvg against FedSGD, per partition (seed 003 Table 2).

    As in McMahan et al., each method gets its best learning rate from a small grid (FedAvg also
    its best number of local epochs). Returns one row per partition with both round counts, the
    winning settings and ``speedup`` = FedSGD rounds / FedAvg rounds (NaN if either never
    reaches the target within ``max_rounds``).
    """
    rows = []
    for name, fed in feds.items():
        best_avg = (np.inf, None)
        for lr in fedavg_lrs:
            for e in fedavg_epochs:
                r = simulate(fed, FedAvg(fraction=fraction), ClientConfig(lr=lr, epochs=e, batch_size=batch_size),
                             max_rounds, seed=seed, target_accuracy=target, stop_at_target=True)
                n = r.rounds_to(target)
                if n < best_avg[0]:
                    best_avg = (n, (lr, e))
        best_sgd = (np.inf, None)
        for lr in fedsgd_lrs:
            r = simulate(fed, FedSGD(fraction=fraction), ClientConfig(lr=lr), max_rounds, seed=seed,
                         target_accuracy=target, stop_at_target=True)
            n = r.rounds_to(target)
            if n < best_sgd[0]:
                best_sgd = (n, lr)
        ra = best_avg[0] if np.isfinite(best_avg[0]) else np.nan
        rs = best_sgd[0] if np.isfinite(best_sgd[0]) else np.nan
        rows.append({"partition": name, "target": target, "fedavg_rounds": ra, "fedsgd_rounds": rs,
                     "speedup": rs / ra if ra and np.isfinite(ra) and np.isfinite(rs) else np.nan,
                     "fedavg_lr": best_avg[1][0] if best_avg[1] else np.nan,
                     "fedavg_epochs": best_avg[1][1] if best_avg[1] else np.nan,
                     "fedsgd_lr": best_sgd[1] if best_sgd[1] is not None else np.nan,
                     "fraction": fraction, "batch_size": batch_size})
    return pd.DataFrame(rows)


def local_only_accuracy(fed: Federation, client: ClientConfig, seed: int = 0) -> np.ndarray:
    """Test accuracy of each client's model trained solely on its own data (seed 003 Table 2, SSGD row)."""
    model = fed.build_model(seed)
    d = fed.data
    trainer = make_trainer("batched", model, d.x_train, d.y_train, fed.client_split.indices)
    w0 = trainer.spec.flatten(model)
    local = trainer.train(w0, np.arange(fed.n_clients), client, seed, 0)
    return np.array([trainer.evaluate(w, d.x_test, d.y_test)[0] for w in local])


def ssgd_vs_local(fed: Federation, rounds: int = 30, *, upload_fraction: float = 0.1,
                  fraction: float = 1.0, client: ClientConfig | None = None,
                  seed: int = 0) -> pd.DataFrame:
    """SSGD (top-|Δ| sharing) against FedAvg and against each client alone (seed 003 Table 2).

    Local-only clients get as many local epochs as a federated client gets in total. Returns
    one row per method: test accuracy and bytes sent up per client per round.
    """
    rounds = integer_in("rounds", rounds, 1, 10**6)
    check_fraction("upload_fraction", upload_fraction)
    client = client or ClientConfig(lr=0.1, epochs=2, batch_size=10)
    ss = simulate(fed, SSGD(fraction=fraction, upload_fraction=upload_fraction), client, rounds,
                  seed=seed, eval_every=rounds)
    fa = simulate(fed, FedAvg(fraction=fraction), client, rounds, seed=seed, eval_every=rounds)
    solo = local_only_accuracy(fed, client.with_(epochs=client.epochs * max(1, int(round(rounds * fraction)))), seed)
    per = lambda r: float(r.history["bytes_up"].sum() / max(1, r.client_rounds))  # noqa: E731
    return pd.DataFrame([
        {"method": f"SSGD (share {upload_fraction:.0%})", "accuracy": ss.accuracy, "bytes_up_per_client_round": per(ss)},
        {"method": "FedAvg (share 100%)", "accuracy": fa.accuracy, "bytes_up_per_client_round": per(fa)},
        {"method": "training solely (mean client)", "accuracy": float(solo.mean()), "bytes_up_per_client_round": 0.0},
        {"method": "training solely (best client)", "accuracy": float(solo.max()), "bytes_up_per_client_round": 0.0},
    ])


def sweep(alpha: float = 0.5, clients_per_round: int = 10, local_epochs: int = 1, *,
          n_clients: int = 50, rounds: int = 20, lr: float = 0.1, batch_size: int = 10,
          seed: int = 0) -> pd.DataFrame:
    """One FedAvg run for the explorer (seed 003 §IV-C.1): Dirichlet(``alpha``) clients,
    ``clients_per_round`` of ``n_clients`` sampled, ``local_epochs`` of SGD. Returns the
    history (accuracy, cumulative bytes per round)."""
    a = positive("alpha", alpha)
    m = integer_in("clients_per_round", clients_per_round, 1, n_clients)
    fed = Federation.digits(n_clients, "dirichlet", seed=seed, alpha=a)
    r = simulate(fed, FedAvg(fraction=m / fed.n_clients),
                 ClientConfig(lr=lr, epochs=integer_in("local_epochs", local_epochs, 1, 1000),
                              batch_size=batch_size), rounds, seed=seed)
    return r.history
