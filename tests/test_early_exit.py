"""Early exit: BranchyNet's real per-sample exit, DDNN aggregation and bytes, Edgent's choice."""

import numpy as np
import pytest
import torch

from edgelab.inference import early_exit as ee


@pytest.fixture(scope="module")
def trained():
    from edgelab.datasets import load_digits_split

    torch.manual_seed(0)
    xtr, ytr, xte, yte = load_digits_split(seed=0, shape="image")
    m = ee.digits_branchynet(width=8, seed=0)
    ee.train_multi_exit(m, xtr[:600], ytr[:600], epochs=4, seed=0)
    return m, xte[:200], yte[:200]


def test_exits_are_real_per_sample(trained):
    m, x, y = trained
    seen = []
    hooks = [s.register_forward_hook(lambda mod, i, o, k=k: seen.append((k, len(i[0]))))
             for k, s in enumerate(m.stages)]
    r = ee.early_exit_inference(m, x, threshold=0.5)
    for h in hooks:
        h.remove()
    batch = dict(seen)
    frac = r.exit_fractions(m.n_exits)
    # Stage k only ever sees the samples that did not leave before it.
    assert batch[0] == len(x)
    if 1 in batch:
        assert batch[1] == int(round(len(x) * (1 - frac[0])))
    st, hd = m.stage_macs()
    assert set(np.unique(r.macs)) <= {st[0] + hd[0], st[:2].sum() + hd[:2].sum(), st.sum() + hd.sum()}


def test_threshold_extremes(trained):
    m, x, y = trained
    none_exit = ee.early_exit_inference(m, x, threshold=0.0)
    all_exit = ee.early_exit_inference(m, x, threshold=1.0)
    assert (none_exit.exit_index == m.n_exits - 1).all() or (none_exit.exit_index >= 0).all()
    assert (all_exit.exit_index == 0).all()
    assert all_exit.avg_macs < none_exit.avg_macs
    # With no early exit the predictions equal the final exit's.
    with torch.no_grad():
        final = m(x)[-1].argmax(-1).numpy()
    idx = none_exit.exit_index == m.n_exits - 1
    assert (none_exit.pred[idx] == final[idx]).all()


def test_sweep_monotone_macs(trained):
    m, x, y = trained
    df = ee.threshold_sweep(m, x, y, [0.0, 0.2, 0.5, 1.0])
    assert df["avg_macs"].is_monotonic_decreasing
    assert ((df.filter(like="_share").sum(axis=1) - 1).abs() < 1e-9).all()


def test_confidence_criterion_and_errors(trained):
    m, x, _ = trained
    r = ee.early_exit_inference(m, x, threshold=0.99, criterion="confidence")
    assert len(r.pred) == len(x)
    with pytest.raises(ValueError, match="criterion"):
        ee.early_exit_inference(m, x, 0.5, criterion="vibes")
    with pytest.raises(ValueError, match="threshold"):
        ee.early_exit_inference(m, x, 1.5)
    with pytest.raises(ValueError, match="threshold"):
        ee.early_exit_inference(m, x, [0.1])


@pytest.mark.parametrize("local,edge", [("max", "concat"), ("avg", "avg"), ("concat", "max")])
def test_ddnn_aggregations_and_bytes(local, edge):
    from edgelab.datasets import load_digits_split

    xtr, ytr, xte, yte = load_digits_split(seed=0, shape="image")
    model = ee.DDNN(n_devices=3, local_aggregation=local, edge_aggregation=edge)
    views = ee.make_views(xte[:64], 3, seed=1)
    outs = model(views)
    assert [o.shape for o in outs] == [(64, 10)] * 3
    r = ee.ddnn_inference(model, views, yte[:64], thresholds=(1.0, 1.0))  # everything exits locally
    assert r["local_share"] == 1.0
    assert r["device_bytes_per_sample"] == pytest.approx(3 * 10)
    r = ee.ddnn_inference(model, views, yte[:64], thresholds=(0.0, 0.0))  # nothing exits early
    assert r["cloud_share"] == 1.0
    assert r["device_bytes_per_sample"] == pytest.approx(3 * (10 + model.feat_ch * 16 / 8))
    assert r["communication_reduction"] == pytest.approx(3 * 64 / r["device_bytes_per_sample"])


def test_ddnn_bad_input():
    with pytest.raises(ValueError, match="local_aggregation"):
        ee.DDNN(local_aggregation="sum")
    with pytest.raises(ValueError, match="drop"):
        ee.make_views(torch.zeros(2, 1, 8, 8), 2, drop=1.0)


def test_edgent_prefers_accuracy_within_deadline():
    m = ee.digits_branchynet(width=64)
    table = ee.edgent_latency(m, "cortex-m7", "edge-server-cpu", "wifi5", np.logspace(-2, 2, 5))
    acc = [0.90, 0.97, 0.98]
    generous = ee.edgent_choose(table, acc, deadline_s=10.0).to_frame()
    assert (generous["exit"] == 2).all() and generous["meets_deadline"].all()
    tight = ee.edgent_choose(table, acc, deadline_s=0.010).to_frame()
    assert tight["meets_deadline"].all()
    assert tight["exit"].iloc[0] < 2 <= tight["exit"].iloc[-1]  # slow link → exit early
    impossible = ee.edgent_choose(table, acc, deadline_s=1e-9).to_frame()
    assert not impossible["meets_deadline"].any()  # best effort, labelled
    assert (impossible["latency_s"] == table.latency_s.to_numpy().min(0)).all()
    # The chosen configuration's latency is the branch's best split at that bandwidth.
    for _, row in tight.iterrows():
        assert row["latency_s"] <= 0.010


def test_early_exit_explorer_headless():
    from edgelab.explorers.early_exit import EarlyExitExplorer

    net = ee.digits_branchynet(width=8, seed=0)
    bw = np.logspace(-2, 2, 9)
    table = ee.edgent_latency(net, "cortex-m7", "edge-server-cpu", "wifi5", bw)
    acc = [0.7, 0.8, 0.9]
    ex = EarlyExitExplorer(table, acc, deadline_ms=5.0, log10_bw=0.0, draw=False)
    n0 = ex.n_updates
    ex.set(deadline_ms=20.0, log10_bw=2.0)
    assert ex.n_updates == n0 + 1
    ref = ee.edgent_choose(table, acc, 0.02).to_frame()
    assert ex.row.equals(ref.iloc[[len(bw) - 1]])
    assert ex.plan.equals(ref) and "exit" in ex.table_view.value
    import matplotlib.pyplot as plt

    plt.close(ex.figure())


def test_edgent_plan_is_one_type_search_then_decision():
    m = ee.digits_branchynet(width=8, seed=0)
    bw = np.array([0.1, 10.0])
    search = ee.edgent_latency(m, "cortex-m7", "edge-server-cpu", "wifi5", bw)
    assert isinstance(search, ee.EdgentPlan) and search.choice.empty
    assert search.latency_s.shape == (m.n_exits, 2) and list(search.bandwidth_mbps) == [0.1, 10.0]
    long = search.to_frame()
    assert len(long) == m.n_exits * 2 and {"exit", "split", "branch_layers"} <= set(long.columns)
    decided = ee.edgent_plan(m, [0.7, 0.8, 0.9], "cortex-m7", "edge-server-cpu", "wifi5", bw, 0.05)
    assert isinstance(decided, ee.EdgentPlan) and decided.deadline_s == 0.05
    assert decided.to_frame().equals(ee.edgent_choose(search, [0.7, 0.8, 0.9], 0.05).choice)
