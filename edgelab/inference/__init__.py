"""Edge inference (seed 003 §V): model partition and early exit; later compression, caching,
filtering, selection and multi-tenancy.

* :mod:`edgelab.inference.partition` (§V-C.2, Table 4; seed 004): one module per technique --
  ``chain`` (Neurosurgeon), ``tiers`` (device, edge, cloud), ``dag`` (DADS), ``execution``
  (real head and tail), ``encoding`` and ``jalad`` (lossy encoding, JALAD), ``devices`` (MoDNN,
  MeDNN, DeepThings) -- answering with one result type, ``plan.Plan``;
* :mod:`edgelab.inference.early_exit`: BranchyNet, DDNN, Edgent (§V-C.3), Edgent's answer an
  ``EdgentPlan``.
"""
