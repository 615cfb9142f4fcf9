"""Every explorer leaves a static figure behind: its display bundle holds a PNG of the initial
state beside the live widget, so an executed or published chapter shows a plot there."""

from __future__ import annotations

import base64

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from edgelab import levels  # noqa: E402
from edgelab.explorers.base import Explorer  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _levels(draw):
    from edgelab.explorers.levels import LevelsExplorer
    return LevelsExplorer(levels.Scenario(model="alexnet", device="rpi4", edge="t4", link="4g"),
                          n_points=20, draw=draw)


def _paradigms(draw):
    from edgelab.explorers.paradigms import UploadExplorer
    return UploadExplorer("4g", kilobytes=150.0, n_sizes=10, draw=draw)


def _primer(draw):
    from edgelab.explorers.primer import EnergySplitExplorer
    return EnergySplitExplorer("alexnet", batch=1, sram_reads_per_mac=2.0, max_batch=8, draw=draw)


def _partition(draw):
    from edgelab.explorers.partition import PartitionExplorer
    return PartitionExplorer("alexnet", device="rpi4", server="t4", link="4g",
                             bandwidth_mbps=10, deadline_ms=100, draw=draw)


def _early_exit(draw):
    from edgelab.explorers.early_exit import EarlyExitExplorer
    from edgelab.inference import early_exit as ee
    net = ee.digits_branchynet(width=8, seed=0)
    table = ee.edgent_latency(net, "cortex-m7", "edge-server-cpu", "wifi5", np.logspace(-2, 2, 5))
    return EarlyExitExplorer(table, [0.7, 0.8, 0.9], deadline_ms=20.0, log10_bw=0.0, draw=draw)


def _federated(draw):
    from edgelab.explorers.federated import FederatedExplorer
    return FederatedExplorer(rounds=3, n_clients=10, clients_per_round=5, seed=0, draw=draw)


def _compression(draw):
    from edgelab import models
    from edgelab.explorers.compression import CompressionExplorer
    net = models.build("lenet_300_100", seed=0)  # untrained: the figure needs no training
    x, y = torch.rand(20, 1, 8, 8), torch.arange(20) % 10
    return CompressionExplorer(net, x, y, ratio=0.5, bits=3, draw=draw)


def _video_selection(draw):
    from edgelab.explorers.video_selection import VideoSelectionExplorer
    from edgelab.inference import model_selection as ms
    from edgelab.inference import multi_tenancy as mt
    from edgelab.models import build
    models = {n: build(n, seed=0) for n in ("digits_mlp", "lenet5")}  # untrained is enough
    x, y = torch.rand(20, 1, 8, 8), torch.arange(20) % 10
    out = ms.zoo_outputs(models, x, y, "rpi4")
    return VideoSelectionExplorer(out, mt.random_problem(2, seed=0), "digits_mlp", "lenet5",
                                  draw=draw)


def _split_learning(draw):
    from edgelab.explorers.split_learning import SplitLearningExplorer
    return SplitLearningExplorer("digits_cnn", cut=3, clients=100, link="wifi5", draw=draw)


def _pipeline_parallel(draw):
    from edgelab.explorers.pipeline_parallel import PipelineExplorer
    return PipelineExplorer("alexnet", n_stages=2, n_micro=4, draw=draw)


def _gradient_compression(draw):
    from edgelab.explorers.gradient_compression import GradientCompressionExplorer
    from edgelab.training.compression.studies import Setting
    return GradientCompressionExplorer(Setting(n_clients=2, rounds=3), "topk", 0.01, True,
                                       draw=draw)


def _gossip(draw):
    from edgelab.explorers.gossip import GossipExplorer
    return GossipExplorer("ring", 6, "gossipgrad", steps=10, draw=draw)


MAKERS = {"levels": _levels, "paradigms": _paradigms, "primer": _primer,
          "partition": _partition, "early_exit": _early_exit, "federated": _federated,
          "compression": _compression,
          "video_selection": _video_selection,
          "split_learning": _split_learning,
          "pipeline_parallel": _pipeline_parallel,
          "gradient_compression": _gradient_compression,
          "gossip": _gossip,
          }


def _video(draw):
    from edgelab.explorers.video import CacheExplorer
    from edgelab.streams import camera_stream
    s = camera_stream(n_frames=40, n_cameras=2, seed=0)
    return CacheExplorer(s, s.labels, size=50, draw=draw)


MAKERS["video"] = _video


def test_every_explorer_is_covered():
    import importlib
    import pkgutil

    import edgelab.explorers as pkg

    found = set()
    for m in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"edgelab.explorers.{m.name}")
        found |= {m.name for v in vars(mod).values()
                  if isinstance(v, type) and issubclass(v, Explorer) and v is not Explorer
                  and v.__module__ == mod.__name__}
    assert found == set(MAKERS)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_display_bundle_has_png_and_widget(name):
    ex = MAKERS[name](False)  # headless: the PNG is drawn for the bundle itself
    assert isinstance(ex, Explorer)
    bundle = ex.mime_bundle()
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
    assert bundle[WIDGET]["model_id"] == ex.widget.model_id  # the live widget is still there
    assert bundle["text/plain"].startswith(f"{type(ex).__name__}: static figure")
    assert "VBox(" not in bundle["text/plain"]


def test_ipython_display_publishes_one_bundle(monkeypatch):
    import IPython.display

    ex = _paradigms(True)  # drawn into its Output widget first
    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objs, **kw: shown.append((objs, kw)))
    ex._ipython_display_()
    assert len(shown) == 1
    (bundle,), kw = shown[0]
    assert kw == {"raw": True}
    assert set(bundle) >= {"image/png", "text/plain", WIDGET}
    # a drawn explorer reuses the PNG it drew last (no second figure)
    assert base64.b64decode(bundle["image/png"]) == ex._png[1]
    ex.set(kilobytes=1500.0)
    assert ex.static_png() == ex._png[1] and ex._png[0] == ex.n_updates


def test_static_png_follows_state():
    ex = _paradigms(False)
    first = ex.static_png()
    ex.set(kilobytes=5000.0, link="lora")
    assert ex.static_png() != first
