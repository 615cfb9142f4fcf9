"""Deep Compression: pruning, then k-means weight sharing, then Huffman coding, with the exact
size in bits at each stage (Han et al., ICLR 2016, [71]; seed 003 §V-C.1).

Storage format (one layer; everything is counted, nothing is estimated):

* **dense**: every weight and bias as a 32-bit float;
* **pruned**: the non-zero weights as 32-bit floats, each with a relative index: the gap to the
  previous stored weight in ``index_bits`` bits; a gap longer than ``2**index_bits`` is bridged
  with filler entries whose value is zero (Han et al.'s padding), which are stored too;
* **shared**: each stored value becomes a ``bits``-bit code into a per-layer codebook of
  ``2**bits`` 32-bit values whose code 0 is the zero of the fillers, the other ``2**bits - 1``
  the k-means centroids of the layer's non-zero weights (linear initialisation, as Han et al.
  found best), the codebook stored too;
* **huffman**: the codes and the index gaps each Huffman-coded (``bitarray.util.huffman_code``)
  and their exact encoded lengths counted, plus the code tables (one 8-bit code length per
  symbol of each alphabet, enough to rebuild a canonical Huffman code).

Biases stay 32-bit floats in every stage (counted in every stage). :func:`decode_layer`
rebuilds a layer's weights from its encoding, so a test can check the bits are lossless.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from edgelab.inference.compression.common import accuracy, train
from edgelab.inference.compression.pruning import iterative_prune, prunable_layers

__all__ = ["SHARING_BITS", "check_sharing_bits", "SharedLayer", "share_weights",
           "finetune_shared", "LayerEncoding", "encode_layer", "decode_layer", "compression_table",
           "STAGES", "HAN_STEPS", "deep_compress"]

#: Cumulative sparsities of iterative pruning (Han et al. prune in steps and fine-tune).
HAN_STEPS = (0.5, 0.75, 0.85, 0.875, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)

#: Bit widths weight sharing implements (codebooks of 2 to 256 entries).
SHARING_BITS = tuple(range(1, 9))
#: The stages of the pipeline, in order.
STAGES = ("dense", "pruned", "shared", "huffman")


def check_sharing_bits(name: str, bits: object) -> int:
    """``bits`` if weight sharing implements it (1-8), else a one-line ``ValueError`` (seed 003 §V-C.1)."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or int(bits) not in SHARING_BITS:
        raise ValueError(f"{name} must be an integer in 1..8 (a codebook of 2**{name} shared "
                         f"values), got {bits!r}")
    return int(bits)


@dataclass
class SharedLayer:
    """One layer's weight sharing: its codebook (code 0 is zero) and each weight's code (seed 003 §V-C.1)."""

    name: str
    codebook: np.ndarray  # float32, length 2**bits
    codes: np.ndarray  # int, the weight tensor's shape; 0 where the weight is pruned
    bits: int

    def weights(self) -> np.ndarray:
        """The shared weights: ``codebook[codes]`` (seed 003 §V-C.1)."""
        return self.codebook[self.codes].astype(np.float32)


def _kmeans_1d(values: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(np.unique(values))))
    init = np.linspace(values.min(), values.max(), k).reshape(-1, 1)
    km = KMeans(n_clusters=k, init=init, n_init=1, random_state=seed).fit(values.reshape(-1, 1))
    return km.cluster_centers_.ravel().astype(np.float32), km.labels_


def share_weights(model: nn.Module, bits: int | dict[str, int], *, seed: int = 0
                  ) -> dict[str, SharedLayer]:
    """Cluster each conv/linear layer's non-zero weights into ``2**bits - 1`` shared values with
    k-means (scikit-learn, linear initialisation) and write them back, in place (Deep
    Compression stage 2; seed 003 §V-C.1).

    ``bits`` is one width for all layers or ``{layer name: bits}``. Pruned (zero) weights keep
    code 0. Returns the sharing of each layer.
    """
    out = {}
    for name, m in prunable_layers(model):
        b = check_sharing_bits("bits", bits.get(name, 8) if isinstance(bits, dict) else bits)
        w = m.weight.detach().cpu().numpy()
        nz = w != 0
        codes = np.zeros(w.shape, dtype=np.int64)
        codebook = np.zeros(2 ** b, dtype=np.float32)
        if nz.any() and b > 0:
            cents, labels = _kmeans_1d(w[nz].astype(np.float64), 2 ** b - 1, seed)
            codebook[1:1 + len(cents)] = cents
            codes[nz] = labels + 1
        s = SharedLayer(name, codebook, codes, b)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(s.weights()))
        out[name] = s
    return out


def finetune_shared(model: nn.Module, shared: dict[str, SharedLayer], data: Sequence[torch.Tensor],
                    epochs: int, *, lr: float = 1e-3, seed: int = 0) -> list[float]:
    """Fine-tune the shared values (Deep Compression's centroid fine-tuning; seed 003 §V-C.1).

    After each optimiser step every codebook entry becomes the mean of the updated weights that
    share it (their mean gradient step, as Han et al. sum the gradients per centroid) and the
    weights are set back to the codebook, so codes and zeros never change. ``data`` is
    ``(x_train, y_train, ...)``. Returns the loss of each epoch.
    """
    layers = dict(prunable_layers(model))
    idx = {n: [torch.from_numpy(s.codes == c) for c in range(1, len(s.codebook))]
           for n, s in shared.items()}

    def project() -> None:
        with torch.no_grad():
            for n, s in shared.items():
                w = layers[n].weight
                for c, mask in enumerate(idx[n], start=1):
                    if mask.any():
                        s.codebook[c] = float(w[mask].mean())
                w.copy_(torch.from_numpy(s.weights()))

    xtr, ytr = tuple(data)[:2]
    return train(model, xtr, ytr, epochs, lr=lr, seed=seed, after_step=project)


@dataclass(frozen=True)
class LayerEncoding:
    """The exact size of one layer's weights at each stage, in bits (seed 003 §V-C.1)."""

    name: str
    n_weights: int
    n_bias: int
    nonzero: int
    stored: int  # non-zero weights plus fillers
    bits: int
    index_bits: int
    dense_bits: int
    pruned_bits: int
    shared_bits: int
    huffman_bits: int
    huffman: tuple[bytes, bytes]  # the encoded codes and gaps (bitarray bytes)
    tables: tuple[dict, dict]  # Huffman tables of the codes and the gaps
    lengths: tuple[int, int]  # exact bit lengths of the two encoded streams


def _gaps(codes: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Stored entries as (gap - 1, code), fillers (code 0) inserted where a gap is too long."""
    flat = codes.ravel()
    pos = np.flatnonzero(flat)
    span = 2 ** index_bits
    gaps, vals = [], []
    prev = -1
    for p in pos:
        g = int(p - prev)
        while g > span:
            gaps.append(span - 1)
            vals.append(0)
            g -= span
        gaps.append(g - 1)
        vals.append(int(flat[p]))
        prev = int(p)
    return np.asarray(gaps, dtype=np.int64), np.asarray(vals, dtype=np.int64)


def _huffman(symbols: np.ndarray) -> tuple[dict, bytes, int]:
    from bitarray import bitarray
    from bitarray.util import huffman_code

    syms = [int(s) for s in symbols]
    if not syms:
        return {}, b"", 0
    freq: dict[int, int] = {}
    for s in syms:
        freq[s] = freq.get(s, 0) + 1
    code = huffman_code(freq)
    enc = bitarray()
    enc.encode(code, syms)
    return code, enc.tobytes(), len(enc)


def encode_layer(name: str, weight: torch.Tensor | np.ndarray, n_bias: int,
                 shared: SharedLayer, index_bits: int) -> LayerEncoding:
    """Encode one layer in every format of the module docstring; exact sizes in bits (seed 003 §V-C.1)."""
    ib = check_sharing_bits("index_bits", index_bits)
    w = np.asarray(weight.detach().cpu().numpy() if torch.is_tensor(weight) else weight)
    n = int(w.size)
    nonzero = int(np.count_nonzero(shared.codes))
    gaps, vals = _gaps(shared.codes, ib)
    stored = len(vals)
    bias_bits = 32 * n_bias
    dense = 32 * n + bias_bits
    pruned = stored * (32 + ib) + bias_bits
    shared_bits = stored * (shared.bits + ib) + 32 * len(shared.codebook) + bias_bits
    code_t, code_bytes, code_len = _huffman(vals)
    gap_t, gap_bytes, gap_len = _huffman(gaps)
    tables = 8 * (2 ** shared.bits) + 8 * (2 ** ib)
    huff = code_len + gap_len + tables + 32 * len(shared.codebook) + bias_bits
    return LayerEncoding(name, n, int(n_bias), nonzero, stored, shared.bits, ib, dense, pruned,
                         shared_bits, huff, (code_bytes, gap_bytes), (code_t, gap_t),
                         (code_len, gap_len))


def decode_layer(enc: LayerEncoding, codebook: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Rebuild a layer's weights from its Huffman-coded codes and gaps (seed 003 §V-C.1)."""
    from bitarray import bitarray

    streams = []
    for data, table, length in zip(enc.huffman, enc.tables, enc.lengths, strict=True):
        b = bitarray()
        b.frombytes(data)
        streams.append(list(b[:length].decode(table)) if length else [])
    vals, gaps = streams
    flat = np.zeros(int(np.prod(shape)), dtype=np.float32)
    pos = -1
    for g, v in zip(gaps, vals, strict=True):
        pos += int(g) + 1
        if v:
            flat[pos] = codebook[v]
    return flat.reshape(shape)


def compression_table(model: nn.Module, shared: dict[str, SharedLayer],
                      index_bits: int | dict[str, int] = 5) -> tuple[pd.DataFrame, list[LayerEncoding]]:
    """Exact bits of every layer at every stage, plus a ``total`` row with the ratios (dense ÷
    stage) (Deep Compression; seed 003 §V-C.1). ``index_bits`` may differ per layer (Han et al.
    used 8 for conv, 5 for FC layers)."""
    encs = []
    for name, m in prunable_layers(model):
        ib = index_bits.get(name, 5) if isinstance(index_bits, dict) else index_bits
        nb = int(m.bias.numel()) if getattr(m, "bias", None) is not None else 0
        encs.append(encode_layer(name, m.weight, nb, shared[name], ib))
    df = pd.DataFrame([{"layer": e.name, "weights": e.n_weights, "nonzero": e.nonzero,
                        "stored": e.stored, "bits": e.bits, "index_bits": e.index_bits,
                        "dense_bits": e.dense_bits, "pruned_bits": e.pruned_bits,
                        "shared_bits": e.shared_bits, "huffman_bits": e.huffman_bits}
                       for e in encs])
    total = df.drop(columns=["layer", "bits", "index_bits"]).sum()
    df = pd.concat([df, pd.DataFrame([{"layer": "total", **total.to_dict()}])], ignore_index=True)
    for st in STAGES[1:]:
        df[f"ratio_{st}"] = df["dense_bits"] / df[f"{st}_bits"]
    return df, encs


def deep_compress(model: torch.nn.Module, data: Any, *, steps: tuple[float, ...] = HAN_STEPS,
                  prune_epochs: int = 4, share_epochs: int = 3, bits: int = 5,
                  index_bits: int | dict[str, int] = 5, max_drop: float = 0.01,
                  seed: int = 0) -> dict[str, Any]:
    """Deep Compression of a trained ``model`` (a copy): iterative pruning, keeping the sparsest
    step within ``max_drop`` of the dense accuracy, then ``bits``-bit weight sharing with
    centroid fine-tuning, then Huffman coding (seed 003 §V-C.1, [71]).

    Returns ``{"dense_accuracy", "sweep"`` (iterative pruning table), ``"amount"`` (chosen),
    ``"pruned_accuracy", "accuracy"`` (final), ``"table"`` (exact bits per layer and stage),
    ``"model", "shared"}``. Each step prunes the previous step's fine-tuned weights further.
    """
    data = tuple(data)
    xtr, ytr, xte, yte = data
    base = accuracy(model, xte, yte)
    work = copy.deepcopy(model)
    rows, states = [], []
    for a in steps:  # iterative pruning, one step at a time, keeping each step's weights
        rows.append(iterative_prune(work, [a], data, prune_epochs, seed=seed).iloc[0])
        states.append(copy.deepcopy(work.state_dict()))
    sweep = pd.DataFrame(rows).reset_index(drop=True)
    sweep = sweep.astype({"weights": "int64", "weights_left": "int64"})
    ok = np.flatnonzero(sweep["accuracy"].to_numpy() >= base - max_drop - 1e-9)
    final = copy.deepcopy(model)
    amount = 0.0
    if len(ok):
        amount = float(sweep["amount"].iloc[ok[-1]])
        final.load_state_dict(states[ok[-1]])
    pruned_acc = accuracy(final, xte, yte)
    shared = share_weights(final, bits, seed=seed)
    finetune_shared(final, shared, data, share_epochs, seed=seed)
    table, _ = compression_table(final, shared, index_bits)
    return {"dense_accuracy": base, "sweep": sweep, "amount": amount, "pruned_accuracy": pruned_acc,
            "accuracy": accuracy(final, xte, yte), "table": table, "model": final,
            "shared": shared}
