"""Flower adapter: edgelab's local update and FedAvg aggregation under Flower's app API.

Seed 003 §IV-C.1 describes federated learning as deployed on real clients; Flower
(``pip install "edgelab[flower]"``) is how this chapter's code leaves the simulator. The
adapter builds a Flower ``ClientApp`` whose ``@app.train()`` runs *the same* local update as
edgelab's engines (:class:`~edgelab.training.federated.core.SequentialTrainer`, with mini-batches from
:func:`~edgelab.training.federated.core.client_plan` seeded by (seed, round, client)), and a
``ServerApp`` whose ``@app.main()`` runs Flower's own ``FedAvg`` strategy (weighted by
``num-examples``, i.e. by n_k, like :class:`~edgelab.training.federated.strategies.FedAvg`). So a Flower
run ends at the same model as :func:`~edgelab.training.federated.engine.simulate` up to float rounding.

flwr is imported lazily: ``import edgelab.training.federated.flower`` works without it, and only calling
into Flower needs the extra.

Simulation (one process, Ray workers)::

    from edgelab.training.federated.flower import FlowerSettings, run_flower_simulation
    res = run_flower_simulation(FlowerSettings(n_clients=10, rounds=3))

A real deployment on localhost (each command in its own terminal; ``APP`` is a folder made by
:func:`write_flower_app`; with ``--insecure`` nothing is encrypted: for a demo on one machine)::

    python -c "from edgelab.training.federated.flower import write_flower_app; write_flower_app('APP', n_clients=2)"
    flower-superlink --insecure --host 127.0.0.1 --disable-runtime-dependency-installation
    flower-supernode --insecure --superlink 127.0.0.1:8000 --host 127.0.0.1 --port 9094 \\
        --node-config "partition-id=0 num-partitions=2"
    flower-supernode --insecure --superlink 127.0.0.1:8000 --host 127.0.0.1 --port 9095 \\
        --node-config "partition-id=1 num-partitions=2"
    FLWR_HOME=APP/.flwr flwr run APP local-deployment --stream

``write_flower_app`` writes the App's ``pyproject.toml`` (components
``edgelab.training.federated.flower_app:server_app`` / ``:client_app`` and the run config) and
``APP/.flwr/config.toml``, a Flower configuration whose ``local-deployment`` connection is the
SuperLink at ``127.0.0.1:8000`` (``FLWR_HOME`` points ``flwr`` at it rather than at
``~/.flwr``). Nothing is encrypted or authenticated, so every service stays on loopback
(``--host 127.0.0.1``, Flower 1.41's default, spelled out). Flower 1.41 serves the SuperLink's
Fleet, Control and Runtime APIs on that one HTTP port; each SuperNode needs its own ``--port``. SuperNodes must run where ``edgelab`` is
installed (the app imports it; the App does not list it as a dependency, and
``--disable-runtime-dependency-installation`` stops the SuperLink from installing anything).
Checked on localhost with flwr 1.41.0: 2 SuperNodes, 2 rounds, the same test accuracy per round
as :func:`~edgelab.training.federated.engine.simulate` with ``engine="sequential"``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import math
import numbers
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from edgelab._io import atomic_write_text
from edgelab._toml import toml_key, toml_string, toml_value

__all__ = ["FLOWER_VERSION", "flower_available", "FlowerSettings", "FlowerResult",
           "make_client_app", "make_server_app", "run_flower_simulation", "write_flower_app",
           "pyproject_text", "flower_config_text", "check_superlink", "ray_on_loopback",
           "RAY_LOOPBACK_INIT_ARGS", "RAY_LOCAL_ONLY_ENV"]

#: The Flower release the ``edgelab[flower]`` extra pins (see pyproject.toml).
FLOWER_VERSION = "1.41.0"


def flower_available() -> bool:
    """Whether ``flwr`` can be imported (the ``edgelab[flower]`` extra is installed) (seed 003 §IV-C.1)."""
    return importlib.util.find_spec("flwr") is not None


def _require_flwr() -> None:
    if not flower_available():
        raise ImportError('Flower is not installed: pip install "edgelab[flower]" '
                          f'(flwr[simulation]=={FLOWER_VERSION})')


@dataclass(frozen=True)
class FlowerSettings:
    """The workload a Flower run reproduces (defaults: the FedAvg benchmark workload of
    :mod:`edgelab.training.federated.bench`; seed 003 §IV-C.1).

    ``n_clients`` Dirichlet(``alpha``) clients of digits (80/20 split seeded by ``seed``),
    ``rounds`` rounds of FedAvg over ``fraction`` of them, each client ``epochs`` of SGD with
    ``lr`` and ``batch_size``. Pixels are standardised with the training set's statistics
    (``standardize``), as in the benchmark's reference runs (0.7694 test accuracy after 20 rounds).
    """

    n_clients: int = 100
    rounds: int = 20
    alpha: float = 0.5
    seed: int = 0
    lr: float = 0.05
    epochs: int = 1
    batch_size: int = 10
    fraction: float = 1.0
    model: str = "digits_mlp"
    standardize: bool = True

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> FlowerSettings:
        """From a Flower run config (``n-clients``, ``rounds``, ``alpha``, ... with dashes) (seed 003 §IV-C.1)."""
        kw: dict[str, Any] = {}
        for f, default in asdict(cls()).items():
            key = f.replace("_", "-")
            if key in cfg:
                v = cfg[key]
                if isinstance(default, bool) and isinstance(v, str):
                    v = v.strip().lower() in ("1", "true", "yes")
                kw[f] = type(default)(v)
        return cls(**kw)

    def to_config(self) -> dict[str, Any]:
        """As a Flower run config (keys with dashes) (seed 003 §IV-C.1)."""
        return {k.replace("_", "-"): v for k, v in asdict(self).items()}


@dataclass
class FlowerResult:
    """What :func:`run_flower_simulation` returns: final flat parameters, per-round accuracy,
    the whole run's wall time and the time inside the strategy's rounds. Seed 003 §IV-C.1."""

    params: torch.Tensor
    accuracy: list[float] = field(default_factory=list)
    wall_s: float = float("nan")
    rounds_s: float = float("nan")
    settings: FlowerSettings = field(default_factory=FlowerSettings)

    @property
    def ms_per_client_round(self) -> float:
        """Host milliseconds per client-round inside the strategy's rounds (seed 003 §IV-C.1)."""
        n = self.settings.rounds * max(1, int(self.settings.n_clients * self.settings.fraction))
        return 1e3 * self.rounds_s / n


@lru_cache(maxsize=4)
def _federation(s: FlowerSettings):
    from edgelab.training.federated.engine import Federation

    return Federation.digits(s.n_clients, "dirichlet", seed=s.seed, model=s.model, alpha=s.alpha,
                             standardize=s.standardize)


@lru_cache(maxsize=4)
def _trainer(s: FlowerSettings):
    from edgelab.training.federated.core import SequentialTrainer

    fed = _federation(s)
    return SequentialTrainer(fed.build_model(s.seed), fed.data.x_train, fed.data.y_train,
                             fed.client_split.indices)


def _settings(context: Any, overrides: FlowerSettings | None) -> FlowerSettings:
    return overrides if overrides is not None else FlowerSettings.from_config(dict(context.run_config))


def make_client_app(settings: FlowerSettings | None = None) -> Any:
    """A Flower ``ClientApp`` running edgelab's local update on its partition (seed 003 §IV-C.1).

    The partition is ``context.node_config["partition-id"]``; the workload comes from
    ``settings`` or, when None, from the run config.
    """
    _require_flwr()
    from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    from edgelab.training.federated.core import ClientConfig

    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        s = _settings(context, settings)
        cid = int(context.node_config["partition-id"])
        trainer = _trainer(s)
        rnd = int(msg.content["config"]["server-round"])
        sd = msg.content["arrays"].to_torch_state_dict()
        flat = torch.cat([sd[n].reshape(-1).float() for n in trainer.spec.names])
        local = trainer.train(flat, [cid], ClientConfig(lr=s.lr, epochs=s.epochs,
                                                        batch_size=s.batch_size), s.seed, rnd)[0]
        state = {n: v.clone() for n, v in trainer.spec.unflatten(local).items()}
        content = RecordDict({"arrays": ArrayRecord(state),
                              "metrics": MetricRecord({"num-examples": int(trainer.sizes[cid])})})
        return Message(content=content, reply_to=msg)

    return app


def make_server_app(settings: FlowerSettings | None = None, sink: dict[str, Any] | None = None) -> Any:
    """A Flower ``ServerApp`` running Flower's ``FedAvg`` (weighted by ``num-examples``) with a
    centralised test-set evaluation each round (seed 003 §IV-C.1). ``sink`` receives the final
    flat parameters, per-round accuracy and the rounds' wall time."""
    _require_flwr()
    from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
    from flwr.serverapp import Grid, ServerApp
    from flwr.serverapp.strategy import FedAvg

    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        s = _settings(context, settings)
        fed = _federation(s)
        trainer = _trainer(s)
        model = fed.build_model(s.seed)
        accs: list[float] = []

        def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
            sd = arrays.to_torch_state_dict()
            flat = torch.cat([sd[n].reshape(-1).float() for n in trainer.spec.names])
            acc, loss = trainer.evaluate(flat, fed.data.x_test, fed.data.y_test)
            if server_round > 0:
                accs.append(acc)
            return MetricRecord({"accuracy": acc, "loss": loss})

        n_train = max(1, int(s.n_clients * s.fraction))
        strategy = FedAvg(fraction_train=s.fraction, fraction_evaluate=0.0,
                          min_train_nodes=n_train, min_available_nodes=s.n_clients)
        t0 = time.perf_counter()
        result = strategy.start(grid=grid, initial_arrays=ArrayRecord(model.state_dict()),
                                num_rounds=s.rounds, train_config=ConfigRecord({"lr": s.lr}),
                                evaluate_fn=evaluate)
        rounds_s = time.perf_counter() - t0
        sd = result.arrays.to_torch_state_dict()
        if sink is not None:
            sink["params"] = torch.cat([sd[n].reshape(-1).float() for n in trainer.spec.names])
            sink["accuracy"] = accs
            sink["rounds_s"] = rounds_s

    return app


#: The environment switch Ray reads (once, at import, into
#: ``ray._private.ray_constants.ENABLE_RAY_CLUSTER``) to run a single-node instance on loopback.
RAY_LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

#: ``ray.init`` arguments for a Ray instance that serves this machine only: no dashboard, the
#: node's address (which every Ray gRPC server binds to when it is ``127.0.0.1``) on loopback.
RAY_LOOPBACK_INIT_ARGS: dict[str, Any] = {"include_dashboard": False,
                                          "dashboard_host": "127.0.0.1",
                                          "_node_ip_address": "127.0.0.1"}


@contextlib.contextmanager
def ray_on_loopback() -> Iterator[None]:
    """Within the block, a Ray instance started by this process listens on 127.0.0.1 only.

    Seed 003 §IV-C.1 runs federated learning in one process through Flower's Simulation Runtime
    (Ray); nothing in it should be reachable from the network. Ray's C++ servers (GCS, raylet,
    each worker's core-worker server) bind ``127.0.0.1`` only when the node's IP address is
    ``127.0.0.1`` and ``0.0.0.0``/``[::]`` otherwise; the Python agents (runtime-env agent,
    autoscaler metrics) bind the node's IP. ``ray.init(_node_ip_address="127.0.0.1")`` alone does
    not do it: Ray replaces a loopback address with the machine's routable one
    (``services.resolve_ip_for_localhost``) unless its single-machine switch
    (:data:`RAY_LOCAL_ONLY_ENV` = ``0``, what Ray uses on macOS and Windows) is off. This sets
    the switch in the environment (inherited by the raylet and its workers) and in Ray's
    constants if Ray is already imported, and restores both on exit. A Ray instance that is
    already running (``ray.is_initialized()``) is reused by Flower as it is.
    """
    old_env = os.environ.get(RAY_LOCAL_ONLY_ENV)
    consts = sys.modules.get("ray._private.ray_constants")
    old_const = getattr(consts, "ENABLE_RAY_CLUSTER", None)
    os.environ[RAY_LOCAL_ONLY_ENV] = "0"
    if consts is not None:
        consts.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop(RAY_LOCAL_ONLY_ENV, None)
        else:
            os.environ[RAY_LOCAL_ONLY_ENV] = old_env
        consts = sys.modules.get("ray._private.ray_constants")
        if consts is not None:
            if old_const is None:  # Ray was imported inside the block: what it would have read
                old_const = old_env.strip().lower() in ("1", "true") if old_env is not None \
                    else not getattr(consts, "IS_WINDOWS_OR_OSX", False)
            consts.ENABLE_RAY_CLUSTER = old_const


def run_flower_simulation(settings: FlowerSettings | None = None, *, num_workers: int = 2,
                          verbose: bool = False) -> FlowerResult:
    """Run the workload in Flower's Simulation Runtime (Ray, ``num_workers`` CPU workers).

    Seed 003 §IV-C.1. Ray listens on 127.0.0.1 only (:func:`ray_on_loopback`). Returns the
    final model and accuracy, to compare with
    :func:`~edgelab.training.federated.engine.simulate` (``engine="sequential"``) on the same settings.
    """
    _require_flwr()
    import logging

    from flwr.simulation import run_simulation

    from edgelab._validate import integer_in

    s = settings or FlowerSettings()
    w = integer_in("num_workers", num_workers, 1, 1024)
    sink: dict[str, Any] = {}
    if not verbose:
        logging.getLogger("flwr").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    with ray_on_loopback():
        run_simulation(server_app=make_server_app(s, sink), client_app=make_client_app(s),
                       num_supernodes=s.n_clients,
                       backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                       "init_args": {"num_cpus": w, "num_gpus": 0,
                                                     **RAY_LOOPBACK_INIT_ARGS}},
                       verbose_logging=verbose)
    wall = time.perf_counter() - t0
    if "params" not in sink:
        raise RuntimeError("the Flower simulation ended without a result (see its log above)")
    return FlowerResult(sink["params"], sink["accuracy"], wall, sink["rounds_s"], s)


def _valid_settings(settings: FlowerSettings | None) -> FlowerSettings:
    """``settings`` checked field by field before they go into a run config (seed 003 §IV-C.1)."""
    s = settings if settings is not None else FlowerSettings()
    if not isinstance(s, FlowerSettings):
        raise TypeError(f"settings: a FlowerSettings, got {type(s).__name__} {s!r}")
    for name in ("n_clients", "rounds", "epochs", "batch_size"):
        v = getattr(s, name)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= v <= 10**9:
            raise ValueError(f"{name}: an integer in [1, {10**9}], got {v!r}")
    if isinstance(s.seed, bool) or not isinstance(s.seed, numbers.Integral) \
            or not 0 <= s.seed < 2**63:
        raise ValueError(f"seed: an integer in [0, 2**63), got {s.seed!r}")
    for name in ("lr", "alpha"):
        v = getattr(s, name)
        if isinstance(v, bool) or not isinstance(v, numbers.Real) \
                or not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name}: a finite number > 0, got {v!r}")
    if isinstance(s.fraction, bool) or not isinstance(s.fraction, numbers.Real) \
            or not 0 < s.fraction <= 1:
        raise ValueError(f"fraction: a number in (0, 1], got {s.fraction!r}")
    if not isinstance(s.model, str) or not s.model:
        raise ValueError(f"model: a non-empty model name, got {s.model!r}")
    if not isinstance(s.standardize, bool):
        raise ValueError(f"standardize: True or False, got {s.standardize!r}")
    return s


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def check_superlink(address: str) -> str:
    """``address`` if it is ``host:port`` (a host name, an IPv4 address or a bracketed IPv6
    address, and a port in 1..65535), else ``ValueError`` (seed 003 §IV-C.1)."""
    allowed = "host:port with a host name, IPv4 or [IPv6] address and a port in 1..65535"
    if not isinstance(address, str):
        raise ValueError(f"superlink: {allowed}, got {address!r}")
    host, sep, port = address.rpartition(":")
    ok = bool(sep) and port.isascii() and port.isdigit() and 1 <= int(port) <= 65535 \
        and len(port) <= 5
    if ok and host.startswith("[") and host.endswith("]"):
        try:
            ok = ipaddress.ip_address(host[1:-1]).version == 6
        except ValueError:
            ok = False
    elif ok:
        ok = 0 < len(host) <= 253 and all(_HOST_LABEL.fullmatch(label)
                                          for label in host.split("."))
    if not ok:
        raise ValueError(f"superlink: {allowed}, got {address!r}")
    return address


def pyproject_text(settings: FlowerSettings | None = None) -> str:
    """The ``pyproject.toml`` of a Flower App running edgelab's components (seed 003 §IV-C.1).

    Valid TOML (every value through :func:`edgelab._toml.toml_value`; ``tomllib`` reads it
    back to ``settings.to_config()``).
    """
    s = _valid_settings(settings)
    cfg = "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in s.to_config().items())
    return f"""[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "edgelab-fedavg"
version = "1.0.0"
description = "edgelab's FedAvg on digits as a Flower App"
dependencies = [{toml_string(f"flwr[simulation]=={FLOWER_VERSION}")}]

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "edgelab"

[tool.flwr.app.components]
serverapp = "edgelab.training.federated.flower_app:server_app"
clientapp = "edgelab.training.federated.flower_app:client_app"

[tool.flwr.app.config]
{cfg}
"""


def flower_config_text(n_supernodes: int = 2, *, superlink: str = "127.0.0.1:8000") -> str:
    """A Flower configuration (``$FLWR_HOME/config.toml``) naming two SuperLink connections:
    ``local-deployment`` (the SuperLink at ``superlink``, no TLS: keep it on loopback) and
    ``local-simulation``. Seed 003 §IV-C.1. ``superlink`` must be ``host:port``
    (:func:`check_superlink`); the text is valid TOML."""
    if isinstance(n_supernodes, bool) or not isinstance(n_supernodes, numbers.Integral) \
            or not 1 <= n_supernodes <= 10**9:
        raise ValueError(f"n_supernodes: an integer in [1, {10**9}], got {n_supernodes!r}")
    address = toml_string(check_superlink(superlink))
    return f"""[superlink]
default = "local-deployment"

[superlink.local-deployment]
address = {address}
insecure = true

[superlink.local-simulation]
address = ":local:"
options.num-supernodes = {toml_value(n_supernodes)}
"""


def write_flower_app(path: str | Path, *, superlink: str = "127.0.0.1:8000",
                     **settings: Any) -> Path:
    """Write a Flower App folder for ``flwr run`` (seed 003 §IV-C.1): ``pyproject.toml`` and
    ``.flwr/config.toml`` (the SuperLink connections; use it with ``FLWR_HOME=APP/.flwr``, and
    Flower leaves ``.flwr`` out of the app bundle). ``settings`` are :class:`FlowerSettings`
    fields; ``superlink`` is the deployment's SuperLink ``host:port``. Both texts are built and
    checked before either file is written; each file is replaced atomically
    (:func:`edgelab._io.atomic_write_text`). Returns the folder.
    """
    fields = set(FlowerSettings.__dataclass_fields__)
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise ValueError(f"settings: FlowerSettings fields ({', '.join(sorted(fields))}), "
                         f"got {', '.join(map(repr, unknown))}")
    s = _valid_settings(FlowerSettings(**settings))
    project, config = pyproject_text(s), flower_config_text(s.n_clients, superlink=superlink)
    p = Path(path)
    atomic_write_text(p / "pyproject.toml", project)
    atomic_write_text(p / ".flwr" / "config.toml", config)
    return p
