"""The device and link catalogs: schema, sources, sane units, helpful errors."""

import math

import pandas as pd
import pytest

from edgelab.errors import UnknownNameError
from edgelab.hardware import catalog


def test_devices_schema_and_sources():
    df = catalog.devices()
    assert list(df.columns) == list(catalog.DEVICE_COLUMNS)
    assert len(df) >= 10
    assert set(df["tier"]) == {"end", "edge", "cloud"}
    assert df["source"].str.len().min() > 10, "every device needs a source"
    for c in ("peak_fp32_gflops", "mem_bw_gbps", "mem_gb", "active_power_w", "idle_power_w"):
        assert (df[c] > 0).all(), c
    assert (df["idle_power_w"] < df["active_power_w"]).all()
    # The classes the foundation issue asks for.
    for name in ("cortex-m7", "rpi4", "jetson-nano", "jetson-orin-nano", "laptop-cpu",
                 "edge-server-cpu", "t4", "a100", "h100"):
        assert name in df["name"].values


def test_device_units_are_sane():
    df = catalog.devices().set_index("name")
    assert df.loc["cortex-m7", "peak_fp32_gflops"] < 1  # an MCU does under a GFLOP/s
    assert df.loc["cortex-m7", "mem_gb"] < 0.01  # SRAM in KB, expressed in GB
    assert df.loc["h100", "peak_fp32_gflops"] > 1e4  # tens of TFLOP/s
    assert df.loc["a100", "mem_bw_gbps"] > 1000
    int8 = pd.to_numeric(df["peak_int8_gops"], errors="coerce")
    known = int8.dropna()
    assert (known > df.loc[known.index, "peak_fp32_gflops"]).all()


def test_links_schema_and_sources():
    df = catalog.links()
    assert list(df.columns) == list(catalog.LINK_COLUMNS)
    assert len(df) >= 8
    assert df["source"].str.len().min() > 10
    for c in ("uplink_mbps", "downlink_mbps", "rtt_ms", "tx_power_w", "rx_power_w"):
        assert (df[c] > 0).all(), c
    by = df.set_index("name")
    assert by.loc["lora", "uplink_mbps"] < by.loc["4g", "uplink_mbps"] < by.loc["ethernet", "uplink_mbps"]
    assert by.loc["wan", "tier_pair"] == "edge-cloud"


def test_get_device_and_link():
    d = catalog.get_device("rpi4")
    assert d.tier == "end" and d.peak_fp32_gflops > 0 and math.isnan(d.peak_int8_gops)
    link = catalog.get_link("4g", bandwidth_mbps=20)
    assert link.uplink_mbps == link.downlink_mbps == 20


@pytest.mark.parametrize("fn,name", [(catalog.get_device, "rpi5"), (catalog.get_link, "6g")])
def test_unknown_names_list_valid_ones(fn, name):
    with pytest.raises(UnknownNameError) as e:
        fn(name)
    msg = str(e.value)
    assert name in msg and "Valid" in msg
    assert ("rpi4" in msg) if fn is catalog.get_device else ("4g" in msg)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "fast"])
def test_bad_bandwidth_names_parameter(bad):
    with pytest.raises(ValueError, match="bandwidth"):
        catalog.get_link("4g", bandwidth_mbps=bad)


def test_device_rejects_bad_power():
    with pytest.raises(ValueError, match="active_power_w"):
        catalog.Device("x", "end", "cpu", 1.0, 1.0, 1.0, active_power_w=-2.0, idle_power_w=1.0)
    with pytest.raises(ValueError, match="tier"):
        catalog.Device("x", "space", "cpu", 1.0, 1.0, 1.0, 1.0, 0.5)
