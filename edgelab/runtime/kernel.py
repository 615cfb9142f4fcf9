"""The kernel shaper: ``tc qdisc ... tbf`` on the loopback of a private network namespace, the
cross-check of the user-space link where root is available (seed 001 §II-B).

``unshare -n`` gives a process a network namespace of its own whose ``lo`` nobody else uses;
there ``tc qdisc add dev lo root tbf rate R burst B latency L`` shapes every byte both ways.
What was checked on this machine (issue 17): the burst must be at least ``lo``'s 64 KiB MTU or
TCP stalls; ``netem`` does not exist on this kernel, so delay, jitter and loss stay in user space.
Only root may do this: without root (or without ``tc``/``unshare``) asking for the kernel
shaper raises :class:`KernelShaperUnavailable` naming what is missing, and the caller falls
back to the user-space link only when told to.

:func:`throughput_mbps` measures one bulk transfer over 127.0.0.1 through either shaper: a
sender thread and a receiver in the same process (the shaping is what is measured, not torch).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

from edgelab.errors import EdgelabError
from edgelab.runtime.framing import recv_exact
from edgelab.runtime.link import ShapedSender

__all__ = ["MIN_BURST_BYTES", "KernelShaperUnavailable", "kernel_shaper_missing",
           "check_kernel_shaper", "throughput_mbps", "kernel_throughput_mbps"]

#: the tbf burst must hold at least one 64 KiB loopback packet or TCP stalls (issue 17)
MIN_BURST_BYTES = 64 * 1024 + 1024


class KernelShaperUnavailable(EdgelabError, RuntimeError):
    """The kernel ``tbf`` shaper was asked for where it cannot run (not root, no ``tc`` or no
    ``unshare``)."""


def kernel_shaper_missing() -> str | None:
    """Why the kernel shaper cannot run here, or ``None`` when it can (seed 001 §II-B)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the kernel shaper needs root (tc in a private network namespace); " \
               "use the user-space link (--shaper user) or pass --fallback"
    for tool in ("tc", "unshare"):
        if shutil.which(tool) is None:
            return f"the kernel shaper needs the `{tool}` command, which is not installed"
    return None


def check_kernel_shaper() -> None:
    """Raise :class:`KernelShaperUnavailable` with the reason when the kernel shaper cannot run."""
    why = kernel_shaper_missing()
    if why is not None:
        raise KernelShaperUnavailable(why)


def _bulk(nbytes: int, send: object, timeout_s: float) -> float:
    """Seconds to move ``nbytes`` over a fresh 127.0.0.1 connection, first byte sent to last
    byte received; ``send(sock, data)`` is the sender's send."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(timeout_s)
    data = bytes(nbytes)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with socket.create_connection(srv.getsockname(), timeout=timeout_s) as c:
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                send(c, data)  # type: ignore[operator]
                recv_exact(c, 1, time.monotonic() + timeout_s)  # the receiver's ack
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    try:
        conn, _ = srv.accept()
        with conn:
            deadline = time.monotonic() + timeout_s
            first = recv_exact(conn, 1, deadline)
            t0 = time.perf_counter()
            recv_exact(conn, nbytes - len(first), deadline)
            dt = time.perf_counter() - t0
            conn.sendall(b"k")
    finally:
        srv.close()
        th.join(timeout_s)
    if errors:
        raise errors[0]
    return dt


def throughput_mbps(rate_mbps: float, nbytes: int = 2_000_000, timeout_s: float = 60.0) -> float:
    """Goodput in Mbit/s of one bulk transfer through the user-space link at ``rate_mbps``
    (no delay; seed 001 §II-B)."""
    sender = ShapedSender(rate_mbps, 0.0)
    dt = _bulk(nbytes, sender.send, timeout_s)
    return (nbytes - 1) * 8 / dt / 1e6


def _tc(*args: str) -> None:
    subprocess.run(["tc", *args], check=True, capture_output=True, timeout=10)


def _namespace_main(rates: list[float], nbytes: int, timeout_s: float) -> None:
    """Inside ``unshare -n``: bring up ``lo``, shape it with tbf at each rate, measure."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True, timeout=10)
    out = []
    for r in rates:
        _tc("qdisc", "replace", "dev", "lo", "root", "tbf", "rate", f"{r}mbit",
            "burst", str(MIN_BURST_BYTES), "latency", "400ms")
        try:
            dt = _bulk(nbytes, lambda s, d: s.sendall(d), timeout_s)
        finally:
            _tc("qdisc", "del", "dev", "lo", "root")
        out.append((nbytes - 1) * 8 / dt / 1e6)
    sys.stdout.write(json.dumps(out) + "\n")


def kernel_throughput_mbps(rates: list[float], nbytes: int = 2_000_000,
                           timeout_s: float = 60.0) -> list[float]:
    """Goodput in Mbit/s of one bulk transfer through the kernel ``tbf`` shaper at each rate,
    measured in a private network namespace (seed 001 §II-B). Raises
    :class:`KernelShaperUnavailable` without root, ``tc`` or ``unshare``."""
    check_kernel_shaper()
    code = ("import json,sys; from edgelab.runtime.kernel import _namespace_main; "
            "a=json.loads(sys.argv[1]); _namespace_main(a['rates'], a['nbytes'], a['timeout'])")
    arg = json.dumps({"rates": [float(r) for r in rates], "nbytes": int(nbytes),
                      "timeout": float(timeout_s)})
    from edgelab.runtime.server import child_env

    env = child_env()
    res = subprocess.run(["unshare", "-n", sys.executable, "-c", code, arg], capture_output=True,
                         text=True, timeout=timeout_s * (len(rates) + 1) + 60, env=env)
    if res.returncode != 0:
        raise KernelShaperUnavailable(f"the kernel shaper failed: {res.stderr.strip()[-300:]}")
    return [float(v) for v in json.loads(res.stdout.strip().splitlines()[-1])]
