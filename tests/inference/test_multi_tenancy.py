"""Multi-tenancy (seed 003 §V-C.7): Mainstream's shared stems, NestDNN's descendants, greedy vs exact."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.errors import EdgelabError
from edgelab.inference import multi_tenancy as mt
from edgelab.models import build


@settings(max_examples=30, deadline=None)
@given(st.floats(0.01, 60), st.floats(0.001, 5))
def test_event_recall_is_a_share_that_grows_with_fps(f, e):
    r = float(mt.event_recall(f, e))
    assert 0 < r <= 1 and r <= float(mt.event_recall(2 * f, e))


def test_block_costs_sum_to_the_model():
    from edgelab.hardware.cost import layer_latency
    from edgelab.hardware.profile import profile

    m = build("digits_cnn")
    b = mt.block_costs(m, torch.zeros(1, 1, 8, 8), "rpi4")
    prof = profile(m, torch.zeros(1, 1, 8, 8))
    assert list(b["block"]) == ["conv1", "conv2", "fc1", "fc2"]
    assert b["latency_s"].sum() == pytest.approx(layer_latency(prof, "rpi4").sum())
    assert b["weight_bytes"].sum() == prof.table["weight_bytes"].sum()


def _problem(seed: int, n: int = 3, tight: float = 0.3) -> mt.TenancyProblem:
    return mt.random_problem(n, seed=seed, tightness=tight)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.15, 0.3, 0.6]))
def test_milp_equals_exhaustive_and_beats_greedy(seed, tight):
    p = mt.random_problem(3, seed=seed, tightness=tight)
    p = mt.TenancyProblem(p.tenants, p.options[p.options["fps"].isin([1.0, 5.0, 30.0])],
                          p.stem_s, p.stem_bytes, p.compute_budget, p.memory_budget_bytes)
    try:
        ex = mt.solve_exhaustive(p)
    except mt.NoFeasibleAllocation:
        with pytest.raises(mt.NoFeasibleAllocation):
            mt.solve_milp(p)
        return
    m, g = mt.solve_milp(p), mt.solve_greedy(p)
    assert m.accuracy == pytest.approx(ex.accuracy, abs=1e-9)
    assert g.accuracy <= m.accuracy + 1e-9
    for a in (m, g, ex):
        assert a.compute <= p.compute_budget * (1 + 1e-6)
        assert a.memory_bytes <= p.memory_budget_bytes * (1 + 1e-6)


def test_shared_block_is_paid_once_at_the_highest_rate():
    p = _problem(1, n=2)
    o = p.options
    a = o[(o["tenant"] == 0) & (o["k"] == 2) & (o["fps"] == 10.0)].index[0]
    b = o[(o["tenant"] == 1) & (o["k"] == 2) & (o["fps"] == 5.0)].index[0]
    al = mt.evaluate(p, (a, b))
    want = 10.0 * p.stem_s[:2].sum() + 10.0 * o.loc[a, "private_s"] + 5.0 * o.loc[b, "private_s"]
    assert al.compute == pytest.approx(want)
    assert al.memory_bytes == pytest.approx(p.stem_bytes[:2].sum() + o.loc[a, "private_bytes"]
                                            + o.loc[b, "private_bytes"])


def test_no_allocation_fits_names_the_cheapest():
    p = _problem(0)
    q = mt.TenancyProblem(p.tenants, p.options, p.stem_s, p.stem_bytes, 1e-12, 1.0)
    for solve in (mt.solve_greedy, mt.solve_milp):
        with pytest.raises(mt.NoFeasibleAllocation, match="the cheapest .* needs"):
            solve(q)


def test_unknown_tenant_model_is_refused():
    acc = pd.DataFrame({"task": ["a"] * 2, "k": [0, 1], "accuracy": [0.9, 0.8]})
    blocks = mt.block_costs(build("digits_mlp"), torch.zeros(1, 1, 8, 8), "rpi4")
    with pytest.raises(EdgelabError, match="tenant model.*'b'"):
        mt.mainstream_problem([mt.Tenant("x", "b")], acc, blocks, 1.0, 1e6)
    with pytest.raises(EdgelabError, match="tenant model"):
        mt.nestdnn_problem([mt.Tenant("x", "lenet5")], {"digits_cnn": pd.DataFrame()}, 1.0, 1e6)


def test_benchmark_result():
    b = mt.tenancy_benchmark(10, seed=0)
    assert b.n_tenants == 10 and b.gap_points >= -1e-9
    assert b.optimal_accuracy >= b.greedy_accuracy - 1e-12


def test_nestdnn_schedule_switches_with_the_budget():
    fam = pd.DataFrame({"ratio": [0.0, 0.5], "accuracy": [0.95, 0.85],
                        "latency_s": [1e-2, 4e-3], "weight_bytes": [1000.0, 300.0]})
    p = mt.nestdnn_problem([mt.Tenant("a", "m", 1.0, (10.0,)), mt.Tenant("b", "m", 1.0, (10.0,))],
                           {"m": fam}, 1.0, 1e6)
    s = mt.nestdnn_schedule(p, [0.2, 0.08, 0.2])
    assert list(s["accuracy"]) == pytest.approx([0.95, 0.85, 0.95])
    assert (s["accuracy"] >= s["static_accuracy"] - 1e-12).all()
    grow = s.iloc[2]
    assert grow["bytes_nested"] == pytest.approx(2 * 700) and grow["bytes_independent"] == 2000
    with pytest.raises(ValueError, match="budgets"):
        mt.nestdnn_schedule(p, [])


def test_descendants_shrink_with_ratio():
    from edgelab.datasets import load_digits_split

    xtr, ytr, xte, yte = load_digits_split(seed=0, shape="image")
    d = mt.descendants(build("digits_cnn"), (xtr[:64], ytr[:64], xte[:64], yte[:64]),
                       (0.0, 0.5), "rpi4", finetune_epochs=1)
    assert d["macs"].iloc[1] < d["macs"].iloc[0]
    assert d["weight_bytes"].iloc[1] < d["weight_bytes"].iloc[0]
    assert np.all((d["accuracy"] >= 0) & (d["accuracy"] <= 1))


def test_shared_stem_accuracy_rows():
    from edgelab.datasets import load_digits_split

    xtr, ytr, xte, yte = load_digits_split(seed=0, shape="image")
    sa = mt.shared_stem_accuracy(build("digits_cnn"), {"parity": (xtr[:64], ytr[:64] % 2,
                                                                  xte[:64], yte[:64] % 2)},
                                 epochs=1)
    assert list(sa["k"]) == [0, 1, 2, 3] and sa["accuracy"].between(0, 1).all()
