"""What does not run a model imports and computes without torch (a browser has no torch).

The catalog, the host device file, the cost model over a stored profile, the ``Profile`` value
and the EI levels module are imported in a fresh interpreter where ``import torch`` fails; the
cost model then prices a hand-made profile and a zoo profile that this (torch-enabled) process
profiled and stored, and must give exactly what it gives here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from edgelab.hardware import cost
from edgelab.hardware.profile import COLUMNS, profile_from_table, profile_model

#: Runs first in the child: every later ``import torch`` (direct or inside a library) fails.
_BLOCK = "import sys\nsys.modules['torch'] = None\n"

_CHILD = _BLOCK + """
import json
import numpy as np
import pandas as pd

from edgelab import levels
from edgelab.hardware import catalog, cost, host, specs
from edgelab.hardware.profile import Profile, profile_from_table

stored = json.loads(open(sys.argv[1], encoding="utf-8").read())
out = {}
for name, s in stored.items():
    p = profile_from_table(name, pd.DataFrame(s["table"]), s["input_bytes"], s["preds"],
                           s["output_layer"], s.get("raw_input_bytes"))
    assert isinstance(p, Profile) and p.graph is None
    sc = cost.split_costs(p, ["rpi4", "jetson-nano"], "t4", "wifi5", np.array([1.0, 20.0, 300.0]))
    one = cost.cost(p, "rpi4", "t4", "4g", split=1)
    out[name] = {"latency_s": sc.latency_s.tolist(), "energy_j": sc.device_energy_j.tolist(),
                 "cut_bytes": p.cut_bytes().tolist(), "model_s": cost.model_latency(p, "a100"),
                 "one": one["latency_s"]}
assert "levels" in levels.frames()
assert isinstance(catalog.get_device("rpi4"), specs.Device)
assert catalog.get_link("4g", 10.0).uplink_mbps == 10.0
assert host.host_device_path().name == "host_device.json"
assert "torch" not in {m.split(".")[0] for m, v in sys.modules.items() if v is not None}
print(json.dumps(out))
"""


def _hand_made() -> dict:
    """Three layers, conv -> relu -> linear, counted by hand (no profiler involved)."""
    rows = [
        ["conv1", "conv", "conv", "Conv2d", "1x8x8x8", 13_824, 28_160, 224, 896, 768, 2048, 2048],
        ["relu", "act", "other", "ReLU", "1x8x8x8", 0, 512, 0, 0, 2048, 2048, 0],
        ["fc", "linear", "linear", "Linear", "1x10", 5_120, 10_250, 5_130, 20_520, 2048, 40, 40],
    ]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return {"table": table.to_dict(orient="list"), "input_bytes": 768,
            "preds": [[-1], [0], [1]], "output_layer": 2}


def _stored(name: str) -> dict:
    p = profile_model(name)
    return {"table": p.table.to_dict(orient="list"), "input_bytes": p.input_bytes,
            "raw_input_bytes": p.raw_input_bytes,
            "preds": p.preds, "output_layer": p.output_layer}


def _expected(stored: dict) -> dict:
    out = {}
    for name, s in stored.items():
        p = profile_from_table(name, pd.DataFrame(s["table"]), s["input_bytes"], s["preds"],
                               s["output_layer"], s.get("raw_input_bytes"))
        sc = cost.split_costs(p, ["rpi4", "jetson-nano"], "t4", "wifi5",
                              np.array([1.0, 20.0, 300.0]))
        out[name] = {"latency_s": sc.latency_s.tolist(), "energy_j": sc.device_energy_j.tolist(),
                     "cut_bytes": p.cut_bytes().tolist(),
                     "model_s": cost.model_latency(p, "a100"),
                     "one": cost.cost(p, "rpi4", "t4", "4g", split=1)["latency_s"]}
    return out


def _run_child(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False, timeout=300)


def test_the_block_really_blocks_torch():
    res = _run_child(_BLOCK + "import torch\n")
    assert res.returncode != 0 and "import of torch halted" in res.stderr


def test_catalog_cost_profile_levels_import_and_compute_without_torch(tmp_path: Path):
    stored = {"hand": _hand_made(), "resnet18": _stored("resnet18"), "alexnet": _stored("alexnet")}
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(stored), encoding="utf-8")
    res = _run_child(_CHILD, str(path))
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got == _expected(stored)  # the same numbers, to the last bit
    # the stored zoo profile prices exactly as the live one
    live = cost.split_costs(profile_model("resnet18"), ["rpi4", "jetson-nano"], "t4", "wifi5",
                            np.array([1.0, 20.0, 300.0]))
    assert np.array_equal(np.array(got["resnet18"]["latency_s"]), live.latency_s)
    # the hand-made chain: split 3 runs everything on the device and sends nothing
    assert got["hand"]["cut_bytes"] == [768.0, 2048.0, 2048.0, 0.0]


# ------------------------------------------------------------ shipped profiles (data/profiles/)
REGENERATE = "python -m edgelab.hardware.profile --write-shipped"


def test_shipped_profiles_equal_the_live_profiler_for_every_model():
    """data/profiles/ is what the live profiler gives today, cell by cell (regenerated here)."""
    from edgelab.hardware.profile import _read_shipped, shipped_frames, shipped_index
    from edgelab.models import list_models

    tables, index = shipped_frames()
    stored = shipped_index()
    assert set(stored["models"]) == set(list_models()), \
        f"the shipped models differ from the zoo; regenerate with `{REGENERATE}`"
    assert set(tables) == set(stored["models"]) | set(stored["variants"])
    assert "squeezenet@1x3x227x227" in stored["variants"]  # a measured pair off the default
    assert stored == json.loads(json.dumps(index)), f"index.json is stale; run `{REGENERATE}`"
    for key, table in tables.items():
        meta = {**index["models"], **index["variants"]}[key]
        name = meta.get("model", key)
        shipped = _read_shipped(key)
        live = profile_model(name, meta.get("batch", 1), tuple(meta["input_shape"]))
        pd.testing.assert_frame_equal(shipped.table, table, check_exact=True,
                                      obj=f"{key} (regenerate with `{REGENERATE}`)")
        pd.testing.assert_frame_equal(shipped.table, live.table, check_exact=True)
        assert (shipped.name, shipped.input_bytes, shipped.raw_input_bytes, shipped.preds,
                shipped.output_layer) == (live.name, live.input_bytes, live.raw_input_bytes,
                                          live.preds, live.output_layer), \
            f"{key}: run `{REGENERATE}`"
        assert np.array_equal(shipped.cut_bytes(), live.cut_bytes())


def test_write_shipped_is_byte_identical(tmp_path: Path):
    from edgelab._paths import data_path
    from edgelab.hardware.profile import write_shipped

    paths = write_shipped(tmp_path)
    assert {p.name for p in paths} == {p.name for p in data_path("profiles").iterdir()}
    for p in paths:
        assert p.read_bytes() == data_path(f"profiles/{p.name}").read_bytes(), \
            f"{p.name} differs; regenerate with `{REGENERATE}`"


_CHILD_ZOO = _BLOCK + """
import json
import numpy as np
from edgelab import primer
from edgelab.explorers.levels import LevelsExplorer
from edgelab.explorers.paradigms import UploadExplorer
from edgelab.hardware import cost
from edgelab.hardware.profile import profile_model, torch_available, zoo_names
from edgelab.errors import ParameterError, UnknownNameError

assert not torch_available()
out = {}
for name in sys.argv[1].split(","):
    p = profile_model(name)
    sc = cost.split_costs(p, ["rpi4"], "t4", "wifi5", np.array([1.0, 300.0]))
    out[name] = {"totals": p.totals(), "latency_s": sc.latency_s.tolist(),
                 "one": cost.cost(p, "rpi4", "t4", "4g", split=2)["latency_s"]}
out["zoo"] = zoo_names()
out["payloads"] = primer.standard_payloads()
from edgelab.hardware.validate import validate
out["validate"] = validate().summary
for bad in ({"batch": 2}, {"input_shape": (3, 100, 100)}):
    try:
        profile_model("alexnet", **bad)
    except ParameterError as e:
        out.setdefault("errors", []).append(str(e))
try:
    profile_model("alexnett")
except UnknownNameError as e:
    out.setdefault("errors", []).append(str(e))
assert "torch" not in {m.split(".")[0] for m, v in sys.modules.items() if v is not None}
print(json.dumps(out))
"""


def test_profile_model_without_torch_uses_the_shipped_profiles_and_prices_identically():
    from edgelab import primer
    from edgelab.models import list_models

    names = ["alexnet", "vgg16", "mobilenet_v2", "resnet18", "googlenet"]
    res = _run_child(_CHILD_ZOO, ",".join(names))
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    for name in names:
        p = profile_model(name)
        sc = cost.split_costs(p, ["rpi4"], "t4", "wifi5", np.array([1.0, 300.0]))
        assert got[name] == {"totals": p.totals(), "latency_s": sc.latency_s.tolist(),
                             "one": cost.cost(p, "rpi4", "t4", "4g", split=2)["latency_s"]}
    assert got["zoo"] == list_models()
    assert got["payloads"] == primer.standard_payloads()
    from edgelab.hardware.validate import validate

    assert got["validate"] == json.loads(json.dumps(validate().summary))  # squeezenet@227 too
    batch, shape, unknown = got["errors"]
    assert batch.startswith("batch/input_shape: without torch") and "got batch 2" in batch
    assert "input 3x100x100" in shape and "install torch" in shape
    assert "unknown model 'alexnett'" in unknown and "alexnet" in unknown
