"""Real pipeline-parallel runs on gloo, 127.0.0.1 (seed 003 §IV-C.4): one run whose stage times
the schedule model explains, one whose rank dies mid-run, and the world sizes refused before any
process starts. Each spawn costs 15-60 s on a loaded 2-core machine, so there are two."""

import math

import pytest

from edgelab.errors import ParameterError
from edgelab.training.pipeline_gloo import PipelineRunError, max_world_size, run_gloo_pipeline


@pytest.mark.timeout(400)
def test_real_gpipe_run_and_its_model():
    r = run_gloo_pipeline("gpipe", world_size=2, n_micro=4, steps=3, timeout_s=30)
    assert r.world_size == 2 and len(r.forward_s) == 2 and len(r.step_s) == 3
    assert all(t > 0 for t in r.forward_s + r.backward_s + r.step_s)
    assert len(r.losses) == 3 and all(math.isfinite(x) for x in r.losses)
    # the model is the schedule simulator fed with the ranks' own stage times
    assert r.modelled_step_s >= 4 * max(f + b for f, b in zip(r.forward_s, r.backward_s, strict=True))
    assert math.isfinite(r.measured_over_modelled) and r.measured_over_modelled > 0


@pytest.mark.timeout(400)
def test_a_rank_that_dies_mid_run_stops_the_others():
    with pytest.raises(PipelineRunError) as e:
        run_gloo_pipeline("1f1b", world_size=2, n_micro=4, steps=3, timeout_s=10,
                          fail_rank=1, fail_step=1)
    msg = str(e.value)
    assert "rank 1 died mid-run" in msg
    assert "rank 0 stopped with exit code" in msg and "hung" not in msg  # stopped, not killed


def test_world_sizes_the_machine_cannot_start_are_refused():
    with pytest.raises(ParameterError, match="world_size: this machine starts at most"):
        run_gloo_pipeline(world_size=max_world_size() + 1)
    with pytest.raises(ParameterError, match="world_size"):
        run_gloo_pipeline(world_size=1)
    with pytest.raises(ParameterError, match="n_micro"):
        run_gloo_pipeline(n_micro=0)
    with pytest.raises(ParameterError, match="stages need at least as many layers"):
        run_gloo_pipeline(world_size=2, depth=1)
