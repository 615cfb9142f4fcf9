"""Per-cell provenance of the catalogs (data/catalog_sources.csv): coverage, grades, share."""

import math

import pandas as pd
import pytest

from edgelab._paths import data_path
from edgelab.hardware import catalog


@pytest.fixture(scope="module")
def sources():
    return catalog.catalog_sources()


def test_schema_and_grades(sources):
    assert list(sources.columns) == list(catalog.SOURCE_COLUMNS)
    assert set(sources["grade"]) <= set(catalog.GRADES)
    assert set(sources["table"]) == {"devices", "links"}
    assert (sources["source"].str.len() > 10).all()
    assert (sources["locator"].str.strip() != "").all(), "every cell names its page, table or section"


def test_one_row_per_numeric_cell_with_equal_value(sources):
    cells = catalog.numeric_cells()
    key = ["table", "name", "column"]
    assert not sources.duplicated(key).any()
    merged = cells.merge(sources, on=key, how="outer", indicator=True, suffixes=("", "_src"))
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key]
    assert (merged["value"] == pd.to_numeric(merged["value_src"])).all()
    # Empty cells (no vendor figure) have no row: e.g. the Pi's fp16 and int8 peaks.
    have = set(zip(sources["name"], sources["column"], strict=True))
    assert ("rpi4", "peak_fp16_gflops") not in have and ("rpi4", "peak_int8_gops") not in have
    assert len(sources) == len(cells) > 100


def test_derived_cells_show_their_arithmetic(sources):
    derived = sources[sources["grade"] == "derived"]
    assert len(derived) and (derived["derivation"].str.contains("=")).all()
    estimates = sources[sources["grade"] == "estimate"]
    assert (estimates["derivation"].str.strip() != "").all(), "an estimate says what it assumes"


def test_graded_share_is_the_true_share(sources):
    share = catalog.graded_share()
    assert share == pytest.approx(sources["grade"].isin(["measured", "datasheet"]).mean())
    # Floor at the share reached honestly (55 of 129 cells with the Raspberry Pi 5 row); the
    # issue's target is 0.9: data/CATALOG.md says which cells block it.
    assert share >= 55 / 129
    assert math.isclose(sum(catalog.graded_share((g,)) for g in catalog.GRADES), 1.0)


@pytest.mark.parametrize("bad", [(), ("guess",), ("measured", "vendor")])
def test_graded_share_rejects_unknown_grades(bad):
    with pytest.raises(ValueError, match="grades"):
        catalog.graded_share(bad)


def test_key_cells_are_sourced_as_stated(sources):
    by = sources.set_index(["name", "column"])
    assert by.loc[("lora", "duty_cycle"), "grade"] == "datasheet"
    assert "EN 300 220" in by.loc[("lora", "duty_cycle"), "source"]
    assert by.loc[("rpi4", "idle_power_w"), "grade"] == "measured"
    # The Pi 5: CPU peaks derived (no vendor figure), active power an estimate (no measurement read).
    assert by.loc[("rpi5", "peak_fp16_gflops"), "grade"] == "derived"
    assert "= 307.2" in by.loc[("rpi5", "peak_fp16_gflops"), "derivation"]
    assert by.loc[("rpi5", "active_power_w"), "grade"] == "estimate"
    assert by.loc[("h100", "peak_fp16_gflops"), "value"] == "989400"  # dense, not the sparse 1979 TF
    assert by.loc[("t4", "idle_power_w"), "grade"] == "estimate"


def test_catalog_rows_point_to_the_sources_file():
    for name in ("devices.csv", "links.csv"):
        df = pd.read_csv(data_path(name))
        assert df["notes"].str.contains("catalog_sources.csv").all(), name


def test_before_after_grades_match_catalog_md():
    before = pd.read_csv(data_path("catalog_grades_before.csv"))
    assert set(before["grade"]) <= set(catalog.GRADES)
    good_before = int(before["grade"].isin(["measured", "datasheet"]).sum())
    after = catalog.catalog_sources()
    good_after = int(after["grade"].isin(["measured", "datasheet"]).sum())
    assert (good_before, len(before)) == (40, 109)
    assert (good_after, len(after)) == (55, 129)  # 53 of 123, then the Pi 5 row's 2 of 6
    text = data_path("CATALOG.md").read_text()
    assert f"{good_before} of {len(before)}" in text and f"{good_after} of {len(after)}" in text
