"""Issue 12 item 3: every claim a chapter records is recorded by one chapter only (one quantity
per claim id) and has a verdict rule that judges it (no recorded claim shows "not checked")."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import nbformat

from edgelab.claims import parse_rule, reported_table

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CLAIM_CALL = re.compile(r"""rec\.claim\(\s*["']([A-Za-z0-9_]+)["']""")


def recorded_claims() -> dict[str, set[str]]:
    """Claim id -> the chapters whose code cells record it with a literal id."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                for cid in CLAIM_CALL.findall(cell.source):
                    found[cid].add(path.stem)
    return found


def test_the_scan_finds_the_claims_of_this_issue():
    found = recorded_claims()
    assert found["neurosurgeon_latency"] == {"20_partition"}
    assert found["neurosurgeon_energy"] == {"20_partition"}
    assert found["edge_vs_cloud_latency"] == {"01_edge_paradigms"}
    assert found["ssgd_privacy_accuracy"] == {"10_federated"}


def test_each_claim_id_is_recorded_by_one_chapter():
    twice = {cid: sorted(chs) for cid, chs in recorded_claims().items() if len(chs) > 1}
    assert twice == {}


def test_every_recorded_claim_has_a_rule_and_is_reproducible_here():
    table = reported_table().set_index("claim_id")
    for cid in recorded_claims():
        row = table.loc[cid]
        assert parse_rule(row["verdict_rule"]).kind != "none", cid
        assert row["reproducible_here"] == "yes" and row["not_reproducible_reason"] == "", cid


def test_ssgd_is_judged_by_direction_and_seed_notes_stay_verbatim():
    row = reported_table().set_index("claim_id").loc["ssgd_privacy_accuracy"]
    assert row["verdict_rule"] == "direction:+"
    assert parse_rule(row["verdict_rule"]).sign == 1
    assert row["notes"].endswith("second objective: Privacy preservation")  # seed column, verbatim
