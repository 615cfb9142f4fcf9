"""Model partition between devices: MoDNN [85], MeDNN [84] and DeepThings [86] (seed 003
§V-C.2, Table 4).

A chain model is split between 2–4 devices by spatial tiles with halos or by output channels,
costed with the same per-layer model as the device|server split, and executed for real on
tensors (:func:`distributed_forward`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from edgelab._validate import choice, integer_in, positive
from edgelab.hardware.catalog import Link, get_device, get_link
from edgelab.hardware.cost import layer_latency_grid, link_rates, model_latency, transfer_time
from edgelab.hardware.profile import Profile
from edgelab.inference.partition.execution import _layer_nodes
from edgelab.inference.partition.plan import Plan

#: Partition schemes between devices (seed 003 §V-C.2): MoDNN's 1-D spatial split of each conv
#: layer biased by device speed (FC layers split by output neuron); MeDNN's greedy per-layer
#: choice of a 2-D grid; DeepThings' fused tiles (a 2-D grid through all leading conv layers,
#: no exchange in between); and an output-channel split of conv and FC layers.
SCHEMES = ("modnn", "mednn", "fused", "channel")

_POINTWISE = (nn.ReLU, nn.ReLU6, nn.BatchNorm2d, nn.LocalResponseNorm, nn.Dropout, nn.Identity,
              nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.SiLU, nn.GELU, nn.LeakyReLU, nn.ELU)
_PER_CHANNEL = (nn.ReLU, nn.ReLU6, nn.BatchNorm2d, nn.Dropout, nn.Identity, nn.Sigmoid, nn.Tanh,
                nn.Hardswish, nn.SiLU, nn.GELU, nn.LeakyReLU, nn.ELU, nn.MaxPool2d, nn.AvgPool2d)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, tuple | list) else (int(v), int(v))


def _window(mod: nn.Module) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], float] | None:
    """((k, s, p, d) along H, (k, s, p, d) along W, padding value) of a sliding-window layer."""
    if isinstance(mod, nn.Conv2d):
        if mod.padding_mode != "zeros" or isinstance(mod.padding, str):
            return None
        k, s, p, d = (_pair(v) for v in (mod.kernel_size, mod.stride, mod.padding, mod.dilation))
        return (k[0], s[0], p[0], d[0]), (k[1], s[1], p[1], d[1]), 0.0
    if isinstance(mod, nn.MaxPool2d | nn.AvgPool2d):
        if mod.ceil_mode:
            return None
        if isinstance(mod, nn.AvgPool2d) and (mod.divisor_override is not None or (
                not mod.count_include_pad and _pair(mod.padding) != (0, 0))):
            return None
        k = _pair(mod.kernel_size)
        s = _pair(mod.stride if mod.stride is not None else mod.kernel_size)
        p = _pair(mod.padding)
        d = _pair(getattr(mod, "dilation", 1))
        fill = -math.inf if isinstance(mod, nn.MaxPool2d) else 0.0
        return (k[0], s[0], p[0], d[0]), (k[1], s[1], p[1], d[1]), fill
    return None


def _in_range(o0: int, o1: int, g: tuple[int, int, int, int]) -> tuple[int, int]:
    """Input rows ``[a, b)`` (unclipped: may reach into the padding) that output rows
    ``[o0, o1)`` of a window ``(k, s, p, d)`` read."""
    k, s, p, d = g
    return o0 * s - p, (o1 - 1) * s - p + d * (k - 1) + 1


def _out_size(n: int, g: tuple[int, int, int, int]) -> int:
    k, s, p, d = g
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@dataclass
class _Stage:
    kind: str  # "tile", "channel" or "whole"
    layers: list[int]
    grid: tuple[int, int] = (1, 1)


def _chain_layers(gm: torch.fx.GraphModule) -> list[torch.fx.Node]:
    nodes = _layer_nodes(gm)
    prev = next(n for n in gm.graph.nodes if n.op == "placeholder")
    for n in nodes:
        if n.all_input_nodes != [prev]:
            raise ValueError(f"partition between devices needs a chain model; layer {n.name!r} "
                             "reads more than the previous layer. Split the DAG between device "
                             "and server with dads() instead, or pass a chain (e.g. its features)")
        prev = n
    return nodes


def _module(gm: torch.fx.GraphModule, node: torch.fx.Node) -> nn.Module | None:
    return gm.get_submodule(node.target) if node.op == "call_module" else None


def _stages(gm: torch.fx.GraphModule, scheme: str) -> list[_Stage]:
    """Group a chain's layers into stages split between the workers, or run by the owner."""
    nodes = _chain_layers(gm)
    mods = [_module(gm, n) for n in nodes]
    stages: list[_Stage] = []
    cur: _Stage | None = None
    for i, m in enumerate(mods):
        win = m is not None and _window(m) is not None
        if scheme == "channel":
            starts = isinstance(m, nn.Conv2d | nn.Linear)
            absorbs = isinstance(m, _PER_CHANNEL) and (not isinstance(m, nn.MaxPool2d | nn.AvgPool2d)
                                                      or _window(m) is not None)
            if starts:
                cur = _Stage("channel", [i])
                stages.append(cur)
            elif cur is not None and absorbs and cur.kind == "channel":
                cur.layers.append(i)
            else:
                cur = None
                stages.append(_Stage("whole", [i]))
            continue
        if isinstance(m, nn.Linear) and scheme in ("modnn", "mednn"):
            cur = _Stage("channel", [i])
            stages.append(cur)
        elif win and (scheme != "fused" or cur is None or cur.kind != "tile"):
            cur = _Stage("tile", [i])
            stages.append(cur)
        elif (win or isinstance(m, _POINTWISE)) and cur is not None and cur.kind == "tile":
            cur.layers.append(i)
        elif isinstance(m, nn.ReLU | nn.ReLU6 | nn.Dropout | nn.Identity) and cur is not None \
                and cur.kind == "channel":
            cur.layers.append(i)
        else:
            cur = None
            stages.append(_Stage("whole", [i]))
    if scheme == "fused":  # DeepThings fuses the leading conv stack only; the rest on the owner
        first = next((j for j, s in enumerate(stages) if s.kind == "tile"), None)
        for j, s in enumerate(stages):
            if s.kind != "whole" and j != first:
                s.kind = "whole"
    return stages


def _splits(n: int, shares: np.ndarray) -> np.ndarray:
    """Boundaries ``0 = b0 ≤ … ≤ bk = n`` splitting ``n`` rows in proportion to ``shares``."""
    b = np.round(np.concatenate([[0.0], np.cumsum(shares) / np.sum(shares)]) * n).astype(int)
    b[-1] = n
    return np.maximum.accumulate(b)


def _tiles(h: int, w: int, grid: tuple[int, int], shares: np.ndarray | None) -> list[tuple[int, int, int, int]]:
    """Tiles ``(r0, r1, c0, c1)`` of an ``h × w`` output, row-major; 1-D row bands follow
    ``shares`` (MoDNN's biased partition), grids are equal."""
    r, c = grid
    rs = _splits(h, shares if (shares is not None and c == 1) else np.ones(r))
    cs = _splits(w, np.ones(c))
    return [(rs[i], rs[i + 1], cs[j], cs[j + 1]) for i in range(r) for j in range(c)]


def _tile_ranges(geoms: list[Any], sizes: list[tuple[int, int]],
                 tile: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """Backward pass of a tile through a stack: the unclipped input ranges of every layer.

    ``geoms[l]`` is ``_window`` of layer ``l`` (``None``: pointwise), ``sizes[l]`` its input
    ``(H, W)``. Returns per layer ``(a, b, c, d)``: input rows ``[a, b)``, columns ``[c, d)``.
    """
    r0, r1, c0, c1 = tile
    out: list[tuple[int, int, int, int]] = []
    for geo, (h, w) in zip(reversed(geoms), reversed(sizes), strict=True):
        if geo is None:
            a, b, c, d = r0, r1, c0, c1
        else:
            (a, b), (c, d) = _in_range(r0, r1, geo[0]), _in_range(c0, c1, geo[1])
        out.append((a, b, c, d))
        r0, r1, c0, c1 = max(a, 0), min(b, h), max(c, 0), min(d, w)
    return out[::-1]


def _stack_sizes(mods: list[nn.Module], h: int, w: int) -> list[tuple[int, int]]:
    sizes = []
    for m in mods:
        sizes.append((h, w))
        geo = _window(m)
        if geo is not None:
            h, w = _out_size(h, geo[0]), _out_size(w, geo[1])
    sizes.append((h, w))
    return sizes


def _run_window(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a window layer with its padding already applied (padding 0)."""
    if isinstance(m, nn.Conv2d):
        return F.conv2d(x, m.weight, m.bias, m.stride, 0, m.dilation, m.groups)
    if isinstance(m, nn.MaxPool2d):
        return F.max_pool2d(x, m.kernel_size, m.stride, 0, m.dilation)
    return F.avg_pool2d(x, m.kernel_size, m.stride, 0)


def _run_tile(mods: list[nn.Module], x: torch.Tensor, tile: tuple[int, int, int, int]) -> torch.Tensor:
    """Compute one output tile of a stack of layers from the full input ``x`` (real tensors)."""
    h, w = x.shape[-2:]
    sizes = _stack_sizes(mods, h, w)
    ranges = _tile_ranges([_window(m) for m in mods], sizes[:-1], tile)
    a, b, c, d = ranges[0]
    t = x[..., max(a, 0):min(b, h), max(c, 0):min(d, w)]  # what the worker receives
    for m, (a, b, c, d), (hh, ww) in zip(mods, ranges, sizes[:-1], strict=True):
        geo = _window(m)
        if geo is None:
            t = m(t)
            continue
        pads = (max(0, -c), max(0, d - ww), max(0, -a), max(0, b - hh))
        if any(pads):
            t = F.pad(t, pads, value=geo[2])
        t = _run_window(m, t)
    return t


def _channel_chunks(m: nn.Module, n: int) -> list[tuple[int, int]]:
    out_ch = m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
    g = m.groups if isinstance(m, nn.Conv2d) else 1
    if g > 1 and g >= n:  # whole groups per worker
        gb = _splits(g, np.ones(n)) * (out_ch // g)
    else:
        gb = _splits(out_ch, np.ones(n))
    return [(int(gb[i]), int(gb[i + 1])) for i in range(n)]


def _run_channels(mods: list[nn.Module], x: torch.Tensor, c0: int, c1: int) -> torch.Tensor:
    """Output channels ``[c0, c1)`` of a conv/FC layer and its per-channel followers."""
    m = mods[0]
    if isinstance(m, nn.Linear):
        t = F.linear(x, m.weight[c0:c1], None if m.bias is None else m.bias[c0:c1])
    else:
        og = m.out_channels // m.groups
        ig = m.in_channels // m.groups
        parts = []
        o = c0
        while o < c1:  # one call per run of whole groups, or per partial group
            g0 = o // og
            if o % og == 0 and c1 - o >= og:
                g1 = g0 + (c1 - o) // og
                hi = g1 * og
                ng = g1 - g0
            else:
                hi = min(c1, (g0 + 1) * og)
                ng, g1 = 1, g0 + 1
            xin = x[:, g0 * ig:g1 * ig]
            wts = m.weight[o:hi]
            if ng == 1 and hi - o < og:
                parts.append(F.conv2d(xin, wts, None, m.stride, m.padding, m.dilation, 1))
            else:
                parts.append(F.conv2d(xin, wts, None, m.stride, m.padding, m.dilation, ng))
            o = hi
        t = torch.cat(parts, 1)
        if m.bias is not None:
            t = t + m.bias[c0:c1].reshape(1, -1, 1, 1)
    for f in mods[1:]:
        if isinstance(f, nn.BatchNorm2d):
            t = F.batch_norm(t, f.running_mean[c0:c1], f.running_var[c0:c1],
                             None if f.weight is None else f.weight[c0:c1],
                             None if f.bias is None else f.bias[c0:c1], False, 0.0, f.eps)
        else:
            t = f(t)
    return t


def _input_hw(profile: Profile, mod: nn.Module) -> tuple[int, int]:
    """The model input's ``(H, W)`` from its byte count and the first layer's output shape."""
    first = [int(v) for v in str(profile.table["out_shape"].iloc[0]).split(",")[0].split("x")]
    n_b = first[0]
    cin = getattr(mod, "in_channels", None) or first[1]
    hw = profile.input_bytes // 4 // n_b // cin
    geo = _window(mod)
    cands = [(h, hw // h) for h in range(1, hw + 1) if hw % h == 0]
    if geo is not None:
        cands = [(h, w) for h, w in cands
                 if (_out_size(h, geo[0]), _out_size(w, geo[1])) == (first[-2], first[-1])]
    else:
        cands = [(h, w) for h, w in cands if (h, w) == (first[-2], first[-1])]
    if not cands:
        raise ValueError(f"cannot infer the input size of {profile.name!r} from its profile")
    return min(cands, key=lambda hw_: abs(hw_[0] - hw_[1]))


def _shape_of(profile: Profile, i: int) -> list[int]:
    return [int(v) for v in str(profile.table["out_shape"].iloc[i]).split(",")[0].split("x")]


def _factor_grids(n: int) -> list[tuple[int, int]]:
    return [(r, n // r) for r in range(1, n + 1) if n % r == 0]


def between_devices(
    profile: Profile,
    devices: str | Sequence[str],
    link: Link | str = "wifi5",
    n_workers: int | None = None,
    scheme: str = "modnn",
    bandwidth_mbps: float | None = None,
    grid: tuple[int, int] | None = None,
    fuse_layers: int | None = None,
) -> Plan:
    """Partition a chain model between devices and cost it (seed 003 §V-C.2: MoDNN [85],
    MeDNN [84], DeepThings [86]).

    ``devices`` is one device class with ``n_workers`` (2–4 identical workers) or a list of
    device names (heterogeneous; the first is the owner holding the input and the result).
    Per stage (see :data:`SCHEMES`), each worker's compute is its share of each layer's
    latency on its own device (the per-layer overhead is paid in full), and the owner scatters
    the inputs each other worker needs (tiles with their halo rows and columns, or the whole
    input for a channel split) and gathers their outputs over one shared ``link``
    (transfers serialise, one RTT per stage). MoDNN's rows and the channel split follow the
    devices' speeds (BODP, the biased one-dimensional partition); grids are equal.
    ``grid`` fixes the tile grid of ``fused`` (default: the most square). DeepThings fuses
    only the first layers (deeper tiles need ever wider halos, recomputed by every worker):
    ``fuse_layers`` fixes how many; by default the depth of least latency is searched.

    Returns a :class:`~edgelab.inference.partition.plan.Plan` with ``technique = scheme``:
    ``device_s`` is the compute of every stage, ``transfer_s`` the exchange, ``uplink_bytes``
    and ``downlink_bytes`` what the owner scatters and gathers, ``latency_s`` = Σ stages
    (exchange does not overlap compute) + the owner's per-inference overhead; ``stages`` has one
    row per stage (``kind``: ``tile``, spatial tiles with halos; ``channel``, output channels;
    ``whole``, the owner alone); ``alternatives.loc["single_device"]`` is the owner alone and
    ``speedup`` its latency ÷ the plan's. Device energy is not modelled here (``nan``).
    """
    scheme = choice("scheme", scheme, SCHEMES)
    if isinstance(devices, str):
        nw = integer_in("n_workers", 2 if n_workers is None else n_workers, 1, 64)
        devs = [get_device(devices)] * nw
    else:
        devs = [get_device(d) for d in devices]
        if n_workers is not None and n_workers != len(devs):
            raise ValueError(f"n_workers={n_workers} but {len(devs)} devices were given")
        if not devs:
            raise ValueError("devices must name at least one device")
    nw = len(devs)
    lk = get_link(link)
    bw = float(link_rates(lk, None if bandwidth_mbps is None
                          else positive("bandwidth_mbps", bandwidth_mbps))[0][0])
    gm = profile.graph
    if gm is None:
        raise ValueError(f"profile {profile.name!r} has no torch.fx graph")
    if not profile.is_chain:
        raise ValueError(f"model {profile.name!r} is not a chain; partition between devices "
                         "splits chain models (MoDNN, DeepThings). Use dads() for a DAG between "
                         "device and server")
    stages = _stages(gm, scheme)
    nodes = _layer_nodes(gm)
    mods = [_module(gm, n) for n in nodes]
    lat = layer_latency_grid(profile, devs)  # (W, L)
    t = profile.table
    oh = np.array([[d.overhead_for(o, f, m) for o, f, m in zip(t["op"].astype(str), t["family"],
                   t["module"].astype(str), strict=True)] for d in devs])
    oh = np.minimum(oh, lat)
    speed = 1.0 / np.array([model_latency(profile, d) for d in devs])
    shares = speed / speed.sum()
    elt = 4  # float32 bytes

    def evaluate(stages: list[_Stage]) -> tuple[list[dict[str, Any]], float, float, float]:
        return _evaluate_stages(stages, profile, nodes, mods, lat, oh, shares, scheme, grid, lk,
                                bw, nw, elt)

    if scheme == "fused":
        first = next((j for j, s_ in enumerate(stages) if s_.kind == "tile"), None)
        if first is not None:
            fused = stages[first].layers
            cuts = [i for i in range(1, len(fused) + 1)
                    if i == len(fused) or _window(mods[fused[i]]) is not None]
            if fuse_layers is not None:
                depth = integer_in("fuse_layers", fuse_layers, 1, len(fused))
                cuts = [depth]
            best = None
            for c in cuts:
                cand = (stages[:first] + [_Stage("tile", fused[:c])]
                        + [_Stage("whole", [j]) for j in fused[c:]] + stages[first + 1:])
                res = evaluate(cand)
                if best is None or res[1] + res[2] < best[1][1] + best[1][2]:
                    best = (cand, res)
            stages, (rows, compute_total, exchange_total, bytes_total) = best
        else:
            rows, compute_total, exchange_total, bytes_total = evaluate(stages)
    else:
        rows, compute_total, exchange_total, bytes_total = evaluate(stages)
    latency = compute_total + exchange_total + devs[0].model_overhead_s
    table = pd.DataFrame(rows)
    names = tuple(d.name for d in devs)
    alt = pd.DataFrame({"latency_s": [model_latency(profile, devs[0])],
                        "device_energy_j": [math.nan]}, index=["single_device"])
    where = (f"{scheme}: {nw} devices ({', '.join(dict.fromkeys(names))}) over {lk.name}, "
             f"{int((table['kind'] != 'whole').sum())} of {len(table)} stages split")
    return Plan(scheme, "latency", (), np.ones(profile.n_layers, dtype=bool), latency, math.nan,
                compute_total, exchange_total, 0.0, float(table["scatter_bytes"].sum()),
                float(table["gather_bytes"].sum()), float(bw), profile.n_layers, where,
                alternatives=alt, stages=table, devices=names, link=lk.name, shares=shares,
                specs=tuple(stages))


def _evaluate_stages(stages: list[_Stage], profile: Profile, nodes: list[torch.fx.Node],
                     mods: list[nn.Module | None], lat: np.ndarray, oh: np.ndarray,
                     shares: np.ndarray, scheme: str, grid: tuple[int, int] | None, lk: Link,
                     bw: float, nw: int, elt: int) -> tuple[list[dict[str, Any]], float, float, float]:
    """Cost every stage of a between-devices plan (see :func:`between_devices`)."""
    rows = []
    compute_total = exchange_total = bytes_total = 0.0
    # bytes per element of the model's input as sent (uint8 pixels: 1, the fp32 tensor: 4)
    in_elt = elt * profile.raw_input_bytes / profile.input_bytes if profile.input_bytes else elt
    for si, st in enumerate(stages):
        first, last = st.layers[0], st.layers[-1]
        in_shape = ([_shape_of(profile, first - 1)] if first > 0 else [None])[0]
        out_shape = _shape_of(profile, last)
        nb = out_shape[0]
        remote_in = remote_out = 0.0
        if st.kind == "whole" or nw == 1:
            comp = float(lat[0, st.layers].sum())
            st.grid = (1, 1)
        elif st.kind == "channel":
            chunks = _channel_chunks(mods[first], nw) if scheme != "modnn" and scheme != "channel" \
                else None
            out_ch = out_shape[1]
            if chunks is None:  # biased by speed
                b = _splits(mods[first].out_channels if isinstance(mods[first], nn.Conv2d)
                            else mods[first].out_features, shares)
                if isinstance(mods[first], nn.Conv2d) and mods[first].groups > 1:
                    b = np.array([0] + [c1 for _, c1 in _channel_chunks(mods[first], nw)])
                chunks = [(int(b[i]), int(b[i + 1])) for i in range(nw)]
            total_out = mods[first].out_channels if isinstance(mods[first], nn.Conv2d) \
                else mods[first].out_features
            st.grid = (nw, 1)
            per = []
            in_bytes = (profile.raw_input_bytes if first == 0  # the raw input, as sent
                        else float(np.prod(in_shape)) * elt)
            for wi, (c0, c1) in enumerate(chunks):
                frac = (c1 - c0) / total_out
                per.append(float(sum(oh[wi, j] + (lat[wi, j] - oh[wi, j]) * frac
                                     for j in st.layers)) if c1 > c0 else 0.0)
                if wi > 0 and c1 > c0:
                    remote_in += in_bytes
                    remote_out += float(np.prod(out_shape)) * elt * (c1 - c0) / out_ch * (
                        out_ch / total_out if out_ch == total_out else 1.0)
            comp = max(per)
        else:  # tile
            smods = [mods[j] for j in st.layers]
            if first == 0:
                h, w = _input_hw(profile, smods[0])
                cin = getattr(smods[0], "in_channels", 1)
            else:
                cin, h, w = in_shape[1], in_shape[-2], in_shape[-1]
            sizes = _stack_sizes(smods, h, w)
            ho, wo = sizes[-1]
            if scheme == "modnn":
                options = [(nw, 1)]
            elif scheme == "mednn":
                options = _factor_grids(nw)
            else:
                options = [grid] if grid is not None else [min(_factor_grids(nw),
                                                               key=lambda g: (abs(g[0] - g[1]), -g[0]))]
            best = None
            for gr in options:
                if gr[0] * gr[1] != nw:
                    raise ValueError(f"grid {gr} must have n_workers = {nw} tiles")
                tiles = _tiles(ho, wo, gr, shares if scheme == "modnn" else None)
                per, rin, rout = [], 0.0, 0.0
                for wi, tile in enumerate(tiles):
                    if tile[1] <= tile[0] or tile[3] <= tile[2]:
                        per.append(0.0)
                        continue
                    rng = _tile_ranges([_window(m) for m in smods], sizes[:-1], tile)
                    c_time = 0.0
                    for li, j in enumerate(st.layers):
                        a, b_, c, d = rng[li + 1] if li + 1 < len(rng) else tile
                        hh, ww = sizes[li + 1]
                        o_el = (min(b_, hh) - max(a, 0)) * (min(d, ww) - max(c, 0))
                        frac = o_el / float(hh * ww)
                        c_time += oh[wi, j] + (lat[wi, j] - oh[wi, j]) * frac
                    per.append(c_time)
                    if wi > 0:
                        a, b_, c, d = rng[0]
                        rin += (nb * cin * (min(b_, h) - max(a, 0)) * (min(d, w) - max(c, 0))
                                * (in_elt if first == 0 else elt))
                        rout += nb * out_shape[1] * (tile[1] - tile[0]) * (tile[3] - tile[2]) * elt
                tot = max(per) + (float(transfer_time(rin + rout, bw, lk.rtt_ms / 1e3,
                                                      lk.duty_cycle))
                                  if rin + rout > 0 else 0.0)
                if best is None or tot < best[0]:
                    best = (tot, gr, max(per), rin, rout)
            _, st.grid, comp, remote_in, remote_out = best
        moved = remote_in + remote_out
        exch = (float(transfer_time(moved, bw, lk.rtt_ms / 1e3, lk.duty_cycle)) if moved > 0
                else 0.0)
        compute_total += comp
        exchange_total += exch
        bytes_total += moved
        rows.append({"stage": si, "kind": st.kind, "first": nodes[first].name,
                     "last": nodes[last].name, "n_layers": len(st.layers),
                     "grid": f"{st.grid[0]}x{st.grid[1]}", "compute_s": comp, "exchange_s": exch,
                     "exchanged_bytes": moved, "scatter_bytes": remote_in,
                     "gather_bytes": remote_out, "owner_alone_s": float(lat[0, st.layers].sum())})
    return rows, compute_total, exchange_total, bytes_total


def distributed_forward(model: nn.Module, x: torch.Tensor, plan: Plan) -> torch.Tensor:
    """Execute ``plan`` on real tensors: every split stage computes each worker's tile (with its
    halo) or channel slice separately and the owner reassembles them (MoDNN [85], MeDNN [84],
    DeepThings [86]; seed 003 §V-C.2). The result equals ``model(x)`` up to float rounding.

    ``model`` must trace to the same chain as the profile the plan was made from (same layer
    names; ``x`` may have another batch size or image size for tiles).
    """
    gm = model if isinstance(model, torch.fx.GraphModule) else torch.fx.symbolic_trace(model)
    nodes = _chain_layers(gm)
    names = [n.name for n in nodes]
    plan_names = [plan.stages["first"].iloc[0]]
    if names[0] not in plan_names:
        raise ValueError("the plan was made for another model (layer names differ)")
    mods = [_module(gm, n) for n in nodes]
    nw = plan.n_workers
    t = x
    with torch.no_grad():
        for st in plan.specs:
            smods = [mods[j] for j in st.layers]
            if st.kind == "whole" or nw == 1:
                for j in st.layers:
                    t = mods[j](t) if mods[j] is not None else _call(nodes[j], t)
            elif st.kind == "channel":
                m = smods[0]
                total = m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
                if plan.technique in ("modnn", "channel") and not (
                        isinstance(m, nn.Conv2d) and m.groups > 1):
                    b = _splits(total, plan.shares)
                    chunks = [(int(b[i]), int(b[i + 1])) for i in range(nw)]
                else:
                    chunks = _channel_chunks(m, nw)
                t = torch.cat([_run_channels(smods, t, c0, c1) for c0, c1 in chunks if c1 > c0], 1)
            else:
                sizes = _stack_sizes(smods, t.shape[-2], t.shape[-1])
                ho, wo = sizes[-1]
                tiles = _tiles(ho, wo, st.grid, plan.shares if plan.technique == "modnn" else None)
                r, c = st.grid
                rows_ = []
                for i in range(r):
                    cols = [_run_tile(smods, t, tile) for tile in tiles[i * c:(i + 1) * c]
                            if tile[3] > tile[2] and tile[1] > tile[0]]
                    if cols:
                        rows_.append(torch.cat(cols, -1))
                t = torch.cat(rows_, -2)
    return t


def _call(node: torch.fx.Node, t: torch.Tensor) -> torch.Tensor:
    """Run a call_function / call_method node of a chain on its single tensor input."""
    args = torch.fx.node.map_arg(node.args, lambda _a: t)
    kwargs = torch.fx.node.map_arg(node.kwargs, lambda _a: t)
    if node.op == "call_function":
        return node.target(*args, **kwargs)
    return getattr(args[0], node.target)(*args[1:], **kwargs)


def between_devices_sweep(profile: Profile, devices: Sequence[str], links: Sequence[str],
                          schemes: Sequence[str] = ("modnn", "mednn", "fused"),
                          workers: Sequence[int] = (2, 3, 4)) -> pd.DataFrame:
    """:func:`between_devices` over devices × links × schemes × worker counts (MoDNN [85], MeDNN
    [84], DeepThings [86]; seed 003 §V-C.2): one row each with ``single_s``, ``latency_s``,
    ``exchange_s`` and ``speedup``."""
    rows = []
    for d in devices:
        for lk in links:
            for scheme in schemes:
                for nw in workers:
                    plan = between_devices(profile, d, lk, nw, scheme)
                    rows.append({"device": d, "link": lk, "scheme": scheme, "workers": nw,
                                 "single_s": plan.alternatives.loc["single_device", "latency_s"],
                                 "latency_s": plan.latency_s, "exchange_s": plan.transfer_s,
                                 "speedup": plan.speedup})
    return pd.DataFrame(rows)


def best_of(sweep: pd.DataFrame, scheme: str, model: str = "VGG-16", device: str = "rpi4",
            link: str = "wifi5", workers: int = 4) -> tuple[float, str]:
    """The best speed-up of ``scheme`` in a :func:`between_devices_sweep` table and a sentence
    saying where, with the speed-up of one reference setting (seed 003 §V-C.2; MoDNN [85] and
    MeDNN [84] report their best)."""
    g = sweep[sweep.scheme == scheme]
    r = g.loc[g["speedup"].idxmax()]
    ref = float(g[(g.link == link) & (g.device == device) & (g.workers == workers)]["speedup"].iloc[0])
    return float(r["speedup"]), (f"{model}, best of {len(g)} settings ({r['workers']} x "
                                 f"{r['device']} over {r['link']}); on Wi-Fi 5 with {workers} x "
                                 f"{device}: {ref:.2f}x")
