"""Interactive explorers of the chapters (ipywidgets), each testable headless.

* :mod:`edgelab.explorers.levels`: the EI levels explorer (chapter 00);
* :mod:`edgelab.explorers.partition`: the split explorer (chapter 20);
* :mod:`edgelab.explorers.federated`: the FedAvg explorer (chapter 10).
"""
