"""The instructor's frame of each chapter: card, reading time, recorded run times, the command."""

import json
import shutil
from pathlib import Path

import pytest

from edgelab.cli import run_captured as run
from edgelab.errors import EdgelabError
from edgelab.pipeline.chapters import (
    TIMES_FILE,
    chapter_card,
    chapter_index,
    chapter_meta,
    reading_minutes,
    record_times,
)

NB = Path(__file__).resolve().parents[1] / "notebooks"


def _nb(words: int, title: str = "T") -> dict:
    md = {"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n", "w " * words]}
    return {"cells": [md], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def tiny(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    for stem, words in (("a_one", 399), ("b_two", 401)):
        (d / f"{stem}.ipynb").write_text(json.dumps(_nb(words, stem.upper())))
    (d / "chapters.toml").write_text(
        '[chapters.a_one]\nsurvey = "§1"\nprerequisites = []\nminutes = 30\n'
        '[chapters.b_two]\nsurvey = "§2"\nprerequisites = ["a_one"]\nminutes = 45\n')
    return d


def _run_out(tmp_path: Path, name: str, mode: str, seconds: dict) -> Path:
    out = tmp_path / name
    out.mkdir()
    chapters = {k: {"status": "ok", "seconds": v} for k, v in seconds.items()}
    (out / "timings.json").write_text(json.dumps({"mode": mode, "chapters": chapters}))
    return out


def test_every_chapter_has_a_frame():
    meta = chapter_meta(NB)
    stems = [s for s, _ in chapter_index(NB)]
    assert set(meta) == set(stems)
    for s in stems:
        card = chapter_card(s, NB)
        assert card.survey.startswith("seed ") and card.minutes > 0 and card.reading_min >= 1
        assert card.title


def test_previous_and_next_follow_the_pipeline_order():
    stems = [s for s, _ in chapter_index(NB)]
    first, last = chapter_card(stems[0], NB), chapter_card(stems[-1], NB)
    assert first.previous is None and first.next[0] == stems[1]
    assert last.next is None and last.previous[0] == stems[-2]


def test_reading_minutes_rounds_up():
    assert reading_minutes(_nb(398)) == 2  # 400 words with "# T", at 200 a minute
    assert reading_minutes(_nb(399)) == 3
    assert reading_minutes({"cells": []}) == 1


def test_card_without_times_says_how_to_measure(tiny):
    card = chapter_card("b_two", tiny)
    assert card.quick_s is None and "record-times" in str(card)
    assert card.previous == ("a_one", "A_ONE") and card.next is None
    assert "[a_one: A_ONE](a_one.ipynb)" in card._repr_markdown_()
    assert "Assumes: a_one" in str(card)


def test_record_times_writes_measured_seconds(tiny, tmp_path):
    q = _run_out(tmp_path, "q", "quick", {"a_one": 3.21, "b_two": 4.0})
    f = _run_out(tmp_path, "f", "full", {"a_one": 30.0, "b_two": 41.26})
    path = record_times(q, f, tiny, machine="test box")
    assert path == tiny / TIMES_FILE
    card = chapter_card("a_one", tiny)
    assert (card.quick_s, card.full_s) == (3.2, 30.0)
    assert "quick mode 3 s, full mode 30 s (measured by `edgelab reproduce` on test box)" in str(card)


def test_record_times_refuses_a_wrong_or_partial_run(tiny, tmp_path):
    q = _run_out(tmp_path, "q", "quick", {"a_one": 3.0})
    f = _run_out(tmp_path, "f", "full", {"a_one": 30.0, "b_two": 40.0})
    with pytest.raises(EdgelabError, match="b_two"):
        record_times(q, f, tiny)
    with pytest.raises(EdgelabError, match="expected a 'quick' run"):
        record_times(f, f, tiny)
    assert not (tiny / TIMES_FILE).exists()


def test_unknown_chapter_and_missing_entry(tiny):
    with pytest.raises(EdgelabError, match="chapter"):
        chapter_card("zz", tiny)
    (tiny / "c_three.ipynb").write_text(json.dumps(_nb(10)))
    with pytest.raises(EdgelabError, match="no entry for chapter 'c_three'"):
        chapter_card("c_three", tiny)


def test_cli_lists_chapters_and_records(tiny, tmp_path):
    code, out, _ = run("chapters", "--notebooks", str(tiny), "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["chapter"] for r in rows] == ["a_one", "b_two"]
    assert rows[0]["quick_s"] is None and rows[1]["session_min"] == 45
    q = _run_out(tmp_path, "q", "quick", {"a_one": 1.0, "b_two": 2.0})
    f = _run_out(tmp_path, "f", "full", {"a_one": 10.0, "b_two": 20.0})
    code, out, err = run("chapters", "--notebooks", str(tiny), "--record-times", str(q), str(f),
                         "--format", "csv")
    assert code == 0 and "wrote" in err and out.splitlines()[2].endswith(",2.0,20.0")
    code, _, err = run("chapters", "--notebooks", str(tiny), "--record-times", str(q), "nowhere")
    assert code == 2 and err.count("\n") == 1 and "timings.json" in err


def test_solutions_live_apart(tmp_path):
    shutil.copytree(NB, tmp_path / "nb", ignore=shutil.ignore_patterns("solutions"))
    assert all("solutions" not in s for s, _ in chapter_index(tmp_path / "nb"))
