"""The install path: one Python range everywhere, lock files that cover pyproject.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.conftest import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
MAKE_EXTRAS = ("dev", "dask", "ray")  # what `make install` installs: requirements/dev.txt
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (PROJECT_ROOT / "requirements" / name).read_text()
    return {canonicalize_name(package): version for package, version in PIN.findall(text)}


def _requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("lock", "extras"), [("base.txt", ()), ("dev.txt", MAKE_EXTRAS)], ids=["base", "dev"]
)
def test_the_lock_pins_every_dependency_inside_its_range(lock: str, extras: tuple[str, ...]):
    pins = _pins(lock)
    for requirement in _requirements(extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements/{lock} lacks {name}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )


def test_the_locks_agree_and_name_no_local_build_or_index():
    base, dev = _pins("base.txt"), _pins("dev.txt")
    assert {name: dev.get(name) for name in base} == base
    # torch without a `+cpu` label: the same file installs a CPU or a CUDA build.
    assert "+" not in dev["torch"] and "+" not in base["torch"]
    for lock in ("base.txt", "dev.txt"):
        text = (PROJECT_ROOT / "requirements" / lock).read_text()
        assert not re.search(r"^\s*--|file:/", text, re.MULTILINE), lock


def test_the_makefile_accepts_exactly_the_python_of_requires_python():
    supported = SpecifierSet(PYPROJECT["project"]["requires-python"])
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    (major, minor) = map(
        int, re.search(r"sys.version_info\[:2\] != \((\d+), (\d+)\)", makefile).groups()
    )
    assert re.search(rf"^PYTHON \?= python{major}\.{minor}$", makefile, re.MULTILINE)
    assert f"{major}.{minor}.0" in supported and f"{major}.{minor}.9" in supported
    assert f"{major}.{minor - 1}.9" not in supported and f"{major}.{minor + 1}.0" not in supported


@pytest.mark.parametrize("python", ["python3.12", "/nonexistent/python3.11"])
def test_make_refuses_another_or_a_missing_python_in_one_sentence(python: str, tmp_path: Path):
    if "/" not in python and shutil.which(python) is None:
        pytest.skip(f"{python} is not installed here")
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT), f"PYTHON={python}", f"VENV={venv}", "install"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "l6pipeline needs Python 3.11" in result.stderr and python in result.stderr
    assert not venv.exists()
