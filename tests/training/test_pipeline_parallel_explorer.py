"""The pipeline explorer, headless (seed 003 §IV-C.4)."""

import pytest

from edgelab.explorers.pipeline_parallel import PipelineExplorer, pipeline_step
from edgelab.training.pipeline_parallel import bubble_fraction


def test_explorer_computes_and_reacts():
    ex = PipelineExplorer("alexnet", n_stages=2, n_micro=4, draw=False)
    r = ex.result
    assert r["plan"].n_stages == 2 and r["closed_form_bubble"] == pytest.approx(bubble_fraction(2, 4))
    assert "bubble" in ex.describe()
    ex.set(n_stages=4, n_micro=8, schedule="gpipe")
    assert ex.result["plan"].n_stages == 4 and ex.result["schedule"].schedule == "gpipe"
    assert ex.result["schedule"].peak_in_flight == 8
    assert ex.static_png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pipeline_step_one_stage_has_no_bubble():
    r = pipeline_step("lenet5", "rpi4", "ethernet", 1, 4, "1f1b")
    assert r["schedule"].bubble == pytest.approx(0.0, abs=1e-12)
