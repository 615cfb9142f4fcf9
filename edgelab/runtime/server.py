"""The server process: runs the tail of a split model (or aggregates a federated round) for any
client that connects on 127.0.0.1 (seed 003 §V-C.2, §IV-B).

Started by :func:`start_server` as ``python -m edgelab.runtime.server``; it prints ``PORT <n>``
on its first line of stdout once listening. One torch thread. Each connection is served by its
own thread, so a malformed or oversized frame, or a client that dies mid-frame, costs only that
connection: the server answers an error frame where it can, closes it and keeps serving the
others. Every wait is bounded: reads by ``--read-timeout``, the whole process by
``--idle-timeout`` without a connection, and it exits when its parent dies.

A request is a message whose first tensor is the float64 control vector
``[split, down_mbps, one_way_s, jitter_s, loss, seed]`` and the rest the tensors that cross the
cut (a ``uint8`` tensor is the raw image at ``split = 0``, scaled to ``[0, 1]``). The reply is
``[output, float64 [server_s, deserialise_s, serialise_s]]``, sent through a
:class:`~edgelab.runtime.link.ShapedSender` at the downlink's rate.
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from edgelab.errors import ParameterError
from edgelab.runtime.framing import (
    DEFAULT_MAX_FRAME_BYTES,
    FrameError,
    encode_message,
    read_message,
    send_error,
)
from edgelab.runtime.link import ShapedSender

__all__ = ["LOCALHOST", "ServerHandle", "child_env", "check_port_free", "start_server", "open_connection",
           "to_model_input"]

LOCALHOST = "127.0.0.1"
#: seconds a server waits for its first line to be read, and for its process to start
START_TIMEOUT_S = 120.0
N_CONTROL = 6


def to_model_input(t: torch.Tensor) -> torch.Tensor:
    """A received tensor as the model reads it: a ``uint8`` image scaled to ``[0, 1]`` floats,
    anything else unchanged (seed 003 §V-C.2: the raw input crosses at its real encoding)."""
    return t.float().div_(255.0) if t.dtype == torch.uint8 else t


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`ParameterError` naming ``port`` when it cannot be bound on ``host``."""
    if port == 0:
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, errno.EACCES):
            raise ParameterError(f"port must be free on {host}: {port} is in use "
                                 f"(pass --port 0 for any free port)") from None
        raise ParameterError(f"port {port} cannot be bound on {host}: {e.strerror}") from None
    finally:
        s.close()


def _listen(host: str, port: int) -> socket.socket:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind((host, port))
    srv.listen(16)
    srv.settimeout(0.5)
    return srv


class _SplitService:
    """The tails of every split of one zoo model, built once (seed 003 §V-C.2)."""

    def __init__(self, model: str, seed: int) -> None:
        from edgelab.inference.partition.execution import split_model
        from edgelab.models import build

        self.net = build(model, seed)
        self._split_model = split_model
        self._tails: dict[int, torch.nn.Module] = {}
        self.n_layers = len(split_model(self.net, 0).on_device)

    def tail(self, k: int) -> torch.nn.Module:
        if k not in self._tails:
            self._tails[k] = self._split_model(self.net, k).tail
        return self._tails[k]

    def handle(self, tensors: list[torch.Tensor], t_read: float) -> tuple[bytes, list[float]]:
        ctrl = tensors[0]
        if ctrl.dtype != torch.float64 or ctrl.shape != (N_CONTROL,):
            raise FrameError(f"request must start with a float64 control vector of {N_CONTROL}")
        k = int(ctrl[0])
        if not 0 <= k < self.n_layers or float(ctrl[0]) != k:
            raise FrameError(f"split must be an integer in [0, {self.n_layers - 1}] for the "
                             f"server, got {float(ctrl[0])}")
        t0 = time.perf_counter()
        with torch.no_grad():
            out = self.tail(k)(*[to_model_input(t) for t in tensors[1:]])
        t1 = time.perf_counter()
        reply_head = [out]
        timing = torch.tensor([t1 - t0, t_read, 0.0], dtype=torch.float64)
        t2 = time.perf_counter()
        data = encode_message(reply_head + [timing])
        ser = time.perf_counter() - t2
        timing[2] = ser
        data = encode_message(reply_head + [timing])  # same size: the timing tensor is fixed
        return data, [float(c) for c in ctrl[1:]]


def _serve_connection(conn: socket.socket, service: _SplitService, read_timeout_s: float,
                      max_frame_bytes: int, log: list[str]) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sender: ShapedSender | None = None
    try:
        while True:
            try:
                stats: dict[str, float] = {}
                tensors = read_message(conn, read_timeout_s, max_frame_bytes, stats)
            except FrameError as e:
                if "closed the connection with 0 of" not in str(e):
                    log.append(f"rejected: {e}")
                    send_error(conn, str(e))
                return
            try:
                data, (down, one_way, jitter, loss, seed) = service.handle(
                    tensors, stats["decode_s"])
            except (FrameError, RuntimeError, ValueError, TypeError) as e:
                log.append(f"rejected: {e}")
                send_error(conn, f"request rejected: {e}")
                return
            if sender is None or sender.rate_mbps != down or sender.delay_s != one_way:
                sender = ShapedSender(down, one_way, jitter, loss, seed=int(seed))
            sender.send(conn, data)
    except OSError as e:
        log.append(f"connection lost: {e}")
    finally:
        conn.close()


def serve(model: str, host: str, port: int, seed: int, read_timeout_s: float,
          idle_timeout_s: float, max_frame_bytes: int, out=sys.stdout) -> int:
    """Listen on ``host:port`` and serve split requests until idle (seed 003 §V-C.2)."""
    torch.set_num_threads(1)
    service = _SplitService(model, seed)
    parent = os.getppid()
    srv = _listen(host, port)
    out.write(f"PORT {srv.getsockname()[1]}\n")
    out.flush()
    log: list[str] = []
    last = time.monotonic()
    threads: list[threading.Thread] = []
    try:
        while time.monotonic() - last < idle_timeout_s and os.getppid() == parent:
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                threads = [t for t in threads if t.is_alive()]
                if threads:
                    last = time.monotonic()
                continue
            last = time.monotonic()
            t = threading.Thread(target=_serve_connection, daemon=True,
                                 args=(conn, service, read_timeout_s, max_frame_bytes, log))
            t.start()
            threads.append(t)
    finally:
        srv.close()
        for line in log:
            sys.stderr.write(line + "\n")
    return 0


@dataclass
class ServerHandle:
    """A running server process (seed 003 §V-C.2): its port and how to stop it."""

    proc: subprocess.Popen
    host: str
    port: int

    def stop(self, timeout_s: float = 10.0) -> str:
        """Terminate the server and return what it wrote to stderr (its rejection log)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=timeout_s)
        return err or ""

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def child_env() -> dict[str, str]:
    """The environment of a child process: this edgelab first on the path, one OpenMP thread."""
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        p for p in (_package_root(), os.environ.get("PYTHONPATH", "")) if p))


def start_server(model: str, port: int = 0, host: str = LOCALHOST, seed: int = 0,
                 read_timeout_s: float = 30.0, idle_timeout_s: float = 600.0,
                 max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 start_timeout_s: float = START_TIMEOUT_S) -> ServerHandle:
    """Start the server process for ``model`` and wait (bounded) until it listens
    (seed 003 §V-C.2). ``port=0`` takes any free port; a port in use raises
    :class:`ParameterError` before anything starts."""
    check_port_free(host, port)
    env = child_env()
    cmd = [sys.executable, "-m", "edgelab.runtime.server", "--model", model, "--host", host,
           "--port", str(port), "--seed", str(seed), "--read-timeout", str(read_timeout_s),
           "--idle-timeout", str(idle_timeout_s), "--max-frame-bytes", str(max_frame_bytes)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    ready, _, _ = select.select([proc.stdout], [], [], start_timeout_s)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("PORT "):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise RuntimeError(f"the server process did not start within {start_timeout_s:g} s: "
                           f"{(err or line).strip()[-500:]}")
    return ServerHandle(proc, host, int(line.split()[1]))


def open_connection(handle: ServerHandle, timeout_s: float = 10.0) -> socket.socket:
    """A TCP connection to a server with ``TCP_NODELAY`` (seed 003 §V-C.2)."""
    sock = socket.create_connection((handle.host, handle.port), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def main(argv: list[str] | None = None) -> int:
    """``python -m edgelab.runtime.server``: see the module docstring."""
    p = argparse.ArgumentParser(prog="python -m edgelab.runtime.server")
    p.add_argument("--model", required=True)
    p.add_argument("--host", default=LOCALHOST)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--read-timeout", type=float, default=30.0)
    p.add_argument("--idle-timeout", type=float, default=600.0)
    p.add_argument("--max-frame-bytes", type=int, default=DEFAULT_MAX_FRAME_BYTES)
    a = p.parse_args(argv)
    return serve(a.model, a.host, a.port, a.seed, a.read_timeout, a.idle_timeout,
                 a.max_frame_bytes)


if __name__ == "__main__":
    sys.exit(main())
