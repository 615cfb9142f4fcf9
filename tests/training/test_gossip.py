"""Gossip training in process (seed 003 §IV-C.6): topologies, mixing matrices, algorithms, cost."""

import math

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.training import gossip as gs
from edgelab.training.gaia import gaia_times, run_gaia


# ----------------------------------------------------------------------------- topologies
@pytest.mark.parametrize("name", gs.TOPOLOGIES)
def test_topologies_are_connected_with_expected_degree(name):
    g = gs.topology(name, 8, degree=3, seed=0)
    assert nx.is_connected(g) and g.number_of_nodes() == 8
    deg = {d for _, d in g.degree()}
    assert deg == {"ring": {2}, "random": {3}, "complete": {7}}[name]


def test_disconnected_topology_names_the_nodes_cut_off():
    g = nx.cycle_graph(5)
    g.add_nodes_from([5, 6])
    g.add_edge(5, 6)
    with pytest.raises(ValueError, match=r"nodes \[5, 6\] are cut off from node 0"):
        gs.check_connected(g)
    with pytest.raises(ValueError, match="cut off"):
        gs.run_gossip(gs.GossipConfig(n_nodes=7, steps=1), graph=g)


@pytest.mark.parametrize("bad", [dict(algorithm="push"), dict(topology="star"), dict(n_nodes=1),
                                 dict(p=0.0), dict(p=1.5), dict(steps=0)])
def test_bad_config_names_the_parameter(bad):
    key = next(iter(bad))
    with pytest.raises(ValueError, match=key):
        gs.GossipConfig(**bad)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 24), kind=st.sampled_from(gs.TOPOLOGIES), seed=st.integers(0, 50))
def test_metropolis_matrix_is_symmetric_doubly_stochastic(n, kind, seed):
    deg = 2 if n % 2 else 3
    w = gs.mixing_matrix(gs.topology(kind, n, degree=deg, seed=seed))
    assert np.allclose(w, w.T)
    assert np.allclose(w.sum(0), 1) and np.allclose(w.sum(1), 1)
    assert (w >= 0).all()
    assert 0 < gs.spectral_gap(w) <= 1 + 1e-12


def test_spectral_gap_orders_topologies():
    gaps = {k: gs.spectral_gap(gs.mixing_matrix(gs.topology(k, 16, degree=4))) for k in gs.TOPOLOGIES}
    assert gaps["ring"] < gaps["random"] < gaps["complete"]


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 8))
def test_gossipgrad_rotation_averages_exactly_after_log2_steps(k):
    """GossipGraD's indirect exchange: log2(p) rotations make everybody hear everybody."""
    n = 2 ** k
    prod = np.eye(n)
    for t in range(k):
        prod = gs.gossipgrad_matrix(n, t) @ prod
    assert np.allclose(prod, np.full((n, n), 1.0 / n))


def test_gossipgrad_partner_is_one_per_step():
    for n in (4, 6, 16):
        for t in range(6):
            w = gs.gossipgrad_matrix(n, t)
            assert ((w > 0).sum(1) == 2).all() and np.allclose(w.sum(0), 1)


# ----------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def runs():
    out = {}
    for alg in gs.ALGORITHMS:
        cfg = gs.GossipConfig(algorithm=alg, n_nodes=8, steps=60, eval_every=20, p=0.5, tau=2)
        out[alg] = gs.run_gossip(cfg, seed=0)
    return out


def test_same_seed_same_history(runs):
    again = gs.run_gossip(runs["gosgd"].config, seed=0)
    assert again.history.equals(runs["gosgd"].history)
    assert torch.equal(again.params, runs["gosgd"].params)


def test_allreduce_keeps_consensus_and_gossip_does_not(runs):
    assert runs["allreduce"].history["consensus"].max() < 1e-5
    for alg in ("metropolis", "gossiping_sgd", "gosgd", "gossipgrad"):
        assert runs[alg].history["consensus"].iloc[-1] > 1e-4


def test_gossip_learns_close_to_allreduce(runs):
    ref = runs["allreduce"].accuracy
    assert ref > 0.7
    for alg in ("metropolis", "gossiping_sgd", "gosgd", "gossipgrad", "easgd"):
        assert runs[alg].accuracy > ref - 0.1, alg


def test_bytes_at_the_busiest_node(runs):
    msg = 4 * runs["allreduce"].numel
    steps = 60
    # GossipGraD: one model out and one in per step
    assert runs["gossipgrad"].history["busiest_bytes"].iloc[-1] == 2 * msg * steps
    # ring all-reduce: 2(n-1)/n models each way
    assert math.isclose(runs["allreduce"].history["busiest_bytes"].iloc[-1], 2 * 2 * 7 / 8 * msg * steps)
    # metropolis on a ring: two neighbours, each way
    assert runs["metropolis"].history["busiest_bytes"].iloc[-1] == 4 * msg * steps
    # EASGD's parameter server is the busiest: n models up and down per exchange
    assert runs["easgd"].history["busiest_bytes"].iloc[-1] == 2 * 8 * msg * steps / 2


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 12), p=st.floats(0.05, 1.0), seed=st.integers(0, 100))
def test_gosgd_push_sum_conserves_the_weighted_average(n, p, seed):
    """GoSGD's mixing: alpha_new^T W = alpha_old^T, and the weights still sum to one."""
    cfg = gs.GossipConfig(algorithm="gosgd", n_nodes=n, topology="complete", p=p)
    g = gs.topology("complete", n)
    rng = np.random.default_rng(seed)
    alpha = rng.random(n) + 0.1
    alpha /= alpha.sum()
    old = alpha.copy()
    w, (sent, recv) = gs._mix(cfg, g, None, 1, rng, alpha)
    assert np.allclose(alpha @ w, old) and math.isclose(alpha.sum(), 1.0)
    assert np.allclose(w.sum(1), 1) and sent.sum() == recv.sum()


def test_local_step_matches_autograd():
    task = gs.GossipTask.digits(4, seed=1)
    step = gs.local_sgd_step(task)
    x = gs.flatten(task.model).repeat(4, 1)
    idx = gs.node_batches(task, 8, 1, 1)
    new = step(x, idx, 0.1)
    for k in range(4):
        model = task.model
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(task.x_train[idx[k]]), task.y_train[idx[k]])
        loss.backward()
        g = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        assert torch.allclose(new[k], x[k] - 0.1 * g, atol=1e-6)


# ----------------------------------------------------------------------------- cost model
def test_one_peer_gossip_iteration_is_never_slower_than_ring_allreduce():
    for n in (2, 4, 8, 64):
        t = gs.iteration_time("resnet18", "a100", "ethernet", n, peers=1)
        assert t["gossip_s"] <= t["allreduce_s"] + 1e-12
        assert gs.gossip_crossover_bytes(n, 1, 941, 3e-4) == math.inf


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 64), peers=st.integers(2, 8), bw=st.floats(1, 1e4), rtt=st.floats(1e-5, 0.1))
def test_crossover_bytes_solves_the_time_equation(n, peers, bw, rtt):
    d = gs.gossip_crossover_bytes(n, peers, bw, rtt)
    if d == math.inf:
        assert peers <= 2 * (n - 1) / n
        return
    g = gs.gossip_exchange_time(d, peers, bw, rtt)
    a = gs.allreduce_time(d, n, bw, rtt)
    assert math.isclose(g, a, rel_tol=1e-9)
    assert gs.gossip_exchange_time(2 * d, peers, bw, rtt) > gs.allreduce_time(2 * d, n, bw, rtt)


# ----------------------------------------------------------------------------- Gaia
def test_gaia_filter_sends_less_and_keeps_accuracy():
    base = run_gaia(4, 80, threshold=0.0, eval_every=40)
    gaia = run_gaia(4, 80, threshold=0.01, eval_every=40)
    assert base.sent_fraction == 1.0
    assert 0 < gaia.sent_fraction < 0.5
    assert gaia.accuracy > base.accuracy - 0.05
    again = run_gaia(4, 80, threshold=0.01, eval_every=40)
    assert again.history.equals(gaia.history)


def test_gaia_threshold_zero_keeps_copies_identical():
    base = run_gaia(3, 20, threshold=0.0, eval_every=20)
    assert torch.allclose(base.params, base.params[:1].expand_as(base.params), atol=1e-6)


def test_gaia_times_are_monotone_in_the_fraction():
    lo = gaia_times("digits_mlp", "edge-server-cpu", 4, 0.01)
    hi = gaia_times("digits_mlp", "edge-server-cpu", 4, 0.5)
    assert lo["gaia_wan_s"] <= hi["gaia_wan_s"]
    assert lo["baseline_wan_s"] > lo["baseline_lan_s"]
    assert lo["gaia_speedup"] > 1
    with pytest.raises(ValueError, match="sent_fraction"):
        gaia_times("digits_mlp", "edge-server-cpu", 4, 1.5)
