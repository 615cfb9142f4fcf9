"""FedCS respects its deadline; adaptive τ reacts to costs (seed 003 §IV-C.2)."""

import numpy as np
import pytest

from edgelab.training.federated import ClientConfig, FedAvg, Federation, SystemModel, simulate
from edgelab.training.federated.adaptive import ResourceCosts, best_tau, compare_tau, h_tau, run_tau
from edgelab.training.federated.fedcs import (
    FedCSSelector,
    RandomWaitSelector,
    compare_selection,
    fedcs_select,
)
from edgelab.training.federated.system import schedule


def test_fedcs_select_greedy_fits_deadline():
    ready = np.array([1.5, 0.5, 3.0, 0.2, 9.0])
    up = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    pos, end = fedcs_select(ready, up, 3.5)
    assert end <= 3.5
    assert schedule(ready[pos], up[pos], True).max() == pytest.approx(end)
    assert list(pos) == [3, 1, 0]  # 0.2→1.2, →2.2, →3.2; the next would end at 4.2
    assert len(fedcs_select(ready, up, 0.1)[0]) == 0
    with pytest.raises(ValueError, match="deadline_s"):
        fedcs_select(ready, up, 0)


def test_schedule_shared_vs_parallel():
    assert list(schedule([1, 1], [2, 2], False)) == [3, 3]
    assert list(schedule([1, 1], [2, 2], True)) == [3, 5]


@pytest.fixture(scope="module")
def fed_sys():
    fed = Federation.digits(40, "dirichlet", seed=0, alpha=0.5)
    return fed, SystemModel.sample(40, shared_uplink=True, straggler_prob=0.2, seed=0)


@pytest.mark.parametrize("deadline", [1.0, 3.0])
def test_fedcs_rounds_never_exceed_deadline(fed_sys, deadline):
    fed, sysm = fed_sys
    sel = FedCSSelector(sysm, deadline, fraction=0.5)
    r = simulate(fed, FedAvg(), ClientConfig(), 8, selector=sel)
    assert (r.history["sim_round_s"] <= deadline + 1e-9).all()
    log = sel.log
    assert all(row["estimated_s"] <= deadline + 1e-9 for row in log)
    assert all(row["arrived"] <= row["selected"] <= row["candidates"] for row in log)
    assert (r.history["clients"].to_numpy() == [row["arrived"] for row in log]).all()


def test_random_waits_for_stragglers_and_fedcs_wins_on_time(fed_sys):
    fed, sysm = fed_sys
    curves, summ = compare_selection(fed, sysm, 3.0, 60.0, fraction=0.5, seed=0)
    fcs, rnd = summ.iloc[0], summ.iloc[1]
    assert fcs["mean_round_s"] <= 3.0 < rnd["mean_round_s"]
    assert fcs["rounds"] > rnd["rounds"]
    assert set(curves["method"]) == {"FedCS", "random (wait for all)"}
    with pytest.raises(ValueError, match="n_select"):
        RandomWaitSelector(sysm, 0)


def test_h_tau_and_best_tau():
    assert h_tau(1, 0.1, 2.0, 0.5) == pytest.approx(0.0)
    assert h_tau(5, 0.1, 2.0, 0.5) > h_tau(3, 0.1, 2.0, 0.5) > 0
    est = dict(eta=0.5, rho=0.2, beta=1.5, delta=0.4, phi=3.0, tau_max=100)
    cheap_rounds = best_tau(costs=ResourceCosts(step_s=1.0, aggregate_s=0.01), **est)
    dear_rounds = best_tau(costs=ResourceCosts(step_s=0.01, aggregate_s=1.0), **est)
    assert cheap_rounds == 1 and dear_rounds > 1
    assert best_tau(costs=ResourceCosts(0.01, 1.0), **{**est, "delta": 0.0}) == 100  # IID: no drift


def test_adaptive_tau_respects_budget_and_adapts():
    fed = Federation.digits(4, "dirichlet", seed=0, alpha=0.5)
    sysm = SystemModel.sample(4, device_mix={"cortex-m7": 1}, link_mix={"4g": 1},
                              straggler_prob=0, seed=0)
    summary, runs = compare_tau(fed, sysm, 4.0, taus=(1, 10), seed=0)
    for h in runs.values():
        assert h["spent_s"].iloc[-1] <= 4.0
    ad = runs["adaptive τ"]
    assert ad["tau"].iloc[0] == 1 and ad["tau"].nunique() > 1
    assert {"rho", "beta", "delta"} <= set(ad.columns)
    with pytest.raises(ValueError, match="budget_s"):
        run_tau(fed, 0, ResourceCosts(1, 1))
