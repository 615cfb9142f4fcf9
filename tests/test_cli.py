"""The command line: formats, JSON contract, and one-line errors with exit status 2."""

import json

import pytest

from edgelab.cli import run_captured as run


@pytest.mark.parametrize("cmd", ["devices", "links", "models"])
def test_catalog_commands_all_formats(cmd):
    code, out, _ = run(cmd, "--format", "json")
    assert code == 0 and len(json.loads(out)) >= 8
    code, out, _ = run(cmd, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("name,")
    code, out, _ = run(cmd)
    assert code == 0 and "name" in out


def test_profile_json():
    code, out, _ = run("profile", "digits_cnn", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["totals"]["macs"] > 0 and len(data["layers"]) == 10


def test_cost_json_whole_and_split():
    code, out, _ = run("cost", "alexnet", "--device", "rpi4", "--format", "json")
    whole = json.loads(out)
    assert code == 0 and whole["latency_s"] > 0 and whole["device_energy_j"] > 0
    code, out, _ = run("cost", "alexnet", "--device", "rpi4", "--server", "t4", "--link", "4g",
                       "--bandwidth", "50", "--split", "23", "--format", "json")
    split = json.loads(out)
    assert split["latency_s"] == pytest.approx(whole["latency_s"])
    assert split["bandwidth_mbps"] == 50 and split["uplink_bytes"] == 0


def test_cost_per_layer_csv():
    code, out, _ = run("cost", "digits_mlp", "--device", "rpi4", "--per-layer", "--format", "csv")
    assert code == 0 and "latency_s" in out.splitlines()[0]


@pytest.mark.parametrize("argv,needle", [
    (["cost", "alexnet", "--device", "rpi9"], "rpi4"),
    (["cost", "alexnett", "--device", "rpi4"], "alexnet"),
    (["cost", "alexnet", "--device", "rpi4", "--server", "t4", "--link", "4g", "--split", "99"],
     "split"),
    (["cost", "alexnet", "--device", "rpi4", "--server", "t4", "--link", "4g", "--bandwidth", "0",
      "--split", "1"], "bandwidth"),
    (["cost", "alexnet", "--device", "rpi4", "--server", "t4", "--link", "6g", "--split", "1"],
     "4g"),
    (["profile", "alexnet", "--input", "3xfoo"], "--input"),
    (["profile"], "model"),
    (["nonsense"], "invalid choice"),
])
def test_errors_are_one_line_exit_2(argv, needle):
    code, out, err = run(*argv)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""
