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


#: minimal argv of every command -> (its handler, whether it takes --format)
COMMANDS = [
    (["devices"], "cmd_devices", True),
    (["links"], "cmd_links", True),
    (["models"], "cmd_models", True),
    (["profile", "alexnet"], "cmd_profile", True),
    (["cost", "alexnet", "--device", "rpi4"], "cmd_cost", True),
    (["levels", "--model", "alexnet", "--device", "rpi4", "--edge", "t4", "--link", "4g"],
     "cmd_levels", True),
    (["partition", "alexnet", "--device", "rpi4", "--server", "t4", "--link", "4g"],
     "cmd_partition", True),
    (["calibrate"], "cmd_calibrate", True),
    (["bench", "fedavg"], "cmd_bench_fedavg", True),
    (["bench", "video"], "cmd_bench_video", True),
    (["bench", "compression"], "cmd_bench_compression", True),
    (["validate"], "cmd_validate", True),
    (["chapters"], "cmd_chapters", True),
    (["emulate", "digits_cnn", "--link", "4g"], "cmd_emulate", True),
    (["reproduce"], "cmd_reproduce", False),
    (["compare", "a", "b"], "cmd_compare", False),
    (["book", "--runs", "a", "--out", "b"], "cmd_book", False),
    (["lite", "--out", "x"], "cmd_lite", True),
]


@pytest.mark.parametrize("argv,handler,formatted", COMMANDS, ids=[c[1] for c in COMMANDS])
def test_one_handler_scheme_and_format_in_one_place(argv, handler, formatted):
    from edgelab.cli import COMMAND_MODULES, build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    assert args.func.__name__ == handler and args.func.__module__ in COMMAND_MODULES
    if formatted:
        assert args.format == "table"
        assert parser.parse_args([*argv, "--format", "json"]).format == "json"
    else:
        assert not hasattr(args, "format")
        code, out, err = run(*argv, "--format", "json")
        assert code == 2 and "--format" in err and out == ""


def test_every_handler_is_in_the_table_above():
    from edgelab.cli import build_parser

    handlers, todo = set(), [build_parser()]
    while todo:
        p = todo.pop()
        if "func" in p._defaults:  # noqa: SLF001 - argparse keeps set_defaults here
            handlers.add(p._defaults["func"].__name__)  # noqa: SLF001
        for a in p._actions:  # noqa: SLF001
            if isinstance(a.choices, dict):
                todo.extend(a.choices.values())
    assert handlers == {c[1] for c in COMMANDS}


def test_every_command_is_listed():
    from edgelab.cli import build_parser

    text = build_parser().format_help()
    for argv, _, _ in COMMANDS:
        assert argv[0] in text
