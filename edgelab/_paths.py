"""Where edgelab finds its data files, installed or from a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of ``name`` inside the data folder (``data/`` of the repo, shipped as ``edgelab.data``)."""
    try:
        p = Path(str(resources.files("edgelab.data").joinpath(name)))
        if p.exists():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[1] / "data" / name


def repo_root() -> Path | None:
    """The source checkout's root, when edgelab runs from one (else ``None``)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").exists() else None
