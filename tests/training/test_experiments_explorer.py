"""The gradient-compression explorer, headless (seed 003 §IV-C.3)."""

from __future__ import annotations

import math

import pytest

from edgelab.explorers.gradient_compression import GradientCompressionExplorer, explore_once
from edgelab.training.compression.studies import Setting

TINY = Setting(n_clients=2, rounds=5)


def test_explorer_computes_headless_and_draws():
    ex = GradientCompressionExplorer(TINY, "topk", 0.01, True, draw=False)
    r = ex.result
    assert r["memory"] == "residual" and r["bytes_per_client_round"] == 8 * math.ceil(0.01 * 4810)
    assert "indices" in ex.describe() and "accuracy" in ex.describe()
    ex.set(compressor="qsgd", density=0.5, error_feedback=False)
    assert ex.result["params"] == {"s": 2} and ex.result["memory"] == "none"
    ex.set(compressor="dgc")
    assert ex.result["memory"] == "none"
    ex.set(error_feedback=True)
    assert ex.result["memory"] == "dgc"
    ex.set(compressor="signsgd")  # majority vote: no memory it could use
    assert ex.result["memory"] == "none" and ex.n_updates == 5
    png = ex.static_png()
    assert png[:4] == b"\x89PNG"


def test_explore_once_refuses_an_unknown_compressor():
    with pytest.raises(ValueError, match="compressor must be one of topk, randomk"):
        explore_once(TINY, "zip", 0.1, False)
