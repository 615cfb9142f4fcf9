"""Server-side strategies: which clients train, how they train, and how updates are merged.

As in Flower, a client runs a local update (:class:`~edgelab.training.federated.core.ClientConfig`) and a
strategy decides the rest. Seed 003 §IV-C.1 and Table 2:

* :class:`FedSGD` -- each sampled client takes one full-batch gradient step; the server averages
  (the "synchronized SGD" baseline of Table 2's FedAvg row);
* :class:`FedAvg` -- McMahan et al. [45]: several local SGD epochs, then a data-size-weighted
  average of the models ("iterative model averaging");
* :class:`SSGD` -- Shokri and Shmatikov [46]: clients upload only the largest ``upload_fraction``
  of their parameter changes ("selectively share small subsets of their model's key parameters");
* :class:`FedProx` -- FedAvg with a proximal term on the clients (robust to non-IID data).

Models travel as flat float32 vectors: ``(P,)`` for the global model, ``(K, P)`` for K clients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from edgelab._validate import positive
from edgelab.training.federated.core import ClientConfig

__all__ = ["Strategy", "FedAvg", "FedSGD", "SSGD", "FedProx", "check_fraction"]

FLOAT_BYTES = 4
INDEX_BYTES = 4


def check_fraction(name: str, value: float) -> float:
    """``value`` as a float in (0, 1], else a ``ValueError`` naming ``name`` (seed 003 §IV-C.1)."""
    v = positive(name, value)
    if v > 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], got {value!r}")
    return v


@dataclass(frozen=True)
class Strategy:
    """Base strategy: sample a ``fraction`` of clients each round and take their weighted mean.

    ``weighted=True`` weights client ``k`` by its number of samples ``n_k`` (FedAvg);
    ``False`` gives every sampled client the same weight.
    Seed 003 §IV-C.1.
    """

    fraction: float = 1.0
    weighted: bool = True

    name = "base"

    def __post_init__(self) -> None:
        check_fraction("fraction", self.fraction)

    def n_sampled(self, n_clients: int) -> int:
        """Clients per round: max(1, round(fraction × n_clients)) (seed 003 §IV-C.1)."""
        return max(1, int(round(self.fraction * n_clients)))

    def sample(self, n_clients: int, seed: int, rnd: int) -> np.ndarray:
        """The sorted client ids that train in round ``rnd`` (seeded by (seed, rnd)) (seed 003 §IV-C.1)."""
        m = self.n_sampled(n_clients)
        if m >= n_clients:
            return np.arange(n_clients)
        rng = np.random.default_rng([int(seed), int(rnd), 10_007])
        return np.sort(rng.choice(n_clients, size=m, replace=False))

    def client_config(self, base: ClientConfig) -> ClientConfig:
        """The local update the clients run under this strategy (seed 003 §IV-C.1)."""
        return base

    def weights(self, sizes: np.ndarray) -> torch.Tensor:
        """Aggregation weights (sum to 1) for clients with ``sizes`` samples (seed 003 §IV-C.1)."""
        w = np.asarray(sizes, dtype=np.float64) if self.weighted else np.ones(len(sizes))
        return torch.from_numpy(w / w.sum()).float()

    def aggregate(self, global_flat: torch.Tensor, local: torch.Tensor,
                  sizes: np.ndarray) -> torch.Tensor:
        """New global model from the clients' models ``local`` ``(K, P)`` (seed 003 §IV-C.1)."""
        return self.weights(sizes) @ local

    def upload_bytes(self, n_params: int) -> int:
        """Bytes one client sends up per round (seed 003 §IV-C.1)."""
        return FLOAT_BYTES * n_params

    def download_bytes(self, n_params: int) -> int:
        """Bytes one client receives per round (the global model) (seed 003 §IV-C.1)."""
        return FLOAT_BYTES * n_params


@dataclass(frozen=True)
class FedAvg(Strategy):
    """Federated averaging (McMahan et al. [45], seed 003 §IV-C.1): local SGD epochs, weighted mean."""

    name = "fedavg"


@dataclass(frozen=True)
class FedSGD(Strategy):
    """Federated SGD (seed 003 Table 2's baseline): one full-batch gradient step per client per
    round; averaging the stepped models equals one step along the weighted mean gradient."""

    name = "fedsgd"

    def client_config(self, base: ClientConfig) -> ClientConfig:
        """One epoch of one full-batch step, at the base learning rate (seed 003 §IV-C.1)."""
        return base.with_(epochs=1, batch_size=None, steps=None)


@dataclass(frozen=True)
class FedProx(Strategy):
    """FedProx (Li et al. 2020): FedAvg whose clients add μ/2·‖w − w_global‖² (seed 003 §IV-C.1,
    non-IID robustness)."""

    mu: float = 0.01
    name = "fedprox"

    def __post_init__(self) -> None:
        super().__post_init__()
        positive("mu", self.mu)

    def client_config(self, base: ClientConfig) -> ClientConfig:
        """The base update with ``prox_mu = mu`` (seed 003 §IV-C.1)."""
        return base.with_(prox_mu=self.mu)


@dataclass(frozen=True)
class SSGD(Strategy):
    """Selective SGD (Shokri and Shmatikov [46], seed 003 §IV-C.1 and Table 2).

    Each client trains locally, then uploads only the ``upload_fraction`` of its parameter
    changes with the largest magnitude (value + index); the server adds the weighted mean of
    these sparse changes to the global model. Clients download the full model here (the paper
    also lets them download a fraction). ``upload_fraction=1`` is FedAvg.
    """

    upload_fraction: float = 0.1
    name = "ssgd"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("upload_fraction", self.upload_fraction)

    def n_shared(self, n_params: int) -> int:
        """Parameters each client shares per round: ⌈upload_fraction × P⌉ (seed 003 §IV-C.1).

        The product is rounded to 9 decimals before the ceiling: in floats 0.07 × 100 is
        7.000000000000001, which must share 7 parameters, not 8.
        """
        return max(1, math.ceil(round(self.upload_fraction * n_params, 9)))

    def aggregate(self, global_flat: torch.Tensor, local: torch.Tensor,
                  sizes: np.ndarray) -> torch.Tensor:
        """Global + weighted mean of each client's top-|Δ| changes (seed 003 §IV-C.1)."""
        delta = local - global_flat.unsqueeze(0)
        k = self.n_shared(delta.shape[1])
        if k < delta.shape[1]:
            idx = delta.abs().topk(k, dim=1).indices
            sparse = torch.zeros_like(delta).scatter_(1, idx, delta.gather(1, idx))
        else:
            sparse = delta
        return global_flat + self.weights(sizes) @ sparse

    def upload_bytes(self, n_params: int) -> int:
        """Values and indices of the shared parameters (seed 003 §IV-C.1)."""
        k = self.n_shared(n_params)
        return k * FLOAT_BYTES + (k * INDEX_BYTES if k < n_params else 0)
