"""A small runtime that really sends the activation: split inference and federated rounds over
TCP on 127.0.0.1 through a shaped link, measured beside the cost model (seed 003 §V-C.2, §IV-B;
seed 001 §II-B for the links).

* :mod:`.framing`: the wire format (length-prefixed frames of raw tensor bytes; no pickle);
* :mod:`.link`: the user-space link (token bucket and delay queue in the sender), the default;
* :mod:`.kernel`: the kernel ``tbf`` shaper in a private network namespace (root only);
* :mod:`.server`: the server process (tail of a split model), bounded waits, fault isolation;
* :mod:`.measure`: every split over a bandwidth sweep, measured against :func:`split_costs`;
* :mod:`.federated`: one federated round for real (server and client processes).

The layer: above ``inference`` and ``training`` (it runs their partitions and rounds) and below
``levels`` (nothing above needs it but the CLI and the chapter).
"""

from __future__ import annotations

from edgelab.runtime.framing import FrameError
from edgelab.runtime.kernel import KernelShaperUnavailable, kernel_shaper_missing
from edgelab.runtime.link import LinkSpec, ShapedSender, link_spec

__all__ = ["FrameError", "KernelShaperUnavailable", "kernel_shaper_missing", "LinkSpec",
           "ShapedSender", "link_spec"]
