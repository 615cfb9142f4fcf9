"""``edgelab bench fedavg``: JSON contract and one-line errors (seed 003 §IV-C.1)."""

import json

from edgelab.cli import run_captured as run


def test_bench_fedavg_json_top_level_keys():
    for engine in ("batched", "sequential"):
        code, out, _ = run("bench", "fedavg", "--engine", engine, "--clients", "10", "--rounds", "2",
                           "--format", "json")
        assert code == 0
        d = json.loads(out)
        for k in ("ms_per_client_round", "wall_s", "accuracy", "engine", "clients", "rounds"):
            assert k in d
        assert d["clients"] == 10 and 0 <= d["accuracy"] <= 1


def test_bench_fedavg_table_and_bad_input():
    code, out, _ = run("bench", "fedavg", "--clients", "5", "--rounds", "1")
    assert code == 0 and "ms_per_client_round" in out
    code, _, err = run("bench", "fedavg", "--clients", "5000", "--data", "digits", "--no-scale")
    assert code == 2 and "n_clients" in err and len(err.strip().splitlines()) == 1
    code, _, err = run("bench", "fedavg", "--engine", "tpu")
    assert code == 2
