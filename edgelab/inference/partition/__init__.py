"""Model partition: where to cut a DNN between a device, an edge and a server, or between
devices (seed 003 §V-C.2 and Table 4; seed 004, model partition in end-edge-cloud collaboration).

One module per technique, as the survey names them:

* :mod:`.chain`: Neurosurgeon's chain split (:func:`best_split`, :class:`SplitPlanner`);
* :mod:`.tiers`: device, edge and cloud, two split points (:func:`best_three_tier`, seed 004);
* :mod:`.dag`: the DAG min-cut of Hu et al. [80] (DADS, :func:`dads`), exact for the sequential
  cost model, with :func:`placement_cost` as its brute-force reference;
* :mod:`.execution`: real partitioned execution, a head and a tail ``nn.Module`` for any valid cut
  (:func:`split_model`; §IV-C.4: splitting between layers loses no accuracy);
* :mod:`.encoding` and :mod:`.jalad`: lossy encoding of the transmitted activation and JALAD's
  decision (JALAD [81], Ko et al. [83]);
* :mod:`.devices`: partition between 2–4 devices (MoDNN [85], MeDNN [84], DeepThings [86]);
* :mod:`.plan`: the one result type, :class:`Plan` (a :class:`PlanSweep` over a bandwidth grid); :mod:`.reproduce`: the papers' headline numbers.

The planner (chain, tiers, dag, plan) imports without torch; the names that run a model
(execution, encoding, devices) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from edgelab.inference.partition.chain import SplitPlanner, best_split
from edgelab.inference.partition.dag import (
    dads,
    is_valid_placement,
    min_cut_placement,
    placement_cost,
)
from edgelab.inference.partition.plan import (
    OBJECTIVES,
    PlacementCost,
    Plan,
    PlanSweep,
    ThreeTierCosts,
)
from edgelab.inference.partition.reproduce import dads_table, neurosurgeon_gains, three_tier_table
from edgelab.inference.partition.tiers import best_three_tier, three_tier_costs

#: Torch-using names and the module each lives in, imported on first access.
_LAZY = {
    "SplitModel": "execution", "split_model": "execution", "SplitEquivalence": "execution",
    "split_equivalence": "execution", "jalad_speedups": "jalad",
    "BITS": "encoding", "QuantizedTensor": "encoding", "quantize": "encoding",
    "jalad_accuracy": "jalad", "lossy_split_costs": "jalad", "jalad_plan": "jalad",
    "train_digits_cnn": "jalad", "train_digits_model": "jalad", "digits_at": "jalad",
    "stand_in_accuracy": "jalad", "accuracy_drop": "jalad",
    "SCHEMES": "devices", "between_devices": "devices",
    "distributed_forward": "devices", "between_devices_sweep": "devices", "best_of": "devices",
}

__all__ = [
    "OBJECTIVES", "Plan", "PlanSweep", "best_split", "SplitPlanner",
    "ThreeTierCosts", "three_tier_costs", "best_three_tier", "PlacementCost", "placement_cost",
    "is_valid_placement", "min_cut_placement", "dads", "neurosurgeon_gains", "dads_table",
    "three_tier_table",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    """Import a torch-using name on first use (seed 003 §V-C.2: execution, JALAD, MoDNN)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
