"""Compressed gossip with difference compression (DCD-PSGD, seed 003 §IV-C.3 and §IV-C.6)."""

import pytest
import torch

from edgelab.training import gossip as gs
from edgelab.training.compression import FP16, QSGD, Int8, TopK

CFG = gs.GossipConfig(algorithm="metropolis", n_nodes=6, steps=60, eval_every=30)


def test_fp16_difference_compression_tracks_full_precision():
    ref = gs.run_gossip(CFG, seed=0)
    half = gs.run_compressed_gossip(FP16(), CFG, seed=0)
    assert abs(half.accuracy - ref.accuracy) < 0.03
    assert half.busiest_bytes_per_step == pytest.approx(ref.busiest_bytes_per_step / 2)


@pytest.mark.parametrize("comp", [Int8(), TopK(density=0.2), QSGD(s=64)])
def test_compressed_gossip_sends_fewer_bytes_and_still_learns(comp):
    ref = gs.run_gossip(CFG, seed=0)
    r = gs.run_compressed_gossip(comp, CFG, seed=0)
    assert r.busiest_bytes_per_step < ref.busiest_bytes_per_step
    assert r.accuracy > ref.accuracy - 0.1
    again = gs.run_compressed_gossip(comp, CFG, seed=0)
    assert again.history.equals(r.history) and torch.equal(again.params, r.params)


def test_a_too_coarse_compressor_is_reported_as_divergence():
    cfg = gs.GossipConfig(algorithm="metropolis", n_nodes=8, steps=300, eval_every=300)
    with pytest.raises(gs.DivergedError, match="diverged at step"):
        gs.run_compressed_gossip(QSGD(s=16), cfg, seed=0)


def test_compressor_must_be_one_of_issue_15s():
    with pytest.raises(ValueError, match="compressor"):
        gs.run_compressed_gossip("topk", CFG)
