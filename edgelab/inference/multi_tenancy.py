"""Multi-tenancy: several DNN applications sharing one device (seed 003 §V-C.7).

Two of the survey's systems, on the 8×8 digits:

* **Mainstream** [110]: applications fine-tune the same pre-trained network and *share its
  first k layers* (frozen, computed once per frame for all of them); each chooses k and a
  frame rate. Sharing more layers saves compute and memory and costs accuracy; a lower frame
  rate misses short events.
* **NestDNN** [107]: each application's network becomes a family of nested *descendants*
  (here the compression chapter's structured channel pruning at several ratios); at run time
  the scheduler switches each application to the descendant that fits as the resources change.

Both are one allocation problem: pick one option per tenant to maximise the mean accuracy
under a compute budget (seconds of compute per second of video, i.e. the share of one device)
and a memory budget. Shared layers are counted once, at the highest frame rate among the
tenants that share them (the coupling that makes this more than a knapsack). We solve it
exactly as a mixed-integer program (scipy's ``milp``/HiGHS), greedily (Mainstream's scheduler
is greedy), and exhaustively for small instances (to check the MILP). Compute times come from
the cost model (:func:`edgelab.hardware.cost.layer_latency`) on a catalog device.

Accuracy of a tenant at frame rate f: the model's accuracy × the share of events of duration
``event_s`` that at least one sampled frame sees, ``min(1, f · event_s)`` (periodic sampling,
uniform phase), as Mainstream scores event detection against sampling rate.
"""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.errors import ParameterError, unknown_name
from edgelab.hardware.catalog import get_device
from edgelab.hardware.cost import layer_latency
from edgelab.hardware.profile import profile
from edgelab.inference.compression.common import accuracy as model_accuracy
from edgelab.inference.compression.common import train
from edgelab.inference.compression.pruning import structured_prune
from edgelab.models import build

__all__ = ["Tenant", "TenancyProblem", "Allocation", "NoFeasibleAllocation", "TenancyBench",
           "event_recall", "param_blocks", "block_costs", "shared_stem_accuracy",
           "mainstream_problem", "descendants", "nestdnn_problem", "evaluate", "solve_milp",
           "solve_greedy", "solve_exhaustive", "nestdnn_schedule", "random_problem",
           "tenancy_benchmark"]

FRAME_RATES = (1.0, 2.0, 5.0, 10.0, 30.0)


class NoFeasibleAllocation(ParameterError):
    """No allocation meets the budgets; the message names the cheapest one and its cost."""


def event_recall(fps: np.ndarray | float, event_s: float) -> np.ndarray:
    """Share of events lasting ``event_s`` seconds that periodic sampling at ``fps`` frames per
    second sees at least once: ``min(1, fps · event_s)`` (seed 003 §V-C.7, Mainstream)."""
    e = positive("event_s", event_s)
    f = np.asarray(fps, dtype=np.float64)
    if np.any(f <= 0):
        raise ParameterError(f"fps must be > 0, got {fps!r}")
    return np.minimum(1.0, f * e)


@dataclass(frozen=True)
class Tenant:
    """One application: its name, the model it runs (a key of the problem's accuracy table),
    the event duration it must catch (s) and the frame rates it may choose (seed 003 §V-C.7)."""

    name: str
    model: str
    event_s: float = 0.5
    frame_rates: tuple[float, ...] = FRAME_RATES


@dataclass(frozen=True)
class TenancyProblem:
    """The allocation problem (seed 003 §V-C.7).

    ``options``: one row per (tenant, option) with ``tenant`` (index), ``label``, ``accuracy``,
    ``fps``, ``k`` (shared layers), ``private_s`` (compute seconds per frame outside the shared
    stem) and ``private_bytes``. ``stem_s`` / ``stem_bytes``: per-frame compute and weight bytes
    of each shareable layer (block), in order; a tenant with ``k`` shares blocks ``0..k-1``.
    """

    tenants: tuple[str, ...]
    options: pd.DataFrame
    stem_s: np.ndarray
    stem_bytes: np.ndarray
    compute_budget: float
    memory_budget_bytes: float


@dataclass(frozen=True)
class Allocation:
    """One option per tenant and what it costs (seed 003 §V-C.7). ``choice`` holds row indices
    of ``problem.options``; ``accuracy`` is the mean over tenants; ``compute`` in
    compute-seconds per second; ``solve_s`` the solver's wall time on this CPU."""

    method: str
    choice: tuple[int, ...]
    accuracy: float
    compute: float
    memory_bytes: float
    solve_s: float
    table: pd.DataFrame = field(repr=False, compare=False)


# ------------------------------------------------------------------------------ costs of blocks

def param_blocks(model: nn.Module) -> list[str]:
    """Names of the layers that hold weights (conv, linear), in order: the blocks a Mainstream
    tenant can share (seed 003 §V-C.7)."""
    return [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def block_costs(model: nn.Module, example: torch.Tensor, device: str) -> pd.DataFrame:
    """Per-frame cost-model latency and fp32 weight bytes of each block of ``model`` on
    ``device`` (a weightless layer is charged to the block before it; the device's
    per-inference overhead is returned in ``attrs['overhead_s']``) (seed 003 §V-C.7)."""
    dev = get_device(device)
    prof = profile(model, example[:1])
    t = prof.table.assign(latency_s=layer_latency(prof, dev))
    blocks = param_blocks(model)
    owner, cur = [], blocks[0]
    for layer in t["layer"]:
        cur = layer if layer in blocks else cur
        owner.append(cur)
    g = t.assign(block=owner).groupby("block", sort=False)[["latency_s", "weight_bytes", "macs"]].sum()
    out = g.reindex(blocks).reset_index().rename(columns={"index": "block"})
    out.attrs["overhead_s"] = float(dev.model_overhead_s)
    return out


# ------------------------------------------------------------------------ Mainstream instance

def shared_stem_accuracy(base: nn.Module, tasks: dict[str, tuple[torch.Tensor, torch.Tensor,
                                                                  torch.Tensor, torch.Tensor]],
                         epochs: int = 3, seed: int = 0, lr: float = 3e-3) -> pd.DataFrame:
    """Fine-tune a copy of ``base`` on each task with its first k blocks frozen, for every k
    from 0 (all layers tuned) to the number of blocks − 1 (only the last layer tuned); the
    output layer is replaced to fit the task's classes. ``tasks`` maps a name to
    ``(x_train, y_train, x_test, y_test)``. Returns the test accuracy per (task, k)
    (seed 003 §V-C.7)."""
    blocks = param_blocks(base)
    rows = []
    for name, (xtr, ytr, xte, yte) in tasks.items():
        n_cls = int(max(int(ytr.max()), int(yte.max())) + 1)
        for k in range(len(blocks)):
            m = copy.deepcopy(base)
            last = blocks[-1]
            old = dict(m.named_modules())[last]
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                setattr(m, last, nn.Linear(old.in_features, n_cls))
            mods = dict(m.named_modules())
            for b in blocks[:k]:
                for p in mods[b].parameters():
                    p.requires_grad_(False)
            train(m, xtr, ytr, epochs, lr=lr, seed=seed)
            rows.append({"task": name, "k": k, "accuracy": model_accuracy(m, xte, yte)})
    return pd.DataFrame(rows)


def mainstream_problem(tenants: list[Tenant], stem_accuracy: pd.DataFrame, blocks: pd.DataFrame,
                       compute_budget: float, memory_budget_bytes: float) -> TenancyProblem:
    """Build the Mainstream problem: each tenant chooses k (shared blocks) and a frame rate;
    ``stem_accuracy`` has columns ``task``, ``k``, ``accuracy`` (a tenant's ``model`` names its
    task); ``blocks`` is :func:`block_costs` of the common model (seed 003 §V-C.7)."""
    if not tenants:
        raise ParameterError("tenants must name at least one application")
    tasks = set(stem_accuracy["task"])
    lat, wb = blocks["latency_s"].to_numpy(), blocks["weight_bytes"].to_numpy(dtype=np.float64)
    oh = float(blocks.attrs.get("overhead_s", 0.0))
    rows = []
    for i, t in enumerate(tenants):
        if t.model not in tasks:
            raise unknown_name("tenant model", t.model, sorted(tasks))
        acc = stem_accuracy[stem_accuracy["task"] == t.model].set_index("k")["accuracy"]
        for k, a in acc.items():
            for f in t.frame_rates:
                rows.append({"tenant": i, "label": f"k={k}, {f:g} fps", "k": int(k), "fps": float(f),
                             "model_accuracy": float(a),
                             "accuracy": float(a * event_recall(f, t.event_s)),
                             "private_s": float(lat[int(k):].sum() + oh),
                             "private_bytes": float(wb[int(k):].sum())})
    return TenancyProblem(tuple(t.name for t in tenants), pd.DataFrame(rows),
                          lat[:-1].astype(np.float64), wb[:-1], positive("compute_budget", compute_budget),
                          positive("memory_budget_bytes", memory_budget_bytes))


# --------------------------------------------------------------------------- NestDNN instance

def descendants(model: nn.Module, data: tuple[torch.Tensor, ...], ratios: tuple[float, ...],
                device: str, finetune_epochs: int = 2, seed: int = 0) -> pd.DataFrame:
    """NestDNN's descendants of a trained ``model``: channel-pruned copies at each ratio (the
    compression chapter's Torch-Pruning), fine-tuned, with test accuracy, per-frame latency on
    ``device`` (cost model) and fp32 weight bytes (seed 003 §V-C.7)."""
    xtr, ytr, xte, yte = data
    dev = get_device(device)
    rows = []
    for r in ratios:
        m = structured_prune(model, xte[:1], float(r))
        if r > 0:
            train(m, xtr, ytr, finetune_epochs, lr=1e-3, seed=seed)
        prof = profile(m, xte[:1])
        rows.append({"ratio": float(r), "accuracy": model_accuracy(m, xte, yte),
                     "latency_s": float(layer_latency(prof, dev).sum() + dev.model_overhead_s),
                     "weight_bytes": float(prof.table["weight_bytes"].sum()),
                     "macs": int(prof.table["macs"].sum())})
    return pd.DataFrame(rows)


def nestdnn_problem(tenants: list[Tenant], families: dict[str, pd.DataFrame],
                    compute_budget: float, memory_budget_bytes: float) -> TenancyProblem:
    """Build the NestDNN problem: each tenant picks one descendant of its model's family (at
    each of its frame rates); nothing is shared (seed 003 §V-C.7)."""
    if not tenants:
        raise ParameterError("tenants must name at least one application")
    rows = []
    for i, t in enumerate(tenants):
        if t.model not in families:
            raise unknown_name("tenant model", t.model, sorted(families))
        for _, d in families[t.model].iterrows():
            for f in t.frame_rates:
                rows.append({"tenant": i, "label": f"pruned {d['ratio']:.0%}, {f:g} fps", "k": 0,
                             "fps": float(f), "ratio": float(d["ratio"]),
                             "model_accuracy": float(d["accuracy"]),
                             "accuracy": float(d["accuracy"] * event_recall(f, t.event_s)),
                             "private_s": float(d["latency_s"]),
                             "private_bytes": float(d["weight_bytes"])})
    return TenancyProblem(tuple(t.name for t in tenants), pd.DataFrame(rows), np.zeros(0),
                          np.zeros(0), positive("compute_budget", compute_budget),
                          positive("memory_budget_bytes", memory_budget_bytes))


# ------------------------------------------------------------------------------------ solvers

def _arrays(p: TenancyProblem) -> dict[str, np.ndarray]:
    o = p.options
    return {"k": o["k"].to_numpy(), "fps": o["fps"].to_numpy(dtype=np.float64),
            "ps": o["private_s"].to_numpy(dtype=np.float64),
            "pb": o["private_bytes"].to_numpy(dtype=np.float64),
            "pos": pd.Series(np.arange(len(o)), index=o.index)}


def _costs(p: TenancyProblem, choice: tuple[int, ...],
           arr: dict[str, np.ndarray] | None = None) -> tuple[float, float]:
    a = _arrays(p) if arr is None else arr
    j = a["pos"].loc[list(choice)].to_numpy() if arr is None else np.asarray(choice)
    ks, fs = a["k"][j], a["fps"][j]
    depth = np.arange(1, len(p.stem_s) + 1)
    share = ks[:, None] >= depth[None, :]  # (tenants, blocks)
    rate = np.where(share, fs[:, None], 0.0).max(0) if len(ks) else np.zeros(len(depth))
    compute = float((p.stem_s * rate).sum() + (a["ps"][j] * fs).sum())
    memory = float((p.stem_bytes * share.any(0)).sum() + a["pb"][j].sum())
    return compute, memory


def evaluate(p: TenancyProblem, choice: tuple[int, ...], method: str = "given",
             solve_s: float = 0.0) -> Allocation:
    """Mean accuracy, compute and memory of an allocation (``choice``: one options row per
    tenant, in tenant order) (seed 003 §V-C.7)."""
    o = p.options.loc[list(choice)]
    if list(o["tenant"]) != list(range(len(p.tenants))):
        raise ParameterError("choice must hold one option row per tenant, in tenant order")
    compute, memory = _costs(p, choice)
    tab = o.assign(tenant_name=[p.tenants[i] for i in o["tenant"]])
    return Allocation(method, tuple(int(c) for c in choice), float(o["accuracy"].mean()), compute,
                      memory, float(solve_s), tab)


def _feasible(p: TenancyProblem, choice: tuple[int, ...]) -> bool:
    c, m = _costs(p, choice)
    return c <= p.compute_budget * (1 + 1e-9) and m <= p.memory_budget_bytes * (1 + 1e-9)


def _cheapest(p: TenancyProblem) -> tuple[int, ...]:
    o = p.options
    alone = o["fps"] * (o["private_s"] + [p.stem_s[:k].sum() for k in o["k"]])
    score = alone / p.compute_budget + o["private_bytes"] / p.memory_budget_bytes
    return tuple(int(score[o["tenant"] == i].idxmin()) for i in range(len(p.tenants)))


def _infeasible(p: TenancyProblem) -> NoFeasibleAllocation:
    a = evaluate(p, _cheapest(p))
    return NoFeasibleAllocation(
        f"budget: no allocation of the {len(p.tenants)} tenants fits compute <= "
        f"{p.compute_budget:.3g} s/s and memory <= {p.memory_budget_bytes:.4g} B; the cheapest "
        f"({', '.join(a.table['label'])}) needs {a.compute:.3g} s/s and {a.memory_bytes:.4g} B")


def solve_greedy(p: TenancyProblem) -> Allocation:
    """Mainstream's kind of scheduler: start every tenant at its cheapest option, then keep
    making the single change of one tenant's option with the most accuracy gained per unit of
    budget used (compute and memory, each as a share of its budget) that still fits; stop when
    no change gains (seed 003 §V-C.7)."""
    t0 = time.perf_counter()
    start = _cheapest(p)
    if not _feasible(p, start):
        raise _infeasible(p)
    arr = _arrays(p)
    pos = arr["pos"]
    cur = tuple(int(pos[c]) for c in start)
    acc = p.options["accuracy"].to_numpy()
    ten = p.options["tenant"].to_numpy()
    by_tenant = [np.flatnonzero(ten == i) for i in range(len(p.tenants))]
    cb, mb = p.compute_budget * (1 + 1e-9), p.memory_budget_bytes * (1 + 1e-9)
    c0, m0 = _costs(p, cur, arr)
    while True:
        best, best_score = None, -np.inf
        for i, rows in enumerate(by_tenant):
            for r in rows:
                gain = acc[r] - acc[cur[i]]
                if gain <= 1e-12:
                    continue
                cand = cur[:i] + (int(r),) + cur[i + 1:]
                c, m = _costs(p, cand, arr)
                if c > cb or m > mb:
                    continue
                used = (c - c0) / p.compute_budget + (m - m0) / p.memory_budget_bytes
                score = gain / used if used > 1e-15 else np.inf
                if score > best_score:
                    best, best_score = cand, score
        if best is None:
            break
        cur = best
        c0, m0 = _costs(p, cur, arr)
    return evaluate(p, tuple(int(p.options.index[j]) for j in cur), "greedy",
                    time.perf_counter() - t0)


def solve_milp(p: TenancyProblem, time_limit_s: float = 30.0) -> Allocation:
    """The exact optimum as a mixed-integer linear program (scipy ``milp``, HiGHS): binaries
    x (one option per tenant); for every shareable block l a rate r_l ≥ fps of each tenant that
    shares it and a flag s_l ≥ each sharing tenant's x, so the shared block is paid once at the
    highest rate and stored once (seed 003 §V-C.7). ``time_limit_s`` bounds the solver."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    lim = positive("time_limit_s", time_limit_s)
    t0 = time.perf_counter()
    o = p.options.reset_index(drop=True)
    n, nb, nt = len(o), len(p.stem_s), len(p.tenants)
    nv = n + 2 * nb  # x, r, s
    ks, fs = o["k"].to_numpy(), o["fps"].to_numpy()
    ten = o["tenant"].to_numpy()
    c = np.zeros(nv)
    # ties in accuracy go to the option using the least budget (a 1e-6 nudge, below any
    # accuracy difference a test set can measure)
    c[:n] = -o["accuracy"].to_numpy() + 1e-6 * (o["private_s"].to_numpy() * fs / p.compute_budget
                                                + o["private_bytes"].to_numpy() / p.memory_budget_bytes)
    rows_a, lo, hi = [], [], []
    one = lil_matrix((nt, nv))
    for j in range(n):
        one[ten[j], j] = 1.0
    rows_a.append(one.tocsr())
    lo += [1.0] * nt
    hi += [1.0] * nt
    if nb:
        link = lil_matrix((2 * nt * nb, nv))
        for i in range(nt):
            for lb in range(nb):
                rr, rs = 2 * (i * nb + lb), 2 * (i * nb + lb) + 1
                link[rr, n + lb] = 1.0
                link[rs, n + nb + lb] = 1.0
                for j in np.flatnonzero((ten == i) & (ks > lb)):
                    link[rr, j] = -fs[j]
                    link[rs, j] = -1.0
        rows_a.append(link.tocsr())
        lo += [0.0] * (2 * nt * nb)
        hi += [np.inf] * (2 * nt * nb)
    bud = lil_matrix((2, nv))
    for j in range(n):
        bud[0, j] = o["private_s"].iat[j] * fs[j]
        bud[1, j] = o["private_bytes"].iat[j]
    for lb in range(nb):
        bud[0, n + lb] = p.stem_s[lb]
        bud[1, n + nb + lb] = p.stem_bytes[lb]
    rows_a.append(bud.tocsr())
    lo += [-np.inf, -np.inf]
    hi += [p.compute_budget, p.memory_budget_bytes]
    from scipy.sparse import vstack

    a = vstack(rows_a).tocsr()
    integrality = np.r_[np.ones(n), np.zeros(2 * nb)]
    ub = np.r_[np.ones(n), np.full(nb, max(fs.max(), 1.0)), np.ones(nb)]
    res = milp(c, constraints=LinearConstraint(a, lo, hi), integrality=integrality,
               bounds=Bounds(np.zeros(nv), ub), options={"time_limit": lim})
    if res.x is None:
        raise _infeasible(p)
    x = res.x[:n] > 0.5
    choice = tuple(int(p.options.index[j]) for j in sorted(np.flatnonzero(x), key=lambda j: ten[j]))
    return evaluate(p, choice, "milp", time.perf_counter() - t0)


def solve_exhaustive(p: TenancyProblem, max_combinations: int = 200_000) -> Allocation:
    """Try every combination (at most ``max_combinations``): the reference that checks the
    MILP on small instances (seed 003 §V-C.7)."""
    lim = integer_in("max_combinations", max_combinations, 1, 10**8)
    o = p.options
    by_tenant = [o.index[o["tenant"] == i].to_list() for i in range(len(p.tenants))]
    total = int(np.prod([len(r) for r in by_tenant], dtype=np.float64))
    if total > lim:
        raise ParameterError(f"max_combinations: the instance has {total} combinations, more "
                             f"than {lim}; use solve_milp")
    t0 = time.perf_counter()
    acc = o["accuracy"]
    best, best_acc = None, -np.inf
    for cand in itertools.product(*by_tenant):
        a = float(acc.loc[list(cand)].sum())
        if a > best_acc + 1e-12 and _feasible(p, cand):
            best, best_acc = cand, a
    if best is None:
        raise _infeasible(p)
    return evaluate(p, tuple(best), "exhaustive", time.perf_counter() - t0)


# --------------------------------------------------------------------- NestDNN at run time

def nestdnn_schedule(p: TenancyProblem, budgets: np.ndarray | list[float]) -> pd.DataFrame:
    """NestDNN at run time: as the compute budget changes (one value per step), re-solve the
    allocation exactly and switch descendants; against a static allocation chosen once for
    the smallest budget. ``bytes_nested``: weights loaded per step when descendants are nested
    (growing loads only the added channels; shrinking loads nothing), ``bytes_independent``:
    when every switch loads a whole separate model (seed 003 §V-C.7)."""
    b = np.asarray(budgets, dtype=np.float64)
    if b.size == 0 or np.any(b <= 0):
        raise ParameterError("budgets must be a non-empty sequence of compute budgets > 0")
    static = solve_milp(TenancyProblem(p.tenants, p.options, p.stem_s, p.stem_bytes,
                                       float(b.min()), p.memory_budget_bytes))
    rows, prev = [], static.choice
    wb = p.options["private_bytes"]
    for step, budget in enumerate(b):
        q = TenancyProblem(p.tenants, p.options, p.stem_s, p.stem_bytes, float(budget),
                           p.memory_budget_bytes)
        a = solve_milp(q)
        changed = [(u, v) for u, v in zip(prev, a.choice, strict=False) if u != v]
        rows.append({"step": step, "budget": float(budget), "accuracy": a.accuracy,
                     "static_accuracy": static.accuracy, "compute": a.compute,
                     "switches": len(changed),
                     "bytes_nested": float(sum(max(0.0, wb[v] - wb[u]) for u, v in changed)),
                     "bytes_independent": float(sum(wb[v] for _, v in changed))})
        prev = a.choice
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------- benchmark

def random_problem(n_tenants: int = 10, seed: int = 0, device: str = "cortex-m7",
                   tightness: float = 0.25) -> TenancyProblem:
    """A seeded Mainstream instance for benchmarking the allocator: the block costs of the
    zoo's ``digits_cnn`` on ``device`` (cost model), synthetic accuracies (each tenant's
    accuracy falls by a seeded amount as k grows) and event durations; the budgets are
    ``tightness`` × what every tenant at full rate and no sharing would need
    (seed 003 §V-C.7)."""
    n = integer_in("n_tenants", n_tenants, 1, 1000)
    tight = positive("tightness", tightness)
    rng = np.random.default_rng(seed)
    blocks = block_costs(build("digits_cnn"), torch.zeros(1, 1, 8, 8), device)
    kmax = len(blocks) - 1
    rows = []
    for t in range(n):
        a0, drop = rng.uniform(0.85, 0.99), rng.uniform(0.02, 0.3)
        for k in range(kmax + 1):
            rows.append({"task": f"task{t}", "k": k,
                         "accuracy": a0 - drop * (k / kmax) ** rng.uniform(1.0, 3.0)})
    tenants = [Tenant(f"app{t}", f"task{t}", float(rng.uniform(0.05, 1.0))) for t in range(n)]
    full = n * max(FRAME_RATES) * (blocks["latency_s"].sum() + blocks.attrs["overhead_s"])
    mem = n * blocks["weight_bytes"].sum()
    return mainstream_problem(tenants, pd.DataFrame(rows), blocks, tight * full, tight * mem)


@dataclass(frozen=True)
class TenancyBench:
    """Greedy against the exact optimum on one instance (seed 003 §V-C.7): mean accuracies,
    the gap in points (optimal − greedy, ≥ 0) and each solver's wall time on this CPU."""

    n_tenants: int
    n_options: int
    greedy_accuracy: float
    optimal_accuracy: float
    gap_points: float
    greedy_solve_s: float
    milp_solve_s: float


def tenancy_benchmark(n_tenants: int = 10, seed: int = 0, tightness: float = 0.25) -> TenancyBench:
    """The allocator benchmark of ``edgelab bench video``: greedy vs MILP on
    :func:`random_problem` (seed 003 §V-C.7)."""
    p = random_problem(n_tenants, seed, tightness=tightness)
    g, m = solve_greedy(p), solve_milp(p)
    return TenancyBench(n_tenants=len(p.tenants), n_options=len(p.options),
                        greedy_accuracy=g.accuracy, optimal_accuracy=m.accuracy,
                        gap_points=100 * (m.accuracy - g.accuracy), greedy_solve_s=g.solve_s,
                        milp_solve_s=m.solve_s)
