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
