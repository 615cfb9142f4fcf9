"""Edge training (seed 003 §IV): federated learning; later gradient compression, split learning,
gossip, transfer and pipeline parallelism.

* :mod:`edgelab.training.federated`: FedSGD/FedAvg/SSGD/FedProx, FedCS, adaptive τ, Flower (§IV-A–§IV-C.2).
"""
