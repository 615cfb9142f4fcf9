"""The nightly publishes the book (issue 18 item 4): .github/workflows/nightly.yml, parsed.

After the reproduction and the comparison against the previous night, the workflow builds the
site (with the drift page against the previous OUT when it was found), then the JupyterLite
bundle into the site, uploads it as the Pages artifact, and a second job deploys it with the
Pages permissions; the reproduction's own steps keep their behaviour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "nightly.yml"


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _index(steps: list[dict[str, Any]], pred) -> int:  # noqa: ANN001
    found = [i for i, s in enumerate(steps) if pred(s)]
    assert len(found) == 1, f"{len(found)} matching steps"
    return found[0]


def _runs(text: str):  # noqa: ANN202
    return lambda s: text in str(s.get("run", ""))


def _uses(action: str):  # noqa: ANN202
    return lambda s: str(s.get("uses", "")).startswith(action + "@")


def test_book_is_built_and_uploaded_after_reproduce_and_compare():
    steps = _workflow()["jobs"]["reproduce"]["steps"]
    reproduce = _index(steps, _runs("edgelab reproduce"))
    previous = _index(steps, lambda s: s.get("id") == "previous")
    compare = _index(steps, _runs("edgelab compare previous"))
    book = _index(steps, _runs("edgelab book "))
    lite = _index(steps, _runs("edgelab lite --out site/lite"))
    upload = _index(steps, _uses("actions/upload-pages-artifact"))
    online = _index(steps, _runs("pytest -q -m online tests/book/test_lite_browser.py"))
    assert reproduce < previous < compare < book < lite < online < upload
    # the in-browser run of chapter 00 fails the night, after the site is published
    assert steps[online]["continue-on-error"] is True and "lite-online" in steps[-1]["if"]
    run = steps[book]["run"]
    assert '--runs "$OUT" --out site' in run and "--previous previous" in run
    assert "steps.previous.outputs.found" in run  # only when the previous OUT was found
    assert steps[upload]["with"]["path"] == "site" and steps[upload]["id"] == "upload-site"
    install = _index(steps, _runs("pip install --no-deps -e ."))
    assert "-r requirements-book.txt" in steps[install]["run"] and install < reproduce
    # the job sets MPLBACKEND=Agg; the pipeline gives the kernels their inline backend itself
    # (tests/test_pipeline.py::test_kernel_env_gives_kernels_their_inline_backend)
    assert "MPLBACKEND" not in steps[reproduce].get("env", {})


def test_the_reproduction_keeps_its_behaviour():
    steps = _workflow()["jobs"]["reproduce"]["steps"]
    by_id = {s.get("id"): s for s in steps if s.get("id")}
    assert by_id["reproduce"]["continue-on-error"] is True
    assert by_id["compare"]["continue-on-error"] is True
    assert by_id["compare"]["if"] == "steps.previous.outputs.found == 'true'"
    assert "--rtol 1e-6 --atol 0" in by_id["compare"]["run"]
    last = steps[-1]
    assert "exit 1" in last["run"] and "steps.compare.outcome" in last["if"]
    assert any(_uses("actions/upload-artifact")(s) and s["with"]["name"] == "edgelab-out"
               for s in steps)


def test_a_second_job_deploys_to_pages():
    wf = _workflow()
    jobs = wf["jobs"]
    assert jobs["reproduce"]["outputs"]["site"] == "${{ steps.upload-site.outcome }}"
    deploy = [name for name, job in jobs.items()
              if any(_uses("actions/deploy-pages")(s) for s in job.get("steps", []))]
    assert deploy == ["publish"]
    job = jobs["publish"]
    assert job["needs"] == "reproduce"
    assert job["permissions"] == {"pages": "write", "id-token": "write"}
    assert job["environment"]["name"] == "github-pages"
    assert "needs.reproduce.outputs.site == 'success'" in job["if"] and "always()" in job["if"]
    assert wf["permissions"] == {"contents": "read", "actions": "read"}  # the rest stays read-only
