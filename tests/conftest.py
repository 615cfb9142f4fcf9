"""Shared test set-up: a headless matplotlib backend and a private calibration cache."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")


import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's calibrated host device."""
    monkeypatch.setenv("EDGELAB_CACHE", str(tmp_path_factory.mktemp("cache")))
