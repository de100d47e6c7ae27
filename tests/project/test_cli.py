"""``kedro run``: a user's mistake prints one paragraph and exits 1; bugs keep tracebacks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from kedro.framework.cli.project import run as kedro_run
from kedro.io import DatasetError

from l6pipeline.cli import TRACEBACK_SWITCH, cli, find_user_error, run, user_errors
from l6pipeline.core.params import ParameterError
from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from tests.rossmann.conftest import SMALL_PARAMS, write_raw_tables

KEDRO = Path(sys.executable).parent / "kedro"


def _wrapped(error: Exception) -> DatasetError:
    """As Kedro's catalog reports a failed load: two DatasetErrors chained with ``from``."""
    try:
        try:
            raise error
        except Exception as exc:
            raise DatasetError("Failed while loading data from dataset RawCSVDataset") from exc
    except DatasetError as exc:
        try:
            raise DatasetError(f"raw_train: {exc}") from exc
        except DatasetError as outer:
            return outer


def test_the_user_error_is_found_behind_kedros_dataset_errors():
    error = RawDataError("train.csv is gzip-compressed")
    assert find_user_error(_wrapped(error)) is error
    assert find_user_error(error) is error


def test_other_exceptions_are_bugs():
    assert find_user_error(_wrapped(KeyError("x"))) is None
    assert find_user_error(ZeroDivisionError()) is None
    try:  # a bug raised while handling a user error is still a bug
        try:
            raise RawDataError("bad")
        except RawDataError:
            raise RuntimeError("bug in the error path")  # noqa: B904
    except RuntimeError as bug:
        assert find_user_error(bug) is None


def test_user_errors_become_one_click_message(monkeypatch):
    monkeypatch.delenv(TRACEBACK_SWITCH, raising=False)
    with pytest.raises(click.ClickException) as caught, user_errors():
        raise _wrapped(ParameterError("rossmann_model.train.batch_size", "must be >= 1", -1))
    assert caught.value.message == "rossmann_model.train.batch_size = -1: must be >= 1"
    assert caught.value.exit_code == 1


def test_bugs_and_the_switch_keep_the_original_exception(monkeypatch):
    monkeypatch.delenv(TRACEBACK_SWITCH, raising=False)
    with pytest.raises(ZeroDivisionError), user_errors():
        raise ZeroDivisionError
    monkeypatch.setenv(TRACEBACK_SWITCH, "1")
    with pytest.raises(RawDataError), user_errors():
        raise RawDataError("bad")


def test_error_logs_of_a_user_error_are_hidden_while_it_propagates(monkeypatch, caplog):
    """Kedro logs "Node ... failed with error: <message>"; the message is printed once."""
    monkeypatch.delenv(TRACEBACK_SWITCH, raising=False)
    logger = logging.getLogger("kedro.pipeline.node")
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        with pytest.raises(click.ClickException), user_errors():
            try:
                raise RawDataError("bad value")
            except RawDataError as exc:
                logger.error("Node validate failed with error: \n%s", exc)
                logger.warning("No nodes ran.")
                raise
        with pytest.raises(KeyError), user_errors():
            try:
                raise KeyError("bug")
            except KeyError:
                logger.error("Node train failed with error: bug")
                raise
    finally:
        root.removeHandler(caplog.handler)
    messages = [record.getMessage() for record in caplog.records]
    assert "No nodes ran." in messages
    assert "Node train failed with error: bug" in messages
    assert not any("bad value" in message for message in messages)


def test_the_project_run_is_kedros_run_with_the_same_options():
    assert cli.commands["run"] is run
    assert [p.name for p in run.params] == [p.name for p in kedro_run.params]
    assert TRACEBACK_SWITCH in run.help


# -- end to end: `kedro run` in a throwaway copy of the project --------------------------------


def kedro_run_output(project: Path, *args: str, **env: str) -> tuple[int, str]:
    result = subprocess.run(
        [str(KEDRO), "run", *args],
        cwd=project,
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def raw_folder(kedro_project: Path) -> Path:
    return write_raw_tables(
        generate_rossmann(SMALL_PARAMS), kedro_project / "data/01_raw/synthetic"
    )


@pytest.mark.slow
def test_a_bad_value_prints_the_validation_paragraph_once(kedro_project, raw_folder):
    store = raw_folder / "store.csv"
    lines = store.read_text().split("\n")
    fields = lines[2].split(",")
    fields[3] = "inf"  # CompetitionDistance of the store on line 3
    lines[2] = ",".join(fields)
    store.write_text("\n".join(lines))
    code, output = kedro_run_output(kedro_project, "--pipelines", "rossmann_ingest")
    assert code == 1
    assert "Traceback" not in output
    assert output.count("not a finite number") == 1
    assert (
        "Error: The raw Rossmann data failed validation: 1 problem(s) in store.csv. "
        "Nothing downstream was written." in output
    )
    assert (
        "  - store.csv, column 'CompetitionDistance': not a finite number: 'inf' (line 3); "
        "a missing value is an empty field (or NA)" in output
    )


@pytest.mark.slow
def test_a_bad_parameter_stops_the_run_before_the_first_node(kedro_project):
    code, output = kedro_run_output(
        kedro_project,
        "--pipelines",
        "rossmann_synthetic",
        "--params",
        "rossmann_synthetic.n_storez=3",
    )
    assert code == 1
    assert "Traceback" not in output
    assert "Error: Parameters rejected before the run started (nothing ran): " in output
    assert "rossmann_synthetic: unknown rossmann_synthetic parameter(s) ['n_storez']" in output
    assert not (kedro_project / "data/01_raw/synthetic").exists()  # the generator never ran
