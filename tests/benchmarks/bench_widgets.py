"""Benchmark (printed, not a timed test): compute per update of the levels explorer.

Run: ``PYTHONPATH=. python tests/benchmarks/bench_widgets.py``. Target: median ≤ 50 ms per
update (seed 003 §III-B explorer). Drawing (matplotlib) is reported apart.
"""

from __future__ import annotations

import statistics
import time

import matplotlib
import numpy as np

matplotlib.use("Agg")

from edgelab import levels  # noqa: E402
from edgelab.explorers.levels import LevelsExplorer  # noqa: E402


def _median_ms(fn, values) -> float:  # noqa: ANN001
    times = []
    for v in values:
        t = time.perf_counter()
        fn(v)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _render(ex: LevelsExplorer) -> None:
    import matplotlib.pyplot as plt

    fig = ex.figure()
    fig.canvas.draw()  # rasterise, as the notebook's PNG display does
    plt.close(fig)


def main() -> None:
    """Print the median compute per update for bandwidth moves and dropdown changes."""
    for model in ("alexnet", "vgg16", "mobilenet_v2", "googlenet"):
        ex = LevelsExplorer(levels.Scenario(model=model), draw=False)
        bws = np.logspace(-1, 4, 41)
        bw_ms = _median_ms(lambda b, ex=ex: setattr(ex.bandwidth, "value", float(b)), bws)
        devs = ["rpi4", "jetson-nano", "snapdragon-845", "snapdragon-8gen2", "laptop-cpu"] * 3
        dev_ms = _median_ms(lambda d, ex=ex: setattr(ex.device, "value", d), devs)
        draw_ms = _median_ms(lambda _, ex=ex: _render(ex), range(5))
        ok = "ok" if max(bw_ms, dev_ms) <= 50 else "OVER"
        print(f"{model:14s} compute/update median: bandwidth move {bw_ms:6.1f} ms, "
              f"device change (re-sweeps {ex.grid_mbps.size} bandwidths) {dev_ms:6.1f} ms "
              f"[target ≤ 50 ms: {ok}]; matplotlib figure + render {draw_ms:6.0f} ms")


if __name__ == "__main__":
    main()
