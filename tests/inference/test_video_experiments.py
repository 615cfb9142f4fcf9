"""Chapter 24's experiments, the cache explorer and ``edgelab bench video`` (seed 003 §V-C.4-§V-C.5)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgelab.inference import video_experiments as vx


def test_cachier_experiment_has_an_interior_optimum() -> None:
    r = vx.cachier_experiment(quick=True)
    assert 0 < r["best"].size < vx.CATALOGUE
    assert r["responsiveness"] > 1 and r["throughput"] > 1
    assert r["skew"]["size"].is_monotonic_decreasing  # more skew, fewer entries needed
    bw = r["bandwidth"].set_index("wan_link")
    assert bw.loc["3g", "size"] >= bw.loc["wan", "size"]  # a dearer miss, a bigger cache


def test_same_seed_same_tables() -> None:
    a, b = vx.rexcam_experiment(True, 0), vx.rexcam_experiment(True, 0)
    assert a["table"].to_csv() == b["table"].to_csv()
    f1, f2 = vx.filtering_experiment(True, 0), vx.filtering_experiment(True, 0)
    cols = [c for c in f1["table"].columns if c != "speedup_measured"]
    assert f1["table"][cols].to_csv() == f2["table"][cols].to_csv()


def test_claim_settings_do_not_depend_on_quick() -> None:
    q, f = vx.rexcam_experiment(True, 0)["claim"], vx.rexcam_experiment(False, 0)["claim"]
    assert q == f


def test_cache_explorer_headless() -> None:
    from edgelab.explorers.video import CacheExplorer
    from edgelab.streams import camera_stream

    s = camera_stream(n_frames=60, n_cameras=2, seed=0)
    ex = CacheExplorer(s, s.labels, size=0, draw=False)
    assert ex.result["hit_rate"] == 0.0
    lat0 = ex.result["latency_s"]
    ex.size.value = ex.result["best"].size
    assert ex.result["latency_s"] < lat0
    ex.threshold.value = 0.0
    assert ex.result["foggy_hit_rate"] == 0.0
    assert "Cachier" in ex.describe()
    ex.figure()


def test_bench_video_json(capsys) -> None:
    from edgelab.cli import build_parser

    args = build_parser().parse_args(["bench", "video", "--repeats", "1", "--format", "json"])
    assert args.func.__name__ == "cmd_bench_video"
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parts"][0]["part"] == "cascade"
    assert out["cascade_fps"] > 0 and 0 <= out["to_reference"] <= 1
    assert np.isclose(out["to_reference"], out["parts"][0]["to_reference"])
    tenancy = out["parts"][1]
    assert tenancy["part"] == "tenancy" and tenancy["tenants"] == 10
    assert tenancy["optimal_accuracy"] >= tenancy["greedy_accuracy"]
    assert tenancy["greedy_gap_points"] >= 0 and tenancy["milp_solve_s"] > 0


def test_bench_video_bad_input() -> None:
    with pytest.raises(ValueError, match="repeats"):
        vx.run_video_bench(repeats=0)
