"""The gossip explorer (seed 003 §IV-C.6), headless."""

import pytest

from edgelab.explorers.gossip import GossipExplorer


def test_explorer_computes_and_moves_with_the_topology():
    ex = GossipExplorer("ring", 8, "gossiping_sgd", steps=40, draw=False)
    ring_gap = ex.result["gap"]
    assert 0 < ex.result["accuracy"] <= 1 and "spectral gap" in ex.describe()
    ex.set(topology="complete")
    assert ex.result["gap"] > ring_gap
    ex.set(n_nodes=6, algorithm="gossipgrad")
    assert ex.result["run"].config.n_nodes == 6
    fig = ex.figure()
    assert len(fig.axes) == 3


def test_explorer_refuses_an_unknown_control():
    ex = GossipExplorer(steps=10, draw=False)
    with pytest.raises(Exception, match="bogus"):
        ex.set(bogus=1)
