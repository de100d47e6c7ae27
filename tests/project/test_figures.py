"""The README's figures: copies of files the catalog writes, shrunk, committed, shown."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from kedro.config import OmegaConfigLoader
from PIL import Image

from l6pipeline.project.figures import FIGURES, MAX_WIDTH, main, shrink_copy
from tests.conftest import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "docs" / "figures"


def _noisy_png(path: Path, width: int, height: int) -> np.ndarray:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def test_a_wide_figure_is_shrunk_to_the_width_keeping_its_aspect(tmp_path: Path):
    _noisy_png(tmp_path / "wide.png", 2 * MAX_WIDTH, MAX_WIDTH // 2)
    shrink_copy(tmp_path / "wide.png", tmp_path / "small.png")
    with Image.open(tmp_path / "small.png") as small:
        assert small.size == (MAX_WIDTH, MAX_WIDTH // 4)
        assert small.mode == "P"  # a palette: a quarter of the bytes of RGB
    assert (tmp_path / "small.png").stat().st_size < (tmp_path / "wide.png").stat().st_size


def test_a_narrow_figure_keeps_its_size_and_colours(tmp_path: Path):
    pixels = np.zeros((40, 60, 3), dtype=np.uint8)
    pixels[:, 30:] = (200, 30, 30)
    Image.fromarray(pixels).save(tmp_path / "narrow.png")
    shrink_copy(tmp_path / "narrow.png", tmp_path / "copy.png")
    with Image.open(tmp_path / "copy.png") as copy:
        assert np.array_equal(np.asarray(copy.convert("RGB")), pixels)


def test_each_figure_is_a_file_the_base_catalog_writes():
    catalog = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local"
    )["catalog"]
    paths = {
        str(entry.get("dataset", entry).get("filepath"))
        for entry in catalog.values()
        if isinstance(entry, dict)
    }
    # A factory's placeholder ("data/08_reporting/cnn/{group}") stands for one path segment.
    patterns = [re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) for path in paths]
    for source in FIGURES.values():
        written = [rx for rx in patterns if re.fullmatch(f"{rx}(/[^/]+)?", source)]
        assert written, f"{source}: no catalog entry writes it"


def test_the_committed_figures_are_small_and_the_readme_shows_each():
    assert sorted(p.name for p in COMMITTED.glob("*.png")) == sorted(FIGURES)
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in FIGURES:
        assert (COMMITTED / name).stat().st_size < 250_000, f"{name}: run `make figures`"
        assert f"(docs/figures/{name})" in readme, name


def test_without_a_run_it_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)
    assert main(["--to", str(tmp_path / "out")]) == 2
    assert "run `make figures`" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
