"""Shared test set-up: a headless matplotlib backend and a private calibration cache."""

import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

# A CI runner may start us with standard input closed; IPython and Jupyter read its encoding.
if sys.stdin is None or sys.__stdin__ is None:
    sys.stdin = sys.__stdin__ = open(os.devnull, encoding="utf-8")  # noqa: SIM115


import pytest
from hypothesis import settings

# CI (CI=true) runs every property test on the same derandomised examples, so a red run is a
# regression, never a new random draw; a local run explores fresh examples each time, which is
# how counterexamples are found (one found by a local run is kept as a regression test).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's calibrated host device."""
    monkeypatch.setenv("EDGELAB_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _seeded_global_rngs():
    """Every test starts from the same global torch, NumPy and ``random`` state, so a test that
    draws from them without its own generator is still the same test on every run (a CI run
    failed once on an unseeded ``torch.randn`` whose rounding crossed a 1e-6 tolerance)."""
    import random

    import numpy as np
    import torch

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def quick_reproduction(tmp_path_factory):
    """Every chapter run once in quick mode through ``edgelab reproduce`` (``--jobs 2``), shared
    by the tests that need the pipeline's output of all chapters (the verdicts, the book), so CI
    pays for the run once. Returns ``(OUT, ReproduceResult)``; tests must not modify OUT. (The
    kernels get their inline backend despite this file's ``MPLBACKEND=Agg``: the pipeline's
    ``kernel_env`` drops it, so the book's pages have their figures.)"""
    from edgelab.pipeline import reproduce

    out = tmp_path_factory.mktemp("quick-reproduction") / "out"
    result = reproduce(out, quick=True, jobs=2, progress=False, echo=lambda _: None)
    return out, result
