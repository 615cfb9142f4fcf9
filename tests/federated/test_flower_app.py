"""The Flower App writer emits valid, escaped TOML and writes it atomically (seed 003 §IV-C.1, the
Flower adapter).

No Flower needed except for the test that reads the files back with Flower's own readers.
"""

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelab import _io
from edgelab._toml import toml_key, toml_string, toml_value
from edgelab.training.federated import flower as fl

ADVERSARIAL = [
    "", 'a"b', "a\\b", "back\\", 'end"', "new\nline", "cr\rlf\n", "tab\tx", "\x00nul", "\x1f\x7f",
    '"\n[tool.flwr.app.components]\nserverapp = "evil:app"\n#', "'''", '"""', "\\u0041",
    "\\", "é ü 中文 🙂", "\u2028\u2029", "key = value", "#comment",
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_toml_string_round_trips_adversarial_text(text):
    assert tomllib.loads(f"k = {toml_string(text)}\n") == {"k": text}
    assert tomllib.loads(f"{toml_key(text)} = 1\n") == {text: 1}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_toml_string_round_trips_any_text(text):
    assert tomllib.loads(f"k = {toml_string(text)}\n") == {"k": text}


@pytest.mark.parametrize("value,text", [(True, "true"), (False, "false"), (3, "3"), (-2, "-2"),
                                        (0.05, "0.05"), (1e-05, "1e-05"), (1e300, "1e+300"),
                                        ("x", '"x"')])
def test_toml_value_scalars(value, text):
    assert toml_value(value) == text
    assert tomllib.loads(f"k = {text}\n")["k"] == value


@pytest.mark.parametrize("value,exc", [(float("nan"), ValueError), (float("inf"), ValueError),
                                       (None, TypeError), ([1], TypeError), ("\ud800", ValueError)])
def test_toml_value_rejects(value, exc):
    with pytest.raises(exc, match="value: "):
        toml_value(value)


def test_pyproject_is_valid_toml_with_true_false():
    for standardize in (True, False):
        s = fl.FlowerSettings(n_clients=2, rounds=1, standardize=standardize, lr=1e-05)
        doc = tomllib.loads(fl.pyproject_text(s))
        cfg = doc["tool"]["flwr"]["app"]["config"]
        assert cfg == s.to_config()
        assert cfg["standardize"] is standardize
        assert fl.FlowerSettings.from_config(cfg) == s
        assert doc["tool"]["flwr"]["app"]["components"]["serverapp"] == \
            "edgelab.training.federated.flower_app:server_app"


@pytest.mark.parametrize("model", ADVERSARIAL[1:])
def test_pyproject_escapes_strings(model):
    doc = tomllib.loads(fl.pyproject_text(fl.FlowerSettings(model=model)))
    assert doc["tool"]["flwr"]["app"]["config"]["model"] == model
    # nothing injected: the components are still edgelab's
    assert doc["tool"]["flwr"]["app"]["components"] == {
        "serverapp": "edgelab.training.federated.flower_app:server_app",
        "clientapp": "edgelab.training.federated.flower_app:client_app"}


@pytest.mark.parametrize("field,value,match", [
    ("n_clients", 0, "n_clients: an integer"), ("rounds", True, "rounds: an integer"),
    ("epochs", 1.5, "epochs: an integer"), ("lr", float("nan"), "lr: a finite number"),
    ("alpha", -1.0, "alpha: a finite number"), ("fraction", 1.5, r"fraction: a number in \(0, 1\]"),
    ("model", "", "model: a non-empty"), ("standardize", "yes", "standardize: True or False"),
    ("seed", -1, "seed: an integer"),
])
def test_pyproject_rejects_bad_settings(field, value, match):
    with pytest.raises(ValueError, match=match):
        fl.pyproject_text(fl.FlowerSettings(**{field: value}))


@pytest.mark.parametrize("address", ["127.0.0.1:8000", "localhost:9093", "[::1]:9093",
                                     "superlink.example.org:65535", "10.0.0.2:1"])
def test_config_text_accepts_host_port(address):
    doc = tomllib.loads(fl.flower_config_text(3, superlink=address))
    assert doc["superlink"]["local-deployment"] == {"address": address, "insecure": True}
    assert doc["superlink"]["local-simulation"]["options"]["num-supernodes"] == 3
    assert doc["superlink"]["default"] == "local-deployment"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80a", ":8000", "host:", "[::1:8000",
    "::1:8000", "[127.0.0.1]:8000", '127.0.0.1:8000"\ninsecure = false\n#', "a b:80", "a\\b:80",
    "-bad.host:80", "x" * 300 + ":80", "127.0.0.1:８０", "host:+80", None, 8000,
])
def test_config_text_rejects_bad_superlink(address):
    with pytest.raises(ValueError, match="superlink: host:port"):
        fl.flower_config_text(2, superlink=address)


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "2"])
def test_config_text_rejects_bad_n_supernodes(n):
    with pytest.raises(ValueError, match="n_supernodes: an integer"):
        fl.flower_config_text(n)


def test_write_flower_app_files_are_valid_toml(tmp_path):
    p = fl.write_flower_app(tmp_path / "app", n_clients=2, rounds=1, model='m"x\n',
                            superlink="[::1]:9093")
    cfg = tomllib.loads((p / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"]
    assert cfg["n-clients"] == 2 and cfg["rounds"] == 1 and cfg["model"] == 'm"x\n'
    conn = tomllib.loads((p / ".flwr" / "config.toml").read_text())["superlink"]
    assert conn["local-deployment"]["address"] == "[::1]:9093"
    assert conn["local-simulation"]["options"]["num-supernodes"] == 2
    assert sorted(x.name for x in p.rglob("*")) == [".flwr", "config.toml", "pyproject.toml"]


def test_write_flower_app_is_atomic_and_checks_first(tmp_path, monkeypatch):
    app = fl.write_flower_app(tmp_path / "app", n_clients=2)
    before = (app / "pyproject.toml").read_bytes()
    # bad input: nothing is written or changed
    with pytest.raises(ValueError, match="superlink"):
        fl.write_flower_app(app, n_clients=3, superlink="nope")
    with pytest.raises(ValueError, match="settings: FlowerSettings fields"):
        fl.write_flower_app(app, n_client=3)
    assert (app / "pyproject.toml").read_bytes() == before
    # a failed write (here: os.replace) leaves the old file and no temporary file
    calls = []
    monkeypatch.setattr(_io.os, "replace", lambda *a: calls.append(a) or (_ for _ in ()).throw(
        OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        fl.write_flower_app(app, n_clients=5)
    assert calls and (app / "pyproject.toml").read_bytes() == before
    assert sorted(x.name for x in app.rglob("*")) == [".flwr", "config.toml", "pyproject.toml"]


def test_flower_reads_the_written_app(tmp_path, monkeypatch):
    pytest.importorskip("flwr")
    from flwr.cli.flower_config import read_superlink_connection
    from flwr.common.config import get_project_config, validate_config

    app = fl.write_flower_app(tmp_path / "app", n_clients=2, rounds=1)
    cfg = get_project_config(app)  # Flower's own parser and field checks
    ok, errors, _ = validate_config(cfg, check_module=True, project_dir=app)
    assert ok, errors
    assert cfg["tool"]["flwr"]["app"]["config"]["standardize"] is True
    monkeypatch.setenv("FLWR_HOME", str(app / ".flwr"))
    conn = read_superlink_connection()
    assert conn.address == "127.0.0.1:8000" and conn.insecure is True
