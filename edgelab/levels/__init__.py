"""The seven levels of edge intelligence (seed 003 §III-B, Fig. 7), above both halves of the survey.

* :mod:`edgelab.levels.model`: a scenario (model, device, edge, cloud, links, training set,
  request rate) rated per level: inference and training latency, energy, WAN and raw bytes,
  feasibility, and where Fig. 7's monotonic claim breaks and why;
* :mod:`edgelab.levels.frames`: the survey's frames (levels, inference modes of §V-A, training
  architectures of §IV-A, KPIs of §IV-B and §V-B) as tables.
"""

from edgelab.levels.frames import frames
from edgelab.levels.model import (
    CAUSES,
    CLAIM_KPIS,
    LEVEL_IDS,
    LEVELS,
    Level,
    Scenario,
    bandwidth_grid,
    claim_check,
    deadline_map,
    evaluate,
    link_of,
    sweep_bandwidth,
    transmission_latency,
)

__all__ = [
    "LEVELS", "LEVEL_IDS", "CAUSES", "CLAIM_KPIS", "Level", "Scenario", "evaluate",
    "sweep_bandwidth", "deadline_map", "claim_check", "transmission_latency", "frames",
    "link_of", "bandwidth_grid",
]
