"""The served model's exact input contract: raw request rows -> typed rows, or one sentence.

The rules are the test table's declarations (:mod:`~l6pipeline.rossmann.raw.schemas`: columns,
dtypes, nullable columns, unique keys, and the value domains of its pandera checks), checked
here on the values *as the client sent them*: a JSON number 1.5 for ``Store`` is refused, never
read as 1; 1e20 is outside the integer range and shown as 1e+20; ``true`` is not a number; a
column the model does not read is refused. The batch pipeline reads files through
``validate_table`` (the same declarations, with pandera) and then through this contract too.

Plain NumPy on the request's own values: a one-row request costs microseconds, where a pandera
validation costs milliseconds. Every problem is one clause naming the column, the value(s) and
the row(s) (``index`` = 0-based position, or ``line`` when the frame's index is named ``line``,
as for rows read from a file); all of a request's problems form one sentence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from l6pipeline.core.errors import UserInputError
from l6pipeline.rossmann.raw.schemas import COLUMNS, DATE, FLOAT, INT, NULLABLE, SCHEMAS, UNIQUE

TABLE = "test"
#: The request columns (Kaggle's test.csv) and their validated dtypes.
INPUT_COLUMNS: dict[str, str] = dict(COLUMNS[TABLE])
_EXAMPLES = 5
_SHOWN_CHARS = 40  # a value is shown up to this length: a message never echoes the request
_INT64_MAX = 2**63 - 1
OUTSIDE = "is outside the 64-bit integer range"


class ServingInputError(UserInputError):
    """A request the model must not answer with a number: names row, column and value."""


def _domain(check) -> Callable[[np.ndarray], np.ndarray]:
    """A pandera built-in check of schemas.py as a NumPy mask of the values it refuses."""
    stats = check.statistics
    if check.name == "isin":
        allowed = list(stats["allowed_values"])
        return lambda values: ~np.isin(values, allowed)
    if check.name == "greater_than_or_equal_to":
        return lambda values: values < stats["min_value"]
    if check.name == "in_range" and stats["include_min"] and stats["include_max"]:
        return lambda values: (values < stats["min_value"]) | (values > stats["max_value"])
    raise NotImplementedError(f"the request contract cannot evaluate the check {check.name}")


#: Per column: (what the check says, mask of refused values), from the test table's schema.
DOMAINS: dict[str, list[tuple[str, Callable[[np.ndarray], np.ndarray]]]] = {
    name: [(check.error, _domain(check)) for check in column.checks]
    for name, column in SCHEMAS[TABLE].columns.items()
}


def show(value: object) -> str:
    """A value as the client wrote it, cut to a few characters (``'x'``, ``1.5``, ``null``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    text = repr(str(value)) if isinstance(value, str) else str(value)
    if len(text) > _SHOWN_CHARS:
        text = f"{text[: _SHOWN_CHARS - 3]}... ({len(text)} characters)"
    return text


def _where(index: pd.Index) -> str:
    return "line" if index.name == "line" else "index"


def examples(values: Sequence, labels: Sequence, word: str, fmt=show) -> str:
    """``1.5 (index 0), 7 (index 3) ... (9 rows in all)``."""
    shown = ", ".join(
        f"{fmt(value)} ({word} {label})"
        for value, label in zip(values[:_EXAMPLES], labels[:_EXAMPLES], strict=True)
    )
    return shown + (f" ... ({len(values)} rows in all)" if len(values) > _EXAMPLES else "")


class _Problems:
    """The clauses of one request's refusal, and which cells they refuse."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.word = _where(raw.index)
        self.clauses: list[str] = []
        self.refused: dict[str, np.ndarray] = {}

    def add(self, column: str, what: str, mask: np.ndarray) -> None:
        """A clause for the rows of ``mask`` of ``column``, showing their raw values, if any."""
        if not mask.any():
            return
        shown = self.raw[column][mask]
        listed = examples(list(shown), list(shown.index), self.word)
        self.clauses.append(f"column {column!r} {what}: {listed}")
        self.refused[column] = self.refused.get(column, False) | mask

    def usable(self, column: str, missing: np.ndarray) -> np.ndarray:
        """Cells of ``column`` that are present and not refused yet (no stand-in is checked)."""
        return ~missing & ~self.refused.get(column, np.zeros(len(missing), dtype=bool))

    def raise_any(self) -> None:
        if self.clauses:
            raise ServingInputError("; ".join(self.clauses) + ".")


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _cell_number(value: object) -> float:
    """A JSON number as a float; NaN for anything else (``true``, ``"1"``, null)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an integer beyond a float's range: outside int64's, too
        return 1e300 if value > 0 else -1e300


def _numbers(
    series: pd.Series, integer: bool, problems: _Problems
) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing) of a number column; integer columns refuse fractions and overflow."""
    name, kind, n = str(series.name), series.dtype.kind, len(series)
    if kind in "iu":
        raw = series.to_numpy()
        problems.add(name, OUTSIDE, raw > _INT64_MAX if kind == "u" else np.zeros(n, bool))
        return np.where(raw > _INT64_MAX, 0, raw).astype(np.int64 if integer else np.float64), (
            np.zeros(n, dtype=bool)
        )
    items = None
    if kind == "f":
        cells = series.to_numpy(dtype=np.float64)
        missing = np.isnan(cells)
    else:  # object, bool, text: value by value, as the client sent them
        items = series.to_list()
        missing = np.array([_is_missing(value) for value in items], dtype=bool)
        cells = np.array([_cell_number(value) for value in items], dtype=np.float64)
        problems.add(name, "is not a number", np.isnan(cells) & ~missing)
    finite = np.isfinite(cells)
    problems.add(name, "is not a finite number", np.isinf(cells))
    if not integer:
        return np.where(finite, cells, np.nan), missing
    fractional = finite & (cells != np.floor(cells))
    problems.add(name, "is not a whole number", fractional)
    whole = finite & ~fractional
    outside = whole & ((cells >= 2.0**63) | (cells < -(2.0**63)))
    exact = np.where(whole & ~outside, cells, 0).astype(np.int64)
    for i in np.flatnonzero(whole) if items is not None else ():
        if isinstance(items[i], int | np.integer):  # exact where a float is not (> 2**53)
            number = int(items[i])
            outside[i] = not -(2**63) <= number <= _INT64_MAX
            exact[i] = 0 if outside[i] else number
    problems.add(name, OUTSIDE, outside)
    return exact, missing


def _dates(series: pd.Series, problems: _Problems) -> tuple[pd.Series, np.ndarray]:
    """``YYYY-MM-DD`` text (or datetimes) -> datetime64[ns]."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.astype(DATE)
        return parsed, parsed.isna().to_numpy()
    missing = series.map(_is_missing).to_numpy(dtype=bool)
    text = series.where(series.map(lambda value: isinstance(value, str)))
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype(DATE)
    problems.add(
        str(series.name), "is not a date (YYYY-MM-DD)", parsed.isna().to_numpy() & ~missing
    )
    return parsed, missing


def _codes(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text codes; a whole number is its text (``StateHoliday`` 0 is ``"0"``, as in test.csv)."""

    def code(value: object) -> object:
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            return str(value)
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return value

    values = series.astype(object).map(code)
    return values, values.map(_is_missing).to_numpy(dtype=bool)


def parse_columns(raw: pd.DataFrame) -> pd.DataFrame:
    """The request's columns typed as the validated test table, or :class:`ServingInputError`
    naming every refused column, value and row (no check across rows yet)."""
    if len(raw.columns) == 0 or len(raw) == 0:
        raise ServingInputError(
            "the request has no rows: send at least one row with the columns "
            f"{', '.join(INPUT_COLUMNS)}."
        )
    problems = _Problems(raw)
    unknown = [column for column in raw.columns if column not in INPUT_COLUMNS]
    for column in unknown:
        first = raw[column].iloc[:1]
        problems.clauses.append(
            f"column {str(column)!r} is not one of the model's inputs ({', '.join(INPUT_COLUMNS)})"
            f": {examples(list(first), list(first.index), problems.word)}"
        )
    missing_columns = [column for column in INPUT_COLUMNS if column not in raw.columns]
    if missing_columns:
        problems.clauses.append(
            f"column(s) {', '.join(map(repr, missing_columns))} missing: every row needs "
            f"{', '.join(INPUT_COLUMNS)}"
        )
    problems.raise_any()
    typed: dict[str, pd.Series | np.ndarray] = {}
    for column, dtype in INPUT_COLUMNS.items():
        series = raw[column]
        if dtype in (INT, FLOAT):
            values, missing = _numbers(series, dtype == INT, problems)
        elif dtype == DATE:
            values, missing = _dates(series, problems)
        else:
            values, missing = _codes(series)
        if column not in NULLABLE[TABLE]:
            problems.add(column, "is missing", missing)
        for what, refused in DOMAINS[column]:
            bad = problems.usable(column, missing) & refused(np.asarray(values))
            problems.add(column, what, bad)
        typed[column] = values
    problems.raise_any()
    frame = pd.DataFrame(typed, index=raw.index)
    return frame.astype({"StateHoliday": "str"})


def check_rows(
    rows: pd.DataFrame, stores: Iterable[int], coverage: tuple[pd.Timestamp, pd.Timestamp]
) -> None:
    """Checks across a request's rows and against what the model carries: unique ``Id`` and
    (Store, Date), ``DayOfWeek`` matching ``Date``, a known store, a date the carried tables
    cover. Raises :class:`ServingInputError` naming every problem."""
    problems = _Problems(rows)
    repeated = rows["Id"].duplicated(keep=False).to_numpy()
    problems.add("Id", "repeats an id (each row needs its own)", repeated)
    key = list(UNIQUE[TABLE])
    twice = rows.duplicated(key, keep=False).to_numpy()
    if twice.any():
        pairs = rows.loc[twice, key]
        shown = [f"({store}, {date:%Y-%m-%d})" for store, date in pairs.itertuples(index=False)]
        listed = examples(shown, list(pairs.index), problems.word, fmt=str)
        problems.clauses.append(
            f"columns {' and '.join(map(repr, key))} repeat a store's day: {listed}"
        )
    weekday = rows["Date"].dt.day_of_week.to_numpy() + 1
    wrong = rows["DayOfWeek"].to_numpy() != weekday
    problems.add("DayOfWeek", "does not match Date (1 = Monday)", wrong)
    known = np.asarray(list(stores))
    unknown = ~np.isin(rows["Store"].to_numpy(), known)
    problems.add(
        "Store", f"is not in the store table the model carries ({len(known)} stores)", unknown
    )
    first, last = coverage
    outside = ~rows["Date"].between(first, last).to_numpy()
    problems.add(
        "Date",
        "is outside the days the model's weather and Google-trend tables cover "
        f"({first:%Y-%m-%d}..{last:%Y-%m-%d})",
        outside,
    )
    problems.raise_any()


def check_request(
    raw: pd.DataFrame, stores: Iterable[int], coverage: tuple[pd.Timestamp, pd.Timestamp]
) -> pd.DataFrame:
    """Raw request rows -> typed rows (:func:`parse_columns`, :func:`check_rows`)."""
    if not raw.index.is_unique:  # errors name rows by index label: make them unambiguous
        raw = raw.reset_index(drop=True)
    rows = parse_columns(raw)
    check_rows(rows, stores, coverage)
    return rows
