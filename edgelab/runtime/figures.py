"""The issue's figures in one command: every split of a chain and a DAG zoo model over a
bandwidth sweep, measured against the cost model, and the two shapers' throughput side by side
(seed 003 §V-C.2; seed 001 §II-B).

    python -m edgelab.runtime.figures [--quick] [--out DIR]

prints, per model, the share of points at ≥ 1 Mbit/s within ±20 %, whether the measured best
split agrees with the predicted one at every bandwidth, the median serialisation term and the
median error by split region; then the user-space against the kernel tbf throughput (root
only). ``--out`` writes the rows as CSV. Measured times depend on the machine's load: rerun
on a quiet machine for the figures of record.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from edgelab.runtime.kernel import kernel_shaper_missing, kernel_throughput_mbps, throughput_mbps
from edgelab.runtime.measure import Emulation, emulate_splits, host_device

__all__ = ["CHAIN", "DAG", "FULL", "QUICK", "run_figures", "summary", "main"]

#: the chain and the DAG of the zoo: a sub-millisecond chain and a DAG of a few ms on this CPU
#: (one thread). The zoo's chains of tens of ms (AlexNet) send up to 1.2 MB per cut, too slow to
#: sweep every split at 1 Mbit/s; compute is the calibrated half, the network the unchecked one.
CHAIN, DAG = "digits_vgg16", "mobilenet_v2_0.3_r80"
#: sweep settings: bandwidths (Mbit/s), repeats, and every ``stride``-th split (1 = all)
FULL = {"bandwidths": [1.0, 4.0, 16.0, 64.0], "repeats": 5, "stride": 1}
QUICK = {"bandwidths": [2.0, 32.0], "repeats": 2, "stride": 8}


def _splits(model: str, stride: int) -> list[int]:
    from edgelab.hardware.profile import profile_model

    n = profile_model(model).n_layers
    return sorted(set(range(0, n + 1, stride)) | {n})


def run_figures(quick: bool = False, link: str = "4g", models: tuple[str, ...] = (CHAIN, DAG),
                seed: int = 0) -> dict[str, Emulation]:
    """Run the sweep of every model (seed 003 §V-C.2); quick mode strides over the splits."""
    cfg = QUICK if quick else FULL
    dev = host_device(list(models))
    return {m: emulate_splits(m, link, cfg["bandwidths"], _splits(m, cfg["stride"]),
                              repeats=cfg["repeats"], seed=seed, device=dev) for m in models}


def summary(em: Emulation) -> dict[str, object]:
    """The headline figures of one sweep (seed 003 §V-C.2)."""
    r = em.rows
    off = r[r["uplink_bytes"] > 0]
    return {"model": em.model, "link": em.link, "points": len(r),
            "within_20pct": em.within_20pct, "best_split_agrees": em.best_split_agrees,
            "median_abs_error": float(r["error"].abs().median()),
            "median_error_offloaded": float(off["error"].median()) if len(off) else float("nan"),
            "median_serialise_ms": float(off["serialise_s"].median() * 1e3) if len(off) else 0.0,
            "serialise_share_of_measured": float((off["serialise_s"] / off["measured_s"]).median())
            if len(off) else 0.0}


def main(argv: list[str] | None = None) -> int:
    """``python -m edgelab.runtime.figures``: see the module docstring."""
    p = argparse.ArgumentParser(prog="python -m edgelab.runtime.figures")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--link", default="4g")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    ems = run_figures(a.quick, a.link)
    for m, em in ems.items():
        print(pd.Series(summary(em)).to_string())
        print(em.best.to_string(index=False))
        if a.out is not None:
            a.out.mkdir(parents=True, exist_ok=True)
            em.rows.to_csv(a.out / f"{m}.csv", index=False)
        print()
    why = kernel_shaper_missing()
    rates = [4.0, 16.0, 64.0]
    if why is None:
        kern = kernel_throughput_mbps(rates, nbytes=1_000_000)
        user = [throughput_mbps(r, nbytes=1_000_000) for r in rates]
        print(pd.DataFrame({"rate_mbps": rates, "user_mbps": user, "kernel_tbf_mbps": kern,
                            "user_over_kernel": [u / k for u, k in zip(user, kern, strict=True)]}
                           ).to_string(index=False))
    else:
        print(f"kernel cross-check not run: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
