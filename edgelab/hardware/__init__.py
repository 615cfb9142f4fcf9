"""Hardware and paradigms (seed 003 §II–§III): devices, links, per-layer profiles and the cost model.

* :mod:`edgelab.hardware.specs`: the :class:`Device` and :class:`Link` values (§III-A tiers);
* :mod:`edgelab.hardware.host`: the calibrated host device and its file;
* :mod:`edgelab.hardware.catalog`: datasheet device classes and links (``data/``), and ``host``;
* :mod:`edgelab.hardware.trace`: the ``torch.fx`` tracer (the only module here that imports torch
  at import time);
* :mod:`edgelab.hardware.profile`: per-layer MACs, FLOPs, parameters and bytes of a model (§II-D);
* :mod:`edgelab.hardware.cost`: the only place with physics (compute, memory, transfer, energy,
  bandwidth defaults), vectorised over devices × bandwidths × splits (§III-B, §V-C.2);
* :mod:`edgelab.hardware.calibrate`: measure this CPU, fit the cost model, score it (§III-B).

``specs``, ``host``, ``catalog``, ``profile`` (its :class:`~edgelab.hardware.profile.Profile`) and
``cost`` import without torch; torch is imported where a model is traced, built or timed.
"""
