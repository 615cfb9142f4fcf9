"""Gossip over real processes (seed 003 §IV-C.6): a 4-rank gloo ring on 127.0.0.1.

Two spawns in all (each costs 14-30 s on two cores): one checks that the ring gives the
in-process mixing's parameters, one that a rank dying mid-run stops the others within the
timeout with a clear error. A thread watchdog fails the test instead of hanging CI.
"""

import os
import threading
import time

import pytest
import torch

from edgelab.training import gossip as gs
from edgelab.training.gossip_dist import GossipProcessError, max_world_size, run_ring

WATCHDOG_S = 240


def _with_watchdog(fn):
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # re-raised in the test's thread
            box["error"] = e

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(WATCHDOG_S)
    assert not th.is_alive(), f"watchdog: the gossip run did not return within {WATCHDOG_S} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_real_ring_gives_the_in_process_parameters():
    run = _with_watchdog(lambda: run_ring(4, steps=3, seed=0, timeout_s=15, deadline_s=200))
    sim = gs.run_gossip(gs.GossipConfig(algorithm="metropolis", topology="ring", n_nodes=4,
                                        steps=3, eval_every=3), seed=0)
    assert run.params.shape == sim.params.shape
    assert torch.allclose(run.params, sim.params, atol=1e-6)
    assert gs.consensus_distance(run.params) > 0  # three steps of gossip do not reach consensus


def test_a_rank_that_dies_stops_the_others_with_a_clear_error():
    t0 = time.perf_counter()
    with pytest.raises(GossipProcessError, match=r"rank 2 died \(exit code 3\)"):
        _with_watchdog(lambda: run_ring(4, steps=4, die_at=2, die_rank=2, timeout_s=5,
                                        deadline_s=200))
    assert time.perf_counter() - t0 < WATCHDOG_S


@pytest.mark.parametrize("world", [2, max_world_size() + 1, 1000, 3.5])
def test_a_world_size_this_machine_cannot_start_is_refused(world):
    with pytest.raises(ValueError, match=rf"world_size must be an integer in \[3, {max_world_size()}\]"):
        run_ring(world)
    assert max_world_size() <= 4 * (os.cpu_count() or 1)
