"""Chapter 01's upload explorer, headless: set the controls, check the computed times
(seed 001 §II-B, seed 003 §III-A)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from edgelab.explorers.base import Explorer  # noqa: E402
from edgelab.explorers.paradigms import (  # noqa: E402
    KILOBYTES_MAX,
    KILOBYTES_MIN,
    UploadExplorer,
    access_links,
    upload_times_to,
)
from edgelab.hardware import cost  # noqa: E402
from edgelab.hardware.catalog import get_link  # noqa: E402


@pytest.fixture(scope="module")
def explorer() -> UploadExplorer:
    return UploadExplorer("4g", 150.0, n_sizes=25, draw=False)


def test_is_an_explorer_with_access_links_only(explorer: UploadExplorer) -> None:
    assert isinstance(explorer, Explorer)
    assert list(explorer.link.options) == access_links()
    assert "4g" in access_links() and "wan" not in access_links()
    assert all(get_link(n).tier_pair == "end-edge" for n in access_links())
    assert 10 ** explorer.kilobytes.min == pytest.approx(KILOBYTES_MIN)
    assert 10 ** explorer.kilobytes.max == pytest.approx(KILOBYTES_MAX)
    assert explorer.control_names() == ["link", "kilobytes"]


def test_times_compose_the_cost_model(explorer: UploadExplorer) -> None:
    explorer.set(link="wifi5", kilobytes=100.0)
    t = explorer.times
    lk, wan = get_link("wifi5"), get_link("wan")
    edge = float(cost.transfer_time(100e3, lk.uplink_mbps, lk.rtt_ms / 1e3))
    cloud = edge + float(cost.transfer_time(100e3, wan.uplink_mbps, wan.rtt_ms / 1e3))
    assert (t.link, t.kilobytes) == ("wifi5", 100.0)
    assert t.edge_s == edge and t.cloud_s == cloud
    assert t.rtt_share == pytest.approx(lk.rtt_ms / 1e3 / edge)
    assert "wifi5: edge" in explorer.summary.value and f"{edge * 1e3:9.1f} ms" in t.line()


def test_each_control_change_recomputes(explorer: UploadExplorer) -> None:
    explorer.set(link="4g", kilobytes=1.0)
    n, small = explorer.n_updates, explorer.times
    explorer.kilobytes.value = 1000.0
    assert explorer.n_updates == n + 1
    big = explorer.times
    assert big.edge_s > small.edge_s and big.rtt_share < small.rtt_share  # bandwidth-bound
    assert small.rtt_share > 0.5  # a 1 kB upload over 4G is RTT-bound
    explorer.link.value = "5g"
    assert explorer.n_updates == n + 2 and explorer.times.link == "5g"


def test_sweep_matches_pointwise_and_cloud_is_slower(explorer: UploadExplorer) -> None:
    sw = explorer.sweep
    assert sw["kilobytes"].shape == (25,) and np.all(np.diff(sw["kilobytes"]) > 0)
    edge, cloud = upload_times_to(explorer.link.value, sw["kilobytes"][7])
    assert sw["edge_s"][7] == float(edge) and sw["cloud_s"][7] == float(cloud)
    assert np.all(sw["cloud_s"] > sw["edge_s"]) and np.all(np.diff(sw["edge_s"]) > 0)


def test_figure_marks_the_payload() -> None:
    ex = UploadExplorer("wifi6", 20.0, n_sizes=10, draw=False)
    fig = ex.figure()
    marks = [list(ln.get_xdata()) for ln in fig.axes[0].lines if ln.get_gid() == "current-payload"]
    assert marks == [[20.0, 20.0]]
    ex.draw_figures = True
    ex.set(kilobytes=200.0)  # draws into the Output widget without error
    assert ex.times.kilobytes == 200.0


def test_bad_input() -> None:
    ex = UploadExplorer(draw=False)
    with pytest.raises(ValueError, match="unknown controls"):
        ex.set(bandwidth=3.0)
    with pytest.raises(Exception, match="link"):
        upload_times_to("6g", 1.0)
