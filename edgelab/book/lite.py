"""The JupyterLite bundle: the torch-free chapters, live in the browser (issue 18 item 3).

Placeholder replaced below.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from edgelab.errors import EdgelabError
from edgelab.pipeline.chapters import META_FILE
from edgelab.pipeline.run import find_notebooks_dir


def lite_chapters(notebooks_dir: str | Path | None = None) -> list[str]:
    """Stems of the chapters marked ``lite = true`` in ``notebooks/chapters.toml``, sorted."""
    path = find_notebooks_dir(notebooks_dir) / META_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError) as e:
        raise EdgelabError(f"{path}: cannot read the chapters' frame ({e})") from None
    return sorted(s for s, m in doc.get("chapters", {}).items() if m.get("lite") is True)
