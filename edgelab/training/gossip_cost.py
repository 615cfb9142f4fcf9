"""The cost of one gossip exchange and one all-reduce, from the cost model (torch-free).

Seed 003 §IV-C.6 (gossip training) and §IV-A.2. Composes
:func:`edgelab.hardware.cost.transfer_time` (round trip + bytes over bandwidth): a gossip
exchange with ``peers`` partners sends ``peers`` models one after another on one full-duplex
network card, a ring all-reduce takes ``2(n-1)`` steps of ``1/n`` of the model. No torch here,
so :mod:`edgelab.levels` (which runs in a browser) can price Level 5's gossip.
"""

from __future__ import annotations

import math

from edgelab._validate import integer_in, positive
from edgelab.hardware.cost import transfer_time

__all__ = ["allreduce_time", "gossip_exchange_time", "gossip_crossover_bytes"]


def allreduce_time(nbytes: float, n: int, bandwidth_mbps: float, rtt_s: float) -> float:
    """Seconds of one ring all-reduce of ``nbytes`` over ``n`` nodes: ``2(n-1)`` steps, each one
    message of ``nbytes / n`` (:func:`edgelab.hardware.cost.transfer_time`) (seed 003 §IV-C.6)."""
    n = integer_in("n", n, 2, 10**6)
    return float(2 * (n - 1) * transfer_time(nbytes / n, bandwidth_mbps, rtt_s))


def gossip_exchange_time(nbytes: float, peers: int, bandwidth_mbps: float, rtt_s: float) -> float:
    """Seconds of one gossip exchange: ``peers`` messages of ``nbytes`` one after another on one
    full-duplex NIC, one round trip (:func:`edgelab.hardware.cost.transfer_time`) (seed 003 §IV-C.6)."""
    peers = integer_in("peers", peers, 1, 10**6)
    return float(transfer_time(peers * nbytes, bandwidth_mbps, rtt_s))


def gossip_crossover_bytes(n: int, peers: int, bandwidth_mbps: float, rtt_s: float) -> float:
    """Model size (bytes) above which a ``peers``-partner gossip exchange takes longer than a ring
    all-reduce over ``n`` nodes; ``inf`` when gossip is faster at every size (``peers ≤ 2(n-1)/n``).

    Solves ``rtt + peers·d/B = 2(n-1)·(rtt + d/(n·B))`` for ``d`` (seed 003 §IV-C.6).
    """
    n = integer_in("n", n, 2, 10**6)
    peers = integer_in("peers", peers, 1, 10**6)
    bps = positive("bandwidth_mbps", bandwidth_mbps) * 1e6 / 8
    per_byte = peers - 2 * (n - 1) / n
    if per_byte <= 0:
        return math.inf
    return float((2 * (n - 1) - 1) * positive("rtt_s", rtt_s, allow_zero=True) * bps / per_byte)
