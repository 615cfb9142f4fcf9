"""Output formats shared by every CLI command: ``table`` (for people), ``csv`` and ``json``.

JSON and CSV go to stdout with nothing else on it, so they can be piped into other tools.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO

import numpy as np
import pandas as pd

FORMATS = ("table", "csv", "json")


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def to_json(obj: pd.DataFrame | dict[str, Any] | list[Any]) -> str:
    """JSON text of a DataFrame (list of row objects), a dict or a list; NaN becomes null."""
    if isinstance(obj, pd.DataFrame):
        obj = obj.to_dict(orient="records")
    return json.dumps(_clean(obj), indent=2, allow_nan=False)


def emit(obj: pd.DataFrame | dict[str, Any], fmt: str, out: TextIO | None = None,
         float_format: str = "{:.6g}", na_rep: str = "NaN") -> None:
    """Write ``obj`` to ``out`` (stdout) as ``table``, ``csv`` or ``json``.

    A dict is shown as a two-column key/value table in ``table`` and ``csv`` formats; nested
    values (lists, dicts) stay in JSON. ``na_rep`` is how the ``table`` format shows a missing
    value (JSON always writes null; CSV an empty cell).
    """
    out = out or sys.stdout
    if fmt == "json":
        out.write(to_json(obj) + "\n")
        return
    if isinstance(obj, dict):
        flat = {k: v for k, v in obj.items() if not isinstance(v, list | dict)}
        df = pd.DataFrame({"key": list(flat), "value": list(flat.values())})
    else:
        df = obj
    if fmt == "csv":
        df.to_csv(out, index=False)
    elif fmt == "table":
        with pd.option_context("display.max_rows", 10_000, "display.max_columns", 100,
                               "display.width", 250, "display.max_colwidth", 60):
            out.write(df.to_string(index=False, na_rep=na_rep,
                                   float_format=lambda x: float_format.format(x)) + "\n")
    else:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")
