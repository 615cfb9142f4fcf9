"""One federated round for real: a server and N client processes exchange the model over TCP on
127.0.0.1 through the emulated link, beside the FL engine's byte accounting and the cost model's
simulated round time (FedAvg, seed 003 §IV-C.1; training latency, §IV-B.5).

The server (the caller) sends each client the global model as one float32 frame (paced at the
link's downlink), each client (``python -m edgelab.runtime.federated``, one torch thread) runs
``steps`` SGD steps on its digits shard and sends its model back (paced at the uplink); the
server averages them weighted by shard size. Payload bytes are checked against
:meth:`~edgelab.training.federated.strategies.Strategy.upload_bytes` and ``download_bytes``
(frame headers are counted apart), and the round time (first byte out to last update in)
against :meth:`~edgelab.training.federated.system.SystemModel.round_time` for the host device
on that link, without stragglers.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch

from edgelab._validate import integer_in
from edgelab.hardware.cost import model_latency, transfer_time
from edgelab.hardware.specs import Device
from edgelab.runtime.framing import encode_message, header_size, read_message
from edgelab.runtime.link import LinkSpec, ShapedSender, link_spec
from edgelab.runtime.measure import host_device
from edgelab.runtime.server import LOCALHOST, START_TIMEOUT_S, child_env

__all__ = ["RealRound", "predicted_round_s", "real_round", "main"]


@dataclass(frozen=True)
class RealRound:
    """What one real round measured and what the engine and the cost model say (seed 003 §IV-C.1,
    §IV-B.5). Bytes are payload bytes per client; ``header_bytes`` the framing on top of them."""

    n_clients: int
    n_params: int
    up_payload_bytes: int
    down_payload_bytes: int
    engine_up_bytes: int
    engine_down_bytes: int
    header_bytes: int
    measured_s: float
    predicted_s: float
    link: str

    @property
    def bytes_match(self) -> bool:
        """Whether the wire payload equals the engine's accounting both ways."""
        return (self.up_payload_bytes == self.engine_up_bytes
                and self.down_payload_bytes == self.engine_down_bytes)


def _train(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, batch: int,
           seed: int) -> None:
    """``steps`` SGD steps on seeded mini-batches of ``batch`` (FedAvg's local update)."""
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        b = torch.randint(0, len(x), (batch,), generator=g)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
        opt.step()


def _client_main(port: int, client: int, n_clients: int, model: str, steps: int, batch: int,
                 up_mbps: float, one_way_s: float, seed: int, timeout_s: float) -> None:
    """A client process: connect, receive the model, train, send it back (seed 003 §IV-C.1)."""
    from edgelab.training.federated.core import ParamSpec
    from edgelab.training.federated.engine import Federation

    torch.set_num_threads(1)
    fed = Federation.digits(n_clients=n_clients, scheme="iid", seed=seed, model=model)
    idx = torch.as_tensor(fed.client_split.indices[client], dtype=torch.long)
    x, y = fed.data.x_train[idx], fed.data.y_train[idx]
    net = fed.build_model(seed)
    spec = ParamSpec.of(net)
    sender = ShapedSender(up_mbps, one_way_s, seed=seed + client)
    _train(net, x, y, 1, batch, seed)  # warm autograd and the optimizer (lazy imports) off the clock
    with socket.create_connection((LOCALHOST, port), timeout=timeout_s) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(encode_message([torch.tensor([client], dtype=torch.int64)]))  # hello
        (flat,) = read_message(s, timeout_s)
        spec.load(net, flat)
        _train(net, x, y, steps, batch, seed + client)
        sender.send(s, encode_message([spec.flatten(net)]))
        read_message(s, timeout_s)  # the server's ack: the update has arrived


def predicted_round_s(model: str, device: Device, link: LinkSpec, steps: int, batch: int,
                      up_bytes: int, down_bytes: int) -> float:
    """The cost model's time of a synchronous round of identical clients without stragglers,
    by the rule of :meth:`~edgelab.training.federated.system.SystemModel.client_times`
    (seed 003 §IV-B.5): RTT + model bytes / downlink, then ``steps`` × 3 × the forward latency
    of one mini-batch, then RTT + update bytes / uplink; for a device object, not a name."""
    from edgelab.hardware.profile import profile_model

    down = float(transfer_time(down_bytes, link.downlink_mbps, link.rtt_s))
    up = float(transfer_time(up_bytes, link.uplink_mbps, link.rtt_s))
    compute = steps * 3.0 * model_latency(profile_model(model, batch=batch), device)
    return down + compute + up


def real_round(n_clients: int = 3, model: str = "digits_mlp", link: str | LinkSpec = "4g",
               steps: int = 5, batch: int = 10, seed: int = 0, device: Device | None = None,
               timeout_s: float = 120.0) -> RealRound:
    """Run one FedAvg round with ``n_clients`` client processes (2 to 4; seed 003 §IV-C.1) over
    the emulated catalog ``link`` at its own rates; compare bytes and time (§IV-B.5).
    ``device`` is the cost model's host device (default :func:`~edgelab.runtime.measure.
    host_device`)."""
    from edgelab.training.federated.core import ParamSpec
    from edgelab.training.federated.engine import Federation
    from edgelab.training.federated.strategies import FedAvg

    integer_in("n_clients", n_clients, 2, 4)
    integer_in("steps", steps, 1, 10**4)
    integer_in("batch", batch, 1, 10**4)
    sp = link if isinstance(link, LinkSpec) else link_spec(link)
    fed = Federation.digits(n_clients=n_clients, scheme="iid", seed=seed, model=model)
    net = fed.build_model(seed)
    spec = ParamSpec.of(net)
    glob = spec.flatten(net)
    strat = FedAvg()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind((LOCALHOST, 0))
    srv.listen(n_clients)
    srv.settimeout(START_TIMEOUT_S)
    port = srv.getsockname()[1]
    code = "import sys; from edgelab.runtime.federated import main; sys.exit(main())"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(port), str(c), str(n_clients),
                               model, str(steps), str(batch), str(sp.uplink_mbps),
                               str(sp.rtt_s / 2), str(seed), str(timeout_s)],
                              env=child_env(), stderr=subprocess.PIPE, text=True)
             for c in range(n_clients)]
    conns: dict[int, socket.socket] = {}
    try:
        while len(conns) < n_clients:  # every client is up before the round's clock starts
            c, _ = srv.accept()
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            (hello,) = read_message(c, timeout_s)
            conns[int(hello[0])] = c
        data = encode_message([glob])
        senders = [ShapedSender(sp.downlink_mbps, sp.rtt_s / 2, seed=seed + 100 + k)
                   for k in range(n_clients)]
        import threading

        t0 = time.perf_counter()
        ths = [threading.Thread(target=senders[k].send, args=(conns[k], data))
               for k in range(n_clients)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(timeout_s)
        stats = [dict() for _ in range(n_clients)]
        updates = [None] * n_clients
        done: list[float] = []

        def collect(k: int) -> None:
            (updates[k],) = read_message(conns[k], timeout_s, stats=stats[k])
            done.append(time.perf_counter())

        ths = [threading.Thread(target=collect, args=(k,)) for k in range(n_clients)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(timeout_s)
        if any(u is None for u in updates):
            raise RuntimeError("a client's update did not arrive within the timeout")
        measured = max(done) - t0
        for c in conns.values():
            c.sendall(encode_message([torch.zeros(1)]))
        sizes = np.array([len(ix) for ix in fed.client_split.indices], dtype=np.float64)
        w = torch.as_tensor(sizes / sizes.sum(), dtype=torch.float32)
        glob = (torch.stack(updates) * w[:, None]).sum(0)  # FedAvg: weighted by shard size
    finally:
        srv.close()
        for c in conns.values():
            c.close()
        errs = []
        for p in procs:
            try:
                _, e = p.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                p.kill()
                _, e = p.communicate(timeout=10)
            if p.returncode:
                errs.append(e.strip()[-300:])
    if errs:
        raise RuntimeError(f"a client process failed: {errs[0]}")
    up_payload = int(stats[0]["wire_bytes"]) - header_size(1)
    predicted = predicted_round_s(model, device if device is not None else host_device(
        ["digits_cnn", "digits_mlp"]), sp, steps, batch, strat.upload_bytes(spec.numel),
        strat.download_bytes(spec.numel))
    return RealRound(n_clients, spec.numel, up_payload, len(data) - header_size(1),
                     strat.upload_bytes(spec.numel), strat.download_bytes(spec.numel),
                     header_size(1), measured, predicted, sp.name)


def main(argv: list[str] | None = None) -> int:
    """A client process (started by :func:`real_round`)."""
    a = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="edgelab.runtime.federated")
    for name, typ in (("port", int), ("client", int), ("n_clients", int), ("model", str),
                      ("steps", int), ("batch", int), ("up_mbps", float), ("one_way_s", float),
                      ("seed", int), ("timeout_s", float)):
        p.add_argument(name, type=typ)
    ns = p.parse_args(a)
    _client_main(ns.port, ns.client, ns.n_clients, ns.model, ns.steps, ns.batch, ns.up_mbps,
                 ns.one_way_s, ns.seed, ns.timeout_s)
    return 0
