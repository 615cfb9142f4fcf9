"""Module-level Flower apps for ``flwr run`` (needs the ``edgelab[flower]`` extra).

Flower finds ``server_app`` and ``client_app`` here by name; their workload comes from the run
config (``[tool.flwr.app.config]`` of the App made by
:func:`edgelab.training.federated.flower.write_flower_app`). Seed 003 §IV-C.1.
"""

from __future__ import annotations

from edgelab.training.federated.flower import make_client_app, make_server_app

#: The ClientApp: edgelab's local update on the data of client ``node_config["partition-id"]``.
client_app = make_client_app(None)
#: The ServerApp: Flower's FedAvg with a centralised test-set evaluation each round.
server_app = make_server_app(None)
