"""Split learning and SplitFed between clients and a server, with Arden's privacy knob.

Seed 003 §IV-C.4 (DNN splitting for training: "a DNN model can be split inside between two
successive layers with two partitions deployed on different locations without losing
accuracy"; Arden [59]: arbitrary data nullification and random noise addition on what leaves
the device, and noisy training of the cloud side) and seed 002 (split learning for all-in-edge).

A zoo chain model is cut after ``cut`` layers (the layers of its ``torch.fx`` graph, the order
of the profile table, :mod:`edgelab.hardware.profile`): the client runs the head, sends the
activation (and the labels) to the server, the server runs the tail and sends back the gradient
of the loss with respect to that activation. Both are real tensors; their bytes are counted
exactly (``numel × element_size``).

Three schedules (Gupta & Raskar 2018; Thapa et al., SplitFed, AAAI 2022):

* ``vanilla``: one client at a time, in order; the client-side model is passed on to the next
  client through the server (up and down: ``2 × w_c`` bytes per client and epoch).
* ``sflv1``: every client in parallel with its own copy of the server side; after the epoch
  both halves are averaged with FedAvg's weights (client sides through the fed server: ``2 ×
  w_c`` per client). With plain SGD this is FedAvg step for step (tested).
* ``sflv2``: clients' client sides averaged as in v1, but one server side trained on the
  clients' activations one client after another (a seeded order each epoch).

Simulated seconds per epoch come from :mod:`edgelab.hardware.cost` only (``split_costs``,
``exchange_time``, ``transfer_time``, ``link_rates``): one SGD step costs 3 × the forward pass
(backward ≈ 2 × forward, as :mod:`edgelab.training.federated.system` assumes), every mini-batch
is one exchange (activation + labels up, gradient down, one RTT). ``vanilla`` adds up its
clients; ``sflv1`` takes the slowest client (the server runs the copies in parallel);
``sflv2`` takes the slowest client side plus the server's sequential work (no overlap: an upper
bound). FedAvg (the baseline, all layers on the client) is priced the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from edgelab._validate import choice, integer_in, positive
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import (
    TRAINING_STEP_PER_FORWARD,
    exchange_time,
    link_rates,
    split_costs,
    transfer_time,
)
from edgelab.training.federated.core import ClientConfig, ParamSpec, client_plan, steps_per_client
from edgelab.training.federated.engine import Federation

__all__ = [
    "VARIANTS", "LABEL_BYTES", "SplitNet", "split_net", "n_layers", "Perturbation", "SplitResult",
    "train_split", "split_bytes_per_epoch", "fedavg_bytes_per_epoch", "crossover_clients",
    "crossover_clients_closed_form", "EpochTime", "split_epoch_time", "fedavg_epoch_time",
    "check_clients", "ARDEN_MODELS", "shallow_cut", "arden_costs",
]

VARIANTS = ("vanilla", "sflv1", "sflv2")
#: Bytes of one label as sent (an int64 class index, what ``F.cross_entropy`` takes).
LABEL_BYTES = 8


# ----------------------------------------------------------------------------- the cut
def _layers(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    return [n for n in gm.graph.nodes if n.op not in ("placeholder", "output", "get_attr")]


def _copy(g: torch.fx.Graph, gm: torch.fx.GraphModule, nodes: Sequence[torch.fx.Node],
          env: dict[torch.fx.Node, torch.fx.Node]) -> None:
    def lookup(a: torch.fx.Node) -> torch.fx.Node:
        if a not in env and a.op == "get_attr":
            env[a] = g.node_copy(a)
        return env[a]

    for n in nodes:
        env[n] = g.node_copy(n, lookup)


@dataclass
class SplitNet:
    """A chain model cut in two (seed 003 §IV-C.4): ``head`` (client) and ``tail`` (server)
    share their parameters with ``model``; ``head_names`` are the client side's parameters."""

    model: nn.Module
    head: torch.fx.GraphModule
    tail: torch.fx.GraphModule
    cut: int
    n_layers: int
    head_names: tuple[str, ...]

    def head_mask(self, spec: ParamSpec) -> torch.Tensor:
        """Boolean ``(P,)`` mask of the client side inside the flat vector of ``spec`` (seed 003 §IV-C.4)."""
        m = torch.zeros(spec.numel, dtype=torch.bool)
        for name, shape, off in zip(spec.names, spec.shapes, spec.offsets, strict=True):
            if name in self.head_names:
                m[off:off + math.prod(shape)] = True
        return m

    def client_weight_bytes(self) -> int:
        """Bytes of one float32 copy of the client side (seed 003 §IV-C.4)."""
        return int(sum(p.numel() * p.element_size() for p in self.head.parameters()))


def n_layers(model: nn.Module) -> int:
    """Layers of ``model``'s ``torch.fx`` graph, the profile table's rows (seed 003 §IV-C.4)."""
    return len(_layers(torch.fx.symbolic_trace(model)))


def split_net(model: nn.Module, cut: int) -> SplitNet:
    """Cut a chain ``model`` after ``cut`` layers, 1 ≤ cut ≤ n_layers − 1 (seed 003 §IV-C.4).

    Raises ``ValueError`` naming ``cut`` and the allowed range when the cut is outside the model,
    and when the model is not a chain (a layer reads a tensor other than its predecessor's).
    """
    gm = torch.fx.symbolic_trace(model)
    layers = _layers(gm)
    n = len(layers)
    if n < 2:
        raise ValueError(f"model has {n} layer(s): split learning needs at least 2")
    integer_in("cut", cut, 1, n - 1)
    (x_in,) = [p for p in gm.graph.nodes if p.op == "placeholder"]
    for i, node in enumerate(layers):
        prev = layers[i - 1] if i else x_in
        ins = {a for a in node.all_input_nodes if a.op != "get_attr"}
        if not ins <= {prev}:
            raise ValueError(f"model is not a chain: layer {i} ({node.name}) reads "
                             f"{sorted(a.name for a in ins)}; split learning here needs a chain")
    (out_node,) = [o for o in gm.graph.nodes if o.op == "output"]
    head_g, tail_g = torch.fx.Graph(), torch.fx.Graph()
    env: dict[torch.fx.Node, torch.fx.Node] = {x_in: head_g.placeholder("x")}
    _copy(head_g, gm, layers[:cut], env)
    head_g.output(env[layers[cut - 1]])
    env2: dict[torch.fx.Node, torch.fx.Node] = {layers[cut - 1]: tail_g.placeholder("smashed")}
    _copy(tail_g, gm, layers[cut:], env2)
    tail_g.output(torch.fx.node.map_arg(out_node.args[0], lambda a: env2[a]))
    head = torch.fx.GraphModule(gm, head_g, class_name="Head")
    tail = torch.fx.GraphModule(gm, tail_g, class_name="Tail")
    params = {id(p): name for name, p in model.named_parameters()}
    head_names = tuple(params[id(p)] for p in head.parameters())
    return SplitNet(model, head, tail, int(cut), n, head_names)


# ----------------------------------------------------------------------------- Arden's knob
@dataclass(frozen=True)
class Perturbation:
    """Arden's privacy perturbation of the transmitted activation (seed 003 §IV-C.4, [59]).

    ``nullify``: each element is set to 0 with this probability (arbitrary data nullification);
    ``noise_scale``: Laplace noise of this scale is added (random noise addition). Seeded per
    (seed, epoch, client, step) so that a run is repeatable. The server side is trained on the
    perturbed activations (Arden's noisy training).
    """

    noise_scale: float = 0.0
    nullify: float = 0.0

    def __post_init__(self) -> None:
        positive("noise_scale", self.noise_scale, allow_zero=True)
        p = positive("nullify", self.nullify, allow_zero=True)
        if p >= 1:
            raise ValueError(f"nullify must be in [0, 1) (the share of activation elements set "
                             f"to 0), got {self.nullify!r}")

    @property
    def active(self) -> bool:
        """Whether anything is perturbed (seed 003 §IV-C.4)."""
        return self.noise_scale > 0 or self.nullify > 0

    def apply(self, h: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """``h`` nullified and noised (differentiable in ``h``) (seed 003 §IV-C.4, Arden)."""
        if self.nullify > 0:
            keep = (torch.rand(h.shape, generator=gen) >= self.nullify).to(h.dtype)
            h = h * keep
        if self.noise_scale > 0:
            u = torch.rand(h.shape, generator=gen, dtype=h.dtype) - 0.5
            lap = -self.noise_scale * torch.sign(u) * torch.log1p(-2 * u.abs().clamp(max=0.4999999))
            h = h + lap
        return h


def _gen(seed: int, *keys: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(np.random.default_rng([int(seed), *map(int, keys), 7331]).integers(2**62)))
    return g


# ----------------------------------------------------------------------------- training
@dataclass
class SplitResult:
    """What :func:`train_split` returns (seed 003 §IV-C.4): one ``history`` row per epoch
    (accuracy, loss, activation/gradient/label/model bytes up and down) and the final model."""

    history: pd.DataFrame
    params: torch.Tensor
    variant: str
    cut: int
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Test accuracy after the last epoch (seed 003 §IV-C.4)."""
        return float(self.history["accuracy"].iloc[-1])

    @property
    def bytes_per_epoch(self) -> float:
        """Mean bytes moved (up + down) per epoch (seed 003 §IV-C.4)."""
        return float(self.history["bytes_total"].mean())


def check_clients(n_clients: object, n_samples: int) -> int:
    """``n_clients`` as an int in [1, n_samples] or a ``ValueError`` naming it (seed 003 §IV-C.4)."""
    return integer_in("n_clients", n_clients, 1, max(1, int(n_samples)))


def _step(net: SplitNet, xb: torch.Tensor, yb: torch.Tensor, lr: float,
          pert: Perturbation | None, gen: torch.Generator | None) -> tuple[float, int, int, int]:
    """One split SGD step; returns (loss, activation bytes, label bytes, gradient bytes)."""
    h = net.head(xb)
    if pert is not None and pert.active:
        h = pert.apply(h, gen)  # type: ignore[arg-type]
    smashed = h.detach().requires_grad_(True)  # what crosses the link
    loss = F.cross_entropy(net.tail(smashed), yb)
    for p in net.model.parameters():
        p.grad = None
    loss.backward()
    grad = smashed.grad  # what comes back
    if h.requires_grad:  # a head without parameters (e.g. a flatten) has nothing to train
        h.backward(grad)
    with torch.no_grad():
        for p in net.model.parameters():
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
    return (float(loss.detach()), smashed.numel() * smashed.element_size(), yb.numel() * yb.element_size(),
            grad.numel() * grad.element_size())


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    with torch.no_grad():
        out = model(x)
        return float((out.argmax(1) == y).float().mean()), float(F.cross_entropy(out, y))


def train_split(fed: Federation, variant: str = "vanilla", cut: int = 2, epochs: int = 5,
                client: ClientConfig | None = None, *, seed: int = 0,
                perturbation: Perturbation | None = None,
                test_perturbed: bool = True) -> SplitResult:
    """Train ``fed``'s model by split learning (seed 003 §IV-C.4; Thapa et al.'s SplitFed).

    ``variant`` is ``vanilla``, ``sflv1`` or ``sflv2``; ``cut`` the number of layers on the
    client (1 … n_layers − 1); ``client`` the local SGD (learning rate, batch size; one pass
    over each client's data per epoch, the mini-batches of :func:`client_plan` with round =
    epoch, as FedAvg draws them). ``perturbation`` applies Arden's knob to every transmitted
    activation, in training and (``test_perturbed``) at test time. Same seed, same bytes.
    """
    choice("variant", variant, VARIANTS)
    epochs = integer_in("epochs", epochs, 1, 10**5)
    cfg = client or ClientConfig()
    if cfg.steps is not None or cfg.epochs != 1 or cfg.prox_mu:
        raise ValueError("client must be plain SGD with epochs=1 and no steps/prox_mu "
                         "(one pass per epoch)")
    model = fed.build_model(seed)
    net = split_net(model, cut)
    spec = ParamSpec.of(model)
    hmask = net.head_mask(spec)
    wc = net.client_weight_bytes()
    d = fed.data
    xtr, ytr = d.x_train.float(), d.y_train.long()
    idx = [np.asarray(i, dtype=np.int64) for i in fed.client_split.indices]
    sizes = fed.client_split.sizes
    k_all = len(idx)
    rows = []
    for ep in range(1, epochs + 1):
        acts = labels = grads = 0
        losses: list[float] = []
        glob = spec.flatten(model)
        order = (np.random.default_rng([seed, ep, 99]).permutation(k_all) if variant == "sflv2"
                 else np.arange(k_all))
        local = torch.empty(k_all, spec.numel)
        server = glob.clone()
        for k in order:
            if variant == "vanilla":
                pass  # the model goes on from the previous client
            elif variant == "sflv1":
                spec.load(model, glob)
            else:  # sflv2: client side from the epoch's global, server side carried on
                spec.load(model, torch.where(hmask, glob, server))
            for s, b in enumerate(client_plan(len(idx[k]), cfg, seed, ep, int(k))):
                ii = torch.from_numpy(idx[k][b[b >= 0]])
                gen = _gen(seed, ep, int(k), s) if perturbation is not None else None
                loss, a, lb, g = _step(net, xtr[ii], ytr[ii], cfg.lr, perturbation, gen)
                losses.append(loss)
                acts, labels, grads = acts + a, labels + lb, grads + g
            if variant != "vanilla":
                local[k] = spec.flatten(model)
                server = local[k]
        if variant != "vanilla":
            w = torch.from_numpy(sizes / sizes.sum()).float()
            avg = w @ local
            spec.load(model, avg if variant == "sflv1" else torch.where(hmask, avg, server))
        acc, tl = _eval_split(net, d.x_test.float(), d.y_test.long(), perturbation if test_perturbed
                              else None, seed)
        rows.append({"epoch": ep, "accuracy": acc, "test_loss": tl,
                     "train_loss": float(np.mean(losses)),
                     "activation_bytes": acts, "label_bytes": labels, "gradient_bytes": grads,
                     "model_bytes_up": k_all * wc, "model_bytes_down": k_all * wc})
    h = pd.DataFrame(rows)
    h["bytes_up"] = h["activation_bytes"] + h["label_bytes"] + h["model_bytes_up"]
    h["bytes_down"] = h["gradient_bytes"] + h["model_bytes_down"]
    h["bytes_total"] = h["bytes_up"] + h["bytes_down"]
    return SplitResult(h, spec.flatten(model), variant, int(cut),
                       {"variant": variant, "cut": int(cut), "epochs": epochs, "seed": seed,
                        "lr": cfg.lr, "batch_size": cfg.batch_size, "clients": k_all,
                        "model": fed.model_name, "client_weight_bytes": wc,
                        "noise_scale": perturbation.noise_scale if perturbation else 0.0,
                        "nullify": perturbation.nullify if perturbation else 0.0})


def _eval_split(net: SplitNet, x: torch.Tensor, y: torch.Tensor, pert: Perturbation | None,
                seed: int) -> tuple[float, float]:
    if pert is None or not pert.active:
        return _evaluate(net.model, x, y)
    with torch.no_grad():
        out = net.tail(pert.apply(net.head(x), _gen(seed, 0, 2**31 - 1, 0)))
        return float((out.argmax(1) == y).float().mean()), float(F.cross_entropy(out, y))


# ----------------------------------------------------------------------------- bytes and crossover
def split_bytes_per_epoch(n_samples: int, n_clients: int | np.ndarray, activation_bytes: float,
                          client_weight_bytes: float, label_bytes: float = LABEL_BYTES) -> np.ndarray:
    """Bytes split learning moves in one epoch (seed 003 §IV-C.4): every sample's activation and
    label up and its gradient down, plus each client's client side up and down once:
    ``N·(2q + ℓ) + 2K·w_c``. Broadcasts over ``n_clients``."""
    k = np.asarray(n_clients, dtype=np.float64)
    return n_samples * (2.0 * activation_bytes + label_bytes) + 2.0 * k * client_weight_bytes


def fedavg_bytes_per_epoch(n_clients: int | np.ndarray, model_bytes: float) -> np.ndarray:
    """Bytes FedAvg (one local epoch per round, every client) moves per epoch: ``2K·W`` (seed 003 §IV-C.1)."""
    return 2.0 * np.asarray(n_clients, dtype=np.float64) * model_bytes


def crossover_clients(n_samples: int, activation_bytes: float, client_weight_bytes: float,
                      model_bytes: float, label_bytes: float = LABEL_BYTES,
                      max_clients: int | None = None) -> int | None:
    """The fewest clients for which split learning moves fewer bytes per epoch than FedAvg
    (seed 003 §IV-C.4), searched over K = 1 … ``max_clients`` (default ``n_samples``: every
    client holds a sample) with :func:`split_bytes_per_epoch` and :func:`fedavg_bytes_per_epoch`;
    ``None`` when split learning never moves fewer (e.g. a cut whose client side is the model)."""
    hi = int(n_samples if max_clients is None else max_clients)
    k = np.arange(1, hi + 1)
    less = split_bytes_per_epoch(n_samples, k, activation_bytes, client_weight_bytes,
                                 label_bytes) < fedavg_bytes_per_epoch(k, model_bytes)
    return int(k[np.argmax(less)]) if less.any() else None


def crossover_clients_closed_form(n_samples: int, activation_bytes: float,
                                  client_weight_bytes: float, model_bytes: float,
                                  label_bytes: float = LABEL_BYTES) -> float:
    """``K* = N(2q + ℓ) / (2(W − w_c))``: split learning moves fewer bytes exactly when K > K*
    (seed 003 §IV-C.4); ``inf`` when ``W ≤ w_c``."""
    gap = 2.0 * (model_bytes - client_weight_bytes)
    return float("inf") if gap <= 0 else n_samples * (2.0 * activation_bytes + label_bytes) / gap


# ----------------------------------------------------------------------------- simulated time
@dataclass(frozen=True)
class EpochTime:
    """Simulated seconds of one epoch and the client's energy (seed 003 §IV-C.4, §IV-B.5)."""

    epoch_s: float
    client_compute_s: float
    server_compute_s: float
    transfer_s: float
    client_energy_j: float


def _steps(sizes: Sequence[int], batch_size: int | None) -> np.ndarray:
    if np.any(np.asarray(sizes) < 1):
        raise ValueError("sizes must be ≥ 1 sample per client (a client without data has "
                         "nothing to train)")
    return steps_per_client(np.asarray(sizes, dtype=np.int64), ClientConfig(batch_size=batch_size))


def split_epoch_time(model: str, cut: int, sizes: Sequence[int], *, variant: str = "vanilla",
                     batch_size: int = 10, client_device: str = "snapdragon-845",
                     server_device: str = "edge-server-cpu", link: str = "wifi5") -> EpochTime:
    """Simulated seconds of one split-learning epoch from the cost model (seed 003 §IV-C.4).

    ``sizes``: samples per client. Per mini-batch: 3 × the head's forward on the client, one
    exchange (activation + labels up, gradient down, one RTT), 3 × the tail's forward on the
    server (all from :func:`~edgelab.hardware.cost.split_costs` at batch ``batch_size``); per
    client and epoch: its client side up and down once. Every batch is charged at full size.
    """
    from edgelab.hardware.profile import profile_model

    choice("variant", variant, VARIANTS)
    b = integer_in("batch_size", batch_size, 1, 4096)
    prof = profile_model(model, batch=b)
    cut = integer_in("cut", cut, 1, prof.n_layers - 1)
    check_clients(len(sizes), int(np.sum(sizes)))
    sc = split_costs(prof, client_device, server_device, link)
    dev_s, srv_s = float(sc.device_s[0, cut]), float(sc.server_s[0, cut])
    q = float(sc.uplink_bytes[0, cut])  # activation bytes of the batch
    lk = get_link(link)
    up, down = (float(v[0]) for v in link_rates(lk))
    ex_s, up_air, down_air = (float(v) for v in exchange_time(q + LABEL_BYTES * b, q, up, down,
                                                              lk.rtt_ms / 1e3, lk.duty_cycle))
    wc = float(prof.table["weight_bytes"].iloc[:cut].sum())
    sync_s = float(transfer_time(wc, up, lk.rtt_ms / 1e3, lk.duty_cycle)
                   + transfer_time(wc, down, lk.rtt_ms / 1e3))
    steps = _steps(sizes, b).astype(np.float64)
    c_comp, s_comp, xfer = (steps * TRAINING_STEP_PER_FORWARD * dev_s,
                             steps * TRAINING_STEP_PER_FORWARD * srv_s, steps * ex_s + sync_s)
    per_client = c_comp + s_comp + xfer
    if variant == "vanilla":
        epoch = float(per_client.sum())
    elif variant == "sflv1":
        epoch = float(per_client.max())
    else:
        epoch = float((c_comp + xfer).max() + s_comp.sum())
    from edgelab.hardware.catalog import get_device

    dv = get_device(client_device)
    air_up = steps * up_air + float(transfer_time(wc, up))
    air_down = steps * down_air + float(transfer_time(wc, down))
    rtt = (steps + 2) * lk.rtt_ms / 1e3
    energy = (dv.active_power_w * c_comp + lk.tx_power_w * (air_up + rtt / 2)
              + lk.rx_power_w * (air_down + rtt / 2) + dv.idle_power_w * s_comp)
    return EpochTime(epoch, float(c_comp.sum()), float(s_comp.sum()), float(xfer.sum()),
                     float(energy.sum()))


def fedavg_epoch_time(model: str, sizes: Sequence[int], *, batch_size: int = 10,
                      client_device: str = "snapdragon-845", link: str = "wifi5") -> EpochTime:
    """Simulated seconds of one FedAvg round of one local epoch, every client in parallel
    (seed 003 §IV-C.1, §IV-B.5): model down, 3 × the whole forward per step, update up, the
    slowest client sets the round; priced like :func:`split_epoch_time` (cut = all layers)."""
    from edgelab.hardware.catalog import get_device
    from edgelab.hardware.profile import profile_model

    b = integer_in("batch_size", batch_size, 1, 4096)
    prof = profile_model(model, batch=b)
    check_clients(len(sizes), int(np.sum(sizes)))
    sc = split_costs(prof, client_device, client_device, link)
    fwd = float(sc.device_s[0, prof.n_layers])
    w = float(prof.table["weight_bytes"].sum())
    lk = get_link(link)
    up, down = (float(v[0]) for v in link_rates(lk))
    rtt = lk.rtt_ms / 1e3
    xfer = float(transfer_time(w, down, rtt) + transfer_time(w, up, rtt, lk.duty_cycle))
    steps = _steps(sizes, b).astype(np.float64)
    comp = steps * TRAINING_STEP_PER_FORWARD * fwd
    dv = get_device(client_device)
    energy = (dv.active_power_w * comp + lk.tx_power_w * (float(transfer_time(w, up)) + rtt / 2)
              + lk.rx_power_w * (float(transfer_time(w, down)) + rtt / 2))
    return EpochTime(float((comp + xfer).max()), float(comp.sum()), 0.0, xfer * len(steps),
                     float(energy.sum()))


# ----------------------------------------------------------------------------- Arden's costs
#: Weighted layer ops of a profile table (what starts a "block").
_WEIGHTED_OPS = ("conv", "dwconv", "fc", "linear", "matmul")
#: The four zoo DNNs Arden's reductions are averaged over here (the survey does not name
#: Arden's four; these are the zoo's ImageNet families that a phone would offload).
ARDEN_MODELS = ("alexnet", "vgg16", "resnet18", "mobilenet_v2")


def shallow_cut(profile) -> int:  # profile: edgelab.hardware.profile.Profile
    """Arden's device part, "the shallow portions of the DNN" (seed 003 §IV-C.5): the first
    weighted layer's block, i.e. every layer up to its first pooling layer when that comes
    before the second weighted layer, else every layer before the second weighted layer."""
    t = profile.table
    w = np.flatnonzero(t["op"].isin(_WEIGHTED_OPS).to_numpy())
    if len(w) < 2:
        raise ValueError(f"{profile.name} has fewer than 2 weighted layers: no shallow split")
    pools = np.flatnonzero((t["op"] == "pool").to_numpy())
    return int(pools[0] + 1) if len(pools) and pools[0] < w[1] else int(w[1])


def arden_costs(models: Sequence[str] = ARDEN_MODELS, device: str = "snapdragon-845",
                server: str = "a100", link: str = "wifi5") -> pd.DataFrame:
    """Arden's time, memory and energy reductions on the mobile device, priced by the cost model
    (seed 003 §IV-C.4, Table 2): the shallow part (:func:`shallow_cut`) on ``device``, the rest
    on ``server`` over ``link``, against the whole DNN on ``device`` (our reading of "compared
    with the other four DNNs": each DNN run whole on the phone). Time = end-to-end latency of one
    image (:func:`~edgelab.hardware.cost.split_costs`), memory =
    :func:`~edgelab.hardware.cost.head_memory_bytes`, energy = the device's joules. The
    perturbation's elementwise work (one compare and one add per activation element) is not
    charged. One row per model, reductions in %."""
    from edgelab.hardware.cost import head_memory_bytes
    from edgelab.hardware.profile import profile_model

    rows = []
    for m in models:
        p = profile_model(m)
        k, n = shallow_cut(p), p.n_layers
        sc = split_costs(p, device, server, link)
        mem = head_memory_bytes(p)
        lat, en = sc.latency_s[0], sc.device_energy_j[0]
        rows.append({"model": m, "cut": k, "layers": n,
                     "local_latency_s": float(lat[n]), "arden_latency_s": float(lat[k]),
                     "local_memory_B": float(mem[n]), "arden_memory_B": float(mem[k]),
                     "local_energy_J": float(en[n]), "arden_energy_J": float(en[k]),
                     "time_reduction_%": 100 * (1 - float(lat[k] / lat[n])),
                     "memory_reduction_%": 100 * (1 - float(mem[k] / mem[n])),
                     "energy_reduction_%": 100 * (1 - float(en[k] / en[n]))})
    return pd.DataFrame(rows)
