"""Compressed exchange between real processes on gloo (127.0.0.1, explicit timeout, a watchdog):
the result equals the in-process batched exchange and the bytes on the collective equal the
compressor's count (seed 003 §IV-C.3; grace#16)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from edgelab.training.compression import COMPRESSORS, make_communicator
from edgelab.training.compression.distributed import (
    from_bytes,
    powersgd_bytes,
    run_ddp,
    run_gloo,
    run_gloo_configs,
    run_sgd,
    to_bytes,
)

PARAMS = {"topk": {"k": 4}, "randomk": {"k": 4}, "threshold": {"tau": 1.0}}


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_bytes_roundtrip(name):
    g = torch.randn(1, 97, generator=torch.Generator().manual_seed(3))
    comp = make_communicator(name, **PARAMS.get(name, {})).compressor
    msg = comp.compress(g, step=1, rows=torch.tensor([0]))
    buf, lengths = to_bytes(msg)
    assert buf.dtype == torch.uint8 and buf.numel() == sum(lengths) == msg.total_bytes
    back = from_bytes(buf, lengths, msg)
    assert all(torch.equal(back[k], msg.tensors[k]) for k in msg.tensors)


GLOO_CONFIGS = [
    ("topk", "residual", {"density": 0.01}),
    ("threshold", "residual", {"tau": 3.5}),  # most rows clamp to one value: never empty
    ("dgc", "dgc", {}),
]


@pytest.mark.timeout(240)
def test_gloo_equals_in_process_and_counts_the_wire():
    """One spawn: three configurations one after the other in the same group."""
    g = torch.randn(3, 3, 400, generator=torch.Generator().manual_seed(0))
    results = run_gloo_configs(g, GLOO_CONFIGS, timeout_s=30)
    assert len(results) == len(GLOO_CONFIGS)
    for (name, memory, params), res in zip(GLOO_CONFIGS, results, strict=True):
        comm = make_communicator(name, memory, **params)
        want = np.stack([comm.exchange(g[:, s], rows=[0, 1, 2], step=s).update.numpy()
                         for s in range(3)])
        for w in range(3):
            np.testing.assert_allclose(res["updates"][w], want, atol=1e-6)
        assert (res["payload_bytes"] == res["message_bytes"]).all()
        assert (res["payload_bytes"] > 0).all()
        n_tensors = len(comm.compressor.compress(g[0, 0]).tensors)
        assert (res["header_bytes"] == 8 * n_tensors).all()


def test_run_gloo_bad_input():
    with pytest.raises(ValueError, match=r"grads must be \(workers, rounds, n\)"):
        run_gloo(torch.zeros(2, 3), "topk", k=1)
    with pytest.raises(ValueError, match="compressor must be one of"):
        run_gloo(torch.zeros(2, 1, 3), "zip")
    with pytest.raises(ValueError, match="timeout_s must be a finite number > 0"):
        run_gloo(torch.zeros(2, 1, 3), "topk", k=1, timeout_s=0)


def test_powersgd_bytes_by_hand():
    # 64x64 -> P 64 + Q 64 at rank 1; 10x64 -> 10 + 64 (74·2 < 640); vectors stay dense
    assert powersgd_bytes([(64, 64), (64,), (10, 64), (10,)]) == 4 * (128 + 64 + 74 + 10)
    # rank 4: 64x64 -> (64+64)·4 = 512 (·2 < 4096, compressed); 10x64 -> (10+64)·4 = 296
    # (·2 = 592 < 640, compressed)
    assert powersgd_bytes([(64, 64), (10, 64)], rank=4) == 4 * (512 + 296)
    # rank 5: 10x64 -> 370·2 = 740 ≥ 640: dense
    assert powersgd_bytes([(10, 64)], rank=5) == 4 * 640
    assert powersgd_bytes([(3, 4, 5)], rank=1) == 4 * (3 + 20)  # viewed as 3 x 20


def _reference_sgd(config, workers=2, steps=3, seed=0):
    """The compressed SGD of :func:`run_sgd` in one process: the same batches, one batched
    exchange per step."""
    from edgelab.models import build
    from edgelab.training.compression.distributed import SGD_LR, _batches

    model = build("digits_mlp", seed=seed)
    params = list(model.parameters())
    comm = make_communicator(*config[:2], **config[2])
    batches = [_batches(seed, r, steps) for r in range(workers)]
    for s in range(steps):
        rows = []
        for r in range(workers):
            x, y = batches[r][s]
            gr = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), y), params)
            rows.append(torch.cat([t.reshape(-1) for t in gr]))
        update = comm.exchange(torch.stack(rows), rows=list(range(workers)), step=s).update
        with torch.no_grad():
            at = 0
            for p in params:
                p.sub_(SGD_LR * update[at:at + p.numel()].view_as(p))
                at += p.numel()
    return torch.cat([p.detach().reshape(-1) for p in params]).numpy()


@pytest.mark.timeout(300)
def test_distributed_sgd_hooks_and_topk_ef_bytes_counted_at_the_collective():
    """One spawn: DDP with torch's hooks beside SGD with top-k + EF all-gathered; the bytes each
    worker hands to the collective equal the prediction / the compressor's own count."""
    p = 4810  # digits_mlp
    topk = ("topk", "residual", {"density": 0.01})
    dense, half, power, sparse = run_sgd(["allreduce", "fp16", "powersgd", topk], steps=3)
    assert (dense["bytes"] == 4 * p).all() and dense["accounted"] is None
    assert (half["bytes"] == 2 * p).all()
    want = powersgd_bytes(power["shapes"])
    assert power["bytes"].tolist() == [[4 * p, 4 * p, want]] * 2
    k = math.ceil(0.01 * p)
    assert (sparse["bytes"] == sparse["accounted"]).all()  # on the wire = accounted
    assert (sparse["accounted"] == 8 * k).all()  # k float32 values + k int32 indices
    for r in (dense, half, power, sparse):  # every worker ends with the same model
        np.testing.assert_array_equal(r["params"][0], r["params"][1])
    np.testing.assert_allclose(sparse["params"][0], _reference_sgd(topk), atol=1e-6)
    assert not np.allclose(sparse["params"][0], dense["params"][0])


def test_run_sgd_and_ddp_bad_input():
    with pytest.raises(ValueError, match="hook must be one of 'allreduce', 'fp16', 'powersgd'"):
        run_ddp("topk")
    with pytest.raises(ValueError, match="method 'topk' is a compressor"):
        run_sgd(["topk"])
    with pytest.raises(ValueError, match="compressor must be one of"):
        run_sgd([("zip", "none", {})])
    with pytest.raises(ValueError, match="methods must name at least one"):
        run_sgd([])
    with pytest.raises(ValueError, match="memory 'residual' cannot be used with compressor 'signsgd'"):
        run_sgd([("signsgd", "residual", {})])
