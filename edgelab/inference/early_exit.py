"""Model early exit: BranchyNet, DDNN and Edgent (seed 003 §V-C.3, Fig. 14; Table 4).

* **BranchyNet** [87]: exit branches added to a trunk, trained with a weighted joint loss; at
  inference a sample leaves at the first exit whose entropy (or confidence) passes a
  threshold. Exit is real and per sample: a sample that exits never runs the later layers.
* **DDNN** [88]: exits on the device, the edge and the cloud; several end devices each see the
  input, and their outputs are aggregated by max pooling (MP), average pooling (AP) or
  concatenation (CC). Devices send compact binarised features only for samples the local exit
  could not classify.
* **Edgent** [10]: choose the exit point and the partition point together, to maximise accuracy
  under a latency deadline at a given bandwidth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from edgelab._validate import choice, integer_in, positive, positive_array
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import link_rates, transfer_time
from edgelab.hardware.profile import profile
from edgelab.inference.partition import best_split

CRITERIA = ("entropy", "confidence")
AGGREGATIONS = ("max", "avg", "concat")


# ----------------------------------------------------------------------------- BranchyNet


class MultiExitNet(nn.Module):
    """A trunk cut into ``stages`` with one exit head after each (BranchyNet, seed 003 §V-C.3).

    ``forward`` returns the logits of every exit (for training); :func:`early_exit_inference`
    runs the real per-sample early exit.
    """

    def __init__(self, stages: Sequence[nn.Module], exits: Sequence[nn.Module],
                 input_shape: tuple[int, ...]) -> None:
        super().__init__()
        if len(stages) != len(exits) or not stages:
            raise ValueError("stages and exits must be non-empty and of equal length")
        self.stages = nn.ModuleList(stages)
        self.exits = nn.ModuleList(exits)
        self.input_shape = tuple(input_shape)

    @property
    def n_exits(self) -> int:
        """Number of exit points."""
        return len(self.exits)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # noqa: D102
        outs = []
        for stage, head in zip(self.stages, self.exits, strict=True):
            x = stage(x)
            outs.append(head(x))
        return outs

    def branch(self, i: int) -> nn.Sequential:
        """The chain model that ends at exit ``i``: stages ``0..i`` then head ``i``."""
        i = integer_in("exit", i, 0, self.n_exits - 1)
        return nn.Sequential(*[self.stages[j] for j in range(i + 1)], self.exits[i])

    def stage_macs(self) -> tuple[np.ndarray, np.ndarray]:
        """MACs of each stage and of each exit head for one sample (from the profiler)."""
        x = torch.zeros((1, *self.input_shape))
        st, hd = [], []
        with torch.no_grad():
            for stage, head in zip(self.stages, self.exits, strict=True):
                st.append(profile(stage, x, name="stage").table["macs"].sum())
                x = stage(x)
                hd.append(profile(head, x, name="exit").table["macs"].sum())
        return np.array(st, dtype=np.int64), np.array(hd, dtype=np.int64)


def digits_branchynet(width: int = 16, seed: int = 0, pooled_exits: bool = False) -> MultiExitNet:
    """A three-exit CNN for 1×8×8 digits: exits after conv1, after conv2 and at the end
    (BranchyNet, seed 003 §V-C.3, Fig. 14).

    ``pooled_exits=True`` makes both side exits the cascading network's cheap kind: a global
    max pool (one value per channel) then one linear layer, so that an exit sees less of the
    input than the exits after it and accuracy rises with depth; by default the first exit
    pools to 2×2 and the second classifies the full feature map.
    """
    width = integer_in("width", width, 1, 512)
    if not isinstance(pooled_exits, (bool, np.bool_)):
        raise ValueError(f"pooled_exits must be True or False, got {pooled_exits!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        stages = [
            nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 4, 64), nn.ReLU()),
        ]
        if pooled_exits:  # global max pool, then one linear layer
            exits = [
                nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(width, 10)),
                nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(2 * width, 10)),
                nn.Linear(64, 10),
            ]
        else:  # the first exit is deliberately cheap: pool to 2×2, then one linear layer
            exits = [
                nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(width * 4, 10)),
                nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 4, 10)),
                nn.Linear(64, 10),
            ]
        return MultiExitNet(stages, exits, (1, 8, 8))


def _as_images(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1, 1, 8, 8) if x.dim() == 2 and x.shape[1] == 64 else x


def train_multi_exit(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, exit_weights: Sequence[float] | None = None,
    epochs: int = 30, lr: float = 0.005, batch_size: int = 64, seed: int = 0,
) -> list[float]:
    """Train every exit jointly with a weighted sum of cross-entropies (BranchyNet's loss).

    Returns the mean joint loss of each epoch. Deterministic for a given seed.
    """
    epochs = integer_in("epochs", epochs, 1, 10_000)
    positive("lr", lr)
    batch_size = integer_in("batch_size", batch_size, 1, 1_000_000)
    x = _as_images(x)
    n_exits = len(model(x[:1]))
    w = list(exit_weights) if exit_weights is not None else [1.0] * n_exits
    if len(w) != n_exits:
        raise ValueError(f"exit_weights must have {n_exits} entries (one per exit), got {len(w)}")
    for v in w:
        positive("exit_weights", v, allow_zero=True)
    return _train_joint(model, lambda idx: model(x[idx]), y, w, epochs, lr, batch_size, seed)


def _train_joint(model: nn.Module, forward: Callable[[torch.Tensor], list[torch.Tensor]],
                 y: torch.Tensor, weights: Sequence[float], epochs: int, lr: float,
                 batch_size: int, seed: int) -> list[float]:
    """Adam on the weighted sum of every exit's cross-entropy; returns mean loss per epoch."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        total = 0.0
        for i in range(0, len(y), batch_size):
            idx = perm[i:i + batch_size]
            outs = forward(idx)
            loss = sum(wi * F.cross_entropy(o, y[idx]) for wi, o in zip(weights, outs, strict=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(y))
    model.eval()
    return history


def normalized_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the softmax divided by log(classes): 0 = certain, 1 = uniform."""
    logp = F.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1) / np.log(logits.shape[-1])


def _passes(logits: torch.Tensor, threshold: float, criterion: str) -> torch.Tensor:
    if criterion == "entropy":
        return normalized_entropy(logits) <= threshold
    return F.softmax(logits, dim=-1).max(-1).values >= threshold


@dataclass(frozen=True)
class EarlyExitResult:
    """Per-sample outcome of early-exit inference."""

    pred: np.ndarray
    exit_index: np.ndarray
    macs: np.ndarray
    full_macs: int

    @property
    def avg_macs(self) -> float:
        """Mean MACs per sample actually executed."""
        return float(self.macs.mean())

    def accuracy(self, y: torch.Tensor | np.ndarray) -> float:
        """Share of correct predictions."""
        return float((self.pred == np.asarray(y)).mean())

    def exit_fractions(self, n_exits: int) -> np.ndarray:
        """Share of samples leaving at each exit."""
        return np.bincount(self.exit_index, minlength=n_exits) / len(self.exit_index)


@torch.no_grad()
def early_exit_inference(
    model: MultiExitNet, x: torch.Tensor, threshold: float | Sequence[float],
    criterion: str = "entropy",
) -> EarlyExitResult:
    """Real per-sample early exit (BranchyNet): samples that exit never run later stages.

    ``threshold`` is one value for every side exit or one per side exit; the last exit takes
    every remaining sample. Entropy exits when normalised entropy ≤ threshold; confidence
    exits when the top softmax probability ≥ threshold.
    """
    choice("criterion", criterion, CRITERIA)
    n_side = model.n_exits - 1
    th = [float(threshold)] * n_side if np.isscalar(threshold) else [float(t) for t in threshold]
    if len(th) != n_side:
        raise ValueError(f"threshold must be a number or {n_side} numbers (one per side exit)")
    for t in th:
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"threshold must be in [0, 1] for criterion {criterion!r}, got {t}")
    x = _as_images(x)
    n = len(x)
    st_macs, hd_macs = model.stage_macs()
    pred = np.full(n, -1, dtype=np.int64)
    exit_idx = np.full(n, -1, dtype=np.int64)
    macs = np.zeros(n, dtype=np.int64)
    remaining = np.arange(n)
    h = x
    for i, (stage, head) in enumerate(zip(model.stages, model.exits, strict=True)):
        if len(remaining) == 0:
            break
        h = stage(h)
        logits = head(h)
        macs[remaining] += st_macs[i] + hd_macs[i]
        leave = (torch.ones(len(remaining), dtype=torch.bool) if i == model.n_exits - 1
                 else _passes(logits, th[i], criterion)).numpy()
        pred[remaining[leave]] = logits[torch.from_numpy(leave)].argmax(-1).numpy()
        exit_idx[remaining[leave]] = i
        remaining = remaining[~leave]
        h = h[torch.from_numpy(~leave)]
    return EarlyExitResult(pred, exit_idx, macs, int(st_macs.sum() + hd_macs[-1]))


def threshold_sweep(model: MultiExitNet, x: torch.Tensor, y: torch.Tensor,
                    thresholds: Sequence[float], criterion: str = "entropy") -> pd.DataFrame:
    """Accuracy against average MACs as the exit threshold moves (BranchyNet's trade-off)."""
    rows = []
    for t in thresholds:
        r = early_exit_inference(model, x, t, criterion)
        fr = r.exit_fractions(model.n_exits)
        rows.append({"threshold": float(t), "accuracy": r.accuracy(y), "avg_macs": r.avg_macs,
                     "macs_saving": 1 - r.avg_macs / r.full_macs,
                     **{f"exit{i}_share": float(f) for i, f in enumerate(fr)}})
    return pd.DataFrame(rows)


def exit_accuracies(model: MultiExitNet, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Accuracy of each exit when every sample is forced through it."""
    with torch.no_grad():
        outs = model(_as_images(x))
    return np.array([float((o.argmax(-1) == y).float().mean()) for o in outs])


# ----------------------------------------------------------------------------- DDNN


class _BinarizeSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[override]
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        return g


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Sign binarisation with a straight-through gradient (DDNN sends 1 bit per feature)."""
    return _BinarizeSTE.apply(x)


def _aggregate(parts: list[torch.Tensor], how: str) -> torch.Tensor:
    if how == "max":
        return torch.stack(parts).amax(0)
    if how == "avg":
        return torch.stack(parts).mean(0)
    return torch.cat(parts, dim=1)


class DDNN(nn.Module):
    """Distributed DNN over end devices, an edge and the cloud (DDNN [88], seed 003 §V-C.3).

    Each of ``n_devices`` runs a small binarised conv stage on its own view and a local exit;
    the local aggregator combines the device exits (``local_aggregation``), the edge combines
    the device features (``edge_aggregation``) and has an exit, the cloud has the final exit.
    Aggregations are max pooling (MP), average pooling (AP) or concatenation (CC).
    """

    def __init__(self, n_devices: int = 4, local_aggregation: str = "max",
                 edge_aggregation: str = "concat", feat_ch: int = 4, seed: int = 0) -> None:
        super().__init__()
        self.n_devices = integer_in("n_devices", n_devices, 1, 64)
        self.local_aggregation = choice("local_aggregation", local_aggregation, AGGREGATIONS)
        self.edge_aggregation = choice("edge_aggregation", edge_aggregation, AGGREGATIONS)
        self.feat_ch = integer_in("feat_ch", feat_ch, 1, 256)
        k = self.n_devices if edge_aggregation == "concat" else 1
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.device = nn.ModuleList([
                nn.Sequential(nn.Conv2d(1, feat_ch, 3, padding=1), nn.BatchNorm2d(feat_ch),
                              nn.MaxPool2d(2)) for _ in range(n_devices)])
            self.local_exit = nn.ModuleList([nn.Linear(feat_ch * 16, 10) for _ in range(n_devices)])
            self.local_agg = (nn.Linear(10 * n_devices, 10) if local_aggregation == "concat"
                              else None)
            self.edge = nn.Sequential(nn.Conv2d(feat_ch * k, 32, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Flatten())
            self.edge_exit = nn.Linear(128, 10)
            self.cloud = nn.Sequential(nn.Linear(128, 128), nn.ReLU())
            self.cloud_exit = nn.Linear(128, 10)

    def features(self, views: torch.Tensor) -> list[torch.Tensor]:
        """Binarised features of each device; ``views`` is (n_devices, N, 1, 8, 8)."""
        return [binarize(dev(v)) for dev, v in zip(self.device, views, strict=True)]

    def local_logits(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """The local aggregator's exit: device exits combined by MP, AP or CC."""
        per = [head(f.flatten(1)) for head, f in zip(self.local_exit, feats, strict=True)]
        if self.local_agg is not None:
            return self.local_agg(torch.cat(per, 1))
        return _aggregate(per, self.local_aggregation)

    def forward(self, views: torch.Tensor) -> list[torch.Tensor]:  # noqa: D102
        feats = self.features(views)
        e = self.edge(_aggregate(feats, self.edge_aggregation))
        return [self.local_logits(feats), self.edge_exit(e), self.cloud_exit(self.cloud(e))]

    def bytes_per_device(self) -> dict[str, float]:
        """Bytes one device sends: its class scores (8-bit) and binarised features (1 bit each)."""
        return {"scores": 10.0, "features": self.feat_ch * 16 / 8.0}


def make_views(x: torch.Tensor, n_devices: int, noise: float = 0.3, drop: float = 0.25,
               seed: int = 0) -> torch.Tensor:
    """Views of each sample from ``n_devices`` sensors: independent noise and occluded pixels."""
    n_devices = integer_in("n_devices", n_devices, 1, 64)
    positive("noise", noise, allow_zero=True)
    if not 0 <= drop < 1:
        raise ValueError(f"drop must be in [0, 1), got {drop}")
    x = _as_images(x)
    g = torch.Generator().manual_seed(seed)
    views = x.unsqueeze(0).repeat(n_devices, 1, 1, 1, 1)
    views = views + noise * torch.randn(views.shape, generator=g)
    mask = torch.rand(views.shape, generator=g) >= drop
    return views * mask


@torch.no_grad()
def ddnn_inference(model: DDNN, views: torch.Tensor, y: torch.Tensor,
                   thresholds: tuple[float, float] = (0.3, 0.3)) -> dict[str, float]:
    """Hierarchical exit: local, then edge, then cloud; bytes counted per sample.

    A sample exits locally when the aggregated local exit's normalised entropy ≤
    ``thresholds[0]``; else devices send binarised features to the edge, which exits when its
    entropy ≤ ``thresholds[1]``; else the edge forwards its 64 float32 features to the cloud.
    Returns accuracy, exit shares and the bytes end devices send per sample, against every
    device sending its raw 8-bit image (DDNN's communication comparison); the edge's forwarding
    of 128 float32 features to the cloud is reported apart as WAN bytes.
    """
    for t in thresholds:
        if not 0 <= t <= 1:
            raise ValueError(f"thresholds must be in [0, 1], got {thresholds}")
    local, edge, cloud = model(views)
    n = len(y)
    loc = normalized_entropy(local) <= thresholds[0]
    edg = (~loc) & (normalized_entropy(edge) <= thresholds[1])
    cld = ~(loc | edg)
    pred = torch.where(loc, local.argmax(-1), torch.where(edg, edge.argmax(-1), cloud.argmax(-1)))
    b = model.bytes_per_device()
    k = model.n_devices
    sent = k * b["scores"] + (edg | cld).float() * k * b["features"]
    raw = k * 64.0  # baseline: every device uploads its 8×8 8-bit image
    return {
        "accuracy": float((pred == y).float().mean()),
        "local_share": float(loc.float().mean()), "edge_share": float(edg.float().mean()),
        "cloud_share": float(cld.float().mean()),
        "device_bytes_per_sample": float(sent.mean()), "raw_bytes_per_sample": raw,
        "communication_reduction": raw / float(sent.mean()),
        "wan_bytes_per_sample": float(cld.float().mean()) * 128 * 4, "n": n,
    }


def train_ddnn(model: DDNN, views: torch.Tensor, y: torch.Tensor, epochs: int = 20,
               lr: float = 0.005, batch_size: int = 64, seed: int = 0) -> list[float]:
    """Train DDNN's three exits jointly (equal weights), deterministic for a seed."""
    epochs = integer_in("epochs", epochs, 1, 10_000)
    positive("lr", lr)
    batch_size = integer_in("batch_size", batch_size, 1, 1_000_000)
    return _train_joint(model, lambda idx: model(views[:, idx]), y, [1.0, 1.0, 1.0], epochs, lr,
                        batch_size, seed)


# ----------------------------------------------------------------------------- Edgent


def _no_choice() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class EdgentPlan:
    """Edgent's search and decision over a bandwidth grid (Edgent [10]; seed 003 §V-C.3).

    The search (:func:`edgent_latency`): ``latency_s`` and ``split`` are DataFrames indexed by
    exit with one column per bandwidth -- the best latency of each exit's branch and the split
    that gives it; ``branch_layers`` (indexed by exit) counts the layers of each branch. The
    decision (:func:`edgent_choose`): ``choice`` has one row per bandwidth, the (exit, split) of
    highest accuracy within ``deadline_s`` (empty before a decision). ``to_frame()`` is the
    decision, or the search in long form before one.
    """

    latency_s: pd.DataFrame
    split: pd.DataFrame
    branch_layers: pd.Series
    choice: pd.DataFrame = field(default_factory=_no_choice)
    deadline_s: float | None = None

    @property
    def bandwidth_mbps(self) -> np.ndarray:
        """The bandwidth grid (Mbit/s)."""
        return self.latency_s.columns.to_numpy(dtype=float)

    @property
    def n_exits(self) -> int:
        """Number of exits searched."""
        return len(self.latency_s)

    def to_frame(self) -> pd.DataFrame:
        """The decision (one row per bandwidth), or before one the search: one row per exit and
        bandwidth with ``latency_s``, ``split`` and ``branch_layers`` (seed 003 §V-C.3)."""
        if len(self.choice):
            return self.choice.copy()
        lat = self.latency_s.stack().rename("latency_s")
        spl = self.split.stack().rename("split")
        out = pd.concat([lat, spl], axis=1).reset_index()
        out.columns = ["exit", "bandwidth_mbps", "latency_s", "split"]
        out["branch_layers"] = self.branch_layers.to_numpy()[out["exit"].to_numpy()]
        return out


def edgent_latency(model: MultiExitNet, device: str, server: str, link: str,
                   bandwidth_mbps: float | Sequence[float] | np.ndarray) -> EdgentPlan:
    """For every exit, the branch's best split and its latency at each bandwidth (Edgent [10];
    seed 003 §V-C.3).

    The branch model (stages up to the exit, then its head) is split at its best point by the
    shared Neurosurgeon search :func:`edgelab.inference.partition.best_split`. Returns the
    search as an :class:`EdgentPlan` without a decision.
    """
    bw = positive_array("bandwidth_mbps", np.atleast_1d(bandwidth_mbps))
    x = torch.zeros((1, *model.input_shape))
    lat = np.empty((model.n_exits, len(bw)))
    split = np.empty((model.n_exits, len(bw)), dtype=np.int64)
    n_layers = np.empty(model.n_exits, dtype=np.int64)
    for i in range(model.n_exits):
        prof = profile(model.branch(i), x, name=f"exit{i}")
        best = best_split(prof, device, server, link, bw, objective="latency")
        lat[i], split[i], n_layers[i] = best.latency_s, best.split, prof.n_layers
    exits = pd.RangeIndex(model.n_exits, name="exit")
    cols = pd.Index(bw, name="bandwidth_mbps")
    return EdgentPlan(pd.DataFrame(lat, index=exits, columns=cols),
                      pd.DataFrame(split, index=exits, columns=cols),
                      pd.Series(n_layers, index=exits, name="branch_layers"))


def edgent_choose(plan: EdgentPlan, exit_accuracy: Sequence[float],
                  deadline_s: float) -> EdgentPlan:
    """Edgent's decision: per bandwidth, the (exit, split) of highest accuracy within the deadline
    (Edgent [10]; seed 003 §V-C.3).

    When no configuration meets the deadline the fastest one is returned, labelled
    ``meets_deadline = False`` (best effort), never silently. Returns ``plan`` with its
    ``choice``: columns ``bandwidth_mbps, exit, split, branch_layers, latency_s, accuracy,
    meets_deadline, deadline_s``.
    """
    deadline_s = positive("deadline_s", deadline_s)
    acc = np.asarray(exit_accuracy, dtype=float)
    lat = plan.latency_s.to_numpy()
    if acc.shape != (lat.shape[0],):
        raise ValueError(f"exit_accuracy must have {lat.shape[0]} entries "
                         f"(one per exit), got {acc.shape}")
    ok = lat <= deadline_s
    any_ok = ok.any(0)
    chosen = np.where(any_ok, np.where(ok, acc[:, None], -np.inf).argmax(0), lat.argmin(0))
    cols = np.arange(lat.shape[1])
    choice_ = pd.DataFrame({
        "bandwidth_mbps": plan.bandwidth_mbps, "exit": chosen,
        "split": plan.split.to_numpy()[chosen, cols],
        "branch_layers": plan.branch_layers.to_numpy()[chosen],
        "latency_s": lat[chosen, cols], "accuracy": acc[chosen], "meets_deadline": any_ok,
        "deadline_s": deadline_s,
    })
    return EdgentPlan(plan.latency_s, plan.split, plan.branch_layers, choice_, deadline_s)


def edgent_plan(
    model: MultiExitNet, exit_accuracy: Sequence[float], device: str, server: str, link: str,
    bandwidth_mbps: float | Sequence[float] | np.ndarray, deadline_s: float,
) -> EdgentPlan:
    """Edgent [10]: :func:`edgent_latency` then :func:`edgent_choose` (seed 003 §V-C.3)."""
    return edgent_choose(edgent_latency(model, device, server, link, bandwidth_mbps),
                         exit_accuracy, deadline_s)


def ddnn_latency(result: dict[str, float], model: DDNN, link: str, wan: str,
                 bandwidth_mbps: float | None = None) -> dict[str, float]:
    """Expected per-sample latency of DDNN's hierarchy against offloading raw data (§V-C.3).

    Communication only (the 8×8 models' compute is microseconds): devices send their scores
    over ``link``; samples that do not exit locally add the binarised features; samples that
    reach the cloud add the edge's 128 float32 features over ``wan``. The baseline sends every
    device's raw 8-bit image over ``link`` and on over ``wan`` to the cloud. Each hop costs
    its RTT plus bytes over bandwidth (:func:`edgelab.hardware.cost.transfer_time`).
    """
    lk, wn = get_link(link), get_link(wan)
    up = float(link_rates(lk, bandwidth_mbps)[0][0])  # no bandwidth given: the link's own
    wup = float(link_rates(wn)[0][0])
    k, b = model.n_devices, model.bytes_per_device()
    rtt, wrtt = lk.rtt_ms / 1e3, wn.rtt_ms / 1e3
    scores_t = float(transfer_time(k * b["scores"], up, rtt))
    share_up = result["edge_share"] + result["cloud_share"]
    feat_t = float(transfer_time(k * b["features"], up, rtt))
    cloud_t = float(transfer_time(128 * 4, wup, wrtt))
    ddnn = scores_t + share_up * feat_t + result["cloud_share"] * cloud_t
    raw = float(transfer_time(k * 64.0, up, rtt) + transfer_time(k * 64.0, wup, wrtt))
    return {"ddnn_latency_s": ddnn, "offload_latency_s": raw,
            "latency_reduction_pct": 100.0 * (1.0 - ddnn / raw)}


def plot_tradeoff(sweep: pd.DataFrame, full_accuracy: float | None = None):  # -> Figure
    """Accuracy against average MACs per sample as the exit threshold moves (BranchyNet)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(sweep["avg_macs"] / 1e3, sweep["accuracy"], "o-")
    for _, r in sweep.iterrows():
        ax.annotate(f"{r['threshold']:g}", (r["avg_macs"] / 1e3, r["accuracy"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    if full_accuracy is not None:
        ax.axhline(full_accuracy, ls="--", c="grey", label="final exit only")
        ax.legend()
    ax.set_xlabel("average kMACs per sample")
    ax.set_ylabel("test accuracy")
    ax.set_title("Early exit: accuracy vs compute (labels: entropy threshold)")
    fig.tight_layout()
    return fig


def plot_edgent(plans: dict[float, EdgentPlan | pd.DataFrame]):  # -> Figure
    """Edgent's chosen exit and accuracy against bandwidth, one line per deadline (§V-C.3);
    each value is a decided :class:`EdgentPlan` or its ``to_frame()``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3), sharex=True)
    styles = ("-", "--", ":", "-.")
    n = len(plans)
    for k, (deadline, plan) in enumerate(plans.items()):
        df = plan.to_frame() if isinstance(plan, EdgentPlan) else plan
        lbl = f"deadline {deadline * 1e3:.3g} ms"
        acc = np.where(df["meets_deadline"], df["accuracy"], np.nan)
        # lines that coincide stay visible: each deadline its own dash and a small offset
        off = 0.06 * (k - (n - 1) / 2)
        kw = dict(drawstyle="steps-mid", ls=styles[k % len(styles)], lw=1.8, label=lbl)
        axes[0].semilogx(df["bandwidth_mbps"], df["exit"] + off, **kw)
        axes[1].semilogx(df["bandwidth_mbps"], acc, **kw)
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("chosen exit (index)")
    axes[1].set_ylabel("accuracy of the chosen exit\n(gap: deadline missed)")
    for ax in axes:
        ax.set_xlabel("bandwidth (Mbit/s)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig
