"""What Binder launches is what CI tested (issue 18, item 2).

``binder/requirements.txt`` must pin every runtime dependency at the version of
``requirements.txt``, and anything else it pins (JupyterLab) at the version ``make test``
installs; it must use the CPU torch index; and nothing else in ``binder/`` may install other
versions (repo2docker prefers an ``environment.yml`` over ``requirements.txt``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;#]+)")


def _pins(path: Path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line (names normalised as pip does)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line.strip())
        if m:
            name = re.sub(r"\[.*\]", "", m.group(1)).lower().replace("_", "-").replace(".", "-")
            out[name] = m.group(2)
    return out


def _ci_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for f in ("requirements.txt", "requirements-test.txt", "requirements-book.txt"):
        pins.update(_pins(ROOT / f))
    return pins


def test_binder_pins_every_runtime_dependency_as_ci() -> None:
    binder, runtime = _pins(ROOT / "binder" / "requirements.txt"), _pins(ROOT / "requirements.txt")
    missing = sorted(set(runtime) - set(binder))
    assert not missing, f"binder/requirements.txt lacks runtime pins: {missing}"
    ci = _ci_pins()
    differ = {n: (v, ci.get(n)) for n, v in binder.items() if ci.get(n) != v}
    assert not differ, f"binder pins that CI does not install at that version (binder, CI): {differ}"


def test_binder_lines_are_all_pins_or_the_cpu_index() -> None:
    for line in (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#") or PIN.match(s):
            continue
        assert s == "--extra-index-url https://download.pytorch.org/whl/cpu", f"unpinned line: {s!r}"
    assert "download.pytorch.org/whl/cpu" in (ROOT / "binder" / "requirements.txt").read_text()


@pytest.mark.parametrize("name", ["environment.yml", "environment.yaml", "Pipfile", "pyproject.toml",
                                  "setup.py", "install.R", "apt.txt"])
def test_binder_has_no_second_environment(name: str) -> None:
    assert not (ROOT / "binder" / name).exists(), f"binder/{name} would override requirements.txt"


def test_binder_python_and_install_step() -> None:
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps" in post, "postBuild must install edgelab without re-resolving pins"


def test_root_conda_environment_installs_the_same_pins() -> None:
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert "-r requirements.txt" in env and "download.pytorch.org/whl/cpu" in env
    assert not re.search(r"^\s*-\s*(pytorch|numpy|pandas|torch)\b", env, re.M), \
        "environment.yml must take its libraries from requirements.txt, not conda"
