"""Gradient compression for communication-efficient edge training (seed 003 §IV-C.3, Table 2).

GRACE's design (Xu et al. 2021), not its code: a :class:`Compressor` (compress, decompress,
exact encoded bytes) apart from a :class:`Memory` (none, residual error feedback, DGC's
momentum-corrected accumulation), composed by a :class:`Communicator`. Everything runs on a
stacked ``(clients × parameters)`` tensor, row by row, without a loop over clients.

* :mod:`~edgelab.training.compression.experiments` -- compressed FedAvg on the batched engine,
  accuracy against bytes, simulated upload time on catalog links;
* :mod:`~edgelab.training.compression.distributed` -- the same exchange between real processes
  over ``torch.distributed`` (gloo), bytes counted at the collective.
"""

from edgelab.training.compression.communicator import (
    COMPRESSORS,
    Communicator,
    Exchange,
    make_communicator,
)
from edgelab.training.compression.compressors import (
    DGC,
    FP16,
    QSGD,
    Compressor,
    EFSignSGD,
    Int8,
    RandomK,
    SignSGD,
    Threshold,
    TopK,
    dgc_density,
)
from edgelab.training.compression.memory import (
    MEMORIES,
    DGCMemory,
    Memory,
    NoMemory,
    ResidualMemory,
)
from edgelab.training.compression.message import Encoded, index_dtype, wire_bytes

__all__ = [
    "COMPRESSORS", "Communicator", "Exchange", "make_communicator",
    "Compressor", "TopK", "RandomK", "Threshold", "QSGD", "SignSGD", "EFSignSGD", "Int8", "FP16",
    "DGC", "dgc_density",
    "MEMORIES", "Memory", "NoMemory", "ResidualMemory", "DGCMemory",
    "Encoded", "index_dtype", "wire_bytes",
]
