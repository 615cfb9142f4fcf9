"""Gradient compression API: exact bytes by hand, bad input, DGC's warm-up schedule (seed 003 §IV-C.3)."""

from __future__ import annotations

import math

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
    EFSignSGD,
    Int8,
    RandomK,
    ResidualMemory,
    SignSGD,
    Threshold,
    TopK,
    dgc_density,
    index_dtype,
    make_communicator,
    wire_bytes,
)
from edgelab.training.compression.message import pack_bits, unpack_bits

G10 = torch.tensor([0.5, -3.0, 0.01, 2.0, -0.2, 0.0, 1.5, -0.7, 0.05, 4.0])


def _default(name: str):
    return make_communicator(name, **({"k": 3} if name in ("topk", "randomk") else {})).compressor


def test_topk_bytes_by_hand():
    msg = TopK(k=3).compress(G10)
    # 3 float32 values + 3 int32 indices
    assert msg.parts["values"].tolist() == [12] and msg.parts["indices"].tolist() == [12]
    assert msg.total_bytes == 24 and msg.dense_bytes == 40
    assert sorted(msg.tensors["indices"][0].tolist()) == [1, 3, 9]
    assert msg.meta["index_dtype"] == "int32"
    small = TopK(k=3, index_dtype="smallest").compress(G10)
    assert small.tensors["indices"].dtype == torch.uint8 and small.total_bytes == 12 + 3


def test_point_one_percent_topk_is_500x_not_1000x():
    n = 1_000_000
    g = torch.randn(n, generator=torch.Generator().manual_seed(0))
    msg = TopK(density=0.001).compress(g)
    assert msg.meta["k"] == 1000
    assert msg.total_bytes == 1000 * 4 + 1000 * 4 == wire_bytes(msg)
    assert msg.ratio == pytest.approx(500.0)
    # the smallest index type for 10^6 coordinates is still int32: no saving
    assert index_dtype(n, "smallest") == torch.int32
    # random-k with a shared seed sends no indices: the full 1000x
    assert RandomK(density=0.001).compress(g).ratio == pytest.approx(1000.0)


@pytest.mark.parametrize(("n", "dtype"), [(1, torch.uint8), (256, torch.uint8), (257, torch.int16),
                                          (32768, torch.int16), (32769, torch.int32),
                                          (2**31, torch.int32), (2**31 + 1, torch.int64)])
def test_smallest_index_dtype_ladder(n, dtype):
    assert index_dtype(n, "smallest") == dtype


def test_int32_index_refuses_huge_tensor():
    with pytest.raises(ValueError, match="int32"):
        index_dtype(2**31 + 1, "int32")


def test_other_byte_counts_by_hand():
    # threshold: header 4 + 4 kept coordinates x (4 + 4)
    th = Threshold(tau=1.5).compress(G10)
    assert th.parts["header"].tolist() == [4] and th.total_bytes == 4 + 4 * 8
    assert sorted(th.tensors["indices"].tolist()) == [1, 3, 6, 9]
    # random-k: values only
    assert RandomK(k=3).compress(G10).total_bytes == 12
    # QSGD s=4: 1 sign + 3 level bits = 4 bits x 10 = 5 bytes, + 4-byte norm
    q = QSGD(s=4).compress(G10)
    assert QSGD(s=4).bits == 4 and q.total_bytes == 9
    assert [QSGD(s=s).bits for s in (1, 2, 3, 7, 8, 255)] == [2, 3, 3, 4, 5, 9]
    # signSGD: 10 bits -> 2 bytes; EF-signSGD adds a 4-byte scale
    assert SignSGD().compress(G10).total_bytes == 2
    assert EFSignSGD().compress(G10).total_bytes == 6
    # int8: 10 codes + float32 offset and step; fp16: 2 bytes a value
    assert Int8().compress(G10).total_bytes == 18
    assert FP16().compress(G10).total_bytes == 20
    # DGC at epoch 0 keeps a quarter: ceil(2.5) = 3 values + 3 int32 indices
    assert DGC().compress(G10, step=0).total_bytes == 24


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_counted_bytes_equal_payload_storage(name):
    g = torch.randn(7, 301, generator=torch.Generator().manual_seed(1))
    msg = _default(name).compress(g, step=2)
    assert msg.total_bytes == wire_bytes(msg) > 0
    assert msg.nbytes.shape == (7,) and msg.nbytes.dtype == np.int64
    assert msg.compressor == name and msg.shape == (7, 301)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 70), st.integers(0, 2**31 - 1))
def test_pack_unpack_roundtrip(rows, m, seed):
    bits = torch.rand(rows, m, generator=torch.Generator().manual_seed(seed)) > 0.5
    packed = pack_bits(bits)
    assert packed.dtype == torch.uint8 and packed.shape == (rows, math.ceil(m / 8))
    assert torch.equal(unpack_bits(packed, m), bits)


def test_pack_bits_msb_first():
    assert pack_bits(torch.tensor([[True, False, False, False, False, False, False, True, True]])
                     ).tolist() == [[129, 128]]


def test_dgc_warmup_schedule_values():
    assert [dgc_density(e) for e in range(7)] == [0.25, 0.0625, 0.015625, 0.00390625,
                                                   0.001, 0.001, 0.001]
    assert dgc_density(0, final=0.1) == 0.25 and dgc_density(1, final=0.1) == 0.1
    assert dgc_density(0, warmup_epochs=0) == 0.001
    d = DGC(steps_per_epoch=10)
    assert [d.density_at(s) for s in (0, 9, 10, 25, 39, 40)] == [0.25, 0.25, 0.0625, 0.015625,
                                                                  0.00390625, 0.001]
    g = torch.randn(3, 10_000, generator=torch.Generator().manual_seed(0))
    assert [d.compress(g, step=s).meta["k"] for s in (0, 10, 20, 30, 40)] == [2500, 625, 157, 40, 10]


@pytest.mark.parametrize(("make", "match"), [
    (lambda: TopK(k=0), r"k must be an integer in \[1"),
    (lambda: TopK(k=-3), r"k must be an integer in \[1"),
    (lambda: TopK(k=11).compress(G10), r"k must be in \[1, 10\] \(the tensor size\), got 11"),
    (lambda: RandomK(k=11).compress(G10), r"k must be in \[1, 10\]"),
    (lambda: TopK(density=0.0), "density must be a finite number > 0"),
    (lambda: TopK(density=1.5), r"density must be a fraction in \(0, 1\]"),
    (lambda: RandomK(density=-0.1), "density must be"),
    (lambda: DGC(density=2.0), r"final must be a fraction in \(0, 1\]"),
    (lambda: TopK(), "give exactly one of k"),
    (lambda: TopK(k=3, density=0.1), "give exactly one of k"),
    (lambda: TopK(k=3, index_dtype="int16"), "index_dtype must be one of int32, smallest"),
    (lambda: QSGD(s=0), r"s \(quantization levels\) must be an integer in \[1, 32768\], got 0"),
    (lambda: QSGD(s=2.5), r"s \(quantization levels\)"),
    (lambda: Threshold(tau=0), "tau must be a finite number > 0"),
    (lambda: dgc_density(-1), r"epoch must be an integer"),
    (lambda: make_communicator("gzip"),
     "compressor must be one of 'topk', 'randomk', 'threshold', 'qsgd', 'signsgd', 'efsignsgd', "
     "'int8', 'fp16', 'dgc'; got 'gzip'"),
    (lambda: make_communicator("topk", memory="momentum", k=1), "memory must be one of"),
    (lambda: make_communicator("signsgd", memory="residual"),
     "memory 'residual' cannot be used with compressor 'signsgd': signSGD sends unscaled"),
    (lambda: make_communicator("dgc", memory="residual"),
     "memory 'residual' cannot be used with compressor 'dgc': DGC keeps its own memory"),
    (lambda: make_communicator("topk", memory="dgc", k=1),
     "memory 'dgc' cannot be used with compressor 'topk'"),
    (lambda: make_communicator("topk", kk=3), "compressor 'topk' takes k, density, index_dtype; "
                                              "got unknown kk"),
    (lambda: make_communicator("topk", k=1, memory="residual", memory_params={"b": 1}),
     "memory 'residual' takes beta, gamma; got unknown b"),
    (lambda: TopK(k=1).compress(torch.zeros(2, 2, 2)), r"gradient must be 1-D \(n,\) or 2-D"),
    (lambda: TopK(k=1).compress(torch.tensor([1.0, float("nan")])), "gradient must be finite"),
    (lambda: TopK(k=1).compress(torch.zeros(0)), "gradient must hold at least one value"),
    (lambda: FP16().compress(torch.tensor([1e6])), "fp16 holds"),
    (lambda: make_communicator("topk", k=1).exchange(torch.ones(2, 3), rows=[4, 4]),
     "rows must be distinct client ids"),
    (lambda: make_communicator("topk", k=1).exchange(torch.ones(2, 3), rows=[1]),
     r"rows must name one client per gradient row \(2\), got 1"),
    (lambda: make_communicator("topk", k=1).exchange(torch.ones(2, 3), weights=[1.0]),
     r"weights must have one entry per row \(2\)"),
])
def test_bad_input_one_line_value_error(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_every_compressor_accepts_its_default_memory_and_refuses_others_with_a_reason():
    for name, cls in COMPRESSORS.items():
        comp = _default(name)
        assert make_communicator(name, **({"k": 3} if name in ("topk", "randomk") else {})
                                 ).memory.name == cls.memories[0]
        if "residual" not in cls.memories:
            with pytest.raises(ValueError, match=f"compressor {name!r}: .+"):
                Communicator(comp, ResidualMemory())


def test_classes_satisfy_the_protocols():
    from edgelab.training.compression import MEMORIES, Compressor, Memory

    for name in COMPRESSORS:
        assert isinstance(_default(name), Compressor)
    for cls in MEMORIES.values():
        assert isinstance(cls(), Memory)
    assert set(MEMORIES) == {"none", "residual", "dgc"}


@pytest.mark.parametrize(("density", "n", "k"), [(0.1, 30, 3), (0.07, 100, 7), (0.001, 10**6, 1000),
                                                 (0.01, 4810, 49), (1e-9, 10, 1), (1.0, 7, 7)])
def test_k_from_density_is_the_ceiling_without_float_noise(density, n, k):
    assert TopK(density=density).compress(torch.ones(n)).meta["k"] == k


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 50), st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_pack_codes_is_the_bit_stream_of_the_codes(rows, n, b, seed):
    from edgelab.training.compression.message import pack_codes, unpack_codes

    code = torch.randint(0, 2**b, (rows, n), generator=torch.Generator().manual_seed(seed),
                         dtype=torch.int32)
    bits = torch.stack([((code >> sh) & 1).bool() for sh in range(b - 1, -1, -1)], dim=2)
    packed = pack_codes(code, b)
    assert torch.equal(packed, pack_bits(bits.view(rows, n * b)))  # fast path = bit stream
    assert packed.shape == (rows, math.ceil(n * b / 8))
    assert torch.equal(unpack_codes(packed, n, b), code)
