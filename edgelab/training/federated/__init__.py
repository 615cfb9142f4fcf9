"""Federated learning at the edge (seed 003 §IV-A to §IV-C.2, Table 2).

Client data splitters (:func:`split_clients`: IID, Dirichlet label skew, shards, quantity
skew), strategies (FedSGD, FedAvg, SSGD, FedProx), two engines (sequential reference, batched), byte and simulated-time
accounting, FedCS client selection, adaptive aggregation frequency, and a Flower adapter
(:mod:`edgelab.training.federated.flower`, needs the ``edgelab[flower]`` extra).
"""

from edgelab.training.federated.core import ClientConfig, ParamSpec, client_plan, steps_per_client
from edgelab.training.federated.data_split import (
    ClientSplit,
    dirichlet,
    iid,
    label_histogram,
    quantity_skew,
    shards,
    split_clients,
)
from edgelab.training.federated.engine import (
    Federation,
    FedResult,
    RandomSelector,
    RoundPlan,
    rounds_to_target,
    simulate,
)
from edgelab.training.federated.strategies import SSGD, FedAvg, FedProx, FedSGD, Strategy
from edgelab.training.federated.system import SystemModel

__all__ = [
    "ClientConfig", "ParamSpec", "client_plan", "steps_per_client",
    "Federation", "FedResult", "RandomSelector", "RoundPlan", "rounds_to_target", "simulate",
    "ClientSplit", "dirichlet", "iid", "label_histogram", "split_clients", "quantity_skew", "shards",
    "SSGD", "FedAvg", "FedProx", "FedSGD", "Strategy", "SystemModel",
]
