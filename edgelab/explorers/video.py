"""The caching explorer: Cachier's latency against cache size, request skew and the WAN link,
and FoggyCache's reuse threshold (seed 003 §V-C.4).

A thin front end over :mod:`edgelab.inference.caching`. Sliders: the edge cache size, the Zipf
exponent of the requests and FoggyCache's distance threshold; a menu: the WAN link. It shows
Cachier's expected latency curve with the chosen size marked, and FoggyCache's hit rate and
accuracy at the chosen threshold on a small stream. ``explorer.result`` holds the numbers
(computed headless with ``draw=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelab.explorers.base import Explorer
from edgelab.inference import caching as ca
from edgelab.streams import VideoStream, zipf_probabilities

#: catalogue of objects behind the Cachier curve
CATALOGUE = 1000


class CacheExplorer(Explorer):
    """Explore cache size × request skew × threshold (seed 003 §V-C.4)."""

    def __init__(self, stream: VideoStream, predictions: np.ndarray, size: int = 100,
                 zipf_s: float = 1.0, threshold: float = 1.5, wan: str = "wan", *,
                 draw: bool = True) -> None:
        import ipywidgets as w

        self.stream, self.predictions = stream, np.asarray(predictions)
        self.draw_figures = draw
        self.size = w.IntSlider(value=size, min=0, max=CATALOGUE, step=10,
                                description="cache size", continuous_update=False)
        self.zipf_s = w.FloatSlider(value=zipf_s, min=0.0, max=2.5, step=0.1,
                                    description="skew (Zipf)", continuous_update=False)
        self.threshold = w.FloatSlider(value=threshold, min=0.0, max=5.0, step=0.25,
                                       description="threshold", continuous_update=False)
        self.wan = w.Dropdown(options=["wan", "4g", "3g", "5g"], value=wan, description="WAN link")
        self.output = w.Output()
        self.summary = w.HTML()
        self.controls = (self.size, self.zipf_s, self.threshold, self.wan)
        self.widget = w.VBox([self.size, self.zipf_s, self.threshold, self.wan, self.summary,
                              self.output])
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.start()

    def compute(self) -> None:
        """Cachier's curve and optimum, and one FoggyCache run, at the controls (§V-C.4)."""
        costs = ca.cache_costs(wan=str(self.wan.value))
        p = zipf_probabilities(CATALOGUE, float(self.zipf_s.value))
        curve = ca.cachier_curve(p, np.arange(0, CATALOGUE + 1, 10), costs)
        here = ca.cachier_curve(p, np.array([int(self.size.value)]), costs).iloc[0]
        s = self.stream
        fog = ca.approximate_cache(s.frames, self.predictions, s.labels, 30,
                                   float(self.threshold.value), costs, k=3)
        self.result = {"curve": curve, "best": ca.cachier_optimum(p, costs),
                       "latency_s": float(here["latency_s"]), "hit_rate": float(here["hit_rate"]),
                       "foggy_hit_rate": fog.hit_rate, "foggy_accuracy": fog.accuracy,
                       "foggy_latency_reduction": fog.latency_reduction}

    def describe(self) -> str:
        """The chosen size's latency against the optimum, and FoggyCache's reuse (§V-C.4)."""
        r = self.result
        b = r["best"]
        return (f"Cachier: {1e3 * r['latency_s']:.1f} ms at {int(self.size.value)} objects "
                f"(hit rate {r['hit_rate']:.0%}); best {1e3 * b.latency_s:.1f} ms at {b.size}. "
                f"FoggyCache: hit rate {r['foggy_hit_rate']:.0%}, accuracy "
                f"{r['foggy_accuracy']:.1%}, latency ÷{r['foggy_latency_reduction']:.1f}")

    def figure(self) -> Any:
        """Cachier's latency curve with the chosen and best sizes (seed 003 §V-C.4)."""
        import matplotlib.pyplot as plt

        r = self.result
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        ax.plot(r["curve"]["size"], 1e3 * r["curve"]["latency_s"], label="expected latency")
        ax.axvline(int(self.size.value), color="tab:orange", label="chosen size")
        ax.axvline(r["best"].size, color="grey", ls=":", label="best size")
        ax.set_xlabel("edge cache size (objects)")
        ax.set_ylabel("latency per request (ms)")
        ax.legend()
        fig.tight_layout()
        return fig
