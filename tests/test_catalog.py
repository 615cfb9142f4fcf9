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
    fp16 = pd.to_numeric(df["peak_fp16_gflops"], errors="coerce").dropna()
    assert {"jetson-nano", "t4", "a100", "h100"} <= set(fp16.index)
    assert (fp16 >= df.loc[fp16.index, "peak_fp32_gflops"]).all()  # fp16 never slower than fp32
    # Where both are vendor-stated, int8 tensor peaks are twice the fp16 ones (T4, A100, H100).
    both = fp16.index.intersection(known.index)
    assert set(both) == {"t4", "a100", "h100"}
    assert ((known[both] / fp16[both]).round(2) == 2.0).all()


def test_links_schema_and_sources():
    df = catalog.links()
    assert list(df.columns) == list(catalog.LINK_COLUMNS)
    assert len(df) >= 8
    assert df["source"].str.len().min() > 10
    for c in ("uplink_mbps", "downlink_mbps", "rtt_ms", "tx_power_w", "rx_power_w"):
        assert (df[c] > 0).all(), c
    assert ((df["duty_cycle"] > 0) & (df["duty_cycle"] <= 1)).all()
    by = df.set_index("name")
    assert by.loc["lora", "duty_cycle"] == 0.01  # ETSI EN 300 220 sub-band M (868.0-868.6 MHz)
    assert (by.drop(index="lora")["duty_cycle"] == 1.0).all()
    assert by.loc["lora", "uplink_mbps"] < by.loc["4g", "uplink_mbps"] < by.loc["ethernet", "uplink_mbps"]
    assert by.loc["wan", "tier_pair"] == "edge-cloud"


def test_get_device_and_link():
    d = catalog.get_device("rpi4")
    assert d.tier == "end" and d.peak_fp32_gflops > 0 and math.isnan(d.peak_int8_gops)
    assert math.isnan(d.peak_fp16_gflops)
    assert catalog.get_device("t4").peak_fp16_gflops == 65000
    link = catalog.get_link("4g", bandwidth_mbps=20)
    assert link.uplink_mbps == link.downlink_mbps == 20
    lora = catalog.get_link("lora")
    assert lora.duty_cycle == 0.01
    assert lora.with_bandwidth(0.001).duty_cycle == 0.01  # an override keeps the duty cycle
    assert catalog.get_link("ethernet").duty_cycle == 1.0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, float("nan"), float("inf")])
def test_link_rejects_bad_duty_cycle(bad):
    with pytest.raises(ValueError, match="duty_cycle"):
        catalog.Link("x", "end-edge", 1.0, 1.0, 10.0, 0.1, 0.1, duty_cycle=bad)


@pytest.mark.parametrize("fn,name", [(catalog.get_device, "rpi9"), (catalog.get_link, "6g")])
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


def test_op_energy_table_is_read_once_in_hardware_and_shared():
    """The 45 nm energies live in the hardware layer; the primer and AdaDeep's selection read
    the same constants from it (seed 003 §V-C.1)."""
    from edgelab import primer
    from edgelab.hardware.catalog import op_energy_pj, op_energy_table
    from edgelab.inference.compression.selection import energy_pj

    t = op_energy_table()
    assert {"op", "bits", "energy_pj", "source"} <= set(t.columns)
    assert (t["energy_pj"] > 0).all() and t["source"].str.strip().ne("").all()
    pj = op_energy_pj()
    assert pj == primer.energy_constants() == energy_pj()
    assert pj["dram_read"] > pj["fp_mult"]
    t.loc[0, "energy_pj"] = -1.0  # a copy: the cached table is not changed
    assert op_energy_pj() == pj
