"""Level 5 (all in-edge, decentralised) priced with gossip between edge nodes (seed 003 §IV-A.2)."""

import math

import pytest

from edgelab import levels
from edgelab.hardware.catalog import get_link
from edgelab.training.gossip_cost import gossip_exchange_time


def _l5(sc: levels.Scenario):
    return levels.evaluate(sc).set_index("level").loc["L5"]


def test_l5_peer_bytes_are_the_ring_exchange_per_epoch():
    sc = levels.Scenario(model="mobilenet_v2", edge_nodes=4, gossip_peers=2, epochs=3)
    df = levels.evaluate(sc).set_index("level")
    w = levels.model._profile("mobilenet_v2").table["weight_bytes"].sum()
    assert df.loc["L5", "train_peer_bytes"] == pytest.approx(2 * 2 * w * 3)
    assert (df.drop(index="L5")["train_peer_bytes"] == 0).all()
    assert df.loc["L5", "train_wan_bytes"] == 0  # peer exchange stays on the edge network


def test_l5_time_adds_gossip_and_shares_the_compute():
    one = levels.Scenario(model="mobilenet_v2", edge_nodes=1)
    four = one.replace(edge_nodes=4)
    t1, t4 = _l5(one)["train_time_s"], _l5(four)["train_time_s"]
    w = levels.model._profile("mobilenet_v2").table["weight_bytes"].sum()
    lk = get_link("ethernet")
    gossip = four.epochs * gossip_exchange_time(w, 2, lk.uplink_mbps, lk.rtt_ms / 1e3)
    assert _l5(one)["train_peer_bytes"] == 0
    assert t4 < t1 + gossip  # four nodes share the compute
    slow = four.replace(peer_link="4g")
    assert _l5(slow)["train_time_s"] > t4


def test_l5_changes_no_kpi_of_the_claim():
    sc = levels.Scenario()
    a = levels.evaluate(sc.replace(edge_nodes=1))
    b = levels.evaluate(sc.replace(edge_nodes=8, gossip_peers=3))
    for col, _ in levels.CLAIM_KPIS:
        assert (a[col] == b[col]).all()


@pytest.mark.parametrize("bad", [dict(edge_nodes=0), dict(gossip_peers=0),
                                 dict(peer_link="pigeon")])
def test_bad_l5_settings_are_refused(bad):
    with pytest.raises((ValueError, KeyError), match=next(iter(bad)) if "peer_link" not in bad else "pigeon"):
        levels.Scenario(**bad)


def test_l5_caps_peers_at_the_other_nodes():
    a = _l5(levels.Scenario(model="mobilenet_v2", edge_nodes=2, gossip_peers=5))
    b = _l5(levels.Scenario(model="mobilenet_v2", edge_nodes=2, gossip_peers=1))
    assert a["train_peer_bytes"] == b["train_peer_bytes"] and math.isclose(a["train_time_s"], b["train_time_s"])
