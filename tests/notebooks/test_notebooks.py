"""The notebooks run top to bottom on a throwaway project, and are committed without outputs."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbstripout import strip_output

from tests.conftest import PROJECT_ROOT, copy_project
from tests.notebooks.conftest import NOTEBOOKS

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
EXPECTED = [
    "01_rossmann_data.ipynb",
    "02_rossmann_model.ipynb",
    "03_dropout_and_regularization.ipynb",
    "04_convolutions.ipynb",
    "05_heatmaps_and_augmentation.ipynb",
]
# nbstripout's default `--extra-keys`: metadata that editors add when cells run.
NBSTRIPOUT_EXTRA_KEYS = [
    "metadata.signature",
    "metadata.widgets",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
]
# The notebooks that read the Rossmann pipelines, whose outputs `--env kaggle` moves to
# rossmann_kaggle/; the others read `cnn` and `augmentation`, the same in every environment.
ROSSMANN_NOTEBOOKS = {"01_rossmann_data.ipynb", "02_rossmann_model.ipynb"}
# Per cell. Generous: a busy 2-core machine starts a kernel and loads Kedro in under a minute.
CELL_TIMEOUT_S = 600


def test_the_five_lesson_notebooks_exist():
    assert [path.name for path in NOTEBOOK_FILES] == EXPECTED
    assert ROSSMANN_NOTEBOOKS < set(EXPECTED)


def _stripped(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as `nbstripout` (with its default extra keys) would commit it."""
    return strip_output(
        copy.deepcopy(notebook),
        keep_output=False,
        keep_count=False,
        keep_id=True,
        extra_keys=NBSTRIPOUT_EXTRA_KEYS,
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path):
    """What nbstripout would remove (outputs, execution counts) must already be gone."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook == _stripped(notebook), f"{path.name} holds outputs: run `nbstripout {path}`"


def test_the_output_check_catches_an_executed_cell():
    notebook = nbformat.read(NOTEBOOK_FILES[0], as_version=nbformat.NO_CONVERT)
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.execution_count = 1
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    assert notebook != _stripped(notebook)
    code.outputs = []
    assert notebook != _stripped(notebook)  # the execution count alone


@pytest.fixture(scope="module")
def kernel_spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernel spec running this interpreter (the project's venv), whatever else is installed."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("kernel")
    install(kernel_name="l6pipeline-test", prefix=str(prefix))
    return prefix / "share" / "jupyter" / "kernels"


def _execute(client) -> None:
    """Run the notebook, then shut its kernel down: a client given its own kernel manager
    leaves the kernel running (hundreds of MB each, ten notebook runs a session)."""
    try:
        client.execute()
    finally:
        if client.km.has_kernel:
            client.km.shutdown_kernel(now=True)


@pytest.mark.slow
@pytest.mark.parametrize("env", ["base", "kaggle"])
@pytest.mark.parametrize("name", EXPECTED, ids=lambda n: n.removesuffix(".ipynb"))
def test_notebook_runs_top_to_bottom(
    name: str,
    env: str,
    request: pytest.FixtureRequest,
    kernel_spec_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """Every cell of the notebook runs without an error on the small runs' outputs: as
    committed on the synthetic-data run, and unedited on the kaggle run with KEDRO_ENV=kaggle,
    the variable `make notebooks ENV=kaggle` (`kedro jupyter lab --env kaggle`) sets (the
    image notebooks there up to their check: the rest reads the same files as on base)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    project = request.getfixturevalue(f"{'kaggle_' if env == 'kaggle' else ''}notebook_project")
    path = project / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    if env == "kaggle":
        monkeypatch.setenv("KEDRO_ENV", "kaggle")  # the kernel inherits this process's variables
        if name not in ROSSMANN_NOTEBOOKS:  # opened on the kaggle run: set-up and check cells
            code = [cell for cell in notebook.cells if cell.cell_type == "code"]
            checks = [i for i, cell in enumerate(code) if "require_outputs(" in cell.source]
            notebook.cells = code[: (checks or [0])[0] + 1]
        # The notebook's own session read the kaggle configuration (its catalog and checks).
        notebook.cells.append(nbformat.v4.new_code_cell('assert context.env == "kaggle"'))
    else:
        monkeypatch.delenv("KEDRO_ENV", raising=False)
    manager = KernelManager(
        kernel_name="l6pipeline-test",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_spec_dir)]),
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},  # the kernel starts in notebooks/
    )
    start = time.perf_counter()
    _execute(client)  # raises CellExecutionError, naming the cell, on the first error
    print(f"\n{name}: {time.perf_counter() - start:.0f} s")  # noqa: T201
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    # Nothing the notebook did may land in the notebooks folder (e.g. a stray mlflow.db).
    assert {p.name for p in path.parent.iterdir()} == {p.name for p in NOTEBOOKS.iterdir()}


# A catalog read of a pipeline's output (parameters are not outputs).
OUTPUT_READ = re.compile(r"""catalog\.(?:load|get)\(["'](?!params:)""")


def _code(path: Path) -> list[str]:
    return [
        cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
    ]


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_a_notebook_checks_for_the_outputs_it_reads_before_reading_them(path: Path):
    cells = _code(path)
    reads = [i for i, source in enumerate(cells) if OUTPUT_READ.search(source)]
    checks = [i for i, source in enumerate(cells) if "require_outputs(" in source]
    if reads:
        assert checks and checks[0] < reads[0], f"{path.name} reads outputs before checking"
    else:  # e.g. 04_convolutions computes everything itself and says that it needs no run
        assert not checks


def test_the_output_read_pattern_tells_outputs_from_parameters():
    assert OUTPUT_READ.search('x = catalog.load("rossmann_model")')
    assert OUTPUT_READ.search("catalog.get('cnn_metrics').preview()")
    assert not OUTPUT_READ.search('catalog.load("params:cnn.data")')


@pytest.mark.slow
def test_on_an_empty_project_each_notebook_says_which_run_it_needs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlflow_template_db: Path,
    kernel_spec_dir: Path,
):
    """The set-up and check cells of every notebook, in one kernel, before any run."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    root = copy_project(tmp_path, monkeypatch, mlflow_template_db)
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    cells, checked = [], []
    for path in NOTEBOOK_FILES:
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        check = [cell for cell in code if "require_outputs(" in cell.source]
        if check:
            cells += [code[0], check[0]]  # code[0]: %reload_kedro in the project root
            checked.append(path.name)
    assert len(checked) == len(NOTEBOOK_FILES) - 1  # all but 04_convolutions
    cells = copy.deepcopy(cells)
    for number, cell in enumerate(cells):  # ids are unique within a notebook only
        cell.id = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    client = NotebookClient(
        notebook,
        km=KernelManager(
            kernel_name="l6pipeline-test",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_spec_dir)]),
        ),
        timeout=CELL_TIMEOUT_S,
        allow_errors=True,
        resources={"metadata": {"path": str(root / "notebooks")}},
    )
    _execute(client)
    for name, setup, check in zip(checked, notebook.cells[::2], notebook.cells[1::2], strict=True):
        assert not [o for o in setup.outputs if o.output_type == "error"], name
        errors = [o for o in check.outputs if o.output_type == "error"]
        assert len(errors) == 1, (name, check.outputs[0]["data"]["text/plain"])
        (error,) = errors
        assert error.ename == "PipelineNotRunError", (name, error.ename)
        assert "has not made yet: run `kedro run " in error.evalue, (name, error.evalue)
        # What the reader sees: the one sentence, not a traceback.
        assert error.traceback == [f"PipelineNotRunError: {error.evalue}"], name


@pytest.mark.parametrize(
    ("args", "flag"), [([], ""), (["ENV=base"], ""), (["ENV=kaggle"], "--env kaggle ")]
)
def test_make_notebooks_passes_env_to_kedro_jupyter(args: list[str], flag: str, tmp_path: Path):
    """`make notebooks ENV=kaggle` starts `kedro jupyter lab --env kaggle`, which exports
    KEDRO_ENV to the kernels; without ENV (whose default serves `make submission`), no --env."""
    result = subprocess.run(
        ["make", "-n", "-C", str(PROJECT_ROOT), f"VENV={tmp_path / 'venv'}", "notebooks", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "ENV"},
    )
    command = " ".join(result.stdout.replace("\\\n", " ").split())
    assert f"kedro jupyter lab {flag}--ServerApp.root_dir=notebooks" in command
