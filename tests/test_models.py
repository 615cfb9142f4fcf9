"""The model zoo builds every architecture at its paper's input size."""

import pytest
import torch

from edgelab import models
from edgelab.errors import UnknownNameError


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn", "mobilenet_v2_0.5", "resnet18"])
def test_build_and_run(name):
    m = models.build(name)
    y = m(models.example_input(name, batch=2))
    assert y.shape[0] == 2 and torch.isfinite(y).all()


def test_build_is_seeded():
    a = models.build("digits_cnn", seed=3)
    b = models.build("digits_cnn", seed=3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_list_and_unknown():
    names = models.list_models()
    assert set(models.SURVEY_MODELS) <= set(names)
    assert len(names) >= 10
    with pytest.raises(UnknownNameError, match="alexnet"):
        models.build("alexnett")


@pytest.mark.parametrize("name,params,macs", [
    # Published sizes (torchvision's model tables; the papers) at 224×224.
    ("resnet18", 11.69e6, 1.82e9), ("resnet34", 21.80e6, 3.67e9), ("vgg11", 132.86e6, 7.61e9),
    ("mobilenet_v2", 3.50e6, 0.30e9), ("mnasnet", 4.38e6, 0.31e9), ("squeezenet", 1.24e6, 0.35e9),
    ("resnet50", 25.56e6, 4.09e9),
    # MCUNet's scaled MobileNetV2 baselines (Lin et al. 2020, the mcunet README's model table)
    ("mobilenet_v2_0.35_r144", 0.75e6, 23.5e6), ("mobilenet_v2_0.3_r80", 0.63e6, 7.3e6),
])
def test_zoo_matches_published_sizes(name, params, macs):
    from edgelab.hardware.profile import profile_model

    t = profile_model(name).totals()
    assert t["params"] == pytest.approx(params, rel=0.01)
    assert t["macs"] == pytest.approx(macs, rel=0.03)


def test_resnet50_v1_and_googlenet_caffe_differ_only_where_their_papers_do():
    from edgelab.hardware.profile import profile_model

    v15, v1 = profile_model("resnet50").totals(), profile_model("resnet50_v1").totals()
    assert v1["params"] == v15["params"]  # the stride moves, no weight changes
    assert v1["macs"] < v15["macs"]  # the 3x3 runs on the strided map in v1
    g, gc = profile_model("googlenet").totals(), profile_model("googlenet_caffe").totals()
    assert gc["params"] == g["params"]
    assert gc["macs"] == pytest.approx(1.59e9, rel=0.01)  # the docstring's Caffe count


def test_resnet50_runs():
    m = models.build("resnet50")
    y = m(models.example_input("resnet50", batch=1))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()
