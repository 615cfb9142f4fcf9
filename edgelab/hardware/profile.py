"""Per-layer profile of a DNN: MACs, FLOPs, parameters and bytes, with its ``torch.fx`` graph.

Seed 003 §II-D counts a network's cost in weights and multiply-accumulates (MACs); §V-C.2
(model partition) needs, for every layer, the activation that would cross the network if the
model were split after it. This module builds that table for any traceable ``nn.Module``.

Counting rules (stated, so that nobody mixes MACs and FLOPs):

* ``macs``: multiply-accumulates of convolutions and matrix products, from
  ``torch.utils.flop_counter.FlopCounterMode`` (which reports 2 FLOPs per MAC), halved.
* ``flops``: everything, in floating-point operations: ``2 × macs`` plus explicit counts for
  what ``FlopCounterMode`` leaves at zero (bias add 1/elem, batch norm 2/elem at inference,
  activations 1/elem, pooling one op per window element, LRN ~(2·size+3)/elem,
  elementwise add/mul 1/elem, softmax 3/elem). Reshape, concatenation and dropout count 0.
* ``input_bytes``, ``output_bytes``: the tensors a layer reads and writes; ``output_bytes`` is
  what crosses the network on a split after the layer.
* The model's input is read as an fp32 tensor (:attr:`Profile.input_bytes`: what the first
  layer reads, the compute and memory traffic) but is *sent* at its real encoding
  (:attr:`Profile.raw_input_bytes`): a camera image is uint8, one byte per pixel and channel,
  4× smaller. Every zoo model's input is an image stored at :data:`RAW_BYTES_PER_ELEMENT` byte
  per element: the ImageNet models' 8-bit RGB, and the digits models' 8×8 images with 17 grey
  levels (0-16), which need 5 bits; the smallest word that holds them, one byte, is what a
  sensor or a file stores (packing 5-bit pixels would save 3/8 more, no common format does). ``alloc_bytes``: the part of the output
  in fresh memory (0 for an in-place ReLU or a view), which the host cost model charges for
  page faults when it is large (:func:`edgelab.hardware.cost.fault_term`).

A :class:`Profile` is plain data (a DataFrame and index lists): building, storing and costing
one needs no torch. Only tracing a model does (:func:`profile`, :func:`profile_model`, which
import :mod:`edgelab.hardware.trace` when called).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from edgelab._paths import data_path
from edgelab._validate import integer_in, show
from edgelab.errors import (
    InputShapeError,
    ParameterError,
    ParameterTypeError,
    ProfileError,
    unknown_name,
)

#: Bytes per element of a zoo model's raw input (uint8 pixels; see the module docstring).
RAW_BYTES_PER_ELEMENT = 1

if TYPE_CHECKING:  # torch is imported only where a model is traced (edgelab.hardware.trace)
    import torch
    import torch.fx
    from torch import nn

    from edgelab.hardware.trace import Trace

COLUMNS = [
    "layer", "op", "family", "module", "out_shape", "macs", "flops", "params",
    "weight_bytes", "input_bytes", "output_bytes", "alloc_bytes",
]
_INT_COLUMNS = ("macs", "flops", "params", "weight_bytes", "input_bytes", "output_bytes",
                "alloc_bytes")

@dataclass
class Profile:
    """A model's per-layer table (``table``), its ``torch.fx`` graph and the DAG edges.

    ``preds[i]`` lists the layer indices whose outputs layer ``i`` reads (``-1`` is the model
    input). Layers are in topological order, so "split after k layers" is well defined for DAGs
    too (seed 003 §V-C.2; DADS generalises this to arbitrary cuts).

    ``input_bytes`` is the input tensor the first layer reads (fp32); ``raw_input_bytes`` what
    offloading the raw input sends, at its real encoding (uint8 pixels for the zoo's images:
    :data:`RAW_BYTES_PER_ELEMENT`). ``None`` (a hand-made or custom profile that does not say)
    means the tensor itself is sent: ``raw_input_bytes = input_bytes``.
    """

    name: str
    table: pd.DataFrame
    graph: torch.fx.GraphModule | None
    input_bytes: int
    preds: list[list[int]] = field(default_factory=list)
    output_layer: int = -1
    raw_input_bytes: int | None = None

    def __post_init__(self) -> None:
        raw = self.input_bytes if self.raw_input_bytes is None else self.raw_input_bytes
        if isinstance(raw, bool) or not isinstance(raw, int | np.integer) or raw < 0:
            raise ParameterError(f"raw_input_bytes must be a whole number of bytes ≥ 0, got "
                                 f"{show(self.raw_input_bytes)}")
        self.raw_input_bytes = int(raw)

    @property
    def n_layers(self) -> int:
        """Number of layers (rows of the table) (seed 003 §V-C.2)."""
        return len(self.table)

    @property
    def is_chain(self) -> bool:
        """True when every layer reads only the layer before it (a chain, as Neurosurgeon assumes).

        Seed 003 §V-C.2.
        """
        return all(p == [i - 1] for i, p in enumerate(self.preds))

    def totals(self) -> dict[str, float]:
        """Whole-model totals: MACs, FLOPs, params, weight bytes (seed 003 §II-D)."""
        t = self.table
        return {"macs": int(t["macs"].sum()), "flops": int(t["flops"].sum()),
                "params": int(t["params"].sum()), "weight_bytes": int(t["weight_bytes"].sum())}

    def cut_bytes(self) -> np.ndarray:
        """Bytes that cross the network for each split ``k`` in ``0..n_layers``.

        Split ``k`` runs layers ``0..k-1`` on the first device and the rest on the second; the
        bytes sent are every activation (or the input) produced before the cut and read after it.
        The input crosses at its real encoding (:attr:`raw_input_bytes`: ``k = 0`` sends the
        uint8 image of a zoo model, not its fp32 tensor). ``k = n_layers`` sends nothing.

        Seed 003 §V-C.2.
        """
        n = self.n_layers
        out_b = self.table["output_bytes"].to_numpy(dtype=np.float64)
        last_use = np.full(n + 1, -1, dtype=np.int64)  # index p+1 for producer p (input = 0)
        for i, ps in enumerate(self.preds):
            for p in ps:
                last_use[p + 1] = max(last_use[p + 1], i)
        if self.output_layer >= 0:
            last_use[self.output_layer + 1] = n  # the result is needed "after" the model
        sizes = np.concatenate([[self.raw_input_bytes], out_b])
        diff = np.zeros(n + 2)
        # producer p (position p+1 in sizes) is live across cuts k in [p+1, last_use[p]]
        for q in range(n + 1):
            lo, hi = q, last_use[q]  # cut k crosses if producer index < k <= consumer index
            if hi >= lo:
                diff[lo] += sizes[q]
                diff[hi + 1] -= sizes[q]
        crossing = np.cumsum(diff)[: n + 1]
        crossing[n] = 0.0
        return crossing


def profile_from_table(name: str, table: pd.DataFrame, input_bytes: int,
                       preds: list[list[int]] | None = None, output_layer: int = -1,
                       raw_input_bytes: int | None = None) -> Profile:
    """A :class:`Profile` from a per-layer table (a stored profile or a hand-made one; no torch).

    ``table`` needs the :data:`COLUMNS` (``alloc_bytes`` and ``module`` may be missing); the
    integer columns are cast to int64. ``preds`` defaults to a chain (each layer reads the one
    before it, the first the input) and ``output_layer`` to the last layer's index when
    ``preds`` is not given; ``raw_input_bytes`` (what sending the raw input costs) to
    ``input_bytes`` (seed 003 §V-C.2).
    """
    missing = [c for c in COLUMNS if c not in table.columns and c not in ("alloc_bytes", "module")]
    if missing:
        raise ParameterError(f"table: missing columns {missing} (need {COLUMNS})")
    t = table.reset_index(drop=True).copy()
    for c in _INT_COLUMNS:
        if c in t.columns:
            t[c] = t[c].astype("int64")
    if preds is None:
        preds = [[i - 1] for i in range(len(t))]
        output_layer = len(t) - 1 if output_layer == -1 else output_layer
    return Profile(name=name, table=t, graph=None, input_bytes=int(input_bytes),
                   preds=[list(p) for p in preds], output_layer=int(output_layer),
                   raw_input_bytes=None if raw_input_bytes is None else int(raw_input_bytes))


def profile(model: nn.Module, example_input: torch.Tensor, name: str | None = None,
            raw_input_bytes: int | None = None) -> Profile:
    """Per-layer profile of ``model`` on ``example_input`` (seed 003 §II-D, §V-C.2).

    Works for DAG models (residual, inception): the table is in topological order and the
    ``torch.fx`` graph is kept on the result for the partition algorithms.
    ``raw_input_bytes`` is what sending the raw input costs (e.g. ``example_input.numel()``
    for a uint8 image); ``None``: the example tensor's own bytes.
    """
    from edgelab.hardware.trace import trace_module

    name = name or type(model).__name__
    return _from_trace(name, trace_module(model, example_input, name), raw_input_bytes)


def _from_trace(name: str, tr: Trace, raw_input_bytes: int | None = None) -> Profile:
    table = pd.DataFrame(tr.rows, columns=COLUMNS)
    for c in _INT_COLUMNS:
        table[c] = table[c].astype("int64")
    return Profile(name=name, table=table, graph=tr.graph, input_bytes=tr.input_bytes,
                   preds=tr.preds, output_layer=tr.output_layer, raw_input_bytes=raw_input_bytes)


@lru_cache(maxsize=32)
def _zoo_profile(name: str, batch: int, input_shape: tuple[int, ...] | None) -> Profile:
    from edgelab.hardware.trace import trace_zoo_model

    tr = trace_zoo_model(name, batch, input_shape)
    return _from_trace(name, tr, tr.input_numel * RAW_BYTES_PER_ELEMENT)


#: largest batch :func:`profile_model` accepts
MAX_BATCH = 1_000_000
#: largest input (batch × C × H × W elements) :func:`profile_model` accepts: beyond it the
#: per-layer byte and FLOP counts would overflow int64 on the large zoo models
MAX_INPUT_ELEMENTS = 2**36
#: largest single input dimension (C, H or W)
MAX_DIM = 2**20


def profile_model(name: str, batch: int = 1, input_shape: tuple[int, ...] | None = None) -> Profile:
    """Profile a zoo model by name (cached; runs on the ``meta`` device, so it costs no compute).

    ``input_shape`` is (C, H, W); the default is the paper's input size. Raises
    :class:`~edgelab.errors.ParameterError` naming ``batch`` or ``input_shape`` (the CLI's
    ``--batch``/``--input``) when they are out of range or the model cannot run on that input
    (e.g. VGG's classifier is sized for 224×224).

    Where torch cannot be imported (a browser's Pyodide), the profile at batch 1 and the paper's
    input comes from the shipped per-layer tables (:func:`shipped_profile`, ``data/profiles/``),
    which the tests check equal the live profiler's; other batches and inputs need torch.

    Seed 003 §II-D.
    """
    if not isinstance(name, str):
        raise ParameterTypeError(f"name must be a zoo model name (str), got "
                                 f"{type(name).__name__} {show(name)}")
    if not torch_available():
        return _shipped_model(name, batch, input_shape)
    from edgelab import models  # the zoo builds torch modules: imported when a model is profiled

    spec = models.spec(name)  # validates the name
    batch = integer_in("batch", batch, 1, MAX_BATCH)
    if input_shape is not None:
        want = len(spec.input_shape)
        if isinstance(input_shape, str | bytes) or not hasattr(input_shape, "__len__"):
            raise ParameterTypeError(
                f"input_shape (--input) must be {want} positive integers (C, H, W), got "
                f"{show(input_shape)}")
        if len(input_shape) != want:
            raise ParameterError(
                f"input_shape (--input) must be {want} positive integers (C, H, W), got "
                f"{show(input_shape)}")
        input_shape = tuple(integer_in("input_shape (--input)", v, 1, MAX_DIM)
                            for v in input_shape)
        if batch * math.prod(input_shape) > MAX_INPUT_ELEMENTS:
            raise ParameterError(
                f"input_shape (--input) × batch must be at most {MAX_INPUT_ELEMENTS:,} elements, "
                f"got {batch} × {'x'.join(map(str, input_shape))}")
        if input_shape == tuple(spec.input_shape):
            input_shape = None  # the default: one cache entry
    try:
        p = _zoo_profile(name, batch, input_shape)
    except ProfileError as e:
        if input_shape is None:
            raise
        default = "x".join(map(str, spec.input_shape))
        raise InputShapeError(
            f"input_shape (--input): model {name!r} cannot run on "
            f"{'x'.join(map(str, input_shape))}: use its input size {default} (its layers are sized "
            f"for it; VGG's classifier, e.g., needs exactly 224x224). Profiler said: "
            f"{str(e).split(': ', 1)[-1]}") from None
    return _copy(p)


def _copy(p: Profile) -> Profile:
    return Profile(p.name, p.table.copy(), p.graph, p.input_bytes, [list(x) for x in p.preds],
                   p.output_layer, p.raw_input_bytes)


# --------------------------------------------------------------- shipped profiles (no torch)
# Per-layer tables of every zoo model at batch 1 and the paper's input, stored in
# data/profiles/ (one CSV per model plus index.json with the input bytes, the DAG edges and the
# zoo's names), so that the cost model runs where torch does not (JupyterLite's Pyodide).
# Written by ``python -m edgelab.hardware.profile --write-shipped``; the tests regenerate them in
# memory and compare them with the files, cell by cell.

#: folder of the shipped profiles, relative to the data folder
SHIPPED_DIR = "profiles"
#: the shipped profiles' index (names, input shapes, bytes, DAG edges)
SHIPPED_INDEX = "index.json"
_TEXT_COLUMNS = [c for c in COLUMNS if c not in _INT_COLUMNS]


def torch_available() -> bool:
    """Whether torch can be imported here (False in a browser's Pyodide) (seed 003 §II-D)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=1)
def shipped_index() -> dict[str, Any]:
    """The shipped profiles' index: ``{"survey_models": [...], "models": {name: {...}}}``.

    Each model's entry has its ``input_shape`` (C, H, W), ``family``, ``input_bytes``,
    ``raw_input_bytes``, ``output_layer`` and ``preds`` (the DAG edges) (seed 003 §II-D).
    """
    path = data_path(f"{SHIPPED_DIR}/{SHIPPED_INDEX}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"shipped profiles: {path} is missing; regenerate them with "
                           f"`python -m edgelab.hardware.profile --write-shipped`") from None


def zoo_names() -> list[str]:
    """The zoo's model names: from :mod:`edgelab.models` with torch, else the shipped index.

    Seed 003 §II-D.
    """
    if torch_available():
        from edgelab import models

        return models.list_models()
    return list(shipped_index()["models"])


def survey_models() -> tuple[str, ...]:
    """The models seed 003 §II-D discusses (``edgelab.models.SURVEY_MODELS``), torch or not."""
    if torch_available():
        from edgelab import models

        return tuple(models.SURVEY_MODELS)
    return tuple(shipped_index()["survey_models"])


def zoo_input_shape(name: str) -> tuple[int, ...]:
    """The paper's input shape (C, H, W) of zoo model ``name``, torch or not (seed 003 §II-D)."""
    if torch_available():
        from edgelab import models

        return tuple(models.spec(name).input_shape)
    entries = shipped_index()["models"]
    if name not in entries:
        raise unknown_name("model", name, entries)
    return tuple(entries[name]["input_shape"])


def _variant_key(name: str, batch: int, shape: Sequence[int]) -> str:
    return f"{name}@{batch}x{'x'.join(str(int(v)) for v in shape)}"


@lru_cache(maxsize=64)
def _read_shipped(key: str) -> Profile:
    index = shipped_index()
    entries = {**index["models"], **index.get("variants", {})}
    if key not in entries:
        raise unknown_name("model", key, index["models"])
    meta = entries[key]
    table = pd.read_csv(data_path(f"{SHIPPED_DIR}/{key}.csv"), keep_default_na=False,
                        dtype={c: str for c in _TEXT_COLUMNS})
    return profile_from_table(meta.get("model", key), table[COLUMNS], meta["input_bytes"],
                              meta["preds"], meta["output_layer"], meta["raw_input_bytes"])


def shipped_profile(name: str) -> Profile:
    """Zoo model ``name``'s profile (batch 1, the paper's input) from ``data/profiles/``.

    Needs no torch; equals :func:`profile_model` with torch, table, bytes and DAG edges alike
    (only ``graph`` is ``None``) (seed 003 §II-D, §V-C.2).
    """
    if not isinstance(name, str):
        raise ParameterTypeError(f"name must be a zoo model name (str), got "
                                 f"{type(name).__name__} {show(name)}")
    return _copy(_read_shipped(name))


def _shipped_model(name: str, batch: int, input_shape: tuple[int, ...] | None) -> Profile:
    index = shipped_index()
    if name not in index["models"]:
        raise unknown_name("model", name, index["models"])
    batch = integer_in("batch", batch, 1, MAX_BATCH)
    default = tuple(index["models"][name]["input_shape"])
    shape = default if input_shape is None else tuple(input_shape)
    if batch == 1 and shape == default:
        return shipped_profile(name)
    key = _variant_key(name, batch, shape)
    if key in index.get("variants", {}):
        return _copy(_read_shipped(key))
    raise ParameterError(
        f"batch/input_shape: without torch only the shipped profiles exist (batch 1, input "
        f"{'x'.join(map(str, default))}, and the measured pairs' inputs); got batch {batch}, "
        f"input {'x'.join(map(str, shape))} (install torch to profile live)")


def _measured_variants() -> list[tuple[str, int, tuple[int, ...]]]:
    """(model, batch, input) of data/measured_latency.csv's pairs off the default input."""
    from edgelab import models

    df = pd.read_csv(data_path("measured_latency.csv"))
    out = set()
    for m, hw, b in df[["model", "input_hw", "batch"]].itertuples(index=False):
        shape = (3, int(hw), int(hw))
        if (int(b), shape) != (1, tuple(models.spec(str(m)).input_shape)):
            out.add((str(m), int(b), shape))
    return sorted(out)


def _shipped_meta(p: Profile) -> dict[str, Any]:
    """What :func:`profile_from_table` needs besides the table, as the index stores it."""
    return {"input_bytes": int(p.input_bytes), "raw_input_bytes": int(p.raw_input_bytes),
            "output_layer": int(p.output_layer), "preds": [[int(x) for x in q] for q in p.preds]}


def shipped_frames(names: Sequence[str] | None = None) -> tuple[dict[str, pd.DataFrame],
                                                                dict[str, Any]]:
    """Regenerate the shipped profiles in memory with the live profiler (needs torch).

    Besides every model at batch 1 and the paper's input, the (batch, input) pairs that
    ``data/measured_latency.csv`` prices off the default (``variants``, keyed
    ``model@BxCxHxW``) are shipped, so that the catalog's validation runs without torch.
    Returns the per-model tables and the index that :func:`write_shipped` stores; the tests
    compare them with ``data/profiles/`` (seed 003 §II-D).
    """
    from edgelab import models

    names = list(models.list_models() if names is None else names)
    tables: dict[str, pd.DataFrame] = {}
    index: dict[str, Any] = {"source": "python -m edgelab.hardware.profile --write-shipped",
                             "survey_models": list(models.SURVEY_MODELS), "models": {}}
    for name in names:
        p = profile_model(name)
        tables[name] = p.table[COLUMNS].copy()
        index["models"][name] = {
            "input_shape": list(models.spec(name).input_shape), "family": models.spec(name).family,
            **_shipped_meta(p)}
    index["variants"] = {}
    for name, batch, shape in _measured_variants():
        if name not in names:
            continue
        p = profile_model(name, batch, shape)
        key = _variant_key(name, batch, shape)
        tables[key] = p.table[COLUMNS].copy()
        index["variants"][key] = {"model": name, "batch": batch, "input_shape": list(shape),
                                  **_shipped_meta(p)}
    return tables, index


def write_shipped(dest: Path | None = None) -> list[Path]:
    """Write every zoo model's profile to ``dest`` (default ``data/profiles/``; needs torch).

    One ``<model>.csv`` per model and ``index.json``; byte-identical on every run (seed 003
    §II-D).
    """
    dest = Path(dest) if dest is not None else data_path(SHIPPED_DIR)
    dest.mkdir(parents=True, exist_ok=True)
    tables, index = shipped_frames()
    written = []
    for name, table in tables.items():
        path = dest / f"{name}.csv"
        table.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    path = dest / SHIPPED_INDEX
    path.write_text(json.dumps(index, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    written.append(path)
    return written


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse ``"3x224x224"`` into ``(3, 224, 224)``; raise ``ValueError`` naming ``--input``.

    Seed 003 §II-D.
    """
    try:
        shape = tuple(int(v) for v in str(text).lower().replace("×", "x").split("x"))
    except ValueError:
        raise ParameterError(
            f"--input must look like CxHxW (e.g. 3x224x224), got {text!r}") from None
    if not shape or min(shape) < 1:
        raise ParameterError(f"--input must be positive integers CxHxW, got {text!r}")
    if max(shape) > MAX_DIM:
        raise ParameterError(f"--input must be positive integers CxHxW, each ≤ {MAX_DIM:,}, "
                             f"got {text!r}")
    return shape


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m edgelab.hardware.profile --write-shipped [DIR]``: store the shipped profiles.

    Seed 003 §II-D.
    """
    import argparse

    ap = argparse.ArgumentParser(prog="python -m edgelab.hardware.profile")
    ap.add_argument("--write-shipped", nargs="?", const="", metavar="DIR", required=True,
                    help="write data/profiles/ (or DIR) from the live profiler")
    args = ap.parse_args(argv)
    paths = write_shipped(Path(args.write_shipped) if args.write_shipped else None)
    print(f"wrote {len(paths)} files to {paths[0].parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
