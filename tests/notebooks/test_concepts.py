"""docs/concepts.md points at code that exists, whose docstrings name the fastai concept."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import nbformat
import pytest

from tests.conftest import PROJECT_ROOT
from tests.notebooks.conftest import NOTEBOOKS

INDEX = PROJECT_ROOT / "docs" / "concepts.md"
CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)]+\.ipynb)\)")


def _rows() -> list[dict[str, str]]:
    lines = [line for line in INDEX.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return [dict(zip(header, row, strict=True)) for row in rows]


ROWS = _rows()


def _resolve(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted``, then getattr the rest."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def _notebook_text(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


def test_the_index_has_rows_and_every_notebook_appears():
    assert len(ROWS) >= 20
    linked = {Path(target).name for row in ROWS for target in LINK.findall(row["Notebook"])}
    assert linked == {path.name for path in NOTEBOOKS.glob("*.ipynb")}


def _docstrings(objects: list[object]) -> str:
    """The docstrings of the objects and of the module of the first: what `help()` shows."""
    owners = [inspect.getmodule(objects[0]), *objects]
    return "\n".join(inspect.getdoc(owner) or "" for owner in owners)


def test_only_docstrings_count_not_code():
    from l6pipeline.core.nn import dropout

    assert "_dropped_positions" in inspect.getsource(dropout)  # in the code ...
    assert "_dropped_positions" not in _docstrings([dropout.Dropout])  # ... not in a docstring
    assert "inverted" in _docstrings([dropout.Dropout]).lower()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["Concept"][:40])
def test_row_points_at_existing_code_named_in_its_notebook(row: dict[str, str]):
    paths = CODE.findall(row["Our code"])
    assert paths and all(path.startswith("l6pipeline.") for path in paths), row
    objects = [_resolve(path) for path in paths]  # raises when a name is gone

    # The fastai name is in a docstring: `help()` and grep both find the concept.
    docstrings = _docstrings(objects)
    for fastai_name in CODE.findall(row["fastai name"]):
        assert fastai_name in docstrings, f"{fastai_name!r} not in the docstrings of {paths}"

    targets = LINK.findall(row["Notebook"])
    assert targets, row
    for target in targets:
        notebook = (INDEX.parent / target).resolve()
        assert notebook.is_file(), target
        text = _notebook_text(notebook)
        for path in paths:
            assert path.rsplit(".", 1)[1] in text, f"{notebook.name} does not use {path}"
