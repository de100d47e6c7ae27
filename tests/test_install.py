"""The install path: one Python range everywhere, lock files that cover pyproject.toml."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import re
import shutil
import socket
import subprocess
import threading
import time
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


# -- requirements/install.py: which torch build `make install` asks pip for -------------------


def _installer():
    """requirements/install.py as a module (it lives beside the lock files, not in the package)."""
    spec = importlib.util.spec_from_file_location(
        "install", PROJECT_ROOT / "requirements/install.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("torch", "gpu", "build"),
    [("auto", True, "cuda"), ("auto", False, "cpu"), ("cpu", True, "cpu"), ("cuda", False, "cuda")],
)
def test_auto_wants_cuda_only_where_a_gpu_is_listed(torch: str, gpu: bool, build: str):
    assert _installer().wanted_build(torch, gpu_present=lambda: gpu) == build


def test_an_unknown_torch_choice_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]):
    assert _installer().main(["--torch", "rocm"]) == 2
    assert capsys.readouterr().err == "error: TORCH='rocm': use one of auto, cpu, cuda\n"


def test_nvidia_smi_that_lists_no_gpu_means_no_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed: no driver' >&2\nexit 9\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _installer().has_nvidia_gpu() is False
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'\n")
    assert _installer().has_nvidia_gpu() is True


def test_an_index_that_does_not_answer_is_given_up_within_the_timeout():
    """A listening socket that never replies: the probe returns False after its timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        start = time.monotonic()
        answered = _installer().index_answers(f"http://127.0.0.1:{server.getsockname()[1]}", 0.5)
    assert answered is False
    assert time.monotonic() - start < 10  # the timeout, not pip's minutes of retries


def test_an_index_that_answers_is_used_as_an_extra_index(tmp_path: Path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "index.html").write_text("<a href='torch-2.13.0+cpu.whl'>torch</a>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert _installer().index_answers(url, 5) is True
        server.shutdown()
    command = _installer().pip_command("py", "requirements/dev.txt", url)
    assert command[-2:] == ["--extra-index-url", url]
    assert "--extra-index-url" not in _installer().pip_command("py", "requirements/dev.txt", None)


def test_the_installed_build_is_named(tmp_path: Path):
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho '2.13.0+cpu '\n")
    fake_python.chmod(0o755)
    installer = _installer()
    assert installer.describe(installer.installed_build(str(fake_python))) == (
        "torch 2.13.0+cpu (CPU build)"
    )
    assert installer.describe(("2.13.0", "12.8")) == "torch 2.13.0 (CUDA 12.8 build)"
    fake_python.write_text("#!/bin/sh\nexit 1\n")
    assert installer.describe(installer.installed_build(str(fake_python))) == (
        "no torch that imports"
    )


@pytest.mark.parametrize("torch", ["auto", "cpu", "cuda"])
def test_make_install_hands_torch_to_the_installer(torch: str, tmp_path: Path):
    result = subprocess.run(
        ["make", "-n", "-C", str(PROJECT_ROOT), f"VENV={tmp_path / 'venv'}", f"TORCH={torch}"]
        + ["install"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"requirements/install.py --torch {torch} -r requirements/dev.txt" in result.stdout
