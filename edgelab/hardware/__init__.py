"""Hardware and paradigms (seed 003 §II–§III): devices, links, per-layer profiles and the cost model.

* :mod:`edgelab.hardware.catalog`: datasheet device classes and links (``data/``);
* :mod:`edgelab.hardware.profile`: per-layer MACs, FLOPs, parameters and bytes of a model;
* :mod:`edgelab.hardware.cost`: the only place with physics (compute, memory, transfer, energy,
  bandwidth defaults), vectorised over devices × bandwidths × splits;
* :mod:`edgelab.hardware.calibrate`: measure this CPU, fit the cost model, score it.
"""
