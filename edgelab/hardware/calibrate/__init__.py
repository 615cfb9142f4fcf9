"""Calibrate the cost model against this machine: measure, fit a "host" device, score honestly.

Seed 003 §III-B (Fig. 7) argues quantitatively that where a DNN runs decides its latency; the
numbers only mean something if the cost model (:mod:`edgelab.hardware.cost`) predicts measured
latency. This package checks that on this CPU, in three rooms:

* :mod:`~edgelab.hardware.calibrate.measure`: the timing protocol (fresh processes, per-layer
  and whole-model medians, the noise floor) and :class:`Measurements`;
* :mod:`~edgelab.hardware.calibrate.fit`: the host device's parameters by robust least squares
  (:func:`fit_host`, :class:`FitResult`, :func:`host_device`);
* :mod:`~edgelab.hardware.calibrate.score`: every model predicted by a fit that never saw it,
  nor its family (:func:`score_held_out`, :data:`TARGETS`).

:func:`run_calibration` (what ``edgelab calibrate`` runs) and :func:`report_from_measurements`
join them; the fitted device is written by :mod:`edgelab.hardware.host`, where the catalog
finds it as ``get_device("host")``. The anchor is nn-Meter (Zhang et al., MobiSys 2021): 99.0%
of models within ±10% on a dedicated mobile CPU, with kernel-level fusion detection; we use a
plain per-layer roofline, on a shared machine.

Why these two terms (``python tests/benchmarks/bench_cold.py`` on this 2-core VM; one run):

* **cold**: an in-place ReLU on 1 KB of hot data takes 3.9 µs when ReLU ran just before,
  11.6 µs after 1 ms of a Python busy loop that touches no tensor, 45 µs after 5 ms and 68 µs
  after 20 ms (17.6×). The kernel's code, data and address translations leave the caches
  with *time* (a shared host's other tenants, a migrated vCPU), not with the bytes this process
  streams. So ReLU right after one of VGG's 40 ms convolutions costs 3-5× a ReLU of the same
  size in MnasNet, where a ReLU runs every few hundred µs.
* **fault**: a 3→64 convolution with a 12.8 MB output page-faults 6,241 times a call (16.8 ms
  of system time, 2 faults per 4 KiB of output); a 64→128 one with a 6.4 MB output, none:
  glibc returns blocks that large to the kernel on free, so each call faults them in again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from edgelab._validate import choice, integer_in, show
from edgelab.errors import ParameterError
from edgelab.hardware.calibrate.fit import (
    KERNEL_ALIAS,
    Design,
    FitResult,
    alias_unseen,
    design_for,
    fit_host,
    host_device,
    predict,
)
from edgelab.hardware.calibrate.measure import (
    Measurements,
    check_models,
    layer_frame,
    measure_host_peaks,
    measure_in_process,
    measure_model,
    measure_models,
    measure_protocol,
    measure_runs,
    measurements_from_runs,
    run_process,
)
from edgelab.hardware.calibrate.score import SUB_MS_S, TARGETS, score_held_out
from edgelab.hardware.host import (
    check_host_device_writable,
    host_device_available,
    host_device_path,
    load_host_device,
    save_host_device,
)
from edgelab.hardware.specs import Device

__all__ = [
    "CalibrationReport", "Measurements", "FitResult", "Design", "KERNEL_ALIAS", "SUB_MS_S",
    "TARGETS", "measure_host_peaks", "measure_model", "measure_models", "measure_in_process",
    "run_process", "measure_protocol", "measure_runs", "measurements_from_runs", "layer_frame",
    "check_models", "design_for", "alias_unseen", "fit_host", "host_device", "predict",
    "score_held_out", "report_from_measurements", "run_calibration", "host_device_path",
    "host_device_available", "load_host_device", "save_host_device",
    "check_host_device_writable",
]


@dataclass
class CalibrationReport:
    """What :func:`run_calibration` returns (seed 003 §III-B).

    ``summary``: the headline figures (shares 0..1 and errors in percent): ``within_10pct``,
    ``within_20pct``, ``model_median_ape`` (leave one model out, models ≥ 1 ms),
    ``family_within_20pct``, ``layer_median_ape``, ``family_layer_median_ape``, the sub-ms
    models' absolute errors in µs, the oracle's and noise floor's figures, ``n_models``.
    ``table``: one row per model (measured, oracle, predicted leave-one-out and family-out,
    errors, spread). ``layers``: every layer with its held-out predictions. ``device``: the host
    device fitted on all models (what ``get_device("host")`` returns once saved).
    """

    summary: dict[str, Any]
    table: pd.DataFrame
    layers: pd.DataFrame
    device: Device
    measurements: Measurements
    path: Path | None = None


def run_calibration(models: Sequence[str] | None = None, repeats: int = 30, processes: int = 3,
                    warmup: int = 5, threads: int = 1, progress: bool = True,
                    clock: str = "thread", save: bool = True) -> CalibrationReport:
    """Measure, fit and score the host CPU device (seed 003 §III-B).

    Runs the protocol of :func:`measure_protocol` on ``models`` (default: the whole zoo), scores the
    cost model leaving one model out and one family out (:func:`score_held_out`), fits the "host"
    device on all models and, when ``save``, writes it atomically to
    :func:`host_device_path` so that ``get_device("host")`` finds it; that folder is checked
    to be writable before measuring (:func:`check_host_device_writable`).
    """
    if len(check_models(models)) < 2:
        raise ParameterError(f"models must name at least 2 zoo models (each is scored by a fit "
                             f"that leaves it out), got {show(models)}")
    integer_in("repeats", repeats, 1, 10**6)
    integer_in("processes", processes, 1, 1000)
    integer_in("warmup", warmup, 0, 10**6)
    integer_in("threads", threads, 1, 1024)
    choice("clock", clock, ("thread", "wall"))
    if save:
        check_host_device_writable()
    meas = measure_protocol(models, repeats=repeats, processes=processes, warmup=warmup,
                   threads=threads, clock=clock, progress=progress)
    return report_from_measurements(meas, progress=progress, save=save)


def report_from_measurements(meas: Measurements, progress: bool = False, save: bool = True
                             ) -> CalibrationReport:
    """Score and fit from existing :class:`Measurements` (see :func:`run_calibration`; seed 003
    §III-B)."""
    if len(meas.models) >= 2:
        table, summary, layers = score_held_out(meas, progress=progress)
    else:
        table, summary, layers = _insample_only(meas)
    full = fit_host(meas)
    path = None
    if save:
        extra = {"summary": summary, "meta": meas.meta, "peaks": meas.peaks}
        path = save_host_device(full.device, extra)
        if progress:
            sys.stderr.write(f"calibrate: wrote the host device to {path}\n")
    return CalibrationReport(summary, table, layers, full.device, meas, path)


def _insample_only(meas: Measurements) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    raise ValueError("calibration needs at least 2 models (one is held out at a time); "
                     f"got {list(meas.models['model'])}")
