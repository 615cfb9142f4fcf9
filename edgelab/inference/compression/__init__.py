"""Model compression (seed 003 §V-C.1, Tables 3-4; seed 004 and seed 002): one module per
technique family, named as the surveys name them.

* :mod:`~edgelab.inference.compression.pruning`: Han et al.'s magnitude pruning with masks
  (no speed-up by itself) and structured channel pruning with Torch-Pruning (a real one),
  saving and reloading a pruned model;
* :mod:`~edgelab.inference.compression.quantization`: static int8 on the CPU through one shim
  around ``torch.ao.quantization`` (its docstring says why);
* :mod:`~edgelab.inference.compression.deep_compression`: pruning → k-means weight sharing →
  Huffman coding with the exact size in bits;
* :mod:`~edgelab.inference.compression.energy_aware`: energy-aware pruning (Yang et al.) against
  magnitude order;
* :mod:`~edgelab.inference.compression.distillation`: knowledge distillation (Hinton et al.);
* :mod:`~edgelab.inference.compression.selection`: AdaDeep-style exhaustive selection under
  budgets, and the Pareto front;
* :mod:`~edgelab.inference.compression.common`: the chapter's CNN, training, accuracy, size and
  measured latency; :mod:`~edgelab.inference.compression.bench`: ``edgelab bench compression``;
  :mod:`~edgelab.inference.compression.plots`: the chapter's figures.
"""

from edgelab.inference.compression.common import (
    DigitsConvNet,
    accuracy,
    count_macs,
    count_params,
    digits_convnet,
    fp32_bytes,
    measure_latency,
    serialized_bytes,
    train,
)

__all__ = ["DigitsConvNet", "accuracy", "count_macs", "count_params", "digits_convnet",
           "fp32_bytes", "measure_latency", "serialized_bytes", "train"]
