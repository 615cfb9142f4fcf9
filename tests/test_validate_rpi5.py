"""The Raspberry Pi 5, the sixth validated device (issue 12, item 2): catalog row and ncnn pairs."""

import pytest

from edgelab.hardware import validate as V
from edgelab.hardware.catalog import get_device

NCNN_README = ("https://github.com/Tencent/ncnn/blob/a4d2ea1d4422c9e849f166fd7a4aefb52f942f6a/"
               "benchmark/README.md")
# ncnn benchmark README at that commit, section 'Raspberry Pi 5 Broadcom BCM2712, Cortex-A76
# (ARMv8) (2.4GHz x 4)', ./benchncnn 10 4 0 -1 -1, avg column (ms)
PI5_AVG_MS = {"squeezenet": 7.38, "mobilenet_v2": 10.52, "mnasnet": 7.1, "googlenet_caffe": 25.35,
              "resnet18": 19.96, "alexnet": 21.36, "vgg16": 129.24, "resnet50_v1": 46.21}


@pytest.fixture(scope="module")
def pi5():
    return V.validate(devices=["rpi5"])


def test_catalog_row_is_the_bcm2712_board():
    d = get_device("rpi5")
    assert (d.tier, d.kind) == ("end", "sbc")
    assert "BCM2712" in d.description and "Cortex-A76" in d.description
    # 4 cores x 2.4 GHz x 16 fp32 FLOP/cycle; fp16 packs twice the lanes into the same FMA pipes
    assert d.peak_fp32_gflops == pytest.approx(4 * 2.4 * 16)
    assert d.peak_fp16_gflops == pytest.approx(2 * d.peak_fp32_gflops)
    assert d.mem_bw_gbps == pytest.approx(4267e6 * 4 / 1e9)
    # faster than the Pi 4 it succeeds, on every axis the catalog prices
    p4 = get_device("rpi4")
    assert d.peak_fp32_gflops > p4.peak_fp32_gflops and d.mem_bw_gbps > p4.mem_bw_gbps


def test_pairs_are_the_ncnn_readme_values_in_one_fp16_setup():
    t = V.load_measured()
    t = t[t["device"] == "rpi5"].set_index("model")
    assert t["latency_ms"].to_dict() == PI5_AVG_MS
    assert set(t["precision"]) == {"fp16"} and set(t["framework"]) == {"ncnn CPU (4 threads)"}
    assert (t["source"] == NCNN_README).all()
    assert t["locator"].str.contains("Raspberry Pi 5 Broadcom BCM2712").all()
    assert (t["batch"] == 1).all() and set(t["input_hw"]) == {224, 227}


def test_pi5_pairs_are_priced_at_fp16_and_all_left_out_pairs_are_predicted(pi5):
    p = pi5.pairs
    assert len(p) == len(PI5_AVG_MS) >= 6  # enough for a leave-one-out fit of a and b
    assert set(p["priced_as"]) == {"fp16"}
    assert p["loo_ratio"].notna().all()
    assert pi5.summary["uncovered"] == 0
    assert pi5.summary["loo_within_2x"] == pytest.approx(1.0)
    # one setup, with a positive scale and a non-negative fixed cost
    (setup,) = pi5.setups.itertuples()
    assert setup.a > 0 and setup.b_ms >= 0


def test_all_issue_12_targets_hold_with_six_devices():
    rep = V.validate()
    assert rep.summary["devices"] >= 6 and "rpi5" in set(rep.pairs["device"])
    assert all(rep.meets_targets().values()), rep.summary
