"""Precision in the roofline: fp16 and int8 use the catalog's own peaks and move fewer bytes."""

import dataclasses
import math

import numpy as np
import pytest

from edgelab.hardware import catalog, cost
from edgelab.hardware.host import device_from_json, device_to_json
from edgelab.hardware.profile import profile_model


@pytest.fixture(scope="module")
def alexnet():
    return profile_model("alexnet")


def _as_fp32(dev, peak_column, byte_scale):
    """The fp32 device that must give the same roofline as ``dev`` at a lower precision:
    the precision's peak as the fp32 peak, and bytes / scale as bandwidth × 1/scale."""
    return dataclasses.replace(dev, peak_fp32_gflops=getattr(dev, peak_column),
                               mem_bw_gbps=dev.mem_bw_gbps / byte_scale)


def test_fp32_default_is_unchanged(alexnet):
    devs = catalog.device_names()
    plain = cost.layer_latency_grid(alexnet, devs)
    assert np.array_equal(plain, cost.layer_latency_grid(alexnet, devs, precision="fp32"))
    for d in devs:
        assert cost.model_latency(alexnet, d) == cost.model_latency(alexnet, d, precision="fp32")


@pytest.mark.parametrize("precision,column,scale", [("fp16", "peak_fp16_gflops", 0.5),
                                                    ("int8", "peak_int8_gops", 0.25)])
@pytest.mark.parametrize("name", ["t4", "a100", "h100"])
def test_low_precision_uses_its_peak_and_fewer_bytes(alexnet, name, precision, column, scale):
    dev = catalog.get_device(name)
    got = cost.layer_latency(alexnet, dev, precision=precision)
    want = cost.layer_latency(alexnet, _as_fp32(dev, column, scale))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert cost.model_latency(alexnet, dev, precision=precision) < cost.model_latency(alexnet, dev)
    assert cost.precision_peak(dev, precision) == getattr(dev, column) * 1e9


def test_int8_is_faster_than_fp16_on_a_tensor_core_gpu(alexnet):
    t = {p: cost.model_latency(alexnet, "t4", precision=p) for p in ("fp32", "fp16", "int8")}
    assert t["int8"] < t["fp16"] < t["fp32"]


@pytest.mark.parametrize("name,precision,column", [
    ("cortex-m7", "fp16", "peak_fp16_gflops"), ("rpi4", "int8", "peak_int8_gops"),
    ("laptop-cpu", "int8", "peak_int8_gops"), ("jetson-nano", "int8", "peak_int8_gops"),
])
def test_missing_peak_raises_one_line_naming_device_precision_and_column(alexnet, name, precision,
                                                                         column):
    with pytest.raises(ValueError) as e:
        cost.model_latency(alexnet, name, precision=precision)
    msg = str(e.value)
    assert "\n" not in msg and name in msg and precision in msg and column in msg


def test_host_like_device_without_low_precision_peaks_raises(alexnet):
    # The calibrated host carries no fp16/int8 peak (NaN), like this stand-in; JSON keeps it so.
    hostlike = catalog.Device("host", "edge", "cpu", 100.0, 20.0, 16.0, 28.0, 2.0)
    assert math.isnan(device_from_json(device_to_json(hostlike)).peak_fp16_gflops)
    for precision, column in (("fp16", "peak_fp16_gflops"), ("int8", "peak_int8_gops")):
        with pytest.raises(ValueError, match=column):
            cost.layer_latency_grid(alexnet, [hostlike], precision=precision)
    assert cost.model_latency(alexnet, hostlike) > 0  # fp32 still works


@pytest.mark.parametrize("bad", ["bf16", "FP16", "", 8, None])
def test_unknown_precision_names_the_parameter(alexnet, bad):
    with pytest.raises(ValueError, match="precision"):
        cost.model_latency(alexnet, "t4", precision=bad)


def test_device_rejects_bad_low_precision_peaks():
    with pytest.raises(ValueError, match="peak_fp16_gflops"):
        catalog.Device("x", "end", "cpu", 1.0, 1.0, 1.0, 1.0, 0.5, peak_fp16_gflops=-1.0)
    with pytest.raises(ValueError, match="peak_int8_gops"):
        catalog.Device("x", "end", "cpu", 1.0, 1.0, 1.0, 1.0, 0.5, peak_int8_gops=0.0)
