"""The row-wise top-k selection keeps exactly the k largest magnitudes of every row, as
``torch.topk`` does (seed 003 §IV-C.3)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab.training.compression.compressors import topk_indices


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 8), n=st.integers(1, 300), frac=st.floats(0.0, 1.0),
       seed=st.integers(0, 10_000))
def test_topk_indices_keeps_the_k_largest_magnitudes(rows, n, frac, seed):
    k = max(1, round(frac * n))
    g = torch.randn(rows, n, generator=torch.Generator().manual_seed(seed))
    idx = topk_indices(g, k)
    assert idx.shape == (rows, k) and idx.dtype == torch.int64
    for r in range(rows):
        assert len(set(idx[r].tolist())) == k  # distinct coordinates
    got = g.abs().gather(1, idx).sort(dim=1).values
    want = g.abs().topk(k, dim=1).values.sort(dim=1).values
    assert torch.equal(got, want)


def test_topk_indices_on_ties_keeps_k_of_them():
    g = torch.tensor([[1.0, -1.0, 1.0, 0.5, -1.0]])
    idx = topk_indices(g, 2)
    assert g.abs()[0, idx[0]].tolist() == [1.0, 1.0]
