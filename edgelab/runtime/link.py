"""The user-space link: a token bucket and a delay queue in the sender (seed 001 §II-B).

The cost model prices a transfer as ``RTT + bytes / bandwidth`` (:func:`edgelab.hardware.cost.
transfer_time`). A :class:`ShapedSender` makes a real TCP send behave like that link without
root: each message waits its one-way delay (half the RTT, plus seeded uniform jitter), then its
bytes are released in chunks, each no earlier than the instant its last bit would have left a
link of that bandwidth (:func:`edgelab.hardware.cost.air_time`: no burst), and each lost
segment (seeded Bernoulli per 1448-byte TCP segment) costs one more RTT, the time of a fast
retransmit. Binder and JupyterLab users are not root, so this is the default; the kernel
``tbf`` shaper of :mod:`edgelab.runtime.kernel` is the cross-check where root is available.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, replace

import numpy as np

from edgelab._validate import positive
from edgelab.errors import ParameterError
from edgelab.hardware.catalog import get_link
from edgelab.hardware.cost import air_time

__all__ = ["MSS_BYTES", "LinkSpec", "link_spec", "ShapedSender"]

#: TCP payload per segment on a 1500-byte MTU path (the unit a loss costs)
MSS_BYTES = 1448
#: bytes handed to the kernel at a time by the pacer
CHUNK_BYTES = 4096


@dataclass(frozen=True)
class LinkSpec:
    """An emulated link (seed 001 §II-B): rates in Mbit/s, RTT and jitter in s, loss per segment."""

    name: str
    uplink_mbps: float
    downlink_mbps: float
    rtt_s: float
    jitter_s: float = 0.0
    loss: float = 0.0

    def __post_init__(self) -> None:
        positive("bandwidth_mbps", self.uplink_mbps)
        positive("bandwidth_mbps", self.downlink_mbps)
        positive("rtt_s", self.rtt_s, allow_zero=True)
        positive("jitter_s", self.jitter_s, allow_zero=True)
        if not 0.0 <= float(self.loss) < 1.0:
            raise ParameterError(f"loss must be in [0, 1) (share of segments lost), "
                                 f"got {self.loss!r}")

    def at(self, bandwidth_mbps: float) -> LinkSpec:
        """The same link at a symmetric bandwidth (Mbit/s, > 0)."""
        bw = positive("bandwidth_mbps", bandwidth_mbps)
        return replace(self, uplink_mbps=bw, downlink_mbps=bw)


def link_spec(name: str, bandwidth_mbps: float | None = None, jitter_s: float = 0.0,
              loss: float = 0.0) -> LinkSpec:
    """The emulated link of a catalog link (``data/links.csv``; seed 001 §II-B), optionally at
    a symmetric ``bandwidth_mbps``. Unknown names raise the catalog's error listing the valid
    ones. A duty-cycled link (LoRa) is refused: its enforced silence is not a TCP behaviour."""
    lk = get_link(name)
    if lk.duty_cycle < 1.0:
        raise ParameterError(f"link must have no duty cycle to be emulated over TCP; {name!r} has "
                         f"duty_cycle={lk.duty_cycle}")
    spec = LinkSpec(lk.name, lk.uplink_mbps, lk.downlink_mbps, lk.rtt_ms / 1e3, jitter_s, loss)
    return spec if bandwidth_mbps is None else spec.at(bandwidth_mbps)


class ShapedSender:
    """Send whole messages over a socket as a link of ``rate_mbps`` with one-way delay
    ``delay_s`` would deliver them (seed 001 §II-B). Seeded: the same seed gives the same jitter
    and losses."""

    def __init__(self, rate_mbps: float, delay_s: float, jitter_s: float = 0.0,
                 loss: float = 0.0, rtt_s: float | None = None, seed: int = 0) -> None:
        self.rate_mbps = positive("bandwidth_mbps", rate_mbps)
        self.delay_s = positive("delay_s", delay_s, allow_zero=True)
        self.jitter_s = positive("jitter_s", jitter_s, allow_zero=True)
        if not 0.0 <= float(loss) < 1.0:
            raise ParameterError(f"loss must be in [0, 1) (share of segments lost), got {loss!r}")
        self.loss = float(loss)
        self.rtt_s = 2 * self.delay_s if rtt_s is None else float(rtt_s)
        self.rng = np.random.default_rng(seed)
        self.sent_bytes = 0

    def _start_delay(self) -> float:
        if self.jitter_s == 0:
            return self.delay_s
        return max(0.0, self.delay_s + float(self.rng.uniform(-self.jitter_s, self.jitter_s)))

    def send(self, sock: socket.socket, data: bytes) -> float:
        """Send ``data`` paced by the link; returns the seconds spent (seed 001 §II-B)."""
        t_call = time.monotonic()
        t0 = t_call + self._start_delay()
        view = memoryview(data)
        sent = 0
        while sent < len(data):
            n = min(CHUNK_BYTES, len(data) - sent)
            if self.loss > 0:
                lost = int(self.rng.binomial(-(-n // MSS_BYTES), self.loss))
                t0 += lost * self.rtt_s
            release = t0 + float(air_time(sent + n, self.rate_mbps))
            wait = release - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sock.sendall(view[sent:sent + n])
            sent += n
        if not data:
            wait = t0 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self.sent_bytes += len(data)
        return time.monotonic() - t_call
