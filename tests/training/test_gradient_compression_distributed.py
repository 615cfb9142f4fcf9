"""Compressed exchange between real processes on gloo (127.0.0.1, explicit timeout, a watchdog):
the result equals the in-process batched exchange and the bytes on the collective equal the
compressor's count (seed 003 §IV-C.3; grace#16)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgelab.training.compression import COMPRESSORS, make_communicator
from edgelab.training.compression.distributed import (
    from_bytes,
    powersgd_bytes,
    run_ddp,
    run_gloo,
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


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("name", "memory", "params"), [
    ("topk", "residual", {"density": 0.01}),
    ("threshold", "residual", {"tau": 3.5}),  # most rows clamp to one value: never empty
    ("dgc", "dgc", {}),
])
def test_gloo_equals_in_process_and_counts_the_wire(name, memory, params):
    g = torch.randn(3, 3, 400, generator=torch.Generator().manual_seed(0))
    res = run_gloo(g, name, memory, timeout_s=30, **params)
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


@pytest.mark.timeout(300)
def test_ddp_hooks_bytes_counted_at_the_collective():
    p = 4810  # digits_mlp
    dense = run_ddp("allreduce", steps=2)
    assert (dense["bytes"] == 4 * p).all()
    half = run_ddp("fp16", steps=2)
    assert (half["bytes"] == 2 * p).all()
    power = run_ddp("powersgd", steps=3)
    want = powersgd_bytes(power["shapes"])
    assert power["bytes"].tolist() == [[4 * p, 4 * p, want]] * 2
    for r in (dense, half, power):  # every worker ends with the same model
        np.testing.assert_array_equal(r["params"][0], r["params"][1])
    with pytest.raises(ValueError, match="hook must be one of 'allreduce', 'fp16', 'powersgd'"):
        run_ddp("topk")
