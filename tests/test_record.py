"""Tests of edgelab.record and edgelab.claims' reported numbers (recording API, atomic writes,
data/reported.csv)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edgelab import _io, record
from edgelab.claims import parse_rule
from edgelab.errors import EdgelabError, UnknownNameError
from edgelab.record import Recorder, reported, reported_table

SEED_CSV = Path("/work/shared/reference/seed_reported_results.csv")
REPORTED = Path(__file__).resolve().parents[1] / "data" / "reported.csv"

# claim ids the chapters use (fixed by the lead; see data/README.md)
REQUIRED_IDS = {
    "alexnet_weights",
    "alexnet_macs",
    "vgg16_weights",
    "vgg16_macs",
    "googlenet_weights",
    "googlenet_macs",
    "alexnet_conv_fc_energy_split",
    "ei_level_tradeoff",
    "latency_deadline_100ms",
    "edge_vs_cloud_latency",
    "neurosurgeon_latency",
    "neurosurgeon_energy",
    "fedavg_rounds",
    "modnn_speedup",
    "splitting_accuracy",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------- reported.csv
def test_reported_returns_verbatim_value() -> None:
    row = reported("vgg16_macs")
    assert row["reported_value"] == "15.5G MACs"
    assert row["reported_low"] == row["reported_high"] == 15.5e9
    assert row["units"] == "MACs"
    assert row["verdict_rule"] == "within_rel:0.05"
    assert row["seed_file"].startswith("003_")
    # "n/a" cells stay text, never NaN
    assert row["ei_level"] == "n/a"
    directional = reported("ei_level_tradeoff")
    assert directional["reported_low"] is None and directional["reported_value"].startswith(
        "directional:"
    )


def test_reported_csv_is_well_formed() -> None:
    rows = _rows(REPORTED)
    ids = [r["claim_id"] for r in rows]
    assert len(ids) == len(set(ids)), "claim_id must be unique"
    assert REQUIRED_IDS <= set(ids)
    for r in rows:
        rule = parse_rule(r["verdict_rule"])  # every rule parses
        assert r["reproducible_here"] in ("yes", "no")
        assert (rule.kind == "none") == (r["reproducible_here"] == "no"), r["claim_id"]
        lo = float(r["reported_low"]) if r["reported_low"] else None
        hi = float(r["reported_high"]) if r["reported_high"] else None
        if lo is not None and hi is not None:
            assert lo <= hi, r["claim_id"]
        if rule.kind in ("within_rel", "within_abs"):
            assert lo is not None, r["claim_id"]
        if rule.kind == "range":
            assert lo is not None or hi is not None, r["claim_id"]
    assert len(reported_table()) == len(rows)


@pytest.mark.skipif(not SEED_CSV.exists(), reason="seed reference table not available")
def test_reported_keeps_seed_columns_and_rows_verbatim() -> None:
    seed = _rows(SEED_CSV)
    ours = _rows(REPORTED)
    assert len(seed) == len(ours)
    for s, o in zip(seed, ours, strict=True):
        for col, val in s.items():
            assert o[col] == val, (o["claim_id"], col)


def test_reported_table_selects_in_order_and_rejects_unknown() -> None:
    df = reported_table(["vgg16_macs", "alexnet_weights"])
    assert df["claim_id"].tolist() == ["vgg16_macs", "alexnet_weights"]
    with pytest.raises(UnknownNameError):
        reported_table(["nope"])


def test_unknown_claim_id_lists_close_matches(tmp_path: Path) -> None:
    rec = Recorder("ch", out_dir=tmp_path)
    with pytest.raises(UnknownNameError, match="vgg16_macs") as info:
        rec.claim("vgg16_mac", 1.5e10)
    assert isinstance(info.value, KeyError) and isinstance(info.value, EdgelabError)
    assert not (tmp_path / "tables" / "ch__claims.json").exists()


def test_claim_value_must_suit_rule(tmp_path: Path) -> None:
    rec = Recorder("ch", out_dir=tmp_path)
    with pytest.raises(ValueError, match="real number"):
        rec.claim("neurosurgeon_latency", True)
    with pytest.raises(ValueError, match="finite"):
        rec.claim("vgg16_macs", float("nan"))
    with pytest.raises(ValueError, match="directional"):
        rec.claim("ei_level_tradeoff", "yes")
    rec.claim("ei_level_tradeoff", np.bool_(True))
    rec.claim("modnn_speedup", np.float32(3.0), units="x")
    with pytest.warns(UserWarning, match="units"):
        rec.claim("vgg16_macs", 15.4, units="GMACs")
    rec.claim("vgg16_weights", 138_357_544, units="params")  # alias of weights: no warning


# ----------------------------------------------------------------------------- Recorder
def test_paths_and_contents(tmp_path: Path) -> None:
    rec = Recorder("02_dl_primer", out_dir=tmp_path)
    p = rec.table("zoo_sizes", pd.DataFrame({"model": ["a", "b"], "macs": [1.0, 0.1 + 0.2]}))
    assert p == tmp_path / "tables" / "02_dl_primer__zoo_sizes.csv"
    assert p.read_text() == "model,macs\na,1\nb,0.3\n"
    rec.metric("vgg16_macs", 1.55e10, units="MACs", setting="224x224, batch 1")
    rec.claim("vgg16_macs", value=1.55e10, units="MACs", setting="224x224, batch 1")
    rec.timing("profile_s", 0.12)
    assert (tmp_path / "tables" / "02_dl_primer__metrics.json").exists()
    assert (tmp_path / "tables" / "02_dl_primer__claims.json").exists()
    assert (tmp_path / "timings" / "02_dl_primer.json").exists()
    assert not list((tmp_path / "tables").glob("*timing*"))
    if os.name == "posix":  # normal permissions, not mkstemp's 0600
        assert p.stat().st_mode & 0o777 == 0o666 & ~_io._UMASK


def test_same_data_same_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": np.arange(50), "y": rng.normal(size=50), "s": ["k"] * 50})
    a = Recorder("c", out_dir=tmp_path / "a")
    b = Recorder("c", out_dir=tmp_path / "b")
    for r in (a, b):
        r.table("t", df.copy())
        r.metric("m", float(df["y"].sum()))
        r.claim("alexnet_weights", 61_100_840, units="weights")
    for name in ("c__t.csv", "c__metrics.json", "c__claims.json"):
        assert (tmp_path / "a/tables" / name).read_bytes() == (
            tmp_path / "b/tables" / name
        ).read_bytes()
    # last-bit float noise does not change the bytes
    a.table("noise", pd.DataFrame({"v": [0.1 + 0.2]}))
    b.table("noise", pd.DataFrame({"v": [0.3]}))
    assert (tmp_path / "a/tables/c__noise.csv").read_bytes() == (
        tmp_path / "b/tables/c__noise.csv"
    ).read_bytes()


def test_default_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(record.OUT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert Recorder("c").out_dir == tmp_path / "edgelab-out"
    monkeypatch.setenv(record.OUT_ENV, str(tmp_path / "env-out"))
    assert Recorder("c", out_dir=None).out_dir == tmp_path / "env-out"


@pytest.mark.parametrize("bad", ["", "a b", "a__b", "../x", "x/y"])
def test_bad_names_rejected(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        Recorder(bad, out_dir=tmp_path)
    with pytest.raises(ValueError):
        Recorder("ok", out_dir=tmp_path).table(bad, pd.DataFrame({"a": [1]}))


def test_reserved_table_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        Recorder("c", out_dir=tmp_path).table("claims", pd.DataFrame({"a": [1]}))


# ----------------------------------------------------------------------------- atomicity
def test_crash_during_replace_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = Recorder("c", out_dir=tmp_path)
    target = rec.table("t", pd.DataFrame({"v": [1, 2, 3]}))
    old = target.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(record.os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        rec.table("t", pd.DataFrame({"v": list(range(1000))}))
    with pytest.raises(OSError, match="simulated"):
        rec.table("fresh", pd.DataFrame({"v": [1]}))
    with pytest.raises(OSError, match="simulated"):
        rec.claim("vgg16_macs", 1.55e10)
    assert target.read_bytes() == old  # the old content, untouched
    assert not (tmp_path / "tables" / "c__fresh.csv").exists()  # no partial new file
    assert not (tmp_path / "tables" / "c__claims.json").exists()
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["c__t.csv"]  # no temp left


def test_crash_during_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = record.atomic_write_text(tmp_path / "f.csv", "a\n1\n")

    def boom(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(record.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        record.atomic_write_text(tmp_path / "f.csv", "a\n2\n")
    assert target.read_text() == "a\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


def test_reported_numbers_live_in_claims_and_record_reexports_them() -> None:
    from edgelab import claims

    assert record.reported is claims.reported
    assert record.reported_table is claims.reported_table
    assert record.claim_ids is claims.claim_ids
    assert claims.claim_ids()[:3] == reported_table()["claim_id"].tolist()[:3]
    assert claims.reported("vgg16_macs") == reported("vgg16_macs")


@pytest.mark.parametrize("rule,tol", [("within_rel:0.05", 0.05), ("within_rel:0.1:1", 0.1),
                                      ("within_abs:3", None), ("range:1", None),
                                      ("direction:+", None), ("none", None)])
def test_tolerance_of_a_rule(rule: str, tol: float | None) -> None:
    from edgelab.claims import tolerance

    got = tolerance(rule)
    assert (np.isnan(got) if tol is None else got == tol)
    assert tolerance(parse_rule(rule)) == got or np.isnan(got)
