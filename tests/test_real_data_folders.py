"""Where the real-file tests look: the user's data/01_raw/rossmann first, whole folders only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROSSMANN_FILES, real_rossmann_folder, require_real_rossmann


def _folder(root: Path, files: list[str]) -> Path:
    root.mkdir()
    for name in files:
        (root / name).write_text("x\n")
    return root


def test_the_users_folder_comes_first_and_an_incomplete_one_is_passed_over(tmp_path: Path):
    user = _folder(tmp_path / "user", ROSSMANN_FILES)
    reference = _folder(tmp_path / "reference", ROSSMANN_FILES)
    assert ROSSMANN_FILES == [
        "train.csv", "test.csv", "store.csv", "store_states.csv", "state_names.csv",
        "googletrend.csv", "weather.csv",
    ]  # fmt: skip
    assert real_rossmann_folder((user, reference)) == user
    (user / "weather.csv").unlink()
    assert real_rossmann_folder((user, reference)) == reference
    assert real_rossmann_folder((user, tmp_path / "absent")) is None


def test_without_the_files_the_skip_says_what_to_do(tmp_path: Path):
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_real_rossmann((_folder(tmp_path / "user", ROSSMANN_FILES[:-1]),))
    message = skipped.value.msg
    assert "weather.csv" in message and "data/01_raw/rossmann/" in message
    assert "docs/real_data.md" in message and "make check-data" in message
    assert "shared" not in message  # not a folder users have
