"""Tests of edgelab.primer: the logic of chapters 01 (edge paradigms) and 02 (DL primer)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from edgelab import primer
from edgelab.errors import UnknownNameError  # noqa: E402
from edgelab.hardware import cost  # noqa: E402
from edgelab.hardware.catalog import get_link  # noqa: E402
from edgelab.record import reported  # noqa: E402


# --------------------------------------------------------------------------- energy table
def test_energy_table_has_sources_and_horowitz_values():
    t = primer.energy_table()
    assert {"op", "bits", "energy_pj", "source"} <= set(t.columns)
    assert (t["source"].str.len() > 10).all()
    assert t["source"].str.contains("Horowitz").all()
    pj = primer.energy_constants()
    assert pj["fp_mult"] + pj["fp_add"] == pytest.approx(4.6)
    assert pj["dram_read"] == pytest.approx(640.0)
    assert pj["sram_read"] == pytest.approx(5.0)


# --------------------------------------------------------------------------- §II-D sizes
def test_zoo_summary_columns_and_consistency():
    z = primer.zoo_summary(["alexnet", "googlenet"])
    assert list(z["model"]) == ["alexnet", "googlenet"]
    assert (z["flops"] >= 2 * z["macs"]).all()
    np.testing.assert_allclose(z["weight_mb"], z["params"] * 4 / 1e6)
    assert (z["peak_activation_mb"] > 0).all()
    assert z.loc[0, "input"] == "3x227x227"


def test_survey_size_comparison_within_tolerance():
    c = primer.survey_size_comparison()
    assert list(c["claim_id"]) == list(primer.SURVEY_CLAIMS)
    # the brief: each §II-D number within 5% (GoogLeNet's "seven million" is a rounded count)
    assert (c["rel_error"].abs() <= 0.05).all(), c[["claim_id", "rel_error"]]
    assert c["within_tol"].all()
    for r in c.itertuples():
        row = reported(r.claim_id)
        assert r.reported_value == row["reported_value"]  # verbatim, never retyped
        assert r.reported == row["reported_low"]


def test_survey_size_comparison_unknown_claim():
    with pytest.raises(UnknownNameError):
        primer.survey_size_comparison(["alexnet_flops"])


def test_googlenet_pooling_variants():
    gv = primer.googlenet_pooling_variants()
    floor, ceil = gv["macs"]
    assert ceil > floor  # rounding up keeps bigger maps
    assert gv["params"].nunique() == 1  # pooling changes no weight
    assert floor == pytest.approx(reported("googlenet_macs")["reported_low"], rel=0.05)


# --------------------------------------------------------------------------- conv vs FC (§V-C.1)
@pytest.mark.parametrize("name", ["alexnet", "vgg16", "googlenet", "mobilenet_v2"])
def test_shares_sum_to_one(name):
    s = primer.conv_fc_shares(name)
    assert list(s.index) == ["conv", "fc", "other"]
    np.testing.assert_allclose(s[["macs", "weights", "energy"]].sum(), 1.0)
    assert (s[["macs", "weights", "energy"]] >= 0).all().all()


def test_alexnet_weights_in_fc_macs_in_conv():
    s = primer.conv_fc_shares("alexnet")
    assert s.at["fc", "weights"] > 0.9
    assert s.at["conv", "macs"] > 0.9


def test_layer_energy_by_hand_for_alexnet_fc():
    e = primer.layer_energy("alexnet", batch=1, sram_reads_per_mac=2)
    fc = e[e["group"] == "fc"]
    macs = fc["macs"].sum()
    # FC: params = MACs + biases; DRAM energy >= one 640 pJ read per weight at batch 1
    assert fc["e_arith_j"].sum() >= macs * 4.6e-12
    assert fc["e_sram_j"].sum() == pytest.approx(macs * 2 * 5e-12)
    assert fc["e_dram_j"].sum() >= fc["params"].sum() * 640e-12
    assert (e.loc[e["group"] == "other", "e_dram_j"] == 0).all()


def test_energy_falls_with_batch_and_crossover_is_consistent():
    df = primer.energy_vs_batch("alexnet", [1, 2, 4, 8, 16])
    assert (np.diff(df["fc_j"]) < 0).all()
    assert (np.diff(df["conv_energy_share"]) > 0).all()
    b = primer.energy_crossover_batch("alexnet")
    assert b is not None and b >= 1
    assert primer.conv_fc_energy_split_holds(primer.conv_fc_shares("alexnet", batch=b))
    if b > 1:
        assert not primer.conv_fc_energy_split_holds(primer.conv_fc_shares("alexnet", batch=b - 1))


def test_crossover_none_when_beyond_max_batch():
    b = primer.energy_crossover_batch("alexnet")
    assert b is not None
    if b > 1:
        assert primer.energy_crossover_batch("alexnet", max_batch=b - 1) is None


def test_vgg16_conv_dominates_even_at_batch_one():
    assert primer.energy_crossover_batch("vgg16") == 1


def test_layer_energy_bad_batch():
    with pytest.raises(ValueError, match="batch"):
        primer.layer_energy("alexnet", batch=0)
    with pytest.raises(ValueError, match="sram_reads_per_mac"):
        primer.layer_energy("alexnet", sram_reads_per_mac=float("nan"))


def test_conv_fc_summary():
    s = primer.conv_fc_summary(["alexnet", "vgg16"])
    assert list(s["model"]) == ["alexnet", "vgg16"]
    assert s["conv_mac_share"].between(0, 1).all()


# --------------------------------------------------------------------------- catalog (seed 001 §II)
def test_catalog_overview_sorted_by_tier_with_efficiency():
    d = primer.catalog_overview()
    order = {"end": 0, "edge": 1, "cloud": 2}
    assert d["tier"].map(order).is_monotonic_increasing
    np.testing.assert_allclose(d["gflops_per_w"], d["peak_fp32_gflops"] / d["active_power_w"])
    t = primer.tier_summary(d)
    assert list(t.index) == ["end", "edge", "cloud"]
    assert t["devices"].sum() == len(d)


def test_link_overview_and_upload_times_match_transfer_time():
    lk = primer.link_overview()
    assert lk["uplink_mbps"].is_monotonic_increasing
    times = primer.upload_times({"x": 1e5}, ["4g", "wifi6"])
    for name in ("4g", "wifi6"):
        link = get_link(name)
        expected = float(cost.transfer_time(1e5, link.uplink_mbps, link.rtt_ms / 1e3))
        assert times.at[name, "x"] == pytest.approx(expected)
    with pytest.raises(UnknownNameError):
        primer.upload_times({"x": 1.0}, ["wifi7"])


def test_standard_payloads_are_computed():
    p = primer.standard_payloads()
    assert p["raw image 224x224x3 uint8"] == 3 * 224 * 224
    assert p["fp32 input tensor (VGG-16)"] == 4 * 3 * 224 * 224
    assert p["AlexNet pool5 activation (fp32)"] == 256 * 6 * 6 * 4


def test_edge_vs_cloud():
    rtt = primer.edge_vs_cloud_rtt()
    wan = get_link("wan").rtt_ms
    np.testing.assert_allclose(rtt["cloud_rtt_ms"] - rtt["edge_rtt_ms"], wan)
    chk = primer.edge_vs_cloud_latency_check()
    assert chk["holds"] is True
    assert chk["edge_ms"] < 10 <= chk["cloud_ms"]
    assert not primer.edge_vs_cloud_latency_check(access=("lora",))["holds"]


# --------------------------------------------------------------------------- plots
@pytest.mark.parametrize("make", [
    lambda: primer.plot_zoo(primer.zoo_summary(["alexnet", "vgg16"])),
    lambda: primer.plot_layer_profile("alexnet"),
    lambda: primer.plot_survey_comparison(primer.survey_size_comparison()),
    lambda: primer.plot_conv_fc_shares(primer.conv_fc_shares("alexnet")),
    lambda: primer.plot_energy_vs_batch(primer.energy_vs_batch("alexnet", [1, 4, 16])),
    lambda: primer.plot_devices(),
    lambda: primer.plot_links(),
    lambda: primer.plot_upload_times(primer.upload_times()),
])
def test_plots_return_figures(make):
    fig = make()
    try:
        assert isinstance(fig, Figure)
        assert fig.axes and all(math.isfinite(v) for ax in fig.axes for v in ax.get_xlim())
    finally:
        plt.close(fig)


def test_public_api_is_exported():
    for name in primer.__all__:
        assert hasattr(primer, name), name
    assert isinstance(primer.zoo_summary(["digits_mlp"]), pd.DataFrame)


def test_layer_energy_is_the_cost_models_op_energy():
    from edgelab.hardware.profile import profile_model

    p = profile_model("alexnet")
    t = p.table
    macs = t["macs"].to_numpy(np.float64)
    other = np.maximum(t["flops"].to_numpy(np.float64) - 2.0 * macs, 0.0)
    weighted = primer.layer_groups(p).isin(["conv", "fc"]).to_numpy()
    arith, sram, dram = cost.op_energy(
        macs, other, t["weight_bytes"].to_numpy(np.float64),
        (t["input_bytes"] + t["output_bytes"]).to_numpy(np.float64), weighted, 4, 2.0,
        primer.energy_constants())
    e = primer.layer_energy("alexnet", batch=4)
    np.testing.assert_array_equal(e["e_arith_j"], arith)
    np.testing.assert_array_equal(e["e_sram_j"], sram)
    np.testing.assert_array_equal(e["e_dram_j"], dram)
    assert cost.dram_energy_per_byte(primer.energy_constants()) == 640e-12 / 4


def test_readable_layer_names_number_weighted_layers_together():
    ops = [o for o in primer.profile_model("alexnet").table["op"] if o in ("conv", "linear", "pool")]
    assert primer.readable_layer_names(ops) == [
        "conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3", "fc6", "fc7", "fc8"]
    assert primer.readable_layer_names(["act"]) == ["act1"]


def test_layer_profile_has_legend_and_readable_names():
    fig = primer.plot_layer_profile("alexnet")
    try:
        a1 = fig.axes[0]
        assert a1.get_legend() is not None
        assert [t.get_text() for t in a1.get_xticklabels()][:2] == ["conv1", "pool1"]
    finally:
        plt.close(fig)


def test_energy_vs_batch_ticks_are_the_batches():
    fig = primer.plot_energy_vs_batch(primer.energy_vs_batch("alexnet", [1, 4, 16]))
    try:
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1", "4", "16"]
    finally:
        plt.close(fig)


def test_upload_times_duty_cycle_toggle():
    with_dc = primer.upload_times({"x": 1e4}, ["lora", "4g"])
    without = primer.upload_times({"x": 1e4}, ["lora", "4g"], duty_cycle=False)
    rtt = get_link("lora").rtt_ms / 1e3
    d = get_link("lora").duty_cycle
    assert with_dc.at["lora", "x"] - rtt == pytest.approx((without.at["lora", "x"] - rtt) / d)
    assert with_dc.at["4g", "x"] == pytest.approx(without.at["4g", "x"])
    assert "peak_fp16_gflops" in primer.catalog_overview().columns
