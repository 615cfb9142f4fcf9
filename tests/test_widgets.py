"""The levels explorer, headless: set the widgets' values, check what was computed (seed 003 §III-B)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from edgelab import levels  # noqa: E402
from edgelab.explorers.base import Explorer  # noqa: E402
from edgelab.explorers.levels import BANDWIDTH_MAX_MBPS, BANDWIDTH_MIN_MBPS, LevelsExplorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return LevelsExplorer(levels.Scenario(model="alexnet", device="rpi4", edge="t4", link="4g"),
                          n_points=40, draw=False)


def test_controls_ranges(explorer):
    assert isinstance(explorer, Explorer)
    assert explorer.control_names() == ["bandwidth", "device", "edge", "cloud", "link", "model",
                                        "level", "objective"]
    s = explorer.bandwidth
    assert 10 ** s.min == pytest.approx(BANDWIDTH_MIN_MBPS) == pytest.approx(0.1)
    assert 10 ** s.max == pytest.approx(BANDWIDTH_MAX_MBPS) == pytest.approx(10_000)
    assert set(explorer.level.options) == set(levels.LEVEL_IDS)
    assert list(explorer.objective.options) == ["latency", "energy", "WAN bytes", "privacy"]


def test_slider_recomputes(explorer):
    explorer.bandwidth.value = 1.0
    slow = explorer.result.set_index("level")
    n = explorer.n_updates
    explorer.bandwidth.value = 1000.0
    assert explorer.n_updates == n + 1
    fast = explorer.result.set_index("level")
    assert fast.loc["CI", "infer_latency_s"] < slow.loc["CI", "infer_latency_s"]
    assert fast.loc["L3", "infer_latency_s"] == slow.loc["L3", "infer_latency_s"]
    ref = levels.evaluate(explorer.scenario).set_index("level")
    np.testing.assert_allclose(fast["infer_latency_s"], ref["infer_latency_s"])


def test_dropdowns_change_scenario(explorer):
    explorer.set(device="cortex-m7", model="digits_cnn", bandwidth=10.0)
    sc = explorer.scenario
    assert (sc.device, sc.model, sc.bandwidth_mbps) == ("cortex-m7", "digits_cnn", 10.0)
    assert explorer.result["infer_latency_s"].iloc[3] == pytest.approx(
        levels.evaluate(sc)["infer_latency_s"].iloc[3])
    explorer.set(model="alexnet")
    assert not explorer.result.set_index("level").loc["L3", "feasible"]
    assert "L3" not in explorer.best_level
    explorer.set(device="rpi4")


def test_objective_picks_best_level(explorer):
    for obj, col in (("latency", "infer_latency_s"), ("WAN bytes", "wan_bytes"),
                     ("privacy", "raw_bytes_out"), ("energy", "infer_device_energy_j")):
        explorer.objective.value = obj
        df = explorer.result[explorer.result["feasible"]]
        assert explorer.best_level == df.loc[df[col].idxmin(), "level"]
    explorer.objective.value = "privacy"
    assert explorer.best_level == "L6"


def test_level_selector_and_summary(explorer):
    explorer.level.value = "L4"
    assert "<b>L4</b>" in explorer.summary.value
    assert "claim breaks here" in explorer.summary.value  # the L3->L4 exception is shown


def test_curves_cached_and_marked(explorer):
    explorer.set(bandwidth=5.0)
    curves = explorer.curves
    explorer.bandwidth.value = 50.0
    assert explorer.curves is curves  # only dropdowns recompute the sweep
    assert curves["latency_s"].shape == (7, 40)
    sw = levels.sweep_bandwidth(explorer.scenario.replace(bandwidth_mbps=None),
                                curves["bandwidth_mbps"], columns=["infer_latency_s"])
    l3 = sw[sw["level"] == "L3"]["infer_latency_s"].to_numpy()
    np.testing.assert_array_equal(curves["latency_s"][list(levels.LEVEL_IDS).index("L3")], l3)
    explorer.edge.value = "edge-server-cpu"
    assert explorer.curves is not curves


def test_figure_draws_and_changes():
    ex = LevelsExplorer(levels.Scenario(model="digits_cnn", device="rpi4"), n_points=20, draw=False)
    fig = ex.figure()
    ax1, ax2 = fig.axes
    assert len(ax1.patches) == 7 and len(ax2.get_lines()) >= 7

    def current(f):
        return [list(ln.get_xdata()) for ln in f.axes[1].lines if ln.get_gid() == "current-bandwidth"]

    before = current(fig)
    ex.bandwidth.value = 2.0
    after = current(ex.figure())
    assert len(before) == 1 and after == [[2.0, 2.0]] and after != before
    ex.draw_figures = True
    ex.update()  # draws into the Output widget without error


def test_bad_control():
    ex = LevelsExplorer(levels.Scenario(model="digits_mlp"), n_points=5, draw=False)
    with pytest.raises(ValueError, match="unknown controls"):
        ex.set(colour="red")
