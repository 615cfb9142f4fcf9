"""Gossip training without a server: GoSGD, gossiping SGD, GossipGraD, and EASGD as the baseline.

Seed 003 §IV-A.2 (decentralised training: "each node trains its own DNN model with its local
data ... and exchanges updates with its neighbours") and §IV-C.6 (gossip training: GoSGD,
gossiping SGD, GossipGraD), Table 2. ``n`` nodes are simulated in one process as the batched
federated engine does (:mod:`edgelab.training.federated.core`): a ``(n, P)`` tensor of flat
parameters, one mini-batch SGD step per node per iteration through
``torch.func.vmap(grad_and_value(functional_call))``, then one *mixing* step
``X ← W X`` with a row-stochastic matrix ``W`` whose nonzeros are the messages of that
iteration. The algorithms differ only in ``W``:

=================  ============================================================================
``allreduce``      ``W = J = 1/n`` (exact average; priced as ring all-reduce)
``metropolis``     the topology's Metropolis-Hastings weights, every node talks to every
                   neighbour every iteration (the decentralised SGD of a fixed graph)
``gossiping_sgd``  Jin et al.: every node pulls the model of *one* random neighbour and
                   averages with it (``W[i, i] = W[i, j] = 1/2``)
``gosgd``          Blot et al.: with probability ``p`` a node pushes half its weight ``a_i`` and
                   its model to one random neighbour, which mixes with weights ``a_j, a_i/2``
                   (push-sum: the ``a``-weighted average is conserved)
``gossipgrad``     Daily et al.: partner rotation, node ``i`` sends to ``i + 2^k mod n`` with
                   ``k = t mod ceil(log2 n)``; ``W = (I + P^(2^k)) / 2``. After ``log2 n`` steps
                   (``n`` a power of two) the product of the ``W`` is exactly ``J``: every node
                   has heard from every other, indirectly.
``easgd``          Zhang et al.'s elastic averaging with a centre variable ``x~`` (a parameter
                   server), every ``tau`` steps: ``x_i -= a (x_i - x~)``, ``x~ += a Σ (x_i - x~)``
=================  ============================================================================

Bytes are counted per message (one float32 model, ``4 P`` bytes; GoSGD adds its 4-byte weight)
and reported at the busiest node (sent + received). Iteration time is priced with
:mod:`edgelab.hardware.cost` (``model_latency`` for the SGD step, ``transfer_time`` per message)
by :func:`iteration_time`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._validate import choice, integer_in, positive
from edgelab.errors import EdgelabError, ParameterError
from edgelab.training.gossip_cost import (
    allreduce_time,
    gossip_crossover_bytes,
    gossip_exchange_time,
)

__all__ = [
    "TOPOLOGIES", "ALGORITHMS", "topology", "check_connected", "mixing_matrix", "spectral_gap",
    "gossipgrad_shift", "gossipgrad_matrix", "GossipConfig", "GossipResult", "GossipTask",
    "run_gossip", "iteration_time", "allreduce_time", "gossip_crossover_bytes",
    "consensus_distance", "local_sgd_step", "gossip_exchange_time", "run_compressed_gossip", "DivergedError",
]

TOPOLOGIES = ("ring", "random", "complete")
ALGORITHMS = ("allreduce", "metropolis", "gossiping_sgd", "gosgd", "gossipgrad", "easgd")
#: Bytes of one float32 value.
FLOAT_BYTES = 4


# ----------------------------------------------------------------------------- topologies
def check_connected(g: nx.Graph) -> nx.Graph:
    """Return ``g`` if it is connected; else raise naming the nodes cut off (seed 003 §IV-A.2).

    Gossip only reaches consensus on a connected graph: a node outside the largest component
    never hears the others. Nodes must be ``0 .. n-1``.
    """
    if not isinstance(g, nx.Graph) or g.number_of_nodes() < 2:
        raise ParameterError("topology must be a networkx graph of at least 2 nodes")
    if sorted(g.nodes) != list(range(g.number_of_nodes())):
        raise ParameterError("topology nodes must be 0 .. n-1")
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    if len(parts) > 1:
        cut = sorted(int(v) for c in parts[1:] for v in c)
        raise ParameterError(f"topology is disconnected: nodes {cut} are cut off from node "
                             f"{min(parts[0])}'s component; gossip cannot reach consensus")
    return g


def topology(name: str | nx.Graph, n: int, *, degree: int = 3, seed: int = 0) -> nx.Graph:
    """A connected gossip graph on nodes ``0..n-1`` (seed 003 §IV-C.6).

    ``ring`` (each node has two neighbours), ``complete`` (every pair), or ``random`` (a
    random ``degree``-regular graph, seeded, redrawn with the next seed until connected, at
    most 100 tries). A networkx graph is checked by :func:`check_connected` and returned.
    """
    if isinstance(name, nx.Graph):
        return check_connected(name)
    choice("topology", name, TOPOLOGIES)
    n = integer_in("n", n, 2, 4096)
    if name == "ring":
        return nx.cycle_graph(n)
    if name == "complete":
        return nx.complete_graph(n)
    degree = integer_in("degree", degree, 1, n - 1)
    if (n * degree) % 2:
        raise ParameterError(f"degree × n must be even for a random regular graph, got "
                             f"degree={degree}, n={n}")
    for k in range(100):
        g = nx.random_regular_graph(degree, n, seed=seed + k)
        if nx.is_connected(g):
            return g
    raise ParameterError(f"degree={degree} gives no connected random graph on {n} nodes; raise degree")


def mixing_matrix(g: nx.Graph) -> np.ndarray:
    """Metropolis-Hastings weights of a connected graph: symmetric, doubly stochastic (seed 003 §IV-C.6).

    ``W[i, j] = 1 / (1 + max(deg i, deg j))`` on edges, the rest on the diagonal.
    """
    g = check_connected(g)
    n = g.number_of_nodes()
    w = np.zeros((n, n))
    deg = dict(g.degree())
    for i, j in g.edges():
        w[i, j] = w[j, i] = 1.0 / (1 + max(deg[i], deg[j]))
    w[np.diag_indices(n)] = 1.0 - w.sum(axis=1)
    return w


def spectral_gap(w: np.ndarray) -> float:
    """``1 - |λ₂|`` of a mixing matrix: how fast gossip contracts disagreement (seed 003 §IV-C.6)."""
    ev = np.sort(np.abs(np.linalg.eigvals(np.asarray(w, dtype=float))))[::-1]
    return float(1.0 - ev[1]) if len(ev) > 1 else 1.0


def gossipgrad_shift(n: int, step: int) -> int:
    """GossipGraD's partner offset at ``step``: ``2^(step mod ceil(log2 n)) mod n`` (seed 003 §IV-C.6)."""
    rounds = max(1, math.ceil(math.log2(n)))
    return (2 ** (step % rounds)) % n or 1


def gossipgrad_matrix(n: int, step: int) -> np.ndarray:
    """``(I + P^s) / 2`` with ``s`` = :func:`gossipgrad_shift`: node ``i`` averages with ``i - s`` (seed 003 §IV-C.6)."""
    n = integer_in("n", n, 2, 4096)
    s = gossipgrad_shift(n, step)
    w = 0.5 * np.eye(n)
    w[np.arange(n), (np.arange(n) - s) % n] += 0.5
    return w


def consensus_distance(params: torch.Tensor) -> float:
    """Root-mean-square distance of the node models from their average (seed 003 §IV-C.6)."""
    return float((params - params.mean(0, keepdim=True)).pow(2).sum(1).mean().sqrt())


# ----------------------------------------------------------------------------- training
@dataclass(frozen=True)
class GossipConfig:
    """One gossip run (seed 003 §IV-C.6): algorithm, topology, nodes, steps, SGD settings.

    ``p`` is GoSGD's exchange probability per node and step; ``tau`` EASGD's communication
    period and ``easgd_beta`` its moving rate (``a = beta / n``); ``eval_every`` how often the
    history records accuracy.
    """

    algorithm: str = "gossiping_sgd"
    topology: str = "ring"
    n_nodes: int = 8
    steps: int = 200
    lr: float = 0.1
    batch_size: int = 16
    degree: int = 3
    p: float = 1.0
    tau: int = 1
    easgd_beta: float = 0.9
    eval_every: int = 10
    scheme: str = "iid"

    def __post_init__(self) -> None:
        choice("algorithm", self.algorithm, ALGORITHMS)
        choice("topology", self.topology, TOPOLOGIES)
        integer_in("n_nodes", self.n_nodes, 2, 1024)
        integer_in("steps", self.steps, 1, 10**6)
        positive("lr", self.lr)
        integer_in("batch_size", self.batch_size, 1, 10**6)
        positive("p", self.p, at_most=1.0)
        integer_in("tau", self.tau, 1, 10**6)
        positive("easgd_beta", self.easgd_beta, at_most=1.0)
        integer_in("eval_every", self.eval_every, 1, 10**6)


@dataclass
class GossipTask:
    """Digits split over nodes and a zoo model (seed 003 §IV-A.2: every node trains on local data)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    node_indices: list[np.ndarray]
    model: nn.Module

    @classmethod
    def digits(cls, n_nodes: int, *, scheme: str = "iid", seed: int = 0,
               model: str = "digits_mlp") -> GossipTask:
        """Digits (80/20) split ``scheme``-wise over ``n_nodes`` nodes (seed 003 §IV-A.2)."""
        from edgelab.datasets import load_digits_split
        from edgelab.models import build
        from edgelab.training.federated.data_split import split_clients

        shape = "image" if model in ("digits_cnn", "lenet5") else "flat"
        d = load_digits_split(seed=seed, shape=shape)
        part = split_clients(d.y_train.numpy(), n_nodes, scheme, seed=seed)
        return cls(d.x_train.float(), d.y_train.long(), d.x_test.float(), d.y_test.long(),
                   [np.asarray(i, dtype=np.int64) for i in part.indices], build(model, seed=seed))


@dataclass
class GossipResult:
    """What :func:`run_gossip` returns (seed 003 §IV-C.6).

    ``history`` has one row per evaluated step: ``step``, ``accuracy`` (of the nodes' average
    model), ``node_accuracy`` (mean over nodes of each node's own model), ``consensus``
    (:func:`consensus_distance`), ``busiest_bytes`` (cumulative bytes sent + received at the
    busiest node) and ``messages`` (cumulative model messages).
    """

    history: pd.DataFrame
    params: torch.Tensor
    config: GossipConfig
    numel: int
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Final accuracy of the average model (seed 003 §IV-C.6)."""
        return float(self.history["accuracy"].iloc[-1])

    @property
    def busiest_bytes_per_step(self) -> float:
        """Mean bytes sent + received per step at the busiest node (seed 003 §IV-C.6)."""
        return float(self.history["busiest_bytes"].iloc[-1]) / self.config.steps

    def steps_to(self, target: float) -> float:
        """First evaluated step whose average-model accuracy ≥ ``target``; NaN if none (seed 003 §IV-C.6)."""
        hit = self.history.loc[self.history["accuracy"] >= target, "step"]
        return float(hit.iloc[0]) if len(hit) else float("nan")


def local_sgd_step(task: GossipTask) -> Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]:
    """``step(params (K, P), idx (K, B), lr) -> params``: one SGD step of every node at once on
    the samples ``idx``, with the batched federated engine's gradients (hand-written batched
    matmuls for a Linear/ReLU chain, ``torch.func.vmap(grad(functional_call))`` otherwise;
    :class:`~edgelab.training.federated.core.BatchedTrainer`) (seed 003 §IV-C.1, §IV-C.6)."""
    from edgelab.training.federated.core import BatchedTrainer

    tr = BatchedTrainer(task.model, task.x_train, task.y_train, task.node_indices)

    def step(params: torch.Tensor, idx: torch.Tensor, lr: float) -> torch.Tensor:
        _, grad = tr.batch_loss_grad(params, idx)
        return params - lr * grad

    return step


def flatten(model: nn.Module) -> torch.Tensor:
    """The module's parameters as one flat float32 vector (seed 003 §IV-C.1)."""
    return torch.cat([p.detach().reshape(-1).float() for p in model.parameters()])


def node_batches(task: GossipTask, batch_size: int, seed: int, step: int) -> torch.Tensor:
    """Global sample indices ``(n, B)`` of every node's mini-batch at ``step``, drawn from
    ``default_rng([seed, step, node])`` without replacement (seed 003 §IV-A.2)."""
    rows = []
    for k, idx in enumerate(task.node_indices):
        rng = np.random.default_rng([int(seed), int(step), k])
        b = min(batch_size, len(idx))
        pick = rng.choice(len(idx), size=batch_size, replace=b < batch_size)
        rows.append(idx[pick])
    return torch.from_numpy(np.stack(rows))


def _evaluate(model: nn.Module, flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    names = [n for n, _ in model.named_parameters()]
    shapes = [tuple(p.shape) for _, p in model.named_parameters()]
    sizes = [math.prod(s) for s in shapes]

    def acc(f: torch.Tensor) -> torch.Tensor:
        params = {n: p.reshape(s) for n, p, s in zip(names, torch.split(f, sizes), shapes, strict=True)}
        return (torch.func.functional_call(model, params, (x,)).argmax(1) == y).float().mean()

    with torch.no_grad():
        return torch.func.vmap(acc)(flat)


def _mix(cfg: GossipConfig, g: nx.Graph, w_static: np.ndarray | None, step: int,
         rng: np.random.Generator, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The step's mixing matrix and the (sent, received) messages per node."""
    n = cfg.n_nodes
    sent, recv = np.zeros(n), np.zeros(n)
    nbrs = [sorted(g.neighbors(i)) for i in range(n)]
    if cfg.algorithm == "allreduce":
        # ring all-reduce: 2(n-1) chunks of 1/n of the model each way
        sent[:] = recv[:] = 2 * (n - 1) / n
        return np.full((n, n), 1.0 / n), np.stack([sent, recv])
    if cfg.algorithm == "metropolis":
        deg = np.array([len(v) for v in nbrs], dtype=float)
        return w_static, np.stack([deg, deg])  # type: ignore[return-value]
    if cfg.algorithm == "gossipgrad":
        sent[:] = recv[:] = 1
        return gossipgrad_matrix(n, step), np.stack([sent, recv])
    w = np.eye(n)
    if cfg.algorithm == "gossiping_sgd":
        for i in range(n):
            j = nbrs[i][rng.integers(len(nbrs[i]))]
            w[i, i], w[i, j] = 0.5, 0.5
            sent[j] += 1
            recv[i] += 1
        return w, np.stack([sent, recv])
    # gosgd: push-sum over the topology, applied one sender after another
    for i in range(n):
        if rng.random() >= cfg.p:
            continue
        j = nbrs[i][rng.integers(len(nbrs[i]))]
        alpha[i] /= 2
        a_i, a_j = alpha[i], alpha[j]
        row = np.zeros(n)
        row[j], row[i] = a_j / (a_i + a_j), a_i / (a_i + a_j)
        m = np.eye(n)
        m[j] = row
        w = m @ w
        alpha[j] = a_i + a_j
        sent[i] += 1
        recv[j] += 1
    return w, np.stack([sent, recv])


def run_gossip(config: GossipConfig | None = None, *, seed: int = 0,
               task: GossipTask | None = None, graph: nx.Graph | None = None) -> GossipResult:
    """Train ``n_nodes`` digits models by gossip, in process (seed 003 §IV-C.6, Table 2).

    Every step: each node takes one SGD step on its own mini-batch (:func:`node_batches`), then
    the nodes mix by the algorithm's matrix (module docstring). All nodes start from the same
    seeded model. ``graph`` overrides the named topology (checked by :func:`check_connected`).
    Same seed, same history, byte for byte.
    """
    cfg = config or GossipConfig()
    torch.manual_seed(seed)
    task = task or GossipTask.digits(cfg.n_nodes, scheme=cfg.scheme, seed=seed)
    if len(task.node_indices) != cfg.n_nodes:
        raise ParameterError(f"task has {len(task.node_indices)} nodes, config n_nodes={cfg.n_nodes}")
    g = check_connected(graph) if graph is not None else topology(cfg.topology, cfg.n_nodes,
                                                                    degree=cfg.degree, seed=seed)
    if g.number_of_nodes() != cfg.n_nodes:
        raise ParameterError(f"graph has {g.number_of_nodes()} nodes, config n_nodes={cfg.n_nodes}")
    w_static = mixing_matrix(g) if cfg.algorithm == "metropolis" else None
    step_fn = local_sgd_step(task)
    x0 = flatten(task.model)
    n, numel = cfg.n_nodes, x0.numel()
    params = x0.repeat(n, 1)
    centre = x0.clone()
    alpha = np.ones(n) / n
    rng = np.random.default_rng([seed, 16])
    msg_bytes = FLOAT_BYTES * numel
    traffic = np.zeros(n + 1)  # bytes sent + received per node; the last entry is EASGD's server
    messages = 0.0
    rows = []
    for t in range(1, cfg.steps + 1):
        idx = node_batches(task, cfg.batch_size, seed, t)
        params = step_fn(params, idx, cfg.lr)
        if cfg.algorithm == "easgd":
            if t % cfg.tau == 0:
                a = cfg.easgd_beta / n
                diff = params - centre
                params = params - a * diff
                centre = centre + a * diff.sum(0)
                traffic[:n] += 2 * msg_bytes  # each worker: model up, centre down
                traffic[n] += 2 * n * msg_bytes
                messages += 2 * n
        else:
            w, (snt, rcv) = _mix(cfg, g, w_static, t, rng, alpha)
            params = torch.from_numpy(w).float() @ params
            extra = FLOAT_BYTES if cfg.algorithm == "gosgd" else 0
            traffic[:n] += (snt + rcv) * (msg_bytes + extra)
            messages += float(snt.sum())
        if t % cfg.eval_every == 0 or t == cfg.steps:
            if cfg.algorithm == "gosgd":
                avg = torch.from_numpy(alpha / alpha.sum()).float() @ params
            elif cfg.algorithm == "easgd":
                avg = centre
            else:
                avg = params.mean(0)
            acc = _evaluate(task.model, torch.cat([avg[None], params]), task.x_test, task.y_test)
            rows.append({"step": t, "accuracy": float(acc[0]), "node_accuracy": float(acc[1:].mean()),
                         "consensus": consensus_distance(params), "busiest_bytes": float(traffic.max()),
                         "messages": messages})
    return GossipResult(pd.DataFrame(rows), params, cfg, numel,
                        {"seed": seed, "message_bytes": msg_bytes, "graph_edges": g.number_of_edges()})


# ----------------------------------------------------------------------------- cost model
def iteration_time(model: str, device: str, link: str, n: int, *, peers: int = 1,
                   batch: int = 32, bandwidth_mbps: float | None = None) -> dict[str, float]:
    """Simulated seconds of one iteration, gossip against ring all-reduce (seed 003 §IV-C.6).

    ``compute_s`` = 3 × the roofline forward of a ``batch`` on ``device``
    (:func:`edgelab.hardware.cost.model_latency`); a gossip iteration adds
    :func:`gossip_exchange_time` with ``peers`` partners (1 for gossiping SGD and GossipGraD,
    the degree for a fixed topology), an all-reduce one :func:`allreduce_time`, both at the
    link's uplink rate (or ``bandwidth_mbps``) and RTT. No overlap of compute and
    communication is assumed.
    """
    from edgelab.hardware.catalog import get_link
    from edgelab.hardware.cost import model_latency
    from edgelab.hardware.profile import profile_model

    prof = profile_model(model)
    lk = get_link(link)
    bw = lk.uplink_mbps if bandwidth_mbps is None else positive("bandwidth_mbps", bandwidth_mbps)
    nbytes = float(prof.table["weight_bytes"].sum())
    compute = 3.0 * model_latency(profile_model(model, batch=batch), device)
    rtt = lk.rtt_ms / 1e3
    g = gossip_exchange_time(nbytes, peers, bw, rtt)
    a = allreduce_time(nbytes, n, bw, rtt)
    return {"model_bytes": nbytes, "compute_s": compute, "gossip_comm_s": g, "allreduce_comm_s": a,
            "gossip_s": compute + g, "allreduce_s": compute + a,
            "speedup": (compute + a) / (compute + g)}


# ----------------------------------------------------------------------------- compressed gossip
#: A model update larger than this in magnitude counts as divergence (the digits models'
#: weights are of order one).
DIVERGED_ABOVE = 1e6


class DivergedError(EdgelabError):
    """A compressed gossip run whose update grew past :data:`DIVERGED_ABOVE` or became NaN
    (seed 003 §IV-C.3)."""


def run_compressed_gossip(compressor: object, config: GossipConfig | None = None, *, seed: int = 0,
                          task: GossipTask | None = None) -> GossipResult:
    """Gossip with difference compression (Tang et al. [56]'s DCD-PSGD) on the topology's
    Metropolis matrix (seed 003 §IV-C.3 and §IV-C.6).

    Every node's neighbours hold a replica of its model, kept equal to the model itself: each
    step a node computes ``z = Σ_j W_ij x_j − lr ∇f_i(x_i) − x_i`` (mixing and SGD step as a
    difference), sends ``C(z)`` with issue 15's ``compressor`` (any
    :class:`~edgelab.training.compression.Compressor`, e.g. ``QSGD(s=16)`` or ``Int8()``), and
    every holder adds ``decompress(C(z))``. Bytes are the compressor's exact encoded bytes,
    sent to every neighbour; the history has :func:`run_gossip`'s columns. ``config.algorithm``
    is ignored (recorded as ``metropolis``).
    """
    from edgelab.training.compression import Compressor

    if not isinstance(compressor, Compressor):
        raise ParameterError("compressor must be an edgelab.training.compression compressor, "
                             f"e.g. QSGD(s=16); got {type(compressor).__name__}")
    cfg = config or GossipConfig(algorithm="metropolis")
    torch.manual_seed(seed)
    task = task or GossipTask.digits(cfg.n_nodes, scheme=cfg.scheme, seed=seed)
    g = topology(cfg.topology, cfg.n_nodes, degree=cfg.degree, seed=seed)
    w = torch.from_numpy(mixing_matrix(g)).float()
    adj = torch.from_numpy(nx.to_numpy_array(g, nodelist=range(cfg.n_nodes))).double()
    deg = adj.sum(1)
    step_fn = local_sgd_step(task)
    x = flatten(task.model).repeat(cfg.n_nodes, 1)
    rows_ids = torch.arange(cfg.n_nodes)
    traffic = torch.zeros(cfg.n_nodes, dtype=torch.float64)
    messages, rows = 0.0, []
    for t in range(1, cfg.steps + 1):
        idx = node_batches(task, cfg.batch_size, seed, t)
        z = w @ x + (step_fn(x, idx, cfg.lr) - x) - x
        if not bool(torch.isfinite(z).all()) or float(z.abs().max()) > DIVERGED_ABOVE:
            raise DivergedError(f"compressed gossip diverged at step {t}: "
                                f"{getattr(compressor, 'name', '?')} is too coarse for difference "
                                f"compression (DCD-PSGD needs a precise compressor; use more levels)")
        msg = compressor.compress(z, step=t, rows=rows_ids)
        x = x + compressor.decompress(msg)
        nb = torch.from_numpy(msg.nbytes.astype(np.float64))
        traffic += deg * nb + adj @ nb  # sent to every neighbour + received from each
        messages += float(deg.sum())
        if t % cfg.eval_every == 0 or t == cfg.steps:
            acc = _evaluate(task.model, torch.cat([x.mean(0, keepdim=True), x]), task.x_test,
                            task.y_test)
            rows.append({"step": t, "accuracy": float(acc[0]), "node_accuracy": float(acc[1:].mean()),
                         "consensus": consensus_distance(x), "busiest_bytes": float(traffic.max()),
                         "messages": messages})
    return GossipResult(pd.DataFrame(rows), x, GossipConfig(**{**cfg.__dict__, "algorithm": "metropolis"}),
                        x.shape[1], {"seed": seed, "compressor": getattr(compressor, "name", "?"),
                                     "message_bytes": float(msg.nbytes.mean())})
