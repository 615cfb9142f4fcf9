"""Edge training (seed 003 §IV): federated learning, gradient compression, split learning,
transfer, gossip and pipeline parallelism.

* :mod:`edgelab.training.federated`: FedSGD/FedAvg/SSGD/FedProx, FedCS, adaptive τ, Flower (§IV-A–§IV-C.2).
* :mod:`edgelab.training.compression`: gradient compressors, error-feedback memories, the
  communicator and real-process runs (§IV-C.3).
* :mod:`edgelab.training.split_learning`: split learning, SplitFed v1/v2, Arden's knob and costs (§IV-C.4).
* :mod:`edgelab.training.transfer`: transfer of a teacher's first layers to a device (§IV-C.5).
* :mod:`edgelab.training.gossip` (with :mod:`~edgelab.training.gossip_cost`,
  :mod:`~edgelab.training.gossip_dist`, :mod:`~edgelab.training.gossip_study`) and
  :mod:`edgelab.training.gaia`: gossip training, GoSGD, GossipGraD, Gaia (§IV-A.2, §IV-C.6).
* :mod:`edgelab.training.pipeline_parallel`, :mod:`~edgelab.training.pipeline_gloo`,
  :mod:`~edgelab.training.parallelism`: pipeline and model parallelism, PipeDream (§IV-C.4).
"""
