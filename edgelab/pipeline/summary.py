"""The summary of a reproduction: every recorded claim judged against ``data/reported.csv``.

:func:`compile_summary` writes ``OUT/summary.csv`` / ``summary.md`` and regenerates seed 003's
Table 2 (training systems) and Table 4 (inference systems) with an ``edgelab`` column.

Quick and full mode tell the same story: a claim recorded with
``rec.claim(..., full_mode_only=True)`` gets the verdict :data:`FULL_MODE_ONLY` ("run full mode
to check this claim") in a quick run and its real verdict in a full run. The nightly compares
its two runs with :func:`compare_verdicts`::

    edgelab reproduce --quick --out out-quick && edgelab reproduce --full --out out-full
    python -c "from edgelab.pipeline.summary import compare_verdicts as c; import sys; \
    d = c('out-quick', 'out-full'); print(*d, sep='\n'); sys.exit(bool(d))"

CI checks the quick verdicts against ``tests/expected_verdicts.csv`` (the full-mode verdicts).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from edgelab.claims import NOT_CHECKED, NOT_REPRODUCIBLE_REASONS, REASON_COLUMN, VERDICTS, evaluate
from edgelab.errors import EdgelabError
from edgelab.pipeline.results import RUNS, ChapterResult
from edgelab.record import (
    FLOAT_FORMAT,
    TABLES,
    atomic_write_text,
    read_csv_rows,
    reported_table,
)

__all__ = [
    "FULL_MODE_ONLY",
    "compare_verdicts",
    "read_verdicts",
    "SUMMARY_COLUMNS",
    "UNCOVERED_COLUMNS",
    "compile_summary",
    "reason_counts",
    "regenerate_survey_tables",
    "summary_counts",
]

#: The verdict column of a full-mode-only claim in a quick run (counted apart in summary.md).
FULL_MODE_ONLY = "run full mode to check this claim"

SUMMARY_COLUMNS = [
    "claim_id",
    "system",
    "metric",
    "reported_value",
    "reported_units",
    "reproduced_value",
    "units",
    "setting",
    "verdict",
    "verdict_rule",
    "reason",
    "chapter",
    "source",
]
#: Columns of ``OUT/summary_uncovered.csv``: the reported claims no chapter recorded.
UNCOVERED_COLUMNS = [
    "claim_id",
    "system",
    "metric",
    "reported_value",
    "reproducible_here",
    REASON_COLUMN,
    "verdict_rule",
    "source",
]
SURVEY_TABLES = {
    # file stem -> (prefix of section_or_table, title)
    "table2_training": (
        "Table 2",
        "Table 2 (seed 003): systems and frameworks on EI model training",
    ),
    "table4_inference": (
        "Table 4",
        "Table 4 (seed 003): systems and frameworks on EI model inference",
    ),
}
SURVEY_COLUMNS = [
    "system",
    "architecture",
    "ei_level",
    "technique",
    "reported_effectiveness",
    "edgelab",
    "claim_id",
]




# =========================================================================== summary
def _fmt_value(v: Any) -> str:
    """A reproduced value as a deterministic CSV cell."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        return FLOAT_FORMAT % v if isinstance(v, float) else str(v)
    return "" if v is None else str(v)


def _short(v: Any) -> str:
    """A reproduced value for humans (4 significant digits)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([[("" if x is None else x) for x in r] for r in rows])
    return buf.getvalue()


def _md_cell(v: Any) -> str:
    return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _load_claims(out: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(chapter, claim_id, record) for every claim in OUT/tables/*__claims.json, sorted.

    A file-level ``"quick"`` (the Recorder's mode) is copied into each record as ``"_quick"``.
    """
    found = []
    for p in sorted((out / TABLES).glob("*__claims.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except ValueError as e:
            raise EdgelabError(f"{p} is not valid JSON: {e}") from None
        chapter = doc.get("chapter") or p.name.split("__")[0]
        for cid, rec in sorted(doc.get("claims", {}).items()):
            if isinstance(doc.get("quick"), bool):
                rec = {**rec, "_quick": doc["quick"]}
            found.append((chapter, cid, rec))
    return sorted(found, key=lambda t: (t[1], t[0]))


def _load_manifests(out: Path) -> list[dict[str, Any]]:
    ms = []
    for p in sorted((out / RUNS).glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            ms.append(json.loads(p.read_text(encoding="utf-8")))
    return ms


def _manifest_quick(manifests: Sequence[dict[str, Any]]) -> dict[str, bool]:
    """Chapter name -> whether its run was quick, from the manifests' recorded parameters."""
    modes: dict[str, bool] = {}
    for m in manifests:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            params = json.loads(m.get("inputs", {}).get("parameters", ""))
            if isinstance(params.get("quick"), bool):
                modes[m["name"]] = params["quick"]
    return modes


def compile_summary(
    out: str | os.PathLike[str], *, reported_path: str | os.PathLike[str] | None = None
) -> Path:
    """Build ``OUT/summary.csv``, ``summary.md``, ``summary_uncovered.csv`` and Tables 2/4.

    One row per (claim, chapter) recorded in ``OUT/tables/*__claims.json``: the reported value
    verbatim, ours with units and setting, the verdict by the row's ``verdict_rule`` and the
    rule itself. Reported claims no chapter covers are listed apart and counted. The CSVs are
    deterministic (same tables in, same bytes out). Returns the path of summary.md.
    """
    out = Path(out)
    rep = reported_table(path=reported_path)
    by_id = {r["claim_id"]: r for r in rep.to_dict("records")}
    rows: list[list[Any]] = []
    covered: dict[str, list[dict[str, Any]]] = {}
    manifests = _load_manifests(out)
    quick_by_chapter = _manifest_quick(manifests)
    for chapter, cid, rec in _load_claims(out):
        value = rec.get("value")
        r = by_id.get(cid)
        if r is None:
            verdict, reason = NOT_CHECKED, "claim_id not in data/reported.csv"
            r = {
                "system": "?",
                "metric": "?",
                "reported_value": "",
                "units": "",
                "verdict_rule": "",
                "section_or_table": "",
                "seed_file": "",
            }
        else:
            low = None if math.isnan(r["reported_low"]) else r["reported_low"]
            high = None if math.isnan(r["reported_high"]) else r["reported_high"]
            verdict, reason = evaluate(r["verdict_rule"], value, low, high)
        quick = rec.get("_quick", quick_by_chapter.get(chapter))
        if rec.get("full_mode_only") and quick:
            verdict = FULL_MODE_ONLY
            reason = "full-mode-only claim: the quick run's value cannot decide it"
        row = {
            "claim_id": cid,
            "system": r["system"],
            "metric": r["metric"],
            "reported_value": r["reported_value"],
            "reported_units": r["units"],
            "reproduced_value": _fmt_value(value),
            "units": rec.get("units", ""),
            "setting": rec.get("setting", ""),
            "verdict": verdict,
            "verdict_rule": r["verdict_rule"],
            "reason": reason,
            "chapter": chapter,
            "source": f"{r['seed_file'][:3]} {r['section_or_table']}".strip(),
        }
        rows.append([row[c] for c in SUMMARY_COLUMNS])
        covered.setdefault(cid, []).append({**row, "value": value, "note": rec.get("note", "")})

    atomic_write_text(out / "summary.csv", _csv_text(SUMMARY_COLUMNS, rows))
    uncovered = [r for r in rep.to_dict("records") if r["claim_id"] not in covered]
    unc_rows = [
        [
            u["claim_id"],
            u["system"],
            u["metric"],
            u["reported_value"],
            u["reproducible_here"],
            u[REASON_COLUMN],
            u["verdict_rule"],
            f"{u['seed_file'][:3]} {u['section_or_table']}".strip(),
        ]
        for u in uncovered
    ]
    atomic_write_text(out / "summary_uncovered.csv", _csv_text(UNCOVERED_COLUMNS, unc_rows))
    regenerate_survey_tables(out, rep, covered)

    # ---- summary.md (deterministic too: no times, no absolute paths)
    md: list[str] = ["# edgelab reproduction summary", ""]
    modes = sorted({m.get("inputs", {}).get("parameters", "") for m in manifests} - {""})
    if modes:
        md += ["Parameters: " + "; ".join(f"`{p}`" for p in modes), ""]
    failed = [m for m in manifests if m.get("status") == "failed"]
    md += [f"Chapters: {len(manifests)} ({len(failed)} failed).", ""]
    if manifests:
        per_chapter: dict[str, int] = {}
        for c in (c for cs in covered.values() for c in cs):
            per_chapter[c["chapter"]] = per_chapter.get(c["chapter"], 0) + 1
        md += ["## Chapters", ""]
        md.append(
            _md_table(
                ["chapter", "status", "files in tables/", "claims"],
                [
                    [
                        m["name"],
                        m.get("status", "?"),
                        len(m.get("outputs", {})),
                        per_chapter.get(m["name"], 0),
                    ]
                    for m in manifests
                ],
            )
        )
    if failed:
        md += ["## Failures", ""]
        for m in failed:
            res = ChapterResult(
                name=m["name"],
                status="failed",
                error=m.get("error"),
                cell_index=m.get("cell_index"),
                cell_source=m.get("cell_source"),
            )
            md.append(f"- **{m['name']}** failed at {res.describe_failure()}")
        md.append("")
    counts = {
        v: sum(1 for r in rows if r[SUMMARY_COLUMNS.index("verdict")] == v)
        for v in (*VERDICTS, FULL_MODE_ONLY)
    }
    md += [f"## Claims reproduced ({len(rows)})", ""]
    md.append(", ".join(f"{k}: {v}" for k, v in counts.items()) + "\n")
    if rows:
        md.append(
            _md_table(
                ["claim", "system", "metric", "reported", "edgelab", "verdict", "rule", "chapter"],
                [
                    [
                        c["claim_id"],
                        c["system"],
                        c["metric"],
                        c["reported_value"],
                        f"{_short(c['value'])} {c['units']}".strip()
                        + (f" ({c['setting']})" if c["setting"] else ""),
                        c["verdict"],
                        c["verdict_rule"],
                        c["chapter"],
                    ]
                    for cid in sorted(covered)
                    for c in covered[cid]
                ],
            )
        )
    can = [u for u in uncovered if u["reproducible_here"] == "yes"]
    cannot = [u for u in uncovered if u["reproducible_here"] != "yes"]
    md += [
        f"## Reported claims not covered ({len(uncovered)} of {len(rep)}; "
        f"{len(can)} of them re-checkable here)",
        "",
        f"### Re-checkable on a laptop, no chapter yet ({len(can)})",
        "",
    ]
    md += [f"- `{u['claim_id']}`: {u['system']}, {u['metric']}: {u['reported_value']}" for u in can]
    md += ["", f"### Not re-checkable here (rule `none`) ({len(cannot)})", ""]
    by_reason = reason_counts(cannot)
    if cannot:
        md.append(
            "By reason (`chapter-to-come` is a debt: a coming chapter turns each into a verdict):"
        )
        md.append("")
        md.append(_md_table(["reason", "claims"], [[k, v] for k, v in by_reason.items()]))
    md += [
        f"- `{u['claim_id']}` ({u[REASON_COLUMN] or 'no reason given'}): {u['system']}, "
        f"{u['metric']}: {u['reported_value']}"
        for u in cannot
    ]
    md += [
        "",
        "Regenerated survey tables: [Table 2](table2_training.md), [Table 4](table4_inference.md).",
        "",
    ]
    return atomic_write_text(out / "summary.md", "\n".join(md)).resolve()


def regenerate_survey_tables(
    out: str | os.PathLike[str],
    rep: Any | None = None,
    covered: dict[str, list[dict[str, Any]]] | None = None,
) -> list[Path]:
    """Seed 003's Table 2 (training) and Table 4 (inference) with an ``edgelab`` column.

    Rows are those of ``data/reported.csv`` whose ``section_or_table`` starts with
    "Table 2" / "Table 4", with the survey's columns (system, architecture, EI level,
    technique, reported effectiveness); ``edgelab`` holds our value and verdict, or
    "not reproduced yet" ("not re-checkable here" for rule ``none`` rows).
    """
    out = Path(out)
    if rep is None:
        rep = reported_table()
    covered = covered or {}
    written = []
    for stem, (prefix, title) in SURVEY_TABLES.items():
        rows = []
        for r in rep.to_dict("records"):
            if not r["section_or_table"].startswith(prefix):
                continue
            if r["claim_id"] in covered:
                ed = "; ".join(
                    f"{_short(c['value'])} {c['units']}".strip()
                    + (f" ({c['setting']})" if c["setting"] else "")
                    + f": {c['verdict']} [{c['chapter']}]"
                    for c in covered[r["claim_id"]]
                )
            elif r["reproducible_here"] == "yes":
                ed = "not reproduced yet"
            else:
                ed = "not re-checkable here"
            rows.append(
                [
                    r["system"],
                    r["architecture"],
                    r["ei_level"],
                    r["technique"],
                    f"{r['metric']}: {r['reported_value']}",
                    ed,
                    r["claim_id"],
                ]
            )
        written.append(atomic_write_text(out / f"{stem}.csv", _csv_text(SURVEY_COLUMNS, rows)))
        header = [
            "System or framework",
            "Architecture",
            "EI level",
            "Employed technology",
            "Effectiveness (reported)",
            "edgelab",
            "claim",
        ]
        md = (
            f"# {title}\n\nRegenerated by `edgelab reproduce` from data/reported.csv.\n\n"
            + _md_table(header, rows)
        )
        written.append(atomic_write_text(out / f"{stem}.md", md))
    return written




def reason_counts(claims: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Count reported claims (rows of ``data/reported.csv`` as dicts) by ``not_reproducible_reason``.

    Keys follow :data:`~edgelab.claims.NOT_REPRODUCIBLE_REASONS`' order and only reasons that
    occur are kept; a row without a reason counts under ``""``, any other value after the
    known ones. The summary shows this for the uncovered claims.
    """
    counts: dict[str, int] = {}
    for c in claims:
        key = str(c.get(REASON_COLUMN, "") or "").strip()
        counts[key] = counts.get(key, 0) + 1
    order = {r: i for i, r in enumerate(NOT_REPRODUCIBLE_REASONS)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def summary_counts(out: str | os.PathLike[str]) -> dict[str, int]:
    """Verdict counts of ``OUT/summary.csv`` (for the CLI's closing line)."""
    path = Path(out) / "summary.csv"
    rows = read_csv_rows(path) if path.exists() else []
    if not rows:
        return {}
    i = rows[0].index("verdict")
    counts: dict[str, int] = {}
    for r in rows[1:]:
        counts[r[i]] = counts.get(r[i], 0) + 1
    return counts


def read_verdicts(out: str | os.PathLike[str]) -> dict[str, str]:
    """``claim_id -> verdict`` from ``OUT/summary.csv`` (a claim recorded twice: ``chapter:id``).

    Raises :class:`~edgelab.errors.EdgelabError` when OUT has no summary.
    """
    path = Path(out) / "summary.csv"
    if not path.exists():
        raise EdgelabError(f"{path} does not exist: run edgelab reproduce first")
    rows = read_csv_rows(path)
    head = rows[0]
    ic, iv, ich = head.index("claim_id"), head.index("verdict"), head.index("chapter")
    ids = [r[ic] for r in rows[1:]]
    return {
        (r[ic] if ids.count(r[ic]) == 1 else f"{r[ich]}:{r[ic]}"): r[iv] for r in rows[1:]
    }


def compare_verdicts(
    quick: str | os.PathLike[str] | Mapping[str, str],
    full: str | os.PathLike[str] | Mapping[str, str],
) -> list[str]:
    """Where a quick run's verdicts tell another story than a full run's.

    Each side is an OUT folder or a ``claim_id -> verdict`` mapping. A quick verdict of
    :data:`FULL_MODE_ONLY` agrees with any full verdict; a claim present on one side only is a
    difference. Returns one line per difference, sorted; empty when the stories agree.
    """
    q = dict(quick) if isinstance(quick, Mapping) else read_verdicts(quick)
    f = dict(full) if isinstance(full, Mapping) else read_verdicts(full)
    diffs = []
    for cid in sorted(set(q) | set(f)):
        if cid not in q:
            diffs.append(f"{cid}: not recorded in quick mode (full: {f[cid]})")
        elif cid not in f:
            diffs.append(f"{cid}: not recorded in full mode (quick: {q[cid]})")
        elif q[cid] != f[cid] and q[cid] != FULL_MODE_ONLY:
            diffs.append(f"{cid}: quick {q[cid]!r} vs full {f[cid]!r}")
    return diffs
