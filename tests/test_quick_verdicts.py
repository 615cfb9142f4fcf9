"""Quick mode tells the same story as full mode (issue 12, item 4).

The mechanism (``rec.claim(..., full_mode_only=True)``) is tested on small synthetic OUT
folders. ``test_quick_verdicts_match_expected`` runs every chapter in quick mode through
``edgelab.pipeline.reproduce`` (about 1.5 min on 2 cores; the golden copies cannot stand in,
they hold printed values but no verdicts) and compares the verdicts with
``tests/expected_verdicts.csv``: the verdicts of a full run, full-mode-only claims marked
"run full mode to check this claim". Regenerate that file from a full run when a verdict
moves for a reason (and say why in the commit).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from edgelab.pipeline import compile_summary
from edgelab.pipeline.summary import (
    FULL_MODE_ONLY,
    compare_verdicts,
    read_verdicts,
    summary_counts,
)
from edgelab.record import Recorder

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected_verdicts.csv"


def _manifest(out: Path, chapter: str, quick: bool) -> None:
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    doc = {"name": chapter, "status": "ok", "outputs": {},
           "inputs": {"parameters": json.dumps({"quick": quick, "seed": 0})}}
    (runs / f"{chapter}.json").write_text(json.dumps(doc), encoding="utf-8")


def _synthetic_out(out: Path, quick: bool, *, via_manifest: bool) -> pd.DataFrame:
    """One chapter with a full-mode-only claim (alexnet_weights) and a plain one (vgg16_macs)."""
    rec = Recorder("00_alpha", out_dir=out, quick=None if via_manifest else quick)
    rec.claim("alexnet_weights", 61.1e6, units="weights", full_mode_only=True)
    rec.claim("vgg16_macs", 1.55e10, units="MACs")
    if via_manifest:
        _manifest(out, "00_alpha", quick)
    compile_summary(out)
    return pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False).set_index("claim_id")


def test_full_mode_only_is_stored_in_claims_json(tmp_path: Path) -> None:
    rec = Recorder("00_alpha", out_dir=tmp_path, quick=True)
    rec.claim("alexnet_weights", 61.1e6, units="weights", full_mode_only=True)
    rec.claim("vgg16_macs", 1.55e10, units="MACs")
    doc = json.loads(rec.path("claims", ".json").read_text(encoding="utf-8"))
    assert doc["quick"] is True
    assert doc["claims"]["alexnet_weights"]["full_mode_only"] is True
    assert "full_mode_only" not in doc["claims"]["vgg16_macs"]  # unchanged bytes for others


def test_recorder_without_mode_writes_no_quick_key(tmp_path: Path) -> None:
    rec = Recorder("00_alpha", out_dir=tmp_path)
    rec.claim("vgg16_macs", 1.55e10, units="MACs")
    doc = json.loads(rec.path("claims", ".json").read_text(encoding="utf-8"))
    assert set(doc) == {"chapter", "claims"}


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_full_mode_only_must_be_bool(tmp_path: Path, bad: object) -> None:
    rec = Recorder("00_alpha", out_dir=tmp_path)
    with pytest.raises(ValueError, match="full_mode_only"):
        rec.claim("vgg16_macs", 1.55e10, units="MACs", full_mode_only=bad)  # type: ignore[arg-type]


def test_recorder_quick_must_be_bool_or_none(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="quick"):
        Recorder("00_alpha", out_dir=tmp_path, quick="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("via_manifest", [True, False], ids=["manifest", "recorder"])
def test_quick_summary_says_run_full_mode(tmp_path: Path, via_manifest: bool) -> None:
    s = _synthetic_out(tmp_path, quick=True, via_manifest=via_manifest)
    assert s.loc["alexnet_weights", "verdict"] == FULL_MODE_ONLY
    assert "full-mode-only" in s.loc["alexnet_weights", "reason"]
    assert s.loc["alexnet_weights", "reproduced_value"] == "61100000"  # value still shown
    assert s.loc["vgg16_macs", "verdict"] == "matches"
    md = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"{FULL_MODE_ONLY}: 1" in md and "matches: 1" in md
    assert summary_counts(tmp_path) == {FULL_MODE_ONLY: 1, "matches": 1}


@pytest.mark.parametrize("via_manifest", [True, False], ids=["manifest", "recorder"])
def test_full_summary_gives_the_verdict(tmp_path: Path, via_manifest: bool) -> None:
    s = _synthetic_out(tmp_path, quick=False, via_manifest=via_manifest)
    assert s.loc["alexnet_weights", "verdict"] == "matches"
    assert s.loc["vgg16_macs", "verdict"] == "matches"
    assert f"{FULL_MODE_ONLY}: 0" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_compare_verdicts_folders(tmp_path: Path) -> None:
    q, f = tmp_path / "q", tmp_path / "f"
    _synthetic_out(q, quick=True, via_manifest=True)
    _synthetic_out(f, quick=False, via_manifest=True)
    assert read_verdicts(q) == {"alexnet_weights": FULL_MODE_ONLY, "vgg16_macs": "matches"}
    assert compare_verdicts(q, f) == []  # full-mode-only agrees with any full verdict


def test_compare_verdicts_reports_differences() -> None:
    quick = {"a": "differs", "b": "matches", "c": "matches"}
    full = {"a": "matches", "b": "matches", "d": "differs"}
    assert compare_verdicts(quick, full) == [
        "a: quick 'differs' vs full 'matches'",
        "c: not recorded in full mode (quick: matches)",
        "d: not recorded in quick mode (full: differs)",
    ]


def _expected() -> dict[str, str]:
    with open(EXPECTED, newline="", encoding="utf-8") as f:
        return {r["claim_id"]: r["verdict"] for r in csv.DictReader(f)}


def test_expected_verdicts_file_is_well_formed() -> None:
    exp = _expected()
    assert exp, "tests/expected_verdicts.csv is empty"
    assert set(exp.values()) <= {"matches", "same direction", "differs", "not checked",
                                 FULL_MODE_ONLY}


def test_quick_verdicts_match_expected(quick_reproduction) -> None:
    """Every chapter in quick mode: its verdicts are the full run's (tests/expected_verdicts.csv)."""
    out, result = quick_reproduction   # tests/conftest.py: one quick run shared with the book
    failed = [r.name for r in result.failed]
    assert not failed, f"chapters failed in quick mode: {failed}"
    got, exp = read_verdicts(out), _expected()
    # strict: a quick "run full mode" must be expected as such, not hide a verdict
    diffs = [f"{k}: quick {got.get(k)!r}, expected {exp.get(k)!r}"
             for k in sorted(set(got) | set(exp)) if got.get(k) != exp.get(k)]
    assert not diffs, "quick mode tells another story than full mode:\n" + "\n".join(diffs)
