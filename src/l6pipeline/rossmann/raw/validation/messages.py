"""The problems the validation reports, and how offending values and lines are written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

EXAMPLES = 5  # offending values shown per problem


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the raw data, in words a user can act on."""

    file: str
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, column {self.column!r}" if self.column else self.file
        return f"{where}: {self.message}"


def not_in(values: pd.Series, reference: pd.Series) -> list:
    """The distinct ``values`` absent from ``reference``, sorted."""
    unique = pd.unique(values.to_numpy())
    return sorted(unique[~pd.Index(unique).isin(reference.to_numpy())].tolist())


def format_value(value: object) -> str:
    """A value as the message shows it: dates as YYYY-MM-DD, text quoted, 3.0 as 3."""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_values(values: Iterable[object]) -> str:
    """The first few values, and how many there are in all."""
    values = list(values)
    shown = ", ".join(format_value(value) for value in values[: EXAMPLES * 2])
    return shown + (f" ... ({len(values)} in all)" if len(values) > EXAMPLES * 2 else "")


def row_word(index: pd.Index) -> str:
    """Rows read from a file are indexed by line number; other frames by their index label."""
    return "line" if index.name == "line" else "index"


def format_rows(labels: Iterable[object], word: str) -> str:
    """``(line 18)`` / ``(lines 18, 19)``, or ``(index 16)`` for frames not read from a file."""
    labels = list(labels)
    shown = ", ".join(str(label) for label in labels[:EXAMPLES])
    more = f" ... ({len(labels)} in all)" if len(labels) > EXAMPLES else ""
    plural = "s" if len(labels) > 1 and word == "line" else ""
    return f"({word}{plural} {shown}{more})"


def format_examples(values: Iterable[object], labels: Iterable[object], word: str) -> str:
    """A few offending values with their lines, and how many there are in all."""
    values, labels = list(values), list(labels)
    shown = ", ".join(
        f"{format_value(value)} ({word} {label})"
        for value, label in zip(values[:EXAMPLES], labels[:EXAMPLES], strict=True)
    )
    return shown + (f" ... ({len(values)} rows in all)" if len(values) > EXAMPLES else "")
