"""A non-editable install (Binder's ``pip install .``) ships every room of the house."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "edgelab").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert found | {"edgelab.data"} == listed, "update [tool.setuptools] packages in pyproject.toml"
