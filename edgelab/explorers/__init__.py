"""Interactive explorers of the chapters (ipywidgets), each testable headless.

Every explorer subclasses :class:`edgelab.explorers.base.Explorer`: public controls, a
``compute()`` that draws nothing (tests and benchmarks call it with ``draw=False``) and a
``figure()`` of the current state.

* :mod:`edgelab.explorers.levels`: the EI levels explorer (chapter 00; seed 003 §III-B, Fig. 7);
* :mod:`edgelab.explorers.paradigms`: upload times over the catalog's links (chapter 01; seed 001 §II);
* :mod:`edgelab.explorers.validation`: predicted against measured latency, a static figure (chapter 01);
* :mod:`edgelab.explorers.primer`: the conv/FC energy split (chapter 02; seed 003 §II-D);
* :mod:`edgelab.explorers.federated`: FedAvg against FedSGD (chapter 10; seed 003 §IV-C.1);
* :mod:`edgelab.explorers.gradient_compression`: compressor, density and error feedback against
  accuracy and exact bytes (chapter 12; seed 003 §IV-C.3);
* :mod:`edgelab.explorers.split_learning`: split learning's cut and clients against FedAvg
  (chapter 13; seed 003 §IV-C.4);
* :mod:`edgelab.explorers.gossip`: topology, consensus and bytes of gossip training (chapter 14;
  seed 003 §IV-C.6);
* :mod:`edgelab.explorers.pipeline_parallel`: stages, micro-batches and schedules (chapter 15;
  seed 003 §IV-C.4);
* :mod:`edgelab.explorers.partition`: Neurosurgeon's split (chapter 20; seed 003 §V-C.2);
* :mod:`edgelab.explorers.early_exit`: exits, thresholds and Edgent (chapter 21; seed 003 §V-C.3);
* :mod:`edgelab.explorers.compression`: pruning and weight sharing against size and accuracy
  (chapter 23; seed 003 §V-C.1);
* :mod:`edgelab.explorers.video`: cache size, request skew and reuse threshold (chapter 24;
  seed 003 §V-C.4);
* :mod:`edgelab.explorers.video_selection`: model selection and tenant allocation (chapter 25;
  seed 003 §V-C.6-§V-C.7).
"""
