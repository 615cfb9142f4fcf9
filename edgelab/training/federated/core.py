"""The client side of federated learning: local SGD, run one client at a time or all at once.

Seed 003 §IV-C.1: "the clients update the model locally with [...] SGD and then the server
averages the resulting models with weights". A model is handled as one flat float32 vector of
``P`` parameters (:class:`ParamSpec`), so K clients are a ``(K, P)`` tensor.

Two engines run the *same* local update:

* :class:`SequentialTrainer` -- the reference: an ``nn.Module``, autograd and ``torch.optim.SGD``,
  one client after another, one mini-batch after another.
* :class:`BatchedTrainer` -- every sampled client at once: stacked parameters ``(K, P)``,
  mini-batches gathered into ``(K, steps, batch)`` with a mask for clients whose data (and so
  whose number of steps, or last batch) is smaller. Gradients come from hand-written batched
  matmuls for chains of ``Linear``/``ReLU`` (the digits MLP), or from ``torch.func``
  (``vmap(grad(functional_call))``) for any other model.

Both draw each client's mini-batches from :func:`client_plan`, seeded by (seed, round, client),
so for the same seed they give the same model up to float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from edgelab._validate import integer_in, positive

__all__ = [
    "ParamSpec",
    "ClientConfig",
    "client_plan",
    "steps_per_client",
    "SequentialTrainer",
    "BatchedTrainer",
    "make_trainer",
    "ENGINES",
    "DEFAULT_MEMORY_BUDGET_MB",
]

ENGINES = ("batched", "sequential")
#: The batched engine's default budget for one pass's stacked tensors, in MiB (Binder's box has
#: 2 GB; this leaves room for the data, the model stack and the interpreter).
DEFAULT_MEMORY_BUDGET_MB = 256.0


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class ParamSpec:
    """Names, shapes and offsets of a module's parameters inside one flat vector (seed 003 §IV-C.1)."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    offsets: tuple[int, ...]
    numel: int

    @classmethod
    def of(cls, module: nn.Module) -> ParamSpec:
        """The spec of ``module.named_parameters()`` in their order (seed 003 §IV-C.1)."""
        names, shapes, offs, n = [], [], [], 0
        for name, p in module.named_parameters():
            names.append(name)
            shapes.append(tuple(p.shape))
            offs.append(n)
            n += p.numel()
        return cls(tuple(names), tuple(shapes), tuple(offs), n)

    @property
    def nbytes(self) -> int:
        """Bytes of one float32 copy of the parameters (what a full model upload costs) (seed 003 §IV-C.1)."""
        return 4 * self.numel

    def flatten(self, module: nn.Module) -> torch.Tensor:
        """The module's parameters as a new flat float32 vector ``(P,)`` (seed 003 §IV-C.1)."""
        return torch.cat([p.detach().reshape(-1).float() for p in module.parameters()])

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """Views of ``flat`` (shape ``(..., P)``) as a name → tensor dict (seed 003 §IV-C.1)."""
        lead = flat.shape[:-1]
        return {n: flat[..., o:o + math.prod(s)].reshape(*lead, *s)
                for n, s, o in zip(self.names, self.shapes, self.offsets, strict=True)}

    def load(self, module: nn.Module, flat: torch.Tensor) -> nn.Module:
        """Copy a flat vector into ``module``'s parameters (in place); returns the module (seed 003 §IV-C.1)."""
        views = self.unflatten(flat)
        with torch.no_grad():
            for n, p in module.named_parameters():
                p.copy_(views[n])
        return module


# ----------------------------------------------------------------------------- client config
@dataclass(frozen=True)
class ClientConfig:
    """One client's local update (seed 003 §IV-C.1): SGD with ``lr`` for ``epochs`` passes in
    mini-batches of ``batch_size`` (``None``: the whole local set, one step per epoch, as in
    FedSGD), or exactly ``steps`` mini-batch steps when given (τ of §IV-C.2); ``prox_mu`` > 0
    adds FedProx's proximal term μ/2·‖w − w_global‖²."""

    lr: float = 0.05
    epochs: int = 1
    batch_size: int | None = 10
    steps: int | None = None
    prox_mu: float = 0.0

    def __post_init__(self) -> None:
        positive("lr", self.lr)
        integer_in("epochs", self.epochs, 1, 10**6)
        if self.batch_size is not None:
            integer_in("batch_size", self.batch_size, 1, 10**9)
        if self.steps is not None:
            integer_in("steps", self.steps, 1, 10**7)
        positive("prox_mu", self.prox_mu, allow_zero=True)

    def with_(self, **kw: object) -> ClientConfig:
        """A copy with some fields replaced (seed 003 §IV-C.1)."""
        return replace(self, **kw)  # type: ignore[arg-type]


def _batch(n: int, cfg: ClientConfig) -> int:
    return n if cfg.batch_size is None else min(cfg.batch_size, n)


def steps_per_client(sizes: np.ndarray | Sequence[int], cfg: ClientConfig) -> np.ndarray:
    """Local SGD steps of each client for ``cfg``: ``steps`` if set, else epochs × ⌈n/B⌉ (seed 003 §IV-C.2)."""
    n = np.asarray(sizes, dtype=np.int64)
    if cfg.steps is not None:
        return np.full(n.shape, cfg.steps, dtype=np.int64)
    if cfg.batch_size is None:
        return np.full(n.shape, cfg.epochs, dtype=np.int64)
    return cfg.epochs * -(-n // cfg.batch_size)


def client_plan(n: int, cfg: ClientConfig, seed: int, rnd: int, client: int) -> np.ndarray:
    """Mini-batches of one client in one round: ``(steps, B)`` local positions, ``-1`` = padding.

    Each epoch is a fresh permutation from ``numpy.random.default_rng([seed, rnd, client])``;
    the last batch of an epoch may be short. With ``cfg.steps`` the epochs repeat until that
    many batches. Full-batch (``batch_size=None``) plans are not shuffled. Both engines, and the
    Flower adapter, use this plan, which is what makes them agree (seed 003 §IV-C.1).
    """
    b = _batch(n, cfg)
    spe = -(-n // b)
    need = cfg.steps if cfg.steps is not None else cfg.epochs * spe
    epochs = -(-need // spe)
    if cfg.batch_size is None:
        rows = np.tile(np.arange(n, dtype=np.int64)[None, :], (epochs, 1))
        return rows[:need]
    rng = np.random.default_rng([int(seed), int(rnd), int(client)])
    pad = spe * b - n
    out = np.empty((epochs * spe, b), dtype=np.int64)
    for e in range(epochs):
        perm = rng.permutation(n)
        if pad:
            perm = np.concatenate([perm, np.full(pad, -1, dtype=np.int64)])
        out[e * spe:(e + 1) * spe] = perm.reshape(spe, b)
    return out[:need]


# ----------------------------------------------------------------------------- trainers
class _Base:
    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 client_indices: Sequence[np.ndarray]) -> None:
        self.model = model
        self.spec = ParamSpec.of(model)
        self.x = x.float().contiguous()
        self.y = y.long().contiguous()
        self.client_indices = [np.asarray(i, dtype=np.int64) for i in client_indices]
        self.sizes = np.array([len(i) for i in self.client_indices], dtype=np.int64)

    def evaluate(self, flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """Accuracy and mean cross-entropy of the model ``flat`` on ``(x, y)`` (seed 003 §IV-C.1)."""
        with torch.no_grad():
            out = torch.func.functional_call(self.model, self.spec.unflatten(flat), (x,))
            loss = F.cross_entropy(out, y).item()
            acc = (out.argmax(1) == y).float().mean().item()
        return acc, loss


class SequentialTrainer(_Base):
    """The reference engine: a plain PyTorch loop over clients and mini-batches (seed 003 §IV-C.1)."""

    name = "sequential"

    def train(self, global_flat: torch.Tensor, clients: Sequence[int], cfg: ClientConfig,
              seed: int, rnd: int) -> torch.Tensor:
        """Run the local update of each client in ``clients`` from ``global_flat``; ``(K, P)`` (seed 003 §IV-C.1)."""
        model = self.model.train()
        out = torch.empty(len(clients), self.spec.numel)
        g = global_flat.detach()
        for row, k in enumerate(clients):
            self.spec.load(model, g)
            opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
            idx_all = self.client_indices[k]
            for batch in client_plan(len(idx_all), cfg, seed, rnd, int(k)):
                idx = torch.from_numpy(idx_all[batch[batch >= 0]])
                loss = F.cross_entropy(model(self.x[idx]), self.y[idx])
                if cfg.prox_mu > 0:
                    w = torch.cat([p.reshape(-1) for p in model.parameters()])
                    loss = loss + cfg.prox_mu / 2 * (w - g).pow(2).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            out[row] = self.spec.flatten(model)
        model.eval()
        return out

    def loss_grad(self, params: torch.Tensor, clients: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Full-local-data loss ``(K,)`` and gradient ``(K, P)`` of each client at ``params[k]`` (seed 003 §IV-C.1)."""
        model = self.model
        losses, grads = [], []
        for row, k in enumerate(clients):
            self.spec.load(model, params[row])
            idx = torch.from_numpy(self.client_indices[k])
            model.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(self.x[idx]), self.y[idx])
            loss.backward()
            losses.append(loss.detach())
            grads.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
        return torch.stack(losses), torch.stack(grads)


def _linear_chain(model: nn.Module, spec: ParamSpec) -> list[tuple[int, int, int, int, bool]] | None:
    """If ``model`` is Flatten?/Linear/ReLU in sequence, its layers as (w_off, out, in, b_off, relu)."""
    kids = list(model.named_children())
    if not kids:
        return None
    off = dict(zip(spec.names, spec.offsets, strict=True))
    layers: list[list] = []
    for i, (name, m) in enumerate(kids):
        if isinstance(m, nn.Flatten) and i == 0:
            continue
        if isinstance(m, nn.Linear) and m.bias is not None:
            layers.append([off[f"{name}.weight"], m.out_features, m.in_features, off[f"{name}.bias"], False])
        elif isinstance(m, nn.ReLU) and layers and not layers[-1][4]:
            layers[-1][4] = True
        else:
            return None
    if not layers or layers[-1][4]:
        return None
    return [tuple(layer) for layer in layers]  # type: ignore[misc]


class BatchedTrainer(_Base):
    """Every sampled client at once: stacked ``(K, P)`` parameters and masked mini-batches.

    ``backend="auto"`` uses hand-written batched matmuls when the model is a Linear/ReLU chain
    (checked numerically against ``functional_call`` once) and ``torch.func`` otherwise;
    ``"func"`` forces ``torch.func`` (seed 003 §IV-C.1, simulation of many clients).

    ``memory_budget_mb`` bounds the stacked tensors of one pass (mini-batch inputs, labels,
    masks, parameters and gradients); when all sampled clients would not fit, the engine trains
    them in chunks of clients (most local steps first), each chunk padded to the round's widest
    batch, which gives the same model as one pass (bit for bit at one torch thread; at several,
    torch may split a lone client's matmul across threads, equal up to float rounding).
    ``None`` never chunks.
    """

    name = "batched"

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 client_indices: Sequence[np.ndarray], backend: str = "auto",
                 memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB) -> None:
        super().__init__(model, x, y, client_indices)
        self.memory_budget_mb = (None if memory_budget_mb is None
                                 else positive("memory_budget_mb", memory_budget_mb))
        self.x_flat = self.x.reshape(len(self.x), -1)
        self._chain = _linear_chain(model, self.spec) if backend == "auto" else None
        if self._chain is not None and not self._chain_matches():
            self._chain = None
        self.backend = "matmul" if self._chain is not None else "func"
        self._func_grad: Callable | None = None

    # -- gradients -------------------------------------------------------------------------
    def _chain_matches(self) -> bool:
        g = torch.Generator().manual_seed(0)
        flat = torch.randn(2, self.spec.numel, generator=g) * 0.1
        x = self.x[:3]
        ref = torch.stack([torch.func.functional_call(self.model, self.spec.unflatten(f), (x,))
                           for f in flat])
        got = self._chain_forward(flat, x.reshape(1, 3, -1).expand(2, 3, -1))[0]
        return ref.shape == got.shape and torch.allclose(ref, got, atol=1e-5)

    def _chain_forward(self, params: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, list]:
        k = params.shape[0]
        acts = []
        for w_off, out, inp, b_off, relu in self._chain:  # type: ignore[union-attr]
            w = params[:, w_off:w_off + out * inp].view(k, out, inp)
            b = params[:, b_off:b_off + out]
            acts.append(h)
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
            if relu:
                h = h.clamp_min(0)
        return h, acts

    def _chain_loss_grad(self, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                         m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k = params.shape[0]
        logits, acts = self._chain_forward(params, x)
        cnt = m.sum(1).clamp_min(1.0)
        logp = torch.log_softmax(logits, -1)
        nll = -logp.gather(2, y.unsqueeze(2)).squeeze(2)
        loss = (nll * m).sum(1) / cnt
        dz = logp.exp()
        dz.scatter_add_(2, y.unsqueeze(2), torch.full_like(nll, -1.0).unsqueeze(2))
        dz.mul_((m / cnt.unsqueeze(1)).unsqueeze(2))
        grads = torch.empty_like(params)
        chain = self._chain
        for i in range(len(chain) - 1, -1, -1):  # type: ignore[arg-type]
            w_off, out, inp, b_off, _ = chain[i]  # type: ignore[index]
            h = acts[i]
            torch.bmm(dz.transpose(1, 2), h, out=grads[:, w_off:w_off + out * inp].view(k, out, inp))
            grads[:, b_off:b_off + out] = dz.sum(1)
            if i > 0:
                w = params[:, w_off:w_off + out * inp].view(k, out, inp)
                dz = torch.bmm(dz, w) * (h > 0)
        return loss, grads

    def _func_loss_grad(self, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                        m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self._func_grad is None:
            model, spec = self.model, self.spec

            def loss_fn(flat: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, mb: torch.Tensor):
                out = torch.func.functional_call(model, spec.unflatten(flat), (xb,))
                nll = F.cross_entropy(out, yb, reduction="none")
                return (nll * mb).sum() / mb.sum().clamp_min(1.0)

            self._func_grad = torch.func.vmap(torch.func.grad_and_value(loss_fn))
        g, loss = self._func_grad(params, x, y, m)
        return loss, g

    def _loss_grad(self, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                   m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self._chain is not None:
            return self._chain_loss_grad(params, x.reshape(x.shape[0], x.shape[1], -1), y, m)
        return self._func_loss_grad(params, x, y, m)

    def _inputs(self, glob: torch.Tensor) -> torch.Tensor:
        return (self.x_flat if self._chain is not None else self.x)[glob]

    # -- public ------------------------------------------------------------------------------
    def client_bytes(self, steps: int, batch: int) -> int:
        """Bytes one client takes in a pass of ``steps`` mini-batches of ``batch`` samples: the
        gathered inputs, labels, indices and mask, plus parameters, gradient and result rows
        (seed 003 §IV-C.1; what :meth:`chunks` divides the budget by)."""
        row = self.x_flat.shape[1] * self.x.element_size() + 8 + 8 + 4
        return int(steps * batch * row + 4 * 4 * self.spec.numel)

    def chunks(self, steps: np.ndarray, batch: int) -> list[np.ndarray]:
        """Positions into ``steps`` (clients' local step counts), most steps first, cut into
        consecutive chunks that each fit :attr:`memory_budget_mb` (at least one client per
        chunk) (seed 003 §IV-C.1)."""
        order = np.argsort(-np.asarray(steps), kind="stable")
        if self.memory_budget_mb is None:
            return [order]
        budget = self.memory_budget_mb * 2**20
        out, i = [], 0
        while i < len(order):
            per = self.client_bytes(int(steps[order[i]]), batch)  # the chunk's widest client
            c = max(1, int(budget // per))
            out.append(order[i:i + c])
            i += c
        return out

    def train(self, global_flat: torch.Tensor, clients: Sequence[int], cfg: ClientConfig,
              seed: int, rnd: int) -> torch.Tensor:
        """Run the local update of every client in ``clients`` at once, in chunks of clients
        when the budget says so; returns ``(K, P)`` (seed 003 §IV-C.1)."""
        ids = np.asarray(clients, dtype=np.int64)
        plans = [client_plan(int(self.sizes[k]), cfg, seed, rnd, int(k)) for k in ids]
        steps = np.array([p.shape[0] for p in plans])
        b_max = max(p.shape[1] for p in plans)  # one width for all chunks: same sums as one pass
        out = torch.empty(len(ids), self.spec.numel)
        for part in self.chunks(steps, b_max):
            out[torch.from_numpy(part)] = self._train_rows(global_flat, ids[part],
                                                           [plans[j] for j in part], b_max, cfg)
        return out

    def _train_rows(self, global_flat: torch.Tensor, ids: np.ndarray, plans: list[np.ndarray],
                    b_max: int, cfg: ClientConfig) -> torch.Tensor:
        """One pass over clients already sorted by steps, most first (active clients are a prefix)."""
        kk = len(ids)
        steps = np.array([p.shape[0] for p in plans])
        s_max = int(steps.max())
        glob = np.zeros((kk, s_max, b_max), dtype=np.int64)
        mask = np.zeros((kk, s_max, b_max), dtype=np.float32)
        for row, p in enumerate(plans):
            valid = p >= 0
            glob[row, :p.shape[0], :p.shape[1]] = np.where(valid, self.client_indices[ids[row]][p], 0)
            mask[row, :p.shape[0], :p.shape[1]] = valid
        g = torch.from_numpy(glob)
        xs, ys, ms = self._inputs(g), self.y[g], torch.from_numpy(mask)
        active = [int((steps > s).sum()) for s in range(s_max)]
        params = global_flat.detach().reshape(1, -1).repeat(kk, 1)
        g0 = global_flat.detach().reshape(1, -1)
        for s in range(s_max):
            a = active[s]
            p = params[:a]
            _, grad = self._loss_grad(p, xs[:a, s], ys[:a, s], ms[:a, s])
            if cfg.prox_mu > 0:
                grad = grad + cfg.prox_mu * (p - g0)
            p.sub_(grad, alpha=cfg.lr)
        return params

    def loss_grad(self, params: torch.Tensor, clients: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Full-local-data loss ``(K,)`` and gradient ``(K, P)`` of each client at ``params[k]`` (seed 003 §IV-C.1)."""
        ids = np.asarray(clients, dtype=np.int64)
        n_max = int(self.sizes[ids].max())
        glob = np.zeros((len(ids), n_max), dtype=np.int64)
        mask = np.zeros((len(ids), n_max), dtype=np.float32)
        for row, k in enumerate(ids):
            n = int(self.sizes[k])
            glob[row, :n] = self.client_indices[k]
            mask[row, :n] = 1.0
        return self.batch_loss_grad(params, torch.from_numpy(glob), torch.from_numpy(mask))

    def batch_loss_grad(self, params: torch.Tensor, idx: torch.Tensor,
                        mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss ``(K,)`` and gradient ``(K, P)`` of row ``k`` at ``params[k]`` on the training
        samples ``idx[k]`` (``(K, B)`` global indices; ``mask`` weighs them, all 1 by default):
        one batched step's gradients for any caller, e.g. gossip's nodes (seed 003 §IV-C.1)."""
        m = torch.ones(idx.shape, dtype=torch.float32) if mask is None else mask
        return self._loss_grad(params, self._inputs(idx), self.y[idx], m)


def make_trainer(engine: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 client_indices: Sequence[np.ndarray],
                 memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB,
                 ) -> SequentialTrainer | BatchedTrainer:
    """The trainer for ``engine`` (``"batched"`` or ``"sequential"``); ``memory_budget_mb``
    bounds the batched engine's stacked tensors per pass (seed 003 §IV-C.1)."""
    if engine == "batched":
        return BatchedTrainer(model, x, y, client_indices, memory_budget_mb=memory_budget_mb)
    if engine == "sequential":
        return SequentialTrainer(model, x, y, client_indices)
    raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}")
