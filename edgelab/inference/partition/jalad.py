"""JALAD [81]: the split and bit width of least latency within an accuracy budget (seed 003
§V-C.2, Table 4; Ko et al. [83]).

:func:`jalad_accuracy` measures what the lossy encoding of :mod:`.encoding` costs in accuracy on
real heads and tails, :func:`lossy_split_costs` what it saves on the link, and :func:`jalad_plan`
decides. :func:`train_digits_model` trains the networks the accuracy is measured on: the digits
CNN, and digits-sized stand-ins with AlexNet's and VGG-16's layer chains, whose tables
(:func:`stand_in_accuracy`) :func:`jalad_speedups` plans the full-size networks with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from edgelab._validate import integer_in, positive
from edgelab.hardware.catalog import Device, Link, get_device, get_link
from edgelab.hardware.cost import (
    SplitCosts,
    air_time,
    device_energy,
    duty_cycled_time,
    link_rates,
    split_costs,
)
from edgelab.hardware.profile import Profile, profile_model
from edgelab.inference.partition.encoding import BITS, quantize
from edgelab.inference.partition.execution import _layer_nodes, split_model


def digits_at(shape: tuple[int, int, int], seed: int = 0
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's 8×8 digits (seeded 80/20 split) resized bilinearly to ``shape`` (C, H, W),
    so a zoo chain that needs a larger input can be trained on them; returns
    ``(x_train, y_train, x_test, y_test)`` (seed 003 §V-C.2, JALAD [81] stand-ins)."""
    from edgelab.datasets import load_digits_split

    xtr, ytr, xte, yte = load_digits_split(seed=seed, shape="image")
    if tuple(shape) == tuple(xtr.shape[1:]):
        return xtr, ytr, xte, yte
    if len(shape) != 3 or shape[0] != 1:
        raise ValueError(f"shape must be (1, H, W) (digits are grey-scale); got {shape!r}")

    def up(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=tuple(shape[1:]), mode="bilinear", align_corners=False)

    return up(xtr), ytr, up(xte), yte


def train_digits_model(name: str = "digits_cnn", seed: int = 0, epochs: int = 20,
                       n_train: int | None = None, lr: float = 0.01
                       ) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Train a digits-sized zoo model (``digits_cnn``, or a stand-in of
    :data:`edgelab.models.DIGITS_STAND_INS`) on scikit-learn digits at its input size with
    Adam, batches of 64, seeded; returns ``(model, x_test, y_test)`` (the trained network
    JALAD's accuracy cost is measured on; seed 003 §V-C.2, JALAD [81])."""
    from edgelab import models

    epochs = integer_in("epochs", epochs, 1, 10_000)
    xtr, ytr, xte, yte = digits_at(models.spec(name).input_shape, seed=seed)
    if n_train is not None:
        xtr, ytr = xtr[:integer_in("n_train", n_train, 1, len(xtr))], ytr[:n_train]
    net = models.build(name, seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=positive("lr", lr))
    net.train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout masks
        for _ in range(epochs):
            perm = torch.randperm(len(xtr), generator=g)
            for i in range(0, len(xtr), 64):
                idx = perm[i:i + 64]
                loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return net.eval(), xte, yte


def train_digits_cnn(seed: int = 0, epochs: int = 20, n_train: int | None = None,
                     lr: float = 0.01) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Train the zoo's digits CNN on scikit-learn digits; returns ``(model, x_test, y_test)``
    (:func:`train_digits_model` for ``digits_cnn``; seed 003 §V-C.2)."""
    return train_digits_model("digits_cnn", seed=seed, epochs=epochs, n_train=n_train, lr=lr)


def jalad_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   splits: Sequence[int] | None = None,
                   bits: Sequence[int] = (8, 4, 2)) -> pd.DataFrame:
    """Accuracy and bytes sent when the activation at each split is quantised (JALAD [81]).

    Runs the real head and tail (:func:`split_model`) on ``x`` for every split in ``splits``
    (default: all ``0..n_layers``) and every bit width (plus ``32``: no encoding). Columns:
    ``split, bits, accuracy, agreement`` (share of predictions equal to the unsplit model's),
    ``bytes_per_sample``, ``fp32_bytes_per_sample`` and ``reduction`` (× fewer bytes).
    """
    gm = torch.fx.symbolic_trace(model)
    n = len(_layer_nodes(gm))
    ks = list(range(n + 1)) if splits is None else [integer_in("split", k, 0, n) for k in splits]
    for b in bits:
        if b not in BITS:
            raise ValueError(f"bits must be in {BITS}; got {b!r}")
    with torch.no_grad():
        ref = model(x).argmax(1)
    rows = []
    for k in ks:
        sm = split_model(gm, k)
        with torch.no_grad():
            payload, full = sm.transmit(x)
            for b in (32, *bits):
                if b == 32 or not sm.sent:
                    out, nb = sm.tail(*payload), full
                else:
                    q = [quantize(t, b) for t in payload]
                    out, nb = sm.tail(*[v.dequantize() for v in q]), sum(v.nbytes for v in q)
                pred = out.argmax(1)
                rows.append({"split": k, "bits": b, "accuracy": float((pred == y).float().mean()),
                             "agreement": float((pred == ref).float().mean()),
                             "bytes_per_sample": nb / len(x),
                             "fp32_bytes_per_sample": full / len(x)})
    df = pd.DataFrame(rows)
    df["reduction"] = np.where(df["bytes_per_sample"] > 0,
                               df["fp32_bytes_per_sample"] / df["bytes_per_sample"].where(
                                   df["bytes_per_sample"] > 0, 1.0), 1.0)
    return df


def lossy_split_costs(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None = None,
    bits: int = 8,
) -> SplitCosts:
    """:func:`edgelab.hardware.cost.split_costs` with the crossing activation quantised to ``bits``
    (JALAD [81], Ko et al. [83]; seed 003 §V-C.2); ``bits = 32`` is the lossless original.

    The uplink carries ``ceil(bytes · bits / 32)`` plus 8 bytes (min and max) per cut, assuming
    float32 activations; encoding on the device and decoding on the server are charged one pass
    over the activation at each side's effective memory bandwidth. Energy follows the same
    terms (active power while encoding, idle while the server decodes, radio power on the air).
    """
    sc = split_costs(profile, device, server, link, bandwidth_mbps)
    if bits == 32:
        return sc
    if bits not in BITS:
        raise ValueError(f"bits must be 32 (no encoding) or one of {BITS}; got {bits!r}")
    dev, srv, lk = get_device(device), get_device(server), get_link(link)
    up, down = link_rates(lk, bandwidth_mbps)
    cut = profile.cut_bytes()
    new_up = np.where(cut > 0, np.ceil(cut * bits / 32.0) + 8.0, 0.0)
    passes = cut * (1.0 + bits / 32.0)
    # split 0 sends the raw input at its real encoding (uint8 pixels), not an fp32 activation:
    # nothing to quantise there
    new_up[0], passes[0] = cut[0], 0.0
    enc = passes / (dev.mem_bw_gbps * 1e9 * dev.mem_efficiency)
    dec = passes / (srv.mem_bw_gbps * 1e9 * srv.mem_efficiency)
    old_up_s = duty_cycled_time(air_time(sc.uplink_bytes, up[:, None]), lk.duty_cycle)
    new_air = air_time(new_up[None, :], up[:, None])
    new_up_s = duty_cycled_time(new_air, lk.duty_cycle)
    device_s = sc.device_s + enc[None, :]
    server_s = sc.server_s + dec[None, :]
    # the lossless transfer with the uplink's air time swapped (this order keeps the chapter's
    # recorded latencies bit for bit)
    transfer = sc.transfer_s - old_up_s + new_up_s
    rtt = np.where(np.arange(profile.n_layers + 1) < profile.n_layers, lk.rtt_ms / 1e3, 0.0)
    energy = device_energy(dev.active_power_w, device_s, lk, new_air,
                           air_time(sc.downlink_bytes, down[:, None]), rtt[None, :],
                           dev.idle_power_w, server_s + (new_up_s - new_air))
    shape = sc.latency_s.shape
    return SplitCosts(device_s=device_s, transfer_s=transfer, server_s=server_s,
                      latency_s=device_s + transfer + server_s, device_energy_j=energy,
                      uplink_bytes=np.broadcast_to(new_up, shape),
                      downlink_bytes=sc.downlink_bytes, bandwidth_mbps=sc.bandwidth_mbps)


def jalad_plan(
    profile: Profile,
    device: Device | str,
    server: Device | str,
    link: Link | str,
    bandwidth_mbps: float | np.ndarray | None,
    accuracy: pd.DataFrame,
    max_drop: float = 0.01,
) -> pd.DataFrame:
    """JALAD's decision: the split and bit width of least latency whose accuracy is within
    ``max_drop`` of the unencoded model's (JALAD [81]; seed 003 §V-C.2, Table 4).

    ``accuracy`` is a :func:`jalad_accuracy` table covering every split ``0..n_layers`` (of the
    model ``profile`` describes). JALAD solves this as an integer linear programme; with one
    split and one bit width to choose, enumerating them all is exact. One row per bandwidth,
    with the lossless Neurosurgeon optimum (``split_fp32``, ``latency_fp32_s``) beside it.
    """
    positive("max_drop", max_drop, allow_zero=True)
    n = profile.n_layers
    need = {"split", "bits", "accuracy"}
    if not need <= set(accuracy.columns):
        raise ValueError(f"accuracy must be a jalad_accuracy() table with columns {sorted(need)}")
    acc = accuracy.set_index(["split", "bits"])["accuracy"]
    missing = [k for k in range(n + 1) if (k, 32) not in acc.index]
    if missing:
        raise ValueError(f"accuracy table lacks splits {missing[:5]} (the model has {n} layers: "
                         "measure every split 0..n_layers with jalad_accuracy)")
    base = float(acc.loc[(n, 32)])
    bits_list = sorted({int(b) for b in accuracy["bits"]}, reverse=True)
    lats, oks = [], []
    for b in bits_list:
        sc = lossy_split_costs(profile, device, server, link, bandwidth_mbps, b)
        a = np.array([acc.get((k, b), np.nan) for k in range(n + 1)], dtype=float)
        a[n] = base  # nothing is sent at k = n
        oks.append(np.nan_to_num(a, nan=-1.0) >= base - max_drop)
        lats.append(sc.latency_s)
    lat = np.where(np.array(oks)[:, None, :], np.array(lats), np.inf)  # (nb, B, L+1)
    nb_, b_, m_ = lat.shape
    flat = lat.transpose(1, 0, 2).reshape(b_, -1).argmin(axis=1)
    bi, k = np.divmod(flat, m_)
    rows = np.arange(b_)
    fp32 = lats[bits_list.index(32)] if 32 in bits_list else split_costs(
        profile, device, server, link, bandwidth_mbps).latency_s
    return pd.DataFrame({
        "bandwidth_mbps": np.atleast_1d(split_costs(profile, device, server, link,
                                                    bandwidth_mbps).bandwidth_mbps),
        "split": k, "bits": np.array(bits_list)[bi],
        "accuracy": [float(base if kk == n else acc.loc[(kk, bits_list[bb])])
                     for kk, bb in zip(k, bi, strict=True)],
        "latency_s": lat[bi, rows, k],
        "split_fp32": fp32.argmin(axis=1), "latency_fp32_s": fp32.min(axis=1),
        "all_device_s": fp32[:, n], "all_server_s": fp32[:, 0],
    })


def stand_in_accuracy(models: Sequence[str], seed: int = 0, epochs: int = 20,
                      lr: float = 0.002, bits: Sequence[int] = (8,)) -> dict[str, pd.DataFrame]:
    """JALAD's accuracy cost measured, per zoo model, on its digits-trained stand-in (JALAD [81];
    seed 003 §V-C.2).

    Each name of ``models`` must have a stand-in in :data:`edgelab.models.DIGITS_STAND_INS`
    with the same layer chain (so split ``k`` is the same place in both); the stand-in is trained
    with :func:`train_digits_model` and measured with :func:`jalad_accuracy` at every split and
    bit width of ``bits`` (plus 32). Returns ``{model: table}`` for :func:`jalad_speedups`.
    """
    from edgelab import models as zoo

    out = {}
    for name in models:
        if name not in zoo.DIGITS_STAND_INS:
            raise ValueError(f"models: no digits stand-in for {name!r} "
                             f"(have {sorted(zoo.DIGITS_STAND_INS)})")
        stand_in = zoo.DIGITS_STAND_INS[name]
        net, xte, yte = train_digits_model(stand_in, seed=seed, epochs=epochs, lr=lr)
        out[name] = jalad_accuracy(net, xte, yte, bits=[b for b in bits if b != 32])
    return out


def accuracy_drop(table: pd.DataFrame, bits: int = 8) -> float:
    """The largest accuracy loss, over splits, of encoding the activation with ``bits`` against
    the unsplit fp32 model, in a :func:`jalad_accuracy` table (JALAD [81]; seed 003 §V-C.2)."""
    if bits not in set(table["bits"]):
        raise ValueError(f"bits: the table has no rows for {bits!r} (has {sorted(set(table['bits']))})")
    n = int(table["split"].max())
    base = float(table.set_index(["split", "bits"]).loc[(n, 32), "accuracy"])
    return float(base - table.loc[(table["bits"] == bits) & (table["split"] < n), "accuracy"].min())


def jalad_speedups(models: Sequence[str], device: str, server: str, link: str,
                   bandwidth_mbps: np.ndarray, accuracy: Mapping[str, pd.DataFrame],
                   bits: Sequence[int] = (32, 8), max_drop: float = 0.01) -> pd.DataFrame:
    """JALAD's latency side on the zoo's large models, within a measured accuracy budget
    (JALAD [81]; seed 003 §V-C.2, Table 4).

    ``accuracy[model]`` is the :func:`jalad_accuracy` table of a network with the model's layer
    chain (e.g. from :func:`stand_in_accuracy`); a model without one, or a table without every
    split or bit width of ``bits``, raises. For every model, :func:`jalad_plan` over the
    bandwidth grid with the split and bit width (of ``bits``) of least latency whose accuracy is
    within ``max_drop`` of the unsplit fp32 model's; ``speedup`` is the better of all-on-device
    and all-on-server (fp32) ÷ the plan's latency. One block of rows per model (``model``).
    """
    rows = []
    for name in models:
        if name not in accuracy:
            raise ValueError(f"accuracy: no measured table for model {name!r} (measure one with "
                             "stand_in_accuracy or jalad_accuracy; nothing is assumed lossless)")
        pm = profile_model(name)
        table = accuracy[name]
        have = set(zip(table["split"], table["bits"], strict=True))
        lack = [(k, b) for b in bits for k in range(pm.n_layers + 1) if (k, b) not in have]
        if lack or int(table["split"].max()) != pm.n_layers:
            raise ValueError(f"accuracy: the table for {name!r} must cover splits 0..{pm.n_layers} "
                             f"at bits {tuple(bits)} (lacks {lack[:3]}, last split "
                             f"{int(table['split'].max())})")
        plan = jalad_plan(pm, device, server, link, bandwidth_mbps,
                          table[table["bits"].isin(list(bits))], max_drop=max_drop)
        base = np.minimum(plan["all_device_s"], plan["all_server_s"])
        rows.append(plan.assign(model=name, speedup=base / plan["latency_s"]))
    return pd.concat(rows)
