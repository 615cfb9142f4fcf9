"""Model selection at inference time: big/little with a confidence threshold (Park et al.
[102]), a learned premodel that picks a zoo model per input (Taylor et al. [103]), and the
choice of model *and* device under latency and energy budgets (Stamoulis et al. [106])
(seed 003 §V-C.6).

Not to be confused with :mod:`edgelab.inference.compression.selection`, which chooses a
*compression* of one network (AdaDeep, §V-C.1). Here the candidates are independent,
separately trained networks of the zoo (the four 8×8-digits models of :mod:`edgelab.models`),
and the choice is made per input or per deployment.

Latency and energy come from the cost model (:func:`edgelab.hardware.cost.cost` on a catalog
device), so every figure here is deterministic; measuring on this CPU is left to the chapter.
The premodel's own cost is priced as what a k-nearest-neighbour search is, one GEMM of the
query's features against the stored references (an ``nn.Linear(n_features, n_references)``
profiled and priced like any layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.errors import ParameterError, unknown_name
from edgelab.hardware.catalog import get_device
from edgelab.hardware.cost import cost
from edgelab.hardware.profile import Profile, profile
from edgelab.inference.compression.common import train
from edgelab.models import build

__all__ = ["DIGITS_ZOO", "ZooOutputs", "BigLittleResult", "PremodelResult", "NoFeasibleConfig",
           "held_out_rows", "train_digits_zoo", "add_noise", "mixed_difficulty", "zoo_outputs", "big_little",
           "big_little_sweep", "cheap_features", "oracle_choice", "fit_premodel", "premodel_cost",
           "evaluate_premodel", "configurations", "select_config", "budget_sweep",
           "plot_accuracy_latency"]

#: The zoo's 8×8-digits models, cheapest (in MACs) first.
DIGITS_ZOO = ("digits_mlp", "lenet_300_100", "digits_cnn", "lenet5")


class NoFeasibleConfig(ParameterError):
    """No configuration meets the budget; the message names the cheapest one and its cost."""


def _check_threshold(name: str, value: object) -> float:
    t = positive(name, value, allow_zero=True)
    if t > 1:
        raise ParameterError(f"{name} must be a confidence in [0, 1], got {value!r}")
    return t


def held_out_rows(n_total: int, exclude: np.ndarray, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of the digits (``n_total``) not in ``exclude`` (e.g. a stream's object pool),
    shuffled (seeded) and cut into three parts in ``fractions``: training the zoo, training a
    premodel, testing (seed 003 §V-C.6)."""
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ParameterError(f"fractions must be three shares > 0 summing to 1, got {fractions!r}")
    free = np.setdiff1d(np.arange(integer_in("n_total", n_total, 1, 10**9)), np.asarray(exclude))
    free = np.random.default_rng(seed).permutation(free)
    a, b = int(fr[0] * len(free)), int((fr[0] + fr[1]) * len(free))
    return free[:a], free[a:b], free[b:]


def train_digits_zoo(x: torch.Tensor, y: torch.Tensor, names: tuple[str, ...] = DIGITS_ZOO,
                     epochs: int = 10, seed: int = 0) -> dict[str, nn.Module]:
    """Train each named zoo model on ``(x, y)`` (images N×1×8×8) with the compression chapter's
    loop, seeded; returns them in eval mode (seed 003 §V-C.6)."""
    out = {}
    for name in names:
        m = build(name, seed=seed)
        train(m, x, y, epochs, lr=3e-3, seed=seed)
        out[name] = m.eval()
    return out


def add_noise(x: torch.Tensor, sigma: float | np.ndarray, seed: int = 0) -> torch.Tensor:
    """``x`` plus seeded Gaussian noise of standard deviation ``sigma`` (a scalar or one value
    per image), clipped to [0, 1]: a harder input (seed 003 §V-C.6)."""
    s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (len(x),))
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ParameterError(f"sigma must be finite and >= 0, got {sigma!r}")
    g = torch.Generator().manual_seed(int(seed))
    scale = torch.tensor(s.copy(), dtype=x.dtype).view(-1, *[1] * (x.dim() - 1))
    noise = torch.randn(x.shape, generator=g) * scale
    return (x + noise).clamp(0.0, 1.0)


def mixed_difficulty(x: torch.Tensor, levels: tuple[float, ...] = (0.0, 0.2, 0.4),
                     seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """Each image gets a noise level drawn (seeded, uniformly) from ``levels``: inputs of
    varied difficulty, the setting in which a per-input choice can pay (seed 003 §V-C.6).
    Returns the noisy images and each image's level."""
    if not levels:
        raise ParameterError("levels must name at least one noise level")
    rng = np.random.default_rng(seed)
    lv = rng.choice(np.asarray(levels, dtype=np.float64), size=len(x))
    return add_noise(x, lv, seed=seed + 1), lv


@dataclass(frozen=True)
class ZooOutputs:
    """Every zoo model's softmax on every input, with its cost on one device (seed 003 §V-C.6).

    ``probs`` has shape (models, inputs, classes); ``latency_s``, ``energy_j`` and ``macs`` one
    value per model (cost model, batch 1).
    """

    names: tuple[str, ...]
    probs: np.ndarray
    y: np.ndarray
    latency_s: np.ndarray
    energy_j: np.ndarray
    macs: np.ndarray
    device: str

    @property
    def correct(self) -> np.ndarray:
        """(models, inputs) booleans: the model's top-1 is the label."""
        return self.probs.argmax(-1) == self.y[None, :]

    @property
    def accuracy(self) -> np.ndarray:
        """Each model's top-1 accuracy (fraction)."""
        return self.correct.mean(1)

    def index(self, name: str) -> int:
        """Position of model ``name``; an unknown name lists the valid ones."""
        if name not in self.names:
            raise unknown_name("model", name, self.names)
        return self.names.index(name)

    def table(self) -> pd.DataFrame:
        """One row per model: accuracy, MACs, latency and energy on the device."""
        return pd.DataFrame({"model": list(self.names), "accuracy": self.accuracy,
                             "macs": self.macs, "latency_s": self.latency_s,
                             "energy_j": self.energy_j})


@torch.no_grad()
def zoo_outputs(models: dict[str, nn.Module], x: torch.Tensor, y: torch.Tensor,
                device: str = "rpi4") -> ZooOutputs:
    """Run every model on ``x`` and price it at batch 1 on ``device`` (seed 003 §V-C.6)."""
    if not models:
        raise ParameterError("models must hold at least one trained model")
    dev = get_device(device).name
    names = tuple(models)
    probs = np.stack([torch.softmax(m.eval()(x), -1).numpy() for m in models.values()])
    costs = [cost(profile(m, x[:1], name=n), dev) for n, m in models.items()]
    return ZooOutputs(names=names, probs=probs.astype(np.float64), y=np.asarray(y),
                      latency_s=np.array([c["latency_s"] for c in costs]),
                      energy_j=np.array([c["device_energy_j"] for c in costs]),
                      macs=np.array([c["macs"] for c in costs], dtype=np.int64), device=dev)


# --------------------------------------------------------------------------- big/little (Park)

@dataclass(frozen=True)
class BigLittleResult:
    """Big/little at one confidence threshold (Park et al. [102], seed 003 §V-C.6)."""

    little: str
    big: str
    threshold: float
    accuracy: float
    latency_s: float
    energy_j: float
    big_share: float


def big_little(out: ZooOutputs, little: str, big: str, threshold: float) -> BigLittleResult:
    """The little model answers when its top softmax probability reaches ``threshold``
    (in [0, 1]); otherwise the big model runs too and answers. Latency and energy are the
    means per input: the little model always, the big one on the share it is asked
    (seed 003 §V-C.6)."""
    t = _check_threshold("threshold", threshold)
    i, j = out.index(little), out.index(big)
    conf = out.probs[i].max(-1)
    ask = conf < t
    pred = np.where(ask, out.probs[j].argmax(-1), out.probs[i].argmax(-1))
    share = float(ask.mean())
    return BigLittleResult(little=little, big=big, threshold=t,
                           accuracy=float((pred == out.y).mean()),
                           latency_s=float(out.latency_s[i] + share * out.latency_s[j]),
                           energy_j=float(out.energy_j[i] + share * out.energy_j[j]),
                           big_share=share)


def big_little_sweep(out: ZooOutputs, little: str, big: str,
                     thresholds: np.ndarray | list[float]) -> pd.DataFrame:
    """:func:`big_little` at each threshold, one row each (seed 003 §V-C.6)."""
    return pd.DataFrame([big_little(out, little, big, float(t)).__dict__ for t in thresholds])


# ------------------------------------------------------------------------ premodel (Taylor)

#: The cheap features of one image, in the column order :func:`cheap_features` returns.
FEATURES = ("brightness", "contrast", "lit_share", "edge_energy", "rows_lit", "cols_lit",
            "noise_energy")


def cheap_features(x: torch.Tensor) -> np.ndarray:
    """Seven cheap features per 8×8 image (the kind Taylor et al.'s premodel reads: brightness,
    contrast, how much is drawn, edge strength, extent, and high-frequency energy), N×7
    (seed 003 §V-C.6)."""
    a = x.reshape(len(x), 8, 8).double().numpy()
    lit = a > 0.5
    gx, gy = np.diff(a, axis=2), np.diff(a, axis=1)
    lap = a[:, 1:-1, 1:-1] * 4 - a[:, :-2, 1:-1] - a[:, 2:, 1:-1] - a[:, 1:-1, :-2] - a[:, 1:-1, 2:]
    return np.stack([a.mean((1, 2)), a.std((1, 2)), lit.mean((1, 2)),
                     (gx ** 2).mean((1, 2)) + (gy ** 2).mean((1, 2)),
                     lit.any(2).sum(1) / 8.0, lit.any(1).sum(1) / 8.0,
                     (lap ** 2).mean((1, 2))], axis=1)


def oracle_choice(out: ZooOutputs) -> np.ndarray:
    """Per input, the index of the cheapest (least latency) model that is right; where none
    is, the model of highest accuracy overall: the label Taylor et al.'s premodel learns
    (seed 003 §V-C.6)."""
    order = np.argsort(out.latency_s, kind="stable")
    correct = out.correct[order]  # (models by cost, inputs)
    first = correct.argmax(0)
    fallback = int(np.argmax(out.accuracy))
    return np.where(correct.any(0), order[first], fallback)


def fit_premodel(features: np.ndarray, labels: np.ndarray, k: int = 5) -> Any:
    """A k-nearest-neighbour premodel (scikit-learn: standardised features, ``k`` neighbours,
    distance-weighted) mapping cheap features to the model to run (seed 003 §V-C.6)."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    kk = integer_in("k", k, 1, max(1, len(labels)))
    return make_pipeline(StandardScaler(), KNeighborsClassifier(kk, weights="distance")).fit(
        np.asarray(features), np.asarray(labels))


def premodel_cost(n_features: int, n_references: int, device: str) -> dict[str, float]:
    """Latency and energy of one premodel query on ``device``: the distance GEMM of a
    k-NN search, priced as ``nn.Linear(n_features, n_references)`` by the cost model
    (seed 003 §V-C.6)."""
    nf = integer_in("n_features", n_features, 1, 1 << 16)
    nr = integer_in("n_references", n_references, 1, 1 << 24)
    prof: Profile = profile(nn.Linear(nf, nr), torch.zeros(1, nf), name="premodel_knn")
    c = cost(prof, device)
    return {"latency_s": float(c["latency_s"]), "energy_j": float(c["device_energy_j"]),
            "macs": int(c["macs"])}


@dataclass(frozen=True)
class PremodelResult:
    """A premodel against the most accurate single model (Taylor et al. [103], §V-C.6).

    Accuracies are fractions; latency and energy are per input, premodel included;
    ``accuracy_gain_points`` is 100 × (premodel's − baseline's accuracy) and
    ``latency_reduction_x`` the baseline's latency ÷ the premodel's.
    """

    accuracy: float
    latency_s: float
    energy_j: float
    baseline: str
    baseline_accuracy: float
    baseline_latency_s: float
    oracle_accuracy: float
    premodel_latency_s: float
    choice_share: dict[str, float]
    accuracy_gain_points: float
    latency_reduction_x: float


def evaluate_premodel(premodel: Any, features: np.ndarray, out: ZooOutputs,
                      n_references: int) -> PremodelResult:
    """Run the premodel's choice on every input of ``out`` and compare it with the single
    most accurate model (seed 003 §V-C.6)."""
    f = np.asarray(features)
    if len(f) != out.probs.shape[1]:
        raise ParameterError(f"features has {len(f)} rows but out has {out.probs.shape[1]} inputs")
    pick = np.asarray(premodel.predict(f), dtype=np.int64)
    idx = np.arange(len(pick))
    pred = out.probs[pick, idx].argmax(-1)
    pc = premodel_cost(f.shape[1], n_references, out.device)
    lat = float(out.latency_s[pick].mean() + pc["latency_s"])
    en = float(out.energy_j[pick].mean() + pc["energy_j"])
    b = int(np.argmax(out.accuracy))
    acc = float((pred == out.y).mean())
    share = {n: float((pick == i).mean()) for i, n in enumerate(out.names)}
    return PremodelResult(accuracy=acc, latency_s=lat, energy_j=en, baseline=out.names[b],
                          baseline_accuracy=float(out.accuracy[b]),
                          baseline_latency_s=float(out.latency_s[b]),
                          oracle_accuracy=float(out.correct.any(0).mean()),
                          premodel_latency_s=pc["latency_s"], choice_share=share,
                          accuracy_gain_points=100 * (acc - float(out.accuracy[b])),
                          latency_reduction_x=float(out.latency_s[b]) / lat)


# ---------------------------------------------------- model × device under budgets (Stamoulis)

def configurations(accuracy: dict[str, float], profiles: dict[str, Profile],
                   devices: tuple[str, ...]) -> pd.DataFrame:
    """Every (model, device) pair with the model's accuracy and its cost-model latency and
    device energy at batch 1; pairs whose weights and activations do not fit the device's
    memory are left out (seed 003 §V-C.6)."""
    missing = [m for m in accuracy if m not in profiles]
    if missing:
        raise unknown_name("model", missing[0], profiles)
    rows = []
    for dev in devices:
        d = get_device(dev).name
        for m, acc in accuracy.items():
            c = cost(profiles[m], d)
            if c["fits_memory"]:
                rows.append({"model": m, "device": d, "accuracy": float(acc),
                             "latency_s": float(c["latency_s"]),
                             "energy_j": float(c["device_energy_j"])})
    if not rows:
        raise ParameterError("devices: no model fits the memory of any device given")
    return pd.DataFrame(rows)


def select_config(configs: pd.DataFrame, *, max_latency_s: float | None = None,
                  max_energy_j: float | None = None, min_accuracy: float = 0.0,
                  objective: str = "accuracy") -> pd.Series:
    """Exhaustive selection: among the configurations within the latency and energy budgets
    and at or above ``min_accuracy``, the most accurate (``objective="accuracy"``, ties to the
    least energy) or the least energy per input (``"energy"``); ``None`` leaves a budget open. Raises
    :class:`NoFeasibleConfig` naming the cheapest configuration and its cost when none
    qualifies (seed 003 §V-C.6)."""
    lat = np.inf if max_latency_s is None else positive("max_latency_s", max_latency_s)
    en = np.inf if max_energy_j is None else positive("max_energy_j", max_energy_j)
    acc = positive("min_accuracy", min_accuracy, allow_zero=True)
    if objective not in ("accuracy", "energy"):
        raise ParameterError(f"objective must be 'accuracy' or 'energy', got {objective!r}")
    ok = configs[(configs["latency_s"] <= lat) & (configs["energy_j"] <= en)
                 & (configs["accuracy"] >= acc)]
    if ok.empty:
        cheap = configs.sort_values(["energy_j", "latency_s"]).iloc[0]
        fast = configs.sort_values(["latency_s", "energy_j"]).iloc[0]
        asked = ", ".join(t for t, on in ((f"latency <= {lat:.3g} s", np.isfinite(lat)),
                                          (f"energy <= {en:.3g} J", np.isfinite(en)),
                                          (f"accuracy >= {acc:.3g}", acc > 0)) if on)
        raise NoFeasibleConfig(
            f"budget: no configuration meets {asked}; the cheapest is {cheap['model']} on {cheap['device']} "
            f"({cheap['energy_j']:.3g} J, {cheap['latency_s']:.3g} s, accuracy "
            f"{cheap['accuracy']:.3f}), the fastest {fast['model']} on {fast['device']} "
            f"({fast['latency_s']:.3g} s)")
    if objective == "accuracy":
        return ok.sort_values(["accuracy", "energy_j"], ascending=[False, True]).iloc[0]
    return ok.sort_values(["energy_j", "accuracy"], ascending=[True, False]).iloc[0]


def budget_sweep(configs: pd.DataFrame, latency_budgets_s: np.ndarray | list[float],
                 max_energy_j: float | None = None) -> pd.DataFrame:
    """The most accurate configuration at each latency budget (``NaN`` where none fits)
    (seed 003 §V-C.6)."""
    rows = []
    for b in latency_budgets_s:
        try:
            c = select_config(configs, max_latency_s=float(b), max_energy_j=max_energy_j)
            rows.append({"budget_s": float(b), "model": c["model"], "device": c["device"],
                         "accuracy": c["accuracy"], "latency_s": c["latency_s"],
                         "energy_j": c["energy_j"]})
        except NoFeasibleConfig:
            rows.append({"budget_s": float(b), "model": "", "device": "", "accuracy": np.nan,
                         "latency_s": np.nan, "energy_j": np.nan})
    return pd.DataFrame(rows)


def plot_accuracy_latency(points: pd.DataFrame, label_col: str = "label") -> Any:
    """Accuracy (%) against latency (ms, log scale), one marker series per value of
    ``label_col``; ``points`` needs ``latency_s``, ``accuracy`` and ``label_col``
    (seed 003 §V-C.6)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (lab, g), mk in zip(points.groupby(label_col, sort=False), "os^Dv<>ph*", strict=False):
        g = g.sort_values("latency_s")
        ax.plot(g["latency_s"] * 1e3, g["accuracy"] * 100, marker=mk, label=str(lab))
    ax.set_xscale("log")
    ax.set_xlabel("latency per input (ms, cost model)")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
