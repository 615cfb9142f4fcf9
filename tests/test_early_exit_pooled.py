"""Issue 19, chapter 21: the pooled side exits (accuracy rises with depth) and Edgent's plot."""

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from edgelab.inference import early_exit as ee

matplotlib.use("Agg")


def test_pooled_exits_see_one_value_per_channel():
    net = ee.digits_branchynet(width=8, seed=0, pooled_exits=True)
    assert isinstance(net.exits[0][0], nn.AdaptiveMaxPool2d)
    assert isinstance(net.exits[1][0], nn.AdaptiveMaxPool2d)
    assert net.exits[0][-1].in_features == 8 and net.exits[1][-1].in_features == 16
    outs = net(torch.zeros(5, 1, 8, 8))
    assert [tuple(o.shape) for o in outs] == [(5, 10)] * 3
    # the same trunk as the default network, cheaper side heads
    plain = ee.digits_branchynet(width=8, seed=0)
    st_p, hd_p = net.stage_macs()
    st_d, hd_d = plain.stage_macs()
    assert (st_p == st_d).all()
    assert hd_p[0] < hd_d[0] and hd_p[1] < hd_d[1] and hd_p[2] == hd_d[2]


def test_default_exits_unchanged():
    net = ee.digits_branchynet(width=8, seed=0)
    assert net.exits[0][-1].in_features == 8 * 4 and net.exits[1][-1].in_features == 16 * 4
    a = ee.digits_branchynet(width=8, seed=3, pooled_exits=True)
    b = ee.digits_branchynet(width=8, seed=3, pooled_exits=True)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_pooled_exits_must_be_a_bool():
    with pytest.raises(ValueError, match="pooled_exits"):
        ee.digits_branchynet(width=8, pooled_exits="yes")


def test_edgent_plot_has_an_integer_exit_axis_and_a_legend_per_panel():
    net = ee.digits_branchynet(width=64, seed=0, pooled_exits=True)
    table = ee.edgent_latency(net, "cortex-m7", "edge-server-cpu", "wifi5", np.logspace(-2, 2, 9))
    plans = {d: ee.edgent_choose(table, [0.5, 0.9, 0.95], d) for d in (0.006, 0.01, 0.02)}
    fig = ee.plot_edgent(plans)
    ax0, ax1 = fig.axes
    ticks = ax0.get_yticks()
    assert np.allclose(ticks, np.round(ticks))
    assert "exit" in ax0.get_ylabel() and "Mbit/s" in ax0.get_xlabel()
    for ax in (ax0, ax1):
        assert len(ax.get_legend().get_texts()) == 3
    # coinciding choices stay visible: each deadline its own line style
    assert len({ln.get_linestyle() for ln in ax0.get_lines()}) == 3
