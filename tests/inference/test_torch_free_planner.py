"""The partition planner (seed 003 §V-C.2: chain, three tiers, DAG min-cut) runs without torch.

The parent profiles a real model with the torch profiler and hands its table to a subprocess in
which ``import torch`` fails; there a :class:`~edgelab.hardware.profile.Profile` is rebuilt from
the table and the planner must give the parent's answers. Only the model-running names
(:func:`split_model`, JALAD's encoding, the between-devices executor) may need torch, and they are
imported on first use.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from edgelab.hardware.profile import profile_model
from edgelab.inference.partition import best_split, best_three_tier, dads

CHILD = textwrap.dedent('''
    import sys
    sys.modules["torch"] = None  # blocked before anything of edgelab is imported
    import json
    import pandas as pd

    from edgelab.hardware.profile import Profile
    from edgelab.inference import partition
    from edgelab.inference.partition import chain, dag, plan, tiers

    d = json.load(open(sys.argv[1]))
    t = d["table"]
    table = pd.DataFrame(t["data"], columns=t["columns"])
    p = Profile(d["name"], table, None, d["input_bytes"], d["preds"], d["output_layer"],
                d["raw_input_bytes"])
    s = partition.best_split(p, "rpi4", "t4", "4g", 8.0)
    t = partition.best_three_tier(p, "rpi4", "jetson-orin-nano", "a100", "4g", "wan", 8.0)
    g = partition.dads(p, "rpi4", "t4", "4g", 8.0)
    try:
        partition.split_model
    except ImportError:
        lazy = True
    else:
        lazy = False
    print(json.dumps({"split": s.split, "latency_s": s.latency_s, "k1": t.k1, "k2": t.k2,
                      "dag_latency_s": g.latency_s, "lazy": lazy,
                      "torch": sys.modules["torch"] is None}))
''')


def test_planner_runs_with_torch_blocked(tmp_path: Path) -> None:
    p = profile_model("alexnet")
    spec = {"name": p.name, "table": p.table.to_dict(orient="split"),
            "input_bytes": int(p.input_bytes), "raw_input_bytes": int(p.raw_input_bytes),
            "preds": p.preds,
            "output_layer": int(p.output_layer)}
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(spec))
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    s = best_split(p, "rpi4", "t4", "4g", 8.0)
    t = best_three_tier(p, "rpi4", "jetson-orin-nano", "a100", "4g", "wan", 8.0)
    g = dads(p, "rpi4", "t4", "4g", 8.0)
    assert got["torch"] and got["lazy"]
    assert got["split"] == s.split
    assert got["latency_s"] == s.latency_s
    assert (got["k1"], got["k2"]) == (t.k1, t.k2)
    assert got["dag_latency_s"] == g.latency_s
