"""Bad input across the compression stack says what is allowed, in one line: compressors, the
communicator, the federated engine, the benchmark and the real-process runners
(seed 003 §IV-C.3, issue item 8)."""

from __future__ import annotations

import pytest
import torch

from edgelab.training.compression import COMPRESSORS, DGC, make_communicator
from edgelab.training.compression.distributed import run_gloo_configs
from edgelab.training.federated.core import ClientConfig
from edgelab.training.federated.engine import Federation, simulate
from edgelab.training.federated.strategies import FedAvg


@pytest.mark.parametrize(("make", "match"), [
    (lambda: DGC(density=2.0), r"^density must be a fraction in \(0, 1\]"),
    (lambda: DGC(density=0.0), r"^density must be a finite number > 0"),
    (lambda: DGC(start_density=1.5), r"^start_density must be a fraction in \(0, 1\]"),
    (lambda: DGC(warmup_epochs=-1), r"^warmup_epochs must be an integer"),
    (lambda: make_communicator("topk", "dgc", k=1),
     "memory 'dgc' cannot be used with compressor 'topk': memory 'dgc' is DGC's momentum "
     "correction.+use 'residual' for error feedback with 'topk'"),
    (lambda: make_communicator("qsgd", "dgc"), "use 'residual' for error feedback with 'qsgd'"),
    (lambda: make_communicator("signsgd", "residual"), "use 'efsignsgd'"),
    (lambda: make_communicator("randomk", density=0), "density must be a finite number > 0"),
    (lambda: make_communicator("qsgd", s=-1), r"s \(quantization levels\) must be an integer"),
    (lambda: make_communicator("zstd"), "compressor must be one of " +
     ", ".join(repr(c) for c in COMPRESSORS) + "; got 'zstd'"),
    (lambda: run_gloo_configs(torch.zeros(2, 1, 3), []), "configs must name at least one"),
    (lambda: run_gloo_configs(torch.zeros(2, 1, 3), [("topk", "residual", {"k": 0})]),
     r"k must be an integer in \[1"),
])
def test_one_line_value_errors(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_engine_k_above_the_model_size_names_it():
    fed = Federation.digits(5, "iid", seed=0)
    comm = make_communicator("topk", "residual", k=10**6)
    with pytest.raises(ValueError, match=r"k must be in \[1, 4810\] \(the tensor size\), got 1000000"):
        simulate(fed, FedAvg(), ClientConfig(), rounds=1, compression=comm)


def test_threshold_in_the_engine_never_sends_an_empty_row():
    """tau far above every update: each client still sends its largest coordinate (grace#16)."""
    fed = Federation.digits(5, "iid", seed=0)
    comm = make_communicator("threshold", "residual", tau=1e6)
    res = simulate(fed, FedAvg(), ClientConfig(), rounds=2, compression=comm)
    assert (res.history["bytes_up"] == res.history["clients"] * (4 + 8)).all()
