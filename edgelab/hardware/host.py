"""The fitted host device and its file: where it lives, how it is saved, loaded and checked.

Seed 003 §III-B compares where a DNN runs by its latency; ``edgelab calibrate``
(:mod:`edgelab.hardware.calibrate`) fits the cost model to this machine's CPU and stores the
result as a :class:`~edgelab.hardware.specs.Device` in one JSON file. This module owns that file
only: the catalog (:mod:`edgelab.hardware.catalog`) resolves the device name ``host`` through
:func:`load_host_device`, without importing the calibration (or torch).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from edgelab._io import atomic_write_text
from edgelab.hardware.specs import Device

__all__ = [
    "host_device_path", "device_to_json", "device_from_json", "check_host_device_writable",
    "save_host_device", "load_host_device", "host_device_available",
]


def host_device_path() -> Path:
    """Where the calibrated host device lives (seed 003 §III-B): ``$EDGELAB_CACHE/host_device.json``
    or ``~/.cache/edgelab/host_device.json``."""
    root = os.environ.get("EDGELAB_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "edgelab"
    return base / "host_device.json"


def device_to_json(dev: Device) -> dict[str, Any]:
    """A :class:`Device` as a JSON-safe dict (seed 003 §III-A): tuples as lists, ``inf`` as
    ``"inf"``, NaN as ``None``; :func:`device_from_json` inverts it."""
    out: dict[str, Any] = {}
    for f in fields(dev):
        v = getattr(dev, f.name)
        if isinstance(v, tuple):
            v = list(v)
        if isinstance(v, float) and math.isinf(v):
            v = "inf"
        if isinstance(v, float) and math.isnan(v):
            v = None
        out[f.name] = v
    return out


def device_from_json(d: dict[str, Any]) -> Device:
    """The :class:`Device` of a dict written by :func:`device_to_json` (seed 003 §III-A); unknown
    keys are ignored, and the device validates itself (``ValueError`` on a bad value)."""
    names = {f.name for f in fields(Device)}
    kw = {k: v for k, v in d.items() if k in names}
    if kw.get("roofline_p") == "inf":
        kw["roofline_p"] = math.inf
    if kw.get("peak_int8_gops") is None:
        kw["peak_int8_gops"] = math.nan
    if "gemm_halfsat" in kw:
        kw["gemm_halfsat"] = {k: tuple(float(x) for x in v) for k, v in kw["gemm_halfsat"].items()}
    return Device(**kw)


def check_host_device_writable(path: Path | None = None) -> Path:
    """Check, before any measurement, that the host device file can be written (seed 003 §III-B).

    Creates the folder if needed and writes and removes a probe file there. Raises ``OSError``
    naming the path (and ``EDGELAB_CACHE``/``--no-save`` as the ways out) when it cannot.
    Returns the path the host device will be written to.
    """
    path = Path(path) if path is not None else host_device_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OSError(e.errno, f"cannot write the host device file ({e.strerror or e}); set "
                               "EDGELAB_CACHE to a writable folder or pass --no-save",
                      str(path)) from e
    return path


def save_host_device(dev: Device, extra: dict[str, Any] | None = None,
                     path: Path | None = None) -> Path:
    """Write the host device as JSON atomically (temp file in the same folder, fsync, rename).

    ``extra`` (the calibration's summary, settings and peaks; numpy values allowed) is stored
    beside the device under ``calibration`` (seed 003 §III-B).
    """
    path = Path(path) if path is not None else host_device_path()
    payload = {"device": device_to_json(dev), "calibration": extra or {},
               "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False, default=_json_default)
    return atomic_write_text(path, text + "\n")


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def load_host_device(path: Path | None = None) -> Device | None:
    """The calibrated host device, or ``None`` when no (valid) calibration file exists
    (seed 003 §III-B)."""
    path = Path(path) if path is not None else host_device_path()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return device_from_json(payload["device"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def host_device_available(path: Path | None = None) -> bool:
    """Whether a valid calibrated host device can be loaded (``edgelab calibrate`` writes it;
    seed 003 §III-B)."""
    return load_host_device(path) is not None
