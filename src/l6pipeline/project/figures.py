"""Copies the pipelines' own PNGs to docs/figures/, shrunk, for the README: ``make figures``, or
``python -m l6pipeline.project.figures [--to docs/figures]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

# docs/figures/<name>: the run's output it is copied from (paths of conf/base's catalog).
FIGURES: dict[str, str] = {
    "grad_cam.png": "data/08_reporting/cnn/heatmap/heatmaps_correct.png",
    "embeddings.png": "data/08_reporting/rossmann/embeddings.png",
    "learning_curve.png": "data/08_reporting/rossmann/learning_curve.png",
    "augmentation.png": "data/08_reporting/augmentation/photo_galleries/all.png",
    "pointing_game.png": "data/08_reporting/cnn/localization/pointing_game.png",
}
MAX_WIDTH = 900


def shrink_copy(source: Path, target: Path, max_width: int = MAX_WIDTH) -> None:
    """Save ``source`` as a palette PNG at most ``max_width`` wide, keeping its aspect ratio."""
    with Image.open(source) as image:
        picture = image.convert("RGB")
    if picture.width > max_width:
        height = round(picture.height * max_width / picture.width)
        picture = picture.resize((max_width, height), Image.Resampling.LANCZOS)
    picture.quantize(colors=256).save(target, optimize=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m l6pipeline.project.figures", description=__doc__
    )
    parser.add_argument("--to", type=Path, default=Path("docs/figures"))
    args = parser.parse_args(argv)
    missing = [source for source in FIGURES.values() if not Path(source).is_file()]
    if missing:
        print(  # noqa: T201
            f"error: {', '.join(missing)} not found: run `make figures` in the project root "
            "(it runs the pipelines that draw them first).",
            file=sys.stderr,
        )
        return 2
    args.to.mkdir(parents=True, exist_ok=True)
    for name, source in FIGURES.items():
        shrink_copy(Path(source), args.to / name)
        print(f"{source} -> {args.to / name}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
