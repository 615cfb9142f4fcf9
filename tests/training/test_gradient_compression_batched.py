"""Batched compression equals per-row compression; decompress∘compress properties; memories
really applied (seed 003 §IV-C.3; grace#10 and grace#16)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.training.compression import (
    COMPRESSORS,
    DGC,
    FP16,
    QSGD,
    Communicator,
    DGCMemory,
    EFSignSGD,
    Int8,
    NoMemory,
    RandomK,
    ResidualMemory,
    SignSGD,
    Threshold,
    TopK,
    make_communicator,
)

PARAMS = {"topk": {"density": 0.1}, "randomk": {"density": 0.1}, "threshold": {"tau": 0.8},
          "qsgd": {"s": 3, "seed": 5}, "dgc": {"density": 0.05, "warmup_epochs": 1}}


def _grads(rows: int, n: int, seed: int) -> torch.Tensor:
    return torch.randn(rows, n, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 6), n=st.integers(1, 200), seed=st.integers(0, 10_000),
       step=st.integers(0, 3))
def test_batched_equals_per_row(name, rows, n, seed, step):
    comp = COMPRESSORS[name](**PARAMS.get(name, {}))
    g = _grads(rows, n, seed)
    ids = torch.arange(10, 10 + rows)
    batch = comp.compress(g, step=step, rows=ids)
    dense = comp.decompress(batch)
    for i in range(rows):
        one = comp.compress(g[i], step=step, rows=ids[i:i + 1])
        assert torch.equal(comp.decompress(one)[0], dense[i])
        assert one.nbytes.tolist() == [batch.nbytes[i]]


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_batched_communicator_equals_per_client_communicators(name):
    """Memory state too: one communicator over 4 clients = 4 communicators over one each."""
    g = [_grads(4, 50, s) for s in range(4)]
    batched = make_communicator(name, **PARAMS.get(name, {}))
    single = [make_communicator(name, **PARAMS.get(name, {})) for _ in range(4)]
    for step, gs in enumerate(g):
        ex = batched.exchange(gs, rows=np.arange(4), step=step)
        for i in range(4):
            one = single[i].exchange(gs[i], rows=[i], step=step)
            assert torch.allclose(one.decompressed[0], ex.decompressed[i], atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 5), n=st.integers(1, 100), k=st.integers(1, 100),
       seed=st.integers(0, 10_000))
def test_topk_keeps_the_k_largest(rows, n, k, seed):
    k = min(k, n)
    g = _grads(rows, n, seed)
    d = TopK(k=k).decompress(TopK(k=k).compress(g))
    kept = d != 0
    assert (kept.sum(dim=1) <= k).all()  # an exact 0.0 in g may be kept as 0
    assert torch.equal(d[kept], g[kept])
    for i in range(rows):
        dropped = g[i][~kept[i]].abs()
        if dropped.numel() and kept[i].any():
            assert dropped.max() <= g[i][kept[i]].abs().min()


def test_randomk_shares_coordinates_across_clients_and_steps_differ():
    rk = RandomK(k=5, seed=3)
    g = _grads(3, 40, 0)
    d = rk.decompress(rk.compress(g, step=1))
    support = d != 0
    assert (support == support[0]).all() and int(support[0].sum()) == 5
    assert torch.equal(d[support], g[support])
    assert not torch.equal(rk.indices(40, 1), rk.indices(40, 2))
    assert torch.allclose(RandomK(k=5, seed=3, unbiased=True).decompress(
        RandomK(k=5, seed=3, unbiased=True).compress(g, step=1)), d * 8)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 5), n=st.integers(1, 60), tau=st.floats(1e-3, 1e3),
       seed=st.integers(0, 10_000), zero=st.booleans())
def test_threshold_message_is_never_empty(rows, n, tau, seed, zero):
    g = torch.zeros(rows, n) if zero else _grads(rows, n, seed)
    th = Threshold(tau=tau)
    msg = th.compress(g)
    counts = msg.tensors["counts"]
    assert (counts >= 1).all() and int(counts.sum()) == msg.tensors["values"].numel()
    assert msg.meta["clamped"] == int((g.abs() < tau).all(dim=1).sum())
    d = th.decompress(msg)
    big = g.abs() >= tau
    assert torch.equal(d[big], g[big])


def test_threshold_clamp_sends_the_largest():
    msg = Threshold(tau=100.0).compress(torch.tensor([[0.1, -0.5, 0.2], [3.0, 1.0, -2.0]]))
    assert msg.tensors["counts"].tolist() == [1, 1]
    assert msg.tensors["indices"].tolist() == [1, 0] and msg.meta["clamped"] == 2
    assert msg.nbytes.tolist() == [12, 12]


def test_qsgd_is_unbiased_and_bounded():
    g = torch.tensor([[0.3, -1.2, 0.05, 2.0, -0.6]])
    q = QSGD(s=2, seed=1)
    outs = torch.stack([q.decompress(q.compress(g, step=t))[0] for t in range(4000)])
    norm = float(g.norm())
    assert torch.allclose(outs.mean(0), g[0], atol=0.05)
    assert float(outs.abs().max()) <= norm + 1e-5
    levels = {round(float(v), 4) for v in (outs.abs() / norm * 2).flatten()}
    assert levels <= {0.0, 1.0, 2.0}
    assert (torch.sign(outs[outs != 0]) == torch.sign(g[0].expand_as(outs)[outs != 0])).all()


def test_qsgd_many_levels_is_close():
    g = _grads(3, 100, 0)
    q = QSGD(s=2**15)
    assert float((q.decompress(q.compress(g)) - g).abs().max()) <= float(g.norm(dim=1).max()) / 2**15


def test_sign_and_majority_vote():
    g = torch.tensor([[1.0, -2.0, 0.0, 3.0], [2.0, 1.0, -1.0, -1.0], [-1.0, -1.0, -1.0, 2.0]])
    s = SignSGD()
    d = s.decompress(s.compress(g))
    assert d.tolist() == [[1, -1, 1, 1], [1, 1, -1, -1], [-1, -1, -1, 1]]
    assert s.aggregate(d).tolist() == [1.0, -1.0, -1.0, 1.0]
    assert s.aggregate(d[:2]).tolist() == [1.0, 0.0, 0.0, 0.0]  # ties -> 0


def test_ef_sign_scale():
    g = _grads(2, 33, 4)
    d = EFSignSGD().decompress(EFSignSGD().compress(g))
    scale = g.abs().mean(dim=1, keepdim=True)
    assert torch.allclose(d, scale * torch.where(g >= 0, 1.0, -1.0))
    assert torch.allclose(d.abs().sum(dim=1), g.abs().sum(dim=1), rtol=1e-5)  # L1 preserved


def test_int8_and_fp16_errors():
    g = _grads(4, 500, 2)
    msg = Int8().compress(g)
    err = (Int8().decompress(msg) - g).abs().max(dim=1).values
    assert (err <= msg.tensors["step"] / 2 + 1e-6).all()
    assert torch.equal(Int8().decompress(Int8().compress(torch.full((1, 3), 2.5))),
                       torch.full((1, 3), 2.5))
    assert torch.equal(FP16().decompress(FP16().compress(g)), g.half().float())


def test_residual_is_really_applied():
    """grace#10: with error feedback the residual changes the next message; the sum of what
    was sent plus the residual equals the sum of the gradients."""
    g = torch.tensor([[3.0, 2.0, 1.0]])
    ef = Communicator(TopK(k=1), ResidualMemory())
    plain = Communicator(TopK(k=1), NoMemory())
    first = ef.exchange(g).decompressed
    assert first.tolist() == [[3.0, 0.0, 0.0]] == plain.exchange(g).decompressed.tolist()
    assert ef.memory.residual(torch.tensor([0]), 3).tolist() == [[0.0, 2.0, 1.0]]
    second, second_plain = ef.exchange(g).decompressed, plain.exchange(g).decompressed
    assert second.tolist() == [[0.0, 4.0, 0.0]]
    assert second_plain.tolist() == [[3.0, 0.0, 0.0]]


@pytest.mark.parametrize("name", ["topk", "randomk", "threshold", "qsgd", "efsignsgd", "int8",
                                  "fp16"])
def test_error_feedback_conserves_the_gradient(name):
    comm = make_communicator(name, memory="residual", **PARAMS.get(name, {}))
    total, sent = torch.zeros(3, 64), torch.zeros(3, 64)
    ids = torch.tensor([7, 1, 4])
    for step in range(5):
        g = _grads(3, 64, step)
        total += g
        sent += comm.exchange(g, rows=ids, step=step).decompressed
    assert torch.allclose(sent + comm.memory.residual(ids, 64), total, atol=1e-4)


def test_residual_memory_is_per_client():
    comm = make_communicator("topk", memory="residual", k=1)
    comm.exchange(torch.tensor([[3.0, 2.0], [1.0, 5.0]]), rows=[5, 2])
    assert comm.memory.residual(torch.tensor([2, 5]), 2).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    out = comm.exchange(torch.tensor([[0.0, 0.0]]), rows=[5])
    assert out.decompressed.tolist() == [[0.0, 2.0]]
    assert comm.memory.residual(torch.tensor([2]), 2).tolist() == [[1.0, 0.0]]


def test_dgc_memory_momentum_correction_and_masking_by_hand():
    g = torch.tensor([[1.0, 0.1]])
    dgc = DGC(density=0.5, warmup_epochs=0)
    masked = Communicator(dgc, DGCMemory(momentum=0.5))
    assert masked.exchange(g).decompressed.tolist() == [[1.0, 0.0]]
    st_ = masked.memory.store.tensors
    assert torch.allclose(st_["v"][0], torch.tensor([0.0, 0.1]))
    assert torch.allclose(st_["u"][0], torch.tensor([0.0, 0.1]))
    # u = 0.5*[0, .1] + [1, .1] = [1, .15];  v = [0, .1] + u = [1, .25]
    assert torch.allclose(masked.exchange(g).decompressed, torch.tensor([[1.0, 0.0]]))
    assert torch.allclose(st_["v"][0], torch.tensor([0.0, 0.25]))
    assert torch.allclose(st_["u"][0], torch.tensor([0.0, 0.15]))
    unmasked = Communicator(dgc, DGCMemory(momentum=0.5, masking=False))
    unmasked.exchange(g)
    # u = 0.5*[1, .1] + [1, .1] = [1.5, .15];  v = [0, .1] + u = [1.5, .25]
    assert torch.allclose(unmasked.exchange(g).decompressed, torch.tensor([[1.5, 0.0]]))


def test_dgc_local_clipping():
    mem = DGCMemory(momentum=0.0, clip_norm=1.0)
    out = mem.compensate(torch.tensor([[3.0, 4.0], [0.3, 0.4]]), torch.tensor([0, 1]))
    assert torch.allclose(out, torch.tensor([[0.6, 0.8], [0.3, 0.4]]))
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        DGCMemory(momentum=1.0)


def test_exchange_aggregates_with_weights_and_times_itself():
    g = _grads(3, 20, 9)
    ex = make_communicator("topk", density=1.0).exchange(g, weights=[1.0, 2.0, 1.0])
    assert torch.allclose(ex.update, (g[0] + 2 * g[1] + g[2]) / 4, atol=1e-6)
    assert ex.compress_s >= 0 and ex.decompress_s >= 0 and ex.memory_s >= 0
    assert ex.bytes_up.tolist() == [160, 160, 160]
