"""Edge inference (seed 003 §V): model partition and early exit; later compression, caching,
filtering, selection and multi-tenancy.

* :mod:`edgelab.inference.partition`: Neurosurgeon, three tiers, DADS, JALAD, MoDNN/DeepThings (§V-C.2);
* :mod:`edgelab.inference.early_exit`: BranchyNet, DDNN, Edgent (§V-C.3).
"""
