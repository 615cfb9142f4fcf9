"""Splitting a labelled set over federated clients: IID, Dirichlet(α) label skew, McMahan's
shards, quantity skew (the data side of federated learning, not model partition).

Seed 003 §IV-C.1: FedAvg "emphasizes the properties of unbalanced and non-IID" data, and SSGD's
flaw is that it "does not consider unbalanced and non-IID data". These splitters make such
data from one labelled set, all seeded, each with per-client label histograms;
:func:`split_clients` picks one by name.

Every splitter returns a :class:`ClientSplit` whose clients are all non-empty: an empty client
is an error (or, with :meth:`ClientSplit.from_indices` and ``drop_empty=True``, skipped and named
in ``ClientSplit.dropped``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from edgelab._validate import choice, integer_in, positive

__all__ = [
    "ClientSplit",
    "SCHEMES",
    "split_clients",
    "iid",
    "dirichlet",
    "shards",
    "quantity_skew",
    "label_histogram",
]

SCHEMES = ("iid", "dirichlet", "shards", "quantity")
_MAX_REDRAWS = 200


def _labels(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    y = np.asarray(labels)
    if hasattr(labels, "numpy"):
        y = labels.numpy()  # type: ignore[union-attr]
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError("labels must be non-negative integers")
    return y.astype(np.int64)


def _n_clients(n_clients: int, n_samples: int) -> int:
    k = integer_in("n_clients", n_clients, 1, 10**7)
    if k > n_samples:
        raise ValueError(f"n_clients must be at most the number of samples ({n_samples}), "
                         f"got n_clients={k}: some client would be empty")
    return k


@dataclass(frozen=True)
class ClientSplit:
    """Which training samples each client holds (seed 003 §IV-C.1).

    ``indices[k]`` are positions into the labelled set of client ``k``; ``labels`` is that set's
    label vector; ``scheme`` and ``params`` say how it was made; ``dropped`` lists clients that
    were empty and skipped (only with ``drop_empty=True``).
    """

    indices: tuple[np.ndarray, ...]
    labels: np.ndarray
    n_classes: int
    scheme: str = "custom"
    params: dict[str, object] = field(default_factory=dict)
    dropped: tuple[int, ...] = ()

    @classmethod
    def from_indices(cls, indices: Sequence[Sequence[int] | np.ndarray], labels: Sequence[int] | np.ndarray,
                     n_classes: int | None = None, *, scheme: str = "custom",
                     params: dict[str, object] | None = None, drop_empty: bool = False) -> ClientSplit:
        """Build a client split from explicit index lists (seed 003 §IV-C.1).

        An empty client raises ``ValueError`` naming it, unless ``drop_empty`` (then it is
        skipped and listed in ``dropped``). Indices must be in range and not shared by clients.
        """
        y = _labels(labels)
        c = int(y.max()) + 1 if n_classes is None else integer_in("n_classes", n_classes, int(y.max()) + 1, 10**6)
        out, dropped = [], []
        seen = np.zeros(len(y), dtype=bool)
        if len(indices) == 0:
            raise ValueError("indices must list at least one client")
        for k, idx in enumerate(indices):
            a = np.asarray(idx, dtype=np.int64).ravel()
            if a.size == 0:
                if drop_empty:
                    dropped.append(k)
                    continue
                raise ValueError(f"client {k} is empty (client split indices); every client needs at "
                                 "least one sample, or pass drop_empty=True to skip empty clients")
            if a.min() < 0 or a.max() >= len(y):
                raise ValueError(f"client {k}: indices must lie in [0, {len(y) - 1}]")
            if seen[a].any() or len(np.unique(a)) != a.size:
                raise ValueError(f"client {k}: a sample is assigned to more than one client")
            seen[a] = True
            out.append(a)
        if not out:
            raise ValueError("every client is empty (client split indices)")
        return cls(tuple(out), y, c, scheme, dict(params or {}), tuple(dropped))

    @property
    def n_clients(self) -> int:
        """Number of (non-empty) clients (seed 003 §IV-C.1)."""
        return len(self.indices)

    @property
    def sizes(self) -> np.ndarray:
        """Samples per client, int64 array of length ``n_clients`` (seed 003 §IV-C.1)."""
        return np.array([len(i) for i in self.indices], dtype=np.int64)

    def histogram(self) -> pd.DataFrame:
        """Per-client label histogram: one row per client, one column per class (seed 003 §IV-C.1)."""
        return label_histogram(self)

    def summary(self) -> dict[str, float]:
        """Sizes and label skew at a glance: min/median/max size, mean classes per client (seed 003 §IV-C.1)."""
        h = self.histogram().to_numpy()
        return {"clients": self.n_clients, "samples": int(self.sizes.sum()),
                "min_size": int(self.sizes.min()), "median_size": float(np.median(self.sizes)),
                "max_size": int(self.sizes.max()),
                "mean_classes_per_client": float((h > 0).sum(axis=1).mean())}


def label_histogram(part: ClientSplit) -> pd.DataFrame:
    """Counts of each label on each client, a ``clients × classes`` DataFrame (seed 003 §IV-C.1)."""
    rows = [np.bincount(part.labels[i], minlength=part.n_classes) for i in part.indices]
    df = pd.DataFrame(np.array(rows, dtype=np.int64),
                      columns=[f"class_{c}" for c in range(part.n_classes)])
    df.index.name = "client"
    return df


def iid(labels: Sequence[int] | np.ndarray, n_clients: int, seed: int = 0) -> ClientSplit:
    """IID: shuffle and deal out equal shares (±1) to every client (seed 003 §IV-C.1, the easy case)."""
    y = _labels(labels)
    k = _n_clients(n_clients, len(y))
    perm = np.random.default_rng(seed).permutation(len(y))
    return ClientSplit(tuple(np.sort(a) for a in np.array_split(perm, k)), y, int(y.max()) + 1,
                     "iid", {"n_clients": k, "seed": seed})


def dirichlet(labels: Sequence[int] | np.ndarray, n_clients: int, alpha: float = 0.5,
              seed: int = 0, min_size: int = 1) -> ClientSplit:
    """Dirichlet(α) label skew: each class is split over clients with proportions ~ Dir(α·1).

    Small α gives each client few classes (non-IID, seed 003 §IV-C.1); large α tends to IID.
    Draws are repeated (same seed stream) until every client holds at least ``min_size``
    samples; if 200 draws fail, a ``ValueError`` names ``alpha``/``n_clients``.
    """
    y = _labels(labels)
    a = positive("alpha", alpha)
    k = _n_clients(n_clients, len(y))
    m = integer_in("min_size", min_size, 1, max(1, len(y) // k))
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    by_class = [np.flatnonzero(y == c) for c in classes]
    for _ in range(_MAX_REDRAWS):
        buckets: list[list[np.ndarray]] = [[] for _ in range(k)]
        for idx in by_class:
            idx = rng.permutation(idx)
            p = rng.dirichlet(np.full(k, a))
            cuts = (np.cumsum(p)[:-1] * len(idx)).astype(np.int64)
            for j, part in enumerate(np.split(idx, cuts)):
                buckets[j].append(part)
        out = [np.sort(np.concatenate(b)) for b in buckets]
        if min(len(o) for o in out) >= m:
            return ClientSplit(tuple(out), y, int(y.max()) + 1, "dirichlet",
                             {"n_clients": k, "alpha": a, "seed": seed, "min_size": m})
    raise ValueError(f"dirichlet: could not give every one of n_clients={k} clients at least "
                     f"{m} samples in {_MAX_REDRAWS} draws with alpha={a:g}; raise alpha or lower "
                     "n_clients")


def shards(labels: Sequence[int] | np.ndarray, n_clients: int, shards_per_client: int = 2,
           seed: int = 0) -> ClientSplit:
    """McMahan et al.'s pathological non-IID split: sort by label, cut into shards, deal them out.

    Each client gets ``shards_per_client`` shards of equal size, so mostly that many classes
    (seed 003 §IV-C.1, FedAvg [45]).
    """
    y = _labels(labels)
    s = integer_in("shards_per_client", shards_per_client, 1, 10**6)
    k = _n_clients(n_clients, len(y))
    if k * s > len(y):
        raise ValueError(f"n_clients × shards_per_client ({k} × {s}) must be at most the number "
                         f"of samples ({len(y)})")
    rng = np.random.default_rng(seed)
    order = np.argsort(y, kind="stable")
    pieces = np.array_split(order, k * s)
    deal = rng.permutation(k * s).reshape(k, s)
    out = tuple(np.sort(np.concatenate([pieces[j] for j in row])) for row in deal)
    return ClientSplit(out, y, int(y.max()) + 1, "shards",
                     {"n_clients": k, "shards_per_client": s, "seed": seed})


def quantity_skew(labels: Sequence[int] | np.ndarray, n_clients: int, beta: float = 0.5,
                  seed: int = 0) -> ClientSplit:
    """Quantity skew: client sizes ~ Dirichlet(β) shares of the data, labels IID within each.

    Unbalanced clients (seed 003 §IV-C.1). Every client gets at least one sample.
    """
    y = _labels(labels)
    b = positive("beta", beta)
    k = _n_clients(n_clients, len(y))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(k, b))
    extra = len(y) - k
    sizes = 1 + np.floor(p * extra).astype(np.int64)
    sizes[np.argsort(-p)[: len(y) - sizes.sum()]] += 1
    perm = rng.permutation(len(y))
    out = tuple(np.sort(a) for a in np.split(perm, np.cumsum(sizes)[:-1]))
    return ClientSplit(out, y, int(y.max()) + 1, "quantity", {"n_clients": k, "beta": b, "seed": seed})


def split_clients(labels: Sequence[int] | np.ndarray, n_clients: int, scheme: str = "dirichlet",
                  seed: int = 0, **kw: float) -> ClientSplit:
    """Split ``labels`` over ``n_clients`` clients with the splitter named ``scheme``: ``iid``, ``dirichlet`` (``alpha``), ``shards``
    (``shards_per_client``), ``quantity`` (``beta``) (seed 003 §IV-C.1)."""
    choice("scheme", scheme, SCHEMES)
    fn = {"iid": iid, "dirichlet": dirichlet, "shards": shards, "quantity": quantity_skew}[scheme]
    return fn(labels, n_clients, seed=seed, **kw)  # type: ignore[operator]
