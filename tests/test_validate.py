"""The catalog devices against published measured latency (``edgelab validate``, issue 12)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from edgelab.cli import run_captured
from edgelab.errors import EdgelabError
from edgelab.hardware import validate as V
from edgelab.hardware.catalog import device_names


@pytest.fixture(scope="module")
def report():
    return V.validate()


def test_measured_table_is_sourced_and_names_catalog_devices_and_zoo_models():
    from edgelab import models

    t = V.load_measured()
    assert len(t) >= 40
    assert set(t["device"]) <= set(device_names())
    assert set(t["model"]) <= set(models.list_models())
    assert t["source"].str.startswith("https://").all()
    assert (t["locator"].str.len() > 10).all()
    assert set(t["precision"]) <= set(V.PRECISIONS)
    assert not t.duplicated(["device", "model", "input_hw", "batch", "precision",
                             "framework"]).any()


def test_report_meets_the_pair_and_leave_one_out_targets(report):
    s = report.summary
    assert s["pairs"] == len(report.pairs) >= 40
    assert s["devices"] == len(report.by_device) >= 5
    assert s["loo_within_1_5x"] >= 0.70
    assert s["loo_within_2x"] >= 0.90
    met = report.meets_targets()
    assert met["pairs"] and met["loo_within_1_5x"] and met["loo_within_2x"]
    for k in ("within_1_5x", "within_2x", "loo_within_1_5x", "loo_within_2x"):
        assert 0.0 <= s[k] <= 1.0
        assert ((report.by_device[k] >= 0) & (report.by_device[k] <= 1)).all()
    # the leave-one-out fit beats the raw catalog on this data
    assert s["loo_within_2x"] > s["within_2x"]
    assert report.by_device["pairs"].sum() == s["pairs"]
    assert s["optimism"] == pytest.approx(1.0 / s["median_ratio"])


def test_a_setup_with_one_pair_has_no_leave_one_out_prediction(report):
    p = report.pairs
    sizes = p.groupby(["device", "precision", "framework"])["model"].transform("size")
    assert p.loc[sizes == 1, "loo_ms"].isna().all()
    assert p.loc[sizes > 1, "loo_ms"].notna().all()
    assert report.summary["uncovered"] == int((sizes == 1).sum())


def test_fit_setup_recovers_a_known_scale_and_offset():
    raw = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    a, b = V.fit_setup(raw, 3.0 * raw + 0.5)
    assert a == pytest.approx(3.0, rel=1e-4) and b == pytest.approx(0.5, rel=1e-3)
    a, b = V.fit_setup(raw, 0.25 * raw)  # no offset: b stays 0
    assert a == pytest.approx(0.25, rel=1e-6) and b == pytest.approx(0.0, abs=1e-6)
    assert V.fit_setup([2.0], [6.0]) == pytest.approx((3.0, 0.0))
    with pytest.raises(ValueError, match="at least one pair"):
        V.fit_setup([], [])
    with pytest.raises(ValueError, match="> 0"):
        V.fit_setup([1.0, -1.0], [1.0, 1.0])


def test_leave_one_out_recovers_a_known_scale_on_a_synthetic_table(tmp_path):
    models = ["squeezenet", "resnet18", "alexnet", "mobilenet_v2", "vgg11"]
    base = pd.DataFrame({
        "device": "rpi4", "model": models, "input_hw": [224, 224, 227, 224, 224], "batch": 1,
        "precision": "fp32", "framework": "synthetic", "latency_ms": 1.0, "metric": "mean",
        "source": "https://example.org/synthetic", "locator": "made up by the test",
        "notes": "",
    })
    raw = V.predict_raw(base)
    base["latency_ms"] = 2.5 * raw  # the device is exactly 2.5x slower than the catalog says
    path = tmp_path / "measured.csv"
    base.to_csv(path, index=False)
    t = V.load_measured(path)
    rep = V.validate(t)
    assert rep.pairs["raw_ratio"].to_numpy() == pytest.approx(0.4, rel=1e-9)
    assert rep.pairs["loo_ratio"].to_numpy() == pytest.approx(1.0, rel=1e-3)
    assert rep.summary["loo_within_1_5x"] == 1.0 and rep.summary["within_1_5x"] == 0.0
    assert rep.setups.loc[0, "a"] == pytest.approx(2.5, rel=1e-4)
    assert rep.setups.loc[0, "b_ms"] == pytest.approx(0.0, abs=1e-3 * raw.min())


def test_band_shares_count_a_missing_prediction_as_outside():
    s = V.band_shares([1.0, 1.4, 1.9, 0.4, math.nan])
    assert s["within_1_5x"] == pytest.approx(2 / 5)
    assert s["within_2x"] == pytest.approx(3 / 5)
    assert s["median_ratio"] == pytest.approx(np.median([1.0, 1.4, 1.9, 0.4]))


@pytest.mark.parametrize("column,value,match", [
    ("device", "pi9", "device must be a catalog device"),
    ("model", "resnet999", "model must be a zoo model"),
    ("latency_ms", -3, "latency_ms must be a number > 0"),
    ("precision", "fp8", "precision must be one of"),
    ("input_hw", 0, "input_hw must be an integer"),
    ("source", "", "source must not be empty"),
])
def test_bad_rows_are_named(tmp_path, column, value, match):
    t = V.load_measured().head(3).copy()
    t[column] = t[column].astype(object)
    t.loc[1, column] = value
    path = tmp_path / "bad.csv"
    t.to_csv(path, index=False)
    with pytest.raises(EdgelabError, match=match) as e:
        V.load_measured(path)
    assert "bad.csv" in str(e.value) and "lines [3]" in str(e.value)


def test_cli_json_has_the_top_level_keys_and_shares():
    code, out, err = run_captured("validate", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    for k in ("pairs", "devices", "within_1_5x", "within_2x", "loo_within_1_5x",
              "loo_within_2x"):
        assert k in d
    assert isinstance(d["pairs"], int) and d["pairs"] >= 40 and d["devices"] >= 5
    for k in ("within_1_5x", "within_2x", "loo_within_1_5x", "loo_within_2x"):
        assert 0.0 <= d[k] <= 1.0
    assert len(d["rows"]) == d["pairs"] and {r["device"] for r in d["by_device"]} == {
        r["device"] for r in d["rows"]}


def test_cli_table_device_filter_and_bad_device():
    code, out, _ = run_captured("validate", "--device", "rpi4")
    assert code == 0 and "rpi4" in out and "jetson-nano" not in out
    code, out, _ = run_captured("validate", "--device", "rpi4", "--pairs", "--format", "csv")
    rows = pd.read_csv(pd.io.common.StringIO(out))
    assert code == 0 and set(rows["device"]) == {"rpi4"} and "loo_ratio" in rows.columns
    code, out, err = run_captured("validate", "--device", "pi9")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--device" in err


def test_plot_has_both_panels_log_axes_and_every_pair(report):
    from edgelab.explorers.validation import plot_predicted_vs_measured

    fig = plot_predicted_vs_measured(report)
    raw_ax, loo_ax = fig.axes[:2]
    assert raw_ax.get_xscale() == raw_ax.get_yscale() == "log" == loo_ax.get_xscale()
    n_raw = sum(len(c.get_offsets()) for c in raw_ax.collections if len(c.get_offsets()) and
                c.get_label() != f"within {max(V.BANDS):g}×")
    assert n_raw == report.summary["pairs"]
    labels = loo_ax.get_legend().get_texts()
    assert {d for d in report.pairs["device"]} <= {t.get_text().split(" ")[0] for t in labels}
