"""Where a run's outputs are: the newest Kaggle submission, the newest served model.

Kedro keeps every version of a versioned dataset (``submission.csv/<version>/submission.csv``)
and MLflow names each logged model by an id (``m-...``); these helpers pick the newest, so that
no one copies a timestamp or an id by hand. ``make submission`` and ``make serve`` run:

    python -m l6pipeline.project.outputs submission [--env kaggle] [--to PATH]
    python -m l6pipeline.project.outputs model-uri [--name NAME ...]

The notebooks call :func:`require_outputs` first, to fail with one sentence when the pipeline
they read has not run. A missing output is a :class:`~l6pipeline.core.errors.UserInputError`:
one paragraph on stderr (no traceback) and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from l6pipeline.core.errors import UserInputError

SUBMISSION_DATASET = "rossmann_submission"
# `make submission` copies the newest submission of environment <env> to this path (data/ is
# not under git): data/07_model_output/kaggle_submission.csv for the real data.
STABLE_SUBMISSION = "data/07_model_output/{env}_submission.csv"
# The names rossmann_model logs its served model under: synthetic data, real data (--env kaggle).
MODEL_NAMES = ("rossmann_pipeline", "rossmann_pipeline_kaggle")


class OutputNotFoundError(UserInputError):
    """An output that a run would have made is not there (yet): the message names it and the
    run that makes it, one paragraph, shown without a traceback (here and in a notebook)."""

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return [f"{type(self).__name__}: {self}"]


class PipelineNotRunError(OutputNotFoundError):
    """A notebook's input is missing; shown in a notebook as its one sentence, no traceback."""


class SubmissionCopyError(UserInputError):
    """The newest submission cannot be copied to the path ``--to`` names."""


def _show_one_sentence(shell: Any, etype: type, value: Exception, tb: Any, tb_offset=None):
    """IPython handler for :class:`PipelineNotRunError`: the sentence as the cell's error.

    Kedro's IPython extension turns on rich tracebacks, which replace the shell's
    ``_showtraceback`` and draw every frame; the shell class's own method shows ours (in
    Jupyter: an error output with this one line). The cell still fails, so "Run all" stops.
    """
    lines = value._render_traceback_()
    type(shell)._showtraceback(shell, etype, value, lines)
    return lines


def run_command(pipelines: str, env: str | None) -> str:
    """The ``kedro run`` that makes ``pipelines``' outputs in ``env`` (None, local, base: none).

    A notebook opened with ``make notebooks ENV=kaggle`` reads the kaggle run, so the command
    it names must carry ``--env kaggle``.
    """
    flag = f"--env {env} " if env not in (None, "local", "base") else ""
    return f"kedro run {flag}--pipelines {pipelines}"


def require_outputs(catalog: Any, datasets: Iterable[str], command: str) -> None:
    """Raise :class:`PipelineNotRunError` naming ``command`` unless every dataset exists."""
    missing = [name for name in datasets if not catalog.exists(name)]
    if missing:
        from IPython import get_ipython  # noqa: PLC0415 (kedro-viz requires IPython)

        shell = get_ipython()  # None outside IPython: then the plain exception
        if shell is not None:
            shell.set_custom_exc((PipelineNotRunError,), _show_one_sentence)
        raise PipelineNotRunError(
            f"This notebook reads {', '.join(missing)}, which this project has not made yet: "
            f"run `{command}` in the project root (or `make run`), then run the notebook again."
        )


def newest_version(versioned: Path) -> Path:
    """The file of the newest version of the Kedro versioned dataset whose path is ``versioned``.

    Kedro saves version ``v`` of ``x.csv`` as ``x.csv/<v>/x.csv``; versions are UTC timestamps
    (``2026-12-05T08.31.02.123Z``) whose text order is their time order, as Kedro loads them.
    """
    files = [path for path in versioned.glob(f"*/{versioned.name}") if path.is_file()]
    if not files:
        raise OutputNotFoundError(f"no saved version in {versioned}/")
    return max(files, key=lambda path: path.parent.name)


def catalog_filepath(root: Path, env: str | None, dataset: str) -> Path:
    """``filepath`` of a catalog entry in the project at ``root`` under ``--env env``.

    Read with the project's config loader settings, without starting Kedro's project logging.
    """
    from kedro.config import OmegaConfigLoader  # noqa: PLC0415 (Kedro loads slowly)

    from l6pipeline.settings import CONFIG_LOADER_ARGS  # noqa: PLC0415

    conf_source = root / "conf"
    if env and not (conf_source / env).is_dir():
        raise OutputNotFoundError(f"there is no configuration environment {conf_source / env}")
    with warnings.catch_warnings():  # OmegaConf's deprecation notes about Kedro's resolvers
        warnings.simplefilter("ignore")
        loader = OmegaConfigLoader(conf_source=str(conf_source), env=env, **CONFIG_LOADER_ARGS)
        entry = loader["catalog"].get(dataset)
    if not entry or "filepath" not in entry:
        raise OutputNotFoundError(f"the catalog of environment {env!r} has no file {dataset!r}")
    path = Path(entry["filepath"])
    return path if path.is_absolute() else root / path


def copy_newest_submission(
    root: Path, env: str = "kaggle", to: Path | None = None
) -> tuple[Path, Path]:
    """Copy the newest version of ``rossmann_submission`` (under ``env``) to ``to``.

    Returns (the version copied, the copy). ``to`` (default :data:`STABLE_SUBMISSION`) is
    relative to ``root`` unless absolute.
    """
    to = Path(STABLE_SUBMISSION.format(env=env)) if to is None else to
    versioned = catalog_filepath(root, env, SUBMISSION_DATASET)
    try:
        source = newest_version(versioned)
    except OutputNotFoundError:
        env_option = f"--env {env} " if env not in (None, "base", "local") else ""
        raise OutputNotFoundError(
            f"no submission yet in {versioned}/: run "
            f"`kedro run {env_option}--pipelines rossmann_data,rossmann_model` first"
            + (" (the real files it needs: docs/real_data.md)" if env == "kaggle" else "")
        ) from None
    target = to if to.is_absolute() else root / to
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as error:
        raise SubmissionCopyError(
            f"cannot copy the submission {source} to {target}: {error.strerror or error}; "
            "give `--to` a file path you can write"
        ) from None
    return source, target


def tracking_uri(root: Path) -> str:
    """MLFLOW_TRACKING_URI, else the project's ``mlflow.db`` (conf/base/mlflow.yml's default),
    which must exist: opening a missing SQLite store would create an empty one."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    store = root / "mlflow.db"
    if not store.is_file():
        raise OutputNotFoundError(
            f"there is no MLflow store {store} (and MLFLOW_TRACKING_URI is not set): "
            "run `kedro run --pipelines rossmann_data,rossmann_model` (or `make run`) first"
        )
    return f"sqlite:///{store}"


def newest_model(uri: str, names: Sequence[str] = MODEL_NAMES) -> Any:
    """The most recently created MLflow logged model under any of ``names``, in any experiment
    of the tracking store ``uri``."""
    from mlflow import MlflowClient  # noqa: PLC0415

    client = MlflowClient(tracking_uri=uri)
    experiments = [experiment.experiment_id for experiment in client.search_experiments()]
    found = []
    for name in names:
        found += client.search_logged_models(
            experiment_ids=experiments,
            filter_string=f"name = '{name}'",
            order_by=[{"field_name": "creation_time", "ascending": False}],
            max_results=1,
        )
    if not found:
        raise OutputNotFoundError(
            f"no MLflow model named {' or '.join(names)} in {uri}: train one with "
            "`kedro run --pipelines rossmann_data,rossmann_model` "
            "(add `--env kaggle` for the real data)"
        )
    return max(found, key=lambda model: model.creation_timestamp)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m l6pipeline.project.outputs", description=__doc__
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project root")
    commands = parser.add_subparsers(dest="command", required=True)
    submission = commands.add_parser("submission", help="copy the newest Kaggle submission")
    submission.add_argument("--env", default="kaggle")
    submission.add_argument("--to", type=Path, help=f"default: {STABLE_SUBMISSION}")
    model = commands.add_parser("model-uri", help="print models:/<id> of the newest model")
    model.add_argument("--name", action="append", help=f"model name (default: {MODEL_NAMES})")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "submission":
            source, target = copy_newest_submission(root, args.env, args.to)
            print(f"copied {source} to {target}")  # noqa: T201
        else:
            found = newest_model(tracking_uri(root), args.name or MODEL_NAMES)
            print(  # noqa: T201
                f"newest model: {found.name} {found.model_id} (run {found.source_run_id})",
                file=sys.stderr,
            )
            print(f"models:/{found.model_id}")  # noqa: T201
    except UserInputError as error:  # the user's to fix: one paragraph, no traceback
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
