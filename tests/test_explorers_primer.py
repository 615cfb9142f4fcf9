"""Chapter 02's energy-split explorer, headless: set the controls, check the computed split
(seed 003 §V-C.1, the conv-vs-FC energy argument of [72])."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from edgelab import primer  # noqa: E402
from edgelab.explorers.base import Explorer  # noqa: E402
from edgelab.explorers.primer import EnergySplitExplorer, energy_split  # noqa: E402


@pytest.fixture(scope="module")
def explorer() -> EnergySplitExplorer:
    return EnergySplitExplorer("alexnet", max_batch=64, draw=False)


def test_defaults_are_the_chapters(explorer: EnergySplitExplorer) -> None:
    assert isinstance(explorer, Explorer)
    assert (explorer.batch.value, explorer.batch.max) == (1, 64)
    assert explorer.sram_reads_per_mac.value == 2.0
    assert explorer.control_names() == ["batch", "sram_reads_per_mac"]


def test_split_equals_the_primer(explorer: EnergySplitExplorer) -> None:
    explorer.set(batch=4, sram_reads_per_mac=3.0)
    s = explorer.split
    ref = primer.conv_fc_shares("alexnet", batch=4, sram_reads_per_mac=3.0)
    assert (s.batch, s.sram_reads_per_mac) == (4, 3.0)
    assert s.energy_per_image_j == float(ref["energy_j"].sum())
    assert s.conv_energy_share == ref.at["conv", "energy"]
    assert s.fc_energy_share == ref.at["fc", "energy"]
    assert s.fc_weight_share == ref.at["fc", "weights"] > 0.9  # FC hold AlexNet's weights
    assert "energy per image" in explorer.summary.value and s.line() in explorer.summary.value


def test_reuse_moves_energy_to_the_conv_layers(explorer: EnergySplitExplorer) -> None:
    explorer.set(batch=1, sram_reads_per_mac=2.0)
    n, one = explorer.n_updates, explorer.split
    explorer.batch.value = 64
    assert explorer.n_updates == n + 1
    many = explorer.split
    assert many.conv_energy_share > one.conv_energy_share
    assert many.energy_per_image_j < one.energy_per_image_j
    assert many.fc_weight_share == one.fc_weight_share  # weights do not depend on reuse
    crossover = primer.energy_crossover_batch("alexnet")
    assert energy_split("alexnet", crossover).conv_energy_share > \
        energy_split("alexnet", crossover).fc_energy_share


def test_more_onchip_reads_cost_more() -> None:
    lo, hi = energy_split("alexnet", 1, 0.0), energy_split("alexnet", 1, 8.0)
    assert hi.energy_per_image_j > lo.energy_per_image_j
    assert hi.conv_energy_share > lo.conv_energy_share


def test_figure_and_bad_control() -> None:
    ex = EnergySplitExplorer("alexnet", max_batch=8, draw=False)
    fig = ex.figure()
    assert len(fig.axes[0].patches) == 9  # 3 groups x (MACs, weights, energy)
    ex.draw_figures = True
    ex.set(batch=8)
    assert ex.split.batch == 8
    with pytest.raises(ValueError, match="unknown controls"):
        ex.set(model="vgg16")
