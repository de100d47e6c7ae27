"""Install a lock file with the torch build this machine wants; `make install` runs it.

The locks pin plain ``torch==X`` (no ``+cpu`` label), so which build pip installs depends on
where it finds torch: PyPI's Linux wheel is the CUDA build (several GB of ``nvidia-*``
packages), PyTorch's CPU index has ``X+cpu``. ``--torch auto`` wants CUDA only where
``nvidia-smi`` lists a GPU. For the CPU build, PyTorch's CPU index is added as an extra index
when it answers within ``--probe-timeout`` seconds; when it does not (only PyPI reachable),
pip installs from its other indexes rather than waiting on retries. Either way the last line
says which build was installed.

    python requirements/install.py [--torch auto|cpu|cuda] [-r requirements/dev.txt]

Standard library only: it runs in a fresh venv, before anything else is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
BUILDS = ("auto", "cpu", "cuda")


def has_nvidia_gpu() -> bool:
    """True when ``nvidia-smi -L`` runs and lists at least one GPU."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        listed = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


def wanted_build(torch: str, gpu_present: Callable[[], bool] = has_nvidia_gpu) -> str:
    """``cpu`` or ``cuda``: ``auto`` asks ``gpu_present``, the others are taken as given."""
    if torch not in BUILDS:
        raise ValueError(f"TORCH={torch!r}: use one of {', '.join(BUILDS)}")
    if torch == "auto":
        return "cuda" if gpu_present() else "cpu"
    return torch


def index_answers(url: str, timeout: float) -> bool:
    """True when ``url``'s torch page answers within ``timeout`` seconds (no retries)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/torch/", timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):  # URLError, timeouts and refused connections are OSErrors
        return False


def pip_command(python: str, requirements: str, extra_index: str | None) -> list[str]:
    """The pip call installing ``requirements`` (with ``extra_index`` beside pip's own)."""
    command = [python, "-m", "pip", "install", "--quiet", "-r", requirements]
    return command + (["--extra-index-url", extra_index] if extra_index else [])


def installed_build(python: str) -> tuple[str, str | None] | None:
    """The interpreter's torch version and CUDA version (None: the CPU build), or None."""
    probe = "import torch; print(torch.__version__, torch.version.cuda or '')"
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    version, _, cuda = result.stdout.strip().partition(" ")
    return version, cuda or None


def describe(installed: tuple[str, str | None] | None) -> str:
    """``torch 2.13.0+cpu (CPU build)``, ``torch 2.13.0 (CUDA 12.8 build)``."""
    if installed is None:
        return "no torch that imports"
    version, cuda = installed
    return f"torch {version} ({f'CUDA {cuda} build' if cuda else 'CPU build'})"


def say(line: str) -> None:
    print(line, flush=True)  # noqa: T201 (a command-line tool)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("-r", "--requirements", default="requirements/dev.txt")
    parser.add_argument("--cpu-index", default=CPU_INDEX, help="PyTorch's CPU wheel index")
    parser.add_argument("--probe-timeout", type=float, default=10.0, help="seconds")
    args = parser.parse_args(argv)
    try:
        build = wanted_build(args.torch)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    extra_index = None
    if build == "cuda":
        say("torch: the CUDA build (PyPI's Linux wheel)")
    elif index_answers(args.cpu_index, args.probe_timeout):
        extra_index = args.cpu_index
        say(f"torch: the CPU build, from {args.cpu_index}")
    else:
        say(
            f"torch: {args.cpu_index} did not answer within {args.probe_timeout:g} s; "
            "installing torch from pip's other indexes (on Linux, PyPI has only the CUDA "
            "build, several GB more: docs/install.md)"
        )
    status = subprocess.run(
        pip_command(sys.executable, args.requirements, extra_index), check=False
    ).returncode
    if status != 0:
        return status
    installed = installed_build(sys.executable)
    say(f"installed {describe(installed)}")
    if installed is not None and (installed[1] is not None) != (build == "cuda"):
        say(
            f"note: TORCH={args.torch} asked for the {build.upper()} build; pip kept a torch "
            "already in the venv or found this one first (a find-links folder or index in "
            "pip's configuration). To switch: rm -r .venv, then make install TORCH=..."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
