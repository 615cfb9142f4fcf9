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
])
def test_zoo_matches_published_sizes(name, params, macs):
    from edgelab.hardware.profile import profile_model

    t = profile_model(name).totals()
    assert t["params"] == pytest.approx(params, rel=0.01)
    assert t["macs"] == pytest.approx(macs, rel=0.03)
