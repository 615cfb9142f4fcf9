"""Issue 12 item 6: every claim not reproducible here carries a reason from a fixed list, the
table is refused otherwise, and the summary counts the uncovered claims by reason."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from edgelab.claims import (
    NOT_REPRODUCIBLE_REASONS,
    REASON_COLUMN,
    reported_table,
    validate_reasons,
)
from edgelab.errors import EdgelabError
from edgelab.pipeline import compile_summary
from edgelab.pipeline.summary import UNCOVERED_COLUMNS, reason_counts

REPORTED = Path(__file__).resolve().parents[1] / "data" / "reported.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _table(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["claim_id", "reproducible_here", REASON_COLUMN])


# ------------------------------------------------------------------------- shipped CSV
def test_every_shipped_row_has_a_valid_reason() -> None:
    rows = _rows(REPORTED)
    assert rows and REASON_COLUMN in rows[0]
    not_here = [r for r in rows if r["reproducible_here"] != "yes"]
    assert not_here, "the shipped table has claims that are not reproducible here"
    for r in rows:
        reason = r[REASON_COLUMN]
        if r["reproducible_here"] == "yes":
            assert reason == "", r["claim_id"]
        else:
            assert reason in NOT_REPRODUCIBLE_REASONS, r["claim_id"]
    validate_reasons(pd.DataFrame(rows))  # the library's own check agrees
    # the loaded table carries the column through, verbatim
    t = reported_table()
    assert t[REASON_COLUMN].tolist() == [r[REASON_COLUMN] for r in rows]


def test_forecasts_are_the_motivational_statistics() -> None:
    rows = {r["claim_id"]: r for r in _rows(REPORTED)}
    for cid in ("cisco_edge_data_2021", "gartner_iot_ai_share_2022", "cisco_iot_devices_2020"):
        assert rows[cid][REASON_COLUMN] == "forecast", cid
    assert rows["resnet_top5_error"][REASON_COLUMN] == "imagenet-scale"
    assert rows["alexnet_weights"][REASON_COLUMN] == ""


# ------------------------------------------------------------------------- validation
def test_allowed_reasons_are_the_issue_list() -> None:
    assert NOT_REPRODUCIBLE_REASONS == (
        "forecast",
        "imagenet-scale",
        "specific-hardware",
        "theory",
        "garbled",
        "chapter-to-come",
    )


def test_bad_reason_is_refused_with_claim_and_allowed_values() -> None:
    t = _table([("a", "yes", ""), ("b", "no", "too-hard")])
    with pytest.raises(EdgelabError) as e:
        validate_reasons(t)
    msg = str(e.value)
    assert "'b'" in msg and "'too-hard'" in msg
    for r in NOT_REPRODUCIBLE_REASONS:
        assert r in msg


def test_missing_reason_is_refused() -> None:
    t = _table([("a", "yes", ""), ("b", "no", "  ")])
    with pytest.raises(EdgelabError, match=r"claim 'b' is not reproducible here.*chapter-to-come"):
        validate_reasons(t)


def test_reason_on_reproducible_claim_is_refused() -> None:
    t = _table([("a", "yes", "theory")])
    with pytest.raises(EdgelabError, match=r"claim 'a' is reproducible here.*must be empty"):
        validate_reasons(t)


def test_missing_column_is_refused() -> None:
    t = pd.DataFrame({"claim_id": ["a"], "reproducible_here": ["no"]})
    with pytest.raises(EdgelabError, match=REASON_COLUMN):
        validate_reasons(t)


def test_every_allowed_reason_is_accepted() -> None:
    t = _table([(f"c{i}", "no", r) for i, r in enumerate(NOT_REPRODUCIBLE_REASONS)])
    validate_reasons(t)  # no error
    assert reason_counts(t.to_dict("records")) == dict.fromkeys(NOT_REPRODUCIBLE_REASONS, 1)


def test_reading_a_bad_table_fails_clearly(tmp_path: Path) -> None:
    rows = _rows(REPORTED)
    bad = next(r for r in rows if r["reproducible_here"] != "yes")
    bad[REASON_COLUMN] = ""
    p = _write(tmp_path / "reported.csv", rows)
    with pytest.raises(EdgelabError, match=bad["claim_id"]):
        reported_table(path=p)


# ------------------------------------------------------------------------- summary
def test_reason_counts_order_and_unknowns() -> None:
    claims = [
        {REASON_COLUMN: "theory"},
        {REASON_COLUMN: "forecast"},
        {REASON_COLUMN: "theory"},
        {REASON_COLUMN: ""},
        {"claim_id": "x"},
    ]
    got = reason_counts(claims)
    assert got == {"forecast": 1, "theory": 2, "": 2}
    assert list(got) == ["forecast", "theory", ""]


def test_summary_counts_uncovered_claims_by_reason(tmp_path: Path) -> None:
    # a reported table of 4 claims; no chapter recorded any, so all 4 are uncovered
    rows = _rows(REPORTED)
    pick = {
        "alexnet_weights",
        "cisco_edge_data_2021",
        "gartner_iot_ai_share_2022",
        "resnet_top5_error",
    }
    small = [r for r in rows if r["claim_id"] in pick]
    p = _write(tmp_path / "reported.csv", small)
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    md = compile_summary(out, reported_path=p).read_text(encoding="utf-8")

    unc = pd.read_csv(out / "summary_uncovered.csv", dtype=str, keep_default_na=False)
    assert list(unc.columns) == UNCOVERED_COLUMNS
    got = dict(zip(unc.claim_id, unc[REASON_COLUMN], strict=True))
    assert got == {
        "alexnet_weights": "",
        "cisco_edge_data_2021": "forecast",
        "gartner_iot_ai_share_2022": "forecast",
        "resnet_top5_error": "imagenet-scale",
    }
    assert "### Not re-checkable here (rule `none`) (3)" in md
    assert "| forecast | 2 |" in md and "| imagenet-scale | 1 |" in md
    assert "- `cisco_edge_data_2021` (forecast):" in md
    assert "- `resnet_top5_error` (imagenet-scale):" in md


def test_shipped_counts_add_up() -> None:
    t = reported_table()
    not_here = t[t.reproducible_here != "yes"]
    counts = reason_counts(not_here.to_dict("records"))
    assert sum(counts.values()) == len(not_here)
    assert "" not in counts and set(counts) <= set(NOT_REPRODUCIBLE_REASONS)


def test_header_places_the_column() -> None:
    # the header of the shipped file names the column right after reproducible_here
    header = REPORTED.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[header.index("reproducible_here") + 1] == REASON_COLUMN


def test_readme_counts_match_the_shipped_table() -> None:
    # data/README.md's reason table quotes a count per reason: it must be the CSV's count
    readme = (REPORTED.parent / "README.md").read_text(encoding="utf-8")
    t = reported_table()
    counts = reason_counts(t[t.reproducible_here != "yes"].to_dict("records"))
    for reason in NOT_REPRODUCIBLE_REASONS:
        line = next(ln for ln in readme.splitlines() if ln.startswith(f"| `{reason}` |"))
        assert line.rstrip(" |").rsplit("|", 1)[1].strip() == str(counts.get(reason, 0)), reason
