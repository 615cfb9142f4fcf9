"""Benchmark (printed, not a timed test): the catalog devices against published measured
latency (seed 003 §III-B; ``edgelab validate``).

Run: ``PYTHONPATH=. python tests/benchmarks/bench_validate.py``. Prints, per device and overall,
the median predicted/measured ratio and the shares within 1.5× and 2×, for the catalog as it
is (raw) and for the per-setup fits that leave each pair out (loo), then each target of
:data:`edgelab.hardware.validate.TARGETS` with its verdict, and the fitted scale ``a`` and
per-inference cost ``b`` of every setup. Every figure is a ratio or a share; nothing is timed.
"""

from __future__ import annotations

from edgelab.hardware.validate import TARGETS, validate


def main() -> None:
    """Print the validate figures (seed 003 §III-B)."""
    rep = validate()
    cols = ["device", "pairs", "median_ratio", "within_1_5x", "within_2x", "loo_median_ratio",
            "loo_within_1_5x", "loo_within_2x", "uncovered"]
    print(rep.by_device[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    s = rep.summary
    print(f"\nall: {s['pairs']} pairs on {s['devices']} devices")
    print(f"  raw: median ratio {s['median_ratio']:.3f}, within 1.5x {s['within_1_5x']:.3f}, "
          f"within 2x {s['within_2x']:.3f}")
    print(f"  loo: median ratio {s['loo_median_ratio']:.3f}, within 1.5x "
          f"{s['loo_within_1_5x']:.3f}, within 2x {s['loo_within_2x']:.3f} "
          f"({s['uncovered']} pair(s) without a leave-one-out prediction)")
    met = rep.meets_targets()
    for k, (op, v) in TARGETS.items():
        print(f"  target {k} {op} {v}: {s[k]:.3f} -> {'met' if met[k] else 'NOT met'}")
    print("\nper setup, fitted on all its pairs: t = a * raw + b")
    print(rep.setups.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
