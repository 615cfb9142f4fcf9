"""The upload explorer of chapter 01: how long a payload takes to reach the edge and the cloud.

Seed 001 §II-B (advantages of edge computing: low latency) and seed 003 §III-A (why edge
intelligence): pick an access link (device<->edge) and a payload size; the explorer shows the
upload time to an edge server (the access link) and to the cloud (the access link plus the WAN
at its own bandwidth), and what share of the edge time is the round trip. Small payloads are
RTT-bound, large ones bandwidth-bound; the figure sweeps the payload size to show the crossover.

Every number comes from :func:`edgelab.hardware.cost.transfer_time` over the link catalog
(:func:`upload_times_to`, a small pure function); :class:`UploadExplorer` is its thin ipywidgets
front end, a subclass of :class:`edgelab.explorers.base.Explorer`, testable headless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgelab.explorers.base import Explorer
from edgelab.hardware import cost
from edgelab.hardware.catalog import get_link, link_names

__all__ = ["UploadTimes", "access_links", "upload_times_to", "UploadExplorer",
           "KILOBYTES_MIN", "KILOBYTES_MAX"]

#: range of the payload-size slider and of the figure's sweep, kB (0.1 kB .. 10 MB)
KILOBYTES_MIN = 0.1
KILOBYTES_MAX = 10_000.0


@dataclass(frozen=True)
class UploadTimes:
    """Upload times of one payload over an access link, to the edge and on to the cloud."""

    link: str
    kilobytes: float
    edge_s: float
    cloud_s: float
    rtt_share: float

    def line(self) -> str:
        """One line of text: both times in ms and the RTT's share of the edge time."""
        return (f"{self.link}: edge {self.edge_s * 1e3:9.1f} ms  cloud {self.cloud_s * 1e3:9.1f} ms"
                f"  (RTT is {self.rtt_share:.0%} of the edge time)")


def access_links() -> list[str]:
    """Names of the catalog's device<->edge (``end-edge``) links (seed 001 §II-B)."""
    return [n for n in link_names() if get_link(n).tier_pair == "end-edge"]


def upload_times_to(link: str, kilobytes: float | np.ndarray,
                    wan: str = "wan") -> tuple[np.ndarray, np.ndarray]:
    """Seconds to upload ``kilobytes`` (kB, 1000 bytes) to the edge and to the cloud.

    The edge time is the access link's uplink time plus its RTT; the cloud time adds the WAN's
    (at its own bandwidth and RTT) after it (seed 001 §II-B, seed 003 §III-A). A duty-cycled
    link (LoRa, 1 %) holds the sender ``1 / duty_cycle`` times the air time
    (:func:`edgelab.hardware.cost.duty_cycled_time`). Broadcasts.
    """
    lk, wn = get_link(link), get_link(wan)
    b = np.asarray(kilobytes, dtype=float) * 1e3
    edge = cost.transfer_time(b, lk.uplink_mbps, lk.rtt_ms / 1e3, lk.duty_cycle)
    cloud = edge + cost.transfer_time(b, wn.uplink_mbps, wn.rtt_ms / 1e3, wn.duty_cycle)
    return edge, cloud


class UploadExplorer(Explorer):
    """Explore upload time to the edge and to the cloud by link and payload (seed 001 §II-B).

    ``n_sizes`` is the number of points of the payload-size sweep (and of the slider's steps);
    ``draw=False`` skips matplotlib (headless tests). ``times`` is the current
    :class:`UploadTimes`; ``sweep`` holds the edge and cloud times over the payload grid.
    """

    def __init__(self, link: str = "4g", kilobytes: float = 150.0, *, n_sizes: int = 25,
                 wan: str = "wan", draw: bool = True) -> None:
        import ipywidgets as w

        self.wan = wan
        self.draw_figures = draw
        lo, hi = np.log10(KILOBYTES_MIN), np.log10(KILOBYTES_MAX)
        self.sizes_kb = np.logspace(lo, hi, int(n_sizes))
        self.link = w.Dropdown(options=access_links(), value=link, description="link")
        self.kilobytes = w.FloatLogSlider(value=kilobytes, base=10, min=lo, max=hi,
                                          step=(hi - lo) / int(n_sizes), description="kB")
        self.summary = w.HTML()
        self.output = w.Output()
        self.controls = (self.link, self.kilobytes)
        self.widget = w.VBox([w.HBox([self.link, self.kilobytes]), self.summary, self.output])
        self.times: UploadTimes | None = None
        self.sweep: dict[str, np.ndarray] = {}
        self.start()

    def compute(self) -> None:
        """Recompute ``times`` at the chosen payload and ``sweep`` over the grid (§II-B)."""
        link, kb = self.link.value, float(self.kilobytes.value)
        edge, cloud = upload_times_to(link, kb, self.wan)
        edge_s, cloud_s = float(edge), float(cloud)
        rtt_s = get_link(link).rtt_ms / 1e3
        self.times = UploadTimes(link=link, kilobytes=kb, edge_s=edge_s, cloud_s=cloud_s,
                                 rtt_share=rtt_s / edge_s)
        e, c = upload_times_to(link, self.sizes_kb, self.wan)
        self.sweep = {"kilobytes": self.sizes_kb, "edge_s": e, "cloud_s": c}

    def describe(self) -> str:
        """The current times as one line of HTML (seed 001 §II-B)."""
        assert self.times is not None
        return f"<pre>{self.times.line()}</pre>"

    def figure(self) -> Any:
        """Upload time to the edge and the cloud against payload size, RTT marked (§II-B)."""
        import matplotlib.pyplot as plt

        t = self.times
        assert t is not None
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        ax.loglog(self.sweep["kilobytes"], self.sweep["edge_s"] * 1e3, label="to the edge")
        ax.loglog(self.sweep["kilobytes"], self.sweep["cloud_s"] * 1e3, label="to the cloud")
        ax.plot([t.kilobytes, t.kilobytes], [t.edge_s * 1e3, t.cloud_s * 1e3], "ko")
        ax.axhline(get_link(t.link).rtt_ms, color="grey", ls=":", lw=1, label=f"{t.link} RTT")
        ax.axvline(t.kilobytes, color="grey", ls="--", lw=0.8, gid="current-payload")
        ax.set(xlabel="payload (kB)", ylabel="upload time (ms)",
               title=f"upload over {t.link} (cloud: + {self.wan})")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig
