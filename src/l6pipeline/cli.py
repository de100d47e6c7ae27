"""Kedro's own ``kedro run``, with a user's mistake (a :class:`~l6pipeline.core.errors.UserInputError`)
printed as one paragraph and exit status 1 (``L6PIPELINE_TRACEBACK=1`` shows the traceback)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.io import DatasetError

from l6pipeline.core.errors import UserInputError

TRACEBACK_SWITCH = "L6PIPELINE_TRACEBACK"


def find_user_error(exc: BaseException | None) -> UserInputError | None:
    """The :class:`UserInputError` that ``exc`` is, or that Kedro's ``DatasetError``\\ s wrap
    (``raise DatasetError(...) from exc``); ``None`` for anything else, which is a bug."""
    while exc is not None:
        if isinstance(exc, UserInputError):
            return exc
        exc = exc.__cause__ if isinstance(exc, DatasetError) else None
    return None


def show_tracebacks() -> bool:
    """Whether the user asked for tracebacks of input errors too."""
    return os.environ.get(TRACEBACK_SWITCH, "").strip().lower() not in ("", "0", "false", "no")


class HideUserErrorLogs(logging.Filter):
    """Drops the error records logged while a user error propagates (Kedro logs "Node ...
    failed with error: <message>"): the message is printed once, by :func:`user_errors`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR or find_user_error(sys.exc_info()[1]) is None


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user error into a ``click.ClickException``: ``Error: <message>``, exit status 1."""
    if show_tracebacks():
        yield
        return
    handlers = logging.getLogger().handlers
    hide = HideUserErrorLogs()
    for handler in handlers:
        handler.addFilter(hide)
    try:
        yield
    except Exception as exc:
        error = find_user_error(exc)
        if error is None:
            raise
        raise click.ClickException(str(error)) from None
    finally:
        for handler in handlers:
            handler.removeFilter(hide)


@click.group(name="l6pipeline")
def cli() -> None:
    """Commands of the l6pipeline project (they override Kedro's own of the same name)."""


@wraps(kedro_run.callback)
def _run(**kwargs: Any) -> Any:
    with user_errors():
        return kedro_run.callback(**kwargs)


run = click.Command(
    name="run",
    callback=_run,
    params=kedro_run.params,
    help=f"{kedro_run.help}\n\nBad input data or parameters print one message, without a "
    f"traceback; set {TRACEBACK_SWITCH}=1 to see it.",
    short_help=kedro_run.short_help,
)
cli.add_command(run)
