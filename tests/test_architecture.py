"""The import rules of docs/architecture.md (pyproject.toml's ``[tool.importlinter]``) hold, and
the check fails on an import that runs back up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package under ``source``, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(PROJECT_ROOT / "pyproject.toml")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_keeps_every_import_rule():
    result = lint_imports(PROJECT_ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "back_arrow", "contract"),
    [
        ("core/errors.py", "import l6pipeline.rossmann.raw", "the two halves > the shared base"),
        ("rossmann/features/dates.py", "import l6pipeline.vision.images", "the two halves"),
        ("rossmann/raw/schemas.py", "import l6pipeline.rossmann.serving", "Rossmann: serving"),
        ("vision/images/photos.py", "import l6pipeline.vision.cnn", "Vision:"),
        ("rossmann/model/metrics.py", "import kedro", "knows nothing of Kedro"),
    ],
)
def test_an_import_that_runs_back_up_breaks_a_contract(tmp_path, module, back_arrow, contract):
    copy = tmp_path / "l6pipeline"
    shutil.copytree(PROJECT_ROOT / "src" / "l6pipeline", copy)
    target = copy / module
    target.write_text(target.read_text() + f"\n{back_arrow}  # a back-arrow\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    broken = " ".join(result.stdout.split("Broken contracts", 1)[1].split())  # lines unwrapped
    assert contract in broken
    assert f"{module.removesuffix('.py').replace('/', '.')} -> {back_arrow.split()[-1]}" in broken
