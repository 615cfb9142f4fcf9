"""Partitioners: histograms, seeds, coverage and bad input (seed 003 §IV-C.1)."""

import numpy as np
import pytest

from edgelab.training.federated import (
    ClientSplit,
    dirichlet,
    iid,
    quantity_skew,
    shards,
    split_clients,
)
from edgelab.training.federated.strategies import SSGD, FedAvg, check_fraction

Y = np.repeat(np.arange(10), 30)  # 300 labels, 10 classes


def _covers(p, n):
    allidx = np.concatenate(p.indices)
    return len(allidx) == n and len(np.unique(allidx)) == n


@pytest.mark.parametrize("scheme,kw", [("iid", {}), ("dirichlet", {"alpha": 0.5}),
                                        ("shards", {"shards_per_client": 2}), ("quantity", {"beta": 0.5})])
def test_partition_covers_all_samples_once_and_is_seeded(scheme, kw):
    a = split_clients(Y, 12, scheme, seed=3, **kw)
    b = split_clients(Y, 12, scheme, seed=3, **kw)
    c = split_clients(Y, 12, scheme, seed=4, **kw)
    assert a.n_clients == 12 and _covers(a, len(Y))
    assert all(len(i) > 0 for i in a.indices)
    assert all(np.array_equal(x, y) for x, y in zip(a.indices, b.indices, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a.indices, c.indices, strict=True))


def test_histogram_counts_labels_per_client():
    p = shards(Y, 10, shards_per_client=1, seed=0)
    h = p.histogram()
    assert h.shape == (10, 10)
    assert (h.sum(axis=1).to_numpy() == p.sizes).all()
    assert ((h > 0).sum(axis=1) == 1).all()  # one shard of 30 = one class
    assert (h.sum(axis=0).to_numpy() == 30).all()


def test_iid_balanced_and_dirichlet_skewed():
    assert np.ptp(iid(Y, 7).sizes) <= 1
    skewed = dirichlet(Y, 10, alpha=0.05, seed=0).summary()["mean_classes_per_client"]
    flat = dirichlet(Y, 10, alpha=100.0, seed=0).summary()["mean_classes_per_client"]
    assert skewed < flat


def test_quantity_skew_unbalanced_labels_mixed():
    p = quantity_skew(Y, 10, beta=0.3, seed=1)
    assert p.sizes.min() >= 1 and p.sizes.max() > 3 * p.sizes.min()


@pytest.mark.parametrize("alpha", [0, -1, float("nan")])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match="alpha"):
        dirichlet(Y, 5, alpha=alpha)


@pytest.mark.parametrize("fn,kw", [(iid, {}), (dirichlet, {"alpha": 1.0}), (shards, {}),
                                    (quantity_skew, {})])
def test_more_clients_than_samples(fn, kw):
    with pytest.raises(ValueError, match="n_clients"):
        fn(Y[:5], 6, **kw)


def test_dirichlet_that_cannot_fill_every_client_names_alpha():
    with pytest.raises(ValueError, match="alpha"):
        dirichlet(Y, 300, alpha=0.01, seed=0)


def test_empty_client_is_an_error_or_skipped():
    idx = [np.arange(10), np.array([], dtype=int), np.arange(10, 20)]
    with pytest.raises(ValueError, match="client 1 is empty"):
        ClientSplit.from_indices(idx, Y)
    p = ClientSplit.from_indices(idx, Y, drop_empty=True)
    assert p.n_clients == 2 and p.dropped == (1,)


def test_overlapping_clients_rejected():
    with pytest.raises(ValueError, match="more than one client"):
        ClientSplit.from_indices([np.arange(5), np.arange(3, 8)], Y)


@pytest.mark.parametrize("frac", [0, -0.1, 1.5, float("inf")])
def test_fraction_outside_0_1(frac):
    with pytest.raises(ValueError, match="fraction"):
        FedAvg(fraction=frac)
    with pytest.raises(ValueError, match="upload_fraction"):
        SSGD(upload_fraction=frac)
    with pytest.raises(ValueError, match="deadline|fraction"):
        check_fraction("fraction", frac)


def test_fraction_one_samples_everyone_and_sampling_is_seeded():
    assert list(FedAvg(fraction=1.0).sample(5, 0, 1)) == [0, 1, 2, 3, 4]
    s = FedAvg(fraction=0.3)
    assert np.array_equal(s.sample(20, 0, 4), s.sample(20, 0, 4))
    assert len(s.sample(20, 0, 4)) == 6


def test_unknown_scheme():
    with pytest.raises(ValueError, match="scheme"):
        split_clients(Y, 3, "weird")
