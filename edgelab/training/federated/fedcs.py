"""FedCS: deadline-based client selection (Nishio and Yonetani [52], seed 003 §IV-C.2, Fig. 9).

"An update aggregation protocol named FedCS is developed to allow the centralized server to
aggregate as many client updates as possible" within a round deadline. Each round the server:

1. asks a random ``fraction`` of clients for their resources (device, link);
2. estimates each one's download + update time and upload time with the cost model (no
   straggling known in advance);
3. greedily adds the client that extends the upload schedule least, while the schedule still
   ends by ``deadline_s`` (uploads share one channel, one after another, as in the paper);
4. aggregates the updates that actually arrive by the deadline (stragglers may miss it), and
   ends the round at the last arrival or the deadline, whichever is first.

:class:`RandomDeadlineSelector` is the baseline: the same number of candidates, chosen at random,
and the server waits for every one (synchronous FedAvg, stragglers included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from edgelab._validate import integer_in, positive
from edgelab.training.federated.core import ClientConfig, steps_per_client
from edgelab.training.federated.engine import Federation, RoundPlan, simulate
from edgelab.training.federated.strategies import FedAvg, Strategy, check_fraction
from edgelab.training.federated.system import SystemModel, schedule

__all__ = ["fedcs_select", "FedCSSelector", "RandomWaitSelector", "compare_selection"]


def fedcs_select(ready_s: np.ndarray, upload_s: np.ndarray, deadline_s: float) -> tuple[np.ndarray, float]:
    """Greedy FedCS selection (seed 003 §IV-C.2): positions into the candidates, in upload order,
    and the estimated end of the schedule (≤ ``deadline_s``).

    Repeatedly adds the candidate whose upload would end soonest after the current schedule
    (``max(Θ, ready_k) + upload_k``), stopping when even that one would miss the deadline.
    """
    d = positive("deadline_s", deadline_s)
    ready = np.asarray(ready_s, dtype=np.float64)
    up = np.asarray(upload_s, dtype=np.float64)
    left = np.ones(len(ready), dtype=bool)
    chosen: list[int] = []
    theta = 0.0
    while left.any():
        end = np.where(left, np.maximum(theta, ready) + up, np.inf)
        k = int(np.argmin(end))
        if end[k] > d:
            break
        chosen.append(k)
        theta = float(end[k])
        left[k] = False
    return np.array(chosen, dtype=np.int64), theta


def _candidates(n: int, fraction: float, seed: int, rnd: int) -> np.ndarray:
    m = max(1, int(round(fraction * n)))
    rng = np.random.default_rng([int(seed), int(rnd), 20_011])
    return np.sort(rng.choice(n, size=m, replace=False))


@dataclass
class FedCSSelector:
    """FedCS client selection with a round ``deadline_s`` (seed 003 §IV-C.2).

    ``fraction`` of clients are asked for resources each round; the system model must have
    ``shared_uplink=True`` to match the paper's scheduled uploads (parallel uploads work too).
    ``log`` collects one row per round (candidates, selected, arrived, round time).
    """

    system: SystemModel
    deadline_s: float
    fraction: float = 0.3

    def __post_init__(self) -> None:
        positive("deadline_s", self.deadline_s)
        check_fraction("fraction", self.fraction)
        self.log: list[dict[str, float]] = []

    def plan(self, rnd: int, fed: Federation, strategy: Strategy, cfg: ClientConfig,
             up_bytes: int, down_bytes: int, seed: int) -> RoundPlan:
        """Select by deadline from estimates, then keep the updates that really arrive in time (seed 003 §IV-C.2)."""
        cand = _candidates(fed.n_clients, self.fraction, seed, rnd)
        n = fed.client_split.sizes[cand]
        steps = steps_per_client(n, cfg)
        batch = n if cfg.batch_size is None else np.minimum(n, cfg.batch_size)
        est = self.system.client_times(cand, steps, batch, up_bytes, down_bytes, rnd, stragglers=False)
        pos, est_end = fedcs_select(est["ready_s"].to_numpy(), est["upload_s"].to_numpy(), self.deadline_s)
        chosen = cand[pos]
        if len(chosen) == 0:
            self.log.append({"round": rnd, "candidates": len(cand), "selected": 0, "arrived": 0,
                             "estimated_s": 0.0, "round_s": self.deadline_s})
            return RoundPlan(chosen, chosen, self.deadline_s)
        real = self.system.client_times(chosen, steps[pos], batch[pos], up_bytes, down_bytes, rnd)
        end = schedule(real["ready_s"].to_numpy(), real["upload_s"].to_numpy(), self.system.shared_uplink)
        ok = end <= self.deadline_s
        round_s = float(min(end.max(), self.deadline_s))
        self.log.append({"round": rnd, "candidates": len(cand), "selected": len(chosen),
                         "arrived": int(ok.sum()), "estimated_s": est_end, "round_s": round_s})
        return RoundPlan(chosen, np.sort(chosen[ok]), round_s)


@dataclass
class RandomWaitSelector:
    """Baseline: ``n_select`` random clients among the candidates; the round waits for all of
    them, stragglers included (seed 003 §IV-C.2)."""

    system: SystemModel
    n_select: int = 10
    fraction: float = 0.3

    def __post_init__(self) -> None:
        integer_in("n_select", self.n_select, 1, self.system.n_clients)
        check_fraction("fraction", self.fraction)

    def plan(self, rnd: int, fed: Federation, strategy: Strategy, cfg: ClientConfig,
             up_bytes: int, down_bytes: int, seed: int) -> RoundPlan:
        """Random clients; the round lasts until the last upload ends (seed 003 §IV-C.2)."""
        cand = _candidates(fed.n_clients, self.fraction, seed, rnd)
        rng = np.random.default_rng([int(seed), int(rnd), 30_011])
        chosen = rng.choice(cand, size=min(self.n_select, len(cand)), replace=False)
        n = fed.client_split.sizes[chosen]
        steps = steps_per_client(n, cfg)
        batch = n if cfg.batch_size is None else np.minimum(n, cfg.batch_size)
        real = self.system.client_times(chosen, steps, batch, up_bytes, down_bytes, rnd)
        end = schedule(real["ready_s"].to_numpy(), real["upload_s"].to_numpy(), self.system.shared_uplink)
        return RoundPlan(chosen, np.sort(chosen), float(end.max()))


def compare_selection(fed: Federation, system: SystemModel, deadline_s: float,
                      time_budget_s: float, *, fraction: float = 0.3, n_select: int | None = None,
                      client: ClientConfig | None = None, seed: int = 0, max_rounds: int = 500,
                      engine: str = "batched") -> tuple[pd.DataFrame, pd.DataFrame]:
    """FedCS against random selection under the same simulated-time budget (seed 003 §IV-C.2).

    Returns ``(curves, summary)``: ``curves`` has one row per round and method (``sim_time_s``,
    ``accuracy``, ``clients``); ``summary`` one row per method with rounds run, mean clients
    aggregated per round, final accuracy and mean round seconds. ``n_select`` for the random
    baseline defaults to FedCS's mean number of selected clients (rounded).
    """
    client = client or ClientConfig()
    fcs = FedCSSelector(system, deadline_s, fraction)
    r1 = simulate(fed, FedAvg(), client, max_rounds, seed=seed, engine=engine, selector=fcs,
                  time_budget_s=time_budget_s)
    sel = pd.DataFrame(fcs.log)
    m = n_select or max(1, int(round(sel["selected"].mean())))
    rnd = RandomWaitSelector(system, m, fraction)
    r2 = simulate(fed, FedAvg(), client, max_rounds, seed=seed, engine=engine, selector=rnd,
                  time_budget_s=time_budget_s)
    curves, rows = [], []
    for name, r in (("FedCS", r1), ("random (wait for all)", r2)):
        h = r.history.assign(method=name)
        curves.append(h[["method", "round", "sim_time_s", "accuracy", "clients", "sim_round_s"]])
        rows.append({"method": name, "rounds": len(h), "mean_clients": float(h["clients"].mean()),
                     "mean_round_s": float(h["sim_round_s"].mean()),
                     "sim_time_s": float(h["sim_time_s"].iloc[-1]), "final_accuracy": r.accuracy,
                     "deadline_s": deadline_s if name == "FedCS" else float("nan")})
    return pd.concat(curves, ignore_index=True), pd.DataFrame(rows)
