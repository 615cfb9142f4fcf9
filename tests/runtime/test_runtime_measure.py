"""Measured against modelled (seed 003 §V-C.2) and one real federated round (§IV-C.1, §IV-B.5):
the rows, the prediction (exactly :func:`split_costs`), the bytes on the wire (exactly the cost
model's or the FL engine's payload plus documented headers). No timing is asserted: measured
times depend on the machine's load."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edgelab.hardware.catalog import get_device, get_link
from edgelab.hardware.cost import split_costs
from edgelab.hardware.host import save_host_device
from edgelab.hardware.profile import profile_model
from edgelab.runtime.framing import header_size
from edgelab.runtime.kernel import KernelShaperUnavailable, kernel_shaper_missing
from edgelab.runtime.measure import _best, emulate_splits

pytestmark = pytest.mark.timeout(300)
DEV = dataclasses.replace(get_device("laptop-cpu"), name="host")


def test_rows_prediction_and_wire_bytes():
    em = emulate_splits("digits_cnn", "4g", [4.0, 16.0], splits=[0, 5, 10], repeats=2,
                        device=DEV)
    r = em.rows
    assert list(zip(r["split"], r["bandwidth_mbps"], strict=True)) == [
        (0, 4.0), (0, 16.0), (5, 4.0), (5, 16.0), (10, 4.0), (10, 16.0)]
    sc = split_costs(profile_model("digits_cnn"), DEV, DEV, get_link("4g"), np.array([4.0, 16.0]))
    for _, row in r.iterrows():
        b = [4.0, 16.0].index(row["bandwidth_mbps"])
        assert row["predicted_s"] == pytest.approx(sc.latency_s[b, int(row["split"])], rel=1e-12)
        assert row["uplink_bytes"] == sc.uplink_bytes[b, int(row["split"])]
    ctrl = header_size(1) + 6 * 8  # the float64 control vector
    k0 = r[r["split"] == 0].iloc[0]
    assert k0["wire_up_bytes"] == k0["uplink_bytes"] + ctrl + header_size(4)  # uint8 image
    assert (r.loc[r["split"] == 10, "wire_up_bytes"] == 0).all()  # all on the device
    assert (r.loc[r["split"] < 10, "serialise_s"] > 0).all()
    assert em.device == "host" and em.link == "4g" and 0 <= em.within_20pct <= 1


def test_best_split_agreement_uses_the_noise_band():
    import pandas as pd

    rows = pd.DataFrame({"split": [0, 1, 2], "bandwidth_mbps": [1.0] * 3,
                         "measured_s": [0.30, 0.100, 0.104], "predicted_s": [0.3, 0.2, 0.1],
                         "iqr_s": [0.01, 0.002, 0.005]})
    b = _best(rows).iloc[0]
    assert (b["measured_best"], b["predicted_best"]) == (1, 2)
    assert b["gap_s"] == pytest.approx(0.004) and b["noise_band_s"] == 0.005 and b["agrees"]
    rows.loc[2, "iqr_s"] = 0.001
    assert not _best(rows).iloc[0]["agrees"]


def test_kernel_shaped_sweep_runs_in_a_namespace_or_says_why_not():
    why = kernel_shaper_missing()
    if why is not None:
        with pytest.raises(KernelShaperUnavailable, match="needs"):
            emulate_splits("digits_cnn", "4g", [8.0], splits=[3], repeats=1, device=DEV,
                           shaper="kernel")
        return
    em = emulate_splits("digits_cnn", "4g", [8.0], splits=[3, 10], repeats=2, device=DEV,
                        shaper="kernel")
    assert em.shaper == "kernel" and list(em.rows["split"]) == [3, 10]
    assert (em.rows["measured_s"] > 0).all() and em.rows["predicted_s"].notna().all()


def test_a_real_federated_round_sends_what_the_engine_accounts():
    from edgelab.runtime.federated import real_round
    from edgelab.training.federated.system import SystemModel

    save_host_device(DEV)
    r = real_round(n_clients=2, model="digits_mlp", link="4g", steps=2, batch=10)
    assert r.bytes_match and r.up_payload_bytes == r.down_payload_bytes == 4 * r.n_params
    assert r.header_bytes == header_size(1)
    assert r.measured_s > 0
    sysm = SystemModel("digits_mlp", ("host", "host"), ("4g", "4g"), straggler_prob=0.0)
    expect = sysm.round_time([0, 1], [2, 2], [10, 10], 4 * r.n_params, 4 * r.n_params)
    # SystemModel interpolates a step between batch 1 and 64; this prices batch 10 directly
    assert r.predicted_s == pytest.approx(expect, rel=1e-3)
